//! Scoped API keys: the credentials of the service's callers (identity provider, admin tooling, mail
//! servers), so that no caller needs the root `API_TOKEN`.
//!
//! - A key is `apk_` followed by 48 lowercase hex digits (192 random bits). It is shown once, when
//!   created; only its [`key_hash`] is kept. Keys are random, not chosen by people, so a plain
//!   SHA-256 is enough to store them: no Argon2 (checking a key costs no Argon2 run).
//! - A key has one or more [`Scope`]s: `verify` (logins only), `users` (the user API), `admin`
//!   (everything, including keys and settings). `admin` implies every other scope.
//! - [`ApiKeys`] is the tenant's set of keys: create, revoke, list, record last use.
//!
//! ```
//! use app_passwords::domain::api_key::{self, ApiKeys, Scope};
//! use app_passwords::domain::random::TestEntropy;
//! let mut keys = ApiKeys::default();
//! let issued = keys.create("mx1.example.com", vec![Scope::Verify], 1_700_000_000, &mut TestEntropy::new(1))?;
//! assert!(issued.key.starts_with("apk_"));
//! assert!(api_key::looks_like_key(&issued.key));
//! assert_eq!(keys.summaries()[0].name, "mx1.example.com");
//! # Ok::<(), app_passwords::domain::Error>(())
//! ```

use super::error::{Error, Result};
use super::fields::{self, Fields, FromJson};
use super::hash;
use super::random::Entropy;
use super::rules::{parse_set, use_due, valid_name};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Every API key starts with this, so that a leaked key is recognisable (secret scanners, logs).
pub const PREFIX: &str = "apk_";
/// Random bytes in a key (192 bits).
pub const KEY_BYTES: usize = 24;
/// Most API keys a tenant may hold.
pub const MAX_API_KEYS: usize = 100;
/// Domain separation for [`key_hash`].
const HASH_CONTEXT: &[u8] = b"app-passwords api key v1\0";

/// What an API key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// `POST /v1/verify` only: for mail servers and gateways.
    Verify,
    /// The user API (`/v1/users/…`): for the identity provider.
    Users,
    /// Everything, including settings and API keys.
    Admin,
}

impl Scope {
    /// Every scope, in order.
    pub const ALL: [Self; 3] = [Self::Verify, Self::Users, Self::Admin];

    /// The lowercase name used in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Users => "users",
            Self::Admin => "admin",
        }
    }

    /// Parses a scope name.
    ///
    /// # Errors
    /// [`Error::InvalidKeyScope`] for anything but `verify`, `users`, `admin`.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(Error::InvalidKeyScope)
    }
}

/// Parses the scopes of a new key: at least one, all known; sorted, without repeats.
///
/// # Errors
/// [`Error::InvalidKeyScope`] when the list is empty or a scope is unknown.
pub fn parse_scopes<S: AsRef<str>>(scopes: &[S]) -> Result<Vec<Scope>> {
    let out = parse_set(scopes, Scope::parse)?;
    if out.is_empty() {
        return Err(Error::InvalidKeyScope);
    }
    Ok(out)
}

/// Whether a key with `granted` scopes may use a route that needs `needed`. `admin` allows all.
#[must_use]
pub fn allows(granted: &[Scope], needed: Scope) -> bool {
    granted.contains(&Scope::Admin) || granted.contains(&needed)
}

/// Whether `token` has the shape of an API key (`apk_` + 48 lowercase hex digits). Anything else
/// is refused before any storage read.
#[must_use]
pub fn looks_like_key(token: &str) -> bool {
    token.strip_prefix(PREFIX).is_some_and(|hex| {
        hex.len() == KEY_BYTES * 2 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The stored form of a key: hex(SHA-256(context ‖ key)). One-way; finds the key with one read.
#[must_use]
pub fn key_hash(key: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(HASH_CONTEXT);
    digest.update(key.as_bytes());
    hash::hex(&digest.finalize())
}

/// One API key as the tenant keeps it. Holds no plaintext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyEntry {
    /// Stable id (`ak_` + 16 hex digits), shown in lists and audit events.
    pub id: String,
    /// Who holds it, e.g. `mx1.example.com` (app-password name rules).
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
    /// Last use, seconds since the Unix epoch (recorded at most once a minute).
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// [`key_hash`] of the key.
    pub hash: String,
}

/// What a list shows of a key: never the key or its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Creation time.
    pub created_at: i64,
    /// Last use.
    pub last_used_at: Option<i64>,
}

/// What a checker needs to know of a key, published under its hash (KV in the Worker).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
}

impl ApiKeyEntry {
    /// The listed part of the entry.
    #[must_use]
    pub fn summary(&self) -> ApiKeySummary {
        ApiKeySummary {
            id: self.id.clone(),
            name: self.name.clone(),
            scopes: self.scopes.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }

    /// The published part of the entry.
    #[must_use]
    pub fn published(&self) -> Published {
        Published {
            id: self.id.clone(),
            name: self.name.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

/// A newly created key: the plaintext, to show once, and the entry to keep.
#[derive(Debug)]
pub struct IssuedKey {
    /// The key. Give it to its holder once; never store or log it.
    pub key: String,
    /// The stored entry.
    pub entry: ApiKeyEntry,
}

/// The tenant's API keys, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeys {
    /// The keys.
    #[serde(default)]
    pub keys: Vec<ApiKeyEntry>,
}

impl ApiKeys {
    /// Creates a key named `name` with `scopes` (already parsed by [`parse_scopes`]).
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::InvalidKeyScope`] (no scope), [`Error::TooManyApiKeys`],
    /// [`Error::RandomUnavailable`].
    pub fn create(
        &mut self,
        name: &str,
        scopes: Vec<Scope>,
        now: i64,
        rng: &mut impl Entropy,
    ) -> Result<IssuedKey> {
        let name = valid_name(name)?;
        if scopes.is_empty() {
            return Err(Error::InvalidKeyScope);
        }
        if self.keys.len() >= MAX_API_KEYS {
            return Err(Error::TooManyApiKeys);
        }
        let mut secret = [0u8; KEY_BYTES];
        rng.fill(&mut secret)?;
        let key = format!("{PREFIX}{}", hash::hex(&secret));
        let id = loop {
            let mut raw = [0u8; 8];
            rng.fill(&mut raw)?;
            let id = format!("ak_{}", hash::hex(&raw));
            if !self.keys.iter().any(|k| k.id == id) {
                break id;
            }
        };
        let entry = ApiKeyEntry {
            id,
            name: name.to_owned(),
            scopes,
            created_at: now,
            last_used_at: None,
            hash: key_hash(&key),
        };
        self.keys.push(entry.clone());
        Ok(IssuedKey { key, entry })
    }

    /// Removes the key with this id and returns it.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub fn revoke(&mut self, id: &str) -> Result<ApiKeyEntry> {
        let at = self
            .keys
            .iter()
            .position(|k| k.id == id)
            .ok_or(Error::NotFound)?;
        Ok(self.keys.remove(at))
    }

    /// Records a use of key `id` at most once per [`super::rules::LAST_USE_INTERVAL_SECS`]
    /// ([`use_due`]); returns whether the
    /// set changed (and so needs saving).
    pub fn record_use(&mut self, id: &str, now: i64) -> bool {
        let Some(entry) = self.keys.iter_mut().find(|k| k.id == id) else {
            return false;
        };
        if !use_due(entry.last_used_at, now) {
            return false;
        }
        entry.last_used_at = Some(now);
        true
    }

    /// The list shown to administrators, oldest first.
    #[must_use]
    pub fn summaries(&self) -> Vec<ApiKeySummary> {
        self.keys.iter().map(ApiKeyEntry::summary).collect()
    }
}

// Writers of our own JSON (see `to_json`): exactly what the derived `Serialize` writes.
crate::json_name!(Scope { Verify => "verify", Users => "users", Admin => "admin" });
crate::json_object!(ApiKeyEntry {
    id,
    name,
    scopes,
    created_at,
    last_used_at,
    hash
});
crate::json_object!(ApiKeySummary {
    id,
    name,
    scopes,
    created_at,
    last_used_at
});
crate::json_object!(Published { id, name, scopes });
crate::json_object!(ApiKeys { keys });

// Readers of our own JSON (see `fields`), for the forms the derived `Serialize` writes.
impl FromJson for Scope {
    fn from_json(value: Value) -> fields::Result<Self> {
        fields::unit_variant(&Self::ALL, &value)
    }
}

impl FromJson for ApiKeyEntry {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            id: f.get("id")?,
            name: f.get("name")?,
            scopes: f.get("scopes")?,
            created_at: f.get("created_at")?,
            last_used_at: f.get("last_used_at")?,
            hash: f.get("hash")?,
        })
    }
}

impl FromJson for Published {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            id: f.get("id")?,
            name: f.get("name")?,
            scopes: f.get("scopes")?,
        })
    }
}

impl FromJson for ApiKeys {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            keys: f.or_default("keys")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::TestEntropy;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_new_key_has_the_prefix_192_bits_and_only_its_hash_is_kept() {
        let mut keys = ApiKeys::default();
        let issued = keys
            .create("mx1", vec![Scope::Verify], 10, &mut TestEntropy::new(7))
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert!(looks_like_key(&issued.key));
        assert_eq!(issued.key.len(), PREFIX.len() + 48);
        assert_eq!(issued.entry.hash, key_hash(&issued.key));
        let stored = serde_json::to_string(&keys).unwrap_or_default();
        assert!(!stored.contains(&issued.key[PREFIX.len()..]));
        let listed = serde_json::to_string(&keys.summaries()).unwrap_or_default();
        assert!(!listed.contains(&issued.entry.hash));
    }

    #[test]
    fn two_keys_differ() {
        let mut keys = ApiKeys::default();
        let mut rng = TestEntropy::new(3);
        let a = keys.create("a", vec![Scope::Admin], 0, &mut rng);
        let b = keys.create("b", vec![Scope::Admin], 0, &mut rng);
        let (Ok(a), Ok(b)) = (a, b) else {
            unreachable!("create failed")
        };
        assert_ne!(a.key, b.key);
        assert_ne!(a.entry.id, b.entry.id);
    }

    #[test]
    fn key_shape_is_checked_exactly() {
        let good = format!("apk_{}", "0a".repeat(24));
        assert!(looks_like_key(&good));
        for bad in [
            String::new(),
            "apk_".to_owned(),
            format!("apk_{}", "0A".repeat(24)),
            format!("apk_{}", "0a".repeat(23)),
            format!("apk_{}0", "0a".repeat(24)),
            format!("apx_{}", "0a".repeat(24)),
            format!("apk_{}g", "0a".repeat(23)),
        ] {
            assert!(!looks_like_key(&bad), "{bad}");
        }
    }

    #[test]
    fn admin_implies_every_scope_and_others_only_themselves() {
        for needed in Scope::ALL {
            assert!(allows(&[Scope::Admin], needed));
        }
        assert!(allows(&[Scope::Verify], Scope::Verify));
        assert!(!allows(&[Scope::Verify], Scope::Users));
        assert!(!allows(&[Scope::Verify], Scope::Admin));
        assert!(!allows(&[Scope::Users], Scope::Verify));
        assert!(!allows(&[Scope::Users], Scope::Admin));
        assert!(!allows(&[], Scope::Verify));
    }

    #[test]
    fn scopes_parse_sorted_and_refuse_unknown_or_none() {
        assert_eq!(
            parse_scopes(&["admin", "verify", "admin"]),
            Ok(vec![Scope::Verify, Scope::Admin])
        );
        assert_eq!(parse_scopes::<&str>(&[]), Err(Error::InvalidKeyScope));
        assert_eq!(parse_scopes(&["imap"]), Err(Error::InvalidKeyScope));
        assert_eq!(parse_scopes(&["Admin"]), Err(Error::InvalidKeyScope));
    }

    #[test]
    fn names_follow_the_app_password_rule() {
        let mut keys = ApiKeys::default();
        let mut rng = TestEntropy::new(5);
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            assert_eq!(
                keys.create(bad, vec![Scope::Verify], 0, &mut rng)
                    .map(|_| ()),
                Err(Error::InvalidName)
            );
        }
        let ok = keys.create("  mx1  ", vec![Scope::Verify], 0, &mut rng);
        assert_eq!(ok.map(|i| i.entry.name), Ok("mx1".to_owned()));
    }

    #[test]
    fn the_number_of_keys_is_bounded() {
        let mut keys = ApiKeys::default();
        let mut rng = TestEntropy::new(9);
        for i in 0..MAX_API_KEYS {
            assert!(
                keys.create(&format!("k{i}"), vec![Scope::Verify], 0, &mut rng)
                    .is_ok()
            );
        }
        assert_eq!(
            keys.create("one more", vec![Scope::Verify], 0, &mut rng)
                .map(|_| ()),
            Err(Error::TooManyApiKeys)
        );
    }

    #[test]
    fn revoke_removes_and_unknown_is_not_found() {
        let mut keys = ApiKeys::default();
        let issued = keys.create("a", vec![Scope::Users], 0, &mut TestEntropy::new(2));
        let id = issued.map(|i| i.entry.id).unwrap_or_default();
        assert!(keys.revoke(&id).is_ok());
        assert_eq!(keys.revoke(&id).map(|_| ()), Err(Error::NotFound));
        assert!(keys.summaries().is_empty());
    }

    #[test]
    fn last_use_is_recorded_at_most_once_a_minute() {
        let mut keys = ApiKeys::default();
        let issued = keys.create("a", vec![Scope::Verify], 0, &mut TestEntropy::new(4));
        let id = issued.map(|i| i.entry.id).unwrap_or_default();
        assert!(keys.record_use(&id, 100));
        assert!(!keys.record_use(&id, 159));
        assert!(keys.record_use(&id, 160));
        assert!(!keys.record_use("ak_nope", 500));
        assert_eq!(keys.summaries()[0].last_used_at, Some(160));
    }
}
