//! The live stream: `GET /public/{projectID}/state/user/{userID}/stream`, server-sent events.
//!
//! Each item is `id: <seq>`, `event: trace`, `data: {"trace": [...]}`: what one inbound event or one timer firing
//! said, read from the session's stored log. A client resumes after the last item it has with `Last-Event-ID`
//! (EventSource sends it by itself) or `?after=SEQ` and gets every later item once; with neither it gets every
//! item kept. A wake-up (from this process or, through the store, from another) makes the stream read the log
//! again; so does a quiet [`RECHECK`], in case a wake-up was lost. `: ping` comments every 15 s keep proxies and
//! clients from timing out; the answer is never compressed (tower-http's compression leaves
//! `text/event-stream` alone).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::error::ApiError;
use super::runner::{check_user, session_key, Op, Shared};

/// Items read from the log at once.
const PAGE: usize = 256;
/// How long a stream waits without a wake-up before it reads the log anyway.
const RECHECK: Duration = Duration::from_secs(15);
/// The reconnection delay suggested to EventSource.
const RETRY: Duration = Duration::from_secs(2);
pub const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(serde::Deserialize)]
pub struct Cursor {
    after: Option<String>,
}

pub async fn stream(
    State(s): State<Shared>,
    Path((project, user)): Path<(String, String)>,
    Query(cursor): Query<Cursor>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.engine(&project)?;
    check_user(&user)?;
    let after = resume_after(&headers, cursor.after.as_deref())?;
    let key = session_key(&project, &user);
    // The first stream of a session hands its timers to the server (docs/server.md, "Timers").
    let record = s.store.peek(&key).await;
    if !record.is_ok_and(|r| r.live) {
        s.run(&project, &user, None, Op::Live).await?;
    }
    let wake = s.hub.subscribe(&key);
    let (tx, rx) = mpsc::channel(PAGE);
    tokio::spawn(feed(s, key, after, wake, tx));
    let sse = Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(HEARTBEAT).text(" ping"));
    let mut response = sse.into_response();
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `Last-Event-ID` wins over `?after=`: it is what a reconnecting EventSource knows last.
fn resume_after(headers: &HeaderMap, after: Option<&str>) -> Result<u64, ApiError> {
    let (name, value) = match headers.get("last-event-id") {
        Some(v) => ("Last-Event-ID", v.to_str().unwrap_or("?").trim()),
        None => match after {
            Some(a) => ("after", a.trim()),
            None => return Ok(0),
        },
    };
    if value.is_empty() {
        return Ok(0);
    }
    value.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_cursor",
            format!("{name} must be a sequence number (a whole number), not '{value}'"),
        )
    })
}

type Sender = mpsc::Sender<Result<Event, Infallible>>;

/// Send the stored items after `last`, then each new one as it is stored, until the client or the server goes.
async fn feed(s: Shared, key: String, mut last: u64, mut wake: tokio::sync::watch::Receiver<u64>, tx: Sender) {
    let mut stopping = s.stopping();
    if tx.send(Ok(Event::default().retry(RETRY))).await.is_ok() {
        'stream: loop {
            // Seen before reading, so a wake-up during the read is not lost.
            wake.borrow_and_update();
            match s.store.log_after(&key, last, PAGE).await {
                Ok(items) => {
                    let full = items.len() == PAGE;
                    for item in items {
                        let event = Event::default().id(item.seq.to_string()).event("trace").data(item.data);
                        if tx.send(Ok(event)).await.is_err() {
                            break 'stream;
                        }
                        last = item.seq;
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) => tracing::warn!("stream of {key}: {e}"),
            }
            tokio::select! {
                changed = wake.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(RECHECK) => {}
                _ = tx.closed() => break,
                _ = stopping.changed() => break,
            }
        }
    }
    drop(wake);
    s.hub.release(&key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors() {
        let mut h = HeaderMap::new();
        assert_eq!(resume_after(&h, None), Ok(0));
        assert_eq!(resume_after(&h, Some("7")), Ok(7));
        assert_eq!(resume_after(&h, Some("")), Ok(0));
        assert_eq!(resume_after(&h, Some("x")).unwrap_err().code, "invalid_cursor");
        h.insert("last-event-id", HeaderValue::from_static("12"));
        assert_eq!(resume_after(&h, Some("7")), Ok(12));
        h.insert("last-event-id", HeaderValue::from_static("-1"));
        assert!(resume_after(&h, None).is_err());
    }
}
