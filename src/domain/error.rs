//! One error type for every rule in the core, with stable snake_case codes.
//!
//! Shells map [`Error::code`] to their own transport (an HTTP status and JSON body in the Worker,
//! a `code` property on a thrown `Error` in the npm package). Messages are lowercase, say what was
//! wrong and what to do, and never contain a password, a hash or a secret.

use super::api_key::MAX_API_KEYS;
use super::format::LETTERS;
use super::hash::{
    MAX_M_COST, MAX_P_COST, MAX_SECRET_BYTES, MAX_T_COST, MAX_WORK, MIN_SECRET_BYTES,
};
use super::name::MAX_NAME_CHARS;
use super::rules::{MAX_DAYS, MAX_LIMIT};
use super::user::MAX_USER_BYTES;
use core::fmt;

/// Why a string is not an app password, before any checksum is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// After removing spaces and dashes, the input does not have the right number of letters.
    WrongLength,
    /// The input contains something other than letters, spaces and dashes.
    InvalidCharacter,
}

/// Every way a core operation can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The user already has as many app passwords as the tenant allows.
    LimitReached {
        /// The limit in force.
        limit: u32,
    },
    /// The user already has an app password with this name (ignoring case).
    NameTaken,
    /// The name is empty, too long, has no visible character, or contains control or format
    /// characters.
    InvalidName,
    /// A user id is empty or longer than 256 bytes.
    InvalidUser,
    /// The input is not shaped like an app password.
    MalformedPassword(Malformed),
    /// The input is shaped like an app password but its checksum is wrong (a typo).
    BadChecksum,
    /// No app password with this id.
    NotFound,
    /// App passwords exist only for users with multi-factor authentication enabled.
    MfaRequired,
    /// The tenant has turned app passwords off: no new ones can be created.
    AppPasswordsDisabled,
    /// A scope or protocol is not one of the known protocols.
    InvalidScope,
    /// Tenant settings out of range (for example a limit of 0).
    InvalidSettings,
    /// The requested lifetime is not between 1 day and the largest allowed.
    InvalidExpiry {
        /// The largest lifetime allowed, in days (the tenant's maximum, or 3650).
        max_days: u32,
    },
    /// Argon2 parameters out of range.
    InvalidParams,
    /// The server secret is too short.
    InvalidSecret,
    /// A stored hash is not an Argon2id PHC string this library can check.
    InvalidHash,
    /// The system's random number generator failed.
    RandomUnavailable,
    /// No such session: never issued, signed out, or a malformed cookie.
    SessionInvalid,
    /// The session ended: unused too long, or older than its absolute lifetime.
    SessionExpired,
    /// The sign-in did not use multi-factor authentication.
    SessionNotMfa,
    /// An API key scope list is empty or names an unknown scope.
    InvalidKeyScope,
    /// The tenant already has as many API keys as allowed.
    TooManyApiKeys,
    /// The service could not reach its storage (KV, a Durable Object), or found a record there it
    /// cannot read; nothing the request asked for was lost: retry.
    StorageUnavailable,
}

impl Error {
    /// The stable, snake_case code of this error, for programs to switch on.
    ///
    /// ```
    /// use app_passwords::domain::Error;
    /// assert_eq!(Error::LimitReached { limit: 40 }.code(), "limit_reached");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::LimitReached { .. } => "limit_reached",
            Self::NameTaken => "name_taken",
            Self::InvalidName => "invalid_name",
            Self::InvalidUser => "invalid_user",
            Self::MalformedPassword(_) => "malformed_password",
            Self::BadChecksum => "bad_checksum",
            Self::NotFound => "not_found",
            Self::MfaRequired => "mfa_required",
            Self::AppPasswordsDisabled => "app_passwords_disabled",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidSettings => "invalid_settings",
            Self::InvalidExpiry { .. } => "invalid_expiry",
            Self::InvalidParams => "invalid_params",
            Self::InvalidSecret => "invalid_secret",
            Self::InvalidHash => "invalid_hash",
            Self::RandomUnavailable => "random_unavailable",
            Self::SessionInvalid => "session_invalid",
            Self::SessionExpired => "session_expired",
            Self::SessionNotMfa => "session_not_mfa",
            Self::InvalidKeyScope => "invalid_key_scope",
            Self::TooManyApiKeys => "too_many_api_keys",
            Self::StorageUnavailable => "storage_unavailable",
        }
    }

    /// The HTTP status an HTTP shell answers this error with (the Worker's API, the npm package's
    /// better-auth plugin): 409 for a conflict with what exists, 403 when MFA or the tenant forbids,
    /// 404, 400 for bad input, 401 for a bad session, 503 when randomness or storage fails, and 500 for a
    /// server misconfiguration (parameters, secret, stored hash).
    ///
    /// ```
    /// use app_passwords::domain::Error;
    /// assert_eq!(Error::LimitReached { limit: 40 }.http_status(), 409);
    /// ```
    #[must_use]
    pub const fn http_status(&self) -> u16 {
        match self {
            Self::LimitReached { .. } | Self::NameTaken => 409,
            Self::MfaRequired | Self::AppPasswordsDisabled => 403,
            Self::NotFound => 404,
            Self::InvalidName
            | Self::InvalidUser
            | Self::MalformedPassword(_)
            | Self::BadChecksum
            | Self::InvalidScope
            | Self::InvalidKeyScope
            | Self::InvalidSettings
            | Self::InvalidExpiry { .. } => 400,
            Self::TooManyApiKeys => 409,
            Self::SessionInvalid | Self::SessionExpired | Self::SessionNotMfa => 401,
            Self::RandomUnavailable | Self::StorageUnavailable => 503,
            Self::InvalidParams | Self::InvalidSecret | Self::InvalidHash => 500,
        }
    }

    /// Every error code, for documentation and for tests that check shells map all of them.
    pub const ALL_CODES: [&'static str; 22] = [
        "limit_reached",
        "name_taken",
        "invalid_name",
        "invalid_user",
        "malformed_password",
        "bad_checksum",
        "not_found",
        "mfa_required",
        "app_passwords_disabled",
        "invalid_scope",
        "invalid_settings",
        "invalid_expiry",
        "invalid_params",
        "invalid_secret",
        "invalid_hash",
        "random_unavailable",
        "session_invalid",
        "session_expired",
        "session_not_mfa",
        "invalid_key_scope",
        "too_many_api_keys",
        "storage_unavailable",
    ];
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LimitReached { limit } => write!(
                f,
                "you already have {limit} app passwords, the most allowed; delete one before creating another"
            ),
            Self::NameTaken => f.write_str("you already have an app password with this name"),
            Self::InvalidName => write!(
                f,
                "give the app password a name you can recognise (1 to {MAX_NAME_CHARS} characters, letters or symbols you can see)"
            ),
            Self::InvalidUser => write!(
                f,
                "the user id must be 1 to {MAX_USER_BYTES} bytes of text"
            ),
            Self::MalformedPassword(Malformed::WrongLength) => write!(
                f,
                "an app password has {LETTERS} letters (spaces and dashes are ignored); this input has a different number"
            ),
            Self::MalformedPassword(Malformed::InvalidCharacter) => f.write_str(
                "an app password contains only the letters a to z (spaces and dashes are ignored)",
            ),
            Self::BadChecksum => {
                f.write_str("this is not a valid app password; check it for a typo")
            }
            Self::NotFound => f.write_str("no app password with this id"),
            Self::MfaRequired => f.write_str(
                "app passwords are available only when multi-factor authentication is on",
            ),
            Self::AppPasswordsDisabled => {
                f.write_str("an administrator has turned off the creation of app passwords")
            }
            Self::InvalidScope => {
                f.write_str("unknown protocol; use one of imap, smtp, pop, eas, dav")
            }
            Self::InvalidSettings => write!(
                f,
                "the limit must be between 1 and {MAX_LIMIT}, and day counts between 1 and {MAX_DAYS} or null"
            ),
            Self::InvalidExpiry { max_days } => write!(
                f,
                "expires_in_days must be a whole number of days from 1 to {max_days}"
            ),
            Self::InvalidParams => write!(
                f,
                "invalid Argon2id parameters: need 1 <= t <= {MAX_T_COST}, 1 <= p <= {MAX_P_COST}, 8*p <= m <= {MAX_M_COST} KiB and m*t <= {MAX_WORK} KiB"
            ),
            Self::InvalidSecret => {
                write!(
                    f,
                    "a secret must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes long"
                )
            }
            Self::InvalidHash => f.write_str("the stored hash is not an Argon2id PHC string"),
            Self::RandomUnavailable => {
                f.write_str("the system random number generator is unavailable")
            }
            Self::SessionInvalid => {
                f.write_str("your session is not valid or has ended; sign in again")
            }
            Self::SessionExpired => {
                f.write_str("your session has expired; sign in again")
            }
            Self::SessionNotMfa => f.write_str(
                "app passwords need a sign-in with multi-factor authentication; sign in again with MFA",
            ),
            Self::InvalidKeyScope => f.write_str(
                "an API key needs at least one scope, each one of verify, users, admin",
            ),
            Self::TooManyApiKeys => write!(
                f,
                "the tenant already has {MAX_API_KEYS} API keys, the most allowed; revoke one first"
            ),
            Self::StorageUnavailable => {
                f.write_str("the service could not reach its storage; try again")
            }
        }
    }
}

impl core::error::Error for Error {}

/// The result type of the core.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_code_is_snake_case_and_listed_once() {
        let all = [
            Error::LimitReached { limit: 40 },
            Error::NameTaken,
            Error::InvalidName,
            Error::InvalidUser,
            Error::MalformedPassword(Malformed::WrongLength),
            Error::BadChecksum,
            Error::NotFound,
            Error::MfaRequired,
            Error::AppPasswordsDisabled,
            Error::InvalidScope,
            Error::InvalidSettings,
            Error::InvalidExpiry { max_days: 90 },
            Error::InvalidParams,
            Error::InvalidSecret,
            Error::InvalidHash,
            Error::RandomUnavailable,
            Error::SessionInvalid,
            Error::SessionExpired,
            Error::SessionNotMfa,
            Error::InvalidKeyScope,
            Error::TooManyApiKeys,
            Error::StorageUnavailable,
        ];
        let codes: Vec<_> = all.iter().map(Error::code).collect();
        assert_eq!(codes, Error::ALL_CODES);
        for code in codes {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn limit_reached_message_says_the_limit() {
        assert!(Error::LimitReached { limit: 7 }.to_string().contains('7'));
    }
}
