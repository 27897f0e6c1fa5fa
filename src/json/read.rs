//! Reading plain data out of a parsed [`Value`], with the path of every problem: the one reader behind agent
//! files (`engine/decode.rs`), saved sessions (`engine/restore.rs`, `wire/transcript.rs`) and requests
//! (`wire/request.rs`).
//!
//! The convention: a reader returns `Result<T, PathError>`, where [`PathError`] is the place in the document
//! and what is wrong there (`flows.main.steps.ask: missing key 'text'`). A reader that stops at the first
//! problem (a session, a request) uses `?`; one that reports them all (an agent file) collects the errors of
//! each field into a `Vec<PathError>` and reads on. The messages are the same everywhere:
//!
//! - `expected a string, found a number`: a value of the wrong type ([`PathError::wrong`]);
//! - `missing key 'name'`, at the object that lacks it;
//! - `unknown key 'nxt' (expected one of: type, text, next)`, at the key ([`Fields::unknown_keys`]);
//! - `unknown status 'x' (expected idle, active or ended)`, at the value ([`PathError::unknown`]).
//!
//! A host reading its own configuration (such as the widget's `load()` config) reads it the same way: wrap the
//! object in [`Fields::new`] with its path (`Path::Root`, or `Path::top("assistant")`), read each field with the
//! accessors below, and turn a `PathError` into the host's error with `e.path` (the field) and `e.message`.

use std::fmt;

use super::{Map, Path, Value};

/// A problem at a place in a JSON document, such as `flows.main.steps.ask.next: unknown step 'x'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The place, as [`Path::render`] spells it; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for PathError {
    /// `path: message`, or the message alone at the document itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PathError {}

impl PathError {
    pub fn new(path: &Path, message: impl Into<String>) -> PathError {
        PathError { path: path.render(), message: message.into() }
    }

    /// `expected {expected}, found {what v is}` at `path`.
    pub fn wrong(path: &Path, expected: &str, found: &Value) -> PathError {
        PathError::new(path, format!("expected {expected}, found {}", described(found)))
    }

    /// `unknown {what} '{name}' (expected {expected})` at `path`.
    pub fn unknown(path: &Path, what: &str, name: &str, expected: &str) -> PathError {
        PathError::new(path, format!("unknown {what} '{name}' (expected {expected})"))
    }

    /// `missing key '{key}'` at `path`, the object that lacks it.
    pub fn missing(path: &Path, key: &str) -> PathError {
        PathError::new(path, format!("missing key '{key}'"))
    }
}

/// What a value is, as the messages say it.
fn described(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `v` as a string.
pub fn expect_str<'v>(v: &'v Value, path: &Path) -> Result<&'v str, PathError> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(PathError::wrong(path, "a string", v)),
    }
}

/// `v` as a whole number of 0 or more.
pub fn expect_u64(v: &Value, path: &Path) -> Result<u64, PathError> {
    v.as_u64().ok_or_else(|| PathError::wrong(path, "a whole number of 0 or more", v))
}

/// One JSON object being read: its members and where it is. Required fields are missing when absent; optional
/// ones are `None` when absent or `null`.
#[derive(Clone, Copy)]
pub struct Fields<'v, 'p> {
    pub map: &'v Map<String, Value>,
    pub path: Path<'p>,
}

impl<'v, 'p> Fields<'v, 'p> {
    /// `v`, which must be an object, at `path`.
    pub fn new(v: &'v Value, path: Path<'p>) -> Result<Fields<'v, 'p>, PathError> {
        match v {
            Value::Object(map) => Ok(Fields { map, path }),
            _ => Err(PathError::wrong(&path, "an object", v)),
        }
    }

    /// The path of the member `key`.
    pub fn at<'s>(&'s self, key: &'s str) -> Path<'s> {
        self.path.key(key)
    }

    /// Whether `key` is present (`null` counts as present).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The value under `key`, if present and not null.
    pub fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The value under `key`, which must be present (it may be null).
    pub fn require(&self, key: &str) -> Result<&'v Value, PathError> {
        self.map.get(key).ok_or_else(|| PathError::missing(&self.path, key))
    }

    /// A required string.
    pub fn str(&self, key: &str) -> Result<&'v str, PathError> {
        expect_str(self.require(key)?, &self.at(key))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'v str>, PathError> {
        self.get(key).map(|v| expect_str(v, &self.at(key))).transpose()
    }

    /// A required whole number of 0 or more.
    pub fn u64(&self, key: &str) -> Result<u64, PathError> {
        expect_u64(self.require(key)?, &self.at(key))
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, PathError> {
        self.get(key).map(|v| expect_u64(v, &self.at(key))).transpose()
    }

    /// An optional number (any JSON number, as `f64`).
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, PathError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(v) => Err(PathError::wrong(&self.at(key), "a number", v)),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, PathError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(PathError::wrong(&self.at(key), "true or false", v)),
        }
    }

    /// A required object.
    pub fn obj<'s>(&'s self, key: &'s str) -> Result<Fields<'v, 's>, PathError> {
        Fields::new(self.require(key)?, self.at(key))
    }

    pub fn opt_obj<'s>(&'s self, key: &'s str) -> Result<Option<Fields<'v, 's>>, PathError> {
        self.get(key).map(|v| Fields::new(v, self.at(key))).transpose()
    }

    /// An optional object used as a map (its entries), `None` when absent or null.
    pub fn opt_map(&self, key: &str) -> Result<Option<&'v Map<String, Value>>, PathError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(v) => Err(PathError::wrong(&self.at(key), "an object", v)),
        }
    }

    /// A required list.
    pub fn list(&self, key: &str) -> Result<&'v [Value], PathError> {
        match self.require(key)? {
            Value::Array(items) => Ok(items),
            v => Err(PathError::wrong(&self.at(key), "a list", v)),
        }
    }

    /// An optional list, empty when absent or null.
    pub fn opt_list(&self, key: &str) -> Result<&'v [Value], PathError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(v) => Err(PathError::wrong(&self.at(key), "a list", v)),
        }
    }

    /// A required list, each item read by `item` at its path; the first problem stops the reading.
    pub fn list_of<T>(
        &self,
        key: &str,
        item: fn(&'v Value, &Path) -> Result<T, PathError>,
    ) -> Result<Vec<T>, PathError> {
        let items = self.list(key)?;
        let path = self.at(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(item(v, &path.index(i))?);
        }
        Ok(out)
    }

    /// An error for each key not in `allowed`: `unknown key 'k' (expected one of: a, b)`, at the key.
    pub fn unknown_keys(&self, allowed: &[&str]) -> Vec<PathError> {
        let mut out = Vec::new();
        for key in self.map.keys() {
            if !allowed.contains(&key.as_str()) {
                let message = format!("unknown key '{key}' (expected one of: {})", allowed.join(", "));
                out.push(PathError::new(&self.at(key), message));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn fields(v: &Value) -> Fields<'_, 'static> {
        Fields::new(v, Path::Root).unwrap()
    }

    #[test]
    fn messages_name_the_place_and_what_was_found() {
        let v = json!({"a": 1, "b": null, "c": "x", "d": {"e": [1, "two"]}});
        let o = fields(&v);
        assert_eq!(o.str("a").unwrap_err().to_string(), "a: expected a string, found a number");
        assert_eq!(o.str("b").unwrap_err().to_string(), "b: expected a string, found null");
        assert_eq!(o.str("z").unwrap_err().to_string(), "missing key 'z'");
        assert_eq!(o.u64("c").unwrap_err().to_string(), "c: expected a whole number of 0 or more, found a string");
        assert_eq!(o.opt_bool("a").unwrap_err().to_string(), "a: expected true or false, found a number");
        let d = o.obj("d").unwrap();
        assert_eq!(d.obj("e").err().unwrap().to_string(), "d.e: expected an object, found a list");
        assert_eq!(d.str("f").unwrap_err().to_string(), "d: missing key 'f'");
        let e = d.list_of("e", expect_u64).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.message.as_str()),
            ("d.e[1]", "expected a whole number of 0 or more, found a string")
        );
        let unknown: Vec<String> = o.unknown_keys(&["a", "b", "c"]).iter().map(ToString::to_string).collect();
        assert_eq!(unknown, ["d: unknown key 'd' (expected one of: a, b, c)"]);
        let top = Path::top("status");
        assert_eq!(
            PathError::unknown(&top, "status", "x", "a or b").to_string(),
            "status: unknown status 'x' (expected a or b)"
        );
    }

    #[test]
    fn optional_fields_are_none_when_absent_or_null() {
        let v = json!({"b": null, "n": 2.5, "l": [1], "m": {"k": 1}});
        let o = fields(&v);
        assert_eq!(o.opt_str("b"), Ok(None));
        assert_eq!(o.opt_str("z"), Ok(None));
        assert_eq!(o.opt_u64("b"), Ok(None));
        assert_eq!(o.opt_f64("n"), Ok(Some(2.5)));
        assert_eq!(o.opt_list("b"), Ok(&[][..]));
        assert_eq!(o.opt_list("l").map(<[Value]>::len), Ok(1));
        assert!(o.opt_obj("b").unwrap().is_none());
        assert_eq!(o.opt_map("m").unwrap().map(Map::len), Some(1));
        assert_eq!(o.opt_map("l").unwrap_err().to_string(), "l: expected an object, found a list");
        // Required fields: null is present, and of the wrong type.
        assert_eq!(o.require("b"), Ok(&Value::Null));
        assert_eq!(o.list("b").unwrap_err().to_string(), "b: expected a list, found null");
    }
}
