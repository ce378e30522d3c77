//! Stored PHC strings: parsing and the parameter bounds never panic, and a string the bounds accept
//! costs at most `MAX_WORK`. The Argon2 run itself is made only for cheap parameters, so the fuzzer
//! spends its time on parsing.
#![no_main]

use app_passwords::domain::hash::{self, MAX_WORK};
use app_passwords::domain::random::TestEntropy;
use app_passwords::domain::{Error, HashParams, Password, ServerSecret};
use libfuzzer_sys::fuzz_target;

fn costs(phc: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        phc.split(['$', ','])
            .find_map(|part| part.strip_prefix(name)?.parse::<u64>().ok())
    };
    Some((field("m=")?, field("t=")?))
}

fuzz_target!(|phc: &str| {
    let cheap = HashParams { m: 8, t: 1, p: 1 };
    let rehash = hash::needs_rehash(phc, cheap);
    let Ok(secret) = ServerSecret::new(b"fuzzing server secret, 32 bytes!") else {
        return;
    };
    let Ok(password) = Password::generate(&mut TestEntropy::new(1)) else {
        return;
    };
    if costs(phc).is_some_and(|(m, t)| m * t <= 1024) {
        match hash::verify(&password, phc, &secret) {
            Ok(_) => assert!(costs(phc).is_some_and(|(m, t)| m * t <= MAX_WORK)),
            Err(e) => {
                assert_eq!(e, Error::InvalidHash);
                assert!(rehash, "an unreadable hash needs a re-hash");
            }
        }
    }
});
