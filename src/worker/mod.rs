//! The Cloudflare Worker: JSON API over the core, KV for verification, a Durable Object per user.
//!
//! Routes (all `/v1/*` need `Authorization: Bearer <API_TOKEN>`):
//!
//! | method | path | does |
//! | --- | --- | --- |
//! | GET | `/healthz` | liveness |
//! | POST | `/v1/users/{user}/app-passwords` | create (plaintext returned once) |
//! | GET | `/v1/users/{user}/app-passwords` | list |
//! | DELETE | `/v1/users/{user}/app-passwords/{id}` | delete one |
//! | DELETE | `/v1/users/{user}/app-passwords` | delete all |
//! | PUT | `/v1/users/{user}/mfa` | MFA on/off; first app password at registration |
//! | POST | `/v1/users/{user}/password-changed` | the tenant's policy after a main-password change |
//! | POST | `/v1/verify` | check a login (KV only) |
//! | GET, PUT | `/v1/settings` | tenant settings |

mod commands;
mod config;
mod http;
mod kv;
mod lookup;
mod portal;
mod tenant_object;
mod user_object;

use crate::core::rules::{
    self, MAX_USER_BYTES, Rejection, Settings, check_credential, parse_scopes, valid_user,
};
use crate::core::{Protocol, format, hash};
use commands::Command;
use config::{Config, TENANT_BINDING, USERS_BINDING};
use http::ApiError;
use serde::{Deserialize, Serialize};
use worker::{Context, Env, Headers, Method, Request, RequestInit, Response, Result, event};

/// The current time in seconds since the Unix epoch.
fn now() -> i64 {
    i64::try_from(worker::Date::now().as_millis() / 1000).unwrap_or(i64::MAX)
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> Result<Response> {
    let response = match route(&mut req, &env, &ctx).await {
        Ok(response) => response,
        Err(e) => e.response()?,
    };
    with_security_headers(response)
}

fn with_security_headers(response: Response) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.set(&name, &value)?;
    }
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    Ok(response.with_headers(headers))
}

/// The route a request names, before authentication and method checks.
enum Route {
    Health,
    Page,
    Asset,
    SignOut,
    DevSignIn,
    Verify,
    Settings,
    AppPasswords(Who),
    AppPassword(Who, String),
    Mfa(String),
    PasswordChanged(String),
}

/// Whose app passwords: a user named by a service call, or the signed-in user of the page.
enum Who {
    User(String),
    Me,
}

fn parse_route(path: &str) -> Result<Option<Route>, ApiError> {
    // No trimming of trailing slashes: `…/app-passwords/` names an (empty) id, not the collection,
    // so a caller with an empty id variable can never delete everything by accident.
    let segments: Vec<&str> = if path == "/" {
        Vec::new()
    } else {
        path.split('/').skip(1).collect()
    };
    let id = |raw: &str| http::percent_decode(raw).unwrap_or_default();
    Ok(Some(match segments.as_slice() {
        [] => Route::Page,
        ["healthz"] => Route::Health,
        ["assets", _] => Route::Asset,
        ["sign-out"] => Route::SignOut,
        ["dev", "sign-in"] => Route::DevSignIn,
        ["v1", "verify"] => Route::Verify,
        ["v1", "settings"] => Route::Settings,
        ["v1", "me", "app-passwords"] => Route::AppPasswords(Who::Me),
        ["v1", "me", "app-passwords", raw] => Route::AppPassword(Who::Me, id(raw)),
        ["v1", "users", user, "app-passwords"] => Route::AppPasswords(Who::User(user_id(user)?)),
        ["v1", "users", user, "app-passwords", raw] => {
            Route::AppPassword(Who::User(user_id(user)?), id(raw))
        }
        ["v1", "users", user, "mfa"] => Route::Mfa(user_id(user)?),
        ["v1", "users", user, "password-changed"] => Route::PasswordChanged(user_id(user)?),
        _ => return Ok(None),
    }))
}

/// Decodes and checks a user id: 1 to 256 bytes of UTF-8.
fn user_id(raw: &str) -> Result<String, ApiError> {
    http::percent_decode(raw)
        .filter(|u| valid_user(u))
        .ok_or_else(invalid_user)
}

fn invalid_user() -> ApiError {
    ApiError::new(
        400,
        "invalid_user",
        format!("the user id must be 1 to {MAX_USER_BYTES} bytes of UTF-8, URL-encoded in paths"),
    )
}

async fn route(req: &mut Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
    let path = req.url()?.path().to_owned();
    let Some(route) = parse_route(&path)? else {
        return Err(ApiError::new(404, "not_found_route", "no such route"));
    };
    let method = req.method();
    match &route {
        Route::Health => {
            only(req, &[Method::Get])?;
            return Ok(http::json(200, &Health { ok: true })?);
        }
        Route::Page => {
            only(req, &[Method::Get])?;
            return portal::page(req, env).await;
        }
        Route::Asset => {
            only(req, &[Method::Get])?;
            return portal::asset(&path)
                .ok_or_else(|| ApiError::new(404, "not_found_route", "no such route"))?
                .map_err(ApiError::from);
        }
        Route::SignOut => {
            only(req, &[Method::Post])?;
            return portal::sign_out(req);
        }
        Route::DevSignIn => return portal::dev_sign_in(req, env).await,
        Route::AppPasswords(Who::Me) | Route::AppPassword(Who::Me, _) => {
            if method != Method::Get {
                portal::same_origin(req)?;
            }
        }
        _ => authenticate(req, env)?,
    }
    let user_of = |who: Who| match who {
        Who::User(user) => Ok(user),
        Who::Me => portal::session_user(req, env),
    };
    match route {
        Route::Health | Route::Page | Route::Asset | Route::SignOut | Route::DevSignIn => {
            Err(ApiError::new(404, "not_found_route", "no such route"))
        }
        Route::Verify => {
            only(req, &[Method::Post])?;
            verify(req, env, ctx).await
        }
        Route::Settings => {
            only(req, &[Method::Get, Method::Put])?;
            let stub = env
                .durable_object(TENANT_BINDING)?
                .id_from_name("tenant")?
                .get_stub()?;
            let inner = Request::new_with_init("https://tenant/", &forwarded(req, &method).await?)?;
            let response = forward(stub.fetch_with_request(inner).await?).await;
            // After the change, so that no login in between caches the old settings again.
            lookup::forget_settings();
            response
        }
        Route::AppPasswords(who) => {
            let user = user_of(who)?;
            match method {
                Method::Post => {
                    let body: CreateBody = http::read_json(req).await?;
                    let scopes = parse_scopes(&body.scopes.unwrap_or_default())?;
                    let settings = settings(env).await?;
                    send(
                        env,
                        &Command::Create {
                            user,
                            name: body.name,
                            scopes,
                            expires_in_days: body.expires_in_days,
                            settings,
                        },
                    )
                    .await
                }
                Method::Get => {
                    send(
                        env,
                        &Command::List {
                            user,
                            settings: settings(env).await?,
                        },
                    )
                    .await
                }
                Method::Delete => send(env, &Command::DeleteAll { user }).await,
                _ => Err(method_not_allowed()),
            }
        }
        Route::AppPassword(who, id) => {
            only(req, &[Method::Delete])?;
            send(
                env,
                &Command::Delete {
                    user: user_of(who)?,
                    id,
                },
            )
            .await
        }
        Route::Mfa(user) => {
            only(req, &[Method::Put])?;
            let body: MfaBody = http::read_json(req).await?;
            let settings = settings(env).await?;
            let command = Command::SetMfa {
                user,
                enabled: body.enabled,
                initial_name: body.initial_name,
                settings,
            };
            send(env, &command).await
        }
        Route::PasswordChanged(user) => {
            only(req, &[Method::Post])?;
            let policy = settings(env).await?.on_password_change;
            send(env, &Command::PasswordChanged { user, policy }).await
        }
    }
}

#[derive(Serialize)]
struct Health {
    ok: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    scopes: Option<Vec<String>>,
    expires_in_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MfaBody {
    enabled: bool,
    initial_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    user: String,
    password: String,
    protocol: Option<String>,
}

#[derive(Serialize)]
struct Verified<'a> {
    valid: bool,
    app_password: VerifiedEntry<'a>,
}

#[derive(Serialize)]
struct VerifiedEntry<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Refused {
    valid: bool,
    reason: &'static str,
}

fn only(req: &Request, allowed: &[Method]) -> Result<(), ApiError> {
    if allowed.contains(&req.method()) {
        Ok(())
    } else {
        Err(method_not_allowed())
    }
}

fn method_not_allowed() -> ApiError {
    ApiError::new(
        405,
        "method_not_allowed",
        "this route does not accept this method",
    )
}

/// Checks `Authorization: Bearer <API_TOKEN>` in constant time.
fn authenticate(req: &Request, env: &Env) -> Result<(), ApiError> {
    let expected = config::api_token(env)?;
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let token = given.strip_prefix("Bearer ").unwrap_or_default().trim();
    if hash::constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            401,
            "unauthorized",
            "missing or wrong bearer token",
        ))
    }
}

/// The hot path: normalise (no I/O for garbage), one KV read (or, for strict revocation, one
/// call to the user's object), at most one Argon2id. During a secret rotation a miss under the
/// current secret costs a second read; a success under the previous one re-keys the credential.
async fn verify(req: &mut Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
    let body: VerifyBody = http::read_json(req).await?;
    if !valid_user(&body.user) {
        return Err(invalid_user());
    }
    let protocol = body.protocol.as_deref().map(Protocol::parse).transpose()?;
    let refused = |reason: Rejection| {
        http::json(
            401,
            &Refused {
                valid: false,
                reason: reason.code(),
            },
        )
        .map_err(ApiError::from)
    };
    let password = match format::normalize(&body.password) {
        Ok(p) => p,
        Err(e) => return refused(Rejection::from_format(e)),
    };
    let config = Config::from_env(env)?;
    let at = now();
    let settings = lookup::settings(env, at).await?;
    let strict = settings.strict_revocation;
    let Some(mut found) = lookup::find(env, &config, &body.user, &password, strict).await? else {
        return refused(Rejection::Unknown);
    };
    let secret = found.secret(&config);
    let check = |c: &rules::Credential| {
        check_credential(c, &body.user, &password, protocol, secret, &settings, at)
    };
    // Whether the copy that was read lags on last use (the object's copy, read below, never does).
    let publish = found.credential.use_worth_publishing(&settings, at);
    let mut checked = check(&found.credential);
    if checked == Err(Rejection::Expired) && !strict && !found.credential.past_expiry(at) {
        // Refused as unused, but KV's copy of last use may lag: the user's object has it exactly.
        let current = lookup::read(env, &body.user, &found.lookup_key, true).await?;
        checked = current.as_ref().map_or(Err(Rejection::Unknown), check);
        found.credential = current.unwrap_or(found.credential);
    }
    if let Err(reason) = checked {
        return refused(reason);
    }
    let credential = found.credential;
    if found.previous {
        // Re-key before answering, so that once a login succeeded the previous secret is no longer
        // needed for this app password. A failure is retried at the next login.
        let rekey = Command::Rekey {
            user: body.user.clone(),
            id: credential.id.clone(),
            password: password.as_str().to_owned(),
        };
        if let Err(e) = send(env, &rekey).await {
            worker::console_error!("re-key: {}", e.code);
        }
    }
    let mut after = Vec::new();
    if use_worth_sending(&credential.id, at) || publish {
        after.push(Command::RecordUse {
            user: body.user.clone(),
            id: credential.id.clone(),
            at,
            protocol,
            publish,
        });
    }
    if !found.previous && hash::needs_rehash(&credential.phc, config.params) {
        after.push(Command::Rehash {
            user: body.user,
            id: credential.id.clone(),
            password: password.as_str().to_owned(),
        });
    }
    after_response(env, ctx, after);
    Ok(http::json(
        200,
        &Verified {
            valid: true,
            app_password: VerifiedEntry {
                id: &credential.id,
                name: &credential.name,
            },
        },
    )?)
}

thread_local! {
    /// When this isolate last sent a use of each app password to its user's object.
    static USE_SENT: core::cell::RefCell<std::collections::HashMap<String, i64>> =
        core::cell::RefCell::new(std::collections::HashMap::new());
}

/// Whether to send a use of `id` at `at` to the user's object. The object records at most one use
/// per [`rules::LAST_USE_INTERVAL_SECS`] anyway; this spares it the requests it would ignore, from
/// this isolate at least (other isolates send their own).
fn use_worth_sending(id: &str, at: i64) -> bool {
    USE_SENT.with(|sent| {
        let mut sent = sent.borrow_mut();
        if sent
            .get(id)
            .is_some_and(|&last| at - last < rules::LAST_USE_INTERVAL_SECS)
        {
            return false;
        }
        if sent.len() >= 10_000 {
            sent.retain(|_, &mut last| at - last < rules::LAST_USE_INTERVAL_SECS);
        }
        sent.insert(id.to_owned(), at);
        true
    })
}

/// Sends commands to the user's object after the response: last use (the object throttles the
/// writes) and, when parameters changed, the re-hash.
fn after_response(env: &Env, ctx: &Context, commands: Vec<Command>) {
    let env = env.clone();
    if commands.is_empty() {
        return;
    }
    ctx.wait_until(async move {
        for command in &commands {
            if let Err(e) = send(&env, command).await {
                worker::console_error!("after verify: {}", e.code);
            }
        }
    });
}

/// The tenant settings, from the tenant object.
async fn settings(env: &Env) -> Result<Settings, ApiError> {
    let stub = env
        .durable_object(TENANT_BINDING)?
        .id_from_name("tenant")?
        .get_stub()?;
    let mut response = stub.fetch_with_str("https://tenant/").await?;
    // Fail closed: a tenant object that cannot answer must not silently re-enable creation.
    response
        .json::<Settings>()
        .await
        .map_err(|e| ApiError::internal("tenant settings", &e))
}

/// Turns MFA on for `user` as an identity provider does at registration; returns the first app
/// password's display form when one was issued.
async fn register_mfa(env: &Env, user: String) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Answer {
        initial_app_password: Option<Issued>,
    }
    #[derive(Deserialize)]
    struct Issued {
        display: String,
    }
    let settings = settings(env).await?;
    let command = Command::SetMfa {
        user,
        enabled: true,
        initial_name: None,
        settings,
    };
    let mut response = send(env, &command).await?;
    if response.status_code() != 200 {
        let text = response.text().await.unwrap_or_default();
        return Err(ApiError::internal("dev sign-in", &text));
    }
    let answer: Answer = response.json().await?;
    Ok(answer.initial_app_password.map(|i| i.display))
}

/// Sends a command to the user's Durable Object and returns its answer.
async fn send(env: &Env, command: &Command) -> Result<Response, ApiError> {
    let name = format!("user:{}", command.user());
    let stub = env
        .durable_object(USERS_BINDING)?
        .id_from_name(&name)?
        .get_stub()?;
    let body = serde_json::to_string(command).map_err(|e| ApiError::internal("encode", &e))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let inner = Request::new_with_init("https://user/", &init)?;
    forward(stub.fetch_with_request(inner).await?).await
}

/// Copies a request's method and body for a Durable Object.
async fn forwarded(req: &mut Request, method: &Method) -> Result<RequestInit, ApiError> {
    let mut init = RequestInit::new();
    init.with_method(method.clone());
    if *method != Method::Get {
        let body: serde_json::Value = http::read_json(req).await?;
        init.with_body(Some(body.to_string().into()));
    }
    Ok(init)
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
