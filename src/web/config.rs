//! The `load()` config (SPEC §1.4): read by hand with the path of every bad field, then checked.
//!
//! Voiceflow's fields are accepted as the real widget reads them (unknown fields are ignored, as zod does),
//! plus `agent` (an agent object or a URL: local mode), `listeners` and `remote` (remote mode's time limit and
//! retries). Without `agent` the widget runs in remote mode against `url`. The plain-data part crosses as JSON text
//! (`JSON.stringify`, one call) and is decoded from a `json::Value`; values only JS can hold (the render
//! target, extension functions) are read from the original object with `Reflect`. Hand-written on purpose:
//! derived serde visitors over `serde_wasm_bindgen` were the largest part of the wasm module.

use std::cell::Cell;

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
    /// Local mode's agent, or remote mode's runtime.
    pub source: Source,
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

/// Where the conversation runs.
pub enum Source {
    /// Local mode: the agent file at this URL.
    #[cfg(feature = "engine")]
    AgentUrl(String),
    /// Local mode: the agent object of the config.
    #[cfg(feature = "engine")]
    Agent(Value),
    /// Remote mode.
    #[cfg(feature = "remote")]
    Remote(super::remote::Options),
}

/// The `assistant` options a runtime's publishing settings may give, under the page's own.
#[cfg(feature = "remote")]
pub const PUBLISHED: [&str; 11] = [
    "title",
    "description",
    "image",
    "avatar",
    "color",
    "position",
    "spacing",
    "stylesheet",
    "persistence",
    "inputPlaceholder",
    "feedback",
];

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
    let problem = Problem::default();
    let raw = Raw::read(&data, value, extensions, listeners, &problem);
    if let Some(e) = problem.0.take() {
        return Err(e);
    }
    if raw.allow_dangerous_html == Some(true) {
        web_sys::console::warn_1(
            &"eventflow: allowDangerousHTML is ignored: agent HTML is always shown as text".into(),
        );
    }
    Extensions::check(extensions)?;
    raw.settings(document, &js_render)
}

/// The config as read, its text borrowed from the JSON copy: nothing is copied until every check has passed.
#[derive(Default)]
struct Raw<'v> {
    /// `verify.projectID`.
    project_id: Option<&'v str>,
    // Remote mode's options are read (and their types checked) by every module; the local one ignores them.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    url: Option<&'v str>,
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    version_id: Option<&'v str>,
    /// `remote.timeoutMs` and `remote.retries`.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    remote: (Option<f64>, Option<f64>),
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
    /// listeners are pushed to the lists given; the first problem goes to `problem` (what is read after it is
    /// not used).
    fn read(
        data: &'v Value,
        js: &JsValue,
        extensions: &mut Vec<ExtensionSpec>,
        listeners: &mut Vec<ListenerSpec>,
        problem: &Problem,
    ) -> Raw<'v> {
        let Some(c) = Obj::new(data, Path::Root, "a config object", problem) else { return Raw::default() };
        let render = c.obj("render");
        let mode = render.and_then(|r| r.variant("mode", "`overlay` or `embedded`", &[Mode::Overlay, Mode::Embedded]));
        let assistant = match c.obj("assistant") {
            None => Assistant::default(),
            Some(a) => assistant(&a, &get(js, "assistant"), extensions),
        };
        let listeners_path = Path::top("listeners");
        for (i, v) in c.list("listeners").iter().enumerate() {
            let Some(l) = Obj::new(v, listeners_path.index(i), "a listener object", problem) else { continue };
            let (selector, on, event) = (l.string("selector"), l.string_or("on", "click"), l.string("event"));
            let data = l.opt("data");
            let open = l.bool_or("open", false);
            listeners.push(ListenerSpec {
                selector: selector.into(),
                on: on.into(),
                event: event.into(),
                data: data.cloned(),
                open,
            });
        }
        let project_id = c.opt_obj("verify").map(|v| v.string("projectID"));
        let remote = match c.opt_obj("remote") {
            None => (None, None),
            Some(r) => (r.opt_number("timeoutMs"), r.opt_number("retries")),
        };
        Raw {
            project_id,
            url: c.opt_str("url"),
            version_id: c.opt_str("versionID"),
            remote,
            user_id: c.opt("userID"),
            autostart: c.opt_bool("autostart"),
            mode: mode.unwrap_or_default(),
            launch: c.opt_obj("launch").and_then(|l| l.opt("event")),
            assistant,
            agent: c.opt("agent"),
            allow_dangerous_html: c.opt_bool("allowDangerousHTML"),
        }
    }

    /// Check what the shape alone cannot: the render target (read from `js_render`, the original `render`), URLs,
    /// the launch action.
    fn settings(self, document: &web_sys::Document, js_render: &JsValue) -> Result<Settings, WebError> {
        let source = self.source()?;
        let mode = self.mode;
        let target = match mode {
            Mode::Overlay => None,
            Mode::Embedded => Some(render_target(&get(js_render, "target"), document)?),
        };
        let launch = match self.launch {
            None => crate::json::obj(vec![("type", crate::json::text("launch"))]),
            Some(ev) => {
                if let Err(e) = crate::wire::Envelope::from_value(ev.clone()) {
                    return Err(WebError::config("launch.event", &e.message));
                }
                ev.clone()
            }
        };
        let user_id = match self.user_id {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => {
                let decoded = super::by_name::decode_uri_component(s);
                Some(decoded.ok().and_then(|d| d.as_string()).unwrap_or_else(|| s.clone()))
            }
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(WebError::config("userID", "must be a non-empty string or a number")),
        };
        let a = self.assistant;
        for (field, url) in [("assistant.image", a.image), ("assistant.avatar", a.avatar)] {
            if let Some(u) = url {
                if crate::client::url::safe_url(u, crate::client::url::UrlUse::Image).is_none() {
                    return Err(WebError::config(field, "must be an http(s) or data:image URL"));
                }
            }
        }
        let mut stylesheets = Vec::new();
        for (i, s) in a.stylesheets.iter().enumerate() {
            let s = s.as_str().unwrap_or_default();
            if crate::client::url::safe_url(s, crate::client::url::UrlUse::Stylesheet).is_none() {
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
            source,
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

impl Raw<'_> {
    /// Local mode with `agent`, else remote mode with `url`; each only in a module built with it.
    fn source(&self) -> Result<Source, WebError> {
        match self.agent {
            #[cfg(feature = "engine")]
            Some(Value::String(url)) if !url.trim().is_empty() => Ok(Source::AgentUrl(url.clone())),
            #[cfg(feature = "engine")]
            Some(v @ Value::Object(_)) => Ok(Source::Agent(v.clone())),
            #[cfg(feature = "engine")]
            Some(_) => Err(WebError::config("agent", "must be an agent object or the URL of an agent file")),
            #[cfg(not(feature = "engine"))]
            Some(_) => Err(WebError::config("agent", "this is the remote-mode module, without the local engine")),
            #[cfg(feature = "remote")]
            None => self.remote().map(Source::Remote),
            #[cfg(not(feature = "remote"))]
            None => Err(WebError::config(
                "agent",
                "required: this is the local-mode module (give an agent object or the URL of an agent file)",
            )),
        }
    }

    /// Remote mode's options: the runtime URL (Voiceflow's hosted runtime by default), the project, the time
    /// limit of a turn and its retries.
    #[cfg(feature = "remote")]
    fn remote(&self) -> Result<super::remote::Options, WebError> {
        use crate::client::retry::Policy;
        let Some(project) = self.project_id.filter(|p| !p.trim().is_empty()) else {
            return Err(WebError::config("verify.projectID", "required in remote mode (without `agent`)"));
        };
        let url = self.url.unwrap_or(crate::client::route::DEFAULT_URL);
        let routes = crate::client::route::Routes::new(url, project).map_err(|e| WebError::config("url", &e))?;
        let (timeout, retries) = self.remote;
        let timeout_ms = match timeout {
            None => 30_000,
            Some(ms) if (100.0..=600_000.0).contains(&ms) => ms as u32,
            Some(_) => return Err(WebError::config("remote.timeoutMs", "must be from 100 to 600000 (ms)")),
        };
        let retries = match retries {
            None => Policy::default().retries,
            Some(n) if (0.0..=10.0).contains(&n) && n.fract() == 0.0 => n as u32,
            Some(_) => return Err(WebError::config("remote.retries", "must be a whole number from 0 to 10")),
        };
        Ok(super::remote::Options {
            routes,
            version_id: self.version_id.filter(|v| !v.is_empty()).map(String::from),
            timeout_ms,
            retry: Policy { retries, ..Policy::default() },
        })
    }
}

#[cfg(feature = "remote")]
/// `config` with the runtime's publishing settings under its `assistant` options: the page's own win; only the
/// options of [`PUBLISHED`] are taken.
pub fn with_published(config: &JsValue, published: &crate::json::Map<String, Value>) -> JsValue {
    let assistant = Object::new();
    for key in PUBLISHED {
        if let Some(v) = published.get(key) {
            super::convert::set(&assistant, key, &super::convert::to_js(v));
        }
    }
    let page = get(config, "assistant");
    if page.is_object() {
        Object::assign(&assistant, page.unchecked_ref());
    }
    let merged = Object::assign(&Object::new(), config.unchecked_ref());
    super::convert::set(&merged, "assistant", &assistant);
    merged.into()
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
    match crate::web::dom::query(document, &selector) {
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
fn assistant<'v>(a: &Obj<'v, '_>, js: &JsValue, extensions: &mut Vec<ExtensionSpec>) -> Assistant<'v> {
    let spacing = match a.obj("spacing") {
        None => Spacing::default(),
        Some(s) => Spacing { side: s.pixels("side"), bottom: s.pixels("bottom") },
    };
    let stylesheets = match a.opt("stylesheet") {
        None => &[],
        Some(v @ Value::String(_)) => std::slice::from_ref(v),
        Some(Value::Array(list)) if list.iter().all(Value::is_string) => list.as_slice(),
        Some(v) => {
            a.wrong("stylesheet", v, "a URL or a list of URLs");
            &[]
        }
    };
    let js_list = get(js, "extensions");
    let extensions_path = a.path.key("extensions");
    for (i, v) in a.list("extensions").iter().enumerate() {
        let Some(e) = Obj::new(v, extensions_path.index(i), "an extension object", a.problem) else { continue };
        let name = e.string("name");
        let Some(kind) = e.variant("type", "`response` or `effect`", &[Kind::Response, Kind::Effect]) else {
            if e.map.get("type").is_none() {
                e.problem.at(&e.path, "missing field `type`");
            }
            continue;
        };
        let js_ext = Reflect::get(&js_list, &JsValue::from(i as u32)).unwrap_or(JsValue::UNDEFINED);
        let matcher = get(&js_ext, "match");
        if matcher.is_undefined() {
            e.problem.at(&e.path, "missing field `match`");
            continue;
        }
        let matcher = match matcher.dyn_into::<Function>() {
            Ok(f) => f,
            Err(v) => {
                let found = v.js_typeof().as_string().unwrap_or_default();
                e.problem.at(&e.path.key("match"), &format!("invalid type: {found}, expected a function"));
                continue;
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
    Assistant {
        title: a.opt_str("title"),
        description: a.opt_str("description"),
        image: a.opt_str("image"),
        avatar: a.opt_str("avatar"),
        color: a.opt_str("color"),
        position: a.variant("position", "`left` or `right`", &[Position::Left, Position::Right]).unwrap_or_default(),
        spacing,
        stylesheets,
        persistence: a
            .variant(
                "persistence",
                "one of `localStorage`, `sessionStorage`, `memory`",
                &[Persistence::Local, Persistence::Session, Persistence::Memory],
            )
            .unwrap_or_default(),
        input_placeholder: a.opt_str("inputPlaceholder"),
        feedback: a.opt_bool("feedback"),
    }
}

/// The error for a bad field at `path` (spelled out here, only when there is an error).
fn config_at(path: &Path, message: &str) -> WebError {
    WebError::config(&path.render(), message)
}

/// The first problem found in the config. The readers below record it and read on with a default, so a field
/// costs one call and nothing is passed up at every step; the first problem is the one reported, as if reading
/// had stopped there.
#[derive(Default)]
struct Problem(Cell<Option<WebError>>);

impl Problem {
    /// `message` about the field at `path`, unless a problem was found before.
    fn at(&self, path: &Path, message: &str) {
        let first = self.0.take();
        self.0.set(Some(first.unwrap_or_else(|| config_at(path, message))));
    }

    /// A field of the wrong type.
    fn invalid(&self, path: &Path, v: &Value, expected: &str) {
        self.at(path, &format!("invalid type: {}, expected {expected}", v.kind()));
    }
}

/// One JSON object of the config being read. A missing key takes its default; `null` counts as missing only
/// where the field is optional. A field of the wrong type is recorded in `problem` and read as missing. Its path
/// is a chain on the stack (`assistant.extensions[0]`), spelled out only in an error.
struct Obj<'v, 'p> {
    map: &'v Map<String, Value>,
    path: Path<'p>,
    problem: &'p Problem,
}

impl<'v, 'p> Obj<'v, 'p> {
    fn new(v: &'v Value, path: Path<'p>, what: &str, problem: &'p Problem) -> Option<Obj<'v, 'p>> {
        match v {
            Value::Object(map) => Some(Obj { map, path, problem }),
            _ => {
                problem.invalid(&path, v, what);
                None
            }
        }
    }

    /// Record a field of the wrong type.
    #[inline(never)]
    fn wrong(&self, key: &str, v: &Value, expected: &str) {
        self.problem.invalid(&self.path.key(key), v, expected);
    }

    /// An optional field: absent or `null` is `None`.
    fn opt(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> Option<&'v str> {
        match self.opt(key) {
            Some(Value::String(s)) => Some(s),
            Some(v) => {
                self.wrong(key, v, "a string");
                None
            }
            None => None,
        }
    }

    fn opt_number(&self, key: &str) -> Option<f64> {
        match self.opt(key) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(v) => {
                self.wrong(key, v, "a number");
                None
            }
            None => None,
        }
    }

    fn opt_bool(&self, key: &str) -> Option<bool> {
        match self.opt(key) {
            Some(Value::Bool(b)) => Some(*b),
            Some(v) => {
                self.wrong(key, v, "a boolean");
                None
            }
            None => None,
        }
    }

    /// A required string.
    fn string(&self, key: &str) -> &'v str {
        match self.map.get(key) {
            Some(Value::String(s)) => s,
            Some(v) => {
                self.wrong(key, v, "a string");
                ""
            }
            None => {
                self.problem.at(&self.path, &format!("missing field `{key}`"));
                ""
            }
        }
    }

    fn string_or(&self, key: &str, default: &'static str) -> &'v str {
        match self.map.get(key) {
            None => default,
            Some(_) => self.string(key),
        }
    }

    fn bool_or(&self, key: &str, default: bool) -> bool {
        match self.map.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                self.wrong(key, v, "a boolean");
                default
            }
            None => default,
        }
    }

    /// A number of pixels, 30 by default. `null` (what `JSON.stringify` makes of `NaN` and infinities) is read
    /// as `NaN`, refused later as not finite.
    fn pixels(&self, key: &str) -> f64 {
        match self.map.get(key) {
            None => 30.0,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            Some(Value::Null) => f64::NAN,
            Some(v) => {
                self.wrong(key, v, "a number");
                f64::NAN
            }
        }
    }

    /// A nested object with defaults: absent is `None`, anything but an object is refused.
    fn obj<'s>(&'s self, key: &'s str) -> Option<Obj<'v, 's>> {
        Obj::new(self.map.get(key)?, self.path.key(key), "an object", self.problem)
    }

    /// An optional nested object: absent or `null` is `None`.
    fn opt_obj<'s>(&'s self, key: &'s str) -> Option<Obj<'v, 's>> {
        self.opt(key)?;
        self.obj(key)
    }

    /// A list, empty when absent.
    fn list(&self, key: &str) -> &'v [Value] {
        match self.map.get(key) {
            Some(Value::Array(list)) => list,
            Some(v) => {
                self.wrong(key, v, "an array");
                &[]
            }
            None => &[],
        }
    }

    /// One of a fixed set of strings, named between backticks in `expected` as the error lists them (``"`left` or
    /// `right`"``) and meaning `values` in that order; absent (or refused) is `None`.
    fn variant<T: Copy>(&self, key: &str, expected: &str, values: &[T]) -> Option<T> {
        self.pick(key, expected).and_then(|i| values.get(i).copied())
    }

    /// The index of this field's string among the names in `expected` (see [`Obj::variant`]); absent is `None`.
    #[inline(never)]
    fn pick(&self, key: &str, expected: &str) -> Option<usize> {
        let v = self.map.get(key)?;
        // The names are the odd pieces between backticks.
        for (i, name) in expected.split('`').enumerate() {
            if i % 2 == 1 && v.as_str() == Some(name) {
                return Some(i / 2);
            }
        }
        let message = match v {
            Value::String(s) => format!("unknown variant `{s}`, expected {expected}"),
            _ => format!("invalid type: {}, expected {expected}", v.kind()),
        };
        self.problem.at(&self.path.key(key), &message);
        None
    }
}
