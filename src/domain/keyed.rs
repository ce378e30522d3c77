//! [`Keyed`]: a small map from text keys, kept as a list sorted by key.
//!
//! The stored maps of a user (pending store keys, sessions) hold tens of entries, at most a few
//! hundred; the memories of an isolate (login cache, blocklists, gates, API keys) at most
//! 10 000. A sorted list does the work of a `BTreeMap` or `HashMap` there: finding is a binary
//! search; inserting moves the entries after it (in a full 10 000-entry memory around a megabyte,
//! a fraction of a millisecond, and only next to an Argon2 run, a KV read or a storage read that
//! cost far more). Its code in the wasm is a fraction of a B-tree's or a hash table's, which the
//! compiler copies per element type (issue 13). It is written and read as a JSON object in key
//! order, exactly as a `BTreeMap` is, so stored values keep their form.

use super::to_json::{Object, ToJson};
use core::fmt;
use core::marker::PhantomData;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map from `String` keys to `V`, sorted by key (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyed<V>(Vec<(String, V)>);

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> Keyed<V> {
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&V> {
        let at = self.position(key).ok()?;
        self.0.get(at).map(|(_, v)| v)
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let at = self.position(key).ok()?;
        self.0.get_mut(at).map(|(_, v)| v)
    }

    /// Whether `key` has a value.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets the value of `key`; returns the value it replaced.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(at) => self
                .0
                .get_mut(at)
                .map(|(_, v)| core::mem::replace(v, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let at = self.position(key).ok()?;
        Some(self.0.remove(at).1)
    }

    /// Keeps the entries for which `keep` answers `true`.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// How many entries there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl<V: Serialize> Serialize for Keyed<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Keyed<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Keyed<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keyed = Keyed::default();
                // As a BTreeMap reads it: a repeated key keeps its last value.
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    keyed.insert(key, value);
                }
                Ok(keyed)
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

impl<V: ToJson> ToJson for Keyed<V> {
    /// An object in key order, as a `BTreeMap` is written.
    fn write_json(&self, out: &mut String) {
        let mut o = Object::new(out);
        for (key, value) in &self.0 {
            o.field(key, value);
        }
        o.end();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn it_behaves_and_reads_and_writes_as_a_btreemap() {
        let mut keyed = Keyed::default();
        let mut tree = BTreeMap::new();
        for (i, key) in ["m", "c", "x", "c", "a", "m"].into_iter().enumerate() {
            assert_eq!(
                keyed.insert(key.to_owned(), i),
                tree.insert(key.to_owned(), i)
            );
        }
        assert_eq!(
            keyed.iter().collect::<Vec<_>>(),
            tree.iter().collect::<Vec<_>>()
        );
        assert_eq!(keyed.remove("c"), tree.remove("c"));
        assert_eq!(keyed.remove("c"), None);
        keyed.retain(|k, _| k != "x");
        tree.retain(|k, _| k != "x");
        *keyed.get_mut("a").unwrap() += 10;
        *tree.get_mut("a").unwrap() += 10;
        assert_eq!(keyed.get("a"), tree.get("a"));
        assert!(keyed.contains_key("m") && !keyed.contains_key("x"));
        assert_eq!(keyed.len(), tree.len());
        let text = serde_json::to_string(&keyed).unwrap();
        assert_eq!(text, serde_json::to_string(&tree).unwrap());
        assert_eq!(text, r#"{"a":14,"m":5}"#);
        let read: Keyed<usize> = serde_json::from_str(r#"{"z":1,"b":2,"z":3}"#).unwrap();
        assert_eq!(
            read.iter().collect::<Vec<_>>(),
            [(&"b".into(), &2), (&"z".into(), &3)]
        );
        assert!(serde_json::from_str::<Keyed<usize>>("[]").is_err());
        keyed.clear();
        assert!(keyed.is_empty());
    }
}
