//! Strict decoding of JavaScript arguments into serde types, with messages that never echo a value.
//!
//! serde-wasm-bindgen reads only the properties a struct declares, so `deny_unknown_fields` never
//! fires with it (a misspelt option would silently take its default), and its messages quote the
//! value they refuse (``invalid type: integer `1234567` ``). [`decode`] is a small deserializer of
//! its own: it hands every own enumerable key of an object to the struct's field visitor, so a
//! struct with `deny_unknown_fields` refuses a key it does not know, and of an error it keeps only
//! its kind and the path of our field names. The refused key or value is dropped where serde
//! reports it, so no message can carry it. (serde-wasm-bindgen still writes the results: measured,
//! `serde_json::to_string` + `JSON.parse` made the npm wasm 3.6 KB larger.)

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use std::fmt;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// `Object.entries`, catching what a getter or a proxy throws: an exception thrown through
    /// the wasm frames would leave the called object borrowed for good.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn entries(object: &JsValue) -> Result<Array, JsValue>;

    /// `Array.isArray`, catching the `TypeError` it throws for a revoked proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// A `Uint8Array` made by [`ByteCopy::new`].
    #[wasm_bindgen(js_name = Uint8Array)]
    type ByteCopy;

    /// `new Uint8Array(value)`: a copy of a `Uint8Array`, a view of an `ArrayBuffer`, catching what
    /// a proxy that passed for one throws.
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn new(value: &JsValue) -> Result<ByteCopy, JsValue>;
}

/// Decodes `value` into `T`, strictly; `what` names the argument in the error message (e.g.
/// `options`). The error is a fixed text that names only `what` and our field names.
pub(super) fn decode<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, String> {
    T::deserialize(Value(value.clone())).map_err(|fault| fault.message(what))
}

/// What was wrong, without the offending key or value.
#[derive(Debug)]
enum Kind {
    /// A property that is not a field of the struct; the struct's fields.
    Unknown(&'static [&'static str]),
    /// A required field is absent.
    Missing(&'static str),
    /// A struct was expected.
    NotObject,
    /// An array was expected.
    NotArray,
    /// A value of the wrong type, or out of its type's range.
    Invalid,
    /// Reading a property threw (a getter or a proxy).
    Unreadable,
}

/// How many field names deep a fault is located; our arguments nest two deep at most
/// (`record.app_passwords.phc`, `options.params.m`).
const DEPTH: usize = 3;

/// A decoding error: its kind and where it happened.
///
/// Boxed on purpose: every generic `deserialize_*` instance returns it, and a one-word error
/// keeps the many inlined copies of serde's visitors small in the wasm.
#[derive(Debug)]
pub(super) struct Fault(Box<Where>);

/// What a [`Fault`] holds.
#[derive(Debug)]
struct Where {
    kind: Kind,
    /// Field names, innermost first.
    path: [&'static str; DEPTH],
    depth: usize,
}

impl Fault {
    /// A fault of `kind` at the value being decoded.
    #[inline(never)]
    fn new(kind: Kind) -> Self {
        Self(Box::new(Where {
            kind,
            path: [""; DEPTH],
            depth: 0,
        }))
    }

    /// The same fault seen from the struct that holds `field`.
    #[inline(never)]
    fn within(mut self, field: Option<&'static str>) -> Self {
        let at = &mut *self.0;
        if let (Some(field), Some(slot)) = (field, at.path.get_mut(at.depth)) {
            *slot = field;
            at.depth += 1;
        }
        self
    }

    /// The message: fixed text, `what` and our field names only.
    fn message(&self, what: &str) -> String {
        let mut place = what.to_owned();
        for field in self.0.path.iter().take(self.0.depth).rev() {
            place.push('.');
            place.push_str(field);
        }
        match self.0.kind {
            Kind::Unknown(fields) => {
                format!(
                    "{place} has a property that is not one of {}",
                    fields.join(", ")
                )
            }
            Kind::Missing(field) => format!("{place}.{field} is required"),
            Kind::NotObject => format!("{place} must be an object"),
            Kind::NotArray => format!("{place} must be an array"),
            Kind::Invalid => format!("{place} has the wrong type or an out-of-range value"),
            Kind::Unreadable => format!("{place} cannot be read: reading a property threw"),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("the argument"))
    }
}

impl std::error::Error for Fault {}

impl de::Error for Fault {
    // serde's messages quote the refused value: only the kind is kept.
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Self::new(Kind::Invalid)
    }

    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(Kind::Unknown(expected))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new(Kind::Missing(field))
    }

    // The default methods below format a message only for `custom` to drop it; skipping that
    // keeps every inlined copy of serde's visitors smaller.
    fn invalid_type(_unexpected: de::Unexpected<'_>, _expected: &dyn de::Expected) -> Self {
        Self::new(Kind::Invalid)
    }

    fn invalid_value(_unexpected: de::Unexpected<'_>, _expected: &dyn de::Expected) -> Self {
        Self::new(Kind::Invalid)
    }

    fn invalid_length(_length: usize, _expected: &dyn de::Expected) -> Self {
        Self::new(Kind::Invalid)
    }

    fn unknown_variant(_variant: &str, _expected: &'static [&'static str]) -> Self {
        Self::new(Kind::Invalid)
    }

    fn duplicate_field(_field: &'static str) -> Self {
        Self::new(Kind::Invalid)
    }
}

/// A JavaScript value being decoded.
struct Value(JsValue);

impl Value {
    /// The value as an integer, if it is a number that is a safe integer (no `BigInt`s: the
    /// arguments are times, days and counts).
    fn integer(&self) -> Option<i64> {
        if js_sys::Number::is_safe_integer(&self.0) {
            // A safe integer converts exactly.
            self.0.as_f64().map(|n| n as i64)
        } else {
            None
        }
    }

    /// The bytes of a `Uint8Array` or an `ArrayBuffer` (`instanceof`, which never throws here:
    /// the binding catches).
    fn bytes(&self) -> Result<Option<Vec<u8>>, Fault> {
        if self.0.is_instance_of::<Uint8Array>() || self.0.is_instance_of::<ArrayBuffer>() {
            let copy = ByteCopy::new(&self.0).map_err(|_| Fault::new(Kind::Unreadable))?;
            Ok(Some(copy.unchecked_into::<Uint8Array>().to_vec()))
        } else {
            Ok(None)
        }
    }

    /// Whether the value is an array (`Array.isArray`; a revoked proxy is unreadable).
    fn is_array(&self) -> Result<bool, Fault> {
        is_array(&self.0).map_err(|_| Fault::new(Kind::Unreadable))
    }

    /// The own enumerable properties of an object that is not an array, as a map whose keys
    /// belong to `fields` (`[]` when any key may be given, for ignored values).
    fn properties(self, fields: &'static [&'static str]) -> Result<Properties, Fault> {
        // Arrays are objects in JavaScript; `["x"]` must not pass for `{ name: "x" }`.
        if !self.0.is_object() || self.is_array()? {
            return Err(Fault::new(Kind::NotObject));
        }
        Ok(Properties {
            entries: entries(&self.0).map_err(|_| Fault::new(Kind::Unreadable))?,
            next: 0,
            fields,
            value: None,
        })
    }

    /// The value is none of the types the visitor takes.
    fn invalid<T>(&self) -> Result<T, Fault> {
        Err(Fault::new(Kind::Invalid))
    }
}

/// Forwards `deserialize_*` methods whose Rust types JavaScript does not tell apart.
macro_rules! forward {
    ($($method:ident($($arg:ident: $type:ty),*) => $to:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $type,)* visitor: V) -> Result<V::Value, Fault> {
            $(let _ = $arg;)*
            self.$to(visitor)
        }
    )*};
}

// A small deserializer of its own rather than serde-wasm-bindgen's: that one quotes refused values
// in its errors (and so formats floats, ~14 KB of wasm), and reads only the declared fields.
impl<'de> Deserializer<'de> for Value {
    type Error = Fault;

    forward! {
        deserialize_i8() => deserialize_i64;
        deserialize_i16() => deserialize_i64;
        deserialize_i32() => deserialize_i64;
        deserialize_u8() => deserialize_u64;
        deserialize_u16() => deserialize_u64;
        deserialize_u32() => deserialize_u64;
        deserialize_f32() => deserialize_f64;
        deserialize_char() => deserialize_string;
        deserialize_str() => deserialize_string;
        deserialize_identifier() => deserialize_string;
        deserialize_bytes() => deserialize_byte_buf;
        deserialize_unit_struct(name: &'static str) => deserialize_unit;
        deserialize_tuple(len: usize) => deserialize_seq;
        deserialize_tuple_struct(name: &'static str, len: usize) => deserialize_seq;
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        if self.0.is_undefined() || self.0.is_null() {
            visitor.visit_unit()
        } else if let Some(flag) = self.0.as_bool() {
            visitor.visit_bool(flag)
        } else if let Some(integer) = self.integer() {
            visitor.visit_i64(integer)
        } else if let Some(number) = self.0.as_f64() {
            visitor.visit_f64(number)
        } else if let Some(text) = self.0.as_string() {
            visitor.visit_string(text)
        } else if self.is_array()? {
            self.deserialize_seq(visitor)
        } else if let Some(bytes) = self.bytes()? {
            visitor.visit_byte_buf(bytes)
        } else {
            visitor.visit_map(self.properties(&[])?)
        }
    }

    /// A property a struct does not keep (a stored record may carry fields of a newer version) is
    /// not read at all: walking it would recurse as deep as the value nests, and a deep enough
    /// value overflows the wasm stack.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        visitor.visit_unit()
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.0.as_bool() {
            Some(flag) => visitor.visit_bool(flag),
            None => self.invalid(),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.integer() {
            Some(integer) => visitor.visit_i64(integer),
            None => self.invalid(),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.integer().map(u64::try_from) {
            Some(Ok(integer)) => visitor.visit_u64(integer),
            _ => self.invalid(),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.0.as_f64() {
            Some(number) => visitor.visit_f64(number),
            None => self.invalid(),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.0.as_string() {
            Some(text) => visitor.visit_string(text),
            None => self.invalid(),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        match self.bytes()? {
            Some(bytes) => visitor.visit_byte_buf(bytes),
            None => self.invalid(),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        if self.0.is_undefined() || self.0.is_null() {
            visitor.visit_unit()
        } else {
            self.invalid()
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        if self.0.is_undefined() || self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fault> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        if !self.is_array()? {
            return Err(Fault::new(Kind::NotArray));
        }
        // Read once, through `Reflect.get`: the array may be a proxy whose trap throws.
        let length = Reflect::get(&self.0, &JsValue::from_str("length"))
            .map_err(|_| Fault::new(Kind::Unreadable))?
            .as_f64()
            .map_or(0, |length| length as u32);
        visitor.visit_seq(Items {
            array: self.0,
            next: 0,
            length,
        })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fault> {
        visitor.visit_map(self.properties(&[])?)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        visitor.visit_map(self.properties(fields)?)
    }

    /// Enums of unit variants only (protocols, policies), given by name.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fault> {
        match self.0.as_string() {
            Some(text) => {
                let text: de::value::StringDeserializer<Fault> = text.into_deserializer();
                text.deserialize_enum(name, variants, visitor)
            }
            None => self.invalid(),
        }
    }
}

/// The own enumerable properties of an object, read as a struct.
struct Properties {
    /// `Object.entries` of the object: `[key, value]` pairs.
    entries: Array,
    /// The next pair to read.
    next: u32,
    /// The struct's field names.
    fields: &'static [&'static str],
    /// The value of the key just read, with the field it belongs to (`None` for an ignored key).
    value: Option<(JsValue, Option<&'static str>)>,
}

impl<'de> MapAccess<'de> for Properties {
    type Error = Fault;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Fault> {
        match self.next_key() {
            None => Ok(None),
            Some(key) => {
                let key: de::value::StringDeserializer<Fault> = key.into_deserializer();
                seed.deserialize(key).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fault> {
        let (value, field) = self.value.take().unwrap_or((JsValue::UNDEFINED, None));
        seed.deserialize(Value(value))
            .map_err(|fault| fault.within(field))
    }
}

impl Properties {
    /// The next key, keeping its value for `next_value_seed` (not generic: one copy in the wasm).
    fn next_key(&mut self) -> Option<String> {
        if self.next >= self.entries.length() {
            return None;
        }
        let pair: Array = self.entries.get(self.next).unchecked_into();
        self.next += 1;
        // Object.entries yields string keys only.
        let key = pair.get(0).as_string().unwrap_or_default();
        let field = self.fields.iter().copied().find(|field| *field == key);
        self.value = Some((pair.get(1), field));
        Some(key)
    }
}

/// The items of an array, read as a sequence.
struct Items {
    /// The array (or a proxy of one).
    array: JsValue,
    /// The next index to read.
    next: u32,
    /// Its length when the reading started.
    length: u32,
}

impl Items {
    /// The next item (not generic: one copy in the wasm); an index getter that throws is an error.
    fn next_item(&mut self) -> Result<Option<JsValue>, Fault> {
        if self.next >= self.length {
            return Ok(None);
        }
        let item =
            Reflect::get_u32(&self.array, self.next).map_err(|_| Fault::new(Kind::Unreadable))?;
        self.next += 1;
        Ok(Some(item))
    }
}

impl<'de> SeqAccess<'de> for Items {
    type Error = Fault;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Fault> {
        match self.next_item()? {
            None => Ok(None),
            Some(item) => seed.deserialize(Value(item)).map(Some),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        usize::try_from(self.length.saturating_sub(self.next)).ok()
    }
}
