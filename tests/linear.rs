//! SPEC 9.3: a turn costs time linear in its input and its steps, whatever the agent or the request. Each test
//! feeds an input of the size that once held the engine for seconds or minutes (issue 14) and holds the work to a
//! bound tens of times what a linear pass takes in a debug build, so it cannot flake on a busy machine and still
//! fails on a quadratic pass. How fast each is, is measured by `benches/engine.rs` (docs/PERFORMANCE.md).

use std::time::{Duration, Instant};

use eventflow::engine::Engine;
use eventflow::json;
use eventflow::json::Value;

const T0: u64 = 1_700_000_000_000;

/// Far above what each input takes when handled in linear time (well under a second in a debug build).
const BOUND: Duration = Duration::from_secs(20);

fn within_bound<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    assert!(took < BOUND, "{what} took {took:?}: is a pass over the input repeated for every part of it?");
    out
}

fn engine(agent: Value) -> Engine {
    Engine::from_value(&agent).expect("agent")
}

fn text_flow(text: &str) -> Value {
    json!({ "start": "say", "steps": { "say": { "type": "text", "text": text } } })
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
