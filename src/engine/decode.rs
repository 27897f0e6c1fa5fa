//! Reading an agent file into the [`Agent`] model, by hand, from one parsed `json::Value`.
//!
//! Every shape problem (a wrong type, a missing key, a key that does not belong) is reported with its path, and
//! decoding goes on so that one run lists them all: each field is read with the shared JSON reader
//! ([`crate::json::Fields`]), and the [`Decoder`] keeps the error of a field that fails and reads on.
//! Hand-written on purpose: derived serde visitors for this model were the largest part of the wasm module.

use crate::json::{expect_str, Fields, Named, Path, PathError, Value};

use super::agent::*;
use super::error::ValidationError;
use super::expr::Expr;
use super::template::{JsonTemplate, Template};

/// Decode an agent; `Err` holds every shape error found.
pub fn agent(v: &Value) -> Result<Agent, Vec<ValidationError>> {
    let mut d = Decoder { errors: Vec::new() };
    let agent = d.agent(v);
    match agent {
        Some(a) if d.errors.is_empty() => Ok(a),
        _ => Err(d.errors),
    }
}

/// Reads an agent file, keeping every error: a field that fails is `None` here, its error kept for the report.
struct Decoder {
    errors: Vec<ValidationError>,
}

/// The step types (see `STEPS`).
#[derive(Clone, Copy)]
enum StepType {
    Text,
    Choice,
    Card,
    Carousel,
    Image,
    Capture,
    Condition,
    Set,
    Goto,
    Call,
    Delay,
    Emit,
    Custom,
    Webhook,
    End,
}

/// Step types as written, as matched, and the keys each allows.
const STEPS: &[(&str, StepType, &[&str])] = &[
    ("text", StepType::Text, &["type", "text", "next", "delay"]),
    ("choice", StepType::Choice, &["type", "prompt", "buttons", "noMatch", "noReply"]),
    ("card", StepType::Card, &["type", "title", "description", "image", "buttons", "next", "noMatch", "noReply"]),
    ("carousel", StepType::Carousel, &["type", "layout", "cards", "next", "noMatch", "noReply"]),
    ("image", StepType::Image, &["type", "url", "width", "height", "next"]),
    ("capture", StepType::Capture, &["type", "variable", "slot", "prompt", "next", "noMatch", "noReply"]),
    ("condition", StepType::Condition, &["type", "branches", "else"]),
    ("set", StepType::Set, &["type", "set", "next"]),
    ("goto", StepType::Goto, &["type", "flow", "step"]),
    ("call", StepType::Call, &["type", "flow", "step", "next"]),
    ("delay", StepType::Delay, &["type", "ms", "next"]),
    ("emit", StepType::Emit, &["type", "event", "data", "after", "at", "cancelOnUserMessage", "next"]),
    ("custom", StepType::Custom, &["type", "name", "payload", "paths", "defaultPath"]),
    (
        "webhook",
        StepType::Webhook,
        &["type", "url", "method", "headers", "body", "timeoutMs", "assign", "next", "onError"],
    ),
    ("end", StepType::End, &["type"]),
];

impl Decoder {
    /// The value read, or `None` with its error kept.
    fn ok<T>(&mut self, read: Result<T, PathError>) -> Option<T> {
        match read {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    /// Report `message` at `path`.
    fn err(&mut self, path: &Path, message: String) {
        self.errors.push(PathError::new(path, message));
    }

    /// Whether `key` is present (null counts as present); reports it missing if not.
    fn has(&mut self, o: &Fields, key: &str) -> bool {
        self.ok(o.require(key)).is_some()
    }

    /// An object whose keys must all be in `allowed`.
    fn obj<'v, 'p>(&mut self, v: &'v Value, path: &Path<'p>, allowed: &[&str]) -> Option<Fields<'v, 'p>> {
        let o = self.ok(Fields::new(v, *path))?;
        self.errors.extend(o.unknown_keys(allowed));
        Some(o)
    }

    fn str<'v>(&mut self, v: &'v Value, path: &Path) -> Option<&'v str> {
        self.ok(expect_str(v, path))
    }

    fn string(&mut self, v: &Value, path: &Path) -> Option<String> {
        self.str(v, path).map(str::to_string)
    }

    fn req_str<'v>(&mut self, o: &Fields<'v, '_>, key: &str) -> Option<&'v str> {
        self.ok(o.str(key))
    }

    fn req_string(&mut self, o: &Fields, key: &str) -> Option<String> {
        self.req_str(o, key).map(str::to_string)
    }

    fn opt_str<'v>(&mut self, o: &Fields<'v, '_>, key: &str) -> Option<&'v str> {
        self.ok(o.opt_str(key)).flatten()
    }

    fn opt_string(&mut self, o: &Fields, key: &str) -> Option<String> {
        self.opt_str(o, key).map(str::to_string)
    }

    /// `opt_string`, empty when absent.
    fn string_or_empty(&mut self, o: &Fields, key: &str) -> String {
        self.opt_string(o, key).unwrap_or_default()
    }

    fn opt_u64(&mut self, o: &Fields, key: &str) -> Option<u64> {
        self.ok(o.opt_u64(key)).flatten()
    }

    /// A whole number that must be present.
    fn req_u64(&mut self, o: &Fields, key: &str) -> Option<u64> {
        self.ok(o.u64(key))
    }

    fn opt_bool(&mut self, o: &Fields, key: &str) -> Option<bool> {
        self.ok(o.opt_bool(key)).flatten()
    }

    fn template(&mut self, o: &Fields, key: &str) -> Option<Template> {
        self.opt_str(o, key).map(Template::parse)
    }

    /// `template`, empty when absent.
    fn text(&mut self, o: &Fields, key: &str) -> Template {
        Template::parse(self.opt_str(o, key).unwrap_or_default())
    }

    /// A template that must be present.
    fn req_template(&mut self, o: &Fields, key: &str) -> Option<Template> {
        self.req_str(o, key).map(Template::parse)
    }

    /// A JSON value kept as a template (absent or null: none).
    fn json(&mut self, o: &Fields, key: &str) -> Option<JsonTemplate> {
        o.get(key).map(JsonTemplate::new)
    }

    /// Give each item of the list under `key` (absent or null: none) to `f` with its path.
    fn each_item(&mut self, o: &Fields, key: &str, f: &mut dyn FnMut(&mut Decoder, &Value, &Path)) {
        let Some(items) = self.ok(o.opt_list(key)) else { return };
        let path = o.at(key);
        for (i, item) in items.iter().enumerate() {
            f(self, item, &path.index(i));
        }
    }

    /// Give each entry of the object under `key` used as a map (absent or null: none) to `f` with its path.
    fn each_entry(&mut self, o: &Fields, key: &str, f: &mut dyn FnMut(&mut Decoder, &String, &Value, &Path)) {
        let Some(Some(map)) = self.ok(o.opt_map(key)) else { return };
        let path = o.at(key);
        for (k, item) in map {
            f(self, k, item, &path.key(k));
        }
    }

    fn strings(&mut self, o: &Fields, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.each_item(o, key, &mut |d, v, p| {
            if let Some(s) = d.string(v, p) {
                out.push(s);
            }
        });
        out
    }

    fn templates(&mut self, o: &Fields, key: &str) -> Vec<Template> {
        let mut out = Vec::new();
        self.each_item(o, key, &mut |d, v, p| {
            if let Some(s) = d.str(v, p) {
                out.push(Template::parse(s));
            }
        });
        out
    }

    fn string_map(&mut self, o: &Fields, key: &str) -> Named<String> {
        let mut out = Named::new();
        self.each_entry(o, key, &mut |d, k, v, p| {
            if let Some(s) = d.string(v, p) {
                out.set(k.clone(), s);
            }
        });
        out
    }

    fn json_map(&mut self, o: &Fields, key: &str) -> Named<Value> {
        let mut out = Vec::new();
        self.each_entry(o, key, &mut |_, k, v, _| {
            out.push((k.clone(), v.clone()));
        });
        Named::from_pairs(out)
    }

    fn triggers(&mut self, o: &Fields) -> Vec<TriggerDef> {
        let mut out = Vec::new();
        self.each_item(o, "triggers", &mut |d, v, p| {
            if let Some(t) = d.trigger(v, p) {
                out.push(t);
            }
        });
        out
    }

    fn agent(&mut self, v: &Value) -> Option<Agent> {
        const KEYS: &[&str] =
            &["name", "description", "start", "settings", "variables", "events", "intents", "triggers", "flows"];
        let Value::Object(_) = v else {
            self.err(&Path::Root, "an agent file is one JSON object: { \"name\": ..., \"flows\": { ... } }".into());
            return None;
        };
        let o = self.obj(v, &Path::Root, KEYS)?;
        let name = self.req_string(&o, "name");
        let mut settings = Settings::default();
        if let Some(s) = o.get("settings") {
            self.settings(s, &mut settings);
        }
        // Missing flows are reported here; the agent built below is then dropped with the errors.
        self.has(&o, "flows");
        // Maps that may be large are gathered, then sorted once (`Named::from_pairs`), not inserted one by one.
        let mut flows = Vec::new();
        self.each_entry(&o, "flows", &mut |d, k, v, p| {
            if let Some(f) = d.flow(v, p) {
                flows.push((k.clone(), f));
            }
        });
        let flows = Named::from_pairs(flows);
        let description = self.string_or_empty(&o, "description");
        let start = self.opt_string(&o, "start").unwrap_or_else(|| "main".into());
        let variables = self.json_map(&o, "variables");
        let mut events = Vec::new();
        self.each_item(&o, "events", &mut |d, v, p| {
            if let Some(e) = d.event(v, p) {
                events.push(e);
            }
        });
        let mut intents = Vec::new();
        self.each_item(&o, "intents", &mut |d, v, p| {
            if let Some(i) = d.intent(v, p) {
                intents.push(i);
            }
        });
        let triggers = self.triggers(&o);
        // A missing name was reported: the agent built here is then dropped with the errors.
        debug_assert!(name.is_some() || !self.errors.is_empty());
        Some(Agent {
            name: name.unwrap_or_default(),
            description,
            start,
            settings,
            variables,
            events,
            intents,
            triggers,
            flows,
        })
    }

    /// Read the settings object `v` into `s` (the defaults).
    fn settings(&mut self, v: &Value, s: &mut Settings) {
        const KEYS: &[&str] = &[
            "maxInputLength",
            "maxChainDepth",
            "maxStackDepth",
            "maxStepsPerTurn",
            "turnTimeLimitMs",
            "maxFileBytes",
            "maxEventDataBytes",
            "sessionDataSoftLimit",
            "sessionDataHardLimit",
            "intentConfidence",
            "noReplySeconds",
            "noMatchPrompts",
            "noReplyPrompts",
            "messageDelayMs",
        ];
        let path = Path::top("settings");
        let Some(o) = self.obj(v, &path, KEYS) else { return };
        // The errors come in this order: the numbers, then the prompts. A size beyond `usize` is `usize::MAX`.
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        if let Some(n) = self.opt_u64(&o, "maxInputLength") {
            s.max_input_length = size(n);
        }
        if let Some(n) = self.opt_u64(&o, "maxChainDepth") {
            s.max_chain_depth = size(n);
        }
        if let Some(n) = self.opt_u64(&o, "maxStepsPerTurn") {
            s.max_steps_per_turn = size(n);
        }
        if let Some(n) = self.opt_u64(&o, "turnTimeLimitMs") {
            s.turn_time_limit_ms = n;
        }
        if let Some(n) = self.opt_u64(&o, "maxFileBytes") {
            s.max_file_bytes = n;
        }
        if let Some(n) = self.opt_u64(&o, "maxEventDataBytes") {
            s.max_event_data_bytes = size(n);
        }
        if let Some(n) = self.opt_u64(&o, "sessionDataSoftLimit") {
            s.session_data_soft_limit = size(n);
        }
        if let Some(n) = self.opt_u64(&o, "sessionDataHardLimit") {
            s.session_data_hard_limit = size(n);
        }
        if let Some(n) = self.ok(o.opt_f64("intentConfidence")).flatten() {
            s.intent_confidence = n;
        }
        if let Some(n) = self.opt_u64(&o, "noReplySeconds") {
            s.no_reply_seconds = n;
        }
        if let Some(n) = self.opt_u64(&o, "messageDelayMs") {
            s.message_delay_ms = n;
        }
        if let Some(n) = self.opt_u64(&o, "maxStackDepth") {
            s.max_stack_depth = size(n);
        }
        if o.has("noMatchPrompts") {
            s.no_match_prompts = self.templates(&o, "noMatchPrompts");
        }
        if o.has("noReplyPrompts") {
            s.no_reply_prompts = self.templates(&o, "noReplyPrompts");
        }
    }

    fn event(&mut self, v: &Value, path: &Path) -> Option<EventDef> {
        const TYPES: &[DataType] =
            &[DataType::String, DataType::Number, DataType::Boolean, DataType::Object, DataType::Array, DataType::Any];
        let o = self.obj(v, path, &["name", "description", "data"])?;
        let mut data = Named::new();
        self.each_entry(&o, "data", &mut |d, k, v, p| {
            let Some(t) = d.str(v, p) else { return };
            match TYPES.iter().find(|ty| ty.name() == t) {
                Some(ty) => data.set(k.clone(), *ty),
                None => d.errors.push(PathError::unknown(
                    p,
                    "data type",
                    t,
                    "string, number, boolean, object, array or any",
                )),
            }
        });
        Some(EventDef {
            name: self.req_string(&o, "name")?,
            description: self.string_or_empty(&o, "description"),
            data,
        })
    }

    fn intent(&mut self, v: &Value, path: &Path) -> Option<IntentDef> {
        let o = self.obj(v, path, &["name", "utterances", "slots", "events"])?;
        Some(IntentDef {
            name: self.req_string(&o, "name")?,
            utterances: self.strings(&o, "utterances"),
            slots: self.json_map(&o, "slots"),
            events: self.strings(&o, "events"),
        })
    }

    /// An optional word under `key` that must be one of `words` (its index); `expected` lists them for the error.
    fn word(&mut self, o: &Fields, key: &str, words: &[&str], expected: &str) -> Option<usize> {
        let s = self.opt_str(o, key)?;
        let found = words.iter().position(|w| *w == s);
        if found.is_none() {
            self.errors.push(PathError::unknown(&o.at(key), key, s, expected));
        }
        found
    }

    fn trigger(&mut self, v: &Value, path: &Path) -> Option<TriggerDef> {
        const KEYS: &[&str] = &["event", "intent", "start", "flow", "step", "scope", "mode", "mappings", "description"];
        let o = self.obj(v, path, KEYS)?;
        let scope = self.word(&o, "scope", &["global", "local"], "global or local");
        let mode = self.word(&o, "mode", &["jump", "push"], "jump or push");
        Some(TriggerDef {
            event: self.opt_string(&o, "event"),
            intent: self.opt_string(&o, "intent"),
            start: self.opt_bool(&o, "start").unwrap_or(false),
            flow: self.opt_string(&o, "flow"),
            step: self.opt_string(&o, "step"),
            scope: scope.map(|i| if i == 0 { Scope::Global } else { Scope::Local }),
            mode: if mode == Some(1) { Mode::Push } else { Mode::Jump },
            mappings: self.string_map(&o, "mappings"),
            description: self.string_or_empty(&o, "description"),
        })
    }

    fn flow(&mut self, v: &Value, path: &Path) -> Option<Flow> {
        let o = self.obj(v, path, &["start", "description", "triggers", "steps"])?;
        let start = self.req_string(&o, "start");
        self.has(&o, "steps");
        let description = self.string_or_empty(&o, "description");
        let triggers = self.triggers(&o);
        let mut steps = Vec::new();
        self.each_entry(&o, "steps", &mut |d, k, v, p| {
            d.step(&mut steps, k, v, p);
        });
        let steps = Named::from_pairs(steps);
        // A missing start was reported: the flow is then dropped with the errors.
        debug_assert!(start.is_some() || !self.errors.is_empty());
        Some(Flow { description, triggers, steps, start: start.unwrap_or_default() })
    }

    fn variants(&mut self, v: &Value, path: &Path) -> Option<Variants> {
        let mut out = Vec::new();
        match v {
            Value::String(s) => out.push(Template::parse(s)),
            Value::Array(items) if items.is_empty() => {
                self.err(path, "the list of variants is empty".into());
                return None;
            }
            Value::Array(items) => {
                // The first item that is not a string is reported, the rest are not read.
                for (i, item) in items.iter().enumerate() {
                    out.push(Template::parse(self.str(item, &path.index(i))?));
                }
            }
            other => {
                self.errors.push(PathError::wrong(path, "a string or a list of strings", other));
                return None;
            }
        }
        Some(Variants(out))
    }

    fn opt_variants(&mut self, o: &Fields, key: &str) -> Option<Variants> {
        let v = o.get(key)?;
        self.variants(v, &o.at(key))
    }

    fn prompts(&mut self, o: &Fields) -> Vec<Variants> {
        let mut out = Vec::new();
        self.each_item(o, "prompts", &mut |d, v, p| {
            if let Some(t) = d.variants(v, p) {
                out.push(t);
            }
        });
        out
    }

    fn expr(&mut self, src: &str, path: &Path) -> Option<Expr> {
        match Expr::parse(src) {
            Ok(e) => Some(e),
            Err(e) => {
                self.err(path, format!("bad expression '{src}': {e}"));
                None
            }
        }
    }

    fn buttons(&mut self, o: &Fields) -> Vec<ButtonDef> {
        let mut out = Vec::new();
        self.each_item(o, "buttons", &mut |d, v, path| {
            let Some(b) = d.obj(v, path, &["label", "next", "event", "data", "intent", "url"]) else { return };
            let Some(label) = d.req_template(&b, "label") else { return };
            out.push(ButtonDef {
                label,
                next: d.opt_string(&b, "next"),
                event: d.opt_string(&b, "event"),
                data: d.json(&b, "data"),
                intent: d.opt_string(&b, "intent"),
                url: d.template(&b, "url"),
            });
        });
        out
    }

    fn no_match(&mut self, o: &Fields) -> Option<NoMatchDef> {
        let v = o.get("noMatch")?;
        let path = o.at("noMatch");
        let n = self.obj(v, &path, &["prompts", "next"])?;
        Some(NoMatchDef { prompts: self.prompts(&n), next: self.opt_string(&n, "next") })
    }

    fn no_reply(&mut self, o: &Fields) -> Option<NoReplyDef> {
        let v = o.get("noReply")?;
        let path = o.at("noReply");
        let n = self.obj(v, &path, &["timeout", "prompts", "next"])?;
        let timeout = self.req_u64(&n, "timeout");
        Some(NoReplyDef { timeout: timeout?, prompts: self.prompts(&n), next: self.opt_string(&n, "next") })
    }

    /// The `noMatch` and `noReply` of a step that waits for the user, read in that order.
    fn listen(&mut self, o: &Fields) -> (Option<NoMatchDef>, Option<NoReplyDef>) {
        (self.no_match(o), self.no_reply(o))
    }

    /// Add the step `v` under `name` to `steps`, if it is good. Added here rather than returned: a step is big, and
    /// an `Option<Step>` would be one more copy of it.
    fn step(&mut self, steps: &mut Vec<(String, Step)>, name: &str, v: &Value, path: &Path) -> Option<()> {
        let o = self.ok(Fields::new(v, *path))?;
        let ty = self.req_str(&o, "type")?;
        let Some(&(_, ty, keys)) = STEPS.iter().find(|(name, _, _)| *name == ty) else {
            let names: Vec<&str> = STEPS.iter().map(|(name, _, _)| *name).collect();
            self.err(&o.at("type"), format!("unknown step type '{ty}' (expected one of: {})", names.join(", ")));
            return None;
        };
        self.errors.extend(o.unknown_keys(keys));
        let next = self.opt_string(&o, "next");
        let step = match ty {
            StepType::Text => {
                let text = match self.ok(o.require("text")) {
                    Some(t) => self.variants(t, &o.at("text")),
                    None => None,
                };
                Step::Text { text: text?, next, delay: self.opt_u64(&o, "delay") }
            }
            StepType::Choice => {
                let prompt = self.opt_variants(&o, "prompt");
                if !self.has(&o, "buttons") {
                    return None;
                }
                let buttons = self.buttons(&o);
                let (no_match, no_reply) = self.listen(&o);
                Step::Choice { prompt, buttons, no_match, no_reply }
            }
            StepType::Card => {
                let title = self.text(&o, "title");
                let description = self.text(&o, "description");
                let image = self.template(&o, "image");
                let buttons = self.buttons(&o);
                let (no_match, no_reply) = self.listen(&o);
                Step::Card { title, description, image, buttons, next, no_match, no_reply }
            }
            StepType::Carousel => {
                let layout = self.opt_string(&o, "layout");
                if !self.has(&o, "cards") {
                    return None;
                }
                let mut cards = Vec::new();
                self.each_item(&o, "cards", &mut |d, v, p| {
                    let Some(c) = d.obj(v, p, &["title", "description", "image", "buttons"]) else { return };
                    cards.push(CardDef {
                        title: d.text(&c, "title"),
                        description: d.text(&c, "description"),
                        image: d.template(&c, "image"),
                        buttons: d.buttons(&c),
                    });
                });
                let (no_match, no_reply) = self.listen(&o);
                Step::Carousel { layout, cards, next, no_match, no_reply }
            }
            StepType::Image => Step::Image {
                url: self.req_template(&o, "url")?,
                width: self.opt_u64(&o, "width").map(dim),
                height: self.opt_u64(&o, "height").map(dim),
                next,
            },
            StepType::Capture => {
                let variable = self.req_string(&o, "variable")?;
                let slot = self.opt_string(&o, "slot");
                let prompt = self.opt_variants(&o, "prompt");
                let (no_match, no_reply) = self.listen(&o);
                Step::Capture { variable, slot, prompt, next, no_match, no_reply }
            }
            StepType::Condition => {
                if !self.has(&o, "branches") {
                    return None;
                }
                let mut branches = Vec::new();
                self.each_item(&o, "branches", &mut |d, v, p| {
                    let Some(b) = d.obj(v, p, &["if", "next"]) else { return };
                    let test = d.req_str(&b, "if");
                    let next = d.req_str(&b, "next");
                    let Some(test) = test.and_then(|t| d.expr(t, &p.key("if"))) else { return };
                    let Some(next) = next else { return };
                    branches.push(Branch { test: ExprSrc(test), next: next.to_string() });
                });
                Step::Condition { branches, otherwise: self.opt_string(&o, "else") }
            }
            StepType::Set => {
                self.has(&o, "set");
                let mut set = Named::new();
                self.each_entry(&o, "set", &mut |d, k, v, p| {
                    let value = match v.as_str().and_then(|s| s.strip_prefix('=')) {
                        Some(src) => d.expr(src, p).map(SetValue::Expr),
                        None => Some(SetValue::Json(JsonTemplate::new(v))),
                    };
                    if let Some(value) = value {
                        set.set(k.clone(), value);
                    }
                });
                Step::Set { set, next }
            }
            StepType::Goto => Step::Goto { flow: self.opt_string(&o, "flow"), step: self.opt_string(&o, "step") },
            StepType::Call => {
                Step::Call { flow: self.req_string(&o, "flow")?, step: self.opt_string(&o, "step"), next }
            }
            StepType::Delay => Step::Delay { ms: self.req_u64(&o, "ms")?, next },
            StepType::Emit => Step::Emit {
                event: self.req_string(&o, "event")?,
                data: self.json(&o, "data"),
                after: self.opt_u64(&o, "after"),
                at: self.opt_u64(&o, "at"),
                cancel_on_user_message: self.opt_bool(&o, "cancelOnUserMessage").unwrap_or(false),
                next,
            },
            StepType::Custom => Step::Custom {
                name: self.req_string(&o, "name")?,
                payload: self.json(&o, "payload"),
                paths: self.string_map(&o, "paths"),
                default_path: self.opt_string(&o, "defaultPath"),
            },
            StepType::Webhook => {
                let url = self.req_template(&o, "url")?;
                let method = self.opt_string(&o, "method").unwrap_or_else(|| "POST".into());
                let mut headers = Named::new();
                self.each_entry(&o, "headers", &mut |d, k, v, p| {
                    if let Some(s) = d.str(v, p) {
                        headers.set(k.clone(), Template::parse(s));
                    }
                });
                Step::Webhook {
                    url,
                    method,
                    headers,
                    body: self.json(&o, "body"),
                    timeout_ms: self.opt_u64(&o, "timeoutMs"),
                    assign: self.string_map(&o, "assign"),
                    next,
                    on_error: self.opt_string(&o, "onError"),
                }
            }
            StepType::End => Step::End {},
        };
        steps.push((name.to_string(), step));
        Some(())
    }
}

fn dim(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
