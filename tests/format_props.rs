//! Property tests of the app password format (README § Password format). Run natively and, through
//! wasm-bindgen-test, as wasm in Node.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use app_passwords::domain::format::{LETTERS, Password, normalize};
use app_passwords::domain::random::{SystemEntropy, TestEntropy};
use app_passwords::domain::{Error, Malformed};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config(cases: u32) -> Config {
    // No failure files: the wasm run has no file system.
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn valid(seed: u64) -> String {
    Password::generate(&mut TestEntropy::new(seed))
        .unwrap()
        .as_str()
        .to_owned()
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn every_single_letter_substitution_fails_the_checksum(seed in any::<u64>()) {
        let good = valid(seed).into_bytes();
        for i in 0..LETTERS {
            for letter in b'a'..=b'z' {
                if letter == good[i] {
                    continue;
                }
                let mut typo = good.clone();
                typo[i] = letter;
                let typo = String::from_utf8(typo).unwrap();
                prop_assert_eq!(normalize(&typo), Err(Error::BadChecksum), "position {}", i);
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_fails_the_checksum(seed in any::<u64>()) {
        let good = valid(seed).into_bytes();
        for i in 0..LETTERS - 1 {
            if good[i] == good[i + 1] {
                continue; // swapping equal letters changes nothing
            }
            let mut swapped = good.clone();
            swapped.swap(i, i + 1);
            let swapped = String::from_utf8(swapped).unwrap();
            prop_assert_eq!(normalize(&swapped), Err(Error::BadChecksum), "positions {}-{}", i, i + 1);
        }
    }

    #[test]
    fn generated_passwords_round_trip_through_display_and_messy_input(seed in any::<u64>(), upper in any::<bool>()) {
        let p = Password::generate(&mut TestEntropy::new(seed)).unwrap();
        let shown = p.display();
        prop_assert_eq!(&normalize(&shown).unwrap(), &p);
        let messy = if upper { shown.to_uppercase() } else { shown.replace('-', " ") };
        prop_assert_eq!(&normalize(&messy).unwrap(), &p);
    }

    #[test]
    fn strings_of_other_lengths_are_malformed(s in "[a-z]{0,23}|[a-z]{25,60}") {
        prop_assert_eq!(normalize(&s), Err(Error::MalformedPassword(Malformed::WrongLength)));
    }

    #[test]
    fn non_letters_are_malformed(prefix in "[a-z]{0,10}", bad in "[^a-zA-Z \\-]", suffix in "[a-z]{0,13}") {
        let s = format!("{prefix}{bad}{suffix}");
        prop_assert_eq!(normalize(&s), Err(Error::MalformedPassword(Malformed::InvalidCharacter)));
    }
}

proptest! {
    #![proptest_config(config(8))]

    #[test]
    fn at_least_999_in_1000_random_strings_of_the_right_length_fail(seed in any::<u64>()) {
        let mut rng = TestEntropy::new(seed);
        let samples = 20_000;
        let mut accepted = 0;
        for _ in 0..samples {
            let mut raw = [0u8; LETTERS];
            app_passwords::domain::random::Entropy::fill(&mut rng, &mut raw).unwrap();
            let s: String = raw.iter().map(|b| char::from(b'a' + b % 26)).collect();
            if normalize(&s).is_ok() {
                accepted += 1;
            }
        }
        prop_assert!(accepted * 1000 <= samples, "{} of {} random strings passed", accepted, samples);
    }
}

#[test]
fn system_entropy_generates_distinct_valid_passwords() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        let p = Password::generate(&mut SystemEntropy).unwrap();
        assert!(normalize(p.as_str()).is_ok());
        assert!(seen.insert(p.as_str().to_owned()), "repeat");
    }
}
