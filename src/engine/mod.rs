//! The event-dispatch engine: pure, sans-I/O Rust.
//!
//! A turn is `(session, request, now) -> (session', traces, effects)`: [`Engine::interact`] takes the session by
//! `&mut`, the request, and the time as an argument, and returns the [`Turn`]'s traces (Voiceflow's wire format)
//! and [`Effect`]s the host performs (a webhook call, a wake-up for the next timer). The answers come back in as
//! calls ([`Engine::webhook_result`], [`Engine::advance`]). No clock, no network, no randomness, no browser: this
//! module names none of them, so the same engine runs in the widget, the CLI and the server.
//!
//! A request is parsed and checked before the session is touched; once a turn starts it always completes, and
//! what went wrong in the conversation (nothing matched, an unhandled event, a loop) comes back as traces.

mod agent;
pub(crate) mod decode;
mod dispatch;
mod error;
pub mod expr;
mod handle;
pub mod nlu;
mod program;
mod restore;
mod session;
mod steps;
pub mod template;
mod turn;

pub use agent::{Agent, Mode, Settings, Step};
pub use error::{AgentError, StateError, ValidationError};
pub use handle::WebhookOutcome;
pub use program::Program;
pub use session::{
    Frame, FrameState, PendingWebhook, Session, Status, Timer, TimerKind, BUILT_IN_VARIABLES, SESSION_MAX_DEPTH,
    STATE_VERSION,
};
// The wire types the engine's API takes and returns, re-exported so hosts name one module for a turn.
pub use crate::wire::{
    Body, Button, CardPayload, CarouselPayload, ChoicePayload, Config, Entry, Envelope, FileInfo, Recipients, Request,
    RequestError, TextPayload, Trace, TraceKind, Transcript, VisualPayload, MAX_REQUEST_BYTES,
};
pub use turn::{Effect, Turn, WebhookCall};

use crate::json::{self, Value};
use crate::wire::names;

use turn::Ctx;

/// A saved session read back by [`Engine::resume`].
#[derive(Debug)]
pub struct Resumed {
    pub session: Session,
    /// The agent no longer has the flow or step the session was in, so its stack was dropped.
    pub restarted: bool,
}

/// A loaded agent, ready to run any number of sessions. Immutable and cheap to share.
#[derive(Debug, Clone)]
pub struct Engine {
    program: Program,
}

impl Engine {
    /// Load and validate an agent file.
    pub fn from_json(src: &str) -> Result<Engine, AgentError> {
        Program::from_json(src).map(|program| Engine { program })
    }

    /// Load and validate an agent already parsed as JSON (the widget gets agents as objects).
    pub fn from_value(value: &Value) -> Result<Engine, AgentError> {
        Program::from_value(value).map(|program| Engine { program })
    }

    pub fn from_agent(agent: Agent) -> Result<Engine, AgentError> {
        Program::compile(agent).map(|program| Engine { program })
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn name(&self) -> &str {
        &self.program.agent.name
    }

    /// A new session with the agent's variables at their defaults. Nothing runs until a request (usually a launch).
    pub fn new_session(&self, user_id: &str) -> Session {
        let mut s = Session::new(&self.program.agent.name, user_id);
        s.variables = self.program.agent.variables.clone();
        for name in ["last_event", "last_utterance", "last_response", "intent_confidence", "timestamp"] {
            s.variables.insert_first(name, Value::Null);
        }
        s.variables.insert("user_id".into(), json::text(user_id));
        s.variables.insert_first("sessions", Value::from(0u64));
        s
    }

    /// Restore a saved session for this agent. A stack pointing at flows or steps this agent no longer has is
    /// dropped (variables and transcript are kept), so an agent update never strands a user.
    pub fn restore(&self, src: &str) -> Result<Session, StateError> {
        self.resume(src).map(|r| r.session)
    }

    /// [`Engine::restore`], saying whether the stack was dropped: a host then tells the user the conversation
    /// started again, and starts it.
    pub fn resume(&self, src: &str) -> Result<Resumed, StateError> {
        let mut s = Session::from_json(src)?;
        if s.agent != self.program.agent.name {
            // Taken rather than moved out: the rest of `s` is then dropped by one call, not field by field.
            let found = std::mem::take(&mut s.agent);
            return Err(StateError::OtherAgent { found, expected: self.program.agent.name.clone() });
        }
        let valid = s.stack.iter().all(|f| match &f.step {
            Some(step) => self.program.step(&f.flow, step).is_some(),
            None => self.program.flow(&f.flow).is_some(),
        });
        if !valid {
            s.stack.clear();
            s.status = Status::Ended;
            s.pending_webhook = None;
            s.keep_timers(|t| matches!(t.kind, TimerKind::Event { .. }));
        }
        Ok(Resumed { session: s, restarted: !valid })
    }

    /// Run one turn. On `Err` the session is unchanged.
    pub fn interact(&self, session: &mut Session, envelope: &Envelope, now_ms: u64) -> Result<Turn, RequestError> {
        let settings = &self.program.agent.settings;
        if let Request::Event { name, data } = &envelope.request {
            let size = json::to_string(data).len();
            if size > settings.max_event_data_bytes {
                return Err(RequestError::new(
                    "payload_too_large",
                    format!(
                        "event data is {size} bytes; the limit is {} (settings.maxEventDataBytes)",
                        settings.max_event_data_bytes
                    ),
                ));
            }
            if let Some(types) = self.program.event_types.get(&names::key(name)) {
                program::check_event_data(types, data)
                    .map_err(|m| RequestError::new("invalid_event_data", format!("event '{name}': {m}")))?;
            }
        }
        let mut ctx = Ctx::new(&self.program, session, now_ms, &envelope.config);
        if let Some(id) = &envelope.custom_id {
            if !ctx.s.remember_custom_id(id) {
                ctx.debug_named("dedupe", "custom_id ", id, " was already handled: ignored");
                return Ok(ctx.finish());
            }
        }
        ctx.fire_due();
        ctx.steps = 0;
        ctx.depth = 0;
        ctx.halted = false;
        ctx.set_vars(&mut envelope.variables.iter());
        ctx.put("last_event", envelope.raw.clone());
        ctx.put("timestamp", Value::from(now_ms / 1000));
        if envelope.request != Request::NoReply {
            ctx.s.keep_timers(|t| !matches!(t.kind, TimerKind::NoReply { .. }));
        }
        if envelope.request.is_user_message() {
            ctx.s.keep_timers(|t| !t.cancel_on_user_message);
        }
        ctx.s.transcript.record_request(&ctx.s.user_id, ctx.now, envelope);
        ctx.handle(&envelope.request);
        // Every turn that ends waiting for the user restarts its no-reply timer (SPEC §6.3), except the
        // built-in no-reply itself, which speaks once and then waits quietly.
        if envelope.request != Request::NoReply {
            ctx.rearm_no_reply();
        }
        ctx.s.turns += 1;
        Ok(ctx.finish())
    }

    /// Add an annotation (seed 004: a rating of an agent message, a note) to the transcript, from the user. It
    /// goes on the latest thread (the conversation since the last `session_started`) and never starts one, so a
    /// session with no conversation yet refuses it (`no_thread`). No step runs and no trace comes back.
    pub fn annotate(
        &self,
        session: &mut Session,
        annotation_type: &str,
        text: &str,
        properties: json::Map<String, Value>,
        now_ms: u64,
    ) -> Result<(), RequestError> {
        if annotation_type.is_empty() {
            return Err(RequestError::new("invalid_request", "an annotation needs an annotation_type"));
        }
        if session.transcript.entries.is_empty() {
            return Err(RequestError::new("no_thread", "an annotation goes on a conversation, and none started"));
        }
        let user = session.user_id.clone();
        session.transcript.annotate(&user, now_ms, annotation_type, text, properties);
        Ok(())
    }

    /// Parse a Dialog API body and run it.
    pub fn interact_json(&self, session: &mut Session, body: &str, now_ms: u64) -> Result<Turn, RequestError> {
        let envelope = Envelope::from_json(body)?;
        self.interact(session, &envelope, now_ms)
    }

    /// Fire the timers due at `now_ms` (no-reply, delays, scheduled events).
    pub fn advance(&self, session: &mut Session, now_ms: u64, config: &Config) -> Turn {
        let mut ctx = Ctx::new(&self.program, session, now_ms, config);
        ctx.fire_due();
        ctx.finish()
    }

    /// Hand back the outcome of a [`Effect::Webhook`].
    pub fn webhook_result(
        &self,
        session: &mut Session,
        id: u64,
        outcome: WebhookOutcome,
        now_ms: u64,
        config: &Config,
    ) -> Turn {
        let mut ctx = Ctx::new(&self.program, session, now_ms, config);
        ctx.webhook_done(id, outcome);
        ctx.finish()
    }
}
