//! Engine conformance, data-driven: each `tests/cases/NAME.case` is an agent, a list of requests and the traces
//! each must produce, written compactly (one line per trace). One case per rule of SPEC §4, named after it.
//!
//! Case syntax:
//! ```text
//! # comment
//! agent: rules.json            (in tests/agents/, or a path from the crate root)
//! exclude: block,flow          (config.excludeTypes for every request; default block,debug,flow)
//! > {"action": {...}}          a request, as a CLI line (may carry "time"); `> tick 5000` fires timers at +5000 ms
//! text: Hello                  the expected traces, one per line, until the next request
//! choice: Yes | Docs <https://..> a choice trace: each button's label, and the link it opens
//! < 200 {"ok": true}           answer the pending webhook (or `< timeout`, `< failed why`)
//! $ cart_total = 120           a session variable must equal this JSON
//! ```
//! `UPDATE_CASES=1 cargo test --test conformance` rewrites the expected lines from what the engine does (review
//! the diff before committing: a case is a specification, not a recording).

use std::path::PathBuf;

use eventflow::engine::{Button, Config, Effect, Engine, Envelope, Session, Trace, TraceKind, Turn, WebhookOutcome};
use eventflow::json::Value;

const T0: u64 = 1_700_000_000_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One trace as one line.
fn compact(t: &Trace) -> String {
    match &t.kind {
        TraceKind::Text(p) => format!("text: {}", p.message),
        TraceKind::Choice(p) => format!("choice: {}", p.buttons.iter().map(button).collect::<Vec<_>>().join(" | ")),
        TraceKind::CardV2(c) => format!("card: {} / {} [{}]", c.title, c.description.text, c.buttons.len()),
        TraceKind::Carousel(c) => {
            format!("carousel: {}", c.cards.iter().map(|c| c.title.as_str()).collect::<Vec<_>>().join(" | "))
        }
        TraceKind::Visual(v) => format!("image: {}", v.image.clone().unwrap_or_default()),
        TraceKind::NoReply { timeout } => format!("no-reply: {timeout}"),
        TraceKind::End { explicit } => if *explicit { "end: step" } else { "end" }.to_string(),
        TraceKind::Path { path } => format!("path: {path}"),
        TraceKind::Debug { message, .. } => format!("debug: {message}"),
        TraceKind::Flow { diagram_id, .. } => format!("flow: {diagram_id}"),
        TraceKind::Block { block_id } => format!("block: {block_id}"),
        TraceKind::Custom { kind, payload, .. } => format!("custom {kind}: {payload}"),
    }
}

/// A button as its label, and the link it opens if any: `Docs <https://example.com/docs>`.
fn button(b: &Button) -> String {
    let url = b.request["payload"]["actions"].as_array().into_iter().flatten().find(|a| a["type"] == "open_url");
    match url.and_then(|a| a["payload"]["url"].as_str()) {
        Some(url) => format!("{} <{url}>", b.name),
        None => b.name.clone(),
    }
}

struct Runner {
    engine: Engine,
    session: Session,
    config: Config,
    now: u64,
    pending_webhook: Option<u64>,
}

impl Runner {
    fn lines(&mut self, turn: Turn) -> Vec<String> {
        let mut out: Vec<String> = turn.traces.iter().map(compact).collect();
        for e in &turn.effects {
            if let Effect::Webhook(w) = e {
                self.pending_webhook = Some(w.id);
                let body = w.body.as_ref().map(|b| format!(" {b}")).unwrap_or_default();
                out.push(format!("webhook: {} {}{body}", w.method, w.url));
            }
        }
        out
    }

    fn request(&mut self, line: &str) -> Vec<String> {
        if let Some(ms) = line.strip_prefix("tick ") {
            self.now += ms.trim().parse::<u64>().expect("tick takes milliseconds");
            let turn = self.engine.advance(&mut self.session, self.now, &self.config);
            return self.lines(turn);
        }
        let mut body: Value = match eventflow::json::parse(line) {
            Ok(v) => v,
            Err(e) => return vec![format!("error invalid_json: {e}")],
        };
        if let Some(t) = body.as_object_mut().and_then(|m| m.remove("time")).and_then(|t| t.as_u64()) {
            self.now = T0 + t;
        }
        let mut envelope = match Envelope::from_value(body.clone()) {
            Ok(e) => e,
            Err(e) => return vec![format!("error {}: {}", e.code, e.message)],
        };
        if body.get("config").is_none() {
            envelope.config = self.config.clone();
        }
        match self.engine.interact(&mut self.session, &envelope, self.now) {
            Ok(turn) => self.lines(turn),
            Err(e) => vec![format!("error {}: {}", e.code, e.message)],
        }
    }

    fn webhook(&mut self, line: &str) -> Vec<String> {
        let id = self.pending_webhook.take().expect("`<` needs a pending webhook");
        let outcome = if line == "timeout" {
            WebhookOutcome::Timeout
        } else if let Some(why) = line.strip_prefix("failed ") {
            WebhookOutcome::Failed(why.to_string())
        } else {
            let (status, body) = line.split_once(' ').unwrap_or((line, ""));
            WebhookOutcome::Response { status: status.parse().expect("status"), body: body.to_string() }
        };
        let turn = self.engine.webhook_result(&mut self.session, id, outcome, self.now, &self.config);
        self.lines(turn)
    }
}

fn run_case(name: &str) {
    let path = root().join("tests/cases").join(format!("{name}.case"));
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut runner: Option<Runner> = None;
    let mut config = Config::default();
    let mut rewritten = Vec::new();
    let mut failures = Vec::new();
    let mut actual: Vec<String> = Vec::new();
    let mut expected: Vec<String> = Vec::new();
    let mut at_line = 0;
    let flush = |actual: &mut Vec<String>,
                 expected: &mut Vec<String>,
                 rewritten: &mut Vec<String>,
                 failures: &mut Vec<String>,
                 at: usize| {
        if actual != expected {
            failures.push(format!(
                "line {at}: expected\n    {}\n  got\n    {}",
                expected.join("\n    "),
                actual.join("\n    ")
            ));
        }
        rewritten.append(actual);
        expected.clear();
    };
    for (i, line) in src.lines().enumerate() {
        if line.starts_with("agent: ") || line.starts_with("exclude: ") {
            flush(&mut actual, &mut expected, &mut rewritten, &mut failures, at_line);
        }
        if let Some(file) = line.strip_prefix("agent: ") {
            let p = root().join("tests/agents").join(file.trim());
            let p = if p.exists() { p } else { root().join(file.trim()) };
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let engine = Engine::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let session = engine.new_session("user-1");
            runner = Some(Runner { engine, session, config: config.clone(), now: T0, pending_webhook: None });
            rewritten.push(line.to_string());
        } else if let Some(list) = line.strip_prefix("exclude: ") {
            config.exclude_types = list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            if let Some(r) = runner.as_mut() {
                r.config = config.clone();
            }
            rewritten.push(line.to_string());
        } else if let Some(req) = line.strip_prefix("> ").or_else(|| line.strip_prefix("< ")) {
            flush(&mut actual, &mut expected, &mut rewritten, &mut failures, at_line);
            at_line = i + 1;
            rewritten.push(line.to_string());
            let r = runner.as_mut().expect("a request before any `agent:` line");
            actual = if line.starts_with('>') { r.request(req.trim()) } else { r.webhook(req.trim()) };
        } else if let Some(assert) = line.strip_prefix("$ ") {
            flush(&mut actual, &mut expected, &mut rewritten, &mut failures, at_line);
            rewritten.push(line.to_string());
            let (var, want) = assert.split_once(" = ").expect("`$ var = json`");
            let want: Value = eventflow::json::parse(want).expect("`$` value is JSON");
            let r = runner.as_ref().expect("`$` after an agent");
            let got = r.session.var(var.trim()).cloned().unwrap_or(Value::Null);
            if got != want {
                failures.push(format!("line {}: ${var} is {got}, expected {want}", i + 1));
            }
        } else if line.starts_with('#') || line.trim().is_empty() {
            flush(&mut actual, &mut expected, &mut rewritten, &mut failures, at_line);
            rewritten.push(line.to_string());
        } else {
            expected.push(line.to_string());
        }
    }
    flush(&mut actual, &mut expected, &mut rewritten, &mut failures, at_line);
    if std::env::var_os("UPDATE_CASES").is_some() {
        let mut text = rewritten.join("\n");
        text.push('\n');
        std::fs::write(&path, text).expect("rewrite case");
        return;
    }
    assert!(failures.is_empty(), "{}:\n{}", path.display(), failures.join("\n"));
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { run_case(stringify!($name)); } )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases! {
    rule_4_1_names_match_case_insensitively,
    rule_4_1_bad_names_are_rejected,
    rule_4_2_waiting_step_choices_come_first,
    rule_4_2_local_beats_global,
    rule_4_2_exact_then_namespace_then_catch_all,
    rule_4_2_intent_events_trigger_the_intent,
    rule_4_2_welcome_on_launch,
    rule_4_2_start_flow_without_welcome,
    rule_4_2_unhandled_event_is_a_debug_trace,
    rule_4_2_typed_text_to_intents_and_no_match,
    rule_4_3_event_data_in_last_event_mappings_and_context,
    rule_4_4_jump_replaces_the_stack,
    rule_4_4_push_returns_and_reprompts,
    rule_4_5_follow_up_chain,
    rule_4_5_chain_limit,
    rule_4_5_webhook_followup_event,
    rule_4_6_client_cannot_send_system_events,
    rule_4_6_no_match_and_no_reply,
    rule_4_6_length_limit,
    rule_4_6_time_limit,
    rule_4_6_files,
    rule_4_6_session_data_limits,
    rule_4_7_timers_delay_and_reminders,
    rule_4_7_cancel_on_user_message,
    steps_every_type,
    step_budget_stops_a_goto_loop,
    custom_id_dedupe,
    shop_agent_tour,
    rule_4_5_scheduled_follow_ups_count_in_the_chain,
    rule_4_6_stack_limit,
    rule_4_2_welcome_never_matches_catch_all,
    steps_button_links_are_templates,
}

#[test]
fn every_case_file_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("tests/cases"))
        .expect("tests/cases")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".case").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "tests/cases and the cases! list differ");
}
