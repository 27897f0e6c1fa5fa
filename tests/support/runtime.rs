//! A small Dialog API runtime for the end-to-end tests of remote mode, on its own port (so another origin than
//! the site: every call crosses CORS as it does against a hosted runtime).
//!
//! It speaks the public routes with the trace shapes of Voiceflow's runtime (`reference/voiceflow-runtime-answers.md`):
//! `GET /public/{projectID}/publishing`, `POST /public/{projectID}/state/user/{userID}/interact` answering
//! `{"trace": [...]}`, Voiceflow's rating route `POST /feedback/{projectID}/user/{userID}`, and the live stream `GET /public/{projectID}/state/user/{userID}/stream` of the contract
//! with our server (`id: <seq>`, `event: trace`, `data: {"trace": [...]}`, `?after=SEQ`, heartbeats). A turn
//! sent with an `Idempotency-Key` runs once: a repeat gets the stored answer. Its agent is a few lines of Rust.
//!
//! It can fail on purpose, per request, from a queue of [`Fault`]s the test sets: 5xx with `Retry-After`, an HTML
//! page, JSON cut short, a dropped connection, an answer too late for the widget's time limit, a slow answer. It
//! is written on `std::net` rather than a web framework because those faults live below HTTP (a connection closed
//! without an answer, a body cut in the middle), where a framework would not let a test reach.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use eventflow::json::{self, Value};

/// What the next interact request gets instead of a plain answer.
#[derive(Clone, Debug)]
pub enum Fault {
    /// This status and an error body; the turn does not run. `Some(seconds)` sends `Retry-After`.
    Status(u16, Option<u32>),
    /// A proxy's HTML error page with status 200; the turn does not run.
    Html,
    /// The turn runs (its answer is stored for a repeat) and the body is cut in the middle.
    Truncated,
    /// The connection closes without an answer; the turn does not run.
    Drop,
    /// The turn runs at once and its answer is sent after this long (later than the widget waits).
    Hang(Duration),
    /// The answer comes after this long.
    Slow(Duration),
}

/// One request the runtime received.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The path and query.
    pub target: String,
    pub idempotency_key: Option<String>,
    pub version_id: Option<String>,
    /// The `action` of an interact body.
    pub action: Value,
    /// The body, when it is JSON.
    pub body: Value,
    /// The turn ran for this request (not a repeat of a stored answer, not a fault that stops it).
    pub ran: bool,
    pub started: Instant,
    pub ended: Option<Instant>,
}

#[derive(Default)]
struct State {
    faults: VecDeque<Fault>,
    /// Without a stream, as Voiceflow's runtime: the stream route answers 404.
    no_stream: bool,
    /// The publishing route answers 500.
    publishing_fails: bool,
    /// Bumped to close every open stream.
    stream_generation: u64,
    open_streams: usize,
    answers: HashMap<String, String>,
    /// Keys of turns running now: a repeat waits for the first one's answer.
    running: Vec<String>,
    log: Vec<Logged>,
    /// Pushed items per user: (seq, the data line).
    pushed: HashMap<String, Vec<(u64, String)>>,
}

pub struct Runtime {
    pub port: u16,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Runtime {
    pub fn start() -> Runtime {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Runtime { port, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next interact requests fail in this order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.lock().faults.extend(faults.iter().cloned());
    }

    pub fn set_publishing_fails(&self, fails: bool) {
        self.lock().publishing_fails = fails;
    }

    pub fn set_no_stream(&self, no_stream: bool) {
        self.lock().no_stream = no_stream;
    }

    /// Close every open stream (the widget reconnects from the last item it showed).
    pub fn close_streams(&self) {
        self.lock().stream_generation += 1;
        self.state.1.notify_all();
    }

    pub fn open_streams(&self) -> usize {
        self.lock().open_streams
    }

    /// Push traces to a user's live stream, as an inbound event would: the next sequence number.
    pub fn push(&self, user: &str, traces: Value) -> u64 {
        let seq = push(&mut self.lock(), user, traces);
        self.state.1.notify_all();
        seq
    }

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// The interact requests so far.
    pub fn turns(&self) -> Vec<Logged> {
        self.log().into_iter().filter(|l| l.target.ends_with("/interact")).collect()
    }

    pub fn clear_log(&self) {
        self.lock().log.clear();
    }
}

fn push(s: &mut State, user: &str, traces: Value) -> u64 {
    let items = s.pushed.entry(user.to_string()).or_default();
    let seq = items.last().map_or(1, |(n, _)| n + 1);
    items.push((seq, json::to_string(&json::obj1("trace", traces))));
    seq
}

/// A parsed request.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    fn query(&self, key: &str) -> Option<&str> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    }
}

fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Request { method, target, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// The CORS headers of every answer: the page's origin is allowed, as Voiceflow's runtime reflects it.
fn cors(req: &Request) -> String {
    let origin = req.header("origin").unwrap_or("*");
    format!("Access-Control-Allow-Origin: {origin}\r\nVary: Origin\r\nAccess-Control-Expose-Headers: Retry-After\r\n")
}

fn respond(
    stream: &mut TcpStream,
    req: &Request,
    status: &str,
    kind: &str,
    extra: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\n{}Content-Type: {kind}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        cors(req),
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

fn serve(mut stream: TcpStream, shared: &Arc<(Mutex<State>, Condvar)>) -> std::io::Result<()> {
    let req = read_request(&stream)?;
    let lock = || shared.0.lock().unwrap_or_else(|e| e.into_inner());
    if req.method == "OPTIONS" {
        let asked = req.header("access-control-request-headers").unwrap_or_default().to_string();
        let extra = format!("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\nAccess-Control-Allow-Headers: {asked}\r\nAccess-Control-Max-Age: 600\r\n");
        return respond(&mut stream, &req, "204 No Content", "text/plain", &extra, "");
    }
    let path = req.path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let entry = Logged {
        target: req.target.clone(),
        idempotency_key: req.header("idempotency-key").map(str::to_string),
        version_id: req.header("versionid").map(str::to_string),
        action: json::parse(&req.body).ok().and_then(|v| v.get("action").cloned()).unwrap_or(Value::Null),
        body: json::parse(&req.body).unwrap_or(Value::Null),
        ran: false,
        started: Instant::now(),
        ended: None,
    };
    let index = {
        let mut s = lock();
        s.log.push(entry);
        s.log.len() - 1
    };
    let finish = |ran: bool| {
        let mut s = lock();
        if let Some(l) = s.log.get_mut(index) {
            l.ran = ran;
            l.ended = Some(Instant::now());
        }
    };
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["public", _, "publishing"]) => {
            finish(false);
            if lock().publishing_fails {
                return respond(&mut stream, &req, "500 Internal Server Error", "text/html", "", "<h1>Oops</h1>");
            }
            let body =
                r##"{"title":"Runtime Assistant","color":"#3D82E2","persistence":"localStorage","watermark":true}"##;
            respond(&mut stream, &req, "200 OK", "application/json; charset=utf-8", "", body)
        }
        ("POST", ["public", _, "state", "user", user, "interact"]) => {
            let user = user.to_string();
            interact(&mut stream, &req, shared, &user, finish)
        }
        ("POST", ["feedback", _, "user", _]) => {
            // Voiceflow's rating route: the body is logged; the answer is empty.
            finish(false);
            respond(&mut stream, &req, "200 OK", "application/json; charset=utf-8", "", "{}")
        }
        ("GET", ["public", _, "state", "user", user, "stream"]) => {
            finish(false);
            let user = user.to_string();
            live(&mut stream, &req, shared, &user)
        }
        _ => {
            finish(false);
            respond(&mut stream, &req, "404 Not Found", "text/plain", "", "not found")
        }
    }
}

fn interact(
    stream: &mut TcpStream,
    req: &Request,
    shared: &Arc<(Mutex<State>, Condvar)>,
    user: &str,
    finish: impl Fn(bool),
) -> std::io::Result<()> {
    let lock = || shared.0.lock().unwrap_or_else(|e| e.into_inner());
    let key = req.header("idempotency-key").map(str::to_string);
    if let Some(k) = &key {
        // A repeat of a turn that ran gets its answer; one of a turn still running waits for it.
        let mut s = lock();
        while s.running.contains(k) {
            s = shared.1.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        if let Some(stored) = s.answers.get(k).cloned() {
            drop(s);
            finish(false);
            return respond(stream, req, "200 OK", "application/json; charset=utf-8", "", &stored);
        }
        s.running.push(k.clone());
    }
    let done_running = || {
        if let Some(k) = &key {
            lock().running.retain(|r| r != k);
            shared.1.notify_all();
        }
    };
    let result = answer(stream, req, shared, user, key.as_deref(), &finish);
    done_running();
    result
}

/// The answer to a turn that is not a repeat: plain, or the next fault.
fn answer(
    stream: &mut TcpStream,
    req: &Request,
    shared: &Arc<(Mutex<State>, Condvar)>,
    user: &str,
    key: Option<&str>,
    finish: &impl Fn(bool),
) -> std::io::Result<()> {
    let lock = || shared.0.lock().unwrap_or_else(|e| e.into_inner());
    let json_kind = "application/json; charset=utf-8";
    let fault = lock().faults.pop_front();
    let run = || {
        let action = json::parse(&req.body).ok().and_then(|v| v.get("action").cloned()).unwrap_or(Value::Null);
        let no_stream = lock().no_stream;
        let answer = json::to_string(&json::obj1("trace", Value::Array(agent(&action, user, shared, no_stream))));
        if let Some(k) = key {
            let mut s = lock();
            s.answers.insert(k.to_string(), answer.clone());
            s.running.retain(|r| r != k);
            shared.1.notify_all();
        }
        answer
    };
    match fault {
        None => {
            let answer = run();
            finish(true);
            respond(stream, req, "200 OK", json_kind, "", &answer)
        }
        Some(Fault::Status(code, after)) => {
            finish(false);
            let extra = after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
            let body = format!(r#"{{"error":{{"code":"test_fault","message":"fault {code} on purpose"}}}}"#);
            respond(stream, req, &format!("{code} Fault"), json_kind, &extra, &body)
        }
        Some(Fault::Html) => {
            finish(false);
            respond(
                stream,
                req,
                "200 OK",
                "text/html",
                "",
                "<!doctype html><title>Bad gateway</title><h1>Proxy error</h1>",
            )
        }
        Some(Fault::Truncated) => {
            let answer = run();
            finish(true);
            let cut = &answer[..answer.len() / 2];
            let head =
                format!("HTTP/1.1 200 OK\r\n{}Content-Type: {json_kind}\r\nConnection: close\r\n\r\n", cors(req));
            stream.write_all(head.as_bytes())?;
            stream.write_all(cut.as_bytes())?;
            stream.flush()
        }
        Some(Fault::Drop) => {
            finish(false);
            stream.shutdown(std::net::Shutdown::Both)
        }
        Some(Fault::Hang(d)) => {
            let answer = run();
            finish(true);
            std::thread::sleep(d);
            respond(stream, req, "200 OK", json_kind, "", &answer)
        }
        Some(Fault::Slow(d)) => {
            std::thread::sleep(d);
            let answer = run();
            finish(true);
            respond(stream, req, "200 OK", json_kind, "", &answer)
        }
    }
}

fn text(message: &str) -> Value {
    // The shape of Voiceflow's text trace (slate, message, delay); no typing delay, so tests run fast.
    json::obj3(
        "type",
        json::text("text"),
        "payload",
        json::obj3(
            "slate",
            json::obj2("id", json::text("t1"), "content", Value::Array(Vec::new())),
            "message",
            json::text(message),
            "delay",
            Value::from(0u64),
        ),
        "time",
        Value::from(1_795_358_740_106u64),
    )
}

fn button(name: &str, kind: &str) -> Value {
    json::obj2(
        "name",
        json::text(name),
        "request",
        json::obj2("type", json::text(kind), "payload", json::obj1("label", json::text(name))),
    )
}

/// The test agent: a greeting with Yes / No buttons, echoes of text and events, a question with a no-reply
/// timeout. With a stream, the no-reply reprompt is the runtime's own timer, pushed on the stream.
fn agent(action: &Value, user: &str, shared: &Arc<(Mutex<State>, Condvar)>, no_stream: bool) -> Vec<Value> {
    let kind = action.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "launch" => vec![
            text("Hello from the runtime"),
            json::obj2(
                "type",
                json::text("choice"),
                "payload",
                json::obj1("buttons", Value::Array(vec![button("Yes", "path-yes0001"), button("No", "path-no00001")])),
            ),
        ],
        "path-yes0001" => vec![
            json::obj2("type", json::text("path"), "payload", json::obj1("path", json::text("choice:1"))),
            text("You picked yes"),
            json::obj1("type", json::text("end")),
        ],
        "path-no00001" => vec![text("You picked no")],
        "text" => {
            vec![text(&format!("You said: {}", action.get("payload").and_then(Value::as_str).unwrap_or_default()))]
        }
        "no-reply" => vec![text("No reply: are you still there?")],
        "event" => {
            let name = action.pointer("/payload/event/name").and_then(Value::as_str).unwrap_or_default();
            if name == "ask" {
                if !no_stream {
                    // The runtime's own no-reply timer, pushed on the stream.
                    let (shared, user) = (shared.clone(), user.to_string());
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(1500));
                        push(
                            &mut shared.0.lock().unwrap_or_else(|e| e.into_inner()),
                            &user,
                            Value::Array(vec![text("Server timer: still there?")]),
                        );
                        shared.1.notify_all();
                    });
                }
                return vec![
                    text("Are you there?"),
                    json::obj2("type", json::text("no-reply"), "payload", json::obj1("timeout", Value::from(1u64))),
                ];
            }
            let data = action.pointer("/payload/event/data/text").and_then(Value::as_str).unwrap_or_default();
            vec![text(format!("Event {name} {data}").trim_end())]
        }
        other => vec![text(&format!("Got {other}"))],
    }
}

/// The live stream: every item after `?after=` (or `Last-Event-ID`), then new ones as they are pushed, with a
/// heartbeat comment while nothing happens.
fn live(
    stream: &mut TcpStream,
    req: &Request,
    shared: &Arc<(Mutex<State>, Condvar)>,
    user: &str,
) -> std::io::Result<()> {
    let (no_stream, generation) = {
        let s = shared.0.lock().unwrap_or_else(|e| e.into_inner());
        (s.no_stream, s.stream_generation)
    };
    if no_stream {
        return respond(stream, req, "404 Not Found", "text/plain", "", "Cannot GET");
    }
    let mut after: u64 = req.query("after").or(req.header("last-event-id")).and_then(|v| v.parse().ok()).unwrap_or(0);
    let head = format!(
        "HTTP/1.1 200 OK\r\n{}Content-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\nretry: 300\n\n",
        cors(req)
    );
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    shared.0.lock().unwrap_or_else(|e| e.into_inner()).open_streams += 1;
    let result = (|| -> std::io::Result<()> {
        let mut s = shared.0.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if s.stream_generation != generation {
                return Ok(());
            }
            let items: Vec<(u64, String)> =
                s.pushed.get(user).map(|v| v.iter().filter(|(n, _)| *n > after).cloned().collect()).unwrap_or_default();
            for (seq, data) in items {
                drop(s);
                stream.write_all(format!("id: {seq}\nevent: trace\ndata: {data}\n\n").as_bytes())?;
                stream.flush()?;
                s = shared.0.lock().unwrap_or_else(|e| e.into_inner());
                after = seq;
            }
            let (guard, timeout) = shared.1.wait_timeout(s, Duration::from_secs(15)).unwrap_or_else(|e| e.into_inner());
            s = guard;
            if timeout.timed_out() {
                drop(s);
                stream.write_all(b": ping\n\n")?;
                stream.flush()?;
                s = shared.0.lock().unwrap_or_else(|e| e.into_inner());
            }
        }
    })();
    shared.0.lock().unwrap_or_else(|e| e.into_inner()).open_streams -= 1;
    let _ = stream.shutdown(std::net::Shutdown::Both);
    result
}
