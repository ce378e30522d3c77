//! App-password names: what a user may call a device or app, and when two names are the same.
//!
//! A name is stored in Unicode NFC, trimmed, 1 to [`MAX_NAME_CHARS`] characters. It must show at
//! least one visible character (a letter, digit, punctuation mark or symbol), and it may not carry
//! control or format characters: no bidirectional overrides (U+202E) that make a list lie about
//! what it shows, no zero-width characters (U+200B, U+2060, U+FEFF) and no Hangul fillers (U+3164,
//! U+115F, U+1160, U+FFA0) that make two names look alike. The one exception is the pair of joiners
//! that real text needs: the zero-width non-joiner (U+200C, e.g. in Persian words) and the zero-width
//! joiner (U+200D, e.g. in emoji sequences such as 👩‍💻 and in Indic conjuncts) are accepted between
//! a character and a visible one (see [`JOINERS`]), never at either end or doubled.
//!
//! Two names are the same when their [`name_key`]s are equal: canonical caseless matching
//! (NFD, Unicode case folding, NFC), ignoring invisible variation selectors and joiners, so
//! `iPhone`, `IPHONE`, `iPh\u{200D}one` and `café` in NFC or NFD each name one app password.

use super::error::{Error, Result};
use super::unicode::{case_fold, forbidden, nfc, nfd, visible};

/// Longest name, in characters (Unicode scalar values, after NFC and trimming).
pub const MAX_NAME_CHARS: usize = 64;

/// Checks a submitted name and returns the form to store: NFC, trimmed.
///
/// ```
/// use app_passwords::domain::name::valid_name;
/// assert_eq!(valid_name("  Cafe\u{301} laptop ").unwrap(), "Café laptop");
/// assert!(valid_name("\u{200B}").is_err());
/// ```
///
/// # Errors
/// [`Error::InvalidName`]: empty after trimming, longer than [`MAX_NAME_CHARS`], no visible
/// character (a letter, digit, punctuation mark, symbol or private-use glyph; not a Hangul filler),
/// or a control, format, line-separator character or Hangul filler.
pub fn valid_name(name: &str) -> Result<String> {
    let nfc = nfc(name.chars());
    let name = nfc.trim();
    let chars: Vec<char> = name.chars().collect();
    if chars.is_empty() || chars.len() > MAX_NAME_CHARS || !allowed_characters(&chars) {
        return Err(Error::InvalidName);
    }
    if !name.chars().any(visible) {
        return Err(Error::InvalidName);
    }
    Ok(name.to_owned())
}

/// The zero-width non-joiner (U+200C) and joiner (U+200D): format characters that change how the
/// characters around them are drawn (Persian words, emoji sequences, Indic conjuncts), so a name may
/// carry one between a character that is not a joiner, control or space and a visible character.
pub const JOINERS: [char; 2] = ['\u{200C}', '\u{200D}'];

/// No control, format or separator character, except a joiner in a place where it joins.
fn allowed_characters(chars: &[char]) -> bool {
    chars.iter().enumerate().all(|(i, &c)| {
        if !JOINERS.contains(&c) {
            return !forbidden(c);
        }
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        before.is_some_and(|b| !forbidden(b) && !JOINERS.contains(&b) && !b.is_whitespace())
            && after.is_some_and(visible)
    })
}

/// The form two names are compared in: NFD, case-folded, NFC, without default-ignorable marks.
/// Names with equal keys are the same name.
///
/// ```
/// use app_passwords::domain::name::name_key;
/// assert_eq!(name_key("CAFÉ"), name_key("cafe\u{301}"));
/// assert_eq!(name_key("Straße"), name_key("STRASSE"));
/// ```
#[must_use]
pub fn name_key(name: &str) -> String {
    let mut folded = Vec::new();
    for c in nfd(name.trim().chars()) {
        case_fold(c, &mut folded);
    }
    nfc(folded
        .into_iter()
        .filter(|&c| !ignorable_mark(c) && !JOINERS.contains(&c)))
}

/// Default-ignorable combining marks (Unicode `Default_Ignorable_Code_Point` ∩ `Mn`): the combining
/// grapheme joiner, variation selectors, Khmer inherent vowels. They change nothing a reader sees,
/// so the key drops them.
fn ignorable_mark(c: char) -> bool {
    matches!(
        c,
        '\u{034F}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180D}'
            | '\u{180F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_are_stored_in_nfc_and_trimmed() {
        assert_eq!(valid_name(" cafe\u{301} ").unwrap(), "caf\u{E9}");
        assert_eq!(valid_name("iPhone 15").unwrap(), "iPhone 15");
    }

    #[test]
    fn names_without_a_visible_character_are_refused() {
        for name in [
            "",
            "   ",
            "\u{200B}",
            "\u{FEFF}",
            "\u{2060}",
            "\u{3164}",
            "\u{034F}",
            "\u{115F}\u{1160}",
            "\u{FFA0}",
            "\u{301}",
            "\u{00A0}\u{3000}",
            "\u{FE0F}",
        ] {
            assert_eq!(valid_name(name), Err(Error::InvalidName), "{name:?}");
        }
    }

    #[test]
    fn names_with_control_bidi_or_format_characters_are_refused() {
        for name in [
            "Tab\there",
            "line\nbreak",
            "evil\u{202E}gpj.exe",
            "rtl\u{2067}isolate",
            "zero\u{200B}width",
            "iPhone\u{200B}",
            "joiner\u{2060}",
            "bom\u{FEFF}",
            "soft\u{AD}hyphen",
            "filler\u{3164}",
            "line\u{2028}separator",
            "c1\u{85}control",
            // Joiners only between a character and a visible one: not at an end, not doubled,
            // not next to a space or another format character.
            "\u{200D}",
            "iPhone\u{200D}",
            "\u{200C}mail",
            "a\u{200D}\u{200D}b",
            "a\u{200C}\u{200D}b",
            "a \u{200D}b",
            "a\u{200D} b",
            "a\u{200B}\u{200D}b",
            "a\u{200D}\u{301}",
        ] {
            assert_eq!(valid_name(name), Err(Error::InvalidName), "{name:?}");
        }
    }

    #[test]
    fn ordinary_names_in_any_script_are_accepted() {
        for name in [
            "Outlook",
            "Thunderbird (home)",
            "Téléphone",
            "Ноутбук",
            "手机",
            "ﾌｫﾝ",
            "📱 phone",
            "❤\u{FE0F} mail",
            "한국어",
            "עברית",
            "x",
            // Joiners where real text needs them.
            "\u{1F469}\u{200D}\u{1F4BB} laptop",
            "\u{2764}\u{FE0F}\u{200D}\u{1F525}",
            "\u{1F469}\u{1F3FD}\u{200D}\u{1F4BB}",
            "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}",
            "\u{915}\u{94D}\u{200D}\u{937}",
        ] {
            assert!(valid_name(name).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn the_64_character_bound_counts_characters_after_nfc() {
        assert!(valid_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        // 64 × "e" + combining acute is 128 scalars before NFC, 64 after.
        assert!(valid_name(&"e\u{301}".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(
            valid_name(&"x".repeat(MAX_NAME_CHARS + 1)),
            Err(Error::InvalidName)
        );
    }

    #[test]
    fn keys_ignore_case_normal_form_and_invisible_marks() {
        assert_eq!(name_key("iPhone"), name_key("IPHONE"));
        assert_eq!(name_key("caf\u{E9}"), name_key("cafe\u{301}"));
        assert_eq!(name_key("Stra\u{DF}e"), name_key("strasse"));
        assert_eq!(
            name_key("\u{3A3}\u{391}\u{3A3}"),
            name_key("\u{3C3}\u{3B1}\u{3C2}")
        );
        assert_eq!(name_key("mail\u{FE0F}"), name_key("mail"));
        assert_eq!(name_key("a\u{34F}b"), name_key("ab"));
        assert_eq!(name_key("iPh\u{200D}one"), name_key("iPhone"));
        assert_eq!(
            name_key("\u{645}\u{6CC}\u{200C}\u{62E}"),
            name_key("\u{645}\u{6CC}\u{62E}")
        );
        assert_ne!(name_key("iPhone"), name_key("iPad"));
    }
}
