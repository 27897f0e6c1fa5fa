//! The `load()` config (SPEC §1.4): read by hand with the path of every bad field, then checked.
//!
//! Voiceflow's fields are accepted as the real widget reads them (unknown fields are ignored, as zod does),
//! plus `agent` (an agent object or a URL: local mode) and `listeners`. The plain-data part crosses as JSON text
//! (`JSON.stringify`, one call) and is decoded from a `json::Value`; values only JS can hold (the render
//! target, extension functions) are read from the original object with `Reflect`. Hand-written on purpose:
//! derived serde visitors over `serde_wasm_bindgen` were the largest part of the wasm module.

use crate::json::{Map, Value};
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::json::Path;

use super::convert::get;
use super::error::WebError;
use super::extensions::{ExtensionSpec, Extensions, Kind};
use super::listeners::ListenerSpec;
use super::storage::Persistence;

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
    /// `assistant.feedback`: thumbs up / down on agent messages (default on).
    pub feedback: bool,
}

pub enum AgentSource {
    Url(String),
    Inline(Value),
}

#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    #[default]
    Overlay,
    Embedded,
}

#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Position {
    Left,
    #[default]
    Right,
}

#[derive(Clone, Copy, Debug)]
pub struct Spacing {
    pub side: f64,
    pub bottom: f64,
}

impl Default for Spacing {
    fn default() -> Self {
        Spacing { side: 30.0, bottom: 30.0 }
    }
}

pub const DEFAULT_TITLE: &str = "Assistant";

/// `load()`'s argument, read and checked: what the widget needs, plus the parts that hold JS functions.
pub struct Config {
    pub settings: Settings,
    pub extensions: Extensions,
    pub listeners: Vec<ListenerSpec>,
}

impl Config {
    /// Read `load()`'s argument; the error names the bad field. The shape of every field is checked first, then
    /// the extension functions, then what the shape alone cannot tell (the render target, URLs, the launch
    /// action). Listener selectors and event names are checked when the listeners are installed.
    pub fn read(value: JsValue, document: &web_sys::Document) -> Result<Config, WebError> {
        // The lists that hold JS functions are filled in place: an error drops them here, not at every check.
        let (mut extensions, mut listeners) = (Vec::new(), Vec::new());
        let settings = read(&value, document, &mut extensions, &mut listeners)?;
        Ok(Config { settings, extensions: Extensions::new(extensions), listeners })
    }
}

/// [`Config::read`], with the extensions and listeners pushed to the lists given.
fn read(
    value: &JsValue,
    document: &web_sys::Document,
    extensions: &mut Vec<ExtensionSpec>,
    listeners: &mut Vec<ListenerSpec>,
) -> Result<Settings, WebError> {
    if !value.is_object() {
        return Err(WebError::config("", "load() needs a config object"));
    }
    let js_render = get(value, "render");
    // The render target may be an element (not JSON data, possibly circular): leave it out of the copy.
    let copy = Object::assign(&Object::new(), value.unchecked_ref());
    if js_render.is_object() {
        let r = Object::assign(&Object::new(), js_render.unchecked_ref());
        // `undefined` members are left out of the JSON copy (one binding less than `Reflect.deleteProperty`).
        crate::web::convert::set(&r, "target", &JsValue::UNDEFINED);
        crate::web::convert::set(&copy, "render", &r);
    }
    let data = super::convert::json_from_js(copy.into()).map_err(|m| WebError::config("", &m))?;
    let raw = Raw::read(&data, value, extensions, listeners)?;
    if raw.allow_dangerous_html == Some(true) {
        web_sys::console::warn_1(
            &"eventflow: allowDangerousHTML is ignored: agent HTML is always shown as text".into(),
        );
    }
    Extensions::check(extensions)?;
    raw.settings(document, &js_render)
}

/// The config as read, its text borrowed from the JSON copy: nothing is copied until every check has passed.
struct Raw<'v> {
    /// `verify.projectID`.
    project_id: Option<&'v str>,
    url: Option<&'v str>,
    user_id: Option<&'v Value>,
    autostart: Option<bool>,
    mode: Mode,
    /// `launch.event`.
    launch: Option<&'v Value>,
    assistant: Assistant<'v>,
    /// An agent object, or the URL of an agent file: local mode.
    agent: Option<&'v Value>,
    /// Accepted for compatibility; agent HTML is never rendered as HTML here.
    allow_dangerous_html: Option<bool>,
}

#[derive(Default)]
struct Assistant<'v> {
    title: Option<&'v str>,
    description: Option<&'v str>,
    image: Option<&'v str>,
    avatar: Option<&'v str>,
    color: Option<&'v str>,
    position: Position,
    spacing: Spacing,
    /// The stylesheet URLs (strings): one URL or a list.
    stylesheets: &'v [Value],
    persistence: Persistence,
    input_placeholder: Option<&'v str>,
    feedback: Option<bool>,
}

impl<'v> Raw<'v> {
    /// Read the JSON copy `data`; `js` is the original object, for the extension functions. The extensions and
    /// listeners are pushed to the lists given.
    fn read(
        data: &'v Value,
        js: &JsValue,
        extensions: &mut Vec<ExtensionSpec>,
        listeners: &mut Vec<ListenerSpec>,
    ) -> Result<Raw<'v>, WebError> {
        let c = Obj::new(data, Path::Root, "a config object")?;
        let mode = match c.obj("render")? {
            None => Mode::default(),
            Some(r) => {
                r.variant("mode", "`overlay` or `embedded`", &[Mode::Overlay, Mode::Embedded])?.unwrap_or_default()
            }
        };
        let assistant = match c.obj("assistant")? {
            None => Assistant::default(),
            Some(a) => assistant(&a, &get(js, "assistant"), extensions)?,
        };
        let listeners_path = Path::top("listeners");
        for (i, v) in c.list("listeners")?.iter().enumerate() {
            let l = Obj::new(v, listeners_path.index(i), "a listener object")?;
            let (selector, on, event) = (l.string("selector")?, l.string_or("on", "click")?, l.string("event")?);
            let data = l.opt("data");
            let open = l.bool_or("open", false)?;
            listeners.push(ListenerSpec {
                selector: selector.into(),
                on: on.into(),
                event: event.into(),
                data: data.cloned(),
                open,
            });
        }
        let project_id = match c.opt_obj("verify")? {
            None => None,
            Some(v) => Some(v.string("projectID")?),
        };
        Ok(Raw {
            project_id,
            url: c.opt_str("url")?,
            user_id: c.opt("userID"),
            autostart: c.opt_bool("autostart")?,
            mode,
            launch: match c.opt_obj("launch")? {
                None => None,
                Some(l) => l.opt("event"),
            },
            assistant,
            agent: c.opt("agent"),
            allow_dangerous_html: c.opt_bool("allowDangerousHtml")?,
        })
    }

    /// Check what the shape alone cannot: the render target (read from `js_render`, the original `render`), URLs,
    /// the launch action.
    fn settings(self, document: &web_sys::Document, js_render: &JsValue) -> Result<Settings, WebError> {
        let agent = match self.agent {
            Some(Value::String(url)) if !url.trim().is_empty() => AgentSource::Url(url.clone()),
            Some(v @ Value::Object(_)) => AgentSource::Inline(v.clone()),
            Some(_) => return Err(WebError::config("agent", "must be an agent object or the URL of an agent file")),
            None => {
                let remote = match self.url {
                    Some(url) => format!(" (remote mode with url '{url}' is not available in this version)"),
                    None => String::new(),
                };
                return Err(WebError::config(
                    "agent",
                    &format!("required: give an agent object or the URL of an agent file{remote}"),
                ));
            }
        };
        let mode = self.mode;
        let target = match mode {
            Mode::Overlay => None,
            Mode::Embedded => Some(render_target(&get(js_render, "target"), document)?),
        };
        let launch = match self.launch {
            None => crate::json::obj(vec![("type", crate::json::text("launch"))]),
            Some(ev) => {
                if let Err(e) = crate::engine::Envelope::from_value(ev.clone()) {
                    return Err(WebError::config("launch.event", &e.message));
                }
                ev.clone()
            }
        };
        let user_id = match self.user_id {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => {
                // `decodeURIComponent` called through the bindings the module has rather than one of its own.
                let decoded = super::convert::call_method(&js_sys::global(), "decodeURIComponent", &s.into());
                Some(decoded.ok().and_then(|d| d.as_string()).unwrap_or_else(|| s.clone()))
            }
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(WebError::config("userID", "must be a non-empty string or a number")),
        };
        let a = self.assistant;
        for (field, url) in [("assistant.image", a.image), ("assistant.avatar", a.avatar)] {
            if let Some(u) = url {
                if crate::web::widget::safe_url(u, crate::web::widget::UrlUse::Image).is_none() {
                    return Err(WebError::config(field, "must be an http(s) or data:image URL"));
                }
            }
        }
        let mut stylesheets = Vec::new();
        for (i, s) in a.stylesheets.iter().enumerate() {
            let s = s.as_str().unwrap_or_default();
            if crate::web::widget::safe_url(s, crate::web::widget::UrlUse::Stylesheet).is_none() {
                return Err(WebError::config(
                    &format!("assistant.stylesheet[{i}]"),
                    "must be an http(s) URL, a relative URL or a data:text/css URL",
                ));
            }
            stylesheets.push(s.to_string());
        }
        if !(a.spacing.side.is_finite() && a.spacing.bottom.is_finite()) {
            return Err(WebError::config("assistant.spacing", "side and bottom must be numbers of pixels"));
        }
        Ok(Settings {
            mode,
            target,
            autostart: self.autostart.unwrap_or(mode == Mode::Overlay),
            launch,
            project_id: self.project_id.filter(|p| !p.is_empty()).map(String::from),
            user_id,
            agent,
            title: a.title.unwrap_or(DEFAULT_TITLE).into(),
            description: a.description.unwrap_or_default().into(),
            image: a.image.map(String::from),
            avatar: a.avatar.map(String::from),
            color: a.color.map(String::from),
            position: a.position,
            spacing: a.spacing,
            stylesheets,
            persistence: a.persistence,
            placeholder: a.input_placeholder.unwrap_or("Message…").into(),
            feedback: a.feedback.unwrap_or(true),
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
    match crate::web::widget::query(document, &selector) {
        Ok(Some(el)) => Ok(el),
        Ok(None) => Err(WebError::config(
            "render.target",
            &format!("embedded mode needs a target element, and '{selector}' matches none"),
        )),
        Err(_) => Err(WebError::config("render.target", &format!("'{selector}' is not a valid CSS selector"))),
    }
}

/// `assistant`: `a` is its JSON copy, `js` the original object (for the extension functions, pushed to
/// `extensions`).
fn assistant<'v>(
    a: &Obj<'v, '_>,
    js: &JsValue,
    extensions: &mut Vec<ExtensionSpec>,
) -> Result<Assistant<'v>, WebError> {
    let spacing = match a.obj("spacing")? {
        None => Spacing::default(),
        Some(s) => Spacing { side: s.pixels("side")?, bottom: s.pixels("bottom")? },
    };
    let stylesheets = match a.opt("stylesheet") {
        None => &[],
        Some(v @ Value::String(_)) => std::slice::from_ref(v),
        Some(Value::Array(list)) if list.iter().all(Value::is_string) => list.as_slice(),
        Some(v) => return Err(a.wrong("stylesheet", v, "a URL or a list of URLs")),
    };
    let js_list = get(js, "extensions");
    let extensions_path = a.path.key("extensions");
    for (i, v) in a.list("extensions")?.iter().enumerate() {
        let e = Obj::new(v, extensions_path.index(i), "an extension object")?;
        let name = e.string("name")?;
        let kind = match e.variant("type", "`response` or `effect`", &[Kind::Response, Kind::Effect])? {
            Some(k) => k,
            None => return Err(config_at(&e.path, "missing field `type`")),
        };
        let js_ext = Reflect::get(&js_list, &JsValue::from(i as u32)).unwrap_or(JsValue::UNDEFINED);
        let matcher = get(&js_ext, "match");
        if matcher.is_undefined() {
            return Err(config_at(&e.path, "missing field `match`"));
        }
        let matcher = match matcher.dyn_into::<Function>() {
            Ok(f) => f,
            Err(v) => {
                let found = v.js_typeof().as_string().unwrap_or_default();
                return Err(config_at(&e.path.key("match"), &format!("invalid type: {found}, expected a function")));
            }
        };
        extensions.push(ExtensionSpec {
            name: name.into(),
            kind,
            matcher,
            render: get(&js_ext, "render"),
            effect: get(&js_ext, "effect"),
        });
    }
    Ok(Assistant {
        title: a.opt_str("title")?,
        description: a.opt_str("description")?,
        image: a.opt_str("image")?,
        avatar: a.opt_str("avatar")?,
        color: a.opt_str("color")?,
        position: a.variant("position", "`left` or `right`", &[Position::Left, Position::Right])?.unwrap_or_default(),
        spacing,
        stylesheets,
        persistence: a
            .variant(
                "persistence",
                "one of `localStorage`, `sessionStorage`, `memory`",
                &[Persistence::Local, Persistence::Session, Persistence::Memory],
            )?
            .unwrap_or_default(),
        input_placeholder: a.opt_str("inputPlaceholder")?,
        feedback: a.opt_bool("feedback")?,
    })
}

/// The error for a bad field at `path` (spelled out here, only when there is an error).
fn config_at(path: &Path, message: &str) -> WebError {
    WebError::config(&path.render(), message)
}

fn invalid(path: &Path, v: &Value, expected: &str) -> WebError {
    config_at(path, &format!("invalid type: {}, expected {expected}", v.kind()))
}

/// One JSON object of the config being read. A missing key takes its default; `null` counts as missing only
/// where the field is optional. Its path is a chain on the stack (`assistant.extensions[0]`), spelled out only
/// in an error.
struct Obj<'v, 'p> {
    map: &'v Map<String, Value>,
    path: Path<'p>,
}

impl<'v, 'p> Obj<'v, 'p> {
    fn new(v: &'v Value, path: Path<'p>, what: &str) -> Result<Obj<'v, 'p>, WebError> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            _ => Err(invalid(&path, v, what)),
        }
    }

    /// The error for a field of the wrong type.
    fn wrong(&self, key: &str, v: &Value, expected: &str) -> WebError {
        invalid(&self.path.key(key), v, expected)
    }

    /// An optional field: absent or `null` is `None`.
    fn opt(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'v str>, WebError> {
        match self.opt(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.wrong(key, v, "a string")),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, WebError> {
        match self.opt(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong(key, v, "a boolean")),
        }
    }

    /// A required string.
    fn string(&self, key: &str) -> Result<&'v str, WebError> {
        match self.map.get(key) {
            None => Err(config_at(&self.path, &format!("missing field `{key}`"))),
            Some(Value::String(s)) => Ok(s),
            Some(v) => Err(self.wrong(key, v, "a string")),
        }
    }

    fn string_or(&self, key: &str, default: &'static str) -> Result<&'v str, WebError> {
        match self.map.get(key) {
            None => Ok(default),
            Some(_) => self.string(key),
        }
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, WebError> {
        match self.map.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.wrong(key, v, "a boolean")),
        }
    }

    /// A number of pixels, 30 by default. `null` (what `JSON.stringify` makes of `NaN` and infinities) is read
    /// as `NaN`, refused later as not finite.
    fn pixels(&self, key: &str) -> Result<f64, WebError> {
        match self.map.get(key) {
            None => Ok(30.0),
            Some(Value::Null) => Ok(f64::NAN),
            Some(Value::Number(n)) => Ok(n.as_f64().unwrap_or(f64::NAN)),
            Some(v) => Err(self.wrong(key, v, "a number")),
        }
    }

    /// A nested object with defaults: absent is `None`, anything but an object is refused.
    fn obj<'s>(&'s self, key: &'s str) -> Result<Option<Obj<'v, 's>>, WebError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => Obj::new(v, self.path.key(key), "an object").map(Some),
        }
    }

    /// An optional nested object: absent or `null` is `None`.
    fn opt_obj<'s>(&'s self, key: &'s str) -> Result<Option<Obj<'v, 's>>, WebError> {
        match self.opt(key) {
            None => Ok(None),
            Some(_) => self.obj(key),
        }
    }

    /// A list, empty when absent.
    fn list(&self, key: &str) -> Result<&'v [Value], WebError> {
        match self.map.get(key) {
            None => Ok(&[]),
            Some(Value::Array(list)) => Ok(list),
            Some(v) => Err(self.wrong(key, v, "an array")),
        }
    }

    /// One of a fixed set of strings, named between backticks in `expected` as the error lists them (``"`left` or
    /// `right`"``) and meaning `values` in that order; absent is `None`.
    fn variant<T: Copy>(&self, key: &str, expected: &str, values: &[T]) -> Result<Option<T>, WebError> {
        Ok(self.pick(key, expected)?.and_then(|i| values.get(i).copied()))
    }

    /// The index of this field's string among the names in `expected` (see [`Obj::variant`]); absent is `None`.
    #[inline(never)]
    fn pick(&self, key: &str, expected: &str) -> Result<Option<usize>, WebError> {
        let Some(v) = self.map.get(key) else { return Ok(None) };
        // The names are the odd pieces between backticks.
        for (i, name) in expected.split('`').enumerate() {
            if i % 2 == 1 && v.as_str() == Some(name) {
                return Ok(Some(i / 2));
            }
        }
        Err(config_at(
            &self.path.key(key),
            &match v {
                Value::String(s) => format!("unknown variant `{s}`, expected {expected}"),
                _ => format!("invalid type: {}, expected {expected}", v.kind()),
            },
        ))
    }
}
