//! KV: one key per credential, `cred:<lookup key>` → the core's [`Credential`] as JSON, and one key
//! per API key, `apikey:<key hash>` → its [`Published`] id, name and scopes.
//!
//! Written through by the Durable Objects (user and tenant), read by verification and
//! authentication (one get each). Reads are counted per isolate for `GET /v1/stats`.

use super::binding;
use super::config::KV_BINDING;
use crate::domain::Credential;
use crate::domain::api_key::Published;
use crate::domain::fields::FromJson;
use crate::domain::publish::Write;
use crate::domain::to_json::{ToJson, to_json};
use core::sync::atomic::{AtomicU64, Ordering};
use worker::wasm_bindgen::JsValue;
use worker::{Env, KvStore};

/// KV reads made by this isolate.
static READS: AtomicU64 = AtomicU64::new(0);

/// How many KV reads this isolate has made (for `GET /v1/stats`).
pub fn reads() -> u64 {
    READS.load(Ordering::Relaxed)
}

fn store(env: &Env) -> worker::Result<KvStore> {
    env.kv(KV_BINDING)
}

fn key(lookup_key: &str) -> String {
    format!("cred:{lookup_key}")
}

fn api_key(hash: &str) -> String {
    format!("apikey:{hash}")
}

async fn put_json(
    env: &Env,
    name: &str,
    value: &dyn ToJson,
    metadata: Option<&dyn ToJson>,
) -> worker::Result<()> {
    let mut args = vec![JsValue::from_str(name), JsValue::from_str(&to_json(value))];
    if let Some(metadata) = metadata {
        args.push(binding::object("metadata", &binding::js_value(metadata)?)?);
    }
    binding::call(env, KV_BINDING, "put", &args).await?;
    Ok(())
}

async fn get_json<T: FromJson>(env: &Env, name: &str) -> worker::Result<Option<T>> {
    READS.fetch_add(1, Ordering::Relaxed);
    // As text, read by serde_json like every JSON the Worker reads. `null` is no value, as there.
    let args = [JsValue::from_str(name), JsValue::from_str("text")];
    match binding::call(env, KV_BINDING, "get", &args)
        .await?
        .as_string()
    {
        Some(text) => Ok(super::http::own_json::<Option<T>>(text.as_bytes())?),
        None => Ok(None),
    }
}

/// Makes KV's copy under `write.lookup_key` what the record wanted when the write was computed:
/// the credential (so it verifies), or no key (so it no longer verifies, after KV's propagation
/// delay). The key's metadata names the server secret it is keyed with (`{"secret_id":…}`, see
/// README § Rotating `PASSWORD_SECRET`).
///
/// Only the user's Durable Object calls this, from [`crate::domain::publish::Pending`]: see there
/// why a write can never bring back a deleted credential.
pub async fn write(env: &Env, write: &Write) -> worker::Result<()> {
    let name = key(&write.lookup_key);
    match &write.value {
        Some(wanted) => {
            struct Metadata<'a> {
                secret_id: &'a Option<String>,
            }
            crate::json_object!(Metadata<'_> { secret_id });
            let metadata = Metadata {
                secret_id: &wanted.secret_id,
            };
            put_json(env, &name, &wanted.credential, Some(&metadata)).await
        }
        None => {
            store(env)?.delete(&name).await?;
            Ok(())
        }
    }
}

/// Finds the credential stored under `lookup_key`.
pub async fn get(env: &Env, lookup_key: &str) -> worker::Result<Option<Credential>> {
    get_json(env, &key(lookup_key)).await
}

/// Publishes an API key under its hash so it authenticates.
pub async fn put_api_key(env: &Env, hash: &str, key: &Published) -> worker::Result<()> {
    put_json(env, &api_key(hash), key, None).await
}

/// Removes a published API key (other locations stop accepting it after KV's propagation delay).
pub async fn delete_api_key(env: &Env, hash: &str) -> worker::Result<()> {
    store(env)?.delete(&api_key(hash)).await?;
    Ok(())
}

/// Finds the API key published under `hash`.
pub async fn get_api_key(env: &Env, hash: &str) -> worker::Result<Option<Published>> {
    get_json(env, &api_key(hash)).await
}
