//! Server configuration from Worker secrets and vars.

use super::http::ApiError;
use crate::domain::session::SessionPolicy;
use crate::domain::{Context, HashParams, ServerSecret, Settings, hash};
use core::cell::OnceCell;
use worker::Env;

/// KV namespace holding one credential per app password.
pub const KV_BINDING: &str = "APP_PASSWORDS";
/// Durable Object namespace of per-user records.
pub const USERS_BINDING: &str = "USERS";
/// Durable Object namespace of the tenant settings (one object).
pub const TENANT_BINDING: &str = "TENANT";
/// The static files of public/ (wrangler.toml `[assets]`): the page's HTML, script and style, and
/// the OpenAPI document.
pub const ASSETS_BINDING: &str = "ASSETS";

/// The server secret and hashing parameters.
pub struct Config {
    /// `PASSWORD_SECRET`: Argon2id pepper and lookup-key HMAC key.
    pub secret: ServerSecret,
    /// Argon2id parameters for new hashes (`ARGON2_M`, `ARGON2_T`, `ARGON2_P`; default OWASP).
    pub params: HashParams,
    /// `PASSWORD_SECRET_PREVIOUS`, during a rotation: app passwords keyed with it still verify,
    /// and are re-keyed under [`Self::secret`] when they do.
    pub previous: Option<ServerSecret>,
}

impl Config {
    /// Reads the configuration, refusing to run without a proper secret.
    pub fn from_env(env: &Env) -> Result<Self, ApiError> {
        let secret = env
            .secret("PASSWORD_SECRET")
            .map(|s| s.to_string())
            .map_err(|_| misconfigured("PASSWORD_SECRET is not set"))?;
        let secret = ServerSecret::new(secret.as_bytes())
            .map_err(|_| misconfigured("PASSWORD_SECRET is not 16 to 1024 bytes"))?;
        let defaults = HashParams::default();
        let number = |name: &str, default: u32| -> Result<u32, ApiError> {
            match env.var(name) {
                Ok(v) => v
                    .to_string()
                    .trim()
                    .parse()
                    .map_err(|_| misconfigured("ARGON2_M/T/P must be whole numbers")),
                Err(_) => Ok(default),
            }
        };
        let params = HashParams {
            m: number("ARGON2_M", defaults.m)?,
            t: number("ARGON2_T", defaults.t)?,
            p: number("ARGON2_P", defaults.p)?,
        }
        .validate()
        .map_err(|_| misconfigured("ARGON2_M/T/P are out of range"))?;
        let previous =
            match env.secret("PASSWORD_SECRET_PREVIOUS") {
                Ok(previous) => Some(ServerSecret::new(previous.to_string().as_bytes()).map_err(
                    |_| misconfigured("PASSWORD_SECRET_PREVIOUS is shorter than 16 bytes"),
                )?),
                Err(_) => None,
            };
        Ok(Self {
            secret,
            params,
            previous,
        })
    }

    /// The context the core's rules need, with this configuration.
    pub fn context(&self, settings: Settings, now: i64) -> Context<'_> {
        Context {
            settings,
            secret: &self.secret,
            params: self.params,
            now,
        }
    }
}

thread_local! {
    /// `API_TOKEN`, once read (see [`api_token`]).
    static API_TOKEN: OnceCell<String> = const { OnceCell::new() };
}

/// Whether `given` is the API token service callers must present (compared in constant time). The
/// token is read once per isolate, like the rest of the configuration: secrets do not change under
/// a running isolate, and reading one costs several calls into the runtime on every authenticated
/// request. A missing or short token is not remembered (each request answers
/// `server_misconfigured` and logs why).
pub fn is_api_token(env: &Env, given: &str) -> Result<bool, ApiError> {
    let matches = |token: &String| hash::constant_time_eq(given.as_bytes(), token.as_bytes());
    if let Some(matched) = API_TOKEN.with(|t| t.get().map(matches)) {
        return Ok(matched);
    }
    let token = env
        .secret("API_TOKEN")
        .map(|s| s.to_string())
        .ok()
        .filter(|t| hash::check_secret(t.as_bytes()).is_ok())
        .ok_or_else(|| misconfigured("API_TOKEN is not set, or not 16 to 1024 bytes"))?;
    let matched = matches(&token);
    API_TOKEN.with(|t| t.set(token).ok());
    Ok(matched)
}

/// How long page sessions last (`SESSION_IDLE_SECS`, `SESSION_MAX_SECS`; 30 min and 8 h by default).
pub fn session_policy(env: &Env) -> Result<SessionPolicy, ApiError> {
    let seconds = |name: &str| -> Result<Option<i64>, ApiError> {
        match env.var(name) {
            Ok(v) => v.to_string().trim().parse().map(Some).map_err(|_| {
                misconfigured("SESSION_IDLE_SECS and SESSION_MAX_SECS must be whole seconds")
            }),
            Err(_) => Ok(None),
        }
    };
    SessionPolicy::new(seconds("SESSION_IDLE_SECS")?, seconds("SESSION_MAX_SECS")?)
        .map_err(|_| misconfigured("need 1 <= SESSION_IDLE_SECS <= SESSION_MAX_SECS <= 30 days"))
}

/// The key of the page's cookies' MACs (`SESSION_SECRET`, at least 16 bytes).
pub fn session_secret(env: &Env) -> Result<Vec<u8>, ApiError> {
    env.secret("SESSION_SECRET")
        .map(|s| s.to_string().into_bytes())
        .ok()
        .filter(|s| hash::check_secret(s).is_ok())
        .ok_or_else(|| misconfigured("SESSION_SECRET is not set, or not 16 to 1024 bytes"))
}

/// 500 `server_misconfigured`; the detail goes to the log only.
pub fn misconfigured(detail: &str) -> ApiError {
    worker::console_error!("configuration: {detail}");
    ApiError::new(
        500,
        "server_misconfigured",
        "the service is not configured; see its logs",
    )
}
