//! Argon2id hashing keyed with a server secret, and the lookup key that finds a credential.
//!
//! - [`hash`] produces a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>`). The server secret
//!   is Argon2's *secret* input (a pepper): a stolen store cannot be attacked offline without it.
//! - [`verify`] recomputes with the parameters stored in the PHC string and compares in constant time,
//!   so old hashes keep verifying after the parameters change; [`needs_rehash`] tells when to upgrade.
//! - [`lookup_key`] is HMAC-SHA-256 under the server secret of (user, normalised password), hex-encoded:
//!   a shell stores each credential under it and finds it with one read, without being able to test a
//!   guess without the secret.

use super::argon2::{Costs, Inputs, argon2id};
use super::error::{Error, Result};
use super::format::Password;
use super::random::Entropy;
use base64ct::{Base64Unpadded, Encoding};
use core::sync::atomic::{AtomicU64, Ordering};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// Shortest accepted secret (server secret, session secret, API token), in bytes.
pub const MIN_SECRET_BYTES: usize = 16;
/// Longest accepted secret, in bytes: secrets come from configuration, never from requests, but a
/// bound keeps every input of the core finite.
pub const MAX_SECRET_BYTES: usize = 1024;
/// Largest accepted memory cost, in KiB (256 MiB).
pub const MAX_M_COST: u32 = 1 << 18;
/// Largest accepted number of passes.
pub const MAX_T_COST: u32 = 10;
/// Largest accepted work, memory × passes in KiB (512 MiB·passes, 13 × the OWASP default): a stored
/// hash can never make one verification run for long.
pub const MAX_WORK: u64 = 1 << 19;
/// Largest accepted parallelism (lanes; computed one after another in wasm).
pub const MAX_P_COST: u32 = 16;
/// Bytes of salt per hash.
pub const SALT_BYTES: usize = 16;
/// Bytes of Argon2 output (the tag).
pub const TAG_BYTES: usize = 32;
/// Argon2 computations run by this instance (see [`argon2_runs`]).
static ARGON2_RUNS: AtomicU64 = AtomicU64::new(0);

/// How many Argon2 computations this instance (process, wasm module) has run: for monitoring and
/// for benchmarks that show a rejected login cost none.
#[must_use]
pub fn argon2_runs() -> u64 {
    ARGON2_RUNS.load(Ordering::Relaxed)
}

/// Lookup keys computed (see [`lookup_keys`]).
static LOOKUP_KEYS: AtomicU64 = AtomicU64::new(0);

/// How many lookup keys (HMAC-SHA-256) this instance has computed: lets tests and benchmarks show
/// that a login computes its key once.
#[must_use]
pub fn lookup_keys() -> u64 {
    LOOKUP_KEYS.load(Ordering::Relaxed)
}

/// Domain separation for the lookup key, so it can never equal another HMAC made with the secret.
const LOOKUP_CONTEXT: &[u8] = b"app-passwords lookup v1\0";

/// Argon2id cost parameters. The default is OWASP's: m = 19456 KiB, t = 2, p = 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
// The npm package declares this type in TypeScript from this definition.
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct HashParams {
    /// Memory in KiB: 8·p to 262 144 (256 MiB), and m·t at most 524 288.
    pub m: u32,
    /// Passes over memory: 1 to 10.
    pub t: u32,
    /// Lanes: 1 to 16.
    pub p: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        Self {
            m: 19_456,
            t: 2,
            p: 1,
        }
    }
}

impl HashParams {
    /// Checks the parameters are within the accepted range.
    ///
    /// Every parameter read from storage (a PHC string) or configuration goes through here.
    ///
    /// # Errors
    /// [`Error::InvalidParams`] unless `1 <= t <= MAX_T_COST`, `1 <= p <= MAX_P_COST`,
    /// `8·p <= m <= MAX_M_COST` and `m·t <= MAX_WORK`.
    pub fn validate(self) -> Result<Self> {
        let ok = (1..=MAX_T_COST).contains(&self.t)
            && (1..=MAX_P_COST).contains(&self.p)
            && self.m >= 8 * self.p
            && self.m <= MAX_M_COST
            && u64::from(self.m) * u64::from(self.t) <= MAX_WORK;
        if ok {
            Ok(self)
        } else {
            Err(Error::InvalidParams)
        }
    }
}

/// The server secret (pepper and HMAC key). Never printed by `Debug`; wiped on drop.
#[derive(Clone)]
pub struct ServerSecret(Vec<u8>);

impl ServerSecret {
    /// Wraps secret bytes.
    ///
    /// # Errors
    /// [`Error::InvalidSecret`] unless [`check_secret`] accepts it.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        check_secret(bytes)?;
        Ok(Self(bytes.to_vec()))
    }
}

impl core::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

impl Drop for ServerSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The length rule of every secret (server secret, session secret, API token): [`MIN_SECRET_BYTES`]
/// to [`MAX_SECRET_BYTES`] bytes.
///
/// # Errors
/// [`Error::InvalidSecret`].
pub fn check_secret(bytes: &[u8]) -> Result<()> {
    if (MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
        Ok(())
    } else {
        Err(Error::InvalidSecret)
    }
}

/// Argon2id of `password` with `salt`, keyed with `secret`: the raw tag. Used by [`hash`] and
/// [`verify`], and exposed for known-answer tests (RFC 9106 §5.3 uses a secret and associated data).
///
/// # Errors
/// [`Error::InvalidParams`] for out-of-range parameters or a salt shorter than 8 bytes.
pub fn argon2id_raw(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    associated_data: &[u8],
    params: HashParams,
    out: &mut [u8],
) -> Result<()> {
    let HashParams { m, t, p } = params.validate()?;
    let inputs = Inputs {
        password,
        salt,
        secret,
        associated_data,
    };
    ARGON2_RUNS.fetch_add(1, Ordering::Relaxed);
    argon2id(inputs, Costs { m, t, p }, out)
}

/// Hashes `password` with a fresh salt from `rng`, returning a PHC string.
///
/// # Errors
/// [`Error::InvalidParams`], or [`Error::RandomUnavailable`] if `rng` fails.
pub fn hash(
    password: &Password,
    secret: &ServerSecret,
    params: HashParams,
    rng: &mut impl Entropy,
) -> Result<String> {
    let mut salt = [0u8; SALT_BYTES];
    rng.fill(&mut salt)?;
    hash_with_salt(password, secret, params, &salt)
}

/// Hashes `password` with the given salt (for known-answer vectors; production uses [`hash`]).
///
/// # Errors
/// [`Error::InvalidParams`] for out-of-range parameters or a salt shorter than 8 bytes.
pub fn hash_with_salt(
    password: &Password,
    secret: &ServerSecret,
    params: HashParams,
    salt: &[u8],
) -> Result<String> {
    let mut tag = [0u8; TAG_BYTES];
    argon2id_raw(
        password.as_str().as_bytes(),
        salt,
        &secret.0,
        &[],
        params,
        &mut tag,
    )?;
    let HashParams { m, t, p } = params;
    Ok(format!(
        "$argon2id$v=19$m={m},t={t},p={p}${}${}",
        Base64Unpadded::encode_string(salt),
        Base64Unpadded::encode_string(&tag)
    ))
}

/// Checks `password` against a PHC string made by [`hash`], in constant time.
///
/// Returns `Ok(false)` for a wrong password.
///
/// # Errors
/// [`Error::InvalidHash`] when `phc` is not an Argon2id v19 PHC string with acceptable parameters.
pub fn verify(password: &Password, phc: &str, secret: &ServerSecret) -> Result<bool> {
    let Phc { params, salt, tag } = Phc::read(phc)?;
    let salt = salt.ok_or(Error::InvalidHash)?;
    let expected = tag.ok_or(Error::InvalidHash)?;
    let mut computed = vec![0u8; expected.len()];
    argon2id_raw(
        password.as_str().as_bytes(),
        &salt,
        &secret.0,
        &[],
        params,
        &mut computed,
    )
    .map_err(|_| Error::InvalidHash)?;
    let equal: bool = computed.as_slice().ct_eq(&expected).into();
    computed.zeroize();
    Ok(equal)
}

/// Whether `phc` should be replaced by a new hash made with `params` (different algorithm, version or
/// costs, or unreadable). Call after a successful [`verify`], while the plaintext is at hand.
#[must_use]
pub fn needs_rehash(phc: &str, params: HashParams) -> bool {
    !Phc::read(phc).is_ok_and(|stored| stored.params == params)
}

/// An Argon2id v19 PHC string (`$argon2id$v=19$<params>[$<salt>[$<tag>]]`), read by the rules of
/// the `phc` crate (0.6), which the tests compare it with: that crate's parser linked about 9 KB of
/// string-slicing and formatting code into the wasm for what this does.
struct Phc {
    /// `m`, `t` and `p`, checked by [`HashParams::validate`].
    params: HashParams,
    /// The salt, 8 to 48 bytes.
    salt: Option<Vec<u8>>,
    /// The tag, 10 to 64 bytes.
    tag: Option<Vec<u8>>,
}

impl Phc {
    /// Reads `phc`.
    ///
    /// # Errors
    /// [`Error::InvalidHash`] when it is not an Argon2id v19 PHC string with acceptable parameters.
    fn read(phc: &str) -> Result<Self> {
        let mut fields = phc.split('$');
        // The algorithm and a version field of exactly 19 (a decimal has no leading zeros).
        if fields.next() != Some("")
            || fields.next() != Some("argon2id")
            || fields.next() != Some("v=19")
        {
            return Err(Error::InvalidHash);
        }
        let params = Self::params(fields.next().ok_or(Error::InvalidHash)?)?;
        // A salt of 11 to 64 characters of B64 (8 to 48 bytes); a tag of 10 to 64 bytes.
        let salt = fields
            .next()
            .map(|s| Self::b64(s, (11..=64).contains(&s.len()), 8..=48))
            .transpose()?;
        let tag = fields
            .next()
            .map(|s| Self::b64(s, true, 10..=64))
            .transpose()?;
        if fields.next().is_some() {
            return Err(Error::InvalidHash);
        }
        Ok(Self { params, salt, tag })
    }

    /// The `name=value` pairs (at most 127 bytes; names of 1 to 32 of `[a-z0-9-]`, values of at
    /// most 64 of `[A-Za-z0-9/+.-]`), of which the first `m`, `t` and `p` must be decimals (no
    /// leading zeros, at most `u32::MAX`) within the bounds.
    fn params(field: &str) -> Result<HashParams> {
        if field.len() > 127 {
            return Err(Error::InvalidHash);
        }
        let mut pairs = Vec::new();
        for pair in field.split(',') {
            let mut parts = pair.split('=');
            let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(Error::InvalidHash);
            };
            let name_ok = (1..=32).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'));
            let value_ok = value.len() <= 64
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'.' | b'-'));
            if !name_ok || !value_ok {
                return Err(Error::InvalidHash);
            }
            pairs.push((name, value));
        }
        let get = |wanted: &str| {
            pairs
                .iter()
                .find(|(name, _)| *name == wanted)
                .and_then(|(_, value)| Self::decimal(value))
                .ok_or(Error::InvalidHash)
        };
        HashParams {
            m: get("m")?,
            t: get("t")?,
            p: get("p")?,
        }
        .validate()
        .map_err(|_| Error::InvalidHash)
    }

    /// A PHC decimal: digits, no leading zero, at most `u32::MAX`.
    fn decimal(value: &str) -> Option<u32> {
        let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
        if !digits || (value.len() > 1 && value.starts_with('0')) {
            return None;
        }
        value.parse().ok()
    }

    /// Unpadded standard base64 (canonical: base64ct's), `accepted` and decoding to a length in
    /// `bytes`. Text too long for the longest accepted length is refused before decoding.
    fn b64(text: &str, accepted: bool, bytes: core::ops::RangeInclusive<usize>) -> Result<Vec<u8>> {
        // Unpadded base64 of n bytes is ⌈4n/3⌉ characters.
        if !accepted || text.len() > bytes.end().saturating_mul(4).div_ceil(3) {
            return Err(Error::InvalidHash);
        }
        match Base64Unpadded::decode_vec(text) {
            Ok(decoded) if bytes.contains(&decoded.len()) => Ok(decoded),
            _ => Err(Error::InvalidHash),
        }
    }
}

/// The storage key of a credential: hex(HMAC-SHA-256(secret, context ‖ len(user) ‖ user ‖ password)).
///
/// The user's length is encoded (4 bytes, big-endian) so no two (user, password) pairs share an input.
#[must_use]
pub fn lookup_key(user: &str, password: &Password, secret: &ServerSecret) -> String {
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(&secret.0) {
        Ok(mac) => mac,
        // HMAC accepts keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    LOOKUP_KEYS.fetch_add(1, Ordering::Relaxed);
    mac.update(LOOKUP_CONTEXT);
    mac.update(&u32::try_from(user.len()).unwrap_or(u32::MAX).to_be_bytes());
    mac.update(user.as_bytes());
    mac.update(password.as_str().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Constant-time equality of two byte strings (the lengths may leak, the contents do not).
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// What [`secret_id`] authenticates.
pub const SECRET_ID_MESSAGE: &[u8] = b"app-passwords secret id";

/// A short public name of a server secret, to tell which secret a stored credential is keyed
/// with during a rotation: the first 8 hex digits of HMAC-SHA-256(secret, [`SECRET_ID_MESSAGE`]).
/// It cannot be used to test a guess of the secret in less than a brute-force search.
///
/// ```sh
/// printf %s 'app-passwords secret id' | openssl dgst -sha256 -hmac "$PASSWORD_SECRET" | awk '{print substr($NF,1,8)}'
/// ```
#[must_use]
pub fn secret_id(secret: &ServerSecret) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&secret.0) else {
        // HMAC accepts keys of any length; this arm cannot be reached.
        return String::new();
    };
    mac.update(SECRET_ID_MESSAGE);
    let tag = mac.finalize().into_bytes();
    hex(tag.get(..4).unwrap_or_default())
}

/// Lowercase hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::random::TestEntropy;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const CHEAP: HashParams = HashParams { m: 64, t: 1, p: 1 };

    fn secret() -> ServerSecret {
        ServerSecret::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn password(seed: u64) -> Password {
        Password::generate(&mut TestEntropy::new(seed)).unwrap()
    }

    #[test]
    fn hash_produces_an_argon2id_phc_string_with_the_given_params() {
        let phc = hash(&password(1), &secret(), CHEAP, &mut TestEntropy::new(2)).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
    }

    #[test]
    fn default_params_are_owasp() {
        assert_eq!(
            HashParams::default(),
            HashParams {
                m: 19_456,
                t: 2,
                p: 1
            }
        );
    }

    #[test]
    fn verify_accepts_the_right_password_and_rejects_another() {
        let p = password(3);
        let phc = hash(&p, &secret(), CHEAP, &mut TestEntropy::new(4)).unwrap();
        assert!(verify(&p, &phc, &secret()).unwrap());
        assert!(!verify(&password(5), &phc, &secret()).unwrap());
    }

    #[test]
    fn verify_fails_under_another_server_secret() {
        let p = password(6);
        let phc = hash(&p, &secret(), CHEAP, &mut TestEntropy::new(7)).unwrap();
        let other = ServerSecret::new(b"another secret, also 32 bytes!!!").unwrap();
        assert!(!verify(&p, &phc, &other).unwrap());
    }

    #[test]
    fn verify_rejects_garbage_and_other_algorithms_as_invalid_hash() {
        let p = password(8);
        for bad in [
            "",
            "nonsense",
            "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            assert_eq!(verify(&p, bad, &secret()), Err(Error::InvalidHash), "{bad}");
        }
    }

    #[test]
    fn needs_rehash_is_true_only_when_params_differ() {
        let phc = hash(&password(9), &secret(), CHEAP, &mut TestEntropy::new(10)).unwrap();
        assert!(!needs_rehash(&phc, CHEAP));
        assert!(needs_rehash(&phc, HashParams { t: 2, ..CHEAP }));
        assert!(needs_rehash(&phc, HashParams::default()));
        assert!(needs_rehash("garbage", CHEAP));
    }

    #[test]
    fn params_out_of_range_are_refused() {
        for bad in [
            HashParams { m: 64, t: 0, p: 1 },
            HashParams { m: 64, t: 1, p: 0 },
            HashParams { m: 7, t: 1, p: 1 },
            HashParams {
                m: MAX_M_COST + 1,
                t: 1,
                p: 1,
            },
            HashParams {
                m: 1024,
                t: 1,
                p: MAX_P_COST + 1,
            },
            HashParams {
                m: 64,
                t: MAX_T_COST + 1,
                p: 1,
            },
            HashParams {
                m: MAX_M_COST,
                t: 3,
                p: 1,
            },
        ] {
            assert_eq!(bad.validate(), Err(Error::InvalidParams), "{bad:?}");
        }
    }

    #[test]
    fn a_stored_hash_with_huge_costs_is_an_invalid_hash_and_runs_no_argon2() {
        let p = password(16);
        let tag = "$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        for costs in [
            // Cheap enough to run if unbounded, so a missing bound fails here, not by a stall.
            "m=64,t=11,p=1",
            "m=64,t=4294967295,p=1",
            "m=262144,t=3,p=1",
            "m=4294967295,t=1,p=1",
            "m=64,t=1,p=4294967295",
        ] {
            let phc = format!("$argon2id$v=19${costs}{tag}");
            assert_eq!(
                verify(&p, &phc, &secret()),
                Err(Error::InvalidHash),
                "{costs}"
            );
            assert!(needs_rehash(&phc, CHEAP));
        }
    }

    /// What a PHC string reads as: parameters, salt, tag.
    type Read = Option<(HashParams, Option<Vec<u8>>, Option<Vec<u8>>)>;

    /// What the `phc` crate's parser (the reference [`Phc`] replaces) and the old checks read.
    fn phc_crate(phc: &str) -> Read {
        use argon2::password_hash::phc::PasswordHash;
        let parsed = PasswordHash::new(phc).ok()?;
        if parsed.algorithm.as_str() != "argon2id" || parsed.version != Some(0x13) {
            return None;
        }
        let get = |name: &str| parsed.params.get_decimal(name);
        let params = HashParams {
            m: get("m")?,
            t: get("t")?,
            p: get("p")?,
        }
        .validate()
        .ok()?;
        let salt = parsed.salt.map(|s| s.as_ref().to_vec());
        Some((params, salt, parsed.hash.map(|h| h.as_bytes().to_vec())))
    }

    fn ours(phc: &str) -> Read {
        Phc::read(phc).ok().map(|p| (p.params, p.salt, p.tag))
    }

    const SALT: &str = "c2FsdHNhbHRzYWx0c2FsdA";
    const TAG: &str = "aGFzaGhhc2hoYXNoaGFzaA";

    #[test]
    fn phc_strings_are_read_as_the_phc_crate_reads_them() {
        let long_value = "a".repeat(64);
        let too_long_value = "a".repeat(65);
        let long_name = "n".repeat(32);
        let too_long_name = "n".repeat(33);
        let mut cases: Vec<String> = [
            "",
            "$",
            "$argon2id",
            "$argon2id$v=19",
            "$argon2id$v=19$m=64,t=1,p=1",
            "$argon2id$v=19$m=64,t=1,p=1$",
            "$argon2id$v=19$m=64,t=1,p=1$$",
            "argon2id$v=19$m=64,t=1,p=1",
            "$argon2i$v=19$m=64,t=1,p=1",
            "$argon2id$v=16$m=64,t=1,p=1",
            "$argon2id$v=019$m=64,t=1,p=1",
            "$argon2id$v=19,m=64$t=1,p=1",
            "$argon2id$m=64,t=1,p=1",
            "$argon2id$v=19$p=1,t=1,m=64",
            "$argon2id$v=19$m=64,t=1,p=1,m=128",
            "$argon2id$v=19$m=064,t=1,p=1",
            "$argon2id$v=19$m=0,t=1,p=1",
            "$argon2id$v=19$m=64,t=1",
            "$argon2id$v=19$m=64,t=1,p=1,keyid=abc,data=Zm9v+/.-",
            "$argon2id$v=19$m=64,t=1,p=1,",
            "$argon2id$v=19$m=64,,t=1,p=1",
            "$argon2id$v=19$m=64,t=1,p=1,x=",
            "$argon2id$v=19$m=64,t=1,p=1,=x",
            "$argon2id$v=19$m=64,t=1,p=1,X=1",
            "$argon2id$v=19$m=64,t=1,p=1,x=1=2",
            "$argon2id$v=19$m=64,t=1,p=1,x=a_b",
            "$argon2id$v=19$m=64,t=1,p=1,x=\u{e9}",
            "$argon2id$v=19$m=4294967296,t=1,p=1",
            "$argon2id$v=19$m=+64,t=1,p=1",
            "$argon2id$v=19$c2FsdHNhbHQ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for params in [
            format!("m=64,t=1,p=1,k={long_value}"),
            format!("m=64,t=1,p=1,k={too_long_value}"),
            format!("m=64,t=1,p=1,{long_name}=1"),
            format!("m=64,t=1,p=1,{too_long_name}=1"),
            format!("m=64,t=1,p=1,k={},l={}", "b".repeat(54), "c".repeat(55)),
            format!("m=64,t=1,p=1,k={},l={}", "b".repeat(54), "c".repeat(56)),
        ] {
            cases.push(format!("$argon2id$v=19${params}${SALT}${TAG}"));
        }
        let salts = [
            String::new(),
            "c2FsdHNhbHQ".into(),
            "c2FsdHNhbH".into(),
            "c2FsdHNhbHR".into(),
            "c2FsdHNhbHQ=".into(),
            "c2FsdHNhbHRz".into(),
            "c2FsdHNhbHQ_".into(),
            "c2FsdHNhbHR*".into(),
            "QUFB".repeat(16),
            "QUFB".repeat(17),
            "c2FsdHNhbHRzYWx0c2FsdB".into(),
        ];
        for salt in &salts {
            cases.push(format!("$argon2id$v=19$m=64,t=1,p=1${salt}"));
            cases.push(format!("$argon2id$v=19$m=64,t=1,p=1${salt}${TAG}"));
        }
        let tags = [
            String::new(),
            "aGFzaGhhc2hoYQ".into(),
            "aGFzaGhhc2hoYXM".into(),
            "aGFzaGhhc2hoYXNo".into(),
            "aGFzaA==".into(),
            "QUFB".repeat(21),
            format!("{}QQ", "QUFB".repeat(21)),
            format!("{}QUE", "QUFB".repeat(21)),
            "QUFB".repeat(22),
            "aGFzaGhhc2hoYXNoaGFzaB".into(),
            "aGFzaGhhc2hoYXNoaGFzaA$".into(),
            "aGFzaGhhc2hoYXNoaGFzaA$x".into(),
        ];
        for tag in &tags {
            cases.push(format!("$argon2id$v=19$m=64,t=1,p=1${SALT}${tag}"));
        }
        for case in &cases {
            assert_eq!(ours(case), phc_crate(case), "{case:?}");
        }
        // The cases reach both answers.
        assert!(cases.iter().filter(|c| ours(c).is_some()).count() > 10);
        assert!(cases.iter().filter(|c| ours(c).is_none()).count() > 10);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(if cfg!(target_arch = "wasm32") { 200 } else { 2000 }))]
        /// Strings put together from the pieces of PHC strings read as the `phc` crate reads them.
        #[test]
        fn phc_pieces_are_read_as_the_phc_crate_reads_them(pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "$", "$argon2id$v=19$", "argon2id", "argon2", "v=19", "v=1", "m=64", "m=8", "m=06",
                "t=1", "t=2", "p=1", "p=0", ",", "=", "m", "t", "p", "0", "9", "a", "Z", "+", "/",
                ".", "-", "_", "x=", "c2FsdHNhbHQ", "aGFzaGhhc2hoYXNoaGFzaA", "QUFB", "A", "==",
                "$m=64,t=1,p=1$",
            ]),
            0..12,
        )) {
            let text: String = pieces.concat();
            proptest::prop_assert_eq!(ours(&text), phc_crate(&text), "{:?}", text);
        }
    }

    /// Strings shaped like PHC strings (parameters in any order, values in and out of range or
    /// with leading zeros, extra pairs, salts and tags of lengths around the bounds, sometimes one
    /// character changed) read as the `phc` crate reads them; many are accepted, many are not.
    #[test]
    fn structured_phc_strings_are_read_as_the_phc_crate_reads_them() {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const VALUES: [&str; 10] = [
            "1",
            "2",
            "8",
            "64",
            "0",
            "01",
            "4294967295",
            "4294967296",
            "19456",
            "x",
        ];
        fn below(state: &mut u64, n: usize) -> usize {
            *state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(*state >> 33).unwrap() % n
        }
        /// Mostly the canonical encoding of random bytes, sometimes random characters.
        fn b64(state: &mut u64, bytes: usize) -> String {
            if below(state, 4) == 0 {
                let chars = (bytes * 4).div_ceil(3) + below(state, 3) - 1;
                return (0..chars)
                    .map(|_| char::from(B64[below(state, B64.len())]))
                    .collect();
            }
            let raw: Vec<u8> = (0..bytes).map(|_| B64[below(state, 64)]).collect();
            Base64Unpadded::encode_string(&raw)
        }
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let (mut accepted, mut refused) = (0, 0);
        let cases = if cfg!(target_arch = "wasm32") {
            300
        } else {
            3000
        };
        for _ in 0..cases {
            let mut pairs = Vec::new();
            for name in ["m", "t", "p"] {
                let range = if below(&mut state, 4) == 0 {
                    VALUES.len()
                } else {
                    4
                };
                pairs.push(format!("{name}={}", VALUES[below(&mut state, range)]));
            }
            if below(&mut state, 4) == 0 {
                let extra = ["keyid=abc", "data=QUFB", "m=8", "X=1", "a="][below(&mut state, 5)];
                pairs.push(extra.to_owned());
            }
            for i in (1..pairs.len()).rev() {
                let j = below(&mut state, i + 1);
                pairs.swap(i, j);
            }
            let salt_len = 6 + below(&mut state, 45);
            let salt = b64(&mut state, salt_len);
            let tag_len = 8 + below(&mut state, 59);
            let tag = b64(&mut state, tag_len);
            let mut text = format!("$argon2id$v=19${}${salt}${tag}", pairs.join(","));
            if below(&mut state, 5) == 0 {
                let at = below(&mut state, text.len());
                let with = ["$", ",", "=", "0", "A", "-", ""][below(&mut state, 7)];
                text.replace_range(at..=at, with);
            }
            let read = ours(&text);
            assert_eq!(read, phc_crate(&text), "{text:?}");
            if read.is_some() {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        assert!(
            accepted * 50 >= cases && refused * 50 >= cases,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn the_recommended_parameters_are_within_the_bounds() {
        // OWASP's five equivalent settings and RFC 9106's second recommendation (64 MiB, t = 3).
        for (m, t) in [
            (47_104, 1),
            (19_456, 2),
            (12_288, 3),
            (9_216, 4),
            (7_168, 5),
            (65_536, 3),
        ] {
            assert!(HashParams { m, t, p: 1 }.validate().is_ok(), "m={m} t={t}");
        }
    }

    #[test]
    fn every_secret_has_the_same_length_rule() {
        assert_eq!(
            check_secret(&[0; MIN_SECRET_BYTES - 1]),
            Err(Error::InvalidSecret)
        );
        assert_eq!(check_secret(&[0; MIN_SECRET_BYTES]), Ok(()));
        assert_eq!(check_secret(&[0; MAX_SECRET_BYTES]), Ok(()));
        assert_eq!(
            check_secret(&[0; MAX_SECRET_BYTES + 1]),
            Err(Error::InvalidSecret)
        );
        assert!(ServerSecret::new(&[0; MAX_SECRET_BYTES + 1]).is_err());
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xAB, 0x7F]), "00ab7f");
    }

    #[test]
    fn argon2_runs_counts_hashes_and_verifications() {
        let p = password(14);
        let before = argon2_runs();
        let phc = hash(&p, &secret(), CHEAP, &mut TestEntropy::new(15)).unwrap();
        assert!(verify(&p, &phc, &secret()).unwrap());
        // Other tests may run Argon2 in parallel threads: at least our two ran.
        assert!(argon2_runs() >= before + 2);
    }

    #[test]
    fn short_server_secret_is_refused() {
        assert_eq!(
            ServerSecret::new(b"short").unwrap_err(),
            Error::InvalidSecret
        );
    }

    #[test]
    fn lookup_key_depends_on_user_password_and_secret() {
        let (p, q) = (password(11), password(12));
        let other = ServerSecret::new(b"another secret, also 32 bytes!!!").unwrap();
        let k = lookup_key("alice", &p, &secret());
        assert_eq!(k.len(), 64);
        assert_eq!(k, lookup_key("alice", &p, &secret()));
        assert_ne!(k, lookup_key("bob", &p, &secret()));
        assert_ne!(k, lookup_key("alice", &q, &secret()));
        assert_ne!(k, lookup_key("alice", &p, &other));
    }

    #[test]
    fn constant_time_eq_compares_contents() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
    }
}
