//! Durable Object storage holds structured-cloned values (plain objects), not JSON text.
//!
//! Both directions go through JSON text, so each type has one encoder (its serde_json `Serialize`)
//! and one decoder (its [`FromJson`] reader) in the wasm (a second pair through serde-wasm-bindgen
//! doubled that code): [`put`] and [`put_two`] store `JSON.parse` of the value's JSON text, and
//! [`get`] reads the `JSON.stringify` of the stored value. Every form written before still reads:
//! JSON strings (the first layout), and values written by serde-wasm-bindgen (worker's
//! `put_multiple`, used before [`put_two`]), whose maps are ES `Map`s (turned into objects here;
//! `JSON.stringify` alone would drop them).

use super::http::ApiError;
use crate::domain::fields::FromJson;
use crate::domain::to_json::{ToJson, to_json};
use js_sys::{JSON, Map, Object, Reflect};
use worker::Storage;
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// Reads `key`: `None` when absent; 503 `storage_unavailable` when unreachable or not a `T` in
/// any form (fail closed: a record that does not parse is never replaced by a default).
pub async fn get<T: FromJson>(storage: &Storage, key: &str) -> Result<Option<T>, ApiError> {
    let Some(text) = get_text(storage, key).await? else {
        return Ok(None);
    };
    super::http::own_json(text.as_bytes())
        .map(Some)
        .map_err(|e| ApiError::internal(&format!("stored {key}"), &e))
}

/// The JSON text of the value stored under `key` (`None` when absent): the part of [`get`] that
/// does not depend on `T`, one copy in the wasm.
async fn get_text(storage: &Storage, key: &str) -> Result<Option<String>, ApiError> {
    let failed = |e: &dyn core::fmt::Display| ApiError::internal(&format!("stored {key}"), e);
    let read = storage
        .as_raw()
        .get(key)
        .map_err(|e| failed(&js_text(&e)))?;
    let value = JsFuture::from(read)
        .await
        .map_err(|e| failed(&js_text(&e)))?;
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_string() {
        // The form stored before: the value as JSON text.
        Some(text) => Ok(Some(text)),
        None => json_text(&value)
            .ok_or_else(|| failed(&"not JSON"))
            .map(Some),
    }
}

/// Stores `value` under `key` as a plain value (the parsed JSON text of `value`).
pub async fn put(storage: &Storage, key: &str, value: &dyn ToJson) -> Result<(), ApiError> {
    put_plain(storage, key, plain(key, value)?).await
}

/// Stores a plain value: the part of [`put`] that does not depend on `T`.
async fn put_plain(storage: &Storage, key: &str, value: JsValue) -> Result<(), ApiError> {
    storage
        .put_raw(key, value)
        .await
        .map_err(|e| ApiError::internal(&format!("store {key}"), &e))
}

/// Stores two values in one write (both or neither), each as [`put`] stores one (worker's
/// `put_multiple` would convert them with serde-wasm-bindgen: a second encoder of each type).
pub async fn put_two(
    storage: &Storage,
    (first_key, first): (&str, &dyn ToJson),
    (second_key, second): (&str, &dyn ToJson),
) -> Result<(), ApiError> {
    let values = Object::new();
    for (key, value) in [
        (first_key, plain(first_key, first)?),
        (second_key, plain(second_key, second)?),
    ] {
        Reflect::set(&values, &JsValue::from_str(key), &value)
            .map_err(|e| ApiError::internal("store", &js_text(&e)))?;
    }
    storage
        .put_multiple_raw(values)
        .await
        .map_err(|e| ApiError::internal(&format!("store {first_key}, {second_key}"), &e))
}

/// `value` as the plain value stored for it: `JSON.parse` of its JSON text.
fn plain(key: &str, value: &dyn ToJson) -> Result<JsValue, ApiError> {
    JSON::parse(&to_json(value))
        .map_err(|e| ApiError::internal(&format!("store {key}"), &js_text(&e)))
}

/// `JSON.stringify(value)` with every ES `Map` written as an object (string keys: the maps we
/// store are `BTreeMap<String, _>`).
fn json_text(value: &JsValue) -> Option<String> {
    let maps_as_objects =
        Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(|_key: JsValue, value: JsValue| {
            if value.is_instance_of::<Map>() {
                Object::from_entries(&value).map_or(value, JsValue::from)
            } else {
                value
            }
        });
    JSON::stringify_with_replacer(value, maps_as_objects.as_ref())
        .ok()?
        .as_string()
}

/// A JavaScript error as text, for the log.
fn js_text(e: &JsValue) -> String {
    worker::Error::from(e.clone()).to_string()
}
