//! Errors at the boundary: every engine, config, network or browser failure becomes a JS `Error` with a stable
//! `code`, one of [`Code`] (`src/client/error.rs` lists them; `docs/embedding.md` documents them). An invalid agent
//! also carries `errors`, its validation errors as `{path, message}`. The loader adds `load_failed` when the
//! module itself cannot be fetched.

use wasm_bindgen::{JsCast, JsValue};

pub use crate::client::Code;
use crate::wire::RequestError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    pub code: Code,
    pub message: String,
    /// Validation errors of an agent file, as the JSON text of `[{path, message}, ...]`; empty for other failures.
    pub errors: String,
}

impl WebError {
    pub fn new(code: Code, message: impl Into<String>) -> WebError {
        WebError { code, message: message.into(), errors: String::new() }
    }

    /// A refused `load()` config field: the message names the field first.
    pub fn config(path: &str, message: &str) -> WebError {
        let mut text = String::from(if path.is_empty() { "config" } else { path });
        text.push_str(": ");
        text.push_str(message);
        WebError::new(Code::InvalidConfig, text)
    }

    /// A refused agent file, with every validation error.
    #[cfg(feature = "engine")]
    pub fn agent(source: &str, e: &crate::engine::AgentError) -> WebError {
        use crate::json;
        use std::fmt::Write as _;
        let n = e.errors.len();
        let mut message =
            format!("agent: {source} is not a valid agent file ({n} error{}):", if n == 1 { "" } else { "s" });
        let mut errors = String::new();
        for v in &e.errors {
            let _ = write!(message, "\n  {v}");
            errors.push(if errors.is_empty() { '[' } else { ',' });
            json::Obj::new(&mut errors).str("path", &v.path).str("message", &v.message).end();
        }
        if !errors.is_empty() {
            errors.push(']');
        }
        WebError { code: Code::InvalidAgent, message, errors }
    }

    /// The JS `Error` for this failure: `message`, `code`, and `errors` for an invalid agent.
    pub fn to_js(&self) -> JsValue {
        let err = js_error(self.code, &self.message);
        if !self.errors.is_empty() {
            crate::web::convert::set(&err, "errors", &crate::web::convert::json_parse(&self.errors));
        }
        err
    }
}

/// The JS `Error` of a failure without a [`WebError`] value: `message` and `code`.
pub fn js_error(code: Code, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // `name` through `Reflect.set`, the binding `code` needs anyway.
    crate::web::convert::set(&err, "name", &"EventflowError".into());
    crate::web::convert::set(&err, "code", &code.as_str().into());
    err.into()
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl From<RequestError> for WebError {
    fn from(e: RequestError) -> WebError {
        WebError::new(Code::Request(e.code), e.message)
    }
}

/// The text of a thrown JS value, for messages.
pub fn describe(value: &JsValue) -> String {
    if value.is_instance_of::<js_sys::Error>() {
        // `message` through `Reflect.get`, a binding the module already has.
        return crate::web::convert::get(value, "message").as_string().unwrap_or_default();
    }
    if let Some(s) = value.as_string() {
        return s;
    }
    // JSON, else the type: `{:?}` would bring wasm-bindgen's `debugString` into the JS glue.
    let json = js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string());
    json.or_else(|| value.js_typeof().as_string()).unwrap_or_default()
}
