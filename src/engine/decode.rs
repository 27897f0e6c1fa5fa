//! Reading an agent file into the [`Agent`] model, by hand, from one parsed `serde_json::Value`.
//!
//! Every shape problem (a wrong type, a missing key, a key that does not belong) is reported with its path, and
//! decoding goes on so that one run lists them all. Hand-written on purpose: derived serde visitors for this
//! model were the largest part of the wasm module.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::agent::*;
use super::error::ValidationError;
use super::expr::Expr;
use super::template::{JsonTemplate, Template};

/// Decode an agent; `Err` holds every shape error found.
pub fn agent(v: &Value) -> Result<Agent, Vec<ValidationError>> {
    let mut d = Decoder::default();
    let agent = d.agent(v);
    match agent {
        Some(a) if d.errors.is_empty() => Ok(a),
        _ => Err(d.errors),
    }
}

#[derive(Default)]
struct Decoder {
    errors: Vec<ValidationError>,
}

/// The keys of one JSON object being read.
struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
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

impl Decoder {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(ValidationError { path: path.to_string(), message: message.into() });
    }

    fn wrong(&mut self, path: &str, expected: &str, found: &Value) {
        self.err(path, format!("expected {expected}, found {}", kind(found)));
    }

    /// An object whose keys must all be in `allowed`.
    fn obj<'v>(&mut self, v: &'v Value, path: &str, allowed: &[&str]) -> Option<Obj<'v>> {
        let Value::Object(map) = v else {
            self.wrong(path, "an object", v);
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.err(&join(path, key), format!("unknown key '{key}' (expected one of: {})", allowed.join(", ")));
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
        match o.map.get(key) {
            Some(v) => self.string(v, &join(&o.path, key)),
            None => {
                self.err(&o.path, format!("missing key '{key}'"));
                None
            }
        }
    }

    fn opt_str(&mut self, o: &Obj, key: &str) -> Option<String> {
        match o.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.string(v, &join(&o.path, key)),
        }
    }

    /// An optional value under `key` read by `read`; present but unreadable is an error naming `expected`.
    fn opt<T>(&mut self, o: &Obj, key: &str, expected: &str, read: fn(&Value) -> Option<T>) -> Option<T> {
        let v = o.map.get(key).filter(|v| !v.is_null())?;
        let value = read(v);
        if value.is_none() {
            self.wrong(&join(&o.path, key), expected, v);
        }
        value
    }

    fn opt_u64(&mut self, o: &Obj, key: &str) -> Option<u64> {
        self.opt(o, key, "a whole number of 0 or more", Value::as_u64)
    }

    fn opt_f64(&mut self, o: &Obj, key: &str) -> Option<f64> {
        self.opt(o, key, "a number", Value::as_f64)
    }

    fn opt_bool(&mut self, o: &Obj, key: &str) -> Option<bool> {
        self.opt(o, key, "true or false", Value::as_bool)
    }

    fn template(&mut self, o: &Obj, key: &str) -> Option<Template> {
        self.opt_str(o, key).map(|s| Template::parse(&s))
    }

    /// A list under `key` (absent: empty), each item read by `item`.
    fn list<T>(&mut self, o: &Obj, key: &str, mut item: impl FnMut(&mut Self, &Value, &str) -> Option<T>) -> Vec<T> {
        match o.map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let path = join(&o.path, key);
                items.iter().enumerate().filter_map(|(i, v)| item(self, v, &format!("{path}[{i}]"))).collect()
            }
            Some(v) => {
                self.wrong(&join(&o.path, key), "a list", v);
                Vec::new()
            }
        }
    }

    /// An object under `key` used as a map (absent: empty), each value read by `item`.
    fn map<T>(
        &mut self,
        o: &Obj,
        key: &str,
        mut item: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> BTreeMap<String, T> {
        match o.map.get(key) {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => {
                let path = join(&o.path, key);
                m.iter().filter_map(|(k, v)| Some((k.clone(), item(self, v, &join(&path, k))?))).collect()
            }
            Some(v) => {
                self.wrong(&join(&o.path, key), "an object", v);
                BTreeMap::new()
            }
        }
    }

    fn strings(&mut self, o: &Obj, key: &str) -> Vec<String> {
        self.list(o, key, |d, v, p| d.string(v, p))
    }

    fn string_map(&mut self, o: &Obj, key: &str) -> BTreeMap<String, String> {
        self.map(o, key, |d, v, p| d.string(v, p))
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
        let settings = match o.map.get("settings") {
            None | Some(Value::Null) => Some(Settings::default()),
            Some(s) => self.settings(s),
        };
        let flows = if o.map.contains_key("flows") {
            Some(self.map(&o, "flows", |d, v, p| d.flow(v, p)))
        } else {
            self.err("", "missing key 'flows'");
            None
        };
        let agent = Agent {
            name: name.unwrap_or_default(),
            description: self.opt_str(&o, "description").unwrap_or_default(),
            start: self.opt_str(&o, "start").unwrap_or_else(|| "main".into()),
            settings: settings.unwrap_or_default(),
            variables: self.map(&o, "variables", |_, v, _| Some(v.clone())),
            events: self.list(&o, "events", |d, v, p| d.event(v, p)),
            intents: self.list(&o, "intents", |d, v, p| d.intent(v, p)),
            triggers: self.list(&o, "triggers", |d, v, p| d.trigger(v, p)),
            flows: flows?,
        };
        Some(agent)
    }

    fn settings(&mut self, v: &Value) -> Option<Settings> {
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
        if let Some(n) = self.opt_f64(&o, "intentConfidence") {
            s.intent_confidence = n;
        }
        if let Some(n) = self.opt_u64(&o, "noReplySeconds") {
            s.no_reply_seconds = n;
        }
        if let Some(n) = self.opt_u64(&o, "messageDelayMs") {
            s.message_delay_ms = n;
        }
        if o.map.contains_key("noMatchPrompts") {
            s.no_match_prompts = self.list(&o, "noMatchPrompts", |d, v, p| d.string(v, p).map(|t| Template::parse(&t)));
        }
        if o.map.contains_key("noReplyPrompts") {
            s.no_reply_prompts = self.list(&o, "noReplyPrompts", |d, v, p| d.string(v, p).map(|t| Template::parse(&t)));
        }
        Some(s)
    }

    fn event(&mut self, v: &Value, path: &str) -> Option<EventDef> {
        let o = self.obj(v, path, &["name", "description", "data"])?;
        let data = self.map(&o, "data", |d, v, p| {
            let t = d.string(v, p)?;
            let ty = match t.as_str() {
                "string" => DataType::String,
                "number" => DataType::Number,
                "boolean" => DataType::Boolean,
                "object" => DataType::Object,
                "array" => DataType::Array,
                "any" => DataType::Any,
                other => {
                    d.err(
                        p,
                        format!("unknown data type '{other}' (expected string, number, boolean, object, array or any)"),
                    );
                    return None;
                }
            };
            Some(ty)
        });
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
            slots: self.map(&o, "slots", |_, v, _| Some(v.clone())),
            events: self.strings(&o, "events"),
        })
    }

    fn trigger(&mut self, v: &Value, path: &str) -> Option<TriggerDef> {
        const KEYS: &[&str] = &["event", "intent", "start", "flow", "step", "scope", "mode", "mappings", "description"];
        let o = self.obj(v, path, KEYS)?;
        let scope = match self.opt_str(&o, "scope").as_deref() {
            None => None,
            Some("global") => Some(Scope::Global),
            Some("local") => Some(Scope::Local),
            Some(other) => {
                self.err(&join(path, "scope"), format!("unknown scope '{other}' (expected global or local)"));
                None
            }
        };
        let mode = match self.opt_str(&o, "mode").as_deref() {
            None | Some("jump") => Mode::Jump,
            Some("push") => Mode::Push,
            Some(other) => {
                self.err(&join(path, "mode"), format!("unknown mode '{other}' (expected jump or push)"));
                Mode::Jump
            }
        };
        Some(TriggerDef {
            event: self.opt_str(&o, "event"),
            intent: self.opt_str(&o, "intent"),
            start: self.opt_bool(&o, "start").unwrap_or(false),
            flow: self.opt_str(&o, "flow"),
            step: self.opt_str(&o, "step"),
            scope,
            mode,
            mappings: self.string_map(&o, "mappings"),
            description: self.opt_str(&o, "description").unwrap_or_default(),
        })
    }

    fn flow(&mut self, v: &Value, path: &str) -> Option<Flow> {
        let o = self.obj(v, path, &["start", "description", "triggers", "steps"])?;
        let start = self.req_str(&o, "start");
        if !o.map.contains_key("steps") {
            self.err(path, "missing key 'steps'");
        }
        Some(Flow {
            description: self.opt_str(&o, "description").unwrap_or_default(),
            triggers: self.list(&o, "triggers", |d, v, p| d.trigger(v, p)),
            steps: self.map(&o, "steps", |d, v, p| d.step(v, p)),
            start: start?,
        })
    }

    fn variants(&mut self, v: &Value, path: &str) -> Option<Variants> {
        match v {
            Value::String(s) => Some(Variants(vec![Template::parse(s)])),
            Value::Array(items) if items.is_empty() => {
                self.err(path, "the list of variants is empty");
                None
            }
            Value::Array(items) => {
                let all: Option<Vec<Template>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.string(item, &format!("{path}[{i}]")).map(|s| Template::parse(&s)))
                    .collect();
                all.map(Variants)
            }
            other => {
                self.wrong(path, "a string or a list of strings", other);
                None
            }
        }
    }

    fn opt_variants(&mut self, o: &Obj, key: &str) -> Option<Variants> {
        match o.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.variants(v, &join(&o.path, key)),
        }
    }

    fn expr(&mut self, src: &str, path: &str) -> Option<Expr> {
        match Expr::parse(src) {
            Ok(e) => Some(e),
            Err(e) => {
                self.err(path, format!("bad expression '{src}': {e}"));
                None
            }
        }
    }

    fn button(&mut self, v: &Value, path: &str) -> Option<ButtonDef> {
        let o = self.obj(v, path, &["label", "next", "event", "data", "intent", "url"])?;
        Some(ButtonDef {
            label: Template::parse(&self.req_str(&o, "label")?),
            next: self.opt_str(&o, "next"),
            event: self.opt_str(&o, "event"),
            data: o.map.get("data").filter(|d| !d.is_null()).map(JsonTemplate::new),
            intent: self.opt_str(&o, "intent"),
            url: self.opt_str(&o, "url"),
        })
    }

    fn buttons(&mut self, o: &Obj) -> Vec<ButtonDef> {
        self.list(o, "buttons", |d, v, p| d.button(v, p))
    }

    fn no_match(&mut self, o: &Obj) -> Option<NoMatchDef> {
        let v = o.map.get("noMatch").filter(|v| !v.is_null())?;
        let n = self.obj(v, &join(&o.path, "noMatch"), &["prompts", "next"])?;
        Some(NoMatchDef {
            prompts: self.list(&n, "prompts", |d, v, p| d.variants(v, p)),
            next: self.opt_str(&n, "next"),
        })
    }

    fn no_reply(&mut self, o: &Obj) -> Option<NoReplyDef> {
        let v = o.map.get("noReply").filter(|v| !v.is_null())?;
        let path = join(&o.path, "noReply");
        let n = self.obj(v, &path, &["timeout", "prompts", "next"])?;
        let timeout = self.opt_u64(&n, "timeout");
        if timeout.is_none() && !n.map.contains_key("timeout") {
            self.err(&path, "missing key 'timeout'");
        }
        Some(NoReplyDef {
            timeout: timeout?,
            prompts: self.list(&n, "prompts", |d, v, p| d.variants(v, p)),
            next: self.opt_str(&n, "next"),
        })
    }

    fn card(&mut self, v: &Value, path: &str) -> Option<CardDef> {
        let o = self.obj(v, path, &["title", "description", "image", "buttons"])?;
        Some(CardDef {
            title: self.template(&o, "title").unwrap_or_else(|| Template::parse("")),
            description: self.template(&o, "description").unwrap_or_else(|| Template::parse("")),
            image: self.template(&o, "image"),
            buttons: self.buttons(&o),
        })
    }

    fn step(&mut self, v: &Value, path: &str) -> Option<Step> {
        let Value::Object(m) = v else {
            self.wrong(path, "an object", v);
            return None;
        };
        let Some(ty) = m.get("type") else {
            self.err(path, "missing key 'type'");
            return None;
        };
        let ty = self.string(ty, &join(path, "type"))?;
        let keys: &[&str] = match ty.as_str() {
            "text" => &["type", "text", "next", "delay"],
            "choice" => &["type", "prompt", "buttons", "noMatch", "noReply"],
            "card" => &["type", "title", "description", "image", "buttons", "next", "noMatch", "noReply"],
            "carousel" => &["type", "layout", "cards", "next", "noMatch", "noReply"],
            "image" => &["type", "url", "width", "height", "next"],
            "capture" => &["type", "variable", "slot", "prompt", "next", "noMatch", "noReply"],
            "condition" => &["type", "branches", "else"],
            "set" => &["type", "set", "next"],
            "goto" => &["type", "flow", "step"],
            "call" => &["type", "flow", "step", "next"],
            "delay" => &["type", "ms", "next"],
            "emit" => &["type", "event", "data", "after", "at", "cancelOnUserMessage", "next"],
            "custom" => &["type", "name", "payload", "paths", "defaultPath"],
            "webhook" => &["type", "url", "method", "headers", "body", "timeoutMs", "assign", "next", "onError"],
            "end" => &["type"],
            other => {
                self.err(
                    &join(path, "type"),
                    format!(
                        "unknown step type '{other}' (expected one of: text, choice, card, carousel, image, capture, \
                         condition, set, goto, call, delay, emit, custom, webhook, end)"
                    ),
                );
                return None;
            }
        };
        let o = self.obj(v, path, keys)?;
        let next = self.opt_str(&o, "next");
        let dim = |d: &mut Self, key: &str| d.opt_u64(&o, key).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let step = match ty.as_str() {
            "text" => {
                let text = match o.map.get("text") {
                    Some(t) => self.variants(t, &join(path, "text")),
                    None => {
                        self.err(path, "missing key 'text'");
                        None
                    }
                };
                Step::Text { text: text?, next, delay: self.opt_u64(&o, "delay") }
            }
            "choice" => Step::Choice {
                prompt: self.opt_variants(&o, "prompt"),
                buttons: self.required_list(&o, "buttons", |d, o| d.buttons(o))?,
                no_match: self.no_match(&o),
                no_reply: self.no_reply(&o),
            },
            "card" => Step::Card {
                title: self.template(&o, "title").unwrap_or_else(|| Template::parse("")),
                description: self.template(&o, "description").unwrap_or_else(|| Template::parse("")),
                image: self.template(&o, "image"),
                buttons: self.buttons(&o),
                next,
                no_match: self.no_match(&o),
                no_reply: self.no_reply(&o),
            },
            "carousel" => Step::Carousel {
                layout: self.opt_str(&o, "layout"),
                cards: self.required_list(&o, "cards", |d, o| d.list(o, "cards", |d, v, p| d.card(v, p)))?,
                next,
                no_match: self.no_match(&o),
                no_reply: self.no_reply(&o),
            },
            "image" => Step::Image {
                url: Template::parse(&self.req_str(&o, "url")?),
                width: dim(self, "width"),
                height: dim(self, "height"),
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
                let branches = self.required_list(&o, "branches", |d, o| {
                    d.list(o, "branches", |d, v, p| {
                        let b = d.obj(v, p, &["if", "next"])?;
                        let test = d.req_str(&b, "if");
                        let next = d.req_str(&b, "next");
                        let test = d.expr(&test?, &join(p, "if"))?;
                        Some(Branch { test: ExprSrc(test), next: next? })
                    })
                })?;
                Step::Condition { branches, otherwise: self.opt_str(&o, "else") }
            }
            "set" => {
                if !o.map.contains_key("set") {
                    self.err(path, "missing key 'set'");
                }
                let set = self.map(&o, "set", |d, v, p| match v.as_str().and_then(|s| s.strip_prefix('=')) {
                    Some(src) => d.expr(src, p).map(SetValue::Expr),
                    None => Some(SetValue::Json(JsonTemplate::new(v))),
                });
                Step::Set { set, next }
            }
            "goto" => Step::Goto { flow: self.opt_str(&o, "flow"), step: self.opt_str(&o, "step") },
            "call" => Step::Call { flow: self.req_str(&o, "flow")?, step: self.opt_str(&o, "step"), next },
            "delay" => {
                let ms = self.opt_u64(&o, "ms");
                if ms.is_none() && !o.map.contains_key("ms") {
                    self.err(path, "missing key 'ms'");
                }
                Step::Delay { ms: ms?, next }
            }
            "emit" => Step::Emit {
                event: self.req_str(&o, "event")?,
                data: o.map.get("data").filter(|d| !d.is_null()).map(JsonTemplate::new),
                after: self.opt_u64(&o, "after"),
                at: self.opt_u64(&o, "at"),
                cancel_on_user_message: self.opt_bool(&o, "cancelOnUserMessage").unwrap_or(false),
                next,
            },
            "custom" => Step::Custom {
                name: self.req_str(&o, "name")?,
                payload: o.map.get("payload").filter(|d| !d.is_null()).map(JsonTemplate::new),
                paths: self.string_map(&o, "paths"),
                default_path: self.opt_str(&o, "defaultPath"),
            },
            "webhook" => Step::Webhook {
                url: Template::parse(&self.req_str(&o, "url")?),
                method: self.opt_str(&o, "method").unwrap_or_else(|| "POST".into()),
                headers: self.map(&o, "headers", |d, v, p| d.string(v, p).map(|s| Template::parse(&s))),
                body: o.map.get("body").filter(|d| !d.is_null()).map(JsonTemplate::new),
                timeout_ms: self.opt_u64(&o, "timeoutMs"),
                assign: self.string_map(&o, "assign"),
                next,
                on_error: self.opt_str(&o, "onError"),
            },
            _ => Step::End {},
        };
        Some(step)
    }

    /// A list that must be present (it may still be empty; meaning checks say whether empty is allowed).
    fn required_list<T>(&mut self, o: &Obj, key: &str, read: impl FnOnce(&mut Self, &Obj) -> Vec<T>) -> Option<Vec<T>> {
        if !o.map.contains_key(key) {
            self.err(&o.path, format!("missing key '{key}'"));
            return None;
        }
        Some(read(self, o))
    }
}
