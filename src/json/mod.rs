//! JSON text in and out, by hand: a strict RFC 8259 parser into our own [`Value`] and a writer whose output is
//! byte-identical to `serde_json::to_string`.
//!
//! The engine's data type is [`Value`] (`value.rs`: serde_json's API and meaning, without IndexMap, hashbrown
//! and serde_json in the wasm module), and no generic (de)serializer: that machinery, its visitor errors and the
//! monomorphised `Serialize` impls were a large part of the wasm module. Our own types write themselves through
//! [`ToJson`]; reading them back is hand-written where it is needed (`restore.rs`, `trace.rs`).

use std::fmt::{self, Write as _};

pub mod float;
pub mod fold;
mod named;
mod path;
mod read;
mod value;

pub use named::{Named, NamedIter};
pub use path::Path;
pub use read::{expect_str, expect_u64, Fields, PathError};
pub use value::{Entry, Iter, Map, Number, ToValue, Value, ValueIndex};

/// How deep arrays and objects may nest, as serde_json: deeper input is refused instead of overflowing the stack.
/// A document `parse` accepts nests at most `MAX_DEPTH - 1` levels ([`MAX_NESTING`]).
pub const MAX_DEPTH: usize = 128;

/// The most levels of arrays and objects a document read by [`parse`] nests: `[[]]` nests 2.
pub const MAX_NESTING: usize = MAX_DEPTH - 1;

/// Why a text is not JSON, with the place (1-based line; column in bytes, as serde_json counts them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub message: &'static str,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {} column {}", self.message, self.line, self.column)
    }
}

impl std::error::Error for JsonError {}

const EOF_VALUE: &str = "EOF while parsing a value";
const EOF_LIST: &str = "EOF while parsing a list";
const EOF_OBJECT: &str = "EOF while parsing an object";
const EOF_STRING: &str = "EOF while parsing a string";

/// Parse one JSON value (surrounding whitespace allowed). Integers stay `u64`/`i64` when they fit; other numbers
/// are read exactly as `f64`. A duplicate key keeps its first place and its last value.
pub fn parse(src: &str) -> Result<Value, JsonError> {
    parse_limited(src, MAX_DEPTH)
}

/// [`parse`] with another depth limit: the text may nest at most `max_depth - 1` levels. For documents that wrap
/// values read with the usual limit in a few levels of their own (a saved session).
pub fn parse_limited(src: &str, max_depth: usize) -> Result<Value, JsonError> {
    let mut p = Parser { s: src.as_bytes(), i: 0, depth_left: max_depth };
    let v = p.value()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.fail("trailing characters", p.i + 1));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth_left: usize,
}

impl Parser<'_> {
    /// An error after `consumed` bytes of input (serde_json's convention for line and column).
    fn fail(&self, message: &'static str, consumed: usize) -> JsonError {
        let before = &self.s[..consumed.min(self.s.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1);
        JsonError { message, line, column: before.len() - line_start }
    }

    fn eof(&self, message: &'static str) -> JsonError {
        self.fail(message, self.s.len())
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        self.ws();
        let Some(b) = self.peek() else { return Err(self.eof(EOF_VALUE)) };
        match b {
            b'n' => self.ident("null", Value::Null),
            b't' => self.ident("true", Value::Bool(true)),
            b'f' => self.ident("false", Value::Bool(false)),
            b'"' => {
                self.i += 1;
                self.string().map(Value::String)
            }
            b'-' | b'0'..=b'9' => self.number(),
            b'[' => self.nested(Parser::array),
            b'{' => self.nested(Parser::object),
            _ => Err(self.fail("expected value", self.i + 1)),
        }
    }

    fn ident(&mut self, word: &str, v: Value) -> Result<Value, JsonError> {
        for &want in word.as_bytes() {
            match self.peek() {
                Some(b) if b == want => self.i += 1,
                Some(_) => return Err(self.fail("expected ident", self.i + 1)),
                None => return Err(self.eof(EOF_VALUE)),
            }
        }
        Ok(v)
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Value, JsonError>) -> Result<Value, JsonError> {
        self.depth_left -= 1;
        if self.depth_left == 0 {
            return Err(self.fail("recursion limit exceeded", self.i + 1));
        }
        self.i += 1;
        let v = read(self);
        self.depth_left += 1;
        v
    }

    /// After `[`.
    fn array(&mut self) -> Result<Value, JsonError> {
        let mut items = Vec::new();
        self.ws();
        match self.peek() {
            Some(b']') => {
                self.i += 1;
                return Ok(Value::Array(items));
            }
            None => return Err(self.eof(EOF_LIST)),
            Some(_) => {}
        }
        loop {
            items.push(self.value()?);
            if self.after_item(b']', "expected `,` or `]`", EOF_LIST)? {
                return Ok(Value::Array(items));
            }
        }
    }

    /// After a list item or an object member: a `,` (another must follow) or the closing bracket `close`.
    /// Whether the container ended.
    fn after_item(&mut self, close: u8, expected: &'static str, eof: &'static str) -> Result<bool, JsonError> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(close) {
                    return Err(self.fail("trailing comma", self.i + 1));
                }
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            Some(_) => Err(self.fail(expected, self.i + 1)),
            None => Err(self.eof(eof)),
        }
    }

    /// After `{`.
    fn object(&mut self) -> Result<Value, JsonError> {
        // The members as read; duplicate keys are resolved once the object is complete.
        let mut pairs = Vec::new();
        self.ws();
        match self.peek() {
            Some(b'}') => {
                self.i += 1;
                return Ok(Value::Object(Map::new()));
            }
            None => return Err(self.eof(EOF_OBJECT)),
            Some(_) => {}
        }
        loop {
            match self.peek() {
                Some(b'"') => self.i += 1,
                Some(_) => return Err(self.fail("key must be a string", self.i + 1)),
                None => return Err(self.eof(EOF_VALUE)),
            }
            let key = self.string()?;
            self.ws();
            match self.peek() {
                Some(b':') => self.i += 1,
                Some(_) => return Err(self.fail("expected `:`", self.i + 1)),
                None => return Err(self.eof(EOF_OBJECT)),
            }
            let v = self.value()?;
            pairs.push((key, v));
            if self.after_item(b'}', "expected `,` or `}`", EOF_OBJECT)? {
                return Ok(Value::Object(Map::from_pairs(pairs)));
            }
        }
    }

    /// After the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        let mut out = String::new();
        let mut start = self.i;
        loop {
            let Some(b) = self.peek() else { return Err(self.eof(EOF_STRING)) };
            match b {
                b'"' | b'\\' => {
                    // Both are ASCII, so the slice ends on a character boundary of the (valid UTF-8) input. Slices
                    // here are in range by construction: `get` says so without linking a panic path.
                    let run = self.s.get(start..self.i).and_then(|b| std::str::from_utf8(b).ok());
                    debug_assert!(run.is_some(), "a string's run of plain chars is text");
                    out.push_str(run.unwrap_or_default());
                    self.i += 1;
                    if b == b'"' {
                        return Ok(out);
                    }
                    self.escape(&mut out)?;
                    start = self.i;
                }
                0..=0x1f => {
                    return Err(
                        self.fail("control character (\\u0000-\\u001F) found while parsing a string", self.i + 1)
                    )
                }
                _ => self.i += 1,
            }
        }
    }

    /// After a backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let Some(b) = self.peek() else { return Err(self.eof(EOF_STRING)) };
        self.i += 1;
        out.push(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(out),
            _ => return Err(self.fail("invalid escape", self.i)),
        });
        Ok(())
    }

    /// After `\u`: one code point, or a surrogate pair written as two escapes.
    fn unicode(&mut self, out: &mut String) -> Result<(), JsonError> {
        let n = self.hex4()?;
        let c = match n {
            0xDC00..=0xDFFF => return Err(self.fail("lone leading surrogate in hex escape", self.i)),
            0xD800..=0xDBFF => {
                for want in [b'\\', b'u'] {
                    match self.peek() {
                        Some(b) if b == want => self.i += 1,
                        Some(_) => return Err(self.fail("unexpected end of hex escape", self.i + 1)),
                        None => return Err(self.eof(EOF_STRING)),
                    }
                }
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.fail("lone leading surrogate in hex escape", self.i));
                }
                0x1_0000 + ((n - 0xD800) << 10) + (low - 0xDC00)
            }
            _ => n,
        };
        out.push(char::from_u32(c).ok_or_else(|| self.fail("invalid unicode code point", self.i))?);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let Some(hex) = self.s.get(self.i..self.i + 4) else { return Err(self.eof(EOF_STRING)) };
        self.i += 4;
        let n = hex.iter().try_fold(0, |n, &b| Some(n * 16 + (b as char).to_digit(16)?));
        n.ok_or_else(|| self.fail("invalid escape", self.i))
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.fail("invalid number", self.i + 1));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            Some(_) => return Err(self.fail("invalid number", self.i + 1)),
            None => return Err(self.eof(EOF_VALUE)),
        }
        let int_end = self.i;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.required_digits()?;
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.required_digits()?;
            float = true;
        }
        // The text is ASCII digits and signs only, read above.
        let text = self.s.get(start..self.i).and_then(|b| std::str::from_utf8(b).ok());
        debug_assert!(text.is_some(), "a number's text is ASCII");
        let text = text.unwrap_or_default();
        if !float {
            let digits = self.s.get(start + usize::from(negative)..int_end);
            debug_assert!(digits.is_some(), "a number's integer part is in the text");
            let digits = digits.unwrap_or_default();
            if let Some(n) = digits_u64(digits) {
                if !negative {
                    return Ok(Value::Number(n.into()));
                }
                // `-0` and what does not fit `i64` become floats, as serde_json reads them.
                if n != 0 && n <= 1 << 63 {
                    return Ok(Value::Number((n.wrapping_neg() as i64).into()));
                }
            }
        }
        let f = float::parse_f64(text).ok_or_else(|| self.fail("invalid number", self.i))?;
        Number::from_f64(f).map(Value::Number).ok_or_else(|| self.fail("number out of range", self.i))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(_) => Err(self.fail("invalid number", self.i + 1)),
            None => Err(self.eof(EOF_VALUE)),
        }
    }
}

/// Decimal digits as a `u64`, `None` on overflow.
fn digits_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// Something that writes itself as JSON text, exactly as serde_json would have serialised it.
pub trait ToJson {
    fn write_json(&self, out: &mut String);
}

/// The JSON text of a value.
pub fn to_string<T: ToJson + ?Sized>(v: &T) -> String {
    let mut out = String::new();
    v.write_json(&mut out);
    out
}

/// Our own data as a `Value`: its JSON text read back (lossless: floats print in shortest round-trip form).
pub fn to_value(v: &dyn ToJson) -> Value {
    let mut text = String::new();
    v.write_json(&mut text);
    // Our own output is JSON; it may nest deeper than input is allowed to, by the wrapping objects.
    parse_limited(&text, usize::MAX).unwrap_or(Value::Null)
}

/// Write a value.
pub fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // serde_json's own shortest form; writing to a String cannot fail.
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => items.write_json(out),
        Value::Object(map) => map.write_json(out),
    }
}

/// Write a string literal: `"` and `\` escaped, control characters as `\n`-style or `\u00XX`, the rest raw.
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'\n' => 'n',
            b'\r' => 'r',
            b'\t' => 't',
            0x08 => 'b',
            0x0c => 'f',
            0..=0x1f => 'u',
            _ => continue,
        };
        // `i` is at an ASCII byte, so a character boundary: `get` never fails (and links no panic path).
        let run = s.get(start..i);
        debug_assert!(run.is_some(), "a run of plain chars ends at an ASCII byte");
        out.push_str(run.unwrap_or_default());
        out.push('\\');
        out.push(short);
        if short == 'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
        start = i + 1;
    }
    let rest = s.get(start..);
    debug_assert!(rest.is_some(), "the last run starts after an ASCII byte");
    out.push_str(rest.unwrap_or_default());
    out.push('"');
}

/// How many levels of arrays and objects `v` nests: 0 for a scalar, 1 for `[]` or `{"a": 1}`. Values come from
/// parsed text or are built from such values, so the recursion is as deep as they nest (see [`MAX_NESTING`]).
pub fn nesting(v: &Value) -> usize {
    let mut inner = 0;
    match v {
        Value::Array(items) => {
            for item in items {
                inner = inner.max(nesting(item));
            }
        }
        Value::Object(m) => {
            for item in m.values() {
                inner = inner.max(nesting(item));
            }
        }
        _ => return 0,
    }
    inner + 1
}

/// The length of `"key":value` as an object member written by [`to_string`]. `buf` is scratch space, reused by
/// the caller so that measuring many members allocates once.
pub fn member_len(key: &str, value: &dyn ToJson, buf: &mut String) -> usize {
    buf.clear();
    write_str(key, buf);
    buf.push(':');
    value.write_json(buf);
    buf.len()
}

/// An object from `(key, value)` pairs, in order: what `json!` builds, without serde's value serializer.
pub fn obj(fields: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// `{key: value}`: the one-field objects of button requests, custom action paths and system event data, built
/// by one out-of-line copy.
#[inline(never)]
pub fn obj1(key: &str, value: Value) -> Value {
    Value::Object(with(Map::new(), key, value))
}

/// `{a: x, b: y}`, as [`obj1`].
#[inline(never)]
pub fn obj2(a: &str, x: Value, b: &str, y: Value) -> Value {
    Value::Object(with(with(Map::new(), a, x), b, y))
}

/// `{a: x, b: y, c: z}`, as [`obj1`].
#[inline(never)]
pub fn obj3(a: &str, x: Value, b: &str, y: Value, c: &str, z: Value) -> Value {
    Value::Object(with(with(with(Map::new(), a, x), b, y), c, z))
}

/// `map` with `key` set to `value`: the one step of [`obj1`], [`obj2`], [`obj3`] and of objects built field by
/// field, without the `Vec` of fields that [`obj`] takes.
#[inline(never)]
pub fn with(mut map: Map, key: &str, value: Value) -> Map {
    map.insert(key.to_string(), value);
    map
}

/// Take the value of `key` out of `map`, leaving null in its place: what `remove` gives, without moving the
/// other entries (the map is dropped or only read afterwards).
pub fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    map.get_mut(key).map(Value::take)
}

/// A JSON string value.
pub fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

/// Writes an object field by field: `{"a":1,"b":2}`.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn new(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    pub fn field(&mut self, key: &str, v: &dyn ToJson) -> &mut Self {
        v.write_json(self.key(key));
        self
    }

    pub fn str(&mut self, key: &str, v: &str) -> &mut Self {
        write_str(v, self.key(key));
        self
    }

    /// Start a field; its value is written next into the returned text.
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(key, self.out);
        self.out.push(':');
        self.out
    }

    /// A field left out when `None` (serde's `skip_serializing_if = "Option::is_none"`).
    pub fn some<T: ToJson>(&mut self, key: &str, v: &Option<T>) -> &mut Self {
        if let Some(v) = v {
            self.field(key, v);
        }
        self
    }

    pub fn end(&mut self) {
        self.out.push('}');
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        write(self, out)
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(self, out)
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(self, out)
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" })
    }
}

impl ToJson for u64 {
    fn write_json(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl ToJson for u32 {
    fn write_json(&self, out: &mut String) {
        u64::from(*self).write_json(out)
    }
}

impl ToJson for usize {
    fn write_json(&self, out: &mut String) {
        (*self as u64).write_json(out)
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => out.push_str("null"),
        }
    }
}

/// `[a,b,...]`: a plain loop, cheaper in code per element type than a dynamic iterator.
impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out)
    }
}

/// A pair as a two-element array, as serde writes tuples.
impl<A: ToJson, B: ToJson> ToJson for (A, B) {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        self.0.write_json(out);
        out.push(',');
        self.1.write_json(out);
        out.push(']');
    }
}

impl ToJson for Named<Value> {
    fn write_json(&self, out: &mut String) {
        write_entries(&mut self.iter(), out)
    }
}

impl ToJson for Map<String, Value> {
    fn write_json(&self, out: &mut String) {
        write_entries(&mut self.iter(), out)
    }
}

fn write_entries<'v>(entries: &mut dyn Iterator<Item = (&'v String, &'v Value)>, out: &mut String) {
    let mut o = Obj::new(out);
    for (k, v) in entries {
        o.field(k, v);
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse(src).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_kind() {
        let v =
            parse(" {\"a\": [1, -2, 3.5, -0, 1e2, true, false, null], \"b\": \"x\\u00e9\\ud83d\\ude00\\n\"} ").unwrap();
        assert_eq!(v["a"][0].as_u64(), Some(1));
        assert_eq!(v["a"][1].as_i64(), Some(-2));
        assert_eq!(v["a"][2].as_f64(), Some(3.5));
        assert!(v["a"][3].is_f64());
        assert_eq!(v["a"][4].as_f64(), Some(100.0));
        assert_eq!(v["b"], "xé😀\n");
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(err("not json"), "expected ident at line 1 column 2");
        assert_eq!(err("{\n  \"a\": 1,\n  \"b\" 2}"), "expected `:` at line 3 column 7");
        assert_eq!(err("{\"a\": 1 \"b\"}"), "expected `,` or `}` at line 1 column 9");
        assert_eq!(err("[1, 2"), "EOF while parsing a list at line 1 column 5");
        assert_eq!(err(""), "EOF while parsing a value at line 1 column 0");
        assert_eq!(err("[1,]"), "trailing comma at line 1 column 4");
        assert_eq!(err("1 2"), "trailing characters at line 1 column 3");
        assert_eq!(err("01"), "invalid number at line 1 column 2");
        assert_eq!(err("1e999"), "number out of range at line 1 column 5");
        assert_eq!(err("\"\\x\""), "invalid escape at line 1 column 3");
        assert_eq!(err("\"\\ud800\""), "unexpected end of hex escape at line 1 column 8");
        assert_eq!(
            err("\"a\u{1}\""),
            "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3"
        );
        assert_eq!(err("{1:2}"), "key must be a string at line 1 column 2");
    }

    #[test]
    fn depth_is_limited_like_serde_json() {
        let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep).unwrap_err().message, "recursion limit exceeded");
        assert_eq!(nesting(&parse(&ok).unwrap()), MAX_NESTING);
        let deeper = format!("[{ok}]");
        assert!(parse(&deeper).is_err());
        assert_eq!(nesting(&parse_limited(&deeper, MAX_DEPTH + 1).unwrap()), MAX_NESTING + 1);
    }

    #[test]
    fn nesting_counts_levels_of_containers() {
        for (src, levels) in
            [("1", 0), ("[]", 1), ("{}", 1), ("[1, [2], {\"a\": [[]]}]", 4), ("{\"a\": {\"b\": null}}", 2)]
        {
            assert_eq!(nesting(&parse(src).unwrap()), levels, "{src}");
        }
    }

    #[test]
    fn member_len_is_what_to_string_writes() {
        let v = parse(r#"{"a\"é": [1.5, "x\n", null], "b": {}}"#).unwrap();
        let mut buf = String::new();
        let members: usize = v.as_object().unwrap().iter().map(|(k, v)| member_len(k, v, &mut buf)).sum();
        assert_eq!(to_string(&v).len(), 2 + members + 1);
    }

    #[test]
    fn duplicate_keys_keep_place_and_last_value() {
        let v = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(to_string(&v), r#"{"a":3,"b":2}"#);
    }

    /// The same JSON literal as our `Value` and as serde_json's, to compare texts.
    macro_rules! both {
        ($($t:tt)*) => {
            (crate::json!($($t)*), serde_json::json!($($t)*))
        };
    }

    #[test]
    fn writes_like_serde_json() {
        let (ours, theirs) = both!({ "s": "q\"b\\/\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}é😀", "f": [0.1, -0.0, 1e300, 5e-324, 1.0],
            "i": [u64::MAX, i64::MIN], "e": {}, "l": [] });
        assert_eq!(to_string(&ours), serde_json::to_string(&theirs).unwrap());
    }

    #[test]
    fn large_objects_resolve_duplicates_like_serde_json() {
        // Above `value::SMALL` members, duplicates are found by sorting: same result as inserting one by one.
        let mut g = crate::util::TestRng(11);
        for n in [0, 5, 16, 17, 40, 300] {
            let mut src = String::from("{");
            for i in 0..n {
                if i > 0 {
                    src.push(',');
                }
                let _ = write!(src, "\"k{}\":{i}", g.next() % (n as u64 / 2 + 1));
            }
            src.push('}');
            let theirs = serde_json::from_str::<serde_json::Value>(&src).unwrap();
            assert_eq!(to_string(&parse(&src).unwrap()), serde_json::to_string(&theirs).unwrap(), "{src}");
        }
    }

    /// A small deterministic generator of JSON-ish text: valid documents, and mutations of them.
    struct Gen(crate::util::TestRng);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0.next()
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }

        fn doc(&mut self, depth: u32, out: &mut String) {
            let ws = [" ", "", "\n", "\t", "\r\n"];
            out.push_str(self.pick(&ws));
            match self.next() % if depth > 4 { 4 } else { 6 } {
                0 => out.push_str(self.pick(&["null", "true", "false", "nul", "tru"])),
                1 => {
                    let n = self.pick(&[
                        "0",
                        "-0",
                        "1",
                        "-1",
                        "12345678901234567890",
                        "18446744073709551615",
                        "18446744073709551616",
                        "-9223372036854775808",
                        "-9223372036854775809",
                        "0.1",
                        "1e-7",
                        "1E+2",
                        "2.5e-3",
                        "-1.5e10",
                        "1e400",
                        "-1e-400",
                        "01",
                        "1.",
                        ".5",
                        "-",
                        "1e",
                        "123456789012345678901234567890",
                        "0.30000000000000004",
                        "4.9e-324",
                        "1.7976931348623157e308",
                        "9007199254740993",
                    ]);
                    out.push_str(n);
                    if self.next() % 3 == 0 {
                        let _ = write!(out, "{}", self.next() % 100_000);
                    }
                }
                2 => {
                    out.push('"');
                    for _ in 0..self.next() % 6 {
                        out.push_str(self.pick(&[
                            "a",
                            "é",
                            "😀",
                            "\\n",
                            "\\\"",
                            "\\\\",
                            "\\/",
                            "\\u0041",
                            "\\u00e9",
                            "\\ud83d\\ude00",
                            "\\ud800",
                            "\\udc00",
                            "\\x",
                            "\u{1}",
                            "\\u12",
                            " ",
                            "\\t",
                            "\\b",
                            "\\f",
                            "\\r",
                            "\u{7f}",
                        ]));
                    }
                    out.push('"');
                }
                3 => out.push_str(self.pick(&["\"\"", "\"k\"", "[]", "{}", "\"\\u0000\""])),
                4 => {
                    out.push('[');
                    let n = self.next() % 4;
                    for i in 0..n {
                        if i > 0 {
                            out.push_str(self.pick(&[",", ",", ",", ", ", ""]));
                        }
                        self.doc(depth + 1, out);
                    }
                    out.push_str(self.pick(&["]", "]", "]", ",]", ""]));
                }
                _ => {
                    out.push('{');
                    let n = self.next() % 4;
                    for i in 0..n {
                        if i > 0 {
                            out.push_str(self.pick(&[",", ",", ",", ""]));
                        }
                        out.push_str(self.pick(&["\"a\"", "\"b\"", "\"a\"", "\"c\\n\"", "d", "1"]));
                        out.push_str(self.pick(&[":", ":", " : ", ""]));
                        self.doc(depth + 1, out);
                    }
                    out.push_str(self.pick(&["}", "}", "}", ",}", ""]));
                }
            }
            out.push_str(self.pick(&ws));
        }
    }

    #[test]
    fn agrees_with_serde_json_on_generated_inputs() {
        let mut g = Gen(crate::util::TestRng(0x2545_F491_4F6C_DD1D));
        let (mut ok, mut bad) = (0, 0);
        for _ in 0..50_000 {
            let mut src = String::new();
            g.doc(0, &mut src);
            if g.next() % 8 == 0 {
                // Cut it short somewhere (on a character boundary).
                let mut cut = (g.next() as usize) % (src.len() + 1);
                while !src.is_char_boundary(cut) {
                    cut -= 1;
                }
                src.truncate(cut);
            }
            let theirs = serde_json::from_str::<serde_json::Value>(&src);
            match (parse(&src), theirs) {
                (Ok(a), Ok(b)) => {
                    // The texts agree: same values, number kinds, key order and duplicate handling.
                    assert_eq!(to_string(&a), serde_json::to_string(&b).unwrap(), "{src:?}");
                    assert_eq!(parse(&to_string(&a)).unwrap(), a, "round trip of {src:?}");
                    ok += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.message, b.to_string().split(" at line").next().unwrap(), "{src:?}");
                    assert_eq!((a.line, a.column), (b.line(), b.column()), "{src:?}");
                    bad += 1;
                }
                (a, b) => panic!("{src:?}: ours {a:?}, serde_json {b:?}"),
            }
        }
        assert!(ok > 10_000 && bad > 10_000, "{ok} valid, {bad} invalid");
    }

    #[test]
    fn float_text_round_trips_exactly() {
        let mut g = Gen(crate::util::TestRng(7));
        for _ in 0..20_000 {
            let f = f64::from_bits(g.next());
            let Some(n) = Number::from_f64(f) else { continue };
            let v = Value::Number(n);
            let text = to_string(&v);
            assert_eq!(text, serde_json::Number::from_f64(f).unwrap().to_string());
            assert_eq!(parse(&text).unwrap(), v, "{text}");
        }
    }
}
