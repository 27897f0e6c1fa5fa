//! Remote mode's live stream (SPEC §7.3, §8.3): `GET {url}/public/{projectID}/state/user/{userID}/stream`,
//! server-sent events whose `id` is a per-session sequence number and whose `data` is `{"trace": [...]}`.
//!
//! It is read with `fetch` (`client::sse` cuts it into events): the widget sees the status, the content type and
//! every byte. It asks for the items after the last one it has shown (`?after=SEQ`), so what was pushed while the
//! page was closed arrives first; an item at or below that number is dropped (`client::session`), so nothing
//! shows twice. A drop reconnects with backoff; no byte for [`SILENT_MS`] (the runtime sends a comment every
//! 15 s) counts as a drop. A runtime without a stream (Voiceflow's: 404, or an answer that is not
//! `text/event-stream`) is left alone for the rest of the page load: no retry loop, and the widget runs
//! Voiceflow's no-reply timer itself.

use std::rc::Weak;

use gloo_timers::future::TimeoutFuture;

use super::http::{self, Failure};
use super::remote::{Remote, MAX_ANSWER};
use super::timeout;
use crate::client::answer;
use crate::client::retry::{self, Policy};
use crate::client::sse::{Event, Parser};

/// With no byte for this long, the connection is taken for dead (three missed heartbeats and some).
const SILENT_MS: u32 = 50_000;

/// The time limit to get the stream's headers.
const CONNECT_MS: u32 = 20_000;

/// Reconnection: 1 s doubling to 30 s, for as long as the page lives.
const RECONNECT: Policy = Policy { retries: u32::MAX, base_ms: 1_000, cap_ms: 30_000, max_after_ms: 300_000 };

/// What one connection ended with.
enum End {
    /// Reconnect after the backoff (with the runtime's `Retry-After`, if any).
    Retry(Option<u64>),
    /// The runtime has no stream, or refuses it: stop for this page load.
    Stop,
}

/// Keep the stream open until the chat is destroyed or the runtime turns out to have none.
pub(super) async fn run(me: Weak<Remote>) {
    let mut retry = 0;
    let mut hint = None;
    loop {
        let Some(remote) = me.upgrade() else { return };
        if remote.stopped.get() {
            return;
        }
        let url = {
            let s = crate::web::br(&remote.session);
            remote.options.routes.stream(&s.user_id, s.last_seq)
        };
        let req = http::Request {
            method: "GET",
            url: &url,
            headers: &[("accept", "text/event-stream")],
            body: None,
            timeout_ms: CONNECT_MS,
        };
        let call = http::Call::start(&req);
        let tracked = remote.track(call.as_ref().ok().map(http::Call::controller));
        drop(remote);
        let mut parser = Parser::new(MAX_ANSWER);
        let end = match call {
            Ok(call) => connection(&me, call, &mut parser, &mut retry).await,
            Err(_) => End::Retry(None),
        };
        hint = parser.retry_ms.or(hint);
        let Some(remote) = me.upgrade() else { return };
        remote.untrack(tracked.as_ref());
        let wait = match end {
            End::Stop => return,
            End::Retry(after) => {
                retry += 1;
                let policy = Policy { base_ms: hint.unwrap_or(RECONNECT.base_ms).max(100), ..RECONNECT };
                policy.wait(retry, js_sys::Math::random(), after)
            }
        };
        drop(remote);
        let Some(ms) = wait else { return };
        TimeoutFuture::new(ms.min(i32::MAX as u64) as u32).await;
    }
}

/// One connection: its answer, then its items until it drops.
async fn connection(me: &Weak<Remote>, mut call: http::Call, parser: &mut Parser, retry: &mut u32) -> End {
    let head = match call.head().await {
        Ok(head) => head,
        Err(_) => return End::Retry(None),
    };
    let event_stream = head.content_type.to_ascii_lowercase().starts_with("text/event-stream");
    match head.status {
        200..=299 if event_stream => {}
        408 | 429 | 500..=599 => {
            return End::Retry(head.retry_after.as_deref().and_then(|v| retry::retry_after(v, super::now_ms())))
        }
        status => {
            // 404 or not a stream: Voiceflow's runtime. Anything else: the runtime refuses it.
            if status != 404 && !(200..=299).contains(&status) {
                let warning = format!("eventflow: the runtime refused the live stream ({status}); pushed messages will show after a reload");
                web_sys::console::warn_1(&warning.into());
            }
            return End::Stop;
        }
    }
    call.stop_timer();
    *retry = 0;
    if let Some(remote) = me.upgrade() {
        remote.stream_live.set(true);
    }
    let body = call.body(&head);
    let mut events = Vec::new();
    loop {
        // The watchdog: aborted unless a chunk comes in time.
        let controller = call.controller().clone();
        let watchdog = timeout(SILENT_MS, Box::new(move || controller.abort()));
        let chunk = body.chunk(&call).await;
        drop(watchdog);
        let chunk = match chunk {
            Ok(Some(chunk)) => chunk,
            Ok(None) | Err(Failure::Network(_) | Failure::Timeout | Failure::TooLarge) => return End::Retry(None),
        };
        if parser.feed(&chunk, &mut events).is_err() {
            web_sys::console::warn_1(
                &"eventflow: the live stream sent an item over the size limit; reconnecting".into(),
            );
            body.cancel();
            return End::Retry(None);
        }
        for event in events.drain(..) {
            let Some(remote) = me.upgrade() else { return End::Stop };
            if remote.stopped.get() {
                return End::Stop;
            }
            item(&remote, event);
        }
    }
}

/// One stream event: a `trace` item is handed to the widget with its sequence number.
fn item(remote: &Remote, event: Event) {
    if event.kind != "trace" {
        return;
    }
    let Ok(seq) = event.id.parse::<u64>() else {
        let warning =
            format!("eventflow: a live stream item without a sequence number (id '{}') was ignored", event.id);
        web_sys::console::warn_1(&warning.into());
        return;
    };
    let traces = match crate::json::parse(&event.data).map_err(|e| e.to_string()).and_then(answer::traces) {
        Ok(traces) => traces,
        Err(e) => {
            // Its number is kept as seen: the same unreadable item is not asked for again.
            web_sys::console::warn_1(&format!("eventflow: live stream item {seq} could not be read: {e}").into());
            Vec::new()
        }
    };
    let me = remote.me.clone();
    remote.change(Box::new(move || me.upgrade().map(|r| r.pushed(seq, traces)).unwrap_or_default()));
}
