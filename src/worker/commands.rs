//! The messages the Worker sends to a user's Durable Object (JSON over an internal fetch), and the
//! typed replies the object answers with.
//!
//! The object answers data, not HTTP: a reply type below, or an error (`{"error":{…}}` with its
//! status). The front Worker decodes the reply into the same type ([`super::ask`]) and renders the
//! HTTP answer (status, body) itself.

use crate::domain::api_key::Scope;
use crate::domain::audit::{Actor, Event};
use crate::domain::rules::{Issued, Summary};
use crate::domain::session::SessionPolicy;
use crate::domain::{OnPasswordChange, Protocol, Settings};
use serde::{Deserialize, Serialize};

/// A newly issued app password: the only time the plaintext leaves (`Create`, and `SetMfa` at
/// registration). Not `Debug`: it carries the password.
#[derive(Serialize, Deserialize)]
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
#[derive(Serialize)]
pub struct Listed {
    /// What the user sees of the entry.
    #[serde(flatten)]
    pub summary: Summary,
    /// Whether it no longer verifies (expired, or unused too long).
    pub expired: bool,
}

/// Reply to `List`, passed on by the front Worker as the object wrote it.
#[derive(Serialize)]
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
#[derive(Serialize, Deserialize)]
pub struct MfaState {
    /// The state now.
    pub mfa_enabled: bool,
    /// The first app password, when registration issued one.
    pub initial_app_password: Option<Created>,
}

/// Reply to `DeleteAll`.
#[derive(Serialize, Deserialize)]
pub struct Deleted {
    /// How many were deleted.
    pub deleted: usize,
}

/// Reply to `PasswordChanged`.
#[derive(Serialize, Deserialize)]
pub struct Revoked {
    /// How many were revoked.
    pub revoked: usize,
}

/// Reply to `Events`.
#[derive(Serialize, Deserialize)]
pub struct Events {
    /// Newest first.
    pub events: Vec<Event>,
}

/// A command with the caller it is done for (the audit events' actor).
#[derive(Serialize, Deserialize)]
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
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
        #[serde(default)]
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
        #[serde(default)]
        remote_ip: Option<String>,
        /// Also rewrite the KV copy, whose last use is stale (for expire-if-unused).
        #[serde(default)]
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
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
