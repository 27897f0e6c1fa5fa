//! The session summary the real widget puts in `voiceflow:interact` and `voiceflow:save_session` payloads:
//! `{userID, turns, startTime, status}`, with `turns` in react-chat's shape (user turns
//! `{id, type: 'user', message, timestamp}`, system turns `{id, type: 'system', timestamp, messages, actions?}`),
//! built from the engine transcript.

use serde_json::Value;

use crate::engine::json::{obj, text};

use crate::engine::{Body, Entry, Status, Trace, TraceKind};

pub fn session(user_id: &str, status: Status, entries: &[Entry], now: u64) -> Value {
    let start = entries.first().map_or(now, |e| e.timestamp);
    let status = match status {
        Status::Idle => "IDLE",
        Status::Active => "ACTIVE",
        Status::Ended => "ENDED",
    };
    obj(vec![
        ("userID", text(user_id)),
        ("turns", Value::Array(turns(user_id, entries))),
        ("startTime", Value::from(start)),
        ("status", text(status)),
    ])
}

/// A system turn being gathered: the entry it starts at, its messages and the latest buttons.
struct System<'e> {
    first: &'e Entry,
    messages: Vec<Value>,
    actions: Option<Value>,
}

impl System<'_> {
    fn into_turn(self) -> Value {
        let mut fields = vec![
            ("id", text(&self.first.id)),
            ("type", text("system")),
            ("timestamp", Value::from(self.first.timestamp)),
            ("messages", Value::Array(self.messages)),
        ];
        if let Some(a) = self.actions {
            fields.push(("actions", a));
        }
        obj(fields)
    }
}

fn turns(user_id: &str, entries: &[Entry]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut system: Option<System> = None;
    for e in entries {
        if e.author_id == user_id {
            if let Some(message) = user_text(e) {
                if let Some(s) = system.take() {
                    out.push(s.into_turn());
                }
                out.push(obj(vec![
                    ("id", text(&e.id)),
                    ("type", text("user")),
                    ("message", Value::String(message)),
                    ("timestamp", Value::from(e.timestamp)),
                ]));
            }
            continue;
        }
        let (message, actions) = match &e.body {
            Body::Message { text: t } => (Some(obj(vec![("type", text("text")), ("text", text(t))])), None),
            Body::SystemMessage { system_message_type, .. } if system_message_type == "session_ended" => {
                (Some(obj(vec![("type", text("end"))])), None)
            }
            Body::Custom { content } => match Trace::from_value(content.clone()).map(|t| t.kind) {
                Ok(TraceKind::Choice(c)) => (None, Some(crate::engine::json::to_value(&c.buttons))),
                Ok(TraceKind::Visual(v)) => {
                    (Some(obj(vec![("type", text("image")), ("url", opt_text(&v.image))])), None)
                }
                Ok(TraceKind::CardV2(c)) => (Some(card(&c)), None),
                Ok(TraceKind::Carousel(c)) => {
                    let mut cards = Vec::new();
                    for c in &c.cards {
                        cards.push(card(c));
                    }
                    (Some(obj(vec![("type", text("carousel")), ("cards", Value::Array(cards))])), None)
                }
                _ => (Some(obj(vec![("type", text("extension")), ("payload", content.clone())])), None),
            },
            _ => continue,
        };
        let turn = system.get_or_insert_with(|| System { first: e, messages: Vec::new(), actions: None });
        turn.messages.extend(message);
        if actions.is_some() {
            turn.actions = actions;
        }
    }
    if let Some(s) = system {
        out.push(s.into_turn());
    }
    out
}

fn card(c: &crate::engine::CardPayload) -> Value {
    let mut actions = Vec::new();
    for b in &c.buttons {
        actions.push(obj(vec![("name", text(&b.name)), ("request", b.request.clone())]));
    }
    obj(vec![
        ("type", text("card")),
        ("title", text(&c.title)),
        ("description", text(&c.description.text)),
        ("image", opt_text(&c.image_url)),
        ("actions", Value::Array(actions)),
    ])
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, text)
}

/// What the user visibly said in an entry: a message, a labelled button, a file. Page events have none.
pub fn user_text(e: &Entry) -> Option<String> {
    match &e.body {
        Body::Message { text } => Some(text.clone()),
        Body::File(f) => Some(format!("📎 {}", f.name)),
        Body::Custom { content } => content.pointer("/payload/label").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}
