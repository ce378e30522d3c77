//! Request bodies, through the parser every JSON endpoint uses (`domain::body::parse`), into the
//! shapes of the API's bodies: only a JSON object is accepted, and every refusal carries one of the
//! fixed messages — never a piece of the input. The field reader the Worker uses
//! (`domain::body::parse_fields`) must answer each body exactly as the derived reader does.
#![no_main]
#![allow(dead_code)]

use app_passwords::domain::OnPasswordChange;
use app_passwords::domain::body::{
    BodyError, SETTINGS_UPDATE_FIELDS, Shape, is_fixed_message, parse, parse_fields,
};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    name: String,
    scopes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mfa {
    enabled: bool,
    initial_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verify {
    user: String,
    password: String,
    protocol: Option<String>,
    remote_ip: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsUpdate {
    app_passwords_allowed: Option<bool>,
    limit: Option<u32>,
    max_lifetime_days: Option<u32>,
    expire_unused_after_days: Option<u32>,
    on_password_change: Option<OnPasswordChange>,
    strict_revocation: Option<bool>,
}

fn check<T>(bytes: &[u8], result: Result<T, BodyError>) {
    match result {
        Ok(_) => assert_eq!(
            bytes.iter().find(|b| !b.is_ascii_whitespace()),
            Some(&b'{'),
            "only an object is accepted"
        ),
        Err(e) => {
            assert!(["invalid_json", "invalid_request"].contains(&e.code));
            assert!(is_fixed_message(&e.message), "{}", e.message);
        }
    }
}

/// `parse_fields` with `fields` refuses exactly what `parse::<T>` refuses, with the same error.
fn same<T>(bytes: &[u8], derived: &Result<T, BodyError>, fields: &'static [(&'static str, Shape)]) {
    assert_eq!(
        parse_fields(bytes, fields).err(),
        derived.as_ref().err().cloned()
    );
}

fuzz_target!(|bytes: &[u8]| {
    same(
        bytes,
        &parse::<Create>(bytes),
        &[("name", Shape::Text), ("scopes", Shape::OptTexts)],
    );
    same(
        bytes,
        &parse::<Mfa>(bytes),
        &[("enabled", Shape::Flag), ("initial_name", Shape::OptText)],
    );
    same(
        bytes,
        &parse::<Verify>(bytes),
        &[
            ("user", Shape::Text),
            ("password", Shape::Text),
            ("protocol", Shape::OptText),
            ("remote_ip", Shape::OptText),
        ],
    );
    same(
        bytes,
        &parse::<SettingsUpdate>(bytes),
        SETTINGS_UPDATE_FIELDS,
    );
    check(bytes, parse::<Create>(bytes));
    check(bytes, parse::<Mfa>(bytes));
    check(bytes, parse::<Verify>(bytes));
    check(bytes, parse::<SettingsUpdate>(bytes));
    check(bytes, parse::<serde_json::Value>(bytes));
});
