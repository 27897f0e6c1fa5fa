//! The typed, append-only transcript of a session (SPEC §5, seed 004).
//!
//! Every turn appends entries: what the user said or clicked, what the page sent, what the agent showed. The
//! widget renders from it, so a restored session shows the same conversation. Entries are never edited.

use crate::json::{Map, Value};

use super::request::FileInfo;
use crate::json::{Obj, ToJson};
use crate::json::{Path, Reader};

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
}

impl Reader {
    pub(crate) fn entry(&mut self, v: &Value, path: &Path) -> Option<Entry> {
        let o = self.object(v, path)?;
        let body = match self.text(o, "type", path)? {
            "message" => Body::Message { text: self.string(o, "text", path)? },
            "annotation" => Body::Annotation {
                text: self.string(o, "text", path)?,
                annotation_type: self.string(o, "annotation_type", path)?,
            },
            "system_message" => Body::SystemMessage {
                text: self.string(o, "text", path)?,
                system_message_type: self.string(o, "system_message_type", path)?,
            },
            "file" => Body::File(self.file(o, path)?),
            "custom" => Body::Custom { content: o.get("content").cloned().unwrap_or(Value::Null) },
            other => return self.unknown(&path.key("type"), "entry type", other),
        };
        let id = self.text(o, "id", path)?;
        let custom_id = self.opt_text(o, "custom_id", path)?;
        let order = self.number(o, "order", path)?;
        let author_id = self.text(o, "author_id", path)?;
        let timestamp = self.number(o, "timestamp", path)?;
        let recipients = match self.text(o, "recipients", path)? {
            "all" => Recipients::All,
            "agents" => Recipients::Agents,
            other => return self.unknown(&path.key("recipients"), "recipients", other),
        };
        let properties = match o.get("properties") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => return self.fail(&path.key("properties"), "expected an object"),
        };
        Some(Entry {
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
}
