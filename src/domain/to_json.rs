//! JSON text of our own types, written exactly as serde_json 1.0.154's compact writer writes their
//! derived `Serialize` (same field order, escaping and integer form; the tests compare the two).
//!
//! The Worker writes every answer, stored value and internal message with [`to_json`]: serde's
//! `Serialize` machinery instantiated over serde_json's writer was one copy per type and field
//! type in the wasm, with an I/O error path behind every write (issue 13). Here writing to a
//! `String` cannot fail, a field is one non-generic call ([`Object::field`], the value behind
//! `dyn`), and a type's writer is a list of its fields ([`crate::json_object`]).
//!
//! The derives stay: the npm package (serde-wasm-bindgen) and the tests use them.

/// A value that writes itself as JSON text.
pub trait ToJson {
    /// Appends the JSON text of `self` to `out`.
    fn write_json(&self, out: &mut String);
}

/// The JSON text of `value`.
#[must_use]
pub fn to_json(value: &dyn ToJson) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// Writes a JSON object's fields in order: `{` on [`Object::new`], `}` on [`Object::end`].
pub struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    /// Starts an object.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    /// Writes the field `key`.
    pub fn field(&mut self, key: &str, value: &dyn ToJson) -> &mut Self {
        self.key(key);
        value.write_json(self.out);
        self
    }

    /// Writes the field `key` and starts its value, an object (end it before this one).
    pub fn object(&mut self, key: &str) -> Object<'_> {
        self.key(key);
        Object::new(self.out)
    }

    /// Writes the field `key` when `value` is set (`skip_serializing_if = "Option::is_none"`).
    pub fn some(&mut self, key: &str, value: Option<&dyn ToJson>) -> &mut Self {
        if let Some(value) = value {
            self.field(key, value);
        }
        self
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(self.out, key);
        self.out.push(':');
    }

    /// Ends the object.
    pub fn end(&mut self) {
        self.out.push('}');
    }
}

/// Writes `text` as a JSON string, escaped as serde_json escapes it: `"` and `\`, the short forms
/// `\b \t \n \f \r`, other control characters as `\u00XX` (lowercase hex); everything else as it is.
pub fn string(out: &mut String, text: &str) {
    out.push('"');
    let mut plain = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape: &str = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0..0x20 => "",
            _ => continue,
        };
        out.push_str(text.get(plain..at).unwrap_or_default());
        plain = at + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            for nibble in [byte >> 4, byte & 0xf] {
                // Lowercase hex digits, as serde_json writes them.
                out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            }
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(text.get(plain..).unwrap_or_default());
    out.push('"');
}

/// Writes an integer in decimal (`-` first when negative), as serde_json does.
fn integer(out: &mut String, negative: bool, mut magnitude: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (magnitude % 10) as u8;
        }
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if negative {
        out.push('-');
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        string(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        string(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl ToJson for i64 {
    fn write_json(&self, out: &mut String) {
        integer(out, *self < 0, self.unsigned_abs());
    }
}

impl ToJson for u64 {
    fn write_json(&self, out: &mut String) {
        integer(out, false, *self);
    }
}

impl ToJson for u32 {
    fn write_json(&self, out: &mut String) {
        integer(out, false, u64::from(*self));
    }
}

impl ToJson for u16 {
    fn write_json(&self, out: &mut String) {
        integer(out, false, u64::from(*self));
    }
}

impl ToJson for usize {
    fn write_json(&self, out: &mut String) {
        integer(out, false, *self as u64);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        items(out, &mut self.iter().map(|item| item as &dyn ToJson));
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

/// Writes a JSON array of `items`: not generic, one copy for every element type.
pub fn items(out: &mut String, items: &mut dyn Iterator<Item = &dyn ToJson>) {
    out.push('[');
    for (at, item) in items.enumerate() {
        if at > 0 {
            out.push(',');
        }
        item.write_json(out);
    }
    out.push(']');
}

impl ToJson for serde_json::Value {
    /// As serde_json writes a `Value`: objects in their map's (key) order, a number as its
    /// `Display` (serde_json's own float and integer text, the same its writer uses).
    fn write_json(&self, out: &mut String) {
        use serde_json::Value;
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => string(out, s),
            Value::Array(a) => a.write_json(out),
            Value::Object(map) => {
                let mut o = Object::new(out);
                for (key, value) in map {
                    o.field(key, value);
                }
                o.end();
            }
        }
    }
}

/// Implements [`ToJson`] for a struct as its derived `Serialize` writes it: the fields in order;
/// `?field` for a field skipped when `None` (`skip_serializing_if = "Option::is_none"`).
#[macro_export]
macro_rules! json_object {
    ($type:ty { $($field:tt)* }) => {
        impl $crate::domain::to_json::ToJson for $type {
            fn write_json(&self, out: &mut String) {
                let mut o = $crate::domain::to_json::Object::new(out);
                $crate::json_object!(@fields self o $($field)*);
                o.end();
            }
        }
    };
    (@fields $self:ident $o:ident) => {};
    (@fields $self:ident $o:ident ? $field:ident $(, $($rest:tt)*)?) => {
        $o.some(stringify!($field), $self.$field.as_ref().map(|v| v as &dyn $crate::domain::to_json::ToJson));
        $crate::json_object!(@fields $self $o $($($rest)*)?);
    };
    (@fields $self:ident $o:ident $field:ident $(, $($rest:tt)*)?) => {
        $o.field(stringify!($field), &$self.$field);
        $crate::json_object!(@fields $self $o $($($rest)*)?);
    };
}

/// Implements [`ToJson`] for a fieldless enum as its derived `Serialize` writes it: the variant's
/// name as a string (`Type::Variant => "name"`).
#[macro_export]
macro_rules! json_name {
    ($type:ty { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $type {
            /// The name JSON gives this value.
            #[must_use]
            pub const fn json_name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
        impl $crate::domain::to_json::ToJson for $type {
            fn write_json(&self, out: &mut String) {
                $crate::domain::to_json::string(out, self.json_name());
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{ToJson, to_json};
    use crate::domain::api_key::{ApiKeyEntry, ApiKeySummary, ApiKeys, Published, Scope};
    use crate::domain::audit::{Actor, Event, EventLog, Kind, Named};
    use crate::domain::keyed::Keyed;
    use crate::domain::oidc::Transaction;
    use crate::domain::publish::{Mark, Pending};
    use crate::domain::rules::{Credential, Entry, OnPasswordChange, Protocol, Settings};
    use crate::domain::session::{SessionPolicy, SessionTimes, Sessions};
    use crate::domain::{UserId, UserRecord};
    use proptest::prelude::*;
    use serde::Serialize;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Ours writes what serde_json 1.0.154 writes.
    fn same<T: ToJson + Serialize>(value: &T) {
        assert_eq!(to_json(value), serde_json::to_string(value).unwrap());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn strings(text in any::<String>(), controls in "[\\x00-\\x1f\"\\\\\\x7f a\u{e9}\u{1F600}]{0,24}") {
            same(&text);
            same(&controls);
        }

        #[test]
        fn integers(i in any::<i64>(), u in any::<u64>(), small in any::<u32>(), n in any::<usize>()) {
            same(&i);
            same(&u);
            same(&small);
            same(&n);
        }
    }

    #[test]
    fn values() {
        let texts = [
            r#"{"b":[1,-2,3.5,1e300,-0.0,18446744073709551615,-9223372036854775808],"a":{"x\u0001":null,"":true,"\"":false},"c":"\ud83d\ude00\n","d":0.1,"e":1e-7,"f":12345678901234567890123}"#,
            "[]",
            "{}",
            "2.5e-324",
        ];
        for text in texts {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            same(&value);
        }
    }

    proptest! {
        #[test]
        fn floats(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            same(&serde_json::json!([f, {"f": f}]));
        }
    }

    #[test]
    fn integer_edges() {
        for i in [0, 1, -1, 9, 10, -10, i64::MIN, i64::MAX] {
            same(&i);
        }
        for u in [0, 9, 10, 99, 100, u64::MAX] {
            same(&u);
        }
        same(&u16::MAX);
        same(&(u32::MAX, 1u32).0);
    }

    fn entry(full: bool) -> Entry {
        Entry {
            id: "ap_1\"".into(),
            name: "Mail\n\u{1}é".into(),
            created_at: -5,
            scopes: if full {
                vec![
                    Protocol::Imap,
                    Protocol::Smtp,
                    Protocol::Pop,
                    Protocol::Eas,
                    Protocol::Dav,
                ]
            } else {
                vec![]
            },
            last_used_at: full.then_some(7),
            last_used_protocol: full.then_some(Protocol::Dav),
            last_used_ip: full.then(|| "::1".into()),
            expires_at: full.then_some(i64::MAX),
            lookup_key: "k\\".into(),
            phc: "$argon2id$v=19".into(),
            secret_id: full.then(|| "s1".into()),
        }
    }

    fn settings(full: bool) -> Settings {
        Settings {
            app_passwords_allowed: full,
            limit: u32::MAX,
            max_lifetime_days: full.then_some(30),
            expire_unused_after_days: full.then_some(0),
            on_password_change: if full {
                OnPasswordChange::RevokeAll
            } else {
                OnPasswordChange::Keep
            },
            strict_revocation: full,
        }
    }

    fn event(full: bool, kind: Kind, actor: Actor) -> Event {
        let named = Named {
            id: "ak_1".into(),
            name: "n".into(),
            scopes: full.then(|| vec![Scope::Verify, Scope::Users, Scope::Admin]),
        };
        Event {
            event: kind,
            at: 3,
            actor,
            app_password: full.then(|| named.clone()),
            api_key: full.then_some(named),
            protocol: full.then_some(Protocol::Imap),
            remote_ip: full.then(|| "1.2.3.4".into()),
            reason: full.then(|| "bad\tpassword".into()),
            count: full.then_some(2),
            settings: full.then(|| settings(true)),
        }
    }

    #[test]
    fn domain_types() {
        let kinds = [
            Kind::AppPasswordCreated,
            Kind::AppPasswordDeleted,
            Kind::AppPasswordDeletedAll,
            Kind::MfaEnabled,
            Kind::MfaDisabled,
            Kind::LoginSucceeded,
            Kind::LoginFailed,
            Kind::LoginThrottled,
            Kind::SettingsChanged,
            Kind::ApiKeyCreated,
            Kind::ApiKeyRevoked,
            Kind::PasswordChanged,
            Kind::AppPasswordRekeyed,
        ];
        for full in [false, true] {
            let e = entry(full);
            same(&e);
            same(&settings(full));
            same(&e.summary());
            same(&Credential {
                user: "alice".into(),
                id: e.id.clone(),
                name: e.name.clone(),
                scopes: e.scopes.clone(),
                expires_at: e.expires_at,
                created_at: 1,
                last_used_at: e.last_used_at,
                phc: e.phc.clone(),
            });
            let mut record = UserRecord::new(UserId::new("bob@example.com").unwrap());
            record.mfa_enabled = full;
            record.app_passwords = vec![entry(true), entry(false)];
            same(&record);
            let key = ApiKeyEntry {
                id: "ak".into(),
                name: "k".into(),
                scopes: vec![Scope::Admin],
                created_at: 1,
                last_used_at: full.then_some(2),
                hash: "h".into(),
            };
            same(&ApiKeySummary {
                id: key.id.clone(),
                name: key.name.clone(),
                scopes: key.scopes.clone(),
                created_at: 1,
                last_used_at: key.last_used_at,
            });
            same(&Published {
                id: "a".into(),
                name: "b".into(),
                scopes: vec![],
            });
            same(&ApiKeys {
                keys: vec![key.clone(), key],
            });
            for (kind, actor) in kinds.iter().zip(
                [Actor::Root, Actor::Session, Actor::Key("ak_\"1".into())]
                    .iter()
                    .cycle(),
            ) {
                same(&event(full, *kind, actor.clone()));
            }
            let mut log = EventLog::default();
            log.push(event(full, Kind::LoginFailed, Actor::Root));
            log.push(event(!full, Kind::MfaEnabled, Actor::Session));
            same(&log);
            same(&Mark {
                generation: u64::MAX,
                id: "ap".into(),
            });
            let mut pending = Pending::default();
            if full {
                let changed = [
                    ("k1".to_owned(), "ap_1".to_owned()),
                    ("k0".into(), "ap_0".into()),
                ];
                pending.mark(&changed);
                pending.unconfirmed("ap_2");
            }
            same(&pending);
            let policy = SessionPolicy {
                idle_secs: 60,
                max_secs: -1,
            };
            same(&policy);
            same(&SessionTimes {
                created_at: 1,
                last_seen_at: 2,
            });
            let mut sessions = Sessions::default();
            if full {
                sessions.start("b".into(), 10, policy);
                sessions.start("a".into(), 10, policy);
            }
            same(&sessions);
            let mut keyed = Keyed::default();
            keyed.insert("z\u{7f}".to_owned(), 1u64);
            keyed.insert("a\u{0}".to_owned(), 2u64);
            same(&keyed);
            same(&Transaction {
                state: "s".into(),
                nonce: "n".into(),
                verifier: "v".into(),
                created_at: 9,
            });
        }
    }
}
