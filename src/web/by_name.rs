//! Every browser method the module calls by name, in one place.
//!
//! These have no web-sys binding of their own: each is `target[name](arg)` through `Reflect.get` and
//! `Function.call` ([`call_method`], [`call0`]), bindings the module has anyway. A binding of its own would add
//! an import to the wasm and a function to the JS glue, and both modules (local and remote) must import the same
//! browser functions to share one glue (`build.sh` checks). Properties read by name (`status`, `headers`, `key`,
//! an extension's `match`) go through [`get`](super::convert::get) where they are read.
//!
//! Where a method cannot fail on what the widget gives it (its own elements, constant names), the result is
//! ignored; the others return what was thrown.

use wasm_bindgen::{JsCast, JsValue};

use super::convert::{call0, call_method, get};

/// `element.remove()`.
pub fn remove(element: &JsValue) {
    call0(element, "remove");
}

/// `element.click()`: opens the file picker of the widget's hidden file input.
pub fn click(element: &JsValue) {
    call0(element, "click");
}

/// `element.focus()`.
pub fn focus(element: &JsValue) {
    call0(element, "focus");
}

/// `event.preventDefault()`.
pub fn prevent_default(event: &JsValue) {
    call0(event, "preventDefault");
}

/// `event.stopPropagation()`.
pub fn stop_propagation(event: &JsValue) {
    call0(event, "stopPropagation");
}

/// `element.append(text)`: a text node, never markup (no `createTextNode` binding).
pub fn append_text(element: &JsValue, text: &str) {
    let _ = call_method(element, "append", &text.into());
}

/// `node.after(other)`.
pub fn after(node: &JsValue, other: &JsValue) {
    let _ = call_method(node, "after", other);
}

/// `node.before(other)`.
pub fn before(node: &JsValue, other: &JsValue) {
    let _ = call_method(node, "before", other);
}

/// `element.removeAttribute(name)`.
pub fn remove_attribute(element: &JsValue, name: &str) {
    let _ = call_method(element, "removeAttribute", &name.into());
}

/// `host.attachShadow(init)`.
pub fn attach_shadow(host: &JsValue, init: &JsValue) -> Result<JsValue, JsValue> {
    call_method(host, "attachShadow", init)
}

/// `window.postMessage(text)`, as the real widget posts its events.
pub fn post_message(window: &JsValue, text: &str) {
    let _ = call_method(window, "postMessage", &JsValue::from_str(text));
}

/// `storage.getItem(key)`: `Err` when the storage throws (disabled, or denied).
pub fn get_item(storage: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    call_method(storage, "getItem", &key.into())
}

/// `decodeURIComponent(s)`: `Err` for a malformed escape.
pub fn decode_uri_component(s: &str) -> Result<JsValue, JsValue> {
    call_method(&js_sys::global(), "decodeURIComponent", &s.into())
}

/// `crypto.getRandomValues(bytes)`: `Err` when there is no `crypto`.
pub fn get_random_values(bytes: &JsValue) -> Result<JsValue, JsValue> {
    call_method(&get(&js_sys::global(), "crypto"), "getRandomValues", bytes)
}

/// `createImageBitmap(file)`: a promise; `Err` where the browser has none.
pub fn create_image_bitmap(file: &JsValue) -> Result<JsValue, JsValue> {
    call_method(&js_sys::global(), "createImageBitmap", file)
}

/// `bitmap.close()`.
pub fn close(bitmap: &JsValue) {
    call0(bitmap, "close");
}

/// `response.headers.get(name)`.
pub fn header(response: &JsValue, name: &str) -> Option<String> {
    call_method(&get(response, "headers"), "get", &name.into()).ok().and_then(|v| v.as_string())
}

/// `body.pipeThrough(new TextDecoderStream()).getReader()`: a reader of the body as text.
pub fn text_reader(body: &JsValue) -> Result<JsValue, JsValue> {
    let decoder = js_sys::Reflect::construct(
        get(&js_sys::global(), "TextDecoderStream").unchecked_ref::<js_sys::Function>(),
        &js_sys::Array::new(),
    )?;
    call_method(&call_method(body, "pipeThrough", &decoder)?, "getReader", &JsValue::UNDEFINED)
}

/// `reader.read()`: a promise of `{done, value}`.
pub fn read(reader: &JsValue) -> Result<JsValue, JsValue> {
    call_method(reader, "read", &JsValue::UNDEFINED)
}

/// `reader.cancel()`.
pub fn cancel(reader: &JsValue) {
    call0(reader, "cancel");
}
