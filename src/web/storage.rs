//! Where a conversation is kept between page loads (SPEC §1.8): `localStorage` (default), `sessionStorage` or
//! memory, under `voiceflow-session-{projectID or agent name}`.
//!
//! Storage is best effort and never breaks the chat: when the browser refuses it (disabled, private mode,
//! quota full), the store falls back to memory for the rest of the page's life and says so once in the console.
//! A saved conversation that cannot be read is kept aside under another key ([`Store::set_aside`]), never
//! overwritten. Tabs of one origin share `localStorage`: [`Store::watch`] hears when another tab saved.

use crate::web::{bm, br};
use std::cell::{Cell, RefCell};

use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

use super::listeners::DomListener;

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
            match super::by_name::get_item(&storage, &self.key) {
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

    /// Keep `value`, a saved conversation that could not be read, under a key of its own
    /// (`{key}.unreadable.{random id}`), so the next save does not destroy it. That key, or `None` when even this
    /// could not be stored.
    pub fn set_aside(&self, value: &str) -> Option<String> {
        let mut aside = self.key.clone();
        aside.push_str(".unreadable.");
        aside.push_str(&super::transport::random_id());
        let other = Store { key: aside, wanted: self.wanted, fell_back: Cell::new(self.fell_back.get()) };
        other.save(value);
        (!other.fell_back.get() || self.in_memory()).then_some(other.key)
    }

    /// Call `changed` whenever another tab saves under this key. Only `localStorage` is shared between tabs;
    /// dropping the watch stops it.
    pub fn watch(&self, changed: Box<dyn Fn()>) -> Option<Watch> {
        if self.wanted != Persistence::Local || self.in_memory() {
            return None;
        }
        let window = web_sys::window()?;
        let key = self.key.clone();
        let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            // `key` is null when another tab cleared the whole storage.
            let k = super::convert::get(&ev, "key");
            if k.is_null() || k.as_string().as_deref() == Some(key.as_str()) {
                changed();
            }
        });
        let _ = window.add_event_listener_with_callback_and_bool("storage", listener.as_ref().unchecked_ref(), false);
        Some(Watch { window, listener })
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
                super::convert::describe(e)
            );
            web_sys::console::warn_1(&msg.into());
        }
    }
}

/// A `storage` listener; dropping it removes it.
pub struct Watch {
    window: web_sys::Window,
    listener: DomListener,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let cb = self.listener.as_ref().unchecked_ref();
        let _ = self.window.remove_event_listener_with_callback_and_bool("storage", cb, false);
    }
}
