//! The session summary the real widget puts in `voiceflow:interact` and `voiceflow:save_session` payloads:
//! `{userID, turns, startTime, status}`, with `turns` in react-chat's shape (user turns
//! `{id, type: 'user', message, timestamp}`, system turns `{id, type: 'system', timestamp, messages, actions?}`),
//! built from the engine transcript and written straight as JSON text (no `Value` in between).

use crate::json::Value;

use crate::engine::{Body, CardPayload, Entry, Status, Trace, TraceKind};
use crate::json::{self, Obj};

/// Write the summary's JSON text to `out`.
pub fn session(user_id: &str, status: Status, entries: &[Entry], now: u64, out: &mut String) {
    let start = entries.first().map_or(now, |e| e.timestamp);
    let status = match status {
        Status::Idle => "IDLE",
        Status::Active => "ACTIVE",
        Status::Ended => "ENDED",
    };
    let mut o = Obj::new(out);
    o.str("userID", user_id);
    turns(user_id, entries, o.key("turns"));
    o.field("startTime", &start).str("status", status).end();
}

/// A system turn being gathered: the entry it starts at, its messages and the latest buttons.
struct System<'e> {
    first: &'e Entry,
    /// The messages' JSON texts, comma-separated.
    messages: String,
    /// The JSON text of the latest buttons.
    actions: Option<String>,
}

impl System<'_> {
    fn write(self, out: &mut String) {
        next_item(out);
        let mut o = Obj::new(out);
        o.str("id", &self.first.id).str("type", "system").field("timestamp", &self.first.timestamp);
        let messages = o.key("messages");
        messages.push('[');
        messages.push_str(&self.messages);
        messages.push(']');
        if let Some(a) = self.actions {
            o.key("actions").push_str(&a);
        }
        o.end();
    }
}

/// A comma before every item of a list but the first (the first follows the list's `[`).
fn next_item(out: &mut String) {
    if !out.is_empty() && !out.ends_with('[') {
        out.push(',');
    }
}

fn turns(user_id: &str, entries: &[Entry], out: &mut String) {
    out.push('[');
    let mut system: Option<System> = None;
    for e in entries {
        if e.author_id == user_id {
            if let Some(message) = user_text(e) {
                if let Some(s) = system.take() {
                    s.write(out);
                }
                next_item(out);
                let mut o = Obj::new(out);
                o.str("id", &e.id).str("type", "user").str("message", &message).field("timestamp", &e.timestamp);
                o.end();
            }
            continue;
        }
        let mut message = String::new();
        let mut actions = None;
        match &e.body {
            Body::Message { text } => Obj::new(&mut message).str("type", "text").str("text", text).end(),
            Body::SystemMessage { system_message_type, .. } if system_message_type == "session_ended" => {
                message.push_str(r#"{"type":"end"}"#)
            }
            Body::Custom { content } => match Trace::from_value(content.clone()) {
                Ok(Trace { kind: TraceKind::Choice(c), .. }) => actions = Some(json::to_string(&c.buttons)),
                Ok(Trace { kind: TraceKind::Visual(v), .. }) => {
                    Obj::new(&mut message).str("type", "image").field("url", &v.image).end()
                }
                Ok(Trace { kind: TraceKind::CardV2(c), .. }) => card(&c, &mut message),
                Ok(Trace { kind: TraceKind::Carousel(c), .. }) => {
                    let mut o = Obj::new(&mut message);
                    let cards = o.str("type", "carousel").key("cards");
                    cards.push('[');
                    for c in &c.cards {
                        next_item(cards);
                        card(c, cards);
                    }
                    cards.push(']');
                    o.end();
                }
                _ => Obj::new(&mut message).str("type", "extension").field("payload", content).end(),
            },
            _ => continue,
        }
        let turn = system.get_or_insert_with(|| System { first: e, messages: String::new(), actions: None });
        if !message.is_empty() {
            next_item(&mut turn.messages);
            turn.messages.push_str(&message);
        }
        if actions.is_some() {
            turn.actions = actions;
        }
    }
    if let Some(s) = system {
        s.write(out);
    }
    out.push(']');
}

/// A card as a message; its buttons are its `actions`, `{name, request}` each.
fn card(c: &CardPayload, out: &mut String) {
    let mut o = Obj::new(out);
    o.str("type", "card").str("title", &c.title).str("description", &c.description.text);
    o.field("image", &c.image_url).field("actions", &c.buttons).end();
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
