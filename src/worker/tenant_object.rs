//! The tenant's settings, in one Durable Object so a change applies at once everywhere.

use super::http::{self, ApiError};
use crate::core::{OnPasswordChange, Settings};
use serde::{Deserialize, Deserializer};
use worker::{DurableObject, Env, Method, Request, Response, Result, State, durable_object};

/// Storage key of the settings.
const KEY: &str = "settings";

/// `PUT /v1/settings` body: each field optional, the others keep their value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    /// New switch value.
    pub app_passwords_allowed: Option<bool>,
    /// New limit.
    pub limit: Option<u32>,
    /// New maximum lifetime in days; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub max_lifetime_days: Option<Option<u32>>,
    /// New idle limit in days; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub expire_unused_after_days: Option<Option<u32>>,
    /// New policy for main-password changes.
    pub on_password_change: Option<OnPasswordChange>,
    /// New strict-revocation switch.
    pub strict_revocation: Option<bool>,
}

/// Tells a field given as `null` (`Some(None)`: clear it) from one left out (`None`: keep it).
fn present<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

/// Holds the tenant-wide [`Settings`].
#[durable_object(fetch)]
pub struct TenantObject {
    state: State,
}

impl DurableObject for TenantObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
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
    async fn load(&self) -> std::result::Result<Settings, ApiError> {
        let stored: Option<String> = self.state.storage().get(KEY).await?;
        Ok(stored
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    async fn update(&self, req: &mut Request) -> std::result::Result<Settings, ApiError> {
        let update: SettingsUpdate = http::read_json(req).await?;
        let current = self.load().await?;
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
        let text = serde_json::to_string(&next).map_err(|e| ApiError::internal("settings", &e))?;
        self.state.storage().put(KEY, text).await?;
        Ok(next)
    }
}
