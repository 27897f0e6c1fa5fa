//! SPEC §9.3: no input can panic the engine. Property tests throw random requests at real agents and random
//! mutations of agent files at the loader; every outcome must be a turn or a clear error, and the session must
//! stay restorable.

use eventflow::engine::{Config, Engine, Envelope, WebhookOutcome};
use eventflow::json;
use eventflow::json::{Map, Value};
use proptest::prelude::*;

const AGENTS: [&str; 4] = [
    include_str!("../examples/agents/shop.json"),
    include_str!("../examples/agents/pizza.json"),
    include_str!("../examples/agents/support.json"),
    include_str!("agents/rules.json"),
];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![Just("checkout"), Just("user:a:b"), Just("{cart_total}"), Just("#checkout.total"), Just("*")]
            .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("checkout".to_string()),
        Just("CHECKOUT".to_string()),
        Just("user:location:change".to_string()),
        Just("button_clicked".to_string()),
        Just("ticket:opened".to_string()),
        Just("noMatch".to_string()),
        Just("WELCOME".to_string()),
        "[A-Za-z0-9][A-Za-z0-9_:.-]{0,55}",
        "\\PC{0,8}",
    ]
}

/// Requests of every form, well-formed and not.
fn request() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({ "action": { "type": "launch" } })),
        "\\PC{0,60}".prop_map(|t| json!({ "action": { "type": "text", "payload": t } })),
        prop_oneof![Just("where is my order"), Just("two large pizzas"), Just("a@b.co"), Just("10234"), Just("Yes")]
            .prop_map(|t| json!({ "action": { "type": "text", "payload": t } })),
        (name(), any_json()).prop_map(|(n, d)| json!({ "action": { "type": "event", "payload": { "event": { "name": n, "data": d } } } })),
        (name(), any_json()).prop_map(|(n, e)| json!({ "action": { "type": "intent", "payload": { "intent": { "name": n }, "entities": e } } })),
        "path-[a-z_.]{0,20}[0-9]".prop_map(|t| json!({ "action": { "type": t, "payload": { "label": "x" } } })),
        Just(json!({ "action": { "type": "no-reply" } })),
        (any::<u64>(), "\\PC{0,10}").prop_map(|(size, n)| json!({ "action": { "type": "file", "payload": { "name": n, "content_type": "image/png", "size": size } } })),
        any_json().prop_map(|a| json!({ "action": a })),
        any_json(),
        ("[a-z-]{1,12}", any_json()).prop_map(|(t, p)| json!({ "action": { "type": t, "payload": p, "custom_id": "same" }, "config": { "excludeTypes": [] } })),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Request(Value),
    Tick(u32),
    Webhook(u16, String),
    WebhookTimeout,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => request().prop_map(Step::Request),
        1 => any::<u32>().prop_map(Step::Tick),
        1 => (any::<u16>(), prop_oneof![Just("{\"followupEvent\":{\"name\":\"order_shipped\",\"data\":{}}}".to_string()), "\\PC{0,20}"])
            .prop_map(|(s, b)| Step::Webhook(s, b)),
        1 => Just(Step::WebhookTimeout),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_never_panic_and_sessions_stay_restorable(agent in 0..AGENTS.len(), steps in prop::collection::vec(step(), 1..24)) {
        let engine = Engine::from_json(AGENTS[agent]).expect("example agents are valid");
        let mut session = engine.new_session("fuzz");
        let mut now = 1_700_000_000_000u64;
        let config = Config::default();
        let mut pending = None;
        for step in steps {
            now += 1000;
            let turn = match step {
                Step::Request(body) => match Envelope::from_value(body) {
                    Ok(env) => engine.interact(&mut session, &env, now).ok(),
                    Err(e) => { prop_assert!(!e.code.is_empty()); None }
                },
                Step::Tick(ms) => { now += u64::from(ms); Some(engine.advance(&mut session, now, &config)) }
                Step::Webhook(status, body) => pending.take().map(|id| engine.webhook_result(&mut session, id, WebhookOutcome::Response { status, body }, now, &config)),
                Step::WebhookTimeout => pending.take().map(|id| engine.webhook_result(&mut session, id, WebhookOutcome::Timeout, now, &config)),
            };
            if let Some(turn) = turn {
                for e in &turn.effects {
                    if let eventflow::engine::Effect::Webhook(w) = e { pending = Some(w.id); }
                }
                prop_assert!(eventflow::json::parse(&turn.to_json()).is_ok());
            }
            let saved = session.to_json();
            let restored = engine.restore(&saved).expect("a saved session restores");
            prop_assert_eq!(&restored, &session);
        }
    }

    #[test]
    fn random_agent_mutations_never_panic(agent in 0..AGENTS.len(), edits in prop::collection::vec((prop::collection::vec(0usize..12, 1..6), any_json()), 1..6), requests in prop::collection::vec(request(), 0..6)) {
        let mut doc: Value = eventflow::json::parse(AGENTS[agent]).expect("json");
        for (path, value) in edits {
            mutate(&mut doc, &path, value);
        }
        // Whatever the file, loading gives an engine or errors with text; an engine runs any request.
        match Engine::from_json(&doc.to_string()) {
            Err(e) => prop_assert!(e.errors.iter().all(|e| !e.message.is_empty())),
            Ok(engine) => {
                let mut s = engine.new_session("fuzz");
                for body in requests {
                    if let Ok(env) = Envelope::from_value(body) {
                        let _ = engine.interact(&mut s, &env, 1_700_000_000_000);
                    }
                }
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_loader(src in "\\PC{0,200}") {
        let _ = Engine::from_json(&src);
        let _ = Envelope::from_json(&src);
        let _ = eventflow::engine::expr::Expr::parse(&src);
        let _ = eventflow::wire::names::check_name(&src);
    }
}

/// A value nested exactly `depth` levels: a leaf inside arrays and objects, each level chosen by a bit of `shape`.
fn nested(depth: usize, shape: u64) -> Value {
    let mut v = json!("leaf");
    for level in 0..depth {
        v = if shape >> (level % 64) & 1 == 0 { json!([v]) } else { json!({ "k": v, "n": level }) };
    }
    v
}

/// What a test step sends to the `deep` agent.
#[derive(Debug, Clone)]
enum Deep {
    /// A request carrying a value of this nesting: as event data, a state variable, another action's payload or
    /// an action's properties.
    Request(u8, usize, u64),
    /// An event the agent answers by building values from its variables (`show`, `later`, `wrap`, `hook`).
    Event(&'static str),
    /// The pending webhook's answer, carrying a value of this nesting.
    Answer(usize, u64),
    Tick,
}

fn deep_step() -> impl Strategy<Value = Deep> {
    prop_oneof![
        4 => (0u8..4, 0usize..=127, any::<u64>()).prop_map(|(k, d, s)| Deep::Request(k, d, s)),
        2 => prop_oneof![Just("show"), Just("later"), Just("wrap"), Just("hook")].prop_map(Deep::Event),
        1 => (0usize..=127, any::<u64>()).prop_map(|(d, s)| Deep::Answer(d, s)),
        1 => Just(Deep::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Issue 14: whatever a turn accepts and saves is read back, however deep: the request's own limit, values
    /// built from those by the agent's templates, webhook answers, timers and the transcript.
    #[test]
    fn whatever_a_turn_accepts_is_restored(steps in prop::collection::vec(deep_step(), 1..10)) {
        let engine = Engine::from_json(include_str!("agents/deep.json")).expect("deep agent");
        let mut session = engine.new_session("fuzz");
        let mut now = 1_700_000_000_000u64;
        let config = Config::default();
        let mut pending = None;
        engine.interact_json(&mut session, r#"{"action":{"type":"launch"}}"#, now).expect("launch");
        for step in steps {
            now += 1000;
            let turn = match step {
                Deep::Request(kind, depth, shape) => {
                    let v = nested(depth, shape);
                    let body = match kind {
                        0 => json!({ "action": { "type": "event", "payload": { "event": { "name": "keep", "data": { "x": v } } } } }),
                        1 => json!({ "action": { "type": "text", "payload": "hi" }, "state": { "variables": { "v": v } } }),
                        2 => json!({ "action": { "type": "path-x", "payload": v } }),
                        _ => json!({ "action": { "type": "text", "payload": "hi", "properties": { "p": v } } }),
                    };
                    // Sent as text, as a client sends it: too deep for the request's own limit is refused there.
                    match Envelope::from_json(&body.to_string()) {
                        Ok(env) => engine.interact(&mut session, &env, now).ok(),
                        Err(e) => { prop_assert_eq!(e.code, "invalid_json"); None }
                    }
                }
                Deep::Event(name) => {
                    let body = json!({ "action": { "type": "event", "payload": { "event": { "name": name } } } });
                    engine.interact(&mut session, &Envelope::from_value(body).expect("request"), now).ok()
                }
                Deep::Answer(depth, shape) => pending.take().map(|id| {
                    let body = json!({ "a": nested(depth, shape) }).to_string();
                    let outcome = WebhookOutcome::Response { status: 200, body };
                    engine.webhook_result(&mut session, id, outcome, now, &config)
                }),
                Deep::Tick => { now += 5000; Some(engine.advance(&mut session, now, &config)) }
            };
            for e in turn.iter().flat_map(|t| &t.effects) {
                if let eventflow::engine::Effect::Webhook(w) = e { pending = Some(w.id); }
            }
            let saved = session.to_json();
            let restored = engine.restore(&saved);
            prop_assert!(restored.is_ok(), "{:?}", restored.err());
            prop_assert_eq!(restored.map(|r| r.to_json()).unwrap_or_default(), saved);
        }
    }
}

/// Walk down `path` (indexes modulo the children count) and replace what is there with `value`.
fn mutate(doc: &mut Value, path: &[usize], value: Value) {
    let Some((&i, rest)) = path.split_first() else {
        *doc = value;
        return;
    };
    let child = match doc {
        Value::Object(m) if !m.is_empty() => {
            let n = m.len();
            m.values_mut().nth(i % n)
        }
        Value::Array(a) if !a.is_empty() => {
            let n = a.len();
            a.get_mut(i % n)
        }
        _ => None,
    };
    match child {
        Some(c) => mutate(c, rest, value),
        None => *doc = value,
    }
}
