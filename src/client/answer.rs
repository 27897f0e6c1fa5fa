//! What a runtime's HTTP answer means: the traces of a turn, a failure worth retrying, or a final failure.
//!
//! The public Dialog API route answers `{"trace": [...]}` (a bare array, as the keyed route sends, is read too).
//! 408, 429 and 5xx mean the turn did not run or its answer was lost, so it is retried; any other 4xx is the
//! runtime refusing the request, which retrying cannot change. A 2xx that is not a trace list (an HTML page from a
//! proxy, JSON cut short, an object without `trace`) is a clear error, never a crash, and never silently empty.

use crate::json::{self, Value};
use crate::wire::Trace;

use super::Code;

/// The meaning of one answer to a turn.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The turn ran: its traces, in order.
    Traces(Vec<Trace>),
    /// Worth another attempt: the runtime was busy or failing. `after_ms` is its `Retry-After`.
    Retry { code: Code, message: String, after_ms: Option<u64> },
    /// No automatic retry: the request was refused or the answer cannot be read.
    Fail { code: Code, message: String },
}

/// Read the answer to a turn: its HTTP `status`, `Content-Type`, body and `Retry-After` (in ms).
pub fn turn(status: u16, content_type: &str, body: &str, retry_after_ms: Option<u64>) -> Outcome {
    if (200..=299).contains(&status) {
        return match read_traces(content_type, body) {
            Ok(traces) => Outcome::Traces(traces),
            Err(message) => Outcome::Fail { code: Code::BadAnswer, message },
        };
    }
    match failed(status, content_type, body) {
        (Code::Unavailable, message) => Outcome::Retry { code: Code::Unavailable, message, after_ms: retry_after_ms },
        (code, message) => Outcome::Fail { code, message },
    }
}

/// What an answer that is not 2xx means: 408, 429 and 5xx that the runtime is busy or failing
/// ([`Code::Unavailable`]), any other status that it refused the request ([`Code::Refused`]); with the runtime's
/// reason.
pub fn failed(status: u16, content_type: &str, body: &str) -> (Code, String) {
    match status {
        408 | 429 | 500..=599 => (Code::Unavailable, failure("the runtime answered", status, content_type, body)),
        _ => (Code::Refused, failure("the runtime refused the request", status, content_type, body)),
    }
}

/// The traces of a JSON answer or stream item: `{"trace": [...]}` or a bare list.
pub fn traces(v: Value) -> Result<Vec<Trace>, String> {
    let list = match v {
        Value::Array(list) => list,
        Value::Object(mut o) => match json::take(&mut o, "trace") {
            Some(Value::Array(list)) => list,
            _ => return Err("the answer has no trace list (expected {\"trace\": [...]})".into()),
        },
        other => return Err(format!("the answer is a JSON {}, not a trace list", other.kind())),
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, t) in list.into_iter().enumerate() {
        out.push(Trace::from_value(t).map_err(|e| format!("trace {i} of the answer: {e}"))?);
    }
    Ok(out)
}

fn read_traces(content_type: &str, body: &str) -> Result<Vec<Trace>, String> {
    match json::parse(body) {
        Ok(v) => traces(v),
        Err(_) if is_html(content_type, body) => Err("the runtime answered with a web page, not JSON".into()),
        Err(e) => Err(format!("the runtime's answer is not JSON ({e})")),
    }
}

fn is_html(content_type: &str, body: &str) -> bool {
    content_type.as_bytes().windows(4).any(|w| w.eq_ignore_ascii_case(b"html")) || body.trim_start().starts_with('<')
}

/// `"{what} {status}"`, then the runtime's own explanation when it gave one.
fn failure(what: &str, status: u16, content_type: &str, body: &str) -> String {
    let mut message = format!("{what} {status}");
    if let Some(reason) = reason(content_type, body) {
        message.push_str(": ");
        message.push_str(&reason);
    }
    message
}

/// The runtime's explanation of a failure: `{"error": {"code", "message"}}` (our server), `{"message"}`
/// (Voiceflow's `verror`), `{"error": "..."}`, or a short plain-text body. An HTML page says nothing useful.
fn reason(content_type: &str, body: &str) -> Option<String> {
    if let Ok(v) = json::parse(body) {
        let error = v.get("error");
        let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
        let message = error
            .and_then(|e| e.get("message").or(Some(e)))
            .and_then(Value::as_str)
            .or_else(|| v.get("message").and_then(Value::as_str));
        return match (code, message) {
            (Some(c), Some(m)) => Some(format!("{} ({})", short(m), short(c))),
            (None, Some(m)) => Some(short(m)),
            _ => None,
        };
    }
    let text = body.trim();
    (!text.is_empty() && !is_html(content_type, body)).then(|| short(text))
}

/// At most 200 characters of one line: a runtime's message goes into the chat.
fn short(s: &str) -> String {
    let line = s.split(['\r', '\n']).next().unwrap_or_default();
    match line.char_indices().nth(200) {
        // `end` is a char boundary found in `line`: `get` never fails.
        Some((end, _)) => format!("{}…", line.get(..end).unwrap_or_default()),
        None => line.to_string(),
    }
}

/// A publishing answer (`GET {url}/public/{projectID}/publishing`): the assistant options it holds.
pub fn publishing(status: u16, body: &str) -> Result<json::Map<String, Value>, String> {
    if !(200..=299).contains(&status) {
        return Err(failure("the runtime answered", status, "", body));
    }
    match json::parse(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(v) => Err(format!("the publishing answer is a JSON {}, not an object", v.kind())),
        Err(e) => Err(format!("the publishing answer is not JSON ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::TraceKind;

    /// What the Voiceflow runtime answered for a launch (reference/voiceflow-runtime-answers.md).
    const LAUNCH: &str = r#"{"trace":[{"time":1795358740106,"type":"text","payload":{"slate":{"id":"u22mdok","content":[{"children":[{"text":"Hello"}]}],"messageDelayMilliseconds":1000},"message":"Hello","delay":1000}},{"time":1795358740107,"type":"choice","payload":{"buttons":[{"name":"Yes","request":{"type":"path-yes0001","payload":{"label":"Yes","actions":[]}}},{"name":"No","request":{"type":"path-no00001","payload":{"label":"No","actions":[]}}}]}}]}"#;

    #[test]
    fn voiceflow_answers_are_read_as_traces() {
        let Outcome::Traces(t) = turn(200, "application/json; charset=utf-8", LAUNCH, None) else { panic!() };
        assert_eq!(t.len(), 2);
        assert!(matches!(&t[0].kind, TraceKind::Text(p) if p.message == "Hello" && p.delay == 1000));
        assert!(matches!(&t[1].kind, TraceKind::Choice(c) if c.buttons.len() == 2));
        assert_eq!(turn(200, "application/json", r#"{"trace":[]}"#, None), Outcome::Traces(vec![]));
        let Outcome::Traces(t) = turn(200, "", r#"[{"type":"end"},{"type":"map_pin","payload":{"x":1}}]"#, None) else {
            panic!()
        };
        assert!(matches!(&t[1].kind, TraceKind::Custom { kind, .. } if kind == "map_pin"));
    }

    #[test]
    fn malformed_answers_are_clear_errors() {
        let bad = |ct: &str, body: &str| match turn(200, ct, body, None) {
            Outcome::Fail { code: Code::BadAnswer, message } => message,
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(
            bad("text/html", "<!doctype html><h1>Bad gateway</h1>"),
            "the runtime answered with a web page, not JSON"
        );
        assert_eq!(bad("", "  <html>"), "the runtime answered with a web page, not JSON");
        assert!(
            bad("application/json", r#"{"trace":[{"type":"te"#).starts_with("the runtime's answer is not JSON (EOF")
        );
        assert_eq!(
            bad("application/json", r#"{"traces":[]}"#),
            "the answer has no trace list (expected {\"trace\": [...]})"
        );
        assert_eq!(bad("application/json", "42"), "the answer is a JSON number, not a trace list");
        assert_eq!(
            bad("application/json", r#"{"trace":[{"type":"text"},7]}"#),
            "trace 1 of the answer: a trace must be a JSON object"
        );
        assert_eq!(
            bad("application/json", r#"{"trace":[{"payload":{}}]}"#),
            "trace 0 of the answer: a trace needs a string 'type'"
        );
    }

    #[test]
    fn busy_and_failing_runtimes_are_retried() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(
                    turn(status, "text/html", "<html>", Some(3000)),
                    Outcome::Retry { code: Code::Unavailable, after_ms: Some(3000), .. }
                ),
                "{status}"
            );
        }
        let Outcome::Retry { message, .. } =
            turn(503, "application/json", r#"{"error":{"code":"busy","message":"try later"}}"#, None)
        else {
            panic!()
        };
        assert_eq!(message, "the runtime answered 503: try later (busy)");
    }

    #[test]
    fn other_4xx_are_refusals_with_the_runtimes_reason() {
        let refused = |status, body: &str| match turn(status, "", body, None) {
            Outcome::Fail { code: Code::Refused, message } => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(400, r#"{"name":"verror","message":"Missing versionID in request","requestID":"13"}"#),
            "the runtime refused the request 400: Missing versionID in request"
        );
        assert_eq!(
            refused(404, r#"{"error":{"code":"unknown_project","message":"no project 'x'"}}"#),
            "the runtime refused the request 404: no project 'x' (unknown_project)"
        );
        assert_eq!(refused(401, r#"{"error":"Unauthorized"}"#), "the runtime refused the request 401: Unauthorized");
        assert_eq!(refused(403, "Forbidden\nmore"), "the runtime refused the request 403: Forbidden");
        assert_eq!(refused(413, ""), "the runtime refused the request 413");
        let long = refused(400, &"é".repeat(500));
        assert_eq!(long.chars().count(), "the runtime refused the request 400: ".len() + 201);
    }

    #[test]
    fn publishing_answers() {
        let o = publishing(
            200,
            r##"{"title":"Tiny local agent","color":"#3D82E2","launcher":"","persistence":"localStorage"}"##,
        )
        .unwrap();
        assert_eq!(o.get("title").and_then(Value::as_str), Some("Tiny local agent"));
        assert_eq!(publishing(200, "[]").unwrap_err(), "the publishing answer is a JSON array, not an object");
        assert_eq!(publishing(404, "Not Found").unwrap_err(), "the runtime answered 404: Not Found");
        assert!(publishing(200, "<html>").unwrap_err().starts_with("the publishing answer is not JSON"));
    }
}
