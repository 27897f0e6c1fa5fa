//! Remote mode (SPEC §7, cargo feature `remote`): every turn goes to a Dialog API runtime over HTTP, and what
//! the runtime pushes outside a turn arrives on its live stream (`stream.rs`).
//!
//! A turn is `POST {url}/public/{projectID}/state/user/{userID}/interact` with the body Voiceflow's widget sends,
//! `{action, config}`, the `versionID` header when configured and `Idempotency-Key: <turn id>`, the id made once
//! when the turn was queued and saved with it, so a resend after a timeout or a reload is the same turn to a
//! runtime that honours the key. Each attempt has a time limit; network failures, timeouts, 408, 429 and 5xx are
//! retried with backoff and jitter (`client::retry`), honouring `Retry-After`; other answers are final
//! (`client::answer`). The session (`client::session`) records the answers and keeps the queue.

use crate::web::{bm, br, spawn};
use std::cell::{Cell, Ref, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::future::TimeoutFuture;

use super::error::{Code, WebError};
use super::http::{self, Failure};
use super::now_ms;
use super::transport::{random_id, Answer, Change, Changes, LocalFuture, Restored, Transport};
use crate::client::answer::{self, Outcome};
use crate::client::rating::Rating;
use crate::client::retry::{self, Policy};
use crate::client::route::Routes;
use crate::client::session::{Pending, Session};
use crate::client::Status;
use crate::json::{self, Obj, Value};
use crate::wire::{Entry, Trace};

/// The largest answer read from the runtime, in bytes.
pub(super) const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// The turn options sent with every action, as Voiceflow's widget sends them.
const TURN_CONFIG: &str = r#"{"tts":false,"stripSSML":true,"stopAll":true,"excludeTypes":["block","debug","flow"]}"#;

/// Where the runtime is and how turns are sent.
#[derive(Clone, Debug)]
pub struct Options {
    pub routes: Routes,
    /// The `versionID` header.
    pub version_id: Option<String>,
    /// The time limit of one attempt of a turn.
    pub timeout_ms: u32,
    pub retry: Policy,
}

pub struct RemoteTransport {
    inner: Rc<Remote>,
}

pub(super) struct Remote {
    pub(super) me: Weak<Remote>,
    pub(super) options: Options,
    pub(super) session: RefCell<Session>,
    changes: RefCell<Option<Changes>>,
    /// Requests in flight (turns and the stream), so `shutdown` can abort them.
    inflight: RefCell<Vec<web_sys::AbortController>>,
    pub(super) stopped: Cell<bool>,
    /// The stream was started (it runs at most once per page load).
    stream_started: Cell<bool>,
    /// The stream answered as a stream at least once: the runtime runs the timers.
    pub(super) stream_live: Cell<bool>,
}

impl RemoteTransport {
    /// Start from a saved session when there is a usable one for this user.
    pub fn new(options: Options, saved: Option<&str>, user_id: Option<&str>) -> (RemoteTransport, Restored) {
        let (restored, how) = match saved.map(Session::from_json) {
            None => (None, Restored::New),
            Some(Ok(s)) if user_id.map_or(true, |u| u == s.user_id) => (Some(s), Restored::Saved),
            Some(Ok(_)) => (None, Restored::New),
            Some(Err(e)) => (None, Restored::Unreadable(e)),
        };
        let session = restored.unwrap_or_else(|| Session::new(&user_id.map_or_else(random_id, str::to_string)));
        let inner = Rc::new_cyclic(|me| Remote {
            me: me.clone(),
            options,
            session: RefCell::new(session),
            changes: RefCell::new(None),
            inflight: RefCell::new(Vec::new()),
            stopped: Cell::new(false),
            stream_started: Cell::new(false),
            stream_live: Cell::new(false),
        });
        (RemoteTransport { inner }, how)
    }
}

impl Transport for RemoteTransport {
    fn queue(&self, id: &str, action: &Value) {
        bm(&self.inner.session).queue(id, action.clone());
    }

    fn is_pending(&self, id: &str) -> bool {
        br(&self.inner.session).pending(id).is_some()
    }

    fn send(&self, id: &str, action: Value) -> Answer {
        let mut body = String::new();
        let mut o = Obj::new(&mut body);
        o.field("action", &action).key("config").push_str(TURN_CONFIG);
        o.end();
        let url = self.inner.options.routes.interact(&br(&self.inner.session).user_id);
        let me = self.inner.me.clone();
        let id = id.to_string();
        Box::pin(async move {
            let mut retry = 0;
            loop {
                let Some(remote) = me.upgrade().filter(|r| !r.stopped.get()) else { return Err(stopped()) };
                let attempt = remote.attempt(&url, &id, &body);
                drop(remote);
                let (code, message, after_ms) = match attempt.await {
                    Outcome::Traces(traces) => return Ok(traces),
                    Outcome::Fail { code, message } => return Err(WebError::new(code, message)),
                    Outcome::Retry { code, message, after_ms } => (code, message, after_ms),
                };
                let Some(remote) = me.upgrade() else { return Err(stopped()) };
                retry += 1;
                let wait = remote.options.retry.wait(retry, js_sys::Math::random(), after_ms);
                drop(remote);
                let Some(ms) = wait else { return Err(WebError::new(code, message)) };
                TimeoutFuture::new(ms.min(i32::MAX as u64) as u32).await;
            }
        })
    }

    fn delivered(&self, id: &str, traces: &[Trace]) -> bool {
        let recorded = bm(&self.inner.session).delivered(id, traces, now_ms());
        if recorded {
            self.inner.start_stream();
        }
        recorded
    }

    fn failed(&self, id: &str, keep: bool) {
        let mut s = bm(&self.inner.session);
        if keep {
            s.undelivered(id);
        } else {
            s.forget(id);
        }
    }

    fn resend(&self, id: &str) -> Option<Value> {
        bm(&self.inner.session).resend(id)
    }

    fn pending(&self) -> Vec<Pending> {
        br(&self.inner.session).pending.clone()
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
        bm(&self.inner.session).restart();
    }

    fn snapshot(&self) -> String {
        json::to_string(&*br(&self.inner.session))
    }

    fn adopt(&self, saved: &str) -> Result<(), String> {
        let session = Session::from_json(saved)?;
        *bm(&self.inner.session) = session;
        Ok(())
    }

    fn set_changes(&self, changes: Changes) {
        *bm(&self.inner.changes) = Some(changes);
    }

    fn client_no_reply(&self) -> bool {
        !self.inner.stream_live.get()
    }

    fn started(&self) {
        let s = br(&self.inner.session);
        let known = s.status != Status::Idle || s.last_seq > 0 || !s.transcript.entries.is_empty();
        drop(s);
        if known {
            self.inner.start_stream();
        }
    }

    fn rate(&self, rating: &Rating) -> LocalFuture<Result<(), WebError>> {
        let url = self.inner.options.routes.feedback(&br(&self.inner.session).user_id);
        let body = rating.feedback();
        let mut headers = vec![("content-type", "application/json")];
        if let Some(v) = &self.inner.options.version_id {
            headers.push(("versionID", v));
        }
        let timeout_ms = self.inner.options.timeout_ms;
        let req = http::Request { method: "POST", url: &url, headers: &headers, body: Some(&body), timeout_ms };
        let call = http::Call::start(&req);
        let tracked = self.inner.track(call.as_ref().ok().map(http::Call::controller));
        let (me, rating) = (self.inner.me.clone(), rating.clone());
        Box::pin(async move {
            let answer = match &call {
                Ok(call) => call.read(MAX_ANSWER).await,
                Err(e) => Err(e.clone()),
            };
            let Some(me) = me.upgrade() else { return Err(stopped()) };
            me.untrack(tracked.as_ref());
            match answer {
                Ok((head, _)) if (200..=299).contains(&head.status) => {
                    bm(&me.session).rated(&rating, now_ms());
                    Ok(())
                }
                Ok((head, body)) => {
                    let (code, message) = answer::failed(head.status, &head.content_type, &body);
                    Err(WebError::new(code, message))
                }
                Err(e) => Err(WebError::new(
                    if e == Failure::Timeout { Code::Timeout } else { Code::Network },
                    format!("the runtime could not be reached: {}", e.describe(timeout_ms, MAX_ANSWER)),
                )),
            }
        })
    }

    fn shutdown(&self) {
        self.inner.stopped.set(true);
        let inflight = std::mem::take(&mut *bm(&self.inner.inflight));
        for c in inflight {
            c.abort();
        }
    }
}

impl Remote {
    /// One attempt of a turn: its request is started here, and the future only waits for it.
    fn attempt(&self, url: &str, id: &str, body: &str) -> LocalFuture<Outcome> {
        let options = &self.options;
        let mut headers = vec![("content-type", "application/json"), ("idempotency-key", id)];
        if let Some(v) = &options.version_id {
            headers.push(("versionID", v));
        }
        let req =
            http::Request { method: "POST", url, headers: &headers, body: Some(body), timeout_ms: options.timeout_ms };
        let timeout_ms = options.timeout_ms;
        let call = http::Call::start(&req);
        let registered = self.track(call.as_ref().ok().map(http::Call::controller));
        let me = self.me.clone();
        Box::pin(async move {
            let answer = match &call {
                Ok(call) => call.read(MAX_ANSWER).await,
                Err(e) => Err(e.clone()),
            };
            if let Some(me) = me.upgrade() {
                me.untrack(registered.as_ref());
            }
            match answer {
                Ok((head, body)) => {
                    let after = head.retry_after.as_deref().and_then(|v| retry::retry_after(v, now_ms()));
                    answer::turn(head.status, &head.content_type, &body, after)
                }
                Err(Failure::TooLarge) => {
                    Outcome::Fail { code: Code::BadAnswer, message: Failure::TooLarge.describe(timeout_ms, MAX_ANSWER) }
                }
                Err(e) => Outcome::Retry {
                    code: if e == Failure::Timeout { Code::Timeout } else { Code::Network },
                    message: format!("the runtime could not be reached: {}", e.describe(timeout_ms, MAX_ANSWER)),
                    after_ms: None,
                },
            }
        })
    }

    /// Keep a request's controller so `shutdown` can abort it.
    pub(super) fn track(&self, controller: Option<&web_sys::AbortController>) -> Option<web_sys::AbortController> {
        let c = controller?.clone();
        bm(&self.inflight).push(c.clone());
        Some(c)
    }

    pub(super) fn untrack(&self, controller: Option<&web_sys::AbortController>) {
        if let Some(c) = controller {
            bm(&self.inflight).retain(|x| x != c);
        }
    }

    /// Hand a change to the widget (dropped after `destroy()`).
    pub(super) fn change(&self, change: Change) {
        if self.stopped.get() {
            return;
        }
        let changes = br(&self.changes).clone();
        if let Some(changes) = changes {
            changes(change);
        }
    }

    /// A stream item: its traces are shown unless its sequence number was (here or in another tab).
    pub(super) fn pushed(&self, seq: u64, traces: Vec<Trace>) -> Vec<Trace> {
        if bm(&self.session).pushed(seq, &traces, now_ms()) {
            traces
        } else {
            Vec::new()
        }
    }

    /// Start the live stream once per page load.
    fn start_stream(&self) {
        if self.stopped.get() || self.stream_started.replace(true) {
            return;
        }
        spawn(Box::pin(super::stream::run(self.me.clone())));
    }
}

fn stopped() -> WebError {
    WebError::new(Code::Destroyed, "the chat was destroyed")
}
