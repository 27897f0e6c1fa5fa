//! Traces: what a turn returns, in the Voiceflow Dialog API's JSON shape (SPEC §3.2).
//!
//! A trace serialises as `{"time", "type", "payload"}` exactly as the Voiceflow runtime sends it, so local mode,
//! remote mode and our server produce the same JSON. Unknown types read from a server are kept as [`TraceKind::Custom`].

use crate::json::{Map, Value};

use crate::json::{self, Obj, ToJson};

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

#[derive(Debug, Clone, PartialEq)]
pub struct TextPayload {
    pub slate: Slate,
    pub message: String,
    pub delay: u64,
    pub ai: Option<bool>,
}

impl TextPayload {
    /// A text payload with its Slate form, as the Voiceflow runtime writes it.
    pub fn new(id: String, message: String, delay: u64) -> TextPayload {
        let content = list_of_one("children", list_of_one("text", json::text(&message)));
        let slate = Slate { id, content, message_delay_ms: delay };
        TextPayload { slate, message, delay, ai: None }
    }
}

/// `[{key: value}]`, the shape of each level of a Slate content.
fn list_of_one(key: &str, value: Value) -> Value {
    Value::Array(vec![json::obj1(key, value)])
}

#[derive(Debug, Clone, PartialEq)]
pub struct Slate {
    pub id: String,
    pub content: Value,
    pub message_delay_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub name: String,
    pub request: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoicePayload {
    pub buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CardDescription {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CardPayload {
    pub title: String,
    pub description: CardDescription,
    pub image_url: Option<String>,
    pub buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CarouselPayload {
    pub layout: String,
    pub cards: Vec<CardPayload>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisualPayload {
    pub visual_type: String,
    pub image: Option<String>,
    pub dimensions: Option<Dimensions>,
}

impl Trace {
    /// A text trace with its Slate form, as the Voiceflow runtime writes it.
    pub fn text(time: u64, id: String, message: String, delay: u64) -> Trace {
        Trace { time, kind: TraceKind::Text(TextPayload::new(id, message, delay)) }
    }

    /// The wire name of the trace type (`text`, `choice`, `cardV2`, ... or the custom type).
    pub fn type_name(&self) -> &str {
        self.kind.type_name()
    }

    /// Read a trace from JSON leniently: a known type whose payload does not fit becomes `Custom`, so a server
    /// answer is never dropped. Only a non-object or a missing `type` is an error.
    pub fn from_value(v: Value) -> Result<Trace, String> {
        let Value::Object(mut map) = v else { return Err("a trace must be a JSON object".into()) };
        let Some(Value::String(name)) = map.get("type") else { return Err("a trace needs a string 'type'".into()) };
        let time = map.get("time").and_then(Value::as_u64).unwrap_or(0);
        // Read borrowed; only a custom trace takes its parts out of the map.
        let payload = map.get("payload");
        let kind = match typed(name, payload.unwrap_or(&Value::Null), payload.is_some()) {
            Some(kind) => kind,
            None => {
                let kind = name.clone();
                let default_path = map.get("defaultPath").and_then(Value::as_u64);
                let payload = json::take(&mut map, "payload").unwrap_or(Value::Null);
                let paths = match json::take(&mut map, "paths") {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                };
                TraceKind::Custom { kind, payload, paths, default_path }
            }
        };
        Ok(Trace { time, kind })
    }
}

/// A known trace type read from its payload `p`; `None` for an unknown type or a payload that does not fit.
fn typed(kind: &str, p: &Value, had_payload: bool) -> Option<TraceKind> {
    Some(match kind {
        "text" => TraceKind::Text(text_from(p)?),
        "choice" => TraceKind::Choice(ChoicePayload { buttons: buttons(p.as_object()?, "buttons")? }),
        "cardV2" => TraceKind::CardV2(card(p)?),
        "carousel" => TraceKind::Carousel(carousel(p.as_object()?)?),
        "visual" => TraceKind::Visual(visual(p.as_object()?)?),
        "no-reply" => TraceKind::NoReply { timeout: p.get("timeout")?.as_f64()?.max(0.0) as u64 },
        "end" => TraceKind::End { explicit: had_payload },
        "path" => TraceKind::Path { path: str_at(p, "path")? },
        "debug" => TraceKind::Debug { message: str_at(p, "message")?, kind: str_at(p, "type") },
        "flow" => TraceKind::Flow { diagram_id: str_at(p, "diagramID")?, name: str_at(p, "name") },
        "block" => TraceKind::Block { block_id: str_at(p, "blockID")? },
        _ => return None,
    })
}

/// A text payload from a server: `message` may be missing when only the Slate content is sent.
fn text_from(p: &Value) -> Option<TextPayload> {
    if let Some(t) = strict_text(p) {
        return Some(t);
    }
    let message = str_at(p, "message")?;
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

// Reading payloads field by field, with the rules the derived serde readers had: unknown fields are ignored, a
// missing field takes its default (`None` for an optional one), `null` is `None` for an optional field and a
// wrong type anywhere rejects the payload (the trace is then kept as `Custom`).

type O = Map<String, Value>;

/// The string under `key` of a JSON value, if it is an object with one.
fn str_at(p: &Value, key: &str) -> Option<String> {
    Some(p.get(key)?.as_str()?.to_string())
}

// The readers below check every field borrowed and build the owned payload last, so a field that does not fit
// drops nothing.

/// A required string field.
fn string<'v>(o: &'v O, key: &str) -> Option<&'v str> {
    o.get(key)?.as_str()
}

/// A string field with a default when missing.
fn string_or<'v>(o: &'v O, key: &str, default: &'v str) -> Option<&'v str> {
    match o.get(key) {
        None => Some(default),
        Some(v) => v.as_str(),
    }
}

/// An optional string field: missing or `null` is `None`.
fn string_opt<'v>(o: &'v O, key: &str) -> Option<Option<&'v str>> {
    match o.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(v) => Some(Some(v.as_str()?)),
    }
}

/// A number field, 0 when missing.
fn u64_or0(o: &O, key: &str) -> Option<u64> {
    match o.get(key) {
        None => Some(0),
        Some(v) => v.as_u64(),
    }
}

fn u32_of(o: &O, key: &str) -> Option<u32> {
    u32::try_from(o.get(key)?.as_u64()?).ok()
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

fn buttons(o: &O, key: &str) -> Option<Vec<Button>> {
    let mut out = Vec::new();
    for v in o.get(key)?.as_array()? {
        let b = v.as_object()?;
        let (name, request) = (string(b, "name")?, b.get("request")?);
        out.push(Button { name: name.to_string(), request: request.clone() });
    }
    Some(out)
}

fn strict_text(p: &Value) -> Option<TextPayload> {
    let o = p.as_object()?;
    let s = o.get("slate")?.as_object()?;
    let id = string(s, "id")?;
    let content = s.get("content")?;
    let message_delay_ms = u64_or0(s, "messageDelayMilliseconds")?;
    let ai = match o.get("ai") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_bool()?),
    };
    let message = string(o, "message")?;
    let delay = u64_or0(o, "delay")?;
    let slate = Slate { id: id.to_string(), content: content.clone(), message_delay_ms };
    Some(TextPayload { slate, message: message.to_string(), delay, ai })
}

fn card(v: &Value) -> Option<CardPayload> {
    let o = v.as_object()?;
    let description = match o.get("description") {
        None => "",
        Some(d) => string(d.as_object()?, "text")?,
    };
    let title = string_or(o, "title", "")?;
    let image_url = string_opt(o, "imageUrl")?;
    Some(CardPayload {
        buttons: match o.get("buttons") {
            None => Vec::new(),
            Some(_) => buttons(o, "buttons")?,
        },
        title: title.to_string(),
        description: CardDescription { text: description.to_string() },
        image_url: owned(image_url),
    })
}

fn carousel(o: &O) -> Option<CarouselPayload> {
    let layout = string_or(o, "layout", "Carousel")?;
    let mut cards = Vec::new();
    for c in o.get("cards")?.as_array()? {
        cards.push(card(c)?);
    }
    Some(CarouselPayload { layout: layout.to_string(), cards })
}

fn visual(o: &O) -> Option<VisualPayload> {
    let dimensions = match o.get("dimensions") {
        None | Some(Value::Null) => None,
        Some(d) => {
            let d = d.as_object()?;
            Some(Dimensions { width: u32_of(d, "width")?, height: u32_of(d, "height")? })
        }
    };
    let visual_type = string_or(o, "visualType", "image")?;
    let image = string_opt(o, "image")?;
    Some(VisualPayload { visual_type: visual_type.to_string(), image: owned(image), dimensions })
}

impl ToJson for TextPayload {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("slate", &self.slate).field("message", &self.message).field("delay", &self.delay);
        o.some("ai", &self.ai);
        o.end();
    }
}

impl ToJson for Slate {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("id", &self.id)
            .field("content", &self.content)
            .field("messageDelayMilliseconds", &self.message_delay_ms);
        o.end();
    }
}

impl ToJson for Button {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("name", &self.name).field("request", &self.request);
        o.end();
    }
}

impl ToJson for ChoicePayload {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("buttons", &self.buttons);
        o.end();
    }
}

impl ToJson for CardPayload {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("title", &self.title);
        Obj::new(o.key("description")).field("text", &self.description.text).end();
        o.field("imageUrl", &self.image_url).field("buttons", &self.buttons);
        o.end();
    }
}

impl ToJson for CarouselPayload {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("layout", &self.layout).field("cards", &self.cards);
        o.end();
    }
}

impl ToJson for VisualPayload {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("visualType", &self.visual_type).field("image", &self.image);
        match &self.dimensions {
            Some(d) => Obj::new(o.key("dimensions")).field("width", &d.width).field("height", &d.height).end(),
            None => {
                o.field("dimensions", &Value::Null);
            }
        }
        o.end();
    }
}

/// `{"time", "type", "payload"}`, and `paths` / `defaultPath` for a custom trace.
impl ToJson for Trace {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("time", &self.time).str("type", self.type_name());
        match &self.kind {
            TraceKind::Text(p) => o.field("payload", p),
            TraceKind::Choice(p) => o.field("payload", p),
            TraceKind::CardV2(p) => o.field("payload", p),
            TraceKind::Carousel(p) => o.field("payload", p),
            TraceKind::Visual(p) => o.field("payload", p),
            TraceKind::End { explicit: true } => o.field("payload", &Value::Null),
            TraceKind::End { explicit: false } => &mut o,
            TraceKind::Custom { payload, paths, default_path, .. } => {
                o.field("payload", payload);
                if !paths.is_empty() {
                    o.field("paths", paths);
                }
                o.some("defaultPath", default_path)
            }
            small => {
                small_payload(small, o.key("payload"));
                &mut o
            }
        };
        o.end();
    }
}

/// The payloads built here rather than typed: `{"timeout"}`, `{"path"}`, `{"message", "type"?}`,
/// `{"diagramID", "name"}`, `{"blockID"}`.
fn small_payload(kind: &TraceKind, out: &mut String) {
    let mut p = Obj::new(out);
    match kind {
        TraceKind::NoReply { timeout } => p.field("timeout", timeout),
        TraceKind::Path { path } => p.field("path", path),
        TraceKind::Debug { message, kind } => p.field("message", message).some("type", kind),
        TraceKind::Flow { diagram_id, name } => p.field("diagramID", diagram_id).field("name", name),
        TraceKind::Block { block_id } => p.field("blockID", block_id),
        _ => &mut p,
    };
    p.end();
}

impl Trace {
    /// The trace's JSON text, exactly as the Voiceflow runtime writes it.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn text_matches_the_voiceflow_shape() {
        let t = Trace::text(1795358739989, "qs0mdz3".into(), "Hello".into(), 1000);
        assert_eq!(
            t.to_json(),
            r#"{"time":1795358739989,"type":"text","payload":{"slate":{"id":"qs0mdz3","content":[{"children":[{"text":"Hello"}]}],"messageDelayMilliseconds":1000},"message":"Hello","delay":1000}}"#
        );
    }

    #[test]
    fn both_end_forms() {
        let a = Trace { time: 1, kind: TraceKind::End { explicit: true } };
        let b = Trace { time: 1, kind: TraceKind::End { explicit: false } };
        assert_eq!(a.to_json(), r#"{"time":1,"type":"end","payload":null}"#);
        assert_eq!(b.to_json(), r#"{"time":1,"type":"end"}"#);
    }

    #[test]
    fn server_traces_round_trip_and_unknown_types_survive() {
        let src = r#"[{"time":1,"type":"choice","payload":{"buttons":[{"name":"Yes","request":{"type":"path-yes0001","payload":{"label":"Yes","actions":[]}}}]}},
            {"time":2,"type":"no-reply","payload":{"timeout":10}},
            {"time":3,"type":"path","payload":{"path":"choice:1"}},
            {"time":4,"type":"map_pin","payload":{"lat":1},"paths":[{"event":{"type":"success"}}],"defaultPath":0},
            {"time":5,"type":"text","payload":"not an object"}]"#;
        let read = |src: &str| -> Vec<Trace> {
            let list = json::parse(src).unwrap();
            list.as_array().unwrap().iter().map(|t| Trace::from_value(t.clone()).unwrap()).collect()
        };
        let traces = read(src);
        assert_eq!(traces[0].type_name(), "choice");
        assert!(matches!(traces[1].kind, TraceKind::NoReply { timeout: 10 }));
        assert!(matches!(&traces[3].kind, TraceKind::Custom { kind, .. } if kind == "map_pin"));
        assert!(matches!(&traces[4].kind, TraceKind::Custom { kind, .. } if kind == "text"));
        let back = read(&json::to_string(&traces));
        assert_eq!(back, traces);
        assert!(Trace::from_value(json!(3)).is_err());
    }

    #[test]
    fn payloads_write_every_field_as_before() {
        let card = CardPayload {
            title: "T".into(),
            description: CardDescription { text: "D".into() },
            image_url: None,
            buttons: vec![Button { name: "B".into(), request: json!({ "type": "x" }) }],
        };
        let t = Trace { time: 2, kind: TraceKind::CardV2(card) };
        assert_eq!(
            t.to_json(),
            r#"{"time":2,"type":"cardV2","payload":{"title":"T","description":{"text":"D"},"imageUrl":null,"buttons":[{"name":"B","request":{"type":"x"}}]}}"#
        );
        let v = VisualPayload {
            visual_type: "image".into(),
            image: Some("u".into()),
            dimensions: Some(Dimensions { width: 3, height: 4 }),
        };
        let t = Trace { time: 2, kind: TraceKind::Visual(v) };
        assert_eq!(
            t.to_json(),
            r#"{"time":2,"type":"visual","payload":{"visualType":"image","image":"u","dimensions":{"width":3,"height":4}}}"#
        );
        let t = Trace { time: 0, kind: TraceKind::Debug { message: "m".into(), kind: None } };
        assert_eq!(t.to_json(), r#"{"time":0,"type":"debug","payload":{"message":"m"}}"#);
        let t = Trace { time: 0, kind: TraceKind::Flow { diagram_id: "f".into(), name: None } };
        assert_eq!(t.to_json(), r#"{"time":0,"type":"flow","payload":{"diagramID":"f","name":null}}"#);
        let mut text = TextPayload::new("i".into(), "m".into(), 0);
        text.ai = Some(true);
        assert!(Trace { time: 0, kind: TraceKind::Text(text) }.to_json().ends_with(r#""delay":0,"ai":true}}"#));
    }

    #[test]
    fn payload_reading_keeps_the_serde_rules() {
        let read = |v: Value| Trace::from_value(v).unwrap().kind;
        // Missing fields take their defaults; unknown ones are ignored.
        let k = read(json!({ "type": "cardV2", "payload": { "extra": 1 } }));
        assert!(
            matches!(&k, TraceKind::CardV2(c) if c.title.is_empty() && c.buttons.is_empty() && c.image_url.is_none())
        );
        let k = read(json!({ "type": "carousel", "payload": { "cards": [{ "title": "a", "imageUrl": null }] } }));
        assert!(matches!(&k, TraceKind::Carousel(c) if c.layout == "Carousel" && c.cards[0].title == "a"));
        let k = read(json!({ "type": "visual", "payload": { "image": "u", "dimensions": null } }));
        assert!(matches!(&k, TraceKind::Visual(v) if v.visual_type == "image" && v.dimensions.is_none()));
        // A wrong type anywhere keeps the trace as custom.
        for bad in [
            json!({ "type": "cardV2", "payload": { "title": 3 } }),
            json!({ "type": "cardV2", "payload": { "buttons": null } }),
            json!({ "type": "carousel", "payload": {} }),
            json!({ "type": "visual", "payload": { "dimensions": { "width": -1, "height": 2 } } }),
            json!({ "type": "visual", "payload": { "dimensions": { "width": 5000000000u64, "height": 2 } } }),
            json!({ "type": "choice", "payload": { "buttons": [{ "name": "x" }] } }),
        ] {
            assert!(matches!(read(bad.clone()), TraceKind::Custom { .. }), "{bad}");
        }
        // A text payload without its Slate form (or with a bad one) is rebuilt from `message`.
        let k = read(json!({ "type": "text", "payload": { "message": "hi", "delay": null, "ai": true } }));
        assert!(matches!(&k, TraceKind::Text(t) if t.message == "hi" && t.delay == 0 && t.ai == Some(true)));
        let full =
            json!({ "type": "text", "payload": { "slate": { "id": "s", "content": [] }, "message": "m", "delay": 5 } });
        assert!(
            matches!(&read(full), TraceKind::Text(t) if t.slate.id == "s" && t.slate.message_delay_ms == 0 && t.delay == 5)
        );
    }
}
