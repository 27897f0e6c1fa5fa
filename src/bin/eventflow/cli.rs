//! The CLI: `check`, `interact` (SPEC §2.5) and `chat`.
//!
//! `interact` reads one Dialog API body per line and writes one answer line per input line, whatever the input:
//! the JSON array of traces, or `{"error": {"code", "message"}}`. Webhook effects are performed here with a real
//! HTTP client and a timeout, and their answers fed back into the same turn.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use eventflow::engine::{
    Config, Effect, Engine, Envelope, RequestError, Session, Trace, TraceKind, WebhookCall, WebhookOutcome,
};
use eventflow::json;
use eventflow::json::Value;

const USAGE: &str = "usage:
  eventflow check AGENT.json
  eventflow interact AGENT.json [--user ID] [--state FILE]
  eventflow chat AGENT.json      (for people: type text, /event NAME {json}, /launch, /quit)
  eventflow serve AGENT.json...  (the runtime server: eventflow serve --help)

interact reads one request per line on stdin, e.g.
  {\"action\": {\"type\": \"launch\"}}
  {\"action\": {\"type\": \"event\", \"payload\": {\"event\": {\"name\": \"checkout\", \"data\": {\"total\": 42}}}}, \"time\": 1700000000000}
and writes one line per request: the JSON array of traces, or {\"error\": {\"code\": ..., \"message\": ...}}.
A line with only \"time\" fires the timers due by then.";

pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") if args.len() == 2 => check(&args[1]),
        Some("interact") if args.len() >= 2 => match InteractOpts::parse(&args[2..]) {
            Ok(opts) => interact(&args[1], opts),
            Err(m) => usage(&m),
        },
        Some("chat") if args.len() == 2 => chat(&args[1]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => usage("expected a command"),
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("eventflow: {message}\n{USAGE}");
    ExitCode::from(2)
}

fn load(path: &str) -> Result<Engine, ExitCode> {
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("eventflow: cannot read {path}: {e}");
        ExitCode::from(2)
    })?;
    // A file that is there but is not text is an error in the agent file, reported as any other (SPEC §2.5).
    let src = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        eprintln!("{path}: the agent file is not UTF-8 text: the byte at offset {at} does not start a character");
        eprintln!("{path}: 1 error(s); nothing runs");
        ExitCode::from(1)
    })?;
    Engine::from_json(&src).map_err(|e| {
        for err in &e.errors {
            eprintln!("{path}: {err}");
        }
        eprintln!("{path}: {} error(s); nothing runs", e.errors.len());
        ExitCode::from(1)
    })
}

fn check(path: &str) -> ExitCode {
    match load(path) {
        Ok(engine) => {
            let a = &engine.program().agent;
            let steps: usize = a.flows.values().map(|f| f.steps.len()).sum();
            let triggers = engine.program().commands.len();
            println!(
                "{path}: ok: agent '{}' with {} flows, {steps} steps, {triggers} triggers, {} events, {} intents",
                a.name,
                a.flows.len(),
                a.events.len(),
                a.intents.len()
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

struct InteractOpts {
    user: String,
    state: Option<String>,
}

impl InteractOpts {
    fn parse(args: &[String]) -> Result<InteractOpts, String> {
        let mut opts = InteractOpts { user: "cli-user".into(), state: None };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--user" => opts.user = it.next().ok_or("--user needs a value")?.clone(),
                "--state" => opts.state = Some(it.next().ok_or("--state needs a file")?.clone()),
                other => return Err(format!("unknown option '{other}'")),
            }
        }
        Ok(opts)
    }
}

fn interact(path: &str, opts: InteractOpts) -> ExitCode {
    let engine = match load(path) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut session = match opts.state.as_deref().map(|path| restore(&engine, path)) {
        None | Some(Ok(None)) => engine.new_session(&opts.user),
        Some(Ok(Some(session))) => session,
        Some(Err(message)) => {
            // The file is left as it is: saving over it would lose the session it may hold.
            eprintln!("eventflow: cannot restore {}: {message}", opts.state.as_deref().unwrap_or_default());
            return ExitCode::from(1);
        }
    };
    let mut clock = Clock::default();
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let answer = match line {
            Ok(line) => answer_line(&engine, &mut session, &mut clock, &line),
            Err(e) => error_line("invalid_input", &format!("the line is not UTF-8 text: {e}")),
        };
        if writeln!(out, "{answer}").and_then(|_| out.flush()).is_err() {
            break;
        }
        if let Some(state) = &opts.state {
            if let Err(e) = save(state, &session.to_json()) {
                eprintln!("eventflow: cannot save {state}: {e}");
            }
        }
    }
    ExitCode::SUCCESS
}

/// The session saved in `path`: none yet when the file is missing or empty (a new file made for it).
fn restore(engine: &Engine, path: &str) -> Result<Option<Session>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let saved = String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    engine.restore(&saved).map(Some).map_err(|e| e.to_string())
}

/// Write the session next to `path`, then move it in place: a run stopped halfway never leaves half a session.
fn save(path: &str, json: &str) -> std::io::Result<()> {
    let tmp = format!("{path}.saving");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, path)
}

/// The CLI's clock: virtual once a request carries `time`, the system clock before that.
#[derive(Default)]
struct Clock {
    virtual_now: Option<u64>,
}

impl Clock {
    fn now(&mut self, time: Option<u64>) -> u64 {
        if let Some(t) = time {
            self.virtual_now = Some(t);
        }
        self.virtual_now
            .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64))
    }
}

fn error_line(code: &str, message: &str) -> String {
    json::to_string(&json!({ "error": { "code": code, "message": message } }))
}

fn answer_line(engine: &Engine, session: &mut Session, clock: &mut Clock, line: &str) -> String {
    match run_line(engine, session, clock, line) {
        Ok(traces) => json::to_string(&traces),
        Err(e) => error_line(e.code, &e.message),
    }
}

fn run_line(engine: &Engine, session: &mut Session, clock: &mut Clock, line: &str) -> Result<Vec<Trace>, RequestError> {
    if line.len() > eventflow::engine::MAX_REQUEST_BYTES {
        return Err(RequestError::new(
            "request_too_large",
            format!("the line is {} bytes; the limit is {}", line.len(), eventflow::engine::MAX_REQUEST_BYTES),
        ));
    }
    let mut body =
        json::parse(line).map_err(|e| RequestError::new("invalid_json", format!("the line is not valid JSON: {e}")))?;
    let time = match body.as_object_mut().and_then(|m| m.remove("time")) {
        None | Some(Value::Null) => None,
        Some(t) => Some(
            t.as_u64()
                .ok_or_else(|| RequestError::new("invalid_request", "time must be a whole number of milliseconds"))?,
        ),
    };
    let now = clock.now(time);
    let is_tick = time.is_some()
        && body
            .as_object()
            .is_some_and(|m| !m.contains_key("action") && !m.contains_key("request") && !m.contains_key("type"));
    let (mut turn, config) = if is_tick {
        let config = Config::default();
        (engine.advance(session, now, &config), config)
    } else {
        let envelope = Envelope::from_value(body)?;
        (engine.interact(session, &envelope, now)?, envelope.config.clone())
    };
    let mut traces = Vec::new();
    // Perform webhooks until the turn settles; each answer may call another webhook.
    for _ in 0..32 {
        traces.append(&mut turn.traces);
        let Some((id, outcome)) = turn.effects.iter().find_map(|e| match e {
            Effect::Webhook(w) => Some((w.id, call(w))),
            Effect::Wake { .. } => None,
        }) else {
            break;
        };
        turn = engine.webhook_result(session, id, outcome, clock.now(None), &config);
    }
    Ok(traces)
}

fn call(w: &WebhookCall) -> WebhookOutcome {
    let timeout = Duration::from_millis(w.timeout_ms);
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let mut req = agent.request(&w.method, &w.url).set("Accept", "application/json");
    for (k, v) in &w.headers {
        req = req.set(k, v);
    }
    let started = Instant::now();
    let result = match &w.body {
        Some(b) => req.set("Content-Type", "application/json").send_string(&json::to_string(b)),
        None => req.call(),
    };
    match result {
        Ok(resp) => {
            let status = resp.status();
            match resp.into_string() {
                Ok(body) => WebhookOutcome::Response { status, body },
                Err(e) => WebhookOutcome::Failed(format!("reading the answer failed: {e}")),
            }
        }
        Err(ureq::Error::Status(status, resp)) => {
            WebhookOutcome::Response { status, body: resp.into_string().unwrap_or_default() }
        }
        Err(ureq::Error::Transport(t)) => {
            if started.elapsed() >= timeout {
                WebhookOutcome::Timeout
            } else {
                WebhookOutcome::Failed(t.to_string())
            }
        }
    }
}

/// A chat for people at a terminal: typed lines become text requests, `/event NAME {data}` sends an event.
fn chat(path: &str) -> ExitCode {
    let engine = match load(path) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut session = engine.new_session("terminal");
    let mut clock = Clock::default();
    println!(
        "Chatting with '{}'. Type a message, /event NAME {{\"json\": \"data\"}}, /launch or /quit.",
        engine.name()
    );
    let mut pending = chat_request("/launch").ok();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        let request = match pending.take() {
            Some(r) => r,
            None => {
                print!("> ");
                std::io::stdout().flush().ok();
                let Some(Ok(line)) = lines.next() else { return ExitCode::SUCCESS };
                let line = line.trim().to_string();
                if line == "/quit" {
                    return ExitCode::SUCCESS;
                }
                if line.is_empty() {
                    continue;
                }
                match chat_request(&line) {
                    Ok(request) => request,
                    Err(message) => {
                        println!("  ! {message}");
                        continue;
                    }
                }
            }
        };
        match run_line(&engine, &mut session, &mut clock, &request) {
            Ok(traces) => {
                let mut shown = false;
                for t in &traces {
                    shown |= print_trace(t);
                }
                // A turn that shows nothing says why: its debug traces (an unhandled event, a refused write).
                if !shown {
                    for t in &traces {
                        if let TraceKind::Debug { message, .. } = &t.kind {
                            println!("  ({message})");
                            shown = true;
                        }
                    }
                }
                if !shown {
                    println!("  (no reply)");
                }
            }
            Err(e) => println!("  ! {}: {}", e.code, e.message),
        }
    }
}

/// The request for a line typed in `chat`: `/launch`, `/event NAME [JSON data]`, or text. Debug traces are asked
/// for, to explain a turn that shows nothing.
fn chat_request(line: &str) -> Result<String, String> {
    let action = if line == "/launch" {
        json!({ "type": "launch" })
    } else if let Some(rest) = line.strip_prefix("/event ") {
        let (name, data) = rest.trim().split_once(' ').unwrap_or((rest.trim(), "null"));
        let data = json::parse(data).map_err(|e| {
            format!("the data after the event name is not JSON ({e}): type /event NAME {{\"key\": \"value\"}}")
        })?;
        json!({ "type": "event", "payload": { "event": { "name": name, "data": data } } })
    } else {
        json!({ "type": "text", "payload": line })
    };
    Ok(json::to_string(&json!({ "action": action, "config": { "excludeTypes": ["block", "flow", "path"] } })))
}

/// Print what a person sees of a trace; false for the traces they do not see.
fn print_trace(t: &Trace) -> bool {
    match &t.kind {
        TraceKind::Text(p) => println!("  {}", p.message),
        TraceKind::Choice(c) => {
            let names: Vec<&str> = c.buttons.iter().map(|b| b.name.as_str()).collect();
            println!("  [{}]", names.join("] ["));
        }
        TraceKind::CardV2(c) => println!("  ┌ {} — {}", c.title, c.description.text),
        TraceKind::Carousel(c) => c.cards.iter().for_each(|c| println!("  ┌ {} — {}", c.title, c.description.text)),
        TraceKind::Visual(v) => println!("  (image {})", v.image.clone().unwrap_or_default()),
        TraceKind::End { .. } => println!("  (the conversation ended; /launch starts again)"),
        TraceKind::Custom { kind, payload, .. } => println!("  (custom {kind}: {payload})"),
        _ => return false,
    }
    true
}
