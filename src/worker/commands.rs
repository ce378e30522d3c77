//! The messages the Worker sends to a user's Durable Object (JSON over an internal fetch).

use crate::core::session::SessionPolicy;
use crate::core::{Protocol, Settings};
use serde::{Deserialize, Serialize};

/// One change or read of a user's record. Not `Debug`: [`Command::Rehash`] carries a password.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Create an app password.
    Create {
        /// Owner.
        user: String,
        /// Name as submitted.
        name: String,
        /// Protocols; empty = all.
        scopes: Vec<Protocol>,
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
            | Self::StartSession { user, .. }
            | Self::CheckSession { user, .. }
            | Self::EndSession { user, .. }
            | Self::EndAllSessions { user } => user,
        }
    }
}
