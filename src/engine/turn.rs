//! The context of one turn: the program, the session being changed, the clock reading, and what the turn has
//! produced so far (traces, effects, the follow-up chain, this turn's event contexts).

use crate::json::Named;

use crate::json::Value;

use super::program::Program;
use super::session::{is_built_in, Session, Timer, TimerKind};
use super::template::{walk, JsonTemplate, Scope, Template};
use crate::json::{self, Obj, ToJson};
use crate::wire::request::Config;
use crate::wire::trace::{TextPayload, Trace, TraceKind};

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
    /// An `emit` step: counts toward `maxChainDepth`.
    FollowUp,
    /// A webhook answer's `followupEvent`: a follow-up, named in the chain trace as Dialogflow's
    /// `executionSequence` names it (`webhookTriggeringEvent`).
    WebhookFollowUp,
    /// A scheduled `emit` that came due; one that was due when it was scheduled carries the chain depth of the
    /// turn that scheduled it (`Timer::chain_depth`).
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
    /// How many of `chain` a webhook answer took over from the turn that called it (that turn showed them).
    pub chain_inherited: usize,
    /// Whether a webhook answer's `followupEvent` was dispatched (the chain trace is then given in any case).
    pub webhook_followup: bool,
    /// System events raised while a step ran, dispatched in order by the step loop, each once the handler of
    /// the one before has run (`Ctx::run`); `raised_next` is the first not dispatched yet.
    pub raised: Vec<(&'static str, Value)>,
    pub raised_next: usize,
    /// While `stackLimit` is being dispatched: its own handler is then entered even on a full stack.
    pub raising_stack_limit: bool,
    /// Set when the step budget ran out: nothing more runs this turn.
    pub halted: bool,
    /// Timers with this id or above were set during this turn: events among them wait for the next wake-up.
    pub first_new_timer: u64,
    /// The JSON size of the agent's variables as `(sum of the members' sizes, number of members)`, measured at
    /// the turn's first write and kept up to date by every write after it (see [`Ctx::admit`]).
    vars_size: Option<(usize, usize)>,
    /// Scratch space for measuring values as JSON.
    scratch: String,
}

impl<'a> Ctx<'a> {
    /// Kept out of line: each of the engine's three entry points would otherwise carry a copy.
    #[inline(never)]
    pub fn new(p: &'a Program, s: &'a mut Session, now: u64, config: &'a Config) -> Ctx<'a> {
        let first_new_timer = s.next_id;
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
            chain_inherited: 0,
            webhook_followup: false,
            raised: Vec::new(),
            raised_next: 0,
            raising_stack_limit: false,
            halted: false,
            first_new_timer,
            vars_size: None,
            scratch: String::new(),
        }
    }

    /// Emit a trace (unless the request's config excludes its type) and record what the user sees. The trace
    /// kinds the user does not see (debug, path, flow) come here too, each checked first, so their text is built
    /// only when wanted: one place builds and keeps a trace.
    pub fn emit(&mut self, kind: TraceKind) {
        let trace = Trace { time: self.now, kind };
        self.s.transcript.record_trace(self.now, &trace);
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

    /// Write one of the engine's own variables (`last_utterance`, `intent_confidence`, ...: the built-in
    /// variables). They are not the agent's data and do not count against the session data limits.
    pub fn put(&mut self, name: &str, value: Value) {
        debug_assert!(is_built_in(name), "{name} is not a built-in variable");
        self.s.variables.set(name.to_string(), value);
    }

    /// Write a variable the agent asked for, within the session data limits (SPEC §4.6). Returns false when the
    /// write was refused (over the hard limit, or a built-in variable); the previous value is kept.
    pub fn set_var(&mut self, name: &str, value: Value) -> bool {
        if !self.admit(name, &value) {
            return false;
        }
        self.s.variables.set(name.to_string(), value);
        true
    }

    /// Write many variables (a request's `state.variables`, a webhook answer's `variables`, an intent's slots),
    /// each admitted in order as [`Ctx::set_var`] does; names that are not variable names are skipped. New names
    /// join the session's variables in one merge, not one sorted insert each.
    pub fn set_vars(&mut self, pairs: &mut dyn Iterator<Item = (&String, &Value)>) {
        let mut new = Vec::new();
        for (name, value) in pairs {
            if !super::template::is_identifier(name) || !self.admit(name, value) {
                continue;
            }
            match self.s.variables.get_mut(name) {
                Some(slot) => *slot = value.clone(),
                None => new.push((name.clone(), value.clone())),
            }
        }
        self.s.variables.extend(new);
    }

    /// Whether the agent may write `value` to `name`: not a built-in variable, and the agent's variables stay
    /// within the hard limit (else `sessionDataHardLimitExceeded` is raised). Crossing the soft limit raises
    /// `sessionDataSoftLimitExceeded` once. The size is the length of the agent's variables as one JSON object,
    /// kept up to date from the sizes of the values replaced and written: a write costs its own value, not the
    /// whole session.
    fn admit(&mut self, name: &str, value: &Value) -> bool {
        if is_built_in(name) {
            self.debug_named("variable", "", name, " is a built-in variable: only the engine writes it; not written");
            return false;
        }
        let (sum, count) = match self.vars_size {
            Some(size) => size,
            None => self.measure_vars(),
        };
        let old = match self.s.variables.get(name) {
            Some(old) => json::member_len(name, old, &mut self.scratch),
            None => 0,
        };
        let new = json::member_len(name, value, &mut self.scratch);
        let (sum, count) = (sum.saturating_sub(old) + new, count + usize::from(old == 0));
        // `{` and `}`, the members, and the commas between them.
        let size = 2 + sum + count.saturating_sub(1);
        let settings = &self.p.agent.settings;
        if size > settings.session_data_hard_limit {
            let data = limit_data(name, size, settings.session_data_hard_limit);
            self.raised.push(("sessionDataHardLimitExceeded", data));
            return false;
        }
        self.vars_size = Some((sum, count));
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

    /// The size of the agent's variables, as [`Ctx::admit`] keeps it, measured from the session.
    fn measure_vars(&mut self) -> (usize, usize) {
        let (mut sum, mut count) = (0, 0);
        for (name, value) in &self.s.variables {
            if !is_built_in(name) {
                sum += json::member_len(name, value, &mut self.scratch);
                count += 1;
            }
        }
        (sum, count)
    }

    /// The value of a JSON template, or `None` (with a debug trace: `what` `'name'` is left out) when it would
    /// nest deeper than any JSON the engine reads.
    pub fn render_json(&mut self, t: &JsonTemplate, what: &str, name: &str) -> Option<Value> {
        let v = t.render(self);
        if v.is_none() {
            self.debug_named("depth", what, name, ": its value would nest deeper than 127 levels; left out");
        }
        v
    }

    pub fn add_timer(&mut self, at: u64, kind: TimerKind, cancel_on_user_message: bool, chain_depth: usize) {
        let id = self.s.fresh_id();
        self.s.timers.push(Timer { id, at, kind, cancel_on_user_message, chain_depth });
    }

    /// The finished turn: a chain summary if events chained, and a wake-up for the next timer.
    pub fn finish(mut self) -> Turn {
        if self.chain.len() > self.chain_inherited.max(1) || self.webhook_followup {
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
