//! Event names (SPEC §4.1) and the patterns triggers use to match them.

use crate::util::slice;
use std::fmt;

/// The longest name allowed.
pub const MAX_NAME_LEN: usize = 50;

/// Events only the engine may raise (SPEC §4.6). A client sending one gets an error.
pub const SYSTEM_EVENTS: &[&str] = &[
    "noMatch",
    "noReply",
    "lengthLimit",
    "timeLimit",
    "fileEvent",
    "fileTooBigEvent",
    "sessionDataSoftLimitExceeded",
    "sessionDataHardLimitExceeded",
    "chainLimit",
    "stackLimit",
];

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("an event name cannot be empty")]
    Empty,
    #[error("'{0}' is longer than 50 characters")]
    TooLong(String),
    #[error("'{name}' must start with a letter or digit, not '{ch}'")]
    BadStart { name: String, ch: char },
    #[error("'{name}' contains '{ch}'; names use only letters, digits and _ - : .")]
    BadChar { name: String, ch: char },
    #[error("'{0}' has an empty namespace part")]
    EmptySegment(String),
}

/// Check a name against SPEC §4.1: 1 to 50 characters, `[A-Za-z0-9]` first, then `[A-Za-z0-9_\-:.]`.
pub fn check_name(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let first = chars.next().ok_or(NameError::Empty)?;
    if name.chars().count() > MAX_NAME_LEN {
        return Err(NameError::TooLong(shorten(name)));
    }
    if !first.is_ascii_alphanumeric() {
        return Err(NameError::BadStart { name: name.to_string(), ch: first });
    }
    if let Some(ch) = chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))) {
        return Err(NameError::BadChar { name: shorten(name), ch });
    }
    if name.split(':').any(str::is_empty) {
        return Err(NameError::EmptySegment(name.to_string()));
    }
    Ok(())
}

fn shorten(name: &str) -> String {
    match name.char_indices().nth(57) {
        Some((cut, _)) if name.chars().count() > 60 => {
            let mut s = slice(name, 0, cut).to_string();
            s.push_str("...");
            s
        }
        _ => name.to_string(),
    }
}

/// The matching key of a name: names match case-insensitively (SPEC §4.1, seed 001).
pub fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The system event whose name this is (case-insensitively), in its canonical spelling.
pub fn system_event(name: &str) -> Option<&'static str> {
    SYSTEM_EVENTS.iter().copied().find(|s| s.eq_ignore_ascii_case(name))
}

/// What a trigger's `event` field matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventPattern {
    /// One name, stored as its matching key.
    Exact(String),
    /// `ns:*`: every name under the namespace `ns` (the key, without the `:*`).
    Namespace(String),
    /// `*`: any event no other trigger handles. System events never reach it.
    Any,
}

impl EventPattern {
    /// Parse `checkout`, `user:*` or `*`.
    pub fn parse(src: &str) -> Result<EventPattern, NameError> {
        if src == "*" {
            return Ok(EventPattern::Any);
        }
        if let Some(ns) = src.strip_suffix(":*") {
            check_name(ns)?;
            return Ok(EventPattern::Namespace(key(ns)));
        }
        check_name(src)?;
        Ok(EventPattern::Exact(key(src)))
    }
}

impl fmt::Display for EventPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventPattern::Exact(k) => f.write_str(k),
            EventPattern::Namespace(ns) => write!(f, "{ns}:*"),
            EventPattern::Any => f.write_str("*"),
        }
    }
}

/// The namespaces of a key, longest first: `user:location:change` gives `user:location`, then `user`.
pub fn namespaces(key: &str) -> impl Iterator<Item = &str> {
    key.char_indices().rev().filter(|&(_, c)| c == ':').map(move |(i, _)| slice(key, 0, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        assert!(check_name("checkout").is_ok());
        assert!(check_name("user:location:change").is_ok());
        assert!(check_name("a.b-c_d").is_ok());
        assert!(check_name(&"x".repeat(50)).is_ok());
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert!(matches!(check_name(&"x".repeat(51)), Err(NameError::TooLong(_))));
        assert!(matches!(check_name("_x"), Err(NameError::BadStart { ch: '_', .. })));
        assert!(matches!(check_name("a b"), Err(NameError::BadChar { ch: ' ', .. })));
        assert!(matches!(check_name("é"), Err(NameError::BadStart { .. })));
        assert!(matches!(check_name("user::x"), Err(NameError::EmptySegment(_))));
        assert!(matches!(check_name("user:"), Err(NameError::EmptySegment(_))));
    }

    #[test]
    fn patterns_and_namespaces() {
        assert_eq!(EventPattern::parse("User:*").unwrap(), EventPattern::Namespace("user".into()));
        assert_eq!(EventPattern::parse("*").unwrap(), EventPattern::Any);
        assert_eq!(EventPattern::parse("Checkout").unwrap(), EventPattern::Exact("checkout".into()));
        assert!(EventPattern::parse("a*").is_err());
        assert!(EventPattern::parse("*:x").is_err());
        let ns: Vec<_> = namespaces("user:location:change").collect();
        assert_eq!(ns, ["user:location", "user"]);
        assert_eq!(namespaces("plain").count(), 0);
        assert_eq!(system_event("NOMATCH"), Some("noMatch"));
    }
}
