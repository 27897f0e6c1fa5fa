//! Matching a request to what handles it (SPEC §4.2): the waiting step's own choices first, then triggers on
//! the flow stack from innermost to outermost (local beats global), then the no-match path.
//!
//! For events the order is by specificity first: the exact name on any frame, then an intent that lists the
//! event, then the longest namespace wildcard (`user:location:*` before `user:*`), then the catch-all `*`. Within
//! one tier the innermost frame wins. So a `*` catch-all only ever sees events nothing more specific handles;
//! system events reach exact triggers only, and `WELCOME` (sent on launch, or by a client) exact triggers and
//! intents that list it.

use crate::json::{Map, Value};

use super::agent::{ButtonDef, Mode, NoMatchDef, NoReplyDef, Step};
use super::program::{Command, CommandTable};
use super::session::{Frame, FrameState, Status};
use super::template::walk;
use super::turn::{Ctx, Origin};
use crate::wire::names;

/// A command found for a request, and the stack level it was found on (`None`: the base, i.e. global).
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub command: usize,
    pub level: Option<usize>,
}

/// What to look up in a command table: a key in one of its maps, or its catch-all.
#[derive(Clone, Copy)]
enum Pick<'k> {
    Exact(&'k str),
    Intent(&'k str),
    Namespace(&'k str),
    Any,
}

impl Pick<'_> {
    fn find(self, t: &CommandTable) -> Option<usize> {
        match self {
            Pick::Exact(k) => t.exact.get(k).copied(),
            Pick::Intent(k) => t.intents.get(k).copied(),
            Pick::Namespace(k) => t.namespace.get(k).copied(),
            Pick::Any => t.any,
        }
    }
}

impl<'a> Ctx<'a> {
    /// The command tables to search, innermost first: each frame's flow, then the base.
    fn search(&self, pick: Pick) -> Option<Found> {
        for (level, frame) in self.s.stack.iter().enumerate().rev() {
            if let Some(command) = self.p.local.get(&frame.flow).and_then(|t| pick.find(t)) {
                return Some(Found { command, level: Some(level) });
            }
        }
        pick.find(&self.p.global).map(|command| Found { command, level: None })
    }

    /// Find the command for an event, and the intent it triggers when it is found through one.
    pub fn find_event(&self, key: &str, origin: Origin) -> Option<(Found, Option<&'a str>)> {
        if let Some(f) = self.search(Pick::Exact(key)) {
            return Some((f, None));
        }
        if origin != Origin::System {
            if let Some(intent) = self.p.intent_events.get(key) {
                if let Some(f) = self.search(Pick::Intent(intent)) {
                    return Some((f, Some(intent)));
                }
            }
        }
        if matches!(origin, Origin::System | Origin::Launch) || key == "welcome" {
            return None;
        }
        for ns in names::namespaces(key) {
            if let Some(f) = self.search(Pick::Namespace(ns)) {
                return Some((f, None));
            }
        }
        self.search(Pick::Any).map(|f| (f, None))
    }

    /// Dispatch an event: returns whether a trigger handled it.
    pub fn dispatch_event(&mut self, name: &str, data: Value, origin: Origin) -> bool {
        let key = names::key(name);
        if matches!(origin, Origin::FollowUp | Origin::WebhookFollowUp) {
            self.depth += 1;
        }
        // A scheduled event comes with the depth of its timer: 0, unless it was due when it was scheduled.
        let limit = self.p.agent.settings.max_chain_depth;
        if self.depth > limit && matches!(origin, Origin::FollowUp | Origin::WebhookFollowUp | Origin::Scheduled) {
            self.debug("chain", format!("event '{name}' would exceed maxChainDepth {limit}; raising chainLimit"));
            let (event, depth) = (crate::json::text(name), Value::from(self.depth));
            let data = crate::json::obj3("event", event, "depth", depth, "limit", Value::from(limit));
            return self.raise("chainLimit", data);
        }
        if origin == Origin::WebhookFollowUp {
            self.webhook_followup = true;
            self.chain.push(format!("{name} (webhookTriggeringEvent)"));
        } else {
            self.chain.push(name.to_string());
        }
        // The search does not read the contexts: the key goes into them after it, without a copy.
        let found = self.find_event(&key, origin);
        self.contexts.insert(key, data.clone());
        match found {
            Some((found, via_intent)) => {
                if let Some(intent) = via_intent {
                    self.debug("event", format!("event '{name}' triggers intent '{intent}'"));
                    let no_slots = Map::new();
                    self.fill_slots(found, data.as_object().unwrap_or(&no_slots), 1.0);
                }
                self.apply_as(found, &data, origin != Origin::Launch);
                true
            }
            None => {
                if !matches!(origin, Origin::System | Origin::Launch) {
                    self.debug_named("event", "event ", name, " is not handled by any trigger");
                }
                false
            }
        }
    }

    /// Raise a system event (SPEC §4.6). Returns whether an agent trigger handled it; if not the caller falls
    /// back to the built-in behaviour.
    pub fn raise(&mut self, name: &'static str, data: Value) -> bool {
        if self.dispatch_event(name, data, Origin::System) {
            return true;
        }
        self.debug_named("system", "system event ", name, " not handled by the agent: built-in behaviour");
        false
    }

    /// Dispatch an intent: returns whether a trigger handled it.
    pub fn dispatch_intent(&mut self, name: &str, slots: &Map<String, Value>, confidence: f64) -> bool {
        let key = names::key(name);
        let Some(found) = self.search(Pick::Intent(&key)) else { return false };
        self.fill_slots(found, slots, confidence);
        self.apply(found, &Value::Object(slots.clone()));
        true
    }

    /// Slots fill variables of the same name (as Voiceflow); a trigger mapping for a slot renames it instead.
    fn fill_slots(&mut self, found: Found, slots: &Map<String, Value>, confidence: f64) {
        self.put("intent_confidence", Value::from(confidence));
        let Some(cmd) = self.p.commands.get(found.command) else { return };
        let mut unmapped = slots.iter().filter(|(slot, _)| !cmd.mappings.iter().any(|(from, _)| from == *slot));
        self.set_vars(&mut unmapped);
    }

    /// Apply a command: mappings, then jump or push (SPEC §4.4).
    pub fn apply(&mut self, found: Found, data: &Value) {
        self.apply_as(found, data, true);
    }

    /// Apply a command; `announce` false leaves out the `jump`/`push` path trace (a launch is not a jump).
    pub fn apply_as(&mut self, found: Found, data: &Value, announce: bool) {
        let Some(cmd) = self.p.commands.get(found.command) else { return };
        let Command { flow, step, mode, mappings, .. } = cmd;
        for (from, var) in mappings {
            if let Some(v) = walk(data, from) {
                self.set_var(var, v.clone());
            }
        }
        let frame = Frame::ready(flow, Some(step));
        let mut push = *mode == Mode::Push && !self.s.stack.is_empty();
        if push && self.refuse_frame("push", flow) {
            if !self.raising_stack_limit {
                return; // not entered: stackLimit was raised instead
            }
            // stackLimit's own handler finds the stack full: it is entered as a jump, which makes room.
            self.debug_named("stack", "the stack is full: the push of flow ", flow, " is made as a jump");
            push = false;
        }
        if push {
            if announce {
                self.path("push");
            }
            self.s.stack.push(frame);
            self.flow_trace(flow);
        } else {
            if announce {
                self.path("jump");
            }
            match found.level {
                None => self.s.stack.clear(),
                Some(level) => self.s.stack.truncate(level + 1),
            }
            match self.s.stack.last_mut() {
                Some(top) if top.flow == *flow => *top = frame,
                _ => {
                    self.s.stack.push(frame);
                    self.flow_trace(flow);
                }
            }
        }
        self.s.status = Status::Active;
    }

    /// The listening step on top of the stack, if the top frame waits for the user.
    pub fn listening(&self) -> Option<(String, String)> {
        let top = self.s.stack.last()?;
        if top.state != FrameState::Listening {
            return None;
        }
        let step = top.step.as_ref()?;
        Some((top.flow.clone(), step.clone()))
    }

    /// A no-match (SPEC §4.2, last resort): the step's own no-match prompts, then a `noMatch` trigger, then the
    /// built-in prompt. The waiting step's buttons are shown again.
    pub fn no_match(&mut self, text: &str) {
        let listening = self.listening();
        if let Some((flow, step)) = &listening {
            if let (Some(cfg), _) = self.reprompts(flow, step) {
                let count = self.bump_no_match();
                if let Some(prompt) = cfg.prompts.get(count as usize - 1) {
                    self.path("reprompt");
                    self.say(&prompt.0, None);
                    self.show_step_again(flow, step);
                    return;
                }
                if let Some(next) = &cfg.next {
                    self.path("choice:else");
                    self.set_next(Some(next));
                    return;
                }
            }
        }
        if self.raise("noMatch", crate::json::obj1("text", crate::json::text(text))) {
            return;
        }
        self.path("reprompt");
        let prompts = &self.p.agent.settings.no_match_prompts;
        if !prompts.is_empty() {
            self.say(prompts, None);
        }
        if let Some((flow, step)) = listening {
            self.show_step_again(&flow, &step);
        }
    }

    fn bump_no_match(&mut self) -> u32 {
        match self.s.stack.last_mut() {
            Some(top) => {
                top.no_matches += 1;
                top.no_matches
            }
            None => 1,
        }
    }

    /// What happens when the user does not answer at a listening step (SPEC §6.3).
    pub fn no_reply(&mut self) {
        let Some((flow, step)) = self.listening() else {
            self.debug("no-reply", "no step is waiting for the user: no-reply ignored".into());
            return;
        };
        let (_, config) = self.reprompts(&flow, &step);
        let count = match self.s.stack.last_mut() {
            Some(top) => {
                top.no_replies += 1;
                top.no_replies
            }
            None => 1,
        };
        if let Some(cfg) = config {
            if let Some(prompt) = cfg.prompts.get(count as usize - 1) {
                self.say(&prompt.0, None);
                self.show_step_again(&flow, &step);
                self.arm_no_reply(&flow, &step);
                return;
            }
            if let Some(next) = &cfg.next {
                self.set_next(Some(next));
                return;
            }
        }
        let (flow, step) = (crate::json::text(&flow), crate::json::text(&step));
        if self.raise("noReply", crate::json::obj3("flow", flow, "step", step, "count", Value::from(count))) {
            return;
        }
        if count == 1 {
            let prompts = &self.p.agent.settings.no_reply_prompts;
            if !prompts.is_empty() {
                self.say(prompts, None);
            }
        }
    }

    /// Dispatch the next of the system events raised while a step ran (session data limits); returns whether a
    /// trigger handled it.
    pub fn dispatch_next_raised(&mut self) -> bool {
        let Some(slot) = self.raised.get_mut(self.raised_next) else { return false };
        let (name, data) = std::mem::replace(slot, ("", Value::Null));
        self.raised_next += 1;
        if self.raised_next == self.raised.len() {
            self.raised.clear();
            self.raised_next = 0;
        }
        let handled = self.raise(name, data);
        if !handled && name == "sessionDataHardLimitExceeded" {
            self.debug("limit", "a variable write was refused: the session data hard limit was reached".into());
        }
        handled
    }

    /// Whether one more flow on the stack is refused: the stack holds `maxStackDepth` flows already. Then
    /// `stackLimit` is raised for `what` (a `call` or a `push`) of `flow`, unless it is being raised already;
    /// unhandled, the flow is not entered (built-in behaviour) and a pushed event's waiting step is shown again.
    pub fn refuse_frame(&mut self, what: &str, flow: &str) -> bool {
        let limit = self.p.agent.settings.max_stack_depth;
        let depth = self.s.stack.len() + 1;
        if depth <= limit {
            return false;
        }
        if self.raising_stack_limit {
            return true;
        }
        if self.config.wants("debug") {
            let message = format!("{what} of flow '{flow}' would exceed maxStackDepth {limit}; raising stackLimit");
            self.debug("stack", message);
        }
        let data = crate::json::obj3(
            "flow",
            crate::json::text(flow),
            "depth",
            Value::from(depth),
            "limit",
            Value::from(limit),
        );
        self.raising_stack_limit = true;
        let handled = self.raise("stackLimit", data);
        self.raising_stack_limit = false;
        if !handled && what == "push" {
            self.show_listening_again();
        }
        true
    }
}

impl<'a> Ctx<'a> {
    /// The no-match and no-reply settings of a step that listens (choice, card, carousel, capture).
    pub fn reprompts(&self, flow: &str, step: &str) -> (Option<&'a NoMatchDef>, Option<&'a NoReplyDef>) {
        match self.p.step(flow, step) {
            Some(
                Step::Choice { no_match, no_reply, .. }
                | Step::Card { no_match, no_reply, .. }
                | Step::Carousel { no_match, no_reply, .. }
                | Step::Capture { no_match, no_reply, .. },
            ) => (no_match.as_ref(), no_reply.as_ref()),
            _ => (None, None),
        }
    }

    /// The buttons of the listening step on top of the stack (none when no step listens), read without copying
    /// the frame's names as `listening()` does.
    pub fn listening_buttons(&self) -> Vec<&'a ButtonDef> {
        self.listening_step().map_or(Vec::new(), step_buttons)
    }

    /// The listening step on top of the stack, if the top frame waits for the user and its step exists.
    pub fn listening_step(&self) -> Option<&'a Step> {
        match self.s.stack.last() {
            Some(Frame { state: FrameState::Listening, flow, step: Some(step), .. }) => self.p.step(flow, step),
            _ => None,
        }
    }

    /// The buttons of a listening step, with their indexes as the choice trace numbers them.
    pub fn buttons_of(&self, flow: &str, step: &str) -> Vec<&'a ButtonDef> {
        self.p.step(flow, step).map_or(Vec::new(), step_buttons)
    }
}

/// The buttons of a step, with their indexes as the choice trace numbers them.
pub fn step_buttons(step: &Step) -> Vec<&ButtonDef> {
    let mut out = Vec::new();
    match step {
        Step::Choice { buttons, .. } | Step::Card { buttons, .. } => {
            for b in buttons {
                out.push(b);
            }
        }
        Step::Carousel { cards, .. } => {
            for c in cards {
                for b in &c.buttons {
                    out.push(b);
                }
            }
        }
        _ => {}
    }
    out
}
