//! Events for the host page (SPEC §1.6): `voiceflow:open`, `voiceflow:close`, `voiceflow:interact` and
//! `voiceflow:save_session`, and beyond the real widget `voiceflow:feedback` (the user rated an agent message).
//!
//! Each is sent exactly as the real widget sends it, `window.postMessage(JSON.stringify({type, payload}))` (no
//! `payload` key for open and close, as `JSON.stringify` drops `undefined`), and also handed as an object to the
//! handlers registered with `on(type, handler)`. `on('*', handler)` receives every event.

use crate::web::{bm, br};
use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::JsValue;

pub const OPEN: &str = "voiceflow:open";
pub const CLOSE: &str = "voiceflow:close";
pub const INTERACT: &str = "voiceflow:interact";
pub const SAVE_SESSION: &str = "voiceflow:save_session";
/// Payload `{name: 'Thumbs up' | 'Thumbs down', text: [message], lastUserTurn, rating: 'up' | 'down', messageID}`.
pub const FEEDBACK: &str = "voiceflow:feedback";

/// The registered `on()` handlers. They outlive `destroy()`, as listeners of a page object should.
#[derive(Default)]
pub struct Hub {
    handlers: RefCell<Vec<(String, Function)>>,
}

/// `open` and `voiceflow:open` name the same event.
pub fn normalise(kind: &str) -> String {
    if kind == "*" || kind.starts_with("voiceflow:") {
        kind.to_string()
    } else {
        format!("voiceflow:{kind}")
    }
}

impl Hub {
    pub fn on(&self, kind: &str, handler: Function) {
        bm(&self.handlers).push((normalise(kind), handler));
    }

    /// Remove one registration of this handler for this type, if there is one.
    pub fn off(&self, kind: &str, handler: &Function) {
        let kind = normalise(kind);
        let mut hs = bm(&self.handlers);
        if let Some(i) = hs.iter().position(|(k, h)| *k == kind && h == handler) {
            hs.remove(i);
        }
    }

    /// Post the event to the window and call the handlers (never while a cell is borrowed). `payload` is JSON
    /// text.
    pub fn emit(&self, kind: &str, payload: Option<&str>) {
        let mut text = String::new();
        let mut o = crate::json::Obj::new(&mut text);
        o.str("type", kind);
        if let Some(p) = payload {
            o.key("payload").push_str(p);
        }
        o.end();
        if let Some(window) = web_sys::window() {
            // The one-argument call: its target origin is "/" (this page's own origin).
            super::by_name::post_message(&window, &text);
        }
        let mut handlers = Vec::new();
        for (k, h) in br(&self.handlers).iter() {
            if k == kind || k == "*" {
                handlers.push(h.clone());
            }
        }
        if handlers.is_empty() {
            return;
        }
        let event = super::convert::json_parse(&text);
        for h in handlers {
            if let Err(e) = h.call1(&JsValue::UNDEFINED, &event) {
                web_sys::console::error_2(&format!("eventflow: an on('{kind}') handler threw:").into(), &e);
            }
        }
    }
}
