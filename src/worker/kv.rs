//! KV: one key per credential, `cred:<lookup key>` → the core's [`Credential`] as JSON.
//!
//! Written through by the user's Durable Object, read by verification (one get per login).

use super::config::KV_BINDING;
use crate::core::{Credential, Entry, UserRecord};
use worker::{Env, KvStore};

fn store(env: &Env) -> worker::Result<KvStore> {
    env.kv(KV_BINDING)
}

fn key(lookup_key: &str) -> String {
    format!("cred:{lookup_key}")
}

/// Stores the credential of `entry` so it verifies. The key's metadata names the server secret it
/// is keyed with (`{"secret_id":…}`, see README § Rotating `PASSWORD_SECRET`).
pub async fn put(env: &Env, record: &UserRecord, entry: &Entry) -> worker::Result<()> {
    let value = serde_json::to_string(&record.credential(entry))
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    store(env)?
        .put(&key(&entry.lookup_key), value)?
        .metadata(serde_json::json!({ "secret_id": entry.secret_id }))?
        .execute()
        .await?;
    Ok(())
}

/// Removes the credential of `entry` so it no longer verifies (after KV's propagation delay).
pub async fn delete(env: &Env, entry: &Entry) -> worker::Result<()> {
    store(env)?.delete(&key(&entry.lookup_key)).await?;
    Ok(())
}

/// Finds the credential stored under `lookup_key`.
pub async fn get(env: &Env, lookup_key: &str) -> worker::Result<Option<Credential>> {
    Ok(store(env)?
        .get(&key(lookup_key))
        .json::<Credential>()
        .await?)
}
