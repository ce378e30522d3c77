//! `/v1/api-keys`: create, list and revoke API keys (admin), and finding a presented key.
//!
//! Keys live in the tenant's Durable Object and are published to KV under their hash. Finding a key
//! costs one KV read, or none while this isolate remembers it (at most [`CACHE_SECS`]). A key revoked
//! through this isolate is forgotten at once; other isolates stop accepting it within
//! [`CACHE_SECS`] plus KV's propagation delay (about 60 s).

use super::audit;
use super::commands::TenantCommand;
use super::config::TENANT_BINDING;
use super::http::{self, ApiError};
use super::routes::Call;
use super::{kv, now, post_to_object};
use crate::domain::api_key::{self, ApiKeyEntry, Published};
use crate::domain::audit::{Event, Kind, Named};
use crate::domain::keyed::Keyed;
use crate::domain::rules::LAST_USE_INTERVAL_SECS;
use crate::domain::throttle::Gate;
use core::cell::RefCell;
use worker::{Context, Env, Response};

/// How long this isolate trusts a key it found in KV without reading it again, in seconds.
pub const CACHE_SECS: i64 = 30;
/// Most keys remembered by this isolate.
const CACHE_ENTRIES: usize = 1_000;

thread_local! {
    /// key hash → (the key's published data, when it was read).
    static CACHE: RefCell<Keyed<(Published, i64)>> = RefCell::new(Keyed::default());
    /// When this isolate last sent a use of each key to the tenant object.
    static USE_SENT: RefCell<Gate> = RefCell::new(Gate::new(LAST_USE_INTERVAL_SECS));
}

/// The key `token` (already shaped like one), from this isolate's memory or KV.
pub async fn find(env: &Env, token: &str) -> Result<Option<Published>, ApiError> {
    let hash = api_key::key_hash(token);
    let at = now();
    let cached = CACHE.with(|c| {
        c.borrow()
            .get(&hash)
            .filter(|(_, read_at)| at.saturating_sub(*read_at) < CACHE_SECS)
            .map(|(key, _)| key.clone())
    });
    if cached.is_some() {
        return Ok(cached);
    }
    let found = kv::get_api_key(env, &hash)
        .await
        .map_err(|e| ApiError::internal("kv get", &e))?;
    if let Some(key) = &found {
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= CACHE_ENTRIES {
                c.retain(|_, (_, read_at)| at.saturating_sub(*read_at) < CACHE_SECS);
                if c.len() >= CACHE_ENTRIES {
                    c.clear();
                }
            }
            c.insert(hash, (key.clone(), at));
        });
    }
    Ok(found)
}

/// Records a use of key `id` after the response, at most once a minute per isolate.
pub fn note_use(env: &Env, ctx: &Context, id: &str) {
    let at = now();
    if USE_SENT.with(|g| g.borrow_mut().pass(id, at)).is_none() {
        return;
    }
    let env = env.clone();
    let command = TenantCommand::RecordApiKeyUse {
        id: id.to_owned(),
        at,
    };
    super::later(ctx, async move {
        if let Err(e) = send(&env, &command).await {
            worker::console_error!("api key use: {}", e.code);
        }
    });
}

/// Sends an API-key command to the tenant object.
async fn send(env: &Env, command: &TenantCommand) -> Result<Response, ApiError> {
    post_to_object(env, TENANT_BINDING, "tenant", command).await
}

/// `POST /v1/api-keys` `{"name","scopes"}` → 201 with the key, shown this once.
pub async fn create(mut call: Call<'_>) -> Result<Response, ApiError> {
    use crate::domain::body::Shape::{Text, Texts};
    let mut body = http::read_fields(&mut call.req, &[("name", Text), ("scopes", Texts)]).await?;
    let name = body.text("name")?;
    let scopes = api_key::parse_scopes(&body.opt_texts("scopes").unwrap_or_default())?;
    let mut response = send(call.env, &TenantCommand::CreateApiKey { name, scopes }).await?;
    if response.status_code() == 201 {
        let bytes = response.cloned()?.bytes().await?;
        let named = |value| -> crate::domain::fields::Result<Named> {
            let mut created = crate::domain::fields::Fields::new(value)?;
            let (id, name) = (created.string("id")?, created.string("name")?);
            Ok(Named {
                scopes: Some(created.get("scopes")?),
                ..Named::new(&id, &name)
            })
        };
        let named = crate::domain::fields::parse_value(&bytes)
            .and_then(named)
            .map_err(|e| ApiError::internal("tenant object reply", &e))?;
        let mut event = Event::new(Kind::ApiKeyCreated, now(), call.caller.actor());
        event.api_key = Some(named);
        audit::print(&event, None);
    }
    Ok(response)
}

/// `GET /v1/api-keys` → `{"api_keys":[…]}` (never a key or its hash).
pub async fn list(call: Call<'_>) -> Result<Response, ApiError> {
    send(call.env, &TenantCommand::ListApiKeys).await
}

/// `DELETE /v1/api-keys/{id}` → 204; refused at once by this isolate.
pub async fn revoke(call: Call<'_>) -> Result<Response, ApiError> {
    let id = call.param("id").to_owned();
    let mut response = send(call.env, &TenantCommand::RevokeApiKey { id }).await?;
    if response.status_code() != 200 {
        return Ok(response);
    }
    let entry: ApiKeyEntry = http::answer_json(&mut response).await?;
    CACHE.with(|c| c.borrow_mut().remove(&entry.hash));
    let mut event = Event::new(Kind::ApiKeyRevoked, now(), call.caller.actor());
    event.api_key = Some(Named {
        scopes: Some(entry.scopes.clone()),
        ..Named::new(&entry.id, &entry.name)
    });
    audit::print(&event, None);
    Ok(Response::empty()?.with_status(204))
}
