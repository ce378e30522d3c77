//! Argon2id (RFC 9106, version 0x13) with a secret input, written for speed in wasm.
//!
//! Used by app-passwords' core (`src/domain/argon2.rs`, where its tests are); the `argon2` crate stays
//! in use there for PHC strings, this crate only computes tags. It exists because the
//! compression function is where the time goes: [`simd`] is a hand-written wasm SIMD128 version
//! (compiled when the `simd128` target feature is on), [`block`] the portable one used everywhere else.
//! Both are checked against RFC 9106 §5.3, the repository's vectors and the `argon2` crate.
//!
//! Lanes are computed one after another (wasm has no threads); the memory is one `Vec` of blocks,
//! kept per thread between calls and wiped after each (see [`argon2id`]).

mod block;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd;

use blake2::{
    Blake2b512, Blake2bVarCore,
    digest::{
        Digest,
        block_api::{UpdateCore, VariableOutputCore},
        block_buffer::LazyBuffer,
    },
};
use std::cell::RefCell;
use zeroize::Zeroize;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
use block::compress;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use simd::compress;

/// 64-bit words in a 1 KiB block.
pub const WORDS: usize = 128;
/// One Argon2 memory block (128 little-endian words).
pub type Block = [u64; WORDS];
/// Slices per pass (synchronisation points).
const SLICES: usize = 4;
/// Argon2id's type number in the address generator and H0.
const ARGON2ID: u64 = 2;
/// Argon2 version 0x13.
const VERSION: u32 = 0x13;

/// Inputs or costs outside Argon2's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidParams;

/// The result of this crate's functions.
pub type Result<T> = core::result::Result<T, InvalidParams>;

/// The inputs of one Argon2id computation.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// The password (P).
    pub password: &'a [u8],
    /// The salt (S), at least 8 bytes.
    pub salt: &'a [u8],
    /// The secret (K, the pepper); may be empty.
    pub secret: &'a [u8],
    /// Associated data (X); may be empty.
    pub associated_data: &'a [u8],
}

/// The cost parameters: memory `m` in KiB, passes `t`, lanes `p`.
#[derive(Clone, Copy, Debug)]
pub struct Costs {
    /// Memory in KiB (at least 8·p).
    pub m: u32,
    /// Passes (at least 1).
    pub t: u32,
    /// Lanes (at least 1).
    pub p: u32,
}

/// Argon2id of `inputs` at `costs`, written into `out` (the tag, 4 bytes or more).
///
/// The m KiB of memory are wiped (zeroed) before this returns, as the reference implementation
/// does. They are kept per thread for the next call rather than freed (a wasm memory never shrinks
/// anyway): the first pass overwrites every block before reading it, so a kept buffer needs no
/// zeroing before use, and each call costs one pass of zeroes over the memory (the wipe), not two.
///
/// # Errors
/// [`InvalidParams`] for a salt shorter than 8 bytes, a tag shorter than 4 bytes, or costs
/// out of Argon2's range (`t ≥ 1`, `p ≥ 1`, `m ≥ 8·p`).
pub fn argon2id(inputs: Inputs<'_>, costs: Costs, out: &mut [u8]) -> Result<()> {
    let Costs { m, t, p } = costs;
    if inputs.salt.len() < 8 || out.len() < 4 || t == 0 || p == 0 || m / 8 < p {
        return Err(InvalidParams);
    }
    let segment = (m / (4 * p)) as usize;
    let shape = Shape {
        lanes: p as usize,
        segment,
        lane_len: segment * SLICES,
        passes: u64::from(t),
    };
    let blocks = shape.lane_len * shape.lanes;
    let mut h0 = initial_hash(inputs, costs, out.len())?;
    let kept = MEMORY.try_with(|memory| {
        let mut memory = memory.try_borrow_mut().ok()?;
        if memory.len() < blocks {
            // Freed first, then replaced (not grown: growing would copy the old blocks), so the
            // allocator can reuse the old space for the new memory.
            *memory = Vec::new();
            *memory = vec![ZERO; blocks];
        }
        let used = memory.get_mut(..blocks)?;
        let result = fill(used, &h0, shape, out);
        // A plain fill is a real wipe here: the blocks stay reachable (the next call reads them).
        used.fill(ZERO);
        Some(result)
    });
    let result = match kept {
        Ok(Some(result)) => result,
        // Only while this thread's memory is being destroyed (or, never, in use): one of its own.
        _ => {
            let mut memory = vec![ZERO; blocks];
            let result = fill(&mut memory, &h0, shape, out);
            memory.zeroize();
            result
        }
    };
    h0.zeroize();
    result
}

/// An all-zero block.
const ZERO: Block = [0u64; WORDS];

std::thread_local! {
    /// The memory of the last call on this thread (wiped), reused by the next one.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2id from `h0` over `memory` (of `shape`, whatever it holds), the tag into `out`; the
/// caller wipes `memory`.
fn fill(memory: &mut [Block], h0: &[u8; 64], shape: Shape, out: &mut [u8]) -> Result<()> {
    let mut bytes = [0u8; 8 * WORDS];
    for (lane, blocks) in memory.chunks_exact_mut(shape.lane_len).enumerate() {
        for (i, block) in blocks.iter_mut().take(2).enumerate() {
            let (i, lane) = (le32(i)?, le32(lane)?);
            h_prime(&[h0, &i, &lane], &mut bytes)?;
            for (word, chunk) in block.iter_mut().zip(bytes.chunks_exact(8)) {
                *word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            }
        }
    }
    for pass in 0..shape.passes {
        for slice in 0..SLICES {
            for lane in 0..shape.lanes {
                fill_segment(memory, shape, pass, slice, lane)?;
            }
        }
    }

    let mut last: Block = [0u64; WORDS];
    for lane in memory.chunks_exact(shape.lane_len) {
        if let Some(block) = lane.last() {
            last.iter_mut().zip(block).for_each(|(a, b)| *a ^= b);
        }
    }
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(&last) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    let result = h_prime(&[&bytes], out);
    bytes.zeroize();
    last.zeroize();
    result
}

/// The geometry of the memory.
#[derive(Clone, Copy)]
struct Shape {
    lanes: usize,
    segment: usize,
    lane_len: usize,
    passes: u64,
}

/// Fills one segment (`slice` of `lane` in `pass`), RFC 9106 §3.2–3.4.
fn fill_segment(
    memory: &mut [Block],
    shape: Shape,
    pass: u64,
    slice: usize,
    lane: usize,
) -> Result<()> {
    let Shape {
        lanes,
        segment,
        lane_len,
        passes,
    } = shape;
    let first_slice = pass == 0 && slice == 0;
    // Argon2id: data-independent addresses in the first half of the first pass.
    let independent = pass == 0 && slice < SLICES / 2;
    let zero: Block = [0u64; WORDS];
    let mut input: Block = [0u64; WORDS];
    let mut addresses: Block = [0u64; WORDS];
    if independent {
        let head = [
            pass,
            lane as u64,
            slice as u64,
            memory.len() as u64,
            passes,
            ARGON2ID,
        ];
        input.iter_mut().zip(head).for_each(|(w, h)| *w = h);
    }
    let start = if first_slice { 2 } else { 0 };
    if independent && start != 0 {
        next_addresses(&zero, &mut input, &mut addresses);
    }
    let lane_start = lane * lane_len;
    let segment_start = lane_start + slice * segment;
    // Blocks of the reference lane already finished before this segment (RFC 9106 §3.4.2), and
    // where the reference window starts.
    let finished = if pass == 0 {
        slice * segment
    } else {
        lane_len - segment
    };
    let window_start = if pass == 0 || slice == SLICES - 1 {
        0
    } else {
        (slice + 1) * segment
    };
    for index in start..segment {
        let cur = segment_start + index;
        let prev = if cur == lane_start {
            lane_start + lane_len - 1
        } else {
            cur - 1
        };
        let random = if independent {
            let slot = index % WORDS;
            if slot == 0 {
                next_addresses(&zero, &mut input, &mut addresses);
            }
            addresses.get(slot).copied().unwrap_or_default()
        } else {
            memory
                .get(prev)
                .and_then(|b| b.first())
                .copied()
                .unwrap_or_default()
        };
        // J2 picks the lane (always ours in the first slice, and with one lane): a 32-bit
        // remainder, not a 64-bit one, and none with one lane.
        let ref_lane = if first_slice || lanes == 1 {
            lane
        } else {
            ((random >> 32) as u32 % lanes as u32) as usize
        };
        let area = if ref_lane == lane {
            finished + index - 1
        } else {
            finished - usize::from(index == 0)
        } as u64;
        let j1 = random & 0xffff_ffff;
        let relative = (area - 1 - ((area * ((j1 * j1) >> 32)) >> 32)) as usize;
        // window_start + relative < 2·lane_len: a subtraction instead of a remainder.
        let mut position = window_start + relative;
        if position >= lane_len {
            position -= lane_len;
        }
        let reference = ref_lane * lane_len + position;

        let (before, rest) = memory.split_at_mut(cur);
        let (current, after) = rest.split_first_mut().ok_or(InvalidParams)?;
        let pick = |i: usize| {
            if i < cur {
                before.get(i)
            } else {
                after.get(i.wrapping_sub(cur + 1))
            }
        };
        let (Some(prev), Some(reference)) = (pick(prev), pick(reference)) else {
            return Err(InvalidParams);
        };
        // The first pass writes each block (whatever the memory held), later ones xor into it.
        compress(prev, reference, current, pass > 0);
    }
    Ok(())
}

/// The next 128 pseudo-random addresses: G(0, G(0, input)) after incrementing the counter.
fn next_addresses(zero: &Block, input: &mut Block, addresses: &mut Block) {
    if let Some(counter) = input.get_mut(6) {
        *counter += 1;
    }
    compress(zero, input, addresses, false);
    let first = *addresses;
    compress(zero, &first, addresses, false);
}

/// H0 = Blake2b-512(p, τ, m, t, v, y, |P|, P, |S|, S, |K|, K, |X|, X), lengths as LE32.
fn initial_hash(inputs: Inputs<'_>, costs: Costs, tag_len: usize) -> Result<[u8; 64]> {
    let mut digest = Blake2b512::new();
    for n in [
        costs.p,
        u32::try_from(tag_len).map_err(|_| InvalidParams)?,
        costs.m,
        costs.t,
        VERSION,
        ARGON2ID as u32,
    ] {
        digest.update(n.to_le_bytes());
    }
    for field in [
        inputs.password,
        inputs.salt,
        inputs.secret,
        inputs.associated_data,
    ] {
        digest.update(le32(field.len())?);
        digest.update(field);
    }
    Ok(digest.finalize().into())
}

/// A length as 4 little-endian bytes.
fn le32(n: usize) -> Result<[u8; 4]> {
    u32::try_from(n)
        .map(u32::to_le_bytes)
        .map_err(|_| InvalidParams)
}

/// The variable-length hash H' (RFC 9106 §3.3) of the concatenated `inputs`, `out.len()` bytes.
fn h_prime(inputs: &[&[u8]], out: &mut [u8]) -> Result<()> {
    let len = le32(out.len())?;
    if out.len() <= 64 {
        let mut hasher = Blake2bVarCore::new(out.len()).map_err(|_| InvalidParams)?;
        let mut buffer = LazyBuffer::new(&len);
        for input in inputs {
            buffer.digest_blocks(input, |blocks| hasher.update_blocks(blocks));
        }
        let mut full = Default::default();
        hasher.finalize_variable_core(&mut buffer, &mut full);
        out.copy_from_slice(full.get(..out.len()).ok_or(InvalidParams)?);
        return Ok(());
    }
    let mut digest = Blake2b512::new();
    digest.update(len);
    for input in inputs {
        digest.update(input);
    }
    // V1, then V2 = H(V1), ...: the first 32 bytes of each go out, the last one whole.
    let mut v = digest.finalize();
    let mut rest = out;
    loop {
        let (chunk, tail) = rest.split_at_mut(32);
        chunk.copy_from_slice(v.get(..32).ok_or(InvalidParams)?);
        rest = tail;
        if rest.len() <= 64 {
            break;
        }
        v = Blake2b512::digest(v);
    }
    let mut hasher = Blake2bVarCore::new(rest.len()).map_err(|_| InvalidParams)?;
    let mut buffer = LazyBuffer::new(&v);
    let mut full = Default::default();
    hasher.finalize_variable_core(&mut buffer, &mut full);
    rest.copy_from_slice(full.get(..rest.len()).ok_or(InvalidParams)?);
    v.zeroize();
    Ok(())
}

/// The block function in use (wasm SIMD128 when compiled with `simd128`, else portable): for tests.
#[doc(hidden)]
pub fn compress_in_use(prev: &Block, reference: &Block, cur: &mut Block, xor: bool) {
    compress(prev, reference, cur, xor);
}

/// The portable block function: for tests that compare it with [`compress_in_use`].
#[doc(hidden)]
pub fn compress_portable(prev: &Block, reference: &Block, cur: &mut Block, xor: bool) {
    block::compress(prev, reference, cur, xor);
}

/// This thread's kept memory: its length in blocks and whether it is all zero (wiped): for tests.
#[doc(hidden)]
pub fn kept_memory() -> (usize, bool) {
    MEMORY
        .try_with(|memory| {
            let memory = memory.borrow();
            (memory.len(), memory.iter().flatten().all(|&w| w == 0))
        })
        .unwrap_or((0, false))
}

/// Fills the first `blocks` blocks of this thread's kept memory with `word`, as leftovers of an
/// earlier call would be without the wipe: for tests that the next call does not depend on what
/// the memory held.
#[doc(hidden)]
pub fn scribble_kept_memory(word: u64, blocks: usize) {
    let _ = MEMORY.try_with(|memory| {
        let mut memory = memory.borrow_mut();
        memory
            .iter_mut()
            .take(blocks)
            .flatten()
            .for_each(|w| *w = word);
    });
}
