//! The portable compression function G of Argon2 (RFC 9106 §3.5), on 64-bit words.

use super::{Block, WORDS};

/// `cur = G(prev, reference)`, or `cur ^= G(prev, reference)` when `xor` (passes after the first).
// Every index below is a constant or `16·i + k`/`2·i + 16·k` with i, k < 8: always below 128.
#[allow(clippy::indexing_slicing)]
pub(super) fn compress(prev: &Block, reference: &Block, cur: &mut Block, xor: bool) {
    let mut r: Block = [0u64; WORDS];
    for ((r, a), b) in r.iter_mut().zip(prev).zip(reference) {
        *r = a ^ b;
    }
    let mut q = r;
    for i in 0..8 {
        let b = 16 * i;
        permute(
            &mut q,
            [
                b,
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10,
                b + 11,
                b + 12,
                b + 13,
                b + 14,
                b + 15,
            ],
        );
    }
    for i in 0..8 {
        let b = 2 * i;
        permute(
            &mut q,
            [
                b,
                b + 1,
                b + 16,
                b + 17,
                b + 32,
                b + 33,
                b + 48,
                b + 49,
                b + 64,
                b + 65,
                b + 80,
                b + 81,
                b + 96,
                b + 97,
                b + 112,
                b + 113,
            ],
        );
    }
    if xor {
        for ((c, q), r) in cur.iter_mut().zip(&q).zip(&r) {
            *c ^= q ^ r;
        }
    } else {
        for ((c, q), r) in cur.iter_mut().zip(&q).zip(&r) {
            *c = q ^ r;
        }
    }
}

/// The BLAKE2b round without message (P in RFC 9106) on the 16 words of `v` at `i`.
#[inline(always)]
#[allow(clippy::indexing_slicing)]
fn permute(v: &mut Block, i: [usize; 16]) {
    quarter(v, i[0], i[4], i[8], i[12]);
    quarter(v, i[1], i[5], i[9], i[13]);
    quarter(v, i[2], i[6], i[10], i[14]);
    quarter(v, i[3], i[7], i[11], i[15]);
    quarter(v, i[0], i[5], i[10], i[15]);
    quarter(v, i[1], i[6], i[11], i[12]);
    quarter(v, i[2], i[7], i[8], i[13]);
    quarter(v, i[3], i[4], i[9], i[14]);
}

/// GB of RFC 9106 §3.6: BLAKE2b's G with the multiplications of BlaMka.
#[inline(always)]
#[allow(clippy::indexing_slicing)]
fn quarter(v: &mut Block, a: usize, b: usize, c: usize, d: usize) {
    let (mut va, mut vb, mut vc, mut vd) = (v[a], v[b], v[c], v[d]);
    va = blamka(va, vb);
    vd = (vd ^ va).rotate_right(32);
    vc = blamka(vc, vd);
    vb = (vb ^ vc).rotate_right(24);
    va = blamka(va, vb);
    vd = (vd ^ va).rotate_right(16);
    vc = blamka(vc, vd);
    vb = (vb ^ vc).rotate_right(63);
    (v[a], v[b], v[c], v[d]) = (va, vb, vc, vd);
}

/// x + y + 2·lo32(x)·lo32(y), modulo 2⁶⁴.
#[inline(always)]
fn blamka(x: u64, y: u64) -> u64 {
    let product = (x & 0xffff_ffff) * (y & 0xffff_ffff);
    x.wrapping_add(y).wrapping_add(product.wrapping_mul(2))
}
