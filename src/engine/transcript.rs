//! The typed, append-only transcript of a session (SPEC §5, seed 004).
//!
//! Every turn appends entries: what the user said or clicked, what the page sent, what the agent showed. The
//! widget renders from it, so a restored session shows the same conversation. Entries are never edited.

use serde::Serialize;
use serde_json::{Map, Value};

use super::request::FileInfo;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Transcript {
    pub entries: Vec<Entry>,
}

/// One transcript entry: common fields plus the typed body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    /// Monotonic within the session.
    pub order: u64,
    pub author_id: String,
    /// Epoch milliseconds.
    pub timestamp: u64,
    pub recipients: Recipients,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    #[serde(flatten)]
    pub body: Body,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recipients {
    All,
    Agents,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    Message { text: String },
    Annotation { text: String, annotation_type: String },
    SystemMessage { text: String, system_message_type: String },
    File(FileInfo),
    Custom { content: Value },
}

/// Who wrote an entry.
pub const AGENT: &str = "agent";
pub const SYSTEM: &str = "system";

impl Transcript {
    /// Append an entry, giving it the next order and id.
    pub fn push(&mut self, author_id: &str, timestamp: u64, recipients: Recipients, body: Body) -> &mut Entry {
        let order = self.entries.last().map_or(1, |e| e.order + 1);
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
        let last = self.entries.len() - 1;
        &mut self.entries[last]
    }

    pub fn system(&mut self, timestamp: u64, kind: &str, text: &str) {
        let body = Body::SystemMessage { text: text.to_string(), system_message_type: kind.to_string() };
        self.push(SYSTEM, timestamp, Recipients::All, body);
    }
}
