//! Our JSON reader (`domain::json`, issue 13) against serde_json 1.0 on arbitrary bytes: it must
//! accept and refuse the same texts and read the same values (`from_slice::<Value>`, numbers to
//! the bit), check as `IgnoredAny` does (`is_json`), and its typed reads must stop as serde_json's
//! `deserialize_*` do: the same value, or the same kind of error (syntax or data) with serde's
//! message prefix. Then every field shape of the request-body reader (`parse_fields`) must answer
//! exactly as the derived reader does (`parse`). Our writer (`domain::to_json`) must write every
//! value read, and the input as a string, exactly as serde_json writes them.
#![no_main]
#![allow(dead_code)]

use app_passwords::domain::OnPasswordChange;
use app_passwords::domain::body::{BodyError, Shape, is_fixed_message, parse, parse_fields};
use app_passwords::domain::json::{self, Num, Reader};
use app_passwords::domain::to_json::to_json;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::error::Category;

/// The same JSON value: numbers of the same kind (`u64`, `i64` or `f64`) and bits, objects with
/// the same keys in the same order.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_u64() == y.as_u64()
                && x.as_i64() == y.as_i64()
                && x.is_f64() == y.is_f64()
                && x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        _ => a == b,
    }
}

/// Ours and serde_json's answers agree: equal values, or errors of the same kind, ours a prefix
/// of serde's message for a data error. Our messages are fixed texts (never a piece of input).
fn same<T: PartialEq + core::fmt::Debug>(
    bytes: &[u8],
    what: &str,
    ours: json::Result<T>,
    theirs: serde_json::Result<T>,
) {
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
        (Err(json::Error::Syntax), Err(e)) if e.classify() != Category::Data => {}
        (Err(json::Error::Data(m)), Err(e))
            if e.classify() == Category::Data && e.to_string().starts_with(m.as_str()) =>
        {
            assert!(
                [
                    "invalid type",
                    "invalid value",
                    "unknown variant",
                    "unknown field"
                ]
                .contains(&m.as_str()),
                "{what}: {m}"
            );
        }
        _ => panic!(
            "{what} of {:?}: ours {ours:?}, serde_json {:?} ({:?})",
            String::from_utf8_lossy(bytes),
            theirs.as_ref().map_err(|e| e.classify()),
            theirs.as_ref().err().map(ToString::to_string),
        ),
    }
}

/// A whole text read by `read`: the value, then nothing but whitespace.
fn whole<'a, T>(
    bytes: &'a [u8],
    read: impl FnOnce(&mut Reader<'a>) -> json::Result<T>,
) -> json::Result<T> {
    let mut r = Reader::new(bytes);
    let value = read(&mut r)?;
    r.end()?;
    Ok(value)
}

/// `Num` as serde_json's `Number` (read by `deserialize_any`, the same kinds).
fn number(n: Num) -> serde_json::Number {
    match n {
        Num::U(n) => n.into(),
        Num::I(n) => n.into(),
        Num::F(f) => serde_json::Number::from_f64(f).unwrap_or_else(|| 0.into()),
    }
}

fn policy(name: &str) -> Option<OnPasswordChange> {
    match name {
        "keep" => Some(OnPasswordChange::Keep),
        "revoke_all" => Some(OnPasswordChange::RevokeAll),
        _ => None,
    }
}

fn texts(r: &mut Reader<'_>) -> json::Result<Vec<String>> {
    match r.ws() {
        Some(b'[') => {
            let mut items = Vec::new();
            r.items(&mut |r| {
                items.push(r.text()?);
                Ok(())
            })?;
            Ok(items)
        }
        Some(_) => Err(r.invalid_type()),
        None => Err(json::Error::Syntax),
    }
}

/// Every field shape, as the derived reader reads it.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Every {
    text: String,
    opt_text: Option<String>,
    flag: bool,
    opt_flag: Option<bool>,
    opt_count: Option<u32>,
    int: i64,
    texts: Vec<String>,
    #[serde(default)]
    texts_or_none: Vec<String>,
    opt_texts: Option<Vec<String>>,
    any: Value,
    policy: Option<OnPasswordChange>,
    items: Vec<Item>,
}

/// An item of [`Shape::Objects`]: unknown fields skipped. Read as a map only (the reader it
/// replaced called `deserialize_map`; a derived struct would also take a JSON array).
#[derive(Debug, PartialEq)]
struct Item {
    kty: String,
    n: Option<String>,
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ItemVisitor)
    }
}

/// What serde's derived visitor does with a map, for [`Item`].
struct ItemVisitor;

impl<'de> serde::de::Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("an item")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        use serde::de::Error;
        let (mut kty, mut n) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "kty" if kty.is_some() => return Err(A::Error::duplicate_field("kty")),
                "kty" => kty = Some(map.next_value::<String>()?),
                "n" if n.is_some() => return Err(A::Error::duplicate_field("n")),
                "n" => n = Some(map.next_value::<Option<String>>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Item {
            kty: kty.ok_or_else(|| A::Error::missing_field("kty"))?,
            n: n.flatten(),
        })
    }
}

const ITEM: &[(&str, Shape)] = &[("kty", Shape::Text), ("n", Shape::OptText)];

const EVERY: &[(&str, Shape)] = &[
    ("text", Shape::Text),
    ("opt_text", Shape::OptText),
    ("flag", Shape::Flag),
    ("opt_flag", Shape::OptFlag),
    ("opt_count", Shape::OptCount),
    ("int", Shape::Int),
    ("texts", Shape::Texts),
    ("texts_or_none", Shape::TextsOrNone),
    ("opt_texts", Shape::OptTexts),
    ("any", Shape::Any),
    ("policy", Shape::OptOnPasswordChange),
    ("items", Shape::Objects(ITEM)),
];

/// [`parse_fields`] with [`EVERY`], as an [`Every`].
fn by_fields(bytes: &[u8]) -> Result<Every, BodyError> {
    let mut o = parse_fields(bytes, EVERY)?;
    let items = o
        .objects("items")
        .into_iter()
        .map(|mut f| Item {
            kty: f.get("kty").unwrap_or_default(),
            n: f.get("n").unwrap_or_default(),
        })
        .collect();
    Ok(Every {
        text: o.text("text")?,
        opt_text: o.opt_text("opt_text"),
        flag: o.flag("flag")?,
        opt_flag: o.opt_flag("opt_flag"),
        opt_count: o.opt_count("opt_count"),
        int: o.int("int")?,
        texts: o.opt_texts("texts").unwrap_or_default(),
        texts_or_none: o.opt_texts("texts_or_none").unwrap_or_default(),
        opt_texts: o.opt_texts("opt_texts"),
        any: o.any("any"),
        policy: o.opt_on_password_change("policy"),
        items,
    })
}

fuzz_target!(|bytes: &[u8]| {
    // Any value.
    match (json::parse(bytes), serde_json::from_slice::<Value>(bytes)) {
        (Ok(ours), Ok(theirs)) => {
            assert!(
                same_value(&ours, &theirs),
                "{:?}: ours {ours:?}, serde_json {theirs:?}",
                String::from_utf8_lossy(bytes)
            );
            // Our writer (`domain::to_json`) writes the value as serde_json does.
            assert_eq!(
                to_json(&theirs),
                serde_json::to_string(&theirs).unwrap_or_default(),
                "written"
            );
        }
        (Err(json::Error::Syntax), Err(e)) => assert_ne!(e.classify(), Category::Data),
        (ours, theirs) => panic!(
            "{:?}: ours {ours:?}, serde_json {theirs:?}",
            String::from_utf8_lossy(bytes)
        ),
    }
    // Our writer escapes any text as serde_json does.
    if let Ok(text) = core::str::from_utf8(bytes) {
        assert_eq!(to_json(&text), serde_json::to_string(text).unwrap_or_default());
    }
    // The IgnoredAny check.
    assert_eq!(
        json::is_json(bytes),
        serde_json::from_slice::<IgnoredAny>(bytes).is_ok(),
        "is_json of {:?}",
        String::from_utf8_lossy(bytes)
    );
    // Typed reads.
    same(
        bytes,
        "text",
        whole(bytes, Reader::text),
        serde_json::from_slice::<String>(bytes),
    );
    same(
        bytes,
        "flag",
        whole(bytes, Reader::flag),
        serde_json::from_slice::<bool>(bytes),
    );
    same(
        bytes,
        "unit",
        whole(bytes, Reader::unit),
        serde_json::from_slice::<()>(bytes),
    );
    same(
        bytes,
        "number",
        whole(bytes, |r| r.number().map(number)),
        serde_json::from_slice::<serde_json::Number>(bytes),
    );
    same(
        bytes,
        "option",
        whole(bytes, |r| {
            if r.null()? {
                Ok(None)
            } else {
                r.text().map(Some)
            }
        }),
        serde_json::from_slice::<Option<String>>(bytes),
    );
    same(
        bytes,
        "texts",
        whole(bytes, texts),
        serde_json::from_slice::<Vec<String>>(bytes),
    );
    same(
        bytes,
        "unit_variant",
        whole(bytes, |r| r.unit_variant(&policy)),
        serde_json::from_slice::<OnPasswordChange>(bytes),
    );
    // Request bodies with every field shape: the same answer (code and fixed message).
    let derived = parse::<Every>(bytes);
    let ours = by_fields(bytes);
    assert_eq!(
        ours.as_ref().err(),
        derived.as_ref().err(),
        "parse_fields of {:?}",
        String::from_utf8_lossy(bytes)
    );
    if let (Ok(ours), Ok(derived)) = (&ours, &derived) {
        assert!(same_value(&ours.any, &derived.any));
        assert_eq!(
            (
                &ours.text,
                &ours.texts,
                &ours.int,
                &ours.items,
                &ours.policy
            ),
            (
                &derived.text,
                &derived.texts,
                &derived.int,
                &derived.items,
                &derived.policy
            )
        );
    }
    if let Err(e) = &ours {
        assert!(is_fixed_message(&e.message), "{}", e.message);
    }
});
