//! The agent file (SPEC §2): the serde model of what an author writes by hand.
//!
//! Every struct denies unknown keys, so a misspelt key fails with its path instead of being silently ignored.
//! Deserialising checks shapes; [`crate::engine::validate`] then checks meaning (dangling references, names) and
//! reports every error with its path.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::expr::Expr;
use super::template::{JsonTemplate, Template};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Agent {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The flow a launch runs when no WELCOME or start trigger handles it.
    #[serde(default = "main_flow")]
    pub start: String,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub variables: BTreeMap<String, Value>,
    #[serde(default)]
    pub events: Vec<EventDef>,
    #[serde(default)]
    pub intents: Vec<IntentDef>,
    #[serde(default)]
    pub triggers: Vec<TriggerDef>,
    pub flows: BTreeMap<String, Flow>,
}

fn main_flow() -> String {
    "main".into()
}

/// Limits and defaults (SPEC §4.6). Every field has a default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Longest user text in characters; longer raises `lengthLimit`.
    pub max_input_length: usize,
    /// Follow-up events one turn may chain; past it `chainLimit` is raised.
    pub max_chain_depth: usize,
    /// Steps one turn may run before it stops with a `debug` trace (guards goto loops).
    pub max_steps_per_turn: usize,
    /// Time a webhook may take before `timeLimit` is raised.
    pub turn_time_limit_ms: u64,
    /// Largest file a `file` request may announce; larger raises `fileTooBigEvent`.
    pub max_file_bytes: u64,
    /// Largest event `data` accepted in a request, as JSON bytes.
    pub max_event_data_bytes: usize,
    /// Session variables' JSON size that raises `sessionDataSoftLimitExceeded`.
    pub session_data_soft_limit: usize,
    /// Session variables' JSON size over which a write is refused (`sessionDataHardLimitExceeded`).
    pub session_data_hard_limit: usize,
    /// Minimum confidence for typed text to match an intent.
    pub intent_confidence: f64,
    /// Seconds of silence before a listening step gets a no-reply (0: never, unless the step sets it).
    pub no_reply_seconds: u64,
    /// What to say on a no-match no step or trigger handles.
    pub no_match_prompts: Vec<Template>,
    /// What to say on a no-reply no step or trigger handles.
    pub no_reply_prompts: Vec<Template>,
    /// The typing delay given to each text trace, in milliseconds.
    pub message_delay_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_input_length: 400,
            max_chain_depth: 8,
            max_steps_per_turn: 1000,
            turn_time_limit_ms: 10_000,
            max_file_bytes: 10 * 1024 * 1024,
            max_event_data_bytes: 64 * 1024,
            session_data_soft_limit: 100_000,
            session_data_hard_limit: 500_000,
            intent_confidence: 0.6,
            no_reply_seconds: 0,
            no_match_prompts: vec![Template::parse("Sorry, I didn’t get that. Please try again.")],
            no_reply_prompts: vec![Template::parse("Are you still there?")],
            message_delay_ms: 0,
        }
    }
}

/// An entry of the Event CMS: a documented event and the types of its data fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub data: BTreeMap<String, DataType>,
}

/// The type of an event data field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    String,
    Number,
    Boolean,
    Object,
    Array,
    Any,
}

impl DataType {
    pub fn accepts(self, v: &Value) -> bool {
        match self {
            DataType::String => v.is_string(),
            DataType::Number => v.is_number(),
            DataType::Boolean => v.is_boolean(),
            DataType::Object => v.is_object(),
            DataType::Array => v.is_array(),
            DataType::Any => true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentDef {
    pub name: String,
    #[serde(default)]
    pub utterances: Vec<String>,
    /// Slot name to its type: a list of values, or "@number" / "@email" / "@any".
    #[serde(default)]
    pub slots: BTreeMap<String, Value>,
    /// Events that also trigger this intent (Dialogflow style).
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Global,
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Jump,
    Push,
}

/// A trigger: when an event, an intent or the start happens, go to a flow (or a step of it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerDef {
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub intent: Option<String>,
    #[serde(default)]
    pub start: bool,
    /// Target flow; inside a flow's own `triggers` it defaults to that flow.
    #[serde(default)]
    pub flow: Option<String>,
    /// Target step; defaults to the flow's start step.
    #[serde(default)]
    pub step: Option<String>,
    /// Global triggers work anywhere; local ones only while their flow is on the stack.
    #[serde(default)]
    pub scope: Option<Scope>,
    #[serde(default)]
    pub mode: Mode,
    /// Event data path (or intent slot) to variable name.
    #[serde(default)]
    pub mappings: BTreeMap<String, String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub start: String,
    #[serde(default)]
    pub description: String,
    /// Triggers owned by this flow: local to it unless they say `"scope": "global"`.
    #[serde(default)]
    pub triggers: Vec<TriggerDef>,
    pub steps: BTreeMap<String, Step>,
}

/// One text or a list of variants (one is chosen per turn).
#[derive(Debug, Clone, PartialEq)]
pub struct Variants(pub Vec<Template>);

impl<'de> Deserialize<'de> for Variants {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Variants, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(d).map_err(|_| serde::de::Error::custom("expected a string or a list of strings"))? {
            Raw::One(s) => Ok(Variants(vec![Template::parse(&s)])),
            Raw::Many(v) if v.is_empty() => Err(serde::de::Error::custom("the list of variants is empty")),
            Raw::Many(v) => Ok(Variants(v.iter().map(|s| Template::parse(s)).collect())),
        }
    }
}

/// A parsed expression, read from a string.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprSrc(pub Expr);

impl<'de> Deserialize<'de> for ExprSrc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ExprSrc, D::Error> {
        let s = String::deserialize(d)?;
        Expr::parse(&s).map(ExprSrc).map_err(|e| serde::de::Error::custom(format!("bad expression '{s}': {e}")))
    }
}

/// A `set` value: a string starting with `=` is an expression, another string a template, anything else a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Expr(Expr),
    Json(JsonTemplate),
}

impl<'de> Deserialize<'de> for SetValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SetValue, D::Error> {
        let v = Value::deserialize(d)?;
        if let Some(src) = v.as_str().and_then(|s| s.strip_prefix('=')) {
            return Expr::parse(src)
                .map(SetValue::Expr)
                .map_err(|e| serde::de::Error::custom(format!("bad expression '{src}': {e}")));
        }
        Ok(SetValue::Json(JsonTemplate::new(&v)))
    }
}

/// A button of a choice or card.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonDef {
    pub label: Template,
    /// Go to this step of the same flow.
    #[serde(default)]
    pub next: Option<String>,
    /// Send this event.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub data: Option<JsonTemplate>,
    /// Typed text classified as this intent also presses the button.
    #[serde(default)]
    pub intent: Option<String>,
    /// Open this http(s) link.
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NoMatchDef {
    #[serde(default)]
    pub prompts: Vec<Variants>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NoReplyDef {
    /// Seconds.
    pub timeout: u64,
    #[serde(default)]
    pub prompts: Vec<Variants>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardDef {
    #[serde(default = "empty_template")]
    pub title: Template,
    #[serde(default = "empty_template")]
    pub description: Template,
    #[serde(default)]
    pub image: Option<Template>,
    #[serde(default)]
    pub buttons: Vec<ButtonDef>,
}

fn empty_template() -> Template {
    Template::parse("")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    #[serde(rename = "if")]
    pub test: ExprSrc,
    pub next: String,
}

/// A step of a flow.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Text {
        text: Variants,
        #[serde(default)]
        next: Option<String>,
        #[serde(default)]
        delay: Option<u64>,
    },
    Choice {
        #[serde(default)]
        prompt: Option<Variants>,
        buttons: Vec<ButtonDef>,
        #[serde(default, rename = "noMatch")]
        no_match: Option<NoMatchDef>,
        #[serde(default, rename = "noReply")]
        no_reply: Option<NoReplyDef>,
    },
    Card {
        #[serde(default = "empty_template")]
        title: Template,
        #[serde(default = "empty_template")]
        description: Template,
        #[serde(default)]
        image: Option<Template>,
        #[serde(default)]
        buttons: Vec<ButtonDef>,
        #[serde(default)]
        next: Option<String>,
        #[serde(default, rename = "noMatch")]
        no_match: Option<NoMatchDef>,
        #[serde(default, rename = "noReply")]
        no_reply: Option<NoReplyDef>,
    },
    Carousel {
        #[serde(default)]
        layout: Option<String>,
        cards: Vec<CardDef>,
        #[serde(default)]
        next: Option<String>,
        #[serde(default, rename = "noMatch")]
        no_match: Option<NoMatchDef>,
        #[serde(default, rename = "noReply")]
        no_reply: Option<NoReplyDef>,
    },
    Image {
        url: Template,
        #[serde(default)]
        width: Option<u32>,
        #[serde(default)]
        height: Option<u32>,
        #[serde(default)]
        next: Option<String>,
    },
    Capture {
        variable: String,
        /// `intent.slot`, `@number`, `@email` or `@any` (default: the whole reply).
        #[serde(default)]
        slot: Option<String>,
        #[serde(default)]
        prompt: Option<Variants>,
        #[serde(default)]
        next: Option<String>,
        #[serde(default, rename = "noMatch")]
        no_match: Option<NoMatchDef>,
        #[serde(default, rename = "noReply")]
        no_reply: Option<NoReplyDef>,
    },
    Condition {
        branches: Vec<Branch>,
        #[serde(default, rename = "else")]
        otherwise: Option<String>,
    },
    Set {
        set: BTreeMap<String, SetValue>,
        #[serde(default)]
        next: Option<String>,
    },
    Goto {
        #[serde(default)]
        flow: Option<String>,
        #[serde(default)]
        step: Option<String>,
    },
    Call {
        flow: String,
        #[serde(default)]
        step: Option<String>,
        #[serde(default)]
        next: Option<String>,
    },
    Delay {
        ms: u64,
        #[serde(default)]
        next: Option<String>,
    },
    Emit {
        event: String,
        #[serde(default)]
        data: Option<JsonTemplate>,
        /// Raise it this many milliseconds later instead of now.
        #[serde(default)]
        after: Option<u64>,
        /// Raise it at this epoch time in milliseconds.
        #[serde(default)]
        at: Option<u64>,
        #[serde(default, rename = "cancelOnUserMessage")]
        cancel_on_user_message: bool,
        #[serde(default)]
        next: Option<String>,
    },
    Custom {
        name: String,
        #[serde(default)]
        payload: Option<JsonTemplate>,
        /// Request type (path name) to step.
        #[serde(default)]
        paths: BTreeMap<String, String>,
        #[serde(default, rename = "defaultPath")]
        default_path: Option<String>,
    },
    Webhook {
        url: Template,
        #[serde(default = "post")]
        method: String,
        #[serde(default)]
        headers: BTreeMap<String, Template>,
        #[serde(default)]
        body: Option<JsonTemplate>,
        #[serde(default, rename = "timeoutMs")]
        timeout_ms: Option<u64>,
        /// Variable to a dotted path in the JSON answer.
        #[serde(default)]
        assign: BTreeMap<String, String>,
        #[serde(default)]
        next: Option<String>,
        #[serde(default, rename = "onError")]
        on_error: Option<String>,
    },
    End {},
}

fn post() -> String {
    "POST".into()
}

impl Step {
    pub fn type_name(&self) -> &'static str {
        match self {
            Step::Text { .. } => "text",
            Step::Choice { .. } => "choice",
            Step::Card { .. } => "card",
            Step::Carousel { .. } => "carousel",
            Step::Image { .. } => "image",
            Step::Capture { .. } => "capture",
            Step::Condition { .. } => "condition",
            Step::Set { .. } => "set",
            Step::Goto { .. } => "goto",
            Step::Call { .. } => "call",
            Step::Delay { .. } => "delay",
            Step::Emit { .. } => "emit",
            Step::Custom { .. } => "custom",
            Step::Webhook { .. } => "webhook",
            Step::End {} => "end",
        }
    }

    /// Every step id this step names in its own flow, with the key that names it (for validation).
    pub fn local_refs(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut opt = |key: &str, v: &Option<String>| {
            if let Some(s) = v {
                out.push((key.to_string(), s.clone()));
            }
        };
        match self {
            Step::Text { next, .. } | Step::Image { next, .. } | Step::Set { next, .. } | Step::Delay { next, .. } => {
                opt("next", next)
            }
            Step::Emit { next, .. } | Step::Call { next, .. } => opt("next", next),
            Step::Choice { buttons, no_match, no_reply, .. } => {
                for (i, b) in buttons.iter().enumerate() {
                    opt(&format!("buttons[{i}].next"), &b.next);
                }
                listen_refs(&mut opt, no_match, no_reply);
            }
            Step::Card { buttons, next, no_match, no_reply, .. } => {
                opt("next", next);
                for (i, b) in buttons.iter().enumerate() {
                    opt(&format!("buttons[{i}].next"), &b.next);
                }
                listen_refs(&mut opt, no_match, no_reply);
            }
            Step::Carousel { cards, next, no_match, no_reply, .. } => {
                opt("next", next);
                for (c, card) in cards.iter().enumerate() {
                    for (i, b) in card.buttons.iter().enumerate() {
                        opt(&format!("cards[{c}].buttons[{i}].next"), &b.next);
                    }
                }
                listen_refs(&mut opt, no_match, no_reply);
            }
            Step::Capture { next, no_match, no_reply, .. } => {
                opt("next", next);
                listen_refs(&mut opt, no_match, no_reply);
            }
            Step::Condition { branches, otherwise } => {
                for (i, b) in branches.iter().enumerate() {
                    opt(&format!("branches[{i}].next"), &Some(b.next.clone()));
                }
                opt("else", otherwise);
            }
            Step::Custom { paths, .. } => {
                for (k, v) in paths {
                    opt(&format!("paths.{k}"), &Some(v.clone()));
                }
            }
            Step::Webhook { next, on_error, .. } => {
                opt("next", next);
                opt("onError", on_error);
            }
            Step::Goto { .. } | Step::End {} => {}
        }
        out
    }
}

fn listen_refs(
    opt: &mut impl FnMut(&str, &Option<String>),
    no_match: &Option<NoMatchDef>,
    no_reply: &Option<NoReplyDef>,
) {
    if let Some(m) = no_match {
        opt("noMatch.next", &m.next);
    }
    if let Some(r) = no_reply {
        opt("noReply.next", &r.next);
    }
}
