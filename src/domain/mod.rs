//! The functional core: every rule of the service, with no I/O and no JavaScript or Worker types.
//!
//! - [`format`]: generate, normalise and check app passwords;
//! - [`argon2`]: Argon2id itself (tags), fast in wasm;
//! - [`hash`]: Argon2id keyed with the server secret, PHC strings, lookup keys;
//! - [`name`]: app-password names (Unicode rules, when two names are the same);
//! - [`user`]: checked user ids;
//! - [`rules`]: the per-user record, tenant settings and the login sequence;
//! - [`body`]: JSON request bodies and outside documents, strictly, with fixed error texts;
//! - [`fields`]: reading our own stored JSON (records, KV values, messages) with small readers;
//! - [`error`]: one error enum with stable codes;
//! - [`random`]: where randomness comes in;
//! - [`oidc`]: signing in through the organisation's OpenID Provider;
//! - [`session`]: server-side sessions of the self-service page (idle and absolute expiry);
//! - [`api_key`]: scoped API keys of the service's callers;
//! - [`login_cache`]: credentials verified moments ago, for repeated logins;
//! - [`publish`]: what KV must hold for a record, and which of its keys are still to be written;
//! - [`throttle`]: what failed logins count against, and bounded in-memory gates;
//! - [`audit`]: audit events and their JSON lines.
//!
//! Time and randomness are arguments, so everything here is deterministic under test.

pub mod api_key;
pub mod argon2;
pub mod audit;
pub mod body;
pub mod error;
pub mod fields;
pub mod format;
pub mod hash;
pub mod json;
pub mod keyed;
pub mod login_cache;
pub mod name;
pub mod oidc;
pub mod publish;
pub mod random;
pub mod rules;
pub mod session;
pub mod throttle;
pub mod to_json;
mod unicode;
#[rustfmt::skip]
mod unicode_tables;
pub mod user;

pub use error::{Error, Malformed, Result};
pub use format::{Password, normalize};
pub use hash::{HashParams, ServerSecret};
pub use rules::{
    Context, Credential, Entry, Found, Issued, Login, OnPasswordChange, Protocol, Rejection,
    Settings, Upkeep, UserRecord, Verdict,
};
pub use user::UserId;
