//! The one place that decides how Rust values look in JavaScript and how JavaScript values are read.
//!
//! Everything crosses as JSON-compatible data (`serde_wasm_bindgen::Serializer::json_compatible()`): maps become
//! plain objects, integers become numbers, `None` becomes `null`. Reading goes through `serde_path_to_error`, so
//! a refused value is reported with the path of the bad field (`assistant.position: unknown variant ...`).

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A Rust value as a plain JS value. Our own data always serialises; a failure would be a bug, shown as `null`.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// Read a JS value into a Rust type. The error is `(path, message)`; the path is empty at the top level.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, (String, String)> {
    let de = serde_wasm_bindgen::Deserializer::from(value);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, e.into_inner().to_string())
    })
}

/// Read a JS value as JSON data (functions and DOM nodes are refused).
pub fn json_from_js(value: JsValue) -> Result<serde_json::Value, (String, String)> {
    from_js(value)
}
