//! The per-user rules (README § Rules), one test per behaviour. Run natively and as wasm in Node.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use app_passwords::domain::random::TestEntropy;
use app_passwords::domain::rules::{
    self, Context, DEFAULT_LIMIT, Found, INITIAL_NAME, LAST_USE_INTERVAL_SECS, MAX_NAME_CHARS,
    Protocol, Rejection, Settings, Upkeep, UserRecord, check_credential, parse_scopes,
};
use app_passwords::domain::{Error, HashParams, ServerSecret, UserId, normalize};

const NOW: i64 = 1_790_000_000;
const CHEAP: HashParams = HashParams { m: 8, t: 1, p: 1 };

fn secret() -> ServerSecret {
    ServerSecret::new(b"test secret of thirty-two bytes!").unwrap()
}

fn ctx(secret: &ServerSecret, settings: Settings) -> Context<'_> {
    Context {
        settings,
        secret,
        params: CHEAP,
        now: NOW,
    }
}

fn uid(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

fn mfa_user() -> UserRecord {
    UserRecord {
        mfa_enabled: true,
        ..UserRecord::new(uid("alice"))
    }
}

#[test]
fn create_returns_the_plaintext_once_and_keeps_only_its_hash() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "  iPhone  ",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(1),
        )
        .unwrap();
    assert_eq!(issued.entry.name, "iPhone");
    assert_eq!(issued.entry.created_at, NOW);
    assert!(issued.entry.id.starts_with("ap_"));
    assert_eq!(user.app_passwords, vec![issued.entry.clone()]);
    let stored = serde_json::to_string(&user).unwrap();
    assert!(!stored.contains(issued.password.as_str()));
    assert!(!stored.contains(&issued.password.display()));
    assert!(stored.contains("$argon2id$"));
}

#[test]
fn default_limit_is_40() {
    assert_eq!(DEFAULT_LIMIT, 40);
    assert_eq!(Settings::default().limit, DEFAULT_LIMIT);
}

#[test]
fn create_past_limit_is_refused_with_limit_reached() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut user = mfa_user();
    let mut rng = TestEntropy::new(2);
    for i in 0..DEFAULT_LIMIT {
        user.create(&format!("device {i}"), vec![], &c, &mut rng)
            .unwrap();
    }
    let err = user
        .create("one too many", vec![], &c, &mut rng)
        .unwrap_err();
    assert_eq!(err, Error::LimitReached { limit: 40 });
    assert_eq!(user.app_passwords.len(), 40);
}

#[test]
fn deleting_one_at_the_limit_allows_creating_again() {
    let s = secret();
    let c = ctx(
        &s,
        Settings {
            limit: 2,
            ..Settings::default()
        },
    );
    let mut user = mfa_user();
    let mut rng = TestEntropy::new(3);
    let first = user.create("a", vec![], &c, &mut rng).unwrap();
    user.create("b", vec![], &c, &mut rng).unwrap();
    assert_eq!(
        user.create("c", vec![], &c, &mut rng).unwrap_err(),
        Error::LimitReached { limit: 2 }
    );
    user.delete(&first.entry.id).unwrap();
    user.create("c", vec![], &c, &mut rng).unwrap();
}

#[test]
fn tenant_limit_is_configurable_and_validated() {
    assert!(
        Settings {
            limit: 5,
            ..Settings::default()
        }
        .validate()
        .is_ok()
    );
    assert_eq!(
        Settings {
            limit: 0,
            ..Settings::default()
        }
        .validate(),
        Err(Error::InvalidSettings)
    );
    let too_big = Settings {
        limit: rules::MAX_LIMIT + 1,
        ..Settings::default()
    };
    assert_eq!(too_big.validate(), Err(Error::InvalidSettings));
}

#[test]
fn names_are_required_trimmed_and_at_most_64_characters() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut user = mfa_user();
    let mut rng = TestEntropy::new(4);
    for bad in ["", "   ", "\t\n"] {
        assert_eq!(
            user.create(bad, vec![], &c, &mut rng).unwrap_err(),
            Error::InvalidName,
            "{bad:?}"
        );
    }
    let longest = "é".repeat(MAX_NAME_CHARS);
    assert!(user.create(&longest, vec![], &c, &mut rng).is_ok());
    let too_long = "x".repeat(MAX_NAME_CHARS + 1);
    assert_eq!(
        user.create(&too_long, vec![], &c, &mut rng).unwrap_err(),
        Error::InvalidName
    );
}

#[test]
fn names_with_control_characters_are_refused() {
    let s = secret();
    let mut user = mfa_user();
    for bad in ["a\u{0}b", "line\nbreak", "bell\u{7}", "del\u{7f}"] {
        let err = user.create(
            bad,
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(5),
        );
        assert_eq!(err.unwrap_err(), Error::InvalidName, "{bad:?}");
    }
}

#[test]
fn names_are_unique_per_user_ignoring_case() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut rng = TestEntropy::new(6);
    let mut alice = mfa_user();
    alice.create("iPhone", vec![], &c, &mut rng).unwrap();
    assert_eq!(
        alice.create("IPHONE ", vec![], &c, &mut rng).unwrap_err(),
        Error::NameTaken
    );
    let mut bob = UserRecord {
        mfa_enabled: true,
        ..UserRecord::new(uid("bob"))
    };
    assert!(bob.create("iPhone", vec![], &c, &mut rng).is_ok());
}

#[test]
fn names_are_unique_in_nfc_case_folded_form() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut rng = TestEntropy::new(60);
    let mut user = mfa_user();
    let nfd = user.create("Cafe\u{301}", vec![], &c, &mut rng).unwrap();
    assert_eq!(nfd.entry.name, "Caf\u{E9}", "stored in NFC");
    for same in [
        "caf\u{E9}",
        "CAF\u{C9}",
        "cafe\u{301}",
        "CAFE\u{301}\u{FE0F}",
    ] {
        assert_eq!(
            user.create(same, vec![], &c, &mut rng).unwrap_err(),
            Error::NameTaken,
            "{same:?}"
        );
    }
    user.create("Stra\u{DF}e", vec![], &c, &mut rng).unwrap();
    assert_eq!(
        user.create("STRASSE", vec![], &c, &mut rng).unwrap_err(),
        Error::NameTaken
    );
}

#[test]
fn invisible_and_bidi_names_are_refused() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut rng = TestEntropy::new(61);
    let mut user = mfa_user();
    user.create("iPhone", vec![], &c, &mut rng).unwrap();
    for bad in [
        "\u{200B}",
        "\u{FEFF}",
        "\u{2060}",
        "\u{3164}",
        "\u{034F}",
        "iPhone\u{200B}",
        "\u{202E}enohPi",
    ] {
        assert_eq!(
            user.create(bad, vec![], &c, &mut rng).unwrap_err(),
            Error::InvalidName,
            "{bad:?}"
        );
        assert_eq!(
            UserRecord::new(uid("newcomer"))
                .set_mfa(true, Some(bad), &c, &mut rng)
                .unwrap_err(),
            Error::InvalidName,
            "initial name {bad:?}"
        );
    }
}

#[test]
fn a_stored_name_from_before_normalisation_still_counts_for_uniqueness() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut rng = TestEntropy::new(62);
    let mut user = mfa_user();
    user.create("x", vec![], &c, &mut rng).unwrap();
    user.app_passwords[0].name = "Cafe\u{301}".to_owned();
    assert_eq!(
        user.create("caf\u{E9}", vec![], &c, &mut rng).unwrap_err(),
        Error::NameTaken
    );
}

#[test]
fn delete_removes_by_id_and_unknown_id_is_not_found() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(7),
        )
        .unwrap();
    assert_eq!(user.delete(&issued.entry.id).unwrap().id, issued.entry.id);
    assert!(user.app_passwords.is_empty());
    assert_eq!(user.delete(&issued.entry.id).unwrap_err(), Error::NotFound);
}

#[test]
fn delete_all_removes_every_app_password() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut user = mfa_user();
    let mut rng = TestEntropy::new(8);
    for name in ["a", "b", "c"] {
        user.create(name, vec![], &c, &mut rng).unwrap();
    }
    assert_eq!(user.delete_all().len(), 3);
    assert!(user.app_passwords.is_empty());
    assert!(user.delete_all().is_empty());
}

#[test]
fn app_passwords_require_mfa() {
    let s = secret();
    let mut user = UserRecord::new(uid("carol"));
    let err = user.create(
        "x",
        vec![],
        &ctx(&s, Settings::default()),
        &mut TestEntropy::new(9),
    );
    assert_eq!(err.unwrap_err(), Error::MfaRequired);
}

#[test]
fn mfa_registration_issues_the_first_app_password_once() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut user = UserRecord::new(uid("dave"));
    let mut rng = TestEntropy::new(10);
    let first = user.set_mfa(true, None, &c, &mut rng).unwrap().unwrap();
    assert!(user.mfa_enabled);
    assert_eq!(first.entry.name, INITIAL_NAME);
    assert!(user.set_mfa(true, None, &c, &mut rng).unwrap().is_none());
    assert_eq!(user.app_passwords.len(), 1);
}

#[test]
fn mfa_registration_repeated_after_deleting_everything_issues_nothing() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut user = UserRecord::new(uid("gina"));
    let mut rng = TestEntropy::new(25);
    user.set_mfa(true, None, &c, &mut rng).unwrap().unwrap();
    user.delete_all();
    assert!(user.set_mfa(true, None, &c, &mut rng).unwrap().is_none());
    assert!(user.app_passwords.is_empty());
}

#[test]
fn mfa_registration_issues_nothing_when_the_user_already_has_app_passwords() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut user = mfa_user();
    let mut rng = TestEntropy::new(11);
    user.create("existing", vec![], &c, &mut rng).unwrap();
    user.set_mfa(false, None, &c, &mut rng).unwrap();
    assert!(
        user.set_mfa(true, Some("other"), &c, &mut rng)
            .unwrap()
            .is_none()
    );
    assert_eq!(user.app_passwords.len(), 1);
}

#[test]
fn mfa_registration_uses_the_given_initial_name_and_checks_it() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut rng = TestEntropy::new(12);
    let mut user = UserRecord::new(uid("erin"));
    assert_eq!(
        user.set_mfa(true, Some(" "), &c, &mut rng).unwrap_err(),
        Error::InvalidName
    );
    assert!(!user.mfa_enabled);
    let issued = user
        .set_mfa(true, Some("Outlook"), &c, &mut rng)
        .unwrap()
        .unwrap();
    assert_eq!(issued.entry.name, "Outlook");
}

#[test]
fn tenant_switch_off_refuses_new_app_passwords_but_existing_ones_still_verify() {
    let s = secret();
    let mut user = mfa_user();
    let mut rng = TestEntropy::new(13);
    let issued = user
        .create("x", vec![], &ctx(&s, Settings::default()), &mut rng)
        .unwrap();
    let off = ctx(
        &s,
        Settings {
            app_passwords_allowed: false,
            ..Settings::default()
        },
    );
    assert_eq!(
        user.create("y", vec![], &off, &mut rng).unwrap_err(),
        Error::AppPasswordsDisabled
    );
    assert!(
        user.verify(
            issued.password.as_str(),
            None,
            &s,
            &Settings::default(),
            NOW
        )
        .is_ok()
    );
}

#[test]
fn tenant_switch_off_issues_nothing_at_mfa_registration() {
    let s = secret();
    let off = ctx(
        &s,
        Settings {
            app_passwords_allowed: false,
            ..Settings::default()
        },
    );
    let mut user = UserRecord::new(uid("frank"));
    assert!(
        user.set_mfa(true, None, &off, &mut TestEntropy::new(14))
            .unwrap()
            .is_none()
    );
    assert!(user.mfa_enabled);
}

#[test]
fn verify_accepts_the_password_in_any_typed_form() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(15),
        )
        .unwrap();
    let typed = issued.password.display().to_uppercase().replace('-', " ");
    assert_eq!(
        user.verify(&typed, None, &s, &Settings::default(), NOW)
            .unwrap()
            .id,
        issued.entry.id
    );
}

#[test]
fn verify_rejects_malformed_typo_unknown_deleted_and_other_users_passwords() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut rng = TestEntropy::new(16);
    let mut alice = mfa_user();
    let mut bob = UserRecord {
        mfa_enabled: true,
        ..UserRecord::new(uid("bob"))
    };
    let a = alice.create("a", vec![], &c, &mut rng).unwrap();
    let b = bob.create("b", vec![], &c, &mut rng).unwrap();
    assert_eq!(
        alice
            .verify("hunter2", None, &s, &Settings::default(), NOW)
            .unwrap_err(),
        Rejection::Malformed
    );
    let mut typo = a.password.as_str().to_owned();
    typo.replace_range(0..1, if typo.starts_with('a') { "b" } else { "a" });
    assert_eq!(
        alice
            .verify(&typo, None, &s, &Settings::default(), NOW)
            .unwrap_err(),
        Rejection::BadChecksum
    );
    assert_eq!(
        alice
            .verify(b.password.as_str(), None, &s, &Settings::default(), NOW)
            .unwrap_err(),
        Rejection::Unknown
    );
    alice.delete(&a.entry.id).unwrap();
    assert_eq!(
        alice
            .verify(a.password.as_str(), None, &s, &Settings::default(), NOW)
            .unwrap_err(),
        Rejection::Unknown
    );
}

#[test]
fn verify_refuses_when_mfa_is_off() {
    let s = secret();
    let c = ctx(&s, Settings::default());
    let mut rng = TestEntropy::new(17);
    let mut user = mfa_user();
    let issued = user.create("x", vec![], &c, &mut rng).unwrap();
    user.set_mfa(false, None, &c, &mut rng).unwrap();
    assert_eq!(
        user.verify(
            issued.password.as_str(),
            None,
            &s,
            &Settings::default(),
            NOW
        )
        .unwrap_err(),
        Rejection::MfaRequired
    );
}

#[test]
fn verify_fails_under_another_server_secret() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(18),
        )
        .unwrap();
    let other = ServerSecret::new(b"a different secret, 32 bytes....").unwrap();
    assert_eq!(
        user.verify(
            issued.password.as_str(),
            None,
            &other,
            &Settings::default(),
            NOW
        )
        .unwrap_err(),
        Rejection::Unknown
    );
}

#[test]
fn scopes_limit_the_protocols_an_app_password_verifies_for() {
    let s = secret();
    let mut user = mfa_user();
    let scopes = parse_scopes(&["smtp", "imap", "imap"]).unwrap();
    assert_eq!(scopes, vec![Protocol::Imap, Protocol::Smtp]);
    let issued = user
        .create(
            "mail",
            scopes,
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(19),
        )
        .unwrap();
    let pw = issued.password.as_str();
    assert!(
        user.verify(pw, Some(Protocol::Imap), &s, &Settings::default(), NOW)
            .is_ok()
    );
    assert!(user.verify(pw, None, &s, &Settings::default(), NOW).is_ok());
    assert_eq!(
        user.verify(pw, Some(Protocol::Eas), &s, &Settings::default(), NOW)
            .unwrap_err(),
        Rejection::ScopeDenied
    );
    assert_eq!(parse_scopes(&["ftp"]).unwrap_err(), Error::InvalidScope);
}

#[test]
fn expired_credentials_are_refused() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(20),
        )
        .unwrap();
    let mut credential = user.credential(&issued.entry);
    credential.expires_at = Some(NOW);
    let p = normalize(issued.password.as_str()).unwrap();
    assert_eq!(
        check_credential(
            &credential,
            "alice",
            &p,
            None,
            &s,
            &Settings::default(),
            NOW
        ),
        Err(Rejection::Expired)
    );
    assert_eq!(
        check_credential(
            &credential,
            "alice",
            &p,
            None,
            &s,
            &Settings::default(),
            NOW - 1
        ),
        Ok(())
    );
}

#[test]
fn a_credential_only_verifies_for_its_owner() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(21),
        )
        .unwrap();
    let credential = user.credential(&issued.entry);
    assert!(
        !serde_json::to_string(&credential)
            .unwrap()
            .contains(issued.password.as_str())
    );
    let p = normalize(issued.password.as_str()).unwrap();
    assert_eq!(
        check_credential(
            &credential,
            "mallory",
            &p,
            None,
            &s,
            &Settings::default(),
            NOW
        ),
        Err(Rejection::Unknown)
    );
}

#[test]
fn last_use_is_recorded_at_most_once_a_minute() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(22),
        )
        .unwrap();
    let id = &issued.entry.id;
    assert!(user.record_use(id, NOW, Some(Protocol::Imap)));
    assert!(!user.record_use(id, NOW + LAST_USE_INTERVAL_SECS - 1, Some(Protocol::Smtp)));
    assert_eq!(
        user.app_passwords[0].last_used_protocol,
        Some(Protocol::Imap)
    );
    assert!(user.record_use(id, NOW + LAST_USE_INTERVAL_SECS, Some(Protocol::Smtp)));
    assert_eq!(
        user.app_passwords[0].last_used_at,
        Some(NOW + LAST_USE_INTERVAL_SECS)
    );
    assert!(!user.record_use("ap_missing", NOW, None));
}

#[test]
fn recording_a_use_never_overflows_on_extreme_stored_times() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(63),
        )
        .unwrap();
    let id = issued.entry.id.clone();
    for (stored, now, recorded) in [
        (i64::MIN, i64::MAX, true),
        (i64::MAX, i64::MIN, false),
        (i64::MIN, 0, true),
        (i64::MAX, NOW, false),
        (NOW, i64::MAX, true),
    ] {
        user.app_passwords[0].last_used_at = Some(stored);
        assert_eq!(user.record_use(&id, now, None), recorded, "{stored} {now}");
        assert_eq!(rules::use_due(Some(stored), now), recorded);
    }
    assert!(rules::use_due(None, i64::MIN));
}

#[test]
fn a_record_with_an_invalid_user_id_does_not_load() {
    for bad in [
        r#"{"user":""}"#,
        &format!(r#"{{"user":"{}"}}"#, "x".repeat(257)),
    ] {
        assert!(serde_json::from_str::<UserRecord>(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_login_sequence_normalises_looks_up_checks_and_decides_on_a_rehash() {
    let s = secret();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(64),
        )
        .unwrap();
    let credential = user.credential(&issued.entry);
    let alice = uid("alice");

    let typed = issued.password.display().to_uppercase();
    let login = rules::Login::start(&alice, &typed, &s).unwrap();
    assert_eq!(login.lookup_key(), issued.entry.lookup_key);
    login
        .finish(Some(&credential), None, &Settings::default(), NOW)
        .unwrap();
    assert_eq!(*login.password(), issued.password);
    assert_eq!(
        login.upkeep(&credential, Found::Record, CHEAP),
        Upkeep::None
    );
    assert_eq!(
        login.upkeep(&credential, Found::Record, HashParams::default()),
        Upkeep::Rehash
    );

    let login = rules::Login::start(&alice, issued.password.as_str(), &s).unwrap();
    assert_eq!(
        login
            .finish(None, None, &Settings::default(), NOW)
            .unwrap_err(),
        Rejection::Unknown
    );
    assert_eq!(
        rules::Login::start(&alice, "hunter2", &s).unwrap_err(),
        Rejection::Malformed
    );
    let bob = uid("bob");
    let login = rules::Login::start(&bob, issued.password.as_str(), &s).unwrap();
    assert_ne!(login.lookup_key(), issued.entry.lookup_key);
    assert_eq!(
        login
            .finish(Some(&credential), None, &Settings::default(), NOW)
            .unwrap_err(),
        Rejection::Unknown,
        "another user's credential"
    );
}

#[test]
fn summaries_hold_no_hash_or_lookup_key() {
    let s = secret();
    let mut user = mfa_user();
    user.create(
        "x",
        vec![],
        &ctx(&s, Settings::default()),
        &mut TestEntropy::new(23),
    )
    .unwrap();
    let listed = serde_json::to_string(&user.summaries()).unwrap();
    assert!(!listed.contains("argon2"));
    assert!(!listed.contains(&user.app_passwords[0].lookup_key));
}

#[test]
fn records_round_trip_through_json_and_accept_missing_optional_fields() {
    let s = secret();
    let mut user = mfa_user();
    user.create(
        "x",
        vec![],
        &ctx(&s, Settings::default()),
        &mut TestEntropy::new(24),
    )
    .unwrap();
    let json = serde_json::to_string(&user).unwrap();
    assert_eq!(serde_json::from_str::<UserRecord>(&json).unwrap(), user);
    let minimal: UserRecord = serde_json::from_str(r#"{"user":"zoe"}"#).unwrap();
    assert_eq!(minimal, UserRecord::new(uid("zoe")));
}

#[test]
fn rehash_upgrades_an_old_hash_only_for_the_right_password() {
    let s = secret();
    let mut user = mfa_user();
    let mut rng = TestEntropy::new(26);
    let issued = user
        .create("x", vec![], &ctx(&s, Settings::default()), &mut rng)
        .unwrap();
    let stronger = Context {
        params: HashParams { m: 16, t: 2, p: 1 },
        ..ctx(&s, Settings::default())
    };
    let other = app_passwords::domain::Password::generate(&mut rng).unwrap();
    let id = issued.entry.id.clone();
    assert!(
        !user.rehash(&id, &other, &stronger, &mut rng).unwrap(),
        "wrong password must not rehash"
    );
    assert!(
        user.rehash(&id, &issued.password, &stronger, &mut rng)
            .unwrap()
    );
    assert!(
        user.app_passwords[0]
            .phc
            .starts_with("$argon2id$v=19$m=16,t=2,p=1$")
    );
    assert!(
        !user
            .rehash(&id, &issued.password, &stronger, &mut rng)
            .unwrap(),
        "already current"
    );
    assert!(
        user.verify(
            issued.password.as_str(),
            None,
            &s,
            &Settings::default(),
            NOW
        )
        .is_ok()
    );
    assert_eq!(
        user.rehash("ap_missing", &issued.password, &stronger, &mut rng),
        Err(Error::NotFound)
    );
}

#[test]
fn the_login_sequence_tells_the_worker_what_each_copy_proves_and_what_upkeep_follows() {
    use app_passwords::domain::rules::{Credential, DAY_SECS, Found, Login, Upkeep, Verdict};
    let s = secret();
    let previous = ServerSecret::new(b"the previous secret, 32 bytes ok").unwrap();
    let mut user = mfa_user();
    let issued = user
        .create(
            "x",
            vec![],
            &ctx(&s, Settings::default()),
            &mut TestEntropy::new(71),
        )
        .unwrap();
    let credential = user.credential(&issued.entry);
    let alice = uid("alice");
    let idle = Settings {
        expire_unused_after_days: Some(1),
        ..Settings::default()
    };
    let later = NOW + 2 * DAY_SECS;

    let login = Login::start(&alice, issued.password.as_str(), &s).unwrap();
    assert_eq!(login.read_key(), login.lookup_key());
    let check =
        |found, settings: &Settings, now| login.check(&credential, found, None, settings, now);
    assert_eq!(
        check(Found::Published, &Settings::default(), NOW),
        Verdict::Accepted
    );
    // A remembered copy is proven by its key alone: no Argon2 (a broken hash does not matter).
    let broken = Credential {
        phc: "not a hash".into(),
        ..credential.clone()
    };
    assert_eq!(
        login.check(&broken, Found::Remembered, None, &Settings::default(), NOW),
        Verdict::Accepted
    );
    assert_eq!(
        login.check(&broken, Found::Published, None, &Settings::default(), NOW),
        Verdict::Refused(Rejection::Unknown)
    );
    // Unused for too long: a copy that may lag asks for the record; the record refuses.
    assert_eq!(check(Found::Published, &idle, later), Verdict::Confirm);
    assert_eq!(check(Found::Remembered, &idle, later), Verdict::Confirm);
    assert_eq!(
        check(Found::Record, &idle, later),
        Verdict::Refused(Rejection::Expired)
    );
    // Past a fixed expiry no copy can be stale.
    let expiring = Credential {
        expires_at: Some(NOW + 10),
        ..credential.clone()
    };
    for found in [Found::Published, Found::Remembered, Found::Record] {
        assert_eq!(
            login.check(&expiring, found, None, &Settings::default(), NOW + 10),
            Verdict::Refused(Rejection::Expired)
        );
    }
    // Upkeep: a re-hash for other parameters, but never after a remembered copy.
    assert_eq!(
        login.upkeep(&credential, Found::Published, CHEAP),
        Upkeep::None
    );
    let other = HashParams::default();
    assert_eq!(
        login.upkeep(&credential, Found::Published, other),
        Upkeep::Rehash
    );
    assert_eq!(
        login.upkeep(&credential, Found::Remembered, other),
        Upkeep::None
    );

    // A credential keyed under the previous secret: found after fall_back, checked with it, re-keyed.
    let mut old = mfa_user();
    let old_issued = old
        .create(
            "y",
            vec![],
            &ctx(&previous, Settings::default()),
            &mut TestEntropy::new(72),
        )
        .unwrap();
    let old_credential = old.credential(&old_issued.entry);
    let mut login = Login::start(&alice, old_issued.password.as_str(), &s).unwrap();
    let current_key = login.lookup_key().to_owned();
    assert_eq!(
        login.check(
            &old_credential,
            Found::Published,
            None,
            &Settings::default(),
            NOW
        ),
        Verdict::Refused(Rejection::Unknown),
        "checked with the current secret"
    );
    assert_eq!(login.fall_back(&previous), old_issued.entry.lookup_key);
    assert_eq!(login.read_key(), old_issued.entry.lookup_key);
    assert_eq!(
        login.lookup_key(),
        current_key,
        "the cache key stays the current one"
    );
    assert_eq!(
        login.check(
            &old_credential,
            Found::Published,
            None,
            &Settings::default(),
            NOW
        ),
        Verdict::Accepted
    );
    assert_eq!(
        login.upkeep(&old_credential, Found::Published, CHEAP),
        Upkeep::Rekey
    );
}
