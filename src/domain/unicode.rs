//! The Unicode the name rules need ([`super::name`]): NFC and NFD (UAX #15), full case folding, and
//! two character classes, over compact tables ([`super::unicode_tables`], generated at build
//! time by `build.rs`). They replace the crates `unicode-normalization`, `caseless` and
//! `unicode-properties`, whose tables were most of the wasm's data (≈ 180 KB); the tests compare
//! both for every code point, and the algorithms on random strings.

use super::unicode_tables::{
    CASE_FOLD_DELTAS, CASE_FOLD_LENGTHS, CASE_FOLD_MULTI, CASE_FOLD_STARTS, COMBINING_CLASSES,
    COMBINING_LENGTHS, COMBINING_STARTS, COMPOSITION_GROUPS, COMPOSITIONS, DECOMPOSED,
    DECOMPOSITION_LAST, DECOMPOSITION_PREFIX_HIGH, DECOMPOSITION_PREFIX_LOW, FORBIDDEN, LASTS,
    VISIBLE, varint,
};

// Hangul syllables (Unicode § 3.12): composed and decomposed by arithmetic, not by table.
const S_BASE: u32 = 0xAC00;
const L_BASE: u32 = 0x1100;
const V_BASE: u32 = 0x1161;
const T_BASE: u32 = 0x11A7;
const L_COUNT: u32 = 19;
const V_COUNT: u32 = 21;
const T_COUNT: u32 = 28;
const N_COUNT: u32 = V_COUNT * T_COUNT;
const S_COUNT: u32 = L_COUNT * N_COUNT;

/// A control, format character (bidi controls, zero-width characters, the BOM), line or paragraph
/// separator, or Hangul filler: general category `Cc`, `Cf`, `Cs`, `Zl`, `Zp`, or a filler.
pub(super) fn forbidden(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    FORBIDDEN.inside(u32::from(c))
}

/// A letter, number, punctuation mark, symbol or private-use character (general categories `L*`,
/// `N*`, `P*`, `S*`, `Co`), but not a Hangul filler.
pub(super) fn visible(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_graphic();
    }
    VISIBLE.inside(u32::from(c))
}

/// The canonical combining class of `c` (0 for starters).
fn combining_class(c: char) -> u8 {
    let c = u32::from(c);
    if c < 0x300 {
        return 0; // the first combining mark is U+0300
    }
    match COMBINING_STARTS.at_or_below(c) {
        Some((i, first))
            if COMBINING_LENGTHS
                .get(i)
                .is_some_and(|&len| c - first <= u32::from(len)) =>
        {
            COMBINING_CLASSES.get(i).copied().unwrap_or(0)
        }
        _ => 0,
    }
}

/// The decomposition of the `i`-th [`DECOMPOSED`] character `c`: its prefix, whose full
/// decomposition starts that of `c`, and the character that follows it (if any).
fn decomposition(i: usize, c: u32) -> Option<(char, Option<char>)> {
    let last = *DECOMPOSITION_LAST.get(i)?;
    let prefix = (c >> 16 ^ if last & 0x80 == 0 { 0 } else { 2 }) << 16
        | u32::from(*DECOMPOSITION_PREFIX_HIGH.get(i)?) << 8
        | u32::from(*DECOMPOSITION_PREFIX_LOW.get(i)?);
    let after = match usize::from(last & 0x7F).checked_sub(1) {
        Some(j) => Some(char::from_u32(*LASTS.get(j)?)?),
        None => None,
    };
    Some((char::from_u32(prefix)?, after))
}

/// Appends the full canonical decomposition of `c` to `out`.
fn decompose(c: char, out: &mut Vec<char>) {
    if c < '\u{C0}' {
        out.push(c); // the first decomposable character is U+00C0
        return;
    }
    let s = u32::from(c).wrapping_sub(S_BASE);
    if s < S_COUNT {
        let jamo = [
            L_BASE + s / N_COUNT,
            V_BASE + (s % N_COUNT) / T_COUNT,
            T_BASE + s % T_COUNT,
        ];
        let len = if s % T_COUNT == 0 { 2 } else { 3 };
        out.extend(jamo.iter().take(len).filter_map(|&j| char::from_u32(j)));
        return;
    }
    let found = DECOMPOSED
        .index_of(u32::from(c))
        .and_then(|i| decomposition(i, u32::from(c)));
    match found {
        Some((prefix, after)) => {
            decompose(prefix, out);
            out.extend(after);
        }
        None => out.push(c),
    }
}

/// The primary composite of `a` and `b`, if canonical composition makes one.
fn compose_pair(a: char, b: char) -> Option<char> {
    let (x, y) = (u32::from(a), u32::from(b));
    if (L_BASE..L_BASE + L_COUNT).contains(&x) && (V_BASE..V_BASE + V_COUNT).contains(&y) {
        return char::from_u32(S_BASE + ((x - L_BASE) * V_COUNT + (y - V_BASE)) * T_COUNT);
    }
    let s = x.wrapping_sub(S_BASE);
    if s < S_COUNT && s % T_COUNT == 0 && (T_BASE + 1..T_BASE + T_COUNT).contains(&y) {
        return char::from_u32(x + (y - T_BASE));
    }
    let j = LASTS.binary_search(&y).ok()?;
    let group = COMPOSITIONS.get(
        usize::from(*COMPOSITION_GROUPS.get(j)?)..usize::from(*COMPOSITION_GROUPS.get(j + 1)?),
    )?;
    let (mut pos, mut i) = (0, 0);
    while pos < group.len() {
        i += varint(group, &mut pos) as usize;
        // The low 16 bits of the prefix first: the plane needs the composite, which costs a scan.
        if DECOMPOSITION_PREFIX_LOW.get(i) == Some(&(x as u8))
            && DECOMPOSITION_PREFIX_HIGH.get(i) == Some(&((x >> 8) as u8))
        {
            let c = DECOMPOSED.get(i)?;
            if decomposition(i, c).is_some_and(|(prefix, _)| prefix == a) {
                return char::from_u32(c);
            }
        }
    }
    None
}

/// Canonical decomposition (NFD): full decompositions, then non-starters in canonical order.
pub(super) fn nfd(chars: impl Iterator<Item = char>) -> Vec<char> {
    let mut out = Vec::new();
    for c in chars {
        decompose(c, &mut out);
    }
    canonical_order(&mut out);
    out
}

/// Sorts each run of non-starters by combining class, keeping the order of equal classes: one
/// pass per class present in the run (at most 254), so linear in the text, and no generic sort
/// in the wasm (not generic itself: one copy for every caller of [`nfd`]).
fn canonical_order(text: &mut [char]) {
    let mut start = 0;
    while start < text.len() {
        let run: Vec<(u8, char)> = text
            .get(start..)
            .unwrap_or_default()
            .iter()
            .map(|&c| (combining_class(c), c))
            .take_while(|&(class, _)| class != 0)
            .collect();
        if run
            .windows(2)
            .any(|w| matches!(w, [(a, _), (b, _)] if a > b))
        {
            let lowest = run.iter().map(|&(class, _)| class).min().unwrap_or(1);
            let highest = run.iter().map(|&(class, _)| class).max().unwrap_or(0);
            let mut slots = text.get_mut(start..).unwrap_or_default().iter_mut();
            for class in lowest..=highest {
                for &(k, c) in &run {
                    if k == class
                        && let Some(slot) = slots.next()
                    {
                        *slot = c;
                    }
                }
            }
        }
        start += run.len().max(1);
    }
}

/// Canonical composition (NFC) of any text: NFD, then each character joins the last starter
/// when it is not blocked from it and the two have a primary composite.
pub(super) fn nfc(chars: impl Iterator<Item = char>) -> String {
    compose(nfd(chars))
}

/// Canonical composition of text in NFD (not generic: one copy for every caller of [`nfc`]).
fn compose(nfd: Vec<char>) -> String {
    let mut out = String::new();
    // The last starter that may still compose, and the characters after it.
    let mut starter: Option<char> = None;
    let mut pending: Vec<char> = Vec::new();
    // The class of the last character after the starter (None: none yet, so not blocked).
    let mut last_class: Option<u8> = None;
    for c in nfd {
        let class = combining_class(c);
        let Some(k) = starter else {
            if class == 0 {
                starter = Some(c);
            } else {
                out.push(c);
            }
            continue;
        };
        let blocked = last_class.is_some_and(|l| l >= class);
        if !blocked && let Some(composite) = compose_pair(k, c) {
            starter = Some(composite);
            continue;
        }
        if class == 0 {
            out.push(k);
            out.extend(pending.drain(..));
            starter = Some(c);
            last_class = None;
        } else {
            pending.push(c);
            last_class = Some(class);
        }
    }
    out.extend(starter);
    out.extend(pending);
    out
}

/// Full case folding (`C` + `F` of `CaseFolding.txt`) of one character, into `out`.
pub(super) fn case_fold(c: char, out: &mut Vec<char>) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase()); // ASCII folds A-Z only
        return;
    }
    let cp = u32::from(c);
    if let Ok(i) = CASE_FOLD_MULTI.binary_search_by_key(&cp, |&(k, _)| k) {
        if let Some((_, folded)) = CASE_FOLD_MULTI.get(i) {
            out.extend(folded.iter().copied().filter(|&f| f != '\0'));
        }
        return;
    }
    if let Some((i, first)) = CASE_FOLD_STARTS.at_or_below(cp)
        && let (Some(&len), Some(&delta)) = (CASE_FOLD_LENGTHS.get(i), CASE_FOLD_DELTAS.get(i))
    {
        let step = if len & 0x8000 == 0 { 1 } else { 2 };
        let offset = cp - first;
        if offset <= u32::from(len & 0x7FFF)
            && offset % step == 0
            && let Some(folded) = cp.checked_add_signed(delta).and_then(char::from_u32)
        {
            out.push(folded);
            return;
        }
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    //! The tables and algorithms against the crates they replace (dev-dependencies): every code
    //! point for the tables, random strings for the algorithms.
    use super::*;
    use caseless::Caseless;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char as un;
    use unicode_properties::{GeneralCategory as Gc, GeneralCategoryGroup, UnicodeGeneralCategory};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const HANGUL_FILLERS: [char; 4] = ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}'];

    fn all_chars() -> impl Iterator<Item = char> {
        (0..=0x10_FFFF).filter_map(char::from_u32)
    }

    fn full_decomposition(c: char) -> Vec<char> {
        let mut d = Vec::new();
        un::decompose_canonical(c, |x| d.push(x));
        d
    }

    #[test]
    fn character_classes_equal_unicode_properties_for_every_code_point() {
        for c in all_chars() {
            let gc = c.general_category();
            let filler = HANGUL_FILLERS.contains(&c);
            let reference_forbidden = matches!(
                gc,
                Gc::Control
                    | Gc::Format
                    | Gc::Surrogate
                    | Gc::LineSeparator
                    | Gc::ParagraphSeparator
            ) || filler;
            let reference_visible = (matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Letter
                    | GeneralCategoryGroup::Number
                    | GeneralCategoryGroup::Punctuation
                    | GeneralCategoryGroup::Symbol
            ) || gc == Gc::PrivateUse)
                && !filler;
            assert_eq!(forbidden(c), reference_forbidden, "{c:?}");
            assert_eq!(visible(c), reference_visible, "{c:?}");
        }
    }

    #[test]
    fn classes_and_decompositions_equal_unicode_normalization_for_every_code_point() {
        let mut mine = Vec::new();
        for c in all_chars() {
            assert_eq!(
                combining_class(c),
                un::canonical_combining_class(c),
                "{c:?}"
            );
            mine.clear();
            decompose(c, &mut mine);
            assert_eq!(mine, full_decomposition(c), "{c:?}");
        }
    }

    /// If canonical composition makes `c` of `a` and `b`, the full decompositions of `a` and `b`
    /// make that of `c`: so every pair that composes is one of these splits of a decomposition.
    /// Every split is checked, and our composition only ever joins such a split.
    #[test]
    fn compositions_equal_unicode_normalization_for_every_pair_that_could_compose() {
        let decomposable: Vec<(char, Vec<char>)> = all_chars()
            .map(|c| (c, full_decomposition(c)))
            .filter(|(c, d)| d != &[*c])
            .collect();
        let mut by_decomposition: HashMap<&[char], Vec<char>> = HashMap::new();
        for (c, d) in &decomposable {
            by_decomposition.entry(d.as_slice()).or_default().push(*c);
        }
        // The characters whose full decomposition is `part`.
        let spelling = |part: &[char]| {
            let mut v = by_decomposition.get(part).cloned().unwrap_or_default();
            if let [single] = part {
                v.push(*single);
            }
            v
        };
        let mut pairs = 0;
        for (_, d) in &decomposable {
            for split in 1..d.len() {
                for a in spelling(&d[..split]) {
                    for b in spelling(&d[split..]) {
                        assert_eq!(compose_pair(a, b), un::compose(a, b), "{a:?} {b:?}");
                        pairs += 1;
                    }
                }
            }
        }
        assert!(pairs > 12_000, "{pairs}");
        // And our composition joins nothing else: each pair it joins is such a split.
        let mut joins = 0;
        for (j, &last) in LASTS.iter().enumerate() {
            let group = &COMPOSITIONS
                [usize::from(COMPOSITION_GROUPS[j])..usize::from(COMPOSITION_GROUPS[j + 1])];
            let (mut pos, mut i) = (0, 0);
            while pos < group.len() {
                i += varint(group, &mut pos) as usize;
                let c = DECOMPOSED.get(i).unwrap();
                let (a, b) = decomposition(i, c).unwrap();
                assert_eq!(b.map(u32::from), Some(last), "{c:X}");
                let mut joined = full_decomposition(a);
                joined.extend(b);
                assert_eq!(
                    joined,
                    full_decomposition(char::from_u32(c).unwrap()),
                    "{c:X}"
                );
                joins += 1;
            }
        }
        assert!(joins > 900, "{joins}");
    }

    #[test]
    fn case_folding_equals_caseless_for_every_code_point() {
        let mut mine = Vec::new();
        for c in all_chars() {
            mine.clear();
            case_fold(c, &mut mine);
            let reference: Vec<char> = std::iter::once(c).default_case_fold().collect();
            assert_eq!(mine, reference, "{c:?}");
        }
    }

    /// Characters that exercise normalisation: starters that compose, combining marks of several
    /// classes (some blocked, some not), Hangul jamo and syllables, singletons, case pairs.
    fn interesting() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::sample::select(vec![
                'a',
                'A',
                'e',
                'E',
                'o',
                'u',
                'i',
                'I',
                's',
                'S',
                'k',
                'K',
                ' ',
                'ß',
                'ẞ',
                'Å',
                'Ω',
                '\u{212B}',
                '\u{2126}',
                '\u{212A}',
                'ǰ',
                'ΐ',
                'ﬀ',
                'Σ',
                'σ',
                'ς',
                'ι',
                '\u{345}',
                '\u{300}',
                '\u{301}',
                '\u{302}',
                '\u{308}',
                '\u{30A}',
                '\u{323}',
                '\u{327}',
                '\u{328}',
                '\u{31B}',
                '\u{334}',
                '\u{35C}',
                '\u{5B0}',
                '\u{0F71}',
                '\u{0F72}',
                '\u{0F80}',
                '\u{1100}',
                '\u{1161}',
                '\u{11A7}',
                '\u{11A8}',
                '\u{AC00}',
                '\u{AC01}',
                '\u{0CC6}',
                '\u{0CC2}',
                '\u{0CD5}',
                '\u{0DD9}',
                '\u{0DCF}',
                '\u{0DCA}',
                '\u{1025}',
                '\u{102E}',
                '\u{1D157}',
                '\u{1D165}',
                '\u{1D16E}',
                '\u{FB1D}',
                '\u{F900}',
                '\u{2F800}',
                '\u{0344}',
                '\u{0F73}',
                '\u{1FEE}',
                '\u{0385}',
                'Ǖ',
                'ǖ',
                'ü',
                '\u{304}',
                '\u{FE0F}',
                '\u{34F}',
                '\u{200C}',
                '\u{200D}',
                '\u{11099}',
                '\u{110BA}',
                '\u{1E9B}',
                '\u{1E0}',
            ]),
            any::<char>(),
            (0x300u32..0x370).prop_map(|c| char::from_u32(c).unwrap()),
            (0xAC00u32..0xAC60).prop_map(|c| char::from_u32(c).unwrap()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(target_arch = "wasm32") { 300 } else { 3000 }))]
        /// NFD, NFC and the name key equal those of the crates on random text.
        #[test]
        fn normal_forms_equal_unicode_normalization(text in prop::collection::vec(interesting(), 0..12)) {
            let s: String = text.iter().collect();
            prop_assert_eq!(nfd(s.chars()), s.nfd().collect::<Vec<char>>());
            prop_assert_eq!(nfc(s.chars()), s.nfc().collect::<String>());
            let reference: String = s
                .trim()
                .chars()
                .nfd()
                .default_case_fold()
                // The default-ignorable marks, and the joiners (U+200C, U+200D) the names ignore.
                .filter(|&c| !matches!(c, '\u{034F}' | '\u{17B4}'..='\u{17B5}' | '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{200C}' | '\u{200D}'))
                .nfc()
                .collect();
            prop_assert_eq!(super::super::name::name_key(&s), reference);
        }
    }
}
