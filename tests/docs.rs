//! The examples of docs/agent-format.md are checked: complete agents load, fragments are valid in a minimal
//! agent, requests parse, and the invalid example fails with exactly the errors the page shows.

use eventflow::engine::{Engine, Envelope};
use eventflow::json;
use eventflow::json::Value;

const DOC: &str = include_str!("../docs/agent-format.md");

/// Every fenced block: (info string, body).
fn blocks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            out.push((info.trim().to_string(), body.join("\n")));
        }
    }
    out
}

fn parse(body: &str) -> Value {
    eventflow::json::parse(body).unwrap_or_else(|e| panic!("docs example is not JSON ({e}):\n{body}"))
}

/// A minimal agent around a step, with stub steps for the ids the step points at.
fn agent_with_step(step: Value) -> Result<Engine, String> {
    let mut agent = json!({ "name": "doc", "variables": {}, "intents": [{ "name": "hours", "utterances": ["opening hours"] }],
        "flows": { "main": { "start": "x", "steps": { "x": step, "done": { "type": "text", "text": "ok" }, "hi": { "type": "text", "text": "hi" } } } } });
    for _ in 0..8 {
        match Engine::from_json(&agent.to_string()) {
            Ok(e) => return Ok(e),
            Err(e) => {
                let missing: Vec<String> = e
                    .errors
                    .iter()
                    .filter_map(|e| e.message.strip_prefix("unknown step '")?.split('\'').next().map(str::to_string))
                    .collect();
                if missing.is_empty() {
                    return Err(e.to_string());
                }
                for id in missing {
                    agent["flows"]["main"]["steps"][id] = json!({ "type": "text", "text": "stub" });
                }
            }
        }
    }
    Err("too many missing steps".into())
}

#[test]
fn doc_examples_are_valid() {
    let blocks = blocks();
    let mut checked = 0;
    for (i, (info, body)) in blocks.iter().enumerate() {
        match info.as_str() {
            "json agent" => {
                let engine = Engine::from_json(body).unwrap_or_else(|e| panic!("agent example {i}: {e}"));
                let mut s = engine.new_session("doc");
                let launch = Envelope::from_value(json!({ "action": { "type": "launch" } })).expect("launch");
                let turn = engine.interact(&mut s, &launch, 0).expect("launch runs");
                assert!(!turn.traces.is_empty());
            }
            "json step" => {
                agent_with_step(parse(body)).unwrap_or_else(|e| panic!("step example {i}: {e}\n{body}"));
            }
            "json trigger" => {
                let agent = json!({ "name": "doc", "triggers": [parse(body)],
                    "flows": { "main": { "start": "hi", "steps": { "hi": { "type": "text", "text": "hi" } } } } });
                Engine::from_json(&agent.to_string()).unwrap_or_else(|e| panic!("trigger example {i}: {e}"));
            }
            "json request" => {
                Envelope::from_value(parse(body)).unwrap_or_else(|e| panic!("request example {i}: {e}"));
            }
            "json invalid" => {
                let err = Engine::from_json(body).err().unwrap_or_else(|| panic!("invalid example {i} loads"));
                let (_, expected) = blocks.get(i + 1).expect("an invalid example is followed by its errors");
                let got: Vec<String> = err.errors.iter().map(|e| e.to_string()).collect();
                assert_eq!(got.join("\n"), expected.trim(), "invalid example {i}");
            }
            "json" => {
                parse(body);
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} examples were checked");
}

/// The example of docs/transcript.md is a transcript a saved session restores, entry for entry.
#[test]
fn transcript_doc_example_restores() {
    let doc = include_str!("../docs/transcript.md");
    let start = doc.find("```json\n").expect("a JSON example") + 8;
    let example = parse(&doc[start..start + doc[start..].find("\n```").unwrap()]);
    let engine = Engine::from_json(include_str!("../examples/agents/shop.json")).unwrap();
    let mut session = parse(&engine.new_session("u0a1b2c3d").to_json());
    session["transcript"] = example.clone();
    let restored = engine.restore(&session.to_string()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored.transcript.entries.len(), 5);
    assert_eq!(parse(&restored.to_json())["transcript"], example, "written back exactly as documented");
}
