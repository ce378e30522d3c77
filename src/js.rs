//! The npm package's API: `#[wasm_bindgen]` exports over the [`core`](crate::domain), behind feature
//! `js` (built by `make pkg`, see `mk/pkg.mk` and `tools/build-pkg.mjs`).
//!
//! This module only translates: it reads JavaScript arguments, calls the core, and turns the result
//! or the core's [`Error`] into JavaScript values. Every rule (format, hashing, limits, names, MFA,
//! scopes) lives in the core.
//!
//! - Arguments are the serde structs of [`options`], read by [`decode`]: an unknown option name or a
//!   value of the wrong type throws `invalid_argument` (status 400) with a fixed message that names
//!   our field and never the value passed. The structs' `#[derive(Tsify)]` writes their TypeScript
//!   declarations into the package's `.d.ts`.
//! - Thrown errors are JavaScript `Error`s whose `code` property is [`Error::code`] and `status`
//!   [`Error::http_status`] (`limit_reached` also carries `limit`).
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
    self, Context, Issued, Protocol, Rejection, Settings, Summary, UserId, UserRecord,
};
use js_sys::{Array, Object, Reflect};
use options::{
    CheckRefused, CheckResult, CheckValid, CreateOptions, CreatedAppPassword, GeneratedAppPassword,
    HashOptions, MfaRegisteredOptions, RecordUser, Secret, UserAppPasswordsOptions,
    UserVerifyOptions, VerifyOptions,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

mod decode;
mod options;

/// The code thrown for arguments of the wrong type or shape (not a core error).
const INVALID_ARGUMENT: &str = "invalid_argument";

// The declarations with no struct in this module: the thrown error, the rejection codes, and the
// core's record shapes (whose serde defaults make fields optional when read but always present when
// written, which a derived declaration cannot say). The rest is derived from `options`' structs.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/// <reference lib="esnext.disposable" />
// (The classes implement `Symbol.dispose`, so `using account = UserAppPasswords.fromJSON(…)` frees them.)

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

/// Decodes an argument strictly into its [`options`] type (unknown option names are refused); the
/// message names only `what` and our field names, never a submitted key or value.
fn decode<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, JsValue> {
    decode::decode(value, what).map_err(|message| invalid(&message))
}

/// A required string.
fn string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid(&format!("{what} must be a string")))
}

/// An optional user id, checked by the core (`invalid_user` unless 1 to 256 bytes).
fn user_id(id: Option<&str>) -> Result<Option<UserId>, JsValue> {
    id.map(|id| UserId::new(id).map_err(core_error)).transpose()
}

/// Parses an app password the caller typed, wiping the copy of the input in wasm memory.
fn password(value: &JsValue) -> Result<Password, JsValue> {
    let mut input = string(value, "the password")?;
    let result = format::normalize(&input).map_err(core_error);
    input.zeroize();
    result
}

/// A server secret, checked by the core.
fn secret(secret: &Secret) -> Result<ServerSecret, JsValue> {
    ServerSecret::new(&secret.0).map_err(core_error)
}

/// Argon2id parameters (default OWASP), checked by the core.
fn params(params: Option<HashParams>) -> Result<HashParams, JsValue> {
    params.unwrap_or_default().validate().map_err(core_error)
}

/// A time in Unix seconds; `None` is the current time.
fn now(seconds: Option<i64>) -> i64 {
    seconds.unwrap_or_else(|| (js_sys::Date::now() / 1000.0).floor() as i64)
}

/// Protocol names, checked by the core; `None` is all protocols.
fn scopes(names: Option<Vec<String>>) -> Result<Vec<Protocol>, JsValue> {
    rules::parse_scopes(&names.unwrap_or_default()).map_err(core_error)
}

/// An optional protocol name, checked by the core.
fn protocol(name: Option<&str>) -> Result<Option<Protocol>, JsValue> {
    name.map(|name| Protocol::parse(name).map_err(core_error))
        .transpose()
}

// ----- writing results ------------------------------------------------------------------------

/// A serde value as plain JSON-compatible JavaScript (objects, arrays, `null` for `None`).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(JsValue::from)
}

/// `{ password, display }`.
fn generated(password: &Password) -> GeneratedAppPassword {
    GeneratedAppPassword {
        password: password.as_str().to_owned(),
        display: password.display(),
    }
}

/// `{ password, display, entry }` for a newly created app password.
fn created(issued: &Issued) -> Result<JsValue, JsValue> {
    let GeneratedAppPassword { password, display } = generated(&issued.password);
    to_js(&CreatedAppPassword {
        password,
        display,
        entry: issued.entry.summary(),
    })
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
    to_js(&generated(&password))
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
    let options: HashOptions = decode(&options_input, "options")?;
    let secret = secret(&options.secret)?;
    let params = params(options.params)?;
    match options.salt {
        None => hash::hash(&password, &secret, params, &mut SystemEntropy).map_err(core_error),
        Some(salt) => hash::hash_with_salt(&password, &secret, params, &salt.0).map_err(core_error),
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
    let options: VerifyOptions = decode(&options_input, "options")?;
    let secret = secret(&options.secret)?;
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
    let params = params(decode(&params_input, "params")?)?;
    Ok(hash::needs_rehash(&phc, params))
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
    let secret = secret(&decode(&secret_input, "secret")?)?;
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
        let options: Option<UserAppPasswordsOptions> = decode(&options_input, "options")?;
        let options = options.unwrap_or_default();
        let user = user_id(options.user.as_deref())?;
        let secret = options.secret.as_ref().map(secret).transpose()?;
        let params = params(options.params)?;
        let defaults = Settings::default();
        let settings = Settings {
            app_passwords_allowed: options
                .app_passwords_allowed
                .unwrap_or(defaults.app_passwords_allowed),
            limit: options.limit.unwrap_or(defaults.limit),
            max_lifetime_days: options.max_lifetime_days,
            expire_unused_after_days: options.expire_unused_after_days,
            on_password_change: options.on_password_change.unwrap_or_default(),
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
        let options: CreateOptions = decode(&options_input, "options")?;
        let scopes = scopes(options.scopes)?;
        let now = now(options.now);
        let secret = configured_secret(self.secret.as_ref())?;
        let ctx = Context {
            settings: self.settings,
            secret,
            params: self.params,
            now,
        };
        let issued = self
            .record
            .create_expiring(
                &options.name,
                scopes,
                options.expires_in_days,
                &ctx,
                &mut SystemEntropy,
            )
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
        let result = match self.check_login(&password_input, &options_input)? {
            Ok((entry, changed)) => CheckResult::Valid(CheckValid {
                ok: true,
                entry,
                changed,
            }),
            Err(rejection) => CheckResult::Refused(CheckRefused {
                ok: false,
                reason: rejection.code(),
            }),
        };
        to_js(&result)
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
        let options: Option<MfaRegisteredOptions> = decode(&options_input, "options")?;
        let options = options.unwrap_or_default();
        let issued = self.set_mfa(true, options.name.as_deref(), now(options.now))?;
        issued.as_ref().map_or(Ok(JsValue::NULL), created)
    }

    /// Call when the user turns multi-factor authentication off: the app passwords are kept but
    /// stop verifying until MFA is on again. Needs `secret` in `fromJSON`'s options.
    ///
    /// @throws {AppPasswordError} `invalid_argument` (no secret configured).
    #[wasm_bindgen(js_name = onMfaDisabled)]
    pub fn on_mfa_disabled(&mut self) -> Result<(), JsValue> {
        self.set_mfa(false, None, now(None)).map(|_| ())
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
        let options: Option<UserVerifyOptions> = decode(options_input, "options")?;
        let options = options.unwrap_or_default();
        let given = options.secret.as_ref().map(secret).transpose()?;
        let protocol = protocol(options.protocol.as_deref())?;
        let now = now(options.now);
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

#[wasm_bindgen]
extern "C" {
    /// `Object.assign({}, value)`, catching what a getter or a proxy throws (an exception thrown
    /// through the wasm frames would leave the called object borrowed for good).
    #[wasm_bindgen(catch, js_namespace = Object, js_name = assign)]
    fn assign(target: &Object, source: &JsValue) -> Result<Object, JsValue>;
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
    let head: RecordUser = decode(&value, "record")?;
    let stored = user_id(head.user.as_deref())?;
    let value = match (stored, user) {
        (Some(stored), Some(given)) if stored != given => {
            return Err(invalid(
                "options.user differs from the record's user; lookup keys bind the user",
            ));
        }
        (Some(_), _) => value,
        (None, Some(given)) => {
            let copy =
                assign(&Object::new(), &value).map_err(|_| invalid("the record cannot be read"))?;
            let _ = Reflect::set(&copy, &"user".into(), &given.as_str().into());
            copy.into()
        }
        (None, None) => return Err(invalid("the record has no user: pass options.user")),
    };
    decode(&value, "record")
}
