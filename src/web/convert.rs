//! The one place that decides how Rust values look in JavaScript and how JavaScript values are read.
//!
//! Everything crosses as JSON text, one `JSON.stringify` or `JSON.parse` call per value: maps become plain
//! objects, integers become numbers, `None` becomes `null`. This keeps one copy of the (de)serialisation code in
//! the module (serde_json's, which the engine needs anyway) instead of generic code per type.

use serde::Serialize;
use wasm_bindgen::JsValue;

/// A Rust value as a plain JS value. Our own data always serialises; a failure would be a bug, shown as `null`.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value).map(|text| json_parse(&text)).unwrap_or(JsValue::NULL)
}

/// JSON text as a JS value (`null` if it is not JSON, which our own text always is).
pub fn json_parse(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// Read a JS value as JSON data, as `JSON.stringify` sees it (functions and `undefined` members are left out).
/// The error is `(path, message)`; the path is empty as the value is read whole.
pub fn json_from_js(value: JsValue) -> Result<serde_json::Value, (String, String)> {
    let text = match js_sys::JSON::stringify(&value) {
        Ok(text) => text.as_string(),
        Err(e) => return Err((String::new(), format!("not JSON data ({})", super::error::describe(&e)))),
    };
    let Some(text) = text else { return Err((String::new(), "not JSON data".into())) };
    serde_json::from_str(&text).map_err(|e| (String::new(), e.to_string()))
}
