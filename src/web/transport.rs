//! How a turn reaches the agent. The widget talks to a [`Transport`] and never knows which one it has.
//!
//! Local mode (`local.rs`, cargo feature `engine`) runs the engine inside the page; remote mode (`remote.rs`,
//! feature `remote`) sends every turn to a Dialog API runtime over HTTP and hears pushed traces on a stream.
//! Both hand what happens outside a turn (a timer fired, a webhook answered, the runtime pushed an event) to the
//! widget as a [`Change`], which the widget runs between reading what another tab saved and saving, so a change
//! never works on a stale copy of a shared session.

use std::cell::Ref;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::client::rating::Rating;
use crate::client::session::Pending;
use crate::client::Status;
use crate::json::Value;
use crate::wire::{Entry, Trace};

use super::error::WebError;

pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A turn's answer on its way: the traces, in order, or why the turn failed.
pub type Answer = LocalFuture<Result<Vec<Trace>, WebError>>;

/// A change to the session from outside a turn; it returns the traces to show.
pub type Change = Box<dyn FnOnce() -> Vec<Trace>>;

/// Where a transport hands its [`Change`]s.
pub type Changes = Rc<dyn Fn(Change)>;

/// What became of the saved conversation at load.
#[derive(Debug, PartialEq, Eq)]
pub enum Restored {
    /// None was saved (or it belongs to another user): a new conversation.
    New,
    Saved,
    /// The agent no longer has the flow the conversation was in: it starts again.
    Restarted,
    /// It could not be read; why.
    Unreadable(String),
}

pub trait Transport {
    /// Whether a turn's answer comes at once (the engine in the page): the user's bubble then shows when the
    /// turn runs, not when it is asked for, and nothing is kept pending.
    fn answers_at_once(&self) -> bool {
        false
    }
    /// A turn was asked for, under its id: remote mode keeps it as pending, saved with the session, so a
    /// reload resends it.
    fn queue(&self, _id: &str, _action: &Value) {}
    /// Whether turn `id` still waits for its answer here (another tab sharing the session may have had it).
    fn is_pending(&self, _id: &str) -> bool {
        true
    }
    /// Run one turn (a Voiceflow request, as JSON), with the transport's own retries. The answer's traces, in
    /// order.
    fn send(&self, id: &str, action: Value) -> Answer;
    /// Record turn `id`'s answer. `false` when it was recorded already (by another tab): do not show it again.
    fn delivered(&self, _id: &str, _traces: &[Trace]) -> bool {
        true
    }
    /// Turn `id` failed for good: kept as not delivered (`keep`, for a Retry) or forgotten.
    fn failed(&self, _id: &str, _keep: bool) {}
    /// The user pressed Retry on turn `id`: it waits again, under the same id. Its action.
    fn resend(&self, _id: &str) -> Option<Value> {
        None
    }
    /// The turns asked for and not delivered, in order (after a restore or another tab's save).
    fn pending(&self) -> Vec<Pending> {
        Vec::new()
    }
    /// The conversation so far, lent: drop it before a turn is sent, and before page code runs unless that code
    /// can only read the session (see `Loading::finish`).
    fn entries(&self) -> Ref<'_, [Entry]>;
    /// Lent, as [`Transport::entries`].
    fn user_id(&self) -> Ref<'_, str>;
    fn status(&self) -> Status;
    /// Forget the conversation and start a fresh one for the same user ("Start new chat").
    fn restart(&self);
    /// What persistence keeps.
    fn snapshot(&self) -> String;
    /// Take the session another tab saved in place of this one. `Err` (and nothing changes) when it cannot be
    /// read.
    fn adopt(&self, saved: &str) -> Result<(), String>;
    fn set_changes(&self, changes: Changes);
    /// Whether the widget runs Voiceflow's no-reply timer itself (a runtime without a live stream).
    fn client_no_reply(&self) -> bool {
        false
    }
    /// The widget is in the page: background work may start (remote mode's stream).
    fn started(&self) {}
    /// Stop timers and requests in flight (on `destroy()`).
    fn shutdown(&self);
    /// Record the user's rating of an agent message (thumbs up / down) on the latest thread. Local mode: an
    /// `annotation` entry (`annotation_type: "rating"`, `properties` from [`Rating::properties`]) in the engine
    /// session's transcript. Remote mode: Voiceflow's feedback call, `POST {url}/feedback/{projectID}/user/
    /// {userID}` (header `versionID`) with [`Rating::feedback`] as the body, and the same annotation in the
    /// transcript it keeps, so the rating shows again after a reload.
    fn rate(&self, rating: &Rating) -> LocalFuture<Result<(), WebError>>;
}

/// A random id of 128 bits from `crypto.getRandomValues`, as 32 hex digits: user ids and turn ids.
pub fn random_id() -> String {
    let bytes = js_sys::Uint8Array::new_with_length(16);
    let filled = super::by_name::get_random_values(&bytes).is_ok();
    let mut id = String::with_capacity(32);
    for i in 0..16u32 {
        // Each byte through `Reflect.get`, a binding the module has.
        let b = match filled {
            true => js_sys::Reflect::get(&bytes, &i.into()).ok().and_then(|b| b.as_f64()).unwrap_or_default() as u8,
            // No Web Crypto (not a browser this module runs in): `Math.random`.
            false => (js_sys::Math::random() * 256.0) as u8,
        };
        id.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        id.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    id
}
