//! The self-service page: sign-in with a session token, a session cookie, the `/v1/me` API the
//! page calls, and the static page itself (assets/, compiled in; nothing from another origin).
//!
//! - `GET /?session=<jwt>`: the identity provider's link. A valid HS256 token (`sub`, `exp`,
//!   `amr` ∋ `"mfa"`, signed with `SESSION_SECRET`) becomes an `HttpOnly; Secure; SameSite=Strict`
//!   cookie and the browser is sent to `/` (so the token leaves the address bar); anything else gets
//!   a page that says what is wrong.
//! - `/v1/me/...` act only on the cookie's user. CSRF: the cookie is `SameSite=Strict`, and every
//!   state-changing call must carry an `Origin` equal to the page's own origin.
//! - `/dev/sign-in` exists only when the `DEV_SIGN_IN` var is `"true"` (written to `.dev.vars` by
//!   `make dev`; absent from wrangler.toml, so never deployed).

use super::http::ApiError;
use super::now;
use super::routes::Call;
use crate::core::rules::MAX_USER_BYTES;
use crate::core::{Error, session};
use worker::{Env, Headers, Request, Response, Url};

/// Name of the session cookie.
pub const COOKIE: &str = "ap_session";
/// Lifetime of a development session, in seconds.
const DEV_SESSION_SECS: i64 = 8 * 3600;

const PAGE_HTML: &str = include_str!("../../assets/index.html");
const APP_JS: &str = include_str!("../../assets/app.js");
const APP_CSS: &str = include_str!("../../assets/app.css");

/// Strict policy: only our own script, style and API; no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn secret(env: &Env) -> Result<Vec<u8>, ApiError> {
    env.secret("SESSION_SECRET")
        .map(|s| s.to_string().into_bytes())
        .ok()
        .filter(|s| s.len() >= 16)
        .ok_or_else(|| {
            worker::console_error!("configuration: SESSION_SECRET is not set or too short");
            ApiError::new(
                500,
                "server_misconfigured",
                "the service is not configured; see its logs",
            )
        })
}

/// Whether the development sign-in is switched on (`DEV_SIGN_IN = "true"`).
pub fn dev_sign_in_enabled(env: &Env) -> bool {
    env.var("DEV_SIGN_IN")
        .is_ok_and(|v| v.to_string() == "true")
}

/// The user of the request's session: the one place the router resolves an [`Access::Session`]
/// (so another way of keeping sessions replaces only this function).
///
/// [`Access::Session`]: super::routes::Access::Session
pub async fn session_user(req: &Request, env: &Env) -> Result<String, ApiError> {
    let token = cookie(req, COOKIE).ok_or(Error::SessionInvalid)?;
    Ok(session::verify(&token, &secret(env)?, now())?.user)
}

/// Refuses a state-changing request whose `Origin` is not this page's origin.
pub fn same_origin(req: &Request) -> Result<(), ApiError> {
    let url = req.url()?;
    let own = url.origin().ascii_serialization();
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

fn session_cookie(token: &str, max_age: i64) -> String {
    format!("{COOKIE}={token}; Max-Age={max_age}; Path=/; HttpOnly; Secure; SameSite=Strict")
}

/// Adds the page's security headers (CSP, no caching) to an HTML or asset response.
fn page_response(body: &str, content_type: &str, status: u16) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set("content-security-policy", CSP)?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-frame-options", "DENY")?;
    Ok(Response::ok(body)?
        .with_status(status)
        .with_headers(headers))
}

/// `GET /`: exchange a session token, show the page, or explain why not.
pub async fn page(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let url = req.url()?;
    if let Some((_, token)) = url.query_pairs().find(|(k, _)| k == "session") {
        return match session::verify(&token, &secret(env)?, now()) {
            Ok(s) => redirect_home(&url, Some(&session_cookie(&token, s.expires_at - now()))),
            Err(e) => Ok(message_page(
                env,
                401,
                "Sign-in failed",
                &e.to_string(),
                true,
            )?),
        };
    }
    match session_user(req, env).await {
        Ok(_) => Ok(page_response(PAGE_HTML, "text/html; charset=utf-8", 200)?),
        Err(_) if cookie(req, COOKIE).is_some() => Ok(message_page(
            env,
            401,
            "Session ended",
            "Your session has expired or is not valid. Sign in again from your account page.",
            true,
        )?),
        Err(_) => Ok(message_page(
            env,
            401,
            "Sign in to manage app passwords",
            "Open App passwords from your account page (Profile → Additional security verification) to sign in.",
            false,
        )?),
    }
}

/// `GET /assets/app.js`, `GET /assets/app.css`.
pub fn asset(file: &str) -> Result<Response, ApiError> {
    Ok(match file {
        "app.js" => page_response(APP_JS, "text/javascript; charset=utf-8", 200)?,
        "app.css" => page_response(APP_CSS, "text/css; charset=utf-8", 200)?,
        _ => return Err(ApiError::new(404, "not_found_route", "no such route")),
    })
}

/// `POST /sign-out`: forget the session.
pub fn sign_out(req: &Request) -> Result<Response, ApiError> {
    same_origin(req)?;
    redirect_home(&req.url()?, Some(&session_cookie("", 0)))
}

/// `POST /dev/sign-in` (form field `user`): turn MFA on as an identity provider would at
/// registration, and start a session. Shows the first app password once if one was issued.
pub async fn dev_sign_in(call: Call<'_>) -> Result<Response, ApiError> {
    let (mut req, env) = (call.req, call.env);
    if !dev_sign_in_enabled(env) {
        return Err(ApiError::new(404, "not_found_route", "no such route"));
    }
    same_origin(&req)?;
    let user = req
        .form_data()
        .await
        .ok()
        .and_then(|f| f.get_field("user"))
        .map(|u| u.trim().to_owned())
        .unwrap_or_default();
    let expires_at = now() + DEV_SESSION_SECS;
    let Ok(token) = session::issue(&user, expires_at, &["pwd", "mfa"], &secret(env)?) else {
        // A page, not JSON: this is a form in the browser. The error is tied to the field.
        let error = format!("Enter a user id of 1 to {MAX_USER_BYTES} bytes.");
        return Ok(html_page(
            400,
            "Sign-in failed",
            &dev_form(Some(&error), &user),
        )?);
    };
    let first = super::register_mfa(env, user.clone()).await?;
    let cookie = session_cookie(&token, DEV_SESSION_SECS);
    match first {
        None => redirect_home(&req.url()?, Some(&cookie)),
        Some(first) => {
            let body = format!(
                "<p>Multi-factor authentication is now on for this development user, and this is \
                 the first app password, issued at registration and named \
                 <strong id=\"first-name\">{name}</strong>. Type it into that app instead of your \
                 password, with the user name <strong>{user}</strong>.</p>\
                 <p class=\"password\" id=\"first-password\">{display}</p>\
                 <p class=\"notice\"><strong>It won't be shown again.</strong> Copy it now.</p>\
                 <p id=\"copy-status\" role=\"status\" aria-live=\"polite\"></p>\
                 <div class=\"buttons\"><button type=\"button\" id=\"copy\" autofocus>Copy</button></div>\
                 <p><a href=\"/\">Continue</a> to your app passwords.</p>",
                name = escape(&first.name),
                user = escape(&user),
                display = escape(&first.display),
            );
            let mut response = html_page(200, "Signed in", &body)?;
            response.headers_mut().set("set-cookie", &cookie)?;
            Ok(response)
        }
    }
}

fn redirect_home(url: &Url, cookie: Option<&str>) -> Result<Response, ApiError> {
    let mut home = url.clone();
    home.set_path("/");
    home.set_query(None);
    let headers = Headers::new();
    headers.set("location", home.as_str())?;
    headers.set("cache-control", "no-store")?;
    if let Some(c) = cookie {
        headers.set("set-cookie", c)?;
    }
    Ok(Response::empty()?.with_status(303).with_headers(headers))
}

/// A page with one message: an alert (`alert`) or a plain instruction. The message is shown as a
/// sentence; "account page" links to `ACCOUNT_URL` when that var is set.
fn message_page(
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
    if dev_sign_in_enabled(env) {
        body.push_str(&dev_form(None, ""));
    }
    html_page(status, title, &body)
}

/// `message` starting with a capital letter and ending with a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The development sign-in form, with `error` tied to the field (`aria-invalid`, `aria-describedby`).
fn dev_form(error: Option<&str>, value: &str) -> String {
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
         maxlength=\"256\" autocomplete=\"username\" value=\"{value}\"{invalid}>{message} \
         <button type=\"submit\">Sign in</button></form>",
        value = escape(value),
    )
}

fn html_page(status: u16, title: &str, body: &str) -> worker::Result<Response> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · App passwords</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script></head>\
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
