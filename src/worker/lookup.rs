//! Where verification finds a credential, and the tenant settings it needs.
//!
//! - Normally in KV (one read, eventually consistent); with the tenant's `strict_revocation`,
//!   through the user's Durable Object, so a deletion is effective everywhere at once.
//! - Under the current server secret's lookup key first, then, during a rotation, under
//!   `PASSWORD_SECRET_PREVIOUS`'s.
//! - The tenant settings come from the tenant object at most once per [`SETTINGS_TTL_SECS`] per
//!   isolate (never one tenant-object call per login); a change made through this isolate applies
//!   here at once.

use super::commands::Command;
use super::http::ApiError;
use super::{ask, kv, settings as tenant_settings};
use crate::domain::audit::Actor;
use crate::domain::hash::ServerSecret;
use crate::domain::{Credential, Login, Settings, UserId};
use core::cell::Cell;
use worker::Env;

/// How long an isolate keeps the tenant settings it read, in seconds.
pub const SETTINGS_TTL_SECS: i64 = 30;

thread_local! {
    /// The settings this isolate last read, and when.
    static SETTINGS: Cell<Option<(Settings, i64)>> = const { Cell::new(None) };
}

/// The tenant settings, as read at most [`SETTINGS_TTL_SECS`] ago by this isolate.
pub async fn settings(env: &Env, now: i64) -> Result<Settings, ApiError> {
    if let Some((settings, read_at)) = SETTINGS.get()
        && (0..SETTINGS_TTL_SECS).contains(&(now - read_at))
    {
        return Ok(settings);
    }
    let settings = tenant_settings(env).await?;
    SETTINGS.set(Some((settings, now)));
    Ok(settings)
}

/// Forgets the cached settings (after this isolate changed them).
pub fn forget_settings() {
    SETTINGS.set(None);
}

/// Where to look, and for whom (`actor`: the caller, for the user object's records).
pub struct Source<'a> {
    /// The Worker's bindings.
    pub env: &'a Env,
    /// The caller.
    pub actor: &'a Actor,
    /// Read through the user's object instead of KV.
    pub strict: bool,
}

/// Finds the credential of a login: under its lookup key (computed once, by [`Login::start`]),
/// then, during a rotation, under `previous`'s (the login [falls back](Login::fall_back) to it).
/// In KV, or in the user's object when `source.strict`. One read per secret tried.
pub async fn find<'a>(
    source: &Source<'_>,
    login: &mut Login<'a>,
    previous: Option<&'a ServerSecret>,
) -> Result<Option<Credential>, ApiError> {
    if let Some(credential) = read(source, login.user(), login.read_key()).await? {
        return Ok(Some(credential));
    }
    match previous {
        Some(previous) => {
            let key = login.fall_back(previous).to_owned();
            read(source, login.user(), &key).await
        }
        None => Ok(None),
    }
}

/// Reads one credential from KV, or from the user's object (always current) when
/// `source.strict`.
pub async fn read(
    source: &Source<'_>,
    user: &UserId,
    lookup_key: &str,
) -> Result<Option<Credential>, ApiError> {
    if !source.strict {
        return kv::get(source.env, lookup_key)
            .await
            .map_err(|e| ApiError::internal("kv get", &e));
    }
    let command = Command::Find {
        user: user.as_str().to_owned(),
        lookup_key: lookup_key.to_owned(),
    };
    ask(source.env, source.actor, &command).await
}
