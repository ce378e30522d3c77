//! The audit trail: what happened, to whom, by whom, from where — never with a secret.
//!
//! Every event is printed as one JSON line ([`Event::line`]):
//! `{"audit":"login.failed","at":1700000000,"user":"alice","actor":"key:ak_…","remote_ip":"192.0.2.1","reason":"unknown_password","count":3}`
//! and user events are kept in the user's store, the last [`KEEP_EVENTS`] ([`EventLog`]).
//!
//! Types hold only ids, names, protocols, addresses, reasons and counts: an [`Event`] has no field
//! that could carry a password, a hash, a lookup key, an API key or a secret.
//!
//! Repetitive events are rate-limited by the rules [`LOGIN_SUCCEEDED_INTERVAL_SECS`] and
//! [`LOGIN_FAILED_INTERVAL_SECS`] (see [`super::throttle::Gate`]).

use super::api_key::Scope;
use super::fields::{self, Fields, FromJson};
use super::rules::{LAST_USE_INTERVAL_SECS, Protocol};
use super::to_json::{self, ToJson};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Events a user's store keeps (newest kept, oldest dropped).
pub const KEEP_EVENTS: usize = 100;
/// `login.succeeded` is logged at most once per this many seconds per app password (as last use).
pub const LOGIN_SUCCEEDED_INTERVAL_SECS: i64 = LAST_USE_INTERVAL_SECS;
/// `login.failed` is logged at most once per this many seconds per (user, address), with a count.
pub const LOGIN_FAILED_INTERVAL_SECS: i64 = 60;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// An app password was created.
    #[serde(rename = "app_password.created")]
    AppPasswordCreated,
    /// An app password was deleted.
    #[serde(rename = "app_password.deleted")]
    AppPasswordDeleted,
    /// All of a user's app passwords were deleted (`count` says how many).
    #[serde(rename = "app_password.deleted_all")]
    AppPasswordDeletedAll,
    /// MFA was turned on.
    #[serde(rename = "mfa.enabled")]
    MfaEnabled,
    /// MFA was turned off.
    #[serde(rename = "mfa.disabled")]
    MfaDisabled,
    /// A login with an app password succeeded.
    #[serde(rename = "login.succeeded")]
    LoginSucceeded,
    /// Logins failed (`reason`, `count`).
    #[serde(rename = "login.failed")]
    LoginFailed,
    /// Too many failures: logins from this address are refused for a while.
    #[serde(rename = "login.throttled")]
    LoginThrottled,
    /// Tenant settings changed.
    #[serde(rename = "settings.changed")]
    SettingsChanged,
    /// An API key was created.
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    /// An API key was revoked.
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    /// The user's main password changed (`reason`: the tenant's policy, `keep` or `revoke_all`;
    /// `count`: app passwords deleted).
    #[serde(rename = "user.password_changed")]
    PasswordChanged,
    /// An app password that verified under the previous server secret was re-keyed under the
    /// current one.
    #[serde(rename = "app_password.rekeyed")]
    AppPasswordRekeyed,
}

impl Kind {
    /// Every kind, in order.
    pub const ALL: [Self; 13] = [
        Self::AppPasswordCreated,
        Self::AppPasswordDeleted,
        Self::AppPasswordDeletedAll,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::SettingsChanged,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::PasswordChanged,
        Self::AppPasswordRekeyed,
    ];
}

/// Who did it: the root token, an API key, or the signed-in user on the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The root `API_TOKEN`.
    Root,
    /// An API key, by id.
    Key(String),
    /// The page's signed-in user.
    Session,
}

impl Actor {
    /// `root`, `key:<id>` or `session`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Root => "root".to_owned(),
            Self::Key(id) => format!("key:{id}"),
            Self::Session => "session".to_owned(),
        }
    }
}

impl Actor {
    /// The actor a [`Self::label`] names (any other text is an API key's id, as written before
    /// the `key:` prefix).
    #[must_use]
    pub fn from_label(text: &str) -> Self {
        match text {
            "root" => Self::Root,
            "session" => Self::Session,
            other => Self::Key(other.strip_prefix("key:").unwrap_or(other).to_owned()),
        }
    }
}

impl Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|text| Self::from_label(&text))
    }
}

/// An app password or API key named in an event: id and name only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// An API key's scopes (absent for app passwords).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
}

impl Named {
    /// An app password (or key) by id and name.
    #[must_use]
    pub fn new(id: &str, name: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            scopes: None,
        }
    }
}

/// One audit event. The user it concerns is not a field: it names the store that keeps the event
/// and is added to the printed line by [`Event::line`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub event: Kind,
    /// When, seconds since the Unix epoch.
    pub at: i64,
    /// Who did it.
    pub actor: Actor,
    /// The app password concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_password: Option<Named>,
    /// The API key concerned (`api_key.*` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Named>,
    /// The login's protocol, when the caller said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The client's address as the mail server saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    /// Why a login failed (a verify reason code), or what was throttled (`pair`, `address`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How many: failures aggregated into one `login.failed`, app passwords deleted by
    /// `deleted_all`, seconds a `login.throttled` block lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// New settings (`settings.changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<super::rules::Settings>,
}

impl Event {
    /// An event of `kind` at `at` by `actor`, with no details yet.
    #[must_use]
    pub const fn new(kind: Kind, at: i64, actor: Actor) -> Self {
        Self {
            event: kind,
            at,
            actor,
            app_password: None,
            api_key: None,
            protocol: None,
            remote_ip: None,
            reason: None,
            count: None,
            settings: None,
        }
    }

    /// The JSON line printed for this event about `user` (or about the tenant, when `None`):
    /// `{"audit":"<event>","at":…,"user":…,"actor":…,…}`.
    #[must_use]
    pub fn line(&self, user: Option<&str>) -> String {
        to_json::to_json(&self.audit_line(user))
    }

    fn audit_line<'a>(&'a self, user: Option<&'a str>) -> Line<'a> {
        Line {
            audit: self.event,
            at: self.at,
            user,
            actor: &self.actor,
            remote_ip: self.remote_ip.as_deref(),
            app_password: self.app_password.as_ref(),
            api_key: self.api_key.as_ref(),
            protocol: self.protocol,
            reason: self.reason.as_deref(),
            count: self.count,
            settings: self.settings,
        }
    }
}

/// What [`Event::line`] prints (`Serialize`: the tests compare the two writers).
#[derive(Serialize)]
struct Line<'a> {
    audit: Kind,
    at: i64,
    user: Option<&'a str>,
    actor: &'a Actor,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_password: Option<&'a Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol: Option<Protocol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: Option<super::rules::Settings>,
}

crate::json_object!(Line<'_> {
    audit,
    at,
    user,
    actor,
    ?remote_ip,
    ?app_password,
    ?api_key,
    ?protocol,
    ?reason,
    ?count,
    ?settings
});

/// A user's recent events, oldest first, at most [`KEEP_EVENTS`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventLog(Vec<Event>);

impl EventLog {
    /// Adds an event, dropping the oldest past [`KEEP_EVENTS`].
    pub fn push(&mut self, event: Event) {
        self.0.push(event);
        if self.0.len() > KEEP_EVENTS {
            let excess = self.0.len() - KEEP_EVENTS;
            self.0.drain(..excess);
        }
    }

    /// The events, newest first.
    #[must_use]
    pub fn newest_first(&self) -> Vec<Event> {
        self.0.iter().rev().cloned().collect()
    }

    /// How many are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// Writers of our own JSON (see `to_json`): exactly what the derived `Serialize` writes.
crate::json_name!(Kind {
    AppPasswordCreated => "app_password.created",
    AppPasswordDeleted => "app_password.deleted",
    AppPasswordDeletedAll => "app_password.deleted_all",
    MfaEnabled => "mfa.enabled",
    MfaDisabled => "mfa.disabled",
    LoginSucceeded => "login.succeeded",
    LoginFailed => "login.failed",
    LoginThrottled => "login.throttled",
    SettingsChanged => "settings.changed",
    ApiKeyCreated => "api_key.created",
    ApiKeyRevoked => "api_key.revoked",
    PasswordChanged => "user.password_changed",
    AppPasswordRekeyed => "app_password.rekeyed",
});
impl ToJson for Actor {
    fn write_json(&self, out: &mut String) {
        to_json::string(out, &self.label());
    }
}
crate::json_object!(Named { id, name, ?scopes });
crate::json_object!(Event {
    event,
    at,
    actor,
    ?app_password,
    ?api_key,
    ?protocol,
    ?remote_ip,
    ?reason,
    ?count,
    ?settings
});
impl ToJson for EventLog {
    fn write_json(&self, out: &mut String) {
        self.0.write_json(out);
    }
}

// Readers of our own JSON (see `fields`), for the forms the derived `Serialize` writes.
impl FromJson for Kind {
    fn from_json(value: Value) -> fields::Result<Self> {
        fields::unit_variant(&Self::ALL, &value)
    }
}

impl FromJson for Actor {
    fn from_json(value: Value) -> fields::Result<Self> {
        String::from_json(value).map(|text| Self::from_label(&text))
    }
}

impl FromJson for Named {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            id: f.get("id")?,
            name: f.get("name")?,
            scopes: f.get("scopes")?,
        })
    }
}

impl FromJson for Event {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            event: f.get("event")?,
            at: f.get("at")?,
            actor: f.get("actor")?,
            app_password: f.get("app_password")?,
            api_key: f.get("api_key")?,
            protocol: f.get("protocol")?,
            remote_ip: f.get("remote_ip")?,
            reason: f.get("reason")?,
            count: f.get("count")?,
            settings: f.get("settings")?,
        })
    }
}

/// Transparent: the list itself.
impl FromJson for EventLog {
    fn from_json(value: Value) -> fields::Result<Self> {
        FromJson::from_json(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_line_is_what_serde_json_writes() {
        let named = Named {
            id: "ap_1".into(),
            name: "Mail \"x\"\n".into(),
            scopes: Some(vec![Scope::Users]),
        };
        let mut full = Event::new(Kind::SettingsChanged, -1, Actor::Key("k".into()));
        full.app_password = Some(named.clone());
        full.api_key = Some(named);
        full.protocol = Some(Protocol::Pop);
        full.remote_ip = Some("::1".into());
        full.reason = Some("r\u{1}".into());
        full.count = Some(3);
        full.settings = Some(crate::domain::Settings::default());
        for e in [&full, &Event::new(Kind::MfaEnabled, 2, Actor::Root)] {
            for user in [None, Some("alice\\")] {
                let line = e.audit_line(user);
                assert_eq!(
                    e.line(user),
                    serde_json::to_string(&line).unwrap_or_default()
                );
            }
        }
    }

    #[test]
    fn the_line_has_the_documented_shape() {
        let mut e = Event::new(Kind::LoginFailed, 1_700_000_000, Actor::Key("ak_1".into()));
        e.remote_ip = Some("192.0.2.1".into());
        e.reason = Some("unknown_password".into());
        e.count = Some(3);
        let line: serde_json::Value =
            serde_json::from_str(&e.line(Some("alice"))).unwrap_or_default();
        assert_eq!(
            line,
            serde_json::json!({
                "audit": "login.failed", "at": 1_700_000_000, "user": "alice", "actor": "key:ak_1",
                "remote_ip": "192.0.2.1", "reason": "unknown_password", "count": 3
            })
        );
        let tenant: serde_json::Value =
            serde_json::from_str(&Event::new(Kind::SettingsChanged, 5, Actor::Root).line(None))
                .unwrap_or_default();
        assert_eq!(tenant["user"], serde_json::Value::Null);
        assert_eq!(tenant["actor"], "root");
    }

    #[test]
    fn every_kind_has_a_dotted_name() {
        for kind in Kind::ALL {
            let name = serde_json::to_string(&kind).unwrap_or_default();
            assert!(name.contains('.'), "{name}");
            let back: Kind = serde_json::from_str(&name).unwrap_or(Kind::ApiKeyRevoked);
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn events_round_trip_with_their_actor() {
        for actor in [Actor::Root, Actor::Session, Actor::Key("ak_9".into())] {
            let e = Event::new(Kind::MfaEnabled, 1, actor);
            let text = serde_json::to_string(&e).unwrap_or_default();
            assert_eq!(serde_json::from_str::<Event>(&text).ok(), Some(e));
        }
    }

    #[test]
    fn the_log_keeps_the_last_hundred_newest_first() {
        let mut log = EventLog::default();
        for at in 0..150 {
            log.push(Event::new(Kind::LoginSucceeded, at, Actor::Root));
        }
        assert_eq!(log.len(), KEEP_EVENTS);
        let events = log.newest_first();
        assert_eq!(events[0].at, 149);
        assert_eq!(events[KEEP_EVENTS - 1].at, 50);
    }
}
