//! Ratings of agent messages: thumbs up or down on a message, kept in the transcript as an `annotation` entry
//! (`annotation_type: "rating"`, seed 004) on the latest thread, so a reloaded conversation shows them again.
//!
//! A rating names the transcript entry of the message it rates (`properties.message_id`); the latest rating of
//! a message is the one that counts. Live messages arrive as traces, so [`message_ids`] finds the entry each
//! text trace of an answer was recorded as: the last agent messages of the transcript, matched by text.

use crate::json::{self, Map, Value};
use crate::wire::{Body, Entry, Trace, TraceKind};

/// The `annotation_type` of a rating.
pub const ANNOTATION_TYPE: &str = "rating";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Thumb {
    Up,
    Down,
}

impl Thumb {
    /// `up` or `down`: `properties.rating` of the annotation, and the widget's command argument.
    pub fn name(self) -> &'static str {
        match self {
            Thumb::Up => "up",
            Thumb::Down => "down",
        }
    }

    pub fn from_name(name: &str) -> Option<Thumb> {
        match name {
            "up" => Some(Thumb::Up),
            "down" => Some(Thumb::Down),
            _ => None,
        }
    }

    /// `Thumbs up` or `Thumbs down`: the annotation's text, and the `name` of Voiceflow's feedback call.
    pub fn label(self) -> &'static str {
        match self {
            Thumb::Up => "Thumbs up",
            Thumb::Down => "Thumbs down",
        }
    }
}

/// A rating the user gave one agent message.
#[derive(Clone, Debug, PartialEq)]
pub struct Rating {
    pub thumb: Thumb,
    /// The transcript id of the rated message.
    pub message_id: String,
    /// The rated message's text.
    pub text: String,
    /// What the user said last before it (Voiceflow's `lastUserTurn`), if anything.
    pub last_user_turn: Option<String>,
}

impl Rating {
    /// The rating of message `message_id`, read from the transcript; `None` when no agent message has that id.
    pub fn of(entries: &[Entry], user_id: &str, message_id: &str, thumb: Thumb) -> Option<Rating> {
        let at = entries.iter().position(|e| e.id == message_id)?;
        let text = match &entries.get(at)?.body {
            Body::Message { text } if entries.get(at)?.author_id != user_id => text.clone(),
            _ => return None,
        };
        let last_user_turn = entries.get(..at).unwrap_or_default().iter().rev().find_map(|e| match &e.body {
            Body::Message { text } if e.author_id == user_id => Some(text.clone()),
            _ => None,
        });
        Some(Rating { thumb, message_id: message_id.to_string(), text, last_user_turn })
    }

    /// The annotation's `properties`: `{rating: 'up' | 'down', message_id}`.
    pub fn properties(&self) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert("rating".into(), json::text(self.thumb.name()));
        p.insert("message_id".into(), Value::String(self.message_id.clone()));
        p
    }

    /// The body of Voiceflow's feedback call, `{name: 'Thumbs up' | 'Thumbs down', text: [message],
    /// lastUserTurn}` (remote mode), which is also the `voiceflow:feedback` event's payload with `rating` and
    /// `messageID` added.
    pub fn feedback(&self) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert("name".into(), json::text(self.thumb.label()));
        p.insert("text".into(), Value::Array(vec![Value::String(self.text.clone())]));
        p.insert("lastUserTurn".into(), self.last_user_turn.clone().map_or(Value::Null, Value::String));
        p
    }

    /// The `voiceflow:feedback` event's payload: the feedback body, `rating` and `messageID`.
    pub fn event_payload(&self) -> Value {
        let mut p = self.feedback();
        p.insert("rating".into(), json::text(self.thumb.name()));
        p.insert("messageID".into(), Value::String(self.message_id.clone()));
        Value::Object(p)
    }
}

/// The rating in force for each rated message, in the order the messages were first rated: a later annotation
/// of the same message replaces an earlier one.
pub fn ratings(entries: &[Entry]) -> Vec<(&str, Thumb)> {
    let mut out: Vec<(&str, Thumb)> = Vec::new();
    for e in entries {
        let Body::Annotation { annotation_type, .. } = &e.body else { continue };
        if annotation_type != ANNOTATION_TYPE {
            continue;
        }
        let id = e.properties.get("message_id").and_then(Value::as_str);
        let thumb = e.properties.get("rating").and_then(Value::as_str).and_then(Thumb::from_name);
        let (Some(id), Some(thumb)) = (id, thumb) else { continue };
        match out.iter_mut().find(|(m, _)| *m == id) {
            Some(slot) => slot.1 = thumb,
            None => out.push((id, thumb)),
        }
    }
    out
}

/// For each trace of an answer, the transcript id of the agent message its text was recorded as (`None` for
/// other traces, and for a text with no matching entry). The answer's text traces are the last agent messages of
/// the transcript, in order; each is matched by its text.
pub fn message_ids(traces: &[Trace], entries: &[Entry], user_id: &str) -> Vec<Option<String>> {
    let texts = traces.iter().filter(|t| matches!(t.kind, TraceKind::Text(_))).count();
    let mut messages: Vec<&Entry> = entries
        .iter()
        .rev()
        .filter(|e| e.author_id != user_id && matches!(e.body, Body::Message { .. }))
        .take(texts)
        .collect();
    messages.reverse();
    // Fewer entries than texts: the earliest texts have none.
    let mut skip = texts - messages.len();
    let mut messages = messages.into_iter();
    let mut out = Vec::with_capacity(traces.len());
    for t in traces {
        let TraceKind::Text(p) = &t.kind else {
            out.push(None);
            continue;
        };
        if skip > 0 {
            skip -= 1;
            out.push(None);
            continue;
        }
        let id = messages.next().and_then(|e| match &e.body {
            Body::Message { text } if *text == p.message => Some(e.id.clone()),
            _ => None,
        });
        out.push(id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Recipients, Transcript};

    fn transcript() -> Transcript {
        let mut t = Transcript::default();
        t.system(1, "session_started", "The conversation started");
        t.push("agent", 2, Recipients::All, Body::Message { text: "Hi!".into() });
        t.push("u1", 3, Recipients::All, Body::Message { text: "where is my order".into() });
        t.push("agent", 4, Recipients::All, Body::Message { text: "On its way.".into() });
        t.push("agent", 4, Recipients::All, Body::Custom { content: json::obj1("type", json::text("choice")) });
        t.push("agent", 4, Recipients::All, Body::Message { text: "Anything else?".into() });
        t
    }

    fn text(m: &str) -> Trace {
        Trace::text(4, "id".into(), m.into(), 0)
    }

    #[test]
    fn a_rating_reads_its_message_and_the_last_user_turn() {
        let t = transcript();
        let r = Rating::of(&t.entries, "u1", "e4", Thumb::Down).unwrap();
        assert_eq!(r.text, "On its way.");
        assert_eq!(r.last_user_turn.as_deref(), Some("where is my order"));
        assert_eq!(json::to_string(&Value::Object(r.properties())), r#"{"rating":"down","message_id":"e4"}"#);
        assert_eq!(
            json::to_string(&Value::Object(r.feedback())),
            r#"{"name":"Thumbs down","text":["On its way."],"lastUserTurn":"where is my order"}"#
        );
        let first = Rating::of(&t.entries, "u1", "e2", Thumb::Up).unwrap();
        assert_eq!(first.last_user_turn, None, "nothing said before the greeting");
        // Not an agent message: the user's own, a custom entry, a system entry, an unknown id.
        for id in ["e3", "e5", "e1", "e99"] {
            assert_eq!(Rating::of(&t.entries, "u1", id, Thumb::Up), None, "{id}");
        }
    }

    #[test]
    fn the_latest_rating_of_a_message_counts() {
        let mut t = transcript();
        let mut annotate = |id: &str, thumb: Thumb| {
            let r = Rating::of(&t.entries, "u1", id, thumb).unwrap();
            let body = Body::Annotation { text: thumb.label().into(), annotation_type: ANNOTATION_TYPE.into() };
            t.push("u1", 9, Recipients::All, body);
            t.entries.last_mut().unwrap().properties = r.properties();
        };
        annotate("e4", Thumb::Up);
        annotate("e2", Thumb::Down);
        annotate("e4", Thumb::Down);
        assert_eq!(ratings(&t.entries), vec![("e4", Thumb::Down), ("e2", Thumb::Down)]);
        // Another annotation type is not a rating.
        t.push("u1", 9, Recipients::All, Body::Annotation { text: "x".into(), annotation_type: "note".into() });
        assert_eq!(ratings(&t.entries).len(), 2);
    }

    #[test]
    fn live_text_traces_find_their_entries() {
        let t = transcript();
        let choice = Trace::from_value(json::parse(r#"{"type":"choice","payload":{"buttons":[]}}"#).unwrap()).unwrap();
        let answer = [text("On its way."), choice.clone(), text("Anything else?")];
        assert_eq!(message_ids(&answer, &t.entries, "u1"), vec![Some("e4".into()), None, Some("e6".into())]);
        // A text whose entry differs (or is missing) gets no id rather than a wrong one.
        assert_eq!(message_ids(&[text("Changed")], &t.entries, "u1"), vec![None]);
        let many = [text("a"), text("b"), text("c"), text("d"), text("Anything else?")];
        let ids = message_ids(&many, &t.entries, "u1");
        assert_eq!(ids.last().unwrap().as_deref(), Some("e6"));
        assert_eq!(message_ids(&[choice], &[], "u1"), vec![None]);
    }
}
