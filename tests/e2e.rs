//! End-to-end: the site in `www/` served over HTTP, driven in headless Chromium through WebDriver.
//!
//! Run after `./build.sh` (which fills `www/pkg/` and `www/agents/`): `cargo test --test e2e -- --ignored`.
//! It needs `chromedriver` and `chromium` (`./build.sh test` installs them). The test serves `www/` from a thread,
//! starts chromedriver on a free port and speaks the W3C WebDriver protocol over HTTP with `ureq`. Every wait
//! polls a condition against a deadline; nothing sleeps and hopes.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eventflow::json;
use eventflow::json::Value;

/// Files the demo page may download before `load()` resolves: exactly what `./build.sh size` counts.
const COUNTED: &[&str] = &["/eventflow.min.js", "/pkg/eventflow_bg.wasm", "/agents/shop.json"];

#[test]
#[ignore = "needs the built site and headless Chromium: run by ./build.sh test"]
fn demo_page_in_headless_chromium() {
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
    assert!(www.join("pkg/eventflow_bg.wasm").exists(), "www/pkg is missing: run ./build.sh first");
    let port = serve(www.clone());
    let site = format!("http://127.0.0.1:{port}");
    let d = Driver::start();

    // 1. The seed 000 snippet, changed only in its script URL (plus `agent`), reaches ready.
    d.goto(&format!("{site}/index.html"));
    d.wait_loaded();
    let api = d.exec("return Object.keys(window.voiceflow.chat).sort().join(',')", json!([]));
    assert_eq!(api, json!("close,destroy,hide,interact,load,off,on,open,proactive,show"));
    // Only counted files were downloaded before load() resolved (so the size report covers them all).
    let fetched = d.exec(
        "const t = performance.getEntriesByName('eventflow:loaded')[0].startTime;
         return performance.getEntriesByType('resource').filter(e => e.startTime < t).map(e => new URL(e.name).pathname)",
        json!([]),
    );
    for path in fetched.as_array().into_iter().flatten() {
        let path = path.as_str().unwrap_or_default();
        assert!(
            COUNTED.contains(&path),
            "the page downloaded {path} before load() resolved, and ./build.sh size does not count it"
        );
    }
    // What the browser downloaded for each counted file is the precompressed `.gz` that `./build.sh size` counts.
    let downloaded = d.exec(
        "return performance.getEntriesByType('resource').map(e => [new URL(e.name).pathname, e.encodedBodySize])",
        json!([]),
    );
    let mut total = 0;
    for path in COUNTED {
        let got = downloaded.as_array().into_iter().flatten().find(|e| e[0] == *path).and_then(|e| e[1].as_u64());
        let want = std::fs::metadata(www.join(format!("{}.gz", &path[1..]))).map(|m| m.len()).ok();
        assert_eq!(got, want, "{path}: bytes downloaded against the size of its .gz");
        total += got.unwrap_or(0);
    }
    println!("downloaded until load() resolved: {total} bytes (gzip)");
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
    let mut times = Vec::new();
    for _ in 0..10 {
        d.exec("localStorage.clear()", json!([]));
        d.goto(&format!("{site}/index.html"));
        d.wait_loaded();
        let t = d.exec("return performance.getEntriesByName('eventflow:loaded')[0].startTime", json!([]));
        times.push(t.as_f64().unwrap_or(f64::NAN));
    }
    times.sort_by(f64::total_cmp);
    let median = (times[4] + times[5]) / 2.0;
    println!(
        "navigation to load() resolved: median {median:.1} ms over 10 loads (min {:.1}, max {:.1})",
        times[0], times[9]
    );
    assert!(median < 10_000.0, "load() took {median} ms");
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
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.exec(script, json!([]));
            if !matches!(v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("") {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(25));
        }
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
