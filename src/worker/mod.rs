//! The Cloudflare Worker: JSON API over the core, KV for verification, Durable Objects per user and
//! for the tenant.
//!
//! Every route, with its access policy, is in one table: [`routes::ROUTES`] (the README's API table
//! lists the same). The router enforces the policy before any handler runs.

mod api_keys;
mod app_passwords;
mod audit;
mod binding;
mod commands;
mod config;
mod http;
mod kv;
mod login_cache;
mod lookup;
mod oidc;
mod portal;
mod routes;
mod stats;
mod stored;
mod tenant_object;
mod user_object;
mod verify;

use crate::domain::audit::Actor;
use crate::domain::fields;
use crate::domain::rules::Settings;
use crate::domain::to_json::{ToJson, to_json};
use commands::{Command, Message};
use config::{TENANT_BINDING, USERS_BINDING};
use http::ApiError;
use worker::{Context, Env, Headers, Method, Request, Response, Result, event};

/// The Worker's allocator: talc instead of std's dlmalloc, a few KB less wasm (issue 13). The
/// isolate is single-threaded (no `atomics` target feature), as talc's wasm allocator requires.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The current time in seconds since the Unix epoch: `Date.now()`, one call into the runtime
/// (worker's `Date::now` makes two: a `Date` object, then its time).
fn now() -> i64 {
    // `as` saturates (and makes NaN 0); whole seconds, rounded down as before.
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// Runs `work` after the response (`wait_until`). Boxed, so every caller shares one copy of the
/// runtime's promise glue in the wasm instead of one per future type.
fn later(ctx: &Context, work: impl core::future::Future<Output = ()> + 'static) {
    let work: core::pin::Pin<Box<dyn core::future::Future<Output = ()>>> = Box::pin(work);
    ctx.wait_until(work);
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let response = match routes::route(req, &env, &ctx).await {
        Ok(response) => response,
        Err(e) => e.response()?,
    };
    with_security_headers(response)
}

/// RFC 9110 § 11.6.1: a 401 names the scheme that would be accepted.
const WWW_AUTHENTICATE: &str = "Bearer realm=\"app-passwords\"";

/// Adds the headers every answer carries: in place on the responses the Worker built (their header
/// lists are mutable), on a copy for one whose list is not.
fn with_security_headers(mut response: Response) -> Result<Response> {
    let status = response.status_code();
    if add_security_headers(response.headers_mut(), status).is_ok() {
        return Ok(response);
    }
    let mut headers = Headers::new();
    // `append`: a response may set several cookies, and iteration lists each `Set-Cookie` apart.
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value)?;
    }
    add_security_headers(&mut headers, status)?;
    Ok(response.with_headers(headers))
}

fn add_security_headers(headers: &mut Headers, status: u16) -> Result<()> {
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    if status == 401 && !headers.has("www-authenticate")? {
        headers.set("www-authenticate", WWW_AUTHENTICATE)?;
    }
    Ok(())
}

/// The tenant settings, from the tenant object.
async fn settings(env: &Env) -> Result<Settings, ApiError> {
    let stub = env
        .durable_object(TENANT_BINDING)?
        .id_from_name("tenant")?
        .get_stub()?;
    let mut response = stub.fetch_with_str("https://tenant/").await?;
    // Fail closed: a tenant object that cannot answer must not silently re-enable creation.
    http::answer_json::<Settings>(&mut response)
        .await
        .map_err(|e| ApiError::internal("tenant settings", &e))
}

/// The first app password issued at MFA registration, as the page shows it once.
struct FirstPassword {
    name: String,
    display: String,
}

/// Turns MFA on for `user` as an identity provider does at registration; returns the first app
/// password (name and display form) when one was issued.
async fn register_mfa(env: &Env, user: String) -> Result<Option<FirstPassword>, ApiError> {
    let settings = settings(env).await?;
    let command = Command::SetMfa {
        user,
        enabled: true,
        initial_name: None,
        settings,
    };
    let answer: commands::MfaState = ask(env, &Actor::Session, &command).await?;
    Ok(answer.initial_app_password.map(|p| FirstPassword {
        name: p.name,
        display: p.display,
    }))
}

/// Sends a command to the user's Durable Object and decodes its typed reply (see [`commands`]);
/// an error it answered comes back as the same [`ApiError`] (code, status, message, limit).
async fn ask<T: fields::FromJson>(
    env: &Env,
    actor: &Actor,
    command: &Command,
) -> Result<T, ApiError> {
    let bytes = answer_bytes(env, actor, command).await?;
    let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
    http::own_json(text).map_err(|e| ApiError::internal("user object reply", &e))
}

/// The body of the object's successful answer to `command`: the part of [`ask`] that does not
/// depend on `T`, one copy in the wasm.
async fn answer_bytes(env: &Env, actor: &Actor, command: &Command) -> Result<Vec<u8>, ApiError> {
    Ok(relay(env, actor, command).await?.bytes().await?)
}

/// Sends a command to the user's Durable Object and returns its successful answer as it is (a
/// JSON reply, never cached); an error it answered comes back as the same [`ApiError`].
async fn relay(env: &Env, actor: &Actor, command: &Command) -> Result<Response, ApiError> {
    let mut response = send(env, actor, command).await?;
    let status = response.status_code();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    Err(relayed(status, &response.bytes().await?))
}

/// The [`ApiError`] of an object's error answer `{"error":{"code","message"[,"limit"]}}`: one of
/// the core's codes (or `server_misconfigured`); anything else is 503 `storage_unavailable`.
fn relayed(status: u16, body: &[u8]) -> ApiError {
    let read = |value: serde_json::Value| -> fields::Result<(String, String, Option<u32>)> {
        let mut error = fields::Fields::new(fields::Fields::new(value)?.value("error"))?;
        Ok((
            error.string("code")?,
            error.string("message")?,
            error.get("limit")?,
        ))
    };
    let known = |code: &str| {
        crate::domain::Error::ALL_CODES
            .into_iter()
            .chain(["server_misconfigured"])
            .find(|c| *c == code)
    };
    match fields::parse_value(body).and_then(read) {
        Ok((code, message, limit)) => match known(&code) {
            Some(code) => ApiError {
                limit,
                ..ApiError::new(status, code, message)
            },
            None => ApiError::internal("user object: unknown error code", &status),
        },
        Err(e) => ApiError::internal("user object: error answer", &e),
    }
}

/// Sends a command, done for `actor`, to the user's Durable Object and returns its answer.
async fn send(env: &Env, actor: &Actor, command: &Command) -> Result<Response, ApiError> {
    struct Borrowed<'a> {
        actor: &'a Actor,
        command: &'a Command,
    }
    crate::json_object!(Borrowed<'_> { actor, command });
    let answer = post_to_user(env, command.user(), &Borrowed { actor, command }).await;
    // After the object has changed KV (or failed to): a verify that read the old credential while
    // this was on its way cannot leave it cached.
    if command.changes_credentials() {
        login_cache::forget_user(command.user(), now());
    }
    answer
}

/// Sends a [`Message`] to its user's Durable Object.
async fn send_message(env: &Env, message: &Message) -> Result<Response, ApiError> {
    post_to_user(env, message.command.user(), message).await
}

async fn post_to_user(env: &Env, user: &str, message: &dyn ToJson) -> Result<Response, ApiError> {
    post_to_object(env, USERS_BINDING, &format!("user:{user}"), message).await
}

/// POSTs `message` as JSON to the Durable Object `name` of `binding` and returns its answer.
async fn post_to_object(
    env: &Env,
    binding: &str,
    name: &str,
    message: &dyn ToJson,
) -> Result<Response, ApiError> {
    let stub = env
        .durable_object(binding)?
        .id_from_name(name)?
        .get_stub()?;
    let body = to_json(message);
    let inner = http::request("https://object/", &Method::Post, None, Some(&body.into()))?;
    forward(stub.fetch_with_request(inner).await?).await
}

/// Re-creates an object's response so its headers can be extended.
async fn forward(mut inner: Response) -> Result<Response, ApiError> {
    let status = inner.status_code();
    let bytes = inner.bytes().await?;
    if bytes.is_empty() {
        return Ok(Response::empty()?.with_status(status));
    }
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::from_bytes(bytes)?
        .with_status(status)
        .with_headers(headers))
}
