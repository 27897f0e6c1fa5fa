//! The typed, append-only transcript of a session (SPEC §5, seed 004).
//!
//! Every turn appends entries: what the user said or clicked, what the page sent, what the agent showed. The
//! widget renders from it, so a restored session shows the same conversation. Entries are never edited.

use crate::json::{Map, Value};

use super::request::{Envelope, FileInfo, Request};
use super::trace::{Trace, TraceKind};
use crate::json::{Fields, Path, PathError};
use crate::json::{Obj, ToJson};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub entries: Vec<Entry>,
}

/// One transcript entry: common fields plus the typed body.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub custom_id: Option<String>,
    /// Monotonic within the session.
    pub order: u64,
    pub author_id: String,
    /// Epoch milliseconds.
    pub timestamp: u64,
    pub recipients: Recipients,
    pub properties: Map<String, Value>,
    pub body: Body,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipients {
    All,
    Agents,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Message { text: String },
    Annotation { text: String, annotation_type: String },
    SystemMessage { text: String, system_message_type: String },
    File(FileInfo),
    Custom { content: Value },
}

impl ToJson for Transcript {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("entries", &self.entries);
        o.end();
    }
}

/// The common fields, then the body's `type` and fields inline.
impl ToJson for Entry {
    fn write_json(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.field("id", &self.id).some("custom_id", &self.custom_id);
        o.field("order", &self.order).field("author_id", &self.author_id).field("timestamp", &self.timestamp);
        o.str("recipients", self.recipients.name());
        if !self.properties.is_empty() {
            o.field("properties", &self.properties);
        }
        match &self.body {
            Body::Message { text } => o.str("type", "message").field("text", text),
            Body::Annotation { text, annotation_type } => {
                o.str("type", "annotation").field("text", text).field("annotation_type", annotation_type)
            }
            Body::SystemMessage { text, system_message_type } => {
                o.str("type", "system_message").field("text", text).field("system_message_type", system_message_type)
            }
            Body::File(f) => f.fields(o.str("type", "file")),
            Body::Custom { content } => o.str("type", "custom").field("content", content),
        };
        o.end();
    }
}

impl Recipients {
    pub fn name(self) -> &'static str {
        match self {
            Recipients::All => "all",
            Recipients::Agents => "agents",
        }
    }
}

/// Who wrote an entry.
pub const AGENT: &str = "agent";
pub const SYSTEM: &str = "system";

impl Transcript {
    /// How many entries were ever appended: the last one's `order`. The same as `entries.len()` for a whole
    /// transcript, and still right for one a host keeps elsewhere but for its last entry (the server does).
    pub fn count(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.order)
    }

    /// Append an entry, giving it the next order and id.
    pub fn push(&mut self, author_id: &str, timestamp: u64, recipients: Recipients, body: Body) {
        let order = self.count() + 1;
        self.entries.push(Entry {
            id: format!("e{order}"),
            custom_id: None,
            order,
            author_id: author_id.to_string(),
            timestamp,
            recipients,
            properties: Map::new(),
            body,
        });
    }

    pub fn system(&mut self, timestamp: u64, kind: &str, text: &str) {
        let body = Body::SystemMessage { text: text.to_string(), system_message_type: kind.to_string() };
        self.push(SYSTEM, timestamp, Recipients::All, body);
    }

    /// Append an annotation by `author` (a rating of the user's: `annotation_type: "rating"`) with its `properties`.
    pub fn annotate(
        &mut self,
        author: &str,
        timestamp: u64,
        annotation_type: &str,
        text: &str,
        properties: Map<String, Value>,
    ) {
        let body = Body::Annotation { text: text.to_string(), annotation_type: annotation_type.to_string() };
        self.push(author, timestamp, Recipients::All, body);
        if let Some(entry) = self.entries.last_mut() {
            entry.properties = properties;
        }
    }

    /// Append what the user or the page sent: typed text, a labelled button and an intent as a message, a file
    /// as a file entry, an event or an unlabelled path as a custom entry for agents only. A launch and a no-reply
    /// leave no entry. The same rules hold wherever a turn runs (the engine, a remote runtime's answer).
    pub fn record_request(&mut self, user_id: &str, timestamp: u64, envelope: &Envelope) {
        let (recipients, body) = match &envelope.request {
            Request::Text(t) => (Recipients::All, Body::Message { text: t.clone() }),
            Request::Path { label: Some(label), .. } => (Recipients::All, Body::Message { text: label.clone() }),
            Request::Intent { name, .. } => {
                let text = envelope.raw.pointer("/payload/query").and_then(Value::as_str).filter(|q| !q.is_empty());
                (Recipients::All, Body::Message { text: text.unwrap_or(name).to_string() })
            }
            Request::Event { .. } | Request::Path { label: None, .. } => {
                (Recipients::Agents, Body::Custom { content: envelope.raw.clone() })
            }
            Request::File(info) => (Recipients::All, Body::File(info.clone())),
            Request::Launch | Request::NoReply => return,
        };
        self.push(user_id, timestamp, recipients, body);
        if let Some(entry) = self.entries.last_mut() {
            entry.custom_id = envelope.custom_id.clone();
            entry.properties = envelope.properties.clone();
        }
    }

    /// Append what the agent showed: a text as a message, the end as `session_ended`, other shown traces as
    /// custom entries. Path, debug, flow, block and no-reply traces leave no entry.
    pub fn record_trace(&mut self, timestamp: u64, trace: &Trace) {
        let body = match &trace.kind {
            TraceKind::Text(t) => Body::Message { text: t.message.clone() },
            TraceKind::End { .. } => return self.system(timestamp, "session_ended", "The conversation ended"),
            TraceKind::Path { .. }
            | TraceKind::Debug { .. }
            | TraceKind::Flow { .. }
            | TraceKind::Block { .. }
            | TraceKind::NoReply { .. } => return,
            _ => Body::Custom { content: crate::json::to_value(trace) },
        };
        self.push(AGENT, timestamp, Recipients::All, body);
    }
}

/// Read one transcript entry, as [`Entry`]'s `ToJson` writes it, at `path`.
pub(crate) fn entry(v: &Value, path: &Path) -> Result<Entry, PathError> {
    let o = Fields::new(v, *path)?;
    let body = match o.str("type")? {
        "message" => Body::Message { text: o.str("text")?.to_string() },
        "annotation" => Body::Annotation {
            text: o.str("text")?.to_string(),
            annotation_type: o.str("annotation_type")?.to_string(),
        },
        "system_message" => Body::SystemMessage {
            text: o.str("text")?.to_string(),
            system_message_type: o.str("system_message_type")?.to_string(),
        },
        "file" => Body::File(FileInfo::read(&o)?),
        "custom" => Body::Custom { content: o.map.get("content").cloned().unwrap_or(Value::Null) },
        other => {
            let expected = "message, annotation, system_message, file or custom";
            return Err(PathError::unknown(&o.at("type"), "entry type", other, expected));
        }
    };
    let id = o.str("id")?;
    let custom_id = o.opt_str("custom_id")?;
    let order = o.u64("order")?;
    let author_id = o.str("author_id")?;
    let timestamp = o.u64("timestamp")?;
    let recipients = match o.str("recipients")? {
        "all" => Recipients::All,
        "agents" => Recipients::Agents,
        other => return Err(PathError::unknown(&o.at("recipients"), "recipients", other, "all or agents")),
    };
    let properties = o.opt_map("properties")?;
    Ok(Entry {
        id: id.to_string(),
        custom_id: custom_id.map(str::to_string),
        order,
        author_id: author_id.to_string(),
        timestamp,
        recipients,
        properties: properties.cloned().unwrap_or_default(),
        body,
    })
}
