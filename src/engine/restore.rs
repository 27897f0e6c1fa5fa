//! Reading a saved session back, by hand, from one parsed `json::Value`.
//!
//! Saving is `ToJson` in `session.rs`; reading is written out here with the shared JSON reader
//! ([`crate::json::Fields`]) because derived deserializers for the session, its timers and the flattened
//! transcript entries were a large part of the wasm module. The first problem found is reported with its path
//! (`stack[0].state: ...`).

use crate::json::{expect_str, Fields, Named, Path, PathError, Value};

use super::error::StateError;
use super::session::{Frame, FrameState, PendingWebhook, Session, Status, Timer, TimerKind, STATE_VERSION};
use crate::wire::transcript::{self, Transcript};

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
    let invalid = |e: PathError| StateError::Invalid(e.to_string());
    let o = Fields::new(v, Path::Root).map_err(invalid)?;
    match o.get("version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(STATE_VERSION) => {}
        Some(n) => return Err(StateError::Version { found: n, expected: STATE_VERSION }),
        None => return Err(StateError::Invalid("missing 'version'".into())),
    }
    read_session(&o).map_err(invalid)
}

fn read_session(o: &Fields) -> Result<Session, PathError> {
    let agent = o.str("agent")?;
    let user_id = o.str("user_id")?;
    let status = match o.str("status")? {
        "idle" => Status::Idle,
        "active" => Status::Active,
        "ended" => Status::Ended,
        other => return Err(PathError::unknown(&o.at("status"), "status", other, "idle, active or ended")),
    };
    let stack = o.list_of("stack", frame)?;
    let variables = match o.require("variables")? {
        Value::Object(m) => m,
        v => return Err(PathError::wrong(&o.at("variables"), "an object", v)),
    };
    let timers = o.list_of("timers", timer)?;
    let entries = o.obj("transcript")?.list_of("entries", transcript::entry)?;
    let custom_ids = o.list_of("custom_ids", |v, path| expect_str(v, path).map(str::to_string))?;
    let turns = o.u64("turns")?;
    let next_id = o.u64("next_id")?;
    let pending_webhook = match o.opt_obj("pending_webhook")? {
        None => None,
        Some(w) => {
            let id = w.u64("id")?;
            let flow = w.str("flow")?;
            let step = w.str("step")?;
            let chain_depth = usize::try_from(w.u64("chain_depth")?).unwrap_or(usize::MAX);
            // Absent in sessions saved before the chain was kept.
            let chain = if w.has("chain") {
                w.list_of("chain", |v, path| expect_str(v, path).map(str::to_string))?
            } else {
                Vec::new()
            };
            Some(PendingWebhook { id, flow: flow.to_string(), step: step.to_string(), chain_depth, chain })
        }
    };
    let mut vars = Vec::with_capacity(variables.len());
    for (k, v) in variables {
        vars.push((k.clone(), v.clone()));
    }
    Ok(Session {
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

fn frame(v: &Value, path: &Path) -> Result<Frame, PathError> {
    let o = Fields::new(v, *path)?;
    let flow = o.str("flow")?;
    let step = o.opt_str("step")?;
    let state = match o.str("state")? {
        "ready" => FrameState::Ready,
        "listening" => FrameState::Listening,
        "paused" => FrameState::Paused,
        "webhook" => FrameState::Webhook,
        other => return Err(PathError::unknown(&o.at("state"), "state", other, "ready, listening, paused or webhook")),
    };
    let no_matches = u32::try_from(o.opt_u64("no_matches")?.unwrap_or(0)).unwrap_or(u32::MAX);
    let no_replies = u32::try_from(o.opt_u64("no_replies")?.unwrap_or(0)).unwrap_or(u32::MAX);
    Ok(Frame { flow: flow.to_string(), step: step.map(str::to_string), state, no_matches, no_replies })
}

fn timer(v: &Value, path: &Path) -> Result<Timer, PathError> {
    let o = Fields::new(v, *path)?;
    let k = o.obj("kind")?;
    let kind = match k.str("type")? {
        "no_reply" => TimerKind::NoReply { flow: k.str("flow")?.to_string(), step: k.str("step")?.to_string() },
        "resume" => {
            TimerKind::Resume { flow: k.str("flow")?.to_string(), step: k.opt_str("step")?.map(str::to_string) }
        }
        "event" => TimerKind::Event {
            name: k.str("name")?.to_string(),
            data: k.map.get("data").cloned().unwrap_or(Value::Null),
        },
        other => return Err(PathError::unknown(&k.at("type"), "timer", other, "no_reply, resume or event")),
    };
    let id = o.u64("id")?;
    let at = o.u64("at")?;
    let cancel_on_user_message = o.get("cancel_on_user_message").and_then(Value::as_bool).unwrap_or(false);
    let chain_depth = usize::try_from(o.opt_u64("chain_depth")?.unwrap_or(0)).unwrap_or(usize::MAX);
    Ok(Timer { id, at, kind, cancel_on_user_message, chain_depth })
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
            (&["status"], bad(), "status: unknown status 'bad' (expected idle, active or ended)"),
            (&["stack", "0", "state"], bad(), "stack[0].state: unknown state 'bad' (expected ready, listening, paused or webhook)"),
            (&["stack", "0", "flow"], Value::Null, "stack[0].flow: expected a string, found null"),
            (&["timers", "0", "kind", "type"], bad(), "timers[0].kind.type: unknown timer 'bad' (expected no_reply, resume or event)"),
            (&["timers", "0", "at"], bad(), "timers[0].at: expected a whole number of 0 or more, found a string"),
            (
                &["transcript", "entries", "0", "type"],
                bad(),
                "transcript.entries[0].type: unknown entry type 'bad' (expected message, annotation, system_message, file or custom)",
            ),
            (
                &["transcript", "entries", "0", "recipients"],
                bad(),
                "transcript.entries[0].recipients: unknown recipients 'bad' (expected all or agents)",
            ),
            (
                &["transcript", "entries", "0", "properties"],
                bad(),
                "transcript.entries[0].properties: expected an object, found a string",
            ),
            (&["transcript", "entries"], bad(), "transcript.entries: expected a list, found a string"),
            (&["pending_webhook"], bad(), "pending_webhook: expected an object, found a string"),
            (&["turns"], bad(), "turns: expected a whole number of 0 or more, found a string"),
            (&["variables"], bad(), "variables: expected an object, found a string"),
            (&["custom_ids"], Value::Array(vec![Value::Null]), "custom_ids[0]: expected a string, found null"),
        ];
        for (path, value, message) in cases {
            assert_eq!(error_with(path, value.clone()), ["the saved session is not valid: ", message].concat());
        }
    }

    #[test]
    fn missing_keys_are_named_at_their_object() {
        let mut v = json::parse(&Session::new("shop", "u1").to_json()).unwrap();
        v.as_object_mut().unwrap().remove("user_id");
        assert_eq!(session(&v).unwrap_err().to_string(), "the saved session is not valid: missing key 'user_id'");
        let mut v = json::parse(&Session::new("shop", "u1").to_json()).unwrap();
        v["transcript"].as_object_mut().unwrap().remove("entries");
        let e = session(&v).unwrap_err().to_string();
        assert_eq!(e, "the saved session is not valid: transcript: missing key 'entries'");
    }
}
