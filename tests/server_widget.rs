//! Voiceflow's own widget, unchanged, against our server in headless Chromium (issue 12: "Voiceflow's own widget
//! must work unchanged against our server, through the public routes and CORS").
//!
//! The page (from a server of this test, so the widget's calls to ours are cross-origin) loads the legacy
//! widget's `bundle.mjs` from npm (`@voiceflow/react-chat`; `./build.sh test` fetches it and sets
//! EVENTFLOW_VOICEFLOW_BUNDLE), opens the chat, waits for the agent's greeting, clicks a button and waits for the
//! answer, then writes what it saw into the document, which Chromium prints (`--dump-dom`).
#![cfg(not(target_arch = "wasm32"))]

mod server_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

use serde_json::Value;
use server_support::*;

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Voiceflow's widget on eventflow</title></head>
<body>
<script src="/bundle.mjs"></script>
<script>
const server = new URLSearchParams(location.search).get('server');
const root = () => document.getElementById('voiceflow-chat').shadowRoot;
const text = () => { try { return root().textContent; } catch (e) { return ''; } };
const until = (what, f) => new Promise((ok, no) => {
  const start = Date.now();
  (function poll() {
    let v; try { v = f(); } catch (e) {}
    if (v) return ok(v);
    if (Date.now() - start > 15000) return no(new Error('timed out waiting for ' + what));
    setTimeout(poll, 50);
  })();
});
const report = (r) => document.body.setAttribute('data-result', JSON.stringify(r));
window.voiceflow.chat.load({
  verify: { projectID: 'counter' }, url: server, versionID: 'production', userID: 'vf-widget',
  assistant: { persistence: 'memory' },
}).then(async () => {
  window.voiceflow.chat.open();
  await until('the greeting', () => text().includes('hello') && text().includes('Ready?'));
  const yes = await until('the Yes button',
    () => [...root().querySelectorAll('button')].find(b => b.textContent.trim() === 'Yes'));
  yes.click();
  await until('the answer', () => text().includes('yes!'));
  report({ ok: true, text: text() });
}).catch(e => report({ ok: false, error: String(e), text: text() }));
</script>
</body></html>"#;

/// Serve the page and the bundle from a thread on a free port.
fn serve_page(bundle: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut line = String::new();
            let Ok(reader) = stream.try_clone() else { continue };
            let mut reader = BufReader::new(reader);
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let (kind, body) = if line.starts_with("GET /bundle.mjs") {
                ("text/javascript", bundle.as_slice())
            } else {
                ("text/html; charset=utf-8", PAGE.as_bytes())
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
        }
    });
    port
}

/// The `data-result` attribute of the printed document, unescaped.
fn result_of(dom: &str) -> Option<Value> {
    let start = dom.find("data-result=\"")? + "data-result=\"".len();
    let raw = &dom[start..start + dom[start..].find('"')?];
    let json = raw.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    serde_json::from_str(&json).ok()
}

#[tokio::test]
#[ignore = "needs Chromium and Voiceflow's widget bundle: ./build.sh test fetches it"]
async fn voiceflows_widget_talks_to_the_server_unchanged() {
    let bundle_path = std::env::var("EVENTFLOW_VOICEFLOW_BUNDLE").expect(
        "EVENTFLOW_VOICEFLOW_BUNDLE (the path of @voiceflow/react-chat's dist/bundle.mjs): ./build.sh test sets it",
    );
    let bundle = std::fs::read(&bundle_path).unwrap_or_else(|e| panic!("{bundle_path}: {e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store").display().to_string();
    let s = Server::start(&[&counter(), "--store", &store, "--api-key", KEY]);
    let port = serve_page(bundle);
    let page = format!("http://127.0.0.1:{port}/?server={}", s.base);
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let profile = dir.path().join("profile");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            .args(["--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--virtual-time-budget=30000", "--dump-dom", &page])
            .output()
            .expect("run chromium")
    })
    .await
    .expect("chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = result_of(&dom).unwrap_or_else(|| {
        panic!("the page wrote no result:\n{dom}\n{}\nserver log:\n{}", String::from_utf8_lossy(&out.stderr), s.log())
    });
    assert_eq!(result["ok"], true, "{result}\nserver log:\n{}", s.log());

    // The server kept the conversation, and the client details the widget announced after its first turn.
    let state = send(client().get(s.url("/state/user/vf-widget")).bearer_auth(KEY)).await;
    assert_eq!(state.status, 200, "{}", state.text);
    let entries = state.json["transcript"]["entries"].as_array().expect("entries").clone();
    let said: Vec<&str> = entries.iter().filter_map(|e| e["text"].as_str()).collect();
    for words in ["hello", "Ready?", "Yes", "yes!"] {
        assert!(said.contains(&words), "{words} is not in the transcript: {said:?}");
    }
    assert!(
        entries.iter().any(|e| e["content"]["type"] == "client"),
        "no client entry from POST /public/counter/transcripts: {entries:?}"
    );
}
