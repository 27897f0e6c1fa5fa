//! The one place that decides how Rust values look in JavaScript and how JavaScript values are read.
//!
//! Everything crosses as JSON text, one `JSON.stringify` or `JSON.parse` call per value: maps become plain
//! objects, integers become numbers, `None` becomes `null`. This keeps one copy of the JSON code in the module
//! (the engine's own `json` layer) instead of generic code per type.

use wasm_bindgen::{JsCast, JsValue};

use crate::json::{self, ToJson};

/// A Rust value as a plain JS value.
pub fn to_js<T: ToJson + ?Sized>(value: &T) -> JsValue {
    json_parse(&json::to_string(value))
}

/// JSON text as a JS value (`null` if it is not JSON, which our own text always is).
pub fn json_parse(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// A property of a JS value: `undefined` when it has none, is not an object, or its getter throws. Read through
/// `Reflect.get`, a binding the module already has: each web-sys getter or method used once would add a JS
/// function to the glue and an import to the wasm.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key] = value` through `Reflect.set` (see [`get`]).
pub fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

/// `target[method](arg)` through `Reflect.get` and `Function.call` (see [`get`]); `Err` holds what was thrown (a
/// `TypeError` when there is no such method). Methods that take no argument ignore `arg`.
pub fn call_method(target: &JsValue, method: &str, arg: &JsValue) -> Result<JsValue, JsValue> {
    get(target, method).unchecked_into::<js_sys::Function>().call1(target, arg)
}

/// `target[method]()` (see [`call_method`]), where a failure is ignored (the widget ignores the DOM's there).
pub fn call0(target: &JsValue, method: &str) {
    let _ = call_method(target, method, &JsValue::UNDEFINED);
}

/// Read a JS value as JSON data, as `JSON.stringify` sees it (functions and `undefined` members are left out).
/// The error is a message without a path: the value is read whole.
pub fn json_from_js(value: JsValue) -> Result<crate::json::Value, String> {
    let text = match js_sys::JSON::stringify(&value) {
        Ok(text) => text.as_string(),
        Err(e) => return Err(format!("not JSON data ({})", describe(&e))),
    };
    let Some(text) = text else { return Err("not JSON data".into()) };
    json::parse(&text).map_err(|e| e.to_string())
}

/// The text of a thrown JS value, for messages.
pub fn describe(value: &JsValue) -> String {
    if value.is_instance_of::<js_sys::Error>() {
        // `message` through `Reflect.get`, a binding the module already has.
        return get(value, "message").as_string().unwrap_or_default();
    }
    if let Some(s) = value.as_string() {
        return s;
    }
    // JSON, else the type: `{:?}` would bring wasm-bindgen's `debugString` into the JS glue.
    let json = js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string());
    json.or_else(|| value.js_typeof().as_string()).unwrap_or_default()
}
