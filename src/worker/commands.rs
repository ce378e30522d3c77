//! The messages the Worker sends to a user's Durable Object (JSON over an internal fetch), and the
//! typed replies the object answers with.
//!
//! The object answers data, not HTTP: a reply type below, or an error (`{"error":{…}}` with its
//! status). The front Worker decodes the reply into the same type ([`super::ask`]) and renders the
//! HTTP answer (status, body) itself.
//!
//! The types are written with their derived `Serialize` and read by the hand-written
//! `from_json` readers below ([`crate::domain::fields`]: one small reader per type instead of serde's
//! per-type copies of serde_json's readers); the tests read every variant back.

use crate::domain::api_key::Scope;
use crate::domain::audit::{Actor, Event};
use crate::domain::fields::{self, Fields, FromJson, Result};
use crate::domain::rules::{Issued, Summary};
use crate::domain::session::SessionPolicy;
use crate::domain::to_json::{Object, ToJson};
use crate::domain::{OnPasswordChange, Protocol, Settings};
#[cfg(test)]
use serde::Serialize;
use serde_json::Value;

/// A newly issued app password: the only time the plaintext leaves (`Create`, and `SetMfa` at
/// registration). Not `Debug`: it carries the password.
#[cfg_attr(test, derive(Serialize))]
pub struct Created {
    /// Entry id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The plaintext, 24 letters.
    pub password: String,
    /// The plaintext in groups of four.
    pub display: String,
    /// Creation time.
    pub created_at: i64,
    /// Protocols; empty = all.
    pub scopes: Vec<Protocol>,
    /// Expiry, if any.
    pub expires_at: Option<i64>,
}

impl From<&Issued> for Created {
    fn from(issued: &Issued) -> Self {
        Self {
            id: issued.entry.id.clone(),
            name: issued.entry.name.clone(),
            password: issued.password.as_str().to_owned(),
            display: issued.password.display(),
            created_at: issued.entry.created_at,
            scopes: issued.entry.scopes.clone(),
            expires_at: issued.entry.expires_at,
        }
    }
}

/// A listed entry: the summary, and whether it has stopped verifying by the tenant's rules.
/// Written only (by the object): the front Worker passes the object's reply on as it is
/// (reading `flatten` would take serde's buffering code into the Worker).
#[cfg_attr(test, derive(Serialize))]
pub struct Listed {
    /// What the user sees of the entry.
    #[cfg_attr(test, serde(flatten))]
    pub summary: Summary,
    /// Whether it no longer verifies (expired, or unused too long).
    pub expired: bool,
}

/// Reply to `List`, passed on by the front Worker as the object wrote it.
#[cfg_attr(test, derive(Serialize))]
pub struct Listing {
    /// The user id, the user name to type with an app password (the page shows it).
    pub user: String,
    /// The entries, oldest first.
    pub app_passwords: Vec<Listed>,
    /// How many.
    pub count: usize,
    /// The tenant's limit.
    pub limit: u32,
    /// Whether the tenant allows creating more.
    pub app_passwords_allowed: bool,
}

/// Reply to `SetMfa`.
#[cfg_attr(test, derive(Serialize))]
pub struct MfaState {
    /// The state now.
    pub mfa_enabled: bool,
    /// The first app password, when registration issued one.
    pub initial_app_password: Option<Created>,
}

/// Reply to `DeleteAll`.
#[cfg_attr(test, derive(Serialize))]
pub struct Deleted {
    /// How many were deleted.
    pub deleted: usize,
}

/// Reply to `PasswordChanged`.
#[cfg_attr(test, derive(Serialize))]
pub struct Revoked {
    /// How many were revoked.
    pub revoked: usize,
}

/// Reply to `Events`.
#[cfg_attr(test, derive(Serialize))]
pub struct Events {
    /// Newest first.
    pub events: Vec<Event>,
}

/// A command with the caller it is done for (the audit events' actor).
#[cfg_attr(test, derive(Serialize))]
pub struct Message {
    /// Who asked.
    pub actor: Actor,
    /// What to do.
    pub command: Command,
}

/// One change or read of a user's record. Not `Debug`: [`Command::Rehash`] carries a password.
///
/// Externally tagged (`{"create":{…}}`), as is [`TenantCommand`]: serde reads that form directly,
/// where an internally tagged `op` field would buffer every message first (and cost the Worker
/// its generic buffering code). A message in another deploy's form fails to parse, and the object
/// answers 503 `storage_unavailable`; nothing is done.
#[cfg_attr(test, derive(Serialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum Command {
    /// Create an app password.
    Create {
        /// Owner.
        user: String,
        /// Name as submitted.
        name: String,
        /// Protocols; empty = all.
        scopes: Vec<Protocol>,
        /// Lifetime in days; `None`: the tenant's maximum, or none.
        expires_in_days: Option<u32>,
        /// Tenant settings in force.
        settings: Settings,
    },
    /// List the user's app passwords.
    List {
        /// Owner.
        user: String,
        /// Tenant settings in force (for the limit shown).
        settings: Settings,
    },
    /// Delete one.
    Delete {
        /// Owner.
        user: String,
        /// Entry id.
        id: String,
    },
    /// Delete all.
    DeleteAll {
        /// Owner.
        user: String,
    },
    /// Turn MFA on or off.
    SetMfa {
        /// Owner.
        user: String,
        /// New state.
        enabled: bool,
        /// Name of the first app password, when one is issued.
        initial_name: Option<String>,
        /// Tenant settings in force.
        settings: Settings,
    },
    /// Record a successful login (sent off the response path).
    RecordUse {
        /// Owner.
        user: String,
        /// Entry id.
        id: String,
        /// Time of use, seconds since the Unix epoch.
        at: i64,
        /// Protocol, when the caller said.
        protocol: Option<Protocol>,
        /// Client address, when the caller said.
        remote_ip: Option<String>,
        /// Also rewrite the KV copy, whose last use is stale (for expire-if-unused; `false` when
        /// missing).
        publish: bool,
    },
    /// Keep an audit event the Worker has printed (failed or throttled logins).
    RecordEvent {
        /// Owner.
        user: String,
        /// The event.
        event: Event,
    },
    /// The user's recent audit events.
    Events {
        /// Owner.
        user: String,
    },
    /// Re-hash an app password with the current parameters after a good login (sent off the
    /// response path, only when the stored hash uses other parameters).
    Rehash {
        /// Owner.
        user: String,
        /// Entry id.
        id: String,
        /// The normalised password that just verified. Never stored or logged.
        password: String,
    },
    /// Record a new page session (after a sign-in with MFA).
    StartSession {
        /// Owner.
        user: String,
        /// SHA-256 of the session id, hex (the id itself never reaches storage).
        key: String,
        /// Lifetimes in force.
        policy: SessionPolicy,
    },
    /// Check a page session and record its use: 204, or 401 when unknown or ended.
    CheckSession {
        /// Owner.
        user: String,
        /// SHA-256 of the session id, hex.
        key: String,
        /// Lifetimes in force.
        policy: SessionPolicy,
    },
    /// Sign out: end one session.
    EndSession {
        /// Owner.
        user: String,
        /// SHA-256 of the session id, hex.
        key: String,
    },
    /// Sign out everywhere: end all of the user's sessions.
    EndAllSessions {
        /// Owner.
        user: String,
    },
    /// Apply the tenant's policy after the user's main password changed.
    PasswordChanged {
        /// Owner.
        user: String,
        /// The tenant's policy.
        policy: OnPasswordChange,
    },
    /// Read the credential stored under a lookup key from the record itself (strict revocation,
    /// and confirming a refusal as unused).
    Find {
        /// Owner.
        user: String,
        /// The lookup key.
        lookup_key: String,
    },
    /// Move an app password that just verified under `PASSWORD_SECRET_PREVIOUS` to the current
    /// secret: new lookup key and hash.
    Rekey {
        /// Owner.
        user: String,
        /// Entry id.
        id: String,
        /// The normalised password that just verified. Never stored or logged.
        password: String,
    },
}

impl Command {
    /// The user the command is about (names the Durable Object).
    pub fn user(&self) -> &str {
        match self {
            Self::Create { user, .. }
            | Self::List { user, .. }
            | Self::Delete { user, .. }
            | Self::DeleteAll { user }
            | Self::SetMfa { user, .. }
            | Self::RecordUse { user, .. }
            | Self::Rehash { user, .. }
            | Self::RecordEvent { user, .. }
            | Self::Events { user }
            | Self::StartSession { user, .. }
            | Self::CheckSession { user, .. }
            | Self::EndSession { user, .. }
            | Self::EndAllSessions { user }
            | Self::PasswordChanged { user, .. }
            | Self::Find { user, .. }
            | Self::Rekey { user, .. } => user,
        }
    }

    /// Whether the command can revoke or narrow a credential (delete, delete all, MFA off): the
    /// front Worker then drops the user's entries from its login cache. A new command that changes
    /// an existing credential (scopes, expiry) must answer `true` here.
    pub const fn changes_credentials(&self) -> bool {
        match self {
            Self::Delete { .. }
            | Self::DeleteAll { .. }
            | Self::PasswordChanged { .. }
            | Self::Rekey { .. } => true,
            Self::SetMfa { enabled, .. } => !*enabled,
            Self::Create { .. }
            | Self::List { .. }
            | Self::RecordUse { .. }
            | Self::RecordEvent { .. }
            | Self::Events { .. }
            | Self::Rehash { .. }
            | Self::StartSession { .. }
            | Self::CheckSession { .. }
            | Self::EndSession { .. }
            | Self::EndAllSessions { .. }
            | Self::Find { .. } => false,
        }
    }
}

/// The messages the Worker sends to the tenant's Durable Object about API keys (settings keep
/// their own `GET`/`PUT`). Externally tagged, like [`Command`].
#[cfg_attr(test, derive(Serialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum TenantCommand {
    /// Create an API key.
    CreateApiKey {
        /// Holder's name.
        name: String,
        /// Scopes (parsed).
        scopes: Vec<Scope>,
    },
    /// List the API keys.
    ListApiKeys,
    /// Revoke an API key.
    RevokeApiKey {
        /// Key id.
        id: String,
    },
    /// Record a use of an API key (sent off the response path, at most once a minute per isolate).
    RecordApiKeyUse {
        /// Key id.
        id: String,
        /// Time of use.
        at: i64,
    },
}

// Writers: the JSON the readers below read (the form a derived `Serialize` wrote before, which
// another deploy's object still reads).
crate::json_object!(Created {
    id,
    name,
    password,
    display,
    created_at,
    scopes,
    expires_at
});

impl ToJson for Listed {
    /// The summary's fields, then `expired` (as `#[serde(flatten)]` wrote it).
    fn write_json(&self, out: &mut String) {
        self.summary.write_json(out);
        out.pop();
        out.push_str(",\"expired\":");
        self.expired.write_json(out);
        out.push('}');
    }
}

crate::json_object!(Listing {
    user,
    app_passwords,
    count,
    limit,
    app_passwords_allowed
});
crate::json_object!(MfaState {
    mfa_enabled,
    initial_app_password
});
crate::json_object!(Deleted { deleted });
crate::json_object!(Revoked { revoked });
crate::json_object!(Events { events });
crate::json_object!(Message { actor, command });

impl ToJson for Command {
    /// Externally tagged: `{"<variant>":{…fields}}`.
    fn write_json(&self, out: &mut String) {
        let mut tag = Object::new(out);
        match self {
            Self::Create {
                user,
                name,
                scopes,
                expires_in_days,
                settings,
            } => tag
                .object("create")
                .field("user", user)
                .field("name", name)
                .field("scopes", scopes)
                .field("expires_in_days", expires_in_days)
                .field("settings", settings)
                .end(),
            Self::List { user, settings } => tag
                .object("list")
                .field("user", user)
                .field("settings", settings)
                .end(),
            Self::Delete { user, id } => tag
                .object("delete")
                .field("user", user)
                .field("id", id)
                .end(),
            Self::DeleteAll { user } => tag.object("delete_all").field("user", user).end(),
            Self::SetMfa {
                user,
                enabled,
                initial_name,
                settings,
            } => tag
                .object("set_mfa")
                .field("user", user)
                .field("enabled", enabled)
                .field("initial_name", initial_name)
                .field("settings", settings)
                .end(),
            Self::RecordUse {
                user,
                id,
                at,
                protocol,
                remote_ip,
                publish,
            } => tag
                .object("record_use")
                .field("user", user)
                .field("id", id)
                .field("at", at)
                .field("protocol", protocol)
                .field("remote_ip", remote_ip)
                .field("publish", publish)
                .end(),
            Self::RecordEvent { user, event } => tag
                .object("record_event")
                .field("user", user)
                .field("event", event)
                .end(),
            Self::Events { user } => tag.object("events").field("user", user).end(),
            Self::Rehash { user, id, password } => tag
                .object("rehash")
                .field("user", user)
                .field("id", id)
                .field("password", password)
                .end(),
            Self::StartSession { user, key, policy } => tag
                .object("start_session")
                .field("user", user)
                .field("key", key)
                .field("policy", policy)
                .end(),
            Self::CheckSession { user, key, policy } => tag
                .object("check_session")
                .field("user", user)
                .field("key", key)
                .field("policy", policy)
                .end(),
            Self::EndSession { user, key } => tag
                .object("end_session")
                .field("user", user)
                .field("key", key)
                .end(),
            Self::EndAllSessions { user } => {
                tag.object("end_all_sessions").field("user", user).end();
            }
            Self::PasswordChanged { user, policy } => tag
                .object("password_changed")
                .field("user", user)
                .field("policy", policy)
                .end(),
            Self::Find { user, lookup_key } => tag
                .object("find")
                .field("user", user)
                .field("lookup_key", lookup_key)
                .end(),
            Self::Rekey { user, id, password } => tag
                .object("rekey")
                .field("user", user)
                .field("id", id)
                .field("password", password)
                .end(),
        }
        tag.end();
    }
}

impl ToJson for TenantCommand {
    /// Externally tagged, as [`Command`]; the unit variant as its name.
    fn write_json(&self, out: &mut String) {
        if let Self::ListApiKeys = self {
            return crate::domain::to_json::string(out, "list_api_keys");
        }
        let mut tag = Object::new(out);
        match self {
            Self::CreateApiKey { name, scopes } => tag
                .object("create_api_key")
                .field("name", name)
                .field("scopes", scopes)
                .end(),
            Self::ListApiKeys => {}
            Self::RevokeApiKey { id } => tag.object("revoke_api_key").field("id", id).end(),
            Self::RecordApiKeyUse { id, at } => tag
                .object("record_api_key_use")
                .field("id", id)
                .field("at", at)
                .end(),
        }
        tag.end();
    }
}

impl FromJson for Created {
    /// Reads the object's [`Created`] reply.
    fn from_json(value: Value) -> Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            id: f.string("id")?,
            name: f.string("name")?,
            password: f.string("password")?,
            display: f.string("display")?,
            created_at: f.get("created_at")?,
            scopes: f.get("scopes")?,
            expires_at: f.get("expires_at")?,
        })
    }
}

impl FromJson for MfaState {
    /// Reads the object's [`MfaState`] reply.
    fn from_json(value: Value) -> Result<Self> {
        let mut f = Fields::new(value)?;
        let mfa_enabled = f.get("mfa_enabled")?;
        let initial_app_password = match f.value("initial_app_password") {
            Value::Null => None,
            created => Some(Created::from_json(created)?),
        };
        Ok(Self {
            mfa_enabled,
            initial_app_password,
        })
    }
}

impl FromJson for Deleted {
    /// Reads the object's [`Deleted`] reply.
    fn from_json(value: Value) -> Result<Self> {
        Ok(Self {
            deleted: Fields::new(value)?.get("deleted")?,
        })
    }
}

impl FromJson for Revoked {
    /// Reads the object's [`Revoked`] reply.
    fn from_json(value: Value) -> Result<Self> {
        Ok(Self {
            revoked: Fields::new(value)?.get("revoked")?,
        })
    }
}

impl FromJson for Events {
    /// Reads the object's [`Events`] reply.
    fn from_json(value: Value) -> Result<Self> {
        Ok(Self {
            events: Fields::new(value)?.get("events")?,
        })
    }
}

impl FromJson for Message {
    /// Reads a [`Message`] the front Worker wrote.
    fn from_json(value: Value) -> Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            actor: f.get("actor")?,
            command: Command::from_json(f.value("command"))?,
        })
    }
}

impl FromJson for Command {
    /// Reads a [`Command`] (externally tagged, as its `Serialize` writes it).
    fn from_json(value: Value) -> Result<Self> {
        let (name, body) = fields::variant(value)?;
        let mut f = Fields::new(body)?;
        let user = f.string("user")?;
        Ok(match name.as_str() {
            "create" => Self::Create {
                user,
                name: f.string("name")?,
                scopes: f.get("scopes")?,
                expires_in_days: f.get("expires_in_days")?,
                settings: f.get("settings")?,
            },
            "list" => Self::List {
                user,
                settings: f.get("settings")?,
            },
            "delete" => Self::Delete {
                user,
                id: f.string("id")?,
            },
            "delete_all" => Self::DeleteAll { user },
            "set_mfa" => Self::SetMfa {
                user,
                enabled: f.get("enabled")?,
                initial_name: f.get("initial_name")?,
                settings: f.get("settings")?,
            },
            "record_use" => Self::RecordUse {
                user,
                id: f.string("id")?,
                at: f.get("at")?,
                protocol: f.get("protocol")?,
                remote_ip: f.get("remote_ip")?,
                publish: f.or_default("publish")?,
            },
            "record_event" => Self::RecordEvent {
                user,
                event: f.get("event")?,
            },
            "events" => Self::Events { user },
            "rehash" => Self::Rehash {
                user,
                id: f.string("id")?,
                password: f.string("password")?,
            },
            "start_session" => Self::StartSession {
                user,
                key: f.string("key")?,
                policy: f.get("policy")?,
            },
            "check_session" => Self::CheckSession {
                user,
                key: f.string("key")?,
                policy: f.get("policy")?,
            },
            "end_session" => Self::EndSession {
                user,
                key: f.string("key")?,
            },
            "end_all_sessions" => Self::EndAllSessions { user },
            "password_changed" => Self::PasswordChanged {
                user,
                policy: f.get("policy")?,
            },
            "find" => Self::Find {
                user,
                lookup_key: f.string("lookup_key")?,
            },
            "rekey" => Self::Rekey {
                user,
                id: f.string("id")?,
                password: f.string("password")?,
            },
            other => return Err(fields::unknown_variant(other)),
        })
    }
}

impl FromJson for TenantCommand {
    /// Reads a [`TenantCommand`] (externally tagged, as its `Serialize` writes it).
    fn from_json(value: Value) -> Result<Self> {
        let (name, body) = fields::variant(value)?;
        if name == "list_api_keys" {
            return Ok(Self::ListApiKeys);
        }
        let mut f = Fields::new(body)?;
        Ok(match name.as_str() {
            "create_api_key" => Self::CreateApiKey {
                name: f.string("name")?,
                scopes: f.get("scopes")?,
            },
            "revoke_api_key" => Self::RevokeApiKey {
                id: f.string("id")?,
            },
            "record_api_key_use" => Self::RecordApiKeyUse {
                id: f.string("id")?,
                at: f.get("at")?,
            },
            other => return Err(fields::unknown_variant(other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::Kind;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Writes `value` with its derived `Serialize`, reads it back with its reader, and writes
    /// that again: both writings must be the same JSON. Our writer ([`ToJson`]) writes exactly
    /// the derived `Serialize`'s text.
    fn round_trip<T: Serialize + FromJson + ToJson>(value: &T) {
        let text = serde_json::to_string(value).unwrap();
        assert_eq!(crate::domain::to_json::to_json(value), text);
        let written = serde_json::to_value(value).unwrap();
        let read = T::from_json(written.clone()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), written);
    }

    #[test]
    fn a_listing_is_written_as_the_derived_serialize_wrote_it() {
        let entry = |id: &str, expired| Listed {
            summary: Summary {
                id: id.into(),
                name: "Phone \"2\"".into(),
                created_at: 1,
                last_used_at: Some(2),
                last_used_protocol: Some(Protocol::Eas),
                last_used_ip: None,
                scopes: vec![Protocol::Dav],
                expires_at: None,
            },
            expired,
        };
        for app_passwords in [vec![], vec![entry("a", true), entry("b", false)]] {
            let listing = Listing {
                user: "alice".into(),
                count: app_passwords.len(),
                app_passwords,
                limit: 10,
                app_passwords_allowed: true,
            };
            let text = serde_json::to_string(&listing).unwrap();
            assert_eq!(crate::domain::to_json::to_json(&listing), text);
        }
    }

    fn every_command() -> Vec<Command> {
        let user = || "alice@example.com".to_owned();
        let settings = Settings {
            max_lifetime_days: Some(90),
            on_password_change: OnPasswordChange::RevokeAll,
            ..Settings::default()
        };
        let policy = SessionPolicy::default();
        let mut event = Event::new(Kind::LoginFailed, 1_700_000_000, Actor::Key("k1".into()));
        event.protocol = Some(Protocol::Imap);
        vec![
            Command::Create {
                user: user(),
                name: "Phone".into(),
                scopes: vec![Protocol::Imap, Protocol::Smtp],
                expires_in_days: Some(30),
                settings,
            },
            Command::Create {
                user: user(),
                name: "Laptop".into(),
                scopes: vec![],
                expires_in_days: None,
                settings: Settings::default(),
            },
            Command::List {
                user: user(),
                settings,
            },
            Command::Delete {
                user: user(),
                id: "ap1".into(),
            },
            Command::DeleteAll { user: user() },
            Command::SetMfa {
                user: user(),
                enabled: true,
                initial_name: Some("First".into()),
                settings,
            },
            Command::SetMfa {
                user: user(),
                enabled: false,
                initial_name: None,
                settings,
            },
            Command::RecordUse {
                user: user(),
                id: "ap1".into(),
                at: -5,
                protocol: Some(Protocol::Dav),
                remote_ip: Some("192.0.2.1".into()),
                publish: true,
            },
            Command::RecordUse {
                user: user(),
                id: "ap1".into(),
                at: 7,
                protocol: None,
                remote_ip: None,
                publish: false,
            },
            Command::RecordEvent {
                user: user(),
                event,
            },
            Command::Events { user: user() },
            Command::Rehash {
                user: user(),
                id: "ap1".into(),
                password: "abcd".into(),
            },
            Command::StartSession {
                user: user(),
                key: "00ff".into(),
                policy,
            },
            Command::CheckSession {
                user: user(),
                key: "00ff".into(),
                policy,
            },
            Command::EndSession {
                user: user(),
                key: "00ff".into(),
            },
            Command::EndAllSessions { user: user() },
            Command::PasswordChanged {
                user: user(),
                policy: OnPasswordChange::RevokeAll,
            },
            Command::Find {
                user: user(),
                lookup_key: "lk".into(),
            },
            Command::Rekey {
                user: user(),
                id: "ap1".into(),
                password: "abcd".into(),
            },
        ]
    }

    #[test]
    fn every_command_reads_back_as_written() {
        let commands = every_command();
        let mut names: Vec<String> = commands
            .iter()
            .map(|c| fields::variant(serde_json::to_value(c).unwrap()).unwrap().0)
            .collect();
        names.dedup();
        assert_eq!(names.len(), 16, "one case at least for every variant");
        for (command, actor) in commands.into_iter().zip(
            [Actor::Root, Actor::Session, Actor::Key("k1".into())]
                .into_iter()
                .cycle(),
        ) {
            round_trip(&Message { actor, command });
        }
    }

    #[test]
    fn every_tenant_command_reads_back_as_written() {
        for command in [
            TenantCommand::CreateApiKey {
                name: "IdP".into(),
                scopes: vec![Scope::Users, Scope::Verify],
            },
            TenantCommand::ListApiKeys,
            TenantCommand::RevokeApiKey { id: "k1".into() },
            TenantCommand::RecordApiKeyUse {
                id: "k1".into(),
                at: 1_700_000_000,
            },
        ] {
            round_trip(&command);
        }
    }

    #[test]
    fn every_reply_reads_back_as_written() {
        let created = || Created {
            id: "ap1".into(),
            name: "Phone".into(),
            password: "abcdefghijklmnopqrstuvwx".into(),
            display: "abcd efgh ijkl mnop qrst uvwx".into(),
            created_at: 1_700_000_000,
            scopes: vec![Protocol::Pop],
            expires_at: Some(1_800_000_000),
        };
        round_trip(&created());
        round_trip(&Created {
            scopes: vec![],
            expires_at: None,
            ..created()
        });
        round_trip(&MfaState {
            mfa_enabled: true,
            initial_app_password: Some(created()),
        });
        round_trip(&MfaState {
            mfa_enabled: false,
            initial_app_password: None,
        });
        round_trip(&Deleted { deleted: 3 });
        round_trip(&Revoked { revoked: 0 });
        round_trip(&Events {
            events: vec![Event::new(Kind::AppPasswordCreated, 1, Actor::Root)],
        });
    }

    #[test]
    fn defaulted_fields_may_be_missing_and_others_may_not() {
        let read = |v| Command::from_json(v).map(|c| serde_json::to_value(c).unwrap());
        let settings = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(
            read(json!({"record_use": {"user": "u", "id": "a", "at": 1}})).unwrap(),
            json!({"record_use": {"user": "u", "id": "a", "at": 1, "protocol": null,
                "remote_ip": null, "publish": false}})
        );
        assert_eq!(
            read(
                json!({"create": {"user": "u", "name": "n", "scopes": [], "settings": settings,
                "unknown": 1}})
            )
            .unwrap()["create"]["expires_in_days"],
            Value::Null
        );
        for bad in [
            json!({"create": {"user": "u", "name": "n", "settings": settings}}),
            json!({"delete": {"user": "u"}}),
            json!({"delete": {"user": "u", "id": 1}}),
            json!({"record_use": {"user": "u", "id": "a", "at": 1.5}}),
            json!({"record_use": {"user": "u", "id": "a", "at": 1, "publish": null}}),
            json!({"set_mfa": {"user": "u", "enabled": "yes", "settings": settings}}),
            json!({"unknown": {"user": "u"}}),
            json!({"delete_all": {}}),
            json!("delete_all"),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
        assert!(TenantCommand::from_json(json!("revoke_api_key")).is_err());
        assert!(TenantCommand::from_json(json!({"create_api_key": {"name": "x"}})).is_err());
    }
}
