//! The per-user rules: what may be created, deleted and verified, and when.
//!
//! A [`UserRecord`] is plain serde data that a shell stores (a Durable Object in the Worker, the
//! caller's own store in the npm package). Every change goes through its methods, which take the
//! tenant [`Settings`], the server secret, the hashing parameters, the time and the randomness as
//! arguments: the record never reads a clock or a generator itself.

use super::error::{Error, Result};
use super::fields::{self, Fields, FromJson};
use super::format::{self, Password};
use super::hash::{self, HashParams, ServerSecret};
use super::random::Entropy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::name::{MAX_NAME_CHARS, name_key, valid_name};
pub use super::user::{MAX_USER_BYTES, UserId, valid_user};

/// App passwords per user unless the tenant sets another limit (as in Entra ID).
pub const DEFAULT_LIMIT: u32 = 40;
/// The highest limit a tenant may set.
pub const MAX_LIMIT: u32 = 100;
/// Last use is recorded at most once per this many seconds per app password.
pub const LAST_USE_INTERVAL_SECS: i64 = 60;

/// Whether a use at `now` is worth recording, given the last one recorded: the first use always is,
/// later ones once [`LAST_USE_INTERVAL_SECS`] have passed. Saturating, so no stored time can
/// overflow it; a last use in the future (a clock that went back) defers the next record.
#[must_use]
pub fn use_due(last_used_at: Option<i64>, now: i64) -> bool {
    last_used_at.is_none_or(|at| now.saturating_sub(at) >= LAST_USE_INTERVAL_SECS)
}

/// Name of the app password issued at MFA registration when the caller gives none.
pub const INITIAL_NAME: &str = "First app password";

/// Seconds in a day: lifetimes and idle limits are counted in whole days.
pub const DAY_SECS: i64 = 86_400;
/// The longest lifetime (and idle limit) in days: about ten years.
pub const MAX_DAYS: u32 = 3650;
/// A verifier's copy of last use ([`Credential::last_used_at`]) is refreshed when it is this stale,
/// and only while the tenant expires unused app passwords.
pub const USE_PUBLISH_INTERVAL_SECS: i64 = DAY_SECS;

/// What happens to a user's app passwords when the main password changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
// The npm package declares this type in TypeScript from this definition.
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum OnPasswordChange {
    /// They keep working (as in Entra ID).
    #[default]
    Keep,
    /// They are all deleted (as at Google and Apple).
    RevokeAll,
}

/// Tenant-wide settings. Fields added later default when absent, so stored settings keep loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// When false, no new app passwords are created; existing ones still verify (as in Entra ID).
    pub app_passwords_allowed: bool,
    /// Most app passwords per user.
    pub limit: u32,
    /// Longest lifetime of a new app password in days (1 to [`MAX_DAYS`]), and its lifetime when
    /// none is asked for; `None`: no bound, and no expiry unless asked.
    #[serde(default)]
    pub max_lifetime_days: Option<u32>,
    /// An app password not used for this many days (counted from creation if never used) stops
    /// verifying; `None`: never.
    #[serde(default)]
    pub expire_unused_after_days: Option<u32>,
    /// What a change of the user's main password does to the app passwords.
    #[serde(default)]
    pub on_password_change: OnPasswordChange,
    /// Verify through the user's object instead of the eventually consistent KV, so a deletion is
    /// effective everywhere at once (at the cost of a Durable Object call per login).
    #[serde(default)]
    pub strict_revocation: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            app_passwords_allowed: true,
            limit: DEFAULT_LIMIT,
            max_lifetime_days: None,
            expire_unused_after_days: None,
            on_password_change: OnPasswordChange::Keep,
            strict_revocation: false,
        }
    }
}

impl Settings {
    /// Checks the settings are within range.
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] unless `1 <= limit <= MAX_LIMIT` and each day count set is
    /// between 1 and [`MAX_DAYS`].
    pub fn validate(self) -> Result<Self> {
        let days_ok = |d: Option<u32>| d.is_none_or(|d| (1..=MAX_DAYS).contains(&d));
        if (1..=MAX_LIMIT).contains(&self.limit)
            && days_ok(self.max_lifetime_days)
            && days_ok(self.expire_unused_after_days)
        {
            Ok(self)
        } else {
            Err(Error::InvalidSettings)
        }
    }

    /// When a new app password created at `now` expires: after `requested_days` if given, else
    /// after the tenant's maximum lifetime, else never.
    ///
    /// ```
    /// use app_passwords::domain::rules::{DAY_SECS, Settings};
    /// let bounded = Settings { max_lifetime_days: Some(90), ..Settings::default() };
    /// assert_eq!(bounded.expires_at(None, 0), Ok(Some(90 * DAY_SECS)));
    /// assert_eq!(bounded.expires_at(Some(30), 0), Ok(Some(30 * DAY_SECS)));
    /// assert!(bounded.expires_at(Some(91), 0).is_err());
    /// assert_eq!(Settings::default().expires_at(None, 0), Ok(None));
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidExpiry`] (with the largest allowed) unless `1 <= requested_days <=` the
    /// tenant's maximum, or [`MAX_DAYS`] without one.
    pub fn expires_at(self, requested_days: Option<u32>, now: i64) -> Result<Option<i64>> {
        let max_days = self.max_lifetime_days.unwrap_or(MAX_DAYS);
        let days = match requested_days {
            Some(d) if d == 0 || d > max_days => return Err(Error::InvalidExpiry { max_days }),
            Some(d) => d,
            None => match self.max_lifetime_days {
                Some(d) => d,
                None => return Ok(None),
            },
        };
        Ok(Some(now.saturating_add(i64::from(days) * DAY_SECS)))
    }

    /// Whether an app password with these times has reached its end at `now`: its expiry, or
    /// [`Self::expire_unused_after_days`] since its last use (or creation, if never used).
    #[must_use]
    pub fn is_expired(
        self,
        created_at: i64,
        last_used_at: Option<i64>,
        expires_at: Option<i64>,
        now: i64,
    ) -> bool {
        let idle = self.expire_unused_after_days.is_some_and(|days| {
            let since = last_used_at.unwrap_or(created_at);
            now.saturating_sub(since) >= i64::from(days) * DAY_SECS
        });
        idle || expires_at.is_some_and(|at| now >= at)
    }
}

/// A protocol an app password may be used with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
// The npm package declares this type in TypeScript from this definition.
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
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
    // Each new value goes to its place: the sets are small (a few protocols or scopes), and no
    // generic sort is linked into the wasm.
    let mut out: Vec<T> = Vec::new();
    for name in names {
        let value = parse(name.as_ref())?;
        if let Err(place) = out.binary_search(&value) {
            out.insert(place, value);
        }
    }
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
    /// [`hash::secret_id`] of the server secret the lookup key and hash were made with (absent
    /// in entries stored before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
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
    /// Creation time (for expire-if-unused; 0 in copies stored before it was kept).
    #[serde(default)]
    pub created_at: i64,
    /// Last use as of when this copy was written: may lag the user's record by up to
    /// [`USE_PUBLISH_INTERVAL_SECS`], so a refusal as unused should be confirmed from the record.
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// Argon2id PHC string.
    pub phc: String,
}

impl Credential {
    /// Whether its expiry has passed at `now`. Unlike last use, a copy's expiry is never stale,
    /// so such a refusal needs no confirming from the user's record.
    #[must_use]
    pub fn past_expiry(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether a verifier that just accepted this copy at `now` should send the use on to be
    /// written into it: only while the tenant expires unused app passwords, and only when the
    /// copy's last use is [`USE_PUBLISH_INTERVAL_SECS`] old, so copies are rewritten about once
    /// a day per app password at most.
    #[must_use]
    pub fn use_worth_publishing(&self, settings: &Settings, now: i64) -> bool {
        settings.expire_unused_after_days.is_some()
            && now.saturating_sub(self.last_used_at.unwrap_or(self.created_at))
                >= USE_PUBLISH_INTERVAL_SECS
    }
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

/// The checks of [`check_credential`] besides the password: owner, expiry (including unused for the
/// tenant's `expire_unused_after_days`), scope. Alone, for a credential whose password was already
/// proven (found in a login cache under its lookup key).
///
/// # Errors
/// [`Rejection::Unknown`] for another owner, [`Rejection::Expired`], [`Rejection::ScopeDenied`].
pub fn check_claims(
    credential: &Credential,
    user: &str,
    protocol: Option<Protocol>,
    settings: &Settings,
    now: i64,
) -> Result<(), Rejection> {
    if !hash::constant_time_eq(credential.user.as_bytes(), user.as_bytes()) {
        return Err(Rejection::Unknown);
    }
    let c = credential;
    if settings.is_expired(c.created_at, c.last_used_at, c.expires_at, now) {
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

/// Checks a found credential against the login attempt: owner, expiry (including unused for the
/// tenant's `expire_unused_after_days`), scope, then Argon2id.
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
    settings: &Settings,
    now: i64,
) -> Result<(), Rejection> {
    check_claims(credential, user, protocol, settings, now)?;
    match hash::verify(password, &credential.phc, secret) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(Rejection::Unknown),
    }
}

/// A login attempt, composed once for every shell: normalise the typed password, compute the lookup
/// key, check the credential found under it, then decide on a re-hash.
///
/// The lookup is the caller's I/O (a login cache, a KV read or the user's object in the Worker, a
/// scan of the record in [`UserRecord::verify`]), so the sequence is split around it:
///
/// 1. [`Login::start`] normalises (garbage is refused before any storage read) and computes the
///    lookup key once, under the current server secret.
/// 2. The caller reads the credential stored under [`Login::lookup_key`]; during a secret rotation,
///    when nothing is there, [`Login::fall_back`] switches to the previous secret's key.
/// 3. [`Login::check`] says what the copy that was read proves ([`Verdict`]), given where it came
///    from ([`Found`]): a remembered copy needs no Argon2, a verifier's copy may lag on last use.
/// 4. [`Login::upkeep`] says what the store should do after an accepted login ([`Upkeep`]).
///
/// ```
/// # use app_passwords::domain::{rules::{Login, UserId}, ServerSecret, HashParams};
/// # let secret = ServerSecret::new(b"0123456789abcdef").unwrap();
/// let user = UserId::new("alice").unwrap();
/// let login = Login::start(&user, "not a password", &secret);
/// assert_eq!(login.unwrap_err().code(), "malformed_password");
/// ```
pub struct Login<'a> {
    user: &'a UserId,
    password: Password,
    /// The lookup key under the current secret.
    lookup_key: String,
    /// The secret the credential is checked with: the current one, or the previous one after
    /// [`Login::fall_back`].
    secret: &'a ServerSecret,
    /// The lookup key under the previous secret, after [`Login::fall_back`].
    previous_key: Option<String>,
}

/// Where the copy of a credential given to [`Login::check`] was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// The user's own record: always current.
    Record,
    /// A verifier's copy (KV): its last use may lag the record by up to
    /// [`USE_PUBLISH_INTERVAL_SECS`].
    Published,
    /// A copy remembered under this very lookup key after Argon2id accepted it (a login cache):
    /// finding it proves the password, so only the claims are checked. Its last use may lag too.
    Remembered,
}

/// What one copy of a credential says about a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The login is accepted.
    Accepted,
    /// The login is refused.
    Refused(Rejection),
    /// Refused as unused by a copy whose last use may lag: ask a current copy (a remembered copy:
    /// go the full way; a published copy: the user's record) before refusing.
    Confirm,
}

/// What the store should do after a login was accepted, while the plaintext is at hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upkeep {
    /// Nothing.
    None,
    /// The stored hash was made with other parameters: hash the password again.
    Rehash,
    /// The credential is still keyed with the previous server secret: key and hash it again
    /// under the current one.
    Rekey,
}

impl<'a> Login<'a> {
    /// Normalises `input` (no storage read for garbage) and computes its lookup key for `user`.
    ///
    /// # Errors
    /// [`Rejection::Malformed`] or [`Rejection::BadChecksum`].
    pub fn start(
        user: &'a UserId,
        input: &str,
        secret: &'a ServerSecret,
    ) -> Result<Self, Rejection> {
        let password = format::normalize(input).map_err(Rejection::from_format)?;
        let lookup_key = hash::lookup_key(user.as_str(), &password, secret);
        Ok(Self {
            user,
            password,
            lookup_key,
            secret,
            previous_key: None,
        })
    }

    /// Where the credential is stored under the current secret: [`hash::lookup_key`] of (user,
    /// password). Also the key a login cache remembers it under, whichever secret found it.
    #[must_use]
    pub fn lookup_key(&self) -> &str {
        &self.lookup_key
    }

    /// The user logging in.
    #[must_use]
    pub fn user(&self) -> &UserId {
        self.user
    }

    /// The normalised password, for a re-hash or re-key command; never store or log it.
    #[must_use]
    pub fn password(&self) -> &Password {
        &self.password
    }

    /// During a server-secret rotation, when nothing was found under [`Self::lookup_key`]: the
    /// lookup key under `previous`. From then on the credential is checked with `previous`, and
    /// [`Self::upkeep`] asks for a re-key.
    pub fn fall_back(&mut self, previous: &'a ServerSecret) -> &str {
        self.secret = previous;
        self.previous_key.insert(hash::lookup_key(
            self.user.as_str(),
            &self.password,
            previous,
        ))
    }

    /// The lookup key the credential is read under now: the previous secret's after
    /// [`Self::fall_back`], else [`Self::lookup_key`].
    #[must_use]
    pub fn read_key(&self) -> &str {
        self.previous_key.as_deref().unwrap_or(&self.lookup_key)
    }

    /// Checks a copy of the credential found under [`Self::read_key`]: owner, expiry, scope, then
    /// (unless the copy is [`Found::Remembered`]) Argon2id — at most one run. A refusal as unused by
    /// a copy that may lag (not past its fixed expiry) is [`Verdict::Confirm`].
    #[must_use]
    pub fn check(
        &self,
        credential: &Credential,
        found: Found,
        protocol: Option<Protocol>,
        settings: &Settings,
        now: i64,
    ) -> Verdict {
        let user = self.user.as_str();
        let checked = match found {
            Found::Remembered => check_claims(credential, user, protocol, settings, now),
            Found::Record | Found::Published => check_credential(
                credential,
                user,
                &self.password,
                protocol,
                self.secret,
                settings,
                now,
            ),
        };
        match checked {
            Ok(()) => Verdict::Accepted,
            Err(Rejection::Expired) if found != Found::Record && !credential.past_expiry(now) => {
                Verdict::Confirm
            }
            Err(reason) => Verdict::Refused(reason),
        }
    }

    /// The upkeep after [`Self::check`] accepted `credential` (as `found`), given the parameters
    /// new hashes use: a re-key when it was found under the previous secret (that re-hashes too);
    /// a re-hash when its hash was made with other parameters — but not after a remembered copy,
    /// whose hash may already have been replaced (the next full login decides).
    #[must_use]
    pub fn upkeep(&self, credential: &Credential, found: Found, params: HashParams) -> Upkeep {
        if self.previous_key.is_some() {
            Upkeep::Rekey
        } else if found != Found::Remembered && hash::needs_rehash(&credential.phc, params) {
            Upkeep::Rehash
        } else {
            Upkeep::None
        }
    }

    /// Checks the credential found under [`Self::read_key`] in the user's own record (`None`:
    /// nothing was found) with [`check_credential`]. At most one Argon2 run.
    ///
    /// # Errors
    /// The [`Rejection`] reason.
    pub fn finish(
        &self,
        credential: Option<&Credential>,
        protocol: Option<Protocol>,
        settings: &Settings,
        now: i64,
    ) -> Result<(), Rejection> {
        let credential = credential.ok_or(Rejection::Unknown)?;
        match self.check(credential, Found::Record, protocol, settings, now) {
            Verdict::Accepted => Ok(()),
            Verdict::Refused(reason) => Err(reason),
            // A record's copy is current: never asked to confirm; refused as expired if it were.
            Verdict::Confirm => Err(Rejection::Expired),
        }
    }
}

impl core::fmt::Debug for Login<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Login")
            .field("user", self.user)
            .finish_non_exhaustive()
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
///
/// There is no default record: a record always belongs to a checked [`UserId`], and a stored record
/// that does not deserialise is an error for the shell to report, never an empty record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user's id.
    pub user: UserId,
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
    pub fn new(user: UserId) -> Self {
        Self {
            user,
            mfa_enabled: false,
            app_passwords: Vec::new(),
        }
    }

    /// Creates an app password named `name`, expiring after the tenant's maximum lifetime if it
    /// sets one.
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
        self.create_expiring(name, scopes, None, ctx, rng)
    }

    /// Like [`Self::create`], expiring `expires_in_days` days from `ctx.now` (1 to the tenant's
    /// `max_lifetime_days`, or [`MAX_DAYS`]); `None` means the tenant's maximum, or never.
    ///
    /// # Errors
    /// As [`Self::create`], with [`Error::InvalidExpiry`] after [`Error::InvalidName`].
    pub fn create_expiring(
        &mut self,
        name: &str,
        scopes: Vec<Protocol>,
        expires_in_days: Option<u32>,
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
        let expires_at = ctx.settings.expires_at(expires_in_days, ctx.now)?;
        let limit = ctx.settings.limit;
        if self.app_passwords.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            return Err(Error::LimitReached { limit });
        }
        let key = name_key(&name);
        if self.app_passwords.iter().any(|e| name_key(&e.name) == key) {
            return Err(Error::NameTaken);
        }
        let password = Password::generate(rng)?;
        let entry = Entry {
            id: self.new_id(rng)?,
            name,
            created_at: ctx.now,
            scopes,
            last_used_at: None,
            last_used_protocol: None,
            last_used_ip: None,
            expires_at,
            lookup_key: hash::lookup_key(self.user.as_str(), &password, ctx.secret),
            phc: hash::hash(&password, ctx.secret, ctx.params, rng)?,
            secret_id: Some(hash::secret_id(ctx.secret)),
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
            user: self.user.as_str().to_owned(),
            id: entry.id.clone(),
            name: entry.name.clone(),
            scopes: entry.scopes.clone(),
            expires_at: entry.expires_at,
            created_at: entry.created_at,
            last_used_at: entry.last_used_at,
            phc: entry.phc.clone(),
        }
    }

    /// The credential stored under `lookup_key`, read from the record itself (always current,
    /// unlike a copy in KV); `None` when there is none or MFA is off.
    #[must_use]
    pub fn find_credential(&self, lookup_key: &str) -> Option<Credential> {
        let entry = self
            .app_passwords
            .iter()
            .find(|e| hash::constant_time_eq(e.lookup_key.as_bytes(), lookup_key.as_bytes()))?;
        self.mfa_enabled.then(|| self.credential(entry))
    }

    /// Applies the tenant's policy after the user's main password changed: under
    /// [`OnPasswordChange::RevokeAll`] every app password is deleted and returned; under
    /// [`OnPasswordChange::Keep`] nothing changes.
    pub fn on_password_change(&mut self, policy: OnPasswordChange) -> Vec<Entry> {
        match policy {
            OnPasswordChange::Keep => Vec::new(),
            OnPasswordChange::RevokeAll => self.delete_all(),
        }
    }

    /// Re-keys an app password that verified under the `previous` server secret: new lookup key
    /// and hash under `ctx.secret` (with `ctx.params`). Checks first that `password` is the one
    /// stored under the previous secret, so a caller cannot attach another password to the entry.
    /// Returns the entry as it was (its old lookup key is to be removed), or `None` when nothing
    /// changed.
    ///
    /// # Errors
    /// [`Error::NotFound`]; hashing errors.
    pub fn rekey(
        &mut self,
        id: &str,
        password: &Password,
        previous: &ServerSecret,
        ctx: &Context<'_>,
        rng: &mut impl Entropy,
    ) -> Result<Option<Entry>> {
        let old_key = hash::lookup_key(self.user.as_str(), password, previous);
        let new_key = hash::lookup_key(self.user.as_str(), password, ctx.secret);
        let entry = self
            .app_passwords
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or(Error::NotFound)?;
        if !hash::constant_time_eq(entry.lookup_key.as_bytes(), old_key.as_bytes())
            || !hash::verify(password, &entry.phc, previous).unwrap_or(false)
        {
            return Ok(None);
        }
        let before = entry.clone();
        entry.phc = hash::hash(password, ctx.secret, ctx.params, rng)?;
        entry.lookup_key = new_key;
        entry.secret_id = Some(hash::secret_id(ctx.secret));
        Ok(Some(before))
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
        settings: &Settings,
        now: i64,
    ) -> Result<&Entry, Rejection> {
        let login = Login::start(&self.user, input, secret)?;
        if !self.mfa_enabled {
            return Err(Rejection::MfaRequired);
        }
        let key = login.lookup_key().as_bytes();
        let entry = self
            .app_passwords
            .iter()
            .find(|e| hash::constant_time_eq(e.lookup_key.as_bytes(), key));
        let credential = entry.map(|e| self.credential(e));
        login.finish(credential.as_ref(), protocol, settings, now)?;
        entry.ok_or(Rejection::Unknown)
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
        if !use_due(entry.last_used_at, now) {
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

// Writers of our own JSON (see `to_json`): exactly what the derived `Serialize` writes.
crate::json_name!(OnPasswordChange { Keep => "keep", RevokeAll => "revoke_all" });
crate::json_name!(Protocol { Imap => "imap", Smtp => "smtp", Pop => "pop", Eas => "eas", Dav => "dav" });
crate::json_object!(Settings {
    app_passwords_allowed,
    limit,
    max_lifetime_days,
    expire_unused_after_days,
    on_password_change,
    strict_revocation
});
crate::json_object!(Entry {
    id,
    name,
    created_at,
    scopes,
    last_used_at,
    last_used_protocol,
    last_used_ip,
    expires_at,
    lookup_key,
    phc,
    ?secret_id
});
crate::json_object!(Summary {
    id,
    name,
    created_at,
    last_used_at,
    last_used_protocol,
    last_used_ip,
    scopes,
    expires_at
});
crate::json_object!(Credential {
    user,
    id,
    name,
    scopes,
    expires_at,
    created_at,
    last_used_at,
    phc
});
crate::json_object!(UserRecord {
    user,
    mfa_enabled,
    app_passwords
});

// Readers of our own JSON (see `fields`): the forms the derived `Serialize` above writes, and
// every older one the derived `Deserialize` reads.
impl FromJson for OnPasswordChange {
    fn from_json(value: Value) -> fields::Result<Self> {
        fields::unit_variant(&[Self::Keep, Self::RevokeAll], &value)
    }
}

impl FromJson for Protocol {
    fn from_json(value: Value) -> fields::Result<Self> {
        fields::unit_variant(&Self::ALL, &value)
    }
}

impl FromJson for Settings {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        let settings = Self {
            app_passwords_allowed: f.get("app_passwords_allowed")?,
            limit: f.get("limit")?,
            max_lifetime_days: f.get("max_lifetime_days")?,
            expire_unused_after_days: f.get("expire_unused_after_days")?,
            on_password_change: f.or_default("on_password_change")?,
            strict_revocation: f.or_default("strict_revocation")?,
        };
        f.no_others()?;
        Ok(settings)
    }
}

impl FromJson for Entry {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            id: f.get("id")?,
            name: f.get("name")?,
            created_at: f.get("created_at")?,
            scopes: f.or_default("scopes")?,
            last_used_at: f.get("last_used_at")?,
            last_used_protocol: f.get("last_used_protocol")?,
            last_used_ip: f.get("last_used_ip")?,
            expires_at: f.get("expires_at")?,
            lookup_key: f.get("lookup_key")?,
            phc: f.get("phc")?,
            secret_id: f.get("secret_id")?,
        })
    }
}

impl FromJson for Credential {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            user: f.get("user")?,
            id: f.get("id")?,
            name: f.get("name")?,
            scopes: f.or_default("scopes")?,
            expires_at: f.get("expires_at")?,
            created_at: f.or_default("created_at")?,
            last_used_at: f.get("last_used_at")?,
            phc: f.get("phc")?,
        })
    }
}

impl FromJson for UserRecord {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            user: f.get("user")?,
            mfa_enabled: f.or_default("mfa_enabled")?,
            app_passwords: f.or_default("app_passwords")?,
        })
    }
}
