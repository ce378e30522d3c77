//! Durable Object storage holds serde values (structured-cloned objects), not JSON text.
//!
//! Deployments before this layout kept records as JSON strings: [`get`] still reads those, and the
//! next [`put`] of the value stores it in the current form, so no record is lost on upgrade.

use super::http::ApiError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::Storage;

/// A stored value in either form.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored<T> {
    /// The form stored before: the value as JSON text.
    Text(String),
    /// The value itself.
    Value(T),
}

/// Reads `key`: `None` when absent; 503 `storage_unavailable` when unreachable or not a `T` in
/// either form (fail closed: a record that does not parse is never replaced by a default).
pub async fn get<T: DeserializeOwned>(storage: &Storage, key: &str) -> Result<Option<T>, ApiError> {
    let stored: Option<Stored<T>> = storage
        .get(key)
        .await
        .map_err(|e| ApiError::internal(&format!("stored {key}"), &e))?;
    match stored {
        None => Ok(None),
        Some(Stored::Value(value)) => Ok(Some(value)),
        Some(Stored::Text(text)) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ApiError::internal(&format!("stored {key} (JSON text)"), &e)),
    }
}

/// Stores `value` under `key` as a serde value.
pub async fn put<T: Serialize>(storage: &Storage, key: &str, value: &T) -> Result<(), ApiError> {
    storage
        .put(key, value)
        .await
        .map_err(|e| ApiError::internal(&format!("store {key}"), &e))
}
