//! The compression function G of Argon2 in wasm SIMD128: two 64-bit words per `v128`, the BLAKE2b
//! rounds of the reference implementation's SSE code (`blamka-round-opt.h`) written with
//! `core::arch::wasm32`, shaped for what V8 makes of it (measured with `--print-wasm-code`):
//!
//! - **Fully unrolled, no block-sized temporary in memory.** The 8 row rounds and 8 column rounds are
//!   written out with constant indices, so LLVM keeps the 64 vectors of the state in locals (V8
//!   registers and spill slots) instead of a 1 KiB stack array reloaded every round, and every load
//!   of `prev`, `reference` and `cur` has a constant offset. The rows read R = prev ⊕ reference
//!   straight from the two blocks; the columns write G = P(R) ⊕ R ⊕ cur straight into `cur`. This
//!   alone made the function about a quarter faster than the looped version.
//!   (Tried and dropped: interleaving four independent rounds step by step was a few per cent
//!   faster in a standalone build, but in the shipped LTO build LLVM kept bounds checks and a
//!   stack copy per group of rounds, and the package measured slower.)
//! - **The BlaMka product on two vectors at once.** 2·lo32(x)·lo32(y) must be
//!   `i64x2.extmul_{low,high}_i32x4_u`: given a one-vector even-lane shuffle, LLVM folds shuffle +
//!   extmul into mask + `i64x2.mul`, which V8 emulates with three multiplications. Gathering the even
//!   lanes of *two* vectors (`i32x4.shuffle 0 2 4 6`, one `shufps`) and taking the low and the high
//!   extmul is not folded, and needs one shuffle per vector where the reference needs two.
//! - **Rotations by 24 as two shifts and an or**: V8 lowers that byte shuffle to `pshufb` with a
//!   mask it rebuilds from immediates every time (five instructions); rotations by 32 and 16 stay
//!   shuffles (`pshufd`, `pshuflw` + `pshufhw`).
//! - **The reference block's cache lines requested first.** It is a random block of up to 64 MiB,
//!   mostly not in cache. workerd's V8 (15.8, explicit bounds checks) schedules each row's loads
//!   next to its work, so the lines arrived one row at a time: 1.14× @phi-ag/argon2's time at
//!   m = 64 MiB against 0.88× at 7 MiB. Loading one vector of each line up front made it 0.91×
//!   (and 0.85× at 19 MiB). Node's V8 (12.4) already hoists all loads; there it costs ~4 %.
//! - **One body for both variants.** `xor` becomes a mask on the loaded `cur` (all ones or zero)
//!   rather than a second copy of the (large) unrolled body (measured 4 % faster at t = 1, 23 KB
//!   larger) or a branch per vector (slower): the first pass overwrites every block whatever it
//!   held, so the memory needs no zeroing before use.

use super::{Block, WORDS};
use core::arch::wasm32::{
    i8x16_shuffle, i32x4_shuffle, i64x2_add, i64x2_shl, i64x2_shuffle, u64x2,
    u64x2_extmul_high_u32x4, u64x2_extmul_low_u32x4, u64x2_extract_lane, u64x2_shr, u64x2_splat,
    v128, v128_and, v128_or, v128_xor,
};

/// Vectors in a block.
const VECTORS: usize = WORDS / 2;

/// `cur = G(prev, reference)`, or `cur ^= G(prev, reference)` when `xor`.
pub(super) fn compress(prev: &Block, reference: &Block, cur: &mut Block, xor: bool) {
    // The first vector of each of the reference block's 16 cache lines, loaded before any work
    // (`black_box` keeps LLVM from moving each load back to its use): the random block's lines are
    // then fetched together rather than one row at a time.
    let early: [v128; 16] = core::hint::black_box(core::array::from_fn(|l| load(reference, 4 * l)));
    let mut q = [u64x2(0, 0); VECTORS];
    row::<0>(&mut q, prev, reference, &early);
    row::<1>(&mut q, prev, reference, &early);
    row::<2>(&mut q, prev, reference, &early);
    row::<3>(&mut q, prev, reference, &early);
    row::<4>(&mut q, prev, reference, &early);
    row::<5>(&mut q, prev, reference, &early);
    row::<6>(&mut q, prev, reference, &early);
    row::<7>(&mut q, prev, reference, &early);
    column::<0>(&q, prev, reference, cur, xor);
    column::<1>(&q, prev, reference, cur, xor);
    column::<2>(&q, prev, reference, cur, xor);
    column::<3>(&q, prev, reference, cur, xor);
    column::<4>(&q, prev, reference, cur, xor);
    column::<5>(&q, prev, reference, cur, xor);
    column::<6>(&q, prev, reference, cur, xor);
    column::<7>(&q, prev, reference, cur, xor);
}

/// Words 2·i and 2·i + 1 of `block` as one vector (i < 64).
#[inline(always)]
#[allow(clippy::indexing_slicing)]
fn load(block: &Block, i: usize) -> v128 {
    u64x2(block[2 * i], block[2 * i + 1])
}

/// Row `R` (vectors 8·R … 8·R + 7): R = prev ⊕ reference there, then one round, into `q`;
/// `early` holds the reference's vectors 4·l.
// Indices are 8·R + k with R, k < 8: below 64; 2·R + k / 4 < 16.
#[inline(always)]
#[allow(clippy::indexing_slicing)]
fn row<const R: usize>(
    q: &mut [v128; VECTORS],
    prev: &Block,
    reference: &Block,
    early: &[v128; 16],
) {
    let v = round(core::array::from_fn(|k| {
        let i = 8 * R + k;
        let f = if k % 4 == 0 {
            early[i / 4]
        } else {
            load(reference, i)
        };
        v128_xor(load(prev, i), f)
    }));
    for (k, v) in v.into_iter().enumerate() {
        q[8 * R + k] = v;
    }
}

/// Column `C` (vectors C, C + 8, … C + 56): one round, then `cur = P(R) ⊕ R` there, or
/// `cur ^= P(R) ⊕ R` when `xor`.
// Indices are C + 8·k with C, k < 8 (below 64), and twice that (+ 1): below 128.
#[inline(always)]
#[allow(clippy::indexing_slicing)]
fn column<const C: usize>(
    q: &[v128; VECTORS],
    prev: &Block,
    reference: &Block,
    cur: &mut Block,
    xor: bool,
) {
    // All ones to xor into `cur`, zero to overwrite it: a mask, not a branch (branches split the
    // unrolled body into blocks that V8 schedules worse: measured slower).
    let keep = u64x2_splat(if xor { u64::MAX } else { 0 });
    let v = round(core::array::from_fn(|k| q[C + 8 * k]));
    for (k, v) in v.into_iter().enumerate() {
        let i = C + 8 * k;
        let r = v128_xor(load(prev, i), load(reference, i));
        let x = v128_xor(v128_xor(v, r), v128_and(load(cur, i), keep));
        cur[2 * i] = u64x2_extract_lane::<0>(x);
        cur[2 * i + 1] = u64x2_extract_lane::<1>(x);
    }
}

/// One BLAKE2b round without message over the 16 words in `v` (A0 A1 B0 B1 C0 C1 D0 D1):
/// columns, diagonalise, columns, undiagonalise.
#[inline(always)]
fn round(v: [v128; 8]) -> [v128; 8] {
    let [a0, a1, mut b0, mut b1, mut c0, mut c1, mut d0, mut d1] = v;
    let mut s = State {
        a: [a0, a1],
        b: [b0, b1],
        c: [c0, c1],
        d: [d0, d1],
    };
    s.g();
    // Diagonalise: B rotated by one word, C by two, D by three.
    [b0, b1] = s.b;
    s.b = [i64x2_shuffle::<1, 2>(b0, b1), i64x2_shuffle::<1, 2>(b1, b0)];
    [c0, c1] = s.c;
    s.c = [c1, c0];
    [d0, d1] = s.d;
    s.d = [i64x2_shuffle::<1, 2>(d1, d0), i64x2_shuffle::<1, 2>(d0, d1)];
    s.g();
    // Undiagonalise.
    [b0, b1] = s.b;
    [c0, c1] = s.c;
    [d0, d1] = s.d;
    let [a0, a1] = s.a;
    [
        a0,
        a1,
        i64x2_shuffle::<1, 2>(b1, b0),
        i64x2_shuffle::<1, 2>(b0, b1),
        c1,
        c0,
        i64x2_shuffle::<1, 2>(d0, d1),
        i64x2_shuffle::<1, 2>(d1, d0),
    ]
}

/// Four columns of the BLAKE2b state: A, B, C and D, two vectors each.
struct State {
    a: [v128; 2],
    b: [v128; 2],
    c: [v128; 2],
    d: [v128; 2],
}

impl State {
    /// GB of RFC 9106 §3.6 on the four columns.
    #[inline(always)]
    fn g(&mut self) {
        let Self { a, b, c, d } = self;
        *a = blamka(*a, *b);
        *d = d.map2(a, |d, a| {
            let x = v128_xor(d, a);
            i32x4_shuffle::<1, 0, 3, 2>(x, x)
        });
        *c = blamka(*c, *d);
        *b = b.map2(c, |b, c| rotr24(v128_xor(b, c)));
        *a = blamka(*a, *b);
        *d = d.map2(a, |d, a| rotr16(v128_xor(d, a)));
        *c = blamka(*c, *d);
        *b = b.map2(c, |b, c| {
            let y = v128_xor(b, c);
            v128_or(u64x2_shr(y, 63), i64x2_add(y, y))
        });
    }
}

/// Two vectors combined lane by lane.
trait Map2 {
    /// `[f(self[0], other[0]), f(self[1], other[1])]`.
    fn map2(self, other: &Self, f: impl Fn(v128, v128) -> v128) -> Self;
}

impl Map2 for [v128; 2] {
    #[inline(always)]
    fn map2(self, other: &Self, f: impl Fn(v128, v128) -> v128) -> Self {
        let ([x0, x1], [y0, y1]) = (self, *other);
        [f(x0, y0), f(x1, y1)]
    }
}

/// x + y + 2·lo32(x)·lo32(y) per 64-bit lane, on two pairs of vectors.
#[inline(always)]
fn blamka([x0, x1]: [v128; 2], [y0, y1]: [v128; 2]) -> [v128; 2] {
    // The low 32 bits of the four 64-bit lanes of x0, x1 (and of y0, y1) in one vector.
    let xs = i32x4_shuffle::<0, 2, 4, 6>(x0, x1);
    let ys = i32x4_shuffle::<0, 2, 4, 6>(y0, y1);
    let (p0, p1) = (
        u64x2_extmul_low_u32x4(xs, ys),
        u64x2_extmul_high_u32x4(xs, ys),
    );
    [
        i64x2_add(i64x2_add(x0, y0), i64x2_add(p0, p0)),
        i64x2_add(i64x2_add(x1, y1), i64x2_add(p1, p1)),
    ]
}

/// Each 64-bit lane rotated right by 24 bits.
#[inline(always)]
fn rotr24(x: v128) -> v128 {
    v128_or(u64x2_shr(x, 24), i64x2_shl(x, 40))
}

/// Each 64-bit lane rotated right by 16 bits.
#[inline(always)]
fn rotr16(x: v128) -> v128 {
    i8x16_shuffle::<2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9>(x, x)
}
