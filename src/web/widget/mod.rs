//! The chat UI: built with web-sys into a shadow root, so page CSS cannot break it and its CSS cannot leak.
//!
//! Overlay mode appends a host element to `<body>` holding a launcher button, proactive messages and the chat
//! window; embedded mode renders the window into `render.target`. The DOM is built node by node (never
//! `innerHTML` with content). Clicks are delegated from the shadow root to `data-ef` commands, and the widget
//! reports what the user did as [`UiEvent`]s: it never decides what a click means for the conversation.

mod chrome;
mod markdown;
mod player;
mod render;
mod styles;

use crate::web::{bm, br, spawn};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crate::json::Value;
use js_sys::Function;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement, HtmlInputElement, ShadowRoot};

use crate::client::rating::Thumb;
use crate::client::url::{safe_url, UrlUse};
use crate::json::{obj2, text, with, Map};
use crate::web::by_name;
use crate::web::convert::{get, set};
use crate::web::dom::{self, add, attr, el, set_hidden, text_el, R};
use chrome::Build;
pub use markdown::render as render_markdown;

use super::config::{Mode, Position, Settings};
use super::extensions::Extensions;
use super::listeners::DomListener;

/// What the user did in the widget.
pub enum UiEvent {
    /// Typed text, sent with Enter or the send button.
    Send(String),
    /// A button's request.
    Press(Value),
    /// The launcher.
    Toggle,
    Open,
    Close,
    /// "Start new chat".
    Restart,
    /// The Retry button of a turn not delivered: its id.
    Resend(String),
    /// An attached file's metadata (`{name, content_type, size, width?, height?}`).
    File(Value),
    /// A thumb of the agent's `index`-th message (from 0, counted from the start of the conversation).
    Rate {
        index: usize,
        thumb: Thumb,
    },
}

pub type UiHandler = Rc<dyn Fn(UiEvent)>;

/// Which label the bar above the composer shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndBar {
    Hidden,
    /// Before a first launch when `autostart` is off.
    Start,
    /// After an `end` trace.
    Restart,
}

pub(crate) struct Widget {
    me: Weak<Widget>,
    doc: Document,
    host: HtmlElement,
    root: ShadowRoot,
    shell: Element,
    launcher: Option<Element>,
    window: Element,
    log: Element,
    typing: Element,
    endbar: Element,
    endbar_button: Element,
    input: HtmlInputElement,
    /// The hidden file input the attach button opens.
    file: HtmlInputElement,
    proactive: Option<Element>,
    mode: Mode,
    position: Position,
    title: String,
    avatar: Option<String>,
    open: Cell<bool>,
    /// Requests of the buttons shown, by the index in their `data-ef="act:N"`.
    actions: RefCell<Vec<Value>>,
    /// Label and request of the live choice buttons (typed text equal to a label sends the request).
    live_choices: RefCell<Vec<(String, Value)>>,
    /// Cleanup functions returned by response extensions, called on removal.
    cleanups: RefCell<Vec<Function>>,
    /// Whether agent messages get rating buttons (`assistant.feedback`).
    feedback: bool,
    /// The rating buttons shown, by the place of their message.
    rate_groups: RefCell<Vec<(usize, Element)>>,
    /// How many agent messages were shown (live or restored): the place of the next one.
    texts: Cell<usize>,
    player: player::Player,
    extensions: Extensions,
    on_ui: UiHandler,
    closures: RefCell<Vec<(web_sys::EventTarget, &'static str, DomListener)>>,
    busy: Cell<bool>,
}

impl Widget {
    pub(crate) fn new(settings: &Settings, extensions: Extensions, on_ui: UiHandler) -> R<Rc<Widget>> {
        let window = web_sys::window().ok_or("no window")?;
        let doc = window.document().ok_or("no document")?;
        let host: HtmlElement = dom::create(&doc, "div").unchecked_into();
        if let Ok(None) = dom::query(&doc, "#voiceflow-chat") {
            attr(&host, "id", "voiceflow-chat");
        }
        attr(&host, "data-eventflow", "");
        match (&settings.target, settings.mode) {
            (Some(target), Mode::Embedded) => {
                // The host has no inline style yet: one constant attribute instead of two `setProperty` calls.
                attr(&host, "style", "display:block;height:100%");
                add(target, &host);
            }
            _ => {
                let body = get(&doc, "body");
                if body.is_falsy() {
                    return Err("no <body>".into());
                }
                add(body.unchecked_ref(), &host);
            }
        }
        // `host.attachShadow({mode: "open"})`: no binding, setter or enum table.
        let init = js_sys::Object::new();
        set(&init, "mode", &"open".into());
        let root: ShadowRoot = by_name::attach_shadow(&host, &init)?.unchecked_into();
        let style = dom::create(&doc, "style");
        dom::set_text(&style, styles::CSS);
        add(&root, &style);
        for href in &settings.stylesheets {
            if let Some(href) = safe_url(href, UrlUse::Stylesheet) {
                let link = dom::create(&doc, "link");
                attr(&link, "rel", "stylesheet");
                attr(&link, "href", &href);
                add(&root, &link);
            }
        }
        let overlay = settings.mode == Mode::Overlay;
        let title = settings.title.clone();
        let avatar = settings.avatar.clone().or_else(|| settings.image.clone());
        let mut typing_label = String::with_capacity(title.len() + 10);
        typing_label.push_str(&title);
        typing_label.push_str(" is typing");
        let elements = [
            avatar_el(&doc, settings.image.as_deref(), &title),
            avatar_el(&doc, settings.image.as_deref(), &title),
            avatar_el(&doc, avatar.as_deref(), &title),
        ];
        let mut b = Build {
            doc: &doc,
            vals: &[
                Some(chrome::shell_class(overlay, settings.position, false)),
                Some(if overlay { "dialog" } else { "region" }),
                Some(&title),
                overlay.then_some(""),
                Some(&settings.description),
                Some(&settings.placeholder),
                Some(&typing_label),
            ],
            flags: if overlay { chrome::OVERLAY } else { 0 }
                | if settings.description.is_empty() { 0 } else { chrome::DESCRIPTION },
            elements: &elements,
            kept: Default::default(),
        };
        b.node(&chrome::CHROME, &root);
        // The slots of `chrome`, the required elements first.
        let [_, Some(shell), Some(win), Some(log), Some(typing), Some(endbar), Some(endbar_button), Some(file), Some(input), proactive, launcher] =
            b.kept
        else {
            return Err("chrome".into());
        };
        if let Some(c) = &settings.color {
            set_style(&shell, "--ef-accent", c);
        }
        set_style(&shell, "--ef-side", &px(settings.spacing.side));
        set_style(&shell, "--ef-bottom", &px(settings.spacing.bottom));
        // Elements this code created: casts need no check (each checked cast is a JS binding).
        let file: HtmlInputElement = file.unchecked_into();
        let input: HtmlInputElement = input.unchecked_into();

        let widget = Rc::new_cyclic(|me| Widget {
            me: me.clone(),
            doc,
            host,
            root,
            shell,
            launcher,
            window: win,
            log,
            typing,
            endbar,
            endbar_button,
            input,
            file,
            proactive,
            mode: settings.mode,
            position: settings.position,
            title,
            avatar,
            open: Cell::new(!overlay),
            actions: RefCell::new(Vec::new()),
            live_choices: RefCell::new(Vec::new()),
            cleanups: RefCell::new(Vec::new()),
            feedback: settings.feedback,
            rate_groups: RefCell::new(Vec::new()),
            texts: Cell::new(0),
            player: player::Player::default(),
            extensions,
            on_ui,
            closures: RefCell::new(Vec::new()),
            busy: Cell::new(false),
        });
        widget.listen();
        super::panic::register(&widget.shell);
        Ok(widget)
    }

    /// The delegated listeners of the shadow root and the file input: one closure type for all three, so the
    /// module holds one copy of its glue.
    fn listen(&self) {
        self.add(self.root.as_ref(), "click");
        self.add(self.root.as_ref(), "keydown");
        self.add(self.file.as_ref(), "change");
    }

    /// Listen to `ty` events on `target`. `addEventListener` throws only for a callback that is not callable, so
    /// there is no error path.
    fn add(&self, target: &web_sys::EventTarget, ty: &'static str) {
        let me = self.me.clone();
        let cb: DomListener = Closure::new(move |ev: web_sys::Event| {
            let Some(w) = me.upgrade() else { return };
            match ty {
                "click" => w.on_click(&ev),
                "keydown" => w.on_key(&ev),
                _ => w.on_file(),
            }
        });
        // `_and_bool(.., false)` is the default phase; one binding with the page listeners' capture phase.
        let _ = target.add_event_listener_with_callback_and_bool(ty, cb.as_ref().unchecked_ref(), false);
        bm(&self.closures).push((target.clone(), ty, cb));
    }

    fn emit(&self, ev: UiEvent) {
        (self.on_ui)(ev);
    }

    fn on_click(&self, ev: &web_sys::Event) {
        let Some(target) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        let Ok(Some(el)) = target.closest("[data-ef]") else { return };
        let command = el.get_attribute("data-ef").unwrap_or_default();
        let (verb, arg) = command.split_once(':').unwrap_or((&command, ""));
        let action = || arg.parse::<usize>().ok().and_then(|i| br(&self.actions).get(i).cloned());
        match verb {
            "launcher" => self.emit(UiEvent::Toggle),
            "close" => self.emit(UiEvent::Close),
            "restart" => self.emit(UiEvent::Restart),
            "send" => self.send_input(),
            "attach" => by_name::click(&self.file),
            "act" => {
                if let Some(a) = action() {
                    self.emit(UiEvent::Press(a));
                }
            }
            "resend" => {
                if let Ok(Some(row)) = el.closest(".ef-error") {
                    by_name::remove(&row);
                }
                self.emit(UiEvent::Resend(arg.to_string()));
            }
            "prev" | "next" => {
                let strip = el
                    .closest(".ef-carousel-wrap")
                    .ok()
                    .flatten()
                    .and_then(|w| w.query_selector(".ef-carousel").ok().flatten());
                if let Some(strip) = strip {
                    // `scrollBy(±260, 0)` as a `scrollLeft` update: no `scrollBy` binding.
                    let left = get(&strip, "scrollLeft").as_f64().unwrap_or(0.0);
                    set(&strip, "scrollLeft", &(left + if verb == "prev" { -260.0 } else { 260.0 }).into());
                }
            }
            "rate" => {
                let (thumb, index) = arg.split_once(':').unwrap_or_default();
                if let (Some(thumb), Ok(index)) = (Thumb::from_name(thumb), index.parse::<usize>()) {
                    self.emit(UiEvent::Rate { index, thumb });
                }
            }
            "proactive" => self.emit(UiEvent::Open),
            "proactive-close" => {
                by_name::stop_propagation(ev);
                if let Ok(Some(p)) = el.closest(".ef-pro") {
                    by_name::remove(&p);
                }
            }
            _ => {}
        }
    }

    /// A keydown. `key`, `shiftKey` and `isComposing` are read with [`get`] rather than a binding each.
    fn on_key(&self, k: &web_sys::Event) {
        let flag = |name| get(k, name).is_truthy();
        match get(k, "key").as_string().as_deref() {
            Some("Escape") if self.mode == Mode::Overlay && self.open.get() => {
                by_name::prevent_default(k);
                self.emit(UiEvent::Close);
            }
            Some("Enter") if !flag("shiftKey") && !flag("isComposing") => {
                let input: &web_sys::EventTarget = &self.input;
                let in_input = k.target().is_some_and(|t| &t == input);
                if in_input {
                    by_name::prevent_default(k);
                    self.send_input();
                }
            }
            _ => {}
        }
    }

    fn send_input(&self) {
        let text = self.value();
        if text.trim().is_empty() {
            return;
        }
        set(&self.input, "value", &"".into());
        self.emit(UiEvent::Send(text));
    }

    /// Read the chosen file's metadata (and an image's size) and report it. Nothing is uploaded. Properties are
    /// read with [`get`] rather than a binding each for `files[0]`, `name`, `type`, `size`, `width` and `height`.
    fn on_file(&self) {
        let input = &self.file;
        let file = get(&get(input, "files"), "0");
        if file.is_undefined() {
            return;
        }
        set(input, "value", &"".into());
        // `createImageBitmap(file)` (no binding), started here: the future only awaits it,
        // so it holds no more than the promise, the file and the widget across its `await`.
        let bitmap =
            if string(&file, "type").starts_with("image/") { by_name::create_image_bitmap(&file).ok() } else { None };
        let me = self.me.clone();
        spawn(Box::pin(async move {
            let mut size = None;
            if let Some(p) = bitmap {
                if let Ok(bitmap) = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(p)).await {
                    size = Some((number(&bitmap, "width"), number(&bitmap, "height")));
                    by_name::close(&bitmap);
                }
            }
            if let Some(w) = me.upgrade() {
                w.file_chosen(&file, size);
            }
        }));
    }

    /// Report a chosen file: its metadata, read after the image size was awaited (a `File`'s properties do not
    /// change).
    fn file_chosen(&self, file: &JsValue, size: Option<(u64, u64)>) {
        // Field by field with [`with`]: no `Vec` of fields.
        let mut meta = with(Map::new(), "name", Value::String(string(file, "name")));
        meta = with(meta, "content_type", Value::String(string(file, "type")));
        meta = with(meta, "size", number(file, "size").into());
        if let Some((width, height)) = size {
            meta = with(with(meta, "width", width.into()), "height", height.into());
        }
        self.emit(UiEvent::File(obj2("type", text("file"), "payload", Value::Object(meta))));
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.get()
    }

    /// Open or close the overlay window (embedded mode is always open).
    pub(crate) fn set_open(&self, open: bool) {
        if self.mode != Mode::Overlay || self.open.get() == open {
            return;
        }
        self.open.set(open);
        set_hidden(&self.window, !open);
        attr(&self.shell, "class", chrome::shell_class(true, self.position, open));
        if let Some(l) = &self.launcher {
            attr(l, "aria-expanded", if open { "true" } else { "false" });
            let label = if open { "Close chat" } else { "Open chat" };
            attr(l, "aria-label", label);
            attr(l, "title", label);
        }
        if open {
            self.proactive_clear();
            self.scroll_to_end();
            by_name::focus(&self.input);
        } else if get(&self.root, "activeElement").is_truthy() {
            // Focus was inside the chat: give it to the launcher rather than losing it.
            if let Some(l) = &self.launcher {
                by_name::focus(l);
            }
        }
    }

    /// `hide()` / `show()`: the whole widget, launcher included.
    pub(crate) fn set_hidden(&self, hidden: bool) {
        // An empty value removes the declaration.
        set_style(&self.host, "display", if hidden { "none" } else { "" });
    }

    pub(crate) fn set_endbar(&self, bar: EndBar) {
        set_hidden(&self.endbar, bar == EndBar::Hidden);
        let label = if bar == EndBar::Start { "Start a chat" } else { "Start new chat" };
        dom::set_text(&self.endbar_button, label);
    }

    /// A request is on its way (remote mode may take a while): show the typing dots meanwhile.
    pub(crate) fn set_busy(&self, busy: bool) {
        self.busy.set(busy);
        self.update_typing();
    }

    /// Put text back in the input (a send that could not happen keeps what the user typed).
    pub(crate) fn restore_input(&self, text: &str) {
        if self.value().is_empty() {
            set(&self.input, "value", &text.into());
        }
    }

    /// Remove everything shown (a new chat starts).
    pub(crate) fn clear(&self) {
        self.player.clear();
        self.run_cleanups();
        self.remove_all(".ef-row:not(.ef-typing),.ef-divider,.ef-error,.ef-fatal");
        bm(&self.actions).clear();
        bm(&self.live_choices).clear();
        bm(&self.rate_groups).clear();
        self.texts.set(0);
        self.set_endbar(EndBar::Hidden);
    }

    fn run_cleanups(&self) {
        let cleanups = std::mem::take(&mut *bm(&self.cleanups));
        for f in &cleanups {
            if let Err(e) = f.call1(&JsValue::UNDEFINED, &JsValue::UNDEFINED) {
                web_sys::console::error_2(&"eventflow: an extension cleanup threw:".into(), &e);
            }
        }
    }

    /// Take the widget out of the page (`destroy()`).
    pub(crate) fn remove(&self) {
        self.player.clear();
        self.run_cleanups();
        let closures = std::mem::take(&mut *bm(&self.closures));
        for (target, ty, cb) in &closures {
            let _ = target.remove_event_listener_with_callback_and_bool(ty, cb.as_ref().unchecked_ref(), false);
        }
        super::panic::unregister(&self.shell);
        by_name::remove(&self.host);
    }

    /// The host element (its `shadowRoot` holds the widget).
    pub(crate) fn host(&self) -> &HtmlElement {
        &self.host
    }

    /// Whether every trace received has been shown.
    pub(crate) fn is_idle(&self) -> bool {
        self.player.is_idle()
    }

    pub(crate) fn proactive_push(&self, markdown_text: &str) {
        let Some(area) = &self.proactive else { return };
        if self.open.get() {
            return;
        }
        let b = el(&self.doc, "div", "ef-pro");
        attr(&b, "data-ef", "proactive");
        let body = el(&self.doc, "div", "ef-md");
        markdown::render(&self.doc, &body, markdown_text);
        add(&b, &body);
        chrome::build(&self.doc, &chrome::PROACTIVE_CLOSE, &b);
        add(area, &b);
    }

    pub(crate) fn proactive_clear(&self) {
        if let Some(area) = &self.proactive {
            dom::set_text(area, "");
        }
    }

    /// What the user typed (`input.value` read through [`get`]: no getter binding).
    fn value(&self) -> String {
        string(&self.input, "value")
    }

    fn scroll_to_end(&self) {
        dom::scroll_end(&self.log);
    }
}

/// An avatar: the image when there is a safe URL, else the title's initial on the accent colour.
fn avatar_el(doc: &Document, url: Option<&str>, title: &str) -> Element {
    if let Some(src) = url.and_then(|u| safe_url(u, UrlUse::Image)) {
        return dom::img(doc, "ef-avatar", &src, "", false);
    }
    // Upper-cased by CSS (`text-transform`), which keeps Unicode's case tables out of the module.
    let mut buf = [0; 4];
    let initial = match title.chars().find(|c| c.is_alphanumeric()) {
        Some(c) => &*c.encode_utf8(&mut buf),
        None => "",
    };
    let a = text_el(doc, "div", "ef-avatar", initial);
    attr(&a, "aria-hidden", "true");
    a
}

/// A string property of `v` (empty when it is not a string).
fn string(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

/// A number property of `v` as a whole number (0 when it is not a number).
fn number(v: &JsValue, key: &str) -> u64 {
    get(v, key).as_f64().unwrap_or(0.0) as u64
}

/// `e.style.setProperty(name, value)`, the declaration read through [`get`] (no getter binding). It throws only
/// for a read-only declaration, which an element's own style is not, so there is no error path.
fn set_style(e: &JsValue, name: &str, value: &str) {
    let _ = get(e, "style").unchecked_into::<web_sys::CssStyleDeclaration>().set_property(name, value);
}

/// A CSS length in pixels. The number is written by our JSON writer ("30.0px"): `format!("{}", f64)` would link
/// core's float printer, 14 KB of wasm.
fn px(v: f64) -> String {
    crate::json::to_string(&Value::from(v)) + "px"
}
