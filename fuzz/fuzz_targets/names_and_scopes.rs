//! Names and scopes: a checked name is stable under re-checking, within the bound, and keeps its
//! key; scopes parse to a sorted set of known protocols or are refused.
#![no_main]

use app_passwords::domain::rules::{MAX_NAME_CHARS, Protocol, name_key, parse_scopes, valid_name};
use app_passwords::domain::{Error, UserId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, Vec<&str>)| {
    let (name, scopes) = input;
    match valid_name(name) {
        Ok(stored) => {
            assert!((1..=MAX_NAME_CHARS).contains(&stored.chars().count()));
            assert_eq!(valid_name(&stored).as_ref(), Ok(&stored), "idempotent");
            assert_eq!(
                name_key(&stored),
                name_key(&valid_name(&stored).unwrap_or_default())
            );
            assert!(!stored.chars().any(char::is_control));
        }
        Err(e) => assert_eq!(e, Error::InvalidName),
    }
    let _ = name_key(name);
    match parse_scopes(&scopes) {
        Ok(parsed) => {
            assert!(parsed.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
            assert!(scopes.iter().all(|s| Protocol::parse(s).is_ok()));
        }
        Err(e) => assert_eq!(e, Error::InvalidScope),
    }
    match UserId::new(name) {
        Ok(id) => assert_eq!(id.as_str(), name),
        Err(e) => assert_eq!(e, Error::InvalidUser),
    }
});
