//! SPEC 9.3: a turn costs time linear in its input and its steps, whatever the agent or the request. Each test
//! feeds an input of the size that once held the engine for seconds or minutes (issue 14) and holds the work to a
//! bound tens of times what a linear pass takes in a debug build, so it cannot flake on a busy machine and still
//! fails on a quadratic pass. The bound is on the CPU time of the test's own thread, not on the wall clock: other
//! work on the machine (the other tests, a parallel build) does not count against it. How fast each is, is
//! measured by `benches/engine.rs` (docs/PERFORMANCE.md).

#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use cpu_time::ThreadTime;

use eventflow::engine::{Config, Effect, Engine, Envelope, WebhookOutcome};
use eventflow::json;
use eventflow::json::Value;

#[path = "support/inputs.rs"]
mod inputs;
use inputs::object_text;

const T0: u64 = 1_700_000_000_000;

/// Far above the CPU time each input takes when handled in linear time (well under a second in a debug build).
const BOUND: Duration = Duration::from_secs(20);

fn within_bound<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let started = ThreadTime::now();
    let out = f();
    let took = started.elapsed();
    assert!(took < BOUND, "{what} took {took:?}: is a pass over the input repeated for every part of it?");
    out
}

fn engine(agent: Value) -> Engine {
    Engine::from_value(&agent).expect("agent")
}

fn launched(engine: &Engine) -> eventflow::engine::Session {
    let mut s = engine.new_session("linear");
    engine.interact_json(&mut s, r#"{"action":{"type":"launch"}}"#, T0).expect("launch");
    s
}

fn text_flow(text: &str) -> Value {
    json!({ "start": "say", "steps": { "say": { "type": "text", "text": text } } })
}

#[test]
fn a_request_with_50000_state_variables() {
    let limits = json!({ "sessionDataSoftLimit": 1_000_000, "sessionDataHardLimit": 2_000_000 });
    let engine = engine(json!({ "name": "vars", "settings": limits, "flows": { "main": text_flow("hi") } }));
    let mut session = launched(&engine);
    let body = format!(r#"{{"action":{{"type":"launch"}},"state":{{"variables":{}}}}}"#, object_text(50_000, "1"));
    assert!(body.len() < eventflow::engine::MAX_REQUEST_BYTES);
    within_bound("a launch merging 50,000 variables", || engine.interact_json(&mut session, &body, T0 + 1))
        .expect("turn");
    assert_eq!(session.var("k49999"), Some(&Value::from(1u64)));
    let saved = session.to_json();
    let restored = within_bound("restoring 50,000 variables", || engine.restore(&saved)).expect("restore");
    assert_eq!(restored.variables.len(), session.variables.len());
}

#[test]
fn a_webhook_answer_setting_50000_variables() {
    let limits = json!({ "sessionDataSoftLimit": 1_000_000, "sessionDataHardLimit": 2_000_000 });
    let engine = engine(json!({ "name": "hook", "settings": limits, "flows": { "main": { "start": "call", "steps": {
        "call": { "type": "webhook", "url": "https://api.example.com/", "next": "done" },
        "done": { "type": "text", "text": "done" } } } } }));
    let mut session = engine.new_session("linear");
    let turn = engine.interact_json(&mut session, r#"{"action":{"type":"launch"}}"#, T0).expect("launch");
    let id = turn
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Webhook(w) => Some(w.id),
            Effect::Wake { .. } => None,
        })
        .expect("a webhook call");
    let body = format!(r#"{{"variables":{}}}"#, object_text(50_000, "2"));
    let outcome = WebhookOutcome::Response { status: 200, body };
    let turn = within_bound("a webhook answer with 50,000 variables", || {
        engine.webhook_result(&mut session, id, outcome, T0 + 1, &Config::default())
    });
    assert_eq!(turn.traces.len(), 2, "{turn:?}");
    assert_eq!(session.var("k12345"), Some(&Value::from(2u64)));
}

#[test]
fn a_set_loop_over_a_large_session() {
    // 30,000 writes of a small counter beside a 400 KB variable: each write is checked against the session data
    // limits, and the check must not cost the whole session every time.
    let engine = engine(json!({ "name": "loop", "settings": { "maxStepsPerTurn": 100000 },
        "variables": { "n": 0, "big": "" },
        "flows": { "main": { "start": "inc", "steps": {
            "inc": { "type": "set", "set": { "n": "= n + 1" }, "next": "test" },
            "test": { "type": "condition", "branches": [{ "if": "n < 30000", "next": "inc" }], "else": "done" },
            "done": { "type": "text", "text": "n is {n}" } } } } }));
    let mut session = engine.new_session("linear");
    let body = json::to_string(&json!({ "action": { "type": "launch" },
        "state": { "variables": { "big": "x".repeat(400_000) } } }));
    let turn = within_bound("30,000 variable writes in one turn", || engine.interact_json(&mut session, &body, T0))
        .expect("turn");
    let said: Vec<String> = turn.traces.iter().map(json::to_string).collect();
    assert!(said.iter().any(|t| t.contains("n is 30000")), "{said:?}");
}

#[test]
fn an_agent_text_of_a_mebibyte_of_braces() {
    for text in
        ["{".repeat(1 << 20), format!("{}{}}}", "{".repeat(1 << 19), " ".repeat(1 << 19)), "{a ".repeat(1 << 18)]
    {
        let agent = json!({ "name": "braces", "flows": { "main": text_flow(&text) } });
        let engine = within_bound("loading an agent whose text is a mebibyte of braces", || engine(agent));
        let mut session = engine.new_session("linear");
        let turn = engine.interact_json(&mut session, r#"{"action":{"type":"launch"}}"#, T0).expect("launch");
        let said = json::to_string(&turn.traces[0]);
        assert!(said.contains(&text[..64]), "the braces are shown as written");
    }
}

#[test]
fn an_agent_with_200000_variables_in_any_order() {
    let src = format!(
        r#"{{"name":"many","variables":{},"flows":{{"main":{{"start":"s","steps":{{"s":{{"type":"text","text":"{{k777}}"}}}}}}}}}}"#,
        object_text(200_000, "0")
    );
    let engine = within_bound("loading an agent with 200,000 variables", || Engine::from_json(&src)).expect("agent");
    let session = engine.new_session("linear");
    assert_eq!(session.var("k777"), Some(&Value::from(0u64)));
}

#[test]
fn an_event_template_with_50000_keys() {
    let data = json::parse(&object_text(50_000, "\"{n}\"")).expect("json");
    let engine = engine(json!({ "name": "emit", "variables": { "n": 3 },
        "triggers": [{ "event": "go", "flow": "emit" }, { "event": "got", "flow": "got" }],
        "flows": { "main": text_flow("hi"), "got": text_flow("got #got.k42"),
                   "emit": { "start": "e", "steps": { "e": { "type": "emit", "event": "got", "data": data } } } } }));
    let mut session = launched(&engine);
    let go = Envelope::from_value(json!({ "action": { "type": "event", "payload": { "event": { "name": "go" } } } }))
        .expect("request");
    let turn =
        within_bound("an emit rendering 50,000 keys", || engine.interact(&mut session, &go, T0 + 1)).expect("turn");
    assert!(json::to_string(&turn.traces).contains("got 3"), "{turn:?}");
}
