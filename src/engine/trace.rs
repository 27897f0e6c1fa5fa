//! Traces: what a turn returns, in the Voiceflow Dialog API's JSON shape (SPEC §3.2).
//!
//! A trace serialises as `{"time", "type", "payload"}` exactly as the Voiceflow runtime sends it, so local mode,
//! remote mode and our server produce the same JSON. Unknown types read from a server are kept as [`TraceKind::Custom`].

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

/// One trace of a turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Epoch milliseconds of the turn that produced it.
    pub time: u64,
    pub kind: TraceKind,
}

/// The typed payload of a trace.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceKind {
    Text(TextPayload),
    Choice(ChoicePayload),
    CardV2(CardPayload),
    Carousel(CarouselPayload),
    Visual(VisualPayload),
    NoReply {
        timeout: u64,
    },
    /// `explicit` is true for an `end` step (`"payload": null`), false when the stack ran empty (no payload).
    End {
        explicit: bool,
    },
    Path {
        path: String,
    },
    Debug {
        message: String,
        kind: Option<String>,
    },
    Flow {
        diagram_id: String,
        name: Option<String>,
    },
    Block {
        block_id: String,
    },
    /// A custom action trace or any type this crate does not know.
    Custom {
        kind: String,
        payload: Value,
        paths: Vec<Value>,
        default_path: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPayload {
    pub slate: Slate,
    pub message: String,
    #[serde(default)]
    pub delay: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<bool>,
}

impl TextPayload {
    /// A text payload with its Slate form, as the Voiceflow runtime writes it.
    pub fn new(id: String, message: String, delay: u64) -> TextPayload {
        let slate = Slate { id, content: json!([{ "children": [{ "text": message }] }]), message_delay_ms: delay };
        TextPayload { slate, message, delay, ai: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slate {
    pub id: String,
    pub content: Value,
    #[serde(rename = "messageDelayMilliseconds", default)]
    pub message_delay_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Button {
    pub name: String,
    pub request: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoicePayload {
    pub buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardDescription {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardPayload {
    #[serde(default)]
    pub title: String,
    #[serde(default = "empty_description")]
    pub description: CardDescription,
    #[serde(rename = "imageUrl", default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub buttons: Vec<Button>,
}

fn empty_description() -> CardDescription {
    CardDescription { text: String::new() }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarouselPayload {
    #[serde(default = "carousel_layout")]
    pub layout: String,
    pub cards: Vec<CardPayload>,
}

fn carousel_layout() -> String {
    "Carousel".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisualPayload {
    #[serde(rename = "visualType", default = "image_type")]
    pub visual_type: String,
    pub image: Option<String>,
    #[serde(default)]
    pub dimensions: Option<Dimensions>,
}

fn image_type() -> String {
    "image".into()
}

impl Trace {
    /// A text trace with its Slate form, as the Voiceflow runtime writes it.
    pub fn text(time: u64, id: String, message: String, delay: u64) -> Trace {
        Trace { time, kind: TraceKind::Text(TextPayload::new(id, message, delay)) }
    }

    pub fn debug(time: u64, kind: &str, message: impl Into<String>) -> Trace {
        Trace { time, kind: TraceKind::Debug { message: message.into(), kind: Some(kind.to_string()) } }
    }

    pub fn path(time: u64, path: impl Into<String>) -> Trace {
        Trace { time, kind: TraceKind::Path { path: path.into() } }
    }

    /// The wire name of the trace type (`text`, `choice`, `cardV2`, ... or the custom type).
    pub fn type_name(&self) -> &str {
        self.kind.type_name()
    }

    /// Read a trace from JSON leniently: a known type whose payload does not fit becomes `Custom`, so a server
    /// answer is never dropped. Only a non-object or a missing `type` is an error.
    pub fn from_value(v: Value) -> Result<Trace, String> {
        let Value::Object(mut map) = v else { return Err("a trace must be a JSON object".into()) };
        let kind = match map.remove("type") {
            Some(Value::String(s)) => s,
            _ => return Err("a trace needs a string 'type'".into()),
        };
        let time = map.get("time").and_then(Value::as_u64).unwrap_or(0);
        let had_payload = map.contains_key("payload");
        let payload = map.remove("payload").unwrap_or(Value::Null);
        let paths = match map.remove("paths") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        let default_path = map.get("defaultPath").and_then(Value::as_u64);
        let typed = |payload: &Value| -> Option<TraceKind> {
            let p = payload.clone();
            Some(match kind.as_str() {
                "text" => TraceKind::Text(text_from(p)?),
                "choice" => TraceKind::Choice(serde_json::from_value(p).ok()?),
                "cardV2" => TraceKind::CardV2(serde_json::from_value(p).ok()?),
                "carousel" => TraceKind::Carousel(serde_json::from_value(p).ok()?),
                "visual" => TraceKind::Visual(serde_json::from_value(p).ok()?),
                "no-reply" => TraceKind::NoReply { timeout: p.get("timeout")?.as_f64()?.max(0.0) as u64 },
                "end" => TraceKind::End { explicit: had_payload },
                "path" => TraceKind::Path { path: p.get("path")?.as_str()?.to_string() },
                "debug" => TraceKind::Debug {
                    message: p.get("message")?.as_str()?.to_string(),
                    kind: p.get("type").and_then(Value::as_str).map(str::to_string),
                },
                "flow" => TraceKind::Flow {
                    diagram_id: p.get("diagramID")?.as_str()?.to_string(),
                    name: p.get("name").and_then(Value::as_str).map(str::to_string),
                },
                "block" => TraceKind::Block { block_id: p.get("blockID")?.as_str()?.to_string() },
                _ => return None,
            })
        };
        let kind = match typed(&payload) {
            Some(k) => k,
            None => TraceKind::Custom { kind, payload, paths, default_path },
        };
        Ok(Trace { time, kind })
    }
}

/// A text payload from a server: `message` may be missing when only the Slate content is sent.
fn text_from(p: Value) -> Option<TextPayload> {
    if let Ok(t) = serde_json::from_value::<TextPayload>(p.clone()) {
        return Some(t);
    }
    let message = p.get("message").and_then(Value::as_str).map(str::to_string)?;
    let delay = p.get("delay").and_then(Value::as_u64).unwrap_or(0);
    let mut text = TextPayload::new(String::new(), message, delay);
    text.ai = p.get("ai").and_then(Value::as_bool);
    Some(text)
}

impl TraceKind {
    pub fn type_name(&self) -> &str {
        match self {
            TraceKind::Text(_) => "text",
            TraceKind::Choice(_) => "choice",
            TraceKind::CardV2(_) => "cardV2",
            TraceKind::Carousel(_) => "carousel",
            TraceKind::Visual(_) => "visual",
            TraceKind::NoReply { .. } => "no-reply",
            TraceKind::End { .. } => "end",
            TraceKind::Path { .. } => "path",
            TraceKind::Debug { .. } => "debug",
            TraceKind::Flow { .. } => "flow",
            TraceKind::Block { .. } => "block",
            TraceKind::Custom { kind, .. } => kind,
        }
    }
}

impl Serialize for Trace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("time", &self.time)?;
        m.serialize_entry("type", self.type_name())?;
        match &self.kind {
            TraceKind::Text(p) => m.serialize_entry("payload", p)?,
            TraceKind::Choice(p) => m.serialize_entry("payload", p)?,
            TraceKind::CardV2(p) => m.serialize_entry("payload", p)?,
            TraceKind::Carousel(p) => m.serialize_entry("payload", p)?,
            TraceKind::Visual(p) => m.serialize_entry("payload", p)?,
            TraceKind::NoReply { timeout } => m.serialize_entry("payload", &json!({ "timeout": timeout }))?,
            TraceKind::End { explicit: true } => m.serialize_entry("payload", &Value::Null)?,
            TraceKind::End { explicit: false } => {}
            TraceKind::Path { path } => m.serialize_entry("payload", &json!({ "path": path }))?,
            TraceKind::Debug { message, kind } => {
                let mut p = json!({ "message": message });
                if let Some(k) = kind {
                    p["type"] = json!(k);
                }
                m.serialize_entry("payload", &p)?
            }
            TraceKind::Flow { diagram_id, name } => {
                m.serialize_entry("payload", &json!({ "diagramID": diagram_id, "name": name }))?
            }
            TraceKind::Block { block_id } => m.serialize_entry("payload", &json!({ "blockID": block_id }))?,
            TraceKind::Custom { payload, paths, default_path, .. } => {
                m.serialize_entry("payload", payload)?;
                if !paths.is_empty() {
                    m.serialize_entry("paths", paths)?;
                }
                if let Some(d) = default_path {
                    m.serialize_entry("defaultPath", d)?;
                }
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Trace {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Trace, D::Error> {
        Trace::from_value(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_matches_the_voiceflow_shape() {
        let t = Trace::text(1795358739989, "qs0mdz3".into(), "Hello".into(), 1000);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"time":1795358739989,"type":"text","payload":{"slate":{"id":"qs0mdz3","content":[{"children":[{"text":"Hello"}]}],"messageDelayMilliseconds":1000},"message":"Hello","delay":1000}}"#
        );
    }

    #[test]
    fn both_end_forms() {
        let a = Trace { time: 1, kind: TraceKind::End { explicit: true } };
        let b = Trace { time: 1, kind: TraceKind::End { explicit: false } };
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"time":1,"type":"end","payload":null}"#);
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"time":1,"type":"end"}"#);
    }

    #[test]
    fn server_traces_round_trip_and_unknown_types_survive() {
        let src = r#"[{"time":1,"type":"choice","payload":{"buttons":[{"name":"Yes","request":{"type":"path-yes0001","payload":{"label":"Yes","actions":[]}}}]}},
            {"time":2,"type":"no-reply","payload":{"timeout":10}},
            {"time":3,"type":"path","payload":{"path":"choice:1"}},
            {"time":4,"type":"map_pin","payload":{"lat":1},"paths":[{"event":{"type":"success"}}],"defaultPath":0},
            {"time":5,"type":"text","payload":"not an object"}]"#;
        let traces: Vec<Trace> = serde_json::from_str(src).unwrap();
        assert_eq!(traces[0].type_name(), "choice");
        assert!(matches!(traces[1].kind, TraceKind::NoReply { timeout: 10 }));
        assert!(matches!(&traces[3].kind, TraceKind::Custom { kind, .. } if kind == "map_pin"));
        assert!(matches!(&traces[4].kind, TraceKind::Custom { kind, .. } if kind == "text"));
        let back: Vec<Trace> = serde_json::from_str(&serde_json::to_string(&traces).unwrap()).unwrap();
        assert_eq!(back, traces);
        assert!(Trace::from_value(json!(3)).is_err());
    }
}
