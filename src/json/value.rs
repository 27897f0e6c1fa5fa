//! The engine's JSON data type: [`Value`], [`Number`] and [`Map`], with the part of serde_json's API the project
//! uses and the same meaning (the engine used serde_json's `Value` with `preserve_order` before).
//!
//! Why our own: serde_json's `Map` with `preserve_order` is an `IndexMap`, which brought hashbrown, SipHash and
//! the map code into the wasm module, plus heavier drop and clone glue. An object here is a plain `Vec` of
//! `(key, value)` pairs in insertion order, searched linearly: the objects the engine reads by key are small (a
//! request, a trace, one step of an agent). Parsing a large object stays linear-ish: see [`Map::from_pairs`].
//!
//! Semantics kept from serde_json (tests compare JSON text): numbers keep `u64`, negative `i64` and finite `f64`
//! apart (`1` is not `1.0`); objects keep insertion order, `insert` replaces in place, `remove` is IndexMap's
//! `swap_remove` (the last entry takes the removed one's place), and object equality ignores order.

use std::fmt;
use std::ops;

use crate::json;

/// Any JSON value.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map<String, Value>),
}

/// A JSON number: an unsigned integer, a negative integer or a finite float, kept apart as serde_json does.
#[derive(Clone, Copy)]
pub struct Number(N);

#[derive(Clone, Copy)]
enum N {
    PosInt(u64),
    /// Always below zero.
    NegInt(i64),
    /// Always finite.
    Float(f64),
}

impl Number {
    /// A float as a number; `None` for NaN and the infinities, which JSON cannot hold.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_finite() {
            Some(Number(N::Float(f)))
        } else {
            None
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        Some(match self.0 {
            N::PosInt(n) => n as f64,
            N::NegInt(n) => n as f64,
            N::Float(f) => f,
        })
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            N::PosInt(n) => i64::try_from(n).ok(),
            N::NegInt(n) => Some(n),
            N::Float(_) => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            N::PosInt(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_i64(&self) -> bool {
        self.as_i64().is_some()
    }

    pub fn is_u64(&self) -> bool {
        matches!(self.0, N::PosInt(_))
    }

    pub fn is_f64(&self) -> bool {
        matches!(self.0, N::Float(_))
    }
}

/// Integers equal integers, floats equal floats (`0.0 == -0.0`); `1` and `1.0` differ.
impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self.0, other.0) {
            (N::PosInt(a), N::PosInt(b)) => a == b,
            (N::NegInt(a), N::NegInt(b)) => a == b,
            (N::Float(a), N::Float(b)) => a == b,
            _ => false,
        }
    }
}

// Floats are never NaN.
impl Eq for Number {}

/// As serde_json prints numbers: integers in full, floats in the shortest form that reads back exactly.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            N::PosInt(n) => fmt::Display::fmt(&n, f),
            N::NegInt(n) => fmt::Display::fmt(&n, f),
            // serde_json's own float printer, so the text stays byte-identical.
            N::Float(x) => f.write_str(zmij::Buffer::new().format_finite(x)),
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

macro_rules! number_from {
    (unsigned $($t:ty)*) => {$(
        impl From<$t> for Number {
            fn from(n: $t) -> Number {
                Number::unsigned(n as u64)
            }
        }
    )*};
    (signed $($t:ty)*) => {$(
        impl From<$t> for Number {
            fn from(n: $t) -> Number {
                Number::signed(n as i64)
            }
        }
    )*};
}

impl Number {
    fn unsigned(n: u64) -> Number {
        Number(N::PosInt(n))
    }

    fn signed(n: i64) -> Number {
        Number(if n < 0 { N::NegInt(n) } else { N::PosInt(n as u64) })
    }
}

number_from!(unsigned u8 u16 u32 u64 usize);
number_from!(signed i8 i16 i32 i64 isize);

/// A JSON object: `(key, value)` pairs in insertion order, no key twice. Generic only so that the familiar
/// spelling `Map<String, Value>` reads as before; its methods exist for that one instantiation.
#[derive(Clone)]
pub struct Map<K = String, V = Value>(Vec<(K, V)>);

impl Default for Map {
    fn default() -> Map {
        Map::new()
    }
}

/// The iterator of [`Map::iter`]: the same type as `agent::NamedIter<Value>`, so one instantiation serves both.
pub type Iter<'a> =
    std::iter::Map<std::slice::Iter<'a, (String, Value)>, fn(&'a (String, Value)) -> (&'a String, &'a Value)>;

/// Objects up to this size are checked for duplicate keys by comparing each key with those before it when parsed;
/// larger ones by sorting, so a big object stays O(n log n).
const SMALL: usize = 16;

impl Map {
    /// Not inlined, as `Named::new`: a call is less code than building the empty list in place.
    #[inline(never)]
    pub fn new() -> Map {
        Map(Vec::new())
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.0.iter().position(|(k, _)| k == key)
    }

    // One search loop for every lookup.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let i = self.find(key)?;
        self.0.get(i).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.find(key)?;
        self.0.get_mut(i).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// Add `key` at the end, or replace its value in place; returns the value replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.get_mut(&key) {
            Some(old) => Some(std::mem::replace(old, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Take `key` out, as serde_json's `remove` with `preserve_order` (IndexMap's `swap_remove`): the last entry
    /// moves into its place.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.find(key)?;
        Some(self.0.swap_remove(i).1)
    }

    /// The value of `key`, to fill in if missing.
    pub fn entry<S: Into<String>>(&mut self, key: S) -> Entry<'_> {
        Entry { map: self, key: key.into() }
    }

    /// Keep the entries `keep` says yes to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> Iter<'_> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Value)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// An object from pairs as read from JSON text: a duplicate key keeps its first place and its last value
    /// (what inserting them one by one gives). A small object without duplicates is kept as read; large objects,
    /// and the rare small one with a duplicate, find duplicates by sorting, not by a search per key.
    pub(crate) fn from_pairs(mut pairs: Vec<(String, Value)>) -> Map {
        if pairs.len() <= SMALL && !has_duplicate(&pairs) {
            return Map(pairs);
        }
        // Positions by (key, position): equal keys end up next to each other, earliest first.
        let mut order: Vec<u32> = (0..pairs.len() as u32).collect();
        crate::util::sort_by(&mut order, &|a, b| {
            let (ka, kb) = (&pairs[a as usize].0, &pairs[b as usize].0);
            ka < kb || (ka == kb && a < b)
        });
        // Each later duplicate hands its value to the first of its group and is dropped.
        let mut dropped: Vec<bool> = Vec::new();
        let mut first = order.first().map_or(0, |&i| i as usize);
        for &cur in order.iter().skip(1) {
            let cur = cur as usize;
            if pairs[first].0 != pairs[cur].0 {
                first = cur;
                continue;
            }
            if dropped.is_empty() {
                dropped = vec![false; pairs.len()];
            }
            pairs[first].1 = std::mem::take(&mut pairs[cur].1);
            dropped[cur] = true;
        }
        if !dropped.is_empty() {
            let mut i = 0;
            pairs.retain(|_| {
                i += 1;
                !dropped[i - 1]
            });
        }
        Map(pairs)
    }
}

/// Whether two of `pairs` have the same key, by comparing each key with those before it.
fn has_duplicate(pairs: &[(String, Value)]) -> bool {
    for (i, (key, _)) in pairs.iter().enumerate() {
        if pairs.iter().take(i).any(|(k, _)| k == key) {
            return true;
        }
    }
    false
}

/// A key of a [`Map`], present or not (only `or_insert` is needed).
pub struct Entry<'a> {
    map: &'a mut Map,
    key: String,
}

impl<'a> Entry<'a> {
    pub fn or_insert(self, default: Value) -> &'a mut Value {
        let i = match self.map.find(&self.key) {
            Some(i) => i,
            None => {
                self.map.0.push((self.key, default));
                self.map.0.len() - 1
            }
        };
        &mut self.map.0[i].1
    }
}

/// Same keys with equal values, in any order (as IndexMap compares).
impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for Map {}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(items: I) -> Map {
        let mut m = Map::new();
        m.extend(items);
        m
    }
}

/// JSON text, as serde_json's `Display` (compact).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&json::to_string(self))
    }
}

/// JSON text too: shorter to read in a failed assertion than the enum's structure, and one printer.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&json::to_string(self))
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number()?.as_f64()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_number()?.as_u64()
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    pub fn is_i64(&self) -> bool {
        self.as_number().is_some_and(Number::is_i64)
    }

    pub fn is_u64(&self) -> bool {
        self.as_number().is_some_and(Number::is_u64)
    }

    pub fn is_f64(&self) -> bool {
        self.as_number().is_some_and(Number::is_f64)
    }

    /// The value, leaving null in its place.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }

    /// An object's member or an array's item; `None` for anything else.
    pub fn get<I: ValueIndex>(&self, index: I) -> Option<&Value> {
        index.index_into(self)
    }

    pub fn get_mut<I: ValueIndex>(&mut self, index: I) -> Option<&mut Value> {
        index.index_into_mut(self)
    }

    /// The value at an RFC 6901 JSON pointer (`/a/0/b`, `~1` for `/`, `~0` for `~`); `""` is the value itself.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut target = self;
        for raw in pointer.strip_prefix('/')?.split('/') {
            let mut unescaped = String::new();
            let token = if raw.contains('~') {
                // `~1` is `/`, then `~0` is `~` (RFC 6901), in one pass: a plain loop instead of two
                // `str::replace` calls, which link core's substring searcher. A `~` before anything else stays.
                let mut chars = raw.chars().peekable();
                while let Some(c) = chars.next() {
                    let next = chars.peek().copied();
                    if c == '~' && matches!(next, Some('0' | '1')) {
                        unescaped.push(if next == Some('1') { '/' } else { '~' });
                        chars.next();
                    } else {
                        unescaped.push(c);
                    }
                }
                unescaped.as_str()
            } else {
                raw
            };
            target = match target {
                Value::Object(m) => m.get(token)?,
                Value::Array(items) => items.get(array_index(token)?)?,
                _ => return None,
            };
        }
        Some(target)
    }
}

/// A pointer's array index: decimal digits, no sign, no leading zero (as serde_json reads them).
fn array_index(s: &str) -> Option<usize> {
    if s.len() > 1 && s.starts_with('0') || s.is_empty() {
        return None;
    }
    let mut n: usize = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(b - b'0'))?;
    }
    Some(n)
}

/// What indexes a [`Value`]: a key (`str`, `String`) for objects, a position (`usize`) for arrays.
pub trait ValueIndex {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value>;
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value>;
    /// For `v[i] = ..`: a missing key is added (null becomes an object first); panics like serde_json otherwise.
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value;
}

impl ValueIndex for usize {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_array()?.get(*self)
    }

    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_array_mut()?.get_mut(*self)
    }

    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        match v {
            Value::Array(items) => {
                let len = items.len();
                items
                    .get_mut(*self)
                    .unwrap_or_else(|| panic!("cannot access index {self} of JSON array of length {len}"))
            }
            _ => panic!("cannot access index {self} of JSON {}", v.kind()),
        }
    }
}

impl ValueIndex for str {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_object()?.get(self)
    }

    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_object_mut()?.get_mut(self)
    }

    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        if v.is_null() {
            *v = Value::Object(Map::new());
        }
        match v {
            Value::Object(m) => m.entry(self).or_insert(Value::Null),
            _ => panic!("cannot access key {self:?} in JSON {}", v.kind()),
        }
    }
}

impl ValueIndex for String {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        self.as_str().index_into(v)
    }

    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        self.as_str().index_into_mut(v)
    }

    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        self.as_str().index_or_insert(v)
    }
}

impl<T: ValueIndex + ?Sized> ValueIndex for &T {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        (**self).index_into(v)
    }

    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(v)
    }

    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        (**self).index_or_insert(v)
    }
}

impl Value {
    /// The JSON type's name, for error messages ("invalid type: string, expected ...").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

static NULL: Value = Value::Null;

/// `v["key"]`, `v[0]`: null when missing or not a container, as serde_json.
impl<I: ValueIndex> ops::Index<I> for Value {
    type Output = Value;
    fn index(&self, index: I) -> &Value {
        index.index_into(self).unwrap_or(&NULL)
    }
}

impl<I: ValueIndex> ops::IndexMut<I> for Value {
    fn index_mut(&mut self, index: I) -> &mut Value {
        index.index_or_insert(self)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

/// A float; NaN and the infinities become null, as serde_json converts them.
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

impl From<f32> for Value {
    fn from(f: f32) -> Value {
        Value::from(f64::from(f))
    }
}

macro_rules! value_from_int {
    ($via:ident as $wide:ty: $($t:ty)*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::$via(n as $wide)
            }
        }
    )*};
}

value_from_int!(unsigned as u64: u8 u16 u32 u64 usize);
value_from_int!(signed as i64: i8 i16 i32 i64 isize);

// Out of line: one copy of each, not one at every conversion.
impl Value {
    #[inline(never)]
    fn unsigned(n: u64) -> Value {
        Value::Number(Number::unsigned(n))
    }

    #[inline(never)]
    fn signed(n: i64) -> Value {
        Value::Number(Number::signed(n))
    }
}

// Comparisons with plain Rust values, both ways round, as serde_json has them (mostly for tests).
macro_rules! value_eq {
    ($($t:ty => $conv:ident as $as:ty),* $(,)?) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, other: &$t) -> bool {
                self.$conv().is_some_and(|x| x == *other as $as)
            }
        }
        impl PartialEq<Value> for $t {
            fn eq(&self, other: &Value) -> bool {
                other == self
            }
        }
    )*};
}

value_eq!(
    u8 => as_u64 as u64, u16 => as_u64 as u64, u32 => as_u64 as u64, u64 => as_u64 as u64, usize => as_u64 as u64,
    i8 => as_i64 as i64, i16 => as_i64 as i64, i32 => as_i64 as i64, i64 => as_i64 as i64, isize => as_i64 as i64,
    f32 => as_f64 as f64, f64 => as_f64 as f64, bool => as_bool as bool,
);

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<String> for Value {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl PartialEq<Value> for str {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}

impl PartialEq<Value> for &str {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}

impl PartialEq<Value> for String {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}

/// What [`json!`](crate::json) turns an embedded expression into: the expression is borrowed, not moved (as
/// serde_json's macro serialises it by reference).
pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl ToValue for Map {
    fn to_value(&self) -> Value {
        Value::Object(self.clone())
    }
}

impl ToValue for Number {
    fn to_value(&self) -> Value {
        Value::Number(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::from(self)
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::from(self.as_str())
    }
}

impl ToValue for () {
    fn to_value(&self) -> Value {
        Value::Null
    }
}

macro_rules! to_value_copy {
    ($($t:ty)*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::from(*self)
            }
        }
    )*};
}

to_value_copy!(bool f32 f64 u8 u16 u32 u64 usize i8 i16 i32 i64 isize);

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }
}

impl<T: ToValue> ToValue for [T] {
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(T::to_value).collect())
    }
}

impl<T: ToValue, const N: usize> ToValue for [T; N] {
    fn to_value(&self) -> Value {
        self.as_slice().to_value()
    }
}

impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Value {
        self.as_slice().to_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for &mut T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

/// A [`Value`] written as JSON in Rust: `json!({ "a": [1, null, x], "b": { "c": true } })`. Keys are string
/// literals; any other value is a Rust expression, borrowed and converted by [`ToValue`].
#[macro_export]
macro_rules! json {
    // Array items, one at a time, gathered as expressions in `[..]`, then one `vec!`.
    (@array [$($done:expr,)*]) => {
        ::std::vec![$($done,)*]
    };
    (@array [$($done:expr,)*] null $(, $($rest:tt)*)?) => {
        $crate::json!(@array [$($done,)* $crate::json::Value::Null,] $($($rest)*)?)
    };
    (@array [$($done:expr,)*] [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $crate::json!(@array [$($done,)* $crate::json!([$($inner)*]),] $($($rest)*)?)
    };
    (@array [$($done:expr,)*] {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $crate::json!(@array [$($done,)* $crate::json!({$($inner)*}),] $($($rest)*)?)
    };
    (@array [$($done:expr,)*] $e:expr $(, $($rest:tt)*)?) => {
        $crate::json!(@array [$($done,)* $crate::json!($e),] $($($rest)*)?)
    };
    // Object members, one at a time, into the map `$m`.
    (@object $m:ident) => {};
    (@object $m:ident $k:literal : null $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json::Value::Null);
        $crate::json!(@object $m $($($rest)*)?);
    };
    (@object $m:ident $k:literal : [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json!([$($inner)*]));
        $crate::json!(@object $m $($($rest)*)?);
    };
    (@object $m:ident $k:literal : {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json!({$($inner)*}));
        $crate::json!(@object $m $($($rest)*)?);
    };
    (@object $m:ident $k:literal : $e:expr $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::json!($e));
        $crate::json!(@object $m $($($rest)*)?);
    };
    (null) => {
        $crate::json::Value::Null
    };
    ([$($items:tt)*]) => {
        $crate::json::Value::Array($crate::json!(@array [] $($items)*))
    };
    ({$($members:tt)*}) => {{
        #[allow(unused_mut)]
        let mut members = $crate::json::Map::new();
        $crate::json!(@object members $($members)*);
        $crate::json::Value::Object(members)
    }};
    ($e:expr) => {
        $crate::json::ToValue::to_value(&$e)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, to_string};

    fn obj(text: &str) -> Map {
        match parse(text).unwrap() {
            Value::Object(m) => m,
            v => panic!("not an object: {v}"),
        }
    }

    #[test]
    fn map_keeps_insertion_order_and_replaces_in_place() {
        let mut m = Map::new();
        assert_eq!(m.insert("b".into(), json!(1)), None);
        assert_eq!(m.insert("a".into(), json!(2)), None);
        assert_eq!(m.insert("b".into(), json!(3)), Some(json!(1)));
        assert_eq!(to_string(&m), r#"{"b":3,"a":2}"#);
        assert_eq!(m.len(), 2);
        assert!(m.contains_key("a") && !m.contains_key("c"));
        assert_eq!(m.get("a"), Some(&json!(2)));
        *m.get_mut("a").unwrap() = json!("x");
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(m.values().cloned().collect::<Vec<_>>(), [json!(3), json!("x")]);
        *m.entry("c").or_insert(json!(0)) = json!(4);
        *m.entry("b").or_insert(json!(0)) = json!(5);
        assert_eq!(to_string(&m), r#"{"b":5,"a":"x","c":4}"#);
    }

    #[test]
    fn remove_is_swap_remove_like_serde_json() {
        let mut m = obj(r#"{"a":1,"b":2,"c":3,"d":4}"#);
        assert_eq!(m.remove("b"), Some(json!(2)));
        assert_eq!(m.remove("zz"), None);
        assert_eq!(to_string(&m), r#"{"a":1,"d":4,"c":3}"#);
        let mut theirs: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"a":1,"b":2,"c":3,"d":4}"#).unwrap();
        theirs.remove("b");
        assert_eq!(to_string(&m), serde_json::to_string(&theirs).unwrap());
        m.retain(|k, v| {
            *v = json!(k.len());
            k != "d"
        });
        assert_eq!(to_string(&m), r#"{"a":1,"c":1}"#);
    }

    /// Random sequences of insert, remove, entry, retain and lookups on our `Map` and on serde_json's with
    /// `preserve_order` (an `IndexMap`): the same answers and the same JSON text after every step.
    #[test]
    fn map_operations_agree_with_serde_json() {
        let mut rng = crate::util::TestRng(0x0005_EED0_F0AB_1EC7);
        for _ in 0..200 {
            let (mut ours, mut theirs) = (Map::new(), serde_json::Map::new());
            for step in 0..60 {
                let key = format!("k{}", rng.below(12));
                let n = rng.below(100);
                match rng.below(6) {
                    0 | 1 => {
                        let (a, b) = (ours.insert(key.clone(), json!(n)), theirs.insert(key, serde_json::json!(n)));
                        assert_eq!(a.map(|v| v.to_string()), b.map(|v| v.to_string()));
                    }
                    2 => {
                        let (a, b) = (ours.remove(&key), theirs.remove(&key));
                        assert_eq!(a.map(|v| v.to_string()), b.map(|v| v.to_string()));
                    }
                    3 => {
                        *ours.entry(key.clone()).or_insert(json!(n)) = json!(step);
                        *theirs.entry(key).or_insert(serde_json::json!(n)) = serde_json::json!(step);
                    }
                    4 => {
                        let cut = format!("k{}", rng.below(12));
                        ours.retain(|k, _| *k < cut);
                        theirs.retain(|k, _| *k < cut);
                    }
                    _ => {
                        assert_eq!(ours.get(&key).map(ToString::to_string), theirs.get(&key).map(ToString::to_string));
                        assert_eq!(ours.contains_key(&key), theirs.contains_key(&key));
                    }
                }
                assert_eq!(to_string(&ours), serde_json::to_string(&theirs).unwrap());
                assert_eq!(ours.len(), theirs.len());
            }
        }
    }

    #[test]
    fn duplicate_keys_keep_first_place_and_last_value() {
        assert_eq!(to_string(&parse(r#"{"a":1,"b":2,"a":3,"a":4}"#).unwrap()), r#"{"a":4,"b":2}"#);
        // The sorting path: more members than `SMALL`.
        let mut src = String::from("{");
        for i in 0..40 {
            src.push_str(&format!("\"k{}\":{i},", i % 7));
        }
        src.push_str("\"z\":0}");
        let m = obj(&src);
        assert_eq!(m.len(), 8);
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "z"]);
        assert_eq!(m.get("k0"), Some(&json!(35)));
        assert_eq!(m.get("k6"), Some(&json!(34)));
        // No duplicates: untouched.
        let big: Vec<String> = (0..50).map(|i| format!("\"{}\":{i}", 49 - i)).collect();
        let m = obj(&format!("{{{}}}", big.join(",")));
        assert_eq!(m.len(), 50);
        assert_eq!(m.iter().next(), Some((&"49".to_string(), &json!(0))));
    }

    #[test]
    fn object_equality_ignores_order() {
        assert_eq!(parse(r#"{"a":1,"b":[2]}"#).unwrap(), parse(r#"{"b":[2],"a":1}"#).unwrap());
        assert_ne!(parse(r#"{"a":1,"b":2}"#).unwrap(), parse(r#"{"a":1,"c":2}"#).unwrap());
        assert_ne!(parse(r#"{"a":1}"#).unwrap(), parse(r#"{"a":1,"b":2}"#).unwrap());
        assert_ne!(parse("[1,2]").unwrap(), parse("[2,1]").unwrap());
    }

    #[test]
    fn numbers_keep_their_kind() {
        assert_ne!(json!(1), json!(1.0));
        assert_eq!(json!(0.0), json!(-0.0));
        assert_eq!(json!(-3), Value::Number(Number::from(-3i64)));
        assert!(Number::from_f64(f64::NAN).is_none() && Number::from_f64(f64::INFINITY).is_none());
        assert_eq!(Value::from(f64::NAN), Value::Null);
        let (u, i, f) = (Number::from(u64::MAX), Number::from(-5i32), Number::from_f64(2.5).unwrap());
        assert_eq!(
            (u.as_u64(), u.as_i64(), u.is_u64(), u.is_i64(), u.is_f64()),
            (Some(u64::MAX), None, true, false, false)
        );
        assert_eq!((i.as_u64(), i.as_i64(), i.as_f64(), i.is_i64()), (None, Some(-5), Some(-5.0), true));
        assert_eq!((f.as_u64(), f.as_i64(), f.as_f64(), f.is_f64()), (None, None, Some(2.5), true));
        assert!(Number::from(7u8).is_i64());
        for (n, text) in [(u, "18446744073709551615"), (i, "-5"), (f, "2.5"), (Number::from_f64(1.0).unwrap(), "1.0")] {
            assert_eq!(n.to_string(), text);
        }
        assert_eq!(
            Number::from_f64(1e300).unwrap().to_string(),
            serde_json::Number::from_f64(1e300).unwrap().to_string()
        );
    }

    #[test]
    fn compares_with_plain_values() {
        let v = json!({ "s": "x", "n": 3, "f": 1.5, "b": true, "neg": -2 });
        let owned = String::from("x");
        assert_eq!(v["s"], "x");
        assert_eq!(v["s"], *"x");
        assert_eq!(v["s"], owned);
        assert_eq!("x", v["s"]);
        assert_eq!(owned, v["s"]);
        assert!(v["n"] == 3 && v["n"] == 3u64 && v["n"] == 3usize && v["n"] != 4);
        assert!(v["f"] == 1.5 && v["b"] == true && v["neg"] == -2 && v["neg"] != 2u64);
        assert!(v["missing"].is_null() && v["s"]["x"].is_null() && v[0].is_null());
        assert!(v["s"] != 3 && v["n"] != "3");
    }

    #[test]
    fn json_macro_forms() {
        let name = String::from("n");
        let list = vec![1, 2];
        let opt: Option<&str> = None;
        let v = json!({
            "null": null,
            "t": true,
            "f": false,
            "s": "lit",
            "owned": name,
            "expr": 1 + 2,
            "call": name.len(),
            "list": list,
            "opt": opt,
            "arr": [null, 1, "a", [], {}, [ {"x": -1.5} ], name.as_str(),],
            "nested": { "a": { "b": [true,], }, },
        });
        // `name` and `list` were borrowed, not moved.
        assert_eq!((name.as_str(), list.len()), ("n", 2));
        assert_eq!(
            to_string(&v),
            r#"{"null":null,"t":true,"f":false,"s":"lit","owned":"n","expr":3,"call":1,"list":[1,2],"opt":null,"arr":[null,1,"a",[],{},[{"x":-1.5}],"n"],"nested":{"a":{"b":[true]}}}"#
        );
        assert_eq!(json!(null), Value::Null);
        assert_eq!(json!([]), Value::Array(vec![]));
        assert_eq!(json!({}), Value::Object(Map::new()));
        assert_eq!(json!(v["nested"]["a"]), json!({ "b": [true] }));
    }

    #[test]
    fn pointer_reads_like_serde_json() {
        let v = json!({ "a": [10, { "b/c": 1, "d~e": 2, "": 3 }], "01": 4 });
        assert_eq!(v.pointer(""), Some(&v));
        assert_eq!(v.pointer("/a/0"), Some(&json!(10)));
        assert_eq!(v.pointer("/a/1/b~1c"), Some(&json!(1)));
        assert_eq!(v.pointer("/a/1/d~0e"), Some(&json!(2)));
        assert_eq!(v.pointer("/a/1/"), Some(&json!(3)));
        assert_eq!(v.pointer("/01"), Some(&json!(4)));
        // Escapes decode left to right, `~1` before `~0` as two `replace` calls would: `~01` is `~1`, `~~1` is
        // `~/`, and a `~` before anything else stays; multi-byte keys pass through.
        let w = json!({ "~1": 1, "~/": 2, "~x": 3, "é~": 4, "/✓": 5 });
        for (p, want) in [("/~01", 1), ("/~0~1", 2), ("/~~1", 2), ("/~x", 3), ("/é~", 4), ("/é~0", 4), ("/~1✓", 5)]
        {
            assert_eq!(w.pointer(p), Some(&json!(want)), "{p}");
        }
        for missing in ["a", "/a/01", "/a/+0", "/a/2", "/a/-1", "/x", "/a/0/y", "/a/", "/a/99999999999999999999999"] {
            assert_eq!(v.pointer(missing), None, "{missing}");
        }
    }

    #[test]
    fn index_mut_and_take() {
        let mut v = Value::Null;
        v["a"]["b"] = json!(1);
        v["a"]["c"] = json!([0, 0]);
        v["a"]["c"][1] = json!("x");
        assert_eq!(to_string(&v), r#"{"a":{"b":1,"c":[0,"x"]}}"#);
        assert_eq!(v["a"]["b"].take(), json!(1));
        assert_eq!(v.get("a").and_then(|a| a.get("b")), Some(&Value::Null));
        assert_eq!(v.get("a").and_then(|a| a.get("c")).and_then(|c| c.get(1)), Some(&json!("x")));
        assert_eq!(format!("{v}"), r#"{"a":{"b":null,"c":[0,"x"]}}"#);
        assert_eq!(format!("{v:?}"), format!("{v}"));
    }
}
