//! The webhook calls a `webhook` step asks for, made as the CLI makes them: the step's method, URL, headers and
//! JSON body, within its time limit (and within what is left of the turn's budget), the answer handed back to the
//! engine whatever its status.

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};

use crate::engine::{WebhookCall, WebhookOutcome};
use crate::json;

/// The largest webhook answer read; a longer one fails the call.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

pub async fn call(http: &reqwest::Client, w: &WebhookCall, budget: Duration) -> WebhookOutcome {
    let limit = Duration::from_millis(w.timeout_ms).min(budget);
    if limit.is_zero() {
        return WebhookOutcome::Timeout;
    }
    match tokio::time::timeout(limit, send(http, w)).await {
        Ok(outcome) => outcome,
        Err(_) => WebhookOutcome::Timeout,
    }
}

async fn send(http: &reqwest::Client, w: &WebhookCall) -> WebhookOutcome {
    let method = match reqwest::Method::from_bytes(w.method.to_ascii_uppercase().as_bytes()) {
        Ok(m) => m,
        Err(_) => return WebhookOutcome::Failed(format!("'{}' is not an HTTP method", w.method)),
    };
    let mut request = http.request(method, &w.url).header(ACCEPT, "application/json");
    for (name, value) in &w.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &w.body {
        request = request.header(CONTENT_TYPE, "application/json").body(json::to_string(body));
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return WebhookOutcome::Failed(describe(&e)),
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return WebhookOutcome::Failed(format!("the answer is over {MAX_ANSWER_BYTES} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return WebhookOutcome::Failed(format!("reading the answer failed: {}", describe(&e))),
        }
    }
    match String::from_utf8(body) {
        Ok(body) => WebhookOutcome::Response { status, body },
        Err(_) => WebhookOutcome::Failed("the answer is not UTF-8 text".into()),
    }
}

/// reqwest's error with its causes ("error sending request: connection refused").
fn describe(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}
