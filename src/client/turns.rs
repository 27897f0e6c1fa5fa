//! The session summary the real widget puts in `voiceflow:interact` and `voiceflow:save_session` payloads:
//! `{userID, turns, startTime, status}`, with `turns` in react-chat's shape (user turns
//! `{id, type: 'user', message, timestamp}`, system turns `{id, type: 'system', timestamp, messages, actions?}`),
//! built from the transcript and written straight as JSON text (no `Value` in between). Also what the user
//! visibly said, in a transcript entry or in an action about to be sent.

use crate::json::Value;

use super::Status;
use crate::json::{self, Obj};
use crate::wire::{Body, CardPayload, Entry, Trace, TraceKind};

/// Write the summary's JSON text to `out`.
pub fn session(user_id: &str, status: Status, entries: &[Entry], now: u64, out: &mut String) {
    let start = entries.first().map_or(now, |e| e.timestamp);
    let mut o = Obj::new(out);
    o.str("userID", user_id);
    turns(user_id, entries, o.key("turns"));
    o.field("startTime", &start).str("status", status.summary_name()).end();
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

/// What the user visibly says with an action: the bubble shown when it is sent. It matches what the transcript
/// keeps of it ([`user_text`]), so a reload shows the same. Page events, launches and no-replies show nothing.
pub fn user_echo(action: &Value) -> Option<String> {
    let payload = action.get("payload");
    match action.get("type").and_then(Value::as_str)? {
        "text" => match payload? {
            Value::String(s) => Some(s.clone()),
            // A number or a boolean shows as its JSON text.
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        },
        "intent" => {
            let p = payload?;
            let query = p.get("query").and_then(Value::as_str).filter(|q| !q.is_empty());
            query.or_else(|| p.pointer("/intent/name").and_then(Value::as_str)).map(str::to_string)
        }
        "file" => payload?.get("name").and_then(Value::as_str).map(|n| format!("📎 {n}")),
        "launch" | "no-reply" => None,
        _ => payload?.get("label").and_then(Value::as_str).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::wire::{Envelope, Transcript};

    fn record(t: &mut Transcript, action: Value) {
        let envelope = Envelope::from_value(json!({ "action": action })).expect("a valid action");
        t.record_request("u1", 5, &envelope);
    }

    #[test]
    fn the_echo_of_an_action_is_what_the_transcript_shows_after_a_reload() {
        let actions = [
            json!({ "type": "text", "payload": "hello" }),
            json!({ "type": "path-yes", "payload": { "label": "Yes" } }),
            json!({ "type": "intent", "payload": { "intent": { "name": "order" }, "query": "I want pizza" } }),
            json!({ "type": "intent", "payload": { "intent": { "name": "order" } } }),
            json!({ "type": "file", "payload": { "name": "a.png", "content_type": "image/png", "size": 3 } }),
            json!({ "type": "event", "payload": { "event": { "name": "checkout" } } }),
            json!({ "type": "launch" }),
            json!({ "type": "no-reply" }),
        ];
        for action in actions {
            let mut t = Transcript::default();
            record(&mut t, action.clone());
            let shown = t.entries.first().and_then(user_text);
            assert_eq!(user_echo(&action), shown, "{action}");
        }
    }

    #[test]
    fn the_summary_has_voiceflows_shape() {
        let mut t = Transcript::default();
        t.system(1, "session_started", "The conversation started");
        let hello = Trace::from_value(json!({ "type": "text", "payload": { "message": "Hi" } })).unwrap();
        let choice = Trace::from_value(
            json!({ "type": "choice", "payload": { "buttons": [{ "name": "Yes", "request": { "type": "path-y" } }] } }),
        )
        .unwrap();
        t.record_trace(2, &hello);
        t.record_trace(2, &choice);
        record(&mut t, json!({ "type": "text", "payload": "yes" }));
        let mut out = String::new();
        session("u1", Status::Active, &t.entries, 99, &mut out);
        let v = json::parse(&out).unwrap();
        assert_eq!(v["userID"], "u1");
        assert_eq!(v["status"], "ACTIVE");
        assert_eq!(v["startTime"], 1);
        assert_eq!(v["turns"][0]["type"], "system");
        assert_eq!(v["turns"][0]["messages"], json!([{ "type": "text", "text": "Hi" }]));
        assert_eq!(v["turns"][0]["actions"][0]["name"], "Yes");
        assert_eq!(v["turns"][1], json!({ "id": "e4", "type": "user", "message": "yes", "timestamp": 5 }));
        let mut empty = String::new();
        session("u2", Status::Idle, &[], 42, &mut empty);
        assert_eq!(empty, r#"{"userID":"u2","turns":[],"startTime":42,"status":"IDLE"}"#);
    }
}
