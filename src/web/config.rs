//! The `load()` config (SPEC §1.4): serde DTOs read with the path of every bad field, then checked.
//!
//! Voiceflow's fields are accepted as the real widget reads them (unknown fields are ignored, as zod does),
//! plus `agent` (an agent object or a URL: local mode) and `listeners`. Values only JS can hold (the render
//! target, extension functions) are kept as JS values with `serde_wasm_bindgen::preserve`.

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

use super::convert::from_js;
use super::error::WebError;
use super::extensions::ExtensionSpec;
use super::listeners::ListenerSpec;
use super::storage::Persistence;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadConfig {
    #[serde(default)]
    pub verify: Option<Verify>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(rename = "userID", default)]
    pub user_id: Option<Value>,
    #[serde(default)]
    pub autostart: Option<bool>,
    #[serde(default)]
    pub render: Render,
    #[serde(default)]
    pub launch: Option<Launch>,
    #[serde(default)]
    pub assistant: Assistant,
    /// An agent object, or the URL of an agent file: local mode.
    #[serde(default)]
    pub agent: Option<Value>,
    #[serde(default)]
    pub listeners: Vec<ListenerSpec>,
    /// Accepted for compatibility; agent HTML is never rendered as HTML here.
    #[serde(default)]
    pub allow_dangerous_html: Option<bool>,
}

#[derive(Deserialize)]
pub struct Verify {
    #[serde(rename = "projectID")]
    pub project_id: String,
}

#[derive(Deserialize, Default)]
pub struct Render {
    #[serde(default)]
    pub mode: Mode,
    /// An element, or a CSS selector of one.
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    pub target: JsValue,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Overlay,
    Embedded,
}

#[derive(Deserialize)]
pub struct Launch {
    #[serde(default)]
    pub event: Option<Value>,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Left,
    #[default]
    Right,
}

#[derive(Deserialize, Clone, Copy, Debug)]
pub struct Spacing {
    #[serde(default = "thirty")]
    pub side: f64,
    #[serde(default = "thirty")]
    pub bottom: f64,
}

fn thirty() -> f64 {
    30.0
}

impl Default for Spacing {
    fn default() -> Self {
        Spacing { side: 30.0, bottom: 30.0 }
    }
}

#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub enum Stylesheets {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Assistant {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub position: Position,
    #[serde(default)]
    pub spacing: Spacing,
    #[serde(default)]
    pub stylesheet: Option<Stylesheets>,
    #[serde(default)]
    pub persistence: Persistence,
    #[serde(default)]
    pub extensions: Vec<ExtensionSpec>,
    #[serde(default)]
    pub input_placeholder: Option<String>,
}

/// The checked config a widget runs with.
pub struct Settings {
    pub mode: Mode,
    /// Where the embedded widget renders.
    pub target: Option<web_sys::Element>,
    pub autostart: bool,
    /// Sent instead of `{type: 'launch'}` when a conversation starts.
    pub launch: Value,
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    pub agent: AgentSource,
    pub title: String,
    pub description: String,
    pub image: Option<String>,
    pub avatar: Option<String>,
    pub color: Option<String>,
    pub position: Position,
    pub spacing: Spacing,
    pub stylesheets: Vec<String>,
    pub persistence: Persistence,
    pub placeholder: String,
}

pub enum AgentSource {
    Url(String),
    Inline(Value),
}

pub const DEFAULT_TITLE: &str = "Assistant";

impl LoadConfig {
    /// Read `load()`'s argument; the error names the bad field.
    pub fn read(value: JsValue) -> Result<LoadConfig, WebError> {
        if !value.is_object() {
            return Err(WebError::config("", "load() needs a config object"));
        }
        from_js(value).map_err(|(path, message)| WebError::config(&path, message))
    }

    /// Check what serde cannot: the render target, URLs, the launch action. Extensions and listeners are
    /// taken out separately (they hold JS functions).
    pub fn settings(&mut self, document: &web_sys::Document) -> Result<Settings, WebError> {
        let agent = match self.agent.take() {
            Some(Value::String(url)) if !url.trim().is_empty() => AgentSource::Url(url),
            Some(v @ Value::Object(_)) => AgentSource::Inline(v),
            Some(_) => return Err(WebError::config("agent", "must be an agent object or the URL of an agent file")),
            None => {
                let remote = match &self.url {
                    Some(url) => format!(" (remote mode with url '{url}' is not available in this version)"),
                    None => String::new(),
                };
                return Err(WebError::config(
                    "agent",
                    format!("required: give an agent object or the URL of an agent file{remote}"),
                ));
            }
        };
        let mode = self.render.mode;
        let target = match mode {
            Mode::Overlay => None,
            Mode::Embedded => Some(render_target(&self.render.target, document)?),
        };
        let launch = match self.launch.take().and_then(|l| l.event) {
            None | Some(Value::Null) => serde_json::json!({ "type": "launch" }),
            Some(ev) => {
                if let Err(e) = crate::engine::Envelope::from_value(ev.clone()) {
                    return Err(WebError::config("launch.event", e.message));
                }
                ev
            }
        };
        let user_id = match self.user_id.take() {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => {
                Some(js_sys::decode_uri_component(&s).map(String::from).unwrap_or(s))
            }
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(WebError::config("userID", "must be a non-empty string or a number")),
        };
        let a = &mut self.assistant;
        for (field, url) in [("assistant.image", &a.image), ("assistant.avatar", &a.avatar)] {
            if let Some(u) = url {
                if crate::web::widget::safe_url(u, crate::web::widget::UrlUse::Image).is_none() {
                    return Err(WebError::config(field, "must be an http(s) or data:image URL"));
                }
            }
        }
        let stylesheets = match a.stylesheet.take() {
            None => Vec::new(),
            Some(Stylesheets::One(s)) => vec![s],
            Some(Stylesheets::Many(v)) => v,
        };
        for (i, s) in stylesheets.iter().enumerate() {
            if crate::web::widget::safe_url(s, crate::web::widget::UrlUse::Stylesheet).is_none() {
                return Err(WebError::config(
                    &format!("assistant.stylesheet[{i}]"),
                    "must be an http(s) URL, a relative URL or a data:text/css URL",
                ));
            }
        }
        if !(a.spacing.side.is_finite() && a.spacing.bottom.is_finite()) {
            return Err(WebError::config("assistant.spacing", "side and bottom must be numbers of pixels"));
        }
        Ok(Settings {
            mode,
            target,
            autostart: self.autostart.unwrap_or(mode == Mode::Overlay),
            launch,
            project_id: self.verify.as_ref().map(|v| v.project_id.clone()).filter(|p| !p.is_empty()),
            user_id,
            agent,
            title: a.title.clone().unwrap_or_else(|| DEFAULT_TITLE.into()),
            description: a.description.clone().unwrap_or_default(),
            image: a.image.clone(),
            avatar: a.avatar.clone(),
            color: a.color.clone(),
            position: a.position,
            spacing: a.spacing,
            stylesheets,
            persistence: a.persistence,
            placeholder: a.input_placeholder.clone().unwrap_or_else(|| "Message…".into()),
        })
    }
}

/// The element an embedded widget renders into: `render.target` (an element or a selector), else
/// `#voiceflow-chat-frame` as the real widget does.
fn render_target(target: &JsValue, document: &web_sys::Document) -> Result<web_sys::Element, WebError> {
    if let Some(el) = target.dyn_ref::<web_sys::Element>() {
        return Ok(el.clone());
    }
    let selector = match target.as_string() {
        Some(s) => s,
        None if target.is_undefined() || target.is_null() => "#voiceflow-chat-frame".to_string(),
        None => return Err(WebError::config("render.target", "must be an element or a CSS selector")),
    };
    match document.query_selector(&selector) {
        Ok(Some(el)) => Ok(el),
        Ok(None) => Err(WebError::config(
            "render.target",
            format!("embedded mode needs a target element, and '{selector}' matches none"),
        )),
        Err(_) => Err(WebError::config("render.target", format!("'{selector}' is not a valid CSS selector"))),
    }
}
