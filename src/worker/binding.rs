//! Calls to a binding's JavaScript method (KV, rate limiters) with plain JavaScript arguments.
//!
//! worker's wrappers pass their small option objects (`{type}`, `{metadata}`, `{key}`) and
//! answers (`{success}`) through serde-wasm-bindgen: a second serde serializer and deserializer
//! in the wasm for a few fields (issue 13).

use crate::domain::to_json::{ToJson, to_json};
use js_sys::{Array, Function, JSON, Object, Promise, Reflect};
use worker::Env;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// `env[binding][method](...args)`, awaited.
pub async fn call(
    env: &Env,
    binding: &str,
    method: &str,
    args: &[JsValue],
) -> worker::Result<JsValue> {
    let target = Reflect::get(env, &JsValue::from_str(binding))?;
    let function: Function = Reflect::get(&target, &JsValue::from_str(method))?
        .dyn_into()
        .map_err(|_| worker::Error::RustError(format!("{binding}.{method} is not a function")))?;
    let answer = function.apply(&target, &args.iter().collect::<Array>())?;
    Ok(JsFuture::from(Promise::resolve(&answer)).await?)
}

/// The JavaScript value of the JSON `value` (`JSON.parse` of its text).
pub fn js_value(value: &dyn ToJson) -> worker::Result<JsValue> {
    let text = to_json(value);
    Ok(JSON::parse(&text)?)
}

/// An object with the one property `name` = `value`.
pub fn object(name: &str, value: &JsValue) -> worker::Result<JsValue> {
    let object = Object::new();
    Reflect::set(&object, &JsValue::from_str(name), value)?;
    Ok(object.into())
}
