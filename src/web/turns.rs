//! The session summary the real widget puts in `voiceflow:interact` and `voiceflow:save_session` payloads:
//! `{userID, turns, startTime, status}`, with `turns` in react-chat's shape (user turns
//! `{id, type: 'user', message, timestamp}`, system turns `{id, type: 'system', timestamp, messages, actions?}`),
//! built from the engine transcript.

use serde_json::{json, Map, Value};

use crate::engine::{Body, Entry, Status, Trace, TraceKind};

pub fn session(user_id: &str, status: Status, entries: &[Entry], now: u64) -> Value {
    let start = entries.first().map_or(now, |e| e.timestamp);
    let status = match status {
        Status::Idle => "IDLE",
        Status::Active => "ACTIVE",
        Status::Ended => "ENDED",
    };
    json!({ "userID": user_id, "turns": turns(user_id, entries), "startTime": start, "status": status })
}

fn turns(user_id: &str, entries: &[Entry]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut system: Option<(String, u64, Vec<Value>, Option<Value>)> = None;
    let flush = |out: &mut Vec<Value>, system: &mut Option<(String, u64, Vec<Value>, Option<Value>)>| {
        if let Some((id, timestamp, messages, actions)) = system.take() {
            let mut t = Map::new();
            t.insert("id".into(), json!(id));
            t.insert("type".into(), json!("system"));
            t.insert("timestamp".into(), json!(timestamp));
            t.insert("messages".into(), Value::Array(messages));
            if let Some(a) = actions {
                t.insert("actions".into(), a);
            }
            out.push(Value::Object(t));
        }
    };
    for e in entries {
        if e.author_id == user_id {
            if let Some(message) = user_text(e) {
                flush(&mut out, &mut system);
                out.push(json!({ "id": e.id, "type": "user", "message": message, "timestamp": e.timestamp }));
            }
            continue;
        }
        let (message, actions) = match &e.body {
            Body::Message { text } => (Some(json!({ "type": "text", "text": text })), None),
            Body::SystemMessage { system_message_type, .. } if system_message_type == "session_ended" => {
                (Some(json!({ "type": "end" })), None)
            }
            Body::Custom { content } => match Trace::from_value(content.clone()).map(|t| t.kind) {
                Ok(TraceKind::Choice(c)) => (None, Some(crate::engine::json::to_value(&c.buttons))),
                Ok(TraceKind::Visual(v)) => (Some(json!({ "type": "image", "url": v.image })), None),
                Ok(TraceKind::CardV2(c)) => (Some(card(&c)), None),
                Ok(TraceKind::Carousel(c)) => {
                    let cards: Vec<Value> = c.cards.iter().map(card).collect();
                    (Some(json!({ "type": "carousel", "cards": cards })), None)
                }
                _ => (Some(json!({ "type": "extension", "payload": content })), None),
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
    let actions: Vec<Value> = c.buttons.iter().map(|b| json!({ "name": b.name, "request": b.request })).collect();
    json!({ "type": "card", "title": c.title, "description": c.description.text, "image": c.image_url, "actions": actions })
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
