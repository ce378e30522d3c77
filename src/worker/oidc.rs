//! Signing in through the organisation's OpenID Provider: the network half of `core::oidc`.
//!
//! - `GET /sign-in[?step_up=1]`: a new transaction in a MAC'd, 10-minute `__Host-ap_oidc` cookie
//!   (`SameSite=Lax`: the callback is a cross-site top-level navigation), then 302 to the
//!   provider's authorization endpoint.
//! - `GET /oidc/callback`: the cookie is opened (and cleared), the code exchanged at the token
//!   endpoint, the ID token's signature verified with WebCrypto against the provider's JWKS and
//!   its claims validated by the core. The portal then decides: session, or step-up page.
//!
//! The discovery document and the JWKS are cached per isolate for an hour; a token signed with
//! a key id the cached JWKS lacks makes one refetch (the provider rotated its keys).

use super::http::{self, ApiError};
use super::now;
use crate::domain::oidc::{
    self, Alg, Client, ClientAuth, Identity, Jwt, ProviderMetadata, PublicKey, SignInError,
    Transaction,
};
use crate::domain::random::SystemEntropy;
use core::cell::RefCell;
use worker::js_sys::{self, Array, Function, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, Fetch, Headers, Method, Request};

/// Name of the transaction cookie.
pub const TRANSACTION_COOKIE: &str = "__Host-ap_oidc";
/// How long the discovery document and the JWKS are reused.
const CACHE_SECS: i64 = 3600;

thread_local! {
    /// `(issuer, metadata, fetched_at)`.
    static DISCOVERY: RefCell<Option<(String, ProviderMetadata, i64)>> = const { RefCell::new(None) };
    /// `(jwks_uri, document, fetched_at)`.
    static JWKS: RefCell<Option<(String, Vec<u8>, i64)>> = const { RefCell::new(None) };
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// The relying party's configuration from the Worker's vars.
pub fn client(env: &Env) -> Result<Client, SignInError> {
    Client::new(
        var(env, "OIDC_ISSUER").as_deref(),
        var(env, "OIDC_CLIENT_ID").as_deref(),
        var(env, "OIDC_USER_CLAIM").as_deref(),
        var(env, "OIDC_ACR_VALUES").as_deref(),
    )
}

/// Whether sign-in through an identity provider is configured.
pub fn configured(env: &Env) -> bool {
    client(env).is_ok()
}

/// The callback address registered at the provider: `<origin>/oidc/callback`.
pub fn redirect_uri(req: &Request) -> Result<String, ApiError> {
    Ok(format!("{}/oidc/callback", http::url(req)?.origin()))
}

/// `GET /sign-in`: the authorization request URL and the transaction cookie's value.
pub async fn start(
    req: &Request,
    env: &Env,
    key: &[u8],
    step_up: bool,
) -> Result<(String, String), SignInError> {
    let client = client(env)?;
    let metadata = metadata(&client).await?;
    let tx = Transaction::new(&mut SystemEntropy, now())
        .map_err(|_| SignInError::ProviderUnavailable)?;
    let redirect = redirect_uri(req).map_err(|_| SignInError::NotConfigured)?;
    let url = oidc::authorization_url(&metadata, &client, &redirect, &tx, step_up);
    let sealed = tx.seal(key).map_err(|_| SignInError::NotConfigured)?;
    Ok((url, sealed))
}

/// `GET /oidc/callback`: checks the transaction, exchanges the code, verifies the ID token.
pub async fn finish(
    req: &Request,
    env: &Env,
    key: &[u8],
    cookie: Option<&str>,
) -> Result<Identity, SignInError> {
    let query = http::url(req)
        .map_err(|_| SignInError::NoTransaction)?
        .search_params();
    let param = |name: &str| query.get(name);
    let tx = Transaction::open(cookie, key, &param("state").unwrap_or_default(), now())?;
    if param("error").is_some() {
        return Err(SignInError::ProviderRefused);
    }
    let code = param("code").ok_or(SignInError::ProviderRefused)?;
    let client = client(env)?;
    let metadata = metadata(&client).await?;
    let secret = env.secret("OIDC_CLIENT_SECRET").ok().map(|s| s.to_string());
    let auth = ClientAuth::choose(secret, &metadata);
    let redirect = redirect_uri(req).map_err(|_| SignInError::NotConfigured)?;
    let token = oidc::token_request(&client, &auth, &code, &redirect, &tx.verifier);
    let body = exchange(&metadata.token_endpoint, &token).await?;
    let jwt = Jwt::parse(&oidc::id_token_from_response(&body)?)?;
    let key = signing_key(&metadata.jwks_uri, &jwt).await?;
    if !verify_signature(&jwt, &key).await? {
        return Err(SignInError::BadSignature);
    }
    oidc::validate_claims(&jwt.payload, &client, &tx.nonce, now())
}

/// Fetches `url`; the body when the status is 200 and the body is not too large.
async fn fetch_bytes(
    url: &str,
    method: &Method,
    headers: &Headers,
    body: Option<&JsValue>,
) -> Option<Vec<u8>> {
    let request = http::request(url, method, Some(headers), body).ok()?;
    let mut response = Fetch::Request(request).send().await.ok()?;
    if response.status_code() != 200 {
        let _ = response.bytes().await;
        return None;
    }
    let bytes = response.bytes().await.ok()?;
    (bytes.len() <= oidc::MAX_DOCUMENT_BYTES).then_some(bytes)
}

async fn get(url: &str) -> Result<Vec<u8>, SignInError> {
    let headers = Headers::new();
    let _ = headers.set("accept", "application/json");
    fetch_bytes(url, &Method::Get, &headers, None)
        .await
        .ok_or(SignInError::ProviderUnavailable)
}

async fn exchange(endpoint: &str, token: &oidc::TokenRequest) -> Result<Vec<u8>, SignInError> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| {
        headers
            .set(name, value)
            .map_err(|_| SignInError::CodeRejected)
    };
    set("content-type", "application/x-www-form-urlencoded")?;
    set("accept", "application/json")?;
    if let Some(authorization) = &token.authorization {
        set("authorization", authorization)?;
    }
    let body = JsValue::from_str(&token.body);
    fetch_bytes(endpoint, &Method::Post, &headers, Some(&body))
        .await
        .ok_or(SignInError::CodeRejected)
}

/// The provider's discovery document, cached for [`CACHE_SECS`].
async fn metadata(client: &Client) -> Result<ProviderMetadata, SignInError> {
    let at = now();
    let cached = DISCOVERY.with(|d| {
        d.borrow()
            .as_ref()
            .filter(|(issuer, _, fetched)| *issuer == client.issuer && at - fetched < CACHE_SECS)
            .map(|(_, m, _)| m.clone())
    });
    if let Some(metadata) = cached {
        return Ok(metadata);
    }
    let body = get(&ProviderMetadata::discovery_url(&client.issuer)).await?;
    let metadata = ProviderMetadata::parse(&body, &client.issuer)?;
    DISCOVERY.with(|d| *d.borrow_mut() = Some((client.issuer.clone(), metadata.clone(), at)));
    Ok(metadata)
}

/// The key that signed `jwt`: from the cached JWKS, or after one refetch when its key id is new.
async fn signing_key(jwks_uri: &str, jwt: &Jwt) -> Result<PublicKey, SignInError> {
    let at = now();
    let cached = JWKS.with(|j| {
        j.borrow()
            .as_ref()
            .filter(|(uri, _, fetched)| uri == jwks_uri && at - fetched < CACHE_SECS)
            .map(|(_, doc, _)| doc.clone())
    });
    if let Some(Ok(Some(key))) = cached.map(|doc| oidc::find_key(&doc, jwt)) {
        return Ok(key);
    }
    let doc = get(jwks_uri).await?;
    let found = oidc::find_key(&doc, jwt)?;
    JWKS.with(|j| *j.borrow_mut() = Some((jwks_uri.to_owned(), doc, at)));
    found.ok_or(SignInError::UnknownKey)
}

fn js_object(pairs: &[(&str, &JsValue)]) -> Result<Object, SignInError> {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(name), value)
            .map_err(|_| SignInError::BadSignature)?;
    }
    Ok(object)
}

/// Calls `crypto.subtle[method](...args)` and awaits the promise.
async fn subtle(method: &str, args: &[&JsValue]) -> Result<JsValue, SignInError> {
    let fail = |_| SignInError::BadSignature;
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(fail)?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(fail)?;
    let function: Function = Reflect::get(&subtle, &JsValue::from_str(method))
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| SignInError::BadSignature)?;
    let list = Array::new();
    for arg in args {
        list.push(arg);
    }
    let promise = function.apply(&subtle, &list).map_err(fail)?;
    let promise: js_sys::Promise = promise.dyn_into().map_err(|_| SignInError::BadSignature)?;
    JsFuture::from(promise).await.map_err(fail)
}

/// Verifies the JWS signature with WebCrypto: RSASSA-PKCS1-v1_5/SHA-256 or ECDSA P-256/SHA-256.
async fn verify_signature(jwt: &Jwt, key: &PublicKey) -> Result<bool, SignInError> {
    let s = |v: &str| JsValue::from_str(v);
    let (jwk, import, verify) = match (jwt.alg, key) {
        (Alg::Rs256, PublicKey::Rsa { n, e }) => (
            js_object(&[("kty", &s("RSA")), ("n", &s(n)), ("e", &s(e))])?,
            js_object(&[("name", &s("RSASSA-PKCS1-v1_5")), ("hash", &s("SHA-256"))])?,
            js_object(&[("name", &s("RSASSA-PKCS1-v1_5"))])?,
        ),
        (Alg::Es256, PublicKey::P256 { x, y }) => (
            js_object(&[
                ("kty", &s("EC")),
                ("crv", &s("P-256")),
                ("x", &s(x)),
                ("y", &s(y)),
            ])?,
            js_object(&[("name", &s("ECDSA")), ("namedCurve", &s("P-256"))])?,
            js_object(&[("name", &s("ECDSA")), ("hash", &s("SHA-256"))])?,
        ),
        _ => return Err(SignInError::UnknownKey),
    };
    let usages = Array::of1(&s("verify"));
    let crypto_key = subtle(
        "importKey",
        &[&s("jwk"), &jwk, &import, &JsValue::FALSE, &usages],
    )
    .await?;
    let signature = Uint8Array::from(jwt.signature.as_slice());
    let data = Uint8Array::from(jwt.signing_input.as_bytes());
    let valid = subtle("verify", &[&verify, &crypto_key, &signature, &data]).await?;
    Ok(valid.as_bool() == Some(true))
}
