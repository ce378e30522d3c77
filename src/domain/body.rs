//! Request bodies: one JSON object, read into a typed struct, with fixed error texts.
//!
//! Every shell that takes JSON from outside parses it here, so the rules hold everywhere: the body
//! must be a JSON object (serde would otherwise read `["x",["imap"]]` into a struct), and an error
//! never quotes what was submitted — serde's own messages do (``invalid type: integer `1234567` ``,
//! ``unknown field `x` ``), and a submitted value may be a password. Only a field name of our own
//! types (a missing or repeated field) is named.

use serde::de::DeserializeOwned;
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
    // An object starts with `{`; anything else is refused before serde sees it (a struct would
    // accept a JSON array of its fields).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => {
                    BodyError::new("invalid_request", "the request body must be a JSON object")
                }
                Err(_) => not_json(bytes),
            },
        );
    }
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => shape_error(&e.to_string()),
        _ => not_json(bytes),
    })
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
}
