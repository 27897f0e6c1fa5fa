//! Server-side timers: no-reply timeouts, `delay` steps and scheduled events of sessions with a live stream fire
//! here, and what they say goes to the stream.
//!
//! The store indexes each session's next timer, so a restart finds every pending one. The scheduler sleeps until
//! the earliest (or until a turn sets an earlier one), then fires each due session as a turn of its own, under the
//! session's lock: with several processes on one store each one may try, and the first to get the lock fires it;
//! the others find nothing due. With a shared store another process may set a timer this one does not hear of,
//! so the index is also read every [`POLL`].

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::now_ms;
use super::runner::{Op, Server};
use super::store::project_of;

/// How often a shared store's timers index is read even when no turn here set a timer.
const POLL: Duration = Duration::from_millis(500);
/// How long the scheduler sleeps at most with the embedded store (a turn wakes it for an earlier timer).
const IDLE: Duration = Duration::from_secs(60);
/// The pause before firing again sessions whose firing failed.
const RETRY: Duration = Duration::from_secs(1);
/// Sessions fired per round, at most, and at once.
const BATCH: usize = 64;

pub async fn run(server: Arc<Server>) {
    let mut stopping = server.stopping();
    loop {
        let now = now_ms();
        let mut next: Option<u64> = None;
        let mut full = false;
        let mut firing = JoinSet::new();
        for project in server.projects.keys() {
            match server.store.due(project, now, BATCH).await {
                Ok(keys) => {
                    full |= keys.len() == BATCH;
                    for key in keys {
                        let server = server.clone();
                        firing.spawn(async move { fire(&server, &key).await });
                    }
                }
                Err(e) => tracing::warn!("timers of {project}: {e}"),
            }
        }
        let mut failed = false;
        while let Some(fired) = firing.join_next().await {
            failed |= !fired.unwrap_or(false);
        }
        if full && !failed {
            continue;
        }
        for project in server.projects.keys() {
            if let Ok(Some(at)) = server.store.next_wake(project).await {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        let limit = if server.store.shared() { POLL } else { IDLE };
        let mut wait = next.map_or(limit, |at| Duration::from_millis(at.saturating_sub(now_ms())).min(limit));
        if failed {
            // A session that could not be fired is due still: try again, but not in a busy loop.
            wait = wait.max(RETRY);
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = server.timers.notified() => {}
            _ = stopping.changed() => return,
        }
    }
}

/// Fire a session's due timers; false when that failed.
async fn fire(server: &Arc<Server>, key: &str) -> bool {
    let project = project_of(key);
    let Some(user) = key.get(project.len() + 1..) else { return true };
    match server.run(project, user, None, Op::Fire).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!("timers of {key}: {}", e.message);
            false
        }
    }
}
