//! The app password format: 24 lowercase letters, shown in six groups of four.
//!
//! ```text
//! qxmt-bkwa-pfje-lrzu-nvcd-hsoy
//! └──────── 20 random ─────┘└ 4 ┘ check letters
//! ```
//!
//! - The first [`RANDOM_LETTERS`] letters are drawn uniformly from `a`–`z` by a CSPRNG:
//!   20 × log2(26) ≈ 94.0 bits.
//! - The last [`CHECK_LETTERS`] letters are a checksum. Read all 24 letters as one base-26 number `N`
//!   (`a` = 0 … `z` = 25, first letter most significant); a password is valid when
//!   `N mod 456959 == 0`, where [`CHECK_PRIME`] = 456 959 is the largest prime below 26⁴. Like IBAN's
//!   mod-97 check, this catches **every** single-letter substitution (it changes `N` by `d·26ᵏ` with
//!   0 < |d| < 26, which the prime cannot divide) and **every** swap of two adjacent different letters
//!   (it changes `N` by `25·(a−b)·26ᵏ`), and lets only about 1 in 456 959 random strings through.
//! - Input is normalised before checking: ASCII case is ignored, as are spaces and dashes.
//!
//! The checksum is public: it protects against typos, not guessing. Guessing is defeated by the 94 bits.

use super::error::{Error, Malformed, Result};
use super::random::Entropy;
use core::fmt;
use zeroize::Zeroize;

/// Letters drawn at random.
pub const RANDOM_LETTERS: usize = 20;
/// Letters of checksum at the end.
pub const CHECK_LETTERS: usize = 4;
/// Letters in an app password.
pub const LETTERS: usize = RANDOM_LETTERS + CHECK_LETTERS;
/// Letters per group in the display form.
pub const GROUP: usize = 4;
/// The modulus of the checksum: the largest prime below 26⁴.
pub const CHECK_PRIME: u64 = 456_959;
/// Inputs longer than this (in bytes) are rejected before looking at them.
const MAX_INPUT_BYTES: usize = 256;

/// A well-formed app password in normalised form (24 lowercase letters, checksum valid).
///
/// The plaintext is wiped from memory on drop and never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Generates a new app password from `rng`.
    ///
    /// # Errors
    /// [`Error::RandomUnavailable`] if `rng` fails.
    pub fn generate(rng: &mut impl Entropy) -> Result<Self> {
        let mut letters = Vec::with_capacity(LETTERS);
        let mut buf = [0u8; 32];
        while letters.len() < RANDOM_LETTERS {
            rng.fill(&mut buf)?;
            // Rejection sampling keeps the letters uniform: 234 = 9 × 26.
            letters.extend(buf.iter().filter(|&&b| b < 234).map(|&b| b % 26));
            letters.truncate(RANDOM_LETTERS);
        }
        buf.zeroize();
        let check = (CHECK_PRIME - remainder(&letters, CHECK_LETTERS)) % CHECK_PRIME;
        let mut rest = check;
        let mut tail = [0u8; CHECK_LETTERS];
        for slot in tail.iter_mut().rev() {
            *slot = u8::try_from(rest % 26).unwrap_or(0);
            rest /= 26;
        }
        letters.extend_from_slice(&tail);
        let text = letters.iter().map(|&v| char::from(b'a' + v)).collect();
        letters.zeroize();
        Ok(Self(text))
    }

    /// The normalised form: 24 lowercase letters, no separators. This is what gets hashed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown to people: groups of four letters joined by dashes.
    ///
    /// ```
    /// use app_passwords::domain::format::{normalize, Password};
    /// let p = Password::generate(&mut app_passwords::domain::random::TestEntropy::new(1)).unwrap();
    /// assert_eq!(p.display().len(), 29);
    /// assert_eq!(normalize(&p.display()).unwrap(), p);
    /// ```
    #[must_use]
    pub fn display(&self) -> String {
        let mut out = String::with_capacity(LETTERS + LETTERS / GROUP);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Parses what a person typed into a [`Password`].
///
/// Case, spaces and dashes are ignored. The errors are distinct so a login form can say what is wrong:
///
/// # Errors
/// - [`Error::MalformedPassword`]`(`[`Malformed::InvalidCharacter`]`)`: something other than letters,
///   spaces and dashes;
/// - [`Error::MalformedPassword`]`(`[`Malformed::WrongLength`]`)`: not 24 letters;
/// - [`Error::BadChecksum`]: 24 letters that are not an app password (a typo).
pub fn normalize(input: &str) -> Result<Password> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(Error::MalformedPassword(Malformed::WrongLength));
    }
    let mut letters = Vec::with_capacity(LETTERS);
    for c in input.chars() {
        match c {
            ' ' | '-' => {}
            'a'..='z' | 'A'..='Z' => letters.push(c.to_ascii_lowercase() as u8 - b'a'),
            _ => {
                letters.zeroize();
                return Err(Error::MalformedPassword(Malformed::InvalidCharacter));
            }
        }
    }
    let result = if letters.len() != LETTERS {
        Err(Error::MalformedPassword(Malformed::WrongLength))
    } else if remainder(&letters, 0) != 0 {
        Err(Error::BadChecksum)
    } else {
        Ok(Password(
            letters.iter().map(|&v| char::from(b'a' + v)).collect(),
        ))
    };
    letters.zeroize();
    result
}

/// `(digits · 26^shift) mod CHECK_PRIME`, reading `digits` (values 0–25) as a base-26 number.
fn remainder(digits: &[u8], shift: usize) -> u64 {
    let value = digits
        .iter()
        .fold(0u64, |acc, &d| (acc * 26 + u64::from(d)) % CHECK_PRIME);
    (0..shift).fold(value, |acc, _| acc * 26 % CHECK_PRIME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::TestEntropy;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sample(seed: u64) -> Password {
        Password::generate(&mut TestEntropy::new(seed)).unwrap()
    }

    #[test]
    fn generated_password_is_24_lowercase_letters_shown_in_six_groups() {
        let p = sample(7);
        assert_eq!(p.as_str().len(), LETTERS);
        assert!(p.as_str().bytes().all(|b| b.is_ascii_lowercase()));
        let shown = p.display();
        assert_eq!(shown.split('-').count(), LETTERS / GROUP);
        assert!(shown.split('-').all(|g| g.len() == GROUP));
    }

    #[test]
    fn normalize_ignores_case_spaces_and_dashes() {
        let p = sample(8);
        let messy = format!(" {} ", p.display().to_uppercase().replace('-', " - "));
        assert_eq!(normalize(&messy).unwrap(), p);
    }

    #[test]
    fn normalize_rejects_wrong_length() {
        let p = sample(9);
        let short = &p.as_str()[..LETTERS - 1];
        assert_eq!(
            normalize(short),
            Err(Error::MalformedPassword(Malformed::WrongLength))
        );
        let long = format!("{}a", p.as_str());
        assert_eq!(
            normalize(&long),
            Err(Error::MalformedPassword(Malformed::WrongLength))
        );
        assert_eq!(
            normalize(""),
            Err(Error::MalformedPassword(Malformed::WrongLength))
        );
        let huge = "a".repeat(10_000);
        assert_eq!(
            normalize(&huge),
            Err(Error::MalformedPassword(Malformed::WrongLength))
        );
    }

    #[test]
    fn normalize_rejects_wrong_characters() {
        let p = sample(10);
        for bad in ['1', '_', 'é', '\n', '.'] {
            let mut s = p.as_str().to_owned();
            s.replace_range(3..4, &bad.to_string());
            assert_eq!(
                normalize(&s),
                Err(Error::MalformedPassword(Malformed::InvalidCharacter)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn normalize_rejects_a_wrong_checksum() {
        let p = sample(11);
        let mut s = p.as_str().to_owned().into_bytes();
        s[0] = if s[0] == b'a' { b'b' } else { b'a' };
        let s = String::from_utf8(s).unwrap();
        assert_eq!(normalize(&s), Err(Error::BadChecksum));
    }

    #[test]
    fn generation_uses_the_whole_alphabet_uniformly_enough() {
        let mut counts = [0u32; 26];
        let mut rng = TestEntropy::new(12);
        for _ in 0..2_000 {
            let p = Password::generate(&mut rng).unwrap();
            for b in p.as_str()[..RANDOM_LETTERS].bytes() {
                counts[usize::from(b - b'a')] += 1;
            }
        }
        // 40 000 letters: each expected 1538; a bias of the modulo kind (e.g. 256 % 26) would show.
        for (i, &c) in counts.iter().enumerate() {
            assert!((1_350..1_730).contains(&c), "letter {i} seen {c} times");
        }
    }

    #[test]
    fn random_part_carries_at_least_80_bits() {
        let bits = RANDOM_LETTERS as f64 * 26f64.log2();
        assert!(bits >= 80.0, "{bits}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = sample(13);
        assert!(!format!("{p:?}").contains(p.as_str()));
    }
}
