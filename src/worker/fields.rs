//! Reading the Worker's own JSON (the objects' commands and replies) field by field from one
//! parsed `serde_json::Value`, with a few non-generic helpers.
//!
//! A derived `Deserialize` read from a `Value` puts a copy of serde_json's map, sequence and
//! enum readers into the wasm for every struct and enum variant (issue 13: tens of KB for the
//! commands alone). The readers here follow the derived ones' rules for the forms the Worker
//! writes: a missing `Option` field is `None`, a missing `#[serde(default)]` flag is `false`, other
//! missing fields and wrong types are errors, unknown fields are ignored. The writing side keeps
//! its derived `Serialize`; the tests read every writer's output back through these readers.

use serde::de::{DeserializeOwned, Error as _};
use serde_json::{Map, Value};

/// The error of a reader (only logged: a message of ours that does not read is a 503).
pub type Result<T> = serde_json::Result<T>;

/// A type read from the Worker's own JSON by a hand-written reader.
pub trait FromJson: Sized {
    /// Reads the value.
    ///
    /// # Errors
    /// When `value` is not of the type's form.
    fn from_json(value: Value) -> Result<Self>;
}

/// Parses `bytes` as JSON and reads it as a `T`.
pub fn parse<T: FromJson>(bytes: &[u8]) -> Result<T> {
    T::from_json(serde_json::from_slice(bytes)?)
}

/// The `Find` reply: a domain type, read by its own `Deserialize` (also KV's reader).
impl FromJson for Option<crate::domain::Credential> {
    fn from_json(value: Value) -> Result<Self> {
        serde_json::from_value(value)
    }
}

/// `null` (an empty answer) only, as for serde's `()`.
impl FromJson for () {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::Null => Ok(()),
            _ => Err(serde_json::Error::custom("expected no answer")),
        }
    }
}

/// The fields of one JSON object, taken out one by one.
pub struct Fields(Map<String, Value>);

impl Fields {
    /// The object `value`; any other JSON is an error.
    pub fn new(value: Value) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(serde_json::Error::custom("expected an object")),
        }
    }

    /// The value of `key`, as it is; a missing one reads as `null`.
    pub fn value(&mut self, key: &str) -> Value {
        self.take(key)
    }

    /// The value of `key`; a missing one reads as `null`.
    fn take(&mut self, key: &str) -> Value {
        self.0.remove(key).unwrap_or(Value::Null)
    }

    /// A string field.
    pub fn string(&mut self, key: &'static str) -> Result<String> {
        match self.take(key) {
            Value::String(s) => Ok(s),
            _ => Err(wrong(key)),
        }
    }

    /// A string field that may be missing or `null`.
    pub fn opt_string(&mut self, key: &'static str) -> Result<Option<String>> {
        match self.take(key) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            _ => Err(wrong(key)),
        }
    }

    /// A boolean field.
    pub fn boolean(&mut self, key: &'static str) -> Result<bool> {
        match self.take(key) {
            Value::Bool(b) => Ok(b),
            _ => Err(wrong(key)),
        }
    }

    /// A boolean field that is `false` when missing (`#[serde(default)]`; `null` is an error).
    pub fn flag(&mut self, key: &'static str) -> Result<bool> {
        if self.0.contains_key(key) {
            self.boolean(key)
        } else {
            Ok(false)
        }
    }

    /// An integer field.
    pub fn int(&mut self, key: &'static str) -> Result<i64> {
        self.take(key).as_i64().ok_or_else(|| wrong(key))
    }

    /// A non-negative integer field.
    pub fn count(&mut self, key: &'static str) -> Result<usize> {
        self.take(key)
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| wrong(key))
    }

    /// A field of a type with its own `Deserialize` (the domain's types, shared with the npm
    /// package), read from the value; a missing one reads as `null` (`None` for an `Option`).
    pub fn typed<T: DeserializeOwned>(&mut self, key: &'static str) -> Result<T> {
        serde_json::from_value(self.take(key))
    }
}

fn wrong(key: &'static str) -> serde_json::Error {
    serde_json::Error::custom(format_args!("missing or wrong field `{key}`"))
}

/// The variant name and body of an externally tagged enum value (`{"variant":{…}}`), or the name
/// alone for a unit variant (`"variant"`).
pub fn variant(value: Value) -> Result<(String, Value)> {
    match value {
        Value::String(name) => Ok((name, Value::Null)),
        Value::Object(map) if map.len() == 1 => map
            .into_iter()
            .next()
            .ok_or_else(|| serde_json::Error::custom("expected a variant")),
        _ => Err(serde_json::Error::custom("expected a variant")),
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
        let mut f = fields(json!({"s": "x", "b": true, "i": -3, "n": 7, "f": 1.5}));
        assert_eq!(f.string("s").unwrap(), "x");
        assert!(f.boolean("b").unwrap());
        assert_eq!(f.int("i").unwrap(), -3);
        assert_eq!(f.count("n").unwrap(), 7);
        assert!(f.int("f").is_err(), "a float is not an integer");
        let mut f = fields(json!({"s": 1, "b": "true", "i": "1", "n": -1}));
        assert!(f.string("s").is_err());
        assert!(f.boolean("b").is_err());
        assert!(f.int("i").is_err());
        assert!(f.count("n").is_err(), "a count is not negative");
    }

    #[test]
    fn missing_fields_are_errors_unless_optional_or_defaulted() {
        let mut f = fields(json!({"o": null, "flag": null}));
        assert!(f.string("x").is_err());
        assert!(f.boolean("x").is_err());
        assert!(f.int("x").is_err());
        assert_eq!(f.opt_string("x").unwrap(), None);
        assert_eq!(f.opt_string("o").unwrap(), None);
        assert!(!f.flag("x").unwrap());
        assert!(f.flag("flag").is_err(), "null is not a default flag");
        assert_eq!(f.typed::<Option<u32>>("x").unwrap(), None);
        assert!(f.typed::<u32>("x").is_err());
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
}
