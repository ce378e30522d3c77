//! Repeated logins: a long-lived process (a Worker isolate) remembers, for a short while, the
//! credentials it has just verified with Argon2id, so a mail client logging in many times a minute
//! costs one Argon2 run and one storage read per TTL instead of one per login.
//!
//! The cache is keyed by the credential's lookup key — HMAC-SHA-256 under the server secret of
//! (user, normalised password), see [`super::hash::lookup_key`] — so finding an entry proves the
//! password as well as the storage read plus Argon2 did; no plaintext and no hash of the password
//! alone is kept. What a hit skips is only the storage read and the Argon2 run: the caller still
//! checks owner, expiry and scope with [`super::rules::check_claims`].
//!
//! Entries live at most [`MAX_TTL_SECS`] (the staleness bound of the store: KV serves a deleted key
//! for up to 60 s), the least recently used is dropped past the capacity, and a change to a user's
//! credentials seen by this process drops that user's entries and keeps them out for
//! [`MAX_TTL_SECS`] (so a stale storage read cannot put a revoked credential back).

use super::keyed::Keyed;
use super::rules::Credential;
use super::throttle::Blocklist;

/// Longest time an entry is trusted, in seconds (KV's own staleness bound).
pub const MAX_TTL_SECS: i64 = 60;
/// TTL when none is configured.
pub const DEFAULT_TTL_SECS: i64 = 60;
/// Most entries one cache holds (a few hundred bytes each).
pub const CAPACITY: usize = 10_000;

/// Reads a configured TTL in seconds: `None` (not configured) is [`DEFAULT_TTL_SECS`], values above
/// [`MAX_TTL_SECS`] are [`MAX_TTL_SECS`], `0` turns the cache off. `Err(())` when the text is not a
/// whole number ≥ 0.
///
/// ```
/// use app_passwords::domain::login_cache::parse_ttl;
/// assert_eq!(parse_ttl(None), Ok(60));
/// assert_eq!(parse_ttl(Some(" 5 ")), Ok(5));
/// assert_eq!(parse_ttl(Some("3600")), Ok(60));
/// assert_eq!(parse_ttl(Some("0")), Ok(0));
/// assert_eq!(parse_ttl(Some("-1")), Err(()));
/// ```
///
/// # Errors
/// `Err(())` for anything but a whole number ≥ 0.
#[allow(clippy::result_unit_err)]
pub fn parse_ttl(text: Option<&str>) -> Result<i64, ()> {
    match text {
        None => Ok(DEFAULT_TTL_SECS),
        Some(t) => t
            .trim()
            .parse::<u64>()
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX).min(MAX_TTL_SECS))
            .map_err(|_| ()),
    }
}

#[derive(Debug)]
struct Slot {
    credential: Credential,
    expires_at: i64,
    /// Position in the recency order.
    tick: u64,
}

/// Verified credentials by lookup key, with expiry, least-recently-used eviction and invalidation by
/// user. Time is an argument (seconds since the Unix epoch).
#[derive(Debug)]
pub struct LoginCache {
    capacity: usize,
    entries: Keyed<Slot>,
    next_tick: u64,
    /// Users whose credentials changed here recently: nothing of theirs is cached until then.
    quiet: Blocklist,
    hits: u64,
}

impl LoginCache {
    /// An empty cache holding at most `capacity` entries.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Keyed::default(),
            next_tick: 0,
            quiet: Blocklist::default(),
            hits: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        self.next_tick = self.next_tick.wrapping_add(1);
        self.next_tick
    }

    fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// The key used least recently. A scan, not an order kept on the side: it runs only when an
    /// insertion finds the cache full, right after an Argon2 run that costs far more (and one
    /// ordered map less keeps the wasm smaller, issue 13).
    fn least_recent(&self) -> Option<String> {
        self.entries
            .iter()
            .min_by_key(|(_, slot)| slot.tick)
            .map(|(key, _)| key.clone())
    }

    /// The credential remembered under `lookup_key`, if it has not expired at `now` (then it
    /// becomes the most recently used and counts as a hit).
    pub fn get(&mut self, lookup_key: &str, now: i64) -> Option<Credential> {
        let expires_at = self.entries.get(lookup_key)?.expires_at;
        if now >= expires_at {
            self.remove(lookup_key);
            return None;
        }
        let tick = self.tick();
        let slot = self.entries.get_mut(lookup_key)?;
        slot.tick = tick;
        self.hits = self.hits.saturating_add(1);
        Some(slot.credential.clone())
    }

    /// Remembers a credential just verified with Argon2id under its lookup key until `now + ttl`
    /// (`ttl` capped at [`MAX_TTL_SECS`]; `ttl <= 0` remembers nothing, and so does a user whose
    /// credentials changed here in the last [`MAX_TTL_SECS`]).
    pub fn insert(&mut self, lookup_key: &str, credential: Credential, now: i64, ttl: i64) {
        if ttl <= 0 || self.capacity == 0 || self.quiet.blocked(&credential.user, now).is_some() {
            return;
        }
        self.remove(lookup_key);
        while self.entries.len() >= self.capacity {
            let Some(oldest) = self.least_recent() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        let tick = self.tick();
        self.entries.insert(
            lookup_key.to_owned(),
            Slot {
                credential,
                expires_at: now.saturating_add(ttl.min(MAX_TTL_SECS)),
                tick,
            },
        );
    }

    /// Drops every entry of `user` (their credentials changed at `now`) and caches none of theirs
    /// for [`MAX_TTL_SECS`].
    pub fn forget_user(&mut self, user: &str, now: i64) {
        let keys: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, slot)| slot.credential.user == user)
            .map(|(key, _)| key.clone())
            .collect();
        for key in keys {
            self.remove(&key);
        }
        self.quiet
            .block(user, now, now.saturating_add(MAX_TTL_SECS));
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// How many lookups were answered from the cache.
    #[must_use]
    pub const fn hits(&self) -> u64 {
        self.hits
    }

    /// How many entries are held (expired ones included until looked up or evicted).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn cred(user: &str, id: &str) -> Credential {
        Credential {
            user: user.into(),
            id: id.into(),
            name: "Phone".into(),
            scopes: Vec::new(),
            expires_at: None,
            created_at: 0,
            last_used_at: None,
            phc: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$dGFn".into(),
        }
    }

    #[test]
    fn a_remembered_credential_is_found_until_its_ttl_ends() {
        let mut cache = LoginCache::new(10);
        assert_eq!(cache.get("k", 100), None);
        cache.insert("k", cred("alice", "a1"), 100, 30);
        assert_eq!(cache.get("k", 100).map(|c| c.id), Some("a1".into()));
        assert_eq!(cache.get("k", 129).map(|c| c.id), Some("a1".into()));
        assert_eq!(cache.hits(), 2);
        assert_eq!(cache.get("k", 130), None);
        assert!(cache.is_empty(), "an expired entry is dropped when found");
        assert_eq!(cache.hits(), 2);
    }

    #[test]
    fn the_ttl_is_capped_at_sixty_seconds_and_zero_remembers_nothing() {
        let mut cache = LoginCache::new(10);
        cache.insert("k", cred("alice", "a1"), 0, 3600);
        assert!(cache.get("k", MAX_TTL_SECS - 1).is_some());
        assert_eq!(cache.get("k", MAX_TTL_SECS), None);
        cache.insert("z", cred("alice", "a1"), 0, 0);
        cache.insert("n", cred("alice", "a1"), 0, -5);
        assert!(cache.is_empty());
    }

    #[test]
    fn past_capacity_the_least_recently_used_entry_goes() {
        let mut cache = LoginCache::new(3);
        cache.insert("a", cred("u", "1"), 0, 60);
        cache.insert("b", cred("u", "2"), 0, 60);
        cache.insert("c", cred("u", "3"), 0, 60);
        // "a" is used again, so "b" is now the least recently used.
        assert!(cache.get("a", 1).is_some());
        cache.insert("d", cred("u", "4"), 1, 60);
        assert_eq!(cache.len(), 3);
        assert!(cache.get("b", 2).is_none());
        for key in ["a", "c", "d"] {
            assert!(cache.get(key, 2).is_some(), "{key}");
        }
        // Re-inserting a key replaces it without growing.
        cache.insert("d", cred("u", "5"), 2, 60);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("d", 2).map(|c| c.id), Some("5".into()));
        // Uses since: "a", "c", then "d" (re-inserted and read): "a" goes next.
        cache.insert("e", cred("u", "6"), 2, 60);
        assert!(cache.get("a", 2).is_none());
        for key in ["c", "d", "e"] {
            assert!(cache.get(key, 2).is_some(), "{key}");
        }
    }

    #[test]
    fn forgetting_a_user_drops_only_theirs_and_keeps_them_out_for_sixty_seconds() {
        let mut cache = LoginCache::new(10);
        cache.insert("a1", cred("alice", "1"), 0, 60);
        cache.insert("a2", cred("alice", "2"), 0, 60);
        cache.insert("b1", cred("bob", "3"), 0, 60);
        cache.forget_user("alice", 10);
        assert!(cache.get("a1", 10).is_none());
        assert!(cache.get("a2", 10).is_none());
        assert!(cache.get("b1", 10).is_some());
        // A stale read of the store must not bring a revoked credential back.
        cache.insert("a1", cred("alice", "1"), 11, 60);
        assert!(cache.get("a1", 11).is_none());
        cache.insert("a1", cred("alice", "1"), 10 + MAX_TTL_SECS, 60);
        assert!(cache.get("a1", 10 + MAX_TTL_SECS).is_some());
    }

    #[test]
    fn clear_drops_everything() {
        let mut cache = LoginCache::new(10);
        cache.insert("a", cred("alice", "1"), 0, 60);
        cache.clear();
        assert!(cache.get("a", 0).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn the_ttl_setting_parses_whole_seconds() {
        assert_eq!(parse_ttl(None), Ok(DEFAULT_TTL_SECS));
        assert_eq!(parse_ttl(Some("2")), Ok(2));
        assert_eq!(parse_ttl(Some("61")), Ok(MAX_TTL_SECS));
        assert_eq!(parse_ttl(Some("99999999999999999999")), Err(()));
        for bad in ["", "x", "1.5", "-1", "1s"] {
            assert_eq!(parse_ttl(Some(bad)), Err(()), "{bad}");
        }
    }
}
