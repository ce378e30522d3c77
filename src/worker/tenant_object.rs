//! The tenant's settings, in one Durable Object so a change applies at once everywhere.

use super::http::{self, ApiError};
use crate::core::Settings;
use serde::Deserialize;
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
    /// The stored settings, or the defaults when none were ever stored. A stored record that does
    /// not parse or is out of range is an error (503), never the defaults: those allow app
    /// passwords, and a corrupt record must not switch creation back on.
    async fn load(&self) -> std::result::Result<Settings, ApiError> {
        let stored: Option<String> = self.state.storage().get(KEY).await?;
        match stored {
            None => Ok(Settings::default()),
            Some(text) => {
                parse_stored(&text).map_err(|e| ApiError::internal("tenant settings", &e))
            }
        }
    }

    async fn update(&self, req: &mut Request) -> std::result::Result<Settings, ApiError> {
        let update: SettingsUpdate = http::read_json(req).await?;
        // A full update does not read the current record, so it also replaces a corrupt one.
        let current = match update {
            SettingsUpdate {
                app_passwords_allowed: Some(app_passwords_allowed),
                limit: Some(limit),
            } => Settings {
                app_passwords_allowed,
                limit,
            },
            _ => self.load().await?,
        };
        let next = Settings {
            app_passwords_allowed: update
                .app_passwords_allowed
                .unwrap_or(current.app_passwords_allowed),
            limit: update.limit.unwrap_or(current.limit),
        }
        .validate()?;
        let text = serde_json::to_string(&next).map_err(|e| ApiError::internal("settings", &e))?;
        self.state.storage().put(KEY, text).await?;
        Ok(next)
    }
}

/// Parses the stored settings record and checks it is in range.
fn parse_stored(text: &str) -> std::result::Result<Settings, String> {
    serde_json::from_str::<Settings>(text)
        .map_err(|e| e.to_string())?
        .validate()
        .map_err(|e| e.code().to_owned())
}
