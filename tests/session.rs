//! SPEC §4.8 (versioned, round-tripping state) and §5 (the typed transcript).

use eventflow::engine::{Body, Engine, Envelope, Recipients, Session, StateError, Status};
use eventflow::json;
use eventflow::json::Value;

const SHOP: &str = include_str!("../examples/agents/shop.json");
const T0: u64 = 1_700_000_000_000;

fn send(engine: &Engine, s: &mut Session, body: Value, now: u64) {
    let env = Envelope::from_value(body).expect("valid request");
    engine.interact(s, &env, now).expect("turn runs");
}

fn event(name: &str, data: Value) -> Value {
    json!({ "action": { "type": "event", "payload": { "event": { "name": name, "data": data } } } })
}

fn conversation() -> (Engine, Session) {
    let engine = Engine::from_json(SHOP).expect("shop agent");
    let mut s = engine.new_session("visitor-7");
    send(&engine, &mut s, json!({ "action": { "type": "launch" } }), T0);
    send(&engine, &mut s, event("checkout", json!({ "total": 30, "items": 1 })), T0 + 1000);
    send(
        &engine,
        &mut s,
        json!({ "action": { "type": "text", "payload": "ann@example.com", "custom_id": "m-1" } }),
        T0 + 2000,
    );
    let file = json!({ "name": "cat.png", "content_type": "image/png", "size": 1234, "width": 64, "height": 48 });
    send(&engine, &mut s, json!({ "action": { "type": "file", "payload": file } }), T0 + 3000);
    send(
        &engine,
        &mut s,
        json!({ "action": { "type": "path-main.menu.4", "payload": { "label": "Size guide" } } }),
        T0 + 4000,
    );
    (engine, s)
}

#[test]
fn transcript_has_typed_entries_with_common_fields() {
    let (_, s) = conversation();
    let entries = &s.transcript.entries;
    // Orders are 1, 2, 3, ... and ids follow them.
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.order, i as u64 + 1);
        assert_eq!(e.id, format!("e{}", e.order));
    }
    let kinds: Vec<String> = entries
        .iter()
        .map(|e| match &e.body {
            Body::Message { text } => format!("{}: {text}", e.author_id),
            Body::SystemMessage { system_message_type, .. } => format!("system: {system_message_type}"),
            Body::File(f) => format!("{}: file {} {}x{:?}", e.author_id, f.name, f.width.unwrap_or(0), f.height),
            Body::Custom { content } => format!("{} custom {}", e.author_id, content["type"].as_str().unwrap_or("?")),
            Body::Annotation { text, .. } => format!("annotation {text}"),
        })
        .collect();
    let expected = [
        "system: session_started",
        "agent: Hi! I'm the shop assistant. 👋",
        "agent: How can I help?",
        "agent custom choice",
        "visitor-7 custom event",
        "agent: Ready to check out: 1 item(s), **$30** in total.",
        "agent: Shipping is $5 (free from $100).",
        "agent: Which email should the receipt go to?",
        "visitor-7: ann@example.com",
        "agent: Order placed: **$30**. The receipt goes to ann@example.com.",
        "agent: How can I help?",
        "agent custom choice",
        "visitor-7: file cat.png 64xSome(48)",
        "agent: Thanks, I received “cat.png”.",
        "visitor-7: Size guide",
        "agent: Our shirts run **true to size**: S, M, L and XL.",
        "agent: How can I help?",
        "agent custom choice",
    ];
    assert_eq!(kinds, expected);
    // The page event is for agents only; what the user saw goes to all.
    let event_entry = &entries[4];
    assert_eq!(event_entry.recipients, Recipients::Agents);
    assert_eq!(entries[8].recipients, Recipients::All);
    assert_eq!(entries[8].custom_id.as_deref(), Some("m-1"));
    assert_eq!(entries[8].timestamp, T0 + 2000);
    // The wire form of an entry, as SPEC §5 names the fields.
    let wire = eventflow::json::to_value(&entries[8]);
    assert_eq!(
        wire,
        json!({ "id": "e9", "custom_id": "m-1", "order": 9, "author_id": "visitor-7", "timestamp": T0 + 2000,
                "recipients": "all", "type": "message", "text": "ann@example.com" })
    );
}

#[test]
fn transcript_records_the_end() {
    let engine = Engine::from_json(include_str!("agents/plain.json")).expect("plain agent");
    let mut s = engine.new_session("u");
    send(&engine, &mut s, json!({ "action": { "type": "launch" } }), T0);
    send(&engine, &mut s, json!({ "action": { "type": "text", "payload": "no" } }), T0);
    let last = s.transcript.entries.last().expect("entries");
    assert!(
        matches!(&last.body, Body::SystemMessage { system_message_type, .. } if system_message_type == "session_ended")
    );
    assert_eq!(s.status, Status::Ended);
}

#[test]
fn state_round_trips_exactly_after_every_turn() {
    let engine = Engine::from_json(SHOP).expect("shop agent");
    let mut s = engine.new_session("u-1");
    let requests = [
        json!({ "action": { "type": "launch" } }),
        event("newsletter_signup", json!({ "email": "x@y.z" })),
        event("checkout", json!({ "total": 150.5, "items": 3 })),
        json!({ "action": { "type": "text", "payload": "🙂 ünïcødé \"quoted\" \\ back" } }),
        json!({ "action": { "type": "text", "payload": "me@example.com" } }),
        event("user:location:change", json!({ "city": "Zürich", "nested": { "a": [1, 2.5, null, true] } })),
    ];
    for (i, r) in requests.into_iter().enumerate() {
        send(&engine, &mut s, r, T0 + i as u64);
        let saved = s.to_json();
        let restored = engine.restore(&saved).expect("restore");
        assert_eq!(restored, s, "turn {i}");
        assert_eq!(restored.to_json(), saved, "turn {i}: the JSON is byte-identical");
    }
}

#[test]
fn a_restored_session_continues_the_same_conversation() {
    let (engine, s) = conversation();
    let mut a = s.clone();
    let mut b = engine.restore(&s.to_json()).expect("restore");
    let body = Envelope::from_value(event("button_clicked", Value::Null)).expect("request");
    let ta = engine.interact(&mut a, &body, T0 + 9000).expect("turn");
    let tb = engine.interact(&mut b, &body, T0 + 9000).expect("turn");
    assert_eq!(ta, tb);
    assert_eq!(a, b);
}

#[test]
fn timers_survive_a_save_and_fire_once() {
    let engine = Engine::from_json(include_str!("agents/rules.json")).expect("rules agent");
    let mut s = engine.new_session("u");
    send(&engine, &mut s, json!({ "action": { "type": "launch" } }), T0);
    send(&engine, &mut s, event("remind", Value::Null), T0);
    assert_eq!(s.next_wake(), Some(T0 + 60_000));
    let mut restored = engine.restore(&s.to_json()).expect("restore");
    let config = Default::default();
    let fired = engine.advance(&mut restored, T0 + 60_000, &config);
    assert!(fired.traces.iter().any(|t| t.to_json().contains("Reminder")));
    assert!(engine.advance(&mut restored, T0 + 120_000, &config).traces.is_empty(), "fires once");
    assert_eq!(restored.next_wake(), None);
}

#[test]
fn bad_saved_state_is_a_clear_error() {
    let engine = Engine::from_json(SHOP).expect("shop agent");
    assert!(matches!(engine.restore("not json"), Err(StateError::Invalid(_))));
    assert!(matches!(engine.restore("{}"), Err(StateError::Invalid(_))));
    let mut v: Value = eventflow::json::parse(&engine.new_session("u").to_json()).unwrap();
    v["version"] = json!(99);
    let err = engine.restore(&v.to_string()).expect_err("future version");
    assert_eq!(err.code(), "state_version");
    assert!(err.to_string().contains("version 99"));
    v["version"] = json!(1);
    v["agent"] = json!("pizza");
    assert_eq!(engine.restore(&v.to_string()).expect_err("other agent").code(), "state_agent");
    v["agent"] = json!("shop");
    v["stack"] = json!("nope");
    assert_eq!(engine.restore(&v.to_string()).expect_err("bad stack").code(), "invalid_state");
}

#[test]
fn a_stack_the_agent_no_longer_has_is_dropped_but_the_transcript_kept() {
    let (engine, s) = conversation();
    let mut v: Value = eventflow::json::parse(&s.to_json()).unwrap();
    v["stack"] = json!([{ "flow": "gone", "step": "away", "state": "listening" }]);
    let restored = engine.restore(&v.to_string()).expect("restore");
    assert!(restored.stack.is_empty());
    assert_eq!(restored.transcript, s.transcript);
    assert_eq!(restored.variables, s.variables);
}

#[test]
fn a_refused_request_leaves_the_session_untouched() {
    let (engine, s) = conversation();
    let mut t = s.clone();
    for bad in [
        event("noMatch", Value::Null),
        event("bad name", Value::Null),
        event("checkout", json!({ "total": "x" })),
        event("big", json!({ "blob": "x".repeat(70_000) })),
        json!({ "action": { "type": "file", "payload": { "name": "x" } } }),
    ] {
        let result = Envelope::from_value(bad).and_then(|env| engine.interact(&mut t, &env, T0 + 99));
        assert!(result.is_err());
        assert_eq!(t, s);
    }
}

/// The most deeply nested value of `depth` levels: `{"d": {"d": ... "leaf"}}`.
fn nested(depth: usize) -> Value {
    let mut v = json!("leaf");
    for _ in 0..depth {
        v = json!({ "d": v });
    }
    v
}

/// Save and restore after a turn: the same session, the same JSON.
fn round_trip(engine: &Engine, s: &Session, what: &str) {
    let saved = s.to_json();
    let restored = engine.restore(&saved).unwrap_or_else(|e| panic!("{what}: the saved session does not restore: {e}"));
    assert_eq!(restored.to_json(), saved, "{what}");
}

#[test]
fn whatever_a_turn_accepted_is_saved_and_restored() {
    let engine = Engine::from_json(include_str!("agents/deep.json")).expect("deep agent");
    let mut s = engine.new_session("u");
    send(&engine, &mut s, json!({ "action": { "type": "launch" } }), T0);
    // The deepest data each part of a request takes: event data (in last_event and the transcript), state
    // variables, and an action of another type.
    send(&engine, &mut s, event("keep", json!({ "x": nested(122) })), T0 + 1);
    round_trip(&engine, &s, "event data 123 levels deep");
    let vars = json!({ "action": { "type": "launch" }, "state": { "variables": { "v": nested(124) } } });
    send(&engine, &mut s, vars, T0 + 2);
    round_trip(&engine, &s, "a state variable 124 levels deep");
    send(&engine, &mut s, json!({ "action": { "type": "path-x", "payload": nested(125) } }), T0 + 3);
    round_trip(&engine, &s, "an action 126 levels deep");
    // The deepest a variable gets: a webhook answer's value, one level inside the answer.
    webhook(&engine, &mut s, json!({ "a": nested(126) }), T0 + 4);
    assert_eq!(s.var("v"), Some(&nested(126)));
    // What the agent builds from it: a custom trace, a carousel and a choice whose buttons carry it (kept in the
    // transcript), a scheduled event (kept in a timer, then in last_event and the transcript when it fires).
    for (i, name) in ["show", "later"].into_iter().enumerate() {
        send(&engine, &mut s, event(name, Value::Null), T0 + 10 + i as u64);
        round_trip(&engine, &s, name);
        send(&engine, &mut s, json!({ "action": { "type": "ok" } }), T0 + 20 + i as u64);
        round_trip(&engine, &s, name);
    }
    engine.advance(&mut s, T0 + 5000, &Default::default());
    round_trip(&engine, &s, "a scheduled event with deep data");
    // An agent wrapping its own variable in a loop: it nests deeper each time until a write would make it deeper
    // than any JSON the engine reads; that write is refused (the old value kept) and the session stays readable.
    let mut s = engine.new_session("u");
    send(&engine, &mut s, json!({ "action": { "type": "launch" } }), T0 + 30);
    send(&engine, &mut s, event("wrap", Value::Null), T0 + 31);
    round_trip(&engine, &s, "a variable wrapped in itself 150 times");
    assert_eq!(s.var("i"), Some(&json!(150)));
    let depth = |mut v: &Value| {
        let mut d = 0;
        while let Some(inner) = v.get("w").and_then(|w| w.get(0)) {
            v = inner;
            d += 2;
        }
        d
    };
    assert!(depth(s.var("v").expect("v")) >= 120, "the wrapping went on while it fit");
}

#[test]
fn a_webhook_answer_as_deep_as_json_goes_is_restored() {
    let engine = Engine::from_json(include_str!("agents/deep.json")).expect("deep agent");
    let mut s = engine.new_session("u");
    send(&engine, &mut s, json!({ "action": { "type": "launch" } }), T0);
    let answer = json!({ "a": nested(126), "variables": { "w": nested(125) },
                         "followupEvent": { "name": "seen", "data": { "x": nested(123) } } });
    webhook(&engine, &mut s, answer.clone(), T0 + 1);
    assert_eq!(s.var("got"), Some(&answer["a"]));
    assert_eq!(s.var("w"), Some(&answer["variables"]["w"]));
    round_trip(&engine, &s, "a webhook answer 127 levels deep");
}

/// Send the `hook` event and answer its webhook call with `answer`.
fn webhook(engine: &Engine, s: &mut Session, answer: Value, now: u64) {
    let env = Envelope::from_value(event("hook", Value::Null)).expect("request");
    let turn = engine.interact(s, &env, now).expect("turn");
    let id = turn
        .effects
        .iter()
        .find_map(|e| match e {
            eventflow::engine::Effect::Webhook(w) => Some(w.id),
            _ => None,
        })
        .expect("webhook");
    let outcome = eventflow::engine::WebhookOutcome::Response { status: 200, body: answer.to_string() };
    engine.webhook_result(s, id, outcome, now, &Default::default());
}

#[test]
fn properties_of_an_action_are_kept_on_its_entry_and_restored() {
    let (engine, mut s) = conversation();
    let props = json!({ "source": "checkout-page", "campaign": { "id": 7 } });
    let action = json!({ "type": "event", "payload": { "event": { "name": "checkout", "data": { "total": 5, "items": 1 } } }, "properties": props });
    send(&engine, &mut s, json!({ "action": action }), T0 + 5000);
    let entry = s.transcript.entries.iter().rev().find(|e| matches!(e.body, Body::Custom { .. })).unwrap();
    assert_eq!(Value::Object(entry.properties.clone()), props);
    assert!(s.to_json().contains(r#""properties":{"source":"checkout-page","campaign":{"id":7}}"#));
    assert_eq!(engine.restore(&s.to_json()).unwrap().transcript, s.transcript);
    // Text with properties too; and properties must be an object.
    send(
        &engine,
        &mut s,
        json!({ "action": { "type": "text", "payload": "hi", "properties": { "lang": "en" } } }),
        T0 + 6000,
    );
    let last_user = s.transcript.entries.iter().rev().find(|e| e.author_id == "visitor-7").unwrap();
    assert_eq!(last_user.properties.get("lang").and_then(Value::as_str), Some("en"));
    let bad = Envelope::from_value(json!({ "action": { "type": "text", "payload": "x", "properties": [1] } }));
    assert_eq!(bad.unwrap_err().message, "properties must be an object");
}

#[test]
fn an_annotation_goes_on_the_latest_thread_and_is_restored() {
    let engine = Engine::from_json(SHOP).expect("shop agent");
    let mut s = engine.new_session("visitor-7");
    // No conversation yet: an annotation cannot start one.
    let refused = engine.annotate(&mut s, "rating", "Thumbs up", json::Map::new(), T0);
    assert_eq!(refused.unwrap_err().code, "no_thread");
    assert!(s.transcript.entries.is_empty());
    send(&engine, &mut s, json!({ "action": { "type": "launch" } }), T0);
    let turns = s.turns;
    let mut props = json::Map::new();
    props.insert("rating".into(), json!("up"));
    props.insert("message_id".into(), json!("e2"));
    engine.annotate(&mut s, "rating", "Thumbs up", props, T0 + 10).unwrap();
    let last = s.transcript.entries.last().unwrap();
    assert_eq!(last.author_id, "visitor-7");
    assert_eq!(last.timestamp, T0 + 10);
    assert!(
        matches!(&last.body, Body::Annotation { text, annotation_type } if text == "Thumbs up" && annotation_type == "rating")
    );
    assert_eq!(s.turns, turns, "no turn ran");
    let text = s.to_json();
    assert!(text.contains(r#""type":"annotation","text":"Thumbs up","annotation_type":"rating""#), "{text}");
    assert_eq!(engine.restore(&text).unwrap().transcript, s.transcript);
    let empty = engine.annotate(&mut s, "", "x", json::Map::new(), T0);
    assert_eq!(empty.unwrap_err().code, "invalid_request");
}
