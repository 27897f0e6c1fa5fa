//! What each request form does once parsed (SPEC §3.1, §4.2-4.7), and how timers and webhook answers re-enter.

use crate::json::{Map, Value};

use super::agent::{ButtonDef, Step};
use super::dispatch::step_buttons;
use super::nlu::extract_slot;
use super::session::{Frame, FrameState, Status, TimerKind};
use super::turn::{Ctx, Origin};
use crate::json::text as jtext;
use crate::json::{obj1, obj2};
use crate::wire::names;
use crate::wire::request::{FileInfo, Request};
use crate::wire::transcript::{Body, Recipients};

/// How a webhook call ended, as the host reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookOutcome {
    /// The server answered (any status).
    Response { status: u16, body: String },
    /// No answer within the step's time limit.
    Timeout,
    /// The call failed (DNS, connection, TLS, ...).
    Failed(String),
}

impl Ctx<'_> {
    pub fn handle(&mut self, request: &Request) {
        match request {
            Request::Launch => self.launch(),
            Request::Text(text) => self.text(text),
            Request::Intent { name, entities } => self.intent(name, entities),
            Request::Event { name, data } => self.event(name, data),
            Request::Path { kind, label } => self.path_request(kind, label.as_deref()),
            Request::NoReply => self.no_reply(),
            Request::File(info) => self.file(info),
        }
        self.run();
    }

    fn launch(&mut self) {
        self.s.keep_timers(|t| matches!(t.kind, TimerKind::Event { .. }));
        self.s.stack.clear();
        self.s.pending_webhook = None;
        self.s.status = Status::Active;
        let sessions = self.s.variables.get("sessions").and_then(Value::as_u64).unwrap_or(0);
        self.put("sessions", Value::from(sessions + 1));
        self.s.transcript.system(self.now, "session_started", "The conversation started");
        // WELCOME first (seed 001), then a start trigger, then the start flow.
        if self.dispatch_event("WELCOME", Value::Null, Origin::Launch) {
            return;
        }
        if let Some(command) = self.p.global.start {
            self.apply_as(super::dispatch::Found { command, level: None }, &Value::Null, false);
            return;
        }
        self.start_flow();
    }

    fn start_flow(&mut self) {
        let p = self.p;
        let flow = &p.agent.start;
        let step = p.flow(flow).map(|f| &f.start);
        self.s.stack.clear();
        self.s.stack.push(Frame::ready(flow, step));
        self.s.status = Status::Active;
        self.flow_trace(flow);
    }

    fn text(&mut self, text: &str) {
        self.put("last_utterance", jtext(text));
        let limit = self.p.agent.settings.max_input_length;
        let length = text.chars().count();
        if length > limit {
            if !self.raise("lengthLimit", obj2("length", Value::from(length), "limit", Value::from(limit))) {
                self.say_text(
                    format!("Your message is too long ({length} characters; the limit is {limit}). Please shorten it."),
                    None,
                );
            }
            return;
        }
        if self.text_at_step(text) {
            return;
        }
        let p = self.p;
        if let Some(m) = p.matcher.classify(text) {
            let mut slots = Map::new();
            for (k, v) in m.slots {
                slots.insert(k, v);
            }
            if self.dispatch_intent(&m.intent, &slots, m.confidence) {
                return;
            }
        }
        if self.s.stack.is_empty() {
            // Typed text after the end (or before a launch) starts the conversation again, as Voiceflow does.
            self.s.transcript.system(self.now, "session_started", "The conversation started");
            self.start_flow();
            return;
        }
        self.no_match(text);
    }

    /// Typed text at the listening step, if one listens: a button label, a button's intent, or a capture. True
    /// when consumed.
    fn text_at_step(&mut self, text: &str) -> bool {
        let p = self.p;
        let Some(at) = self.listening_step() else { return false };
        let wanted = text.trim();
        let buttons = step_buttons(at);
        for (i, b) in buttons.iter().enumerate() {
            if b.label.render(self).trim().eq_ignore_ascii_case(wanted) {
                self.press(i, b);
                return true;
            }
        }
        let mut intents: Vec<&str> = Vec::new();
        for b in &buttons {
            if let Some(n) = &b.intent {
                intents.push(n);
            }
        }
        if !intents.is_empty() {
            if let Some(m) = p.matcher.classify_among(text, &intents) {
                if let Some((i, b)) = intent_button(&buttons, &m.intent) {
                    self.put("intent_confidence", Value::from(m.confidence));
                    for (slot, value) in m.slots {
                        self.set_var(&slot, value);
                    }
                    self.press(i, b);
                    return true;
                }
            }
        }
        if let Step::Capture { variable, slot, next, .. } = at {
            let value = match slot {
                None => Some(Value::String(text.to_string())),
                Some(s) => p.slot_types.get(s).and_then(|t| extract_slot(t, text)),
            };
            if let Some(value) = value {
                self.path("capture");
                self.set_var(variable, value);
                self.set_next(next.as_ref());
                return true;
            }
        }
        false
    }

    fn intent(&mut self, name: &str, entities: &Map<String, Value>) {
        let buttons = self.listening_buttons();
        if let Some((i, b)) = intent_button(&buttons, name) {
            if b.next.is_some() {
                self.press(i, b);
                return;
            }
            self.choice_path(i);
        }
        if !self.dispatch_intent(name, entities, 1.0) {
            self.no_match(name);
        }
    }

    fn event(&mut self, name: &str, data: &Value) {
        // The waiting step's own choices come first: a button that sends this event is pressed.
        // Names match by their keys: the same as comparing them caselessly, without building the keys.
        let buttons = self.listening_buttons();
        if let Some(i) = buttons.iter().position(|b| b.event.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(name))) {
            self.choice_path(i);
        }
        self.dispatch_event(name, data.clone(), Origin::Client);
    }

    fn path_request(&mut self, kind: &str, label: Option<&str>) {
        if let Some(label) = label {
            self.put("last_utterance", jtext(label));
        }
        let Some((flow, step)) = self.listening() else {
            self.debug_named("path", "no step is waiting for ", kind, ": ignored");
            return;
        };
        let p = self.p;
        if let Some(Step::Custom { paths, .. }) = p.step(&flow, &step) {
            if let Some(next) = paths.get(kind) {
                let i = paths.keys().position(|k| k == kind);
                debug_assert!(i.is_some(), "a path found by its name has a place among the paths");
                self.choice_path(i.unwrap_or(0));
                self.set_next(Some(next));
                return;
            }
        }
        let buttons = self.buttons_of(&flow, &step);
        for (i, b) in buttons.iter().enumerate() {
            if super::steps::button_path(&flow, &step, i) == kind {
                self.press(i, b);
                return;
            }
        }
        self.no_match(label.unwrap_or(kind));
    }

    fn file(&mut self, info: &FileInfo) {
        let limit = self.p.agent.settings.max_file_bytes;
        let data = crate::json::to_value(info);
        if info.size > limit {
            if !self.raise("fileTooBigEvent", data) {
                self.say_text(
                    format!(
                        "“{}” is too large ({}); files up to {} are accepted.",
                        info.name,
                        bytes(info.size),
                        bytes(limit)
                    ),
                    None,
                );
            }
        } else if !self.raise("fileEvent", data) {
            self.say_text(format!("Thanks, I received “{}”.", info.name), None);
        }
    }

    /// Fire every timer due at `now`, in time order.
    pub fn fire_due(&mut self) {
        loop {
            // The earliest due timer; the lower id first at the same time.
            let mut due: Option<(usize, (u64, u64))> = None;
            for (i, t) in self.s.timers.iter().enumerate() {
                // An event scheduled during this turn waits for the next wake-up, even one due already
                // (`after: 0`): it never fires inside the turn that scheduled it.
                let scheduled_now = t.id >= self.first_new_timer && matches!(t.kind, TimerKind::Event { .. });
                if t.at > self.now || scheduled_now || due.is_some_and(|(_, best)| (t.at, t.id) >= best) {
                    continue;
                }
                due = Some((i, (t.at, t.id)));
            }
            // `i` indexes `timers` by construction; the check spares `remove` its panic path.
            let Some((i, _)) = due.filter(|&(i, _)| i < self.s.timers.len()) else { return };
            let timer = self.s.timers.remove(i);
            match timer.kind {
                TimerKind::NoReply { flow, step } => {
                    // Still waiting at the step that armed it (compared in place, without copying the names).
                    let waiting = self.s.stack.last().is_some_and(|top| {
                        top.state == FrameState::Listening && top.flow == flow && top.step.as_ref() == Some(&step)
                    });
                    if waiting {
                        self.no_reply();
                    }
                }
                TimerKind::Resume { flow, step } => {
                    if let Some(frame) = self
                        .s
                        .stack
                        .iter_mut()
                        .rev()
                        .find(|f| f.state == FrameState::Paused && f.flow == flow && f.step == step)
                    {
                        frame.state = FrameState::Ready;
                    }
                }
                TimerKind::Event { name, data } => {
                    let event = obj2("name", jtext(&name), "data", data.clone());
                    let raw = obj2("type", jtext("event"), "payload", obj1("event", event));
                    self.put("last_event", raw.clone());
                    self.s.transcript.push(
                        crate::wire::transcript::SYSTEM,
                        self.now,
                        Recipients::Agents,
                        Body::Custom { content: raw },
                    );
                    self.depth = timer.chain_depth;
                    self.dispatch_event(&name, data, Origin::Scheduled);
                }
            }
            self.run();
        }
    }

    /// A webhook answer comes back (SPEC §2.3 `webhook`, §4.5 `followupEvent`, §4.6 `timeLimit`).
    pub fn webhook_done(&mut self, id: u64, outcome: WebhookOutcome) {
        let Some(mut pending) = self.s.pending_webhook.take_if(|w| w.id == id) else {
            self.debug("webhook", format!("webhook answer {id} is not awaited (the conversation moved on): ignored"));
            return;
        };
        let p = self.p;
        let Some(Step::Webhook { assign, next, on_error, url, .. }) = p.step(&pending.flow, &pending.step) else {
            return;
        };
        let Some(level) = self.s.stack.iter().rposition(|f| f.state == FrameState::Webhook && f.flow == pending.flow)
        else {
            return;
        };
        self.depth = pending.chain_depth;
        // The answer goes on with the turn that called it: its follow-up continues that turn's chain.
        self.chain = std::mem::take(&mut pending.chain);
        self.chain_inherited = self.chain.len();
        let answer = match outcome {
            WebhookOutcome::Response { status, body } if (200..300).contains(&status) => {
                if body.trim().is_empty() {
                    Ok(Value::Null)
                } else {
                    crate::json::parse(&body).map_err(|e| format!("the answer is not JSON: {e}"))
                }
            }
            // Printed as a u32, whose printer the module has anyway: u16's is linked only for status messages.
            WebhookOutcome::Response { status, .. } => Err(format!("the server answered HTTP {}", u32::from(status))),
            WebhookOutcome::Failed(m) => Err(m),
            WebhookOutcome::Timeout => {
                self.resume(level, on_error.as_ref().or(next.as_ref()));
                let limit = self.p.agent.settings.turn_time_limit_ms;
                if !self.raise("timeLimit", obj2("url", jtext(url.source()), "limit", Value::from(limit))) {
                    self.say_text("Sorry, that took too long. Please try again.".into(), None);
                }
                return self.settle();
            }
        };
        match answer {
            Ok(body) => {
                for (var, path) in assign {
                    let v = super::template::walk(&body, path).cloned().unwrap_or(Value::Null);
                    self.set_var(var, v);
                }
                if let Some(vars) = body.get("variables").and_then(Value::as_object) {
                    self.set_vars(&mut vars.iter());
                }
                self.resume(level, next.as_ref());
                let follow = body.get("followupEvent").or_else(|| body.get("followupEventInput"));
                if let Some(f) = follow {
                    match f.get("name").and_then(Value::as_str) {
                        Some(name) if names::check_name(name).is_ok() && names::system_event(name).is_none() => {
                            let data = f.get("data").or_else(|| f.get("parameters")).cloned().unwrap_or(Value::Null);
                            self.dispatch_event(name, data, Origin::WebhookFollowUp);
                        }
                        _ => {
                            self.debug("webhook", "the answer's followupEvent has no valid event name: ignored".into())
                        }
                    }
                }
            }
            Err(message) => {
                self.debug("webhook", format!("webhook failed: {message}"));
                self.resume(level, on_error.as_ref().or(next.as_ref()));
            }
        }
        self.settle();
    }

    /// The frame at `level` goes on at `to`, ready to run.
    fn resume(&mut self, level: usize, to: Option<&String>) {
        if let Some(frame) = self.s.stack.get_mut(level) {
            frame.step = to.cloned();
            frame.state = FrameState::Ready;
        }
    }

    fn settle(&mut self) {
        self.run();
    }
}

fn bytes(n: u64) -> String {
    // Tenths by integer arithmetic, rounded half up: formatting an f64 would link core's float printer (18 KB of wasm).
    let (unit, name) = match n {
        0..1024 => return format!("{n} bytes"),
        1024..1048576 => (1024, "KB"),
        _ => (1048576, "MB"),
    };
    let tenths = (n / unit) * 10 + ((n % unit) * 10 + unit / 2) / unit;
    format!("{}.{} {name}", tenths / 10, tenths % 10)
}

/// The first button that names `intent` (caseless), and its index.
fn intent_button<'a>(buttons: &[&'a ButtonDef], intent: &str) -> Option<(usize, &'a ButtonDef)> {
    for (i, &b) in buttons.iter().enumerate() {
        if b.intent.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(intent)) {
            return Some((i, b));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(bytes(1024), "1.0 KB");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(5000), "4.9 KB");
        assert_eq!(bytes(10 * 1024 * 1024 + 52429), "10.1 MB");
        assert_eq!(bytes(u64::MAX), "17592186044416.0 MB");
    }
}
