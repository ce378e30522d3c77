//! One Durable Object per user: the authority for that user's app passwords.
//!
//! Every change runs here, one at a time: the record lives in memory and each rule is applied to it
//! synchronously (no `await` between the check and the change), so the limit is exact however many
//! requests arrive at once. The record is then saved to the object's storage and written through to
//! KV, where verification finds it.
//!
//! The object also keeps the user's last audit events (beside the record, storage key `events`):
//! it prints and keeps the events of the changes it makes, keeps the login events the Worker sends,
//! and answers them for `GET …/events`.

use super::audit;
use super::commands::{Command, Message};
use super::config::Config;
use super::http::{self, ApiError};
use super::{kv, now};
use crate::domain::audit::{Actor, Event, EventLog, Kind, Named};
use crate::domain::random::SystemEntropy;
use crate::domain::rules::{Issued, Summary};
use crate::domain::session::Sessions;
use crate::domain::{Entry, OnPasswordChange, Protocol, Settings, UserId, UserRecord};
use core::cell::RefCell;
use serde::Serialize;
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

/// Storage key of the record.
const KEY: &str = "record";
/// Storage key of the page sessions (hashes of their ids and their times).
const SESSIONS_KEY: &str = "sessions";
/// Storage key of the recent audit events.
const EVENTS: &str = "events";

/// A newly issued app password as the API returns it: the only time the plaintext leaves.
#[derive(Serialize)]
pub struct Created<'a> {
    id: &'a str,
    name: &'a str,
    password: &'a str,
    display: String,
    created_at: i64,
    scopes: &'a [Protocol],
    expires_at: Option<i64>,
}

impl<'a> From<&'a Issued> for Created<'a> {
    fn from(issued: &'a Issued) -> Self {
        Self {
            id: &issued.entry.id,
            name: &issued.entry.name,
            password: issued.password.as_str(),
            display: issued.password.display(),
            created_at: issued.entry.created_at,
            scopes: &issued.entry.scopes,
            expires_at: issued.entry.expires_at,
        }
    }
}

/// A listed entry: the summary, and whether it has stopped verifying by the tenant's rules.
#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    summary: Summary,
    expired: bool,
}

#[derive(Serialize)]
struct Listing<'a> {
    /// The user id, the user name to type with an app password (the page shows it).
    user: &'a str,
    app_passwords: Vec<Listed>,
    count: usize,
    limit: u32,
    app_passwords_allowed: bool,
}

#[derive(Serialize)]
struct MfaState<'a> {
    mfa_enabled: bool,
    initial_app_password: Option<Created<'a>>,
}

#[derive(Serialize)]
struct Deleted {
    deleted: usize,
}

#[derive(Serialize)]
struct Revoked {
    revoked: usize,
}

#[derive(Serialize)]
struct Events {
    events: Vec<Event>,
}

/// The per-user Durable Object (binding `USERS`, named `user:<id>`).
#[durable_object(fetch)]
pub struct UserObject {
    state: State,
    env: Env,
    /// The record, loaded on first use. Borrowed only between awaits (never across one), and the
    /// runtime is single-threaded, so borrows cannot overlap.
    record: RefCell<Option<UserRecord>>,
    /// The page sessions, loaded on first use (same borrowing rule as `record`).
    sessions: RefCell<Option<Sessions>>,
    /// The recent events, loaded on first use (same borrowing rule as `record`).
    events: RefCell<Option<EventLog>>,
}

impl DurableObject for UserObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            record: RefCell::new(None),
            sessions: RefCell::new(None),
            events: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let message = match serde_json::from_slice::<Message>(&req.bytes().await?) {
            Ok(m) => m,
            Err(e) => return ApiError::internal("user object: bad command", &e).response(),
        };
        match self.handle(message.command, &message.actor).await {
            Ok(response) => Ok(response),
            Err(e) => e.response(),
        }
    }
}

impl UserObject {
    async fn handle(
        &self,
        command: Command,
        actor: &Actor,
    ) -> std::result::Result<Response, ApiError> {
        self.load(command.user()).await?;
        let at = now();
        match command {
            Command::Create {
                name,
                scopes,
                expires_in_days,
                settings,
                ..
            } => {
                let (response, created) = self
                    .create(&name, scopes, expires_in_days, settings)
                    .await?;
                let mut event = Event::new(Kind::AppPasswordCreated, at, actor.clone());
                event.app_password = Some(created);
                self.audit(event).await;
                Ok(response)
            }
            Command::List { settings, user, .. } => {
                let at = now();
                let app_passwords = self.read(|r| {
                    r.app_passwords
                        .iter()
                        .map(|e| Listed {
                            summary: e.summary(),
                            expired: settings.is_expired(
                                e.created_at,
                                e.last_used_at,
                                e.expires_at,
                                at,
                            ),
                        })
                        .collect::<Vec<_>>()
                })?;
                let count = app_passwords.len();
                Ok(http::json(
                    200,
                    &Listing {
                        user: &user,
                        app_passwords,
                        count,
                        limit: settings.limit,
                        app_passwords_allowed: settings.app_passwords_allowed,
                    },
                )?)
            }
            Command::Delete { id, .. } => {
                let deleted = self.delete(&id).await?;
                let mut event = Event::new(Kind::AppPasswordDeleted, at, actor.clone());
                event.app_password = Some(Named::new(&deleted.id, &deleted.name));
                self.audit(event).await;
                Ok(Response::empty()?.with_status(204))
            }
            Command::DeleteAll { .. } => {
                let entries = self.read(|r| r.app_passwords.clone())?;
                let deleted = self.remove(&entries).await?;
                let mut event = Event::new(Kind::AppPasswordDeletedAll, at, actor.clone());
                event.count = Some(u32::try_from(deleted).unwrap_or(u32::MAX));
                self.audit(event).await;
                Ok(http::json(200, &Deleted { deleted })?)
            }
            Command::PasswordChanged { policy, .. } => {
                // The core decides which go; a copy is asked so KV is updated before the record.
                let entries = self.read(|r| r.clone().on_password_change(policy))?;
                let revoked = self.remove(&entries).await?;
                let mut event = Event::new(Kind::PasswordChanged, at, actor.clone());
                event.reason = Some(
                    match policy {
                        OnPasswordChange::Keep => "keep",
                        OnPasswordChange::RevokeAll => "revoke_all",
                    }
                    .to_owned(),
                );
                event.count = Some(u32::try_from(revoked).unwrap_or(u32::MAX));
                self.audit(event).await;
                Ok(http::json(200, &Revoked { revoked })?)
            }
            Command::Find { lookup_key, .. } => {
                let credential = self.read(|r| r.find_credential(&lookup_key))?;
                Ok(http::json(200, &credential)?)
            }
            Command::Rekey { id, password, .. } => {
                let config = Config::from_env(&self.env)?;
                let ctx = config.context(Settings::default(), at);
                let password = crate::domain::normalize(&password)?;
                let Some(previous) = config.previous.as_ref() else {
                    return Ok(Response::empty()?.with_status(204));
                };
                let rekey = |r: &mut UserRecord| {
                    r.rekey(&id, &password, previous, &ctx, &mut SystemEntropy)
                };
                if let Some(before) = self.change(rekey)? {
                    self.save().await?;
                    let entry =
                        self.read(|r| r.app_passwords.iter().find(|e| e.id == id).cloned())?;
                    if let Some(entry) = entry {
                        self.publish(&entry).await?;
                    }
                    kv::delete(&self.env, &before)
                        .await
                        .map_err(|e| ApiError::internal("kv delete", &e))?;
                    let mut event = Event::new(Kind::AppPasswordRekeyed, at, actor.clone());
                    event.app_password = Some(Named::new(&before.id, &before.name));
                    self.audit(event).await;
                }
                Ok(Response::empty()?.with_status(204))
            }
            Command::SetMfa {
                enabled,
                initial_name,
                settings,
                ..
            } => {
                let was_enabled = self.read(|r| r.mfa_enabled)?;
                let (response, issued) = self
                    .set_mfa(enabled, initial_name.as_deref(), settings)
                    .await?;
                if was_enabled != enabled {
                    let kind = if enabled {
                        Kind::MfaEnabled
                    } else {
                        Kind::MfaDisabled
                    };
                    self.audit(Event::new(kind, at, actor.clone())).await;
                }
                if let Some(created) = issued {
                    let mut event = Event::new(Kind::AppPasswordCreated, at, actor.clone());
                    event.app_password = Some(created);
                    self.audit(event).await;
                }
                Ok(response)
            }
            Command::RecordEvent { event, .. } => {
                // Failed logins for users with nothing here are printed by the Worker but not
                // kept: guessing at made-up user ids must not fill storage.
                if self.read(|r| r.mfa_enabled || !r.app_passwords.is_empty())? {
                    self.keep(event).await?;
                }
                Ok(Response::empty()?.with_status(204))
            }
            Command::Events { .. } => {
                self.load_events().await?;
                let events = self.with_events(|log| log.newest_first());
                Ok(http::json(200, &Events { events })?)
            }
            Command::Rehash { id, password, .. } => {
                // Tenant settings play no part in re-hashing; only the parameters matter.
                let config = Config::from_env(&self.env)?;
                let ctx = config.context(Settings::default(), now());
                let password = crate::domain::normalize(&password)?;
                if self.change(|r| r.rehash(&id, &password, &ctx, &mut SystemEntropy))? {
                    self.save().await?;
                    let entry =
                        self.read(|r| r.app_passwords.iter().find(|e| e.id == id).cloned())?;
                    if let Some(entry) = entry {
                        self.publish(&entry).await?;
                    }
                }
                Ok(Response::empty()?.with_status(204))
            }
            Command::StartSession { key, policy, .. } => {
                self.sessions(|s| {
                    s.start(key, now(), policy);
                    Ok(true)
                })
                .await
            }
            Command::CheckSession { key, policy, .. } => {
                self.sessions(|s| s.check(&key, now(), policy)).await
            }
            Command::EndSession { key, .. } => self.sessions(|s| Ok(s.end(&key))).await,
            Command::EndAllSessions { .. } => self.sessions(|s| Ok(s.end_all() > 0)).await,
            Command::RecordUse {
                id,
                at,
                protocol,
                remote_ip,
                publish,
                ..
            } => {
                let ip = remote_ip.as_deref();
                if self.change(|r| Ok(r.record_use_from(&id, at, protocol, ip)))? {
                    self.save().await?;
                    // `login.succeeded` follows last use: at most once a minute per app password.
                    let name = self.read(|r| {
                        r.app_passwords
                            .iter()
                            .find(|e| e.id == id)
                            .map(|e| e.name.clone())
                    })?;
                    let mut event = Event::new(Kind::LoginSucceeded, at, actor.clone());
                    event.app_password = Some(Named::new(&id, &name.unwrap_or_default()));
                    event.protocol = protocol;
                    event.remote_ip = remote_ip;
                    self.audit(event).await;
                }
                let entry = self.read(|r| r.app_passwords.iter().find(|e| e.id == id).cloned())?;
                if let Some(entry) = entry.filter(|_| publish) {
                    self.publish(&entry).await?;
                }
                Ok(Response::empty()?.with_status(204))
            }
        }
    }

    async fn create(
        &self,
        name: &str,
        scopes: Vec<Protocol>,
        expires_in_days: Option<u32>,
        settings: Settings,
    ) -> std::result::Result<(Response, Named), ApiError> {
        let config = Config::from_env(&self.env)?;
        let ctx = config.context(settings, now());
        let issued = self.change(|r| {
            r.create_expiring(name, scopes, expires_in_days, &ctx, &mut SystemEntropy)
        })?;
        self.persist_new(&issued.entry).await?;
        let named = Named::new(&issued.entry.id, &issued.entry.name);
        Ok((http::json(201, &Created::from(&issued))?, named))
    }

    async fn delete(&self, id: &str) -> std::result::Result<Entry, ApiError> {
        // Revoke first: if KV cannot be reached the entry stays listed and can be deleted again.
        let entry = self.read(|r| r.app_passwords.iter().find(|e| e.id == id).cloned())?;
        let entry = entry.ok_or(crate::domain::Error::NotFound)?;
        kv::delete(&self.env, &entry)
            .await
            .map_err(|e| ApiError::internal("kv delete", &e))?;
        self.change(|r| r.delete(id))?;
        self.save().await?;
        Ok(entry)
    }

    /// Deletes `entries` (revoked in KV first) and returns how many were deleted.
    async fn remove(&self, entries: &[Entry]) -> std::result::Result<usize, ApiError> {
        self.revoke(entries).await?;
        // Entries created while KV was being updated are not part of this request; keep them.
        let deleted =
            self.change(|r| Ok(entries.iter().filter(|e| r.delete(&e.id).is_ok()).count()))?;
        self.save().await?;
        Ok(deleted)
    }

    async fn set_mfa(
        &self,
        enabled: bool,
        initial_name: Option<&str>,
        settings: Settings,
    ) -> std::result::Result<(Response, Option<Named>), ApiError> {
        let config = Config::from_env(&self.env)?;
        let ctx = config.context(settings, now());
        let was_enabled = self.read(|r| r.mfa_enabled)?;
        let issued = self.change(|r| r.set_mfa(enabled, initial_name, &ctx, &mut SystemEntropy))?;
        self.save().await?;
        let entries = self.read(|r| r.app_passwords.clone())?;
        let published = if !enabled {
            // Always, so that retrying after a failure finishes the job.
            self.revoke(&entries).await
        } else if !was_enabled {
            self.publish_all(&entries).await
        } else {
            match &issued {
                Some(issued) => self.publish(&issued.entry).await,
                None => Ok(()),
            }
        };
        if let Err(e) = published {
            if enabled && !was_enabled {
                // Back to "off" so a retry publishes everything again.
                let _ = self.change(|r| {
                    r.mfa_enabled = false;
                    Ok(())
                });
                let _ = self.save().await;
            }
            return Err(e);
        }
        let body = MfaState {
            mfa_enabled: enabled,
            initial_app_password: issued.as_ref().map(Created::from),
        };
        let response = http::json(200, &body)?;
        let named = issued
            .as_ref()
            .map(|i| Named::new(&i.entry.id, &i.entry.name));
        Ok((response, named))
    }

    /// Prints a change's event and keeps it. The change is already saved, so a failure to keep
    /// the event is logged, not returned.
    async fn audit(&self, event: Event) {
        let user = self.read(|r| r.user.as_str().to_owned()).ok();
        audit::print(&event, user.as_deref());
        if let Err(e) = self.keep(event).await {
            worker::console_error!("user object: keep event: {}", e.code);
        }
    }

    /// Adds an event to the recent ones and saves them.
    async fn keep(&self, event: Event) -> std::result::Result<(), ApiError> {
        self.load_events().await?;
        let text = self.with_events(|log| {
            log.push(event);
            serde_json::to_string(log)
        });
        let text = text.map_err(|e| ApiError::internal("user object: encode events", &e))?;
        self.state.storage().put(EVENTS, text).await?;
        Ok(())
    }

    async fn load_events(&self) -> std::result::Result<(), ApiError> {
        if self.events.borrow().is_some() {
            return Ok(());
        }
        let stored: Option<String> = self.state.storage().get(EVENTS).await?;
        // Events are a record of the past, not a rule: unreadable ones start afresh.
        let log = stored
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let mut slot = self.events.borrow_mut();
        if slot.is_none() {
            *slot = Some(log);
        }
        Ok(())
    }

    fn with_events<T>(&self, f: impl FnOnce(&mut EventLog) -> T) -> T {
        let mut slot = self.events.borrow_mut();
        f(slot.get_or_insert_with(EventLog::default))
    }

    async fn publish_all(&self, entries: &[Entry]) -> std::result::Result<(), ApiError> {
        for entry in entries {
            self.publish(entry).await?;
        }
        Ok(())
    }

    /// Saves the record, then makes a new entry verifiable; undoes the creation if either fails.
    async fn persist_new(&self, entry: &Entry) -> std::result::Result<(), ApiError> {
        let stored = match self.save().await {
            Ok(()) => self.publish(entry).await,
            Err(e) => Err(e),
        };
        if stored.is_err() {
            let _ = self.change(|r| r.delete(&entry.id));
            let _ = self.save().await;
        }
        stored
    }

    /// Makes `entry` verifiable (writes its KV copy), unless MFA is off: a use or a re-key racing
    /// a switch-off must not bring back a key the switch-off removed.
    async fn publish(&self, entry: &Entry) -> std::result::Result<(), ApiError> {
        let record = self.read(Clone::clone)?;
        if !record.mfa_enabled {
            return Ok(());
        }
        kv::put(&self.env, &record, entry)
            .await
            .map_err(|e| ApiError::internal("kv put", &e))
    }

    async fn revoke(&self, entries: &[Entry]) -> std::result::Result<(), ApiError> {
        for entry in entries {
            kv::delete(&self.env, entry)
                .await
                .map_err(|e| ApiError::internal("kv delete", &e))?;
        }
        Ok(())
    }

    /// Loads the record from storage the first time this object runs.
    async fn load(&self, user: &str) -> std::result::Result<(), ApiError> {
        if self.record.borrow().is_some() {
            return Ok(());
        }
        let stored: Option<String> = self.state.storage().get(KEY).await?;
        let record = match stored {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| ApiError::internal("user object: stored record", &e))?,
            None => UserRecord::new(UserId::new(user)?),
        };
        let mut slot = self.record.borrow_mut();
        // Another request may have loaded (and changed) it while this one awaited storage.
        if slot.is_none() {
            *slot = Some(record);
        }
        Ok(())
    }

    /// Applies a session rule (which returns whether it changed anything), saves if so, and
    /// answers 204 — or the rule's error (401 for an unknown or ended session, saved too).
    async fn sessions(
        &self,
        f: impl FnOnce(&mut Sessions) -> crate::domain::Result<bool>,
    ) -> std::result::Result<Response, ApiError> {
        if self.sessions.borrow().is_none() {
            let stored: Option<Sessions> = self.state.storage().get(SESSIONS_KEY).await?;
            let mut slot = self.sessions.borrow_mut();
            if slot.is_none() {
                *slot = Some(stored.unwrap_or_default());
            }
        }
        let (outcome, snapshot) = {
            let mut slot = self.sessions.borrow_mut();
            let sessions = slot.get_or_insert_with(Sessions::default);
            let before = sessions.len();
            let outcome = f(sessions);
            // An ended session is removed by the rule even when it answers an error.
            let changed = matches!(outcome, Ok(true)) || sessions.len() != before;
            (outcome, changed.then(|| sessions.clone()))
        };
        if let Some(sessions) = snapshot {
            self.state.storage().put(SESSIONS_KEY, sessions).await?;
        }
        outcome?;
        Ok(Response::empty()?.with_status(204))
    }

    async fn save(&self) -> std::result::Result<(), ApiError> {
        let text = self.read(serde_json::to_string)?;
        let text = text.map_err(|e| ApiError::internal("user object: encode", &e))?;
        self.state.storage().put(KEY, text).await?;
        Ok(())
    }

    /// Reads the in-memory record (loaded by [`Self::load`]; never a stand-in when it is not).
    fn read<T>(&self, f: impl FnOnce(&UserRecord) -> T) -> std::result::Result<T, ApiError> {
        let slot = self.record.borrow();
        slot.as_ref().map(f).ok_or_else(not_loaded)
    }

    /// Applies a core rule to the in-memory record, synchronously.
    fn change<T>(
        &self,
        f: impl FnOnce(&mut UserRecord) -> crate::domain::Result<T>,
    ) -> std::result::Result<T, ApiError> {
        let mut slot = self.record.borrow_mut();
        let record = slot.as_mut().ok_or_else(not_loaded)?;
        Ok(f(record)?)
    }
}

/// A rule reached before [`UserObject::load`] succeeded: fail closed rather than act on an empty
/// record (which would, for example, let a creation overwrite the stored app passwords).
fn not_loaded() -> ApiError {
    ApiError::internal("user object", &"record not loaded")
}
