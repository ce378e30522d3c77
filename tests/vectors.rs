//! Known-answer tests: RFC 9106's Argon2id vector, and tests/vectors/app-passwords.json (made by
//! tests/vectors/generate.py with independent implementations), which the npm tests read too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use app_passwords::domain::hash::{self, HashParams, ServerSecret};
use app_passwords::domain::normalize;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/app-passwords.json");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

/// RFC 9106 §5.3, Argon2id: password 32 × 0x01, salt 16 × 0x02, secret 8 × 0x03, associated data
/// 12 × 0x04, m = 32 KiB, t = 3, p = 4, 32-byte tag.
#[test]
fn argon2id_matches_rfc_9106_section_5_3() {
    let mut tag = [0u8; 32];
    hash::argon2id_raw(
        &[0x01; 32],
        &[0x02; 16],
        &[0x03; 8],
        &[0x04; 12],
        HashParams { m: 32, t: 3, p: 4 },
        &mut tag,
    )
    .unwrap();
    assert_eq!(
        hash::hex(&tag),
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
    );
}

#[test]
fn vectors_normalize_and_display_as_recorded() {
    for v in vectors()["vectors"].as_array().unwrap() {
        let p = normalize(v["input"].as_str().unwrap()).unwrap();
        assert_eq!(p.as_str(), v["normalized"].as_str().unwrap());
        assert_eq!(p.display(), v["display"].as_str().unwrap());
    }
}

#[test]
fn vectors_hash_to_the_recorded_phc_and_lookup_key() {
    for v in vectors()["vectors"].as_array().unwrap() {
        let p = normalize(v["input"].as_str().unwrap()).unwrap();
        let secret = ServerSecret::new(&unhex(v["secret_hex"].as_str().unwrap())).unwrap();
        let params: HashParams = serde_json::from_value(v["params"].clone()).unwrap();
        let phc =
            hash::hash_with_salt(&p, &secret, params, &unhex(v["salt_hex"].as_str().unwrap()))
                .unwrap();
        assert_eq!(phc, v["phc"].as_str().unwrap());
        assert!(hash::verify(&p, &phc, &secret).unwrap());
        assert!(!hash::needs_rehash(&phc, params));
        let key = hash::lookup_key(v["user"].as_str().unwrap(), &p, &secret);
        assert_eq!(key, v["lookup_key"].as_str().unwrap());
    }
}

#[test]
fn vector_bad_inputs_fail_with_the_recorded_code() {
    for v in vectors()["bad_inputs"].as_array().unwrap() {
        let err = normalize(v["input"].as_str().unwrap()).unwrap_err();
        assert_eq!(err.code(), v["error"].as_str().unwrap(), "{}", v["input"]);
    }
}
