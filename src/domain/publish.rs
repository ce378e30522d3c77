//! What the verification store (KV in the Worker) must hold for a user's record, and which of its
//! keys still have to be written.
//!
//! The record is the authority; the store holds a copy of each credential under its lookup key,
//! and only while MFA is on ([`UserRecord::find_credential`]). A change of the record changes the
//! wanted copy of some keys ([`changes`]); those keys are *pending* until the store has accepted
//! the copy wanted **at the time of the write**. The shell keeps [`Pending`] beside the record (in
//! the same storage write) and writes pending keys one at a time, each from the current record,
//! until none is left:
//!
//! - a write is never computed from an older snapshot of the record, so a publish cannot bring
//!   back a credential that a concurrent deletion removed: the deletion marks the key again, and
//!   the mark outlives the write that was in flight ([`Pending::done`] clears only the generation
//!   that was written);
//! - a failed write leaves its key pending, and the shell retries it later (a Durable Object
//!   alarm), so the store converges on the record however often it fails.

use super::fields::{self, Fields, FromJson};
use super::keyed::Keyed;
use super::rules::{Credential, UserRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One key of the store whose copy may differ from what the record wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Bumped each time the key is marked; a write clears only the generation it wrote.
    pub generation: u64,
    /// The app password the key belongs to (so a repeated deletion can tell it is still under way).
    pub id: String,
}

/// The keys still to be written to the store, by lookup key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Pending keys.
    #[serde(default)]
    keys: Keyed<Mark>,
    /// The generation of the next mark.
    #[serde(default)]
    next: u64,
    /// Ids of deletions that were answered "not done yet" (newest last, at most
    /// [`MAX_UNCONFIRMED`]): a repeated deletion of one answers success once KV has it.
    #[serde(default)]
    unconfirmed: Vec<String>,
}

/// How many unconfirmed deletions [`Pending`] remembers.
pub const MAX_UNCONFIRMED: usize = 64;

/// One write to the store: put `value` under `lookup_key`, or delete the key when `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The lookup key (the shell adds its own prefix).
    pub lookup_key: String,
    /// The mark's generation when the write was computed.
    pub generation: u64,
    /// The copy the record wants now; `None`: the key must not exist.
    pub value: Option<Wanted>,
}

/// The copy of one credential the store must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The credential.
    pub credential: Credential,
    /// The id of the server secret its lookup key is made with (the store's metadata).
    pub secret_id: Option<String>,
}

/// The copy `record` wants under `lookup_key`: its credential while MFA is on, else none.
#[must_use]
pub fn wanted(record: &UserRecord, lookup_key: &str) -> Option<Wanted> {
    let credential = record.find_credential(lookup_key)?;
    let secret_id = record
        .app_passwords
        .iter()
        .find(|e| e.id == credential.id)
        .and_then(|e| e.secret_id.clone());
    Some(Wanted {
        credential,
        secret_id,
    })
}

/// The lookup keys whose wanted copy differs between `before` and `after`, with their entry ids.
///
/// Last use alone is not a difference: the copy's last use may lag the record
/// ([`crate::domain::rules::USE_PUBLISH_INTERVAL_SECS`]); [`last_use`] asks for a refresh.
///
/// ```
/// use app_passwords::domain::publish::changes;
/// use app_passwords::domain::{UserId, UserRecord};
/// let mut a = UserRecord::new(UserId::new("alice").unwrap());
/// let b = a.clone();
/// a.mfa_enabled = true;
/// assert!(changes(&b, &a).is_empty()); // no app passwords: nothing to publish
/// ```
#[must_use]
pub fn changes(before: &UserRecord, after: &UserRecord) -> Vec<(String, String)> {
    // (lookup key, entry id, copy, secret id). A user has at most a few hundred app passwords:
    // plain lists compared pairwise, not a map (a B-tree per element type is large in the wasm,
    // issue 13).
    type Copy<'r> = (&'r str, &'r str, Credential, Option<&'r str>);
    fn copies(r: &UserRecord) -> Vec<Copy<'_>> {
        r.app_passwords
            .iter()
            .filter(|_| r.mfa_enabled)
            .map(|e| {
                let credential = Credential {
                    last_used_at: None,
                    ..r.credential(e)
                };
                (
                    e.lookup_key.as_str(),
                    e.id.as_str(),
                    credential,
                    e.secret_id.as_deref(),
                )
            })
            .collect()
    }
    let (old, new) = (copies(before), copies(after));
    let mut changed: Vec<(String, String)> = Vec::new();
    let removed_or_changed = old.iter().filter(|a| !new.contains(a));
    let added = new.iter().filter(|b| !old.iter().any(|a| a.0 == b.0));
    for (key, id, ..) in removed_or_changed.chain(added) {
        // In key order, as the doc and the tests state it.
        if let Err(at) = changed.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            changed.insert(at, ((*key).to_owned(), (*id).to_owned()));
        }
    }
    changed
}

/// Every lookup key of `record` with its entry id, whatever MFA says. After a failed save the store
/// may hold copies of the stored record and of the one discarded from memory (a concurrent write
/// may already have copied it): the object marks every key of both, and what was still pending.
/// Marking a key too many is harmless: each write is computed from the current record
/// ([`Pending::next_write`]).
#[must_use]
pub fn every_key(record: &UserRecord) -> Vec<(String, String)> {
    record
        .app_passwords
        .iter()
        .map(|e| (e.lookup_key.clone(), e.id.clone()))
        .collect()
}

/// The key to rewrite so the copy of app password `id` carries its last use (for expire-if-unused);
/// none while MFA is off or when there is no such app password.
#[must_use]
pub fn last_use(record: &UserRecord, id: &str) -> Vec<(String, String)> {
    record
        .app_passwords
        .iter()
        .filter(|e| record.mfa_enabled && e.id == id)
        .map(|e| (e.lookup_key.clone(), e.id.clone()))
        .collect()
}

impl Pending {
    /// Marks `changed` keys (from [`changes`]) as to be written; returns the generations given.
    pub fn mark(&mut self, changed: &[(String, String)]) -> Vec<(String, u64)> {
        changed
            .iter()
            .map(|(key, id)| {
                let generation = self.next;
                self.next = self.next.saturating_add(1);
                self.keys.insert(
                    key.clone(),
                    Mark {
                        generation,
                        id: id.clone(),
                    },
                );
                (key.clone(), generation)
            })
            .collect()
    }

    /// The pending keys with their entry ids (to mark again after a failed save: [`every_key`]).
    #[must_use]
    pub fn marks(&self) -> Vec<(String, String)> {
        self.keys
            .iter()
            .map(|(key, mark)| (key.clone(), mark.id.clone()))
            .collect()
    }

    /// Whether every key has been written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys are pending.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether `key` is still pending.
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// Whether a key of app password `id` is still pending (a deletion still under way).
    #[must_use]
    pub fn has_id(&self, id: &str) -> bool {
        self.keys.values().any(|m| m.id == id)
    }

    /// Remembers that the deletion of `id` was answered "not done yet".
    pub fn unconfirmed(&mut self, id: &str) {
        self.unconfirmed.retain(|u| u != id);
        self.unconfirmed.push(id.to_owned());
        let excess = self.unconfirmed.len().saturating_sub(MAX_UNCONFIRMED);
        self.unconfirmed.drain(..excess);
    }

    /// Whether `id` is an unconfirmed deletion.
    #[must_use]
    pub fn contains_unconfirmed(&self, id: &str) -> bool {
        self.unconfirmed.iter().any(|u| u == id)
    }

    /// Whether `id` is an unconfirmed deletion; forgets it, since the caller is now told.
    pub fn confirm(&mut self, id: &str) -> bool {
        let before = self.unconfirmed.len();
        self.unconfirmed.retain(|u| u != id);
        self.unconfirmed.len() != before
    }

    /// The next write, computed from the current `record`: a pending key not in `skip` (keys that
    /// already failed this round), copies to put before keys to delete (so a re-keyed password
    /// keeps verifying while it moves). `None` when nothing is left to try.
    #[must_use]
    pub fn next_write(&self, record: &UserRecord, skip: &[String]) -> Option<Write> {
        let candidates = self
            .keys
            .iter()
            .filter(|(key, _)| !skip.iter().any(|s| s == *key));
        let mut first_delete = None;
        for (key, mark) in candidates {
            let value = wanted(record, key);
            let write = Write {
                lookup_key: key.clone(),
                generation: mark.generation,
                value,
            };
            if write.value.is_some() {
                return Some(write);
            }
            first_delete.get_or_insert(write);
        }
        first_delete
    }

    /// The store accepted `write`: the key is no longer pending, unless it was marked again
    /// meanwhile (then the newer mark stays, and the key is written again from the newer record).
    /// Returns whether the key was cleared.
    pub fn done(&mut self, write: &Write) -> bool {
        let current = self.keys.get(&write.lookup_key).map(|m| m.generation);
        if current == Some(write.generation) {
            self.keys.remove(&write.lookup_key);
            true
        } else {
            false
        }
    }
}

// Writers of our own JSON (see `to_json`): exactly what the derived `Serialize` writes.
crate::json_object!(Mark { generation, id });
crate::json_object!(Pending {
    keys,
    next,
    unconfirmed
});

// Readers of our own JSON (see `fields`), for the forms the derived `Serialize` writes.
impl FromJson for Mark {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            generation: f.get("generation")?,
            id: f.get("id")?,
        })
    }
}

impl FromJson for Pending {
    fn from_json(value: Value) -> fields::Result<Self> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            keys: f.or_default("keys")?,
            next: f.or_default("next")?,
            unconfirmed: f.or_default("unconfirmed")?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::domain::random::TestEntropy;
    use crate::domain::{Context, HashParams, ServerSecret, Settings, UserId};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const CHEAP: HashParams = HashParams { m: 8, t: 1, p: 1 };

    /// A user with MFA on and app passwords `names`.
    fn record(names: &[&str]) -> UserRecord {
        let secret = ServerSecret::new(b"test secret of thirty-two bytes!").unwrap();
        let ctx = Context {
            settings: Settings::default(),
            secret: &secret,
            params: CHEAP,
            now: 1_790_000_000,
        };
        let mut r = UserRecord::new(UserId::new("alice").unwrap());
        r.mfa_enabled = true;
        let mut rng = TestEntropy::new(7);
        for name in names {
            r.create(name, Vec::new(), &ctx, &mut rng).unwrap();
        }
        r
    }

    fn key(r: &UserRecord, i: usize) -> String {
        r.app_passwords[i].lookup_key.clone()
    }

    #[test]
    fn changes_name_created_deleted_and_changed_copies_only() {
        let before = record(&["a", "b", "c"]);
        let mut after = before.clone();
        let deleted = after.app_passwords.remove(0);
        after.app_passwords[0].expires_at = Some(1_790_000_100);
        after.app_passwords[1].last_used_at = Some(1_790_000_100);
        let got = changes(&before, &after);
        let mut want = vec![
            (deleted.lookup_key.clone(), deleted.id.clone()),
            (key(&after, 0), after.app_passwords[0].id.clone()),
        ];
        want.sort();
        assert_eq!(got, want);
        // Backwards the deleted one is created: in key order with the changed one.
        assert_eq!(changes(&after, &before), want);
        assert!(changes(&after, &after).is_empty());
        // Last use alone is refreshed on request only.
        let id = &after.app_passwords[1].id;
        assert_eq!(last_use(&after, id), vec![(key(&after, 1), id.clone())]);
        assert!(last_use(&after, "nope").is_empty());
    }

    #[test]
    fn after_a_failed_save_every_key_of_both_records_and_what_was_pending_is_rewritten() {
        let stored = record(&["a", "b"]);
        // Memory had moved on: "a" re-keyed, "c" created, MFA turned off, and "b"'s key written
        // (so no longer pending) — a concurrent write may have copied any of it to the store.
        let mut memory = record(&["a", "b", "c"]);
        memory.app_passwords[0].lookup_key = "rekeyed".into();
        memory.mfa_enabled = false;
        let mut was_pending = Pending::default();
        was_pending.mark(&[("orphan".into(), "x".into())]);
        // What the object does: keys of the discarded record and the pending ones at the failure,
        // every key of the stored record at the reload (MFA off there: all to be deleted).
        let mut stored_off = stored.clone();
        stored_off.mfa_enabled = false;
        let mut pending = Pending::default();
        pending.mark(&every_key(&stored_off));
        pending.mark(&every_key(&memory));
        pending.mark(&was_pending.marks());
        let mut written: Vec<String> = Vec::new();
        while let Some(w) = pending.next_write(&stored_off, &written) {
            assert_eq!(w.value, None, "MFA is off in the stored record");
            assert!(!written.contains(&w.lookup_key), "written twice");
            written.push(w.lookup_key.clone());
        }
        for k in [key(&stored, 0), key(&stored, 1), key(&memory, 2)] {
            assert!(written.contains(&k), "{k} not rewritten");
        }
        for k in ["rekeyed", "orphan"] {
            assert!(written.iter().any(|w| w == k), "{k} not rewritten");
        }
        assert_eq!(written.len(), 5);
        // With MFA on in the stored record, its copies are put back and the others deleted.
        let mut pending = Pending::default();
        pending.mark(&every_key(&stored));
        pending.mark(&every_key(&memory));
        let w = pending.next_write(&stored, &[]).unwrap();
        assert!(w.value.is_some(), "puts come before deletes");
    }

    #[test]
    fn mfa_off_unpublishes_everything_and_on_publishes_it_again() {
        let on = record(&["a", "b"]);
        let mut off = on.clone();
        off.mfa_enabled = false;
        assert_eq!(changes(&on, &off).len(), 2);
        assert_eq!(changes(&off, &on).len(), 2);
        let mut off_too = off.clone();
        off_too.app_passwords.clear();
        assert!(
            changes(&off, &off_too).is_empty(),
            "nothing is published while MFA is off"
        );
    }

    #[test]
    fn a_write_is_computed_from_the_current_record() {
        let r = record(&["a"]);
        let mut pending = Pending::default();
        pending.mark(&changes(&UserRecord::new(r.user.clone()), &r));
        let put = pending.next_write(&r, &[]).unwrap();
        assert_eq!(put.value, wanted(&r, &key(&r, 0)));
        assert_eq!(
            put.value.unwrap().credential,
            r.find_credential(&key(&r, 0)).unwrap()
        );
        // Deleted before the write was issued: the write is a deletion.
        let mut gone = r.clone();
        gone.app_passwords.clear();
        let write = pending.next_write(&gone, &[]).unwrap();
        assert_eq!(write.value, None);
    }

    #[test]
    fn a_write_in_flight_does_not_clear_a_newer_mark() {
        // The publish-after-delete race: a put is in flight when the entry is deleted.
        let r = record(&["a"]);
        let mut pending = Pending::default();
        pending.mark(&changes(&UserRecord::new(r.user.clone()), &r));
        let put = pending.next_write(&r, &[]).unwrap();
        assert!(put.value.is_some());
        let mut deleted = r.clone();
        deleted.app_passwords.clear();
        pending.mark(&changes(&r, &deleted));
        // The put lands after the deletion was recorded: the key stays pending ...
        assert!(!pending.done(&put));
        assert!(pending.contains(&put.lookup_key));
        // ... and the next write, from the current record, deletes it.
        let delete = pending.next_write(&deleted, &[]).unwrap();
        assert_eq!(delete.value, None);
        assert!(pending.done(&delete));
        assert!(pending.is_empty());
    }

    #[test]
    fn puts_go_before_deletes_and_failed_keys_are_skipped() {
        let r = record(&["a", "b"]);
        let mut rekeyed = r.clone();
        rekeyed.app_passwords[0].lookup_key = "0".repeat(64);
        let mut pending = Pending::default();
        let marked = pending.mark(&changes(&r, &rekeyed));
        assert_eq!(marked.len(), 2);
        assert!(pending.has_id(&r.app_passwords[0].id));
        let first = pending.next_write(&rekeyed, &[]).unwrap();
        assert!(first.value.is_some(), "the new copy is put first");
        let skip = [first.lookup_key.clone()];
        let second = pending.next_write(&rekeyed, &skip).unwrap();
        assert_eq!(second.value, None);
        let skip = [first.lookup_key, second.lookup_key];
        assert_eq!(pending.next_write(&rekeyed, &skip), None);
        assert_eq!(pending.len(), 2, "nothing was cleared");
    }

    #[test]
    fn unconfirmed_deletions_are_bounded_and_confirmed_once() {
        let mut pending = Pending::default();
        for i in 0..=MAX_UNCONFIRMED {
            pending.unconfirmed(&format!("ap_{i}"));
        }
        pending.unconfirmed("ap_1");
        assert!(!pending.confirm("ap_0"), "the oldest is dropped");
        assert!(pending.confirm("ap_1"));
        assert!(!pending.confirm("ap_1"), "told once");
        assert!(pending.confirm(&format!("ap_{MAX_UNCONFIRMED}")));
    }

    #[test]
    fn pending_round_trips_through_json() {
        let r = record(&["a"]);
        let mut pending = Pending::default();
        pending.mark(&changes(&UserRecord::new(r.user.clone()), &r));
        let text = serde_json::to_string(&pending).unwrap();
        assert_eq!(serde_json::from_str::<Pending>(&text).unwrap(), pending);
        assert_eq!(
            serde_json::from_str::<Pending>("{}").unwrap(),
            Pending::default()
        );
    }
}
