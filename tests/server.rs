//! The runtime server (`eventflow serve`, SPEC §8, issue 12) as a real process over real HTTP, on the embedded
//! store: every route, auth, CORS, bad input, concurrency, idempotency, the live stream, timers, webhooks,
//! `kill -9` and restart. Redis and PostgreSQL: `tests/server_redis.rs`, `tests/server_postgres.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod server_support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server_support::*;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn store_arg(dir: &tempfile::TempDir) -> String {
    dir.path().join("store").display().to_string()
}

/// A counter server on a fresh embedded store.
fn counter_server(dir: &tempfile::TempDir) -> Server {
    Server::start(&[&counter(), "--store", &store_arg(dir), "--api-key", KEY])
}

#[tokio::test]
async fn health_public_and_keyed_routes() {
    let dir = tempdir();
    let shop = agent("examples/agents/shop.json");
    let s = Server::start(&[&shop, &counter(), "--store", &store_arg(&dir), "--api-key", KEY]);
    let c = client();
    let health = send(c.get(s.url("/health"))).await;
    assert_eq!((health.status, health.json["status"].as_str()), (200, Some("ok")));

    // Public interact: {"trace": [...]}, the versionID header accepted.
    let launch = json!({ "action": { "type": "launch" }, "config": { "tts": false } });
    let r = send(
        c.post(s.url("/public/shop/state/user/u1/interact")).header("versionID", "production").body(launch.to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(texts(&r.json["trace"])[1], "How can I help?");

    // Keyed interact: a bare trace array; with two projects the projectID header picks one.
    let r = send(c.post(s.url("/state/user/u1/interact")).bearer_auth(KEY).body(launch.to_string())).await;
    assert_eq!((r.status, r.error_code()), (400, "project_required"));
    let keyed = |path: &str| c.post(s.url(path)).bearer_auth(KEY).header("projectID", "counter");
    let r = send(keyed("/state/user/u1/interact").body(launch.to_string())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(texts(&r.json), vec!["hello", "Ready?"]);
    let r = send(keyed("/state/user/u1/interact").body(event_action("inc").to_string())).await;
    assert_eq!(texts(&r.json), vec!["count 1"]);

    // GET: the session, its whole transcript included.
    let get = || c.get(s.url("/state/user/u1")).bearer_auth(KEY).header("projectID", "counter");
    let state = send(get()).await;
    assert_eq!(state.status, 200, "{}", state.text);
    assert_eq!(state.json["user_id"], "u1");
    assert_eq!(state.json["variables"]["count"], 1);
    let entries = state.json["transcript"]["entries"].as_array().expect("entries").clone();
    let orders: Vec<u64> = entries.iter().map(|e| e["order"].as_u64().expect("order")).collect();
    assert_eq!(orders, (1..=orders.len() as u64).collect::<Vec<_>>(), "every entry, in order");
    assert!(entries.iter().any(|e| e["text"] == "count 1"));

    // PATCH variables, then PUT back the state read before: the count is 1 again.
    let r = send(
        c.patch(s.url("/state/user/u1/variables"))
            .bearer_auth(KEY)
            .header("projectID", "counter")
            .body(r#"{"count": 41}"#),
    )
    .await;
    assert_eq!((r.status, &r.json["count"]), (200, &json!(41)), "{}", r.text);
    let r = send(keyed("/state/user/u1/interact").body(event_action("inc").to_string())).await;
    assert_eq!(texts(&r.json), vec!["count 42"]);
    let r =
        send(c.put(s.url("/state/user/u1")).bearer_auth(KEY).header("projectID", "counter").body(state.text.clone()))
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let again = send(get()).await;
    assert_eq!(again.json, state.json, "PUT stores exactly what GET gave");
    let r = send(keyed("/state/user/u1/interact").body(event_action("inc").to_string())).await;
    assert_eq!(texts(&r.json), vec!["count 2"]);

    // PUT refuses a state that is not one, or another user's.
    let r =
        send(c.put(s.url("/state/user/u2")).bearer_auth(KEY).header("projectID", "counter").body(state.text.clone()))
            .await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_state"));
    let r = send(c.put(s.url("/state/user/u1")).bearer_auth(KEY).header("projectID", "counter").body("{}")).await;
    assert_eq!(r.status, 400, "{}", r.text);

    // DELETE: gone; GET says so; a new turn starts afresh.
    let r = send(c.delete(s.url("/state/user/u1")).bearer_auth(KEY).header("projectID", "counter")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(get()).await;
    assert_eq!((r.status, r.error_code()), (404, "no_session"));
    let r = send(keyed("/state/user/u1/interact").body(event_action("inc").to_string())).await;
    assert_eq!(texts(&r.json), vec!["count 1"]);

    // Publishing: the agent's name and description.
    let r = send(c.get(s.url("/public/shop/publishing"))).await;
    assert_eq!((r.status, &r.json["title"]), (200, &json!("shop")));

    // Unknown project, route and method: JSON 404 / 405.
    let r = send(c.post(s.url("/public/nope/state/user/u1/interact")).body(launch.to_string())).await;
    assert_eq!((r.status, r.error_code()), (404, "unknown_project"));
    let r = send(c.get(s.url("/public/nope/publishing"))).await;
    assert_eq!((r.status, r.error_code()), (404, "unknown_project"));
    let nope = c.post(s.url("/state/user/u1/interact")).bearer_auth(KEY).header("projectID", "nope");
    let r = send(nope.body(launch.to_string())).await;
    assert_eq!((r.status, r.error_code()), (404, "unknown_project"));
    let r = send(c.get(s.url("/no/such/route"))).await;
    assert_eq!((r.status, r.error_code()), (404, "not_found"));
    let r = send(c.delete(s.url("/public/shop/publishing"))).await;
    assert_eq!((r.status, r.error_code()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn the_same_requests_give_the_same_traces_as_eventflow_interact() {
    let shop = agent("examples/agents/shop.json");
    let requests = [
        json!({ "action": { "type": "launch" } }),
        json!({ "action": { "type": "text", "payload": "where is order 1234" } }),
        json!({ "action": { "type": "text", "payload": "I want a big shirt" } }),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "checkout", "data": { "total": 120, "items": 3 } } } } }),
        json!({ "action": { "type": "text", "payload": "ana@example.com" } }),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "user:location:change", "data": { "city": "Lyon" } } } } }),
        json!({ "action": { "type": "text", "payload": "gibberish xyzzy" } }),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "noMatch" } } } }),
        json!({ "action": { "type": "launch" }, "config": { "excludeTypes": [] } }),
    ];
    let mut child = Command::new(BIN)
        .args(["interact", &shop, "--user", "same-user"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("eventflow interact");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    let mut out = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut out).expect("read");
    child.wait().expect("wait");
    let cli: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(cli.len(), requests.len());

    let dir = tempdir();
    let s = Server::start(&[&shop, "--store", &store_arg(&dir), "--api-key", KEY]);
    let c = client();
    for (request, expected) in requests.iter().zip(&cli) {
        let r = keyed(&c, s.url("/state/user/same-user/interact"), request).await;
        if expected.get("error").is_some() {
            assert_eq!(r.json, *expected, "{request}");
            assert_eq!(r.status, 400);
        } else {
            assert_eq!(r.status, 200, "{request}: {}", r.text);
            assert_eq!(timeless(&r.json), timeless(expected), "{request}");
        }
    }
}

#[tokio::test]
async fn api_keys_are_required_compared_and_never_logged() {
    let dir = tempdir();
    let secret = "env-key-must-not-appear-in-logs";
    let s = Server::start_env(
        &[&counter(), "--store", &store_arg(&dir)],
        &[("EVENTFLOW_API_KEYS", &format!("other, {secret}"))],
    );
    let c = client();
    let body = event_action("inc").to_string();
    let url = s.url("/state/user/a/interact");
    let r = send(c.post(&url).body(body.clone())).await;
    assert_eq!((r.status, r.error_code()), (401, "unauthorized"));
    let r = send(c.post(&url).header("Authorization", "Bearer nope").body(body.clone())).await;
    assert_eq!((r.status, r.error_code()), (401, "unauthorized"));
    let r = send(c.post(&url).header("Authorization", format!("{secret}x")).body(body.clone())).await;
    assert_eq!(r.status, 401);
    let r = send(c.post(&url).header("Authorization", format!("Bearer {secret}")).body(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(c.post(&url).header("Authorization", secret).body(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r =
        send(c.post(s.url("/events")).header("Authorization", "other").body(event("a", "inc", json!({})).to_string()))
            .await;
    assert_eq!(r.status, 202, "{}", r.text);
    for path in ["/state/user/a", "/events"] {
        assert_eq!(send(c.get(s.url(path))).await.status, if path == "/events" { 405 } else { 401 });
    }
    // The public routes need no key.
    let r = send(c.post(s.url("/public/counter/state/user/a/interact")).body(body.clone())).await;
    assert_eq!(r.status, 200);
    assert!(!s.log().contains(secret), "a key in the log:\n{}", s.log());

    // Without any key the keyed routes are closed, and say why.
    let dir2 = tempdir();
    let open = Server::start(&[&counter(), "--store", &store_arg(&dir2)]);
    let r = send(c.post(open.url("/state/user/a/interact")).header("Authorization", "anything").body(body)).await;
    assert_eq!(r.status, 401);
    assert!(r.text.contains("--api-key"), "{}", r.text);
    assert!(open.log().contains("no API key"), "{}", open.log());
}

#[tokio::test]
async fn cors_answers_any_origin_by_default_and_only_the_allowed_ones_with_a_list() {
    let c = client();
    let preflight = |s: &Server, origin: &str| {
        c.request(reqwest::Method::OPTIONS, s.url("/public/counter/state/user/a/interact"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type,versionid,idempotency-key")
    };
    let dir = tempdir();
    let any = counter_server(&dir);
    let r = send(preflight(&any, "https://shop.example")).await;
    assert!(r.status < 300, "{}", r.status);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    let allowed = r.headers["access-control-allow-headers"].to_str().expect("text").to_ascii_lowercase();
    for h in ["content-type", "versionid", "idempotency-key"] {
        assert!(allowed.contains(h), "{allowed}");
    }
    let r =
        send(c.post(any.url("/public/counter/state/user/a/interact")).header("Origin", "https://x.example").body("{}"))
            .await;
    assert_eq!(r.headers["access-control-allow-origin"], "*");

    let dir2 = tempdir();
    let listed = Server::start(&[&counter(), "--store", &store_arg(&dir2), "--allow-origin", "https://shop.example"]);
    let r = send(preflight(&listed, "https://shop.example")).await;
    assert_eq!(r.headers["access-control-allow-origin"], "https://shop.example");
    let r = send(preflight(&listed, "https://evil.example")).await;
    assert!(r.headers.get("access-control-allow-origin").is_none());
    let launch = json!({ "action": { "type": "launch" } }).to_string();
    let url = listed.url("/public/counter/state/user/a/interact");
    let r = send(c.post(&url).header("Origin", "https://evil.example").body(launch.clone())).await;
    assert_eq!((r.status, r.error_code()), (403, "origin_not_allowed"));
    let r =
        send(c.get(listed.url("/public/counter/state/user/a/stream")).header("Origin", "https://evil.example")).await;
    assert_eq!(r.status, 403);
    let r = send(c.post(&url).header("Origin", "https://shop.example").body(launch.clone())).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["access-control-allow-origin"], "https://shop.example");
    assert_eq!(send(c.post(&url).body(launch)).await.status, 200, "no Origin: not a browser");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let public = s.url("/public/counter/state/user/b/interact");
    let r = send(c.post(&public).body("{not json")).await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_json"));
    let r = send(c.post(&public).body(vec![0xff, 0xfe])).await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_json"));
    let r = send(c.post(&public).body(json!({ "action": { "type": 7 } }).to_string())).await;
    assert_eq!(r.status, 400, "{}", r.text);
    r.error_code();
    let big = format!("{{\"action\":{{\"type\":\"text\",\"payload\":\"{}\"}}}}", "a".repeat(2 * 1024 * 1024));
    // Answered before the body is read to its end, so the server closes that connection: a client of its own.
    let r = send(client().post(&public).body(big)).await;
    assert_eq!((r.status, r.error_code()), (413, "payload_too_large"));
    let long_user = "u".repeat(300);
    let r = send(c.post(s.url(&format!("/public/counter/state/user/{long_user}/interact"))).body("{}")).await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_user_id"));
    let r = send(c.post(&public).header("Idempotency-Key", "x".repeat(300)).body("{}")).await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_idempotency_key"));

    // The events API: each refusal says what is wrong.
    let events = |body: String| c.post(s.url("/events")).bearer_auth(KEY).body(body);
    for (body, code, words) in [
        ("[1".to_string(), "invalid_json", "not valid JSON"),
        ("[1]".to_string(), "invalid_request", "app_user_id"),
        (json!({ "event_type": "inc" }).to_string(), "invalid_request", "app_user_id"),
        (json!({ "app_user_id": "b" }).to_string(), "invalid_request", "event_type"),
        (json!({ "app_user_id": "b", "event_type": "bad name!" }).to_string(), "invalid_event_name", "bad name"),
        (json!({ "app_user_id": "b", "event_type": "noReply" }).to_string(), "system_event", "system event"),
        (json!({ "app_user_id": "", "event_type": "inc" }).to_string(), "invalid_user_id", "userID"),
    ] {
        let r = send(events(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.error_code(), code, "{body}");
        assert!(r.json["error"]["message"].as_str().expect("message").contains(words), "{body}: {}", r.text);
    }
    let huge = json!({ "app_user_id": "b", "event_type": "inc", "data": { "blob": "x".repeat(70_000) } });
    let r = send(events(huge.to_string())).await;
    assert_eq!((r.status, r.error_code()), (413, "payload_too_large"));
    let r = send(
        c.post(s.url("/events"))
            .bearer_auth(KEY)
            .header("projectID", "nope")
            .body(event("b", "inc", json!({})).to_string()),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (404, "unknown_project"));
    let r = send(c.patch(s.url("/state/user/b/variables")).bearer_auth(KEY).body(r#"{"not a name": 1}"#)).await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_request"));
    let r = send(c.patch(s.url("/state/user/b/variables")).bearer_auth(KEY).body("[]")).await;
    assert_eq!(r.status, 400);
    let r = send(c.get(s.url("/public/counter/state/user/b/stream?after=soon"))).await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_cursor"));

    // Nothing of the above made a session.
    let r = send(c.get(s.url("/state/user/b")).bearer_auth(KEY)).await;
    assert_eq!((r.status, r.error_code()), (404, "no_session"));
    assert_eq!(send(c.get(s.url("/health"))).await.status, 200, "still serving");
}

#[tokio::test]
async fn fifty_concurrent_turns_of_one_user_lose_no_update() {
    let dir = tempdir();
    let s = counter_server(&dir);
    fifty_concurrent_turns(&[&s], "counter").await;
}

#[tokio::test]
async fn a_keyed_turn_runs_once_and_a_repeat_gets_the_same_answer() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let turn = |key: &str| {
        c.post(s.url("/public/counter/state/user/i/interact"))
            .header("Idempotency-Key", key)
            .body(event_action("inc").to_string())
    };
    let first = send(turn("turn-1")).await;
    assert_eq!(texts(&first.json["trace"]), vec!["count 1"]);
    let repeat = send(turn("turn-1")).await;
    assert_eq!(repeat.text, first.text, "the kept answer, byte for byte");
    let second = send(turn("turn-2")).await;
    assert_eq!(texts(&second.json["trace"]), vec!["count 2"]);
    // Repeats sent at once: still one turn.
    let (a, b) = tokio::join!(send(turn("turn-3")), send(turn("turn-3")));
    assert_eq!(a.text, b.text);
    let state = send(c.get(s.url("/state/user/i")).bearer_auth(KEY)).await;
    assert_eq!(state.json["variables"]["count"], 3);

    let post = |key: &str| {
        c.post(s.url("/events"))
            .bearer_auth(KEY)
            .header("Idempotency-Key", key)
            .body(event("i", "inc", json!({})).to_string())
    };
    let e1 = send(post("event-1")).await;
    assert_eq!(e1.status, 202);
    let e2 = send(post("event-1")).await;
    assert_eq!((e2.status, &e2.json), (202, &e1.json), "the same event id and seq");
    let state = send(c.get(s.url("/state/user/i")).bearer_auth(KEY)).await;
    assert_eq!(state.json["variables"]["count"], 4);
}

#[tokio::test]
async fn the_stream_resumes_by_id_without_loss_or_duplicate() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let post = || async { keyed(&c, s.url("/events"), &event("r", "inc", json!({}))).await };
    // Pushed while nobody listens: kept.
    for _ in 0..3 {
        assert_eq!(post().await.status, 202);
    }
    let url = s.url("/public/counter/state/user/r/stream");
    let mut all = Stream::open(c.get(&url).header("Accept-Encoding", "gzip")).await;
    assert_eq!(all.headers["content-type"], "text/event-stream");
    assert!(all.headers.get("content-encoding").is_none(), "a compressed stream");
    assert_eq!(all.next(Duration::from_secs(5)).await, Some(Sse::Retry(2000)));
    for n in 1..=3u64 {
        let (id, data) = all.item(Duration::from_secs(5)).await.expect("a kept item");
        assert_eq!((id, texts(&data["trace"])), (n, vec![format!("count {n}")]));
    }
    let mut after = Stream::open(c.get(format!("{url}?after=1"))).await;
    assert_eq!(after.item(Duration::from_secs(5)).await.map(|i| i.0), Some(2));
    let mut resumed = Stream::open(c.get(format!("{url}?after=1")).header("Last-Event-ID", "2")).await;
    assert_eq!(resumed.item(Duration::from_secs(5)).await.map(|i| i.0), Some(3), "Last-Event-ID wins");
    assert_eq!(after.item(Duration::from_secs(5)).await.map(|i| i.0), Some(3));
    // Live: each open stream gets the next item once.
    assert_eq!(post().await.json["seq"], 4);
    for stream in [&mut all, &mut after, &mut resumed] {
        let (id, data) = stream.item(Duration::from_secs(5)).await.expect("the live item");
        assert_eq!((id, texts(&data["trace"])), (4, vec!["count 4".to_string()]));
        assert_eq!(stream.item(Duration::from_millis(300)).await, None, "nothing twice");
    }
    // An interact answer is never also on the stream.
    let r = send(c.post(s.url("/public/counter/state/user/r/interact")).body(event_action("inc").to_string())).await;
    assert_eq!(texts(&r.json["trace"]), vec!["count 5"]);
    assert_eq!(all.item(Duration::from_millis(500)).await, None);
    // The heartbeat comes on a quiet stream.
    let beat = all.next(Duration::from_secs(20)).await;
    assert_eq!(beat, Some(Sse::Comment("ping".into())), "a heartbeat, and nothing else");
}

#[tokio::test]
async fn a_never_seen_user_gets_the_event_on_first_connection_and_delete_keeps_the_sequence() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let r = keyed(&c, s.url("/events"), &event("new", "inc", json!({}))).await;
    assert_eq!((r.status, &r.json["seq"], &r.json["new_session"]), (202, &json!(1), &json!(true)));
    assert!(r.json["event_id"].as_str().is_some_and(|id| id.len() >= 16));
    let mut stream = Stream::open(c.get(s.url("/public/counter/state/user/new/stream"))).await;
    let (id, data) = stream.item(Duration::from_secs(5)).await.expect("delivered on first connection");
    assert_eq!((id, texts(&data["trace"])), (1, vec!["count 1".to_string()]));
    let r = keyed(&c, s.url("/events"), &event("new", "inc", json!({}))).await;
    assert_eq!((&r.json["seq"], &r.json["new_session"]), (&json!(2), &json!(false)));
    assert_eq!(stream.item(Duration::from_secs(5)).await.map(|i| i.0), Some(2));
    let r = send(c.delete(s.url("/state/user/new")).bearer_auth(KEY)).await;
    assert_eq!(r.status, 200);
    let r = keyed(&c, s.url("/events"), &event("new", "inc", json!({}))).await;
    assert_eq!(r.json["seq"], 3, "sequence numbers are never reused");
    let (id, data) = stream.item(Duration::from_secs(5)).await.expect("after the delete");
    assert_eq!((id, texts(&data["trace"])), (3, vec!["count 1".to_string()]));
}

#[tokio::test]
async fn timers_fire_on_the_server_once_a_stream_is_open_and_never_reprompt_twice() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let url = s.url("/public/counter/state/user/t/interact");
    let mut stream = Stream::open(c.get(s.url("/public/counter/state/user/t/stream"))).await;
    let launched = Instant::now();
    let r = send(c.post(&url).body(json!({ "action": { "type": "launch" } }).to_string())).await;
    assert_eq!(r.json["trace"].as_array().expect("traces").last().expect("a trace")["type"], "no-reply");
    // The no-reply timer (1 s) fires on the server; its reprompt comes on the stream.
    let (id, data) = stream.item(Duration::from_secs(10)).await.expect("the reprompt");
    assert!(launched.elapsed() >= Duration::from_millis(900), "fired early: {:?}", launched.elapsed());
    assert_eq!(id, 1);
    assert_eq!(texts(&data["trace"])[0], "Still there?");
    // A client that also runs the timer sends no-reply: no second reprompt.
    let r = send(c.post(&url).body(json!({ "action": { "type": "no-reply" } }).to_string())).await;
    assert_eq!(r.json["trace"], json!([]), "{}", r.text);
    // A reminder (`emit` with `after`) fires on the server too.
    let r = send(c.post(&url).body(event_action("remind").to_string())).await;
    assert_eq!(texts(&r.json["trace"]), vec!["reminder set"]);
    let (id, data) = stream.item(Duration::from_secs(10)).await.expect("the reminder");
    assert_eq!((id, texts(&data["trace"])), (2, vec!["ping!".to_string()]));
}

#[tokio::test]
async fn without_a_stream_timers_wait_for_the_next_turn_as_in_voiceflow() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let url = s.url("/public/counter/state/user/v/interact");
    send(c.post(&url).body(json!({ "action": { "type": "launch" } }).to_string())).await;
    // Voiceflow's widget: its own no-reply timer sends no-reply after the timeout (+ its message delays).
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let r = send(c.post(&url).body(json!({ "action": { "type": "no-reply" } }).to_string())).await;
    assert_eq!(texts(&r.json["trace"]), vec!["Still there?"], "one reprompt: {}", r.text);
    // Early (its timer is not due): nothing.
    let r = send(c.post(&url).body(json!({ "action": { "type": "no-reply" } }).to_string())).await;
    assert_eq!(r.json["trace"], json!([]));
    // Nothing was pushed behind its back.
    let r = keyed(&c, s.url("/events"), &event("v", "inc", json!({}))).await;
    assert_eq!(r.json["seq"], 1);
}

/// A webhook server on 127.0.0.1: `/ok` answers a status at once, `/slow` after 2 s.
fn webhook_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                if request.starts_with("GET /slow") {
                    std::thread::sleep(Duration::from_secs(2));
                }
                let body = r#"{"status":"shipped"}"#;
                let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = stream.write_all(answer.as_bytes());
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn webhooks_are_called_within_their_time_limit() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let base = webhook_server();
    let r = send(c.patch(s.url("/state/user/w/variables")).bearer_auth(KEY).body(json!({ "base": base }).to_string()))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let lookup = |path: &str| json!({ "action": { "type": "event", "payload": { "event": { "name": "lookup", "data": { "path": path } } } } });
    let r = keyed(&c, s.url("/state/user/w/interact"), &lookup("ok")).await;
    assert_eq!(texts(&r.json), vec!["status: shipped"]);
    let started = Instant::now();
    let r = keyed(&c, s.url("/state/user/w/interact"), &lookup("slow")).await;
    assert_eq!(texts(&r.json), vec!["too slow"], "{}", r.text);
    assert!(started.elapsed() < Duration::from_millis(1800), "waited {:?}", started.elapsed());
    // From an inbound event, the webhook's outcome goes to the stream.
    let r =
        keyed(&c, s.url("/events"), &json!({ "app_user_id": "w", "event_type": "lookup", "data": { "path": "ok" } }))
            .await;
    assert_eq!(r.status, 202);
    let mut stream = Stream::open(c.get(s.url("/public/counter/state/user/w/stream"))).await;
    let (_, data) = stream.item(Duration::from_secs(5)).await.expect("pushed");
    assert_eq!(texts(&data["trace"]), vec!["status: shipped"]);
}

#[tokio::test]
async fn an_answered_turn_survives_kill_9_and_a_pending_timer_fires_after_the_restart() {
    let dir = tempdir();
    let mut s = counter_server(&dir);
    let c = client();
    let url = s.url("/public/counter/state/user/k/interact");
    for n in 1..=3 {
        let r = send(c.post(&url).body(event_action("inc").to_string())).await;
        assert_eq!(texts(&r.json["trace"]), vec![format!("count {n}")]);
    }
    let stream = Stream::open(c.get(s.url("/public/counter/state/user/k/stream"))).await;
    let r = send(c.post(&url).body(event_action("remind").to_string())).await;
    assert_eq!(texts(&r.json["trace"]), vec!["reminder set"]);
    let before = send(c.get(s.url("/state/user/k")).bearer_auth(KEY)).await;
    drop(stream);
    s.kill9();

    let s = counter_server(&dir);
    let after = send(c.get(s.url("/state/user/k")).bearer_auth(KEY)).await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.json["variables"]["count"], 3);
    assert_eq!(after.json["transcript"], before.json["transcript"], "every transcript entry");
    // The reminder was pending at the kill: it fires now, and is delivered to the next connection.
    let mut stream = Stream::open(c.get(s.url("/public/counter/state/user/k/stream"))).await;
    let (id, data) = stream.item(Duration::from_secs(10)).await.expect("the reminder after the restart");
    assert_eq!((id, texts(&data["trace"])), (1, vec!["ping!".to_string()]));
    let r = send(c.post(s.url("/public/counter/state/user/k/interact")).body(event_action("inc").to_string())).await;
    assert_eq!(texts(&r.json["trace"]), vec!["count 4"]);
}

#[tokio::test]
async fn the_embedded_store_serves_one_process_and_says_so() {
    let dir = tempdir();
    let _s = counter_server(&dir);
    let (code, stderr) = start_fails(&[&counter(), "--store", &store_arg(&dir)]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("in use by another process"), "{stderr}");
    let (code, stderr) = start_fails(&["/nonexistent/agent.json"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("cannot read"), "{stderr}");
    let (code, stderr) = start_fails(&[]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[tokio::test]
async fn voiceflow_widget_extras_feedback_and_transcripts() {
    let dir = tempdir();
    let s = counter_server(&dir);
    let c = client();
    let r = send(
        c.post(s.url("/feedback/counter/user/f")).body(json!({ "name": "Thumbs up", "text": ["hello"] }).to_string()),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (404, "no_session"));
    send(
        c.post(s.url("/public/counter/state/user/f/interact"))
            .body(json!({ "action": { "type": "launch" } }).to_string()),
    )
    .await;
    let r = send(
        c.post(s.url("/public/counter/transcripts"))
            .body(json!({ "sessionID": "f", "os": "Linux", "browser": "Chrome", "device": "desktop" }).to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rating = json!({ "name": "Thumbs down", "text": ["hello", "Ready?"], "lastUserTurn": { "type": "launch" } });
    let r = send(c.post(s.url("/feedback/counter/user/f")).header("versionID", "production").body(rating.to_string()))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(c.post(s.url("/feedback/counter/user/f")).body(json!({ "name": "Meh" }).to_string())).await;
    assert_eq!((r.status, r.error_code()), (400, "invalid_request"));
    let state = send(c.get(s.url("/state/user/f")).bearer_auth(KEY)).await;
    let entries = state.json["transcript"]["entries"].as_array().expect("entries").clone();
    let rated = entries.iter().find(|e| e["type"] == "annotation").expect("the rating");
    assert_eq!(rated["annotation_type"], "rating");
    assert_eq!(rated["text"], "Thumbs down");
    assert_eq!(rated["properties"]["rating"], "down");
    assert_eq!(rated["properties"]["messages"], json!(["hello", "Ready?"]));
    let hello = entries.iter().find(|e| e["type"] == "message" && e["text"] == "hello").expect("the rated message");
    assert_eq!(rated["properties"]["message_id"], hello["id"]);
    assert_eq!(rated["recipients"], "all");
    let client_entry =
        entries.iter().find(|e| e["type"] == "custom" && e["content"]["type"] == "client").expect("client");
    assert_eq!(client_entry["content"]["browser"], "Chrome");
}
