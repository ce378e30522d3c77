//! The route table: every endpoint with its method, path and access policy, in one place.
//!
//! [`route`] finds the route, answers 404 `not_found_route` or 405 `method_not_allowed` (with an
//! `Allow` header) in JSON, enforces the route's [`Access`] policy, and only then calls the
//! endpoint's handler — so no handler can forget to check who is calling.
//!
//! `tests/worker/routes.json` lists the same table for the end-to-end tests (which try every scope
//! on every route); a unit test below keeps the two equal.

use super::http::{self, ApiError};
use super::{api_keys, app_passwords, config, portal, stats, verify};
use crate::domain::api_key::{self, Published, Scope};
use crate::domain::audit::Actor;
use crate::domain::{Error, UserId};
use core::future::Future;
use core::pin::Pin;
use worker::{Context, Env, Headers, Method, Request, Response};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// `Authorization: Bearer` with the root `API_TOKEN` or an API key holding this scope
    /// (`admin` holds every scope).
    Key(Scope),
    /// The page's signed-in user (session cookie); state-changing methods must be same-origin.
    Session,
}

/// What a route does: each variant is one handler function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Liveness and version.
    Health,
    /// The OpenAPI 3.1 description of every route.
    OpenApi,
    /// No icon (answered quietly).
    Favicon,
    /// The self-service page.
    Page,
    /// The page's script and style.
    Asset,
    /// Start a sign-in at the identity provider.
    SignIn,
    /// The identity provider's answer.
    Callback,
    /// End the page's session.
    SignOut,
    /// End every session of the signed-in user.
    SignOutEverywhere,
    /// Development sign-in (only with `DEV_SIGN_IN = "true"`).
    DevSignIn,
    /// Check a login.
    Verify,
    /// Read tenant settings.
    GetSettings,
    /// Change tenant settings.
    PutSettings,
    /// This isolate's counters.
    Stats,
    /// Create an API key.
    CreateApiKey,
    /// List API keys.
    ListApiKeys,
    /// Revoke an API key.
    RevokeApiKey,
    /// Create an app password (for `{user}` or the session's user).
    CreateAppPassword,
    /// List app passwords.
    ListAppPasswords,
    /// Delete one app password.
    DeleteAppPassword,
    /// Delete every app password.
    DeleteAllAppPasswords,
    /// Turn MFA on or off.
    SetMfa,
    /// Apply the tenant's policy after the user's main password changed.
    PasswordChanged,
    /// Recent audit events of a user.
    Events,
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path; `{name}` matches one segment (percent-decoded; `{user}` must be a [`UserId`]).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What it does.
    pub endpoint: Endpoint,
}

const fn r(method: Method, path: &'static str, access: Access, endpoint: Endpoint) -> Route {
    Route {
        method,
        path,
        access,
        endpoint,
    }
}

use Access::{Key, Public, Session};
use Endpoint as E;
use Method::{Delete, Get, Post, Put};
use Scope::{Admin, Users};

/// Every route of the Worker.
pub const ROUTES: &[Route] = &[
    r(Get, "/healthz", Public, E::Health),
    r(Get, "/openapi.json", Public, E::OpenApi),
    r(Get, "/favicon.ico", Public, E::Favicon),
    r(Get, "/", Public, E::Page),
    r(Get, "/assets/{file}", Public, E::Asset),
    r(Get, "/sign-in", Public, E::SignIn),
    r(Get, "/oidc/callback", Public, E::Callback),
    r(Post, "/sign-out", Public, E::SignOut),
    r(Post, "/sign-out-everywhere", Session, E::SignOutEverywhere),
    r(Post, "/dev/sign-in", Public, E::DevSignIn),
    r(Post, "/v1/verify", Key(Scope::Verify), E::Verify),
    r(Get, "/v1/settings", Key(Admin), E::GetSettings),
    r(Put, "/v1/settings", Key(Admin), E::PutSettings),
    r(Get, "/v1/stats", Key(Admin), E::Stats),
    r(Post, "/v1/api-keys", Key(Admin), E::CreateApiKey),
    r(Get, "/v1/api-keys", Key(Admin), E::ListApiKeys),
    r(Delete, "/v1/api-keys/{id}", Key(Admin), E::RevokeApiKey),
    r(
        Post,
        "/v1/users/{user}/app-passwords",
        Key(Users),
        E::CreateAppPassword,
    ),
    r(
        Get,
        "/v1/users/{user}/app-passwords",
        Key(Users),
        E::ListAppPasswords,
    ),
    r(
        Delete,
        "/v1/users/{user}/app-passwords",
        Key(Users),
        E::DeleteAllAppPasswords,
    ),
    r(
        Delete,
        "/v1/users/{user}/app-passwords/{id}",
        Key(Users),
        E::DeleteAppPassword,
    ),
    r(Put, "/v1/users/{user}/mfa", Key(Users), E::SetMfa),
    r(
        Post,
        "/v1/users/{user}/password-changed",
        Key(Users),
        E::PasswordChanged,
    ),
    r(Get, "/v1/users/{user}/events", Key(Users), E::Events),
    r(Post, "/v1/me/app-passwords", Session, E::CreateAppPassword),
    r(Get, "/v1/me/app-passwords", Session, E::ListAppPasswords),
    r(
        Delete,
        "/v1/me/app-passwords",
        Session,
        E::DeleteAllAppPasswords,
    ),
    r(
        Delete,
        "/v1/me/app-passwords/{id}",
        Session,
        E::DeleteAppPassword,
    ),
    r(Get, "/v1/me/events", Session, E::Events),
];

/// Who is calling, once the route's policy has been enforced.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A public route: nobody in particular.
    Anonymous,
    /// The root `API_TOKEN`.
    Root,
    /// An API key.
    Key(Published),
    /// The page's signed-in user.
    Session(UserId),
}

impl Caller {
    /// The audit actor.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Anonymous | Self::Root => Actor::Root,
            Self::Key(key) => Actor::Key(key.id.clone()),
            Self::Session(_) => Actor::Session,
        }
    }
}

/// Decoded path parameters by name.
type Params = Vec<(&'static str, String)>;

/// A request on its way to a handler: the route's parameters and the authenticated caller.
pub struct Call<'a> {
    /// The request.
    pub req: Request,
    /// The Worker's bindings.
    pub env: &'a Env,
    /// For work after the response (`wait_until`).
    pub ctx: &'a Context,
    /// Path parameters other than `{user}`, by name, decoded.
    params: Params,
    /// The user a user route acts on: `{user}` for service calls, the signed-in user on the page.
    user: Option<UserId>,
    /// Who is calling.
    pub caller: Caller,
}

impl Call<'_> {
    /// A path parameter (empty when absent).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The user a user route acts on: `{user}` for service calls, the signed-in user on the page
    /// (empty on routes that have neither).
    pub fn user(&self) -> String {
        self.user
            .as_ref()
            .map(UserId::to_string)
            .unwrap_or_default()
    }
}

/// Splits a path into segments. No trimming of trailing slashes: `…/app-passwords/` names an
/// (empty) id, not the collection, so an empty id variable can never delete everything.
fn segments(path: &str) -> Vec<&str> {
    if path == "/" {
        Vec::new()
    } else {
        path.split('/').skip(1).collect()
    }
}

/// The raw parameters if `pattern` matches `path`.
fn matches<'p>(pattern: &'static str, path: &[&'p str]) -> Option<Vec<(&'static str, &'p str)>> {
    let pattern = segments(pattern);
    if pattern.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, s) in pattern.iter().zip(path) {
        match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => params.push((name, *s)),
            None if p == s => {}
            None => return None,
        }
    }
    Some(params)
}

/// Decodes path parameters (percent-decoded UTF-8); `{user}` becomes the [`UserId`] of the call.
fn decode(raw: Vec<(&'static str, &str)>) -> Result<(Params, Option<UserId>), ApiError> {
    let mut params = Vec::with_capacity(raw.len());
    let mut user = None;
    for (name, value) in raw {
        let decoded = http::percent_decode(value);
        if name == "user" {
            let id = decoded.ok_or(Error::InvalidUser)?;
            user = Some(UserId::new(&id)?);
        } else {
            params.push((name, decoded.unwrap_or_default()));
        }
    }
    Ok((params, user))
}

/// Finds the route, enforces its policy, runs its handler.
pub async fn route(req: Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
    let path = req.path();
    let path = segments(&path);
    // Not `req.method()`, which runs unknown methods (`PROPFIND`) as GET.
    let method = http::method(&req);
    let mut allowed: Vec<Method> = Vec::new();
    let mut found = None;
    for route in ROUTES {
        if let Some(params) = matches(route.path, &path) {
            if method.as_ref() == Some(&route.method) {
                found = Some((route, params));
                break;
            }
            allowed.push(route.method.clone());
        }
    }
    let Some((route, raw)) = found else {
        if allowed.is_empty() {
            return Err(ApiError::new(404, "not_found_route", "no such route"));
        }
        return Err(http::method_not_allowed(&allowed));
    };
    let caller = enforce(route.access, &req, env, ctx).await?;
    let (params, path_user) = decode(raw)?;
    let user = match &caller {
        Caller::Session(user) => Some(user.clone()),
        _ => path_user,
    };
    let call = Call {
        req,
        env,
        ctx,
        params,
        user,
        caller,
    };
    dispatch(route.endpoint, call).await
}

/// A handler's answer, still to come. Boxed, so each handler's state machine stays its own function
/// instead of being inlined into one that holds (and drops) every handler's state.
type Answer<'a> = Pin<Box<dyn Future<Output = Result<Response, ApiError>> + 'a>>;

/// An [`Answer`] from a handler's future (which also gives an `async` block its output type).
fn boxed<'a>(answer: impl Future<Output = Result<Response, ApiError>> + 'a) -> Answer<'a> {
    Box::pin(answer)
}

/// An answer already known.
fn ready<'a>(answer: Result<Response, ApiError>) -> Answer<'a> {
    boxed(core::future::ready(answer))
}

fn dispatch(endpoint: Endpoint, call: Call<'_>) -> Answer<'_> {
    match endpoint {
        E::Health => ready(health()),
        E::OpenApi | E::Asset => ready(Err(portal::static_file())),
        E::Favicon => ready(favicon()),
        E::Page => boxed(async move { portal::page(&call.req, call.env).await }),
        E::SignIn => boxed(async move { portal::sign_in(&call.req, call.env).await }),
        E::Callback => boxed(async move { portal::callback(&call.req, call.env).await }),
        E::SignOut => boxed(async move { portal::sign_out(&call.req, call.env).await }),
        E::SignOutEverywhere => boxed(portal::sign_out_everywhere(call)),
        E::DevSignIn => boxed(portal::dev_sign_in(call)),
        E::Verify => boxed(verify::verify(call)),
        E::GetSettings => boxed(app_passwords::get_settings(call)),
        E::PutSettings => boxed(app_passwords::put_settings(call)),
        E::Stats => ready(stats::stats()),
        E::CreateApiKey => boxed(api_keys::create(call)),
        E::ListApiKeys => boxed(api_keys::list(call)),
        E::RevokeApiKey => boxed(api_keys::revoke(call)),
        E::CreateAppPassword => boxed(app_passwords::create(call)),
        E::ListAppPasswords => boxed(app_passwords::list(call)),
        E::DeleteAppPassword => boxed(app_passwords::delete(call)),
        E::DeleteAllAppPasswords => boxed(app_passwords::delete_all(call)),
        E::SetMfa => boxed(app_passwords::set_mfa(call)),
        E::PasswordChanged => boxed(app_passwords::password_changed(call)),
        E::Events => boxed(app_passwords::events(call)),
    }
}

fn health() -> Result<Response, ApiError> {
    struct Health {
        ok: bool,
        /// The Worker's version (`CARGO_PKG_VERSION`).
        version: &'static str,
    }
    crate::json_object!(Health { ok, version });
    let version = env!("CARGO_PKG_VERSION");
    Ok(http::json(200, &Health { ok: true, version })?)
}

/// `GET /favicon.ico`: browsers ask for it on their own; 204, so no 404 lands in their console.
fn favicon() -> Result<Response, ApiError> {
    let headers = Headers::new();
    headers.set("cache-control", "public, max-age=86400")?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

/// Enforces a route's policy and says who is calling.
async fn enforce(
    access: Access,
    req: &Request,
    env: &Env,
    ctx: &Context,
) -> Result<Caller, ApiError> {
    match access {
        Access::Public => Ok(Caller::Anonymous),
        Access::Session => {
            if http::method(req) != Some(Method::Get) {
                portal::same_origin(req)?;
            }
            Ok(Caller::Session(portal::session_user(req, env).await?))
        }
        Access::Key(needed) => {
            let caller = authenticate(req, env, ctx).await?;
            match &caller {
                Caller::Key(key) if !api_key::allows(&key.scopes, needed) => Err(ApiError::new(
                    403,
                    "insufficient_scope",
                    format!("this API key lacks the {} scope", needed.as_str()),
                )),
                _ => Ok(caller),
            }
        }
    }
}

fn unauthorized() -> ApiError {
    ApiError::new(401, "unauthorized", "missing or wrong bearer token")
}

/// `Authorization: Bearer <API_TOKEN or API key>`: the root token (compared in constant time) or
/// a key found by its hash (in this isolate's cache or with one KV read; no Argon2).
async fn authenticate(req: &Request, env: &Env, ctx: &Context) -> Result<Caller, ApiError> {
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    // RFC 9110 § 11.1: the scheme name is case-insensitive.
    let token = given
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or_default();
    if api_key::looks_like_key(token) {
        let key = api_keys::find(env, token).await?.ok_or_else(unauthorized)?;
        api_keys::note_use(env, ctx, &key.id);
        return Ok(Caller::Key(key));
    }
    if config::is_api_token(env, token)? {
        Ok(Caller::Root)
    } else {
        Err(unauthorized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn access_name(access: Access) -> String {
        match access {
            Access::Public => "public".to_owned(),
            Access::Session => "session".to_owned(),
            Access::Key(scope) => format!("key:{}", scope.as_str()),
        }
    }

    #[test]
    fn the_table_equals_tests_worker_routes_json() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/worker/routes.json")).unwrap();
        let table: Vec<serde_json::Value> = ROUTES
            .iter()
            .map(|r| {
                serde_json::json!({
                    "method": r.method.as_ref(),
                    "path": r.path,
                    "access": access_name(r.access),
                })
            })
            .collect();
        assert_eq!(fixture["routes"], serde_json::Value::Array(table));
    }

    #[test]
    fn no_two_routes_share_method_and_path() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{}", a.path);
            }
        }
    }

    #[test]
    fn path_parameters_are_percent_decoded_and_the_user_becomes_a_user_id() {
        let (params, user) = decode(vec![("user", "a%2Fb%20%c3%bc"), ("id", "ap%5F1")]).unwrap();
        assert_eq!(user.as_ref().map(UserId::as_str), Some("a/b ü"));
        assert_eq!(params, vec![("id", "ap_1".to_owned())]);
        for bad in ["", "%zz", "%C0%80", &"x".repeat(257)] {
            let refused = decode(vec![("user", bad)]).err().map(|e| e.code);
            assert_eq!(refused, Some("invalid_user"), "{bad}");
        }
    }

    #[test]
    fn patterns_match_whole_segments_only() {
        let path = segments("/v1/users/alice/app-passwords/");
        let params = matches("/v1/users/{user}/app-passwords/{id}", &path);
        assert_eq!(params, Some(vec![("user", "alice"), ("id", "")]));
        assert_eq!(matches("/v1/users/{user}/app-passwords", &path), None);
        assert_eq!(matches("/", &segments("/")), Some(vec![]));
        assert_eq!(matches("/healthz", &segments("/healthz/")), None);
    }
}
