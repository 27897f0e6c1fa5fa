//! Running flows: the step loop and what each step type does (SPEC §2.3).
//!
//! The loop runs the top frame's step until a step listens for the user, pauses (delay, webhook) or the stack
//! empties (the conversation ends). A turn may run at most `maxStepsPerTurn` steps, so a goto loop without a
//! listening step stops with a `debug` trace instead of hanging.

use crate::json::{Map, Value};

use super::agent::{ButtonDef, SetValue, Step};
use super::expr::{truthy, Expr};
use super::session::{Frame, FrameState, PendingWebhook, Status, TimerKind};
use super::template::{Scope, Template};
use super::turn::{Ctx, Effect, Origin, WebhookCall};
use crate::json::{obj1, obj2, text as jtext, with};
use crate::wire::trace::{
    Button, CardDescription, CardPayload, CarouselPayload, ChoicePayload, Dimensions, TraceKind, VisualPayload,
};

impl Ctx<'_> {
    /// Run until the flow waits or the conversation ends.
    pub fn run(&mut self) {
        // System events raised by a step (session data limits) are handled before the flow goes on, one at a
        // time: the next is dispatched once the handler of the one before has finished (the stack is shorter
        // than when it was entered) or waits. So each handler runs with its own event's data as `#event` context,
        // which is keyed by name and would otherwise hold the last one's.
        let mut handler_entered: Option<usize> = None;
        loop {
            if self.halted {
                return;
            }
            if self.raised_next < self.raised.len() {
                let settled = match (handler_entered, self.s.stack.last()) {
                    (Some(len), Some(top)) => self.s.stack.len() < len || top.state != FrameState::Ready,
                    _ => true,
                };
                if settled {
                    handler_entered = self.dispatch_next_raised().then_some(self.s.stack.len());
                    continue;
                }
            }
            let Some(top) = self.s.stack.last() else {
                self.end_conversation(false);
                return;
            };
            if top.state != FrameState::Ready {
                return;
            }
            let Some(step) = top.step.clone() else {
                // The flow finished: return to the caller. A caller waiting at a listening step re-prompts.
                self.s.stack.pop();
                if let Some(caller) = self.s.stack.last_mut() {
                    if caller.state == FrameState::Listening {
                        caller.state = FrameState::Ready;
                    }
                    let flow = caller.flow.clone();
                    self.flow_trace(&flow);
                }
                continue;
            };
            let budget = self.p.agent.settings.max_steps_per_turn;
            if self.steps >= budget {
                self.halted = true;
                let flow = &top.flow;
                let message = format!("stopped flow '{flow}' after {budget} steps in one turn (maxStepsPerTurn): is there a loop without a listening step?");
                // Drop the looping flow so the next turn does not walk into the same loop.
                self.s.stack.pop();
                self.debug("budget", message);
                return;
            }
            self.steps += 1;
            let flow = top.flow.clone();
            self.exec(&flow, &step);
        }
    }

    fn end_conversation(&mut self, explicit: bool) {
        if self.s.status == Status::Active {
            self.s.status = Status::Ended;
            self.s.keep_timers(|t| matches!(t.kind, TimerKind::Event { .. }));
            self.emit(TraceKind::End { explicit });
        }
    }

    fn exec(&mut self, flow: &str, id: &str) {
        let p = self.p;
        let Some(step) = p.step(flow, id) else {
            // Only a restored session from another agent version can point at a missing step.
            self.debug("error", format!("step '{id}' of flow '{flow}' does not exist; the flow stops here"));
            self.set_next(None);
            return;
        };
        if self.config.wants("block") {
            self.emit(TraceKind::Block { block_id: id.to_string() });
        }
        match step {
            Step::Text { text, next, delay } => {
                self.say(&text.0, *delay);
                self.set_next(next.as_ref());
            }
            Step::Image { url, width, height, next } => {
                let dimensions = match (width, height) {
                    (Some(w), Some(h)) => Some(Dimensions { width: *w, height: *h }),
                    _ => None,
                };
                let image = Some(url.render(self));
                self.emit(TraceKind::Visual(VisualPayload { visual_type: "image".into(), image, dimensions }));
                self.set_next(next.as_ref());
            }
            Step::Choice { prompt, .. } | Step::Capture { prompt, .. } => {
                if let Some(prompt) = prompt {
                    self.say(&prompt.0, None);
                }
                self.show_step_again(flow, id);
                self.listen(flow, id);
            }
            Step::Card { buttons, next, .. } => {
                self.show_step_again(flow, id);
                if buttons.is_empty() {
                    self.set_next(next.as_ref());
                } else {
                    self.listen(flow, id);
                }
            }
            Step::Carousel { cards, next, .. } => {
                self.show_step_again(flow, id);
                if cards.iter().all(|c| c.buttons.is_empty()) {
                    self.set_next(next.as_ref());
                } else {
                    self.listen(flow, id);
                }
            }
            Step::Condition { branches, otherwise } => {
                // The first branch whose test holds, else `otherwise`.
                let mut next = otherwise.as_ref();
                for b in branches {
                    if truthy(&self.eval(&b.test.0)) {
                        next = Some(&b.next);
                        break;
                    }
                }
                self.set_next(next);
            }
            Step::Set { set, next } => {
                for (var, value) in set {
                    let v = match value {
                        SetValue::Expr(e) => Some(self.eval(e)),
                        SetValue::Json(t) => self.render_json(t, "variable ", var),
                    };
                    if let Some(v) = v {
                        self.set_var(var, v);
                    }
                }
                self.set_next(next.as_ref());
            }
            Step::Goto { flow: to_flow, step: to_step } => {
                let target = to_flow.as_deref().unwrap_or(flow);
                let frame = self.entry(target, to_step);
                if let Some(top) = self.s.stack.last_mut() {
                    let changed = top.flow != target;
                    *top = frame;
                    if changed {
                        self.flow_trace(target);
                    }
                }
            }
            Step::Call { flow: to_flow, step: to_step, next } => {
                self.set_next(next.as_ref());
                if self.refuse_frame("call", to_flow) {
                    return; // stackLimit was raised instead; unhandled, the flow goes on at `next`
                }
                let frame = self.entry(to_flow, to_step);
                self.s.stack.push(frame);
                self.flow_trace(to_flow);
            }
            Step::Delay { ms, next } => {
                self.set_next(next.as_ref());
                self.set_state(FrameState::Paused);
                let kind = TimerKind::Resume { flow: flow.to_string(), step: next.clone() };
                self.add_timer(self.now.saturating_add(*ms), kind, false, 0);
            }
            Step::Emit { event, data, after, at, cancel_on_user_message, next } => {
                self.set_next(next.as_ref());
                let data = match data {
                    Some(d) => match self.render_json(d, "the data of event ", event) {
                        Some(data) => data,
                        None => return, // not raised
                    },
                    None => Value::Null,
                };
                // `after` counts from now and wins over an absolute `at`; neither: the event follows at once.
                match after.map(|ms| self.now.saturating_add(ms)).or(*at) {
                    Some(due) => {
                        // One due already follows this turn in all but name: it fires at the next wake-up, one
                        // level deeper in the chain, so an event that schedules itself stops at maxChainDepth.
                        let depth = if due <= self.now { self.depth + 1 } else { 0 };
                        let kind = TimerKind::Event { name: event.clone(), data };
                        self.add_timer(due, kind, *cancel_on_user_message, depth);
                    }
                    None => {
                        self.dispatch_event(event, data, Origin::FollowUp);
                    }
                }
            }
            Step::Custom { name, payload, paths, default_path } => {
                let payload = payload.as_ref().and_then(|t| self.render_json(t, "the payload of ", name));
                let payload = payload.unwrap_or(Value::Null);
                let mut default_index = None;
                let mut out = Vec::new();
                for (i, n) in paths.keys().enumerate() {
                    if default_path.as_ref() == Some(n) {
                        default_index = Some(i as u64);
                    }
                    out.push(obj1("event", obj1("type", jtext(n))));
                }
                let (paths, default_path) = (out, default_index);
                self.emit(TraceKind::Custom { kind: name.clone(), payload, paths, default_path });
                self.set_state(FrameState::Listening);
            }
            Step::Webhook { url, method, headers, body, timeout_ms, on_error, next, .. } => {
                let url = url.render_url(self);
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    self.debug_named("webhook", "webhook url ", &url, " is not http(s): not called");
                    self.set_next(on_error.as_ref().or(next.as_ref()));
                    return;
                }
                let mut rendered = Vec::new();
                for (k, v) in headers {
                    rendered.push((k.clone(), v.render(self)));
                }
                let headers = rendered;
                let body = match body {
                    Some(b) => match self.render_json(b, "the body of webhook ", &url) {
                        Some(body) => Some(body),
                        None => return self.set_next(on_error.as_ref().or(next.as_ref())), // not called
                    },
                    None => None,
                };
                let hook = self.s.fresh_id();
                let (flow, step, chain) = (flow.to_string(), id.to_string(), self.chain.clone());
                let pending = PendingWebhook { id: hook, flow, step, chain_depth: self.depth, chain };
                self.s.pending_webhook = Some(pending);
                self.set_state(FrameState::Webhook);
                let timeout_ms = timeout_ms.unwrap_or(self.p.agent.settings.turn_time_limit_ms);
                let method = method.to_ascii_uppercase();
                self.effects.push(Effect::Webhook(WebhookCall { id: hook, method, url, headers, body, timeout_ms }));
            }
            Step::End {} => {
                self.s.stack.clear();
                self.end_conversation(true);
            }
        }
    }

    /// An expression's value over the session's variables: the one lookup closure both step types share.
    fn eval(&self, e: &Expr) -> Value {
        e.eval(&|path| self.var(path))
    }

    /// A frame entering `flow` at `step`, or at the flow's start.
    fn entry(&self, flow: &str, step: &Option<String>) -> Frame {
        let step = match step {
            Some(s) => Some(s),
            None => self.p.flow(flow).map(|f| &f.start),
        };
        Frame::ready(flow, step)
    }

    /// Point the top frame at its next step (or finish its flow), ready to run; the counters start again when
    /// the step changes. Kept out of line and given a borrow: the one copy of the name is made here, not at each of
    /// the many callers.
    #[inline(never)]
    pub fn set_next(&mut self, next: Option<&String>) {
        if let Some(top) = self.s.stack.last_mut() {
            if top.step.as_ref() != next {
                top.no_matches = 0;
                top.no_replies = 0;
            }
            top.step = next.cloned();
            top.state = FrameState::Ready;
        }
    }

    /// Set the state of the top frame. Out of line: one copy for the steps that wait.
    #[inline(never)]
    fn set_state(&mut self, state: FrameState) {
        if let Some(top) = self.s.stack.last_mut() {
            top.state = state;
        }
    }

    /// Wait for the user at this step, arming its no-reply timer.
    fn listen(&mut self, flow: &str, step: &str) {
        self.set_state(FrameState::Listening);
        self.arm_no_reply(flow, step);
    }

    /// Arm the no-reply timer of the listening step on top, unless one is armed.
    pub fn rearm_no_reply(&mut self) {
        if self.s.timers.iter().any(|t| matches!(t.kind, TimerKind::NoReply { .. })) {
            return;
        }
        if let Some((flow, step)) = self.listening() {
            self.arm_no_reply(&flow, &step);
        }
    }

    pub fn arm_no_reply(&mut self, flow: &str, step: &str) {
        let step_timeout = self.reprompts(flow, step).1.map(|r| r.timeout);
        let seconds = step_timeout.unwrap_or(self.p.agent.settings.no_reply_seconds);
        self.s.keep_timers(|t| !matches!(t.kind, TimerKind::NoReply { .. }));
        if seconds == 0 {
            return;
        }
        self.emit(TraceKind::NoReply { timeout: seconds });
        let kind = TimerKind::NoReply { flow: flow.to_string(), step: step.to_string() };
        self.add_timer(self.now.saturating_add(seconds * 1000), kind, true, 0);
    }

    /// Emit what a listening step shows (buttons, cards) without its prompt text.
    pub fn show_step_again(&mut self, flow: &str, id: &str) {
        let p = self.p;
        match p.step(flow, id) {
            Some(Step::Choice { buttons, .. }) => {
                let buttons = self.buttons(flow, id, buttons, 0);
                self.emit(TraceKind::Choice(ChoicePayload { buttons }));
            }
            Some(Step::Card { title, description, image, buttons, .. }) => {
                let buttons = self.buttons(flow, id, buttons, 0);
                let payload = self.card(title, description, image, buttons);
                self.emit(TraceKind::CardV2(payload));
            }
            Some(Step::Carousel { layout, cards, .. }) => {
                let mut offset = 0;
                let mut out = Vec::new();
                for card in cards {
                    let buttons = self.buttons(flow, id, &card.buttons, offset);
                    out.push(self.card(&card.title, &card.description, &card.image, buttons));
                    offset += card.buttons.len();
                }
                let layout = layout.clone().unwrap_or_else(|| "Carousel".into());
                self.emit(TraceKind::Carousel(CarouselPayload { layout, cards: out }));
            }
            _ => {}
        }
    }

    /// A card's wire form, its buttons already rendered.
    fn card(
        &self,
        title: &Template,
        description: &Template,
        image: &Option<Template>,
        buttons: Vec<Button>,
    ) -> CardPayload {
        CardPayload {
            title: title.render(self),
            description: CardDescription { text: description.render(self) },
            image_url: image.as_ref().map(|i| i.render(self)),
            buttons,
        }
    }

    /// The wire form of buttons: each carries the request the widget sends when it is pressed.
    fn buttons(&mut self, flow: &str, id: &str, defs: &[ButtonDef], offset: usize) -> Vec<Button> {
        let mut out = Vec::with_capacity(defs.len());
        for (i, b) in defs.iter().enumerate() {
            let label = b.label.render(self);
            let mut actions = Vec::new();
            if let Some(url) = &b.url {
                let url = url.render_url(self);
                if is_link(&url) {
                    actions.push(obj2("type", jtext("open_url"), "payload", obj1("url", Value::String(url))));
                } else {
                    self.debug_named("link", "the link of button ", &label, " is not http, https or mailto: left out");
                }
            }
            let (kind, payload) = if let (Some(event), None) = (&b.event, &b.next) {
                let data = b.data.as_ref().and_then(|d| self.render_json(d, "the data of button ", &label));
                let data = data.unwrap_or(Value::Null);
                let ev =
                    if data.is_null() { obj1("name", jtext(event)) } else { obj2("name", jtext(event), "data", data) };
                (jtext("event"), with(Map::new(), "event", ev))
            } else if let (Some(intent), None) = (&b.intent, &b.next) {
                let fields = with(Map::new(), "intent", obj1("name", jtext(intent)));
                let fields = with(with(fields, "query", jtext(&label)), "entities", Value::Array(Vec::new()));
                (jtext("intent"), fields)
            } else {
                (Value::String(button_path(flow, id, offset + i)), Map::new())
            };
            let payload = with(with(payload, "label", jtext(&label)), "actions", Value::Array(actions));
            let request = obj2("type", kind, "payload", Value::Object(payload));
            out.push(Button { name: label, request });
        }
        out
    }

    /// Press a button of the listening step: `choice:N` path, then its target.
    pub fn press(&mut self, index: usize, button: &ButtonDef) {
        self.choice_path(index);
        let label = button.label.render(self);
        self.put("last_utterance", jtext(&label));
        if let Some(next) = &button.next {
            self.set_next(Some(next));
        } else if let Some(event) = &button.event {
            let data = button.data.as_ref().and_then(|d| self.render_json(d, "the data of button ", &label));
            let data = data.unwrap_or(Value::Null);
            if !self.dispatch_event(event, data, Origin::Client) {
                self.show_listening_again();
            }
        } else if let Some(intent) = &button.intent {
            if !self.dispatch_intent(intent, &Map::new(), 1.0) {
                self.no_match(&label);
            }
        }
        // A link-only button: the widget opens the link and the step keeps waiting.
    }

    pub fn show_listening_again(&mut self) {
        if let Some((flow, step)) = self.listening() {
            self.show_step_again(&flow, &step);
        }
    }
}

/// Whether a button may open `url`: http, https and mailto links only (SPEC §6.1).
pub fn is_link(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:")
}

/// The request type of a button that goes to a step: unique per flow, step and index, so a stale button from an
/// earlier step never presses a button of the current one.
pub fn button_path(flow: &str, step: &str, index: usize) -> String {
    format!("path-{flow}.{step}.{}", index + 1)
}
