//! HTTP translation: JSON bodies, methods, error responses with stable codes, status codes.
//!
//! Input is strict and answers never echo it: a body is one JSON object of at most
//! [`MAX_BODY_BYTES`] (read chunk by chunk, so a body without `Content-Length` is not buffered past
//! the limit), and error messages are fixed texts that name at most one of our own field names.

use crate::domain::fields::FromJson;
use crate::domain::to_json::{ToJson, to_json};
use crate::domain::{Error, body};
use js_sys::Uint8Array;
use worker::wasm_bindgen::JsValue;
use worker::{Headers, Method, Request, Response, ResponseBody};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// How much of a too-large body without `Content-Length` is read (and dropped) before reading stops.
pub const MAX_DRAIN_BYTES: usize = 1024 * 1024;

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
        struct Body<'a> {
            error: Inner<'a>,
        }
        crate::json_object!(Body<'_> { error });
        struct Inner<'a> {
            code: &'a str,
            message: &'a str,
            limit: Option<u32>,
        }
        crate::json_object!(Inner<'_> { code, message, ?limit });
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

    /// 503 [`Error::StorageUnavailable`] for a failure of the platform (storage, bindings); logs
    /// the detail, not the request.
    pub fn internal(context: &str, err: &dyn core::fmt::Display) -> Self {
        worker::console_error!("{context}: {err}");
        Error::StorageUnavailable.into()
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

/// A JSON response with `status`, never cached. Its headers are set on the response's own
/// (mutable) header list: no second list to build and copy on every answer.
pub fn json(status: u16, body: &dyn ToJson) -> worker::Result<Response> {
    let text = to_json(body).into_bytes();
    let mut response = Response::from_body(ResponseBody::Body(text))?.with_status(status);
    let headers = response.headers_mut();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    Ok(response)
}

/// The request's URL, parsed by the runtime's own WHATWG `URL`: `worker::Request::url` gives the
/// same answers through the `url` crate's parser, a large part of the wasm.
pub fn url(req: &Request) -> Result<web_sys::Url, ApiError> {
    web_sys::Url::new(&req.inner().url()).map_err(|_| ApiError::internal("request", &"not a URL"))
}

/// A request to `url` (a Durable Object, an identity provider), built on the runtime's own
/// `RequestInit`: worker's `RequestInit` links the conversion of Cloudflare's `cf` options (image
/// resizing and more), which the Worker never sets.
pub fn request(
    url: &str,
    method: &Method,
    headers: Option<&Headers>,
    body: Option<&JsValue>,
) -> worker::Result<Request> {
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    if let Some(headers) = headers {
        init.set_headers(&headers.0);
    }
    if let Some(body) = body {
        init.set_body(body);
    }
    Ok(web_sys::Request::new_with_str_and_init(url, &init)?.into())
}

/// Decodes JSON the Worker wrote itself (stored values, KV values, the objects' commands and
/// answers): parsed into a `serde_json::Value` by one parser, then read by `T`'s small reader
/// ([`FromJson`]): a derived `Deserialize` would put serde_json's readers into the wasm once per
/// type (issue 13). Outside input (request bodies, the identity provider's documents) is read
/// from the text, where repeated fields are refused; the Worker never writes any.
pub fn own_json<T: FromJson>(bytes: &[u8]) -> serde_json::Result<T> {
    crate::domain::fields::parse(bytes)
}

/// Reads the JSON answer of one of our Durable Objects into `T` with [`own_json`].
pub async fn answer_json<T: FromJson>(response: &mut Response) -> worker::Result<T> {
    Ok(own_json(&response.bytes().await?)?)
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`]: any JSON object ([`body::parse_value`]).
///
/// Errors: 413 `payload_too_large`; 400 `invalid_json` (not JSON, not UTF-8, nested too deep);
/// 400 `invalid_request` (not an object). Messages are fixed texts.
pub async fn read_value(req: &mut Request) -> Result<serde_json::Value, ApiError> {
    let bytes = read_body(req).await?;
    Ok(body::parse_value(&bytes)?)
}

/// Reads the body, refusing it once it grows past [`MAX_BODY_BYTES`]: by its declared
/// `Content-Length` before reading (a declared body within the limit is then read in one call), and
/// by counting while reading when there is none (chunked).
///
/// At most [`MAX_BODY_BYTES`] are kept. Past the limit the rest is read and dropped, up to
/// [`MAX_DRAIN_BYTES`], so that the answer goes out after the request (answering in the middle of a
/// streamed upload makes `wrangler dev`'s proxy fail the request with a 500); past that, reading
/// stops.
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
    let unreadable = || ApiError::new(400, "invalid_json", "the request body could not be read");
    if declared.is_some() {
        // A declared length within the limit: the runtime delivers exactly that many bytes (it
        // frames the body by it, and fails a body that runs past it), so one `arrayBuffer()` reads
        // it in one call instead of a stream reader's several round trips (issue 13). The length
        // is checked again all the same.
        let promise = req.inner().array_buffer().map_err(|_| unreadable())?;
        let buffer = worker::wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|_| unreadable())?;
        let bytes = Uint8Array::new(&buffer);
        if usize::try_from(bytes.length()).map_or(true, |n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        return Ok(bytes.to_vec());
    }
    let Some(raw) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let mut stream = wasm_streams::ReadableStream::from_raw(raw);
    let mut reader = stream.try_get_reader().map_err(|_| unreadable())?;
    let mut body = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = reader.read().await.map_err(|_| unreadable())? {
        let chunk = Uint8Array::new(&chunk);
        total = total.saturating_add(usize::try_from(chunk.length()).unwrap_or(usize::MAX));
        if total > MAX_DRAIN_BYTES {
            // Dropping the reader releases it without reading further.
            break;
        }
        if total <= MAX_BODY_BYTES {
            body.extend_from_slice(&chunk.to_vec());
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(body)
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`] into `fields` with [`body::parse_fields`]: the
/// same answers as `body::parse` of a struct of these fields with `deny_unknown_fields`, with one
/// reader for every body in the wasm.
pub async fn read_fields(
    req: &mut Request,
    fields: &'static [(&'static str, body::Shape)],
) -> Result<body::Object, ApiError> {
    let bytes = read_body(req).await?;
    Ok(body::parse_fields(&bytes, fields)?)
}

/// 400 with the body error's code and message.
impl From<body::BodyError> for ApiError {
    fn from(e: body::BodyError) -> Self {
        Self::new(400, e.code, e.message)
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// The method to route `req` by, or `None` for a method this API does not know.
///
/// worker's [`Method`] turns every method it does not know (`PROPFIND`, `MKCOL`) into `GET`, so a
/// route table matching on [`Request::method`] would run them as `GET`; this reads the method as the
/// request carries it. `HEAD` is routed as `GET` (the runtime sends no body with the answer to a
/// `HEAD`).
pub fn method(req: &Request) -> Option<Method> {
    let raw = req.inner().method();
    let known = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
        Method::Connect,
        Method::Trace,
        Method::Report,
    ];
    if raw == "HEAD" {
        return Some(Method::Get);
    }
    known.into_iter().find(|m| m.as_ref() == raw)
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

/// Decodes a percent-encoded path segment into UTF-8, or `None` when it is not UTF-8 or has a
/// `%` not followed by two hex digits (a literal `%` is sent as `%25`: a broken escape is a
/// client's mistake, refused rather than guessed at).
pub fn percent_decode(segment: &str) -> Option<String> {
    let escapes_whole = segment.split('%').skip(1).all(|rest| {
        rest.get(..2)
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if !escapes_whole {
        return None;
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn percent_decoding_handles_utf8_and_rejects_bad_escapes() {
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("%C3%BC").as_deref(), Some("ü"));
        assert_eq!(percent_decode("%c3%bc%25").as_deref(), Some("ü%"));
        assert_eq!(
            percent_decode("a+b").as_deref(),
            Some("a+b"),
            "no form decoding in paths"
        );
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        for bad in ["%zz", "%4", "%", "a%", "%FF", "%C0%80", "%E0%A4%A"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
