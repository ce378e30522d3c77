//! A JSON reader of our own, in place of serde_json's (issue 13: serde_json's reader, with the
//! float formatting its error messages keep, is tens of KB of the Worker's wasm).
//!
//! It accepts and refuses exactly what serde_json 1.0 (`from_slice`, default features) does, reads
//! numbers into the same values (its `u64` / `i64` / `f64` split, its float arithmetic), and stops
//! at the first error in the same order, with the same kind of error: [`Error::Syntax`] (not JSON,
//! nested deeper than 127, a number out of range) or [`Error::Data`] (JSON of another shape), whose
//! message starts as serde's does (`invalid type`, `missing field `x``, ...). The tests compare it
//! with serde_json on many texts. Typed reads follow serde_json's `deserialize_*` (see
//! `domain::body`); [`Reader::skip`] is its `IgnoredAny`.

use serde_json::{Map, Number, Value};

/// Why a text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not JSON: a syntax error, the end of the text, nesting deeper than 127 levels, or a number
    /// out of `f64`'s range.
    Syntax,
    /// JSON, but not of the expected shape; the message starts as serde's does.
    Data(String),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Syntax => f.write_str("not valid JSON"),
            Self::Data(message) => f.write_str(message),
        }
    }
}

impl core::error::Error for Error {}

/// The result of a read.
pub type Result<T> = core::result::Result<T, Error>;

/// A number as serde_json's parser reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// A non-negative integer that fits a `u64`.
    U(u64),
    /// A negative integer that fits an `i64` (`-0` is a float).
    I(i64),
    /// Any other number.
    F(f64),
}

/// Parses `bytes` as one JSON value (serde_json's `from_slice::<Value>`).
///
/// # Errors
/// [`Error::Syntax`] when `bytes` is not JSON.
pub fn parse(bytes: &[u8]) -> Result<Value> {
    let mut reader = Reader::new(bytes);
    let value = reader.value()?;
    reader.end()?;
    Ok(value)
}

/// Whether `bytes` is one JSON value as serde_json's `from_slice::<IgnoredAny>` checks it (no
/// nesting limit, strings not checked for UTF-8, numbers not checked for range).
#[must_use]
pub fn is_json(bytes: &[u8]) -> bool {
    let mut reader = Reader::new(bytes);
    reader.skip().and_then(|()| reader.end()).is_ok()
}

/// A cursor over a JSON text.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Containers that may still be opened (serde_json's recursion limit).
    depth: u8,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            depth: 128,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        if b.is_some() {
            self.eat();
        }
        b
    }

    /// Skips whitespace; the next byte, not taken.
    pub fn ws(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.eat();
        }
        self.peek()
    }

    fn ident(&mut self, rest: &[u8]) -> Result<()> {
        for &expected in rest {
            if self.next() != Some(expected) {
                return Err(Error::Syntax);
            }
        }
        Ok(())
    }

    /// Only whitespace is left.
    ///
    /// # Errors
    /// [`Error::Syntax`] otherwise.
    pub fn end(&mut self) -> Result<()> {
        match self.ws() {
            None => Ok(()),
            Some(_) => Err(Error::Syntax),
        }
    }

    /// `null` next (taken), as serde_json's `deserialize_option` tells `None`.
    ///
    /// # Errors
    /// [`Error::Syntax`] for a broken `null`.
    pub fn null(&mut self) -> Result<bool> {
        if self.ws() == Some(b'n') {
            self.eat();
            self.ident(b"ull")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The error for a value that is not of the type `wanted`: the value's first token is read
    /// (serde_json's `peek_invalid_type`): a broken token is a syntax error, else a data error.
    /// Whitespace is skipped already.
    pub fn invalid_type(&mut self) -> Error {
        let checked = match self.peek() {
            Some(b'n') => {
                self.eat();
                self.ident(b"ull")
            }
            Some(b't') => {
                self.eat();
                self.ident(b"rue")
            }
            Some(b'f') => {
                self.eat();
                self.ident(b"alse")
            }
            Some(b'-') => {
                self.eat();
                self.integer(false).map(|_| ())
            }
            Some(b'0'..=b'9') => self.integer(true).map(|_| ()),
            Some(b'"') => {
                self.eat();
                self.string().map(|_| ())
            }
            Some(b'[' | b'{') => Ok(()),
            _ => Err(Error::Syntax),
        };
        match checked {
            Ok(()) => data("invalid type"),
            Err(e) => e,
        }
    }

    /// A string (serde_json's `deserialize_str`).
    ///
    /// # Errors
    /// [`Error::Syntax`], or [`Error::Data`] for another type.
    pub fn text(&mut self) -> Result<String> {
        match self.ws() {
            Some(b'"') => {
                self.eat();
                self.string()
            }
            Some(_) => Err(self.invalid_type()),
            None => Err(Error::Syntax),
        }
    }

    /// A boolean (serde_json's `deserialize_bool`).
    ///
    /// # Errors
    /// [`Error::Syntax`], or [`Error::Data`] for another type.
    pub fn flag(&mut self) -> Result<bool> {
        match self.ws() {
            Some(b't') => {
                self.eat();
                self.ident(b"rue").map(|()| true)
            }
            Some(b'f') => {
                self.eat();
                self.ident(b"alse").map(|()| false)
            }
            Some(_) => Err(self.invalid_type()),
            None => Err(Error::Syntax),
        }
    }

    /// A number (serde_json's `deserialize_number`).
    ///
    /// # Errors
    /// [`Error::Syntax`], or [`Error::Data`] for another type.
    pub fn number(&mut self) -> Result<Num> {
        match self.ws() {
            Some(b'-') => {
                self.eat();
                self.integer(false)
            }
            Some(b'0'..=b'9') => self.integer(true),
            Some(_) => Err(self.invalid_type()),
            None => Err(Error::Syntax),
        }
    }

    /// `()` (serde_json's `deserialize_unit`): `null` only.
    ///
    /// # Errors
    /// [`Error::Syntax`], or [`Error::Data`] for another type.
    pub fn unit(&mut self) -> Result<()> {
        match self.ws() {
            Some(b'n') => {
                self.eat();
                self.ident(b"ull")
            }
            Some(_) => Err(self.invalid_type()),
            None => Err(Error::Syntax),
        }
    }

    /// Opens a container (the recursion limit), runs `inside`, closes it.
    fn nested<T>(&mut self, inside: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            return Err(Error::Syntax);
        }
        self.eat();
        let result = inside(self);
        self.depth = self.depth.saturating_add(1);
        result
    }

    /// An array, each item read by `item` (serde_json's `deserialize_seq`); whitespace skipped,
    /// the next byte `[`.
    ///
    /// # Errors
    /// [`Error::Syntax`], or the first error of `item`.
    pub fn items(&mut self, item: &mut dyn FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.nested(|r| {
            let mut first = true;
            loop {
                match r.ws() {
                    Some(b']') => break,
                    Some(_) if first => first = false,
                    Some(b',') => {
                        r.eat();
                        if matches!(r.ws(), Some(b']') | None) {
                            return Err(Error::Syntax);
                        }
                    }
                    _ => return Err(Error::Syntax),
                }
                item(r)?;
            }
            r.eat();
            Ok(())
        })
    }

    /// An object, each field read by `field` from its key, before the colon (serde_json's
    /// `deserialize_map`); whitespace skipped, the next byte `{`.
    ///
    /// # Errors
    /// [`Error::Syntax`], or the first error of `field`.
    pub fn entries(
        &mut self,
        field: &mut dyn FnMut(&mut Self, String) -> Result<()>,
    ) -> Result<()> {
        self.nested(|r| {
            let mut first = true;
            loop {
                match r.ws() {
                    Some(b'}') => break,
                    Some(b'"') if first => first = false,
                    Some(b',') if !first => {
                        r.eat();
                        if r.ws() != Some(b'"') {
                            return Err(Error::Syntax);
                        }
                    }
                    _ => return Err(Error::Syntax),
                }
                r.eat();
                let key = r.string()?;
                field(r, key)?;
            }
            r.eat();
            Ok(())
        })
    }

    /// The colon after a key.
    ///
    /// # Errors
    /// [`Error::Syntax`] when it is not there.
    pub fn colon(&mut self) -> Result<()> {
        if self.ws() == Some(b':') {
            self.eat();
            return Ok(());
        }
        Err(Error::Syntax)
    }

    /// The name of a unit variant (serde_json's `deserialize_enum`): `"name"` or `{"name":null}`.
    ///
    /// # Errors
    /// [`Error::Syntax`] for a malformed one; [`Error::Data`] (`unknown variant`) when `known`
    /// refuses the name, or for another value in the object form.
    pub fn unit_variant<T>(&mut self, known: &dyn Fn(&str) -> Option<T>) -> Result<T> {
        let name = |r: &mut Self| -> Result<T> {
            let name = r.string()?;
            known(&name).ok_or_else(|| data("unknown variant"))
        };
        match self.ws() {
            Some(b'{') => {
                let variant = self.nested(|r| {
                    if r.ws() != Some(b'"') {
                        return Err(Error::Syntax);
                    }
                    r.eat();
                    let variant = name(r)?;
                    r.colon()?;
                    r.unit()?;
                    Ok(variant)
                })?;
                if self.ws() == Some(b'}') {
                    self.eat();
                    return Ok(variant);
                }
                Err(Error::Syntax)
            }
            Some(b'"') => {
                self.eat();
                name(self)
            }
            _ => Err(Error::Syntax),
        }
    }

    /// Any JSON value (serde_json's `Value`).
    ///
    /// # Errors
    /// [`Error::Syntax`].
    pub fn value(&mut self) -> Result<Value> {
        Ok(match self.ws() {
            Some(b'"') => {
                self.eat();
                Value::String(self.string()?)
            }
            Some(b'[') => {
                let mut items = Vec::new();
                self.items(&mut |r| {
                    items.push(r.value()?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            Some(b'{') => {
                let mut map = Map::new();
                self.entries(&mut |r, key| {
                    r.colon()?;
                    map.insert(key, r.value()?);
                    Ok(())
                })?;
                Value::Object(map)
            }
            Some(b'n') => {
                self.unit()?;
                Value::Null
            }
            Some(b't' | b'f') => Value::Bool(self.flag()?),
            Some(b'-' | b'0'..=b'9') => match self.number()? {
                Num::U(n) => Value::from(n),
                Num::I(n) => Value::from(n),
                Num::F(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            },
            _ => return Err(Error::Syntax),
        })
    }

    /// The bytes from here up to the next quote, backslash or control byte (or the end): a string's
    /// plain run, taken in one step instead of byte by byte.
    fn plain_run(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len());
        self.pos = self.pos.saturating_add(len);
        rest.get(..len).unwrap_or_default()
    }

    /// A string's contents, after its opening quote (serde_json's `parse_str`).
    fn string(&mut self) -> Result<String> {
        let mut out = Vec::new();
        loop {
            out.extend_from_slice(self.plain_run());
            match self.next() {
                Some(b'"') => return String::from_utf8(out).map_err(|_| Error::Syntax),
                Some(b'\\') => self.escape(Some(&mut out))?,
                Some(0..=0x1f) | None => return Err(Error::Syntax),
                Some(b) => out.push(b),
            }
        }
    }

    /// One escape after its backslash, decoded into `out`; only checked when `out` is `None`
    /// (serde_json's `ignore_escape`: a `\u` escape may be any four hex digits then).
    fn escape(&mut self, out: Option<&mut Vec<u8>>) -> Result<()> {
        let simple = match self.next() {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 8,
            Some(b'f') => 12,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => {
                let n = self.hex4()?;
                let Some(out) = out else {
                    return Ok(());
                };
                let code = match n {
                    0xDC00..=0xDFFF => return Err(Error::Syntax),
                    0xD800..=0xDBFF => {
                        if self.next() != Some(b'\\') || self.next() != Some(b'u') {
                            return Err(Error::Syntax);
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(Error::Syntax);
                        }
                        0x1_0000 + ((n - 0xD800) << 10 | (low - 0xDC00))
                    }
                    n => n,
                };
                let c = char::from_u32(code).ok_or(Error::Syntax)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => return Err(Error::Syntax),
        };
        if let Some(out) = out {
            out.push(simple);
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = self
                .next()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or(Error::Syntax)?;
            n = n << 4 | digit;
        }
        Ok(n)
    }

    /// A number after its sign (serde_json's `parse_integer`).
    fn integer(&mut self, positive: bool) -> Result<Num> {
        match self.next() {
            Some(b'0') => {
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(Error::Syntax);
                }
                self.after_integer(positive, 0)
            }
            Some(c @ b'1'..=b'9') => {
                let mut significand = u64::from(c - b'0');
                while let Some(c @ b'0'..=b'9') = self.peek() {
                    let Some(next) = significand
                        .checked_mul(10)
                        .and_then(|s| s.checked_add(u64::from(c - b'0')))
                    else {
                        return self.long_integer(positive, significand).map(Num::F);
                    };
                    self.eat();
                    significand = next;
                }
                self.after_integer(positive, significand)
            }
            _ => Err(Error::Syntax),
        }
    }

    fn after_integer(&mut self, positive: bool, significand: u64) -> Result<Num> {
        Ok(match self.peek() {
            Some(b'.') => Num::F(self.decimal(positive, significand, 0)?),
            Some(b'e' | b'E') => Num::F(self.exponent(positive, significand, 0)?),
            _ if positive => Num::U(significand),
            _ => {
                // serde_json's reading: `-0` and anything below `i64::MIN` are floats.
                let negative = (significand as i64).wrapping_neg();
                if negative >= 0 {
                    Num::F(-(significand as f64))
                } else {
                    Num::I(negative)
                }
            }
        })
    }

    fn decimal(&mut self, positive: bool, mut significand: u64, before: i32) -> Result<f64> {
        self.eat();
        let mut after: i32 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            let Some(next) = significand
                .checked_mul(10)
                .and_then(|s| s.checked_add(u64::from(c - b'0')))
            else {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.eat();
                }
                return self.exponent_or_parts(positive, significand, before.wrapping_add(after));
            };
            self.eat();
            significand = next;
            after = after.wrapping_sub(1);
        }
        if after == 0 {
            return Err(Error::Syntax);
        }
        self.exponent_or_parts(positive, significand, before.wrapping_add(after))
    }

    fn exponent_or_parts(
        &mut self,
        positive: bool,
        significand: u64,
        exponent: i32,
    ) -> Result<f64> {
        match self.peek() {
            Some(b'e' | b'E') => self.exponent(positive, significand, exponent),
            _ => from_parts(positive, significand, exponent),
        }
    }

    fn exponent(&mut self, positive: bool, significand: u64, start: i32) -> Result<f64> {
        self.eat();
        let positive_exp = match self.peek() {
            Some(b'+') => {
                self.eat();
                true
            }
            Some(b'-') => {
                self.eat();
                false
            }
            _ => true,
        };
        let mut exp = match self.next() {
            Some(c @ b'0'..=b'9') => i32::from(c - b'0'),
            _ => return Err(Error::Syntax),
        };
        while let Some(c @ b'0'..=b'9') = self.peek() {
            self.eat();
            match exp
                .checked_mul(10)
                .and_then(|e| e.checked_add(i32::from(c - b'0')))
            {
                Some(next) => exp = next,
                None => {
                    // Out of range: an error instead of infinity, else zero.
                    if significand != 0 && positive_exp {
                        return Err(Error::Syntax);
                    }
                    while let Some(b'0'..=b'9') = self.peek() {
                        self.eat();
                    }
                    return Ok(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        let exponent = if positive_exp {
            start.saturating_add(exp)
        } else {
            start.saturating_sub(exp)
        };
        from_parts(positive, significand, exponent)
    }

    /// Digits past `u64`: each one more power of ten (serde_json's `parse_long_integer`).
    fn long_integer(&mut self, positive: bool, significand: u64) -> Result<f64> {
        let mut exponent: i32 = 0;
        loop {
            match self.peek() {
                Some(b'0'..=b'9') => {
                    self.eat();
                    exponent = exponent.wrapping_add(1);
                }
                Some(b'.') => return self.decimal(positive, significand, exponent),
                _ => return self.exponent_or_parts(positive, significand, exponent),
            }
        }
    }

    /// Skips one value, checking it as serde_json's `IgnoredAny` does (no nesting limit: a stack
    /// of open containers, not recursion).
    ///
    /// # Errors
    /// [`Error::Syntax`].
    pub fn skip(&mut self) -> Result<()> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // A value.
            match self.ws() {
                Some(b'n') => {
                    self.eat();
                    self.ident(b"ull")?;
                }
                Some(b't') => {
                    self.eat();
                    self.ident(b"rue")?;
                }
                Some(b'f') => {
                    self.eat();
                    self.ident(b"alse")?;
                }
                Some(b'-') => {
                    self.eat();
                    self.skip_number()?;
                }
                Some(b'0'..=b'9') => self.skip_number()?,
                Some(b'"') => {
                    self.eat();
                    self.skip_string()?;
                }
                Some(frame @ (b'[' | b'{')) => {
                    self.eat();
                    open.push(frame);
                    let close = if frame == b'[' { b']' } else { b'}' };
                    if self.ws() != Some(close) {
                        if frame == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                _ => return Err(Error::Syntax),
            }
            // Then the ends of the containers it closes, and a comma before the next one.
            loop {
                let Some(&frame) = open.last() else {
                    return Ok(());
                };
                let close = if frame == b'[' { b']' } else { b'}' };
                match self.ws() {
                    Some(b) if b == close => {
                        self.eat();
                        open.pop();
                    }
                    Some(b',') => {
                        self.eat();
                        if frame == b'{' {
                            self.skip_key()?;
                        }
                        break;
                    }
                    _ => return Err(Error::Syntax),
                }
            }
        }
    }

    /// A key and its colon, in [`Self::skip`].
    fn skip_key(&mut self) -> Result<()> {
        if self.ws() != Some(b'"') {
            return Err(Error::Syntax);
        }
        self.eat();
        self.skip_string()?;
        self.colon()
    }

    fn skip_string(&mut self) -> Result<()> {
        loop {
            self.plain_run();
            match self.next() {
                Some(b'"') => return Ok(()),
                Some(b'\\') => self.escape(None)?,
                Some(0..=0x1f) | None => return Err(Error::Syntax),
                Some(_) => {}
            }
        }
    }

    fn skip_number(&mut self) -> Result<()> {
        match self.next() {
            Some(b'0') => {
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(Error::Syntax);
                }
            }
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(Error::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.eat();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Error::Syntax);
            }
            self.skip_digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.eat();
            if let Some(b'+' | b'-') = self.peek() {
                self.eat();
            }
            if !matches!(self.next(), Some(b'0'..=b'9')) {
                return Err(Error::Syntax);
            }
            self.skip_digits();
        }
        Ok(())
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.eat();
        }
    }
}

/// A data error with serde's wording.
#[must_use]
pub fn data(message: impl Into<String>) -> Error {
    Error::Data(message.into())
}

/// `significand` × 10^`exponent`, as serde_json computes it (not always the nearest `f64`, but
/// the same one); out of range is an error.
fn from_parts(positive: bool, significand: u64, mut exponent: i32) -> Result<f64> {
    let mut f = significand as f64;
    loop {
        let pow = usize::try_from(exponent.unsigned_abs())
            .ok()
            .and_then(|i| POW10.get(i));
        match pow {
            Some(&pow) => {
                if exponent >= 0 {
                    f *= pow;
                    if f.is_infinite() {
                        return Err(Error::Syntax);
                    }
                } else {
                    f /= pow;
                }
                break;
            }
            None => {
                if f == 0.0 {
                    break;
                }
                if exponent >= 0 {
                    return Err(Error::Syntax);
                }
                f /= 1e308;
                exponent = exponent.saturating_add(308);
            }
        }
    }
    Ok(if positive { f } else { -f })
}

#[rustfmt::skip]
static POW10: [f64; 309] = [
    1e000, 1e001, 1e002, 1e003, 1e004, 1e005, 1e006, 1e007, 1e008, 1e009,
    1e010, 1e011, 1e012, 1e013, 1e014, 1e015, 1e016, 1e017, 1e018, 1e019,
    1e020, 1e021, 1e022, 1e023, 1e024, 1e025, 1e026, 1e027, 1e028, 1e029,
    1e030, 1e031, 1e032, 1e033, 1e034, 1e035, 1e036, 1e037, 1e038, 1e039,
    1e040, 1e041, 1e042, 1e043, 1e044, 1e045, 1e046, 1e047, 1e048, 1e049,
    1e050, 1e051, 1e052, 1e053, 1e054, 1e055, 1e056, 1e057, 1e058, 1e059,
    1e060, 1e061, 1e062, 1e063, 1e064, 1e065, 1e066, 1e067, 1e068, 1e069,
    1e070, 1e071, 1e072, 1e073, 1e074, 1e075, 1e076, 1e077, 1e078, 1e079,
    1e080, 1e081, 1e082, 1e083, 1e084, 1e085, 1e086, 1e087, 1e088, 1e089,
    1e090, 1e091, 1e092, 1e093, 1e094, 1e095, 1e096, 1e097, 1e098, 1e099,
    1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109,
    1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119,
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129,
    1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139,
    1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149,
    1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159,
    1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169,
    1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179,
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189,
    1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199,
    1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209,
    1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219,
    1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229,
    1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239,
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249,
    1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259,
    1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269,
    1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279,
    1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289,
    1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299,
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
];

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Ours and serde_json's answers for `bytes` are the same: the same value (floats to the
    /// bit), or both an error; and the same for the `IgnoredAny` check.
    fn same_as_serde_json(bytes: &[u8]) {
        let theirs = serde_json::from_slice::<Value>(bytes).ok();
        let ours = parse(bytes).ok();
        assert_eq!(
            format!("{ours:?}"),
            format!("{theirs:?}"),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(
            is_json(bytes),
            serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok(),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }

    #[test]
    fn reads_as_serde_json_does() {
        let mut texts: Vec<Vec<u8>> = [
            "",
            " ",
            "null",
            "nul",
            "true",
            "tru",
            "false",
            "fals",
            "0",
            "-0",
            "-",
            "01",
            "-01",
            "1.",
            "1.0",
            "1e",
            "1e+",
            "1e-2",
            "1E5",
            "1.5e3",
            ".5",
            "+1",
            "0.000001",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "1e308",
            "1e309",
            "-1e309",
            "1e-400",
            "0e999999999999",
            "1e999999999999",
            "1e-999999999999",
            "184467440737095516159.5",
            "1.8446744073709551616",
            "4.9e-324",
            "2.2250738585072014e-308",
            "0.1",
            "0.3",
            "123.456e-7",
            "\"\"",
            "\"a\"",
            "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
            "\"\\u00e9\"",
            "\"\\u00E9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83dx\"",
            "\"\\ud83d\\u0041\"",
            "\"\\u12\"",
            "\"\\x\"",
            "\"\t\"",
            "\"é\"",
            "\"a",
            "[]",
            "[1]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[",
            "]",
            "{}",
            "{\"a\":1}",
            "{\"a\":1,}",
            "{\"a\"}",
            "{\"a\":}",
            "{a:1}",
            "{\"a\":1,\"a\":2}",
            "{,}",
            "{\"a\":1 \"b\":2}",
            "[[[]]]",
            "{\"a\":[{\"b\":null}]}",
            "1 2",
            "1 ",
            " \t\r\n1",
            "[1]x",
            "{}}",
            "true false",
            "[\"\\u0000\"]",
            "\u{feff}1",
            "{1\":2}",
            "{\"a\":1,1\":2}",
            "{\"a\":1\"b\":2}",
            "[1\"]",
            "{\"a\" 1}",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
        texts.push(b"\"\xff\"".to_vec());
        texts.push(b"[\"\xc3\"]".to_vec());
        for depth in [126, 127, 128, 129, 5000] {
            texts.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes());
            texts.push(format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes());
        }
        for text in &texts {
            same_as_serde_json(text);
        }
    }

    #[test]
    fn typed_reads_refuse_other_types_with_data_errors_and_broken_tokens_with_syntax() {
        assert_eq!(Reader::new(b"1").text(), Err(data("invalid type")));
        assert_eq!(Reader::new(b"tru").text(), Err(Error::Syntax));
        assert_eq!(Reader::new(b"[1,").text(), Err(data("invalid type")));
        assert_eq!(Reader::new(b"\"x").flag(), Err(Error::Syntax));
        assert_eq!(Reader::new(b"-0").number(), Ok(Num::F(-0.0)));
        assert_eq!(Reader::new(b"").unit(), Err(Error::Syntax));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Texts of JSON tokens, broken ones and stray bytes, in any order.
        #[test]
        fn any_token_sequence_reads_as_serde_json_does(
            tokens in proptest::collection::vec(proptest::sample::select(vec![
                "{", "}", "[", "]", ",", ":", " ", "\"a\"", "\"b\"", "\"\\u00e9\"", "\"\\ud800\"",
                "\"\\", "\"", "null", "nul", "true", "false", "0", "-", "1", "12", ".", "5", "e",
                "E+", "-3", "1e400", "0.5", "18446744073709551616", "x", "\u{e9}", "\\",
            ]), 0..16)
        ) {
            same_as_serde_json(tokens.concat().as_bytes());
        }
    }
}
