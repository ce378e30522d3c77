//! `POST /v1/verify`: the hot path. The login sequence itself (normalise → lookup key → check →
//! re-hash decision) is the domain's [`Login`]; this module does the I/O around it.
//!
//! ```text
//! parse body, user (UserId), protocol, remote_ip  ── bad → 400
//! blocked in this isolate's memory?               ── 429, no KV read, no Argon2
//! Login::start: normalise + checksum, lookup key  ── bad → failure, not counted (no binding call)
//! in this isolate's login cache?                  ── hit: claims only (no KV, no Argon2)
//! one KV read (the same lookup key)               ── miss → failure
//!   (strict revocation: the user's object instead, and no cache; during a secret rotation, a
//!   miss is tried again under PASSWORD_SECRET_PREVIOUS's lookup key, and a success re-keys it)
//! Login::check: owner, expiry, scope, Argon2id    ── wrong → failure; ok → remembered in the cache
//!   (Verdict::Confirm, refused as unused by a copy that may lag: asks the user's object)
//! ok → 200; last use and login.succeeded after the response (once a minute per password);
//!   Login::upkeep: re-hash after the response, or re-key before it
//! failure → count it (both rate limiters at once) → 401, or 429 past a limit
//! ```
//!
//! Failed attempts are counted by the Workers Rate Limiting bindings `PAIR_LIMITER` (per user and
//! client address) and `ADDRESS_LIMITER` (per address). `limit()` counts every call, so it is
//! called only for failures that could have been right — a well-formed password — never for input
//! the format already refuses; once a limiter says no, this isolate remembers the pair or address
//! as blocked for [`PERIOD_SECS`] and refuses it before any KV read or Argon2 run. Successful
//! logins are never counted, so they are never throttled (unless the pair is already blocked).

use super::audit;
use super::commands::{Command, Message};
use super::config::Config;
use super::http::{self, ApiError};
use super::routes::Call;
use super::{ask, login_cache, lookup, now, send_message};
use crate::domain::audit::{Actor, Event, Kind, LOGIN_FAILED_INTERVAL_SECS, Named};
use crate::domain::rules::{
    Credential, Found, LAST_USE_INTERVAL_SECS, Login, Rejection, Upkeep, Verdict,
};
use crate::domain::throttle::{
    Blocklist, Gate, Origin, PERIOD_SECS, address_key, pair_key, parse_remote_ip,
};
use crate::domain::{Protocol, UserId};
use core::cell::RefCell;
use core::sync::atomic::{AtomicU64, Ordering};
use futures_util::future::join;
use std::rc::Rc;
use worker::{Context, Env, Response};

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
    /// The configuration (see [`config`]).
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
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

/// The body of `POST /v1/verify`. Not `Debug`: it carries the password.
struct VerifyBody {
    user: String,
    password: String,
    protocol: Option<String>,
    remote_ip: Option<String>,
}

impl VerifyBody {
    async fn read(req: &mut worker::Request) -> Result<Self, ApiError> {
        use crate::domain::body::Shape::{OptText, Text};
        let mut body = http::read_fields(
            req,
            &[
                ("user", Text),
                ("password", Text),
                ("protocol", OptText),
                ("remote_ip", OptText),
            ],
        )
        .await?;
        Ok(Self {
            user: body.text("user")?,
            password: body.text("password")?,
            protocol: body.opt_text("protocol"),
            remote_ip: body.opt_text("remote_ip"),
        })
    }
}

struct Verified<'a> {
    valid: bool,
    app_password: VerifiedEntry<'a>,
}
crate::json_object!(Verified<'_> { valid, app_password });

struct VerifiedEntry<'a> {
    id: &'a str,
    name: &'a str,
}
crate::json_object!(VerifiedEntry<'_> { id, name });

struct Refused {
    valid: bool,
    reason: &'static str,
}
crate::json_object!(Refused { valid, reason });

/// One login attempt, parsed.
struct Attempt<'a> {
    user: UserId,
    protocol: Option<Protocol>,
    remote_ip: Option<String>,
    pair: String,
    address: String,
    actor: Actor,
    env: &'a Env,
    ctx: &'a Context,
}

/// The configuration, read once per isolate: secrets and vars do not change under a running
/// isolate, and reading them costs several calls into the runtime per login.
fn config(env: &Env) -> Result<Rc<Config>, ApiError> {
    if let Some(config) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(config);
    }
    let config = Rc::new(Config::from_env(env)?);
    CONFIG.with(|c| *c.borrow_mut() = Some(Rc::clone(&config)));
    Ok(config)
}

/// `POST /v1/verify` `{"user","password","protocol"?,"remote_ip"?}`.
pub async fn verify(mut call: Call<'_>) -> Result<Response, ApiError> {
    let body = VerifyBody::read(&mut call.req).await?;
    let user = UserId::new(&body.user)?;
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
        pair: pair_key(user.as_str(), &origin),
        address: address_key(&origin),
        user,
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
    let config = config(call.env)?;
    // The domain's login sequence: normalise (garbage stops here: no binding call, no storage
    // read, no Argon2), then the lookup key, once.
    let mut login = match Login::start(&attempt.user, &body.password, &config.secret) {
        Ok(login) => login,
        Err(reason) => return attempt.failed(reason, None).await,
    };
    let settings = lookup::settings(call.env, at).await?;
    let strict = settings.strict_revocation;
    // Repeated logins (see `login_cache`; never under strict revocation): a credential Argon2id
    // accepted under this very lookup key less than the TTL ago. A hit that may be stale on last
    // use goes the full way.
    let cache_ttl = if strict {
        None
    } else {
        login_cache::ttl(call.env)?
    };
    if let Some(remembered) = cache_ttl.and_then(|_| login_cache::lookup(login.lookup_key(), at)) {
        match login.check(&remembered, Found::Remembered, protocol, &settings, at) {
            Verdict::Accepted => {
                let publish = remembered.use_worth_publishing(&settings, at);
                let upkeep = login.upkeep(&remembered, Found::Remembered, config.params);
                return attempt.succeeded(&login, &remembered, upkeep, publish);
            }
            Verdict::Refused(reason) => return attempt.refused(reason, &remembered).await,
            Verdict::Confirm => {}
        }
    }
    let source = lookup::Source {
        env: call.env,
        actor: &attempt.actor,
        strict,
    };
    let previous = config.previous.as_ref();
    let Some(credential) = lookup::find(&source, &mut login, previous).await? else {
        return attempt.failed(Rejection::Unknown, None).await;
    };
    let found = if strict {
        Found::Record
    } else {
        Found::Published
    };
    // Whether the copy that was read lags on last use (the object's copy never does).
    let publish = credential.use_worth_publishing(&settings, at);
    let (credential, found, verdict) =
        match login.check(&credential, found, protocol, &settings, at) {
            Verdict::Confirm => {
                // Refused as unused, but KV's copy of last use may lag: the object has it exactly.
                let object = lookup::Source {
                    strict: true,
                    ..source
                };
                match lookup::read(&object, &attempt.user, login.read_key()).await? {
                    Some(current) => {
                        let verdict = login.check(&current, Found::Record, protocol, &settings, at);
                        (current, Found::Record, verdict)
                    }
                    None => (credential, found, Verdict::Refused(Rejection::Unknown)),
                }
            }
            verdict => (credential, found, verdict),
        };
    match verdict {
        Verdict::Accepted => {}
        Verdict::Refused(reason) => return attempt.refused(reason, &credential).await,
        // The record's copy is current, so it never asks to confirm.
        Verdict::Confirm => return attempt.refused(Rejection::Expired, &credential).await,
    }
    if let Some(ttl) = cache_ttl {
        login_cache::remember(login.lookup_key(), &credential, at, ttl);
    }
    let upkeep = login.upkeep(&credential, found, config.params);
    if upkeep == Upkeep::Rekey {
        // Re-key before answering, so that once a login succeeded the previous secret is no longer
        // needed for this app password. A failure is retried at the next login.
        let rekey = Command::Rekey {
            user: attempt.user.to_string(),
            id: credential.id.clone(),
            password: login.password().as_str().to_owned(),
        };
        if let Err(e) = ask::<()>(call.env, &attempt.actor, &rekey).await {
            worker::console_error!("re-key: {}", e.code);
        }
    }
    attempt.succeeded(&login, &credential, upkeep, publish)
}

impl Attempt<'_> {
    /// 200: records the use after the response (the user's object throttles the writes and records
    /// `login.succeeded`), and the re-hash when `upkeep` (from [`Login::upkeep`]) asks for one.
    fn succeeded(
        &self,
        login: &Login<'_>,
        credential: &Credential,
        upkeep: Upkeep,
        publish: bool,
    ) -> Result<Response, ApiError> {
        let at = now();
        let mut after = Vec::new();
        if USE_SENT.with(|g| g.borrow_mut().pass(&credential.id, at).is_some()) || publish {
            after.push(Command::RecordUse {
                user: self.user.to_string(),
                id: credential.id.clone(),
                at,
                protocol: self.protocol,
                remote_ip: self.remote_ip.clone(),
                publish,
            });
        }
        if upkeep == Upkeep::Rehash {
            after.push(Command::Rehash {
                user: self.user.to_string(),
                id: credential.id.clone(),
                password: login.password().as_str().to_owned(),
            });
        }
        after_response(self.env, self.ctx, &self.actor, after);
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

    /// [`Self::failed`] for a refused credential, named in the audit event.
    async fn refused(
        &self,
        reason: Rejection,
        credential: &Credential,
    ) -> Result<Response, ApiError> {
        let named = Named::new(&credential.id, &credential.name);
        self.failed(reason, Some(named)).await
    }

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
        // Input that is not shaped like an app password (or fails its checksum) can never be
        // right and cost nothing to refuse: it is not counted, so it never reaches a binding.
        if !matches!(reason, Rejection::Malformed | Rejection::BadChecksum) {
            let (pair, address) = join(
                within_limit(self.env, PAIR_LIMITER, &self.pair),
                within_limit(self.env, ADDRESS_LIMITER, &self.address),
            )
            .await;
            for (within, key, what) in [
                (pair, &self.pair, "pair"),
                (address, &self.address, "address"),
            ] {
                if !within {
                    BLOCKED.with(|b| b.borrow_mut().block(key, at, at + PERIOD_SECS));
                    over.get_or_insert(what);
                }
            }
        }
        if let Some(what) = over {
            let mut event = self.event(Kind::LoginThrottled, at);
            event.reason = Some(what.to_owned());
            event.count = u32::try_from(PERIOD_SECS).ok();
            audit::login(self.env, self.ctx, self.user.as_str(), event);
            return throttled_response(PERIOD_SECS);
        }
        if let Some(count) = FAILED.with(|g| g.borrow_mut().pass(&self.pair, at)) {
            let mut event = self.event(Kind::LoginFailed, at);
            event.reason = Some(reason.code().to_owned());
            event.count = Some(count);
            event.app_password = app_password;
            audit::login(self.env, self.ctx, self.user.as_str(), event);
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
    // `limit({key})` → `{success}`, called directly (worker's wrapper converts both with serde).
    let outcome = async {
        let options = super::binding::object("key", &key.into())?;
        let answer = super::binding::call(env, binding, "limit", &[options]).await?;
        js_sys::Reflect::get(&answer, &"success".into())?
            .as_bool()
            .ok_or_else(|| worker::Error::RustError("no success in the answer".into()))
    };
    match outcome.await {
        Ok(success) => success,
        Err(e) => {
            worker::console_error!("rate limiter {binding}: {e}");
            true
        }
    }
}

/// 429 `{"valid":false,"reason":"throttled"}` with `Retry-After`.
fn throttled_response(retry_after: i64) -> Result<Response, ApiError> {
    THROTTLED.fetch_add(1, Ordering::Relaxed);
    let mut response = http::json(
        429,
        &Refused {
            valid: false,
            reason: "throttled",
        },
    )?;
    response
        .headers_mut()
        .set("retry-after", &retry_after.max(1).to_string())?;
    Ok(response)
}

/// Sends commands to the user's object after the response: last use (the object throttles the
/// writes and records `login.succeeded`) and, when parameters changed, the re-hash.
fn after_response(env: &Env, ctx: &Context, actor: &Actor, commands: Vec<Command>) {
    if commands.is_empty() {
        return;
    }
    let env = env.clone();
    let actor = actor.clone();
    super::later(ctx, async move {
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
