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
use super::config::Config;
use super::http::ApiError;
use super::{kv, send, settings as tenant_settings};
use crate::domain::audit::Actor;
use crate::domain::format::Password;
use crate::domain::hash::{self, ServerSecret};
use crate::domain::{Credential, Settings};
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

/// A credential found for a login attempt.
pub struct Found {
    /// The credential.
    pub credential: Credential,
    /// The lookup key it was found under.
    pub lookup_key: String,
    /// Found under `PASSWORD_SECRET_PREVIOUS`: verify with that secret, then re-key.
    pub previous: bool,
}

impl Found {
    /// The secret to verify this credential with.
    pub fn secret<'a>(&self, config: &'a Config) -> &'a ServerSecret {
        match (&config.previous, self.previous) {
            (Some(previous), true) => previous,
            _ => &config.secret,
        }
    }
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

/// Finds the credential of `password` for `user`: under the current secret, then the previous
/// one; in KV, or in the user's object when `source.strict`. One read per secret tried.
pub async fn find(
    source: &Source<'_>,
    config: &Config,
    user: &str,
    password: &Password,
) -> Result<Option<Found>, ApiError> {
    let secrets = core::iter::once((&config.secret, false))
        .chain(config.previous.iter().map(|previous| (previous, true)));
    for (secret, previous) in secrets {
        let lookup_key = hash::lookup_key(user, password, secret);
        if let Some(credential) = read(source, user, &lookup_key).await? {
            return Ok(Some(Found {
                credential,
                lookup_key,
                previous,
            }));
        }
    }
    Ok(None)
}

/// Reads one credential from KV, or from the user's object (always current) when
/// `source.strict`.
pub async fn read(
    source: &Source<'_>,
    user: &str,
    lookup_key: &str,
) -> Result<Option<Credential>, ApiError> {
    if !source.strict {
        return kv::get(source.env, lookup_key)
            .await
            .map_err(|e| ApiError::internal("kv get", &e));
    }
    let command = Command::Find {
        user: user.to_owned(),
        lookup_key: lookup_key.to_owned(),
    };
    let mut response = send(source.env, source.actor, &command).await?;
    if response.status_code() != 200 {
        return Err(ApiError::internal(
            "user object: find",
            &response.status_code(),
        ));
    }
    Ok(response.json().await?)
}
