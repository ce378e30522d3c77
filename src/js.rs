//! The npm package's API: `#[wasm_bindgen]` exports over the [`core`](crate::domain), behind feature
//! `js` (built by `make pkg`, see `mk/pkg.mk` and `tools/build-pkg.mjs`).
//!
//! This module only translates: it reads JavaScript arguments, calls the core, and turns the result
//! or the core's [`Error`] into JavaScript values. Every rule (format, hashing, limits, names, MFA,
//! scopes) lives in the core.
//!
//! - Thrown errors are JavaScript `Error`s whose `code` property is [`Error::code`] and `status`
//!   [`Error::http_status`] (`limit_reached` also carries `limit`); an argument of the wrong shape
//!   throws with code `invalid_argument` and status 400.
//! - Server secrets are strings (UTF-8) or `Uint8Array`s; hashing parameters are `{ m, t, p }`,
//!   checked by [`HashParams::validate`].
//! - Randomness is [`SystemEntropy`] (`crypto.getRandomValues`), read only inside calls, never when
//!   the module loads.
//! - Records and entries keep the core's serde shape (snake_case, the same JSON the Worker stores);
//!   function and option names are camelCase.

use crate::domain::error::Error;
use crate::domain::format::{self, Password};
use crate::domain::hash::{self, HashParams, ServerSecret};
use crate::domain::random::SystemEntropy;
use crate::domain::rules::{
    self, Context, Issued, OnPasswordChange, Protocol, Rejection, Settings, Summary, UserId,
    UserRecord,
};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

/// The code thrown for arguments of the wrong type or shape (not a core error).
const INVALID_ARGUMENT: &str = "invalid_argument";

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/// <reference lib="esnext.disposable" />
// (The classes implement `Symbol.dispose`, so `using account = UserAppPasswords.fromJSON(…)` frees them.)

/** A server secret (Argon2 pepper and lookup-key HMAC key): a UTF-8 string or raw bytes, at least 16 bytes. */
export type Secret = string | Uint8Array;

/** Argon2id cost parameters: memory `m` in KiB, passes `t`, lanes `p`. All three are required. */
export interface HashParams {
  /** Memory in KiB (8·p to 1 048 576). */
  m: number;
  /** Passes over memory (at least 1). */
  t: number;
  /** Lanes (1 to 16). */
  p: number;
}

/** A protocol an app password may be limited to. */
export type Protocol = "imap" | "smtp" | "pop" | "eas" | "dav";

/** The `code` of an error thrown by this package: one of `errorCodes()`. */
export type ErrorCode = string; // @error-codes: tools/build-pkg.mjs writes the union of errorCodes() here

/** What every function of this package throws: an `Error` with a stable `code`. */
export interface AppPasswordError extends Error {
  /** Stable snake_case code to switch on. */
  code: ErrorCode;
  /** The HTTP status to answer with (the app-passwords Worker's): 400, 403, 404, 409, 500 or 503. */
  status: number;
  /** With `limit_reached`: the limit in force. */
  limit?: number;
}

/** Why `UserAppPasswords.check` refused a password. */
export type RejectionCode =
  | "malformed_password" | "bad_checksum" | "unknown_password" | "scope_denied" | "expired" | "mfa_required";

/** A new app password: the normalised form and the form to show. */
export interface GeneratedAppPassword {
  /** 24 lowercase letters: what is hashed and what a client may send. */
  password: string;
  /** The same letters in six dash-separated groups of four, to show once. */
  display: string;
}

/** Options of `hashAppPassword`. */
export interface HashOptions {
  /** The server secret. */
  secret: Secret;
  /** Argon2id costs; default OWASP `{ m: 19456, t: 2, p: 1 }`. */
  params?: HashParams;
  /**
   * A fixed salt (8 to 48 bytes) instead of 16 random bytes: for known-answer tests and migrations
   * only. Never reuse a salt in production.
   */
  salt?: Uint8Array;
}

/** Options of `verifyAppPassword`. */
export interface VerifyOptions {
  /** The server secret the hash was made with. */
  secret: Secret;
}

/** One app password as a user may see it: no hash, no lookup key. Times are Unix seconds. */
export interface AppPasswordEntry {
  /** Stable id, `ap_` and 16 hex digits. */
  id: string;
  /** The user's name for the device or app. */
  name: string;
  /** Creation time. */
  created_at: number;
  /** Last successful use, or null. */
  last_used_at: number | null;
  /** Protocol of the last successful use, when known. */
  last_used_protocol: Protocol | null;
  /** Client address of the last successful use, when known. */
  last_used_ip: string | null;
  /** Protocols it may be used with; empty means all. */
  scopes: Protocol[];
  /** When it stops working, or null. */
  expires_at: number | null;
}

/** One app password as the record stores it. */
export interface StoredAppPassword extends AppPasswordEntry {
  /** Where the credential is found: `lookupKey(user, password, secret)`. */
  lookup_key: string;
  /** Argon2id PHC string. */
  phc: string;
  /** Short public name of the server secret it was made with (absent in older records). */
  secret_id?: string;
}

/** A user's record as `toJSON()` returns it: store it as it is (it holds hashes, never plaintext). */
export interface UserRecord {
  /** The user's opaque id (bound into every lookup key). */
  user: string;
  /** Whether the user has multi-factor authentication on. */
  mfa_enabled: boolean;
  /** The app passwords, oldest first. */
  app_passwords: StoredAppPassword[];
}

/** A stored record as `fromJSON` accepts it: missing fields take their defaults. */
export interface UserRecordInput {
  /** The user's id; may be omitted when `options.user` gives it. */
  user?: string;
  /** Default false. */
  mfa_enabled?: boolean;
  /** Default empty. */
  app_passwords?: Array<
    Omit<StoredAppPassword, "scopes" | "last_used_at" | "last_used_protocol" | "last_used_ip" | "expires_at"> &
      Partial<Pick<StoredAppPassword, "scopes" | "last_used_at" | "last_used_protocol" | "last_used_ip" | "expires_at">>
  >;
}

/** Options of `UserAppPasswords.fromJSON`: who the user is, the server configuration and the tenant settings. */
export interface UserAppPasswordsOptions {
  /** The user's id: required when the record is absent or has no `user`; must match it otherwise. */
  user?: string;
  /** The server secret: required by `create`, `onMfaRegistered` and `onMfaDisabled`; the default of `verify`. */
  secret?: Secret;
  /** Argon2id costs of new hashes; default OWASP `{ m: 19456, t: 2, p: 1 }`. */
  params?: HashParams;
  /** Tenant switch: when false no new app passwords are created (existing ones still verify). Default true. */
  appPasswordsAllowed?: boolean;
  /** Tenant limit of app passwords per user, 1 to 100. Default 40. */
  limit?: number;
  /** Tenant maximum lifetime of new app passwords in days (1 to 3650), also their lifetime when `create` asks for none. Default none. */
  maxLifetimeDays?: number | null;
  /** App passwords not used for this many days (1 to 3650; counted from creation if never used) stop verifying with `expired`. Default never. */
  expireUnusedAfterDays?: number | null;
  /** What `onPasswordChanged` does: `"keep"` (default, as Entra ID) or `"revoke_all"` (as Google and Apple). */
  onPasswordChange?: "keep" | "revoke_all";
}

/** Options of `UserAppPasswords.create`. */
export interface CreateOptions {
  /** The device or app name: 1 to 64 visible characters after trimming (stored in Unicode NFC; no control, zero-width or bidi characters), unique per user ignoring case and normal form. */
  name: string;
  /** Protocols it may be used with; default all. */
  scopes?: Protocol[];
  /** Lifetime in days, 1 to the tenant's `maxLifetimeDays` (or 3650); default the tenant's maximum, or no expiry. */
  expiresInDays?: number;
  /** The current time in Unix seconds; default now. */
  now?: number;
}

/** Options of `UserAppPasswords.onMfaRegistered`. */
export interface MfaRegisteredOptions {
  /** Name of the first app password; default "First app password". */
  name?: string;
  /** The current time in Unix seconds; default now. */
  now?: number;
}

/** A created app password: show `display` once, then forget it; the record keeps only its hash. */
export interface CreatedAppPassword extends GeneratedAppPassword {
  /** The new entry as the user may see it. */
  entry: AppPasswordEntry;
}

/** Options of `UserAppPasswords.verify` and `check`. */
export interface UserVerifyOptions {
  /** The server secret; default the one given to `fromJSON`. */
  secret?: Secret;
  /** The protocol of the login, checked against the entry's scopes. */
  protocol?: Protocol;
  /** The current time in Unix seconds (expiry, last use); default now. */
  now?: number;
}

/** The outcome of `UserAppPasswords.check`. */
export type CheckResult =
  | { ok: true; entry: AppPasswordEntry; changed: boolean }
  | { ok: false; reason: RejectionCode };
"#;

// ----- errors ---------------------------------------------------------------------------------

/// A JavaScript `Error` with a `code` property (and `status` 400, which core errors overwrite).
fn coded_error(code: &str, message: &str) -> js_sys::Error {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    let _ = Reflect::set(&error, &"status".into(), &400.into());
    error
}

/// A core error as a thrown JavaScript `Error` (`code`, `status`, and `limit` for `limit_reached`).
fn core_error(error: Error) -> JsValue {
    let js = coded_error(error.code(), &error.to_string());
    let _ = Reflect::set(&js, &"status".into(), &error.http_status().into());
    if let Error::LimitReached { limit } = error {
        let _ = Reflect::set(&js, &"limit".into(), &limit.into());
    }
    js.into()
}

/// An `invalid_argument` error.
fn invalid(message: &str) -> JsValue {
    coded_error(INVALID_ARGUMENT, message).into()
}

// ----- reading arguments ----------------------------------------------------------------------

/// An options object: `undefined`/`null` is `None`; anything but a plain object, or an object with
/// a key not in `allowed` (a typo would otherwise silently fall back to a default), is refused.
fn options(value: &JsValue, what: &str, allowed: &[&str]) -> Result<Option<Object>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() || Array::is_array(value) || value.is_function() {
        return Err(invalid(&format!("{what} must be an object")));
    }
    let object: Object = value.clone().unchecked_into();
    for key in Object::keys(&object) {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(invalid(&format!(
                "{what} has an unknown property {key:?}; expected {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(Some(object))
}

/// Property `key` of an optional options object (`undefined` when either is absent).
fn field(object: Option<&Object>, key: &str) -> JsValue {
    object
        .and_then(|o| Reflect::get(o, &key.into()).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// A required string.
fn string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid(&format!("{what} must be a string")))
}

/// An optional string.
fn optional_string(value: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        string(value, what).map(Some)
    }
}

/// An optional user id, checked by the core (`invalid_user` unless 1 to 256 bytes).
fn user_id(value: &JsValue, what: &str) -> Result<Option<UserId>, JsValue> {
    optional_string(value, what)?
        .map(|id| UserId::new(&id).map_err(core_error))
        .transpose()
}

/// Parses an app password the caller typed, wiping the copy of the input in wasm memory.
fn password(value: &JsValue) -> Result<Password, JsValue> {
    let mut input = string(value, "the password")?;
    let result = format::normalize(&input).map_err(core_error);
    input.zeroize();
    result
}

/// A server secret: a string (its UTF-8 bytes) or a `Uint8Array`, checked by the core.
fn secret(value: &JsValue) -> Result<ServerSecret, JsValue> {
    let mut bytes = if let Some(text) = value.as_string() {
        text.into_bytes()
    } else if let Some(array) = value.dyn_ref::<Uint8Array>() {
        array.to_vec()
    } else {
        return Err(invalid("secret must be a string or a Uint8Array"));
    };
    let result = ServerSecret::new(&bytes).map_err(core_error);
    bytes.zeroize();
    result
}

/// Argon2id parameters `{ m, t, p }` (default OWASP), checked by the core.
fn params(value: &JsValue) -> Result<HashParams, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(HashParams::default());
    }
    let params: HashParams = serde_wasm_bindgen::from_value(value.clone()).map_err(|e| {
        invalid(&format!(
            "params must be {{ m, t, p }} with non-negative integers: {e}"
        ))
    })?;
    params.validate().map_err(core_error)
}

/// A time in Unix seconds (an integer); `undefined` is the current time.
fn now(value: &JsValue) -> Result<i64, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok((js_sys::Date::now() / 1000.0).floor() as i64);
    }
    match value.as_f64() {
        Some(seconds) if js_sys::Number::is_safe_integer(value) => Ok(seconds as i64),
        _ => Err(invalid("now must be an integer number of seconds")),
    }
}

/// A list of protocol names, checked by the core; `undefined` is all protocols.
fn scopes(value: &JsValue) -> Result<Vec<Protocol>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !Array::is_array(value) {
        return Err(invalid("scopes must be an array of protocol names"));
    }
    let names = Array::from(value)
        .iter()
        .map(|v| string(&v, "each scope"))
        .collect::<Result<Vec<_>, _>>()?;
    rules::parse_scopes(&names).map_err(core_error)
}

/// An optional protocol name, checked by the core.
fn protocol(value: &JsValue) -> Result<Option<Protocol>, JsValue> {
    optional_string(value, "protocol")?
        .map(|name| Protocol::parse(&name).map_err(core_error))
        .transpose()
}

/// An optional whole number of days (`undefined` or `null`: none), range-checked by the core.
fn days(value: &JsValue, what: &str) -> Result<Option<u32>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value(value.clone())
        .map(Some)
        .map_err(|_| invalid(&format!("{what} must be a whole number of days")))
}

/// The tenant's policy for main-password changes: `"keep"` (default) or `"revoke_all"`.
fn on_password_change(value: &JsValue) -> Result<OnPasswordChange, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(OnPasswordChange::default());
    }
    serde_wasm_bindgen::from_value(value.clone())
        .map_err(|_| invalid("options.onPasswordChange must be \"keep\" or \"revoke_all\""))
}

/// An optional boolean.
fn boolean(value: &JsValue, what: &str, default: bool) -> Result<bool, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    value
        .as_bool()
        .ok_or_else(|| invalid(&format!("{what} must be a boolean")))
}

// ----- writing results ------------------------------------------------------------------------

/// A serde value as plain JSON-compatible JavaScript (objects, arrays, `null` for `None`).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(JsValue::from)
}

/// `{ password, display }`.
fn generated(password: &Password) -> Object {
    let object = Object::new();
    let _ = Reflect::set(&object, &"password".into(), &password.as_str().into());
    let _ = Reflect::set(&object, &"display".into(), &password.display().into());
    object
}

/// `{ password, display, entry }` for a newly created app password.
fn created(issued: &Issued) -> Result<JsValue, JsValue> {
    let object = generated(&issued.password);
    let _ = Reflect::set(&object, &"entry".into(), &to_js(&issued.entry.summary())?);
    Ok(object.into())
}

// ----- free functions -------------------------------------------------------------------------

/// Generates a new app password from the platform's CSPRNG (`crypto.getRandomValues`): 20 random
/// letters (about 94 bits) and 4 check letters.
///
/// Returns `password` (24 lowercase letters, the normalised form) and `display` (six groups of four
/// joined by dashes, the form to show once).
///
/// @throws {AppPasswordError} `random_unavailable` when the platform has no CSPRNG.
#[wasm_bindgen(js_name = generateAppPassword, unchecked_return_type = "GeneratedAppPassword")]
pub fn generate_app_password() -> Result<JsValue, JsValue> {
    let password = Password::generate(&mut SystemEntropy).map_err(core_error)?;
    Ok(generated(&password).into())
}

/// Normalises what a person typed (case, spaces and dashes are ignored) to the 24 lowercase letters
/// that are hashed, checking the checksum.
///
/// @throws {AppPasswordError} `malformed_password` (wrong length or a character other than letters,
/// spaces and dashes), `bad_checksum` (a typo), `invalid_argument` (not a string).
#[wasm_bindgen(js_name = normalizeAppPassword)]
pub fn normalize_app_password(
    #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
) -> Result<String, JsValue> {
    Ok(password(&input)?.as_str().to_owned())
}

/// Normalises `input` like `normalizeAppPassword` and returns the display form: six groups of four
/// letters joined by dashes.
///
/// @throws {AppPasswordError} as `normalizeAppPassword`.
#[wasm_bindgen(js_name = displayAppPassword)]
pub fn display_app_password(
    #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
) -> Result<String, JsValue> {
    Ok(password(&input)?.display())
}

/// Hashes an app password with Argon2id keyed with the server secret, returning a PHC string
/// (`$argon2id$v=19$m=…,t=…,p=…$salt$tag`). The input is normalised first.
///
/// `options.params` defaults to OWASP's `{ m: 19456, t: 2, p: 1 }`; `options.salt` fixes the salt
/// (known-answer tests and migrations only; by default 16 random bytes are drawn).
///
/// @throws {AppPasswordError} `malformed_password`, `bad_checksum`, `invalid_secret`,
/// `invalid_params` (also for a salt shorter than 8 bytes), `random_unavailable`, `invalid_argument`.
#[wasm_bindgen(js_name = hashAppPassword)]
pub fn hash_app_password(
    #[wasm_bindgen(js_name = "password", unchecked_param_type = "string")] password_input: JsValue,
    #[wasm_bindgen(js_name = "options", unchecked_param_type = "HashOptions")]
    options_input: JsValue,
) -> Result<String, JsValue> {
    let password = password(&password_input)?;
    let opts = options(&options_input, "options", &["secret", "params", "salt"])?;
    let opts = opts.ok_or_else(|| invalid("options { secret } is required"))?;
    let secret = secret(&field(Some(&opts), "secret"))?;
    let params = params(&field(Some(&opts), "params"))?;
    let salt = field(Some(&opts), "salt");
    if salt.is_undefined() {
        hash::hash(&password, &secret, params, &mut SystemEntropy).map_err(core_error)
    } else {
        let salt = salt
            .dyn_ref::<Uint8Array>()
            .ok_or_else(|| invalid("salt must be a Uint8Array"))?
            .to_vec();
        hash::hash_with_salt(&password, &secret, params, &salt).map_err(core_error)
    }
}

/// Checks an app password against a PHC string made by `hashAppPassword`, in constant time, with
/// the parameters recorded in the PHC string (so old hashes keep verifying after a change).
///
/// Returns false for a wrong password or another secret. Input that is not an app password at all
/// throws, before any Argon2 run: catch `malformed_password` and `bad_checksum` to tell the user.
///
/// @throws {AppPasswordError} `malformed_password`, `bad_checksum`, `invalid_hash`,
/// `invalid_secret`, `invalid_argument`.
#[wasm_bindgen(js_name = verifyAppPassword)]
pub fn verify_app_password(
    #[wasm_bindgen(js_name = "password", unchecked_param_type = "string")] password_input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] phc: JsValue,
    #[wasm_bindgen(js_name = "options", unchecked_param_type = "VerifyOptions")]
    options_input: JsValue,
) -> Result<bool, JsValue> {
    let password = password(&password_input)?;
    let phc = string(&phc, "phc")?;
    let opts = options(&options_input, "options", &["secret"])?;
    let opts = opts.ok_or_else(|| invalid("options { secret } is required"))?;
    let secret = secret(&field(Some(&opts), "secret"))?;
    hash::verify(&password, &phc, &secret).map_err(core_error)
}

/// Whether a PHC string should be replaced by a new hash made with `params` (default OWASP): true
/// when its algorithm, version or costs differ, or it cannot be read. Call it after a successful
/// verification, while the plaintext is at hand.
///
/// @throws {AppPasswordError} `invalid_params`, `invalid_argument`.
#[wasm_bindgen(js_name = needsRehash)]
pub fn needs_rehash(
    #[wasm_bindgen(unchecked_param_type = "string")] phc: JsValue,
    #[wasm_bindgen(js_name = "params", unchecked_optional_param_type = "HashParams")]
    params_input: JsValue,
) -> Result<bool, JsValue> {
    let phc = string(&phc, "phc")?;
    Ok(hash::needs_rehash(&phc, params(&params_input)?))
}

/// The storage key of a credential: hex of HMAC-SHA-256 under the server secret of (user,
/// normalised password). Store each hash under it to find a login's credential with one read.
///
/// @throws {AppPasswordError} `malformed_password`, `bad_checksum`, `invalid_secret`,
/// `invalid_user`, `invalid_argument`.
#[wasm_bindgen(js_name = lookupKey)]
pub fn lookup_key(
    #[wasm_bindgen(unchecked_param_type = "string")] user: JsValue,
    #[wasm_bindgen(js_name = "password", unchecked_param_type = "string")] password_input: JsValue,
    #[wasm_bindgen(js_name = "secret", unchecked_param_type = "Secret")] secret_input: JsValue,
) -> Result<String, JsValue> {
    let user = UserId::new(&string(&user, "user")?).map_err(core_error)?;
    let password = password(&password_input)?;
    let secret = secret(&secret_input)?;
    Ok(hash::lookup_key(user.as_str(), &password, &secret))
}

/// The default Argon2id parameters (OWASP's): `{ m: 19456, t: 2, p: 1 }`.
#[wasm_bindgen(js_name = defaultHashParams, unchecked_return_type = "HashParams")]
pub fn default_hash_params() -> Result<JsValue, JsValue> {
    to_js(&HashParams::default())
}

/// How many Argon2 computations this module instance has run (hashing and verifying): for
/// monitoring, and to show that refused input (malformed, mistyped, unknown) costs none.
#[wasm_bindgen(js_name = argon2Runs)]
pub fn argon2_runs() -> f64 {
    // Exact up to 2^53 runs.
    hash::argon2_runs() as f64
}

/// Every `code` an error thrown by this package may carry.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> Array {
    Error::ALL_CODES
        .iter()
        .chain([INVALID_ARGUMENT].iter())
        .map(|code| JsValue::from_str(code))
        .collect()
}

// ----- the per-user record --------------------------------------------------------------------

/// One user's app passwords, with the per-user rules applied: MFA required, a name unique per user,
/// at most `limit` (default 40), creation off when the tenant says so.
///
/// The state is a plain JSON record that you store (`toJSON()`; it holds hashes, never plaintext)
/// and load again with `UserAppPasswords.fromJSON(record, options)`. The server secret, the hashing
/// parameters and the tenant settings are given to `fromJSON`; each change is made in memory, so
/// save `toJSON()` after `create`, `delete`, `deleteAll`, `onMfaRegistered`, `onMfaDisabled` and
/// a `verify` that recorded a use.
#[wasm_bindgen]
pub struct UserAppPasswords {
    record: UserRecord,
    settings: Settings,
    params: HashParams,
    secret: Option<ServerSecret>,
}

#[wasm_bindgen]
impl UserAppPasswords {
    /// Loads a user's record (what `toJSON()` returned, as an object or a JSON string; `undefined`
    /// or `null` for a new user) with the configuration that changes need.
    ///
    /// `options.user` is required when the record is absent or has no `user`, and must equal the
    /// record's `user` otherwise: the user is bound into every lookup key. `options.secret` is
    /// required by `create`, `onMfaRegistered` and `onMfaDisabled`, and is the default secret of
    /// `verify`. `options.params` (default OWASP), `options.appPasswordsAllowed` (default true) and
    /// `options.limit` (1 to 100, default 40) apply to new app passwords.
    ///
    /// @throws {AppPasswordError} `invalid_user` (a user id that is empty or over 256 bytes),
    /// `invalid_secret`, `invalid_params`, `invalid_settings`,
    /// `invalid_argument` (including a record that is not of the stored shape).
    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_optional_param_type = "UserRecordInput | string | null")]
        record: JsValue,
        #[wasm_bindgen(
            js_name = "options",
            unchecked_optional_param_type = "UserAppPasswordsOptions"
        )]
        options_input: JsValue,
    ) -> Result<UserAppPasswords, JsValue> {
        let opts = options(
            &options_input,
            "options",
            &[
                "user",
                "secret",
                "params",
                "appPasswordsAllowed",
                "limit",
                "maxLifetimeDays",
                "expireUnusedAfterDays",
                "onPasswordChange",
            ],
        )?;
        let opts = opts.as_ref();
        let user = user_id(&field(opts, "user"), "options.user")?;
        let secret_input = field(opts, "secret");
        let secret = if secret_input.is_undefined() {
            None
        } else {
            Some(secret(&secret_input)?)
        };
        let params = params(&field(opts, "params"))?;
        let limit_input = field(opts, "limit");
        let limit = if limit_input.is_undefined() {
            Settings::default().limit
        } else {
            serde_wasm_bindgen::from_value(limit_input)
                .map_err(|_| invalid("options.limit must be a positive integer"))?
        };
        let settings = Settings {
            app_passwords_allowed: boolean(
                &field(opts, "appPasswordsAllowed"),
                "options.appPasswordsAllowed",
                Settings::default().app_passwords_allowed,
            )?,
            limit,
            max_lifetime_days: days(&field(opts, "maxLifetimeDays"), "options.maxLifetimeDays")?,
            expire_unused_after_days: days(
                &field(opts, "expireUnusedAfterDays"),
                "options.expireUnusedAfterDays",
            )?,
            on_password_change: on_password_change(&field(opts, "onPasswordChange"))?,
            strict_revocation: false,
        }
        .validate()
        .map_err(core_error)?;
        let record = load_record(&record, user)?;
        Ok(Self {
            record,
            settings,
            params,
            secret,
        })
    }

    /// The user's id.
    #[wasm_bindgen(getter)]
    pub fn user(&self) -> String {
        self.record.user.as_str().to_owned()
    }

    /// Whether the user has multi-factor authentication on.
    #[wasm_bindgen(getter, js_name = mfaEnabled)]
    pub fn mfa_enabled(&self) -> bool {
        self.record.mfa_enabled
    }

    /// Creates an app password named `options.name`, limited to `options.scopes` (default all), at
    /// `options.now` (Unix seconds, default now), expiring after `options.expiresInDays` (1 to the
    /// tenant's `maxLifetimeDays` or 3650; default the tenant's maximum, or never). Returns the
    /// plaintext, to show once, and the entry; the record keeps only the hash. Needs `secret` in
    /// `fromJSON`'s options.
    ///
    /// @throws {AppPasswordError} in this order: `mfa_required`, `app_passwords_disabled`,
    /// `invalid_name`, `invalid_expiry`, `limit_reached` (with `limit`), `name_taken`; also
    /// `invalid_scope`, `random_unavailable`, `invalid_argument`.
    #[wasm_bindgen(unchecked_return_type = "CreatedAppPassword")]
    pub fn create(
        &mut self,
        #[wasm_bindgen(js_name = "options", unchecked_param_type = "CreateOptions")]
        options_input: JsValue,
    ) -> Result<JsValue, JsValue> {
        let opts = options(
            &options_input,
            "options",
            &["name", "scopes", "expiresInDays", "now"],
        )?;
        let opts = opts.ok_or_else(|| invalid("options { name } is required"))?;
        let name = string(&field(Some(&opts), "name"), "options.name")?;
        let scopes = scopes(&field(Some(&opts), "scopes"))?;
        let expires_in_days = days(
            &field(Some(&opts), "expiresInDays"),
            "options.expiresInDays",
        )?;
        let now = now(&field(Some(&opts), "now"))?;
        let secret = configured_secret(self.secret.as_ref())?;
        let ctx = Context {
            settings: self.settings,
            secret,
            params: self.params,
            now,
        };
        let issued = self
            .record
            .create_expiring(&name, scopes, expires_in_days, &ctx, &mut SystemEntropy)
            .map_err(core_error)?;
        created(&issued)
    }

    /// Deletes the app password with this id and returns its entry.
    ///
    /// @throws {AppPasswordError} `not_found`, `invalid_argument`.
    #[wasm_bindgen(unchecked_return_type = "AppPasswordEntry")]
    pub fn delete(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = string(&id, "id")?;
        let entry = self.record.delete(&id).map_err(core_error)?;
        to_js(&entry.summary())
    }

    /// Deletes every app password of the user and returns their entries.
    #[wasm_bindgen(js_name = deleteAll, unchecked_return_type = "AppPasswordEntry[]")]
    pub fn delete_all(&mut self) -> Result<JsValue, JsValue> {
        let removed: Vec<Summary> = self
            .record
            .delete_all()
            .iter()
            .map(|e| e.summary())
            .collect();
        to_js(&removed)
    }

    /// The user's app passwords, oldest first, as the user may see them (no hashes).
    #[wasm_bindgen(unchecked_return_type = "AppPasswordEntry[]")]
    pub fn list(&self) -> Result<JsValue, JsValue> {
        to_js(&self.record.summaries())
    }

    /// Verifies a login with an app password: returns the matching entry, or null when the password
    /// is malformed, unknown, expired (past its expiry, or unused for the tenant's
    /// `expireUnusedAfterDays`), not allowed for `options.protocol`, or the user has MFA off.
    /// `check` tells which. At most one Argon2 run.
    ///
    /// On success the use is recorded on the entry (at most once a minute): save `toJSON()` if you
    /// keep last use. `options.secret` defaults to the one given to `fromJSON`.
    ///
    /// @throws {AppPasswordError} `invalid_secret`, `invalid_scope` (unknown protocol),
    /// `invalid_argument` (including no secret at all).
    #[wasm_bindgen(unchecked_return_type = "AppPasswordEntry | null")]
    pub fn verify(
        &mut self,
        #[wasm_bindgen(js_name = "password", unchecked_param_type = "string")]
        password_input: JsValue,
        #[wasm_bindgen(
            js_name = "options",
            unchecked_optional_param_type = "UserVerifyOptions"
        )]
        options_input: JsValue,
    ) -> Result<JsValue, JsValue> {
        match self.check_login(&password_input, &options_input)? {
            Ok((entry, _)) => to_js(&entry),
            Err(_) => Ok(JsValue::NULL),
        }
    }

    /// Like `verify`, but says why a login was refused: `{ ok: true, entry, changed }` (`changed`:
    /// the use was recorded, save `toJSON()`), or `{ ok: false, reason }` with `reason` one of
    /// `malformed_password`, `bad_checksum`, `unknown_password`, `scope_denied`, `expired`,
    /// `mfa_required`.
    ///
    /// @throws {AppPasswordError} as `verify`.
    #[wasm_bindgen(unchecked_return_type = "CheckResult")]
    pub fn check(
        &mut self,
        #[wasm_bindgen(js_name = "password", unchecked_param_type = "string")]
        password_input: JsValue,
        #[wasm_bindgen(
            js_name = "options",
            unchecked_optional_param_type = "UserVerifyOptions"
        )]
        options_input: JsValue,
    ) -> Result<JsValue, JsValue> {
        let object = Object::new();
        match self.check_login(&password_input, &options_input)? {
            Ok((entry, changed)) => {
                let _ = Reflect::set(&object, &"ok".into(), &true.into());
                let _ = Reflect::set(&object, &"entry".into(), &to_js(&entry)?);
                let _ = Reflect::set(&object, &"changed".into(), &changed.into());
            }
            Err(rejection) => {
                let _ = Reflect::set(&object, &"ok".into(), &false.into());
                let _ = Reflect::set(&object, &"reason".into(), &rejection.code().into());
            }
        }
        Ok(object.into())
    }

    /// Call when the user registers for multi-factor authentication: turns MFA on and, if the user
    /// has no app passwords and the tenant allows them, issues the first one (named `options.name`,
    /// default "First app password"). Returns it, or null when none was issued (registering again
    /// issues nothing). Needs `secret` in `fromJSON`'s options.
    ///
    /// @throws {AppPasswordError} `invalid_name`, `random_unavailable`, `invalid_argument`.
    #[wasm_bindgen(js_name = onMfaRegistered, unchecked_return_type = "CreatedAppPassword | null")]
    pub fn on_mfa_registered(
        &mut self,
        #[wasm_bindgen(
            js_name = "options",
            unchecked_optional_param_type = "MfaRegisteredOptions"
        )]
        options_input: JsValue,
    ) -> Result<JsValue, JsValue> {
        let opts = options(&options_input, "options", &["name", "now"])?;
        let name = optional_string(&field(opts.as_ref(), "name"), "options.name")?;
        let now = now(&field(opts.as_ref(), "now"))?;
        let issued = self.set_mfa(true, name.as_deref(), now)?;
        issued.as_ref().map_or(Ok(JsValue::NULL), created)
    }

    /// Call when the user turns multi-factor authentication off: the app passwords are kept but
    /// stop verifying until MFA is on again. Needs `secret` in `fromJSON`'s options.
    ///
    /// @throws {AppPasswordError} `invalid_argument` (no secret configured).
    #[wasm_bindgen(js_name = onMfaDisabled)]
    pub fn on_mfa_disabled(&mut self) -> Result<(), JsValue> {
        self.set_mfa(false, None, now(&JsValue::UNDEFINED)?)
            .map(|_| ())
    }

    /// Call when the user's main password changes: applies the tenant's `onPasswordChange` given
    /// to `fromJSON` (`"keep"`: nothing happens; `"revoke_all"`: every app password is deleted) and
    /// returns the deleted entries. Save `toJSON()` when any were deleted.
    #[wasm_bindgen(js_name = onPasswordChanged, unchecked_return_type = "AppPasswordEntry[]")]
    pub fn on_password_changed(&mut self) -> Result<JsValue, JsValue> {
        let revoked: Vec<Summary> = self
            .record
            .on_password_change(self.settings.on_password_change)
            .iter()
            .map(rules::Entry::summary)
            .collect();
        to_js(&revoked)
    }

    /// The record to store, in the core's JSON shape (`{ user, mfa_enabled, app_passwords }` with
    /// hashes and lookup keys, never plaintext). `JSON.stringify` calls it.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "UserRecord")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        to_js(&self.record)
    }
}

impl UserAppPasswords {
    /// Verifies a login; the outer error is a thrown argument error, the inner one a rejection.
    fn check_login(
        &mut self,
        password_input: &JsValue,
        options_input: &JsValue,
    ) -> Result<Result<(Summary, bool), Rejection>, JsValue> {
        let opts = options(options_input, "options", &["secret", "protocol", "now"])?;
        let secret_input = field(opts.as_ref(), "secret");
        let given = if secret_input.is_undefined() {
            None
        } else {
            Some(secret(&secret_input)?)
        };
        let protocol = protocol(&field(opts.as_ref(), "protocol"))?;
        let now = now(&field(opts.as_ref(), "now"))?;
        let secret = configured_secret(given.as_ref().or(self.secret.as_ref()))?;
        // Read last, so no early return skips wiping it.
        let mut input = string(password_input, "the password")?;
        let verified = self
            .record
            .verify(&input, protocol, secret, &self.settings, now)
            .map(|entry| entry.id.clone());
        input.zeroize();
        let id = match verified {
            Ok(id) => id,
            Err(rejection) => return Ok(Err(rejection)),
        };
        let changed = self.record.record_use(&id, now, protocol);
        let entry = self
            .record
            .app_passwords
            .iter()
            .find(|e| e.id == id)
            .map(rules::Entry::summary)
            .ok_or_else(|| core_error(Error::NotFound))?;
        Ok(Ok((entry, changed)))
    }

    /// Turns MFA on or off through the core, with this record's configuration.
    fn set_mfa(
        &mut self,
        enabled: bool,
        name: Option<&str>,
        now: i64,
    ) -> Result<Option<Issued>, JsValue> {
        let secret = configured_secret(self.secret.as_ref())?;
        let ctx = Context {
            settings: self.settings,
            secret,
            params: self.params,
            now,
        };
        self.record
            .set_mfa(enabled, name, &ctx, &mut SystemEntropy)
            .map_err(core_error)
    }
}

/// The secret, or an `invalid_argument` error saying where to give it.
fn configured_secret(secret: Option<&ServerSecret>) -> Result<&ServerSecret, JsValue> {
    secret.ok_or_else(|| {
        invalid("no server secret: pass options.secret to UserAppPasswords.fromJSON")
    })
}

/// Reads a stored record (object, JSON string, or nothing for a new user), filling in or checking
/// the user.
fn load_record(value: &JsValue, user: Option<UserId>) -> Result<UserRecord, JsValue> {
    let value = match value.as_string() {
        Some(text) => js_sys::JSON::parse(&text)
            .map_err(|_| invalid("the record is a string but not JSON"))?,
        None => value.clone(),
    };
    if value.is_undefined() || value.is_null() {
        let user = user.ok_or_else(|| invalid("a new record needs options.user"))?;
        return Ok(UserRecord::new(user));
    }
    if !value.is_object() || Array::is_array(&value) {
        return Err(invalid("the record must be an object"));
    }
    let stored = user_id(
        &Reflect::get(&value, &"user".into()).unwrap_or(JsValue::UNDEFINED),
        "record.user",
    )?;
    let value = match (stored, user) {
        (Some(stored), Some(given)) if stored != given => {
            return Err(invalid(
                "options.user differs from the record's user; lookup keys bind the user",
            ));
        }
        (Some(_), _) => value,
        (None, Some(given)) => {
            let copy = Object::assign(&Object::new(), value.unchecked_ref());
            let _ = Reflect::set(&copy, &"user".into(), &given.as_str().into());
            copy.into()
        }
        (None, None) => return Err(invalid("the record has no user: pass options.user")),
    };
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        invalid(&format!(
            "the record is not a stored app-password record: {e}"
        ))
    })
}
