//! Where a conversation is kept between page loads (SPEC §1.8): `localStorage` (default), `sessionStorage` or
//! memory, under `voiceflow-session-{projectID or agent name}`.
//!
//! Storage is best effort and never breaks the chat: when the browser refuses it (disabled, private mode,
//! quota full), the store falls back to memory for the rest of the page's life and says so once in the console.

use crate::web::{bm, br};
use std::cell::{Cell, RefCell};

use wasm_bindgen::JsCast;

/// `assistant.persistence`: `localStorage`, `sessionStorage` or `memory`.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Persistence {
    #[default]
    Local,
    Session,
    Memory,
}

thread_local! {
    /// The memory store, `(key, value)` pairs (a page has a handful of keys): it outlives a widget (destroy +
    /// load finds it) but not the page.
    static MEMORY: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// The storage key of a conversation.
pub fn key(project_or_agent: &str) -> String {
    format!("voiceflow-session-{project_or_agent}")
}

pub struct Store {
    key: String,
    wanted: Persistence,
    /// Set once the browser storage failed: from then on memory only.
    fell_back: Cell<bool>,
}

impl Store {
    pub fn new(persistence: Persistence, key: String) -> Store {
        Store { key, wanted: persistence, fell_back: Cell::new(false) }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the store had to fall back to memory.
    pub fn in_memory(&self) -> bool {
        self.wanted == Persistence::Memory || self.fell_back.get()
    }

    pub fn load(&self) -> Option<String> {
        if let Some(storage) = self.browser() {
            // `getItem` through `Function.call`, a binding the module already has.
            match super::convert::call_method(&storage, "getItem", &self.key.as_str().into()) {
                Ok(v) => return v.as_string(),
                Err(e) => self.fail("read", &e),
            }
        }
        // `try_with`, not `with`: the same on wasm (no thread ever ends) without `with`'s panic path.
        MEMORY.try_with(|m| br(m).iter().find(|(k, _)| *k == self.key).map(|(_, v)| v.clone())).ok().flatten()
    }

    pub fn save(&self, value: &str) {
        if let Some(storage) = self.browser() {
            match storage.set_item(&self.key, value) {
                Ok(()) => return,
                Err(e) => self.fail("write", &e),
            }
        }
        let _ = MEMORY.try_with(|m| {
            let mut m = bm(m);
            match m.iter_mut().find(|(k, _)| *k == self.key) {
                Some((_, v)) => *v = value.to_string(),
                None => m.push((self.key.clone(), value.to_string())),
            }
        });
    }

    pub fn clear(&self) {
        if let Some(storage) = self.browser() {
            let _ = storage.remove_item(&self.key);
        }
        let _ = MEMORY.try_with(|m| bm(m).retain(|(k, _)| *k != self.key));
    }

    /// The browser storage to use, or `None` for memory.
    fn browser(&self) -> Option<web_sys::Storage> {
        if self.in_memory() {
            return None;
        }
        let window = web_sys::window()?;
        let name = match self.wanted {
            Persistence::Local => "localStorage",
            Persistence::Session => "sessionStorage",
            Persistence::Memory => return None,
        };
        // Read through `Reflect.get` (a binding the module has) rather than a getter binding each; the getter may
        // throw (storage disabled), which `Reflect.get` reports as `Err`.
        match js_sys::Reflect::get(&window, &name.into()) {
            Ok(s) if s.is_object() => Some(s.unchecked_into()),
            Ok(_) => {
                self.fail("open", &wasm_bindgen::JsValue::from_str("not available"));
                None
            }
            Err(e) => {
                self.fail("open", &e);
                None
            }
        }
    }

    fn fail(&self, what: &str, e: &wasm_bindgen::JsValue) {
        if !self.fell_back.replace(true) {
            let which = if self.wanted == Persistence::Session { "sessionStorage" } else { "localStorage" };
            let msg = format!(
                "eventflow: could not {what} {which} ({}); the conversation is kept in memory only and will not \
                 survive a reload",
                super::error::describe(e)
            );
            web_sys::console::warn_1(&msg.into());
        }
    }
}
