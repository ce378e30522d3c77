//! Throttled guessing: which failed logins count together, and the bounded memories a long-lived
//! process (a Worker isolate) keeps to answer "blocked?" and "already said this minute?" without I/O.
//!
//! Failed logins are counted per (user, client address) and per client address; the counting itself
//! is the platform's (the Workers Rate Limiting binding), the keys and memories are here:
//!
//! - [`Origin`]: the client's address as the mail server saw it (`remote_ip`, parsed as IPv4/IPv6),
//!   or, when the caller gave none, the caller itself (`key:<id>` or `root`);
//! - [`pair_key`] and [`address_key`]: the counters' keys (hashed, so a user id never reaches the
//!   rate limiter);
//! - [`Blocklist`]: "blocked until" per key, checked before anything costly;
//! - [`Gate`]: "at most once per interval" per key, counting what it held back.

use super::hash;
use super::keyed::Keyed;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv6Addr};

/// Failed logins allowed per (user, address) per [`PERIOD_SECS`] (the `[[ratelimits]]` binding
/// `PAIR_LIMITER` in wrangler.toml says the same; this is what the README and tests quote).
pub const PAIR_LIMIT: u32 = 10;
/// Failed logins allowed per address, across users, per [`PERIOD_SECS`] (binding `ADDRESS_LIMITER`).
pub const ADDRESS_LIMIT: u32 = 100;
/// The counting period of both limits, and how long a throttled pair or address stays blocked.
pub const PERIOD_SECS: i64 = 60;
/// Most keys a [`Blocklist`] or [`Gate`] remembers; past it, expired ones are dropped, then others.
pub const MEMORY_ENTRIES: usize = 10_000;

/// Parses `remote_ip` as an IPv4 or IPv6 address, in canonical text form (`::ffff:1.2.3.4`
/// stays IPv6; `2001:DB8::1` becomes `2001:db8::1`). `None` when it is not an address.
///
/// ```
/// use app_passwords::domain::throttle::parse_remote_ip;
/// assert_eq!(parse_remote_ip("2001:DB8:0::1").as_deref(), Some("2001:db8::1"));
/// assert_eq!(parse_remote_ip("203.0.113.7").as_deref(), Some("203.0.113.7"));
/// assert_eq!(parse_remote_ip("example.com"), None);
/// ```
#[must_use]
pub fn parse_remote_ip(text: &str) -> Option<String> {
    match text.parse::<IpAddr>().ok()? {
        IpAddr::V4(ip) => Some(ip.to_string()),
        IpAddr::V6(ip) => Some(ipv6_text(&ip)),
    }
}

/// The text `Ipv6Addr`'s `Display` gives (RFC 5952): lowercase hex groups without leading zeros,
/// the first longest run of two or more zero groups as `::`, an IPv4-mapped address as
/// `::ffff:a.b.c.d`. Written here because that `Display` (padding, width) is large in the wasm.
fn ipv6_text(ip: &Ipv6Addr) -> String {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return format!("::ffff:{v4}");
    }
    let groups = ip.segments();
    // (start, length) of the first longest run of zero groups, and of the current one.
    let (mut longest, mut current) = ((0, 0), (0, 0));
    for (i, &group) in groups.iter().enumerate() {
        if group == 0 {
            if current.1 == 0 {
                current.0 = i;
            }
            current.1 += 1;
            if current.1 > longest.1 {
                longest = current;
            }
        } else {
            current = (0, 0);
        }
    }
    let mut text = String::with_capacity(39);
    if longest.1 > 1 {
        push_groups(&mut text, groups.get(..longest.0).unwrap_or_default());
        text.push_str("::");
        push_groups(
            &mut text,
            groups.get(longest.0 + longest.1..).unwrap_or_default(),
        );
    } else {
        push_groups(&mut text, &groups);
    }
    text
}

/// Appends `groups` in lowercase hex without leading zeros, separated by `:`.
fn push_groups(text: &mut String, groups: &[u16]) {
    for (n, &group) in groups.iter().enumerate() {
        if n > 0 {
            text.push(':');
        }
        let digits = [12, 8, 4, 0].map(|shift| u32::from(group >> shift) & 0xf);
        let significant = digits.iter().skip_while(|&&d| d == 0).count().max(1);
        let skipped = digits.len() - significant;
        text.extend(
            digits
                .iter()
                .skip(skipped)
                .filter_map(|&d| char::from_digit(d, 16)),
        );
    }
}

/// Where failed attempts are counted: the client's address, or the caller when it gave none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A client address (canonical text of an IPv4 or IPv6 address).
    Address(String),
    /// No address given: the caller (`root` or `key:<id>`).
    Caller(String),
}

impl Origin {
    /// The text counted and logged for this origin.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Address(a) | Self::Caller(a) => a,
        }
    }
}

fn digest(parts: &[&str]) -> String {
    let mut d = Sha256::new();
    for part in parts {
        d.update(u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        d.update(part.as_bytes());
    }
    let full = d.finalize();
    hash::hex(full.get(..16).unwrap_or(&full))
}

/// The counter key of (user, origin).
#[must_use]
pub fn pair_key(user: &str, origin: &Origin) -> String {
    format!("p:{}", digest(&["pair", user, origin.as_str()]))
}

/// The counter key of an origin, across users.
#[must_use]
pub fn address_key(origin: &Origin) -> String {
    format!("a:{}", digest(&["address", origin.as_str()]))
}

/// Drops expired entries when full; if still full, drops the entry that ends first.
fn make_room<V>(map: &mut Keyed<V>, expired: impl Fn(&V) -> bool, end: impl Fn(&V) -> i64) {
    if map.len() < MEMORY_ENTRIES {
        return;
    }
    map.retain(|_, v| !expired(v));
    if map.len() >= MEMORY_ENTRIES
        && let Some(first) = map
            .iter()
            .min_by_key(|(_, v)| end(v))
            .map(|(k, _)| k.clone())
    {
        map.remove(&first);
    }
}

/// "Blocked until" per key, bounded to [`MEMORY_ENTRIES`].
#[derive(Debug, Default)]
pub struct Blocklist {
    until: Keyed<i64>,
}

impl Blocklist {
    /// Seconds left while `key` is blocked at `now` (at least 1), else `None`.
    #[must_use]
    pub fn blocked(&self, key: &str, now: i64) -> Option<i64> {
        self.until
            .get(key)
            .filter(|&&until| until > now)
            .map(|&until| until.saturating_sub(now))
    }

    /// Blocks `key` from `now` until `until` (keeps a later block already there).
    pub fn block(&mut self, key: &str, now: i64, until: i64) {
        if let Some(existing) = self.until.get_mut(key) {
            *existing = (*existing).max(until);
            return;
        }
        make_room(&mut self.until, |&u| u <= now, |&u| u);
        self.until.insert(key.to_owned(), until);
    }

    /// Forgets every block (for tests).
    pub fn clear(&mut self) {
        self.until.clear();
    }

    /// How many keys are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.until.len()
    }

    /// Whether no key is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }
}

/// "At most once per interval" per key, bounded to [`MEMORY_ENTRIES`]: [`Gate::pass`] says when
/// to act again and how many occurrences were held back since the last time it did.
#[derive(Debug)]
pub struct Gate {
    interval: i64,
    /// key → (time it last passed, occurrences held back since).
    last: Keyed<(i64, u32)>,
}

impl Gate {
    /// A gate that passes each key at most once per `interval` seconds.
    #[must_use]
    pub fn new(interval: i64) -> Self {
        Self {
            interval,
            last: Keyed::default(),
        }
    }

    /// Records one occurrence of `key` at `now`. When the key has not passed in the last
    /// `interval`, it passes: returns `Some(n)`, `n` = this occurrence plus those held back since it
    /// last passed. Otherwise `None` (the occurrence is counted for the next pass).
    pub fn pass(&mut self, key: &str, now: i64) -> Option<u32> {
        let interval = self.interval;
        if let Some((at, held)) = self.last.get_mut(key) {
            if now.saturating_sub(*at) < interval {
                *held = held.saturating_add(1);
                return None;
            }
            let n = held.saturating_add(1);
            *at = now;
            *held = 0;
            return Some(n);
        }
        make_room(
            &mut self.last,
            |&(at, _)| now.saturating_sub(at) >= interval,
            |&(at, _)| at,
        );
        self.last.insert(key.to_owned(), (now, 0));
        Some(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn remote_ip_accepts_v4_and_v6_only() {
        assert_eq!(parse_remote_ip("192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(parse_remote_ip("::1").as_deref(), Some("::1"));
        assert_eq!(
            parse_remote_ip("2001:0db8::0001").as_deref(),
            Some("2001:db8::1")
        );
        for (given, canonical) in [
            ("::FFFF:192.0.2.1", "::ffff:192.0.2.1"),
            ("::192.0.2.1", "::c000:201"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("0:0:0:0:0:0:0:0", "::"),
        ] {
            assert_eq!(
                parse_remote_ip(given).as_deref(),
                Some(canonical),
                "{given}"
            );
        }
        for bad in [
            "",
            " 1.2.3.4",
            "1.2.3.4 ",
            "1.2.3",
            "256.1.1.1",
            "1.2.3.4:993",
            "[::1]",
            "fe80::1%eth0",
            "localhost",
            "1.2.3.4/24",
        ] {
            assert_eq!(parse_remote_ip(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The IPv6 text is the standard library's, for addresses with runs of zero groups of
        /// every length and place, and IPv4-mapped ones.
        #[test]
        fn ipv6_text_is_the_standard_display(
            groups in proptest::array::uniform8(proptest::prop_oneof![
                proptest::strategy::Just(0u16),
                proptest::strategy::Just(0xffffu16),
                proptest::prelude::any::<u16>(),
            ])
        ) {
            let ip = Ipv6Addr::from(groups);
            proptest::prop_assert_eq!(ipv6_text(&ip), ip.to_string());
            let text = ip.to_string();
            proptest::prop_assert_eq!(parse_remote_ip(&text.to_uppercase()), Some(text));
        }
    }

    #[test]
    fn keys_separate_users_addresses_and_kinds() {
        let a = Origin::Address("192.0.2.1".into());
        let b = Origin::Address("192.0.2.2".into());
        assert_ne!(pair_key("alice", &a), pair_key("alice", &b));
        assert_ne!(pair_key("alice", &a), pair_key("bob", &a));
        assert_ne!(address_key(&a), address_key(&b));
        assert_eq!(pair_key("alice", &a), pair_key("alice", &a.clone()));
        // No ambiguity between (user, origin) splits.
        let c = Origin::Caller("b".into());
        let d = Origin::Caller("".into());
        assert_ne!(pair_key("a", &c), pair_key("ab", &d));
        assert!(!pair_key("alice", &a).contains("alice"));
    }

    #[test]
    fn a_block_lasts_until_its_end() {
        let mut list = Blocklist::default();
        assert_eq!(list.blocked("k", 100), None);
        list.block("k", 100, 160);
        assert_eq!(list.blocked("k", 100), Some(60));
        assert_eq!(list.blocked("k", 159), Some(1));
        assert_eq!(list.blocked("k", 160), None);
        assert_eq!(list.blocked("other", 100), None);
        list.block("k", 100, 150);
        assert_eq!(list.blocked("k", 155), Some(5));
    }

    #[test]
    fn the_blocklist_stays_bounded() {
        let mut list = Blocklist::default();
        for i in 0..(MEMORY_ENTRIES + 50) {
            list.block(&format!("k{i}"), 0, 1000 + i64::try_from(i).unwrap_or(0));
        }
        assert!(list.len() <= MEMORY_ENTRIES);
        // The newest block is kept.
        assert!(
            list.blocked(&format!("k{}", MEMORY_ENTRIES + 49), 0)
                .is_some()
        );
    }

    #[test]
    fn a_gate_passes_once_per_interval_with_the_count_held_back() {
        let mut gate = Gate::new(60);
        assert_eq!(gate.pass("x", 0), Some(1));
        assert_eq!(gate.pass("x", 10), None);
        assert_eq!(gate.pass("x", 59), None);
        assert_eq!(gate.pass("y", 59), Some(1));
        assert_eq!(gate.pass("x", 60), Some(3));
        assert_eq!(gate.pass("x", 61), None);
        assert_eq!(gate.pass("x", 200), Some(2));
    }

    #[test]
    fn the_gate_stays_bounded() {
        let mut gate = Gate::new(60);
        for i in 0..(MEMORY_ENTRIES + 10) {
            assert_eq!(gate.pass(&format!("k{i}"), 0), Some(1));
        }
        assert!(gate.last.len() <= MEMORY_ENTRIES);
    }
}
