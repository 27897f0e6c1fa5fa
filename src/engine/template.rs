//! Text templates: `{variable}` and `{last_event.payload.sku}` read session variables; `#event.param` reads the
//! data of an event raised in this turn (a Dialogflow-style context with lifespan 0, SPEC §4.3).
//!
//! Templates are parsed once when the agent loads. Rendering never fails: a missing variable renders as nothing,
//! and `#name.param` whose event did not happen this turn stays as written (so `#1.5` in prose is left alone).

use crate::json::{Map, Value};
use crate::util::slice;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Var(String),
    /// `#event.path`: event key (lowercase) and the path inside its data; `raw` is the text as written.
    Ctx {
        event: String,
        path: String,
        raw: String,
    },
}

/// Where a template reads its values from.
pub trait Scope {
    /// A session variable by dotted path.
    fn var(&self, path: &str) -> Option<Value>;
    /// The data of an event raised this turn (by lowercase name), by dotted path; `None` when no such event
    /// happened this turn, `Some(Null)` when it did but the path is missing.
    fn context(&self, event: &str, path: &str) -> Option<Value>;
}

impl Template {
    pub fn parse(src: &str) -> Template {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut prev: Option<char> = None; // the character before `rest`
        let mut rest = src; // what is left to read
        loop {
            let mut cs = rest.chars();
            let Some(c) = cs.next() else { break };
            let after = cs.as_str();
            if c == '{' {
                if let Some((path, tail)) = var_ref(after) {
                    flush(&mut lit, &mut parts);
                    parts.push(Part::Var(path.to_string()));
                    rest = tail;
                    prev = Some('}');
                    continue;
                }
            } else if c == '#' && !prev.is_some_and(char::is_alphanumeric) {
                if let Some((len, event, path)) = context_ref(after) {
                    flush(&mut lit, &mut parts);
                    // `1 + len` ends the reference `context_ref` read: a char boundary, so `split_at` never falls back.
                    let split = rest.split_at_checked(1 + len);
                    debug_assert!(split.is_some(), "a context reference ends on a char boundary");
                    let (raw, tail) = split.unwrap_or_default();
                    prev = raw.chars().next_back();
                    parts.push(Part::Ctx {
                        event: event.to_ascii_lowercase(),
                        path: path.to_string(),
                        raw: raw.into(),
                    });
                    rest = tail;
                    continue;
                }
            }
            lit.push(c);
            rest = after;
            prev = Some(c);
        }
        flush(&mut lit, &mut parts);
        Template { source: src.to_string(), parts }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the template has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// Variable paths this template reads.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            _ => None,
        })
    }

    pub fn render(&self, scope: &dyn Scope) -> String {
        self.render_with(scope, None, false)
    }

    /// Render, passing every substituted value through `escape` (used to percent-encode URL parts).
    pub fn render_escaped(&self, scope: &dyn Scope, escape: &dyn Fn(&str) -> String) -> String {
        self.render_with(scope, Some(escape), false)
    }

    /// Render a URL: every substituted value is percent-encoded, except a placeholder that starts the template
    /// (a base URL such as `{api}/orders/{id}`).
    pub fn render_url(&self, scope: &dyn Scope) -> String {
        self.render_with(scope, Some(&percent_encode), true)
    }

    /// Render, escaping every substituted value (if `escape`) except a leading variable when `keep_first`.
    fn render_with(&self, scope: &dyn Scope, escape: Option<&dyn Fn(&str) -> String>, keep_first: bool) -> String {
        let mut out = String::with_capacity(self.source.len());
        for (i, part) in self.parts.iter().enumerate() {
            // Only a leading variable is kept as it is (a base URL); a leading `#event.path` is escaped.
            let keep = keep_first && i == 0 && matches!(part, Part::Var(_));
            let v = match part {
                Part::Lit(s) => {
                    out.push_str(s);
                    continue;
                }
                Part::Var(path) => display(&scope.var(path).unwrap_or(Value::Null)),
                Part::Ctx { event, path, raw } => match scope.context(event, path) {
                    Some(v) => display(&v),
                    None => {
                        out.push_str(raw);
                        continue;
                    }
                },
            };
            match escape {
                Some(escape) if !keep => out.push_str(&escape(&v)),
                _ => out.push_str(&v),
            }
        }
        out
    }

    /// The value of a template that is exactly one placeholder, keeping its JSON type.
    pub fn single_value(&self, scope: &dyn Scope) -> Option<Value> {
        match self.parts.as_slice() {
            [Part::Var(path)] => Some(scope.var(path).unwrap_or(Value::Null)),
            [Part::Ctx { event, path, .. }] => scope.context(event, path),
            _ => None,
        }
    }
}

fn flush(lit: &mut String, parts: &mut Vec<Part>) {
    if !lit.is_empty() {
        parts.push(Part::Lit(std::mem::take(lit)));
    }
}

/// After a `{`: a variable path between optional spaces, then `}`; gives the path and the text after the `}`.
/// It reads no further than the first character that cannot be part of a placeholder, so parsing a text is one
/// pass however many braces it holds (looking for the next `}` after every `{` made a text of braces quadratic).
fn var_ref(s: &str) -> Option<(&str, &str)> {
    let body = s.trim_start();
    let len = body.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.'))).unwrap_or(body.len());
    let path = slice(body, 0, len);
    let tail = slice(body, len, body.len()).trim_start().strip_prefix('}')?;
    is_var_path(path).then_some((path, tail))
}

/// Percent-encode everything but the unreserved characters of RFC 3986.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// `name` or `name.seg.0.seg`: an identifier then dotted segments.
pub fn is_var_path(s: &str) -> bool {
    let mut segs = s.split('.');
    let Some(first) = segs.next() else { return false };
    is_identifier(first) && segs.all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// A variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// After a `#`: an event name (letters, digits, `_`, `-`, `:`), a dot, then a dotted path. Returns the length
/// read in bytes, the name and the path.
fn context_ref(s: &str) -> Option<(usize, &str, &str)> {
    let name_len = s.bytes().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b':')).count();
    // The name starts with a letter or digit (so it is not empty) and ends at a dot.
    if !s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric) || s.as_bytes().get(name_len) != Some(&b'.') {
        return None;
    }
    let rest = slice(s, name_len + 1, s.len());
    let path_end = rest.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.'))).unwrap_or(rest.len());
    // A sentence-ending dot is not part of the path.
    let path = slice(rest, 0, path_end).trim_end_matches('.');
    if path.is_empty() {
        return None;
    }
    Some((name_len + 1 + path.len(), slice(s, 0, name_len), path))
}

/// How a value reads inside text: strings as they are, whole numbers below 9e15 without `.0`, null as nothing.
pub fn display(v: &Value) -> String {
    text_of(v, 9e15)
}

/// Strings as they are, null as nothing, a whole f64 of magnitude below `whole_below` as an integer, anything
/// else as JSON. Shared by [`display`] and the expression language's string conversion.
pub fn text_of(v: &Value, whole_below: f64) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < whole_below => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => crate::json::to_string(other),
    }
}

/// Look up `a.b.0.c` inside a JSON value (the first segment already resolved by the caller).
pub fn walk<'a>(mut v: &'a Value, path: &str) -> Option<&'a Value> {
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// A JSON value whose strings are templates (webhook bodies, emitted event data). A string that is exactly one
/// placeholder keeps the placeholder's JSON type.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTemplate {
    Str(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
    Other(Value),
}

impl JsonTemplate {
    pub fn new(v: &Value) -> JsonTemplate {
        match v {
            Value::String(s) => JsonTemplate::Str(Template::parse(s)),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for v in a {
                    out.push(JsonTemplate::new(v));
                }
                JsonTemplate::Array(out)
            }
            Value::Object(m) => {
                let mut out = Vec::with_capacity(m.len());
                for (k, v) in m {
                    out.push((k.clone(), JsonTemplate::new(v)));
                }
                JsonTemplate::Object(out)
            }
            other => JsonTemplate::Other(other.clone()),
        }
    }

    /// The value, or `None` when it would nest deeper than any JSON text the engine reads (`json::MAX_NESTING`):
    /// a placeholder puts a value inside the template's own levels, so an agent could wrap a variable in itself
    /// without end. Every value the engine keeps is built here or read from text, so every one nests at most that
    /// deep, and a saved session that holds them can be read back (`session::SESSION_MAX_DEPTH`).
    pub fn render(&self, scope: &dyn Scope) -> Option<Value> {
        self.render_at(scope, 0)
    }

    /// `render` at `depth` levels of arrays and objects inside the template.
    fn render_at(&self, scope: &dyn Scope, depth: usize) -> Option<Value> {
        match self {
            JsonTemplate::Str(t) => {
                let v = t.single_value(scope).unwrap_or_else(|| Value::String(t.render(scope)));
                (depth + crate::json::nesting(&v) <= crate::json::MAX_NESTING).then_some(v)
            }
            JsonTemplate::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for t in a {
                    out.push(t.render_at(scope, depth + 1)?);
                }
                Some(Value::Array(out))
            }
            JsonTemplate::Object(m) => {
                // Built from pairs, not by `insert`: a map searches its keys on every insert.
                let mut out = Vec::with_capacity(m.len());
                for (k, t) in m {
                    out.push((k.clone(), t.render_at(scope, depth + 1)?));
                }
                Some(Value::Object(Map::from_pairs(out)))
            }
            // Literal values of the agent file, which nest no deeper than it does.
            JsonTemplate::Other(v) => Some(v.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    struct S(Value, Value);
    impl Scope for S {
        fn var(&self, path: &str) -> Option<Value> {
            let (head, rest) = path.split_once('.').unwrap_or((path, ""));
            walk(self.0.get(head)?, rest).cloned()
        }
        fn context(&self, event: &str, path: &str) -> Option<Value> {
            let data = self.1.get(event)?;
            Some(walk(data, path).cloned().unwrap_or(Value::Null))
        }
    }

    #[test]
    fn renders_variables_and_contexts() {
        let s = S(
            json!({"name": "Ann", "n": 3.0, "ev": {"items": [{"sku": "A1"}]}}),
            json!({"custom_event": {"name": "Bo"}}),
        );
        let t = Template::parse("Hi {name}, {n} items, first {ev.items.0.sku}, {missing}!");
        assert_eq!(t.render(&s), "Hi Ann, 3 items, first A1, !");
        let t = Template::parse("Welcome, #custom_event.name! Item #1.5 and #custom_event.age.");
        assert_eq!(t.render(&s), "Welcome, Bo! Item #1.5 and .");
        assert_eq!(Template::parse("{ not a var } {}").render(&s), "{ not a var } {}");
        assert_eq!(Template::parse("{unclosed").render(&s), "{unclosed");
    }

    #[test]
    fn urls_encode_all_but_a_leading_base() {
        let s = S(json!({"base": "https://a.b/c d", "q": "a b&é~"}), json!({"ev": {"id": "x/y"}}));
        let t = Template::parse("{base}/q?x={q}&id=#ev.id");
        assert_eq!(t.render_url(&s), "https://a.b/c d/q?x=a%20b%26%C3%A9~&id=x%2Fy");
        assert_eq!(Template::parse("#ev.id/{base}").render_url(&s), "x%2Fy/https%3A%2F%2Fa.b%2Fc%20d");
    }

    #[test]
    fn json_templates_keep_types() {
        let s = S(json!({"total": 12, "name": "Ann"}), json!({}));
        let t = JsonTemplate::new(&json!({"t": "{total}", "msg": "for {name}", "k": [true, "{name}"]}));
        assert_eq!(t.render(&s), Some(json!({"t": 12, "msg": "for Ann", "k": [true, "Ann"]})));
    }

    #[test]
    fn json_templates_nest_no_deeper_than_json_text() {
        let deep = crate::json::parse(&format!("{}{}", "[".repeat(126), "]".repeat(126))).unwrap();
        let s = S(json!({ "deep": deep }), json!({}));
        assert!(JsonTemplate::new(&json!(["{deep}"])).render(&s).is_some(), "127 levels fit");
        assert_eq!(JsonTemplate::new(&json!({ "a": ["{deep}"] })).render(&s), None, "128 do not");
        assert_eq!(
            JsonTemplate::new(&json!({ "a": "{deep} as text" })).render(&s).map(|v| v["a"].is_string()),
            Some(true)
        );
    }

    #[test]
    fn placeholders_are_read_in_one_pass() {
        let s = S(json!({"a": "A", "b": {"c": "C"}}), json!({}));
        for (src, out) in [
            ("{a}{ a }{\tb.c\n}", "AAC"),
            ("{{a}}", "{A}"),
            ("{a{b.c}", "{aC"),
            ("{ a b }{a.}{.a}{1a}{a", "{ a b }{a.}{.a}{1a}{a"),
            ("{é}{aé}", "{é}{aé}"),
        ] {
            assert_eq!(Template::parse(src).render(&s), out, "{src}");
        }
    }
}
