//! Reading an agent file into the [`Agent`] model, by hand, from one parsed `serde_json::Value`.
//!
//! Every shape problem (a wrong type, a missing key, a key that does not belong) is reported with its path, and
//! decoding goes on so that one run lists them all. Hand-written on purpose: derived serde visitors for this
//! model were the largest part of the wasm module. For the same reason the code below avoids generic helpers,
//! iterator adapters with closures and `collect` into maps: each of those is one more copy in the module.

use serde_json::{Map, Value};

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

struct Decoder {
    errors: Vec<ValidationError>,
}

/// The keys of one JSON object being read.
struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Obj<'v> {
    /// The value under `key`, if present and not null.
    fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }
}

/// `path.key`, or `key` at the top.
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        [path, ".", key].concat()
    }
}

/// `path[i]`.
pub(super) fn index(path: &str, i: usize) -> String {
    [path, "[", &i.to_string(), "]"].concat()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Step types and the keys each allows.
const STEPS: &[(&str, &[&str])] = &[
    ("text", &["type", "text", "next", "delay"]),
    ("choice", &["type", "prompt", "buttons", "noMatch", "noReply"]),
    ("card", &["type", "title", "description", "image", "buttons", "next", "noMatch", "noReply"]),
    ("carousel", &["type", "layout", "cards", "next", "noMatch", "noReply"]),
    ("image", &["type", "url", "width", "height", "next"]),
    ("capture", &["type", "variable", "slot", "prompt", "next", "noMatch", "noReply"]),
    ("condition", &["type", "branches", "else"]),
    ("set", &["type", "set", "next"]),
    ("goto", &["type", "flow", "step"]),
    ("call", &["type", "flow", "step", "next"]),
    ("delay", &["type", "ms", "next"]),
    ("emit", &["type", "event", "data", "after", "at", "cancelOnUserMessage", "next"]),
    ("custom", &["type", "name", "payload", "paths", "defaultPath"]),
    ("webhook", &["type", "url", "method", "headers", "body", "timeoutMs", "assign", "next", "onError"]),
    ("end", &["type"]),
];

impl Decoder {
    fn err(&mut self, path: &str, message: &str) {
        self.errors.push(ValidationError { path: path.to_string(), message: message.to_string() });
    }

    fn wrong(&mut self, path: &str, expected: &str, found: &Value) {
        self.err(path, &["expected ", expected, ", found ", kind(found)].concat());
    }

    fn missing(&mut self, path: &str, key: &str) {
        self.err(path, &["missing key '", key, "'"].concat());
    }

    /// Whether `key` is present (null counts as present); reports it missing if not.
    fn has(&mut self, o: &Obj, key: &str) -> bool {
        let present = o.map.contains_key(key);
        if !present {
            self.missing(&o.path, key);
        }
        present
    }

    /// An object whose keys must all be in `allowed`.
    fn obj<'v>(&mut self, v: &'v Value, path: &str, allowed: &[&str]) -> Option<Obj<'v>> {
        let Value::Object(map) = v else {
            self.wrong(path, "an object", v);
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let message = ["unknown key '", key, "' (expected one of: ", &allowed.join(", "), ")"].concat();
                self.err(&join(path, key), &message);
            }
        }
        Some(Obj { map, path: path.to_string() })
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong(path, "a string", other);
                None
            }
        }
    }

    fn req_str(&mut self, o: &Obj, key: &str) -> Option<String> {
        let v = o.map.get(key);
        if !self.has(o, key) {
            return None;
        }
        self.string(v?, &join(&o.path, key))
    }

    fn opt_str(&mut self, o: &Obj, key: &str) -> Option<String> {
        let v = o.get(key)?;
        self.string(v, &join(&o.path, key))
    }

    /// An optional value under `key`, accepted by `ok`; present but refused is an error naming `expected`.
    fn opt_checked<'v>(&mut self, o: &Obj<'v>, key: &str, expected: &str, ok: fn(&Value) -> bool) -> Option<&'v Value> {
        let v = o.get(key)?;
        if ok(v) {
            return Some(v);
        }
        self.wrong(&join(&o.path, key), expected, v);
        None
    }

    fn opt_u64(&mut self, o: &Obj, key: &str) -> Option<u64> {
        self.opt_checked(o, key, "a whole number of 0 or more", Value::is_u64)?.as_u64()
    }

    /// A whole number that must be present.
    fn req_u64(&mut self, o: &Obj, key: &str) -> Option<u64> {
        match o.map.get(key) {
            None => {
                self.missing(&o.path, key);
                None
            }
            Some(Value::Null) => {
                self.wrong(&join(&o.path, key), "a whole number of 0 or more", &Value::Null);
                None
            }
            Some(_) => self.opt_u64(o, key),
        }
    }

    fn opt_bool(&mut self, o: &Obj, key: &str) -> Option<bool> {
        self.opt_checked(o, key, "true or false", Value::is_boolean)?.as_bool()
    }

    fn template(&mut self, o: &Obj, key: &str) -> Option<Template> {
        self.opt_str(o, key).map(|s| Template::parse(&s))
    }

    /// `template`, empty when absent.
    fn text(&mut self, o: &Obj, key: &str) -> Template {
        let s = self.opt_str(o, key).unwrap_or_default();
        Template::parse(&s)
    }

    /// A template that must be present.
    fn req_template(&mut self, o: &Obj, key: &str) -> Option<Template> {
        Some(Template::parse(&self.req_str(o, key)?))
    }

    /// A JSON value kept as a template (absent or null: none).
    fn json(&mut self, o: &Obj, key: &str) -> Option<JsonTemplate> {
        o.get(key).map(JsonTemplate::new)
    }

    /// The items of a list under `key` (absent or null: none) with their paths.
    fn items<'v>(&mut self, o: &Obj<'v>, key: &str) -> Vec<(&'v Value, String)> {
        let mut out = Vec::new();
        let Some(v) = o.get(key) else { return out };
        let path = join(&o.path, key);
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    out.push((item, index(&path, i)));
                }
            }
            other => self.wrong(&path, "a list", other),
        }
        out
    }

    /// The entries of an object under `key` used as a map (absent or null: none) with their paths.
    fn entries<'v>(&mut self, o: &Obj<'v>, key: &str) -> Vec<(&'v String, &'v Value, String)> {
        let mut out = Vec::new();
        let Some(v) = o.get(key) else { return out };
        let path = join(&o.path, key);
        match v {
            Value::Object(m) => {
                for (k, item) in m {
                    out.push((k, item, join(&path, k)));
                }
            }
            other => self.wrong(&path, "an object", other),
        }
        out
    }

    fn strings(&mut self, o: &Obj, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (v, p) in self.items(o, key) {
            if let Some(s) = self.string(v, &p) {
                out.push(s);
            }
        }
        out
    }

    fn templates(&mut self, o: &Obj, key: &str) -> Vec<Template> {
        let mut out = Vec::new();
        for s in self.strings(o, key) {
            out.push(Template::parse(&s));
        }
        out
    }

    fn string_map(&mut self, o: &Obj, key: &str) -> Named<String> {
        let mut out = Named::new();
        for (k, v, p) in self.entries(o, key) {
            if let Some(s) = self.string(v, &p) {
                out.insert(k.clone(), s);
            }
        }
        out
    }

    fn json_map(&mut self, o: &Obj, key: &str) -> Named<Value> {
        let mut out = Named::new();
        for (k, v, _) in self.entries(o, key) {
            out.insert(k.clone(), v.clone());
        }
        out
    }

    fn triggers(&mut self, o: &Obj) -> Vec<TriggerDef> {
        let mut out = Vec::new();
        for (v, p) in self.items(o, "triggers") {
            if let Some(t) = self.trigger(v, &p) {
                out.push(t);
            }
        }
        out
    }

    fn agent(&mut self, v: &Value) -> Option<Agent> {
        const KEYS: &[&str] =
            &["name", "description", "start", "settings", "variables", "events", "intents", "triggers", "flows"];
        let Value::Object(_) = v else {
            self.err("", "an agent file is one JSON object: { \"name\": ..., \"flows\": { ... } }");
            return None;
        };
        let o = self.obj(v, "", KEYS)?;
        let name = self.req_str(&o, "name");
        let settings = match o.get("settings") {
            None => Some(Settings::default()),
            Some(s) => self.settings(s),
        };
        let has_flows = self.has(&o, "flows");
        let mut flows = Named::new();
        for (k, v, p) in self.entries(&o, "flows") {
            if let Some(f) = self.flow(v, &p) {
                flows.insert(k.clone(), f);
            }
        }
        let description = self.opt_str(&o, "description").unwrap_or_default();
        let start = self.opt_str(&o, "start").unwrap_or_else(|| "main".into());
        let variables = self.json_map(&o, "variables");
        let mut events = Vec::new();
        for (v, p) in self.items(&o, "events") {
            if let Some(e) = self.event(v, &p) {
                events.push(e);
            }
        }
        let mut intents = Vec::new();
        for (v, p) in self.items(&o, "intents") {
            if let Some(i) = self.intent(v, &p) {
                intents.push(i);
            }
        }
        let triggers = self.triggers(&o);
        if !has_flows {
            return None;
        }
        Some(Agent {
            name: name.unwrap_or_default(),
            description,
            start,
            settings: settings.unwrap_or_default(),
            variables,
            events,
            intents,
            triggers,
            flows,
        })
    }

    fn settings(&mut self, v: &Value) -> Option<Settings> {
        // Whole-number settings, in the order of the `Settings` fields they set (see `set_number`).
        const NUMBERS: &[&str] = &[
            "maxInputLength",
            "maxChainDepth",
            "maxStepsPerTurn",
            "turnTimeLimitMs",
            "maxFileBytes",
            "maxEventDataBytes",
            "sessionDataSoftLimit",
            "sessionDataHardLimit",
            "noReplySeconds",
            "messageDelayMs",
        ];
        const KEYS: &[&str] = &[
            "maxInputLength",
            "maxChainDepth",
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
        let o = self.obj(v, "settings", KEYS)?;
        let mut s = Settings::default();
        for (i, key) in NUMBERS.iter().enumerate() {
            if i == 8 {
                // intentConfidence is read between sessionDataHardLimit and noReplySeconds, as listed in KEYS.
                if let Some(n) = self.opt_checked(&o, "intentConfidence", "a number", Value::is_number) {
                    s.intent_confidence = n.as_f64().unwrap_or_default();
                }
            }
            if let Some(n) = self.opt_u64(&o, key) {
                set_number(&mut s, i, n);
            }
        }
        if o.map.contains_key("noMatchPrompts") {
            s.no_match_prompts = self.templates(&o, "noMatchPrompts");
        }
        if o.map.contains_key("noReplyPrompts") {
            s.no_reply_prompts = self.templates(&o, "noReplyPrompts");
        }
        Some(s)
    }

    fn event(&mut self, v: &Value, path: &str) -> Option<EventDef> {
        const TYPES: &[DataType] =
            &[DataType::String, DataType::Number, DataType::Boolean, DataType::Object, DataType::Array, DataType::Any];
        let o = self.obj(v, path, &["name", "description", "data"])?;
        let mut data = Named::new();
        for (k, v, p) in self.entries(&o, "data") {
            let Some(t) = self.string(v, &p) else { continue };
            match TYPES.iter().find(|ty| ty.name() == t) {
                Some(ty) => {
                    data.insert(k.clone(), *ty);
                }
                None => self.err(
                    &p,
                    &["unknown data type '", &t, "' (expected string, number, boolean, object, array or any)"].concat(),
                ),
            }
        }
        Some(EventDef {
            name: self.req_str(&o, "name")?,
            description: self.opt_str(&o, "description").unwrap_or_default(),
            data,
        })
    }

    fn intent(&mut self, v: &Value, path: &str) -> Option<IntentDef> {
        let o = self.obj(v, path, &["name", "utterances", "slots", "events"])?;
        Some(IntentDef {
            name: self.req_str(&o, "name")?,
            utterances: self.strings(&o, "utterances"),
            slots: self.json_map(&o, "slots"),
            events: self.strings(&o, "events"),
        })
    }

    /// An optional word under `key` that must be one of `words` (its index); `expected` lists them for the error.
    fn word(&mut self, o: &Obj, key: &str, words: &[&str], expected: &str) -> Option<usize> {
        let s = self.opt_str(o, key)?;
        let found = words.iter().position(|w| *w == s);
        if found.is_none() {
            self.err(&join(&o.path, key), &["unknown ", key, " '", &s, "' (expected ", expected, ")"].concat());
        }
        found
    }

    fn trigger(&mut self, v: &Value, path: &str) -> Option<TriggerDef> {
        const KEYS: &[&str] = &["event", "intent", "start", "flow", "step", "scope", "mode", "mappings", "description"];
        let o = self.obj(v, path, KEYS)?;
        let scope = self.word(&o, "scope", &["global", "local"], "global or local");
        let mode = self.word(&o, "mode", &["jump", "push"], "jump or push");
        Some(TriggerDef {
            event: self.opt_str(&o, "event"),
            intent: self.opt_str(&o, "intent"),
            start: self.opt_bool(&o, "start").unwrap_or(false),
            flow: self.opt_str(&o, "flow"),
            step: self.opt_str(&o, "step"),
            scope: scope.map(|i| if i == 0 { Scope::Global } else { Scope::Local }),
            mode: if mode == Some(1) { Mode::Push } else { Mode::Jump },
            mappings: self.string_map(&o, "mappings"),
            description: self.opt_str(&o, "description").unwrap_or_default(),
        })
    }

    fn flow(&mut self, v: &Value, path: &str) -> Option<Flow> {
        let o = self.obj(v, path, &["start", "description", "triggers", "steps"])?;
        let start = self.req_str(&o, "start");
        self.has(&o, "steps");
        let description = self.opt_str(&o, "description").unwrap_or_default();
        let triggers = self.triggers(&o);
        let mut steps = Named::new();
        for (k, v, p) in self.entries(&o, "steps") {
            if let Some(s) = self.step(v, &p) {
                steps.insert(k.clone(), s);
            }
        }
        Some(Flow { description, triggers, steps, start: start? })
    }

    fn variants(&mut self, v: &Value, path: &str) -> Option<Variants> {
        let mut out = Vec::new();
        match v {
            Value::String(s) => out.push(Template::parse(s)),
            Value::Array(items) if items.is_empty() => {
                self.err(path, "the list of variants is empty");
                return None;
            }
            Value::Array(items) => {
                // The first item that is not a string is reported, the rest are not read.
                for (i, item) in items.iter().enumerate() {
                    out.push(Template::parse(&self.string(item, &index(path, i))?));
                }
            }
            other => {
                self.wrong(path, "a string or a list of strings", other);
                return None;
            }
        }
        Some(Variants(out))
    }

    fn opt_variants(&mut self, o: &Obj, key: &str) -> Option<Variants> {
        let v = o.get(key)?;
        self.variants(v, &join(&o.path, key))
    }

    fn prompts(&mut self, o: &Obj) -> Vec<Variants> {
        let mut out = Vec::new();
        for (v, p) in self.items(o, "prompts") {
            if let Some(t) = self.variants(v, &p) {
                out.push(t);
            }
        }
        out
    }

    fn expr(&mut self, src: &str, path: &str) -> Option<Expr> {
        match Expr::parse(src) {
            Ok(e) => Some(e),
            Err(e) => {
                // `e`'s Display, spelled out: "{message} (at character {position})".
                let at = e.position.to_string();
                self.err(path, &["bad expression '", src, "': ", &e.message, " (at character ", &at, ")"].concat());
                None
            }
        }
    }

    fn buttons(&mut self, o: &Obj) -> Vec<ButtonDef> {
        let mut out = Vec::new();
        for (v, path) in self.items(o, "buttons") {
            let Some(b) = self.obj(v, &path, &["label", "next", "event", "data", "intent", "url"]) else { continue };
            let Some(label) = self.req_template(&b, "label") else { continue };
            out.push(ButtonDef {
                label,
                next: self.opt_str(&b, "next"),
                event: self.opt_str(&b, "event"),
                data: self.json(&b, "data"),
                intent: self.opt_str(&b, "intent"),
                url: self.opt_str(&b, "url"),
            });
        }
        out
    }

    fn no_match(&mut self, o: &Obj) -> Option<NoMatchDef> {
        let v = o.get("noMatch")?;
        let n = self.obj(v, &join(&o.path, "noMatch"), &["prompts", "next"])?;
        Some(NoMatchDef { prompts: self.prompts(&n), next: self.opt_str(&n, "next") })
    }

    fn no_reply(&mut self, o: &Obj) -> Option<NoReplyDef> {
        let v = o.get("noReply")?;
        let n = self.obj(v, &join(&o.path, "noReply"), &["timeout", "prompts", "next"])?;
        let timeout = self.req_u64(&n, "timeout");
        Some(NoReplyDef { timeout: timeout?, prompts: self.prompts(&n), next: self.opt_str(&n, "next") })
    }

    fn step(&mut self, v: &Value, path: &str) -> Option<Step> {
        let Value::Object(m) = v else {
            self.wrong(path, "an object", v);
            return None;
        };
        let Some(ty) = m.get("type") else {
            self.missing(path, "type");
            return None;
        };
        let ty = self.string(ty, &join(path, "type"))?;
        let Some(&(ty, keys)) = STEPS.iter().find(|(name, _)| *name == ty) else {
            let mut message = ["unknown step type '", &ty, "' (expected one of: "].concat();
            for (i, (name, _)) in STEPS.iter().enumerate() {
                message.push_str(if i == 0 { "" } else { ", " });
                message.push_str(name);
            }
            message.push(')');
            self.err(&join(path, "type"), &message);
            return None;
        };
        let o = self.obj(v, path, keys)?;
        let next = self.opt_str(&o, "next");
        let step = match ty {
            "text" => {
                let text = match o.map.get("text") {
                    Some(t) => self.variants(t, &join(path, "text")),
                    None => {
                        self.missing(path, "text");
                        None
                    }
                };
                Step::Text { text: text?, next, delay: self.opt_u64(&o, "delay") }
            }
            "choice" => Step::Choice {
                prompt: self.opt_variants(&o, "prompt"),
                buttons: if self.has(&o, "buttons") { self.buttons(&o) } else { return None },
                no_match: self.no_match(&o),
                no_reply: self.no_reply(&o),
            },
            "card" => Step::Card {
                title: self.text(&o, "title"),
                description: self.text(&o, "description"),
                image: self.template(&o, "image"),
                buttons: self.buttons(&o),
                next,
                no_match: self.no_match(&o),
                no_reply: self.no_reply(&o),
            },
            "carousel" => {
                let layout = self.opt_str(&o, "layout");
                if !self.has(&o, "cards") {
                    return None;
                }
                let mut cards = Vec::new();
                for (v, p) in self.items(&o, "cards") {
                    let Some(c) = self.obj(v, &p, &["title", "description", "image", "buttons"]) else { continue };
                    cards.push(CardDef {
                        title: self.text(&c, "title"),
                        description: self.text(&c, "description"),
                        image: self.template(&c, "image"),
                        buttons: self.buttons(&c),
                    });
                }
                Step::Carousel { layout, cards, next, no_match: self.no_match(&o), no_reply: self.no_reply(&o) }
            }
            "image" => Step::Image {
                url: self.req_template(&o, "url")?,
                width: self.opt_u64(&o, "width").map(dim),
                height: self.opt_u64(&o, "height").map(dim),
                next,
            },
            "capture" => Step::Capture {
                variable: self.req_str(&o, "variable")?,
                slot: self.opt_str(&o, "slot"),
                prompt: self.opt_variants(&o, "prompt"),
                next,
                no_match: self.no_match(&o),
                no_reply: self.no_reply(&o),
            },
            "condition" => {
                if !self.has(&o, "branches") {
                    return None;
                }
                let mut branches = Vec::new();
                for (v, p) in self.items(&o, "branches") {
                    let Some(b) = self.obj(v, &p, &["if", "next"]) else { continue };
                    let test = self.req_str(&b, "if");
                    let next = self.req_str(&b, "next");
                    let Some(test) = test.and_then(|t| self.expr(&t, &join(&p, "if"))) else { continue };
                    let Some(next) = next else { continue };
                    branches.push(Branch { test: ExprSrc(test), next });
                }
                Step::Condition { branches, otherwise: self.opt_str(&o, "else") }
            }
            "set" => {
                self.has(&o, "set");
                let mut set = Named::new();
                for (k, v, p) in self.entries(&o, "set") {
                    let value = match v.as_str().and_then(|s| s.strip_prefix('=')) {
                        Some(src) => self.expr(src, &p).map(SetValue::Expr),
                        None => Some(SetValue::Json(JsonTemplate::new(v))),
                    };
                    if let Some(value) = value {
                        set.insert(k.clone(), value);
                    }
                }
                Step::Set { set, next }
            }
            "goto" => Step::Goto { flow: self.opt_str(&o, "flow"), step: self.opt_str(&o, "step") },
            "call" => Step::Call { flow: self.req_str(&o, "flow")?, step: self.opt_str(&o, "step"), next },
            "delay" => Step::Delay { ms: self.req_u64(&o, "ms")?, next },
            "emit" => Step::Emit {
                event: self.req_str(&o, "event")?,
                data: self.json(&o, "data"),
                after: self.opt_u64(&o, "after"),
                at: self.opt_u64(&o, "at"),
                cancel_on_user_message: self.opt_bool(&o, "cancelOnUserMessage").unwrap_or(false),
                next,
            },
            "custom" => Step::Custom {
                name: self.req_str(&o, "name")?,
                payload: self.json(&o, "payload"),
                paths: self.string_map(&o, "paths"),
                default_path: self.opt_str(&o, "defaultPath"),
            },
            "webhook" => {
                let url = self.req_template(&o, "url")?;
                let method = self.opt_str(&o, "method").unwrap_or_else(|| "POST".into());
                let mut headers = Named::new();
                for (k, v, p) in self.entries(&o, "headers") {
                    if let Some(s) = self.string(v, &p) {
                        headers.insert(k.clone(), Template::parse(&s));
                    }
                }
                Step::Webhook {
                    url,
                    method,
                    headers,
                    body: self.json(&o, "body"),
                    timeout_ms: self.opt_u64(&o, "timeoutMs"),
                    assign: self.string_map(&o, "assign"),
                    next,
                    on_error: self.opt_str(&o, "onError"),
                }
            }
            _ => Step::End {},
        };
        Some(step)
    }
}

/// Set the whole-number setting `NUMBERS[i]` of `settings`.
fn set_number(s: &mut Settings, i: usize, n: u64) {
    let size = usize::try_from(n).unwrap_or(usize::MAX);
    match i {
        0 => s.max_input_length = size,
        1 => s.max_chain_depth = size,
        2 => s.max_steps_per_turn = size,
        3 => s.turn_time_limit_ms = n,
        4 => s.max_file_bytes = n,
        5 => s.max_event_data_bytes = size,
        6 => s.session_data_soft_limit = size,
        7 => s.session_data_hard_limit = size,
        8 => s.no_reply_seconds = n,
        _ => s.message_delay_ms = n,
    }
}

fn dim(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
