//! Durable Object storage holds serde values (structured-cloned objects), not JSON text.
//!
//! Deployments before this layout kept records as JSON strings: [`get`] still reads those, and the
//! next [`put`] of the value stores it in the current form, so no record is lost on upgrade.

use super::http::ApiError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::Storage;
use worker::wasm_bindgen::JsValue;

/// A stored value as it came out of storage, before it is read as a `T` (serde's `untagged`
/// would buffer every stored type through its generic content form: much larger code).
#[derive(Deserialize)]
struct Raw(#[serde(with = "serde_wasm_bindgen::preserve")] JsValue);

/// Reads `key`: `None` when absent; 503 `storage_unavailable` when unreachable or not a `T` in
/// either form (fail closed: a record that does not parse is never replaced by a default).
pub async fn get<T: DeserializeOwned>(storage: &Storage, key: &str) -> Result<Option<T>, ApiError> {
    let stored: Option<Raw> = storage
        .get(key)
        .await
        .map_err(|e| ApiError::internal(&format!("stored {key}"), &e))?;
    let Some(Raw(value)) = stored else {
        return Ok(None);
    };
    match value.as_string() {
        // The form stored before: the value as JSON text.
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ApiError::internal(&format!("stored {key} (JSON text)"), &e)),
        None => serde_wasm_bindgen::from_value(value)
            .map(Some)
            .map_err(|e| ApiError::internal(&format!("stored {key}"), &e)),
    }
}

/// Stores `value` under `key` as a serde value.
pub async fn put<T: Serialize>(storage: &Storage, key: &str, value: &T) -> Result<(), ApiError> {
    storage
        .put(key, value)
        .await
        .map_err(|e| ApiError::internal(&format!("store {key}"), &e))
}
