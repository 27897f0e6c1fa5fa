//! Local mode: the engine runs in the page (cargo feature `engine`).
//!
//! A turn is a synchronous engine call. The engine's effects are performed here: a webhook with `fetch` (its time
//! limit from the agent, its answer at most 1 MiB), and one gloo timer for the earliest pending engine timer.
//! What they produce later reaches the widget as a [`Change`], run on the session the widget has just brought up
//! to date with what other tabs saved.

use crate::web::{bm, br, spawn, timeout};
use std::cell::{Cell, Ref, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;

use super::error::WebError;
use super::http::{self, Failure};
use super::now_ms;
use super::transport::{random_id, Answer, Change, Changes, LocalFuture, Restored, Transport};
use crate::client::rating::{Rating, ANNOTATION_TYPE};
use crate::client::Status;
use crate::engine::{self, Config, Effect, Engine, Entry, Envelope, Session, Trace, WebhookCall, WebhookOutcome};
use crate::json::Value;

/// The largest webhook answer read, in bytes.
const MAX_WEBHOOK_ANSWER: usize = 1024 * 1024;

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
    changes: RefCell<Option<Changes>>,
    /// Webhook calls in flight, so `shutdown` can abort them.
    inflight: RefCell<Vec<web_sys::AbortController>>,
    stopped: Cell<bool>,
}

impl LocalTransport {
    /// Start from a saved session when there is a usable one for this user.
    pub fn new(engine: Engine, saved: Option<&str>, user_id: Option<&str>) -> (LocalTransport, Restored) {
        let (restored, how) = match saved.map(|src| engine.resume(src)) {
            None => (None, Restored::New),
            Some(Ok(r)) if user_id.map_or(true, |u| u == r.session.user_id) => {
                let how = if r.restarted { Restored::Restarted } else { Restored::Saved };
                (Some(r.session), how)
            }
            Some(Ok(_)) => (None, Restored::New),
            Some(Err(e)) => (None, Restored::Unreadable(format!("{e} ({})", e.code()))),
        };
        let session = match (restored, user_id) {
            (Some(s), _) => s,
            (None, Some(id)) => engine.new_session(id),
            (None, None) => engine.new_session(&random_id()),
        };
        let inner = Rc::new_cyclic(|me| Local {
            me: me.clone(),
            engine,
            session: RefCell::new(session),
            wake: RefCell::new(None),
            changes: RefCell::new(None),
            inflight: RefCell::new(Vec::new()),
            stopped: Cell::new(false),
        });
        inner.arm();
        (LocalTransport { inner }, how)
    }
}

impl Transport for LocalTransport {
    fn answers_at_once(&self) -> bool {
        true
    }

    fn send(&self, _id: &str, action: Value) -> Answer {
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
        match br(&self.inner.session).status {
            engine::Status::Idle => Status::Idle,
            engine::Status::Active => Status::Active,
            engine::Status::Ended => Status::Ended,
        }
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

    fn adopt(&self, saved: &str) -> Result<(), String> {
        let session = self.inner.engine.restore(saved).map_err(|e| e.to_string())?;
        *bm(&self.inner.session) = session;
        self.inner.arm();
        Ok(())
    }

    fn set_changes(&self, changes: Changes) {
        *bm(&self.inner.changes) = Some(changes);
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
                            bm(&me.wake).take();
                            let me2 = me.me.clone();
                            me.change(Box::new(move || me2.upgrade().map(|m| m.fire()).unwrap_or_default()));
                        }
                    }),
                );
                *wake = Some((at, t));
            }
        }
    }

    /// Hand a change to the widget (dropped after `destroy()`).
    fn change(&self, change: Change) {
        if self.stopped.get() {
            return;
        }
        let changes = br(&self.changes).clone();
        if let Some(changes) = changes {
            changes(change);
        }
    }

    /// Due engine timers fire (on the session as other tabs left it: one of them may have fired them already).
    fn fire(&self) -> Vec<Trace> {
        let turn = {
            let mut s = bm(&self.session);
            self.engine.advance(&mut s, now_ms(), &Config::default())
        };
        self.effects(turn.effects);
        turn.traces
    }

    /// Send a webhook call; its outcome goes back to the engine as a change.
    fn webhook(&self, call: WebhookCall) {
        let WebhookCall { id, method, url, headers, body, timeout_ms } = call;
        let mut list: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = body.map(|b| crate::json::to_string(&b));
        if body.is_some() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            list.push(("content-type", "application/json"));
        }
        let timeout_ms = timeout_ms.min(i32::MAX as u64) as u32;
        let req = http::Request { method: &method, url: &url, headers: &list, body: body.as_deref(), timeout_ms };
        let started = http::Call::start(&req);
        if let Ok(c) = &started {
            bm(&self.inflight).push(c.controller().clone());
        }
        let me = self.me.clone();
        spawn(Box::pin(async move {
            let (controller, outcome) = match started {
                Ok(call) => {
                    let answer = call.read(MAX_WEBHOOK_ANSWER).await.map(|(head, body)| (head.status, body));
                    (Some(call.controller().clone()), outcome(answer))
                }
                Err(e) => (None, outcome(Err(e))),
            };
            let Some(me) = me.upgrade() else { return };
            if let Some(c) = controller {
                bm(&me.inflight).retain(|x| *x != c);
            }
            let me2 = me.me.clone();
            me.change(Box::new(move || {
                let Some(me) = me2.upgrade() else { return Vec::new() };
                let turn = {
                    let mut s = bm(&me.session);
                    me.engine.webhook_result(&mut s, id, outcome, now_ms(), &Config::default())
                };
                me.effects(turn.effects);
                turn.traces
            }));
        }));
    }
}

/// What a webhook fetch gives the engine.
fn outcome(answer: Result<(u16, String), Failure>) -> WebhookOutcome {
    match answer {
        Ok((status, body)) => WebhookOutcome::Response { status, body },
        Err(Failure::Timeout) => WebhookOutcome::Timeout,
        Err(e) => WebhookOutcome::Failed(e.describe(0, MAX_WEBHOOK_ANSWER)),
    }
}
