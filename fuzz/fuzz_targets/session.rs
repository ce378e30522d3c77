//! Sign-in input from outside: ID tokens (JWS parsing, key choice from a JWKS, claims), the sealed
//! transaction cookie and the session cookie. Anything is either accepted with a well-formed result
//! or refused with an error; nothing panics. A session cookie made for a user parses back to it.
#![no_main]

use app_passwords::domain::oidc::{Client, Jwt, Transaction, find_key, validate_claims};
use app_passwords::domain::session::SessionId;

use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"fuzzing session secret, 32 bytes";
const NOW: i64 = 1_790_000_000;

fuzz_target!(|input: (&str, &[u8], &str, &str)| {
    let (token, document, cookie, user) = input;
    let client = Client::new(Some("https://idp.example"), Some("app"), None, None);
    if let Ok(jwt) = Jwt::parse(token) {
        let _ = find_key(document, &jwt);
        if let Ok(client) = &client {
            if let Ok(identity) = validate_claims(&jwt.payload, client, "nonce", NOW) {
                assert!(!identity.user.is_empty());
            }
        }
    }
    if let Ok(client) = &client {
        let _ = validate_claims(document, client, "nonce", NOW);
    }
    let _ = Transaction::open(Some(cookie), KEY, user, NOW);
    if let Ok((parsed_user, _)) = SessionId::parse_cookie(cookie) {
        assert!(!parsed_user.is_empty());
    }
    let mut fill = |buf: &mut [u8]| {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = user.as_bytes().get(i).copied().unwrap_or(7);
        }
        Ok(())
    };
    if let Ok(id) = SessionId::new(&mut fill)
        && app_passwords::domain::rules::valid_user(user)
    {
        let (back, _) = SessionId::parse_cookie(&id.cookie_value(user)).expect("round trip");
        assert_eq!(back, user);
    }
});
