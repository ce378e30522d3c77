//! `POST /v1/verify`: the hot path.
//!
//! ```text
//! parse body, user, protocol, remote_ip      ── bad → 400
//! blocked in this isolate's memory?           ── 429, no KV read, no Argon2
//! normalise + checksum                        ── bad → failure
//! in this isolate's login cache?              ── hit: owner, expiry, scope only (no KV, no Argon2)
//! one KV read (lookup key)                    ── miss → failure
//!   (strict revocation: the user's object instead, and no cache; during a secret rotation, a
//!   miss is tried again under PASSWORD_SECRET_PREVIOUS's lookup key, and a success re-keys it)
//! owner, expiry, scope, Argon2id              ── wrong → failure; ok → remembered in the cache
//!   (refused as unused: confirmed by the user's object, since KV's last use may lag)
//! ok → 200; last use and login.succeeded after the response (once a minute per password)
//! failure → count it (rate limiters, per pair and per address) → 401, or 429 past a limit
//! ```
//!
//! Failed attempts are counted by the Workers Rate Limiting bindings `PAIR_LIMITER` (per user and
//! client address) and `ADDRESS_LIMITER` (per address). `limit()` counts every call, so it is
//! called only for failures; once a limiter says no, this isolate remembers the pair or address as
//! blocked for [`PERIOD_SECS`] and refuses it before any KV read or Argon2 run. Successful logins
//! are never counted, so they are never throttled (unless the pair is already blocked).

use super::audit;
use super::commands::{Command, Message};
use super::config::Config;
use super::http::{self, ApiError};
use super::routes::{Call, invalid_user};
use super::{login_cache, lookup, now, send, send_message};
use crate::domain::audit::{Actor, Event, Kind, LOGIN_FAILED_INTERVAL_SECS, Named};
use crate::domain::rules::{
    Credential, LAST_USE_INTERVAL_SECS, Rejection, check_claims, check_credential, valid_user,
};
use crate::domain::throttle::{
    Blocklist, Gate, Origin, PERIOD_SECS, address_key, pair_key, parse_remote_ip,
};
use crate::domain::{Protocol, format, hash};
use core::cell::RefCell;
use core::sync::atomic::{AtomicU64, Ordering};
use serde::{Deserialize, Serialize};
use worker::{Context, Env, Headers, Response};

/// Rate limiter of failures per (user, address): `[[ratelimits]]` in wrangler.toml.
pub const PAIR_LIMITER: &str = "PAIR_LIMITER";
/// Rate limiter of failures per address.
pub const ADDRESS_LIMITER: &str = "ADDRESS_LIMITER";

thread_local! {
    /// Pairs and addresses a rate limiter refused, until when.
    static BLOCKED: RefCell<Blocklist> = RefCell::new(Blocklist::default());
    /// `login.failed` lines per pair: at most one a minute, with the count held back.
    static FAILED: RefCell<Gate> = RefCell::new(Gate::new(LOGIN_FAILED_INTERVAL_SECS));
    /// Uses sent to the users' objects: at most one a minute per app password.
    static USE_SENT: RefCell<Gate> = RefCell::new(Gate::new(LAST_USE_INTERVAL_SECS));
}

/// Logins this isolate answered 429.
static THROTTLED: AtomicU64 = AtomicU64::new(0);

/// How many logins this isolate answered 429.
pub fn throttled() -> u64 {
    THROTTLED.load(Ordering::Relaxed)
}

/// How many pairs and addresses this isolate remembers as blocked.
pub fn blocked() -> usize {
    BLOCKED.with(|b| b.borrow().len())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    user: String,
    password: String,
    protocol: Option<String>,
    remote_ip: Option<String>,
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

/// One login attempt, parsed.
struct Attempt<'a> {
    user: String,
    protocol: Option<Protocol>,
    remote_ip: Option<String>,
    pair: String,
    address: String,
    actor: Actor,
    env: &'a Env,
    ctx: &'a Context,
}

/// `POST /v1/verify` `{"user","password","protocol"?,"remote_ip"?}`.
pub async fn verify(mut call: Call<'_>) -> Result<Response, ApiError> {
    let body: VerifyBody = http::read_json(&mut call.req).await?;
    if !valid_user(&body.user) {
        return Err(invalid_user());
    }
    let protocol = body.protocol.as_deref().map(Protocol::parse).transpose()?;
    let remote_ip = match body.remote_ip.as_deref() {
        None => None,
        Some(text) => Some(parse_remote_ip(text).ok_or_else(|| {
            ApiError::new(
                400,
                "invalid_request",
                "remote_ip must be an IPv4 or IPv6 address",
            )
        })?),
    };
    let actor = call.caller.actor();
    let origin = match &remote_ip {
        Some(ip) => Origin::Address(ip.clone()),
        None => Origin::Caller(actor.label()),
    };
    let attempt = Attempt {
        pair: pair_key(&body.user, &origin),
        address: address_key(&origin),
        user: body.user,
        protocol,
        remote_ip,
        actor,
        env: call.env,
        ctx: call.ctx,
    };
    let at = now();
    // First, before anything costly: is this pair or address blocked here?
    let blocked = BLOCKED.with(|b| {
        let b = b.borrow();
        b.blocked(&attempt.pair, at)
            .or_else(|| b.blocked(&attempt.address, at))
    });
    if let Some(left) = blocked {
        return throttled_response(left);
    }
    let password = match format::normalize(&body.password) {
        Ok(p) => p,
        Err(e) => return attempt.failed(Rejection::from_format(e), None).await,
    };
    let config = Config::from_env(call.env)?;
    let settings = lookup::settings(call.env, at).await?;
    let strict = settings.strict_revocation;
    // Repeated logins (see `login_cache`; never under strict revocation): a hit is a credential
    // Argon2id accepted under this very lookup key less than the TTL ago, so only its claims are
    // checked: no KV read, no Argon2. A hit refused as expired goes the full way below, which
    // confirms an "unused" expiry with the user's object.
    let cache_ttl = if strict {
        None
    } else {
        login_cache::ttl(call.env)?
    };
    let cache_key = hash::lookup_key(&attempt.user, &password, &config.secret);
    let hit = cache_ttl
        .and_then(|_| login_cache::lookup(&cache_key, at))
        .map(|c| {
            let claims = check_claims(&c, &attempt.user, protocol, &settings, at);
            (c, claims)
        })
        .filter(|(_, claims)| *claims != Err(Rejection::Expired));
    let (credential, from_cache, previous, publish) = match hit {
        Some((credential, Err(reason))) => {
            let named = Named::new(&credential.id, &credential.name);
            return attempt.failed(reason, Some(named)).await;
        }
        Some((credential, Ok(()))) => {
            let publish = credential.use_worth_publishing(&settings, at);
            (credential, true, false, publish)
        }
        None => {
            let source = lookup::Source {
                env: call.env,
                actor: &attempt.actor,
                strict,
            };
            let found = lookup::find(&source, &config, &attempt.user, &password).await?;
            let Some(mut found) = found else {
                return attempt.failed(Rejection::Unknown, None).await;
            };
            let secret = found.secret(&config);
            let check = |c: &Credential| {
                check_credential(c, &attempt.user, &password, protocol, secret, &settings, at)
            };
            // Whether the copy that was read lags on last use (the object's copy never does).
            let publish = found.credential.use_worth_publishing(&settings, at);
            let mut checked = check(&found.credential);
            if checked == Err(Rejection::Expired) && !strict && !found.credential.past_expiry(at) {
                // Refused as unused, but KV's copy of last use may lag: the object has it exactly.
                let object = lookup::Source {
                    strict: true,
                    ..source
                };
                let current = lookup::read(&object, &attempt.user, &found.lookup_key).await?;
                checked = current.as_ref().map_or(Err(Rejection::Unknown), check);
                found.credential = current.unwrap_or(found.credential);
            }
            if let Err(reason) = checked {
                let named = Named::new(&found.credential.id, &found.credential.name);
                return attempt.failed(reason, Some(named)).await;
            }
            (found.credential, false, found.previous, publish)
        }
    };
    if previous {
        // Re-key before answering, so that once a login succeeded the previous secret is no longer
        // needed for this app password. A failure is retried at the next login.
        let rekey = Command::Rekey {
            user: attempt.user.clone(),
            id: credential.id.clone(),
            password: password.as_str().to_owned(),
        };
        if let Err(e) = send(call.env, &attempt.actor, &rekey).await {
            worker::console_error!("re-key: {}", e.code);
        }
    }
    if let (false, Some(ttl)) = (from_cache, cache_ttl) {
        login_cache::remember(&cache_key, &credential, at, ttl);
    }
    let mut after = Vec::new();
    if USE_SENT.with(|g| g.borrow_mut().pass(&credential.id, at).is_some()) || publish {
        // The user's object records the use and, at most once a minute, `login.succeeded`.
        after.push(Command::RecordUse {
            user: attempt.user.clone(),
            id: credential.id.clone(),
            at,
            protocol,
            remote_ip: attempt.remote_ip.clone(),
            publish,
        });
    }
    // After a hit the cached hash may already be re-hashed in KV: leave it to the next miss.
    if !from_cache && !previous && hash::needs_rehash(&credential.phc, config.params) {
        after.push(Command::Rehash {
            user: attempt.user.clone(),
            id: credential.id.clone(),
            password: password.as_str().to_owned(),
        });
    }
    after_response(call.env, call.ctx, &attempt.actor, after);
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

impl Attempt<'_> {
    fn event(&self, kind: Kind, at: i64) -> Event {
        let mut event = Event::new(kind, at, self.actor.clone());
        event.protocol = self.protocol;
        event.remote_ip.clone_from(&self.remote_ip);
        event
    }

    /// Counts a failure against the pair and the address; answers 401, or 429 when a limiter says
    /// this one is past the limit (then remembers the block and prints `login.throttled`).
    async fn failed(
        &self,
        reason: Rejection,
        app_password: Option<Named>,
    ) -> Result<Response, ApiError> {
        let at = now();
        let mut over = None;
        for (binding, key, what) in [
            (PAIR_LIMITER, &self.pair, "pair"),
            (ADDRESS_LIMITER, &self.address, "address"),
        ] {
            if !within_limit(self.env, binding, key).await {
                BLOCKED.with(|b| b.borrow_mut().block(key, at, at + PERIOD_SECS));
                over.get_or_insert(what);
            }
        }
        if let Some(what) = over {
            let mut event = self.event(Kind::LoginThrottled, at);
            event.reason = Some(what.to_owned());
            event.count = u32::try_from(PERIOD_SECS).ok();
            audit::login(self.env, self.ctx, &self.user, event);
            return throttled_response(PERIOD_SECS);
        }
        if let Some(count) = FAILED.with(|g| g.borrow_mut().pass(&self.pair, at)) {
            let mut event = self.event(Kind::LoginFailed, at);
            event.reason = Some(reason.code().to_owned());
            event.count = Some(count);
            event.app_password = app_password;
            audit::login(self.env, self.ctx, &self.user, event);
        }
        Ok(http::json(
            401,
            &Refused {
                valid: false,
                reason: reason.code(),
            },
        )?)
    }
}

/// Asks a rate limiter to count one failure under `key`; `false` once past its limit. A missing
/// or failing binding is logged and counts as within the limit (logins keep working).
async fn within_limit(env: &Env, binding: &str, key: &str) -> bool {
    let outcome = match env.rate_limiter(binding) {
        Ok(limiter) => limiter.limit(key.to_owned()).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(outcome) => outcome.success,
        Err(e) => {
            worker::console_error!("rate limiter {binding}: {e}");
            true
        }
    }
}

/// 429 `{"valid":false,"reason":"throttled"}` with `Retry-After`.
fn throttled_response(retry_after: i64) -> Result<Response, ApiError> {
    THROTTLED.fetch_add(1, Ordering::Relaxed);
    let response = http::json(
        429,
        &Refused {
            valid: false,
            reason: "throttled",
        },
    )?;
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.set(&name, &value)?;
    }
    headers.set("retry-after", &retry_after.max(1).to_string())?;
    Ok(response.with_headers(headers))
}

/// Sends commands to the user's object after the response: last use (the object throttles the
/// writes and records `login.succeeded`) and, when parameters changed, the re-hash.
fn after_response(env: &Env, ctx: &Context, actor: &Actor, commands: Vec<Command>) {
    if commands.is_empty() {
        return;
    }
    let env = env.clone();
    let actor = actor.clone();
    ctx.wait_until(async move {
        for command in commands {
            let message = Message {
                actor: actor.clone(),
                command,
            };
            if let Err(e) = send_message(&env, &message).await {
                worker::console_error!("after verify: {}", e.code);
            }
        }
    });
}
