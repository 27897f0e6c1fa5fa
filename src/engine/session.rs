//! Session state (SPEC §4.8): plain data with a version number, saved by hosts after every turn.
//!
//! It holds everything a conversation needs to go on after a reload or on another machine: the flow stack,
//! variables, pending timers, the transcript. It round-trips through JSON exactly.

use crate::json::Named;

use crate::json::Value;

use super::template::walk;
use crate::json::{self, Obj, ToJson};
use crate::wire::transcript::Transcript;

/// The state format this engine reads and writes.
pub const STATE_VERSION: u32 = 1;

/// How many `custom_id`s a session remembers for dedupe.
pub const CUSTOM_ID_MEMORY: usize = 256;

/// The variables the engine writes itself (docs/agent-format.md, "Built-in variables"). An agent reads them but
/// does not write them, and they do not count against the session data limits: the engine bounds them (a request
/// is at most `MAX_REQUEST_BYTES`, an agent's text is its own).
pub const BUILT_IN_VARIABLES: [&str; 7] =
    ["intent_confidence", "last_event", "last_response", "last_utterance", "sessions", "timestamp", "user_id"];

/// Whether `name` is one of the [`BUILT_IN_VARIABLES`].
pub fn is_built_in(name: &str) -> bool {
    BUILT_IN_VARIABLES.contains(&name)
}

/// How deep a saved session may nest, so that whatever a turn accepted and saved is read back. Every value the
/// engine keeps nests at most `json::MAX_NESTING` levels: it was read from JSON text (a request, a webhook answer)
/// or built by a template, which refuses anything deeper (`JsonTemplate::render`). Only a fired event's
/// `last_event`, and a copy an expression makes of it, wraps its data in three more levels; it is kept 2 to 4
/// levels down (a variable, a transcript entry's content). A template's value sits at most 13 levels below the
/// root: an event button's data in a carousel in the transcript
/// (`transcript.entries[i].content.payload.cards[j].buttons[k].request.payload.event.data`); the others higher (a
/// variable 2 levels down, a timer's data and a transcript entry's properties 4).
pub const SESSION_MAX_DEPTH: usize = json::MAX_DEPTH + 13;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub version: u32,
    /// The agent this session runs (its `name`).
    pub agent: String,
    pub user_id: String,
    pub status: Status,
    /// Innermost flow last. Empty when the conversation has ended or not started.
    pub stack: Vec<Frame>,
    pub variables: Named<Value>,
    pub timers: Vec<Timer>,
    pub transcript: Transcript,
    /// Recent `custom_id`s, oldest first.
    pub custom_ids: Vec<String>,
    /// Turns run so far; also picks text variants deterministically.
    pub turns: u64,
    pub next_id: u64,
    /// The webhook the session waits for, if any.
    pub pending_webhook: Option<PendingWebhook>,
    /// Whether `sessionDataSoftLimitExceeded` was raised and the size has not dropped below the limit since.
    pub soft_limit_raised: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Idle,
    Active,
    Ended,
}

/// A flow on the stack and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub flow: String,
    /// The step to run next, or the step being waited on. `None` when the flow has finished.
    pub step: Option<String>,
    pub state: FrameState,
    /// No-matches in a row at the current listening step.
    pub no_matches: u32,
    /// No-replies in a row at the current listening step.
    pub no_replies: u32,
}

impl Frame {
    /// A frame about to run `step` of `flow`, with fresh counters. Given borrows: the copies of the names are
    /// made here, not at each caller.
    pub fn ready(flow: &str, step: Option<&String>) -> Frame {
        Frame { flow: flow.to_string(), step: step.cloned(), state: FrameState::Ready, no_matches: 0, no_replies: 0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameState {
    /// `step` runs when control comes back to this frame.
    Ready,
    /// Waiting at a listening step for the user (buttons, capture, custom action paths).
    Listening,
    /// Waiting for a delay timer.
    Paused,
    /// Waiting for a webhook answer.
    Webhook,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub id: u64,
    /// Epoch milliseconds when it fires.
    pub at: u64,
    pub kind: TimerKind,
    pub cancel_on_user_message: bool,
    /// For an event already due when it was scheduled (`after: 0`): the chain depth it fires at, one more than
    /// the turn that scheduled it, so that an event scheduling itself stops at `maxChainDepth`. 0 otherwise.
    pub chain_depth: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TimerKind {
    /// The user stayed silent at a listening step.
    NoReply { flow: String, step: String },
    /// A delay step ends: resume the flow.
    Resume { flow: String, step: Option<String> },
    /// A scheduled event (an `emit` with `after` or `at`).
    Event { name: String, data: Value },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PendingWebhook {
    pub id: u64,
    pub flow: String,
    pub step: String,
    /// The chain depth of the turn that called it, so a `followupEvent` continues the count.
    pub chain_depth: usize,
    /// The events that turn dispatched, so the chain trace after a `followupEvent` starts with them.
    pub chain: Vec<String>,
}

// Writing: the field order and names are the saved format that `restore.rs` reads.

impl ToJson for Session {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("version", &self.version).field("agent", &self.agent).field("user_id", &self.user_id);
        o.str("status", self.status.name()).field("stack", &self.stack).field("variables", &self.variables);
        o.field("timers", &self.timers).field("transcript", &self.transcript).field("custom_ids", &self.custom_ids);
        o.field("turns", &self.turns).field("next_id", &self.next_id).field("pending_webhook", &self.pending_webhook);
        o.field("soft_limit_raised", &self.soft_limit_raised);
        o.end();
    }
}

impl ToJson for Frame {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("flow", &self.flow).field("step", &self.step).str("state", self.state.name());
        o.field("no_matches", &self.no_matches).field("no_replies", &self.no_replies);
        o.end();
    }
}

impl ToJson for Timer {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("id", &self.id).field("at", &self.at);
        let mut k = Obj::new(o.key("kind"));
        match &self.kind {
            TimerKind::NoReply { flow, step } => k.str("type", "no_reply").field("flow", flow).field("step", step),
            TimerKind::Resume { flow, step } => k.str("type", "resume").field("flow", flow).field("step", step),
            TimerKind::Event { name, data } => k.str("type", "event").field("name", name).field("data", data),
        };
        k.end();
        o.field("cancel_on_user_message", &self.cancel_on_user_message).field("chain_depth", &self.chain_depth);
        o.end();
    }
}

impl ToJson for PendingWebhook {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("id", &self.id).field("flow", &self.flow).field("step", &self.step);
        o.field("chain_depth", &self.chain_depth).field("chain", &self.chain);
        o.end();
    }
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Active => "active",
            Status::Ended => "ended",
        }
    }
}

impl FrameState {
    pub fn name(self) -> &'static str {
        match self {
            FrameState::Ready => "ready",
            FrameState::Listening => "listening",
            FrameState::Paused => "paused",
            FrameState::Webhook => "webhook",
        }
    }
}

impl Session {
    pub fn new(agent: &str, user_id: &str) -> Session {
        Session {
            version: STATE_VERSION,
            agent: agent.to_string(),
            user_id: user_id.to_string(),
            status: Status::Idle,
            stack: Vec::new(),
            variables: Named::new(),
            timers: Vec::new(),
            transcript: Transcript::default(),
            custom_ids: Vec::new(),
            turns: 0,
            next_id: 1,
            pending_webhook: None,
            soft_limit_raised: false,
        }
    }

    pub fn to_json(&self) -> String {
        json::to_string(self)
    }

    /// A variable by dotted path (`last_event.payload.sku`).
    pub fn var(&self, path: &str) -> Option<&Value> {
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        walk(self.variables.get(head)?, rest)
    }

    /// When the next timer fires, if any. Hosts arm one wake-up for it.
    pub fn next_wake(&self) -> Option<u64> {
        let mut next: Option<u64> = None;
        for t in &self.timers {
            match next {
                Some(n) if n <= t.at => {}
                _ => next = Some(t.at),
            }
        }
        next
    }

    /// Keep the timers `keep` accepts (one `retain` shared by every caller).
    pub fn keep_timers(&mut self, keep: fn(&Timer) -> bool) {
        self.timers.retain(keep);
    }

    pub fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Remember a custom id; false when it was seen before.
    pub fn remember_custom_id(&mut self, id: &str) -> bool {
        if self.custom_ids.iter().any(|c| c == id) {
            return false;
        }
        if self.custom_ids.len() >= CUSTOM_ID_MEMORY {
            self.custom_ids.remove(0);
        }
        self.custom_ids.push(id.to_string());
        true
    }
}
