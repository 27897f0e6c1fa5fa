//! The lifecycle behind `window.voiceflow.chat`: the early-call queue, `load()`, the loaded widget, `destroy()`.
//!
//! Phases: **waiting** (no `load()` yet) and **loading** queue every call in order (SPEC §1.3: the real widget
//! drops them with a warning; we replay them once loaded, before `load()` resolves); **ready** runs them;
//! **destroyed** warns as the real widget does, until the next `load()`.
//!
//! Once loaded, calls go to the [`Live`] widget (`live.rs`).
//!
//! Early clicks (SPEC §1.7, issue 11): a click on a `data-vf-event` element or a `listeners` target before the
//! widget is ready is not lost. The loader keeps the clicks made before this module runs and hands them over as
//! `click(target)` calls, in order with the other calls; from then until `load()` has finished, the controller's
//! own document listener keeps them. Once loaded, each is handled as if it happened then (the page listeners
//! decide what it means). At most [`MAX_EARLY_CLICKS`] are kept, so a page that never calls `load()` does not
//! grow a list forever.

use crate::web::{bm, br};
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::error::{js_error, Code};
use super::events::Hub;
use super::live::Live;

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

/// The most clicks kept before the widget is ready.
pub const MAX_EARLY_CLICKS: usize = 100;

impl Call {
    pub(super) fn name(&self) -> &'static str {
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
    fn abandon(self, code: Code, message: &str) {
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

enum Phase {
    Waiting(Vec<Call>),
    Loading(Vec<Call>),
    Ready(Rc<Live>),
    Destroyed,
}

pub struct Controller {
    me: Weak<Controller>,
    phase: RefCell<Phase>,
    pub hub: Rc<Hub>,
    /// The document listener that keeps clicks made before the widget is ready.
    early: RefCell<Option<super::listeners::DomListener>>,
}

impl Controller {
    pub fn new() -> Rc<Controller> {
        let ctl = Rc::new_cyclic(|me| Controller {
            me: me.clone(),
            phase: RefCell::new(Phase::Waiting(Vec::new())),
            hub: Rc::new(Hub::default()),
            early: RefCell::new(None),
        });
        let me = Rc::downgrade(&ctl);
        let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            if let (Some(ctl), Some(target)) = (me.upgrade(), target) {
                ctl.early_click(target);
            }
        });
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let _ = doc.add_event_listener_with_callback_and_bool("click", listener.as_ref().unchecked_ref(), true);
        }
        *bm(&ctl.early) = Some(listener);
        ctl
    }

    /// A click on the page while no widget is loaded: kept for it (once loaded, its own listeners hear clicks).
    pub fn early_click(&self, target: web_sys::Element) {
        let mut phase = bm(&self.phase);
        if let Phase::Waiting(q) | Phase::Loading(q) = &mut *phase {
            if q.iter().filter(|c| matches!(c, Call::Click(_))).count() < MAX_EARLY_CLICKS {
                q.push(Call::Click(target));
            }
        }
    }

    /// The loaded widget, if any.
    pub fn live(&self) -> Option<Rc<Live>> {
        match &*br(&self.phase) {
            Phase::Ready(l) => Some(l.clone()),
            _ => None,
        }
    }

    pub fn load(&self, config: JsValue) -> Promise {
        let (promise, done) = Resolvers::promise();
        let previous = std::mem::replace(&mut *bm(&self.phase), Phase::Destroyed);
        let queued = match previous {
            Phase::Waiting(q) => q,
            Phase::Destroyed => Vec::new(),
            other => {
                *bm(&self.phase) = other;
                done.reject(&js_error(Code::AlreadyLoaded, "load() was already called: call destroy() first"));
                return promise;
            }
        };
        *bm(&self.phase) = Phase::Loading(queued);
        let me = self.me.clone();
        Live::start(config, self.hub.clone(), move |result| {
            let Some(me) = me.upgrade() else { return };
            let phase = std::mem::replace(&mut *bm(&me.phase), Phase::Destroyed);
            match (phase, result) {
                (Phase::Loading(queue), Ok(live)) => {
                    *bm(&me.phase) = Phase::Ready(live.clone());
                    live.mounted();
                    for call in queue {
                        me.call(call);
                    }
                    done.resolve(&JsValue::UNDEFINED);
                }
                (Phase::Loading(queue), Err(e)) => {
                    *bm(&me.phase) = Phase::Waiting(Vec::new());
                    let dropped = format!("load() failed, so this call was dropped: {}", e.message);
                    for call in queue {
                        call.abandon(Code::NotLoaded, &dropped);
                    }
                    done.reject(&e.to_js());
                }
                (other, result) => {
                    // destroy() was called while loading.
                    *bm(&me.phase) = other;
                    if let Ok(live) = result {
                        live.teardown();
                    }
                    done.reject(&js_error(Code::Destroyed, "destroy() was called before load() finished"));
                }
            }
        });
        promise
    }

    /// Run a call now, queue it until loaded, or warn after `destroy()`.
    pub fn call(&self, call: Call) {
        let live = {
            let mut phase = bm(&self.phase);
            match &mut *phase {
                Phase::Waiting(q) | Phase::Loading(q) => {
                    q.push(call);
                    return;
                }
                Phase::Ready(live) => live.clone(),
                Phase::Destroyed => {
                    drop(phase);
                    if !matches!(call, Call::Click(_)) {
                        warn_destroyed(call.name());
                    }
                    call.abandon(Code::Destroyed, "the chat was destroyed: call load() to use it again");
                    return;
                }
            }
        };
        live.dispatch(call);
    }

    pub fn interact(&self, action: JsValue) -> Promise {
        let (promise, r) = Resolvers::promise();
        self.call(Call::Interact(action, r));
        promise
    }

    pub fn destroy(&self) {
        let phase = std::mem::replace(&mut *bm(&self.phase), Phase::Destroyed);
        match phase {
            Phase::Ready(live) => live.teardown(),
            Phase::Waiting(q) | Phase::Loading(q) => {
                for call in q {
                    call.abandon(Code::Destroyed, "destroy() was called before this call could run");
                }
            }
            Phase::Destroyed => warn_destroyed("destroy"),
        }
    }
}

fn warn_destroyed(method: &str) {
    warn_method(method, "after 'destroy' has been called. Call 'load' to use the chat again.");
}

pub(super) fn warn_mode(method: &str) {
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

impl Drop for Controller {
    fn drop(&mut self) {
        let listener = self.early.get_mut().take();
        if let (Some(l), Some(doc)) = (listener, web_sys::window().and_then(|w| w.document())) {
            let _ = doc.remove_event_listener_with_callback_and_bool("click", l.as_ref().unchecked_ref(), true);
        }
    }
}
