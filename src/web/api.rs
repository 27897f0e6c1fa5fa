//! The class the loader drives: `new Chat()` then the methods of `window.voiceflow.chat`.
//!
//! `www/eventflow.js` queues calls until this module is instantiated, then forwards every call to one `Chat`.
//! This class queues again until `load()` has finished (agent fetched, conversation restored), so the whole
//! early-call contract (SPEC §1.3) holds at the Rust API level and is tested there.

use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::controller::{Call, Controller};
use super::error::{js_error, Code};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A Voiceflow request: `{type: 'event', payload: {event: {name, data?}}}`, `{type: 'text', payload: 'hi'}`, ... */
export interface Action { type: string; payload?: unknown; custom_id?: string | number; [key: string]: unknown }
/** A Voiceflow trace, as the Dialog API sends it. */
export interface Trace { type: string; payload?: any; time?: number; paths?: unknown[]; defaultPath?: number }
export interface ResponseExtension { name: string; type: 'response'; match(arg: { trace: Trace }): boolean;
  render?(arg: { trace: Trace; element: HTMLElement }): (() => void) | void }
export interface EffectExtension { name: string; type: 'effect'; match(arg: { trace: Trace }): boolean;
  effect?(arg: { trace: Trace }): Promise<void> | void }
/** Maps page elements to an event: `{selector: '#buy', on: 'click', event: 'checkout', open: true}`. */
export interface Listener { selector: string; on?: string; event: string; data?: unknown; open?: boolean }
export interface Assistant {
  title?: string; description?: string; image?: string; avatar?: string; color?: string;
  position?: 'left' | 'right'; spacing?: { side?: number; bottom?: number }; stylesheet?: string | string[];
  persistence?: 'localStorage' | 'sessionStorage' | 'memory'; extensions?: (ResponseExtension | EffectExtension)[];
  inputPlaceholder?: string;
}
export interface LoadConfig {
  /** An agent object, or the URL of an agent file: local mode. Without it, remote mode against `url`. */
  agent?: object | string;
  /** Remote mode: the runtime (default `https://general-runtime.voiceflow.com`) and the project on it. */
  verify?: { projectID: string }; url?: string; versionID?: string; userID?: string | number;
  /** Remote mode: the time limit of one attempt of a turn (ms, default 30000) and its automatic retries (default 4). */
  remote?: { timeoutMs?: number; retries?: number };
  user?: { name?: string; image?: string }; autostart?: boolean;
  render?: { mode?: 'overlay' | 'embedded'; target?: HTMLElement | string };
  launch?: { event?: Action }; assistant?: Assistant; listeners?: Listener[]; allowDangerousHTML?: boolean;
}
export type ChatEventType = 'voiceflow:open' | 'voiceflow:close' | 'voiceflow:interact' | 'voiceflow:save_session'
  | 'open' | 'close' | 'interact' | 'save_session' | '*';
export interface SessionSummary { userID: string; turns: unknown[]; startTime: number; status: 'IDLE' | 'ACTIVE' | 'ENDED' }
export interface ChatEvent { type: ChatEventType; payload?: SessionSummary | { session: SessionSummary; action: Action } }
/** Every rejection: `code` is stable (`invalid_config`, `invalid_agent`, `agent_fetch`, `destroyed`, `network`,
 * `timeout`, `unavailable`, `bad_answer`, `refused`, `invalid_request`, ...; docs/embedding.md lists them). */
export interface ChatError extends Error { code: string; errors?: { path: string; message: string }[] }
"#;

/// One chat widget. The loader creates one per page.
#[wasm_bindgen]
pub struct Chat {
    ctl: Rc<Controller>,
}

impl Default for Chat {
    fn default() -> Self {
        Chat::new()
    }
}

#[wasm_bindgen]
impl Chat {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Chat {
        super::panic::install();
        Chat { ctl: Controller::new() }
    }

    /// Load the widget. Resolves once the agent is loaded, the conversation restored and queued calls replayed;
    /// rejects with a `ChatError` naming the bad field or listing the agent's errors.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn load(&self, #[wasm_bindgen(unchecked_param_type = "LoadConfig")] config: JsValue) -> Promise {
        self.ctl.load(config)
    }

    /// Open the chat window (overlay mode); launches the conversation if it never started and `autostart` is on.
    pub fn open(&self) {
        self.ctl.call(Call::Open);
    }

    pub fn close(&self) {
        self.ctl.call(Call::Close);
    }

    /// Hide the whole widget, launcher included.
    pub fn hide(&self) {
        self.ctl.call(Call::Hide);
    }

    pub fn show(&self) {
        self.ctl.call(Call::Show);
    }

    /// Send a request, as if from the user or the page. Resolves when the turn ran; rejects with a `ChatError`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn interact(&self, #[wasm_bindgen(unchecked_param_type = "Action")] action: JsValue) -> Promise {
        self.ctl.interact(action)
    }

    /// `proactive.push(...traces)`: text traces show as messages above the launcher.
    #[wasm_bindgen(js_name = proactivePush)]
    pub fn proactive_push(&self, #[wasm_bindgen(unchecked_param_type = "Trace[]")] traces: Vec<JsValue>) {
        self.ctl.call(Call::ProactivePush(traces));
    }

    #[wasm_bindgen(js_name = proactiveClear)]
    pub fn proactive_clear(&self) {
        self.ctl.call(Call::ProactiveClear);
    }

    /// Remove the widget from the page. Later calls warn until the next `load()`.
    pub fn destroy(&self) {
        self.ctl.destroy();
    }

    /// Call `handler(event)` for each event of this type (`'voiceflow:open'` or just `'open'`; `'*'` for all).
    /// Returns the function that unsubscribes it.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ChatEventType")] kind: String,
        #[wasm_bindgen(unchecked_param_type = "(event: ChatEvent) => void")] handler: JsValue,
    ) -> Result<Function, JsValue> {
        let Some(f) = handler.dyn_ref::<Function>() else {
            return Err(js_error(Code::InvalidHandler, "on(type, handler): handler must be a function"));
        };
        self.ctl.hub.on(&kind, f.clone());
        let hub = self.ctl.hub.clone();
        let f = f.clone();
        let off = Closure::<dyn FnMut()>::new(move || hub.off(&kind, &f));
        Ok(off.into_js_value().unchecked_into())
    }

    /// A click the loader kept from before the module was ready: handled once loaded, as if it happened then.
    #[wasm_bindgen(skip_typescript)]
    pub fn click(&self, target: JsValue) {
        if let Ok(target) = target.dyn_into::<web_sys::Element>() {
            self.ctl.call(Call::Click(target));
        }
    }

    /// Remove a handler added with `on()`.
    pub fn off(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ChatEventType")] kind: String,
        #[wasm_bindgen(unchecked_param_type = "(event: ChatEvent) => void")] handler: JsValue,
    ) {
        if let Some(f) = handler.dyn_ref::<Function>() {
            self.ctl.hub.off(&kind, f);
        }
    }
}

/// Rust-side views used by the browser tests.
impl Chat {
    /// Whether every turn asked for has run and every trace received has been shown.
    pub fn is_idle(&self) -> bool {
        self.ctl.live().map_or(true, |l| l.lane_idle() && l.widget.is_idle())
    }

    /// The widget's host element (its `shadowRoot` holds the chat), once loaded.
    pub fn host(&self) -> Option<web_sys::HtmlElement> {
        self.ctl.live().map(|l| l.widget.host().clone())
    }

    /// The storage key of the conversation, once loaded.
    pub fn storage_key(&self) -> Option<String> {
        self.ctl.live().map(|l| l.store_key().to_string())
    }

    /// The saved session (engine JSON), once loaded.
    pub fn snapshot(&self) -> Option<String> {
        self.ctl.live().map(|l| l.transport.snapshot())
    }
}

/// Runs when the module is instantiated: the panic hook goes in before anything else.
#[wasm_bindgen(start)]
pub fn start() {
    super::panic::install();
}
