//! A call the page makes on `window.voiceflow.chat` that may have to wait for `load()`, the promise handed back
//! for it, and the warnings the real widget prints for calls that have no effect. The lifecycle
//! (`controller.rs`) queues calls; the loaded widget (`live.rs`) runs them.

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;

use super::error::{js_error, Code};

/// A page call that may have to wait for `load()`.
pub enum Call {
    Open,
    Close,
    Hide,
    Show,
    ProactivePush(Vec<JsValue>),
    ProactiveClear,
    Interact(JsValue, Resolvers),
    /// A click made before the widget was ready: its target.
    Click(web_sys::Element),
}

impl Call {
    pub fn name(&self) -> &'static str {
        match self {
            Call::Open => "open",
            Call::Close => "close",
            Call::Hide => "hide",
            Call::Show => "show",
            Call::ProactivePush(_) => "proactive.push",
            Call::ProactiveClear => "proactive.clear",
            Call::Interact(..) => "interact",
            Call::Click(_) => "click",
        }
    }

    /// Drop a queued call that will never run; a waiting promise is rejected with this error.
    pub fn abandon(self, code: Code, message: &str) {
        if let Call::Interact(_, r) = self {
            r.reject(&js_error(code, message));
        }
    }
}

/// The settle functions of a promise handed to the page.
pub struct Resolvers {
    resolve: Function,
    reject: Function,
}

impl Resolvers {
    /// A new promise and its settle functions.
    pub fn promise() -> (Promise, Resolvers) {
        // The executor runs before `Promise::new` returns, so both slots are always replaced: no `Option` to check
        // when the promise is settled.
        let mut slot = (Function::from(JsValue::UNDEFINED), Function::from(JsValue::UNDEFINED));
        let promise = Promise::new(&mut |resolve, reject| slot = (resolve, reject));
        (promise, Resolvers { resolve: slot.0, reject: slot.1 })
    }

    pub fn resolve(self, value: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    pub fn reject(self, error: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, error);
    }
}

pub fn warn_destroyed(method: &str) {
    warn_method(method, "after 'destroy' has been called. Call 'load' to use the chat again.");
}

pub fn warn_mode(method: &str) {
    warn_method(method, "in this mode (embedded).");
}

/// `Method '{method}' has no effect {why}`, as the real widget warns.
fn warn_method(method: &str, why: &str) {
    let mut msg = String::from("Method '");
    msg.push_str(method);
    msg.push_str("' has no effect ");
    msg.push_str(why);
    web_sys::console::warn_1(&msg.into());
}
