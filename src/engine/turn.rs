//! The context of one turn: the program, the session being changed, the clock reading, and what the turn has
//! produced so far (traces, effects, the follow-up chain, this turn's event contexts).

use crate::json::Named;

use crate::json::Value;

use super::program::Program;
use super::session::{Session, Timer, TimerKind};
use super::template::{walk, Scope, Template};
use crate::json::{self, Obj, ToJson};
use crate::wire::request::Config;
use crate::wire::trace::{TextPayload, Trace, TraceKind};
use crate::wire::transcript::{Body, Recipients, AGENT};

/// Something the host must do for the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Call this HTTP endpoint, then hand the answer to `Engine::webhook_result` with its id.
    Webhook(WebhookCall),
    /// Call `Engine::advance` at this epoch time (ms): the earliest pending timer. Replaces any earlier wake-up.
    Wake { at: u64 },
}

/// An HTTP call a `webhook` step asks the host to make.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookCall {
    pub id: u64,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    pub timeout_ms: u64,
}

/// What a turn returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Turn {
    pub traces: Vec<Trace>,
    pub effects: Vec<Effect>,
}

/// `{"type": "webhook", "id", ...}` or `{"type": "wake", "at"}`.
impl ToJson for Effect {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        match self {
            Effect::Webhook(w) => o
                .str("type", "webhook")
                .field("id", &w.id)
                .field("method", &w.method)
                .field("url", &w.url)
                .field("headers", &w.headers)
                .field("body", &w.body)
                .field("timeout_ms", &w.timeout_ms),
            Effect::Wake { at } => o.str("type", "wake").field("at", at),
        };
        o.end();
    }
}

/// `{"traces": [...], "effects": [...]}`.
impl ToJson for Turn {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("traces", &self.traces).field("effects", &self.effects);
        o.end();
    }
}

impl Turn {
    /// The turn's JSON text.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

/// Where an event came from: it decides which triggers may catch it and whether it counts in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Sent by the page or a button.
    Client,
    /// `WELCOME` on launch: exact triggers and intent events only.
    Launch,
    /// An `emit` step or a webhook's `followupEvent`: counts toward `maxChainDepth`.
    FollowUp,
    /// A scheduled `emit` that came due.
    Scheduled,
    /// A system event raised by the engine: exact triggers only.
    System,
}

pub struct Ctx<'a> {
    pub p: &'a Program,
    pub s: &'a mut Session,
    pub now: u64,
    pub config: &'a Config,
    pub traces: Vec<Trace>,
    pub effects: Vec<Effect>,
    /// Steps run this turn (bounded by `maxStepsPerTurn`).
    pub steps: usize,
    /// Follow-up events dispatched this turn.
    pub depth: usize,
    /// Event names dispatched this turn, in order (for the chain debug trace).
    pub chain: Vec<String>,
    /// Event contexts of this turn (lifespan 0): event key to its data.
    pub contexts: Named<Value>,
    /// System events raised while a step ran, dispatched once the flow settles.
    pub raised: Vec<(&'static str, Value)>,
    /// Set when the step budget ran out: nothing more runs this turn.
    pub halted: bool,
}

impl<'a> Ctx<'a> {
    /// Kept out of line: each of the engine's three entry points would otherwise carry a copy.
    #[inline(never)]
    pub fn new(p: &'a Program, s: &'a mut Session, now: u64, config: &'a Config) -> Ctx<'a> {
        Ctx {
            p,
            s,
            now,
            config,
            traces: Vec::new(),
            effects: Vec::new(),
            steps: 0,
            depth: 0,
            chain: Vec::new(),
            contexts: Named::new(),
            raised: Vec::new(),
            halted: false,
        }
    }

    /// Emit a trace (unless the request's config excludes its type) and record what the user sees. The trace
    /// kinds the user does not see (debug, path, flow) come here too, each checked first, so their text is built
    /// only when wanted: one place builds and keeps a trace.
    pub fn emit(&mut self, kind: TraceKind) {
        let trace = Trace { time: self.now, kind };
        self.record(&trace);
        if self.config.wants(trace.type_name()) {
            self.traces.push(trace);
        }
    }

    pub fn debug(&mut self, kind: &str, message: String) {
        if self.config.wants("debug") {
            self.emit(TraceKind::Debug { message, kind: Some(kind.to_string()) });
        }
    }

    /// A debug trace `{before}'{name}'{after}`, built only when debug traces are wanted.
    pub fn debug_named(&mut self, kind: &str, before: &str, name: &str, after: &str) {
        if self.config.wants("debug") {
            let mut m = String::with_capacity(before.len() + name.len() + after.len() + 2);
            m.push_str(before);
            m.push('\'');
            m.push_str(name);
            m.push('\'');
            m.push_str(after);
            self.debug(kind, m);
        }
    }

    pub fn path(&mut self, path: &str) {
        if self.config.wants("path") {
            self.emit(TraceKind::Path { path: path.to_string() });
        }
    }

    /// The `choice:N` path of the button at `index`.
    pub fn choice_path(&mut self, index: usize) {
        self.path(&format!("choice:{}", index + 1));
    }

    pub fn flow_trace(&mut self, flow: &str) {
        if self.config.wants("flow") {
            self.emit(TraceKind::Flow { diagram_id: flow.to_string(), name: Some(flow.to_string()) });
        }
    }

    fn record(&mut self, trace: &Trace) {
        let body = match &trace.kind {
            TraceKind::Text(t) => Body::Message { text: t.message.clone() },
            TraceKind::End { .. } => {
                return self.s.transcript.system(self.now, "session_ended", "The conversation ended")
            }
            TraceKind::Path { .. }
            | TraceKind::Debug { .. }
            | TraceKind::Flow { .. }
            | TraceKind::Block { .. }
            | TraceKind::NoReply { .. } => return,
            _ => Body::Custom { content: json::to_value(trace) },
        };
        self.s.transcript.push(AGENT, self.now, Recipients::All, body);
    }

    /// Say one of the variants as a text trace.
    pub fn say(&mut self, variants: &[Template], delay: Option<u64>) {
        let n = variants.len().max(1) as u64;
        let pick = mix(self.s.turns, self.steps as u64 + self.traces.len() as u64) % n;
        let Some(template) = variants.get(pick as usize) else { return };
        let message = template.render(self);
        self.say_text(message, delay);
    }

    pub fn say_text(&mut self, message: String, delay: Option<u64>) {
        let delay = delay.unwrap_or(self.p.agent.settings.message_delay_ms);
        let id = hex(mix(self.s.turns, self.s.transcript.count()) & 0xff_ffff_ffff);
        self.put("last_response", Value::String(message.clone()));
        self.emit(TraceKind::Text(TextPayload::new(id, message, delay)));
    }

    /// Write one of the engine's own variables (`last_utterance`, `intent_confidence`, ...). These writes are
    /// not checked against the session data limits.
    pub fn put(&mut self, name: &str, value: Value) {
        self.s.variables.insert(name.to_string(), value);
    }

    /// Write a variable the agent asked for, within the session data limits (SPEC §4.6). Returns false when the
    /// hard limit refused the write; the previous value is kept.
    pub fn set_var(&mut self, name: &str, value: Value) -> bool {
        let settings = &self.p.agent.settings;
        let old = self.s.variables.insert(name.to_string(), value);
        let size = json::to_string(&self.s.variables).len();
        if size > settings.session_data_hard_limit {
            match old {
                Some(v) => self.s.variables.insert(name.to_string(), v),
                None => self.s.variables.remove(name),
            };
            let data = limit_data(name, size, settings.session_data_hard_limit);
            self.raised.push(("sessionDataHardLimitExceeded", data));
            return false;
        }
        if size > settings.session_data_soft_limit {
            if !self.s.soft_limit_raised {
                self.s.soft_limit_raised = true;
                let data = limit_data(name, size, settings.session_data_soft_limit);
                self.raised.push(("sessionDataSoftLimitExceeded", data));
            }
        } else {
            self.s.soft_limit_raised = false;
        }
        true
    }

    pub fn add_timer(&mut self, at: u64, kind: TimerKind, cancel_on_user_message: bool) {
        let id = self.s.fresh_id();
        self.s.timers.push(Timer { id, at, kind, cancel_on_user_message });
    }

    /// The finished turn: a chain summary if events chained, and a wake-up for the next timer.
    pub fn finish(mut self) -> Turn {
        if self.chain.len() > 1 {
            let mut m = String::from("event chain: ");
            for (i, name) in self.chain.iter().enumerate() {
                if i > 0 {
                    m.push_str(" -> ");
                }
                m.push_str(name);
            }
            self.debug("chain", m);
        }
        if let Some(at) = self.s.next_wake() {
            self.effects.push(Effect::Wake { at });
        }
        Turn { traces: self.traces, effects: self.effects }
    }
}

impl Scope for Ctx<'_> {
    fn var(&self, path: &str) -> Option<Value> {
        self.s.var(path).cloned()
    }

    fn context(&self, event: &str, path: &str) -> Option<Value> {
        let data = self.contexts.get(event)?;
        Some(walk(data, path).cloned().unwrap_or(Value::Null))
    }
}

/// The data of a session data limit event.
fn limit_data(name: &str, size: usize, limit: usize) -> Value {
    crate::json::obj3("variable", json::text(name), "size", Value::from(size), "limit", Value::from(limit))
}

/// `n` in lowercase hexadecimal without leading zeros, as `format!("{n:x}")` writes it; written out because this
/// is the module's only hex number, and core's hex formatter costs more than this loop.
fn hex(n: u64) -> String {
    let mut shift = 60;
    while shift > 0 && n >> shift == 0 {
        shift -= 4;
    }
    let mut out = String::with_capacity(shift / 4 + 1);
    loop {
        out.push(char::from(b"0123456789abcdef"[(n >> shift & 15) as usize]));
        if shift == 0 {
            return out;
        }
        shift -= 4;
    }
}

/// A small deterministic mix of two counters (variant choice, slate ids). Not random: the engine has no randomness.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0x632B_E59B_D9B4_E019);
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_matches_format() {
        for n in [0, 1, 9, 10, 15, 16, 255, 256, 0xff_ffff_ffff, 0x1234_5678_9abc, u64::MAX] {
            assert_eq!(hex(n), format!("{n:x}"));
        }
    }
}
