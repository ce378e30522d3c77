//! Stored user records and credentials (JSON from a Durable Object, KV or the npm caller's store):
//! parsing never panics, a parsed record round-trips, and the rules run on it without panicking
//! (no overflow on stored times).
#![no_main]

use app_passwords::domain::{Credential, Protocol, UserRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&[u8], i64)| {
    let (bytes, now) = input;
    let _ = serde_json::from_slice::<Credential>(bytes);
    let Ok(mut record) = serde_json::from_slice::<UserRecord>(bytes) else {
        return;
    };
    let text = serde_json::to_string(&record).unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<UserRecord>(&text).ok().as_ref(),
        Some(&record)
    );
    let ids: Vec<String> = record.app_passwords.iter().map(|e| e.id.clone()).collect();
    for id in &ids {
        let _ = record.record_use(id, now, Some(Protocol::Imap));
        let _ = record.record_use(id, now.wrapping_add(61), None);
    }
    let _ = record.summaries();
    for entry in record.app_passwords.clone() {
        let _ = record.credential(&entry);
    }
    if let Some(id) = ids.first() {
        assert!(record.delete(id).is_ok());
    }
    let _ = record.delete_all();
});
