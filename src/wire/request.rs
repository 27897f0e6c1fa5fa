//! Requests: every Voiceflow request form (SPEC §3.1), parsed from the Dialog API body before a turn starts.
//!
//! Parsing is the only place a request can be refused. Once a [`Request`] exists the turn always runs, and
//! conversation outcomes (no match, unhandled event) come back as traces, never as errors.

use crate::json::{Map, Value};

use super::names;
use super::RequestError;
use crate::json::{self, Obj, ToJson};
use crate::json::{Path, Reader};
use crate::util::cat;

/// The largest request body accepted, in bytes of JSON.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// One parsed Dialog API body: `{"action": {...}, "config": {...}, "state": {"variables": {...}}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub request: Request,
    /// The action exactly as sent; it becomes `last_event`.
    pub raw: Value,
    pub config: Config,
    /// Variables merged into the session before the turn.
    pub variables: Map<String, Value>,
    /// A client id; a repeated one within a session is ignored (SPEC §1.3).
    pub custom_id: Option<String>,
    /// Client-set metadata (the action's `properties`, an object), kept on the request's transcript entry.
    pub properties: Map<String, Value>,
}

/// Turn options.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Trace types left out of the answer; `block`, `debug` and `flow` by default.
    pub exclude_types: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config { exclude_types: vec!["block".into(), "debug".into(), "flow".into()] }
    }
}

impl Config {
    pub fn wants(&self, trace_type: &str) -> bool {
        !self.exclude_types.iter().any(|t| t == trace_type)
    }
}

/// What the user or the page asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Launch,
    Text(String),
    Intent {
        name: String,
        entities: Map<String, Value>,
    },
    Event {
        name: String,
        data: Value,
    },
    /// A button path (`path-*`) or a custom action path: matched by type against the waiting step.
    Path {
        kind: String,
        label: Option<String>,
    },
    NoReply,
    File(FileInfo),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub url: Option<String>,
}

impl FileInfo {
    /// The fields into an object being written (a transcript entry inlines them after its `type`).
    pub fn fields<'o, 'a>(&self, o: &'o mut Obj<'a>) -> &'o mut Obj<'a> {
        o.field("name", &self.name).field("content_type", &self.content_type).field("size", &self.size);
        o.some("width", &self.width);
        o.some("height", &self.height);
        o.some("url", &self.url)
    }
}

/// `{name, content_type, size}` and `width`, `height`, `url` when known.
impl ToJson for FileInfo {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        self.fields(&mut o);
        o.end();
    }
}

impl Request {
    /// Whether this is the user speaking (it cancels no-reply timers and `cancelOnUserMessage` reminders).
    pub fn is_user_message(&self) -> bool {
        matches!(self, Request::Text(_) | Request::Intent { .. } | Request::Path { .. } | Request::File(_))
    }
}

impl Envelope {
    /// Parse a body given as JSON text.
    pub fn from_json(src: &str) -> Result<Envelope, RequestError> {
        if src.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::new(
                "request_too_large",
                format!("the request is {} bytes; the limit is {MAX_REQUEST_BYTES}", src.len()),
            ));
        }
        let v = json::parse(src)
            .map_err(|e| RequestError::new("invalid_json", format!("the request is not valid JSON: {e}")))?;
        Envelope::from_value(v)
    }

    /// Parse a body. A bare action (`{"type": ...}`) is accepted as well as `{"action": ...}`.
    pub fn from_value(v: Value) -> Result<Envelope, RequestError> {
        let mut no = RequestError { code: "invalid_request", message: String::new() };
        envelope(v, &mut no).ok_or(no)
    }

    /// A request built in code (the widget's own requests, tests).
    pub fn new(request: Request, raw: Value) -> Envelope {
        Envelope {
            request,
            raw,
            config: Config::default(),
            variables: Map::new(),
            custom_id: None,
            properties: Map::new(),
        }
    }
}

// The parsers below keep a refusal in `no` and return `None`: an `Option` moves less at each `?` than a `Result`
// carrying the error would.

/// Refuse the request with `code` and `message`; always `None`.
fn refuse<T>(no: &mut RequestError, code: &'static str, message: String) -> Option<T> {
    keep(no, code, message);
    None
}

/// The body of `refuse`, once for every result type.
#[inline(never)]
fn keep(no: &mut RequestError, code: &'static str, message: String) {
    no.code = code;
    no.message = message;
}

/// Refuse the request as `invalid_request`.
fn invalid<T>(no: &mut RequestError, message: &str) -> Option<T> {
    refuse(no, "invalid_request", message.to_string())
}

fn envelope(v: Value, no: &mut RequestError) -> Option<Envelope> {
    let Value::Object(mut body) = v else {
        return invalid(no, "the request must be a JSON object");
    };
    let action = match (json::take(&mut body, "action"), json::take(&mut body, "request")) {
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) if body.contains_key("type") => Value::Object(std::mem::take(&mut body)),
        (None, None) => return invalid(no, "the request has no 'action'"),
    };
    // Config and variables are checked borrowed and copied once the action has passed too.
    let exclude_types = check_config(body.get("config"), no)?;
    let variables = match body.get("state").and_then(|s| s.get("variables")) {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return invalid(no, "state.variables must be an object"),
    };
    let (request, custom_id) = parse_action(&action, no)?;
    let properties = match action.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return invalid(no, "properties must be an object"),
    };
    let mut config = Config::default();
    if let Some(list) = exclude_types {
        let mut types = Vec::with_capacity(list.len());
        for t in list {
            types.push(t.as_str().unwrap_or_default().to_string());
        }
        config.exclude_types = types;
    }
    let variables = variables.cloned().unwrap_or_default();
    Some(Envelope { request, raw: action, config, variables, custom_id, properties })
}

/// The string under `key` of an object.
fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key)?.as_str()
}

/// Check the turn options: `Some(Some(list))` when they set `excludeTypes` (a list of strings, checked).
fn check_config<'v>(v: Option<&'v Value>, no: &mut RequestError) -> Option<Option<&'v Vec<Value>>> {
    let m = match v {
        None | Some(Value::Null) => return Some(None),
        Some(Value::Object(m)) => m,
        Some(_) => return invalid(no, "config must be an object"),
    };
    let Some(ex) = m.get("excludeTypes") else { return Some(None) };
    let Some(list) = ex.as_array() else {
        return invalid(no, "config.excludeTypes must be a list");
    };
    for t in list {
        if !t.is_string() {
            return invalid(no, "config.excludeTypes must be a list of strings");
        }
    }
    Some(Some(list))
}

fn parse_action(action: &Value, no: &mut RequestError) -> Option<(Request, Option<String>)> {
    let Value::Object(a) = action else {
        return invalid(no, "the action must be an object with a 'type'");
    };
    let custom_id = match a.get("custom_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 200 => Some(s.clone()),
        Some(n @ Value::Number(_)) => Some(json::to_string(n)), // the number as written in JSON
        Some(_) => return invalid(no, "custom_id must be a string of 1 to 200 bytes"),
    };
    let Some(kind) = a.get("type").and_then(Value::as_str) else {
        return invalid(no, "the action needs a string 'type'");
    };
    let payload = a.get("payload").unwrap_or(&Value::Null);
    let request = match kind {
        "launch" => Request::Launch,
        "text" => match payload {
            Value::String(s) => Request::Text(s.clone()),
            Value::Number(_) | Value::Bool(_) => Request::Text(json::to_string(payload)),
            _ => return invalid(no, "a text action needs a string payload"),
        },
        "intent" => parse_intent(payload, no)?,
        "event" => parse_event(payload, no)?,
        "no-reply" => Request::NoReply,
        "file" => Request::File(parse_file(payload, no)?),
        "" => return invalid(no, "the action type is empty"),
        other => Request::Path { kind: other.to_string(), label: str_at(payload, "label").map(str::to_string) },
    };
    Some((request, custom_id))
}

fn parse_intent(payload: &Value, no: &mut RequestError) -> Option<Request> {
    let Some(name) = payload.get("intent").and_then(|i| str_at(i, "name")) else {
        return invalid(no, "an intent action needs payload.intent.name");
    };
    let mut entities = Map::new();
    if let Some(list) = payload.get("entities").and_then(Value::as_array) {
        for e in list {
            if let (Some(n), Some(v)) = (str_at(e, "name"), e.get("value")) {
                entities.insert(n.to_string(), v.clone());
            }
        }
    }
    Some(Request::Intent { name: name.to_string(), entities })
}

fn parse_event(payload: &Value, no: &mut RequestError) -> Option<Request> {
    // `{event: {name, data}}` as Voiceflow; a bare `{name, data}` or a string name are accepted too.
    let ev = payload.get("event").unwrap_or(payload);
    // The data is borrowed until the name has passed its checks.
    let (name, data) = match ev {
        Value::String(s) => (s.as_str(), None),
        Value::Object(m) => match str_at(ev, "name") {
            Some(name) => (name, m.get("data")),
            None => return invalid(no, "an event action needs payload.event.name (a string)"),
        },
        _ => return invalid(no, "an event action needs payload.event.name"),
    };
    if let Err(e) = names::check_name(name) {
        return refuse(no, "invalid_event_name", format!("bad event name: {e}"));
    }
    if let Some(sys) = names::system_event(name) {
        return refuse(
            no,
            "system_event",
            cat(&["'", sys, "' is a system event: only the engine raises it, a client cannot send it"]),
        );
    }
    Some(Request::Event { name: name.to_string(), data: data.cloned().unwrap_or(Value::Null) })
}

fn parse_file(payload: &Value, no: &mut RequestError) -> Option<FileInfo> {
    let info = match file(payload, "payload") {
        Ok(info) => info,
        Err(e) => return refuse(no, "invalid_file", cat(&["a file action needs {name, content_type, size}: ", &e])),
    };
    if info.name.is_empty() || info.name.len() > 255 {
        return refuse(no, "invalid_file", "the file name must be 1 to 255 bytes".into());
    }
    if let Some(url) = &info.url {
        if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("blob:")) {
            return refuse(no, "invalid_file", "a file url must be http, https or blob".into());
        }
    }
    Some(info)
}

/// The file fields of a `file` request's payload `v` (an object), at `path`.
pub fn file(v: &Value, path: &str) -> Result<FileInfo, String> {
    let mut r = Reader::default();
    let path = Path::top(path);
    let o = r.object(v, &path);
    o.and_then(|o| r.file(o, &path)).ok_or(r.error)
}

impl Reader {
    /// The file fields of a transcript entry or a `file` request's payload.
    pub(crate) fn file(&mut self, o: &Map<String, Value>, path: &Path) -> Option<FileInfo> {
        let name = self.text(o, "name", path)?;
        let content_type = self.text(o, "content_type", path)?;
        let size = self.number(o, "size", path)?;
        let width = self.dim(o, "width", path)?;
        let height = self.dim(o, "height", path)?;
        let url = self.opt_text(o, "url", path)?;
        Some(FileInfo {
            name: name.to_string(),
            content_type: content_type.to_string(),
            size,
            width,
            height,
            url: url.map(str::to_string),
        })
    }

    /// An optional whole number under `key`, at most `u32::MAX`.
    fn dim(&mut self, o: &Map<String, Value>, key: &str, path: &Path) -> Option<Option<u32>> {
        Some(self.opt_number(o, key, path)?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }
}
