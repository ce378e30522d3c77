//! The functional core: every rule of the service, with no I/O and no JavaScript or Worker types.
//!
//! - [`format`]: generate, normalise and check app passwords;
//! - [`hash`]: Argon2id keyed with the server secret, PHC strings, lookup keys;
//! - [`rules`]: the per-user record and tenant settings;
//! - [`error`]: one error enum with stable codes;
//! - [`random`]: where randomness comes in;
//! - [`oidc`]: signing in through the organisation's OpenID Provider;
//! - [`session`]: server-side sessions of the self-service page (idle and absolute expiry);
//! - [`api_key`]: scoped API keys of the service's callers;
//! - [`login_cache`]: credentials verified moments ago, for repeated logins;
//! - [`throttle`]: what failed logins count against, and bounded in-memory gates;
//! - [`audit`]: audit events and their JSON lines.
//!
//! Time and randomness are arguments, so everything here is deterministic under test.

pub mod api_key;
pub mod audit;
pub mod error;
pub mod format;
pub mod hash;
pub mod login_cache;
pub mod oidc;
pub mod random;
pub mod rules;
pub mod session;
pub mod throttle;

pub use error::{Error, Malformed, Result};
pub use format::{Password, normalize};
pub use hash::{HashParams, ServerSecret};
pub use rules::{Context, Credential, Entry, Issued, Protocol, Rejection, Settings, UserRecord};
