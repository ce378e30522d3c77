//! HTTP translation: JSON bodies, error responses with stable codes, status codes.

use crate::core::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Headers, Request, Response};

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
    /// The `Allow` header of a 405.
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
        let status = e.http_status();
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
/// Errors: 413 `payload_too_large`, 400 `invalid_json`, 400 `invalid_request` (wrong shape; the
/// message names the field but never echoes a submitted value).
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::new(400, "invalid_json", "the request body could not be read"))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::new(
                400,
                "invalid_request",
                without_quoted_values(&e.to_string()),
            ),
            _ => ApiError::new(400, "invalid_json", "the request body is not valid JSON"),
        }
    })
}

fn too_large() -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// serde's messages quote offending values (`invalid type: string "…"`); a value may be a password.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            quoted = !quoted;
            if quoted {
                out.push_str("\"…\"");
            }
        } else if !quoted {
            out.push(c);
        }
    }
    out
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

    #[test]
    fn quoted_values_are_removed_from_serde_messages() {
        let m = without_quoted_values("invalid type: string \"hunter2\", expected a boolean");
        assert!(!m.contains("hunter2"));
        assert!(m.contains("expected a boolean"));
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
