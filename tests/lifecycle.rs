//! Lifecycle rules (README § Lifecycle): expiry at creation, expire-if-unused, main-password
//! change, re-keying after a server-secret rotation. The clock is an argument, so each test moves it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use app_passwords::domain::random::TestEntropy;
use app_passwords::domain::rules::{
    Context, DAY_SECS, Issued, MAX_DAYS, OnPasswordChange, Rejection, Settings, UserRecord,
    check_credential,
};
use app_passwords::domain::{Error, HashParams, ServerSecret, hash, normalize};

const NOW: i64 = 1_790_000_000;
const CHEAP: HashParams = HashParams { m: 8, t: 1, p: 1 };

fn secret(text: &[u8]) -> ServerSecret {
    ServerSecret::new(text).unwrap()
}

fn at(secret: &ServerSecret, settings: Settings, now: i64) -> Context<'_> {
    Context {
        settings,
        secret,
        params: CHEAP,
        now,
    }
}

/// The secret of most tests.
fn lifecycle_secret() -> ServerSecret {
    secret(b"lifecycle secret, 32 bytes long!")
}

/// Default settings but with app passwords expiring after `days` unused.
fn idle_after(days: u32) -> Settings {
    Settings {
        expire_unused_after_days: Some(days),
        ..Settings::default()
    }
}

/// Verifies `password` at `at` under `settings`: `Ok(())` or the rejection.
fn check(
    user: &UserRecord,
    password: &str,
    s: &ServerSecret,
    settings: &Settings,
    at: i64,
) -> Result<(), Rejection> {
    user.verify(password, None, s, settings, at).map(|_| ())
}

fn mfa_user() -> UserRecord {
    UserRecord {
        mfa_enabled: true,
        ..UserRecord::new(app_passwords::domain::UserId::new("alice").unwrap())
    }
}

fn days(n: i64) -> i64 {
    n * DAY_SECS
}

/// Creates an app password at `NOW` under `settings`, asking for `expires_in_days`.
fn create(
    user: &mut UserRecord,
    s: &ServerSecret,
    settings: Settings,
    expires_in_days: Option<u32>,
    seed: u64,
) -> Result<Issued, Error> {
    let name = format!("device {seed}");
    user.create_expiring(
        &name,
        vec![],
        expires_in_days,
        &at(s, settings, NOW),
        &mut TestEntropy::new(seed),
    )
}

#[test]
fn expires_in_days_sets_the_expiry_and_must_be_1_to_3650() {
    let s = lifecycle_secret();
    let mut user = mfa_user();
    let issued = create(&mut user, &s, Settings::default(), Some(7), 1).unwrap();
    assert_eq!(issued.entry.expires_at, Some(NOW + days(7)));
    assert_eq!(issued.entry.summary().expires_at, Some(NOW + days(7)));
    let forever = create(&mut user, &s, Settings::default(), None, 2).unwrap();
    assert_eq!(forever.entry.expires_at, None);
    for bad in [0, MAX_DAYS + 1] {
        assert_eq!(
            create(&mut user, &s, Settings::default(), Some(bad), 3).unwrap_err(),
            Error::InvalidExpiry { max_days: MAX_DAYS }
        );
    }
    assert_eq!(
        user.app_passwords.len(),
        2,
        "a refused expiry creates nothing"
    );
    assert!(create(&mut user, &s, Settings::default(), Some(MAX_DAYS), 4).is_ok());
}

#[test]
fn the_tenant_maximum_lifetime_bounds_the_expiry_and_is_the_default() {
    let s = lifecycle_secret();
    let bounded = Settings {
        max_lifetime_days: Some(30),
        ..Settings::default()
    };
    let mut user = mfa_user();
    assert_eq!(
        create(&mut user, &s, bounded, None, 1)
            .unwrap()
            .entry
            .expires_at,
        Some(NOW + days(30))
    );
    assert_eq!(
        create(&mut user, &s, bounded, Some(10), 2)
            .unwrap()
            .entry
            .expires_at,
        Some(NOW + days(10))
    );
    assert_eq!(
        create(&mut user, &s, bounded, Some(31), 3).unwrap_err(),
        Error::InvalidExpiry { max_days: 30 }
    );
    // The first app password, issued at MFA registration, gets the tenant's lifetime too.
    let mut fresh = UserRecord::new(app_passwords::domain::UserId::new("bob").unwrap());
    let first = fresh
        .set_mfa(true, None, &at(&s, bounded, NOW), &mut TestEntropy::new(4))
        .unwrap()
        .unwrap();
    assert_eq!(first.entry.expires_at, Some(NOW + days(30)));
}

#[test]
fn an_app_password_verifies_until_its_expiry_and_is_then_refused_as_expired() {
    let s = lifecycle_secret();
    let mut user = mfa_user();
    let issued = create(&mut user, &s, Settings::default(), Some(2), 1).unwrap();
    let pw = issued.password.as_str();
    let tenant = Settings::default();
    assert!(
        user.verify(pw, None, &s, &tenant, NOW + days(2) - 1)
            .is_ok()
    );
    assert_eq!(
        user.verify(pw, None, &s, &tenant, NOW + days(2))
            .unwrap_err(),
        Rejection::Expired
    );
}

#[test]
fn unused_app_passwords_expire_counting_from_last_use_or_creation() {
    let s = lifecycle_secret();
    let idle = idle_after(10);
    let mut user = mfa_user();
    let used = create(&mut user, &s, Settings::default(), None, 1).unwrap();
    let never = create(&mut user, &s, Settings::default(), None, 2).unwrap();
    let (used_pw, never_pw) = (used.password.as_str(), never.password.as_str());
    // Used on day 5: good until day 15.
    assert_eq!(check(&user, used_pw, &s, &idle, NOW + days(5)), Ok(()));
    assert!(user.record_use(&used.entry.id, NOW + days(5), None));
    // Never used: good until day 10, counted from creation.
    assert_eq!(
        check(&user, never_pw, &s, &idle, NOW + days(10) - 1),
        Ok(())
    );
    let expired = Err(Rejection::Expired);
    assert_eq!(check(&user, never_pw, &s, &idle, NOW + days(10)), expired);
    assert_eq!(check(&user, used_pw, &s, &idle, NOW + days(15) - 1), Ok(()));
    assert_eq!(check(&user, used_pw, &s, &idle, NOW + days(15)), expired);
    // Without the tenant setting nothing expires for want of use.
    let tenant = Settings::default();
    assert_eq!(
        check(&user, never_pw, &s, &tenant, NOW + days(3000)),
        Ok(())
    );
}

#[test]
fn day_settings_are_1_to_3650_or_none() {
    for (field, value, ok) in [
        ("max", Some(1), true),
        ("max", Some(MAX_DAYS), true),
        ("max", Some(0), false),
        ("max", Some(MAX_DAYS + 1), false),
        ("idle", Some(0), false),
        ("idle", Some(MAX_DAYS + 1), false),
        ("idle", Some(90), true),
        ("idle", None, true),
    ] {
        let settings = if field == "max" {
            Settings {
                max_lifetime_days: value,
                ..Settings::default()
            }
        } else {
            Settings {
                expire_unused_after_days: value,
                ..Settings::default()
            }
        };
        assert_eq!(
            settings.validate().is_ok(),
            ok,
            "{field} = {value:?} should be {}",
            if ok { "accepted" } else { "refused" }
        );
        if !ok {
            assert_eq!(settings.validate(), Err(Error::InvalidSettings));
        }
    }
}

#[test]
fn settings_and_credentials_stored_before_the_lifecycle_fields_still_load() {
    let old: Settings =
        serde_json::from_str(r#"{"app_passwords_allowed":false,"limit":7}"#).unwrap();
    assert_eq!(
        old,
        Settings {
            app_passwords_allowed: false,
            limit: 7,
            ..Settings::default()
        }
    );
    assert_eq!(old.on_password_change, OnPasswordChange::Keep);
    assert!(!old.strict_revocation);
    let full: Settings = serde_json::from_str(
        r#"{"app_passwords_allowed":true,"limit":40,"max_lifetime_days":90,
            "expire_unused_after_days":null,"on_password_change":"revoke_all","strict_revocation":true}"#,
    )
    .unwrap();
    assert_eq!(full.on_password_change, OnPasswordChange::RevokeAll);
    assert_eq!(full.max_lifetime_days, Some(90));
    let credential: app_passwords::domain::Credential =
        serde_json::from_str(r#"{"user":"alice","id":"ap_1","name":"x","phc":"$argon2id$"}"#)
            .unwrap();
    assert_eq!((credential.created_at, credential.last_used_at), (0, None));
}

#[test]
fn main_password_change_keeps_or_revokes_all_by_tenant_policy() {
    let s = lifecycle_secret();
    let mut user = mfa_user();
    let a = create(&mut user, &s, Settings::default(), None, 1).unwrap();
    create(&mut user, &s, Settings::default(), None, 2).unwrap();
    assert!(user.on_password_change(OnPasswordChange::Keep).is_empty());
    assert_eq!(user.app_passwords.len(), 2);
    let tenant = Settings::default();
    assert!(
        user.verify(a.password.as_str(), None, &s, &tenant, NOW)
            .is_ok()
    );
    let revoked = user.on_password_change(OnPasswordChange::RevokeAll);
    assert_eq!(revoked.len(), 2);
    assert!(user.app_passwords.is_empty());
    assert_eq!(
        user.verify(a.password.as_str(), None, &s, &tenant, NOW)
            .unwrap_err(),
        Rejection::Unknown
    );
}

#[test]
fn rekeying_moves_an_app_password_from_the_previous_secret_to_the_current_one() {
    let old = secret(b"the previous secret, 32 bytes!!!");
    let new = secret(b"the current secret, 32 bytes!!!!");
    let tenant = Settings::default();
    let mut user = mfa_user();
    let a = create(&mut user, &old, tenant, None, 1).unwrap();
    let b = create(&mut user, &old, tenant, None, 2).unwrap();
    let pw = normalize(a.password.as_str()).unwrap();
    assert_eq!(
        user.verify(pw.as_str(), None, &new, &tenant, NOW)
            .unwrap_err(),
        Rejection::Unknown
    );
    // Another user's password, or b's under a's id, changes nothing.
    let other = normalize(b.password.as_str()).unwrap();
    let ctx = at(&new, tenant, NOW);
    assert_eq!(
        user.rekey(&a.entry.id, &other, &old, &ctx, &mut TestEntropy::new(3))
            .unwrap(),
        None
    );
    let before = user
        .rekey(&a.entry.id, &pw, &old, &ctx, &mut TestEntropy::new(4))
        .unwrap()
        .expect("re-keyed");
    assert_eq!(before.lookup_key, a.entry.lookup_key);
    assert_eq!(a.entry.secret_id, Some(hash::secret_id(&old)));
    assert_eq!(user.app_passwords[0].secret_id, Some(hash::secret_id(&new)));
    assert_ne!(hash::secret_id(&old), hash::secret_id(&new));
    assert_ne!(user.app_passwords[0].lookup_key, a.entry.lookup_key);
    assert_eq!(
        user.verify(pw.as_str(), None, &new, &tenant, NOW)
            .unwrap()
            .id,
        a.entry.id
    );
    assert_eq!(
        user.verify(pw.as_str(), None, &old, &tenant, NOW)
            .unwrap_err(),
        Rejection::Unknown
    );
    // Re-keying again (e.g. a second verifier raced the first) is a no-op.
    assert_eq!(
        user.rekey(&a.entry.id, &pw, &old, &ctx, &mut TestEntropy::new(5))
            .unwrap(),
        None
    );
    assert_eq!(
        user.rekey("ap_missing", &pw, &old, &ctx, &mut TestEntropy::new(6))
            .unwrap_err(),
        Error::NotFound
    );
}

#[test]
fn the_record_gives_the_current_credential_and_none_when_mfa_is_off() {
    let s = lifecycle_secret();
    let idle = idle_after(10);
    let mut user = mfa_user();
    let a = create(&mut user, &s, Settings::default(), None, 1).unwrap();
    let published = user.credential(&a.entry);
    assert!(user.record_use(&a.entry.id, NOW + days(9), None));
    let current = user.find_credential(&a.entry.lookup_key).unwrap();
    assert_eq!(current.last_used_at, Some(NOW + days(9)));
    let pw = normalize(a.password.as_str()).unwrap();
    let later = NOW + days(12);
    // The stale copy says unused for 12 days; the record's own says 3.
    assert_eq!(
        check_credential(&published, "alice", &pw, None, &s, &idle, later),
        Err(Rejection::Expired)
    );
    assert_eq!(
        check_credential(&current, "alice", &pw, None, &s, &idle, later),
        Ok(())
    );
    assert!(user.find_credential("no such key").is_none());
    user.mfa_enabled = false;
    assert!(user.find_credential(&a.entry.lookup_key).is_none());
}

#[test]
fn a_verifier_sends_last_use_on_about_once_a_day_and_only_when_idle_expiry_is_on() {
    let s = lifecycle_secret();
    let idle = idle_after(10);
    let mut user = mfa_user();
    let a = create(&mut user, &s, Settings::default(), None, 1).unwrap();
    let copy = user.credential(&a.entry);
    assert!(!copy.use_worth_publishing(&idle, NOW + DAY_SECS - 1));
    assert!(copy.use_worth_publishing(&idle, NOW + DAY_SECS));
    assert!(!copy.use_worth_publishing(&Settings::default(), NOW + days(100)));
}

#[test]
fn a_copy_tells_a_passed_expiry_which_needs_no_confirming() {
    let s = lifecycle_secret();
    let mut user = mfa_user();
    let a = create(&mut user, &s, Settings::default(), Some(1), 1).unwrap();
    let copy = user.credential(&a.entry);
    assert!(!copy.past_expiry(NOW + DAY_SECS - 1));
    assert!(copy.past_expiry(NOW + DAY_SECS));
    let b = create(&mut user, &s, Settings::default(), None, 2).unwrap();
    assert!(!user.credential(&b.entry).past_expiry(i64::MAX));
}

#[test]
fn the_secret_id_is_the_documented_hmac() {
    // printf %s 'app-passwords secret id' | openssl dgst -sha256 -hmac 'lifecycle secret, 32 bytes long!'
    let id = hash::secret_id(&secret(b"lifecycle secret, 32 bytes long!"));
    assert_eq!(id.len(), 8);
    assert_eq!(id, EXPECTED_SECRET_ID);
}

/// Computed with the openssl command of the README's rotation runbook.
const EXPECTED_SECRET_ID: &str = "0938f627";
