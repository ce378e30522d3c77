//! The compression function G of Argon2 in wasm SIMD128: two 64-bit words per `v128`, the BLAKE2b
//! rounds of the reference implementation's SSE code (`blamka-round-opt.h`) written with
//! `core::arch::wasm32`.
//!
//! The BlaMka product 2·lo32(x)·lo32(y) must stay one `i64x2.extmul_low_i32x4_u` on the even 32-bit
//! lanes: given a constant shuffle, LLVM folds it into mask + `i64x2.mul`, which V8 emulates with
//! three multiplications. The shuffle is therefore an `i8x16.swizzle` whose mask LLVM cannot see
//! (see [`even_halves`]).

use super::{Block, WORDS};
use core::arch::wasm32::{
    i8x16_shuffle, i8x16_swizzle, i32x4_shuffle, i64x2_add, i64x2_shuffle, u64x2,
    u64x2_extmul_low_u32x4, u64x2_extract_lane, u64x2_shr, v128, v128_or, v128_xor,
};

/// `cur = G(prev, reference)`, or `cur ^= G(prev, reference)` when `xor` (passes after the first).
// Every index below is `8·i + k` or `i + 8·k` with i, k < 8, or 2·i (+1) with i < 64: in range.
#[allow(clippy::indexing_slicing)]
pub(super) fn compress(prev: &Block, reference: &Block, cur: &mut Block, xor: bool) {
    let even = even_halves();
    let mut q: [v128; WORDS / 2] =
        core::array::from_fn(|i| v128_xor(load(prev, i), load(reference, i)));
    for i in 0..8 {
        let b = 8 * i;
        round(
            &mut q,
            [b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7],
            even,
        );
    }
    for i in 0..8 {
        round(
            &mut q,
            [i, i + 8, i + 16, i + 24, i + 32, i + 40, i + 48, i + 56],
            even,
        );
    }
    // G = P(R) ⊕ R with R = prev ⊕ reference, read again rather than kept.
    for (i, q) in q.iter().enumerate() {
        let mut v = v128_xor(*q, v128_xor(load(prev, i), load(reference, i)));
        if xor {
            v = v128_xor(v, load(cur, i));
        }
        cur[2 * i] = u64x2_extract_lane::<0>(v);
        cur[2 * i + 1] = u64x2_extract_lane::<1>(v);
    }
}

/// Words 2·i and 2·i + 1 of `block` as one vector (i < 64).
#[inline(always)]
#[allow(clippy::indexing_slicing)]
fn load(block: &Block, i: usize) -> v128 {
    u64x2(block[2 * i], block[2 * i + 1])
}

/// The swizzle mask of [`blamka`]: bytes 0–3 and 8–11 (the low halves of both 64-bit lanes) first.
/// Passed through [`core::hint::black_box`] (once per block): with a mask it can see, LLVM folds
/// swizzle + `extmul` into and-mask + `i64x2.mul` (tried: constants, and masks computed with
/// `narrow` or `dot` instructions, are all folded).
#[inline(always)]
fn even_halves() -> v128 {
    core::hint::black_box(u64x2(0x0b0a_0908_0302_0100, 0x0b0a_0908_0302_0100))
}

/// One BLAKE2b round without message over the 16 words in the 8 vectors of `q` at `i`
/// (A0 A1 B0 B1 C0 C1 D0 D1): columns, diagonalise, columns, undiagonalise.
#[inline(always)]
#[allow(clippy::indexing_slicing)]
fn round(q: &mut [v128; WORDS / 2], i: [usize; 8], even: v128) {
    let (mut a0, mut a1, mut b0, mut b1) = (q[i[0]], q[i[1]], q[i[2]], q[i[3]]);
    let (mut c0, mut c1, mut d0, mut d1) = (q[i[4]], q[i[5]], q[i[6]], q[i[7]]);
    g(&mut a0, &mut b0, &mut c0, &mut d0, even);
    g(&mut a1, &mut b1, &mut c1, &mut d1, even);
    // Diagonalise: B rotated by one word, C by two, D by three.
    let (t0, t1) = (i64x2_shuffle::<1, 2>(b0, b1), i64x2_shuffle::<1, 2>(b1, b0));
    (b0, b1) = (t0, t1);
    (c0, c1) = (c1, c0);
    let (t0, t1) = (i64x2_shuffle::<1, 2>(d1, d0), i64x2_shuffle::<1, 2>(d0, d1));
    (d0, d1) = (t0, t1);
    g(&mut a0, &mut b0, &mut c0, &mut d0, even);
    g(&mut a1, &mut b1, &mut c1, &mut d1, even);
    // Undiagonalise.
    let (t0, t1) = (i64x2_shuffle::<1, 2>(b1, b0), i64x2_shuffle::<1, 2>(b0, b1));
    (b0, b1) = (t0, t1);
    (c0, c1) = (c1, c0);
    let (t0, t1) = (i64x2_shuffle::<1, 2>(d0, d1), i64x2_shuffle::<1, 2>(d1, d0));
    (d0, d1) = (t0, t1);
    (q[i[0]], q[i[1]], q[i[2]], q[i[3]]) = (a0, a1, b0, b1);
    (q[i[4]], q[i[5]], q[i[6]], q[i[7]]) = (c0, c1, d0, d1);
}

/// GB of RFC 9106 §3.6 on two columns at once.
#[inline(always)]
fn g(a: &mut v128, b: &mut v128, c: &mut v128, d: &mut v128, even: v128) {
    *a = blamka(*a, *b, even);
    let x = v128_xor(*d, *a);
    *d = i32x4_shuffle::<1, 0, 3, 2>(x, x);
    *c = blamka(*c, *d, even);
    *b = rotr24(v128_xor(*b, *c));
    *a = blamka(*a, *b, even);
    *d = rotr16(v128_xor(*d, *a));
    *c = blamka(*c, *d, even);
    let y = v128_xor(*b, *c);
    *b = v128_or(u64x2_shr(y, 63), i64x2_add(y, y));
}

/// x + y + 2·lo32(x)·lo32(y) per 64-bit lane.
#[inline(always)]
fn blamka(x: v128, y: v128, even: v128) -> v128 {
    let p = u64x2_extmul_low_u32x4(i8x16_swizzle(x, even), i8x16_swizzle(y, even));
    i64x2_add(i64x2_add(x, y), i64x2_add(p, p))
}

/// Each 64-bit lane rotated right by 24 bits.
#[inline(always)]
fn rotr24(x: v128) -> v128 {
    i8x16_shuffle::<3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10>(x, x)
}

/// Each 64-bit lane rotated right by 16 bits.
#[inline(always)]
fn rotr16(x: v128) -> v128 {
    i8x16_shuffle::<2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9>(x, x)
}
