//! Server-side sessions of the self-service page.
//!
//! A session is a random 256-bit id in the browser's cookie, next to the user it belongs to:
//! `__Host-ap_session=<base64url(user)>.<base64url(id)>`. The user's record keeps only
//! SHA-256(id) → [`SessionTimes`], so a leaked store cannot be replayed as cookies, and deleting
//! an entry ends that session at once. A session ends after [`SessionPolicy::idle_secs`] without
//! use or [`SessionPolicy::max_secs`] after sign-in, whichever comes first.

use super::error::{Error, Result};
use super::fields::{self, Fields, FromJson};
use super::hash::hex;
use super::keyed::Keyed;
use super::random::Entropy;
use super::rules::valid_user;
use super::to_json::ToJson;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Default idle timeout: 30 minutes.
pub const DEFAULT_IDLE_SECS: i64 = 30 * 60;
/// Default absolute lifetime: 8 hours.
pub const DEFAULT_MAX_SECS: i64 = 8 * 3600;
/// Longest configurable lifetime: 30 days.
pub const LONGEST_SECS: i64 = 30 * 24 * 3600;
/// Sessions one user may hold at once; signing in beyond it ends the oldest.
pub const MAX_SESSIONS_PER_USER: usize = 20;
/// Last use is written at most this often (an idle session may end up to this much early).
pub const TOUCH_INTERVAL_SECS: i64 = 60;

/// How long sessions last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    /// A session unused this long has ended (`SESSION_IDLE_SECS`).
    pub idle_secs: i64,
    /// A session this old has ended, used or not (`SESSION_MAX_SECS`).
    pub max_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_secs: DEFAULT_IDLE_SECS,
            max_secs: DEFAULT_MAX_SECS,
        }
    }
}

impl SessionPolicy {
    /// A policy from configuration (`None` = the default).
    ///
    /// # Errors
    /// [`Error::InvalidSettings`] unless `1 ≤ idle ≤ max ≤` [`LONGEST_SECS`].
    pub fn new(idle_secs: Option<i64>, max_secs: Option<i64>) -> Result<Self> {
        let policy = Self {
            idle_secs: idle_secs.unwrap_or(DEFAULT_IDLE_SECS),
            max_secs: max_secs.unwrap_or(DEFAULT_MAX_SECS),
        };
        let ok = policy.idle_secs >= 1
            && policy.max_secs <= LONGEST_SECS
            && policy.idle_secs <= policy.max_secs;
        if ok {
            Ok(policy)
        } else {
            Err(Error::InvalidSettings)
        }
    }

    /// How often to record a use: a tenth of the idle time, between 1 s and
    /// [`TOUCH_INTERVAL_SECS`].
    const fn touch_interval(self) -> i64 {
        let tenth = self.idle_secs / 10;
        if tenth < 1 {
            1
        } else if tenth > TOUCH_INTERVAL_SECS {
            TOUCH_INTERVAL_SECS
        } else {
            tenth
        }
    }
}

/// When a session started and was last used, seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTimes {
    /// Sign-in time.
    pub created_at: i64,
    /// Last recorded use.
    pub last_seen_at: i64,
}

impl SessionTimes {
    /// Whether this session is still valid at `now` under `policy`.
    #[must_use]
    pub const fn alive(&self, now: i64, policy: SessionPolicy) -> bool {
        now.saturating_sub(self.last_seen_at) < policy.idle_secs
            && now.saturating_sub(self.created_at) < policy.max_secs
    }
}

/// One user's sessions, keyed by [`SessionId::key`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions(Keyed<SessionTimes>);

impl Sessions {
    /// Records a new session at `now`; drops ended ones and, past [`MAX_SESSIONS_PER_USER`], the
    /// oldest.
    pub fn start(&mut self, key: String, now: i64, policy: SessionPolicy) {
        self.0.retain(|_, t| t.alive(now, policy));
        while self.0.len() >= MAX_SESSIONS_PER_USER {
            let oldest = self
                .0
                .iter()
                .min_by_key(|(_, t)| t.created_at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.0.remove(&k),
                None => break,
            };
        }
        self.0.insert(
            key,
            SessionTimes {
                created_at: now,
                last_seen_at: now,
            },
        );
    }

    /// Checks the session `key` at `now` and records the use. Returns whether the record changed
    /// (and should be saved): an ended session is removed, a use is written at most once per
    /// touch interval.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`] for an unknown key (never issued, signed out),
    /// [`Error::SessionExpired`] for an idle or too old session.
    pub fn check(&mut self, key: &str, now: i64, policy: SessionPolicy) -> Result<bool> {
        let times = self.0.get_mut(key).ok_or(Error::SessionInvalid)?;
        if !times.alive(now, policy) {
            self.0.remove(key);
            return Err(Error::SessionExpired);
        }
        if now.saturating_sub(times.last_seen_at) >= policy.touch_interval() {
            times.last_seen_at = now;
            return Ok(true);
        }
        Ok(false)
    }

    /// Ends one session; returns whether it existed.
    pub fn end(&mut self, key: &str) -> bool {
        self.0.remove(key).is_some()
    }

    /// Ends every session of the user; returns how many there were.
    pub fn end_all(&mut self) -> usize {
        let n = self.0.len();
        self.0.clear();
        n
    }

    /// How many sessions are recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A session id: 32 random bytes. Only its [`key`](Self::key) is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; 32]);

impl core::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionId(…)")
    }
}

impl SessionId {
    /// A fresh id.
    ///
    /// # Errors
    /// [`Error::RandomUnavailable`].
    pub fn new(entropy: &mut impl Entropy) -> Result<Self> {
        let mut id = [0u8; 32];
        entropy.fill(&mut id)?;
        Ok(Self(id))
    }

    /// The storage key: lowercase hex of SHA-256(id).
    #[must_use]
    pub fn key(&self) -> String {
        hex(&Sha256::digest(self.0))
    }

    /// The cookie value for `user`: `base64url(user).base64url(id)`.
    #[must_use]
    pub fn cookie_value(&self, user: &str) -> String {
        format!(
            "{}.{}",
            Base64UrlUnpadded::encode_string(user.as_bytes()),
            Base64UrlUnpadded::encode_string(&self.0)
        )
    }

    /// Reads a cookie value back into the user and the id.
    ///
    /// # Errors
    /// [`Error::SessionInvalid`] for anything [`Self::cookie_value`] would not produce.
    pub fn parse_cookie(value: &str) -> Result<(String, Self)> {
        let (user, id) = value.split_once('.').ok_or(Error::SessionInvalid)?;
        if user.len() > 400 || id.len() != 43 {
            return Err(Error::SessionInvalid);
        }
        let user = Base64UrlUnpadded::decode_vec(user)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|u| valid_user(u))
            .ok_or(Error::SessionInvalid)?;
        let mut bytes = [0u8; 32];
        Base64UrlUnpadded::decode(id, &mut bytes).map_err(|_| Error::SessionInvalid)?;
        Ok((user, Self(bytes)))
    }
}

// Writers of our own JSON (see `to_json`): exactly what the derived `Serialize` writes.
crate::json_object!(SessionPolicy {
    idle_secs,
    max_secs
});
crate::json_object!(SessionTimes {
    created_at,
    last_seen_at
});
impl ToJson for Sessions {
    fn write_json(&self, out: &mut String) {
        self.0.write_json(out);
    }
}

// Readers of our own JSON (see `fields`), for the forms the derived `Serialize` writes.
impl FromJson for SessionPolicy {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            idle_secs: f.get("idle_secs")?,
            max_secs: f.get("max_secs")?,
        })
    }
}

impl FromJson for SessionTimes {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            created_at: f.get("created_at")?,
            last_seen_at: f.get("last_seen_at")?,
        })
    }
}

/// A newtype: the map itself.
impl FromJson for Sessions {
    fn from_json(value: Value) -> fields::Result<Self> {
        FromJson::from_json(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::TestEntropy;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: i64 = 1_790_000_000;
    const POLICY: SessionPolicy = SessionPolicy {
        idle_secs: 1800,
        max_secs: 8 * 3600,
    };

    #[test]
    fn policy_defaults_and_bounds() {
        assert_eq!(SessionPolicy::new(None, None), Ok(POLICY));
        assert!(SessionPolicy::new(Some(5), Some(10)).is_ok());
        assert_eq!(
            SessionPolicy::new(Some(0), None),
            Err(Error::InvalidSettings)
        );
        assert_eq!(
            SessionPolicy::new(Some(20), Some(10)),
            Err(Error::InvalidSettings)
        );
        assert_eq!(
            SessionPolicy::new(None, Some(LONGEST_SECS + 1)),
            Err(Error::InvalidSettings)
        );
    }

    #[test]
    fn a_session_lives_while_used_and_ends_when_idle() {
        let mut s = Sessions::default();
        s.start("k".into(), NOW, POLICY);
        // Used every 20 minutes: alive for hours, with the idle clock reset each time.
        let mut t = NOW;
        for _ in 0..10 {
            t += 1200;
            assert!(s.check("k", t, POLICY).is_ok(), "at +{}", t - NOW);
        }
        assert_eq!(s.check("k", t + 1800, POLICY), Err(Error::SessionExpired));
        assert_eq!(
            s.check("k", t + 1801, POLICY),
            Err(Error::SessionInvalid),
            "removed once ended"
        );
    }

    #[test]
    fn a_session_ends_at_the_absolute_lifetime_however_much_it_is_used() {
        let mut s = Sessions::default();
        s.start("k".into(), NOW, POLICY);
        let mut t = NOW;
        while t + 600 < NOW + POLICY.max_secs {
            t += 600;
            assert!(s.check("k", t, POLICY).is_ok());
        }
        assert_eq!(
            s.check("k", NOW + POLICY.max_secs, POLICY),
            Err(Error::SessionExpired)
        );
    }

    #[test]
    fn uses_are_written_at_most_once_per_interval() {
        let mut s = Sessions::default();
        s.start("k".into(), NOW, POLICY);
        assert_eq!(s.check("k", NOW + 59, POLICY), Ok(false));
        assert_eq!(s.check("k", NOW + 60, POLICY), Ok(true));
        assert_eq!(s.check("k", NOW + 61, POLICY), Ok(false));
        let short = SessionPolicy {
            idle_secs: 3,
            max_secs: 10,
        };
        s.start("q".into(), NOW, short);
        assert_eq!(
            s.check("q", NOW + 1, short),
            Ok(true),
            "short idle times are tracked per second"
        );
    }

    #[test]
    fn sign_out_ends_one_and_sign_out_everywhere_ends_all() {
        let mut s = Sessions::default();
        s.start("a".into(), NOW, POLICY);
        s.start("b".into(), NOW, POLICY);
        assert!(s.end("a"));
        assert!(!s.end("a"));
        assert_eq!(s.check("a", NOW, POLICY), Err(Error::SessionInvalid));
        assert!(s.check("b", NOW, POLICY).is_ok());
        assert_eq!(s.end_all(), 1);
        assert_eq!(s.check("b", NOW, POLICY), Err(Error::SessionInvalid));
    }

    #[test]
    fn sessions_per_user_are_bounded_and_the_oldest_goes_first() {
        let mut s = Sessions::default();
        for i in 0..=MAX_SESSIONS_PER_USER {
            s.start(format!("k{i}"), NOW + i as i64, POLICY);
        }
        assert_eq!(s.len(), MAX_SESSIONS_PER_USER);
        assert_eq!(s.check("k0", NOW + 30, POLICY), Err(Error::SessionInvalid));
        assert!(
            s.check(&format!("k{MAX_SESSIONS_PER_USER}"), NOW + 30, POLICY)
                .is_ok()
        );
    }

    #[test]
    fn cookie_values_round_trip_and_keys_hide_the_id() {
        let id = SessionId::new(&mut TestEntropy::new(9)).unwrap();
        let value = id.cookie_value("alice@example.com");
        let (user, back) = SessionId::parse_cookie(&value).unwrap();
        assert_eq!(user, "alice@example.com");
        assert_eq!(back, id);
        assert_eq!(id.key().len(), 64);
        assert!(!id.key().contains(value.split_once('.').unwrap().1));
        assert_ne!(
            SessionId::new(&mut TestEntropy::new(10)).unwrap().key(),
            id.key()
        );
        for bad in [
            "",
            "YWxpY2U",
            "YWxpY2U.short",
            ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                SessionId::parse_cookie(bad),
                Err(Error::SessionInvalid),
                "{bad}"
            );
        }
    }
}
