//! The agent file (SPEC §2): the model of what an author writes by hand.
//!
//! Plain data, read by [`super::decode`] (shapes: types, unknown keys) and checked by [`super::program`]
//! (meaning: references, names). Both report every error with its path. There is no serde derive here on purpose:
//! a hand-written decoder from one `json::Value` is a fraction of the wasm size of derived visitors.

use crate::json::{Named, Path, Value};

use super::expr::Expr;
use super::template::{JsonTemplate, Template};

#[derive(Debug, Clone)]
pub struct Agent {
    pub name: String,
    pub description: String,
    /// The flow a launch runs when no WELCOME or start trigger handles it.
    pub start: String,
    pub settings: Settings,
    pub variables: Named<Value>,
    pub events: Vec<EventDef>,
    pub intents: Vec<IntentDef>,
    pub triggers: Vec<TriggerDef>,
    pub flows: Named<Flow>,
}

/// Limits and defaults (SPEC §4.6). Every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Longest user text in characters; longer raises `lengthLimit`.
    pub max_input_length: usize,
    /// Follow-up events one turn may chain; past it `chainLimit` is raised.
    pub max_chain_depth: usize,
    /// Flows the stack may hold (`call` steps and `push` triggers add one); past it `stackLimit` is raised.
    pub max_stack_depth: usize,
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
            max_stack_depth: 64,
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
#[derive(Debug, Clone)]
pub struct EventDef {
    pub name: String,
    pub description: String,
    pub data: Named<DataType>,
}

/// The type of an event data field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    String,
    Number,
    Boolean,
    Object,
    Array,
    Any,
}

impl DataType {
    /// The name an agent file uses for this type.
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Number => "number",
            DataType::Boolean => "boolean",
            DataType::Object => "object",
            DataType::Array => "array",
            DataType::Any => "any",
        }
    }

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

#[derive(Debug, Clone)]
pub struct IntentDef {
    pub name: String,
    pub utterances: Vec<String>,
    /// Slot name to its type: a list of values, or "@number" / "@email" / "@any".
    pub slots: Named<Value>,
    /// Events that also trigger this intent (Dialogflow style).
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Global,
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Jump,
    Push,
}

/// A trigger: when an event, an intent or the start happens, go to a flow (or a step of it).
#[derive(Debug, Clone)]
pub struct TriggerDef {
    pub event: Option<String>,
    pub intent: Option<String>,
    pub start: bool,
    /// Target flow; inside a flow's own `triggers` it defaults to that flow.
    pub flow: Option<String>,
    /// Target step; defaults to the flow's start step.
    pub step: Option<String>,
    /// Global triggers work anywhere; local ones only while their flow is on the stack.
    pub scope: Option<Scope>,
    pub mode: Mode,
    /// Event data path (or intent slot) to variable name.
    pub mappings: Named<String>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub start: String,
    pub description: String,
    /// Triggers owned by this flow: local to it unless they say `"scope": "global"`.
    pub triggers: Vec<TriggerDef>,
    pub steps: Named<Step>,
}

/// One text or a list of variants (one is chosen per turn).
#[derive(Debug, Clone, PartialEq)]
pub struct Variants(pub Vec<Template>);

/// A parsed expression, read from a string.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprSrc(pub Expr);

/// A `set` value: a string starting with `=` is an expression, another string a template, anything else a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Expr(Expr),
    Json(JsonTemplate),
}

/// A button of a choice or card.
#[derive(Debug, Clone)]
pub struct ButtonDef {
    pub label: Template,
    /// Go to this step of the same flow.
    pub next: Option<String>,
    /// Send this event.
    pub event: Option<String>,
    pub data: Option<JsonTemplate>,
    /// Typed text classified as this intent also presses the button.
    pub intent: Option<String>,
    /// Open this link (http, https or mailto once rendered).
    pub url: Option<Template>,
}

#[derive(Debug, Clone, Default)]
pub struct NoMatchDef {
    pub prompts: Vec<Variants>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NoReplyDef {
    /// Seconds.
    pub timeout: u64,
    pub prompts: Vec<Variants>,
    pub next: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CardDef {
    pub title: Template,
    pub description: Template,
    pub image: Option<Template>,
    pub buttons: Vec<ButtonDef>,
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub test: ExprSrc,
    pub next: String,
}

/// A step of a flow.
#[derive(Debug, Clone)]
pub enum Step {
    Text {
        text: Variants,
        next: Option<String>,
        delay: Option<u64>,
    },
    Choice {
        prompt: Option<Variants>,
        buttons: Vec<ButtonDef>,
        no_match: Option<NoMatchDef>,
        no_reply: Option<NoReplyDef>,
    },
    Card {
        title: Template,
        description: Template,
        image: Option<Template>,
        buttons: Vec<ButtonDef>,
        next: Option<String>,
        no_match: Option<NoMatchDef>,
        no_reply: Option<NoReplyDef>,
    },
    Carousel {
        layout: Option<String>,
        cards: Vec<CardDef>,
        next: Option<String>,
        no_match: Option<NoMatchDef>,
        no_reply: Option<NoReplyDef>,
    },
    Image {
        url: Template,
        width: Option<u32>,
        height: Option<u32>,
        next: Option<String>,
    },
    Capture {
        variable: String,
        /// `intent.slot`, `@number`, `@email` or `@any` (default: the whole reply).
        slot: Option<String>,
        prompt: Option<Variants>,
        next: Option<String>,
        no_match: Option<NoMatchDef>,
        no_reply: Option<NoReplyDef>,
    },
    Condition {
        branches: Vec<Branch>,
        otherwise: Option<String>,
    },
    Set {
        set: Named<SetValue>,
        next: Option<String>,
    },
    Goto {
        flow: Option<String>,
        step: Option<String>,
    },
    Call {
        flow: String,
        step: Option<String>,
        next: Option<String>,
    },
    Delay {
        ms: u64,
        next: Option<String>,
    },
    Emit {
        event: String,
        data: Option<JsonTemplate>,
        /// Raise it this many milliseconds later instead of now.
        after: Option<u64>,
        /// Raise it at this epoch time in milliseconds.
        at: Option<u64>,
        cancel_on_user_message: bool,
        next: Option<String>,
    },
    Custom {
        name: String,
        payload: Option<JsonTemplate>,
        /// Request type (path name) to step.
        paths: Named<String>,
        default_path: Option<String>,
    },
    Webhook {
        url: Template,
        method: String,
        headers: Named<Template>,
        body: Option<JsonTemplate>,
        timeout_ms: Option<u64>,
        /// Variable to a dotted path in the JSON answer.
        assign: Named<String>,
        next: Option<String>,
        on_error: Option<String>,
    },
    End {},
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

    /// Every step id this step names in its own flow, given to `out` with the path of the key that names it (under
    /// `path`, the step's own path), for validation.
    pub(super) fn local_refs(&self, path: &Path, out: &mut dyn FnMut(&Path, &str)) {
        let mut opt = |key: &Path, v: &Option<String>| {
            if let Some(s) = v {
                out(key, s);
            }
        };
        let next = path.key("next");
        match self {
            Step::Text { next: n, .. } | Step::Image { next: n, .. } | Step::Set { next: n, .. } => opt(&next, n),
            Step::Delay { next: n, .. } | Step::Emit { next: n, .. } | Step::Call { next: n, .. } => opt(&next, n),
            Step::Choice { buttons, no_match, no_reply, .. } => {
                button_refs(&mut opt, &path.key("buttons"), buttons);
                listen_refs(&mut opt, path, no_match, no_reply);
            }
            Step::Card { buttons, next: n, no_match, no_reply, .. } => {
                opt(&next, n);
                button_refs(&mut opt, &path.key("buttons"), buttons);
                listen_refs(&mut opt, path, no_match, no_reply);
            }
            Step::Carousel { cards, next: n, no_match, no_reply, .. } => {
                opt(&next, n);
                let cards_path = path.key("cards");
                for (c, card) in cards.iter().enumerate() {
                    button_refs(&mut opt, &cards_path.index(c).key("buttons"), &card.buttons);
                }
                listen_refs(&mut opt, path, no_match, no_reply);
            }
            Step::Capture { next: n, no_match, no_reply, .. } => {
                opt(&next, n);
                listen_refs(&mut opt, path, no_match, no_reply);
            }
            Step::Condition { branches, otherwise } => {
                let branches_path = path.key("branches");
                for (i, b) in branches.iter().enumerate() {
                    out(&branches_path.index(i).key("next"), &b.next);
                }
                if let Some(s) = otherwise {
                    out(&path.key("else"), s);
                }
            }
            Step::Custom { paths, .. } => {
                let paths_path = path.key("paths");
                for (k, v) in paths {
                    out(&paths_path.key(k), v);
                }
            }
            Step::Webhook { next: n, on_error, .. } => {
                opt(&next, n);
                opt(&path.key("onError"), on_error);
            }
            Step::Goto { .. } | Step::End {} => {}
        }
    }
}

fn button_refs(opt: &mut dyn FnMut(&Path, &Option<String>), path: &Path, buttons: &[ButtonDef]) {
    for (i, b) in buttons.iter().enumerate() {
        opt(&path.index(i).key("next"), &b.next);
    }
}

fn listen_refs(
    opt: &mut dyn FnMut(&Path, &Option<String>),
    path: &Path,
    no_match: &Option<NoMatchDef>,
    no_reply: &Option<NoReplyDef>,
) {
    if let Some(m) = no_match {
        opt(&path.key("noMatch").key("next"), &m.next);
    }
    if let Some(r) = no_reply {
        opt(&path.key("noReply").key("next"), &r.next);
    }
}

/// Whether a button may open `url`: http, https and mailto links only (SPEC §6.1).
pub fn is_link(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:")
}
