//! The tenant's settings and API keys, in one Durable Object so a change applies at once.
//!
//! Settings: `GET` / `PUT` with a [`SettingsUpdate`]. API keys: `POST` with a
//! [`TenantCommand`]; keys are kept beside the settings (only their hashes) and published to KV
//! under their hash, where authentication finds them with one read.

use super::commands::TenantCommand;
use super::http::{self, ApiError};
use super::{kv, stored};
use crate::domain::api_key::{ApiKeyEntry, ApiKeys};
use crate::domain::body::SETTINGS_UPDATE_FIELDS;
use crate::domain::random::SystemEntropy;
use crate::domain::{OnPasswordChange, Settings};
use core::cell::RefCell;
use worker::{DurableObject, Env, Method, Request, Response, Result, State, durable_object};

/// Storage key of the settings.
const KEY: &str = "settings";
/// Storage key of the API keys.
const API_KEYS: &str = "api_keys";

/// `PUT /v1/settings` body: each field optional, the others keep their value.
#[derive(Debug)]
pub struct SettingsUpdate {
    /// New switch value.
    pub app_passwords_allowed: Option<bool>,
    /// New limit.
    pub limit: Option<u32>,
    /// New maximum lifetime in days; `null` removes it.
    pub max_lifetime_days: Option<Option<u32>>,
    /// New idle limit in days; `null` removes it.
    pub expire_unused_after_days: Option<Option<u32>>,
    /// New policy for main-password changes.
    pub on_password_change: Option<OnPasswordChange>,
    /// New strict-revocation switch.
    pub strict_revocation: Option<bool>,
}

impl SettingsUpdate {
    /// Reads the body of `req`: 400 `invalid_json` or `invalid_request` as for any body.
    async fn read(req: &mut Request) -> std::result::Result<Self, ApiError> {
        let mut body = http::read_fields(req, SETTINGS_UPDATE_FIELDS).await?;
        Ok(Self {
            app_passwords_allowed: body.opt_flag("app_passwords_allowed"),
            limit: body.opt_count("limit"),
            max_lifetime_days: body.given_count("max_lifetime_days"),
            expire_unused_after_days: body.given_count("expire_unused_after_days"),
            on_password_change: body.opt_on_password_change("on_password_change"),
            strict_revocation: body.opt_flag("strict_revocation"),
        })
    }
}

/// Holds the tenant-wide [`Settings`].
#[durable_object(fetch)]
pub struct TenantObject {
    state: State,
    env: Env,
    /// The API keys, loaded on first use (see [`TenantObject::load_keys`]).
    keys: RefCell<Option<ApiKeys>>,
}

/// A newly created key as the API returns it: the only time the key leaves.
struct CreatedKey<'a> {
    id: &'a str,
    name: &'a str,
    scopes: &'a [crate::domain::api_key::Scope],
    key: &'a str,
    created_at: i64,
}
crate::json_object!(CreatedKey<'_> {
    id,
    name,
    scopes,
    key,
    created_at
});

struct KeyList {
    api_keys: Vec<crate::domain::api_key::ApiKeySummary>,
}
crate::json_object!(KeyList { api_keys });

impl DurableObject for TenantObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            keys: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.method() == Method::Post {
            let answer = match crate::domain::fields::parse::<TenantCommand>(&req.bytes().await?) {
                Ok(command) => self.api_keys(command).await,
                Err(e) => Err(ApiError::internal("tenant object: bad command", &e)),
            };
            return answer.or_else(|e| e.response());
        }
        let result = match req.method() {
            Method::Put => self.update(&mut req).await,
            _ => self.load().await,
        };
        match result {
            Ok(settings) => http::json(200, &settings),
            Err(e) => e.response(),
        }
    }
}

impl TenantObject {
    /// The stored settings, or the defaults when none were ever stored. A stored record that does
    /// not parse or is out of range is an error (503), never the defaults: those allow app
    /// passwords, and a corrupt record must not switch creation back on.
    async fn load(&self) -> std::result::Result<Settings, ApiError> {
        match stored::get::<Settings>(&self.state.storage(), KEY).await? {
            None => Ok(Settings::default()),
            Some(settings) => settings
                .validate()
                .map_err(|e| ApiError::internal("tenant settings", &e.code())),
        }
    }

    async fn update(&self, req: &mut Request) -> std::result::Result<Settings, ApiError> {
        let update = SettingsUpdate::read(req).await?;
        // A full update (every field given) does not need the current record, so it also replaces a
        // corrupt one; a partial update of a corrupt record fails closed.
        let full = update.app_passwords_allowed.is_some()
            && update.limit.is_some()
            && update.max_lifetime_days.is_some()
            && update.expire_unused_after_days.is_some()
            && update.on_password_change.is_some()
            && update.strict_revocation.is_some();
        let current = match self.load().await {
            Ok(current) => current,
            Err(_) if full => Settings::default(),
            Err(e) => return Err(e),
        };
        let next = Settings {
            app_passwords_allowed: update
                .app_passwords_allowed
                .unwrap_or(current.app_passwords_allowed),
            limit: update.limit.unwrap_or(current.limit),
            max_lifetime_days: update
                .max_lifetime_days
                .unwrap_or(current.max_lifetime_days),
            expire_unused_after_days: update
                .expire_unused_after_days
                .unwrap_or(current.expire_unused_after_days),
            on_password_change: update
                .on_password_change
                .unwrap_or(current.on_password_change),
            strict_revocation: update
                .strict_revocation
                .unwrap_or(current.strict_revocation),
        }
        .validate()?;
        stored::put(&self.state.storage(), KEY, &next).await?;
        Ok(next)
    }
}

impl TenantObject {
    /// Loads the keys into memory the first time. Every change is then made to the in-memory set
    /// synchronously (no `await` between reading and changing it), so concurrent commands see each
    /// other's changes, and the whole set is saved after.
    async fn load_keys(&self) -> std::result::Result<(), ApiError> {
        if self.keys.borrow().is_some() {
            return Ok(());
        }
        // Fail closed: keys that cannot be read must not be replaced by an empty set.
        let keys = stored::get(&self.state.storage(), API_KEYS)
            .await?
            .unwrap_or_default();
        let mut slot = self.keys.borrow_mut();
        if slot.is_none() {
            *slot = Some(keys);
        }
        Ok(())
    }

    fn with_keys<T>(&self, f: impl FnOnce(&mut ApiKeys) -> T) -> T {
        let mut slot = self.keys.borrow_mut();
        f(slot.get_or_insert_with(ApiKeys::default))
    }

    async fn save_keys(&self) -> std::result::Result<(), ApiError> {
        let keys = self.with_keys(|k| k.clone());
        stored::put(&self.state.storage(), API_KEYS, &keys).await
    }

    /// Runs one API-key command. A new key is saved, then published to KV (undone if either
    /// fails); a revoked key is removed from KV first, then from the set.
    async fn api_keys(&self, command: TenantCommand) -> std::result::Result<Response, ApiError> {
        self.load_keys().await?;
        match command {
            TenantCommand::CreateApiKey { name, scopes } => {
                let now = super::now();
                let issued =
                    self.with_keys(|k| k.create(&name, scopes, now, &mut SystemEntropy))?;
                let entry = &issued.entry;
                let stored = match self.save_keys().await {
                    Ok(()) => kv::put_api_key(&self.env, &entry.hash, &entry.published())
                        .await
                        .map_err(|e| ApiError::internal("kv put", &e)),
                    Err(e) => Err(e),
                };
                if let Err(e) = stored {
                    let _ = self.with_keys(|k| k.revoke(&entry.id));
                    let _ = self.save_keys().await;
                    return Err(e);
                }
                Ok(http::json(
                    201,
                    &CreatedKey {
                        id: &entry.id,
                        name: &entry.name,
                        scopes: &entry.scopes,
                        key: &issued.key,
                        created_at: entry.created_at,
                    },
                )?)
            }
            TenantCommand::ListApiKeys => Ok(http::json(
                200,
                &KeyList {
                    api_keys: self.with_keys(|k| k.summaries()),
                },
            )?),
            TenantCommand::RevokeApiKey { id } => {
                let entry: Option<ApiKeyEntry> =
                    self.with_keys(|k| k.keys.iter().find(|k| k.id == id).cloned());
                let entry = entry.ok_or(crate::domain::Error::NotFound)?;
                kv::delete_api_key(&self.env, &entry.hash)
                    .await
                    .map_err(|e| ApiError::internal("kv delete", &e))?;
                self.with_keys(|k| k.revoke(&id))?;
                self.save_keys().await?;
                Ok(http::json(200, &entry)?)
            }
            TenantCommand::RecordApiKeyUse { id, at } => {
                if self.with_keys(|k| k.record_use(&id, at)) {
                    self.save_keys().await?;
                }
                Ok(Response::empty()?.with_status(204))
            }
        }
    }
}
