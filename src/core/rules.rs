//! The per-user rules: what may be created, deleted and verified, and when.
//!
//! A [`UserRecord`] is plain serde data that a shell stores (a Durable Object in the Worker, the
//! caller's own store in the npm package). Every change goes through its methods, which take the
//! tenant [`Settings`], the server secret, the hashing parameters, the time and the randomness as
//! arguments: the record never reads a clock or a generator itself.

use super::error::{Error, Result};
use super::format::{self, Password};
use super::hash::{self, HashParams, ServerSecret};
use super::random::Entropy;
use serde::{Deserialize, Serialize};

/// App passwords per user unless the tenant sets another limit (as in Entra ID).
pub const DEFAULT_LIMIT: u32 = 40;
/// The highest limit a tenant may set.
pub const MAX_LIMIT: u32 = 100;
/// Longest name, in characters, after trimming.
pub const MAX_NAME_CHARS: usize = 64;
/// Last use is recorded at most once per this many seconds per app password.
pub const LAST_USE_INTERVAL_SECS: i64 = 60;
/// Longest user id, in bytes (ids are opaque; any UTF-8 of 1 to this many bytes).
pub const MAX_USER_BYTES: usize = 256;

/// Whether `user` is an acceptable user id: 1 to [`MAX_USER_BYTES`] bytes.
#[must_use]
pub fn valid_user(user: &str) -> bool {
    (1..=MAX_USER_BYTES).contains(&user.len())
}

/// Name of the app password issued at MFA registration when the caller gives none.
pub const INITIAL_NAME: &str = "First app password";

/// Tenant-wide settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// When false, no new app passwords are created; existing ones still verify (as in Entra ID).
    pub app_passwords_allowed: bool,
    /// Most app passwords per user.
    pub limit: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            app_passwords_allowed: true,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Settings {
    /// Checks the settings are within range.
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] unless `1 <= limit <= MAX_LIMIT`.
    pub fn validate(self) -> Result<Self> {
        if (1..=MAX_LIMIT).contains(&self.limit) {
            Ok(self)
        } else {
            Err(Error::InvalidSettings)
        }
    }
}

/// A protocol an app password may be used with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// IMAP (mail reading).
    Imap,
    /// SMTP (mail submission).
    Smtp,
    /// POP3.
    Pop,
    /// Exchange ActiveSync.
    Eas,
    /// CalDAV / CardDAV.
    Dav,
}

impl Protocol {
    /// Every protocol, in order.
    pub const ALL: [Self; 5] = [Self::Imap, Self::Smtp, Self::Pop, Self::Eas, Self::Dav];

    /// The lowercase name used in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Imap => "imap",
            Self::Smtp => "smtp",
            Self::Pop => "pop",
            Self::Eas => "eas",
            Self::Dav => "dav",
        }
    }

    /// Parses a lowercase protocol name.
    ///
    /// # Errors
    /// [`Error::InvalidScope`] for anything else.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(Error::InvalidScope)
    }
}

/// Parses a list of scopes: known protocols, sorted, without repeats. Empty means every protocol.
///
/// # Errors
/// [`Error::InvalidScope`] when one is unknown.
pub fn parse_scopes<S: AsRef<str>>(scopes: &[S]) -> Result<Vec<Protocol>> {
    parse_set(scopes, Protocol::parse)
}

/// Parses every name with `parse`; sorted, without repeats.
///
/// # Errors
/// The first error of `parse`.
pub fn parse_set<S: AsRef<str>, T: Ord>(
    names: &[S],
    parse: impl Fn(&str) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = names
        .iter()
        .map(|s| parse(s.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// One app password as the user's record keeps it. Holds no plaintext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable id (`ap_` + 16 hex digits).
    pub id: String,
    /// The user's name for the device or app.
    pub name: String,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
    /// Protocols it may be used with; empty means all.
    #[serde(default)]
    pub scopes: Vec<Protocol>,
    /// Last successful use, seconds since the Unix epoch.
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// Protocol of the last successful use, when the caller said.
    #[serde(default)]
    pub last_used_protocol: Option<Protocol>,
    /// Client address of the last successful use, when the caller said.
    #[serde(default)]
    pub last_used_ip: Option<String>,
    /// When it stops working, seconds since the Unix epoch.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Where its [`Credential`] is stored: [`hash::lookup_key`] of (user, password).
    pub lookup_key: String,
    /// Argon2id PHC string of the password.
    pub phc: String,
}

/// What a user sees of an entry: no hash, no lookup key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
    /// Last successful use, seconds since the Unix epoch.
    pub last_used_at: Option<i64>,
    /// Protocol of the last successful use.
    pub last_used_protocol: Option<Protocol>,
    /// Client address of the last successful use.
    pub last_used_ip: Option<String>,
    /// Protocols it may be used with; empty means all.
    pub scopes: Vec<Protocol>,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: Option<i64>,
}

impl Entry {
    /// The user-visible part of the entry.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary {
            id: self.id.clone(),
            name: self.name.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            last_used_protocol: self.last_used_protocol,
            last_used_ip: self.last_used_ip.clone(),
            scopes: self.scopes.clone(),
            expires_at: self.expires_at,
        }
    }
}

/// What a verifier needs to check one app password, stored under its lookup key (KV in the Worker).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The owner.
    pub user: String,
    /// The entry's id.
    pub id: String,
    /// The entry's name.
    pub name: String,
    /// Protocols it may be used with; empty means all.
    #[serde(default)]
    pub scopes: Vec<Protocol>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Argon2id PHC string.
    pub phc: String,
}

/// Why a verification failed. Codes are stable and never reveal the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Not shaped like an app password (no storage read was needed).
    Malformed,
    /// Shaped like one but the checksum is wrong (no storage read was needed).
    BadChecksum,
    /// No such app password for this user (or it was deleted).
    Unknown,
    /// The app password is not allowed for the requested protocol.
    ScopeDenied,
    /// The app password has expired.
    Expired,
    /// The user does not have multi-factor authentication on.
    MfaRequired,
}

impl Rejection {
    /// Stable snake_case code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed_password",
            Self::BadChecksum => "bad_checksum",
            Self::Unknown => "unknown_password",
            Self::ScopeDenied => "scope_denied",
            Self::Expired => "expired",
            Self::MfaRequired => "mfa_required",
        }
    }

    /// Maps a [`format::normalize`] error to a rejection.
    #[must_use]
    pub const fn from_format(error: Error) -> Self {
        match error {
            Error::BadChecksum => Self::BadChecksum,
            _ => Self::Malformed,
        }
    }
}

/// The checks of [`check_credential`] besides the password: owner, expiry, scope. Alone, for a
/// credential whose password was already proven (found in a login cache under its lookup key).
///
/// # Errors
/// [`Rejection::Unknown`] for another owner, [`Rejection::Expired`], [`Rejection::ScopeDenied`].
pub fn check_claims(
    credential: &Credential,
    user: &str,
    protocol: Option<Protocol>,
    now: i64,
) -> Result<(), Rejection> {
    if !hash::constant_time_eq(credential.user.as_bytes(), user.as_bytes()) {
        return Err(Rejection::Unknown);
    }
    if credential.expires_at.is_some_and(|at| now >= at) {
        return Err(Rejection::Expired);
    }
    if let Some(p) = protocol
        && !credential.scopes.is_empty()
        && !credential.scopes.contains(&p)
    {
        return Err(Rejection::ScopeDenied);
    }
    Ok(())
}

/// Checks a found credential against the login attempt: owner, expiry, scope, then Argon2id.
///
/// Cheap checks come first so a refused attempt costs no Argon2 run. A stored hash that cannot be
/// read counts as [`Rejection::Unknown`]: the login fails closed.
///
/// # Errors
/// The [`Rejection`] reason.
pub fn check_credential(
    credential: &Credential,
    user: &str,
    password: &Password,
    protocol: Option<Protocol>,
    secret: &ServerSecret,
    now: i64,
) -> Result<(), Rejection> {
    check_claims(credential, user, protocol, now)?;
    match hash::verify(password, &credential.phc, secret) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(Rejection::Unknown),
    }
}

/// Everything a change needs besides the record itself.
#[derive(Debug)]
pub struct Context<'a> {
    /// Tenant settings in force.
    pub settings: Settings,
    /// The server secret.
    pub secret: &'a ServerSecret,
    /// Parameters for new hashes.
    pub params: HashParams,
    /// The current time, seconds since the Unix epoch.
    pub now: i64,
}

/// A newly created app password: the plaintext, to show once, and the entry to keep.
#[derive(Debug)]
pub struct Issued {
    /// The plaintext. Give it to the user once; never store or log it.
    pub password: Password,
    /// The stored entry.
    pub entry: Entry,
}

/// One user's app passwords and MFA state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user's opaque id.
    pub user: String,
    /// Whether the user has multi-factor authentication on.
    #[serde(default)]
    pub mfa_enabled: bool,
    /// The app passwords, oldest first.
    #[serde(default)]
    pub app_passwords: Vec<Entry>,
}

impl UserRecord {
    /// An empty record for `user`, MFA off.
    #[must_use]
    pub fn new(user: &str) -> Self {
        Self {
            user: user.to_owned(),
            mfa_enabled: false,
            app_passwords: Vec::new(),
        }
    }

    /// Creates an app password named `name`.
    ///
    /// # Errors
    /// In this order: [`Error::MfaRequired`], [`Error::AppPasswordsDisabled`],
    /// [`Error::InvalidName`], [`Error::LimitReached`], [`Error::NameTaken`]; then hashing errors.
    pub fn create(
        &mut self,
        name: &str,
        scopes: Vec<Protocol>,
        ctx: &Context<'_>,
        rng: &mut impl Entropy,
    ) -> Result<Issued> {
        if !self.mfa_enabled {
            return Err(Error::MfaRequired);
        }
        if !ctx.settings.app_passwords_allowed {
            return Err(Error::AppPasswordsDisabled);
        }
        let name = valid_name(name)?;
        let limit = ctx.settings.limit;
        if self.app_passwords.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            return Err(Error::LimitReached { limit });
        }
        let folded = name.to_lowercase();
        if self
            .app_passwords
            .iter()
            .any(|e| e.name.to_lowercase() == folded)
        {
            return Err(Error::NameTaken);
        }
        let password = Password::generate(rng)?;
        let entry = Entry {
            id: self.new_id(rng)?,
            name: name.to_owned(),
            created_at: ctx.now,
            scopes,
            last_used_at: None,
            last_used_protocol: None,
            last_used_ip: None,
            expires_at: None,
            lookup_key: hash::lookup_key(&self.user, &password, ctx.secret),
            phc: hash::hash(&password, ctx.secret, ctx.params, rng)?,
        };
        self.app_passwords.push(entry.clone());
        Ok(Issued { password, entry })
    }

    /// Deletes the app password with this id and returns it.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub fn delete(&mut self, id: &str) -> Result<Entry> {
        let at = self
            .app_passwords
            .iter()
            .position(|e| e.id == id)
            .ok_or(Error::NotFound)?;
        Ok(self.app_passwords.remove(at))
    }

    /// Deletes every app password and returns them.
    pub fn delete_all(&mut self) -> Vec<Entry> {
        core::mem::take(&mut self.app_passwords)
    }

    /// Turns MFA on or off. Turning it on (from off) for a user without app passwords issues the
    /// first one (named `initial_name`, or [`INITIAL_NAME`]) when the tenant allows app passwords;
    /// turning it on again while it is on issues nothing, even if the user has since deleted every
    /// app password. Turning it off keeps the app passwords but they stop verifying.
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a bad `initial_name`; hashing errors.
    pub fn set_mfa(
        &mut self,
        enabled: bool,
        initial_name: Option<&str>,
        ctx: &Context<'_>,
        rng: &mut impl Entropy,
    ) -> Result<Option<Issued>> {
        let name = initial_name.unwrap_or(INITIAL_NAME);
        if enabled {
            valid_name(name)?;
        }
        let was_enabled = core::mem::replace(&mut self.mfa_enabled, enabled);
        // Registration is the switch from off to on; repeating "on" is not a new registration.
        if !enabled
            || was_enabled
            || !self.app_passwords.is_empty()
            || !ctx.settings.app_passwords_allowed
        {
            return Ok(None);
        }
        let issued = self.create(name, Vec::new(), ctx, rng);
        if issued.is_err() {
            self.mfa_enabled = was_enabled;
        }
        issued.map(Some)
    }

    /// The verifier's view of `entry`, to store under its lookup key.
    #[must_use]
    pub fn credential(&self, entry: &Entry) -> Credential {
        Credential {
            user: self.user.clone(),
            id: entry.id.clone(),
            name: entry.name.clone(),
            scopes: entry.scopes.clone(),
            expires_at: entry.expires_at,
            phc: entry.phc.clone(),
        }
    }

    /// Verifies a login attempt against this record (for callers that hold the whole record, like
    /// the npm package; the Worker looks the credential up by key instead). At most one Argon2 run.
    ///
    /// # Errors
    /// The [`Rejection`] reason.
    pub fn verify(
        &self,
        input: &str,
        protocol: Option<Protocol>,
        secret: &ServerSecret,
        now: i64,
    ) -> Result<&Entry, Rejection> {
        let password = format::normalize(input).map_err(Rejection::from_format)?;
        if !self.mfa_enabled {
            return Err(Rejection::MfaRequired);
        }
        let key = hash::lookup_key(&self.user, &password, secret);
        let entry = self
            .app_passwords
            .iter()
            .find(|e| hash::constant_time_eq(e.lookup_key.as_bytes(), key.as_bytes()))
            .ok_or(Rejection::Unknown)?;
        check_credential(
            &self.credential(entry),
            &self.user,
            &password,
            protocol,
            secret,
            now,
        )?;
        Ok(entry)
    }

    /// Re-hashes an app password with `ctx.params` after a successful login, when its stored hash
    /// was made with other parameters. Checks `password` against the stored hash first, so a caller
    /// cannot replace a hash with one of another password. Returns whether the entry changed (and so
    /// needs saving and publishing).
    ///
    /// # Errors
    /// [`Error::NotFound`]; hashing errors.
    pub fn rehash(
        &mut self,
        id: &str,
        password: &Password,
        ctx: &Context<'_>,
        rng: &mut impl Entropy,
    ) -> Result<bool> {
        let entry = self
            .app_passwords
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or(Error::NotFound)?;
        if !hash::needs_rehash(&entry.phc, ctx.params)
            || !hash::verify(password, &entry.phc, ctx.secret).unwrap_or(false)
        {
            return Ok(false);
        }
        entry.phc = hash::hash(password, ctx.secret, ctx.params, rng)?;
        Ok(true)
    }

    /// Records a successful use, at most once per [`LAST_USE_INTERVAL_SECS`]. Returns whether the
    /// record changed (and so needs saving).
    pub fn record_use(&mut self, id: &str, now: i64, protocol: Option<Protocol>) -> bool {
        let Some(entry) = self.app_passwords.iter_mut().find(|e| e.id == id) else {
            return false;
        };
        if entry
            .last_used_at
            .is_some_and(|at| now - at < LAST_USE_INTERVAL_SECS)
        {
            return false;
        }
        entry.last_used_at = Some(now);
        entry.last_used_protocol = protocol;
        true
    }

    /// [`Self::record_use`], also keeping the client address of the use. Returns whether the
    /// record changed.
    pub fn record_use_from(
        &mut self,
        id: &str,
        now: i64,
        protocol: Option<Protocol>,
        remote_ip: Option<&str>,
    ) -> bool {
        if !self.record_use(id, now, protocol) {
            return false;
        }
        if let Some(entry) = self.app_passwords.iter_mut().find(|e| e.id == id) {
            entry.last_used_ip = remote_ip.map(str::to_owned);
        }
        true
    }

    /// The user-visible list, oldest first.
    #[must_use]
    pub fn summaries(&self) -> Vec<Summary> {
        self.app_passwords.iter().map(Entry::summary).collect()
    }

    fn new_id(&self, rng: &mut impl Entropy) -> Result<String> {
        loop {
            let mut raw = [0u8; 8];
            rng.fill(&mut raw)?;
            let id = format!("ap_{}", hash::hex(&raw));
            if !self.app_passwords.iter().any(|e| e.id == id) {
                return Ok(id);
            }
        }
    }
}

/// Trims `name` and checks it: 1–[`MAX_NAME_CHARS`] characters, no control characters.
///
/// # Errors
/// [`Error::InvalidName`].
pub fn valid_name(name: &str) -> Result<&str> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::InvalidName);
    }
    Ok(name)
}
