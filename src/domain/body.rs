//! Request bodies: one JSON object, read into a typed struct, with fixed error texts.
//!
//! Every shell that takes JSON from outside parses it here, so the rules hold everywhere: the body
//! must be a JSON object (serde would otherwise read `["x",["imap"]]` into a struct), and an error
//! never quotes what was submitted — serde's own messages do (``invalid type: integer `1234567` ``,
//! ``unknown field `x` ``), and a submitted value may be a password. Only a field name of our own
//! types (a missing or repeated field) is named.

use super::fields::FromJson;
use super::json;
use super::rules::OnPasswordChange;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::borrow::Cow;

/// Why a body was refused: a stable code and a fixed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyError {
    /// `invalid_json` (not JSON, not UTF-8, nested too deep) or `invalid_request` (not an object,
    /// or not the expected fields).
    pub code: &'static str,
    /// A fixed text, or one naming a field of ours.
    pub message: Cow<'static, str>,
}

impl BodyError {
    fn new(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Parses a request body: a JSON object with the fields of `T`.
///
/// ```
/// use app_passwords::domain::body::parse;
/// #[derive(serde::Deserialize)]
/// struct Create { name: String }
/// assert_eq!(parse::<Create>(br#"{"name":"Phone"}"#).unwrap().name, "Phone");
/// assert_eq!(parse::<Create>(br#"["Phone"]"#).err().unwrap().code, "invalid_request");
/// ```
///
/// # Errors
/// [`BodyError`] `invalid_json` or `invalid_request`, with fixed messages.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    an_object(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| classify(&e, bytes))
}

/// Parses a request body that may be any JSON object, as [`parse`] of a `serde_json::Value` does
/// (with [`json::parse`], no serde_json reader in the wasm).
///
/// # Errors
/// [`BodyError`] `invalid_json` or `invalid_request`, with fixed messages.
pub fn parse_value(bytes: &[u8]) -> Result<Value, BodyError> {
    an_object(bytes)?;
    json::parse(bytes).map_err(|_| not_json(bytes))
}

/// Parses a request body, a JSON object, into its `fields` ([`read_object`]), refusing any other
/// field: the same answers as [`parse`] of a struct with these fields and
/// `#[serde(deny_unknown_fields)]`, without a serde_json reader per struct in the wasm.
///
/// ```
/// use app_passwords::domain::body::{Shape, parse_fields};
/// let mut body = parse_fields(br#"{"name":"Phone"}"#, &[("name", Shape::Text)]).unwrap();
/// assert_eq!(body.text("name").unwrap(), "Phone");
/// assert_eq!(parse_fields(br#"{}"#, &[("name", Shape::Text)]).err().unwrap().code, "invalid_request");
/// ```
///
/// # Errors
/// [`BodyError`] `invalid_json` or `invalid_request`, with fixed messages.
pub fn parse_fields(
    bytes: &[u8],
    fields: &'static [(&'static str, Shape)],
) -> Result<Object, BodyError> {
    an_object(bytes)?;
    read_object(bytes, fields, true).map_err(|e| match e {
        json::Error::Data(message) => shape_error(&message),
        json::Error::Syntax => not_json(bytes),
    })
}

/// An object starts with `{`; anything else is refused before serde sees it (a struct would
/// accept a JSON array of its fields).
fn an_object(bytes: &[u8]) -> Result<(), BodyError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return Ok(());
    }
    Err(if json::is_json(bytes) {
        BodyError::new("invalid_request", "the request body must be a JSON object")
    } else {
        not_json(bytes)
    })
}

fn classify(e: &serde_json::Error, bytes: &[u8]) -> BodyError {
    match e.classify() {
        serde_json::error::Category::Data => shape_error(&e.to_string()),
        _ => not_json(bytes),
    }
}

/// The Rust type a field of [`read_object`] is read as; `Option` types read `null` and a missing
/// field as absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `String`.
    Text,
    /// `Option<String>`.
    OptText,
    /// `bool`.
    Flag,
    /// `Option<u32>`.
    OptCount,
    /// `i64`.
    Int,
    /// `Vec<String>`.
    Texts,
    /// `Vec<String>`, empty when missing (`#[serde(default)]`).
    TextsOrNone,
    /// `Option<Vec<String>>`.
    OptTexts,
    /// `Option<bool>`.
    OptFlag,
    /// Any JSON value (`serde_json::Value`).
    Any,
    /// `Option<OnPasswordChange>` (a tenant setting).
    OptOnPasswordChange,
    /// A list of objects, each read as [`read_object`] reads one with these fields (unknown ones
    /// skipped); each item becomes an object of the fields it has.
    Objects(&'static [(&'static str, Shape)]),
}

/// The fields of `PUT /v1/settings` (every one optional; unknown ones are refused), as the tenant's
/// object reads them; the `request_body` fuzz target checks the reader against the derived one.
pub const SETTINGS_UPDATE_FIELDS: &[(&str, Shape)] = &[
    ("app_passwords_allowed", Shape::OptFlag),
    ("limit", Shape::OptCount),
    ("max_lifetime_days", Shape::OptCount),
    ("expire_unused_after_days", Shape::OptCount),
    ("on_password_change", Shape::OptOnPasswordChange),
    ("strict_revocation", Shape::OptFlag),
];

impl Shape {
    /// Whether a struct with a field of this type refuses the object without it.
    const fn required(self) -> bool {
        matches!(
            self,
            Self::Text | Self::Flag | Self::Int | Self::Texts | Self::Any | Self::Objects(_)
        )
    }
}

/// The fields of an object read by [`read_object`]: each present one, as the JSON value of its
/// [`Shape`] (`null` for an `Option` given `null`).
#[derive(Debug)]
pub struct Object {
    fields: &'static [(&'static str, Shape)],
    values: Vec<Option<serde_json::Value>>,
}

impl Object {
    fn take(&mut self, name: &str) -> Option<serde_json::Value> {
        let i = self.fields.iter().position(|(n, _)| *n == name)?;
        self.values.get_mut(i)?.take()
    }

    /// A `Text` field, or an `OptText` one (`None` when missing or `null`).
    #[must_use]
    pub fn opt_text(&mut self, name: &str) -> Option<String> {
        match self.take(name)? {
            serde_json::Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A `Text` field (always there once read).
    ///
    /// # Errors
    /// When `name` is not a `Text` field of the object.
    pub fn text(&mut self, name: &str) -> Result<String, BodyError> {
        self.opt_text(name).ok_or_else(not_read)
    }

    /// A `Flag` or `OptFlag` field (`None` when missing or `null`).
    #[must_use]
    pub fn opt_flag(&mut self, name: &str) -> Option<bool> {
        self.take(name)?.as_bool()
    }

    /// A `Flag` field (always there once read).
    ///
    /// # Errors
    /// When `name` is not a `Flag` field of the object.
    pub fn flag(&mut self, name: &str) -> Result<bool, BodyError> {
        self.opt_flag(name).ok_or_else(not_read)
    }

    /// An `OptCount` field told apart when given as `null` (`Some(None)`: clear it) from left out
    /// (`None`: keep it).
    #[must_use]
    pub fn given_count(&mut self, name: &str) -> Option<Option<u32>> {
        let value = self.take(name)?;
        Some(value.as_u64().and_then(|n| u32::try_from(n).ok()))
    }

    /// An `OptOnPasswordChange` field (`None` when missing or `null`).
    #[must_use]
    pub fn opt_on_password_change(&mut self, name: &str) -> Option<OnPasswordChange> {
        OnPasswordChange::from_json(self.take(name)?).ok()
    }

    /// An `OptCount` field (`None` when missing or `null`).
    #[must_use]
    pub fn opt_count(&mut self, name: &str) -> Option<u32> {
        self.take(name)?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
    }

    /// An `Int` field (always there once read).
    ///
    /// # Errors
    /// When `name` is not an `Int` field of the object.
    pub fn int(&mut self, name: &str) -> Result<i64, BodyError> {
        self.take(name)
            .and_then(|v| v.as_i64())
            .ok_or_else(not_read)
    }

    /// A `Texts`, `TextsOrNone` or `OptTexts` field (`None` when missing or `null`).
    #[must_use]
    pub fn opt_texts(&mut self, name: &str) -> Option<Vec<String>> {
        match self.take(name)? {
            serde_json::Value::Array(items) => Some(
                items
                    .into_iter()
                    .filter_map(|v| match v {
                        serde_json::Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// An `Objects` field: each item's fields, by name.
    #[must_use]
    pub fn objects(&mut self, name: &str) -> Vec<super::fields::Fields> {
        match self.take(name) {
            Some(serde_json::Value::Array(items)) => items
                .into_iter()
                .filter_map(|item| super::fields::Fields::new(item).ok())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// An `Any` field, as it was given (`null` when missing).
    #[must_use]
    pub fn any(&mut self, name: &str) -> serde_json::Value {
        self.take(name).unwrap_or_default()
    }
}

/// A field the reader did not fill in: a mistake of ours in naming a field, answered as a shape
/// error rather than a panic.
fn not_read() -> BodyError {
    BodyError::new("invalid_request", OTHER_SHAPE)
}

/// Reads the JSON object in `bytes` into its `fields`, as serde's derived reader of a struct with
/// fields of these [`Shape`]s reads it from the text with serde_json, but with one reader for every
/// struct ([`super::json`]): each field in the order given, a field given twice refused
/// (`duplicate field`), a field not listed refused (`unknown field`) when `deny_unknown`, else
/// skipped; then a required field missing is refused (`missing field`), the first in `fields`
/// order. Each value is read as serde_json reads its type, so a wrong type fails where and as it
/// did.
///
/// # Errors
/// The [`json::Error`] serde_json's derived reader gives (kind and message prefix).
pub fn read_object(
    bytes: &[u8],
    fields: &'static [(&'static str, Shape)],
    deny_unknown: bool,
) -> json::Result<Object> {
    let mut reader = json::Reader::new(bytes);
    let values = object(&mut reader, fields, deny_unknown)?;
    reader.end()?;
    Ok(Object { fields, values })
}

/// One object's `fields` (serde_json's `deserialize_map` with the derived struct visitor).
fn object(
    r: &mut json::Reader<'_>,
    fields: &'static [(&'static str, Shape)],
    deny_unknown: bool,
) -> json::Result<Vec<Option<Value>>> {
    match r.ws() {
        Some(b'{') => {}
        Some(_) => return Err(r.invalid_type()),
        None => return Err(json::Error::Syntax),
    }
    // Filled with `resize_with`, not `vec![None; n]`, which clones: `Value`'s clone (a B-tree's)
    // would come into the wasm for it (issue 13).
    let mut values: Vec<Option<Value>> = Vec::new();
    values.resize_with(fields.len(), || None);
    let mut field = |r: &mut json::Reader<'_>, key: String| {
        let found = fields
            .iter()
            .zip(values.iter_mut())
            .find(|((n, _), _)| *n == key);
        match found {
            Some(((name, _), Some(_))) => Err(json::data(format!("duplicate field `{name}`"))),
            Some(((_, shape), slot)) => {
                r.colon()?;
                *slot = Some(read_shape(r, *shape)?);
                Ok(())
            }
            None if deny_unknown => Err(json::data("unknown field")),
            None => {
                r.colon()?;
                r.skip()
            }
        }
    };
    r.entries(&mut field)?;
    // serde's visitor checks this once it has seen the `}`, before taking it: the same answer.
    for ((name, shape), value) in fields.iter().zip(&values) {
        if value.is_none() && shape.required() {
            return Err(json::data(format!("missing field `{name}`")));
        }
    }
    Ok(values)
}

/// Reads one value as the type of its [`Shape`], as serde_json reads that type.
fn read_shape(r: &mut json::Reader<'_>, shape: Shape) -> json::Result<Value> {
    let texts = |r: &mut json::Reader<'_>| -> json::Result<Value> {
        match r.ws() {
            Some(b'[') => {
                let mut items = Vec::new();
                r.items(&mut |r| {
                    items.push(Value::String(r.text()?));
                    Ok(())
                })?;
                Ok(Value::Array(items))
            }
            Some(_) => Err(r.invalid_type()),
            None => Err(json::Error::Syntax),
        }
    };
    let optional = matches!(
        shape,
        Shape::OptText
            | Shape::OptFlag
            | Shape::OptCount
            | Shape::OptTexts
            | Shape::OptOnPasswordChange
    );
    if optional && r.null()? {
        return Ok(Value::Null);
    }
    Ok(match shape {
        Shape::Text | Shape::OptText => Value::String(r.text()?),
        Shape::Flag | Shape::OptFlag => Value::Bool(r.flag()?),
        Shape::OptCount => match r.number()? {
            json::Num::U(n) => Value::from(u32::try_from(n).map_err(|_| out_of_range())?),
            json::Num::I(_) => return Err(out_of_range()),
            json::Num::F(_) => return Err(json::data("invalid type")),
        },
        Shape::Int => match r.number()? {
            json::Num::U(n) => Value::from(i64::try_from(n).map_err(|_| out_of_range())?),
            json::Num::I(n) => Value::from(n),
            json::Num::F(_) => return Err(json::data("invalid type")),
        },
        Shape::Texts | Shape::TextsOrNone | Shape::OptTexts => texts(r)?,
        Shape::Any => r.value()?,
        Shape::Objects(fields) => match r.ws() {
            Some(b'[') => {
                let mut items = Vec::new();
                r.items(&mut |r| {
                    let values = object(r, fields, false)?;
                    // Inserted one by one (the names are distinct): collecting would bring the
                    // map's sorting bulk build into the wasm.
                    let mut item = serde_json::Map::new();
                    for ((name, _), value) in fields.iter().zip(values) {
                        if let Some(value) = value {
                            item.insert((*name).to_owned(), value);
                        }
                    }
                    items.push(Value::Object(item));
                    Ok(())
                })?;
                Value::Array(items)
            }
            Some(_) => return Err(r.invalid_type()),
            None => return Err(json::Error::Syntax),
        },
        Shape::OptOnPasswordChange => {
            let policy = r.unit_variant(&|name| {
                OnPasswordChange::from_json(Value::String(name.to_owned())).ok()
            })?;
            Value::String(policy.json_name().to_owned())
        }
    })
}

/// serde's `invalid value` for a number out of the type's range.
fn out_of_range() -> json::Error {
    json::data("invalid value")
}

fn not_json(bytes: &[u8]) -> BodyError {
    let message = if bytes.iter().all(u8::is_ascii_whitespace) {
        "the request needs a JSON object body"
    } else {
        "the request body is not valid JSON"
    };
    BodyError::new("invalid_json", message)
}

/// The fixed message for a body of the wrong shape, from serde's message (never included).
fn shape_error(serde_message: &str) -> BodyError {
    let ours = |prefix: &str| {
        serde_message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .filter(|name| {
                !name.is_empty()
                    && name.len() <= 32
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
    };
    let message: Cow<'static, str> = if let Some(field) = ours("missing field `") {
        format!("the field \"{field}\" is required").into()
    } else if let Some(field) = ours("duplicate field `") {
        format!("the field \"{field}\" is given more than once").into()
    } else {
        FIXED
            .iter()
            .find(|(prefix, _)| serde_message.starts_with(prefix))
            .map_or(OTHER_SHAPE, |(_, m)| m)
            .into()
    };
    BodyError::new("invalid_request", message)
}

/// serde's message prefixes and the fixed texts said instead.
const FIXED: [(&str, &str); 5] = [
    (
        "unknown field",
        "the request has a field this endpoint does not accept",
    ),
    ("invalid type", "a field has the wrong type"),
    ("invalid value", "a field has a value out of range"),
    ("invalid length", "a list has the wrong number of items"),
    (
        "unknown variant",
        "a field has a value that is not one of the allowed ones",
    ),
];
/// The text for any other shape error.
const OTHER_SHAPE: &str = "the request body does not have the expected fields";

/// Whether `message` is one [`parse`] can give (for tests and fuzzing: nothing else may appear).
#[must_use]
pub fn is_fixed_message(message: &str) -> bool {
    let named = |prefix: &str, suffix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|m| m.strip_suffix(suffix))
            .is_some_and(|f| {
                !f.is_empty() && f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
    };
    [
        "the request needs a JSON object body",
        "the request body is not valid JSON",
        "the request body must be a JSON object",
        OTHER_SHAPE,
    ]
    .contains(&message)
        || FIXED.iter().any(|(_, m)| *m == message)
        || named("the field \"", "\" is required")
        || named("the field \"", "\" is given more than once")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        enabled: Option<bool>,
        limit: Option<u32>,
    }

    fn refused(body: &str) -> BodyError {
        parse::<Body>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_body_must_be_a_json_object() {
        for body in [r#"["x",["imap"]]"#, "[]", "\"name\"", "42", "null", "true"] {
            let e = refused(body);
            assert_eq!(e.code, "invalid_request", "{body}");
        }
        assert!(parse::<Body>(br#"{"name":"x"}"#).is_ok());
    }

    #[test]
    fn bad_json_is_invalid_json() {
        for body in ["", "{", "{\"name\":}", "[1", "{\"name\":\"\\ud800\"}"] {
            let e = refused(body);
            assert_eq!(e.code, "invalid_json", "{body}");
        }
        // Nested past serde_json's recursion limit (128), as an open-ended value would be.
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        let e = parse::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert_eq!(e.code, "invalid_json");
        assert_eq!(refused(&deep[5..deep.len() - 1]).code, "invalid_request");
        let e = parse::<Body>(b"{\"name\":\"\xff\"}").unwrap_err();
        assert_eq!(e.code, "invalid_json");
    }

    #[test]
    fn messages_never_echo_submitted_values_or_unknown_keys() {
        for (body, secret) in [
            (r#"{"name":1234567}"#, "1234567"),
            (r#"{"name":"x","SecretFieldName":1}"#, "SecretFieldName"),
            (r#"{"name":"x","limit":-987654}"#, "987654"),
            (r#"{"name":"x","enabled":"hunter2"}"#, "hunter2"),
            (r#"{"name":["hunter2"]}"#, "hunter2"),
            (r#"{"name":"x","limit":99999999999}"#, "99999999999"),
        ] {
            let e = refused(body);
            assert_eq!(e.code, "invalid_request", "{body}");
            assert!(!e.message.contains(secret), "{body}: {}", e.message);
            assert!(!e.message.contains("Body"), "{body}: {}", e.message);
        }
    }

    #[test]
    fn every_message_is_a_fixed_one() {
        for body in [
            "",
            "[]",
            "{",
            r#"{"x":1}"#,
            "{}",
            r#"{"name":1}"#,
            r#"{"name":"a","name":"b"}"#,
        ] {
            let e = refused(body);
            assert!(is_fixed_message(&e.message), "{body}: {}", e.message);
        }
        assert!(!is_fixed_message("unknown field `x`"));
    }

    #[test]
    fn a_missing_or_repeated_field_of_ours_is_named() {
        assert_eq!(refused("{}").message, "the field \"name\" is required");
        assert_eq!(
            refused(r#"{"name":"a","name":"b"}"#).message,
            "the field \"name\" is given more than once"
        );
    }

    /// The derived reader [`parse_fields`] must answer as: every field shape once.
    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Every {
        text: String,
        opt_text: Option<String>,
        flag: bool,
        opt_flag: Option<bool>,
        opt_count: Option<u32>,
        int: i64,
        texts: Vec<String>,
        #[serde(default)]
        texts_or_none: Vec<String>,
        opt_texts: Option<Vec<String>>,
        any: serde_json::Value,
        policy: Option<OnPasswordChange>,
        #[serde(default, deserialize_with = "given")]
        given: Option<Option<u32>>,
    }

    fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
        <Option<u32> as serde::Deserialize>::deserialize(d).map(Some)
    }

    const EVERY: &[(&str, Shape)] = &[
        ("text", Shape::Text),
        ("opt_text", Shape::OptText),
        ("flag", Shape::Flag),
        ("opt_flag", Shape::OptFlag),
        ("opt_count", Shape::OptCount),
        ("int", Shape::Int),
        ("texts", Shape::Texts),
        ("texts_or_none", Shape::TextsOrNone),
        ("opt_texts", Shape::OptTexts),
        ("any", Shape::Any),
        ("policy", Shape::OptOnPasswordChange),
        ("given", Shape::OptCount),
    ];

    fn by_fields(body: &str) -> Result<Every, BodyError> {
        let mut o = parse_fields(body.as_bytes(), EVERY)?;
        Ok(Every {
            text: o.text("text")?,
            opt_text: o.opt_text("opt_text"),
            flag: o.flag("flag")?,
            opt_flag: o.opt_flag("opt_flag"),
            opt_count: o.opt_count("opt_count"),
            int: o.int("int")?,
            texts: o.opt_texts("texts").ok_or_else(not_read)?,
            texts_or_none: o.opt_texts("texts_or_none").unwrap_or_default(),
            opt_texts: o.opt_texts("opt_texts"),
            any: o.any("any"),
            policy: o.opt_on_password_change("policy"),
            given: o.given_count("given"),
        })
    }

    #[test]
    fn parse_fields_answers_as_the_derived_reader() {
        let full = r#""text":"t","opt_text":"o","flag":true,"opt_flag":false,"opt_count":7,"int":-3,"texts":["a"],"texts_or_none":["b"],"opt_texts":["c"],"any":{"x":[1]}"#;
        let least = r#""text":"t","flag":false,"int":0,"texts":[],"any":null"#;
        let mut bodies = vec![
            format!("{{{full}}}"),
            format!("{{{least}}}"),
            format!(" {{ {least} }} "),
            format!(
                r#"{{{least},"opt_text":null,"opt_flag":null,"opt_count":null,"opt_texts":null}}"#
            ),
            String::new(),
            "[]".into(),
            "{".into(),
            "{}".into(),
            "null".into(),
            format!("{{{least}}} x"),
            format!("{{{least},}}"),
        ];
        // Every refusal: a wrong type, a value out of range, an unknown or repeated field, a
        // missing one, broken JSON after each (the first fault is the one reported).
        for extra in [
            r#""text":1"#,
            r#""opt_text":2"#,
            r#""flag":null"#,
            r#""flag":"true""#,
            r#""opt_flag":1"#,
            r#""opt_count":-1"#,
            r#""opt_count":4294967296"#,
            r#""opt_count":1.5"#,
            r#""opt_count":"1""#,
            r#""int":1.5"#,
            r#""int":9223372036854775808"#,
            r#""texts":null"#,
            r#""texts":[1]"#,
            r#""texts_or_none":null"#,
            r#""opt_texts":"a""#,
            r#""opt_texts":["a",null]"#,
            r#""unknown":1"#,
            r#""Text":"t""#,
            r#""text":"again""#,
            r#""any":null"#,
            r#""opt_text":null,"opt_text":"x""#,
            r#""policy":"revoke_all""#,
            r#""policy":null"#,
            r#""policy":"x""#,
            r#""policy":1"#,
            r#""policy":{"keep":null}"#,
            r#""given":null"#,
            r#""given":3"#,
            r#""given":-1"#,
        ] {
            bodies.push(format!("{{{least},{extra}}}"));
            bodies.push(format!("{{{extra},{least}}}"));
            bodies.push(format!("{{{extra},{least},"));
            bodies.push(format!("{{{extra},"));
        }
        for field in ["text", "flag", "int", "texts", "any"] {
            let without: Vec<&str> = least
                .split(',')
                .filter(|f| !f.starts_with(&format!("\"{field}\"")))
                .collect();
            bodies.push(format!("{{{}}}", without.join(",")));
        }
        for body in &bodies {
            let derived = parse::<Every>(body.as_bytes());
            assert_eq!(by_fields(body), derived, "{body}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Bodies of field names, values of every type, broken tokens and stray bytes: the field
        /// reader answers each as the derived reader does.
        #[test]
        fn any_token_sequence_reads_as_the_derived_reader(
            tokens in proptest::collection::vec(proptest::sample::select(vec![
                "{", "}", "[", "]", ",", ":", " ", "\"text\":", "\"flag\":", "\"int\":",
                "\"texts\":", "\"any\":", "\"policy\":", "\"given\":", "\"opt_count\":",
                "\"x\":", "\"t\"", "\"keep\"", "\"\\u00e9\"", "\"", "null", "nul", "true",
                "false", "0", "-", "-1", "1", ".5", "e9", "1e400", "4294967296", "x",
            ]), 0..14)
        ) {
            let body = tokens.concat();
            proptest::prop_assert_eq!(by_fields(&body), parse::<Every>(body.as_bytes()), "{}", body);
        }
    }

    #[test]
    fn read_object_skips_unknown_fields_when_asked_but_not_repeated_ones() {
        const FIELDS: &[(&str, Shape)] = &[("a", Shape::OptText)];
        let mut o = read_object(br#"{"b":[1,{"c":2}],"a":"x","b":3}"#, FIELDS, false).unwrap();
        assert_eq!(o.opt_text("a").as_deref(), Some("x"));
        assert!(read_object(br#"{"a":"x","a":"y"}"#, FIELDS, false).is_err());
        assert!(read_object(br#"{"b":1}"#, FIELDS, true).is_err());
        assert!(read_object(br#"["x"]"#, FIELDS, false).is_err());
    }
}
