//! Reading our own JSON (stored records, KV values, the Worker's object messages and replies)
//! from one parsed `serde_json::Value`, field by field, with small readers ([`FromJson`]).
//!
//! A derived `Deserialize` read from a `Value` puts a copy of serde_json's map, sequence and enum
//! readers into the wasm for every struct and enum variant (issue 13: tens of KB in the Worker).
//! The readers follow the derived ones' rules: a missing `Option` field is `None`, a missing
//! `#[serde(default)]` field its default ([`Fields::or_default`]), other missing fields and wrong
//! types are errors, unknown fields are ignored (refused by [`Fields::no_others`] for
//! `deny_unknown_fields`). The types keep their derived `Serialize` (and `Deserialize`, for the npm
//! package); the tests read each type's written form back and compare with the derived reader.

use super::keyed::Keyed;
use super::to_json::{ToJson, to_json};
use serde::de::Error as _;
use serde_json::Value;

/// The error of a reader.
pub type Result<T> = serde_json::Result<T>;

/// A type read from our own JSON by a hand-written reader.
pub trait FromJson: Sized {
    /// Reads the value.
    ///
    /// # Errors
    /// When `value` is not of the type's form.
    fn from_json(value: Value) -> Result<Self>;
}

/// Parses `bytes` as JSON and reads it as a `T`.
///
/// # Errors
/// When `bytes` is not JSON, or not of `T`'s form.
pub fn parse<T: FromJson>(bytes: &[u8]) -> Result<T> {
    T::from_json(parse_value(bytes)?)
}

/// The parser of [`parse`] ([`super::json`], serde_json's rules), not generic: one copy in the wasm.
#[inline(never)]
pub fn parse_value(bytes: &[u8]) -> Result<Value> {
    super::json::parse(bytes).map_err(serde_json::Error::custom)
}

fn wrong_type(expected: &str) -> serde_json::Error {
    serde_json::Error::custom(format_args!("expected {expected}"))
}

/// `null` (an empty answer) only, as for serde's `()`.
impl FromJson for () {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::Null => Ok(()),
            _ => Err(wrong_type("no answer")),
        }
    }
}

impl FromJson for String {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::String(s) => Ok(s),
            _ => Err(wrong_type("a string")),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self> {
        value.as_bool().ok_or_else(|| wrong_type("a boolean"))
    }
}

impl FromJson for i64 {
    fn from_json(value: Value) -> Result<Self> {
        value.as_i64().ok_or_else(|| wrong_type("an integer"))
    }
}

impl FromJson for u64 {
    fn from_json(value: Value) -> Result<Self> {
        value
            .as_u64()
            .ok_or_else(|| wrong_type("a non-negative integer"))
    }
}

impl FromJson for u32 {
    fn from_json(value: Value) -> Result<Self> {
        value
            .as_u64()
            .and_then(|n| Self::try_from(n).ok())
            .ok_or_else(|| wrong_type("a u32"))
    }
}

impl FromJson for usize {
    fn from_json(value: Value) -> Result<Self> {
        value
            .as_u64()
            .and_then(|n| Self::try_from(n).ok())
            .ok_or_else(|| wrong_type("a count"))
    }
}

/// `null` is `None`.
impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            value => T::from_json(value).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self> {
        // A loop, not `collect` into a `Result`: smaller in the wasm per item type.
        let Value::Array(items) = value else {
            return Err(wrong_type("an array"));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(T::from_json(item)?);
        }
        Ok(out)
    }
}

/// A JSON object, as [`Keyed`]'s `Deserialize` reads it (a parsed object's keys are already unique).
impl<T: FromJson> FromJson for Keyed<T> {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::Object(map) => {
                let mut keyed = Keyed::default();
                for (k, v) in map {
                    keyed.insert(k, T::from_json(v)?);
                }
                Ok(keyed)
            }
            _ => Err(wrong_type("an object")),
        }
    }
}

/// Reads a unit variant of an enum from its name, as [`ToJson`] writes it (the writer's names,
/// so the two cannot drift; they are the derived `Serialize`'s, as the `to_json` tests check):
/// the one of `all` that writes `value`.
///
/// # Errors
/// When `value` is not the name of one of `all`.
pub fn unit_variant<T: ToJson + Copy>(all: &[T], value: &Value) -> Result<T> {
    // Compared with the JSON text each writes (`"name"`): that writer is in the wasm already.
    let Value::String(name) = value else {
        return Err(wrong_type("a name"));
    };
    let writes_name = |v: &T| {
        let written = to_json(v);
        written.strip_prefix('"').and_then(|w| w.strip_suffix('"')) == Some(name.as_str())
    };
    all.iter()
        .find(|v| writes_name(v))
        .copied()
        .ok_or_else(|| wrong_type("a known name"))
}

/// The fields of one JSON object, taken out one by one.
///
/// A list, not the object's map: a map's `remove` would put the B-tree's rebalancing code into the
/// wasm (issue 13); an object we read has a few fields, found by a linear search.
pub struct Fields(Vec<(String, Value)>);

impl Fields {
    /// The object `value`; any other JSON is an error.
    ///
    /// # Errors
    /// When `value` is not an object.
    pub fn new(value: Value) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Self(map.into_iter().collect())),
            _ => Err(wrong_type("an object")),
        }
    }

    /// The value of `key`, as it is; a missing one reads as `null`.
    #[inline(never)]
    pub fn value(&mut self, key: &str) -> Value {
        match self.0.iter().position(|(k, _)| k == key) {
            Some(at) => self.0.swap_remove(at).1,
            None => Value::Null,
        }
    }

    /// The field `key` (a missing one reads as `null`: `None` for an `Option`, else an error).
    ///
    /// # Errors
    /// When the field is not a `T`.
    pub fn get<T: FromJson>(&mut self, key: &'static str) -> Result<T> {
        // No field name is added to the error: wrapping it costs about 2 KB of wasm across the
        // copies of `get`, for a log line that already names the record.
        T::from_json(self.value(key))
    }

    /// The field `key`, or `T`'s default when missing (`#[serde(default)]`; `null` is read as
    /// a `T`).
    ///
    /// # Errors
    /// When the field is there and not a `T`.
    pub fn or_default<T: FromJson + Default>(&mut self, key: &'static str) -> Result<T> {
        if self.0.iter().any(|(k, _)| k == key) {
            self.get(key)
        } else {
            Ok(T::default())
        }
    }

    /// Refuses any field not taken yet (`#[serde(deny_unknown_fields)]`).
    ///
    /// # Errors
    /// When a field is left.
    pub fn no_others(&self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(serde_json::Error::custom("unknown field"))
        }
    }

    /// A string field.
    ///
    /// # Errors
    /// When missing or not a string.
    pub fn string(&mut self, key: &'static str) -> Result<String> {
        self.get(key)
    }
}

/// The variant name and body of an externally tagged enum value (`{"variant":{…}}`), or the name
/// alone for a unit variant (`"variant"`).
///
/// # Errors
/// When `value` is neither.
pub fn variant(value: Value) -> Result<(String, Value)> {
    match value {
        Value::String(name) => Ok((name, Value::Null)),
        Value::Object(map) if map.len() == 1 => map
            .into_iter()
            .next()
            .ok_or_else(|| wrong_type("a variant")),
        _ => Err(wrong_type("a variant")),
    }
}

/// The error for a variant name the reader does not know.
pub fn unknown_variant(name: &str) -> serde_json::Error {
    serde_json::Error::custom(format_args!("unknown variant `{name}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn fields(value: Value) -> Fields {
        Fields::new(value).unwrap()
    }

    #[test]
    fn only_an_object_has_fields() {
        for value in [json!([]), json!(null), json!("x"), json!(1)] {
            assert!(Fields::new(value).is_err());
        }
    }

    #[test]
    fn strings_booleans_and_numbers_read_with_their_type_only() {
        let mut f =
            fields(json!({"s": "x", "b": true, "i": -3, "n": 7, "f": 1.5, "u": 4294967295_u64}));
        assert_eq!(f.string("s").unwrap(), "x");
        assert!(f.get::<bool>("b").unwrap());
        assert_eq!(f.get::<i64>("i").unwrap(), -3);
        assert_eq!(f.get::<usize>("n").unwrap(), 7);
        assert!(f.get::<i64>("f").is_err(), "a float is not an integer");
        assert_eq!(f.get::<u32>("u").unwrap(), u32::MAX);
        let mut f = fields(
            json!({"s": 1, "b": "true", "i": "1", "n": -1, "u": 4294967296_u64,
            "big": 9223372036854775808_u64, "neg": -1}),
        );
        assert!(f.string("s").is_err());
        assert!(f.get::<bool>("b").is_err());
        assert!(f.get::<i64>("i").is_err());
        assert!(f.get::<usize>("n").is_err(), "a count is not negative");
        assert!(f.get::<u32>("u").is_err(), "past u32");
        assert!(f.get::<i64>("big").is_err(), "past i64");
        assert!(f.get::<u64>("neg").is_err());
    }

    #[test]
    fn missing_fields_are_errors_unless_optional_or_defaulted() {
        let mut f = fields(json!({"o": null, "flag": null, "list": null}));
        assert!(f.string("x").is_err());
        assert!(f.get::<bool>("x").is_err());
        assert!(f.get::<i64>("x").is_err());
        assert_eq!(f.get::<Option<String>>("x").unwrap(), None);
        assert_eq!(f.get::<Option<String>>("o").unwrap(), None);
        assert!(!f.or_default::<bool>("x").unwrap());
        assert!(
            f.or_default::<bool>("flag").is_err(),
            "null is not a default flag"
        );
        assert!(
            f.or_default::<Vec<u32>>("list").is_err(),
            "nor a default list"
        );
        assert_eq!(f.or_default::<Vec<u32>>("x").unwrap(), Vec::<u32>::new());
        assert_eq!(f.get::<Option<u32>>("x").unwrap(), None);
        assert!(f.get::<u32>("x").is_err());
    }

    #[test]
    fn lists_and_maps_read_each_item() {
        let mut f = fields(json!({"l": [1, 2], "bad": [1, "2"], "m": {"a": "x"}, "m2": {"a": 1}}));
        assert_eq!(f.get::<Vec<u32>>("l").unwrap(), vec![1, 2]);
        assert!(f.get::<Vec<u32>>("bad").is_err());
        let m: Keyed<String> = f.get("m").unwrap();
        assert_eq!(m.get("a").map(String::as_str), Some("x"));
        assert!(f.get::<Keyed<String>>("m2").is_err());
        assert!(f.get::<Vec<u32>>("m").is_err());
    }

    #[test]
    fn only_taken_fields_may_be_there_when_others_are_refused() {
        let mut f = fields(json!({"a": 1, "b": 2}));
        let _ = f.value("a");
        assert!(f.no_others().is_err());
        let _ = f.value("b");
        assert!(f.no_others().is_ok());
    }

    #[test]
    fn unit_variants_read_by_their_written_names() {
        use crate::domain::rules::Protocol;
        assert_eq!(
            unit_variant(&Protocol::ALL, &json!("dav")).unwrap(),
            Protocol::Dav
        );
        assert!(unit_variant(&Protocol::ALL, &json!("DAV")).is_err());
        assert!(unit_variant(&Protocol::ALL, &json!(1)).is_err());
    }

    #[test]
    fn variants_are_a_name_or_an_object_of_one_field() {
        assert_eq!(
            variant(json!("list")).unwrap(),
            ("list".into(), Value::Null)
        );
        assert_eq!(
            variant(json!({"create": {"a": 1}})).unwrap(),
            ("create".into(), json!({"a": 1}))
        );
        for bad in [json!({}), json!({"a": {}, "b": {}}), json!([]), json!(1)] {
            assert!(variant(bad).is_err());
        }
    }

    #[test]
    fn the_unit_answer_is_null_only() {
        assert!(<()>::from_json(Value::Null).is_ok());
        assert!(<()>::from_json(json!({})).is_err());
    }

    /// Every variation of the object `full` one field at a time: left out, `null`, of another
    /// type (a float, a string, a list), plus an unknown field; for [`reads_as_derived`].
    fn variations(full: &Value) -> Vec<Value> {
        let mut all = vec![full.clone()];
        let Value::Object(map) = full else {
            return all;
        };
        for key in map.keys() {
            let mut without = map.clone();
            without.remove(key);
            all.push(Value::Object(without));
            for other in [Value::Null, json!(1.5), json!("x"), json!(["x"]), json!(-1)] {
                let mut changed = map.clone();
                changed.insert(key.clone(), other);
                all.push(Value::Object(changed));
            }
        }
        let mut extra = map.clone();
        extra.insert("unknown_field".into(), json!(1));
        all.push(Value::Object(extra));
        all
    }

    /// The reader of `T` accepts and refuses what the derived `Deserialize` does, with the same
    /// result, on every variation of `full` (which must read).
    fn reads_as_derived<T>(full: Value)
    where
        T: FromJson + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
    {
        assert!(T::from_json(full.clone()).is_ok(), "{full}");
        for value in variations(&full) {
            let derived = serde_json::from_value::<T>(value.clone()).ok();
            assert_eq!(T::from_json(value.clone()).ok(), derived, "{value}");
        }
    }

    #[test]
    fn domain_records_read_as_their_derived_readers() {
        use crate::domain::api_key::{ApiKeyEntry, ApiKeys, Published, Scope};
        use crate::domain::audit::{Actor, Event, EventLog, Kind, Named};
        use crate::domain::publish::{Mark, Pending};
        use crate::domain::rules::{
            Credential, Entry, OnPasswordChange, Protocol, Settings, UserRecord,
        };
        use crate::domain::session::{SessionPolicy, SessionTimes, Sessions};
        use crate::domain::user::UserId;
        let settings = json!({"app_passwords_allowed": true, "limit": 40,
            "max_lifetime_days": 90, "expire_unused_after_days": null,
            "on_password_change": "revoke_all", "strict_revocation": false});
        let entry = json!({"id": "ap1", "name": "Phone", "created_at": 1_700_000_000,
            "scopes": ["imap", "dav"], "last_used_at": 1_700_000_100, "last_used_protocol": "imap",
            "last_used_ip": "192.0.2.1", "expires_at": null, "lookup_key": "lk",
            "phc": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "secret_id": "s1"});
        let named = json!({"id": "k1", "name": "IdP", "scopes": ["users", "verify"]});
        let event = json!({"event": "login.failed", "at": 5, "actor": "key:k1",
            "app_password": {"id": "ap1", "name": "Phone"}, "api_key": named,
            "protocol": "smtp", "remote_ip": "192.0.2.1", "reason": "wrong_password",
            "count": 3, "settings": settings});
        let key = json!({"id": "k1", "name": "IdP", "scopes": ["admin"], "created_at": 1,
            "last_used_at": 2, "hash": "00ff"});
        reads_as_derived::<Settings>(settings.clone());
        reads_as_derived::<Entry>(entry.clone());
        reads_as_derived::<Credential>(json!({"user": "alice", "id": "ap1", "name": "Phone",
            "scopes": ["pop"], "expires_at": 9, "created_at": 1, "last_used_at": null,
            "phc": "p"}));
        reads_as_derived::<UserRecord>(json!({"user": "alice@example.com", "mfa_enabled": true,
            "app_passwords": [entry]}));
        let bad_user = json!({"user": ""});
        assert!(UserRecord::from_json(bad_user.clone()).is_err());
        assert!(serde_json::from_value::<UserRecord>(bad_user).is_err());
        reads_as_derived::<SessionPolicy>(json!({"idle_secs": 1800, "max_secs": 86400}));
        reads_as_derived::<SessionTimes>(json!({"created_at": 1, "last_seen_at": 2}));
        reads_as_derived::<Sessions>(json!({"ab": {"created_at": 1, "last_seen_at": 2}}));
        reads_as_derived::<Named>(named);
        reads_as_derived::<Event>(event.clone());
        reads_as_derived::<EventLog>(
            json!([event, {"event": "mfa.enabled", "at": 1, "actor": "root"}]),
        );
        reads_as_derived::<Mark>(json!({"generation": 3, "id": "ap1"}));
        reads_as_derived::<Pending>(json!({"keys": {"lk": {"generation": 1, "id": "ap1"}},
            "next": 2, "unconfirmed": ["lk"]}));
        reads_as_derived::<ApiKeyEntry>(key.clone());
        reads_as_derived::<ApiKeys>(json!({"keys": [key]}));
        reads_as_derived::<Published>(json!({"id": "k1", "name": "IdP", "scopes": ["verify"]}));
        for name in ["keep", "revoke_all", "Keep", "x"] {
            let value = json!(name);
            assert_eq!(
                OnPasswordChange::from_json(value.clone()).ok(),
                serde_json::from_value(value).ok()
            );
        }
        for kind in Kind::ALL {
            let written = serde_json::to_value(kind).unwrap();
            assert_eq!(Kind::from_json(written).unwrap(), kind);
        }
        for (all, name) in [(&Protocol::ALL[..], "imap"), (&Protocol::ALL[..], "IMAP")] {
            assert_eq!(
                unit_variant(all, &json!(name)).ok(),
                serde_json::from_value::<Protocol>(json!(name)).ok()
            );
        }
        assert_eq!(Scope::from_json(json!("admin")).unwrap(), Scope::Admin);
        for label in ["root", "session", "key:k1", "k1"] {
            assert_eq!(
                Actor::from_json(json!(label)).unwrap(),
                serde_json::from_value::<Actor>(json!(label)).unwrap()
            );
        }
        assert!(UserId::from_json(json!("")).is_err());
    }
}
