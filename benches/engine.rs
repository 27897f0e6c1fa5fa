//! Engine benchmarks (criterion): `cargo bench --bench engine` or `./build.sh bench`.
//! Figures and the machine they were measured on are in docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use eventflow::engine::{Engine, Envelope, Session};
use eventflow::json;
use eventflow::json::{Map, Value};

#[path = "../tests/support/inputs.rs"]
mod inputs;
use inputs::object_text;

const T0: u64 = 1_700_000_000_000;

fn event(name: &str) -> Envelope {
    Envelope::from_value(json!({ "action": { "type": "event", "payload": { "event": { "name": name } } } }))
        .expect("request")
}

fn launched(engine: &Engine) -> Session {
    let mut s = engine.new_session("bench");
    let launch = Envelope::from_value(json!({ "action": { "type": "launch" } })).expect("launch");
    engine.interact(&mut s, &launch, T0).expect("launch");
    s
}

fn text_flow(text: &str) -> Value {
    json!({ "start": "say", "steps": { "say": { "type": "text", "text": text } } })
}

/// (a) one event dispatched to a flow of one text step.
fn one_event(c: &mut Criterion) {
    let agent = json!({ "name": "one", "triggers": [{ "event": "ping", "flow": "pong" }],
                        "flows": { "main": text_flow("hi"), "pong": text_flow("pong") } });
    let engine = Engine::from_json(&agent.to_string()).expect("agent");
    let session = launched(&engine);
    let req = event("ping");
    c.bench_function("a_one_event_to_one_text_flow", |b| {
        b.iter_batched_ref(
            || session.clone(),
            |s| engine.interact(s, &req, T0 + 1).expect("turn"),
            BatchSize::SmallInput,
        )
    });
}

/// (b) lookup among 1,000 events, 50 namespace wildcards and a catch-all.
fn lookup(c: &mut Criterion) {
    let mut triggers: Vec<Value> = (0..1000).map(|i| json!({ "event": format!("event_{i}"), "flow": "hit" })).collect();
    triggers.extend((0..50).map(|i| json!({ "event": format!("ns{i}:*"), "flow": "hit" })));
    triggers.extend((0..50).map(|i| json!({ "event": format!("ns{i}:deep:*"), "flow": "hit" })));
    triggers.push(json!({ "event": "*", "flow": "hit" }));
    let agent =
        json!({ "name": "many", "triggers": triggers, "flows": { "main": text_flow("hi"), "hit": text_flow("hit") } });
    let engine = Engine::from_json(&agent.to_string()).expect("agent");
    let session = launched(&engine);
    for (label, name) in [("exact", "event_777"), ("namespace", "ns42:deep:er:leaf"), ("catch_all", "unknown:thing")] {
        let req = event(name);
        c.bench_function(&format!("b_lookup_1000_events_{label}"), |b| {
            b.iter_batched_ref(
                || session.clone(),
                |s| engine.interact(s, &req, T0 + 1).expect("turn"),
                BatchSize::SmallInput,
            )
        });
    }
}

/// (c) an event whose flow emits a follow-up, eight deep.
fn chain(c: &mut Criterion) {
    let mut flows = Map::new();
    let mut triggers = Vec::new();
    for i in 0..=8 {
        let mut steps = json!({ "say": { "type": "text", "text": format!("step {i}") } });
        if i < 8 {
            steps["say"]["next"] = json!("emit");
            steps["emit"] = json!({ "type": "emit", "event": format!("e{}", i + 1) });
        }
        flows.insert(format!("f{i}"), json!({ "start": "say", "steps": steps }));
        triggers.push(json!({ "event": format!("e{i}"), "flow": format!("f{i}"), "mode": "push" }));
    }
    flows.insert("main".into(), text_flow("hi"));
    let agent = json!({ "name": "chain", "settings": { "maxChainDepth": 8 }, "triggers": triggers, "flows": flows });
    let engine = Engine::from_json(&agent.to_string()).expect("agent");
    let session = launched(&engine);
    let req = event("e0");
    let mut probe = session.clone();
    let turn = engine.interact(&mut probe, &req, T0 + 1).expect("turn");
    assert_eq!(turn.traces.iter().filter(|t| t.type_name() == "text").count(), 9, "the whole chain runs");
    c.bench_function("c_follow_up_chain_8_deep", |b| {
        b.iter_batched_ref(
            || session.clone(),
            |s| engine.interact(s, &req, T0 + 1).expect("turn"),
            BatchSize::SmallInput,
        )
    });
}

/// (d) typed text matched among 200 intents of 10 utterances each.
fn intents(c: &mut Criterion) {
    let words = [
        "order", "pizza", "track", "parcel", "refund", "invoice", "address", "password", "account", "delivery",
        "cancel", "change", "update", "open", "close", "price", "size", "colour", "return", "store",
    ];
    let intents: Vec<Value> = (0..200)
        .map(|i| {
            let utterances: Vec<String> = (0..10)
                .map(|j| {
                    format!(
                        "please {} my {} {} now {}",
                        words[(i + j) % 20],
                        words[(i * 7 + j) % 20],
                        words[(i * 3 + 2 * j) % 20],
                        i
                    )
                })
                .collect();
            json!({ "name": format!("intent_{i}"), "utterances": utterances })
        })
        .collect();
    let triggers: Vec<Value> = (0..200).map(|i| json!({ "intent": format!("intent_{i}"), "flow": "hit" })).collect();
    let agent = json!({ "name": "nlu", "intents": intents, "triggers": triggers, "flows": { "main": text_flow("hi"), "hit": text_flow("hit") } });
    let engine = Engine::from_json(&agent.to_string()).expect("agent");
    let text = "could you please track my close address now 42";
    let matcher = &engine.program().matcher;
    assert!(matcher.classify(text).is_some(), "the bench text matches an intent");
    c.bench_function("d_classify_200_intents_x_10_utterances", |b| {
        b.iter(|| matcher.classify(std::hint::black_box(text)))
    });
    let session = launched(&engine);
    let req = Envelope::from_value(json!({ "action": { "type": "text", "payload": text } })).expect("request");
    c.bench_function("d_text_turn_200_intents_x_10_utterances", |b| {
        b.iter_batched_ref(
            || session.clone(),
            |s| engine.interact(s, &req, T0 + 1).expect("turn"),
            BatchSize::SmallInput,
        )
    });
}

/// (e) save and restore the session of a 20-turn shop conversation.
fn state(c: &mut Criterion) {
    let engine = Engine::from_json(include_str!("../examples/agents/shop.json")).expect("shop");
    let mut s = launched(&engine);
    let requests = [
        json!({ "action": { "type": "event", "payload": { "event": { "name": "checkout", "data": { "total": 120, "items": 2 } } } } }),
        json!({ "action": { "type": "text", "payload": "ann@example.com" } }),
        json!({ "action": { "type": "event", "payload": { "event": { "name": "newsletter_signup", "data": { "email": "a@b.co" } } } } }),
        json!({ "action": { "type": "text", "payload": "opening hours" } }),
    ];
    for i in 0..20 {
        let env = Envelope::from_value(requests[i % requests.len()].clone()).expect("request");
        engine.interact(&mut s, &env, T0 + i as u64).expect("turn");
    }
    let saved = s.to_json();
    c.bench_function("e_state_save_and_restore_20_turns", |b| {
        b.iter(|| {
            let json = std::hint::black_box(&s).to_json();
            engine.restore(&json).expect("restore")
        })
    });
    eprintln!("(e) saved state of 20 turns: {} bytes of JSON", saved.len());
}

/// (f) issue 14, item 4: a turn that writes many variables. A launch whose request sets n state variables (each
/// write checked against the session data limits), and a turn of n `set` writes of a counter beside a 400 KB
/// variable.
fn variables(c: &mut Criterion) {
    let limits =
        json!({ "sessionDataSoftLimit": 2_000_000, "sessionDataHardLimit": 4_000_000, "maxStepsPerTurn": 100_000 });
    let engine = Engine::from_value(&json!({ "name": "vars", "settings": limits, "variables": { "n": 0, "big": "" },
        "triggers": [{ "event": "count", "flow": "count" }],
        "flows": { "main": text_flow("hi"), "count": { "start": "inc", "steps": {
            "inc": { "type": "set", "set": { "n": "= n + 1" }, "next": "test" },
            "test": { "type": "condition", "branches": [{ "if": "n < writes", "next": "inc" }], "else": "done" },
            "done": { "type": "text", "text": "n is {n}" } } } } }))
    .expect("agent");
    let session = launched(&engine);
    let mut group = c.benchmark_group("f_state_variables");
    group.sample_size(10);
    for n in [6_250, 12_500, 25_000, 50_000] {
        let body = format!(r#"{{"action":{{"type":"launch"}},"state":{{"variables":{}}}}}"#, object_text(n, "1"));
        let req = Envelope::from_json(&body).expect("request");
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_batched_ref(
                || session.clone(),
                |s| engine.interact(s, &req, T0 + 1).expect("turn"),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    let mut group = c.benchmark_group("f_set_loop_beside_400_kb");
    group.sample_size(10);
    for writes in [1_000u64, 4_000, 16_000] {
        let body = json!({ "action": { "type": "event", "payload": { "event": { "name": "count" } } },
                           "state": { "variables": { "n": 0, "writes": writes, "big": "x".repeat(400_000) } } });
        let req = Envelope::from_value(body).expect("request");
        let mut probe = session.clone();
        let turn = engine.interact(&mut probe, &req, T0 + 1).expect("turn");
        assert!(turn.to_json().contains(&format!("n is {writes}")), "the loop ran to the end");
        group.bench_function(BenchmarkId::from_parameter(writes), |b| {
            b.iter_batched_ref(
                || session.clone(),
                |s| engine.interact(s, &req, T0 + 1).expect("turn"),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// (g) issue 14, item 5: loading an agent whose text is n KiB of `{` (each one could start a placeholder).
fn braces(c: &mut Criterion) {
    let mut group = c.benchmark_group("g_load_agent_with_braces_kib");
    group.sample_size(10);
    for kib in [64, 256, 1024] {
        let agent = json!({ "name": "braces", "flows": { "main": text_flow(&"{".repeat(kib * 1024)) } }).to_string();
        group.bench_function(BenchmarkId::from_parameter(kib), |b| {
            b.iter(|| Engine::from_json(std::hint::black_box(&agent)).expect("agent"))
        });
    }
    group.finish();
}

/// (h) issue 14, item 7: the wake-up turn of an agent whose handler schedules its own event with `after: 0`, at
/// default settings: it fires once per wake-up and stops at `maxChainDepth`.
fn scheduled(c: &mut Criterion) {
    let engine = Engine::from_value(&json!({ "name": "tick", "triggers": [{ "event": "tick", "flow": "tick" }],
        "flows": { "main": text_flow("hi"), "tick": { "start": "say", "steps": {
            "say": { "type": "text", "text": "tick", "next": "again" },
            "again": { "type": "emit", "event": "tick", "after": 0 } } } } }))
    .expect("agent");
    let mut session = launched(&engine);
    engine.interact(&mut session, &event("tick"), T0 + 1).expect("turn");
    let config = Default::default();
    c.bench_function("h_wake_up_of_a_self_scheduling_event", |b| {
        b.iter_batched_ref(|| session.clone(), |s| engine.advance(s, T0 + 1, &config), BatchSize::SmallInput)
    });
}

criterion_group!(benches, one_event, lookup, chain, intents, state, variables, braces, scheduled);
criterion_main!(benches);
