//! Ratings of agent messages: thumbs up or down on a message, kept in the transcript as an `annotation` entry
//! (`annotation_type: "rating"`, seed 004) on the latest thread, so a reloaded conversation shows them again.
//!
//! A rating names the transcript entry of the message it rates (`properties.message_id`); the latest rating of
//! a message is the one that counts. The widget knows a message by its place: every text the agent says is
//! recorded as one agent `message` entry, in order, and the widget shows each (live or restored) in the same
//! order, so its n-th agent message is the transcript's n-th ([`message_id`]).

use crate::json::{self, Map, Obj, ToJson, Value};
use crate::util::sort_by;
use crate::wire::{Body, Entry};

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
    /// lastUserTurn}` (remote mode), as JSON text.
    pub fn feedback(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, false);
        out
    }

    /// The `voiceflow:feedback` event's payload, as JSON text: the feedback body, `rating` and `messageID`.
    pub fn event_payload(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true);
        out
    }

    fn write(&self, out: &mut String, event: bool) {
        let mut o = Obj::new(out);
        o.str("name", self.thumb.label());
        let text = o.key("text");
        text.push('[');
        self.text.write_json(text);
        text.push(']');
        o.field("lastUserTurn", &self.last_user_turn);
        if event {
            o.str("rating", self.thumb.name()).str("messageID", &self.message_id);
        }
        o.end();
    }
}

/// The transcript id of the `index`-th agent message (from 0): the message the widget showed `index`-th.
pub fn message_id<'e>(entries: &'e [Entry], user_id: &str, index: usize) -> Option<&'e str> {
    let mut agent_messages =
        entries.iter().filter(|e| e.author_id != user_id && matches!(e.body, Body::Message { .. }));
    agent_messages.nth(index).map(|e| e.id.as_str())
}

/// The rating in force for each rated message, sorted by message id (look one up with `binary_search_by`): a
/// later annotation of the same message replaces an earlier one. Sorted rather than searched entry by entry, so a
/// long conversation full of ratings costs n log n, not n².
pub fn ratings(entries: &[Entry]) -> Vec<(&str, Thumb)> {
    let mut all: Vec<(&str, Thumb)> = Vec::new();
    for e in entries {
        let Body::Annotation { annotation_type, .. } = &e.body else { continue };
        if annotation_type != ANNOTATION_TYPE {
            continue;
        }
        let id = e.properties.get("message_id").and_then(Value::as_str);
        let thumb = e.properties.get("rating").and_then(Value::as_str).and_then(Thumb::from_name);
        if let (Some(id), Some(thumb)) = (id, thumb) {
            all.push((id, thumb));
        }
    }
    // By message id, and in transcript order within one message: the last of each run is in force.
    let mut order: Vec<u32> = (0..all.len() as u32).collect();
    let key = |i: u32| (all.get(i as usize).map_or("", |r| r.0), i);
    sort_by(&mut order, &|a, b| key(a) < key(b));
    let mut out: Vec<(&str, Thumb)> = Vec::new();
    for i in order {
        let Some(&(id, thumb)) = all.get(i as usize) else { continue };
        match out.last_mut() {
            Some(last) if last.0 == id => last.1 = thumb,
            _ => out.push((id, thumb)),
        }
    }
    out
}

/// The rating in force for message `id`, in what [`ratings`] returned.
pub fn rating_of(ratings: &[(&str, Thumb)], id: &str) -> Option<Thumb> {
    let i = ratings.binary_search_by(|(m, _)| (*m).cmp(id)).ok()?;
    ratings.get(i).map(|r| r.1)
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

    #[test]
    fn a_rating_reads_its_message_and_the_last_user_turn() {
        let t = transcript();
        let r = Rating::of(&t.entries, "u1", "e4", Thumb::Down).unwrap();
        assert_eq!(r.text, "On its way.");
        assert_eq!(r.last_user_turn.as_deref(), Some("where is my order"));
        assert_eq!(json::to_string(&Value::Object(r.properties())), r#"{"rating":"down","message_id":"e4"}"#);
        assert_eq!(r.feedback(), r#"{"name":"Thumbs down","text":["On its way."],"lastUserTurn":"where is my order"}"#);
        assert_eq!(
            r.event_payload(),
            r#"{"name":"Thumbs down","text":["On its way."],"lastUserTurn":"where is my order","rating":"down","messageID":"e4"}"#
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
        let rated = ratings(&t.entries);
        assert_eq!(rated, vec![("e2", Thumb::Down), ("e4", Thumb::Down)]);
        assert_eq!(rating_of(&rated, "e4"), Some(Thumb::Down));
        assert_eq!(rating_of(&rated, "e6"), None);
        // Another annotation type is not a rating.
        t.push("u1", 9, Recipients::All, Body::Annotation { text: "x".into(), annotation_type: "note".into() });
        assert_eq!(ratings(&t.entries).len(), 2);
    }

    #[test]
    fn the_widgets_nth_agent_message_is_the_transcripts() {
        let t = transcript();
        let ids: Vec<Option<&str>> = (0..4).map(|i| message_id(&t.entries, "u1", i)).collect();
        // The user's message, the system message and the custom entry are not agent messages.
        assert_eq!(ids, vec![Some("e2"), Some("e4"), Some("e6"), None]);
    }
}
