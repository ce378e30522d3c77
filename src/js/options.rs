//! The shapes of the package's arguments and results: serde structs read by
//! [`decode`](super::decode::decode) (unknown option names are refused) and written by
//! serde-wasm-bindgen. `#[derive(Tsify)]` emits each one's TypeScript declaration, doc comments
//! included, into the package's `.d.ts`, so the types cannot drift from what is decoded.
//!
//! Values with rules (names, scopes, protocols, user ids, secrets, days, limits) stay plain here
//! and are checked by the core, which owns the rules and their error codes.

use crate::domain::hash::HashParams;
use crate::domain::rules::{OnPasswordChange, Summary};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use tsify::Tsify;
use zeroize::Zeroizing;

/// A server secret (Argon2 pepper and lookup-key HMAC key): a UTF-8 string or raw bytes, at least
/// 16 bytes.
#[derive(Tsify)]
#[tsify(type = "string | Uint8Array")]
pub struct Secret(pub Zeroizing<Vec<u8>>);

/// Bytes given as a `Uint8Array` (or an `ArrayBuffer`); an array of numbers is refused.
pub struct Bytes(pub Vec<u8>);

/// Reads a string as its UTF-8 bytes (when `text` is set) and a `Uint8Array` as its bytes.
struct BytesVisitor {
    text: bool,
}

impl Visitor<'_> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.text {
            "a string or bytes"
        } else {
            "bytes"
        })
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        self.visit_string(text.to_owned())
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Vec<u8>, E> {
        if self.text {
            Ok(text.into_bytes())
        } else {
            Err(E::invalid_type(de::Unexpected::Other("a string"), &self))
        }
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // deserialize_any: the decoder visits a string as text and a Uint8Array as bytes.
        let bytes = deserializer.deserialize_any(BytesVisitor { text: true })?;
        Ok(Self(Zeroizing::new(bytes)))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(BytesVisitor { text: false })
            .map(Self)
    }
}

/// Options of `hashAppPassword`.
#[derive(Deserialize, Tsify)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HashOptions {
    /// The server secret.
    pub secret: Secret,
    /// Argon2id costs; default OWASP `{ m: 19456, t: 2, p: 1 }`.
    #[tsify(optional)]
    pub params: Option<HashParams>,
    /// A fixed salt (8 to 48 bytes) instead of 16 random bytes: for known-answer tests and
    /// migrations only. Never reuse a salt in production.
    #[tsify(optional, type = "Uint8Array")]
    pub salt: Option<Bytes>,
}

/// Options of `verifyAppPassword`.
#[derive(Deserialize, Tsify)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyOptions {
    /// The server secret the hash was made with.
    pub secret: Secret,
}

/// Options of `UserAppPasswords.fromJSON`: who the user is, the server configuration and the
/// tenant settings.
#[derive(Default, Deserialize, Tsify)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserAppPasswordsOptions {
    /// The user's id (1 to 256 bytes): required when the record is absent or has no `user`; must
    /// match it otherwise.
    #[tsify(optional)]
    pub user: Option<String>,
    /// The server secret: required by `create`, `onMfaRegistered` and `onMfaDisabled`; the default
    /// of `verify`.
    #[tsify(optional)]
    pub secret: Option<Secret>,
    /// Argon2id costs of new hashes; default OWASP `{ m: 19456, t: 2, p: 1 }`.
    #[tsify(optional)]
    pub params: Option<HashParams>,
    /// Tenant switch: when false no new app passwords are created (existing ones still verify).
    /// Default true.
    #[tsify(optional)]
    pub app_passwords_allowed: Option<bool>,
    /// Tenant limit of app passwords per user, 1 to 100. Default 40.
    #[tsify(optional)]
    pub limit: Option<u32>,
    /// Tenant maximum lifetime of new app passwords in days (1 to 3650), also their lifetime when
    /// `create` asks for none. Default none.
    #[tsify(optional, type = "number | null")]
    pub max_lifetime_days: Option<u32>,
    /// App passwords not used for this many days (1 to 3650; counted from creation if never used)
    /// stop verifying with `expired`. Default never.
    #[tsify(optional, type = "number | null")]
    pub expire_unused_after_days: Option<u32>,
    /// What `onPasswordChanged` does: `"keep"` (default, as Entra ID) or `"revoke_all"` (as Google
    /// and Apple).
    #[tsify(optional)]
    pub on_password_change: Option<OnPasswordChange>,
}

/// Options of `UserAppPasswords.create`.
#[derive(Deserialize, Tsify)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateOptions {
    /// The device or app name: 1 to 64 visible characters after trimming (stored in Unicode NFC; no
    /// control, zero-width or bidi characters), unique per user ignoring case and normal form.
    pub name: String,
    /// Protocols it may be used with; default all.
    #[tsify(optional, type = "Protocol[]")]
    pub scopes: Option<Vec<String>>,
    /// Lifetime in days, 1 to the tenant's `maxLifetimeDays` (or 3650); default the tenant's
    /// maximum, or no expiry.
    #[tsify(optional)]
    pub expires_in_days: Option<u32>,
    /// The current time in Unix seconds; default now.
    #[tsify(optional)]
    pub now: Option<i64>,
}

/// Options of `UserAppPasswords.onMfaRegistered`.
#[derive(Default, Deserialize, Tsify)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MfaRegisteredOptions {
    /// Name of the first app password; default "First app password".
    #[tsify(optional)]
    pub name: Option<String>,
    /// The current time in Unix seconds; default now.
    #[tsify(optional)]
    pub now: Option<i64>,
}

/// Options of `UserAppPasswords.verify` and `check`.
#[derive(Default, Deserialize, Tsify)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserVerifyOptions {
    /// The server secret; default the one given to `fromJSON`.
    #[tsify(optional)]
    pub secret: Option<Secret>,
    /// The protocol of the login, checked against the entry's scopes.
    #[tsify(optional, type = "Protocol")]
    pub protocol: Option<String>,
    /// The current time in Unix seconds (expiry, last use); default now.
    #[tsify(optional)]
    pub now: Option<i64>,
}

/// The part of a stored record read before the rest: its user, checked by the core.
#[derive(Deserialize)]
pub struct RecordUser {
    /// The record's `user`, if it has one.
    #[serde(default)]
    pub user: Option<String>,
}

/// A new app password: the normalised form and the form to show.
#[derive(Serialize, Tsify)]
pub struct GeneratedAppPassword {
    /// 24 lowercase letters: what is hashed and what a client may send.
    pub password: String,
    /// The same letters in six dash-separated groups of four, to show once.
    pub display: String,
}

/// A created app password: show `display` once, then forget it; the record keeps only its hash.
#[derive(Serialize, Tsify)]
pub struct CreatedAppPassword {
    /// 24 lowercase letters: what is hashed and what a client may send.
    pub password: String,
    /// The same letters in six dash-separated groups of four, to show once.
    pub display: String,
    /// The new entry as the user may see it.
    #[tsify(type = "AppPasswordEntry")]
    pub entry: Summary,
}

/// The outcome of `UserAppPasswords.check`: `ok` tells which.
#[derive(Serialize, Tsify)]
#[serde(untagged)]
pub enum CheckResult {
    /// The password is valid.
    Valid(CheckValid),
    /// The password was refused.
    Refused(CheckRefused),
}

/// `UserAppPasswords.check` accepted the password.
#[derive(Serialize, Tsify)]
pub struct CheckValid {
    /// Always true.
    #[tsify(type = "true")]
    pub ok: bool,
    /// The entry that matched (its last use updated when `changed`).
    #[tsify(type = "AppPasswordEntry")]
    pub entry: Summary,
    /// Whether the use was recorded: save `toJSON()`.
    pub changed: bool,
}

/// `UserAppPasswords.check` refused the password.
#[derive(Serialize, Tsify)]
pub struct CheckRefused {
    /// Always false.
    #[tsify(type = "false")]
    pub ok: bool,
    /// Why.
    #[tsify(type = "RejectionCode")]
    pub reason: &'static str,
}
