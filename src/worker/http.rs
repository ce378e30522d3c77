//! HTTP translation: JSON bodies, methods, error responses with stable codes, status codes.
//!
//! Input is strict and answers never echo it: a body is one JSON object of at most
//! [`MAX_BODY_BYTES`] (read chunk by chunk, so a body without `Content-Length` is not buffered past
//! the limit), and error messages are fixed texts that name at most one of our own field names.

use crate::core::Error;
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Headers, Method, Request, Response};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// An error response: `{"error":{"code","message"[,"limit"]}}` with an HTTP status.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable snake_case code.
    pub code: &'static str,
    /// Human-readable message; never contains a password.
    pub message: String,
    /// The limit, for `limit_reached`.
    pub limit: Option<u32>,
    /// The `Allow` header, for `method_not_allowed`.
    pub allow: Option<String>,
}

impl ApiError {
    /// An error of the HTTP layer (not a core rule).
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            limit: None,
            allow: None,
        }
    }

    /// The JSON response for this error.
    pub fn response(&self) -> worker::Result<Response> {
        #[derive(Serialize)]
        struct Body<'a> {
            error: Inner<'a>,
        }
        #[derive(Serialize)]
        struct Inner<'a> {
            code: &'a str,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            limit: Option<u32>,
        }
        let response = json(
            self.status,
            &Body {
                error: Inner {
                    code: self.code,
                    message: &self.message,
                    limit: self.limit,
                },
            },
        )?;
        if let Some(allow) = &self.allow {
            response.headers().set("allow", allow)?;
        }
        Ok(response)
    }

    /// 500 for a failure of the platform (storage, bindings); logs the detail, not the request.
    pub fn internal(context: &str, err: &dyn core::fmt::Display) -> Self {
        worker::console_error!("{context}: {err}");
        Self::new(
            503,
            "storage_unavailable",
            "the service could not reach its storage; try again",
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match e {
            Error::LimitReached { .. } | Error::NameTaken => 409,
            Error::MfaRequired | Error::AppPasswordsDisabled => 403,
            Error::NotFound => 404,
            Error::InvalidName
            | Error::InvalidUser
            | Error::MalformedPassword(_)
            | Error::BadChecksum
            | Error::InvalidScope
            | Error::InvalidSettings => 400,
            Error::SessionInvalid | Error::SessionExpired | Error::SessionNotMfa => 401,
            Error::RandomUnavailable => 503,
            Error::InvalidParams | Error::InvalidSecret | Error::InvalidHash => 500,
        };
        let limit = match e {
            Error::LimitReached { limit } => Some(limit),
            _ => None,
        };
        Self {
            status,
            code: e.code(),
            message: e.to_string(),
            limit,
            allow: None,
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::internal("worker", &e)
    }
}

/// A JSON response with `status`, never cached.
pub fn json<T: Serialize>(status: u16, body: &T) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    let text = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(Response::ok(text)?
        .with_status(status)
        .with_headers(headers))
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`] into `T`.
///
/// Errors: 413 `payload_too_large`; 400 `invalid_json` (not JSON, not UTF-8, nested too deep);
/// 400 `invalid_request` (not an object, or not the fields `T` has). Messages are fixed texts.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let bytes = read_body(req).await?;
    parse_json(&bytes)
}

/// Reads the body, refusing it as soon as it grows past [`MAX_BODY_BYTES`]: by its declared
/// `Content-Length` before reading, and by counting while reading when there is none (chunked).
async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let unreadable = || ApiError::new(400, "invalid_json", "the request body could not be read");
    let mut stream = req.stream().map_err(|_| unreadable())?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            // Dropping the stream cancels it: the rest is never read.
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses a request body: a JSON object with the fields of `T`.
///
/// # Errors
/// 400 `invalid_json` or `invalid_request`, with fixed messages (see [`shape_error`]).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let message = if e.is_eof() && bytes.iter().all(u8::is_ascii_whitespace) {
            "the request needs a JSON object body"
        } else {
            "the request body is not valid JSON"
        };
        ApiError::new(400, "invalid_json", message)
    })?;
    if !value.is_object() {
        return Err(ApiError::new(
            400,
            "invalid_request",
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_value(value).map_err(|e| shape_error(&e.to_string()))
}

/// A fixed message for a body of the wrong shape. serde's own messages quote submitted values and
/// unknown keys (``invalid type: integer `1234567` ``, ``unknown field `x` ``), which may be
/// secrets; only a field name of our own types (missing or repeated fields) is kept.
fn shape_error(serde_message: &str) -> ApiError {
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
    let message = if let Some(field) = ours("missing field `") {
        format!("the field \"{field}\" is required")
    } else if let Some(field) = ours("duplicate field `") {
        format!("the field \"{field}\" is given more than once")
    } else {
        let fixed = [
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
        fixed
            .iter()
            .find(|(prefix, _)| serde_message.starts_with(prefix))
            .map_or(
                "the request body does not have the expected fields",
                |(_, m)| m,
            )
            .to_owned()
    };
    ApiError::new(400, "invalid_request", message)
}

fn too_large() -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// The method to dispatch `req` on, for a route that accepts `allowed`.
///
/// worker's [`Method`] turns every method it does not know (`PROPFIND`, `FOO`) into `GET`, so this
/// reads the method as the request carries it. `HEAD` is accepted wherever `GET` is, and dispatched
/// as `GET` (the runtime sends no body with the answer to a `HEAD`).
///
/// # Errors
/// 405 `method_not_allowed` with an `Allow` header listing `allowed` (and `HEAD` with `GET`).
pub fn allow(req: &Request, allowed: &[Method]) -> Result<Method, ApiError> {
    let raw = req.inner().method();
    let known = allowed
        .iter()
        .find(|m| m.as_ref() == raw)
        .cloned()
        .or_else(|| (raw == "HEAD" && allowed.contains(&Method::Get)).then_some(Method::Get));
    known.ok_or_else(|| method_not_allowed(allowed))
}

/// 405 `method_not_allowed` with `Allow: <allowed>` (and `HEAD` after `GET`).
pub fn method_not_allowed(allowed: &[Method]) -> ApiError {
    let mut names: Vec<&str> = Vec::with_capacity(allowed.len() + 1);
    for method in allowed {
        names.push(method.as_ref());
        if *method == Method::Get {
            names.push("HEAD");
        }
    }
    ApiError {
        allow: Some(names.join(", ")),
        ..ApiError::new(
            405,
            "method_not_allowed",
            "this route does not accept this method",
        )
    }
}

/// Decodes a percent-encoded path segment into UTF-8, or `None`.
pub fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
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

    fn refused(body: &str) -> ApiError {
        parse_json::<Body>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_body_must_be_a_json_object() {
        for body in [r#"["x",["imap"]]"#, "[]", "\"name\"", "42", "null", "true"] {
            let e = refused(body);
            assert_eq!((e.status, e.code), (400, "invalid_request"), "{body}");
        }
        assert!(parse_json::<Body>(br#"{"name":"x"}"#).is_ok());
    }

    #[test]
    fn bad_json_is_invalid_json() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for body in ["", "{", "{\"name\":}", &deep, "{\"name\":\"\\ud800\"}"] {
            let e = refused(body);
            assert_eq!((e.status, e.code), (400, "invalid_json"), "{body}");
        }
        let e = parse_json::<Body>(b"{\"name\":\"\xff\"}").unwrap_err();
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
    fn a_missing_or_repeated_field_of_ours_is_named() {
        assert_eq!(refused("{}").message, "the field \"name\" is required");
        assert_eq!(
            refused(r#"{"name":"a","name":"b"}"#).message,
            "the field \"name\" is given more than once"
        );
    }

    #[test]
    fn percent_decoding_handles_utf8_and_rejects_bad_escapes() {
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("%C3%BC").as_deref(), Some("ü"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None);
    }
}
