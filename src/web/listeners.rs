//! Page elements mapped to named events (SPEC §1.7), the point of the product.
//!
//! - Declarative: a click on (or inside) an element with `data-vf-event="checkout"` sends event `checkout`;
//!   `data-vf-data='{"total":120}'` (JSON) becomes the event data; `data-vf-open` also opens the chat.
//! - From the config: `listeners: [{selector, on: 'click', event, data?, open?}]`.
//!
//! Both are delegated from the document in the capture phase, so elements added later work, a page handler that
//! stops propagation does not hide the click, and non-bubbling events (`focus`, `mouseenter`) can be used.
//! Malformed `data-vf-data` is refused: a console warning names the element and **the event is not sent**
//! (sending it without the data would run the flow on wrong data).

use std::rc::Rc;

use crate::json::Value;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

use super::error::WebError;
use crate::json::{obj1, obj2, text};

/// One `listeners` entry, read by `config`.
#[derive(Clone, Debug)]
pub struct ListenerSpec {
    pub selector: String,
    /// The DOM event type; `click` by default.
    pub on: String,
    pub event: String,
    /// Event data; without it, the matched element's `data-vf-data` is used if present.
    pub data: Option<Value>,
    /// Also open the chat.
    pub open: bool,
}

/// A Rust closure registered as a DOM event listener.
pub type DomListener = Closure<dyn FnMut(web_sys::Event)>;

/// What a listener asks the chat to do.
pub struct Trigger {
    pub action: Value,
    pub open: bool,
}

/// Installed document listeners; dropping this removes them.
pub struct Listeners {
    installed: Vec<(String, DomListener)>,
    document: web_sys::Document,
    specs: Rc<Vec<ListenerSpec>>,
    fire: Rc<dyn Fn(Trigger)>,
}

impl Listeners {
    /// Check the specs and install the listeners. `fire` runs for every matched event. Only a spec can be refused:
    /// nothing is installed then.
    pub fn install(
        document: &web_sys::Document,
        specs: Vec<ListenerSpec>,
        fire: Rc<dyn Fn(Trigger)>,
    ) -> Result<Listeners, WebError> {
        for (i, s) in specs.iter().enumerate() {
            let (field, message) = if super::dom::query(document, &s.selector).is_err() {
                ("selector", format!("'{}' is not a valid CSS selector", s.selector))
            } else if let Err(e) = crate::wire::names::check_name(&s.event) {
                ("event", e.to_string())
            } else if s.on.is_empty() {
                ("on", "must name a DOM event type".into())
            } else {
                continue;
            };
            return Err(WebError::config(&format!("listeners[{i}].{field}"), &message));
        }
        let mut installed = Vec::new();
        let mut types: Vec<String> = vec!["click".into()];
        for s in &specs {
            if !types.contains(&s.on) {
                types.push(s.on.clone());
            }
        }
        let specs = Rc::new(specs);
        for ty in types {
            let (specs, fire, ty2) = (specs.clone(), fire.clone(), ty.clone());
            let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
                if let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                    handle(&target, &ty2, &specs, &fire);
                }
            });
            // No error path: `addEventListener` throws only when the callback is not an object, and this one is a
            // function.
            let _ = document.add_event_listener_with_callback_and_bool(&ty, cb.as_ref().unchecked_ref(), true);
            installed.push((ty, cb));
        }
        Ok(Listeners { installed, document: document.clone(), specs, fire })
    }

    /// A click that happened before the widget was ready (the loader and the controller keep them), handled now
    /// as if it happened now.
    pub fn click(&self, target: &web_sys::Element) {
        handle(target, "click", &self.specs, &self.fire);
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for (ty, cb) in &self.installed {
            let _ = self.document.remove_event_listener_with_callback_and_bool(ty, cb.as_ref().unchecked_ref(), true);
        }
    }
}

fn handle(target: &web_sys::Element, ty: &str, specs: &[ListenerSpec], fire: &Rc<dyn Fn(Trigger)>) {
    if ty == "click" {
        if let Ok(Some(el)) = target.closest("[data-vf-event]") {
            if let Some(t) = declarative(&el) {
                fire(t);
            }
        }
    }
    for s in specs {
        if s.on != ty {
            continue;
        }
        let Ok(Some(el)) = target.closest(&s.selector) else { continue };
        let data = match &s.data {
            Some(d) => Some(d.clone()),
            None => match element_data(&el) {
                Ok(d) => d,
                Err(()) => continue,
            },
        };
        fire(Trigger { action: event_action(&s.event, data), open: s.open });
    }
}

/// The event a `data-vf-event` element sends, or `None` (with a warning) when its data is malformed.
pub fn declarative(el: &web_sys::Element) -> Option<Trigger> {
    let name = el.get_attribute("data-vf-event")?;
    let name = name.trim();
    if name.is_empty() {
        warn(el, "has an empty data-vf-event; nothing was sent");
        return None;
    }
    let data = element_data(el).ok()?;
    Some(Trigger { action: event_action(name, data), open: el.get_attribute("data-vf-open").is_some() })
}

/// The element's `data-vf-data` JSON: `Ok(None)` when absent, `Err` (after a warning) when malformed.
fn element_data(el: &web_sys::Element) -> Result<Option<Value>, ()> {
    let Some(raw) = el.get_attribute("data-vf-data") else { return Ok(None) };
    match crate::json::parse(&raw) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            warn(el, &format!("has malformed data-vf-data JSON ({e}); the event was NOT sent"));
            Err(())
        }
    }
}

fn warn(el: &web_sys::Element, what: &str) {
    let mut msg = String::from("eventflow: the element below (data-vf-event=\"");
    msg.push_str(&el.get_attribute("data-vf-event").unwrap_or_default());
    msg.push_str("\") ");
    msg.push_str(what);
    web_sys::console::warn_2(&msg.into(), el);
}

/// `{type: 'event', payload: {event: {name, data?}}}`.
pub fn event_action(name: &str, data: Option<Value>) -> Value {
    let event = match data {
        Some(d) => obj2("name", text(name), "data", d),
        None => obj1("name", text(name)),
    };
    obj2("type", text("event"), "payload", obj1("event", event))
}
