//! Requests: every Voiceflow request form (SPEC §3.1), parsed from the Dialog API body before a turn starts.
//!
//! Parsing is the only place a request can be refused. Once a [`Request`] exists the turn always runs, and
//! conversation outcomes (no match, unhandled event) come back as traces, never as errors.

use super::names;
use super::RequestError;
use crate::json::{self, Fields, Map, Obj, Path, PathError, ToJson, Value};

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
        let Value::Object(mut body) = v else {
            return Err(invalid("the request must be a JSON object"));
        };
        let action = match (json::take(&mut body, "action"), json::take(&mut body, "request")) {
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) if body.contains_key("type") => Value::Object(std::mem::take(&mut body)),
            (None, None) => return Err(invalid("the request has no 'action'")),
        };
        // Config and variables are checked before the action; the variables are copied once it has passed too.
        let body = Fields { map: &body, path: Path::Root };
        let exclude_types = exclude_types(&body).map_err(shape)?;
        let variables = match body.get("state") {
            // A `state` that is not an object holds no variables.
            Some(state @ Value::Object(_)) => Fields::new(state, body.at("state")).and_then(|s| s.opt_map("variables")),
            _ => Ok(None),
        }
        .map_err(shape)?;
        let (request, custom_id) = parse_action(&action)?;
        let properties = match action.get("properties") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(invalid("properties must be an object")),
        };
        let mut config = Config::default();
        if let Some(list) = exclude_types {
            config.exclude_types = list;
        }
        let variables = variables.cloned().unwrap_or_default();
        Ok(Envelope { request, raw: action, config, variables, custom_id, properties })
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

/// A refusal as `invalid_request`.
fn invalid(message: &str) -> RequestError {
    RequestError::new("invalid_request", message)
}

/// A body of the wrong shape, refused as `invalid_request` with the path of the problem.
fn shape(e: PathError) -> RequestError {
    RequestError::new("invalid_request", e.to_string())
}

/// The string under `key` of an object.
fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key)?.as_str()
}

/// The turn options' `config.excludeTypes` (a list of strings), when they set it.
fn exclude_types(body: &Fields) -> Result<Option<Vec<String>>, PathError> {
    let Some(config) = body.opt_obj("config")? else { return Ok(None) };
    if !config.has("excludeTypes") {
        return Ok(None);
    }
    config.list_of("excludeTypes", |v, path| json::expect_str(v, path).map(str::to_string)).map(Some)
}

fn parse_action(action: &Value) -> Result<(Request, Option<String>), RequestError> {
    let Value::Object(a) = action else {
        return Err(invalid("the action must be an object with a 'type'"));
    };
    let custom_id = match a.get("custom_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 200 => Some(s.clone()),
        Some(n @ Value::Number(_)) => Some(json::to_string(n)), // the number as written in JSON
        Some(_) => return Err(invalid("custom_id must be a string of 1 to 200 bytes")),
    };
    let Some(kind) = a.get("type").and_then(Value::as_str) else {
        return Err(invalid("the action needs a string 'type'"));
    };
    let payload = a.get("payload").unwrap_or(&Value::Null);
    let request = match kind {
        "launch" => Request::Launch,
        "text" => match payload {
            Value::String(s) => Request::Text(s.clone()),
            Value::Number(_) | Value::Bool(_) => Request::Text(json::to_string(payload)),
            _ => return Err(invalid("a text action needs a string payload")),
        },
        "intent" => parse_intent(payload)?,
        "event" => parse_event(payload)?,
        "no-reply" => Request::NoReply,
        "file" => Request::File(parse_file(payload)?),
        "" => return Err(invalid("the action type is empty")),
        other => Request::Path { kind: other.to_string(), label: str_at(payload, "label").map(str::to_string) },
    };
    Ok((request, custom_id))
}

fn parse_intent(payload: &Value) -> Result<Request, RequestError> {
    let Some(name) = payload.get("intent").and_then(|i| str_at(i, "name")) else {
        return Err(invalid("an intent action needs payload.intent.name"));
    };
    let mut entities = Map::new();
    if let Some(list) = payload.get("entities").and_then(Value::as_array) {
        for e in list {
            if let (Some(n), Some(v)) = (str_at(e, "name"), e.get("value")) {
                entities.insert(n.to_string(), v.clone());
            }
        }
    }
    Ok(Request::Intent { name: name.to_string(), entities })
}

fn parse_event(payload: &Value) -> Result<Request, RequestError> {
    // `{event: {name, data}}` as Voiceflow; a bare `{name, data}` or a string name are accepted too.
    let ev = payload.get("event").unwrap_or(payload);
    // The data is borrowed until the name has passed its checks.
    let (name, data) = match ev {
        Value::String(s) => (s.as_str(), None),
        Value::Object(m) => match str_at(ev, "name") {
            Some(name) => (name, m.get("data")),
            None => return Err(invalid("an event action needs payload.event.name (a string)")),
        },
        _ => return Err(invalid("an event action needs payload.event.name")),
    };
    if let Err(e) = names::check_name(name) {
        return Err(RequestError::new("invalid_event_name", format!("bad event name: {e}")));
    }
    if let Some(sys) = names::system_event(name) {
        return Err(RequestError::new(
            "system_event",
            format!("'{sys}' is a system event: only the engine raises it, a client cannot send it"),
        ));
    }
    Ok(Request::Event { name: name.to_string(), data: data.cloned().unwrap_or(Value::Null) })
}

fn parse_file(payload: &Value) -> Result<FileInfo, RequestError> {
    let refuse = |message: String| RequestError::new("invalid_file", message);
    let info = Fields::new(payload, Path::top("payload"))
        .and_then(|o| FileInfo::read(&o))
        .map_err(|e| refuse(format!("a file action needs {{name, content_type, size}}: {e}")))?;
    if info.name.is_empty() || info.name.len() > 255 {
        return Err(refuse("the file name must be 1 to 255 bytes".into()));
    }
    if let Some(url) = &info.url {
        if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("blob:")) {
            return Err(refuse("a file url must be http, https or blob".into()));
        }
    }
    Ok(info)
}

impl FileInfo {
    /// The file fields of a transcript entry or a `file` request's payload, the object `o`.
    pub(crate) fn read(o: &Fields) -> Result<FileInfo, PathError> {
        let name = o.str("name")?;
        let content_type = o.str("content_type")?;
        let size = o.u64("size")?;
        // Dimensions beyond `u32` are kept as `u32::MAX`.
        let dim = |key| Ok::<_, PathError>(o.opt_u64(key)?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)));
        let width = dim("width")?;
        let height = dim("height")?;
        let url = o.opt_str("url")?;
        Ok(FileInfo {
            name: name.to_string(),
            content_type: content_type.to_string(),
            size,
            width,
            height,
            url: url.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> String {
        Envelope::from_json(body).unwrap_err().to_string()
    }

    #[test]
    fn shape_refusals_name_the_path() {
        let launch = r#""action":{"type":"launch"}"#;
        let cases = [
            (format!(r#"{{{launch},"config":3}}"#), "invalid_request: config: expected an object, found a number"),
            (
                format!(r#"{{{launch},"config":{{"excludeTypes":"debug"}}}}"#),
                "invalid_request: config.excludeTypes: expected a list, found a string",
            ),
            (
                format!(r#"{{{launch},"config":{{"excludeTypes":["debug",1]}}}}"#),
                "invalid_request: config.excludeTypes[1]: expected a string, found a number",
            ),
            (
                format!(r#"{{{launch},"state":{{"variables":[]}}}}"#),
                "invalid_request: state.variables: expected an object, found a list",
            ),
            (
                r#"{"action":{"type":"file","payload":{"name":"a","content_type":"b","size":-1}}}"#.to_string(),
                "invalid_file: a file action needs {name, content_type, size}: \
                 payload.size: expected a whole number of 0 or more, found a number",
            ),
            (
                r#"{"action":{"type":"file","payload":[]}}"#.to_string(),
                "invalid_file: a file action needs {name, content_type, size}: payload: expected an object, found a list",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(refusal(&body), want, "{body}");
        }
    }

    #[test]
    fn good_bodies_keep_their_options() {
        let e = Envelope::from_json(
            r#"{"action":{"type":"text","payload":"hi"},"config":{"excludeTypes":["debug"]},"state":{"variables":{"a":1}}}"#,
        )
        .unwrap();
        assert_eq!(e.request, Request::Text("hi".into()));
        assert_eq!(e.config.exclude_types, ["debug"]);
        assert_eq!(e.variables.get("a").and_then(Value::as_u64), Some(1));
        // A `state` that is not an object and null options are ignored.
        let e = Envelope::from_json(r#"{"type":"launch","config":null,"state":3}"#).unwrap();
        assert_eq!(e.config, Config::default());
        assert!(e.variables.is_empty());
    }
}
