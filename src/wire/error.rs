//! A request refused before its turn starts, with a stable `code` hosts hand on unchanged.

/// A request the engine refused before running the turn; the session is untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RequestError {
    pub code: &'static str,
    pub message: String,
}

impl RequestError {
    pub fn new(code: &'static str, message: impl Into<String>) -> RequestError {
        RequestError { code, message: message.into() }
    }
}
