//! What the server tests share: the real `eventflow serve` binary as a child process, an HTTP client, a reader of
//! server-sent events, and the scenarios every store must pass (`tests/server.rs` runs them on the embedded
//! store, `tests/server_redis.rs` and `tests/server_postgres.rs` on Redis and PostgreSQL, with two processes).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_eventflow");
pub const KEY: &str = "test-key-0123456789";

pub fn agent(name: &str) -> String {
    format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn counter() -> String {
    agent("tests/agents/counter.json")
}

/// A running `eventflow serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// Everything the server wrote on stderr so far.
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// Start `eventflow serve ARGS --listen 127.0.0.1:0` and wait for the line that says where it listens.
    pub fn start(args: &[&str]) -> Server {
        Server::start_env(args, &[])
    }

    pub fn start_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn eventflow serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or_default().to_string();
                    let _ = tx.send(addr);
                }
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => Server { child, base: format!("http://{addr}"), log },
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start: {}", log.lock().unwrap());
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("wait");
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait for the process to exit by itself; its status code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `eventflow serve ARGS` expecting it to fail at start-up: its exit code and stderr.
pub fn start_fails(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .expect("run eventflow serve");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client")
}

/// An HTTP answer: status, headers, body as JSON (Null when the body is not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    pub async fn of(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, text, json }
    }

    /// The error code of a refusal, checking its shape `{"error": {"code", "message"}}`.
    pub fn error_code(&self) -> &str {
        let e = &self.json["error"];
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "no error message: {}", self.text);
        e["code"].as_str().unwrap_or_else(|| panic!("not an error: {} {}", self.status, self.text))
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    Answer::of(request.send().await.expect("request")).await
}

/// POST a JSON body (as text) with the API key.
pub async fn keyed(c: &reqwest::Client, url: String, body: &Value) -> Answer {
    send(c.post(url).header("Authorization", format!("Bearer {KEY}")).body(body.to_string())).await
}

pub fn event(user: &str, name: &str, data: Value) -> Value {
    json!({ "app_user_id": user, "event_type": name, "data": data })
}

pub fn event_action(name: &str) -> Value {
    json!({ "action": { "type": "event", "payload": { "event": { "name": name } } } })
}

/// The messages of the text traces in a trace array.
pub fn texts(traces: &Value) -> Vec<String> {
    traces
        .as_array()
        .unwrap_or_else(|| panic!("not a trace array: {traces}"))
        .iter()
        .filter(|t| t["type"] == "text")
        .map(|t| t["payload"]["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Traces with their `time` removed, to compare runs made at different moments.
pub fn timeless(traces: &Value) -> Value {
    let mut traces = traces.clone();
    if let Some(list) = traces.as_array_mut() {
        for t in list {
            if let Some(o) = t.as_object_mut() {
                o.remove("time");
            }
        }
    }
    traces
}

/// One server-sent event, or a comment line.
#[derive(Debug, Clone, PartialEq)]
pub enum Sse {
    Item { id: u64, event: String, data: Value },
    Comment(String),
    Retry(u64),
}

/// An open event stream, read line by line.
pub struct Stream {
    response: reqwest::Response,
    buffer: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Stream {
    pub async fn open(request: reqwest::RequestBuilder) -> Stream {
        let response = request.send().await.expect("stream request");
        assert_eq!(response.status().as_u16(), 200, "the stream was refused");
        let headers = response.headers().clone();
        Stream { response, buffer: String::new(), headers }
    }

    /// The next event or comment, or `None` when `within` runs out (or the stream ends).
    pub async fn next(&mut self, within: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(sse) = parse_block(&block) {
                    return Some(sse);
                }
                continue;
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// The next item (comments and retry hints skipped).
    pub async fn item(&mut self, within: Duration) -> Option<(u64, Value)> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await? {
                Sse::Item { id, event, data } => {
                    assert_eq!(event, "trace");
                    return Some((id, data));
                }
                _ => continue,
            }
        }
    }
}

fn parse_block(block: &str) -> Option<Sse> {
    let (mut id, mut event, mut data) = (None, String::new(), String::new());
    for line in block.lines() {
        if let Some(c) = line.strip_prefix(':') {
            return Some(Sse::Comment(c.trim().to_string()));
        } else if let Some(v) = line.strip_prefix("retry:") {
            return v.trim().parse().ok().map(Sse::Retry);
        } else if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    let data = serde_json::from_str(&data).unwrap_or_else(|e| panic!("stream data is not JSON ({e}): {data}"));
    Some(Sse::Item { id: id.expect("an item without id"), event, data })
}

/// Poll `check` until it gives `Some`, at most `within`.
pub async fn eventually<T, F, Fut>(within: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(t) = check().await {
            return Some(t);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

// ---- scenarios every store passes ----

/// 50 turns of one user at once, spread over the given servers: each one counted once, each event its own
/// sequence number, nothing lost.
pub async fn fifty_concurrent_turns(servers: &[&Server], project: &str) {
    let c = client();
    let user = unique("concurrent");
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (c, url, user) = (c.clone(), servers[i % servers.len()].url("/events"), user.clone());
        let project = project.to_string();
        tasks.push(tokio::spawn(async move {
            let body = event(&user, "inc", json!({}));
            let r = send(c.post(url).bearer_auth(KEY).header("projectID", project).body(body.to_string())).await;
            assert_eq!(r.status, 202, "{}", r.text);
            r.json["seq"].as_u64().expect("seq")
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("task"));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=50).collect::<Vec<u64>>(), "each event its own sequence number");
    let state =
        send(c.get(servers[0].url(&format!("/state/user/{user}"))).bearer_auth(KEY).header("projectID", project)).await;
    assert_eq!(state.status, 200, "{}", state.text);
    assert_eq!(state.json["variables"]["count"], 50, "a lost update: {}", state.json["variables"]);
    let events = state.json["transcript"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["type"] == "custom" && e["content"]["payload"]["event"]["name"] == "inc")
        .count();
    assert_eq!(events, 50, "every event is in the transcript once");
}

/// An event posted to one server reaches a stream held by another (or the same one).
pub async fn event_reaches_a_stream(poster: &Server, listener: &Server, project: &str) {
    let c = client();
    let user = unique("pushed");
    let mut stream = Stream::open(c.get(listener.url(&format!("/public/{project}/state/user/{user}/stream")))).await;
    let posted = Instant::now();
    let r = send(
        c.post(poster.url("/events"))
            .bearer_auth(KEY)
            .header("projectID", project)
            .body(event(&user, "inc", json!({})).to_string()),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["new_session"], true);
    let (id, data) = stream.item(Duration::from_secs(10)).await.expect("the pushed event reached the stream");
    assert_eq!(id, r.json["seq"].as_u64().expect("seq"));
    assert_eq!(texts(&data["trace"]), vec!["count 1"]);
    assert!(posted.elapsed() < Duration::from_secs(5), "delivered only after {:?}", posted.elapsed());
}

// ---- two processes on one shared store (Redis, PostgreSQL) ----

/// The URL of the shared store in the environment variable `var`, which `./build.sh test` sets after starting
/// the server it names.
pub fn store_url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run these tests with ./build.sh test, which starts the store and sets it")
    })
}

/// Two counter servers on one shared store.
pub fn two_processes(store: &str) -> (Server, Server) {
    let start = || Server::start(&[&counter(), "--store", store, "--api-key", KEY]);
    (start(), start())
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{name}-{}-{nanos}", std::process::id())
}

/// A turn answered by one process is there for the other; a keyed repeat sent to the other gets the kept answer.
pub async fn processes_share_sessions_and_answers(store: &str) {
    let (a, b) = two_processes(store);
    let c = client();
    let user = unique("shared");
    let turn = |s: &Server, key: &str| {
        c.post(s.url(&format!("/public/counter/state/user/{user}/interact")))
            .header("Idempotency-Key", key.to_string())
            .body(event_action("inc").to_string())
    };
    let first = send(turn(&a, "k1")).await;
    assert_eq!(texts(&first.json["trace"]), vec!["count 1"], "{}", first.text);
    let repeat = send(turn(&b, "k1")).await;
    assert_eq!(repeat.text, first.text, "the other process gives the kept answer");
    let second = send(turn(&b, "k2")).await;
    assert_eq!(texts(&second.json["trace"]), vec!["count 2"]);
    let state = send(c.get(a.url(&format!("/state/user/{user}"))).bearer_auth(KEY)).await;
    assert_eq!(state.json["variables"]["count"], 2);
    let orders: Vec<u64> = state.json["transcript"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["order"].as_u64().expect("order"))
        .collect();
    assert_eq!(orders, (1..=orders.len() as u64).collect::<Vec<_>>());
}

/// A reminder set through one process fires once, whichever process's timers get it first, and reaches a stream
/// held by the other; after one process is killed, the other still fires the next.
pub async fn timers_fire_once_across_processes_and_survive_a_kill(store: &str) {
    let (mut a, b) = two_processes(store);
    let c = client();
    let user = unique("timers");
    let mut stream = Stream::open(c.get(b.url(&format!("/public/counter/state/user/{user}/stream")))).await;
    let remind = |s: &Server| {
        c.post(s.url(&format!("/public/counter/state/user/{user}/interact"))).body(event_action("remind").to_string())
    };
    let r = send(remind(&a)).await;
    assert_eq!(texts(&r.json["trace"]), vec!["reminder set"]);
    let (id, data) = stream.item(Duration::from_secs(10)).await.expect("the reminder");
    assert_eq!((id, texts(&data["trace"])), (1, vec!["ping!".to_string()]));
    assert_eq!(stream.item(Duration::from_millis(1500)).await, None, "fired once");
    // Set through a, then a dies: b fires it.
    let r = send(remind(&a)).await;
    assert_eq!(texts(&r.json["trace"]), vec!["reminder set"]);
    a.kill9();
    let (id, data) = stream.item(Duration::from_secs(10)).await.expect("fired by the survivor");
    assert_eq!((id, texts(&data["trace"])), (2, vec!["ping!".to_string()]));
    let a = Server::start(&[&counter(), "--store", store, "--api-key", KEY]);
    let state = send(c.get(a.url(&format!("/state/user/{user}"))).bearer_auth(KEY)).await;
    assert_eq!(state.status, 200, "{}", state.text);
    assert!(state.json["timers"].as_array().is_some_and(Vec::is_empty), "{}", state.json["timers"]);
}

/// GET, PATCH, PUT and DELETE on a shared store: the state read back is the state stored, a DELETE clears the
/// session but never its sequence numbers.
pub async fn state_routes(store: &str) {
    let (a, b) = two_processes(store);
    let c = client();
    let user = unique("state");
    for _ in 0..2 {
        assert_eq!(keyed(&c, a.url("/events"), &event(&user, "inc", json!({}))).await.status, 202);
    }
    let get = |s: &Server| c.get(s.url(&format!("/state/user/{user}"))).bearer_auth(KEY);
    let saved = send(get(&b)).await;
    assert_eq!((saved.status, &saved.json["variables"]["count"]), (200, &json!(2)), "{}", saved.text);
    let r =
        send(c.patch(b.url(&format!("/state/user/{user}/variables"))).bearer_auth(KEY).body(r#"{"count": 40}"#)).await;
    assert_eq!(r.json["count"], 40, "{}", r.text);
    let r = send(c.delete(a.url(&format!("/state/user/{user}"))).bearer_auth(KEY)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(send(get(&b)).await.status, 404);
    let r = keyed(&c, b.url("/events"), &event(&user, "inc", json!({}))).await;
    assert_eq!((&r.json["seq"], &r.json["new_session"]), (&json!(3), &json!(true)), "{}", r.text);
    let r = send(c.put(b.url(&format!("/state/user/{user}"))).bearer_auth(KEY).body(saved.text.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let back = send(get(&a)).await;
    assert_eq!(back.json, saved.json, "PUT stores exactly what GET gave");
    let r = keyed(&c, a.url("/events"), &event(&user, "inc", json!({}))).await;
    assert_eq!(r.json["seq"], 4);
    assert_eq!(send(get(&b)).await.json["variables"]["count"], 3);
}
