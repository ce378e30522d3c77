//! `GET /v1/stats`: this isolate's counters, for operators and tests.
//!
//! The numbers are per isolate (a Worker runs in many isolates in production; under `wrangler dev`
//! there is one) and start at zero when the isolate starts.

use super::http::{self, ApiError};
use super::{kv, login_cache, verify};
use crate::domain::hash;
use worker::Response;

struct Stats {
    /// Argon2 computations (hashes and verifications) run by this isolate.
    argon2_runs: u64,
    /// KV reads made by this isolate.
    kv_reads: u64,
    /// Lookup keys (HMAC-SHA-256) computed by this isolate: one per well-formed login.
    lookup_keys: u64,
    /// Logins answered from this isolate's login cache (no KV read, no Argon2).
    cache_hits: u64,
    /// Logins answered 429 by this isolate.
    throttled: u64,
    /// Pairs and addresses this isolate currently remembers as blocked.
    blocked: usize,
}

crate::json_object!(Stats {
    argon2_runs,
    kv_reads,
    lookup_keys,
    cache_hits,
    throttled,
    blocked
});

/// The counters as JSON.
pub fn stats() -> Result<Response, ApiError> {
    Ok(http::json(
        200,
        &Stats {
            argon2_runs: hash::argon2_runs(),
            kv_reads: kv::reads(),
            lookup_keys: hash::lookup_keys(),
            cache_hits: login_cache::hits(),
            throttled: verify::throttled(),
            blocked: verify::blocked(),
        },
    )?)
}
