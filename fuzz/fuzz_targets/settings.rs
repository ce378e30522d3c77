//! Stored tenant settings: parsing never panics; settings that pass `validate` are in range.
#![no_main]

use app_passwords::domain::rules::MAX_LIMIT;
use app_passwords::domain::{HashParams, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(settings) = serde_json::from_slice::<Settings>(bytes)
        && let Ok(valid) = settings.validate()
    {
        assert!((1..=MAX_LIMIT).contains(&valid.limit));
    }
    if let Ok(params) = serde_json::from_slice::<HashParams>(bytes)
        && let Ok(valid) = params.validate()
    {
        assert!(u64::from(valid.m) * u64::from(valid.t) <= app_passwords::domain::hash::MAX_WORK);
    }
});
