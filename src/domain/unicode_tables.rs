//! The compact Unicode tables of the name rules, generated at build time by `build.rs` from
//! unicode-normalization, unicode-properties and caseless (build-dependencies: their own tables are
//! not linked). Checked against the same crates for every code point by the tests of
//! [`super::unicode`].
//!
//! Sorted code point lists are [`Deltas`]: LEB128 varints of the distances between neighbours,
//! which take one byte for most entries (and compress well), with a whole value every
//! [`DELTAS_CHUNK`] entries so that a search is a binary search of those and a short scan.

include!(concat!(env!("OUT_DIR"), "/unicode_tables.rs"));

/// How many entries of a [`Deltas`] share one chunk (as in `build.rs`).
const DELTAS_CHUNK: usize = 16;

/// A strictly increasing list of code points, as written by `build.rs`'s `print_deltas`.
pub(super) struct Deltas {
    /// Every [`DELTAS_CHUNK`]-th entry, whole: the first entry of each chunk.
    heads: &'static [u32],
    /// The offset in `bytes` of each chunk's other entries.
    chunks: &'static [u16],
    /// The other entries, each the LEB128 varint of its distance from the one before.
    bytes: &'static [u8],
}

/// Reads the LEB128 varint at `*pos` of `bytes` and moves `*pos` past it (0 past the end).
pub(super) fn varint(bytes: &[u8], pos: &mut usize) -> u32 {
    let mut value = 0u32;
    let mut shift = 0u32;
    while let Some(&byte) = bytes.get(*pos) {
        *pos += 1;
        value |= u32::from(byte & 0x7F).wrapping_shl(shift);
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    value
}

impl Deltas {
    /// The entries of chunk `k`, with their indexes.
    fn entries(&self, k: usize) -> impl Iterator<Item = (usize, u32)> {
        let start = self.chunks.get(k).map_or(self.bytes.len(), |&s| usize::from(s));
        let end = self
            .chunks
            .get(k + 1)
            .map_or(self.bytes.len(), |&e| usize::from(e));
        let bytes = self.bytes.get(start..end).unwrap_or_default();
        let head = self.heads.get(k).copied();
        let mut pos = 0;
        let mut value = head.unwrap_or(0);
        let rest = core::iter::from_fn(move || {
            (pos < bytes.len()).then(|| {
                value = value.wrapping_add(varint(bytes, &mut pos));
                value
            })
        });
        head.into_iter().chain(rest).zip(k * DELTAS_CHUNK..).map(|(v, i)| (i, v))
    }

    /// The last entry at or below `x` and its index, if any: a binary search of the chunks' first
    /// entries, then a scan of one chunk.
    pub(super) fn at_or_below(&self, x: u32) -> Option<(usize, u32)> {
        let k = self.heads.partition_point(|&head| head <= x);
        self.entries(k.checked_sub(1)?)
            .take_while(|&(_, value)| value <= x)
            .last()
    }

    /// The index of `x`, if it is an entry.
    pub(super) fn index_of(&self, x: u32) -> Option<usize> {
        self.at_or_below(x)
            .and_then(|(i, value)| (value == x).then_some(i))
    }

    /// The entry at index `i`, if any.
    pub(super) fn get(&self, i: usize) -> Option<u32> {
        self.entries(i / DELTAS_CHUNK)
            .nth(i % DELTAS_CHUNK)
            .map(|(_, value)| value)
    }

    /// Whether `x` is inside one of the ranges that the entries start (even indexes) and end (odd).
    pub(super) fn inside(&self, x: u32) -> bool {
        self.at_or_below(x).is_some_and(|(i, _)| i % 2 == 0)
    }

}
