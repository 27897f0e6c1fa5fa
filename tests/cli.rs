//! The native CLI as SPEC §2.5 describes it, run as a real process; webhooks go to a real HTTP server on
//! 127.0.0.1 started by the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use eventflow::json;
use eventflow::json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_eventflow");

fn agent(name: &str) -> String {
    format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Run `eventflow interact` with these stdin lines; returns stdout lines.
fn interact(agent_path: &str, lines: &[String]) -> Vec<String> {
    let out = run(&["interact", agent_path], lines);
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").lines().map(str::to_string).collect()
}

/// Run the binary with `args` and these stdin lines; the whole output, whatever the exit status.
fn run(args: &[&str], lines: &[String]) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn eventflow");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("run");
    writer.join().expect("writer").expect("write stdin");
    out
}

fn texts(line: &str) -> Vec<String> {
    let v: Value = eventflow::json::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    v.as_array()
        .unwrap_or_else(|| panic!("not a trace array: {line}"))
        .iter()
        .filter(|t| t["type"] == "text")
        .map(|t| t["payload"]["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn error_code(line: &str) -> String {
    let v: Value = eventflow::json::parse(line).expect("json");
    v["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error line: {line}")).to_string()
}

#[test]
fn check_accepts_the_shop_agent() {
    let out = Command::new(BIN).args(["check", &agent("examples/agents/shop.json")]).output().expect("run");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("ok: agent 'shop'"), "{stdout}");
}

#[test]
fn check_lists_every_error_with_its_path_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("eventflow-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("bad.json");
    let bad = json!({ "name": "bad", "start": "nope", "flows": { "main": { "start": "a", "steps": {
        "a": { "type": "text", "text": "x", "next": "confirm" } } } } });
    std::fs::write(&path, bad.to_string()).expect("write");
    let out = Command::new(BIN).args(["check", path.to_str().expect("path")]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("start: unknown flow 'nope'"), "{stderr}");
    assert!(stderr.contains("flows.main.steps.a.next: unknown step 'confirm'"), "{stderr}");
    let missing = Command::new(BIN).args(["check", "/nonexistent/agent.json"]).output().expect("run");
    assert_eq!(missing.status.code(), Some(2));
    let usage = Command::new(BIN).output().expect("run");
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn interact_answers_one_line_per_input_line_whatever_the_input() {
    let lines: Vec<String> = [
        json!({ "action": { "type": "launch" } }).to_string(),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "Button_Clicked" } } } }).to_string(),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "no spaces" } } } }).to_string(),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "noMatch" } } } }).to_string(),
        "{ broken json".to_string(),
        String::new(),
        "[]".to_string(),
        json!({ "action": { "type": "text", "payload": "x".repeat(5000) } }).to_string(),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "checkout", "data": { "blob": "y".repeat(1 << 20) } } } } }).to_string(),
        json!({ "action": { "type": "text", "payload": "opening hours" } }).to_string(),
    ]
    .into();
    let out = interact(&agent("examples/agents/shop.json"), &lines);
    assert_eq!(out.len(), lines.len(), "{out:#?}");
    assert_eq!(texts(&out[0])[0], "Hi! I'm the shop assistant. 👋");
    assert!(texts(&out[1])[0].starts_with("You clicked the button!"), "names match case-insensitively");
    assert_eq!(error_code(&out[2]), "invalid_event_name");
    assert_eq!(error_code(&out[3]), "system_event");
    assert_eq!(error_code(&out[4]), "invalid_json");
    assert_eq!(error_code(&out[5]), "invalid_json");
    assert_eq!(error_code(&out[6]), "invalid_request");
    assert!(texts(&out[7])[0].contains("too long"));
    assert!(["payload_too_large", "request_too_large"].contains(&error_code(&out[8]).as_str()));
    assert_eq!(texts(&out[9])[0], "We are open Monday to Saturday, 9:00 to 18:00.", "the session survived");
}

#[test]
fn interact_time_drives_a_virtual_clock() {
    let t0: u64 = 1_700_000_000_000;
    let lines: Vec<String> = vec![
        json!({ "action": { "type": "launch" }, "time": t0 }).to_string(),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "remind" } } }, "time": t0 }).to_string(),
        json!({ "time": t0 + 59_000 }).to_string(),
        json!({ "time": t0 + 60_000 }).to_string(),
    ];
    let out = interact(&agent("tests/agents/rules.json"), &lines);
    assert_eq!(out.len(), 4);
    assert_eq!(out[2], "[]");
    assert_eq!(texts(&out[3])[0], "Reminder: your cart is waiting.");
}

/// A small HTTP server: `/ok` answers JSON with a followupEvent, `/slow` answers after 1.5 s, `/500` fails.
/// Every request's first line and body go back to the test through the channel.
fn server() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut first = String::new();
                reader.read_line(&mut first).ok();
                let mut length = 0;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).ok();
                tx.send((first.trim().to_string(), String::from_utf8_lossy(&body).to_string())).ok();
                let (status, answer) = if first.contains("/ok") {
                    ("200 OK", json!({ "status": "shipped", "followupEvent": { "name": "order_shipped", "data": { "eta": "Tuesday" } } }).to_string())
                } else if first.contains("/slow") {
                    std::thread::sleep(Duration::from_millis(1500));
                    ("200 OK", json!({ "status": "late" }).to_string())
                } else {
                    ("500 Internal Server Error", "oops".to_string())
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                stream.write_all(response.as_bytes()).ok();
            });
        }
    });
    (base, rx)
}

#[test]
fn webhooks_are_real_http_calls_with_followup_events_and_time_limits() {
    let (base, requests) = server();
    let lookup = |path: &str| {
        json!({ "action": { "type": "event", "payload": { "event": { "name": "lookup", "data": { "path": path, "id": "A-1" } } } },
                "state": { "variables": { "base": base } } })
        .to_string()
    };
    let lines =
        vec![json!({ "action": { "type": "launch" } }).to_string(), lookup("ok"), lookup("slow"), lookup("500")];
    let out = interact(&agent("tests/agents/webhook.json"), &lines);
    assert_eq!(out.len(), 4, "{out:#?}");
    assert_eq!(texts(&out[1]), ["shipped, arriving Tuesday", "status: shipped"]);
    assert_eq!(texts(&out[2]), ["too slow (500 ms)", "failed"]);
    assert_eq!(texts(&out[3]), ["failed"]);
    let (first, body) = requests.recv_timeout(Duration::from_secs(5)).expect("the server got the call");
    assert_eq!(first, "POST /ok HTTP/1.1");
    assert_eq!(eventflow::json::parse(&body).expect("json body"), json!({ "id": "A-1", "n": 3 }));
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventflow-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    dir
}

#[test]
fn chat_says_what_became_of_every_line() {
    let lines: Vec<String> = ["/event bad name", "/event nobody_handles_this {\"a\": 1}", "/event bad!", "/quit"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = run(&["chat", &agent("tests/agents/rules.json")], &lines);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Data that is not JSON is refused with the reason, not sent as a string.
    assert!(stdout.contains("! the data after the event name is not JSON"), "{stdout}");
    // A turn that shows nothing says why.
    assert!(stdout.contains("* caught nobody_handles_this"), "{stdout}");
    assert!(stdout.contains("! invalid_event_name"), "{stdout}");
}

#[test]
fn chat_explains_a_turn_that_shows_nothing() {
    let lines: Vec<String> = ["/event lonely", "/quit"].iter().map(|s| s.to_string()).collect();
    let out = run(&["chat", &agent("tests/agents/webhook.json")], &lines);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("event 'lonely' is not handled by any trigger"), "{stdout}");
}

#[test]
fn check_on_a_file_that_is_not_utf8_exits_1_with_the_error() {
    let path = temp_dir("utf8").join("latin1.json");
    std::fs::write(&path, b"{\"name\": \"caf\xe9\", \"flows\": {}}").expect("write");
    let out = Command::new(BIN).args(["check", path.to_str().expect("path")]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("latin1.json: the agent file is not UTF-8 text"), "{stderr}");
}

#[test]
fn interact_starts_a_new_session_in_an_empty_state_file() {
    let state = temp_dir("empty-state").join("state.json");
    std::fs::write(&state, "").expect("write");
    let state_arg = state.to_str().expect("path");
    let out = run(
        &["interact", &agent("examples/agents/shop.json"), "--state", state_arg],
        &[json!({ "action": { "type": "launch" } }).to_string()],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        texts(String::from_utf8_lossy(&out.stdout).lines().next().expect("a line"))[0],
        "Hi! I'm the shop assistant. 👋"
    );
    let saved = std::fs::read_to_string(&state).expect("saved");
    assert!(saved.starts_with("{\"version\":"), "{saved}");
}

#[test]
fn interact_leaves_a_state_file_it_cannot_read_untouched() {
    let state = temp_dir("bad-state").join("state.json");
    std::fs::write(&state, b"\xff\xfe not a session").expect("write");
    let state_arg = state.to_str().expect("path");
    let out = run(
        &["interact", &agent("examples/agents/shop.json"), "--state", state_arg],
        &[json!({ "action": { "type": "launch" } }).to_string()],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot restore"), "{out:?}");
    assert_eq!(std::fs::read(&state).expect("kept"), b"\xff\xfe not a session");
}

#[test]
fn deep_event_data_is_saved_and_restored_by_the_next_run() {
    // Event data nested 123 levels, the deepest a request takes: the turn accepts it and saves it (in last_event
    // and the transcript, a few levels deeper than in the request). The next run must restore it.
    let mut data = json!("leaf");
    for _ in 0..123 {
        data = json!({ "d": data });
    }
    let state = temp_dir("deep").join("state.json");
    let state_arg = state.to_str().expect("path");
    let args = ["interact", &agent("tests/agents/rules.json"), "--state", state_arg];
    let first = run(
        &args,
        &[
            json!({ "action": { "type": "launch" } }).to_string(),
            json!({ "action": { "type": "event", "payload": { "event": { "name": "deep", "data": data } } } })
                .to_string(),
        ],
    );
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let second = run(&args, &[json!({ "action": { "type": "text", "payload": "opening hours" } }).to_string()]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(texts(String::from_utf8_lossy(&second.stdout).lines().next().expect("a line"))[0], "Open 9 to 5.");
}
