//! Reading a saved session back, by hand, from one parsed `json::Value`.
//!
//! Saving is `ToJson` in `session.rs`; reading is written out here because derived deserializers
//! for the session, its timers and the flattened transcript entries were a large part of the wasm module. The
//! first problem found is reported with its path (`stack[0].state: ...`).

use super::agent::Named;

use crate::engine::json::{Map, Value};

use super::decode::Path;
use super::error::StateError;
use super::request::FileInfo;
use super::session::{Frame, FrameState, PendingWebhook, Session, Status, Timer, TimerKind, STATE_VERSION};
use super::transcript::{Body, Entry, Recipients, Transcript};

type R<T> = Result<T, String>;

/// Read a session saved by [`Session::to_json`].
pub fn session(v: &Value) -> Result<Session, StateError> {
    let o = object(v, &Path::Root).map_err(StateError::Invalid)?;
    match o.get("version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(STATE_VERSION) => {}
        Some(n) => return Err(StateError::Version { found: n, expected: STATE_VERSION }),
        None => return Err(StateError::Invalid("missing 'version'".into())),
    }
    read_session(o).map_err(StateError::Invalid)
}

fn read_session(o: &Map<String, Value>) -> R<Session> {
    let top = &Path::Root;
    Ok(Session {
        version: STATE_VERSION,
        agent: string(o, "agent", top)?,
        user_id: string(o, "user_id", top)?,
        status: match string(o, "status", top)?.as_str() {
            "idle" => Status::Idle,
            "active" => Status::Active,
            "ended" => Status::Ended,
            other => return Err(["status: unknown status '", other, "'"].concat()),
        },
        stack: list(o, "stack", top, frame)?,
        variables: match o.get("variables") {
            Some(Value::Object(m)) => {
                let mut vars = Named::new();
                for (k, v) in m {
                    vars.insert(k.clone(), v.clone());
                }
                vars
            }
            _ => return Err("variables: expected an object".into()),
        },
        timers: list(o, "timers", top, timer)?,
        transcript: {
            let path = Path::top("transcript");
            let t = object(field(o, "transcript", top)?, &path)?;
            Transcript { entries: list(t, "entries", &path, entry)? }
        },
        custom_ids: list(o, "custom_ids", top, str_of)?,
        turns: number(o, "turns", top)?,
        next_id: number(o, "next_id", top)?,
        pending_webhook: match o.get("pending_webhook") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let p = &Path::top("pending_webhook");
                let w = object(v, p)?;
                Some(PendingWebhook {
                    id: number(w, "id", p)?,
                    flow: string(w, "flow", p)?,
                    step: string(w, "step", p)?,
                    chain_depth: usize::try_from(number(w, "chain_depth", p)?).unwrap_or(usize::MAX),
                })
            }
        },
        soft_limit_raised: o.get("soft_limit_raised").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn frame(v: &Value, path: &Path) -> R<Frame> {
    let o = object(v, path)?;
    Ok(Frame {
        flow: string(o, "flow", path)?,
        step: opt_string(o, "step", path)?,
        state: match string(o, "state", path)?.as_str() {
            "ready" => FrameState::Ready,
            "listening" => FrameState::Listening,
            "paused" => FrameState::Paused,
            "webhook" => FrameState::Webhook,
            other => return Err(fail(&path.key("state"), &["unknown state '", other, "'"].concat())),
        },
        no_matches: u32::try_from(opt_number(o, "no_matches", path)?.unwrap_or(0)).unwrap_or(u32::MAX),
        no_replies: u32::try_from(opt_number(o, "no_replies", path)?.unwrap_or(0)).unwrap_or(u32::MAX),
    })
}

fn timer(v: &Value, path: &Path) -> R<Timer> {
    let o = object(v, path)?;
    let kp = &path.key("kind");
    let k = object(field(o, "kind", path)?, kp)?;
    let kind = match string(k, "type", kp)?.as_str() {
        "no_reply" => TimerKind::NoReply { flow: string(k, "flow", kp)?, step: string(k, "step", kp)? },
        "resume" => TimerKind::Resume { flow: string(k, "flow", kp)?, step: opt_string(k, "step", kp)? },
        "event" => {
            TimerKind::Event { name: string(k, "name", kp)?, data: k.get("data").cloned().unwrap_or(Value::Null) }
        }
        other => return Err(fail(&kp.key("type"), &["unknown timer '", other, "'"].concat())),
    };
    Ok(Timer {
        id: number(o, "id", path)?,
        at: number(o, "at", path)?,
        kind,
        cancel_on_user_message: o.get("cancel_on_user_message").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn entry(v: &Value, path: &Path) -> R<Entry> {
    let o = object(v, path)?;
    let body = match string(o, "type", path)?.as_str() {
        "message" => Body::Message { text: string(o, "text", path)? },
        "annotation" => {
            Body::Annotation { text: string(o, "text", path)?, annotation_type: string(o, "annotation_type", path)? }
        }
        "system_message" => Body::SystemMessage {
            text: string(o, "text", path)?,
            system_message_type: string(o, "system_message_type", path)?,
        },
        "file" => Body::File(file_at(o, path)?),
        "custom" => Body::Custom { content: o.get("content").cloned().unwrap_or(Value::Null) },
        other => return Err(fail(&path.key("type"), &["unknown entry type '", other, "'"].concat())),
    };
    Ok(Entry {
        id: string(o, "id", path)?,
        custom_id: opt_string(o, "custom_id", path)?,
        order: number(o, "order", path)?,
        author_id: string(o, "author_id", path)?,
        timestamp: number(o, "timestamp", path)?,
        recipients: match string(o, "recipients", path)?.as_str() {
            "all" => Recipients::All,
            "agents" => Recipients::Agents,
            other => return Err(fail(&path.key("recipients"), &["unknown recipients '", other, "'"].concat())),
        },
        properties: match o.get("properties") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(fail(&path.key("properties"), "expected an object")),
        },
        body,
    })
}

/// The file fields of a `file` request's payload, an object at `path`.
pub fn file(o: &Map<String, Value>, path: &str) -> R<FileInfo> {
    file_at(o, &Path::top(path))
}

/// The file fields of a transcript entry or a `file` request's payload.
fn file_at(o: &Map<String, Value>, path: &Path) -> R<FileInfo> {
    let dim =
        |key: &str| -> R<Option<u32>> { Ok(opt_number(o, key, path)?.map(|n| u32::try_from(n).unwrap_or(u32::MAX))) };
    Ok(FileInfo {
        name: string(o, "name", path)?,
        content_type: string(o, "content_type", path)?,
        size: number(o, "size", path)?,
        width: dim("width")?,
        height: dim("height")?,
        url: opt_string(o, "url", path)?,
    })
}

/// The object `v` at `path` (an empty path: the document).
pub fn obj<'v>(v: &'v Value, path: &str) -> R<&'v Map<String, Value>> {
    object(v, &Path::top(path))
}

fn object<'v>(v: &'v Value, path: &Path) -> R<&'v Map<String, Value>> {
    v.as_object().ok_or_else(|| fail(path, "expected an object"))
}

/// The error `path: message`, or just `message` when the path is empty.
fn fail(path: &Path, message: &str) -> String {
    let mut out = path.render();
    if !out.is_empty() {
        out.push_str(": ");
    }
    out.push_str(message);
    out
}

fn field<'v>(o: &'v Map<String, Value>, key: &str, path: &Path) -> R<&'v Value> {
    o.get(key).ok_or_else(|| fail(&path.key(key), "missing"))
}

fn str_of(v: &Value, path: &Path) -> R<String> {
    v.as_str().map(str::to_string).ok_or_else(|| fail(path, "expected a string"))
}

fn string(o: &Map<String, Value>, key: &str, path: &Path) -> R<String> {
    str_of(field(o, key, path)?, &path.key(key))
}

fn opt_string(o: &Map<String, Value>, key: &str, path: &Path) -> R<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => str_of(v, &path.key(key)).map(Some),
    }
}

fn number(o: &Map<String, Value>, key: &str, path: &Path) -> R<u64> {
    field(o, key, path)?.as_u64().ok_or_else(|| fail(&path.key(key), "expected a whole number"))
}

fn opt_number(o: &Map<String, Value>, key: &str, path: &Path) -> R<Option<u64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| fail(&path.key(key), "expected a whole number")),
    }
}

fn list<T>(o: &Map<String, Value>, key: &str, path: &Path, item: fn(&Value, &Path) -> R<T>) -> R<Vec<T>> {
    let p = path.key(key);
    let items = array(field(o, key, path)?, &p)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        out.push(item(v, &p.index(i))?);
    }
    Ok(out)
}

/// The items of the list `v` at `path`.
fn array<'v>(v: &'v Value, path: &Path) -> R<&'v [Value]> {
    match v {
        Value::Array(items) => Ok(items),
        _ => Err(fail(path, "expected a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::json;
    use super::*;

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
