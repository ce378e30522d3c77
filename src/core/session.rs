//! Sessions of the self-service page: HS256 JSON Web Tokens signed with the session secret.
//!
//! The identity provider signs `{"sub": user, "exp": seconds, "amr": [..., "mfa", ...]}` with the
//! shared `SESSION_SECRET` and sends the user to the page with it. Only HS256 is accepted (never
//! `none`), the signature is compared in constant time, and a token without `"mfa"` in `amr` is
//! refused: app passwords are for users who signed in with MFA.

use super::error::{Error, Result};
use super::hash::constant_time_eq;
use super::rules::valid_user;
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Longest token accepted, in bytes.
const MAX_TOKEN_BYTES: usize = 4096;

/// A verified session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The user id (`sub`).
    pub user: String,
    /// Expiry, seconds since the Unix epoch (`exp`).
    pub expires_at: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    #[serde(default)]
    amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
}

fn mac(secret: &[u8], signing_input: &str) -> Result<Vec<u8>> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).map_err(|_| Error::InvalidSecret)?;
    mac.update(signing_input.as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

/// Verifies a session token at time `now`.
///
/// # Errors
/// [`Error::SessionInvalid`] (malformed, not HS256, bad signature, bad subject),
/// [`Error::SessionExpired`], [`Error::SessionNotMfa`].
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<Session> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::SessionInvalid);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::SessionInvalid);
    };
    let decode =
        |part: &str| Base64UrlUnpadded::decode_vec(part).map_err(|_| Error::SessionInvalid);
    let header: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| Error::SessionInvalid)?;
    if header.alg != "HS256" {
        return Err(Error::SessionInvalid);
    }
    let signing_input = token
        .get(..token.len() - signature.len() - 1)
        .ok_or(Error::SessionInvalid)?;
    if !constant_time_eq(&mac(secret, signing_input)?, &decode(signature)?) {
        return Err(Error::SessionInvalid);
    }
    let claims: Claims =
        serde_json::from_slice(&decode(payload)?).map_err(|_| Error::SessionInvalid)?;
    if !valid_user(&claims.sub) {
        return Err(Error::SessionInvalid);
    }
    if now >= claims.exp || claims.nbf.is_some_and(|nbf| now < nbf) {
        return Err(Error::SessionExpired);
    }
    if !claims.amr.iter().any(|m| m == "mfa") {
        return Err(Error::SessionNotMfa);
    }
    Ok(Session {
        user: claims.sub,
        expires_at: claims.exp,
    })
}

/// Signs a session token (for the development sign-in and tests; production tokens come from the
/// identity provider).
///
/// # Errors
/// [`Error::SessionInvalid`] for a subject that [`verify`] would refuse.
pub fn issue(user: &str, expires_at: i64, amr: &[&str], secret: &[u8]) -> Result<String> {
    if !valid_user(user) {
        return Err(Error::SessionInvalid);
    }
    let claims = Claims {
        sub: user.to_owned(),
        exp: expires_at,
        amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        nbf: None,
    };
    let payload = serde_json::to_vec(&claims).map_err(|_| Error::SessionInvalid)?;
    let signing_input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(br#"{"alg":"HS256","typ":"JWT"}"#),
        Base64UrlUnpadded::encode_string(&payload)
    );
    let signature = Base64UrlUnpadded::encode_string(&mac(secret, &signing_input)?);
    Ok(format!("{signing_input}.{signature}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const SECRET: &[u8] = b"session secret for tests, 32 b..";
    const NOW: i64 = 1_790_000_000;

    #[test]
    fn a_signed_mfa_token_verifies() {
        let token = issue("alice", NOW + 60, &["pwd", "mfa"], SECRET).unwrap();
        assert_eq!(
            verify(&token, SECRET, NOW).unwrap(),
            Session {
                user: "alice".into(),
                expires_at: NOW + 60
            }
        );
    }

    /// RFC 7519-style token made by another implementation (Python: hmac + base64url).
    #[test]
    fn a_token_signed_elsewhere_verifies() {
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJib2IiLCJleHAiOjIwMDAwMDAwMDAsImFtciI6WyJtZmEiXX0.VGJMreAF3Tj6uE-nGNdsXOEKR26QIzmI80LOs8LhzU4";
        assert_eq!(verify(token, SECRET, NOW).unwrap().user, "bob");
    }

    #[test]
    fn expired_tokens_are_refused() {
        let token = issue("alice", NOW, &["mfa"], SECRET).unwrap();
        assert_eq!(verify(&token, SECRET, NOW), Err(Error::SessionExpired));
    }

    #[test]
    fn tokens_without_mfa_are_refused() {
        let token = issue("alice", NOW + 60, &["pwd"], SECRET).unwrap();
        assert_eq!(verify(&token, SECRET, NOW), Err(Error::SessionNotMfa));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let token = issue("alice", NOW + 60, &["mfa"], SECRET).unwrap();
        assert_eq!(
            verify(&token, b"another secret entirely, 32 b...", NOW),
            Err(Error::SessionInvalid)
        );
        let forged = issue("mallory", NOW + 60, &["mfa"], SECRET).unwrap();
        let (head, _) = token.rsplit_once('.').unwrap();
        let (_, forged_sig) = forged.rsplit_once('.').unwrap();
        assert_eq!(
            verify(&format!("{head}.{forged_sig}"), SECRET, NOW),
            Err(Error::SessionInvalid)
        );
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(
                verify(bad, SECRET, NOW),
                Err(Error::SessionInvalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn alg_none_is_refused() {
        let header = Base64UrlUnpadded::encode_string(br#"{"alg":"none"}"#);
        let payload =
            Base64UrlUnpadded::encode_string(br#"{"sub":"alice","exp":2000000000,"amr":["mfa"]}"#);
        assert_eq!(
            verify(&format!("{header}.{payload}."), SECRET, NOW),
            Err(Error::SessionInvalid)
        );
    }
}
