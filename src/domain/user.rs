//! User ids: opaque strings that the core checks once, at the boundary, into a [`UserId`].

use super::error::{Error, Result};
use super::fields::{self, FromJson};
use super::to_json::ToJson;
use core::fmt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest user id, in bytes (ids are opaque; any UTF-8 of 1 to this many bytes).
pub const MAX_USER_BYTES: usize = 256;

/// Whether `user` is an acceptable user id: 1 to [`MAX_USER_BYTES`] bytes. [`UserId::new`] is the
/// same check returning the typed id.
#[must_use]
pub fn valid_user(user: &str) -> bool {
    (1..=MAX_USER_BYTES).contains(&user.len())
}

/// A user id that has been checked: 1 to [`MAX_USER_BYTES`] bytes of UTF-8.
///
/// Ids are opaque (an e-mail address, a directory object id, …): they are compared byte for byte and
/// bound into every lookup key, so they are never normalised. A stored record whose `user` is not a
/// valid id does not deserialise.
///
/// ```
/// use app_passwords::domain::{Error, UserId};
/// assert_eq!(UserId::new("alice@example.com").unwrap().as_str(), "alice@example.com");
/// assert_eq!(UserId::new("").unwrap_err(), Error::InvalidUser);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    /// Checks `id` and wraps it.
    ///
    /// # Errors
    /// [`Error::InvalidUser`] unless it is 1 to [`MAX_USER_BYTES`] bytes.
    pub fn new(id: &str) -> Result<Self> {
        if valid_user(id) {
            Ok(Self(id.to_owned()))
        } else {
            Err(Error::InvalidUser)
        }
    }

    /// The id as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserId {
    type Error = Error;

    fn try_from(id: String) -> Result<Self> {
        if valid_user(&id) {
            Ok(Self(id))
        } else {
            Err(Error::InvalidUser)
        }
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> Self {
        id.0
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored user id is checked again, as by the derived reader (`try_from = "String"`).
impl ToJson for UserId {
    fn write_json(&self, out: &mut String) {
        self.0.write_json(out);
    }
}

impl FromJson for UserId {
    fn from_json(value: Value) -> fields::Result<Self> {
        Self::try_from(String::from_json(value)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn user_ids_of_1_to_256_bytes_are_accepted_and_others_refused_with_invalid_user() {
        assert!(UserId::new("a").is_ok());
        assert!(UserId::new(&"é".repeat(128)).is_ok());
        assert_eq!(UserId::new(""), Err(Error::InvalidUser));
        assert_eq!(UserId::new(&"x".repeat(257)), Err(Error::InvalidUser));
    }

    #[test]
    fn a_stored_invalid_user_id_does_not_deserialise() {
        assert!(serde_json::from_str::<UserId>("\"\"").is_err());
        let id: UserId = serde_json::from_str("\"bob\"").unwrap();
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("\"bob\""));
    }
}
