//! Password normalisation: any text either is refused or normalises to 24 letters that display and
//! normalise back to themselves.
#![no_main]

use app_passwords::domain::{Error, format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    match format::normalize(input) {
        Ok(password) => {
            assert_eq!(password.as_str().len(), format::LETTERS);
            assert!(password.as_str().bytes().all(|b| b.is_ascii_lowercase()));
            assert_eq!(format::normalize(&password.display()).ok(), Some(password));
        }
        Err(Error::MalformedPassword(_) | Error::BadChecksum) => {}
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
