//! The compiled agent: validated, with trigger lookup tables and the intent matcher built once.
//!
//! The dispatcher only sees this model: flows of steps, and *commands* (triggers) that live either on the base
//! (global) or on a flow (local, active while that flow is on the stack), each with a mode `jump` or `push`.
//! That is the shape of a Voiceflow compiled program (diagrams of nodes, frame commands), so an importer for
//! those programs can target it without touching the dispatcher.

use crate::json::{Named, Value};

use super::agent::{Agent, ButtonDef, DataType, Flow, Mode, NoReplyDef, Scope, Step, TriggerDef};
use super::error::{AgentError, ValidationError};
use super::nlu::{self, IntentSpec, Matcher, SlotType};
use super::session::is_built_in;
use super::steps::is_link;
use super::template::is_identifier;
use crate::json::Path;
use crate::wire::names::{self, EventPattern};

/// A trigger after validation.
#[derive(Debug, Clone)]
pub struct Command {
    pub on: On,
    pub flow: String,
    pub step: String,
    pub mode: Mode,
    /// (data path or slot name, variable).
    pub mappings: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum On {
    Event(EventPattern),
    Intent(String),
    Start,
}

/// Lookup tables for the commands of one stack level (the base, or one flow).
#[derive(Debug, Clone, Default)]
pub struct CommandTable {
    pub exact: Named<usize>,
    pub namespace: Named<usize>,
    pub any: Option<usize>,
    pub intents: Named<usize>,
    pub start: Option<usize>,
}

impl CommandTable {
    /// Add command `index`; when a command for the same key is there already, it stays and its index is given
    /// back (validation reports the new one: it could never be chosen).
    fn add(&mut self, on: &On, index: usize) -> Option<usize> {
        let (map, slot) = match on {
            On::Event(EventPattern::Exact(k)) => (&mut self.exact, k),
            On::Event(EventPattern::Namespace(k)) => (&mut self.namespace, k),
            On::Intent(k) => (&mut self.intents, k),
            On::Event(EventPattern::Any) => return claim(&mut self.any, index),
            On::Start => return claim(&mut self.start, index),
        };
        match map.get(slot) {
            Some(&first) => Some(first),
            None => {
                map.insert_first(slot, index);
                None
            }
        }
    }
}

/// Take `slot` for `index` if it is free; else the index already there.
fn claim(slot: &mut Option<usize>, index: usize) -> Option<usize> {
    match *slot {
        Some(first) => Some(first),
        None => {
            *slot = Some(index);
            None
        }
    }
}

/// A validated, ready-to-run agent.
#[derive(Debug, Clone)]
pub struct Program {
    pub agent: Agent,
    pub commands: Vec<Command>,
    pub global: CommandTable,
    pub local: Named<CommandTable>,
    /// Event key to the intent (key) that lists it in `events`.
    pub intent_events: Named<String>,
    /// Event key to its declared data types.
    pub event_types: Named<Named<DataType>>,
    pub matcher: Matcher,
    /// Capture slot references (`intent.slot`, `@number`, ...) to their types.
    pub slot_types: Named<SlotType>,
}

impl Program {
    /// Parse and validate an agent file. Shape errors stop at the first (with its path); meaning errors are all
    /// reported.
    pub fn from_json(src: &str) -> Result<Program, AgentError> {
        let value = crate::json::parse(src).map_err(|e| AgentError {
            errors: vec![ValidationError {
                path: String::new(),
                message: format!("the agent file is not valid JSON: {e}"),
            }],
        })?;
        Program::from_value(&value)
    }

    /// Decode and validate an agent already parsed as JSON. Every shape error is reported with its path; when the
    /// shapes are right, every meaning error is.
    pub fn from_value(value: &Value) -> Result<Program, AgentError> {
        let agent = super::decode::agent(value).map_err(|errors| AgentError { errors })?;
        Program::compile(agent)
    }

    pub fn compile(agent: Agent) -> Result<Program, AgentError> {
        let mut v = Validator::default();
        v.check_agent(&agent);
        // One way out for both refusals: what is alive here is dropped in one place.
        let matcher = match v.build_matcher(&agent) {
            Some(m) if v.errors.is_empty() => m,
            _ => {
                let mut errors = v.errors;
                if errors.is_empty() {
                    errors.push(ValidationError { path: "intents".into(), message: "invalid".into() });
                }
                return Err(AgentError { errors });
            }
        };
        let mut slot_types = std::mem::take(&mut v.slot_types);
        slot_types.set("@number".into(), SlotType::Number);
        slot_types.set("@email".into(), SlotType::Email);
        slot_types.set("@any".into(), SlotType::Any);
        let mut intent_events = Named::new();
        for intent in &agent.intents {
            for e in &intent.events {
                intent_events.insert_first(&names::key(e), names::key(&intent.name));
            }
        }
        let mut event_types = Named::new();
        for e in &agent.events {
            event_types.set(names::key(&e.name), e.data.clone());
        }
        let Validator { commands, global, local, .. } = v;
        Ok(Program { commands, global, local, intent_events, event_types, matcher, slot_types, agent })
    }

    pub fn flow(&self, name: &str) -> Option<&Flow> {
        self.agent.flows.get(name)
    }

    pub fn step(&self, flow: &str, step: &str) -> Option<&Step> {
        self.agent.flows.get(flow)?.steps.get(step)
    }
}

#[derive(Default)]
struct Validator {
    errors: Vec<ValidationError>,
    commands: Vec<Command>,
    /// The lookup tables of the commands, filled as they are added: the global one, and each flow's.
    global: CommandTable,
    local: Named<CommandTable>,
    slot_types: Named<SlotType>,
    /// The path of each command's trigger, to name the first of two that handle the same thing.
    trigger_paths: Vec<String>,
}

impl Validator {
    fn err(&mut self, path: &Path, message: &str) {
        self.report(path, message.to_string());
    }

    /// `err` with a message already built: taken, not copied.
    fn report(&mut self, path: &Path, message: String) {
        self.errors.push(ValidationError { path: path.render(), message });
    }

    /// An error at `path.key`.
    fn err_at(&mut self, path: &Path, key: &str, message: &str) {
        self.err(&path.key(key), message);
    }

    /// An error at `path` quoting a name: `before` + `value` + `after`.
    fn quote(&mut self, path: &Path, before: &str, value: &str, after: &str) {
        self.report(path, format!("{before}{value}{after}"));
    }

    /// `quote` at `path.key`.
    fn quote_at(&mut self, path: &Path, key: &str, before: &str, value: &str, after: &str) {
        self.quote(&path.key(key), before, value, after);
    }

    /// Record `name`, item `i` of `list` (its path: `path`), in `seen`; a name declared before is reported with
    /// the path of its last declaration.
    fn declare(&mut self, seen: &mut Named<usize>, list: &Path, i: usize, path: &Path, name: &str) {
        let key = names::key(name);
        if let Some(&j) = seen.get(&key) {
            self.quote(path, "'", name, &format!("' is already declared at {}", list.index(j).render()));
        }
        seen.set(key, i);
    }

    fn name(&mut self, path: &Path, name: &str) -> bool {
        self.name_as(path, name, "")
    }

    /// Check a name; a refusal is reported at `path`, its message after `prefix`.
    fn name_as(&mut self, path: &Path, name: &str, prefix: &str) -> bool {
        match names::check_name(name) {
            Ok(()) => true,
            Err(e) => {
                self.report(path, format!("{prefix}{e}"));
                false
            }
        }
    }

    /// Whether `name` is a declared intent (case-insensitively).
    fn intent_declared(a: &Agent, name: &str) -> bool {
        a.intents.iter().any(|d| d.name.eq_ignore_ascii_case(name))
    }

    fn check_agent(&mut self, a: &Agent) {
        self.name(&Path::top("name"), &a.name);
        if !a.flows.contains_key(&a.start) {
            self.quote_at(&Path::Root, "start", "unknown flow '", &a.start, "'");
        }
        self.check_settings(a);
        for k in a.variables.keys() {
            if !is_identifier(k) {
                self.err_at(&Path::top("variables"), k, "a variable name is a letter or _ then letters, digits or _");
            }
        }
        let mut seen = Named::new();
        let events = Path::top("events");
        for (i, e) in a.events.iter().enumerate() {
            let item = events.index(i);
            let path = item.key("name");
            if self.name(&path, &e.name) {
                if let Some(sys) = names::system_event(&e.name) {
                    self.quote(
                        &path,
                        "'",
                        sys,
                        "' is a system event; handle it with a trigger instead of declaring it",
                    );
                }
                self.declare(&mut seen, &events, i, &path, &e.name);
            }
        }
        let mut seen = Named::new();
        let mut intent_events: Named<(usize, usize)> = Named::new();
        let intents = Path::top("intents");
        for (i, intent) in a.intents.iter().enumerate() {
            let path = intents.index(i);
            let name_path = path.key("name");
            if self.name(&name_path, &intent.name) {
                self.declare(&mut seen, &intents, i, &name_path, &intent.name);
            }
            let slots = path.key("slots");
            for (s, spec) in &intent.slots {
                if !is_identifier(s) {
                    self.err_at(&slots, s, "a slot name is a letter or _ then letters, digits or _");
                }
                match nlu::parse_slot_type(spec) {
                    Ok(t) => {
                        self.slot_types.set(format!("{}.{s}", intent.name), t);
                    }
                    Err(m) => self.err_at(&slots, s, &m),
                }
            }
            let events = path.key("events");
            for (j, e) in intent.events.iter().enumerate() {
                let event_path = events.index(j);
                if !self.name(&event_path, e) {
                    continue;
                }
                if let Some(sys) = names::system_event(e) {
                    let message = "' is a system event; it reaches exact triggers only, never an intent";
                    self.quote(&event_path, "'", sys, message);
                    continue;
                }
                // An event triggers the first intent that lists it; a second listing would never be used.
                let key = names::key(e);
                match intent_events.get(&key) {
                    Some(&(k, l)) => {
                        let first = a.intents.get(k).map_or("", |intent| intent.name.as_str());
                        let at = intents.index(k).key("events").index(l).render();
                        let message = format!("' already triggers intent '{first}' ({at}); this one never would");
                        self.quote(&event_path, "'", e, &message);
                    }
                    None => intent_events.set(key, (i, j)),
                }
            }
        }
        let triggers = Path::top("triggers");
        for (i, t) in a.triggers.iter().enumerate() {
            self.check_trigger(a, &triggers.index(i), t, None);
        }
        for (fname, flow) in &a.flows {
            self.check_flow(a, fname, flow);
        }
    }

    fn check_settings(&mut self, a: &Agent) {
        let s = &a.settings;
        if !(1..=64).contains(&s.max_chain_depth) {
            self.err_at(&Path::Root, "settings.maxChainDepth", "must be from 1 to 64");
        }
        if !(1..=1000).contains(&s.max_stack_depth) {
            self.err_at(&Path::Root, "settings.maxStackDepth", "must be from 1 to 1000");
        }
        if !(1..=100_000).contains(&s.max_steps_per_turn) {
            self.err_at(&Path::Root, "settings.maxStepsPerTurn", "must be from 1 to 100000");
        }
        if s.max_input_length == 0 {
            self.err_at(&Path::Root, "settings.maxInputLength", "must be at least 1");
        }
        if !(0.0..=1.0).contains(&s.intent_confidence) {
            self.err_at(&Path::Root, "settings.intentConfidence", "must be from 0 to 1");
        }
        if s.session_data_soft_limit > s.session_data_hard_limit {
            self.err_at(
                &Path::Root,
                "settings.sessionDataSoftLimit",
                "must not be above settings.sessionDataHardLimit",
            );
        }
        if s.turn_time_limit_ms == 0 {
            self.err_at(&Path::Root, "settings.turnTimeLimitMs", "must be at least 1");
        }
    }

    fn build_matcher(&mut self, a: &Agent) -> Option<Matcher> {
        if self.errors.iter().any(|e| e.path.starts_with("intents[")) {
            return None; // a bad slot would be reported again as "undeclared slot"
        }
        let mut specs = Vec::new();
        for i in &a.intents {
            let mut slots = Vec::new();
            for (k, v) in &i.slots {
                if let Ok(t) = nlu::parse_slot_type(v) {
                    slots.push((k.clone(), t));
                }
            }
            specs.push(IntentSpec { name: i.name.clone(), utterances: i.utterances.clone(), slots });
        }
        match Matcher::new(&specs, a.settings.intent_confidence) {
            Ok(m) => Some(m),
            Err(m) => {
                self.err_at(&Path::Root, "intents", &m);
                None
            }
        }
    }

    fn check_trigger(&mut self, a: &Agent, path: &Path, t: &TriggerDef, owner: Option<&str>) {
        let kinds = usize::from(t.event.is_some()) + usize::from(t.intent.is_some()) + usize::from(t.start);
        if kinds != 1 {
            self.err(path, "a trigger needs exactly one of 'event', 'intent' or 'start'");
            return;
        }
        let on = if let Some(e) = &t.event {
            match EventPattern::parse(e) {
                Ok(p) => On::Event(p),
                Err(err) => return self.err_at(path, "event", &err.to_string()),
            }
        } else if let Some(i) = &t.intent {
            if !Self::intent_declared(a, i) {
                return self.quote_at(path, "intent", "unknown intent '", i, "'");
            }
            On::Intent(names::key(i))
        } else {
            On::Start
        };
        let Some(flow) = t.flow.as_deref().or(owner) else {
            return self.err(path, "a trigger needs a 'flow'");
        };
        let Some(target) = a.flows.get(flow) else {
            return self.quote_at(path, "flow", "unknown flow '", flow, "'");
        };
        let step = t.step.as_deref().unwrap_or(&target.start);
        if !target.steps.contains_key(step) {
            return self.unknown_step(path, step, flow);
        }
        let mappings_path = path.key("mappings");
        for (k, var) in &t.mappings {
            self.variable(&mappings_path, k, var);
        }
        let scope = t.scope.unwrap_or(if owner.is_some() { Scope::Local } else { Scope::Global });
        let table = match scope {
            Scope::Global => &mut self.global,
            Scope::Local => self.local.get_or_default(owner.unwrap_or(flow)),
        };
        if let Some(first) = table.add(&on, self.commands.len()) {
            let first = self.trigger_paths.get(first).cloned().unwrap_or_default();
            let never = "; this trigger would never fire";
            let written = t.event.as_ref().map(|e| ("event", e)).or(t.intent.as_ref().map(|i| ("intent", i)));
            match written {
                Some((key, name)) => {
                    self.quote_at(path, key, "'", name, &format!("' is already handled by {first}{never}"))
                }
                None => self.report(&path.key("start"), format!("a start trigger is already at {first}{never}")),
            }
        }
        self.trigger_paths.push(path.render());
        let mut mappings = Vec::new();
        for (k, v) in &t.mappings {
            mappings.push((k.clone(), v.clone()));
        }
        let cmd = Command { on, flow: flow.to_string(), step: step.to_string(), mode: t.mode, mappings };
        self.commands.push(cmd);
    }

    fn check_flow(&mut self, a: &Agent, fname: &str, flow: &Flow) {
        let flows = Path::top("flows");
        let base = flows.key(fname);
        self.name_as(&base, fname, "bad flow name: ");
        if !flow.steps.contains_key(&flow.start) {
            self.quote_at(&base, "start", "unknown step '", &flow.start, "'");
        }
        let triggers = base.key("triggers");
        for (i, t) in flow.triggers.iter().enumerate() {
            self.check_trigger(a, &triggers.index(i), t, Some(fname));
        }
        let steps = base.key("steps");
        for (sname, step) in &flow.steps {
            let path = steps.key(sname);
            self.name_as(&path, sname, "bad step id: ");
            step.local_refs(&path, &mut |key, target| {
                if !flow.steps.contains_key(target) {
                    self.quote(key, "unknown step '", target, "'");
                }
            });
            self.check_step(a, fname, flow, &path, step);
        }
    }

    fn check_step(&mut self, a: &Agent, fname: &str, flow: &Flow, path: &Path, step: &Step) {
        match step {
            Step::Choice { buttons, no_reply, .. } => {
                if buttons.is_empty() {
                    self.err_at(path, "buttons", "a choice needs at least one button");
                }
                self.check_buttons(a, &path.key("buttons"), buttons);
                self.check_no_reply(path, no_reply);
            }
            Step::Card { buttons, no_reply, .. } => {
                self.check_buttons(a, &path.key("buttons"), buttons);
                self.check_no_reply(path, no_reply);
            }
            Step::Carousel { cards, layout, no_reply, .. } => {
                if cards.is_empty() {
                    self.err_at(path, "cards", "a carousel needs at least one card");
                }
                if let Some(l) = layout {
                    if l != "Carousel" && l != "List" {
                        self.err_at(path, "layout", "must be 'Carousel' or 'List'");
                    }
                }
                let cards_path = path.key("cards");
                for (i, c) in cards.iter().enumerate() {
                    self.check_buttons(a, &cards_path.index(i).key("buttons"), &c.buttons);
                }
                self.check_no_reply(path, no_reply);
            }
            Step::Capture { variable, slot, no_reply, .. } => {
                self.variable(path, "variable", variable);
                if let Some(s) = slot {
                    let known = matches!(s.as_str(), "@number" | "@email" | "@any") || self.slot_types.contains_key(s);
                    if !known {
                        self.quote_at(path, "slot", "unknown slot '", s, "': use intent.slot, @number, @email or @any");
                    }
                }
                self.check_no_reply(path, no_reply);
            }
            Step::Set { set, .. } => {
                let set_path = path.key("set");
                for k in set.keys() {
                    self.variable(&set_path, k, k);
                }
            }
            Step::Goto { flow: to_flow, step: to_step } => {
                if to_flow.is_none() && to_step.is_none() {
                    return self.err(path, "a goto needs a 'flow', a 'step' or both");
                }
                self.check_jump(a, fname, flow, path, to_flow.as_deref(), to_step.as_deref());
            }
            Step::Call { flow: to_flow, step: to_step, .. } => {
                self.check_jump(a, fname, flow, path, Some(to_flow), to_step.as_deref());
            }
            Step::Delay { ms, .. } => {
                if *ms > 7 * 24 * 3600 * 1000 {
                    self.err_at(path, "ms", "a delay is at most 7 days");
                }
            }
            Step::Emit { event, after, at, .. } => {
                let event_path = path.key("event");
                if self.name(&event_path, event) {
                    if let Some(sys) = names::system_event(event) {
                        self.quote(&event_path, "'", sys, "' is a system event; only the engine raises it");
                    }
                }
                if after.is_some() && at.is_some() {
                    self.err(path, "an emit takes 'after' or 'at', not both");
                }
            }
            Step::Custom { name, paths, default_path, .. } => {
                self.name(&path.key("name"), name);
                for k in paths.keys() {
                    if k.is_empty() || k.len() > 100 {
                        self.err_at(path, "paths", "a path name is 1 to 100 characters");
                    }
                }
                if let Some(d) = default_path {
                    if !paths.contains_key(d) {
                        self.quote_at(path, "defaultPath", "'", d, "' is not one of the paths");
                    }
                }
            }
            Step::Webhook { url, method, assign, .. } => {
                let src = url.source();
                if !(src.starts_with("https://") || src.starts_with("http://") || src.starts_with('{')) {
                    self.err_at(path, "url", "a webhook url starts with https:// or http://");
                }
                if !matches!(method.to_ascii_uppercase().as_str(), "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
                    self.quote_at(path, "method", "'", method, "' is not GET, POST, PUT, PATCH or DELETE");
                }
                let assign_path = path.key("assign");
                for k in assign.keys() {
                    self.variable(&assign_path, k, k);
                }
            }
            Step::Text { .. } | Step::Image { .. } | Step::Condition { .. } | Step::End {} => {}
        }
    }

    /// `var` must be the name of a variable the agent may write; a refusal is reported at `path.key`.
    fn variable(&mut self, path: &Path, key: &str, var: &str) {
        if !is_identifier(var) {
            self.quote_at(path, key, "'", var, "' is not a variable name");
        } else if is_built_in(var) {
            self.quote_at(path, key, "'", var, "' is a built-in variable; only the engine writes it");
        }
    }

    fn unknown_step(&mut self, path: &Path, step: &str, flow: &str) {
        self.report(&path.key("step"), format!("unknown step '{step}' in flow '{flow}'"));
    }

    /// The target of a goto or call: `to_flow` (default: this flow) must exist, and `to_step` in it.
    fn check_jump(
        &mut self,
        a: &Agent,
        fname: &str,
        flow: &Flow,
        path: &Path,
        to_flow: Option<&str>,
        to_step: Option<&str>,
    ) {
        let (target_name, target) = match to_flow {
            Some(f) => match a.flows.get(f) {
                Some(t) => (f, t),
                None => return self.quote_at(path, "flow", "unknown flow '", f, "'"),
            },
            None => (fname, flow),
        };
        if let Some(s) = to_step {
            if !target.steps.contains_key(s) {
                self.unknown_step(path, s, target_name);
            }
        }
    }

    fn check_no_reply(&mut self, path: &Path, no_reply: &Option<NoReplyDef>) {
        if let Some(r) = no_reply {
            if r.timeout == 0 || r.timeout > 24 * 3600 {
                self.err_at(path, "noReply.timeout", "must be from 1 to 86400 seconds");
            }
        }
    }

    fn check_buttons(&mut self, a: &Agent, path: &Path, buttons: &[ButtonDef]) {
        for (i, b) in buttons.iter().enumerate() {
            let p = path.index(i);
            if b.next.is_none() && b.event.is_none() && b.url.is_none() && b.intent.is_none() {
                self.err(&p, "a button needs 'next', 'event', 'intent' or 'url'");
            }
            if b.label.source().trim().is_empty() {
                self.err_at(&p, "label", "a button needs a label");
            }
            if let Some(e) = &b.event {
                let event_path = p.key("event");
                if self.name(&event_path, e) && names::system_event(e).is_some() {
                    self.err(&event_path, "a button cannot send a system event");
                }
            }
            if let Some(i) = &b.intent {
                if !Self::intent_declared(a, i) {
                    self.quote_at(&p, "intent", "unknown intent '", i, "'");
                }
            }
            if let Some(u) = &b.url {
                // A template: a leading placeholder (a base url) is checked when the button is shown.
                let u = u.source();
                if !(is_link(u) || u.starts_with('{')) {
                    self.err_at(&p, "url", "a link must be http, https or mailto");
                }
            }
        }
    }
}

/// Check event data against the declared types of an event, naming the bad field.
pub fn check_event_data(types: &Named<DataType>, data: &Value) -> Result<(), String> {
    if types.is_empty() {
        return Ok(());
    }
    let obj = match data {
        Value::Null => return Ok(()),
        Value::Object(m) => m,
        _ => return Err("event data must be an object".into()),
    };
    for (field, ty) in types {
        if let Some(v) = obj.get(field) {
            if !ty.accepts(v) {
                return Err(format!("data.{field} must be of type {}", ty.name()));
            }
        }
    }
    Ok(())
}
