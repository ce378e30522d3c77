//! Session tokens: any text is a session or one of the three session errors; a token issued for
//! any user id verifies back to that user.
#![no_main]

use app_passwords::core::{Error, session};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzzing session secret, 32 bytes";
const NOW: i64 = 1_790_000_000;

fuzz_target!(|input: (&str, &str, i64)| {
    let (token, user, exp) = input;
    match session::verify(token, SECRET, NOW) {
        Ok(s) => assert!(!s.user.is_empty() && s.expires_at > NOW),
        Err(e) => assert!(
            matches!(
                e,
                Error::SessionInvalid | Error::SessionExpired | Error::SessionNotMfa
            ),
            "{e:?}"
        ),
    }
    if let Ok(issued) = session::issue(user, exp, &["mfa"], SECRET) {
        match session::verify(&issued, SECRET, NOW) {
            Ok(s) => assert_eq!(s.user, user),
            Err(e) => assert_eq!(e, Error::SessionExpired, "exp {exp}"),
        }
    }
});
