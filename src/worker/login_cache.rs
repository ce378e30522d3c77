//! Repeated logins: this isolate's [`LoginCache`] of credentials verified with Argon2id in the last
//! `LOGIN_CACHE_TTL_SECS` (default and most 60, `0` = off).
//!
//! [`verify`](super::verify) asks [`ttl`] whether caching is allowed, looks the lookup key up here
//! before KV, and remembers a credential after Argon2id accepted it. The front Worker drops a user's
//! entries whenever it sends that user's object a command that changes credentials
//! ([`Command::changes_credentials`](super::commands::Command::changes_credentials)), and everything
//! when the tenant settings change.

use super::config::misconfigured;
use super::http::ApiError;
use crate::domain::Credential;
use crate::domain::login_cache::{CAPACITY, LoginCache, parse_ttl};
use core::cell::{Cell, RefCell};
use worker::Env;

/// The Worker var holding the TTL in seconds.
pub const TTL_VAR: &str = "LOGIN_CACHE_TTL_SECS";

thread_local! {
    static CACHE: RefCell<LoginCache> = RefCell::new(LoginCache::new(CAPACITY));
    /// The TTL as read from [`TTL_VAR`], once per isolate (vars do not change under a running
    /// isolate; reading one costs calls into the runtime on every login).
    static TTL: Cell<Option<Option<i64>>> = const { Cell::new(None) };
}

/// Whether verification may use the cache, and for how long it trusts an entry: `None` when caching
/// is off (`LOGIN_CACHE_TTL_SECS = "0"`). The single switch of the verify path: strict revocation
/// (a tenant setting, when present) must make this `None` too.
pub fn ttl(env: &Env) -> Result<Option<i64>, ApiError> {
    if let Some(ttl) = TTL.get() {
        return Ok(ttl);
    }
    let text = env.var(TTL_VAR).ok().map(|v| v.to_string());
    let ttl = parse_ttl(text.as_deref())
        .map_err(|()| misconfigured("LOGIN_CACHE_TTL_SECS must be a whole number of seconds"))?;
    let ttl = Some(ttl).filter(|&t| t > 0);
    TTL.set(Some(ttl));
    Ok(ttl)
}

/// The credential verified under `lookup_key` less than the TTL ago.
pub fn lookup(lookup_key: &str, now: i64) -> Option<Credential> {
    CACHE.with(|c| c.borrow_mut().get(lookup_key, now))
}

/// Remembers a credential Argon2id has just accepted.
pub fn remember(lookup_key: &str, credential: &Credential, now: i64, ttl: i64) {
    CACHE.with(|c| {
        c.borrow_mut()
            .insert(lookup_key, credential.clone(), now, ttl);
    });
}

/// Drops `user`'s entries: their credentials changed (or may have).
pub fn forget_user(user: &str, now: i64) {
    CACHE.with(|c| c.borrow_mut().forget_user(user, now));
}

/// Drops every entry.
pub fn forget_all() {
    CACHE.with(|c| c.borrow_mut().clear());
}

/// Logins this isolate answered from the cache (no KV read, no Argon2).
pub fn hits() -> u64 {
    CACHE.with(|c| c.borrow().hits())
}
