//! [`Reader`]: reads plain data out of a parsed [`Value`], keeping the first problem found with its path
//! (`stack[0].state: unknown state 'x'`). Saved sessions, transcripts and file payloads are read with it; each
//! domain adds its own `impl Reader` beside its types.

use super::{Map, Path, Value};

/// Reads a document, keeping the first problem found. Readers return `None` once `error` is set: an `Option`
/// moves less at each `?` than a `Result` carrying the message would.
#[derive(Default)]
pub struct Reader {
    /// `path: message`, or just `message` when the path is empty.
    pub error: String,
}

impl Reader {
    /// Keep the error `path: message` (just `message` when the path is empty); always `None`.
    pub fn fail<T>(&mut self, path: &Path, message: &str) -> Option<T> {
        self.note(path, &[message]);
        None
    }

    /// Keep the error `path: unknown what 'name'`; always `None`.
    pub fn unknown<T>(&mut self, path: &Path, what: &str, name: &str) -> Option<T> {
        self.note(path, &["unknown ", what, " '", name, "'"]);
        None
    }

    /// Keep the error: the path (if not empty), `": "`, then the message's parts. Out of line and not generic, so
    /// the readers' many error returns share one copy.
    #[inline(never)]
    pub fn note(&mut self, path: &Path, message: &[&str]) {
        self.error = path.render();
        if !self.error.is_empty() {
            self.error.push_str(": ");
        }
        for part in message {
            self.error.push_str(part);
        }
    }

    pub fn object<'v>(&mut self, v: &'v Value, path: &Path) -> Option<&'v Map<String, Value>> {
        match v.as_object() {
            Some(o) => Some(o),
            None => self.fail(path, "expected an object"),
        }
    }

    pub fn field<'v>(&mut self, o: &'v Map<String, Value>, key: &str, path: &Path) -> Option<&'v Value> {
        match o.get(key) {
            Some(v) => Some(v),
            None => self.fail(&path.key(key), "missing"),
        }
    }

    pub fn str_of(&mut self, v: &Value, path: &Path) -> Option<String> {
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => self.fail(path, "expected a string"),
        }
    }

    /// The string under `key`, borrowed.
    pub fn text<'v>(&mut self, o: &'v Map<String, Value>, key: &str, path: &Path) -> Option<&'v str> {
        match self.field(o, key, path)?.as_str() {
            Some(s) => Some(s),
            None => self.fail(&path.key(key), "expected a string"),
        }
    }

    pub fn string(&mut self, o: &Map<String, Value>, key: &str, path: &Path) -> Option<String> {
        self.text(o, key, path).map(str::to_string)
    }

    /// The string under `key`, borrowed; `None` (inside) when it is missing or null.
    pub fn opt_text<'v>(&mut self, o: &'v Map<String, Value>, key: &str, path: &Path) -> Option<Option<&'v str>> {
        match o.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => match v.as_str() {
                Some(s) => Some(Some(s)),
                None => self.fail(&path.key(key), "expected a string"),
            },
        }
    }

    pub fn number(&mut self, o: &Map<String, Value>, key: &str, path: &Path) -> Option<u64> {
        let v = self.field(o, key, path)?;
        self.whole(v, &path.key(key))
    }

    pub fn opt_number(&mut self, o: &Map<String, Value>, key: &str, path: &Path) -> Option<Option<u64>> {
        match o.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.whole(v, &path.key(key)).map(Some),
        }
    }

    pub fn whole(&mut self, v: &Value, path: &Path) -> Option<u64> {
        match v.as_u64() {
            Some(n) => Some(n),
            None => self.fail(path, "expected a whole number"),
        }
    }

    /// The list under `key`; not generic, so each [`Reader::list`] keeps only its loop.
    pub fn items<'v>(&mut self, o: &'v Map<String, Value>, key: &str, path: &Path) -> Option<&'v [Value]> {
        match self.field(o, key, path)? {
            Value::Array(items) => Some(items),
            _ => self.fail(&path.key(key), "expected a list"),
        }
    }

    pub fn list<T>(
        &mut self,
        o: &Map<String, Value>,
        key: &str,
        path: &Path,
        item: fn(&mut Reader, &Value, &Path) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.items(o, key, path)?;
        let p = path.key(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(item(self, v, &p.index(i))?);
        }
        Some(out)
    }
}
