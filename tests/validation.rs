//! SPEC §2.1: a bad agent file is refused with every error named by its path, and nothing runs.
//! Data-driven: each row is an agent (a small valid base with one part changed) and the errors it must give.

use eventflow::engine::Engine;
use eventflow::json;
use eventflow::json::Value;

/// A small valid agent.
fn base() -> Value {
    json!({
        "name": "base",
        "flows": { "main": { "start": "hi", "steps": {
            "hi": { "type": "text", "text": "Hi", "next": "ask" },
            "ask": { "type": "choice", "buttons": [{ "label": "Go", "next": "hi" }] }
        } } }
    })
}

fn with(path: &[&str], value: Value) -> Value {
    let mut agent = base();
    let mut cur = &mut agent;
    for key in &path[..path.len() - 1] {
        cur = cur.as_object_mut().expect("object").entry(key.to_string()).or_insert(json!({}));
    }
    cur[path[path.len() - 1]] = value;
    agent
}

fn errors(agent: &Value) -> Vec<String> {
    match Engine::from_json(&agent.to_string()) {
        Ok(_) => vec![],
        Err(e) => e.errors.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn the_base_agent_is_valid() {
    assert_eq!(errors(&base()), Vec::<String>::new());
}

#[test]
fn every_error_names_its_path() {
    let step = |s: Value| with(&["flows", "main", "steps", "x"], s);
    let rows: Vec<(&str, Value, &[&str])> = vec![
        (
            "dangling next",
            with(&["flows", "main", "steps", "hi", "next"], json!("confirm")),
            &["flows.main.steps.hi.next: unknown step 'confirm'"],
        ),
        (
            "dangling button",
            with(&["flows", "main", "steps", "ask", "buttons"], json!([{ "label": "Go", "next": "nope" }])),
            &["flows.main.steps.ask.buttons[0].next: unknown step 'nope'"],
        ),
        ("unknown start flow", with(&["start"], json!("shop")), &["start: unknown flow 'shop'"]),
        (
            "unknown flow start step",
            with(&["flows", "main", "start"], json!("zzz")),
            &["flows.main.start: unknown step 'zzz'"],
        ),
        ("bad agent name", with(&["name"], json!("my agent")), &["name: 'my agent' contains ' '"]),
        (
            "bad trigger event",
            with(&["triggers"], json!([{ "event": "a b", "flow": "main" }])),
            &["triggers[0].event: 'a b' contains ' '"],
        ),
        (
            "bad wildcard",
            with(&["triggers"], json!([{ "event": "user*", "flow": "main" }])),
            &["triggers[0].event: 'user*' contains '*'"],
        ),
        (
            "trigger to unknown flow",
            with(&["triggers"], json!([{ "event": "go", "flow": "nowhere" }])),
            &["triggers[0].flow: unknown flow 'nowhere'"],
        ),
        (
            "trigger to unknown step",
            with(&["triggers"], json!([{ "event": "go", "flow": "main", "step": "nope" }])),
            &["triggers[0].step: unknown step 'nope' in flow 'main'"],
        ),
        (
            "trigger with two kinds",
            with(&["triggers"], json!([{ "event": "go", "intent": "x", "flow": "main" }])),
            &["triggers[0]: a trigger needs exactly one of 'event', 'intent' or 'start'"],
        ),
        (
            "trigger to unknown intent",
            with(&["triggers"], json!([{ "intent": "buy", "flow": "main" }])),
            &["triggers[0].intent: unknown intent 'buy'"],
        ),
        (
            "mapping to a bad variable",
            with(&["triggers"], json!([{ "event": "go", "flow": "main", "mappings": { "a": "1x" } }])),
            &["triggers[0].mappings.a: '1x' is not a variable name"],
        ),
        (
            "system event declared",
            with(&["events"], json!([{ "name": "noMatch" }])),
            &["events[0].name: 'noMatch' is a system event"],
        ),
        (
            "duplicate event",
            with(&["events"], json!([{ "name": "go" }, { "name": "GO" }])),
            &["events[1].name: 'GO' is already declared at events[0]"],
        ),
        (
            "bad event data type",
            with(&["events"], json!([{ "name": "go", "data": { "n": "integer" } }])),
            &["events[0].data.n: unknown data type 'integer' (expected string, number, boolean, object, array or any)"],
        ),
        (
            "undeclared slot",
            with(&["intents"], json!([{ "name": "buy", "utterances": ["buy {colour}"] }])),
            &["intents: intent 'buy': utterances[0] uses undeclared slot {colour}"],
        ),
        (
            "bad slot type",
            with(&["intents"], json!([{ "name": "buy", "slots": { "s": "@colour" } }])),
            &["intents[0].slots.s:"],
        ),
        ("bad variable name", with(&["variables"], json!({ "my var": 1 })), &["variables.my var: a variable name"]),
        (
            "misspelt key",
            with(&["flows", "main", "steps", "hi", "nxt"], json!("ask")),
            &["flows.main.steps.hi.nxt: unknown key 'nxt' (expected one of: type, text, next, delay)"],
        ),
        (
            "unknown step type",
            step(json!({ "type": "speak", "text": "x" })),
            &["flows.main.steps.x.type: unknown step type 'speak'"],
        ),
        (
            "key in the wrong place",
            with(&["flows", "main", "next"], json!("x")),
            &["flows.main.next: unknown key 'next' (expected one of: start, description, triggers, steps)"],
        ),
        (
            "bad expression",
            step(json!({ "type": "condition", "branches": [{ "if": "a >", "next": "hi" }] })),
            &["flows.main.steps.x.branches[0].if: bad expression 'a >': expected an expression but found end of input"],
        ),
        (
            "goto unknown flow",
            step(json!({ "type": "goto", "flow": "elsewhere" })),
            &["flows.main.steps.x.flow: unknown flow 'elsewhere'"],
        ),
        (
            "goto nothing",
            step(json!({ "type": "goto" })),
            &["flows.main.steps.x: a goto needs a 'flow', a 'step' or both"],
        ),
        (
            "call unknown step",
            step(json!({ "type": "call", "flow": "main", "step": "zz" })),
            &["flows.main.steps.x.step: unknown step 'zz' in flow 'main'"],
        ),
        (
            "emit system event",
            step(json!({ "type": "emit", "event": "chainLimit" })),
            &["flows.main.steps.x.event: 'chainLimit' is a system event"],
        ),
        (
            "emit after and at",
            step(json!({ "type": "emit", "event": "go", "after": 1, "at": 2 })),
            &["flows.main.steps.x: an emit takes 'after' or 'at', not both"],
        ),
        (
            "webhook ftp",
            step(json!({ "type": "webhook", "url": "ftp://x" })),
            &["flows.main.steps.x.url: a webhook url starts with https:// or http://"],
        ),
        (
            "webhook method",
            step(json!({ "type": "webhook", "url": "https://x", "method": "FETCH" })),
            &["flows.main.steps.x.method: 'FETCH' is not GET, POST, PUT, PATCH or DELETE"],
        ),
        (
            "capture unknown slot",
            step(json!({ "type": "capture", "variable": "v", "slot": "buy.size" })),
            &["flows.main.steps.x.slot: unknown slot 'buy.size'"],
        ),
        (
            "empty choice",
            step(json!({ "type": "choice", "buttons": [] })),
            &["flows.main.steps.x.buttons: a choice needs at least one button"],
        ),
        (
            "button without target",
            step(json!({ "type": "choice", "buttons": [{ "label": "A" }] })),
            &["flows.main.steps.x.buttons[0]: a button needs 'next', 'event', 'intent' or 'url'"],
        ),
        (
            "javascript link",
            step(json!({ "type": "choice", "buttons": [{ "label": "A", "url": "javascript:alert(1)" }] })),
            &["flows.main.steps.x.buttons[0].url: a link must be http, https or mailto"],
        ),
        (
            "custom default path",
            step(json!({ "type": "custom", "name": "pin", "paths": { "ok": "hi" }, "defaultPath": "no" })),
            &["flows.main.steps.x.defaultPath: 'no' is not one of the paths"],
        ),
        (
            "bad setting",
            with(&["settings", "maxChainDepth"], json!(0)),
            &["settings.maxChainDepth: must be from 1 to 64"],
        ),
        (
            "wrong type",
            with(&["settings", "maxInputLength"], json!("many")),
            &["settings.maxInputLength: expected a whole number of 0 or more, found a string"],
        ),
        (
            "null delay",
            step(json!({ "type": "delay", "ms": null })),
            &["flows.main.steps.x.ms: expected a whole number of 0 or more, found null"],
        ),
        (
            "null no-reply timeout",
            step(json!({ "type": "capture", "variable": "v", "noReply": { "timeout": null } })),
            &["flows.main.steps.x.noReply.timeout: expected a whole number of 0 or more, found null"],
        ),
        (
            "stack depth",
            with(&["settings", "maxStackDepth"], json!(0)),
            &["settings.maxStackDepth: must be from 1 to 1000"],
        ),
        (
            "an intent listening for a system event",
            with(&["intents"], json!([{ "name": "help", "utterances": ["help"], "events": ["x", "NOMATCH"] }])),
            &["intents[0].events[1]: 'noMatch' is a system event; it reaches exact triggers only, never an intent"],
        ),
        (
            "two intents listening for one event",
            with(
                &["intents"],
                json!([{ "name": "a", "utterances": ["aa"], "events": ["go"] },
                       { "name": "b", "utterances": ["bb"], "events": ["Go"] }]),
            ),
            &["intents[1].events[0]: 'Go' already triggers intent 'a' (intents[0].events[0]); this one never would"],
        ),
        (
            "duplicate event triggers",
            with(&["triggers"], json!([{ "event": "x", "flow": "main" }, { "event": "X", "flow": "main", "step": "ask" }])),
            &["triggers[1].event: 'X' is already handled by triggers[0]; this trigger would never fire"],
        ),
        (
            "two catch-alls",
            with(&["triggers"], json!([{ "event": "*", "flow": "main" }, { "event": "*", "flow": "main" }])),
            &["triggers[1].event: '*' is already handled by triggers[0]; this trigger would never fire"],
        ),
        (
            "duplicate local triggers",
            with(
                &["flows", "main", "triggers"],
                json!([{ "event": "user:*", "step": "hi" }, { "event": "User:*", "step": "ask" }]),
            ),
            &["flows.main.triggers[1].event: 'User:*' is already handled by flows.main.triggers[0]; this trigger would never fire"],
        ),
        (
            "two start triggers",
            with(&["triggers"], json!([{ "start": true, "flow": "main" }, { "start": true, "flow": "main" }])),
            &["triggers[1].start: a start trigger is already at triggers[0]; this trigger would never fire"],
        ),
        (
            "a set of a built-in variable",
            step(json!({ "type": "set", "set": { "last_response": "x" } })),
            &["flows.main.steps.x.set.last_response: 'last_response' is a built-in variable; only the engine writes it"],
        ),
        (
            "a mapping to a built-in variable",
            with(&["triggers"], json!([{ "event": "x", "flow": "main", "mappings": { "a": "user_id" } }])),
            &["triggers[0].mappings.a: 'user_id' is a built-in variable; only the engine writes it"],
        ),
        (
            "a link template with another scheme",
            step(json!({ "type": "choice", "buttons": [{ "label": "A", "url": "ftp://{host}/x" }] })),
            &["flows.main.steps.x.buttons[0].url: a link must be http, https or mailto"],
        ),
        ("no flows", json!({ "name": "x" }), &["missing key 'flows'"]),
        ("not an object", json!([1, 2]), &["an agent file is one JSON object"]),
    ];
    let mut failures = Vec::new();
    for (name, agent, expected) in rows {
        let got = errors(&agent);
        for want in expected {
            if !got.iter().any(|g| g.starts_with(want)) {
                failures.push(format!(
                    "{name}: expected an error starting with\n    {want}\n  got\n    {}",
                    got.join("\n    ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_meaning_errors_are_reported_at_once() {
    let mut agent = with(&["flows", "main", "steps", "hi", "next"], json!("a"));
    agent["flows"]["main"]["steps"]["ask"]["buttons"] = json!([{ "label": "Go", "next": "b" }]);
    agent["start"] = json!("c");
    let got = errors(&agent);
    assert_eq!(got.len(), 3, "{got:?}");
}

#[test]
fn every_shape_error_is_reported_at_once() {
    let agent = json!({ "name": 7, "settings": { "maxChainDepth": "x", "colour": 1 },
        "flows": { "main": { "start": "a", "steps": {
            "a": { "type": "text", "txt": "x" },
            "b": { "type": "choice" },
            "c": { "type": "emit", "event": ["x"] } } } } });
    let got = errors(&agent);
    let expected = [
        "name: expected a string, found a number",
        "settings.colour: unknown key 'colour'",
        "settings.maxChainDepth: expected a whole number of 0 or more, found a string",
        "flows.main.steps.a.txt: unknown key 'txt'",
        "flows.main.steps.a: missing key 'text'",
        "flows.main.steps.b: missing key 'buttons'",
        "flows.main.steps.c.event: expected a string, found a list",
    ];
    for want in expected {
        assert!(got.iter().any(|g| g.starts_with(want)), "missing {want:?} in {got:#?}");
    }
    assert_eq!(got.len(), expected.len(), "{got:#?}");
}

#[test]
fn malformed_json_is_a_clear_error() {
    for src in ["", "{", "{\"name\": }", "null", "\u{0}"] {
        let err = Engine::from_json(src).expect_err(src);
        assert!(!err.errors.is_empty() && !err.to_string().is_empty(), "{src:?}");
    }
}

#[test]
fn example_agents_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("examples/agents") {
        let path = entry.expect("entry").path();
        let src = std::fs::read_to_string(&path).expect("read");
        if let Err(e) = Engine::from_json(&src) {
            panic!("{}: {e}", path.display());
        }
        n += 1;
    }
    assert!(n >= 3, "expected at least 3 example agents, found {n}");
}
