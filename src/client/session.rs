//! A conversation a remote runtime runs, as the widget keeps it: the user id, the transcript of what was shown,
//! the turns not yet delivered, and the last stream item shown. Saved with every change (SPEC §1.8, §7.2).
//!
//! The rules of the one queue of turns live here. A turn is queued with a client-made id (its `Idempotency-Key`)
//! and stays pending, saved, until its answer is recorded, so a reload in the middle of a send resends it under
//! the same id. A turn that failed after its automatic retries stays pending, marked undelivered, until the user
//! presses Retry. Recording is idempotent: an answer or a stream item is recorded once, whichever tab got it
//! first (the other finds the turn no longer pending, or the sequence number already seen), so nothing is shown
//! twice and nothing is lost when tabs share the session.

use crate::json::{Fields, Obj, Path, PathError, ToJson, Value};
use crate::wire::{Envelope, Request, Trace, TraceKind, Transcript};

/// The version of the saved form, so a later change can read older sessions.
pub const VERSION: u64 = 1;

/// Where a conversation stands, as Voiceflow's widget names it in its session summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Status {
    /// Nothing was launched yet.
    #[default]
    Idle,
    Active,
    /// The agent ended it (an `end` trace).
    Ended,
}

impl Status {
    /// `IDLE`, `ACTIVE` or `ENDED`, as in Voiceflow's session summary.
    pub fn summary_name(self) -> &'static str {
        match self {
            Status::Idle => "IDLE",
            Status::Active => "ACTIVE",
            Status::Ended => "ENDED",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Active => "active",
            Status::Ended => "ended",
        }
    }
}

/// A turn asked for and not yet delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// The client-made turn id, sent as `Idempotency-Key`.
    pub id: String,
    /// The action, as sent in the body.
    pub action: Value,
    /// Every automatic retry failed: it waits for the user's Retry.
    pub undelivered: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    pub user_id: String,
    pub status: Status,
    pub transcript: Transcript,
    /// In the order asked.
    pub pending: Vec<Pending>,
    /// The highest stream sequence number recorded: items at or below it were shown already.
    pub last_seq: u64,
}

impl Session {
    pub fn new(user_id: &str) -> Session {
        Session { user_id: user_id.to_string(), ..Session::default() }
    }

    /// Queue a turn under its id.
    pub fn queue(&mut self, id: &str, action: Value) {
        self.pending.push(Pending { id: id.to_string(), action, undelivered: false });
    }

    /// The pending turn with this id.
    pub fn pending(&self, id: &str) -> Option<&Pending> {
        self.pending.iter().find(|p| p.id == id)
    }

    /// The answer to turn `id` arrived: record the request and the traces, and the turn is no longer pending.
    /// `false` when it was not pending (already recorded, by another tab sharing the session): record nothing.
    pub fn delivered(&mut self, id: &str, traces: &[Trace], now: u64) -> bool {
        let Some(i) = self.pending.iter().position(|p| p.id == id) else { return false };
        let turn = self.pending.remove(i);
        // The action was checked when it was queued; one that no longer parses records only the answer.
        if let Ok(envelope) = Envelope::from_value(turn.action) {
            if envelope.request == Request::Launch {
                self.transcript.system(now, "session_started", "The conversation started");
                self.status = Status::Active;
            }
            let before = self.transcript.entries.len();
            self.transcript.record_request(&self.user_id, now, &envelope);
            // The user's entry carries the turn id, so a tab that shows the turn as pending recognises it.
            if let Some(entry) = self.transcript.entries.get_mut(before) {
                entry.id = id.to_string();
            }
        }
        self.shown(traces, now);
        true
    }

    /// Every automatic retry of turn `id` failed: it stays, marked, for the user's Retry.
    pub fn undelivered(&mut self, id: &str) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.undelivered = true;
        }
    }

    /// Turn `id` was refused: it will not be sent again.
    pub fn forget(&mut self, id: &str) {
        self.pending.retain(|p| p.id != id);
    }

    /// The user pressed Retry on an undelivered turn: it waits to be sent again, under the same id. Its action,
    /// or `None` when it is not (or no longer) undelivered.
    pub fn resend(&mut self, id: &str) -> Option<Value> {
        let p = self.pending.iter_mut().find(|p| p.id == id && p.undelivered)?;
        p.undelivered = false;
        Some(p.action.clone())
    }

    /// The user's rating of an agent message, delivered: kept as an annotation, so it shows again after a reload.
    pub fn rated(&mut self, rating: &crate::client::rating::Rating, now: u64) {
        let (text, properties) = (rating.thumb.label(), rating.properties());
        let user = self.user_id.clone();
        self.transcript.annotate(&user, now, crate::client::rating::ANNOTATION_TYPE, text, properties);
    }

    /// A stream item arrived: record its traces unless its sequence number was seen. `true` when recorded.
    pub fn pushed(&mut self, seq: u64, traces: &[Trace], now: u64) -> bool {
        if seq <= self.last_seq {
            return false;
        }
        self.last_seq = seq;
        self.shown(traces, now);
        true
    }

    /// "Start new chat": a new conversation for the same user. Turns not delivered are dropped with the old
    /// conversation; the stream's position stays (its numbers go on).
    pub fn restart(&mut self) {
        self.transcript = Transcript::default();
        self.status = Status::Idle;
        self.pending.retain(|p| !p.undelivered);
    }

    fn shown(&mut self, traces: &[Trace], now: u64) {
        for t in traces {
            self.transcript.record_trace(now, t);
            match t.kind {
                TraceKind::End { .. } => self.status = Status::Ended,
                _ if self.status == Status::Idle => self.status = Status::Active,
                _ => {}
            }
        }
    }

    /// Read a saved session. The error names the first bad field.
    pub fn from_json(src: &str) -> Result<Session, String> {
        let v = crate::json::parse(src).map_err(|e| format!("not JSON: {e}"))?;
        read(&v).map_err(|e| e.to_string())
    }
}

fn read(v: &Value) -> Result<Session, PathError> {
    let o = Fields::new(v, Path::Root)?;
    if o.map.get("remote") != Some(&Value::Bool(true)) {
        return Err(PathError::new(&o.at("remote"), "not a remote-mode session"));
    }
    let version = o.u64("version")?;
    if version != VERSION {
        return Err(PathError::new(&o.at("version"), format!("version {version} is not {VERSION}")));
    }
    let status = match o.str("status")? {
        "idle" => Status::Idle,
        "active" => Status::Active,
        "ended" => Status::Ended,
        other => return Err(PathError::unknown(&o.at("status"), "status", other, "idle, active or ended")),
    };
    Ok(Session {
        user_id: o.str("user_id")?.to_string(),
        status,
        transcript: Transcript { entries: o.obj("transcript")?.list_of("entries", crate::wire::transcript::entry)? },
        pending: o.list_of("pending", pending)?,
        last_seq: o.u64("last_seq")?,
    })
}

fn pending(v: &Value, path: &Path) -> Result<Pending, PathError> {
    let o = Fields::new(v, *path)?;
    let action = o.require("action")?;
    Fields::new(action, o.at("action"))?;
    Ok(Pending {
        id: o.str("id")?.to_string(),
        action: action.clone(),
        undelivered: o.opt_bool("undelivered")?.unwrap_or(false),
    })
}

impl ToJson for Session {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("version", &VERSION).field("remote", &true).str("user_id", &self.user_id);
        o.str("status", self.status.name()).field("last_seq", &self.last_seq);
        let list = o.key("pending");
        list.push('[');
        for (i, p) in self.pending.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            Obj::new(list).str("id", &p.id).field("action", &p.action).field("undelivered", &p.undelivered).end();
        }
        list.push(']');
        o.field("transcript", &self.transcript).end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::wire::transcript::Body;

    fn traces(v: Value) -> Vec<Trace> {
        v.as_array().unwrap().iter().map(|t| Trace::from_value(t.clone()).unwrap()).collect()
    }

    fn hello() -> Vec<Trace> {
        traces(json!([{ "type": "text", "payload": { "message": "Hello", "delay": 0 } },
            { "type": "choice", "payload": { "buttons": [{ "name": "Yes", "request": { "type": "path-yes", "payload": { "label": "Yes" } } }] } }]))
    }

    #[test]
    fn a_turn_is_recorded_once_with_its_id() {
        let mut s = Session::new("u1");
        s.queue("t1", json!({ "type": "launch" }));
        s.queue("t2", json!({ "type": "text", "payload": "hi" }));
        assert_eq!(s.pending.len(), 2);
        assert!(s.delivered("t1", &hello(), 10));
        assert!(!s.delivered("t1", &hello(), 11), "a second answer to the same turn records nothing");
        assert_eq!(s.status, Status::Active);
        assert!(s.delivered(
            "t2",
            &traces(json!([{ "type": "text", "payload": { "message": "Hi there" } }, { "type": "end" }])),
            12
        ));
        assert_eq!(s.status, Status::Ended);
        assert!(s.pending.is_empty());
        let kinds: Vec<String> = s
            .transcript
            .entries
            .iter()
            .map(|e| match &e.body {
                Body::Message { text } => format!("{}: {text}", e.author_id),
                Body::SystemMessage { system_message_type, .. } => system_message_type.clone(),
                Body::Custom { .. } => "custom".into(),
                _ => "other".into(),
            })
            .collect();
        assert_eq!(kinds, ["session_started", "agent: Hello", "custom", "u1: hi", "agent: Hi there", "session_ended"]);
        assert_eq!(s.transcript.entries[3].id, "t2", "the user's entry carries the turn id");
    }

    #[test]
    fn undelivered_turns_wait_for_retry_and_refused_ones_go() {
        let mut s = Session::new("u1");
        s.queue("a", json!({ "type": "text", "payload": "one" }));
        s.queue("b", json!({ "type": "text", "payload": "two" }));
        assert_eq!(s.resend("a"), None, "only an undelivered turn can be retried");
        s.undelivered("a");
        s.forget("b");
        assert_eq!(s.pending.len(), 1);
        assert!(s.pending[0].undelivered);
        assert_eq!(s.resend("a"), Some(json!({ "type": "text", "payload": "one" })));
        assert!(!s.pending[0].undelivered);
        assert_eq!(s.resend("a"), None);
    }

    #[test]
    fn stream_items_are_recorded_once_in_order() {
        let mut s = Session::new("u1");
        let pushed = traces(json!([{ "type": "text", "payload": { "message": "Your order shipped" } }]));
        assert!(s.pushed(1, &pushed, 5));
        assert!(!s.pushed(1, &pushed, 6), "the same item again");
        assert!(s.pushed(3, &pushed, 7));
        assert!(!s.pushed(2, &pushed, 8), "an item older than one shown");
        assert_eq!(s.last_seq, 3);
        assert_eq!(s.transcript.entries.len(), 2);
    }

    #[test]
    fn restart_keeps_the_user_the_waiting_turns_and_the_stream_position() {
        let mut s = Session::new("u1");
        s.queue("a", json!({ "type": "launch" }));
        s.delivered("a", &hello(), 1);
        s.pushed(4, &hello(), 2);
        s.queue("b", json!({ "type": "text", "payload": "lost" }));
        s.undelivered("b");
        s.queue("c", json!({ "type": "launch" }));
        s.restart();
        assert_eq!((s.user_id.as_str(), s.status, s.last_seq), ("u1", Status::Idle, 4));
        assert!(s.transcript.entries.is_empty());
        assert_eq!(s.pending.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["c"]);
    }

    #[test]
    fn saved_and_read_back_exactly() {
        let mut s = Session::new("user \"7\"");
        s.queue("a", json!({ "type": "launch" }));
        s.delivered("a", &hello(), 1);
        s.pushed(9, &hello(), 2);
        s.queue(
            "b",
            json!({ "type": "event", "payload": { "event": { "name": "checkout", "data": { "total": 1.5 } } } }),
        );
        s.queue("c", json!({ "type": "text", "payload": "x" }));
        s.undelivered("c");
        let text = json::to_string(&s);
        let back = Session::from_json(&text).unwrap();
        assert_eq!(back, s);
        assert_eq!(json::to_string(&back), text);
    }

    #[test]
    fn unreadable_sessions_say_why() {
        let bad = |src: &str| Session::from_json(src).unwrap_err();
        assert!(bad("{\"version\":1").starts_with("not JSON: EOF"));
        assert_eq!(bad(r#"{"version":1,"agent":"shop"}"#), "remote: not a remote-mode session");
        assert_eq!(bad(r#"{"version":2,"remote":true}"#), "version: version 2 is not 1");
        let mut v = json::parse(&json::to_string(&Session::new("u"))).unwrap();
        v["status"] = json!("paused");
        assert_eq!(bad(&v.to_string()), "status: unknown status 'paused' (expected idle, active or ended)");
        v["status"] = json!("idle");
        v["pending"] = json!([{ "id": "a", "action": 3 }]);
        assert_eq!(bad(&v.to_string()), "pending[0].action: expected an object, found a number");
    }
}
