//! A loaded widget: its settings, UI, transport, storage and page listeners, and the *lane* that runs turns.
//!
//! Turns run one at a time, in the order they were asked for (page calls, clicks, typed text, launch, no-reply,
//! files alike), so a slow turn (remote mode) never reorders the conversation. UI calls (`open`, `close`,
//! `hide`, `show`) act at once. After each turn the session is saved and the page hears `voiceflow:interact` and
//! `voiceflow:save_session`.
//!
//! Every turn has an id, made when it is asked for (remote mode sends it as `Idempotency-Key` and keeps the turn
//! pending with the session until it is delivered). In remote mode the user's bubble shows at once, marked as on
//! its way; a turn that failed after its retries keeps its bubble and gets an error with a Retry button.
//!
//! Tabs share a saved session: before anything changes the session (a turn, a timer, a webhook answer, a pushed
//! item), what another tab saved meanwhile is taken first ([`Live::sync`]), and a `storage` event brings it at
//! once. So a change never starts from a stale copy, and the screen shows what the other tab added.

use crate::web::{bm, br, spawn, timeout};
use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsValue;
use web_sys::Element;

use super::call::{warn_mode, Call, Resolvers};
use super::config::{Config, Mode, Settings, Source};
use super::convert::describe;
use super::error::{js_error, Code, WebError};
use super::events::{self, Hub};
use super::extensions::Extensions;
use super::http;
use super::listeners::{ListenerSpec, Listeners, Trigger};
use super::storage::{self, Store, Watch};
use super::transport::{random_id, Answer, Change, Restored, Transport};
use super::widget::{EndBar, UiEvent, UiHandler, Widget};
use crate::client::rating::{self, Rating, Thumb};
use crate::client::turns::user_echo;
use crate::client::url::{safe_url, UrlUse};
use crate::client::Status;
use crate::json::{self, obj2, Value};
use crate::wire::{Envelope, Trace, TraceKind};

/// Where a turn came from: it decides how a failure is reported.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Origin {
    /// Typed, clicked or attached in the widget.
    User,
    /// `interact()`, a DOM listener, a launch, a no-reply.
    Page,
}

enum Job {
    Turn(Turn),
    /// "Start new chat": a fresh session, then the launch.
    Restart,
}

/// A turn asked for.
struct Turn {
    id: String,
    action: Value,
    origin: Origin,
    done: Option<Resolvers>,
    /// The user's bubble, once shown.
    bubble: Option<Element>,
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
    watch: RefCell<Option<Watch>>,
    lane: RefCell<Vec<Job>>,
    lane_busy: Cell<bool>,
    /// A launch is queued and has not run yet (two quick `open()`s launch once).
    launch_queued: Cell<bool>,
    stopped: Cell<bool>,
    /// The session text last saved or read: a different one in storage was saved by another tab.
    saved: RefCell<String>,
    /// The transcript entries the screen shows: how many, and the `order` of the last.
    shown: Cell<(usize, u64)>,
    /// The bubbles of turns not delivered yet, by turn id.
    bubbles: RefCell<Vec<(String, Element)>>,
    /// Voiceflow's no-reply timer, when the widget runs it (remote mode, a runtime without a stream).
    no_reply: RefCell<Option<Timeout>>,
}

/// The time limit and size limit of an agent file fetch.
#[cfg(feature = "engine")]
const AGENT_FETCH_MS: u32 = 30_000;
#[cfg(feature = "engine")]
const MAX_AGENT_BYTES: usize = 10 * 1024 * 1024;
/// The time limit and size limit of the runtime's publishing settings.
#[cfg(feature = "remote")]
const PUBLISHING_MS: u32 = 10_000;
#[cfg(feature = "remote")]
const MAX_PUBLISHING_BYTES: usize = 1024 * 1024;

impl Live {
    /// Read the config, get the agent (local) or the runtime's publishing settings (remote), restore the
    /// conversation and render it, then call `loaded` with the widget or the error. The one future spawned here
    /// awaits the fetch itself; the steps before and after it are plain functions.
    pub(super) fn start(config: JsValue, hub: Rc<Hub>, loaded: impl FnOnce(Result<Rc<Live>, WebError>) + 'static) {
        spawn(Box::pin(async move {
            let loading = match Loading::read(config) {
                Ok(loading) => loading,
                Err(e) => return loaded(Err(e)),
            };
            let result = match &loading.settings.source {
                #[cfg(feature = "engine")]
                Source::AgentUrl(url) => {
                    let req =
                        http::Request { method: "GET", url, headers: &[], body: None, timeout_ms: AGENT_FETCH_MS };
                    match agent_from(url, http::fetch(&req, MAX_AGENT_BYTES).await) {
                        Ok(engine) => loading.local(engine, hub),
                        Err(e) => Err(e),
                    }
                }
                #[cfg(feature = "engine")]
                Source::Agent(v) => match crate::engine::Engine::from_value(v) {
                    Ok(engine) => loading.local(engine, hub),
                    Err(e) => Err(WebError::agent("the agent object", &e)),
                },
                #[cfg(feature = "remote")]
                Source::Remote(options) => {
                    let url = options.routes.publishing();
                    let version: Vec<(&str, &str)> =
                        options.version_id.iter().map(|v| ("versionID", v.as_str())).collect();
                    let req = http::Request {
                        method: "GET",
                        url: &url,
                        headers: &version,
                        body: None,
                        timeout_ms: PUBLISHING_MS,
                    };
                    let published = http::fetch(&req, MAX_PUBLISHING_BYTES).await;
                    let options = options.clone();
                    loading.published(&url, published).remote(options, hub)
                }
            };
            loaded(result);
        }));
    }

    /// Loaded and in the page: an embedded widget with `autostart` launches now; remote mode opens its stream.
    pub(super) fn mounted(&self) {
        self.transport.started();
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
                Ok(action) => self.ask(action, Origin::Page, Some(done)),
                Err(message) => done.reject(&js_error(
                    Code::Request("invalid_request"),
                    &format!("interact() needs an action object: {message}"),
                )),
            },
            Call::Click(target) => {
                if let Some(l) = &*br(&self.listeners) {
                    l.click(&target);
                }
            }
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
            self.launch();
        }
    }

    fn launch(&self) {
        self.launch_queued.set(true);
        self.ask(self.settings.launch.clone(), Origin::Page, None);
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
                self.ask(action, Origin::User, None);
            }
            UiEvent::Press(action) | UiEvent::File(action) => self.ask(action, Origin::User, None),
            UiEvent::Resend(id) => self.resend(&id),
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
        // Local mode records it at once: on the session as other tabs left it.
        self.sync();
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
                self.widget.show_error(&text, None, None);
            }
        }
    }

    /// A page element mapped to an event was used.
    fn trigger(&self, t: Trigger) {
        if t.open {
            self.open();
        }
        self.ask(t.action, Origin::Page, None);
    }

    /// A turn is asked for: checked, given its id, kept by the transport (remote: saved as pending) and queued.
    /// A refused action never enters the queue.
    fn ask(&self, action: Value, origin: Origin, done: Option<Resolvers>) {
        if self.stopped.get() {
            return refuse_destroyed(done);
        }
        if let Err(e) = Envelope::from_value(action.clone()) {
            return self.refused(&WebError::from(e), &action, origin, done, None);
        }
        // Any turn answers a waiting no-reply.
        bm(&self.no_reply).take();
        open_urls(&action);
        let id = random_id();
        let bubble = if self.queued() {
            self.sync();
            self.transport.queue(&id, &action);
            self.persist();
            self.echo(&id, &action)
        } else {
            None
        };
        self.enqueue(Job::Turn(Turn { id, action, origin, done, bubble }));
    }

    /// The user's bubble for an action, marked as on its way.
    fn echo(&self, id: &str, action: &Value) -> Option<Element> {
        let text = user_echo(action)?;
        self.widget.flush();
        let row = self.widget.user_said(&text);
        self.widget.set_pending(&row, true);
        bm(&self.bubbles).push((id.to_string(), row.clone()));
        Some(row)
    }

    /// The user pressed Retry on a turn not delivered: it is queued again under its id.
    fn resend(&self, id: &str) {
        if !self.queued() {
            return;
        }
        self.sync();
        let Some(action) = self.transport.resend(id) else { return };
        self.persist();
        let bubble = br(&self.bubbles).iter().find(|(b, _)| b == id).map(|(_, row)| row.clone());
        if let Some(row) = &bubble {
            self.widget.set_pending(row, true);
        }
        self.enqueue(Job::Turn(Turn { id: id.to_string(), action, origin: Origin::User, done: None, bubble }));
    }

    fn enqueue(&self, job: Job) {
        if self.stopped.get() {
            if let Job::Turn(t) = job {
                refuse_destroyed(t.done);
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
    /// `None` when it does not run (the chat was destroyed, or another tab had its answer). This and
    /// [`Live::answered`] are plain functions around the one wait, so the lane's future holds only the [`Turn`]
    /// and the transport's answer.
    fn send(&self, job: Job) -> Option<(Turn, Answer)> {
        let mut turn = match job {
            Job::Turn(turn) => turn,
            Job::Restart => {
                self.widget.flush();
                self.sync();
                self.transport.restart();
                self.widget.clear();
                bm(&self.bubbles).clear();
                self.mark_shown();
                self.save();
                self.launch_queued.set(true);
                let (id, action) = (random_id(), self.settings.launch.clone());
                self.transport.queue(&id, &action);
                Turn { id, action, origin: Origin::Page, done: None, bubble: None }
            }
        };
        if self.stopped.get() {
            refuse_destroyed(turn.done);
            return None;
        }
        self.sync();
        if !self.transport.is_pending(&turn.id) {
            // Another tab sharing the session had its answer: it shows through that tab's save.
            self.settle_bubble(&turn.id);
            if let Some(d) = turn.done {
                d.resolve(&JsValue::UNDEFINED);
            }
            return None;
        }
        if !self.queued() {
            self.widget.flush();
            if let Some(text) = user_echo(&turn.action) {
                turn.bubble = Some(self.widget.user_said(&text));
            }
        }
        self.widget.set_busy(true);
        let answer = self.transport.send(&turn.id, turn.action.clone());
        // Local mode: the turn ran; it is saved before anything else can read storage.
        self.persist();
        Some((turn, answer))
    }

    /// The rest of a turn once the transport answered: show the answer (or the error), save, tell the page.
    fn answered(&self, result: Result<Vec<Trace>, WebError>, turn: Turn) {
        let Turn { id, action, origin, done, bubble } = turn;
        self.widget.set_busy(false);
        if self.settings.launch.get("type") == action.get("type") {
            self.launch_queued.set(false);
        }
        if self.stopped.get() {
            return refuse_destroyed(done);
        }
        self.sync();
        match result {
            Ok(traces) => {
                self.settle_bubble(&id);
                if self.transport.delivered(&id, &traces) {
                    self.refresh_endbar(false);
                    self.arm_no_reply(&traces);
                    self.widget.play(traces);
                    self.mark_shown();
                }
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
            Err(e) if self.queued() && e.code.is_transient() => {
                // Not delivered: the turn and its bubble stay, with a Retry.
                self.transport.failed(&id, true);
                self.persist();
                let text = format!("Not delivered ({}): {}", e.code, e.message);
                self.widget.show_error(&text, Some(&id), bubble.as_ref());
                report(&e, done);
            }
            Err(e) => {
                self.transport.failed(&id, false);
                self.persist();
                self.settle_bubble(&id);
                self.refused(&e, &action, origin, done, bubble.as_ref());
            }
        }
    }

    /// A turn refused for good: said in the chat (after its bubble), what the user typed given back, the page's
    /// promise rejected.
    fn refused(&self, e: &WebError, action: &Value, origin: Origin, done: Option<Resolvers>, bubble: Option<&Element>) {
        let text = format!("Sorry, this could not be sent ({}): {}", e.code, e.message);
        self.widget.show_error(&text, None, bubble);
        if origin == Origin::User && action.get("type").and_then(Value::as_str) == Some("text") {
            if let Some(t) = action.get("payload").and_then(Value::as_str) {
                self.widget.restore_input(t);
            }
        }
        report(e, done);
    }

    /// Whether turns wait in a queue kept with the session, shown as on their way until delivered (remote mode).
    /// Constant in a module built with one mode, so the other mode's paths are not in it.
    fn queued(&self) -> bool {
        cfg!(feature = "remote") && !self.transport.answers_at_once()
    }

    /// The turn's bubble is no longer on its way.
    fn settle_bubble(&self, id: &str) {
        if !self.queued() {
            return;
        }
        let mut bubbles = bm(&self.bubbles);
        if let Some(i) = bubbles.iter().position(|(b, _)| b == id) {
            let (_, row) = bubbles.remove(i);
            self.widget.set_pending(&row, false);
        }
    }

    /// A change from outside a turn (a timer fired, a webhook answered, the runtime pushed an item): it runs on
    /// the session as other tabs left it, then its traces show and the session is saved.
    fn on_change(&self, change: Change) {
        if self.stopped.get() {
            return;
        }
        self.sync();
        let traces = change();
        if traces.is_empty() {
            self.persist();
            return;
        }
        self.refresh_endbar(false);
        self.arm_no_reply(&traces);
        self.widget.play(traces);
        self.mark_shown();
        self.save();
    }

    /// Voiceflow's no-reply timer, run by the widget when the runtime has no stream to run it (remote mode): a
    /// `no-reply` trace's timeout, after the typing delays of the messages before it; any turn cancels it.
    fn arm_no_reply(&self, traces: &[Trace]) {
        if !self.queued() || !self.transport.client_no_reply() {
            return;
        }
        let mut delay_ms = 0;
        for t in traces {
            match &t.kind {
                TraceKind::Text(p) => delay_ms += p.delay,
                TraceKind::NoReply { timeout: seconds } => {
                    let ms = (seconds.saturating_mul(1000) + delay_ms).min(i32::MAX as u64) as u32;
                    let me = self.me.clone();
                    let timer = timeout(
                        ms,
                        Box::new(move || {
                            let Some(live) = me.upgrade() else { return };
                            bm(&live.no_reply).take();
                            if live.transport.client_no_reply() && live.transport.status() == Status::Active {
                                live.ask(json::obj1("type", json::text("no-reply")), Origin::Page, None);
                            }
                        }),
                    );
                    *bm(&self.no_reply) = Some(timer);
                    return;
                }
                _ => {}
            }
        }
    }

    /// Take what another tab saved since this one last saved or read, and show what it added.
    fn sync(&self) {
        if self.store.in_memory() {
            return;
        }
        let Some(stored) = self.store.load() else { return };
        if stored == *br(&self.saved) {
            return;
        }
        match self.transport.adopt(&stored) {
            Ok(()) => {
                *bm(&self.saved) = stored;
                self.show_adopted();
            }
            Err(why) => {
                // Not lost: kept aside before this tab's next save replaces it.
                let aside = self.store.set_aside(&stored).unwrap_or_default();
                let msg = format!("eventflow: another tab saved a conversation this one cannot read ({why}); it was kept under '{aside}'");
                web_sys::console::warn_1(&msg.into());
                *bm(&self.saved) = stored;
            }
        }
    }

    /// After [`Live::sync`] took another tab's session: show its new entries, or the whole conversation when it
    /// is not the one shown any more ("Start new chat" there). A turn shown here as on its way and delivered there
    /// keeps its bubble.
    fn show_adopted(&self) {
        self.widget.flush();
        let entries = self.transport.entries();
        let (mut from, last) = self.shown.get();
        let extends = entries.len() >= from && (from == 0 || entries.get(from - 1).is_some_and(|e| e.order == last));
        if !extends {
            self.widget.clear();
            bm(&self.bubbles).clear();
            from = 0;
        }
        let user_id = self.transport.user_id();
        // Shown in runs between the entries whose bubble is already up.
        let mut run = from;
        for (i, e) in entries.iter().enumerate().skip(from) {
            if self.queued() && br(&self.bubbles).iter().any(|(id, _)| *id == e.id) {
                self.widget.replay(&entries[run..i], &user_id);
                self.settle_bubble(&e.id);
                run = i + 1;
            }
        }
        self.widget.replay(&entries[run..], &user_id);
        drop((entries, user_id));
        self.mark_shown();
        self.refresh_endbar(true);
    }

    /// The screen shows the whole transcript.
    fn mark_shown(&self) {
        let entries = self.transport.entries();
        self.shown.set((entries.len(), entries.last().map_or(0, |e| e.order)));
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
        let user_id = self.transport.user_id();
        crate::client::turns::session(&user_id, self.transport.status(), &entries, super::now_ms(), out)
    }

    /// Write the session to storage when it changed.
    fn persist(&self) {
        let snapshot = self.transport.snapshot();
        if snapshot != *br(&self.saved) {
            self.store.save(&snapshot);
            *bm(&self.saved) = snapshot;
        }
    }

    /// Persist, and tell the page (`voiceflow:save_session`).
    fn save(&self) {
        self.persist();
        let mut summary = String::new();
        self.summary(&mut summary);
        self.hub.emit(events::SAVE_SESSION, Some(&summary));
    }

    /// Take everything out of the page: timers, listeners, DOM. Pending turns are refused.
    pub(super) fn teardown(&self) {
        self.stopped.set(true);
        self.transport.shutdown();
        bm(&self.listeners).take();
        bm(&self.watch).take();
        bm(&self.no_reply).take();
        self.widget.remove();
        let pending = std::mem::take(&mut *bm(&self.lane));
        for job in pending {
            if let Job::Turn(t) = job {
                refuse_destroyed(t.done);
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

/// A `load()` whose config is read and checked, waiting for its agent or the runtime's settings.
struct Loading {
    /// The config as given: remote mode reads it again with the runtime's publishing settings.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    config: JsValue,
    document: web_sys::Document,
    settings: Settings,
    extensions: Extensions,
    specs: Vec<ListenerSpec>,
}

impl Loading {
    /// Read and check the config: everything that can be refused before the agent is fetched.
    fn read(config: JsValue) -> Result<Loading, WebError> {
        // The panic hook is in: `Chat::new` installed it.
        let window =
            web_sys::window().ok_or_else(|| WebError::new(Code::NoWindow, "eventflow needs a browser window"))?;
        let document = window.document().ok_or_else(|| WebError::new(Code::NoWindow, "eventflow needs a document"))?;
        let Config { settings, extensions, listeners: specs } = Config::read(config.clone(), &document)?;
        Ok(Loading { config, document, settings, extensions, specs })
    }

    /// Local mode: the engine in the page, under `voiceflow-session-{projectID or agent name}`.
    #[cfg(feature = "engine")]
    fn local(self, engine: crate::engine::Engine, hub: Rc<Hub>) -> Result<Rc<Live>, WebError> {
        let name = self.settings.project_id.clone().unwrap_or_else(|| engine.name().to_string());
        let user_id = self.settings.user_id.clone();
        self.finish(&name, hub, move |saved| {
            let (t, restored) = super::local::LocalTransport::new(engine, saved, user_id.as_deref());
            (Box::new(t), restored)
        })
    }

    /// Remote mode: the runtime's publishing settings under the page's `assistant` options, as Voiceflow's
    /// widget merges them. When they cannot be had, the page's own options, and the console says why.
    #[cfg(feature = "remote")]
    fn published(mut self, url: &str, fetched: Result<(http::Head, String), http::Failure>) -> Loading {
        let published = match fetched {
            Ok((head, body)) => crate::client::answer::publishing(head.status, &body),
            Err(e) => Err(e.describe(PUBLISHING_MS, MAX_PUBLISHING_BYTES)),
        };
        let merged = published.and_then(|p| {
            let config = super::config::with_published(&self.config, &p);
            Config::read(config, &self.document).map_err(|e| format!("they do not apply: {}", e.message))
        });
        match merged {
            Ok(c) => (self.settings, self.extensions, self.specs) = (c.settings, c.extensions, c.listeners),
            Err(why) => {
                let msg = format!("eventflow: the runtime's publishing settings ({url}) could not be used, so the page's own options apply: {why}");
                web_sys::console::warn_1(&msg.into());
            }
        }
        self
    }

    /// Remote mode: turns go to the runtime; the session is kept under `voiceflow-session-{projectID}`.
    #[cfg(feature = "remote")]
    fn remote(self, options: super::remote::Options, hub: Rc<Hub>) -> Result<Rc<Live>, WebError> {
        let name = self.settings.project_id.clone().unwrap_or_default();
        let user_id = self.settings.user_id.clone();
        self.finish(&name, hub, move |saved| {
            let (t, restored) = super::remote::RemoteTransport::new(options, saved, user_id.as_deref());
            (Box::new(t), restored)
        })
    }

    /// Restore the conversation, render the widget and install the page listeners.
    fn finish(
        self,
        name: &str,
        hub: Rc<Hub>,
        transport: impl FnOnce(Option<&str>) -> (Box<dyn Transport>, Restored),
    ) -> Result<Rc<Live>, WebError> {
        let Loading { document, settings, extensions, specs, .. } = self;
        let store = Store::new(settings.persistence, storage::key(name));
        let saved = store.load();
        let (transport, restored) = transport(saved.as_deref());
        let slot: Rc<OnceCell<Weak<Live>>> = Rc::new(OnceCell::new());
        let s2 = slot.clone();
        let on_ui: UiHandler = Rc::new(move |ev| {
            if let Some(live) = s2.get().and_then(Weak::upgrade) {
                live.on_ui(ev);
            }
        });
        let widget = Widget::new(&settings, extensions, on_ui).map_err(|e| {
            WebError::new(Code::RenderFailed, format!("the chat could not be rendered: {}", describe(&e)))
        })?;
        let live = Rc::new_cyclic(|me| Live {
            me: me.clone(),
            settings,
            widget,
            transport,
            store,
            hub,
            listeners: RefCell::new(None),
            watch: RefCell::new(None),
            lane: RefCell::new(Vec::new()),
            lane_busy: Cell::new(false),
            launch_queued: Cell::new(false),
            stopped: Cell::new(false),
            saved: RefCell::new(saved.clone().unwrap_or_default()),
            shown: Cell::new((0, 0)),
            bubbles: RefCell::new(Vec::new()),
            no_reply: RefCell::new(None),
        });
        let _ = slot.set(Rc::downgrade(&live));
        let me = Rc::downgrade(&live);
        live.transport.set_changes(Rc::new(move |change| {
            if let Some(live) = me.upgrade() {
                live.on_change(change);
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
        let me = Rc::downgrade(&live);
        *bm(&live.watch) = live.store.watch(Box::new(move || {
            if let Some(live) = me.upgrade() {
                live.sync();
            }
        }));
        // Lent, not copied, although replay can run extension code: the one exception to "no borrow while page
        // code runs", and a shared one. Whatever page code can reach meanwhile (clicks in the widget or on mapped
        // page elements; chat methods queue until `load()` resolves) at most reads the session: it is changed only
        // by turns on the lane, timers, webhook answers and pushed items, which all run later.
        live.widget.replay(&live.transport.entries(), &live.transport.user_id());
        live.mark_shown();
        live.restored(restored, saved.as_deref());
        live.refresh_endbar(true);
        Ok(live)
    }

    // (`Loading` ends here; what follows belongs to `Live`.)
}

impl Live {
    /// Say in the chat what became of the saved conversation, and put back the turns it had not delivered.
    fn restored(&self, restored: Restored, saved: Option<&str>) {
        match restored {
            Restored::New | Restored::Saved => {}
            Restored::Restarted => {
                // The buttons of the old conversation lead nowhere now.
                self.widget.retire_choices();
                self.widget.notice("The assistant was updated, so this conversation starts again.");
                self.launch();
            }
            Restored::Unreadable(why) => {
                let aside = saved.and_then(|s| self.store.set_aside(s));
                let kept = match &aside {
                    Some(key) => format!("it was kept in this browser under '{key}'"),
                    None => "it could not be kept".to_string(),
                };
                let msg = format!(
                    "eventflow: the saved conversation could not be restored ({why}); {kept}; a new one starts"
                );
                web_sys::console::warn_1(&msg.into());
                self.widget.notice("Your earlier conversation could not be restored, so a new one starts here.");
            }
        }
        if !self.queued() {
            return;
        }
        for p in self.transport.pending() {
            let bubble = self.echo(&p.id, &p.action);
            if p.undelivered {
                let text = "Not delivered: this message was not sent before the page was left.";
                self.widget.show_error(text, Some(&p.id), bubble.as_ref());
            } else {
                let turn = Turn { id: p.id, action: p.action, origin: Origin::User, done: None, bubble };
                self.enqueue(Job::Turn(turn));
            }
        }
    }
}

/// Reject the page's promise of a failed turn, or say in the console why a turn of the user or a listener failed.
fn report(e: &WebError, done: Option<Resolvers>) {
    match done {
        Some(d) => d.reject(&e.to_js()),
        None => web_sys::console::warn_1(&format!("eventflow: a request failed: {e}").into()),
    }
}

/// Reject the page promise (if any) of a turn that will not run: the chat was destroyed.
fn refuse_destroyed(done: Option<Resolvers>) {
    if let Some(d) = done {
        d.reject(&js_error(Code::Destroyed, "the chat was destroyed"));
    }
}

/// Load a fetched agent file; each failure names the URL (one message for every way the fetch failed).
#[cfg(feature = "engine")]
fn agent_from(
    url: &str,
    fetched: Result<(http::Head, String), http::Failure>,
) -> Result<crate::engine::Engine, WebError> {
    let what = match fetched {
        Ok((head, text)) if (200..=299).contains(&head.status) => {
            return crate::engine::Engine::from_json(&text).map_err(|e| WebError::agent(&format!("'{url}'"), &e))
        }
        // The status as a `u32`: the module prints no `u16` anywhere else.
        Ok((head, _)) => format!("the server answered {}", u32::from(head.status)),
        Err(e) => e.describe(AGENT_FETCH_MS, MAX_AGENT_BYTES),
    };
    Err(WebError::new(Code::AgentFetch, format!("agent: could not fetch '{url}': {what}")))
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
