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

fn turns(user_id: &str, entries: &[Entry]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut system: Option<(String, u64, Vec<Value>, Option<Value>)> = None;
    let flush = |out: &mut Vec<Value>, system: &mut Option<(String, u64, Vec<Value>, Option<Value>)>| {
        if let Some((id, timestamp, messages, actions)) = system.take() {
            let mut t = obj(vec![
                ("id", Value::String(id)),
                ("type", text("system")),
                ("timestamp", Value::from(timestamp)),
                ("messages", Value::Array(messages)),
            ]);
            if let (Some(a), Value::Object(m)) = (actions, &mut t) {
                m.insert("actions".into(), a);
            }
            out.push(t);
        }
    };
    for e in entries {
        if e.author_id == user_id {
            if let Some(message) = user_text(e) {
                flush(&mut out, &mut system);
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
            _ => (None, None),
        };
        if message.is_none() && actions.is_none() {
            continue;
        }
        let turn = system.get_or_insert_with(|| (e.id.clone(), e.timestamp, Vec::new(), None));
        if let Some(m) = message {
            turn.2.push(m);
        }
        if actions.is_some() {
            turn.3 = actions;
        }
    }
    flush(&mut out, &mut system);
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
