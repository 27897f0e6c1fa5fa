//! End-to-end: the site in `www/` served over HTTP, driven in headless Chromium through WebDriver.
//!
//! Run after `./build.sh` (which fills `www/pkg/` and `www/agents/`):
//! `cargo test --test e2e -- --ignored --test-threads=1`. It needs `chromedriver` and `chromium` (`./build.sh test`
//! installs them). Each test serves `www/` from a thread, starts chromedriver on a free port and speaks the W3C
//! WebDriver protocol over HTTP with `ureq`; the remote-mode test also runs a Dialog API runtime on another port
//! (`support/runtime.rs`) that can fail on purpose. Every wait polls a condition against a deadline; nothing
//! sleeps and hopes.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/runtime.rs"]
mod runtime;
mod server_support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eventflow::json;
use eventflow::json::Value;

use runtime::{Fault, Runtime};

/// Files the local-mode demo page may download before `load()` resolves: exactly what `./build.sh size` counts.
const COUNTED: &[&str] = &["/eventflow.min.js", "/pkg/local.wasm", "/agents/shop.json"];

/// Files a remote-mode page may download from the site before `load()` resolves (the runtime's answers come from
/// the runtime): exactly what `./build.sh size` counts for remote mode.
const COUNTED_REMOTE: &[&str] = &["/eventflow.min.js", "/pkg/remote.wasm"];

#[test]
#[ignore = "needs the built site and headless Chromium: run by ./build.sh test"]
fn demo_page_in_headless_chromium() {
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
    assert!(www.join("pkg/local.wasm").exists(), "www/pkg is missing: run ./build.sh first");
    let port = serve(www.clone());
    let site = format!("http://127.0.0.1:{port}");
    let d = Driver::start();

    // 1. The seed 000 snippet, changed only in its script URL (plus `agent`), reaches ready.
    d.goto(&format!("{site}/index.html"));
    d.wait_loaded();
    let api = d.exec("return Object.keys(window.voiceflow.chat).sort().join(',')", json!([]));
    assert_eq!(api, json!("close,destroy,hide,interact,load,off,on,open,proactive,show"));
    let total = check_downloads(&d, &www, &site, COUNTED);
    println!("local mode: downloaded until load() resolved: {total} bytes (gzip)");
    // The page hears every event as the real widget sends it: JSON strings through postMessage.
    d.exec("window.__posted = []; window.addEventListener('message', e => window.__posted.push(e.data));", json!([]));

    // 2. The seed's imperative button: open() + interact(button_clicked).
    d.click(&d.find("#myButton"));
    d.wait_text("the greeting and the answer to button_clicked", &["shop assistant", "You clicked the button!"]);
    let posted = d.exec("return window.__posted", json!([]));
    let kinds: Vec<String> = posted
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| eventflow::json::parse(m.as_str()?).ok())
        .filter_map(|m| m["type"].as_str().map(str::to_string))
        .collect();
    for kind in ["voiceflow:open", "voiceflow:interact", "voiceflow:save_session"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} postMessage in {kinds:?}");
    }
    assert!(
        posted.as_array().into_iter().flatten().any(|m| m == "{\"type\":\"voiceflow:open\"}"),
        "voiceflow:open is not byte-compatible: {posted}"
    );

    // 3. A declarative data-vf-event button with data-vf-data.
    d.click(&d.find("[data-vf-event=checkout]"));
    d.wait_text("the checkout flow with the button's data", &["Ready to check out: 2 item(s), $120 in total."]);
    // 4. The config listener (#newsletter), and an element added after load.
    d.click(&d.find("#newsletter"));
    d.wait_text("the newsletter flow", &["Thanks for subscribing, reader@example.com!", "WELCOME10"]);
    d.click(&d.find("#add-promo"));
    d.click(&d.find("[data-vf-event=where_is_my_order]"));
    d.wait_text("the catch-all flow for an element added later", &["I noticed “where_is_my_order”"]);

    // 5. A reload keeps the conversation, and it goes on: the capture step still waits for the email.
    d.goto(&format!("{site}/index.html"));
    d.wait_loaded();
    d.exec("window.voiceflow.chat.open()", json!([]));
    d.wait_text("the restored conversation", &["You clicked the button!", "Ready to check out", "WELCOME10"]);
    let input = d.shadow_find(".ef-input");
    d.type_text(&input, "me@example.com\u{E007}");
    d.wait_text(
        "the conversation going on after the reload",
        &["Order placed: $120. The receipt goes to me@example.com."],
    );
    d.wait_idle();
    std::fs::create_dir_all(target_dir()).ok();
    d.screenshot(&target_dir().join("screenshot.png"));
    d.set_window(360, 740);
    d.wait_idle();
    d.screenshot(&target_dir().join("screenshot-360.png"));
    d.set_window(1280, 800);
    // Keyboard: Escape closes the chat and focus goes back to the launcher; the launcher opens it again.
    let hidden = "return document.querySelector('[data-eventflow]').shadowRoot.querySelector('.ef-window').hidden";
    d.type_text(&d.shadow_find(".ef-input"), "\u{E00C}");
    assert_eq!(d.exec(hidden, json!([])), json!(true), "Escape closes the chat");
    let focused =
        d.exec("return document.querySelector('[data-eventflow]').shadowRoot.activeElement?.className", json!([]));
    assert_eq!(focused, json!("ef-launcher"), "focus returns to the launcher");
    d.click(&d.shadow_find(".ef-launcher"));
    assert_eq!(d.exec(hidden, json!([])), json!(false), "the launcher opens the chat");

    // 6. XSS: vectors through user text, agent markdown (text, image, card, button labels), proactive messages.
    d.goto(&format!("{site}/test/xss.html"));
    d.wait_until("the XSS page loads", "return window.__loaded === true || window.__loadError || false");
    assert_eq!(d.exec("return window.__loadError || null", json!([])), Value::Null);
    // The loader kept the page's own window.voiceflow members, and replayed open() called before it was ready.
    assert_eq!(d.exec("return window.voiceflow.other", json!([])), json!("kept"));
    let open = "return !document.querySelector('[data-eventflow]').shadowRoot.querySelector('.ef-window').hidden";
    assert_eq!(d.exec(open, json!([])), json!(true), "open() made before the module was ready was replayed");
    d.exec("window.__xss = 0;", json!([]));
    d.wait_text("the XSS agent's greeting", &["Ready for vectors."]);
    for (i, v) in VECTORS.iter().enumerate() {
        let v = v.replace("XSS", "window.__xss++");
        // The agent echoes it into markdown text, an image URL, a card and a button label.
        let r = d.exec_async(
            "const [v, done] = arguments;
             window.voiceflow.chat.interact({type: 'event', payload: {event: {name: 'say', data: {text: v}}}})
               .then(() => window.voiceflow.chat.interact({type: 'text', payload: v}))
               .then(() => done('ok'), e => done('error ' + e.code + ': ' + e.message));",
            json!([v]),
        );
        assert_eq!(r, json!("ok"), "vector {i} ({v}) was refused");
    }
    // Typed by a real keyboard too, and pushed as proactive messages.
    d.exec("window.voiceflow.chat.close()", json!([]));
    for v in VECTORS.iter().take(6) {
        d.exec(
            "window.voiceflow.chat.proactive.push({type: 'text', payload: {message: arguments[0]}})",
            json!([v.replace("XSS", "window.__xss++")]),
        );
    }
    let pushed = d.exec(
        "return document.querySelector('[data-eventflow]').shadowRoot.querySelectorAll('.ef-pro').length",
        json!([]),
    );
    assert_eq!(pushed, json!(6), "proactive messages are shown while the chat is closed");
    d.exec("window.voiceflow.chat.open()", json!([]));
    let input = d.shadow_find(".ef-input");
    for v in VECTORS.iter().take(4) {
        d.type_text(&input, &format!("{}\u{E007}", v.replace("XSS", "window.__xss++")));
    }
    d.wait_idle();
    let shown = d.exec(
        "return document.querySelector('[data-eventflow]').shadowRoot.querySelector('.ef-log').textContent",
        json!([]),
    );
    assert!(shown.as_str().unwrap_or_default().contains("<img src=x onerror="), "raw HTML is shown as text");
    let verdict = d.exec(
        "const root = document.querySelector('[data-eventflow]').shadowRoot;
         const all = [...root.querySelectorAll('*')];
         const bad = [];
         for (const e of all) {
           if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FORM', 'BASE', 'META'].includes(e.tagName)) bad.push('element ' + e.tagName);
           for (const a of e.attributes) {
             if (/^on/i.test(a.name)) bad.push('attribute ' + a.name + ' on ' + e.tagName);
             if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name) && /^\\s*(javascript|vbscript|data:text\\/html)/i.test(a.value))
               bad.push(a.name + '=' + a.value);
           }
         }
         return { xss: window.__xss, bad, links: root.querySelectorAll('a[href]').length, count: all.length };",
        json!([]),
    );
    assert_eq!(verdict["xss"], json!(0), "a vector ran script: {verdict}");
    assert_eq!(verdict["bad"], json!([]), "dangerous markup in the shadow DOM: {verdict}");
    assert!(verdict["links"].as_u64().unwrap_or(0) >= 3, "safe links still render: {verdict}");
    println!("XSS: {} vectors through 6 channels, no script ran, no javascript: URL in the shadow DOM", VECTORS.len());

    // 7. Webhooks over real HTTP: the agent's webhook step fetches from this server; a 404 takes `onError`.
    d.goto(&format!("{site}/test/webhook.html"));
    d.wait_until("the webhook page loads", "return window.__loaded === true || window.__loadError || false");
    assert_eq!(d.exec("return window.__loadError || null", json!([])), Value::Null);
    d.exec("window.voiceflow.chat.open()", json!([]));
    d.wait_text("the webhook agent's greeting", &["Ready for webhooks."]);
    let lookup = "window.voiceflow.chat.interact({type: 'event', payload: {event: {name: 'lookup', data: {url: location.origin + arguments[0]}}}})";
    d.exec(lookup, json!(["/test/webhook-answer.json"]));
    d.wait_text("the webhook's answer in the chat", &["Order status: shipped."]);
    d.exec(lookup, json!(["/test/no-such-answer.json"]));
    d.wait_text("the failed webhook's onError path", &["The order service failed."]);
    println!("webhooks: an answer over HTTP assigned a variable, a 404 took onError");

    // 8. The site without its wasm module: load() rejects with `load_failed`, naming where it looked and why.
    d.goto(&format!("{site}/nowasm/test/webhook.html"));
    let error = d.wait_until("load() rejects without the wasm", "return window.__loadError || false");
    let expected = format!(
        "load_failed: eventflow: the chat module could not be loaded from {site}/nowasm/pkg/: failed to fetch Wasm: 404"
    );
    assert!(error.as_str().is_some_and(|e| e.starts_with(&expected)), "{error}");
    println!("no wasm: load() rejected with load_failed");

    // 9. Time from navigation to load() resolved, median of 10 fresh loads.
    let median = d.load_times("navigation to load() resolved", &format!("{site}/index.html"));
    assert!(median < 10_000.0, "load() took {median} ms");
}

#[test]
#[ignore = "needs the built site and headless Chromium: run by ./build.sh test"]
fn remote_mode_against_a_runtime_in_headless_chromium() {
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
    assert!(www.join("pkg/remote.wasm").exists(), "www/pkg is missing: run ./build.sh first");
    let site = format!("http://127.0.0.1:{}", serve(www.clone()));
    let rt = Runtime::start();
    let d = Driver::start();
    // A short time limit and two retries, so the fault cases take seconds.
    let page = format!("{site}/test/remote.html?runtime={}&timeout=1500&retries=2", rt.url());
    let count = |text: &str| d.log_text().matches(text).count();

    // 1. Seed 000's snippet with `url` and no `agent`: remote mode, the runtime's publishing settings merged in.
    d.goto(&page);
    d.wait_until("the remote page loads", "return window.__loaded === true || window.__loadError || false");
    assert_eq!(d.exec("return window.__loadError || null", json!([])), Value::Null);
    let total = check_downloads(&d, &www, &site, COUNTED_REMOTE);
    println!("remote mode: downloaded until load() resolved: {total} bytes (gzip), no engine");
    let title = d.exec(
        "return document.querySelector('[data-eventflow]').shadowRoot.querySelector('.ef-title').textContent",
        json!([]),
    );
    assert_eq!(title, json!("Runtime Assistant"), "the runtime's publishing title applies");
    let publishing = rt.log().into_iter().find(|l| l.target.ends_with("/publishing")).expect("a publishing request");
    assert_eq!(publishing.version_id.as_deref(), Some("production"));

    // 2. The seed's button: open() launches, then the event; each turn with its own Idempotency-Key.
    d.click(&d.find("#myButton"));
    d.wait_text("the greeting and the event's answer", &["Hello from the runtime", "Event button_clicked"]);
    let turns = rt.turns();
    assert_eq!(turns.len(), 2, "{turns:?}");
    assert_eq!(turns[0].action["type"], "launch");
    assert_eq!(turns[1].action["payload"]["event"]["name"], "button_clicked");
    let keys: Vec<&str> = turns.iter().filter_map(|t| t.idempotency_key.as_deref()).collect();
    assert!(keys.len() == 2 && keys[0] != keys[1] && keys.iter().all(|k| k.len() == 32), "{keys:?}");
    assert!(turns.iter().all(|t| t.version_id.as_deref() == Some("production")));
    let user =
        turns[0].target.split("/state/user/").nth(1).and_then(|t| t.split('/').next()).unwrap_or_default().to_string();
    assert_eq!(user.len(), 32, "a random user id of 128 bits: {user}");
    d.wait_idle();
    // A rating reaches the runtime as Voiceflow's feedback call, and is kept with the conversation.
    d.click(&d.shadow_find(".ef-agent .ef-rate button[aria-label='Good answer']"));
    let feedback = format!("/feedback/remote-test/user/{user}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let rated = loop {
        if let Some(l) = rt.log().into_iter().find(|l| l.target == feedback) {
            break l;
        }
        assert!(Instant::now() < deadline, "no feedback call reached the runtime");
        std::thread::sleep(Duration::from_millis(25));
    };
    assert_eq!(rated.body["name"], "Thumbs up");
    assert_eq!(rated.body["text"], json!(["Hello from the runtime"]), "{}", rated.body);
    assert_eq!(rated.version_id.as_deref(), Some("production"));

    // 3. Order under a slow runtime: a page call, a page button, typed text; one turn at a time, in order.
    rt.clear_log();
    rt.fail_next(&[
        Fault::Slow(Duration::from_millis(600)),
        Fault::Slow(Duration::from_millis(600)),
        Fault::Slow(Duration::from_millis(600)),
    ]);
    d.exec("window.voiceflow.chat.interact({type: 'text', payload: 'one'})", json!([]));
    d.click(&d.find("[data-vf-event=checkout]"));
    d.type_text(&d.shadow_find(".ef-input"), "three\u{E007}");
    assert!(
        d.user_bubbles().ends_with(&["one".to_string(), "three".to_string()]),
        "typed text shows at once: {:?}",
        d.user_bubbles()
    );
    d.wait_text("three answers", &["You said: one", "Event checkout from the page", "You said: three"]);
    let log = d.log_text();
    let at = |t: &str| log.find(t).unwrap_or(usize::MAX);
    assert!(
        at("You said: one") < at("Event checkout from the page")
            && at("Event checkout from the page") < at("You said: three"),
        "{log}"
    );
    let turns = rt.turns();
    assert_eq!(turns.len(), 3);
    for w in turns.windows(2) {
        assert!(w[1].started >= w[0].ended.expect("answered"), "two turns of one user overlapped at the runtime");
    }
    println!("order: 3 turns against a slow runtime, one at a time, shown in order");

    // 4. Automatic retries: a 500, then a 503 with Retry-After; the turn arrives once under one key.
    rt.clear_log();
    rt.fail_next(&[Fault::Status(500, None), Fault::Status(503, Some(1))]);
    d.exec("window.voiceflow.chat.interact({type: 'text', payload: 'retry me'})", json!([]));
    d.wait_text("the retried turn's answer", &["You said: retry me"]);
    let turns = rt.turns();
    assert_eq!(turns.len(), 3, "two failures and the success");
    assert!(turns.iter().all(|t| t.idempotency_key == turns[0].idempotency_key), "one key for every attempt");
    assert!(
        turns[2].started.duration_since(turns[1].ended.unwrap()) >= Duration::from_millis(1000),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(turns.iter().filter(|t| t.ran).count(), 1);
    assert_eq!(count("You said: retry me"), 1);

    // 5. The time limit: the runtime answers too late; the retry under the same key gets the stored answer.
    rt.clear_log();
    rt.fail_next(&[Fault::Hang(Duration::from_millis(2500))]);
    d.exec("window.voiceflow.chat.interact({type: 'text', payload: 'late'})", json!([]));
    d.wait_text("the late turn's answer", &["You said: late"]);
    let turns = rt.turns();
    assert!(turns.len() >= 2 && turns.iter().all(|t| t.idempotency_key == turns[0].idempotency_key), "{turns:?}");
    assert_eq!(turns.iter().filter(|t| t.ran).count(), 1, "the runtime ran the turn once");
    assert_eq!(count("You said: late"), 1, "shown once");

    // 6. Not delivered: every attempt fails; the message stays, marked, with a Retry that delivers it once.
    rt.clear_log();
    rt.fail_next(&[Fault::Drop, Fault::Drop, Fault::Drop]);
    d.type_text(&d.shadow_find(".ef-input"), "lost?\u{E007}");
    d.wait_text("the not-delivered state", &["Not delivered (network)"]);
    assert_eq!(rt.turns().len(), 3, "the first attempt and two retries");
    assert_eq!(d.user_bubbles().iter().filter(|b| *b == "lost?").count(), 1, "the message stays on screen");
    d.click(&d.shadow_find(".ef-error button"));
    d.wait_text("the retried message's answer", &["You said: lost?"]);
    assert_eq!(d.user_bubbles().iter().filter(|b| *b == "lost?").count(), 1, "never shown twice");
    assert_eq!(count("You said: lost?"), 1);
    assert_eq!(
        d.exec(
            "return document.querySelector('[data-eventflow]').shadowRoot.querySelectorAll('.ef-error').length",
            json!([])
        ),
        json!(0)
    );
    let turns = rt.turns();
    assert!(turns.iter().all(|t| t.idempotency_key == turns[0].idempotency_key), "Retry keeps the turn's key");
    println!("faults: 500/503 retried, a late answer not shown twice, a lost message retried by the user");

    // 7. Malformed answers are clear errors, never a crash; the conversation goes on. A refusal has no Retry.
    rt.fail_next(&[Fault::Html]);
    let r = d.exec_async(
        "window.voiceflow.chat.interact({type: 'text', payload: 'html'}).then(() => arguments[0]('ok'), e => arguments[0](e.code + ': ' + e.message))",
        json!([]),
    );
    assert_eq!(r, json!("bad_answer: the runtime answered with a web page, not JSON"));
    d.wait_text("the HTML answer's error", &["Not delivered (bad_answer)"]);
    rt.fail_next(&[Fault::Truncated]);
    let r = d.exec_async(
        "window.voiceflow.chat.interact({type: 'text', payload: 'cut'}).then(() => arguments[0]('ok'), e => arguments[0](e.code + ': ' + e.message))",
        json!([]),
    );
    assert!(r.as_str().unwrap_or_default().starts_with("bad_answer: the runtime's answer is not JSON (EOF"), "{r}");
    // Retry both: the cut answer's turn ran once; its stored answer comes back whole.
    for _ in 0..2 {
        d.click(&d.shadow_find(".ef-error button"));
    }
    d.wait_text("both retried", &["You said: html", "You said: cut"]);
    assert_eq!(count("You said: cut"), 1);
    rt.fail_next(&[Fault::Status(400, None)]);
    let r = d.exec_async(
        "window.voiceflow.chat.interact({type: 'text', payload: 'refused'}).then(() => arguments[0]('ok'), e => arguments[0](e.code))",
        json!([]),
    );
    assert_eq!(r, json!("refused"));
    let last_error = d.exec(
        "const e = [...document.querySelector('[data-eventflow]').shadowRoot.querySelectorAll('.ef-error')].pop(); return [e.textContent, e.querySelectorAll('button').length]",
        json!([]),
    );
    assert!(
        last_error[0]
            .as_str()
            .unwrap_or_default()
            .contains("the runtime refused the request 400: fault 400 on purpose"),
        "{last_error}"
    );
    assert_eq!(last_error[1], json!(0), "no Retry for a refusal");
    d.wait_idle();

    // 8. A reload in the middle of a send: the pending turn is resent under its key and shown once.
    rt.clear_log();
    rt.fail_next(&[Fault::Slow(Duration::from_millis(2000))]);
    d.type_text(&d.shadow_find(".ef-input"), "across a reload\u{E007}");
    let sent = || rt.turns().iter().any(|t| t.action["payload"] == "across a reload");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sent() {
        assert!(Instant::now() < deadline, "the turn never reached the runtime");
        std::thread::sleep(Duration::from_millis(25));
    }
    d.goto(&page);
    d.wait_loaded();
    d.exec("window.voiceflow.chat.open()", json!([]));
    d.wait_text("the resent turn's answer", &["You said: across a reload", "You said: lost?"]);
    assert_eq!(d.user_bubbles().iter().filter(|b| *b == "across a reload").count(), 1);
    assert_eq!(count("You said: across a reload"), 1);
    let turns: Vec<_> = rt.turns().into_iter().filter(|t| t.action["payload"] == "across a reload").collect();
    assert!(turns.len() >= 2 && turns.iter().all(|t| t.idempotency_key == turns[0].idempotency_key), "{turns:?}");
    assert_eq!(turns.iter().filter(|t| t.ran).count(), 1, "the runtime ran it once");
    let pressed = d.exec(
        "return document.querySelector('[data-eventflow]').shadowRoot.querySelectorAll('.ef-rate button[aria-pressed=true]').length",
        json!([]),
    );
    assert_eq!(pressed, json!(1), "the rating shows again after the reload");
    println!("reload: a turn in flight was resent after the reload under its key, run once, shown once");

    // 9. Live push: shown without a reload; after a dropped stream, resumed from the last item; what was pushed
    // while the page was closed, shown when it comes back. Each once.
    let wait_streams = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while rt.open_streams() < n {
            assert!(Instant::now() < deadline, "the widget did not open its stream");
            std::thread::sleep(Duration::from_millis(25));
        }
    };
    wait_streams(1);
    rt.push(&user, json!([{ "type": "text", "payload": { "message": "Pushed: your order shipped" } }]));
    d.wait_text("a pushed message", &["Pushed: your order shipped"]);
    rt.close_streams();
    rt.push(&user, json!([{ "type": "text", "payload": { "message": "Pushed while reconnecting" } }]));
    d.wait_text("the item pushed during the drop", &["Pushed while reconnecting"]);
    let resumed = rt.log().into_iter().rfind(|l| l.target.contains("/stream")).expect("a stream request");
    assert!(resumed.target.ends_with("/stream?after=1"), "resumed after the last item shown: {}", resumed.target);
    // The hostile runtime's markup is text, as agent text is.
    d.exec("window.__xss = 0", json!([]));
    rt.push(
        &user,
        json!([{ "type": "text", "payload": { "message": "<img src=x onerror=window.__xss++> **bold**" } }]),
    );
    d.wait_text("the pushed markup, as text", &["<img src=x onerror=window.__xss++>"]);
    d.goto(&format!("{site}/test/blank.html"));
    rt.push(&user, json!([{ "type": "text", "payload": { "message": "Pushed while the page was closed" } }]));
    d.goto(&page);
    d.wait_loaded();
    d.exec("window.voiceflow.chat.open()", json!([]));
    d.wait_text("the catch-up", &["Pushed while the page was closed"]);
    assert_eq!(d.exec("return window.__xss || 0", json!([])), json!(0));
    for t in ["Pushed: your order shipped", "Pushed while reconnecting", "Pushed while the page was closed"] {
        assert_eq!(count(t), 1, "{t} is shown once");
    }
    println!("stream: live push, resume after a drop, catch-up after the page was closed, each shown once");

    // 10. With a stream, no-reply is the runtime's timer: the widget sends no `no-reply` of its own.
    rt.clear_log();
    d.exec("window.voiceflow.chat.interact({type: 'event', payload: {event: {name: 'ask'}}})", json!([]));
    d.wait_text("the runtime's own no-reply", &["Server timer: still there?"]);
    assert!(rt.turns().iter().all(|t| t.action["type"] != "no-reply"), "the widget sent a no-reply");
    // Without a stream (Voiceflow's runtime): one try per page load, and the widget runs the no-reply timer.
    rt.set_no_stream(true);
    d.exec("localStorage.clear()", json!([]));
    rt.clear_log();
    d.goto(&page);
    d.wait_loaded();
    d.exec("window.voiceflow.chat.open()", json!([]));
    d.wait_text("a new conversation", &["Hello from the runtime"]);
    d.exec("window.voiceflow.chat.interact({type: 'event', payload: {event: {name: 'ask'}}})", json!([]));
    d.wait_text("the widget's no-reply", &["No reply: are you still there?"]);
    let streams = rt.log().into_iter().filter(|l| l.target.contains("/stream")).count();
    assert_eq!(streams, 1, "a runtime without a stream is asked once per page load");
    println!("no-reply: the runtime's timer with a stream; the widget's own without one (stream asked once)");

    // 11. Publishing settings that cannot be read: the widget loads with the page's options and says why.
    rt.set_publishing_fails(true);
    d.goto(&page);
    d.wait_until("the remote page loads", "return window.__loaded === true || window.__loadError || false");
    let title = d.exec(
        "return document.querySelector('[data-eventflow]').shadowRoot.querySelector('.ef-title').textContent",
        json!([]),
    );
    assert_eq!(title, json!("Assistant"), "the page's own options");
    let warnings = d.exec("return window.__warnings.join('\\n')", json!([]));
    assert!(
        warnings.as_str().unwrap_or_default().contains("publishing settings")
            && warnings.as_str().unwrap_or_default().contains("500"),
        "{warnings}"
    );
    println!("publishing: a failing publishing route leaves the page's options, with a console warning");

    // 12. Time from navigation to load() resolved in remote mode (the runtime on this machine), median of 10.
    rt.set_publishing_fails(false);
    d.load_times("remote mode: navigation to load() resolved", &page);
}

/// The demo page in remote mode against eventflow's own runtime server (a real `eventflow serve` process): a
/// page button's turn goes to the server, an event the site's backend sends to `/events` shows up live in the open
/// chat, once; after a reload the conversation is there once, and an event pushed while no page was open shows up
/// when the page comes back.
#[test]
#[ignore = "needs the built site and headless Chromium: run by ./build.sh test"]
fn remote_mode_against_the_runtime_server_in_headless_chromium() {
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
    assert!(www.join("pkg/remote.wasm").exists(), "www/pkg is missing: run ./build.sh first");
    let store = tempfile::tempdir().expect("a temporary directory");
    let shop = server_support::agent("examples/agents/shop.json");
    let store_dir = store.path().to_string_lossy().into_owned();
    let server = server_support::Server::start(&[&shop, "--store", &store_dir, "--api-key", server_support::KEY]);
    let site = format!("http://127.0.0.1:{}", serve(www.clone()));
    let d = Driver::start();
    let page = format!("{site}/index.html?server={}", server.base);
    let count = |text: &str| d.log_text().matches(text).count();
    let push = |name: &str, data: &str| {
        let body = format!(r#"{{"app_user_id": "demo-user", "event_type": "{name}", "data": {data}}}"#);
        let answer = ureq::post(&server.url("/events"))
            .set("Authorization", &format!("Bearer {}", server_support::KEY))
            .set("projectID", "shop")
            .set("Content-Type", "application/json")
            .send_string(&body)
            .unwrap_or_else(|e| panic!("POST /events: {e}\n{}", server.log()));
        assert_eq!(answer.status(), 202, "POST /events takes the event");
    };

    // 1. The same demo page, remote mode: no engine downloaded, a page button's turn answered by the server.
    d.goto(&page);
    d.wait_loaded();
    let total = check_downloads(&d, &www, &site, COUNTED_REMOTE);
    println!("remote mode against the server: downloaded until load() resolved: {total} bytes (gzip)");
    d.click(&d.find("[data-vf-event=checkout]"));
    d.wait_text("the server's answer to the Checkout button", &["Ready to check out: 2 item(s), $120 in total."]);
    d.wait_idle();

    // 2. The site's backend sends an event for this user: the open chat shows the agent's answer live, once.
    push("user:location:change", r#"{"city": "Lisbon"}"#);
    d.wait_text("the pushed event's answer, live", &["Delivery city set to Lisbon."]);
    d.wait_idle();
    assert_eq!(count("Delivery city set to Lisbon."), 1, "a pushed event is shown once: {}", d.log_text());
    d.screenshot(&target_dir().join("screenshot-server.png"));

    // 3. A reload: the conversation is there, each message once.
    d.goto(&page);
    d.wait_loaded();
    d.wait_text("the conversation after a reload", &["$120 in total.", "Delivery city set to Lisbon."]);
    d.wait_idle();
    assert_eq!(count("$120 in total."), 1, "{}", d.log_text());
    assert_eq!(count("Delivery city set to Lisbon."), 1, "{}", d.log_text());

    // 4. An event pushed while no page is open is not lost: it shows when the page comes back, once.
    d.goto(&format!("{site}/test/blank.html"));
    push("user:location:change", r#"{"city": "Porto"}"#);
    d.goto(&page);
    d.wait_loaded();
    d.wait_text("the event pushed while the page was closed", &["Delivery city set to Porto."]);
    d.wait_idle();
    for text in ["$120 in total.", "Delivery city set to Lisbon.", "Delivery city set to Porto."] {
        assert_eq!(count(text), 1, "{text} shown once: {}", d.log_text());
    }
    println!("remote mode against the server: a button turn, two pushed events (one while closed), a reload: each shown once");
}

#[test]
#[ignore = "needs the built site and headless Chromium: run by ./build.sh test"]
fn early_clicks_and_two_tabs_in_headless_chromium() {
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
    assert!(www.join("pkg/local.wasm").exists(), "www/pkg is missing: run ./build.sh first");
    let site = format!("http://127.0.0.1:{}", serve(www));
    let d = Driver::start();

    // 0. An agent file that drips a byte every half second: load() must give up in 30 s, clearly. It runs in a
    // second tab while the rest of this test runs in the first.
    let first = d.tab();
    d.new_tab();
    d.goto(&format!("{site}/drip/test/drip.html"));
    let dripping = d.tab();
    d.switch_to(&first);

    // 1. Clicks before the module is ready (its wasm comes 3 s late): kept by the loader, replayed in order.
    d.goto(&format!("{site}/slow/test/early.html"));
    assert_eq!(d.exec("return window.__loaded || false", json!([])), json!(false), "the widget is not ready yet");
    for id in ["#first", "#second", "#third"] {
        d.click(&d.find(id));
    }
    d.wait_until("the early page loads", "return window.__loaded === true || window.__loadError || false");
    d.exec("window.voiceflow.chat.open()", json!([]));
    d.wait_text("the three early clicks", &["echo first", "echo second", "echo third"]);
    let log = d.log_text();
    let at = |t: &str| log.find(t).unwrap_or(usize::MAX);
    assert!(at("echo first") < at("echo second") && at("echo second") < at("echo third"), "{log}");
    println!("early clicks: three clicks before the widget was ready, replayed in order");

    // 2. Two tabs on one saved session: what either does reaches the other, and nothing is lost or doubled.
    let tabs = format!("{site}/test/tabs.html");
    d.goto(&tabs);
    d.exec("localStorage.clear()", json!([]));
    d.goto(&tabs);
    d.wait_loaded();
    d.wait_text("tab A's greeting", &["Two tabs, one conversation."]);
    let a = d.tab();
    let b = d.new_tab();
    d.goto(&tabs);
    d.wait_loaded();
    d.wait_text("tab B restores the conversation", &["Two tabs, one conversation."]);
    // A sets a reminder; B, opened before, then says something.
    d.switch_to(&a);
    d.exec("window.voiceflow.chat.interact({type: 'event', payload: {event: {name: 'remind'}}})", json!([]));
    d.wait_text("tab A's turn", &["A reminder is set."]);
    d.switch_to(&b);
    d.type_text(&d.shadow_find(".ef-input"), "from tab B\u{E007}");
    d.wait_text(
        "tab B's turn, with tab A's before it",
        &["A reminder is set.", "Noted: from tab B", "Reminder fired."],
    );
    d.switch_to(&a);
    d.wait_text("tab A hears tab B", &["Noted: from tab B", "Reminder fired."]);
    d.goto(&tabs);
    d.wait_loaded();
    d.wait_text("after a reload", &["A reminder is set.", "Noted: from tab B", "Reminder fired."]);
    for t in ["A reminder is set.", "Noted: from tab B", "Reminder fired."] {
        assert_eq!(d.log_text().matches(t).count(), 1, "{t} once: {}", d.log_text());
    }
    println!("two tabs: a reminder from one, a message from the other; both kept, the reminder fired once");

    d.switch_to(&dripping);
    let error = d.wait_until_for(
        "load() to give up on the dripping agent",
        Duration::from_secs(60),
        "return window.__loadError || false",
    );
    assert_eq!(error, json!("agent_fetch: agent: could not fetch 'early.json': no answer within 30 s"));
    assert_eq!(d.exec("return document.querySelectorAll('[data-eventflow]').length", json!([])), json!(0), "no widget");
    println!("agent fetch: a file that never ends is given up after 30 s, with a clear rejection");
}

/// XSS vectors; `XSS` becomes `window.__xss++`, which must never run.
const VECTORS: &[&str] = &[
    "<script>XSS</script>",
    "<img src=x onerror=\"XSS\">",
    "<svg onload=XSS>",
    "<iframe src=\"javascript:XSS\"></iframe>",
    "[click](javascript:XSS)",
    "[click](JaVaScRiPt:XSS)",
    "[click]( javascript:XSS)",
    "[click](javascript&colon;XSS)",
    "[click](&#106;avascript:XSS)",
    "[click](java\tscript:XSS)",
    "[click](vbscript:XSS)",
    "[click](data:text/html,<script>XSS</script>)",
    "![img](javascript:XSS)",
    "<javascript:XSS>",
    "<a href=\"javascript:XSS\">a</a>",
    "<details open ontoggle=XSS>",
    "<body onload=XSS>",
    "\"><script>XSS</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=XSS>",
    "<input autofocus onfocus=XSS>",
    "<object data=\"javascript:XSS\"></object>",
    "<style>@import 'javascript:XSS';</style>",
    "javascript:XSS",
    "` <img src=x onerror=XSS> `",
    "[ok](https://example.com) [mail](mailto:a@example.com) <https://example.com/auto>",
];

/// Only counted files were downloaded from the site before load() resolved (so the size report covers them all),
/// and each as the precompressed `.gz` that `./build.sh size` counts. Their total.
fn check_downloads(d: &Driver, www: &Path, site: &str, counted: &[&str]) -> u64 {
    let fetched = d.exec(
        "const t = performance.getEntriesByName('eventflow:loaded')[0].startTime;
         return performance.getEntriesByType('resource').filter(e => e.startTime < t && e.name.startsWith(arguments[0]))
           .map(e => new URL(e.name).pathname)",
        json!([site]),
    );
    for path in fetched.as_array().into_iter().flatten() {
        let path = path.as_str().unwrap_or_default();
        assert!(
            counted.contains(&path),
            "the page downloaded {path} before load() resolved, and ./build.sh size does not count it"
        );
    }
    let downloaded = d.exec(
        "return performance.getEntriesByType('resource').filter(e => e.name.startsWith(arguments[0]))
           .map(e => [new URL(e.name).pathname, e.encodedBodySize])",
        json!([site]),
    );
    let mut total = 0;
    for path in counted {
        let got = downloaded.as_array().into_iter().flatten().find(|e| e[0] == *path).and_then(|e| e[1].as_u64());
        let want = std::fs::metadata(www.join(format!("{}.gz", &path[1..]))).map(|m| m.len()).ok();
        assert_eq!(got, want, "{path}: bytes downloaded against the size of its .gz");
        total += got.unwrap_or(0);
    }
    total
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Serve `root` on 127.0.0.1 (a free port) from a thread, with no caching so every load downloads everything.
fn serve(root: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let _ = answer(stream, &root);
            });
        }
    });
    port
}

fn answer(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut gzip_ok = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        let h = h.to_ascii_lowercase();
        gzip_ok |= h.starts_with("accept-encoding:") && h.contains("gzip");
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").split(['?', '#']).next().unwrap_or("/");
    let path = if path.ends_with('/') { format!("{path}index.html") } else { path.to_string() };
    // Under `/nowasm/`: the same site without its `pkg/` (the loader's path when the wasm cannot be fetched).
    let (path, hidden) = match path.strip_prefix("/nowasm") {
        Some(rest) => (rest.to_string(), rest.starts_with("/pkg/")),
        None => (path, false),
    };
    // Under `/slow/`: the same site, its wasm modules 3 s late (clicks happen before the widget is ready).
    let path = match path.strip_prefix("/slow") {
        Some(rest) => {
            if rest.ends_with(".wasm") {
                std::thread::sleep(Duration::from_secs(3));
            }
            rest.to_string()
        }
        None => path,
    };
    // Under `/drip/`: the same site, its JSON files sent a byte every half second (an agent file that never ends).
    let (path, drip) = match path.strip_prefix("/drip") {
        Some(rest) => (rest.to_string(), rest.ends_with(".json")),
        None => (path, false),
    };
    let file = root.join(path.trim_start_matches('/'));
    let safe = !path.contains("..") && !hidden;
    // As `./build.sh serve` (and a static host with gzip_static): the precompressed `.gz` beside a file is sent
    // with `Content-Encoding: gzip` to a browser that accepts it.
    let gz = std::fs::read(format!("{}.gz", file.display())).ok().filter(|_| gzip_ok && safe);
    let encoding = if gz.is_some() { "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n" } else { "" };
    let (status, body, kind) = match gz.map_or_else(|| std::fs::read(&file), Ok) {
        Ok(b) if safe => ("200 OK", b, content_type(&file)),
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n{encoding}Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if drip {
        for b in body {
            stream.write_all(&[b])?;
            stream.flush()?;
            std::thread::sleep(Duration::from_millis(500));
        }
        return Ok(());
    }
    stream.write_all(&body)?;
    stream.flush()
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("css") => "text/css",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// A chromedriver process and one browser session.
struct Driver {
    child: Child,
    url: String,
    http: ureq::Agent,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("address").port();
        let exe = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let child = Command::new(&exe)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {exe}: {e}"));
        let http = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = std::env::temp_dir().join(format!("eventflow-e2e-{}-{port}", std::process::id()));
        let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": browser,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                     format!("--user-data-dir={}", profile.display()), "--window-size=1280,800"] } } } });
        let mut d = Driver { child, url: base, http, _profile: TempDir(profile) };
        let session = d.call("POST", "/session", Some(caps));
        let id = session["sessionId"].as_str().expect("a WebDriver session id").to_string();
        d.url = format!("{}/session/{id}", d.url);
        d.call("POST", "/timeouts", Some(json!({ "script": 30000, "pageLoad": 30000 })));
        d
    }

    /// One WebDriver command; its `value`. A WebDriver error fails the test with its message.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let req = self.http.request(method, &url);
        let res = match body {
            Some(b) => req.set("Content-Type", "application/json").send_string(&eventflow::json::to_string(&b)),
            None => req.call(),
        };
        let text = match res {
            Ok(r) => r.into_string().unwrap_or_default(),
            Err(ureq::Error::Status(code, r)) => {
                let t = r.into_string().unwrap_or_default();
                panic!("WebDriver {method} {path} failed with {code}: {t}");
            }
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        };
        let v: Value = eventflow::json::parse(&text).unwrap_or(Value::Null);
        v.get("value").cloned().unwrap_or(Value::Null)
    }

    fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn exec(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    fn exec_async(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/async", Some(json!({ "script": script, "args": args })))
    }

    fn find(&self, css: &str) -> Value {
        self.call("POST", "/element", Some(json!({ "using": "css selector", "value": css })))
    }

    /// An element inside the widget's shadow root.
    fn shadow_find(&self, css: &str) -> Value {
        let host = self.find("[data-eventflow]");
        let id = element_id(&host);
        let root = self.call("GET", &format!("/element/{id}/shadow"), None);
        let root_id =
            root.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).unwrap_or_default().to_string();
        self.call("POST", &format!("/shadow/{root_id}/element"), Some(json!({ "using": "css selector", "value": css })))
    }

    fn click(&self, el: &Value) {
        self.call("POST", &format!("/element/{}/click", element_id(el)), Some(json!({})));
    }

    fn type_text(&self, el: &Value, text: &str) {
        self.call("POST", &format!("/element/{}/value", element_id(el)), Some(json!({ "text": text })));
    }

    fn set_window(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", Some(json!({ "width": width, "height": height })));
    }

    fn screenshot(&self, path: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        let png = base64_decode(b64.as_str().unwrap_or_default());
        std::fs::write(path, png).expect("write the screenshot");
        println!("screenshot: {}", path.display());
    }

    /// Poll a script until it returns something truthy; fail with `what` after 20 s.
    fn wait_until(&self, what: &str, script: &str) -> Value {
        self.wait_until_for(what, Duration::from_secs(20), script)
    }

    /// [`Driver::wait_until`] with another deadline.
    fn wait_until_for(&self, what: &str, limit: Duration, script: &str) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let v = self.exec(script, json!([]));
            if !matches!(v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("") {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Load `url` 10 times, each fresh (storage cleared), and print the time from navigation to `load()`
    /// resolved: its median, which it returns, and the range.
    fn load_times(&self, what: &str, url: &str) -> f64 {
        let mut times = Vec::new();
        for _ in 0..10 {
            self.exec("localStorage.clear()", json!([]));
            self.goto(url);
            self.wait_loaded();
            let t = self.exec("return performance.getEntriesByName('eventflow:loaded')[0].startTime", json!([]));
            times.push(t.as_f64().unwrap_or(f64::NAN));
        }
        times.sort_by(f64::total_cmp);
        let median = (times[4] + times[5]) / 2.0;
        println!("{what}: median {median:.1} ms over 10 loads (min {:.1}, max {:.1})", times[0], times[9]);
        median
    }

    fn wait_loaded(&self) {
        self.wait_until("load() to resolve", "return performance.getEntriesByName('eventflow:loaded').length");
    }

    /// Wait until the chat log contains every one of `texts`.
    fn wait_text(&self, what: &str, texts: &[&str]) {
        let script = "const h = document.querySelector('[data-eventflow]');
                      const log = h && h.shadowRoot && h.shadowRoot.querySelector('.ef-log');
                      const t = log ? log.textContent : '';
                      return arguments[0].every(s => t.includes(s));";
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.exec(script, json!([texts])) == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                let log = self.exec(
                    "const h = document.querySelector('[data-eventflow]'); return h ? h.shadowRoot.querySelector('.ef-log').textContent : 'no widget'",
                    json!([]),
                );
                panic!("timed out waiting for {what}: {texts:?} not all in the chat log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The text of the chat log.
    fn log_text(&self) -> String {
        let v = self.exec(
            "const h = document.querySelector('[data-eventflow]'); return h ? h.shadowRoot.querySelector('.ef-log').textContent : ''",
            json!([]),
        );
        v.as_str().unwrap_or_default().to_string()
    }

    /// The texts of the user's bubbles, in order.
    fn user_bubbles(&self) -> Vec<String> {
        let v = self.exec(
            "return [...document.querySelector('[data-eventflow]').shadowRoot.querySelectorAll('.ef-user .ef-bubble')].map(b => b.textContent)",
            json!([]),
        );
        v.as_array().into_iter().flatten().filter_map(|b| b.as_str().map(str::to_string)).collect()
    }

    /// Open a new tab and make it current; its handle. The first tab's handle is [`Driver::tab`] before this.
    fn new_tab(&self) -> String {
        let v = self.call("POST", "/window/new", Some(json!({ "type": "tab" })));
        let handle = v["handle"].as_str().expect("a window handle").to_string();
        self.switch_to(&handle);
        handle
    }

    fn tab(&self) -> String {
        self.call("GET", "/window", None).as_str().expect("a window handle").to_string()
    }

    fn switch_to(&self, handle: &str) {
        self.call("POST", "/window", Some(json!({ "handle": handle })));
    }

    /// Wait until no typing delay is running (every message shown) and no animation is playing.
    fn wait_idle(&self) {
        self.wait_until(
            "the chat to show every message",
            "const r = document.querySelector('[data-eventflow]').shadowRoot;
             return r.querySelector('.ef-typing').hidden && r.getAnimations().length === 0",
        );
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.url).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn element_id(el: &Value) -> String {
    el.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("a WebDriver element").to_string()
}

fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
