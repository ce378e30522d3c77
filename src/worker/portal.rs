//! The self-service page: sign-in through the organisation's OpenID Provider, server-side
//! sessions, the `/v1/me` API the page calls, and the page itself (public/, served as Workers static
//! assets; nothing from another origin).
//!
//! - `GET /sign-in` → the provider (see [`super::oidc`]); `GET /oidc/callback` → with MFA in the
//!   ID token: MFA registration on the first sign-in (MFA turned on, the first app password shown
//!   once), a new session, and the page; without: a step-up page and no session.
//! - Sessions live in the user's Durable Object (hash of a random 256-bit id → times); the browser
//!   holds `__Host-ap_session=<base64url(user)>.<base64url(id)>` (`HttpOnly; Secure;
//!   SameSite=Strict`). Sign-out deletes the session, so the old cookie is refused at once.
//! - `/v1/me/...` act only on the cookie's user. CSRF: the cookie is `SameSite=Strict`, and every
//!   state-changing call must carry an `Origin` equal to the page's own origin.
//! - `GET /` depends on the session, so the Worker answers it (wrangler.toml `run_worker_first`),
//!   with public/index.html read through the `ASSETS` binding. The script and style
//!   (`/assets/app.js`, `/assets/app.css`) are answered by the static-asset layer before the Worker
//!   runs, with the headers of public/_headers (the same as [`page_headers`]).
//! - `/dev/sign-in` exists only when the `DEV_SIGN_IN` var is `"true"` (written to `.dev.vars` by
//!   `make dev`; absent from wrangler.toml, so never deployed).

use super::commands::Command;
use super::config::{ASSETS_BINDING, session_policy, session_secret};
use super::http::{self, ApiError};
use super::routes::Call;
use super::{ask, oidc};
use crate::domain::audit::Actor;
use crate::domain::oidc::{Identity, SignInError};
use crate::domain::random::SystemEntropy;
use crate::domain::rules::MAX_USER_BYTES;
use crate::domain::session::SessionId;
use crate::domain::{Error, UserId};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, Headers, Request, Response};

/// Name of the session cookie. `__Host-`: Secure, `Path=/`, no `Domain`, so no sibling host can
/// set or shadow it.
pub const COOKIE: &str = "__Host-ap_session";

/// Where the `ASSETS` binding finds the page (any host: the binding only looks at the path).
const PAGE_URL: &str = "https://assets.invalid/index.html";

/// Strict policy: only our own script, style and API; no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Pages are HTTPS-only for two years once a browser has seen them over HTTPS.
const HSTS: &str = "max-age=63072000";

/// Whether the development sign-in is switched on (`DEV_SIGN_IN = "true"`).
pub fn dev_sign_in_enabled(env: &Env) -> bool {
    env.var("DEV_SIGN_IN")
        .is_ok_and(|v| v.to_string() == "true")
}

/// The session of a request's cookie: the user and the storage key of the session id. A cookie
/// whose user is not a [`UserId`] is no session.
fn session_of(req: &Request) -> Result<(UserId, String), ApiError> {
    let value = cookie(req, COOKIE).ok_or(Error::SessionInvalid)?;
    let (user, id) = SessionId::parse_cookie(&value)?;
    let user = UserId::new(&user).map_err(|_| Error::SessionInvalid)?;
    Ok((user, id.key()))
}

/// The user of the request's session cookie, once the user's object has confirmed the session is
/// alive (and recorded its use).
pub async fn session_user(req: &Request, env: &Env) -> Result<UserId, ApiError> {
    let (user, key) = session_of(req)?;
    let policy = session_policy(env)?;
    // 401 `session_expired` / `session_invalid` from the object come back as they are.
    let command = Command::CheckSession {
        user: user.to_string(),
        key,
        policy,
    };
    ask::<()>(env, &Actor::Session, &command).await?;
    Ok(user)
}

/// Starts a session for `user`; returns its `Set-Cookie` value.
async fn start_session(env: &Env, user: &UserId) -> Result<String, ApiError> {
    let policy = session_policy(env)?;
    let id = SessionId::new(&mut SystemEntropy)?;
    let command = Command::StartSession {
        user: user.to_string(),
        key: id.key(),
        policy,
    };
    ask::<()>(env, &Actor::Session, &command).await?;
    Ok(format!(
        "{COOKIE}={}; Max-Age={}; Path=/; HttpOnly; Secure; SameSite=Strict",
        id.cookie_value(user.as_str()),
        policy.max_secs
    ))
}

fn clear_cookie(name: &str) -> String {
    format!("{name}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax")
}

/// Refuses a state-changing request whose `Origin` is not this page's origin.
pub fn same_origin(req: &Request) -> Result<(), ApiError> {
    let own = http::url(req)?.origin();
    let origin = req.headers().get("origin").ok().flatten();
    // A form POST from a page under `Referrer-Policy: no-referrer` carries `Origin: null`; the
    // browser's own `Sec-Fetch-Site` (not settable by scripts) still says where it came from.
    let fetch_site = req.headers().get("sec-fetch-site").ok().flatten();
    let null_origin = matches!(origin.as_deref(), None | Some("null"));
    if origin.as_deref() == Some(own.as_str())
        || (null_origin && fetch_site.as_deref() == Some("same-origin"))
    {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "csrf_rejected",
            "cross-site request refused",
        ))
    }
}

fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// The page's security headers (CSP, HSTS, no caching, no framing) with its content type.
/// public/_headers gives the static script and style the same.
fn page_headers(content_type: &str) -> worker::Result<Headers> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set("content-security-policy", CSP)?;
    headers.set("strict-transport-security", HSTS)?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-frame-options", "DENY")?;
    Ok(headers)
}

/// An HTML page the Worker wrote, with the page's security headers.
fn page_response(body: &str, content_type: &str, status: u16) -> worker::Result<Response> {
    Ok(Response::ok(body)?
        .with_status(status)
        .with_headers(page_headers(content_type)?))
}

/// `GET /`: the page for a live session, or a page that explains how to sign in.
pub async fn page(req: &Request, env: &Env) -> Result<Response, ApiError> {
    match session_user(req, env).await {
        Ok(_) => app_page(env).await,
        Err(e) if e.status == 401 && cookie(req, COOKIE).is_some() => Ok(sign_in_page(
            env,
            401,
            "Session ended",
            "Your session has expired or is not valid. Sign in again, or go back to your account page.",
            true,
        )?),
        Err(e) if e.status == 401 => Ok(sign_in_page(
            env,
            401,
            "Sign in to manage app passwords",
            "Sign in with your organisation account to create and manage app passwords, or open App passwords from your account page",
            false,
        )?),
        Err(e) => Err(e),
    }
}

/// The page of a signed-in user: public/index.html from the `ASSETS` binding (streamed through,
/// not copied into the Worker), with the page's headers instead of the binding's.
async fn app_page(env: &Env) -> Result<Response, ApiError> {
    let response = from_assets(env, PAGE_URL).await?;
    if response.status_code() != 200 {
        let status = response.status_code();
        return Err(ApiError::internal("ASSETS index.html", &status));
    }
    Ok(response.with_headers(page_headers("text/html; charset=utf-8")?))
}

/// `GET /assets/{file}` and `GET /openapi.json` when the static-asset layer (wrangler.toml
/// `[assets]`) passed the request on to the Worker: the layer serves every file public/ has, so
/// this is a file it does not have (404 `not_found_route`). The Worker never relays these files
/// itself: a file it answered would carry only its own headers, not public/_headers' page headers.
pub fn static_file() -> ApiError {
    ApiError::new(404, "not_found_route", "no such route")
}

/// `GET url` through the `ASSETS` binding. The runtime's `fetch(string)` directly: worker's
/// `Fetcher::fetch` would link its `RequestInit` (with the `cf` options), kilobytes of wasm.
async fn from_assets(env: &Env, url: &str) -> Result<Response, ApiError> {
    let fetcher: worker::worker_sys::Fetcher = env.assets(ASSETS_BINDING)?.into_rpc();
    let answer = JsFuture::from(fetcher.fetch_with_str(url).map_err(worker::Error::from)?)
        .await
        .map_err(worker::Error::from)?;
    let answer: web_sys::Response = answer.dyn_into().map_err(worker::Error::from)?;
    Ok(Response::from(answer))
}

/// `GET /sign-in[?step_up=1]`: to the identity provider, with a fresh transaction cookie.
pub async fn sign_in(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let step_up = http::url(req)?
        .search_params()
        .get_all("step_up")
        .includes(&"1".into(), 0);
    match oidc::start(req, env, &session_secret(env)?, step_up).await {
        Ok((location, transaction)) => {
            let headers = Headers::new();
            headers.set("location", &location)?;
            headers.set("cache-control", "no-store")?;
            headers.set(
                "set-cookie",
                &format!(
                    "{}={transaction}; Max-Age={}; Path=/; HttpOnly; Secure; SameSite=Lax",
                    oidc::TRANSACTION_COOKIE,
                    crate::domain::oidc::TRANSACTION_MAX_AGE_SECS
                ),
            )?;
            Ok(Response::empty()?.with_status(302).with_headers(headers))
        }
        Err(e) => Ok(sign_in_failed(env, e)?),
    }
}

/// `GET /oidc/callback`: the provider's answer. The transaction cookie is cleared whatever happens.
pub async fn callback(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let transaction = cookie(req, oidc::TRANSACTION_COOKIE);
    let mut response =
        match oidc::finish(req, env, &session_secret(env)?, transaction.as_deref()).await {
            Ok(Identity { user, mfa: true }) => signed_in(env, UserId::new(&user)?).await?,
            Ok(Identity { mfa: false, .. }) => step_up_page()?,
            Err(e) => sign_in_failed(env, e)?,
        };
    response
        .headers_mut()
        .append("set-cookie", &clear_cookie(oidc::TRANSACTION_COOKIE))?;
    Ok(response)
}

/// After a sign-in with MFA: MFA registration when our record has MFA off (the first app
/// password is shown once), then a session.
async fn signed_in(env: &Env, user: UserId) -> Result<Response, ApiError> {
    let first = super::register_mfa(env, user.to_string()).await?;
    let cookie = start_session(env, &user).await?;
    let mut response = match first {
        Some(first) => first_password_page(&first, user.as_str())?,
        // A page of our own origin that moves on to `/`: a redirect would keep the cross-site
        // chain that started at the provider, and the browser would withhold the Strict cookie.
        None => html_page_with_head(
            200,
            "Signed in",
            "<meta http-equiv=\"refresh\" content=\"0;url=/\">",
            "<p id=\"message\">You are signed in. <a href=\"/\">Continue to App passwords</a></p>",
        )?,
    };
    response.headers_mut().append("set-cookie", &cookie)?;
    Ok(response)
}

/// The first app password, issued at MFA registration: shown once, with its name, the user name to
/// type with it, and Copy (handled by app.js, which focuses it).
fn first_password_page(first: &super::FirstPassword, user: &str) -> worker::Result<Response> {
    let body = format!(
        "<p>Multi-factor authentication is now on for your account, and this is your first app \
         password, issued at registration and named <strong id=\"first-name\">{name}</strong>. \
         Type it into a mail app instead of your password, with the user name \
         <strong>{user}</strong>.</p>\
         <p class=\"password\" id=\"first-password\">{display}</p>\
         <p class=\"notice\"><strong>It won't be shown again.</strong> Copy it now.</p>\
         <p id=\"copy-status\" role=\"status\" aria-live=\"polite\"></p>\
         <div class=\"buttons\"><button type=\"button\" id=\"copy\" autofocus>Copy</button></div>\
         <p><a href=\"/\" id=\"continue\">Continue</a> to your app passwords.</p>",
        name = escape(&first.name),
        user = escape(user),
        display = escape(&first.display),
    );
    html_page(200, "Your first app password", &body)
}

fn step_up_page() -> worker::Result<Response> {
    html_page(
        403,
        "Multi-factor sign-in needed",
        "<p role=\"alert\" id=\"message\">You signed in without multi-factor authentication. \
         App passwords are only for accounts protected by MFA.</p>\
         <p><a class=\"button\" id=\"step-up\" href=\"/sign-in?step_up=1\">Sign in again with \
         multi-factor authentication</a></p>",
    )
}

fn sign_in_failed(env: &Env, e: SignInError) -> worker::Result<Response> {
    worker::console_log!("sign-in refused: {}", e.code());
    let status = match e {
        SignInError::NotConfigured | SignInError::ProviderUnavailable => 503,
        _ => 400,
    };
    let title = if e == SignInError::NotConfigured {
        "Sign-in is not configured"
    } else {
        "Sign-in failed"
    };
    let mut body = format!(
        "<p role=\"alert\" id=\"message\" data-code=\"{}\">{}</p>",
        e.code(),
        escape(&sentence(&e.to_string()))
    );
    if e != SignInError::NotConfigured {
        body.push_str(
            "<p><a class=\"button\" href=\"/sign-in\" id=\"sign-in\">Sign in again</a></p>",
        );
    }
    body.push_str(&dev_form(env));
    html_page(status, title, &body)
}

/// `POST /sign-out`: end this browser's session (at once, for every request that carries it).
pub async fn sign_out(req: &Request, env: &Env) -> Result<Response, ApiError> {
    same_origin(req)?;
    if let Ok((user, key)) = session_of(req) {
        let user = user.to_string();
        ask::<()>(env, &Actor::Session, &Command::EndSession { user, key }).await?;
    }
    redirect_home(req, Some(&clear_cookie(COOKIE)))
}

/// `POST /sign-out-everywhere` (a session route: same origin and a live session, checked by the
/// router): end every session of the signed-in user.
pub async fn sign_out_everywhere(call: Call<'_>) -> Result<Response, ApiError> {
    let user = call.user();
    ask::<()>(call.env, &Actor::Session, &Command::EndAllSessions { user }).await?;
    redirect_home(&call.req, Some(&clear_cookie(COOKIE)))
}

/// `POST /dev/sign-in` (form field `user`): turn MFA on as an identity provider would at
/// registration, and start a session. Shows the first app password once if one was issued.
pub async fn dev_sign_in(call: Call<'_>) -> Result<Response, ApiError> {
    let (mut req, env) = (call.req, call.env);
    if !dev_sign_in_enabled(env) {
        return Err(ApiError::new(404, "not_found_route", "no such route"));
    }
    same_origin(&req)?;
    let typed = req
        .form_data()
        .await
        .ok()
        .and_then(|f| f.get_field("user"))
        .map(|u| u.trim().to_owned())
        .unwrap_or_default();
    let user = match UserId::new(&typed) {
        Ok(user) => user,
        Err(e) => {
            // A page, not JSON: this is a form in the browser. The error is tied to the field, in
            // the domain's words (as the API says it), as a sentence.
            let body = dev_form_with(Some(&sentence(&e.to_string())), &typed);
            return Ok(html_page(400, "Sign-in failed", &body)?);
        }
    };
    let first = super::register_mfa(env, user.to_string()).await?;
    let cookie = start_session(env, &user).await?;
    match first {
        None => redirect_home(&req, Some(&cookie)),
        Some(first) => {
            let mut response = first_password_page(&first, user.as_str())?;
            response.headers_mut().append("set-cookie", &cookie)?;
            Ok(response)
        }
    }
}

fn redirect_home(req: &Request, cookie: Option<&str>) -> Result<Response, ApiError> {
    let home = http::url(req)?;
    home.set_pathname("/");
    home.set_search("");
    let headers = Headers::new();
    headers.set("location", &home.href())?;
    headers.set("cache-control", "no-store")?;
    if let Some(c) = cookie {
        headers.set("set-cookie", c)?;
    }
    Ok(Response::empty()?.with_status(303).with_headers(headers))
}

/// The development sign-in form, when switched on.
fn dev_form(env: &Env) -> String {
    if dev_sign_in_enabled(env) {
        dev_form_with(None, "")
    } else {
        String::new()
    }
}

/// A page without a session: the message (an alert, or a plain instruction; shown as a sentence,
/// with "account page" linked to `ACCOUNT_URL` when that var is set), a Sign-in button when an
/// identity provider is configured (or why sign-in is not possible), and the development form when
/// switched on.
fn sign_in_page(
    env: &Env,
    status: u16,
    title: &str,
    message: &str,
    alert: bool,
) -> worker::Result<Response> {
    let mut text = escape(&sentence(message));
    if let Some(url) = env.var("ACCOUNT_URL").ok().map(|v| v.to_string()) {
        let link = format!("<a href=\"{}\">account page</a>", escape(&url));
        text = text.replace("account page", &link);
    }
    let role = if alert { " role=\"alert\"" } else { "" };
    let mut body = format!("<p{role} id=\"message\">{text}</p>");
    if oidc::configured(env) {
        body.push_str("<p><a class=\"button\" href=\"/sign-in\" id=\"sign-in\">Sign in</a></p>");
    } else {
        body.push_str(&format!(
            "<p id=\"not-configured\">{}</p>",
            escape(&sentence(&SignInError::NotConfigured.to_string()))
        ));
    }
    body.push_str(&dev_form(env));
    html_page(status, title, &body)
}

/// `message` starting with a capital letter and ending with a full stop. The messages are our own
/// English texts: an ASCII capital is enough (Unicode's case tables would add 10 KB to the wasm).
fn sentence(message: &str) -> String {
    let mut out = message.to_owned();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The development sign-in form, with `error` tied to the field (`aria-invalid`, `aria-describedby`).
fn dev_form_with(error: Option<&str>, value: &str) -> String {
    let (invalid, message) = match error {
        Some(e) => (
            " aria-invalid=\"true\" aria-describedby=\"user-error\"",
            format!("<p id=\"user-error\" role=\"alert\">{}</p>", escape(e)),
        ),
        None => ("", String::new()),
    };
    format!(
        "<form method=\"post\" action=\"/dev/sign-in\" class=\"dev\">\
         <h2>Development sign-in</h2>\
         <p>Only in <code>make dev</code>: type any user id to get a session with MFA.</p>\
         <label for=\"user\">User id</label> <input id=\"user\" name=\"user\" required \
         maxlength=\"{MAX_USER_BYTES}\" autocomplete=\"username\" value=\"{value}\"{invalid}>{message} \
         <button type=\"submit\">Sign in</button></form>",
        value = escape(value),
    )
}

fn html_page(status: u16, title: &str, body: &str) -> worker::Result<Response> {
    html_page_with_head(status, title, "", body)
}

fn html_page_with_head(
    status: u16,
    title: &str,
    head: &str,
    body: &str,
) -> worker::Result<Response> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · App passwords</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script>{head}</head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    );
    page_response(&html, "text/html; charset=utf-8", status)
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
