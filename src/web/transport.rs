//! How a turn reaches the agent. The widget talks to a [`Transport`] and never knows which one it has.
//!
//! [`LocalTransport`] (local mode) runs the engine inside the page: a turn is a synchronous engine call, the
//! engine's effects are performed here (a webhook with `fetch` and an `AbortController` time limit; one gloo
//! timer for the earliest pending engine timer), and what they produce later reaches the widget through the
//! [`TraceSink`]. Remote mode (SPEC §7) will implement the same trait over HTTP, with server-pushed traces going
//! to the same sink, without touching the UI.

use crate::web::{bm, br, spawn, timeout};
use std::cell::{Ref, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};

use crate::json::Value;
use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::error::WebError;
use super::now_ms;
use crate::client::rating::{Rating, ANNOTATION_TYPE};
use crate::engine::{Config, Effect, Engine, Entry, Envelope, Session, Status, Trace, WebhookCall, WebhookOutcome};

pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A turn's answer on its way: the traces, in order, or why the turn failed.
pub type Answer = LocalFuture<Result<Vec<Trace>, WebError>>;

/// Where traces produced outside a turn go (timers, webhook answers, server pushes).
pub type TraceSink = Rc<dyn Fn(Vec<Trace>)>;

pub trait Transport {
    /// Run one action (a Voiceflow request, as JSON). The answer's traces, in order.
    fn send(&self, action: Value) -> Answer;
    /// The conversation so far, lent: drop it before a turn is sent, and before page code runs unless that code
    /// can only read the session (see `Loading::finish`).
    fn entries(&self) -> Ref<'_, [Entry]>;
    /// Lent, as [`Transport::entries`].
    fn user_id(&self) -> Ref<'_, str>;
    fn status(&self) -> Status;
    /// Forget the conversation and start a fresh one for the same user ("Start new chat").
    fn restart(&self);
    /// What persistence keeps (the whole engine session in local mode).
    fn snapshot(&self) -> String;
    fn set_sink(&self, sink: TraceSink);
    /// Stop timers and requests in flight (on `destroy()`).
    fn shutdown(&self);
    /// Record the user's rating of an agent message (thumbs up / down) on the latest thread. Local mode: an
    /// `annotation` entry (`annotation_type: "rating"`, `properties` from [`Rating::properties`]) in the engine
    /// session's transcript. Remote mode: Voiceflow's feedback call, `POST {url}/feedback/{projectID}/user/
    /// {userID}` (header `versionID`) with [`Rating::feedback`] as the body, and the same annotation in the
    /// transcript it keeps, so the rating shows again after a reload.
    fn rate(&self, rating: &Rating) -> LocalFuture<Result<(), WebError>>;
}

/// Local mode: the engine runs in the page.
pub struct LocalTransport {
    inner: Rc<Local>,
}

struct Local {
    me: Weak<Local>,
    engine: Engine,
    session: RefCell<Session>,
    /// The one armed wake-up, at the earliest engine timer. Dropping it cancels it.
    wake: RefCell<Option<(u64, Timeout)>>,
    sink: RefCell<Option<TraceSink>>,
    /// Webhook calls in flight, so `shutdown` can abort them.
    inflight: RefCell<Vec<web_sys::AbortController>>,
    stopped: std::cell::Cell<bool>,
}

impl LocalTransport {
    /// Start from a saved session when there is a usable one. The second value explains why a saved session
    /// was not used, for a console warning.
    pub fn new(engine: Engine, saved: Option<String>, user_id: Option<&str>) -> (LocalTransport, Option<String>) {
        let mut note = None;
        let mut restored = None;
        if let Some(src) = saved {
            match engine.restore(&src) {
                Ok(s) if user_id.map_or(true, |u| u == s.user_id) => restored = Some(s),
                Ok(_) => {}
                Err(e) => note = Some(format!("the saved conversation could not be restored ({}): {e}", e.code())),
            }
        }
        let session = match (restored, user_id) {
            (Some(s), _) => s,
            (None, Some(id)) => engine.new_session(id),
            (None, None) => engine.new_session(&random_user_id()),
        };
        let inner = Rc::new_cyclic(|me| Local {
            me: me.clone(),
            engine,
            session: RefCell::new(session),
            wake: RefCell::new(None),
            sink: RefCell::new(None),
            inflight: RefCell::new(Vec::new()),
            stopped: std::cell::Cell::new(false),
        });
        inner.arm();
        (LocalTransport { inner }, note)
    }

    /// When the next engine timer fires, if one is armed (tests and diagnostics).
    pub fn armed_at(&self) -> Option<u64> {
        br(&self.inner.wake).as_ref().map(|(at, _)| *at)
    }
}

impl Transport for LocalTransport {
    fn send(&self, action: Value) -> Answer {
        let result = self.inner.turn(action);
        // An async block rather than `std::future::ready`: `Ready` brings a panic message of its own.
        Box::pin(async move { result })
    }

    fn entries(&self) -> Ref<'_, [Entry]> {
        Ref::map(br(&self.inner.session), |s| &s.transcript.entries[..])
    }

    fn user_id(&self) -> Ref<'_, str> {
        Ref::map(br(&self.inner.session), |s| s.user_id.as_str())
    }

    fn status(&self) -> Status {
        br(&self.inner.session).status
    }

    fn restart(&self) {
        let fresh = {
            let s = br(&self.inner.session);
            self.inner.engine.new_session(&s.user_id)
        };
        *bm(&self.inner.session) = fresh;
        self.inner.arm();
    }

    fn snapshot(&self) -> String {
        br(&self.inner.session).to_json()
    }

    fn set_sink(&self, sink: TraceSink) {
        *bm(&self.inner.sink) = Some(sink);
    }

    fn rate(&self, rating: &Rating) -> LocalFuture<Result<(), WebError>> {
        let result = {
            let mut s = bm(&self.inner.session);
            let (text, properties) = (rating.thumb.label(), rating.properties());
            self.inner.engine.annotate(&mut s, ANNOTATION_TYPE, text, properties, now_ms())
        };
        let result = result.map_err(WebError::from);
        Box::pin(async move { result })
    }

    fn shutdown(&self) {
        self.inner.stopped.set(true);
        bm(&self.inner.wake).take();
        let inflight = std::mem::take(&mut *bm(&self.inner.inflight));
        for c in inflight {
            c.abort();
        }
    }
}

impl Local {
    fn turn(&self, action: Value) -> Result<Vec<Trace>, WebError> {
        let envelope = Envelope::from_value(action)?;
        let turn = {
            let mut s = bm(&self.session);
            self.engine.interact(&mut s, &envelope, now_ms())?
        };
        self.effects(turn.effects);
        Ok(turn.traces)
    }

    /// Perform a turn's effects. Wake-ups are recomputed from the session, which is the truth.
    fn effects(&self, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::Webhook(call) = e {
                self.webhook(call);
            }
        }
        self.arm();
    }

    /// Arm one timer for the earliest engine timer (or none).
    fn arm(&self) {
        if self.stopped.get() {
            return;
        }
        let next = br(&self.session).next_wake();
        let mut wake = bm(&self.wake);
        match next {
            None => *wake = None,
            Some(at) if wake.as_ref().is_some_and(|(a, _)| *a == at) => {}
            Some(at) => {
                // setTimeout holds at most 2^31-1 ms; a far timer re-arms when this one fires.
                let delay = at.saturating_sub(now_ms()).min(i32::MAX as u64) as u32;
                let me = self.me.clone();
                let t = timeout(
                    delay,
                    Box::new(move || {
                        if let Some(me) = me.upgrade() {
                            me.fire();
                        }
                    }),
                );
                *wake = Some((at, t));
            }
        }
    }

    fn fire(&self) {
        bm(&self.wake).take();
        let turn = {
            let mut s = bm(&self.session);
            self.engine.advance(&mut s, now_ms(), &Config::default())
        };
        self.effects(turn.effects);
        self.deliver(turn.traces);
    }

    fn deliver(&self, traces: Vec<Trace>) {
        if self.stopped.get() {
            return;
        }
        let sink = br(&self.sink).clone();
        if let Some(sink) = sink {
            sink(traces);
        }
    }

    /// Send a webhook call; its outcome goes back to the engine. The request is built (and its time limit started)
    /// before the future and the outcome handled by plain functions, so the future keeps only what the fetch needs
    /// across its wait.
    fn webhook(&self, call: WebhookCall) {
        let Ok(controller) = web_sys::AbortController::new() else { return };
        bm(&self.inflight).push(controller.clone());
        let Request { id, url, ready } = request(call, &controller);
        let me = self.me.clone();
        spawn(Box::pin(async move {
            let outcome = match ready {
                Some((window, init, _timer)) => outcome(fetch_text(&window, &url, &init).await, &controller),
                None => WebhookOutcome::Failed("no window".into()),
            };
            if let Some(me) = me.upgrade() {
                me.answered(&controller, id, outcome);
            }
        }));
    }

    /// A webhook call's outcome arrived.
    fn answered(&self, controller: &web_sys::AbortController, id: u64, outcome: WebhookOutcome) {
        bm(&self.inflight).retain(|c| c != controller);
        if self.stopped.get() {
            return;
        }
        let turn = {
            let mut s = bm(&self.session);
            self.engine.webhook_result(&mut s, id, outcome, now_ms(), &Config::default())
        };
        self.effects(turn.effects);
        self.deliver(turn.traces);
    }
}

/// A webhook call, ready to fetch.
struct Request {
    id: u64,
    url: String,
    /// The window, the request's init and its time limit (dropping the timer cancels it); `None` without a window.
    ready: Option<(web_sys::Window, web_sys::RequestInit, Timeout)>,
}

/// Build a webhook call's request and start its time limit.
fn request(call: WebhookCall, controller: &web_sys::AbortController) -> Request {
    let WebhookCall { id, method, url, headers, body, timeout_ms } = call;
    let Some(window) = web_sys::window() else { return Request { id, url, ready: None } };
    // The init's members are set with `Reflect.set`, a binding the module already has, rather than a setter
    // binding each.
    let init = web_sys::RequestInit::new();
    let set = |key: &str, value: &JsValue| super::convert::set(&init, key, value);
    set("method", &JsValue::from_str(&method));
    let signal = super::convert::get(controller, "signal");
    set("signal", &signal);
    if let Ok(h) = web_sys::Headers::new() {
        for (k, v) in &headers {
            let _ = h.append(k, v);
        }
        if let Some(b) = &body {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                let _ = h.append("content-type", "application/json");
            }
            set("body", &JsValue::from_str(&crate::json::to_string(b)));
        }
        set("headers", &h);
    }
    let c = controller.clone();
    let timer = timeout(timeout_ms.min(i32::MAX as u64) as u32, Box::new(move || c.abort()));
    Request { id, url, ready: Some((window, init, timer)) }
}

/// What a webhook fetch gives the engine.
fn outcome(fetched: Fetched, controller: &web_sys::AbortController) -> WebhookOutcome {
    match fetched {
        Ok((status, _, Ok(body))) => WebhookOutcome::Response { status, body },
        Ok((_, _, Err(e))) | Err(Some(e)) => failure(controller, &e),
        Err(None) => WebhookOutcome::Failed("fetch did not return a Response".into()),
    }
}

/// What [`fetch_text`] got: the response's status, the response and its text (read whatever the status: the
/// caller decides); `Err(Some(thrown))` when fetch failed, `Err(None)` when it did not give a `Response`.
pub(super) type Fetched = Result<(u16, web_sys::Response, Result<String, JsValue>), Option<JsValue>>;

/// `fetch(url, init)` and the response's text. One copy of this future serves agent files and webhooks.
pub(super) async fn fetch_text(window: &web_sys::Window, url: &str, init: &web_sys::RequestInit) -> Fetched {
    let response = JsFuture::from(window.fetch_with_str_and_init(url, init)).await.map_err(Some)?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| None)?;
    // `status` and `text()` through `Reflect.get` and `Function.call`, the bindings the module already has.
    let status = super::convert::get(&response, "status").as_f64().unwrap_or_default() as u16;
    let text = match super::convert::call_method(&response, "text", &JsValue::UNDEFINED) {
        Ok(p) => JsFuture::from(js_sys::Promise::unchecked_from_js(p)).await,
        Err(e) => Err(e),
    };
    Ok((status, response, text.map(|t: JsValue| t.as_string().unwrap_or_default())))
}

fn failure(controller: &web_sys::AbortController, e: &JsValue) -> WebhookOutcome {
    if super::convert::get(&super::convert::get(controller, "signal"), "aborted").is_truthy() {
        WebhookOutcome::Timeout
    } else {
        WebhookOutcome::Failed(super::error::describe(e))
    }
}

/// A user id for a visitor who has none: random, as the real widget's `cuid()`.
fn random_user_id() -> String {
    let mut id = String::from("u");
    for _ in 0..4 {
        // 8 hex digits of a random u32, written by hand rather than with `format!("{n:08x}")`.
        let n = (js_sys::Math::random() * 4_294_967_296.0) as u32;
        for shift in (0..8).rev() {
            id.push(char::from(b"0123456789abcdef"[(n >> (shift * 4)) as usize & 15]));
        }
    }
    id
}
