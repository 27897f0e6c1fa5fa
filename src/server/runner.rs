//! Turns: everything that changes a session runs here, one at a time per session, and ends in one commit.
//!
//! A turn is spawned as a task of its own, so a client that goes away mid-turn cancels nothing: the turn
//! finishes, its answer is kept under its `Idempotency-Key`, and a retry gets that answer. The order inside a turn:
//! the keyed lock of this process, the store's lease (and the record as committed), the engine (webhooks
//! performed, bounded by [`TURN_BUDGET`]), one commit checked against the version read, then the wake-ups.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{watch, Notify};

use super::auth::Keys;
use super::error::ApiError;
use super::hub::Hub;
use super::locks::KeyedLocks;
use super::store::{Commit, LogItem, Record, Store, StoreError};
use super::{now_ms, webhook, LOCK_WAIT, TURN_BUDGET};
use crate::engine::{Body, Config, Effect, Engine, Envelope, Recipients, Request, Session, TimerKind, Trace, Turn};
use crate::json::{self, Map, Value};

pub type Shared = Arc<Server>;

/// How many answers of keyed requests each session keeps (the oldest is forgotten first).
pub const ANSWERS_KEPT: usize = 64;
/// The longest userID accepted, in bytes.
pub const MAX_USER_ID: usize = 256;

pub struct Server {
    pub projects: BTreeMap<String, Engine>,
    pub store: Store,
    pub locks: KeyedLocks,
    pub hub: Arc<Hub>,
    pub keys: Keys,
    pub origins: Vec<String>,
    http: reqwest::Client,
    /// Wakes the timer scheduler: a commit set or moved a timer.
    pub timers: Notify,
    shutdown: watch::Sender<bool>,
}

/// What a turn does.
pub enum Op {
    /// A Dialog API request from the widget or a keyed client.
    Interact(Envelope),
    /// An inbound event (`POST /events`): its traces go to the live stream.
    Event(Envelope),
    /// Fire the timers that are due; their traces go to the live stream.
    Fire,
    /// The whole state, transcript included.
    Read,
    /// Replace the state (`PUT`).
    Put(Box<Session>),
    Delete,
    /// Merge variables (`PATCH .../variables`).
    Patch(Map<String, Value>),
    /// Append an entry for agents to an existing session's transcript (client details), from the user.
    Note(Body),
    /// Rate an agent message: `Engine::annotate` with `annotation_type: "rating"`, this text and properties.
    Rate(String, Map<String, Value>),
    /// A live stream was opened: from now on the server fires this session's timers.
    Live,
}

/// What a turn answers.
pub enum Done {
    /// The JSON array of the turn's traces.
    Traces(String),
    /// The 202 body of an inbound event.
    Accepted(String),
    /// The session's JSON, with its whole transcript.
    State(String),
    /// The session's variables as a JSON object.
    Variables(String),
    Nothing,
    /// The kept answer of a repeated `Idempotency-Key`.
    Replay(String),
}

impl Done {
    /// The answer's JSON text (a kept answer as it was kept); a turn that answers nothing has none.
    pub fn into_body(self) -> Result<String, ApiError> {
        match self {
            Done::Traces(b) | Done::Accepted(b) | Done::State(b) | Done::Variables(b) | Done::Replay(b) => Ok(b),
            Done::Nothing => Err(ApiError::internal("the turn gave no answer")),
        }
    }
}

/// A session key: `{projectID}/{userID}` (a projectID, an agent name, has no `/`).
pub fn session_key(project: &str, user: &str) -> String {
    format!("{project}/{user}")
}

/// userIDs are 1 to 256 bytes with no control characters.
pub fn check_user(user: &str) -> Result<(), ApiError> {
    if user.is_empty() || user.len() > MAX_USER_ID || user.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_user_id",
            format!("a userID is 1 to {MAX_USER_ID} bytes without control characters"),
        ));
    }
    Ok(())
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Busy => {
            ApiError::unavailable("session_busy", "another request of this user is still running; try again shortly")
        }
        StoreError::Conflict => ApiError::unavailable("conflict", e.to_string()),
        StoreError::Failed(m) => {
            tracing::error!("store: {m}");
            ApiError::unavailable("store_unavailable", "the session store cannot be reached; try again shortly")
        }
    }
}

impl Server {
    pub fn new(
        projects: BTreeMap<String, Engine>,
        store: Store,
        keys: Keys,
        origins: Vec<String>,
    ) -> Result<Shared, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("eventflow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot make the webhook client: {e}"))?;
        Ok(Arc::new(Server {
            projects,
            store,
            locks: KeyedLocks::default(),
            hub: Arc::default(),
            keys,
            origins,
            http,
            timers: Notify::new(),
            shutdown: watch::channel(false).0,
        }))
    }

    pub fn engine(&self, project: &str) -> Result<&Engine, ApiError> {
        self.projects
            .get(project)
            .ok_or_else(|| ApiError::not_found("unknown_project", format!("this server has no project '{project}'")))
    }

    /// Set when the server is stopping; live streams end.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Run `op` on the session of `user` in `project`, as a task of its own.
    pub async fn run(
        self: &Arc<Self>,
        project: &str,
        user: &str,
        idem: Option<String>,
        op: Op,
    ) -> Result<Done, ApiError> {
        self.engine(project)?;
        check_user(user)?;
        let (server, project, user) = (self.clone(), project.to_string(), user.to_string());
        tokio::spawn(async move { server.turn(&project, &user, idem, op).await })
            .await
            .unwrap_or_else(|e| Err(ApiError::internal(format!("the turn failed: {e}"))))
    }

    async fn turn(&self, project: &str, user: &str, idem: Option<String>, op: Op) -> Result<Done, ApiError> {
        let key = session_key(project, user);
        let Some(_local) = self.locks.lock(&key, LOCK_WAIT).await else { return Err(store_error(StoreError::Busy)) };
        let (lease, record) = self.store.begin(&key, LOCK_WAIT).await.map_err(store_error)?;
        match self.plan(project, user, &key, &record, idem, op).await {
            Ok((done, Some(commit))) => {
                let pushed = commit.push.as_ref().map(|p| p.seq);
                // A new or moved timer may be earlier than the one the scheduler sleeps for.
                let timer = commit.record.wake.is_some() && commit.record.wake != record.wake;
                self.store.commit(&key, lease, record.version, commit).await.map_err(store_error)?;
                if let Some(seq) = pushed {
                    self.hub.notify(&key, seq);
                }
                if timer {
                    self.timers.notify_one();
                }
                Ok(done)
            }
            Ok((done, None)) => {
                self.store.abandon(&key, lease).await;
                Ok(done)
            }
            Err(e) => {
                self.store.abandon(&key, lease).await;
                Err(e)
            }
        }
    }

    /// Run the op on the record read; what to answer and what to commit (nothing to commit: `None`).
    async fn plan(
        &self,
        project: &str,
        user: &str,
        key: &str,
        record: &Record,
        idem: Option<String>,
        op: Op,
    ) -> Result<(Done, Option<Commit>), ApiError> {
        let engine = self.engine(project)?;
        if let Some(k) = idem.as_deref().filter(|k| record.idem.iter().any(|i| i == k)) {
            if let Some(answer) = self.store.answer(key, k).await.map_err(store_error)? {
                return Ok((Done::Replay(answer), None));
            }
        }
        let mut session = match record.session.as_deref().map(|s| engine.restore(s)) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                tracing::error!("the stored session of {key} cannot be restored: {e}");
                if matches!(op, Op::Fire) {
                    // Its timers cannot run: take it out of the timers index rather than retry it for ever.
                    let next = Record { version: record.version + 1, wake: None, ..record.clone() };
                    return Ok((Done::Nothing, Some(Commit { record: next, ..Commit::default() })));
                }
                return Err(ApiError::internal(format!("the stored session cannot be restored: {e}")));
            }
        };
        let existed = session.is_some();
        let before = session.as_ref().map_or(0, last_order);
        // The session is written anew below: not copied here.
        let mut next = Record { version: record.version + 1, session: None, idem: record.idem.clone(), ..*record };
        let mut commit = Commit::default();
        let now = now_ms();
        let done = match op {
            Op::Read => {
                let Some(s) = &session else { return Err(no_session(project, user)) };
                return Ok((Done::State(self.full_state(key, s).await?), None));
            }
            Op::Interact(envelope) => {
                let s = session.get_or_insert_with(|| engine.new_session(user));
                Done::Traces(json::to_string(&self.interact(engine, s, &envelope, now).await?))
            }
            Op::Event(envelope) => {
                let s = session.get_or_insert_with(|| engine.new_session(user));
                let turn = engine.interact(s, &envelope, now)?;
                let traces = self.settle(engine, s, turn, &envelope.config).await;
                next.seq += 1;
                commit.push = Some(LogItem { seq: next.seq, data: stream_data(&traces) });
                let id = uuid::Uuid::new_v4().to_string();
                let body = serde_json::json!({ "event_id": id, "seq": next.seq, "new_session": !existed });
                Done::Accepted(body.to_string())
            }
            Op::Fire => {
                let due = record.live && session.as_ref().and_then(Session::next_wake).is_some_and(|at| at <= now);
                if let (true, Some(s)) = (due, session.as_mut()) {
                    let config = Config::default();
                    let turn = engine.advance(s, now, &config);
                    let traces = self.settle(engine, s, turn, &config).await;
                    if !traces.is_empty() {
                        next.seq += 1;
                        commit.push = Some(LogItem { seq: next.seq, data: stream_data(&traces) });
                    }
                } else if record.wake == wake_of(record.live, session.as_ref()) {
                    // Fired by another process already, and the index is right: nothing to write.
                    return Ok((Done::Nothing, None));
                }
                Done::Nothing
            }
            Op::Put(new) => {
                let state = new.to_json();
                commit.reset_transcript = true;
                session = Some(*new);
                Done::State(state)
            }
            Op::Delete => {
                session = None;
                commit.reset_transcript = true;
                commit.clear_log = true;
                commit.forget = std::mem::take(&mut next.idem);
                Done::Nothing
            }
            Op::Patch(variables) => {
                let s = session.get_or_insert_with(|| engine.new_session(user));
                for (name, value) in variables {
                    s.variables.insert(name, value);
                }
                let answer = json::to_string(&s.variables);
                let limit = engine.program().agent.settings.session_data_hard_limit;
                if answer.len() > limit {
                    return Err(ApiError::too_large(format!(
                        "the variables would be {} bytes of JSON; this agent's limit is {limit} \
                         (settings.sessionDataHardLimit)",
                        answer.len()
                    )));
                }
                Done::Variables(answer)
            }
            Op::Note(body) => {
                let Some(s) = session.as_mut() else { return Err(no_session(project, user)) };
                s.transcript.push(user, now, Recipients::Agents, body);
                Done::Nothing
            }
            Op::Rate(text, properties) => {
                let Some(s) = session.as_mut() else { return Err(no_session(project, user)) };
                engine.annotate(s, "rating", &text, properties, now)?;
                Done::Nothing
            }
            Op::Live => {
                if record.live {
                    return Ok((Done::Nothing, None));
                }
                next.live = true;
                Done::Nothing
            }
        };
        if let Some(s) = session.as_mut() {
            let from = if commit.reset_transcript { 0 } else { before };
            for entry in s.transcript.entries.iter().filter(|e| e.order > from) {
                commit.transcript.push((entry.order, json::to_string(entry)));
            }
            // The engine numbers the next entry from the last one; the rest are rows of their own.
            let keep_from = s.transcript.entries.len().saturating_sub(1);
            s.transcript.entries.drain(..keep_from);
        }
        next.session = session.as_ref().map(Session::to_json);
        next.wake = wake_of(next.live, session.as_ref());
        if let (Some(k), Done::Traces(a) | Done::Accepted(a)) = (idem, &done) {
            commit.answer = Some((k.clone(), a.clone()));
            next.idem.push(k);
            if next.idem.len() > ANSWERS_KEPT {
                commit.forget.push(next.idem.remove(0));
            }
        }
        commit.record = next;
        Ok((done, Some(commit)))
    }

    /// A Dialog API request. A client's `no-reply` fires the session's no-reply timer if it is due and never
    /// reprompts by itself while one is pending: a client running its own no-reply timer (Voiceflow's widget)
    /// and the server's timers then make one reprompt between them, never two.
    async fn interact(
        &self,
        engine: &Engine,
        s: &mut Session,
        envelope: &Envelope,
        now: u64,
    ) -> Result<Vec<Trace>, ApiError> {
        let pending = s.timers.iter().find(|t| matches!(t.kind, TimerKind::NoReply { .. })).map(|t| t.at);
        let turn = match pending {
            Some(at) if envelope.request == Request::NoReply => {
                if at <= now {
                    engine.advance(s, now, &envelope.config)
                } else {
                    Turn::default()
                }
            }
            _ => engine.interact(s, envelope, now)?,
        };
        Ok(self.settle(engine, s, turn, &envelope.config).await)
    }

    /// Perform the turn's webhooks until it settles, each answer fed back as the CLI does; the traces in order.
    async fn settle(&self, engine: &Engine, s: &mut Session, mut turn: Turn, config: &Config) -> Vec<Trace> {
        let deadline = Instant::now() + TURN_BUDGET;
        let mut traces = Vec::new();
        for _ in 0..32 {
            traces.append(&mut turn.traces);
            let Some(call) = turn.effects.iter().find_map(|e| match e {
                Effect::Webhook(w) => Some(w.clone()),
                Effect::Wake { .. } => None,
            }) else {
                break;
            };
            let outcome = webhook::call(&self.http, &call, deadline.saturating_duration_since(Instant::now())).await;
            turn = engine.webhook_result(s, call.id, outcome, now_ms(), config);
        }
        traces
    }

    /// Every transcript entry of a session, as JSON text.
    pub async fn transcript(&self, key: &str) -> Result<Vec<String>, ApiError> {
        self.store.transcript(key).await.map_err(store_error)
    }

    /// The session's JSON with every transcript entry the store keeps.
    async fn full_state(&self, key: &str, s: &Session) -> Result<String, ApiError> {
        let entries = self.transcript(key).await?;
        with_entries(&s.to_json(), &format!("[{}]", entries.join(",")))
    }
}

/// The session JSON `state` with `transcript.entries` set to the JSON array `entries`.
fn with_entries(state: &str, entries: &str) -> Result<String, ApiError> {
    let broken = |e: json::JsonError| ApiError::internal(format!("a stored session is not readable: {e}"));
    let mut v = json::parse(state).map_err(broken)?;
    let entries = json::parse(entries).map_err(broken)?;
    if let Some(slot) = v.get_mut("transcript").and_then(|t| t.get_mut("entries")) {
        *slot = entries;
    }
    Ok(json::to_string(&v))
}

/// The order of the last transcript entry (0 when there is none).
fn last_order(s: &Session) -> u64 {
    s.transcript.entries.last().map_or(0, |e| e.order)
}

/// When the server fires this session's next timer: only once a live stream was opened for it. Before that its
/// timers fire at the start of its next turn, as the engine does in the page.
fn wake_of(live: bool, session: Option<&Session>) -> Option<u64> {
    session.filter(|_| live).and_then(Session::next_wake)
}

/// What the SSE `data:` line of a pushed item carries.
fn stream_data(traces: &[Trace]) -> String {
    format!("{{\"trace\":{}}}", json::to_string(traces))
}

fn no_session(project: &str, user: &str) -> ApiError {
    ApiError::not_found("no_session", format!("project '{project}' has no session for user '{user}'"))
}
