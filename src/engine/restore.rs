//! Reading a saved session back, by hand, from one parsed `json::Value`.
//!
//! Saving is `ToJson` in `session.rs`; reading is written out here because derived deserializers
//! for the session, its timers and the flattened transcript entries were a large part of the wasm module. The
//! first problem found is reported with its path (`stack[0].state: ...`).

use crate::json::Named;

use crate::json::{Map, Value};

use super::error::StateError;
use super::session::{Frame, FrameState, PendingWebhook, Session, Status, Timer, TimerKind, STATE_VERSION};
use crate::json::{Path, Reader};
use crate::wire::transcript::Transcript;

impl Session {
    /// Read a saved session. A state of another version gets a clear error naming both versions.
    pub fn from_json(src: &str) -> Result<Session, StateError> {
        let v = crate::json::parse_limited(src, super::session::SESSION_MAX_DEPTH)
            .map_err(|e| StateError::Invalid(e.to_string()))?;
        session(&v)
    }
}

/// Read a session saved by [`Session::to_json`].
pub fn session(v: &Value) -> Result<Session, StateError> {
    let mut r = Reader::default();
    let Some(o) = r.object(v, &Path::Root) else { return Err(StateError::Invalid(r.error)) };
    match o.get("version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(STATE_VERSION) => {}
        Some(n) => return Err(StateError::Version { found: n, expected: STATE_VERSION }),
        None => return Err(StateError::Invalid("missing 'version'".into())),
    }
    r.session(o).ok_or(StateError::Invalid(r.error))
}

impl Reader {
    // The readers below read names borrowed and copy them once every check has passed: an owned value alive at a
    // `?` would bring its drop code to that early return.

    fn session(&mut self, o: &Map<String, Value>) -> Option<Session> {
        let top = &Path::Root;
        let agent = self.text(o, "agent", top)?;
        let user_id = self.text(o, "user_id", top)?;
        let status = match self.text(o, "status", top)? {
            "idle" => Status::Idle,
            "active" => Status::Active,
            "ended" => Status::Ended,
            other => return self.unknown(&top.key("status"), "status", other),
        };
        let stack = self.list(o, "stack", top, Reader::frame)?;
        let Some(Value::Object(variables)) = o.get("variables") else {
            return self.fail(top, "variables: expected an object");
        };
        let timers = self.list(o, "timers", top, Reader::timer)?;
        let entries = {
            let path = Path::top("transcript");
            let t = self.field(o, "transcript", top)?;
            let t = self.object(t, &path)?;
            self.list(t, "entries", &path, Reader::entry)?
        };
        let custom_ids = self.list(o, "custom_ids", top, Reader::str_of)?;
        let turns = self.number(o, "turns", top)?;
        let next_id = self.number(o, "next_id", top)?;
        let pending_webhook = match o.get("pending_webhook") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let p = &Path::top("pending_webhook");
                let w = self.object(v, p)?;
                let id = self.number(w, "id", p)?;
                let flow = self.text(w, "flow", p)?;
                let step = self.text(w, "step", p)?;
                let chain_depth = usize::try_from(self.number(w, "chain_depth", p)?).unwrap_or(usize::MAX);
                let chain = match w.get("chain") {
                    None => Vec::new(),
                    Some(_) => self.list(w, "chain", p, Reader::str_of)?,
                };
                Some(PendingWebhook { id, flow: flow.to_string(), step: step.to_string(), chain_depth, chain })
            }
        };
        let mut vars = Vec::with_capacity(variables.len());
        for (k, v) in variables {
            vars.push((k.clone(), v.clone()));
        }
        Some(Session {
            version: STATE_VERSION,
            agent: agent.to_string(),
            user_id: user_id.to_string(),
            status,
            stack,
            variables: Named::from_pairs(vars),
            timers,
            transcript: Transcript { entries },
            custom_ids,
            turns,
            next_id,
            pending_webhook,
            soft_limit_raised: o.get("soft_limit_raised").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    fn frame(&mut self, v: &Value, path: &Path) -> Option<Frame> {
        let o = self.object(v, path)?;
        let flow = self.text(o, "flow", path)?;
        let step = self.opt_text(o, "step", path)?;
        let state = match self.text(o, "state", path)? {
            "ready" => FrameState::Ready,
            "listening" => FrameState::Listening,
            "paused" => FrameState::Paused,
            "webhook" => FrameState::Webhook,
            other => return self.unknown(&path.key("state"), "state", other),
        };
        let no_matches = u32::try_from(self.opt_number(o, "no_matches", path)?.unwrap_or(0)).unwrap_or(u32::MAX);
        let no_replies = u32::try_from(self.opt_number(o, "no_replies", path)?.unwrap_or(0)).unwrap_or(u32::MAX);
        Some(Frame { flow: flow.to_string(), step: step.map(str::to_string), state, no_matches, no_replies })
    }

    fn timer(&mut self, v: &Value, path: &Path) -> Option<Timer> {
        let o = self.object(v, path)?;
        let kp = &path.key("kind");
        let k = self.field(o, "kind", path)?;
        let k = self.object(k, kp)?;
        let kind = self.text(k, "type", kp)?;
        // The kind's names, borrowed: (`flow` or `name`, `step`).
        let (first, step) = match kind {
            "no_reply" => (self.text(k, "flow", kp)?, Some(self.text(k, "step", kp)?)),
            "resume" => (self.text(k, "flow", kp)?, self.opt_text(k, "step", kp)?),
            "event" => (self.text(k, "name", kp)?, None),
            other => return self.unknown(&kp.key("type"), "timer", other),
        };
        let id = self.number(o, "id", path)?;
        let at = self.number(o, "at", path)?;
        let kind = match kind {
            "no_reply" => TimerKind::NoReply { flow: first.to_string(), step: step.unwrap_or_default().to_string() },
            "resume" => TimerKind::Resume { flow: first.to_string(), step: step.map(str::to_string) },
            _ => TimerKind::Event { name: first.to_string(), data: k.get("data").cloned().unwrap_or(Value::Null) },
        };
        let cancel_on_user_message = o.get("cancel_on_user_message").and_then(Value::as_bool).unwrap_or(false);
        let chain_depth = usize::try_from(self.opt_number(o, "chain_depth", path)?.unwrap_or(0)).unwrap_or(usize::MAX);
        Some(Timer { id, at, kind, cancel_on_user_message, chain_depth })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    /// The error for a saved session whose `key` (a dotted path) is replaced by `value`.
    fn error_with(path: &[&str], value: Value) -> String {
        let mut v = json::parse(&Session::new("shop", "u1").to_json()).unwrap();
        let entry =
            r#"{"id":"e1","order":1,"author_id":"u1","timestamp":5,"recipients":"all","type":"message","text":"hi"}"#;
        let timer = r#"{"id":1,"at":2,"kind":{"type":"resume","flow":"main","step":null}}"#;
        let frame = r#"{"flow":"main","step":"a","state":"ready","no_matches":0,"no_replies":0}"#;
        v["transcript"]["entries"] = Value::Array(vec![json::parse(entry).unwrap()]);
        v["timers"] = Value::Array(vec![json::parse(timer).unwrap()]);
        v["stack"] = Value::Array(vec![json::parse(frame).unwrap()]);
        assert!(session(&v).is_ok());
        let mut target = &mut v;
        for key in &path[..path.len() - 1] {
            target = match key.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*key],
            };
        }
        target[path[path.len() - 1]] = value;
        session(&v).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_path() {
        let bad = || Value::String("bad".into());
        let cases: &[(&[&str], Value, &str)] = &[
            (&["status"], bad(), "status: unknown status 'bad'"),
            (&["stack", "0", "state"], bad(), "stack[0].state: unknown state 'bad'"),
            (&["stack", "0", "flow"], Value::Null, "stack[0].flow: expected a string"),
            (&["timers", "0", "kind", "type"], bad(), "timers[0].kind.type: unknown timer 'bad'"),
            (&["timers", "0", "at"], bad(), "timers[0].at: expected a whole number"),
            (&["transcript", "entries", "0", "type"], bad(), "transcript.entries[0].type: unknown entry type 'bad'"),
            (
                &["transcript", "entries", "0", "recipients"],
                bad(),
                "transcript.entries[0].recipients: unknown recipients 'bad'",
            ),
            (
                &["transcript", "entries", "0", "properties"],
                bad(),
                "transcript.entries[0].properties: expected an object",
            ),
            (&["transcript", "entries"], bad(), "transcript.entries: expected a list"),
            (&["pending_webhook"], bad(), "pending_webhook: expected an object"),
            (&["turns"], bad(), "turns: expected a whole number"),
        ];
        for (path, value, message) in cases {
            assert_eq!(error_with(path, value.clone()), ["the saved session is not valid: ", message].concat());
        }
    }
}
