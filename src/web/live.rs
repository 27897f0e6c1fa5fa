//! A loaded widget: its settings, UI, transport, storage and page listeners, and the *lane* that runs turns.
//!
//! Turns run one at a time, in the order they were asked for (page calls, clicks, typed text alike), so a slow
//! turn (remote mode) never reorders the conversation. UI calls (`open`, `close`, `hide`, `show`) act at once.
//! After each turn the session is saved and the page hears `voiceflow:interact` and `voiceflow:save_session`.

use crate::web::{bm, spawn};
use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use crate::json::Value;
use wasm_bindgen::JsValue;

use super::config::{AgentSource, Config, Mode, Settings};
use super::controller::{warn_mode, Call, Resolvers};
use super::error::{describe, js_error, WebError};
use super::events::{self, Hub};
use super::extensions::Extensions;
use super::listeners::{ListenerSpec, Listeners, Trigger};
use super::storage::{self, Store};
use super::transport::{fetch_text, Answer, Fetched, LocalTransport, Transport};
use super::widget::{safe_url, EndBar, UiEvent, UiHandler, UrlUse, Widget};
use crate::client::rating::{self, Rating, Thumb};
use crate::engine::{Engine, Status, Trace};
use crate::json::{self, obj2};

/// Where a turn came from: it decides how a failure is reported.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Origin {
    /// Typed, clicked or attached in the widget.
    User,
    /// `interact()`, a DOM listener, `open()`'s launch.
    Page,
}

enum Job {
    Turn {
        action: Value,
        origin: Origin,
        done: Option<Resolvers>,
    },
    /// "Start new chat": a fresh session, then the launch.
    Restart,
}

/// A turn waiting for its answer.
struct Turn {
    action: Value,
    origin: Origin,
    done: Option<Resolvers>,
    /// The action is the launch's kind: its answer ends the queued launch.
    is_launch: bool,
}

/// A loaded widget: settings, UI, transport, storage, listeners.
pub struct Live {
    me: Weak<Live>,
    settings: Settings,
    pub(crate) widget: Rc<Widget>,
    pub(crate) transport: Box<dyn Transport>,
    store: Store,
    hub: Rc<Hub>,
    listeners: RefCell<Option<Listeners>>,
    lane: RefCell<Vec<Job>>,
    lane_busy: Cell<bool>,
    /// A launch is queued and has not run yet (two quick `open()`s launch once).
    launch_queued: Cell<bool>,
    stopped: Cell<bool>,
}

impl Live {
    /// Read the config, get the agent, restore the conversation and render it, then call `loaded` with the
    /// widget or the error. Only the agent fetch waits: the steps before and after it are plain functions
    /// ([`Loading`], [`agent_from`]), and the one future spawned here awaits the fetch itself.
    pub(super) fn start(config: JsValue, hub: Rc<Hub>, loaded: impl FnOnce(Result<Rc<Live>, WebError>) + 'static) {
        spawn(Box::pin(async move {
            let result = match Loading::read(config) {
                Ok(loading) => {
                    let engine = match &loading.settings.agent {
                        AgentSource::Url(url) => {
                            // With an (empty) init: one fetch binding for agents and webhooks.
                            agent_from(url, fetch_text(&loading.window, url, &web_sys::RequestInit::new()).await)
                        }
                        AgentSource::Inline(v) => {
                            Engine::from_value(v).map_err(|e| WebError::agent("the agent object", &e))
                        }
                    };
                    match engine {
                        Ok(engine) => loading.finish(engine, hub),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            loaded(result);
        }));
    }

    /// Loaded and in the page: an embedded widget with `autostart` launches now.
    pub(super) fn mounted(&self) {
        if self.settings.mode == Mode::Embedded {
            self.maybe_launch();
        }
    }

    pub(super) fn dispatch(&self, call: Call) {
        match call {
            Call::Open => self.open(),
            Call::Close => self.close(),
            Call::Hide | Call::Show if self.settings.mode == Mode::Embedded => warn_mode(call.name()),
            Call::Hide => self.widget.set_hidden(true),
            Call::Show => self.widget.set_hidden(false),
            Call::ProactivePush(_) | Call::ProactiveClear if self.settings.mode == Mode::Embedded => {
                warn_mode(call.name())
            }
            Call::ProactivePush(traces) => self.proactive(traces),
            Call::ProactiveClear => self.widget.proactive_clear(),
            Call::Interact(action, done) => match super::convert::json_from_js(action) {
                Ok(action) => self.enqueue(Job::Turn { action, origin: Origin::Page, done: Some(done) }),
                Err(message) => {
                    done.reject(&js_error("invalid_request", &format!("interact() needs an action object: {message}")))
                }
            },
        }
    }

    fn open(&self) {
        if self.settings.mode == Mode::Embedded {
            return warn_mode("open");
        }
        self.widget.set_open(true);
        self.hub.emit(events::OPEN, None);
        self.maybe_launch();
    }

    fn close(&self) {
        if self.settings.mode == Mode::Embedded {
            return warn_mode("close");
        }
        self.widget.set_open(false);
        self.hub.emit(events::CLOSE, None);
        self.save();
    }

    /// Launch a conversation that never started, when `autostart` allows it.
    fn maybe_launch(&self) {
        if self.settings.autostart && self.transport.status() == Status::Idle && !self.launch_queued.get() {
            self.launch_queued.set(true);
            let action = self.settings.launch.clone();
            self.enqueue(Job::Turn { action, origin: Origin::Page, done: None });
        }
    }

    /// Only text traces show as proactive messages, as in the real widget.
    fn proactive(&self, traces: Vec<JsValue>) {
        for t in traces {
            match super::convert::json_from_js(t) {
                Ok(v) if v.get("type").and_then(Value::as_str) == Some("text") => {
                    if let Some(m) = v.pointer("/payload/message").and_then(Value::as_str) {
                        self.widget.proactive_push(m);
                    }
                }
                Ok(_) => {}
                Err(m) => {
                    web_sys::console::warn_1(&format!("eventflow: proactive.push() needs trace objects: {m}").into())
                }
            }
        }
    }

    fn on_ui(&self, ev: UiEvent) {
        match ev {
            UiEvent::Send(text) => {
                let action = self
                    .widget
                    .button_for_text(&text)
                    .unwrap_or_else(|| obj2("type", json::text("text"), "payload", Value::String(text)));
                self.enqueue(Job::Turn { action, origin: Origin::User, done: None });
            }
            UiEvent::Press(action) | UiEvent::Retry(action) | UiEvent::File(action) => {
                self.enqueue(Job::Turn { action, origin: Origin::User, done: None })
            }
            UiEvent::Toggle if self.widget.is_open() => self.close(),
            UiEvent::Toggle | UiEvent::Open => self.open(),
            UiEvent::Close => self.close(),
            UiEvent::Restart => self.enqueue(Job::Restart),
            UiEvent::Rate { index, thumb } => self.rate(index, thumb),
        }
    }

    /// The user rated the agent's `index`-th message: the transport records it; then the widget shows it, the
    /// session is saved and the page hears `voiceflow:feedback`.
    fn rate(&self, index: usize, thumb: Thumb) {
        let rating = {
            let (entries, user_id) = (self.transport.entries(), self.transport.user_id());
            rating::message_id(&entries, &user_id, index).and_then(|id| Rating::of(&entries, &user_id, id, thumb))
        };
        let Some(rating) = rating else { return };
        let recorded = self.transport.rate(&rating);
        let me = self.me.clone();
        spawn(Box::pin(async move {
            let result = recorded.await;
            if let Some(live) = me.upgrade() {
                live.rated(result, index, rating);
            }
        }));
    }

    fn rated(&self, result: Result<(), WebError>, index: usize, rating: Rating) {
        if self.stopped.get() {
            return;
        }
        match result {
            Ok(()) => {
                self.widget.show_rating(index, rating.thumb);
                self.save();
                self.hub.emit(events::FEEDBACK, Some(&rating.event_payload()));
            }
            Err(e) => {
                let text = format!("Sorry, your rating could not be sent ({}): {}", e.code, e.message);
                self.widget.show_error(&text, None);
            }
        }
    }

    /// A page element mapped to an event was used.
    fn trigger(&self, t: Trigger) {
        if t.open {
            self.open();
        }
        self.enqueue(Job::Turn { action: t.action, origin: Origin::Page, done: None });
    }

    fn enqueue(&self, job: Job) {
        if self.stopped.get() {
            if let Job::Turn { done, .. } = job {
                refuse_destroyed(done);
            }
            return;
        }
        bm(&self.lane).push(job);
        if self.lane_busy.replace(true) {
            return;
        }
        let me = self.me.clone();
        spawn(Box::pin(async move {
            loop {
                let Some(live) = me.upgrade() else { return };
                let next = super::pop_front(&mut bm(&live.lane));
                let Some(job) = next else {
                    live.lane_busy.set(false);
                    return;
                };
                let Some((turn, answer)) = live.send(job) else { continue };
                let result = answer.await;
                live.answered(result, turn);
            }
        }));
    }

    /// Start the turn a job runs: every job is one turn (a restart is a fresh session, then the launch turn).
    /// `None` when the chat was destroyed (the turn is refused). This and [`Live::answered`] are plain functions
    /// around the one wait, so the lane's future holds only the [`Turn`] and the transport's answer.
    fn send(&self, job: Job) -> Option<(Turn, Answer)> {
        let (action, origin, done) = match job {
            Job::Turn { action, origin, done } => (action, origin, done),
            Job::Restart => {
                self.widget.flush();
                self.transport.restart();
                self.widget.clear();
                self.save();
                self.launch_queued.set(true);
                (self.settings.launch.clone(), Origin::Page, None)
            }
        };
        if self.stopped.get() {
            refuse_destroyed(done);
            return None;
        }
        let is_launch = action.get("type") == self.settings.launch.get("type");
        self.widget.flush();
        if let Some(text) = user_echo(&action) {
            self.widget.user_said(&text);
        }
        open_urls(&action);
        self.widget.set_busy(true);
        let answer = self.transport.send(action.clone());
        Some((Turn { action, origin, done, is_launch }, answer))
    }

    /// The rest of a turn once the transport answered: show the answer (or the error), save, tell the page.
    fn answered(&self, result: Result<Vec<Trace>, WebError>, turn: Turn) {
        let Turn { action, origin, done, is_launch } = turn;
        self.widget.set_busy(false);
        if is_launch {
            self.launch_queued.set(false);
        }
        if self.stopped.get() {
            return refuse_destroyed(done);
        }
        match result {
            Ok(traces) => {
                self.refresh_endbar(false);
                self.widget.play(traces);
                self.save();
                let mut payload = String::new();
                let mut o = json::Obj::new(&mut payload);
                self.summary(o.key("session"));
                o.field("action", &action).end();
                self.hub.emit(events::INTERACT, Some(&payload));
                if let Some(d) = done {
                    d.resolve(&JsValue::UNDEFINED);
                }
            }
            Err(e) => {
                let retry = matches!(e.code, "network" | "timeout").then(|| action.clone());
                let mut text = String::from("Sorry, this could not be sent (");
                text.push_str(e.code);
                text.push_str("): ");
                text.push_str(&e.message);
                self.widget.show_error(&text, retry);
                if origin == Origin::User && action.get("type").and_then(Value::as_str) == Some("text") {
                    if let Some(t) = action.get("payload").and_then(Value::as_str) {
                        self.widget.restore_input(t);
                    }
                }
                match done {
                    Some(d) => d.reject(&e.to_js()),
                    None => {
                        // `{message} ({code})`, as `WebError`'s `Display` writes it.
                        let mut text = String::from("eventflow: a request was refused: ");
                        text.push_str(&e.message);
                        text.push_str(" (");
                        text.push_str(e.code);
                        text.push(')');
                        web_sys::console::warn_1(&text.into())
                    }
                }
            }
        }
    }

    /// Traces that arrived outside a turn (a timer fired, a webhook answered).
    fn on_async(&self, traces: Vec<Trace>) {
        if self.stopped.get() {
            return;
        }
        self.refresh_endbar(false);
        self.widget.play(traces);
        self.save();
    }

    /// The bar above the composer: "Start a chat" before a first launch without autostart; "Start new chat" for
    /// an ended conversation restored from storage. Live, the `end` trace itself brings the bar up, once the
    /// messages before it have shown.
    fn refresh_endbar(&self, initial: bool) {
        match self.transport.status() {
            Status::Idle if !self.settings.autostart && self.transport.entries().is_empty() => {
                self.widget.set_endbar(EndBar::Start)
            }
            Status::Ended if initial => self.widget.set_endbar(EndBar::Restart),
            Status::Ended => {}
            _ => self.widget.set_endbar(EndBar::Hidden),
        }
    }

    /// Write the session summary's JSON text to `out`.
    fn summary(&self, out: &mut String) {
        let entries = self.transport.entries();
        super::turns::session(&self.transport.user_id(), self.transport.status(), &entries, super::now_ms(), out)
    }

    fn save(&self) {
        self.store.save(&self.transport.snapshot());
        let mut summary = String::new();
        self.summary(&mut summary);
        self.hub.emit(events::SAVE_SESSION, Some(&summary));
    }

    /// Take everything out of the page: timers, listeners, DOM. Pending turns are refused.
    pub(super) fn teardown(&self) {
        self.stopped.set(true);
        self.transport.shutdown();
        bm(&self.listeners).take();
        self.widget.remove();
        let pending = std::mem::take(&mut *bm(&self.lane));
        for job in pending {
            if let Job::Turn { done, .. } = job {
                refuse_destroyed(done);
            }
        }
    }

    pub(crate) fn store_key(&self) -> &str {
        self.store.key()
    }

    pub(crate) fn lane_idle(&self) -> bool {
        !self.lane_busy.get()
    }
}

/// A `load()` whose config is read and checked, waiting for its agent.
struct Loading {
    window: web_sys::Window,
    document: web_sys::Document,
    settings: Settings,
    extensions: Extensions,
    specs: Vec<ListenerSpec>,
}

impl Loading {
    /// Read and check the config: everything that can be refused before the agent is fetched.
    fn read(config: JsValue) -> Result<Loading, WebError> {
        // The panic hook is in: `Chat::new` installed it.
        let window = web_sys::window().ok_or_else(|| WebError::new("no_window", "eventflow needs a browser window"))?;
        let document = window.document().ok_or_else(|| WebError::new("no_window", "eventflow needs a document"))?;
        let Config { settings, extensions, listeners: specs } = Config::read(config, &document)?;
        Ok(Loading { window, document, settings, extensions, specs })
    }

    /// Restore the conversation, render the widget and install the page listeners.
    fn finish(self, engine: Engine, hub: Rc<Hub>) -> Result<Rc<Live>, WebError> {
        let Loading { document, settings, extensions, specs, .. } = self;
        let key = storage::key(settings.project_id.as_deref().unwrap_or(engine.name()));
        let store = Store::new(settings.persistence, key);
        let (transport, note) = LocalTransport::new(engine, store.load(), settings.user_id.as_deref());
        if let Some(note) = note {
            web_sys::console::warn_1(&format!("eventflow: {note}; starting a new conversation").into());
        }
        let slot: Rc<OnceCell<Weak<Live>>> = Rc::new(OnceCell::new());
        let s2 = slot.clone();
        let on_ui: UiHandler = Rc::new(move |ev| {
            if let Some(live) = s2.get().and_then(Weak::upgrade) {
                live.on_ui(ev);
            }
        });
        let widget = Widget::new(&settings, extensions, on_ui)
            .map_err(|e| WebError::new("render_failed", format!("the chat could not be rendered: {}", describe(&e))))?;
        let live = Rc::new_cyclic(|me| Live {
            me: me.clone(),
            settings,
            widget,
            transport: Box::new(transport),
            store,
            hub,
            listeners: RefCell::new(None),
            lane: RefCell::new(Vec::new()),
            lane_busy: Cell::new(false),
            launch_queued: Cell::new(false),
            stopped: Cell::new(false),
        });
        let _ = slot.set(Rc::downgrade(&live));
        let me = Rc::downgrade(&live);
        live.transport.set_sink(Rc::new(move |traces| {
            if let Some(live) = me.upgrade() {
                live.on_async(traces);
            }
        }));
        let me = Rc::downgrade(&live);
        let fire: Rc<dyn Fn(Trigger)> = Rc::new(move |t| {
            if let Some(live) = me.upgrade() {
                live.trigger(t);
            }
        });
        match Listeners::install(&document, specs, fire) {
            Ok(l) => *bm(&live.listeners) = Some(l),
            Err(e) => {
                live.teardown();
                return Err(e);
            }
        }
        // Lent, not copied, although replay can run extension code: the one exception to "no borrow while page
        // code runs", and a shared one. Whatever page code can reach meanwhile (clicks in the widget or on mapped
        // page elements; chat methods queue until `load()` resolves) at most reads the session: it is changed only
        // by turns on the lane, timers and webhook answers, which all run later.
        live.widget.replay(&live.transport.entries(), &live.transport.user_id());
        live.refresh_endbar(true);
        Ok(live)
    }
}

/// Reject the page promise (if any) of a turn that will not run: the chat was destroyed.
fn refuse_destroyed(done: Option<Resolvers>) {
    if let Some(d) = done {
        d.reject(&js_error("destroyed", "the chat was destroyed"));
    }
}

/// Load a fetched agent file; each failure names the URL (one message for every way the fetch failed).
fn agent_from(url: &str, fetched: Fetched) -> Result<Engine, WebError> {
    let what = match fetched {
        // `ok` means a 2xx status.
        Ok((200..=299, _, Ok(text))) => {
            return Engine::from_json(&text).map_err(|e| WebError::agent(&format!("'{url}'"), &e))
        }
        Ok((200..=299, _, Err(e))) | Err(Some(e)) => describe(&e),
        Ok((status, response, _)) => {
            // `statusText` through `Reflect.get` rather than a binding of its own.
            let status_text = super::convert::get(&response, "statusText").as_string().unwrap_or_default();
            // The status as a `u32`: the module prints no `u16` anywhere else.
            format!("the server answered {} {status_text}", u32::from(status))
        }
        Err(None) => "not a response".into(),
    };
    Err(WebError::new("agent_fetch", format!("agent: could not fetch '{url}': {what}")))
}

/// What the user visibly said with an action (matches what the transcript keeps, so a reload shows the same).
fn user_echo(action: &Value) -> Option<String> {
    let payload = action.get("payload");
    match action.get("type").and_then(Value::as_str)? {
        "text" => match payload? {
            Value::String(s) => Some(s.clone()),
            // A number or a boolean shows as its JSON text.
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        },
        "intent" => {
            let p = payload?;
            let query = p.get("query").and_then(Value::as_str).filter(|q| !q.is_empty());
            query.or_else(|| p.pointer("/intent/name").and_then(Value::as_str)).map(str::to_string)
        }
        "file" => payload?.get("name").and_then(Value::as_str).map(|n| format!("📎 {n}")),
        "launch" | "no-reply" => None,
        _ => payload?.get("label").and_then(Value::as_str).map(str::to_string),
    }
}

/// `payload.actions: [{type: 'open_url', payload: {url}}]` opens the URL in a new tab (http, https, mailto only).
fn open_urls(action: &Value) {
    let Some(list) = action.pointer("/payload/actions").and_then(Value::as_array) else { return };
    for a in list {
        if a.get("type").and_then(Value::as_str) != Some("open_url") {
            continue;
        }
        let url = a.pointer("/payload/url").and_then(Value::as_str).and_then(|u| safe_url(u, UrlUse::Link));
        if let (Some(url), Some(w)) = (url, web_sys::window()) {
            let _ = w.open_with_url_and_target_and_features(&url, "_blank", "noopener,noreferrer");
        }
    }
}
