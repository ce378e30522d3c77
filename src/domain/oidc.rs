//! OpenID Connect relying party rules: everything about signing in through the organisation's
//! identity provider except the network and the signature arithmetic.
//!
//! The Worker's sign-in is the authorization code flow with PKCE (S256), `state` and `nonce`:
//!
//! 1. `GET /sign-in`: [`Transaction::new`] draws `state`, `nonce` and the PKCE verifier;
//!    [`Transaction::seal`] MACs them into a short-lived cookie; [`authorization_url`] sends the
//!    browser to the provider's authorization endpoint (from the discovery document,
//!    [`ProviderMetadata::parse`]).
//! 2. `GET /oidc/callback`: [`Transaction::open`] checks the cookie's MAC, age and `state`;
//!    [`token_request`] builds the code exchange; [`Jwt::parse`] splits the ID token, [`find_key`]
//!    picks its key from the JWKS (the shell verifies the signature with WebCrypto), and
//!    [`validate_claims`] checks `iss`, `aud`/`azp`, `exp`/`iat`, `nonce`, the user claim and MFA.
//!
//! Times are seconds since the Unix epoch, passed in; randomness comes from an [`Entropy`].

use super::body::{Shape, read_object};
use super::hash::constant_time_eq;
use super::random::Entropy;
use super::rules::valid_user;
use base64ct::{Base64UrlUnpadded, Encoding};
use core::fmt;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a sign-in may take between `/sign-in` and the callback.
pub const TRANSACTION_MAX_AGE_SECS: i64 = 600;
/// Allowed clock difference between the provider and the Worker.
pub const CLOCK_SKEW_SECS: i64 = 60;
/// An ID token older than this (by `iat`) is refused: it was just issued by the code exchange.
pub const MAX_TOKEN_AGE_SECS: i64 = 600;
/// Longest ID token, transaction cookie, discovery document or JWKS accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Smallest RSA modulus accepted, in bytes (2048 bits).
pub const MIN_RSA_MODULUS_BYTES: usize = 256;
/// The scopes requested: `openid` plus the claims a user id may come from.
pub const SCOPES: &str = "openid email profile";

/// Why a sign-in through the identity provider failed. Codes are stable; messages are for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInError {
    /// `OIDC_ISSUER` / `OIDC_CLIENT_ID` are missing or invalid.
    NotConfigured,
    /// The discovery document or JWKS could not be fetched or is unusable.
    ProviderUnavailable,
    /// No sign-in is under way in this browser (cookie missing, expired or forged).
    NoTransaction,
    /// The `state` returned does not match this browser's sign-in.
    StateMismatch,
    /// The provider answered the authorization request with an error (e.g. the user cancelled).
    ProviderRefused,
    /// The code exchange failed (e.g. a code used twice).
    CodeRejected,
    /// The ID token is malformed, too large, or uses an algorithm other than RS256/ES256.
    MalformedToken,
    /// No key of the provider's JWKS matches the token.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` does not contain the client id, or `azp` names another client.
    WrongAudience,
    /// `exp` has passed, or `iat` is in the future or too old.
    TokenExpired,
    /// `nonce` is not this sign-in's nonce.
    NonceMismatch,
    /// The configured user claim is missing or not a valid user id.
    NoUser,
}

impl SignInError {
    /// The stable snake_case code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::NotConfigured => "sign_in_not_configured",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::NoTransaction => "no_sign_in_in_progress",
            Self::StateMismatch => "state_mismatch",
            Self::ProviderRefused => "provider_refused",
            Self::CodeRejected => "code_rejected",
            Self::MalformedToken => "malformed_id_token",
            Self::UnknownKey => "unknown_signing_key",
            Self::BadSignature => "bad_signature",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::TokenExpired => "id_token_expired",
            Self::NonceMismatch => "nonce_mismatch",
            Self::NoUser => "no_user_claim",
        }
    }
}

impl fmt::Display for SignInError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotConfigured => {
                "this service is not configured for sign-in: OIDC_ISSUER and OIDC_CLIENT_ID must be set"
            }
            Self::ProviderUnavailable => "the identity provider could not be reached; try again",
            Self::NoTransaction => {
                "no sign-in is under way in this browser, or it took longer than 10 minutes; start again"
            }
            Self::StateMismatch => "this sign-in response does not belong to this browser; start again",
            Self::ProviderRefused => "the identity provider did not sign you in",
            Self::CodeRejected => "the identity provider refused the sign-in code; start again",
            Self::MalformedToken => "the identity provider's answer is not a valid ID token",
            Self::UnknownKey => "the ID token is signed with a key the identity provider does not publish",
            Self::BadSignature => "the ID token's signature is not valid",
            Self::WrongIssuer => "the ID token comes from another identity provider",
            Self::WrongAudience => "the ID token was issued for another application",
            Self::TokenExpired => "the ID token has expired or is not yet valid; check the clocks and sign in again",
            Self::NonceMismatch => "the ID token does not belong to this sign-in; start again",
            Self::NoUser => "the ID token does not name a user this service can use",
        })
    }
}

impl core::error::Error for SignInError {}

/// The relying party's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// `OIDC_ISSUER`, exactly as the provider's `iss` spells it.
    pub issuer: String,
    /// `OIDC_CLIENT_ID`.
    pub client_id: String,
    /// `OIDC_USER_CLAIM`: the claim naming the user (default `sub`).
    pub user_claim: String,
    /// `OIDC_ACR_VALUES`: when non-empty, MFA means `acr` is one of these (and they are requested);
    /// when empty, MFA means `amr` contains `"mfa"`.
    pub acr_values: Vec<String>,
}

impl Client {
    /// Checks and builds the configuration from the Worker's vars (`None` = not set).
    ///
    /// # Errors
    /// [`SignInError::NotConfigured`] when the issuer or client id is missing or the issuer is not
    /// an `https` URL (or `http` on a loopback host, for development).
    pub fn new(
        issuer: Option<&str>,
        client_id: Option<&str>,
        user_claim: Option<&str>,
        acr_values: Option<&str>,
    ) -> Result<Self, SignInError> {
        let issuer = issuer.map(str::trim).filter(|i| allowed_url(i));
        let client_id = client_id.map(str::trim).filter(|c| !c.is_empty());
        let (Some(issuer), Some(client_id)) = (issuer, client_id) else {
            return Err(SignInError::NotConfigured);
        };
        let user_claim = user_claim
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("sub");
        Ok(Self {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            user_claim: user_claim.to_owned(),
            acr_values: acr_values
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// `https://…`, or `http://` on a loopback host (a local provider under `make dev` and tests).
#[must_use]
pub fn allowed_url(url: &str) -> bool {
    if let Some(rest) = url.strip_prefix("https://") {
        return !rest.is_empty();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The parts of the provider's discovery document (`/.well-known/openid-configuration`) used here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    /// Must equal the configured issuer exactly.
    pub issuer: String,
    /// Where the browser is sent.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The provider's public keys.
    pub jwks_uri: String,
    /// Client authentication methods at the token endpoint (default `client_secret_basic`).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

impl ProviderMetadata {
    /// The fields [`Self::parse`] reads ([`read_object`]: one reader for every document).
    const FIELDS: &'static [(&'static str, Shape)] = &[
        ("issuer", Shape::Text),
        ("authorization_endpoint", Shape::Text),
        ("token_endpoint", Shape::Text),
        ("jwks_uri", Shape::Text),
        ("token_endpoint_auth_methods_supported", Shape::TextsOrNone),
    ];

    /// The discovery document's address for `issuer`.
    #[must_use]
    pub fn discovery_url(issuer: &str) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        )
    }

    /// Parses a discovery document and checks it belongs to `issuer`.
    ///
    /// # Errors
    /// [`SignInError::ProviderUnavailable`] for a document that is not JSON, names another
    /// issuer, or has endpoints that are not `https` (or loopback `http`).
    pub fn parse(json: &[u8], issuer: &str) -> Result<Self, SignInError> {
        if json.len() > MAX_DOCUMENT_BYTES {
            return Err(SignInError::ProviderUnavailable);
        }
        let mut f =
            read_object(json, Self::FIELDS, false).map_err(|_| SignInError::ProviderUnavailable)?;
        let metadata = Self {
            issuer: f
                .opt_text("issuer")
                .ok_or(SignInError::ProviderUnavailable)?,
            authorization_endpoint: f
                .opt_text("authorization_endpoint")
                .ok_or(SignInError::ProviderUnavailable)?,
            token_endpoint: f
                .opt_text("token_endpoint")
                .ok_or(SignInError::ProviderUnavailable)?,
            jwks_uri: f
                .opt_text("jwks_uri")
                .ok_or(SignInError::ProviderUnavailable)?,
            token_endpoint_auth_methods_supported: f
                .opt_texts("token_endpoint_auth_methods_supported")
                .unwrap_or_default(),
        };
        let endpoints = [
            &metadata.authorization_endpoint,
            &metadata.token_endpoint,
            &metadata.jwks_uri,
        ];
        if metadata.issuer != issuer || !endpoints.iter().all(|e| allowed_url(e)) {
            return Err(SignInError::ProviderUnavailable);
        }
        Ok(metadata)
    }
}

/// One sign-in under way: what the callback must match. Kept in a MAC'd cookie, never on a server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Returned by the provider unchanged; binds the callback to this browser.
    pub state: String,
    /// Must come back inside the ID token.
    pub nonce: String,
    /// The PKCE code verifier (43 characters of base64url).
    pub verifier: String,
    /// When the sign-in started.
    pub created_at: i64,
}

/// 32 random bytes in base64url (43 characters).
fn random_token(entropy: &mut impl Entropy) -> super::Result<String> {
    let mut bytes = [0u8; 32];
    entropy.fill(&mut bytes)?;
    Ok(Base64UrlUnpadded::encode_string(&bytes))
}

/// `base64url(SHA-256(verifier))`: the PKCE S256 code challenge (RFC 7636 §4.2).
#[must_use]
pub fn pkce_challenge(verifier: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()))
}

/// The HMAC-SHA-256 state of a transaction cookie over `payload`, ready to finalise or verify.
fn transaction_mac(key: &[u8], payload: &str) -> super::Result<Hmac<Sha256>> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| super::Error::InvalidSecret)?;
    // Domain separation: the same secret MACs nothing else of this shape.
    mac.update(b"app-passwords oidc transaction\0");
    mac.update(payload.as_bytes());
    Ok(mac)
}

impl Transaction {
    /// Starts a sign-in at `now` with fresh `state`, `nonce` and PKCE verifier (256 bits each).
    ///
    /// # Errors
    /// [`super::Error::RandomUnavailable`].
    pub fn new(entropy: &mut impl Entropy, now: i64) -> super::Result<Self> {
        Ok(Self {
            state: random_token(entropy)?,
            nonce: random_token(entropy)?,
            verifier: random_token(entropy)?,
            created_at: now,
        })
    }

    /// The cookie value: `base64url(json).base64url(HMAC-SHA-256(key, json))`.
    ///
    /// # Errors
    /// [`super::Error::InvalidSecret`] if the key cannot key an HMAC.
    pub fn seal(&self, key: &[u8]) -> super::Result<String> {
        let json = super::to_json::to_json(self);
        let payload = Base64UrlUnpadded::encode_string(json.as_bytes());
        let mac = Base64UrlUnpadded::encode_string(
            &transaction_mac(key, &payload)?.finalize().into_bytes(),
        );
        Ok(format!("{payload}.{mac}"))
    }

    /// Opens the cookie at the callback: MAC, age ≤ [`TRANSACTION_MAX_AGE_SECS`], and the
    /// returned `state` equal to the one sealed (compared in constant time).
    ///
    /// # Errors
    /// [`SignInError::NoTransaction`] (missing, forged, expired), [`SignInError::StateMismatch`].
    pub fn open(
        cookie: Option<&str>,
        key: &[u8],
        state: &str,
        now: i64,
    ) -> Result<Self, SignInError> {
        let cookie = cookie
            .filter(|c| c.len() <= MAX_DOCUMENT_BYTES)
            .ok_or(SignInError::NoTransaction)?;
        let (payload, mac) = cookie.split_once('.').ok_or(SignInError::NoTransaction)?;
        let mac = Base64UrlUnpadded::decode_vec(mac).map_err(|_| SignInError::NoTransaction)?;
        // `verify_slice` compares in constant time and refuses a tag of the wrong length.
        transaction_mac(key, payload)
            .map_err(|_| SignInError::NoTransaction)?
            .verify_slice(&mac)
            .map_err(|_| SignInError::NoTransaction)?;
        let json =
            Base64UrlUnpadded::decode_vec(payload).map_err(|_| SignInError::NoTransaction)?;
        let mut f = read_object(
            &json,
            &[
                ("state", Shape::Text),
                ("nonce", Shape::Text),
                ("verifier", Shape::Text),
                ("created_at", Shape::Int),
            ],
            false,
        )
        .map_err(|_| SignInError::NoTransaction)?;
        let tx = Self {
            state: f.opt_text("state").ok_or(SignInError::NoTransaction)?,
            nonce: f.opt_text("nonce").ok_or(SignInError::NoTransaction)?,
            verifier: f.opt_text("verifier").ok_or(SignInError::NoTransaction)?,
            created_at: f
                .int("created_at")
                .map_err(|_| SignInError::NoTransaction)?,
        };
        let age = now.saturating_sub(tx.created_at);
        if !(-CLOCK_SKEW_SECS..=TRANSACTION_MAX_AGE_SECS).contains(&age) {
            return Err(SignInError::NoTransaction);
        }
        if !constant_time_eq(tx.state.as_bytes(), state.as_bytes()) {
            return Err(SignInError::StateMismatch);
        }
        Ok(tx)
    }
}

/// Percent-encodes `value` for a query string or form body (RFC 3986 unreserved kept).
#[must_use]
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The authorization request for `tx`: code flow, PKCE S256, `state`, `nonce`, the scopes, and
/// `acr_values` when the client's MFA rule uses them. `step_up` (after a sign-in without MFA)
/// adds `prompt=login` and `max_age=0`, so the provider asks again rather than reusing its session.
#[must_use]
pub fn authorization_url(
    metadata: &ProviderMetadata,
    client: &Client,
    redirect_uri: &str,
    tx: &Transaction,
    step_up: bool,
) -> String {
    let challenge = pkce_challenge(&tx.verifier);
    let acr = client.acr_values.join(" ");
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", redirect_uri),
        ("scope", SCOPES),
        ("state", tx.state.as_str()),
        ("nonce", tx.nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if !acr.is_empty() {
        pairs.push(("acr_values", acr.as_str()));
    }
    if step_up {
        pairs.push(("prompt", "login"));
        pairs.push(("max_age", "0"));
    }
    let separator = if metadata.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    format!(
        "{}{separator}{}",
        metadata.authorization_endpoint,
        query(&pairs)
    )
}

/// How the Worker authenticates at the token endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// A public client: PKCE only (`client_id` in the body).
    None,
    /// `Authorization: Basic` with the client secret (RFC 6749 §2.3.1).
    Basic(String),
    /// `client_secret` in the body.
    Post(String),
}

impl ClientAuth {
    /// Chooses the method: none without a secret; with one, `client_secret_basic` unless the
    /// provider lists only `client_secret_post`.
    #[must_use]
    pub fn choose(secret: Option<String>, metadata: &ProviderMetadata) -> Self {
        let methods = &metadata.token_endpoint_auth_methods_supported;
        match secret.filter(|s| !s.is_empty()) {
            None => Self::None,
            Some(s)
                if !methods.is_empty()
                    && !methods.iter().any(|m| m == "client_secret_basic")
                    && methods.iter().any(|m| m == "client_secret_post") =>
            {
                Self::Post(s)
            }
            Some(s) => Self::Basic(s),
        }
    }
}

/// A token request: form body and, for basic authentication, the `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// `application/x-www-form-urlencoded` body.
    pub body: String,
    /// `Authorization` header value, if any.
    pub authorization: Option<String>,
}

/// The authorization code exchange (RFC 6749 §4.1.3 with the PKCE verifier).
#[must_use]
pub fn token_request(
    client: &Client,
    auth: &ClientAuth,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> TokenRequest {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let authorization = match auth {
        ClientAuth::Basic(secret) => {
            let credentials = format!("{}:{}", form_encode(&client.client_id), form_encode(secret));
            Some(format!(
                "Basic {}",
                base64ct::Base64::encode_string(credentials.as_bytes())
            ))
        }
        ClientAuth::Post(secret) => {
            pairs.push(("client_id", client.client_id.as_str()));
            pairs.push(("client_secret", secret.as_str()));
            None
        }
        ClientAuth::None => {
            pairs.push(("client_id", client.client_id.as_str()));
            None
        }
    };
    TokenRequest {
        body: query(&pairs),
        authorization,
    }
}

/// The ID token from a token endpoint response.
///
/// # Errors
/// [`SignInError::CodeRejected`] when the response has no `id_token`.
pub fn id_token_from_response(json: &[u8]) -> Result<String, SignInError> {
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(SignInError::MalformedToken);
    }
    read_object(json, &[("id_token", Shape::OptText)], false)
        .ok()
        .and_then(|mut r| r.opt_text("id_token"))
        .ok_or(SignInError::CodeRejected)
}

/// Signature algorithms accepted for ID tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256 (signature = r ‖ s, 64 bytes).
    Es256,
}

/// A compact JWS split into its parts. Nothing in it is trusted until the signature verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwt {
    /// The algorithm named in the header (RS256 or ES256 only).
    pub alg: Alg,
    /// The key id named in the header.
    pub kid: Option<String>,
    /// `header.payload`, the bytes that were signed.
    pub signing_input: String,
    /// The decoded signature.
    pub signature: Vec<u8>,
    /// The decoded payload (JSON claims).
    pub payload: Vec<u8>,
}

impl Jwt {
    /// Splits and decodes a compact JWS.
    ///
    /// # Errors
    /// [`SignInError::MalformedToken`] for anything but three base64url parts with a JSON header
    /// naming RS256 or ES256 (never `none`, never HMAC), within [`MAX_DOCUMENT_BYTES`].
    pub fn parse(token: &str) -> Result<Self, SignInError> {
        if token.len() > MAX_DOCUMENT_BYTES {
            return Err(SignInError::MalformedToken);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SignInError::MalformedToken);
        };
        let decode = |part: &str| {
            Base64UrlUnpadded::decode_vec(part).map_err(|_| SignInError::MalformedToken)
        };
        let mut head = read_object(
            &decode(header)?,
            &[("alg", Shape::Text), ("kid", Shape::OptText)],
            false,
        )
        .map_err(|_| SignInError::MalformedToken)?;
        let alg = match head
            .opt_text("alg")
            .ok_or(SignInError::MalformedToken)?
            .as_str()
        {
            "RS256" => Alg::Rs256,
            "ES256" => Alg::Es256,
            _ => return Err(SignInError::MalformedToken),
        };
        let signature = decode(signature)?;
        if alg == Alg::Es256 && signature.len() != 64 {
            return Err(SignInError::MalformedToken);
        }
        Ok(Self {
            alg,
            kid: head.opt_text("kid"),
            signing_input: format!("{header}.{payload}"),
            signature,
            payload: decode(payload)?,
        })
    }
}

/// A public key from the provider's JWKS, as WebCrypto imports it (base64url members of a JWK).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: modulus and exponent.
    Rsa {
        /// Modulus.
        n: String,
        /// Public exponent.
        e: String,
    },
    /// EC P-256: the point.
    P256 {
        /// x coordinate.
        x: String,
        /// y coordinate.
        y: String,
    },
}

/// A JSON Web Key as [`find_key`] reads it (the tests compare the reader with serde's derived one).
#[cfg_attr(test, derive(Deserialize))]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[cfg_attr(test, serde(rename = "use"))]
    use_: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// The fields of a JSON Web Key that [`find_key`] reads.
const JWK: &[(&str, Shape)] = &[
    ("kty", Shape::Text),
    ("kid", Shape::OptText),
    ("use", Shape::OptText),
    ("alg", Shape::OptText),
    ("crv", Shape::OptText),
    ("n", Shape::OptText),
    ("e", Shape::OptText),
    ("x", Shape::OptText),
    ("y", Shape::OptText),
];

/// Picks the key that verifies `jwt` from a JWKS document.
///
/// A key matches when its `kid` equals the token's (or the token has none and exactly one key
/// fits), its type fits the algorithm (RSA ≥ 2048 bits for RS256, EC P-256 for ES256), and its
/// `use`/`alg`, when present, allow signing with that algorithm.
///
/// Returns `Ok(None)` when no key matches (the shell then refetches the JWKS once: rotation).
///
/// # Errors
/// [`SignInError::ProviderUnavailable`] for a document that is not a JWKS.
pub fn find_key(jwks: &[u8], jwt: &Jwt) -> Result<Option<PublicKey>, SignInError> {
    if jwks.len() > MAX_DOCUMENT_BYTES {
        return Err(SignInError::ProviderUnavailable);
    }
    let mut set = read_object(jwks, &[("keys", Shape::Objects(JWK))], false)
        .map_err(|_| SignInError::ProviderUnavailable)?;
    let keys: Vec<Jwk> = set
        .objects("keys")
        .into_iter()
        .map(|mut k| {
            let mut text = |name| k.get::<Option<String>>(name).ok().flatten();
            Some(Jwk {
                kty: text("kty")?,
                kid: text("kid"),
                use_: text("use"),
                alg: text("alg"),
                crv: text("crv"),
                n: text("n"),
                e: text("e"),
                x: text("x"),
                y: text("y"),
            })
        })
        .collect::<Option<_>>()
        .ok_or(SignInError::ProviderUnavailable)?;
    let alg_name = match jwt.alg {
        Alg::Rs256 => "RS256",
        Alg::Es256 => "ES256",
    };
    let usable = |k: &Jwk| -> Option<PublicKey> {
        if k.use_.as_deref().is_some_and(|u| u != "sig")
            || k.alg.as_deref().is_some_and(|a| a != alg_name)
        {
            return None;
        }
        match (jwt.alg, k.kty.as_str()) {
            (Alg::Rs256, "RSA") => {
                let (n, e) = (k.n.clone()?, k.e.clone()?);
                let modulus = Base64UrlUnpadded::decode_vec(&n).ok()?;
                let significant = modulus.iter().skip_while(|b| **b == 0).count();
                (significant >= MIN_RSA_MODULUS_BYTES).then_some(PublicKey::Rsa { n, e })
            }
            (Alg::Es256, "EC") if k.crv.as_deref() == Some("P-256") => Some(PublicKey::P256 {
                x: k.x.clone()?,
                y: k.y.clone()?,
            }),
            _ => None,
        }
    };
    let mut candidates = keys.iter().filter_map(|k| {
        let kid_matches = match (&jwt.kid, &k.kid) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        };
        if kid_matches { usable(k) } else { None }
    });
    let first = candidates.next();
    // Without a kid, a choice between several keys would be a guess: refuse.
    if jwt.kid.is_none() && candidates.next().is_some() {
        return Ok(None);
    }
    Ok(first)
}

/// Who signed in, from a verified ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The user id (the configured user claim).
    pub user: String,
    /// Whether the sign-in used multi-factor authentication (by the client's MFA rule).
    pub mfa: bool,
}

/// Validates the claims of an ID token whose signature has verified (OpenID Connect Core §3.1.3.7):
/// `iss` is the issuer; `aud` contains the client id, and `azp`, when present or when there are
/// several audiences, is the client id; `exp` is after `now` and `iat` not after it (both with
/// [`CLOCK_SKEW_SECS`]), `iat` not older than [`MAX_TOKEN_AGE_SECS`]; `nonce` equals the
/// transaction's; the user claim is a valid user id (for `email`, not marked unverified).
///
/// # Errors
/// The [`SignInError`] naming the first check that failed.
pub fn validate_claims(
    payload: &[u8],
    client: &Client,
    nonce: &str,
    now: i64,
) -> Result<Identity, SignInError> {
    // No `#[serde(untagged)]` or `#[serde(flatten)]` here: both buffer through serde's generic
    // content form, much larger code in the Worker. `aud` is read as a JSON value, and the user
    // claim (named by the configuration) from a second read of the payload as a map.
    struct Claims {
        iss: String,
        aud: serde_json::Value,
        azp: Option<String>,
        exp: i64,
        iat: i64,
        nonce: Option<String>,
        amr: Vec<String>,
        acr: Option<String>,
        email_verified: Option<bool>,
    }
    let mut f = read_object(
        payload,
        &[
            ("iss", Shape::Text),
            ("aud", Shape::Any),
            ("azp", Shape::OptText),
            ("exp", Shape::Int),
            ("iat", Shape::Int),
            ("nonce", Shape::OptText),
            ("amr", Shape::TextsOrNone),
            ("acr", Shape::OptText),
            ("email_verified", Shape::OptFlag),
        ],
        false,
    )
    .map_err(|_| SignInError::MalformedToken)?;
    let claims = Claims {
        iss: f.opt_text("iss").ok_or(SignInError::MalformedToken)?,
        aud: f.any("aud"),
        azp: f.opt_text("azp"),
        exp: f.int("exp").map_err(|_| SignInError::MalformedToken)?,
        iat: f.int("iat").map_err(|_| SignInError::MalformedToken)?,
        nonce: f.opt_text("nonce"),
        amr: f.opt_texts("amr").unwrap_or_default(),
        acr: f.opt_text("acr"),
        email_verified: f.opt_flag("email_verified"),
    };
    let serde_json::Value::Object(other) =
        super::json::parse(payload).map_err(|_| SignInError::MalformedToken)?
    else {
        return Err(SignInError::MalformedToken);
    };
    // The named claims are not the user claim (as with `flatten`, which took them out first).
    let named = [
        "iss",
        "aud",
        "azp",
        "exp",
        "iat",
        "nonce",
        "amr",
        "acr",
        "email_verified",
    ];
    // `aud`: one string, or a list of strings; anything else is malformed.
    let audiences: Vec<String> = match claims.aud {
        serde_json::Value::String(a) => vec![a],
        serde_json::Value::Array(list) => list
            .into_iter()
            .map(|a| match a {
                serde_json::Value::String(a) => Ok(a),
                _ => Err(SignInError::MalformedToken),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(SignInError::MalformedToken),
    };
    if claims.iss != client.issuer {
        return Err(SignInError::WrongIssuer);
    }
    let azp_ok = match &claims.azp {
        Some(azp) => *azp == client.client_id,
        None => audiences.len() == 1,
    };
    if !audiences.contains(&client.client_id) || !azp_ok {
        return Err(SignInError::WrongAudience);
    }
    if now >= claims.exp.saturating_add(CLOCK_SKEW_SECS)
        || claims.iat > now.saturating_add(CLOCK_SKEW_SECS)
        || now.saturating_sub(claims.iat) > MAX_TOKEN_AGE_SECS + CLOCK_SKEW_SECS
    {
        return Err(SignInError::TokenExpired);
    }
    let nonce_ok = claims
        .nonce
        .as_deref()
        .is_some_and(|n| constant_time_eq(n.as_bytes(), nonce.as_bytes()));
    if !nonce_ok {
        return Err(SignInError::NonceMismatch);
    }
    let user = Some(&client.user_claim)
        .filter(|claim| !named.contains(&claim.as_str()))
        .and_then(|claim| other.get(claim))
        .and_then(serde_json::Value::as_str)
        .filter(|u| valid_user(u))
        .ok_or(SignInError::NoUser)?;
    if client.user_claim == "email" && claims.email_verified == Some(false) {
        return Err(SignInError::NoUser);
    }
    let mfa = if client.acr_values.is_empty() {
        claims.amr.iter().any(|m| m == "mfa")
    } else {
        claims
            .acr
            .as_deref()
            .is_some_and(|acr| client.acr_values.iter().any(|a| a == acr))
    };
    Ok(Identity {
        user: user.to_owned(),
        mfa,
    })
}

crate::json_object!(Transaction {
    state,
    nonce,
    verifier,
    created_at
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::TestEntropy;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: i64 = 1_790_000_000;
    const KEY: &[u8] = b"session secret for tests, 32 b..";

    fn client() -> Client {
        Client::new(Some("https://idp.example"), Some("worker"), None, None).unwrap()
    }

    fn metadata() -> ProviderMetadata {
        ProviderMetadata {
            issuer: "https://idp.example".into(),
            authorization_endpoint: "https://idp.example/auth".into(),
            token_endpoint: "https://idp.example/token".into(),
            jwks_uri: "https://idp.example/jwks".into(),
            token_endpoint_auth_methods_supported: vec![],
        }
    }

    fn claims(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let mut value = serde_json::json!({
            "iss": "https://idp.example", "aud": "worker", "sub": "alice",
            "exp": NOW + 300, "iat": NOW - 5, "nonce": "n-1", "amr": ["pwd", "mfa"],
        });
        edit(&mut value);
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn transactions_draw_fresh_256_bit_values() {
        let mut entropy = TestEntropy::new(7);
        let a = Transaction::new(&mut entropy, NOW).unwrap();
        let b = Transaction::new(&mut entropy, NOW).unwrap();
        assert_eq!(a.verifier.len(), 43);
        assert_ne!(a.state, a.nonce);
        assert_ne!(a.state, b.state);
        assert_ne!(a.verifier, b.verifier);
    }

    #[test]
    fn a_sealed_transaction_opens_only_with_its_state_key_and_in_time() {
        let tx = Transaction::new(&mut TestEntropy::new(1), NOW).unwrap();
        let cookie = tx.seal(KEY).unwrap();
        let open =
            |c: Option<&str>, key: &[u8], state: &str, now| Transaction::open(c, key, state, now);
        assert_eq!(
            open(Some(&cookie), KEY, &tx.state, NOW + 10),
            Ok(tx.clone())
        );
        assert_eq!(
            open(Some(&cookie), KEY, "tampered", NOW),
            Err(SignInError::StateMismatch)
        );
        assert_eq!(
            open(
                Some(&cookie),
                b"another key, also 32 bytes long.",
                &tx.state,
                NOW
            ),
            Err(SignInError::NoTransaction)
        );
        assert_eq!(
            open(
                Some(&cookie),
                KEY,
                &tx.state,
                NOW + TRANSACTION_MAX_AGE_SECS + 1
            ),
            Err(SignInError::NoTransaction)
        );
        assert_eq!(
            open(None, KEY, &tx.state, NOW),
            Err(SignInError::NoTransaction)
        );
        // A payload swapped under the MAC of another transaction.
        let other = Transaction::new(&mut TestEntropy::new(2), NOW)
            .unwrap()
            .seal(KEY)
            .unwrap();
        let forged = format!(
            "{}.{}",
            other.split_once('.').unwrap().0,
            cookie.split_once('.').unwrap().1
        );
        assert_eq!(
            open(Some(&forged), KEY, &tx.state, NOW),
            Err(SignInError::NoTransaction)
        );
        // A prefix of the right tag (a short tag must not compare equal to its prefix).
        let (payload, tag) = cookie.split_once('.').unwrap();
        let short =
            Base64UrlUnpadded::encode_string(&Base64UrlUnpadded::decode_vec(tag).unwrap()[..16]);
        assert_eq!(
            open(Some(&format!("{payload}.{short}")), KEY, &tx.state, NOW),
            Err(SignInError::NoTransaction)
        );
        assert_eq!(
            open(Some(&format!("{payload}.")), KEY, &tx.state, NOW),
            Err(SignInError::NoTransaction)
        );
    }

    #[test]
    fn the_authorization_url_carries_code_flow_pkce_state_nonce_and_step_up() {
        let tx = Transaction::new(&mut TestEntropy::new(3), NOW).unwrap();
        let url = authorization_url(
            &metadata(),
            &client(),
            "https://w.example/oidc/callback",
            &tx,
            false,
        );
        assert!(url.starts_with("https://idp.example/auth?response_type=code&client_id=worker&"));
        assert!(url.contains("redirect_uri=https%3A%2F%2Fw.example%2Foidc%2Fcallback"));
        assert!(url.contains("scope=openid%20email%20profile"));
        assert!(url.contains(&format!("state={}", tx.state)));
        assert!(url.contains(&format!("nonce={}", tx.nonce)));
        assert!(url.contains(&format!(
            "code_challenge={}&code_challenge_method=S256",
            pkce_challenge(&tx.verifier)
        )));
        assert!(!url.contains(&tx.verifier), "the verifier must stay secret");
        assert!(!url.contains("prompt=") && !url.contains("acr_values"));
        let mut acr = client();
        acr.acr_values = vec!["phr".into(), "phrh".into()];
        let step_up = authorization_url(&metadata(), &acr, "https://w/cb", &tx, true);
        assert!(step_up.contains("acr_values=phr%20phrh"));
        assert!(step_up.contains("prompt=login&max_age=0"));
    }

    #[test]
    fn configuration_needs_issuer_and_client_and_a_safe_scheme() {
        assert_eq!(
            Client::new(None, Some("c"), None, None),
            Err(SignInError::NotConfigured)
        );
        assert_eq!(
            Client::new(Some("https://i"), Some(" "), None, None),
            Err(SignInError::NotConfigured)
        );
        assert_eq!(
            Client::new(Some("http://idp.example"), Some("c"), None, None),
            Err(SignInError::NotConfigured)
        );
        assert!(Client::new(Some("http://localhost:9000"), Some("c"), None, None).is_ok());
        assert!(Client::new(Some("http://127.0.0.1:9000/x"), Some("c"), None, None).is_ok());
        assert!(Client::new(Some("http://127.0.0.1.evil.example"), Some("c"), None, None).is_err());
        let c = Client::new(Some("https://i"), Some("c"), Some("email"), Some(" a  b ")).unwrap();
        assert_eq!(c.user_claim, "email");
        assert_eq!(c.acr_values, ["a", "b"]);
    }

    #[test]
    fn discovery_must_name_the_configured_issuer_and_safe_endpoints() {
        let doc = serde_json::to_vec(&metadata()).unwrap();
        assert_eq!(
            ProviderMetadata::parse(&doc, "https://idp.example"),
            Ok(metadata())
        );
        assert_eq!(
            ProviderMetadata::parse(&doc, "https://other.example"),
            Err(SignInError::ProviderUnavailable)
        );
        let mut plain = metadata();
        plain.token_endpoint = "http://idp.example/token".into();
        let doc = serde_json::to_vec(&plain).unwrap();
        assert!(ProviderMetadata::parse(&doc, "https://idp.example").is_err());
        assert_eq!(
            ProviderMetadata::discovery_url("https://idp.example/tenant/"),
            "https://idp.example/tenant/.well-known/openid-configuration"
        );
    }

    #[test]
    fn key_sets_read_as_the_derived_reader_does() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Jwks {
            keys: Vec<Jwk>,
        }
        for doc in [
            r#"{"keys":[]}"#,
            r#"{"keys":[{"kty":"RSA","kid":"a","use":"sig","n":"AQAB","e":"AQAB","other":[1]}],"x":1}"#,
            r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"},{"kty":"RSA"}]}"#,
            r#"{"keys":[{"kty":"RSA","kty":"EC"}]}"#,
            r#"{"keys":[{"kty":"RSA","n":"a","n":"b"}]}"#,
            r#"{"keys":[{"kty":"RSA","x":1}]}"#,
            r#"{"keys":[{"kid":"a"}]}"#,
            r#"{"keys":[{"kty":"RSA","kid":null}]}"#,
            r#"{"keys":[{"kty":"RSA","extra":1,"extra":2}]}"#,
            r#"{"keys":[{"kty":"RSA"}],"keys":[]}"#,
            r#"{"keys":null}"#,
            r#"{"keys":{}}"#,
            r#"{"keys":[1]}"#,
            r#"{}"#,
            r#"{"keys":[{"kty":"RSA"}]} x"#,
            r#"{"keys":[{"kty":"RSA"}"#,
        ] {
            assert_eq!(
                read_object(doc.as_bytes(), &[("keys", Shape::Objects(JWK))], false).is_ok(),
                serde_json::from_slice::<Jwks>(doc.as_bytes()).is_ok(),
                "{doc}"
            );
        }
    }

    #[test]
    fn discovery_reads_as_the_derived_reader_does() {
        let good = r#""issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a","token_endpoint":"https://idp.example/t","jwks_uri":"https://idp.example/k""#;
        for doc in [
            format!("{{{good}}}"),
            format!(
                r#"{{{good},"token_endpoint_auth_methods_supported":["none"],"extra":{{"a":[1]}}}}"#
            ),
            format!(r#"{{{good},"token_endpoint_auth_methods_supported":null}}"#),
            format!(r#"{{{good},"issuer":"https://idp.example"}}"#),
            format!(r#"{{{good},"extra":1,"extra":2}}"#),
            format!(r#"{{{good},"jwks_uri":1}}"#),
            r#"{"issuer":"https://idp.example"}"#.into(),
            format!("{{{good}}} trailing"),
        ] {
            let derived = serde_json::from_slice::<ProviderMetadata>(doc.as_bytes())
                .map_err(|_| SignInError::ProviderUnavailable);
            assert_eq!(
                ProviderMetadata::parse(doc.as_bytes(), "https://idp.example"),
                derived,
                "{doc}"
            );
        }
    }

    #[test]
    fn token_requests_authenticate_as_configured() {
        let c = client();
        let none = token_request(&c, &ClientAuth::None, "c o", "https://w/cb", "v");
        assert_eq!(
            none.body,
            "grant_type=authorization_code&code=c%20o&redirect_uri=https%3A%2F%2Fw%2Fcb&code_verifier=v&client_id=worker"
        );
        assert_eq!(none.authorization, None);
        let basic = token_request(&c, &ClientAuth::Basic("s:é".into()), "c", "r", "v");
        // RFC 6749 §2.3.1: form-encode id and secret, then base64 of "id:secret".
        assert_eq!(
            basic.authorization.as_deref(),
            Some("Basic d29ya2VyOnMlM0ElQzMlQTk=")
        );
        assert!(!basic.body.contains("client_secret"));
        let post = token_request(&c, &ClientAuth::Post("s".into()), "c", "r", "v");
        assert!(post.body.ends_with("&client_id=worker&client_secret=s"));
        let mut m = metadata();
        assert_eq!(ClientAuth::choose(None, &m), ClientAuth::None);
        assert_eq!(
            ClientAuth::choose(Some("s".into()), &m),
            ClientAuth::Basic("s".into())
        );
        m.token_endpoint_auth_methods_supported = vec!["client_secret_post".into()];
        assert_eq!(
            ClientAuth::choose(Some("s".into()), &m),
            ClientAuth::Post("s".into())
        );
    }

    fn jwt(header: &str, sig_len: usize) -> String {
        format!(
            "{}.{}.{}",
            Base64UrlUnpadded::encode_string(header.as_bytes()),
            Base64UrlUnpadded::encode_string(b"{}"),
            Base64UrlUnpadded::encode_string(&vec![1u8; sig_len])
        )
    }

    #[test]
    fn only_rs256_and_es256_compact_tokens_parse() {
        let rs = Jwt::parse(&jwt(r#"{"alg":"RS256","kid":"k1"}"#, 256)).unwrap();
        assert_eq!((rs.alg, rs.kid.as_deref()), (Alg::Rs256, Some("k1")));
        assert!(rs.signing_input.ends_with(".e30"));
        assert_eq!(
            Jwt::parse(&jwt(r#"{"alg":"ES256"}"#, 64)).unwrap().alg,
            Alg::Es256
        );
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"RS512"}"#,
            "{}",
        ] {
            assert_eq!(
                Jwt::parse(&jwt(header, 64)),
                Err(SignInError::MalformedToken),
                "{header}"
            );
        }
        assert!(Jwt::parse(&jwt(r#"{"alg":"ES256"}"#, 70)).is_err());
        assert!(Jwt::parse("a.b").is_err());
        assert!(Jwt::parse(&"a".repeat(MAX_DOCUMENT_BYTES + 1)).is_err());
    }

    #[test]
    fn keys_are_chosen_by_kid_type_and_size() {
        let n = Base64UrlUnpadded::encode_string(&[0xC5; 256]);
        let short = Base64UrlUnpadded::encode_string(&[0xC5; 128]);
        let jwks = serde_json::to_vec(&serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "old", "n": n, "e": "AQAB", "use": "sig"},
            {"kty": "RSA", "kid": "weak", "n": short, "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "n": n, "e": "AQAB", "use": "enc"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "X", "y": "Y"},
        ]}))
        .unwrap();
        let token = |header: &str, len| Jwt::parse(&jwt(header, len)).unwrap();
        assert_eq!(
            find_key(&jwks, &token(r#"{"alg":"RS256","kid":"old"}"#, 256)),
            Ok(Some(PublicKey::Rsa {
                n: n.clone(),
                e: "AQAB".into()
            }))
        );
        assert_eq!(
            find_key(&jwks, &token(r#"{"alg":"RS256","kid":"new"}"#, 256)),
            Ok(None)
        );
        assert_eq!(
            find_key(&jwks, &token(r#"{"alg":"RS256","kid":"weak"}"#, 256)),
            Ok(None)
        );
        assert_eq!(
            find_key(&jwks, &token(r#"{"alg":"RS256","kid":"enc"}"#, 256)),
            Ok(None)
        );
        assert_eq!(
            find_key(&jwks, &token(r#"{"alg":"ES256","kid":"old"}"#, 64)),
            Ok(None)
        );
        assert_eq!(
            find_key(&jwks, &token(r#"{"alg":"ES256","kid":"ec"}"#, 64)),
            Ok(Some(PublicKey::P256 {
                x: "X".into(),
                y: "Y".into()
            }))
        );
        // Without a kid: the one EC key fits ES256; RS256 has one usable RSA key too.
        assert!(
            find_key(&jwks, &token(r#"{"alg":"ES256"}"#, 64))
                .unwrap()
                .is_some()
        );
        assert!(find_key(b"[]", &token(r#"{"alg":"ES256"}"#, 64)).is_err());
    }

    #[test]
    fn good_claims_name_the_user_and_the_mfa() {
        assert_eq!(
            validate_claims(&claims(|_| {}), &client(), "n-1", NOW),
            Ok(Identity {
                user: "alice".into(),
                mfa: true
            })
        );
        let no_mfa = claims(|c| c["amr"] = serde_json::json!(["pwd"]));
        assert!(!validate_claims(&no_mfa, &client(), "n-1", NOW).unwrap().mfa);
    }

    #[test]
    fn malformed_claims_and_registered_names_are_refused() {
        let check = |edit: fn(&mut serde_json::Value)| {
            validate_claims(&claims(edit), &client(), "n-1", NOW)
        };
        // `aud` is one string or a list of strings, nothing else.
        for aud in [
            serde_json::json!(7),
            serde_json::json!(["worker", 7]),
            serde_json::Value::Null,
        ] {
            assert_eq!(
                validate_claims(&claims(|c| c["aud"] = aud), &client(), "n-1", NOW),
                Err(SignInError::MalformedToken)
            );
        }
        assert_eq!(
            check(|c| c["exp"] = 1.5.into()),
            Err(SignInError::MalformedToken)
        );
        // A payload that is not an object, and a duplicated registered claim, are malformed.
        let array = br#"["https://idp.example","worker",null,1,1]"#;
        assert_eq!(
            validate_claims(array, &client(), "n-1", NOW),
            Err(SignInError::MalformedToken)
        );
        let twice = br#"{"iss":"https://idp.example","iss":"https://idp.example","aud":"worker","sub":"alice","exp":1790000300,"iat":1790000000,"nonce":"n-1"}"#;
        assert_eq!(
            validate_claims(twice, &client(), "n-1", NOW),
            Err(SignInError::MalformedToken)
        );
        // The user claim is never one of the registered claims the checks read.
        let by_issuer = Client::new(
            Some("https://idp.example"),
            Some("worker"),
            Some("iss"),
            None,
        )
        .unwrap();
        assert_eq!(
            validate_claims(&claims(|_| {}), &by_issuer, "n-1", NOW),
            Err(SignInError::NoUser)
        );
    }

    #[test]
    fn each_claim_check_refuses_with_its_own_error() {
        let check = |edit: fn(&mut serde_json::Value)| {
            validate_claims(&claims(edit), &client(), "n-1", NOW)
        };
        assert_eq!(
            check(|c| c["iss"] = "https://evil.example".into()),
            Err(SignInError::WrongIssuer)
        );
        assert_eq!(
            check(|c| c["aud"] = "other".into()),
            Err(SignInError::WrongAudience)
        );
        assert_eq!(
            check(|c| c["aud"] = serde_json::json!(["worker", "other"])),
            Err(SignInError::WrongAudience)
        );
        assert!(
            check(|c| {
                c["aud"] = serde_json::json!(["worker", "other"]);
                c["azp"] = "worker".into();
            })
            .is_ok()
        );
        assert_eq!(
            check(|c| c["azp"] = "other".into()),
            Err(SignInError::WrongAudience)
        );
        assert_eq!(
            check(|c| c["exp"] = (NOW - CLOCK_SKEW_SECS).into()),
            Err(SignInError::TokenExpired)
        );
        assert!(
            check(|c| c["exp"] = (NOW - CLOCK_SKEW_SECS + 1).into()).is_ok(),
            "within the skew"
        );
        assert_eq!(
            check(|c| c["iat"] = (NOW + CLOCK_SKEW_SECS + 1).into()),
            Err(SignInError::TokenExpired)
        );
        assert_eq!(
            check(|c| c["iat"] = (NOW - MAX_TOKEN_AGE_SECS - CLOCK_SKEW_SECS - 1).into()),
            Err(SignInError::TokenExpired)
        );
        assert_eq!(
            check(|c| c["nonce"] = "n-2".into()),
            Err(SignInError::NonceMismatch)
        );
        assert_eq!(
            check(|c| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            Err(SignInError::NonceMismatch)
        );
        assert_eq!(check(|c| c["sub"] = "".into()), Err(SignInError::NoUser));
        assert_eq!(
            check(|c| c["sub"] = "x".repeat(300).into()),
            Err(SignInError::NoUser)
        );
        assert_eq!(
            check(|c| c["exp"] = "soon".into()),
            Err(SignInError::MalformedToken)
        );
        assert_eq!(
            validate_claims(&claims(|_| {}), &client(), "n-1", i64::MAX),
            Err(SignInError::TokenExpired)
        );
    }

    #[test]
    fn the_user_claim_and_the_acr_rule_are_configurable() {
        let mut c = Client::new(
            Some("https://idp.example"),
            Some("worker"),
            Some("email"),
            Some("gold"),
        )
        .unwrap();
        let payload = claims(|v| {
            v["email"] = "alice@example.com".into();
            v["acr"] = "gold".into();
            v["amr"] = serde_json::json!(["pwd"]);
        });
        assert_eq!(
            validate_claims(&payload, &c, "n-1", NOW),
            Ok(Identity {
                user: "alice@example.com".into(),
                mfa: true
            })
        );
        let unverified = claims(|v| {
            v["email"] = "alice@example.com".into();
            v["email_verified"] = false.into();
        });
        assert_eq!(
            validate_claims(&unverified, &c, "n-1", NOW),
            Err(SignInError::NoUser)
        );
        c.acr_values = vec!["platinum".into()];
        assert!(
            !validate_claims(&payload, &c, "n-1", NOW).unwrap().mfa,
            "acr not in the list"
        );
        c.user_claim = "preferred_username".into();
        assert_eq!(
            validate_claims(&payload, &c, "n-1", NOW),
            Err(SignInError::NoUser)
        );
    }

    #[test]
    fn error_codes_are_snake_case() {
        for e in [
            SignInError::NotConfigured,
            SignInError::NoTransaction,
            SignInError::NoUser,
        ] {
            assert!(e.code().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert!(!e.to_string().is_empty());
        }
    }
}
