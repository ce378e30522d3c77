//! One Durable Object per user: the authority for that user's app passwords.
//!
//! Every change runs here, one at a time: the record lives in memory and each rule is applied to it
//! synchronously (no `await` between the check and the change), so the limit is exact however many
//! requests arrive at once.
//!
//! **KV follows the record, never the other way round.** A change is saved together with the KV keys
//! it affects ([`Pending`], same storage write), and only then written to KV, by [`UserObject::flush`]:
//! one write at a time for the whole object, each computed from the record *as it is when the write
//! is issued*, and a key is cleared only if it was not marked again while its write was in flight.
//! So a publish computed before a concurrent deletion cannot re-add the deleted credential: the
//! deletion's mark outlives that publish, and the next write of the key (from the record without the
//! credential) deletes it. Nothing else in the Worker writes a user's credentials to KV.
//!
//! KV may refuse a write. The keys then stay pending, a Durable Object alarm retries them (1 s,
//! doubling, at most every [`MAX_RETRY_SECS`]), and the request answers 503 `storage_unavailable`:
//!
//! - a creation (or the first app password issued with MFA) whose copy did not reach KV is taken
//!   back: the password is never shown, so no shown password fails to verify, and no entry exists
//!   that nobody has seen (the alarm removes a copy that may have reached KV after all);
//! - a deletion (one, all, MFA off, after a password change) stays recorded: a revocation is never
//!   undone. Retrying it answers 503 until KV has accepted it, then success.
//!
//! The object also keeps the user's last audit events (beside the record, storage key `events`):
//! it prints and keeps the events of the changes it makes, keeps the login events the Worker sends,
//! and answers them for `GET …/events`.

use super::audit;
use super::commands::{
    Command, Created, Deleted, Events, Listed, Listing, Message, MfaState, Revoked,
};
use super::config::Config;
use super::http::{self, ApiError};
use super::{kv, now, stored};
use crate::domain::audit::{Actor, Event, EventLog, Kind, Named};
use crate::domain::publish::{self, Pending};
use crate::domain::random::SystemEntropy;
use crate::domain::rules::Issued;
use crate::domain::session::Sessions;
use crate::domain::{Error, Protocol, Settings, UserId, UserRecord};
use core::cell::{Cell, RefCell};
use futures_util::lock::Mutex;
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

/// Storage key of the record.
const KEY: &str = "record";
/// Storage key of the KV keys still to be written ([`Pending`]), saved with the record.
const PENDING: &str = "pending";
/// The longest wait between two retries of pending KV writes, in seconds.
pub const MAX_RETRY_SECS: u32 = 60;
/// Storage key of the page sessions (hashes of their ids and their times).
const SESSIONS_KEY: &str = "sessions";
/// Storage key of the recent audit events.
const EVENTS: &str = "events";

/// The per-user Durable Object (binding `USERS`, named `user:<id>`).
#[durable_object(alarm)]
pub struct UserObject {
    state: State,
    env: Env,
    /// The record, loaded on first use. Borrowed only between awaits (never across one), and the
    /// runtime is single-threaded, so borrows cannot overlap.
    record: RefCell<Option<UserRecord>>,
    /// The KV keys still to be written, loaded with the record (same borrowing rule).
    pending: RefCell<Pending>,
    /// Held by the one [`Self::flush`] writing to KV; the others wait their turn.
    writer: Mutex<()>,
    /// Retries of pending writes since KV last accepted them all (for the alarm's back-off).
    retries: Cell<u32>,
    /// A save failed after memory changed: on reload, these keys and every key of the stored
    /// record are rewritten (see [`publish::every_key`]); `None` when no save failed.
    resync: RefCell<Option<Vec<(String, String)>>>,
    /// The page sessions, loaded on first use (same borrowing rule as `record`).
    sessions: RefCell<Option<Sessions>>,
    /// The recent events, loaded on first use (same borrowing rule as `record`).
    events: RefCell<Option<EventLog>>,
}

/// KV keys to mark, as [`publish::changes`] lists them.
type Keys = Vec<(String, String)>;

impl DurableObject for UserObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            record: RefCell::new(None),
            pending: RefCell::new(Pending::default()),
            writer: Mutex::new(()),
            retries: Cell::new(0),
            resync: RefCell::new(None),
            sessions: RefCell::new(None),
            events: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let message = match crate::domain::fields::parse::<Message>(&req.bytes().await?) {
            Ok(m) => m,
            Err(e) => return ApiError::internal("user object: bad command", &e).response(),
        };
        match self.handle(message.command, &message.actor).await {
            Ok(response) => Ok(response),
            Err(e) => e.response(),
        }
    }

    /// Retries the pending KV writes; [`Self::flush`] sets the next alarm while some remain.
    async fn alarm(&self) -> Result<Response> {
        match self.load(None).await {
            Ok(true) => {
                if let Err(e) = self.flush().await {
                    worker::console_error!("user object: alarm: {}", e.code);
                }
            }
            Ok(false) => {}
            Err(e) => worker::console_error!("user object: alarm: {}", e.code),
        }
        Response::empty()
    }
}

impl UserObject {
    async fn handle(
        &self,
        command: Command,
        actor: &Actor,
    ) -> std::result::Result<Response, ApiError> {
        self.load(Some(command.user())).await?;
        let at = now();
        // What follows the command, in this order: its audit events are printed and kept, then
        // (`settle`) its KV writes are finished (503 if some are not). One await each here, not
        // one per command (issue 13).
        let mut events = Vec::new();
        let mut settle = false;
        let response = match command {
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
                events.push(event);
                response
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
                http::json(
                    200,
                    &Listing {
                        user,
                        app_passwords,
                        count,
                        limit: settings.limit,
                        app_passwords_allowed: settings.app_passwords_allowed,
                    },
                )?
            }
            Command::Delete { id, .. } => {
                if !self.read(|r| r.app_passwords.iter().any(|e| e.id == id))? {
                    return self.repeated_delete(&id).await;
                }
                let deleted = self.commit(|r| r.delete(&id)).await?;
                let mut event = Event::new(Kind::AppPasswordDeleted, at, actor.clone());
                event.app_password = Some(Named::new(&deleted.id, &deleted.name));
                self.audit(event).await;
                if let Err(e) = self.settle().await {
                    self.pending.borrow_mut().unconfirmed(&id);
                    self.save_pending().await?;
                    return Err(e);
                }
                Response::empty()?.with_status(204)
            }
            Command::DeleteAll { .. } => {
                let deleted = self.commit(|r| Ok(r.delete_all().len())).await?;
                let mut event = Event::new(Kind::AppPasswordDeletedAll, at, actor.clone());
                event.count = Some(u32::try_from(deleted).unwrap_or(u32::MAX));
                events.push(event);
                // Always, so that retrying after a failure finishes the job.
                settle = true;
                http::json(200, &Deleted { deleted })?
            }
            Command::PasswordChanged { policy, .. } => {
                let revoked = self
                    .commit(|r| Ok(r.on_password_change(policy).len()))
                    .await?;
                let mut event = Event::new(Kind::PasswordChanged, at, actor.clone());
                event.reason = Some(policy.json_name().to_owned());
                event.count = Some(u32::try_from(revoked).unwrap_or(u32::MAX));
                events.push(event);
                settle = true;
                http::json(200, &Revoked { revoked })?
            }
            Command::Find { lookup_key, .. } => {
                let credential = self.read(|r| r.find_credential(&lookup_key))?;
                http::json(200, &credential)?
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
                // The new copy is put before the old key is deleted (puts go first).
                if let Some(before) = self.commit(rekey).await? {
                    let mut event = Event::new(Kind::AppPasswordRekeyed, at, actor.clone());
                    event.app_password = Some(Named::new(&before.id, &before.name));
                    events.push(event);
                    settle = true;
                }
                Response::empty()?.with_status(204)
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
                    events.push(Event::new(kind, at, actor.clone()));
                }
                if let Some(created) = issued {
                    let mut event = Event::new(Kind::AppPasswordCreated, at, actor.clone());
                    event.app_password = Some(created);
                    events.push(event);
                }
                response
            }
            Command::RecordEvent { event, .. } => {
                // Failed logins for users with nothing here are printed by the Worker but not
                // kept: guessing at made-up user ids must not fill storage.
                if self.read(|r| r.mfa_enabled || !r.app_passwords.is_empty())? {
                    self.keep(event).await?;
                }
                Response::empty()?.with_status(204)
            }
            Command::Events { .. } => {
                self.load_events().await?;
                let events = self.with_events(|log| log.newest_first());
                http::json(200, &Events { events })?
            }
            Command::Rehash { id, password, .. } => {
                // Tenant settings play no part in re-hashing; only the parameters matter.
                let config = Config::from_env(&self.env)?;
                let ctx = config.context(Settings::default(), now());
                let password = crate::domain::normalize(&password)?;
                settle = self
                    .commit(|r| r.rehash(&id, &password, &ctx, &mut SystemEntropy))
                    .await?;
                Response::empty()?.with_status(204)
            }
            Command::StartSession { key, policy, .. } => {
                return self
                    .sessions(|s| {
                        s.start(key, now(), policy);
                        Ok(true)
                    })
                    .await;
            }
            Command::CheckSession { key, policy, .. } => {
                return self.sessions(|s| s.check(&key, now(), policy)).await;
            }
            Command::EndSession { key, .. } => return self.sessions(|s| Ok(s.end(&key))).await,
            Command::EndAllSessions { .. } => {
                return self.sessions(|s| Ok(s.end_all() > 0)).await;
            }
            Command::RecordUse {
                id,
                at,
                protocol,
                remote_ip,
                publish,
                ..
            } => {
                let ip = remote_ip.as_deref();
                let used = |r: &mut UserRecord| Ok(r.record_use_from(&id, at, protocol, ip));
                // The KV copy's last use may lag; `publish` asks for it to be rewritten.
                let refresh = |r: &UserRecord| {
                    if publish {
                        publish::last_use(r, &id)
                    } else {
                        Vec::new()
                    }
                };
                if self.commit_with(used, refresh).await? {
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
                    events.push(event);
                }
                settle = publish;
                Response::empty()?.with_status(204)
            }
        };
        for event in events {
            self.audit(event).await;
        }
        if settle {
            self.settle().await?;
        }
        Ok(response)
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
        let issued = self
            .commit(|r| r.create_expiring(name, scopes, expires_in_days, &ctx, &mut SystemEntropy))
            .await?;
        self.published_or_taken_back(&issued, false).await?;
        let named = Named::new(&issued.entry.id, &issued.entry.name);
        Ok((http::json(200, &Created::from(&issued))?, named))
    }

    /// Writes the pending keys; when the copy of a just-issued password did not reach KV, takes it
    /// back (and MFA too when `mfa_was_off`) and answers 503: a password is shown only once it
    /// verifies. Taking back marks its key again, so the alarm removes a copy that reached KV.
    async fn published_or_taken_back(
        &self,
        issued: &Issued,
        mfa_was_off: bool,
    ) -> std::result::Result<(), ApiError> {
        self.flush_quietly().await;
        if !self.pending.borrow().contains(&issued.entry.lookup_key) {
            return Ok(());
        }
        let id = issued.entry.id.clone();
        let undo = self
            .commit(|r| {
                if mfa_was_off {
                    r.mfa_enabled = false;
                }
                r.delete(&id).map(|_| ())
            })
            .await;
        if let Err(e) = undo {
            worker::console_error!("user object: take back: {}", e.code);
        }
        self.flush_quietly().await;
        Err(Error::StorageUnavailable.into())
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
        let issued = self
            .commit(|r| r.set_mfa(enabled, initial_name, &ctx, &mut SystemEntropy))
            .await?;
        match &issued {
            Some(issued) => self.published_or_taken_back(issued, !was_enabled).await?,
            // Switching on publishes, switching off revokes: 503 until KV has all of it (the
            // state stays; the alarm keeps writing, and a retry answers once KV has it).
            None => self.settle().await?,
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
        let log = self.with_events(|log| {
            log.push(event);
            log.clone()
        });
        stored::put(&self.state.storage(), EVENTS, &log).await
    }

    async fn load_events(&self) -> std::result::Result<(), ApiError> {
        if self.events.borrow().is_some() {
            return Ok(());
        }
        // Events are a record of the past, not a rule: unreadable ones start afresh.
        let log = stored::get(&self.state.storage(), EVENTS)
            .await
            .ok()
            .flatten()
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

    /// Loads the record (and its pending KV keys) from storage the first time this object runs.
    /// Without a stored record: a new one for `user`, or `false` when no user is given (an alarm).
    async fn load(&self, user: Option<&str>) -> std::result::Result<bool, ApiError> {
        if self.record.borrow().is_some() {
            return Ok(true);
        }
        let storage = self.state.storage();
        let record: Option<UserRecord> = stored::get(&storage, KEY).await?;
        let pending: Option<Pending> = stored::get(&storage, PENDING).await?;
        let record = match (record, user) {
            (Some(record), _) => record,
            (None, Some(user)) => UserRecord::new(UserId::new(user)?),
            (None, None) => return Ok(false),
        };
        let mut slot = self.record.borrow_mut();
        // Another request may have loaded (and changed) it while this one awaited storage.
        if slot.is_none() {
            let mut pending = pending.unwrap_or_default();
            if let Some(keys) = self.resync.borrow_mut().take() {
                pending.mark(&publish::every_key(&record));
                pending.mark(&keys);
            }
            *slot = Some(record);
            *self.pending.borrow_mut() = pending;
        }
        Ok(true)
    }

    /// Applies a session rule (which returns whether it changed anything), saves if so, and
    /// answers 204 — or the rule's error (401 for an unknown or ended session, saved too).
    async fn sessions(
        &self,
        f: impl FnOnce(&mut Sessions) -> crate::domain::Result<bool>,
    ) -> std::result::Result<Response, ApiError> {
        self.load_sessions().await?;
        let (outcome, snapshot) = {
            let mut slot = self.sessions.borrow_mut();
            let sessions = slot.get_or_insert_with(Sessions::default);
            let before = sessions.len();
            let outcome = f(sessions);
            // An ended session is removed by the rule even when it answers an error.
            let changed = matches!(outcome, Ok(true)) || sessions.len() != before;
            (outcome, changed.then(|| sessions.clone()))
        };
        self.sessions_answer(outcome, snapshot).await
    }

    /// Reads the sessions from storage the first time they are needed.
    async fn load_sessions(&self) -> std::result::Result<(), ApiError> {
        if self.sessions.borrow().is_none() {
            let stored: Option<Sessions> = stored::get(&self.state.storage(), SESSIONS_KEY).await?;
            let mut slot = self.sessions.borrow_mut();
            if slot.is_none() {
                *slot = Some(stored.unwrap_or_default());
            }
        }
        Ok(())
    }

    /// The end of [`Self::sessions`], not generic: saves the changed sessions, then answers.
    async fn sessions_answer(
        &self,
        outcome: crate::domain::Result<bool>,
        snapshot: Option<Sessions>,
    ) -> std::result::Result<Response, ApiError> {
        if let Some(sessions) = snapshot {
            stored::put(&self.state.storage(), SESSIONS_KEY, &sessions).await?;
        }
        outcome?;
        Ok(Response::empty()?.with_status(204))
    }

    /// Applies a core rule to the in-memory record (synchronously), marks the KV keys whose copy
    /// it changes, and saves record and marks in one storage write. KV is written later, by
    /// [`Self::flush`]; a failed save forgets the in-memory state so the stored one is read again.
    async fn commit<T>(
        &self,
        f: impl FnOnce(&mut UserRecord) -> crate::domain::Result<T>,
    ) -> std::result::Result<T, ApiError> {
        self.commit_with(f, |_| Vec::new()).await
    }

    /// [`Self::commit`], also marking the keys `extra` names (from the changed record).
    async fn commit_with<T>(
        &self,
        f: impl FnOnce(&mut UserRecord) -> crate::domain::Result<T>,
        extra: impl FnOnce(&UserRecord) -> Vec<(String, String)>,
    ) -> std::result::Result<T, ApiError> {
        // The rule runs through `dyn`: one copy of the rest (clone, compare, mark, persist) in the
        // wasm for every rule, not one inlined into the caller per rule (issue 13).
        let (mut f, mut extra) = (Some(f), Some(extra));
        let mut out = None;
        let mut rule = |record: &mut UserRecord| -> crate::domain::Result<Keys> {
            if let Some(f) = f.take() {
                out = Some(f(record)?);
            }
            Ok(extra.take().map(|extra| extra(record)).unwrap_or_default())
        };
        self.commit_dyn(&mut rule).await?;
        out.ok_or_else(not_loaded)
    }

    /// [`Self::commit_with`] of a rule that returns the extra keys to mark.
    async fn commit_dyn(
        &self,
        rule: &mut dyn FnMut(&mut UserRecord) -> crate::domain::Result<Keys>,
    ) -> std::result::Result<(), ApiError> {
        let (changed, marked) = {
            let mut slot = self.record.borrow_mut();
            let record = slot.as_mut().ok_or_else(not_loaded)?;
            let before = record.clone();
            let extra = rule(record)?;
            let mut keys = publish::changes(&before, record);
            keys.extend(extra);
            let marked = !self.pending.borrow_mut().mark(&keys).is_empty();
            (*record != before, marked)
        };
        if changed || marked {
            self.persist(marked).await?;
        }
        Ok(())
    }

    /// The part of [`Self::commit_with`] after the rule: saves record and marks, then sets the
    /// retry alarm when keys were `marked`. Not generic, so one copy serves every rule.
    async fn persist(&self, marked: bool) -> std::result::Result<(), ApiError> {
        if let Err(e) = self.save().await {
            // KV may already hold what memory had (a concurrent flush): on reload, every key of
            // the stored and the discarded record, and what was pending, is rewritten.
            let discarded = self.record.borrow_mut().take();
            let mut keys = self.pending.borrow().marks();
            keys.extend(
                discarded
                    .as_ref()
                    .map(publish::every_key)
                    .unwrap_or_default(),
            );
            self.resync
                .borrow_mut()
                .get_or_insert_with(Vec::new)
                .extend(keys);
            return Err(e);
        }
        if marked {
            // Before any KV write: if this object stops now, the alarm still writes the keys.
            self.schedule_retry().await;
        }
        Ok(())
    }

    async fn save(&self) -> std::result::Result<(), ApiError> {
        let slot = self.record.borrow().clone();
        let record = slot.ok_or_else(not_loaded)?;
        let pending = self.pending.borrow().clone();
        stored::put_two(&self.state.storage(), (KEY, &record), (PENDING, &pending)).await
    }

    /// A deletion of `id`, which is no longer in the record: if an earlier deletion of it answered
    /// 503, finish it (204 once KV has it, else 503 again); otherwise 404.
    async fn repeated_delete(&self, id: &str) -> std::result::Result<Response, ApiError> {
        if !self.pending.borrow().has_id(id) && !self.pending.borrow().contains_unconfirmed(id) {
            return Err(Error::NotFound.into());
        }
        self.settle().await?;
        if self.pending.borrow_mut().confirm(id) {
            self.save_pending().await?;
        }
        Ok(Response::empty()?.with_status(204))
    }

    async fn save_pending(&self) -> std::result::Result<(), ApiError> {
        let pending = self.pending.borrow().clone();
        stored::put(&self.state.storage(), PENDING, &pending).await
    }

    /// [`Self::flush`], then 503 `storage_unavailable` if any key is still pending.
    async fn settle(&self) -> std::result::Result<(), ApiError> {
        self.flush().await?;
        if self.pending.borrow().is_empty() {
            Ok(())
        } else {
            Err(Error::StorageUnavailable.into())
        }
    }

    /// [`Self::flush`], logging rather than returning a failure to save the marks (the writes
    /// are redone from the record, so a stale mark costs one more write).
    async fn flush_quietly(&self) {
        if let Err(e) = self.flush().await {
            worker::console_error!("user object: flush: {}", e.code);
        }
    }

    /// Writes pending keys to KV until none is left or each remaining one has failed once.
    ///
    /// One flush runs at a time (`writer`), and each write is computed from the record as it is
    /// when the write is issued ([`Pending::next_write`]), never from a snapshot taken earlier: a
    /// change made while a write is in flight marks its key again, [`Pending::done`] then keeps the
    /// mark, and the key is written once more from the newer record. That is why a publish and a
    /// concurrent deletion cannot leave a deleted credential in KV, whatever order KV applies them.
    async fn flush(&self) -> std::result::Result<(), ApiError> {
        let _turn = self.writer.lock().await;
        let mut failed = Vec::new();
        let mut cleared = false;
        loop {
            let write = {
                let slot = self.record.borrow();
                let record = slot.as_ref().ok_or_else(not_loaded)?;
                self.pending.borrow().next_write(record, &failed)
            };
            let Some(write) = write else { break };
            match kv::write(&self.env, &write).await {
                Ok(()) => cleared |= self.pending.borrow_mut().done(&write),
                Err(e) => {
                    worker::console_error!("user object: kv write: {}", e);
                    failed.push(write.lookup_key);
                }
            }
        }
        if cleared {
            self.save_pending().await?;
        }
        if self.pending.borrow().is_empty() {
            self.retries.set(0);
            if cleared {
                self.state.storage().delete_alarm().await?;
            }
        } else {
            self.retries.set(self.retries.get().saturating_add(1));
            self.schedule_retry().await;
        }
        Ok(())
    }

    /// Sets the alarm that retries pending writes: 1 s after the first failure, doubling, at most
    /// [`MAX_RETRY_SECS`].
    async fn schedule_retry(&self) {
        let exponent = self.retries.get().min(6);
        let secs = (1u32 << exponent).min(MAX_RETRY_SECS);
        let offset_ms = i64::from(secs) * 1000;
        if let Err(e) = self.state.storage().set_alarm(offset_ms).await {
            worker::console_error!("user object: set alarm: {}", e);
        }
    }

    /// Reads the in-memory record (loaded by [`Self::load`]; never a stand-in when it is not).
    fn read<T>(&self, f: impl FnOnce(&UserRecord) -> T) -> std::result::Result<T, ApiError> {
        let slot = self.record.borrow();
        slot.as_ref().map(f).ok_or_else(not_loaded)
    }
}

/// A rule reached before [`UserObject::load`] succeeded: fail closed rather than act on an empty
/// record (which would, for example, let a creation overwrite the stored app passwords).
fn not_loaded() -> ApiError {
    ApiError::internal("user object", &"record not loaded")
}
