//! Where sessions live: the embedded store (redb, one process) or a shared one (Redis, PostgreSQL, any number of
//! processes). All three keep the same things per session key (`{projectID}/{userID}`):
//!
//! - the record: the store version (+1 per commit, checked by every commit), the engine session without its
//!   transcript (its last entry only, which the engine numbers the next one from), the last stream sequence
//!   number, whether a live stream was ever opened, the remembered idempotency keys and the next timer;
//! - the transcript, one row per entry, appended to and never rewritten by a turn;
//! - the stream log: the items pushed to the live stream, by sequence number (the last [`LOG_KEEP`]);
//! - the stored answers of keyed requests;
//! - a per-project index of when each session's next timer is due.
//!
//! A turn is [`Store::begin`] (take the session's lease and read its record), then [`Store::commit`] (write it all
//! at once, if the version is still the one read, and give the lease back) or [`Store::abandon`].

mod embedded;
mod postgres;
mod redis;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::hub::Hub;

/// The items of a session's stream log that are kept; older ones are dropped as new ones come.
pub const LOG_KEEP: u64 = 1000;

/// `--store`: a directory (the embedded store), `redis://...` or `postgres://...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    Dir(PathBuf),
    Redis(String),
    Postgres(String),
}

impl StoreSpec {
    pub fn parse(s: &str) -> StoreSpec {
        if s.starts_with("redis://") || s.starts_with("rediss://") {
            StoreSpec::Redis(s.to_string())
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            StoreSpec::Postgres(s.to_string())
        } else {
            StoreSpec::Dir(PathBuf::from(s))
        }
    }
}

/// Shown at start-up: a URL without its password.
impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Dir(d) => write!(f, "embedded in {}", d.display()),
            StoreSpec::Redis(u) | StoreSpec::Postgres(u) => f.write_str(&without_password(u)),
        }
    }
}

fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the session longer than the wait allows.
    #[error("the session is busy")]
    Busy,
    /// The session changed since it was read (a lease ran out): nothing was written.
    #[error("the session changed while this request ran; nothing was saved")]
    Conflict,
    #[error("{0}")]
    Failed(String),
}

impl StoreError {
    pub fn failed(e: impl fmt::Display) -> StoreError {
        StoreError::Failed(e.to_string())
    }
}

/// What the store keeps about one session, besides its rows of transcript, log and answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// 0 when nothing is stored; +1 at each commit.
    pub version: u64,
    /// The engine session's JSON, its transcript cut to the last entry. `None` before the first turn and after a
    /// DELETE.
    pub session: Option<String>,
    /// The last sequence number given to a stream item; never reused, not even after a DELETE.
    pub seq: u64,
    /// A live stream was opened for this session: the server fires its timers (see `docs/server.md`).
    pub live: bool,
    /// The idempotency keys whose answers are kept, oldest first.
    pub idem: Vec<String>,
    /// When the next timer fires (epoch ms), if the server fires this session's timers.
    pub wake: Option<u64>,
}

/// Everything one turn writes, at once.
#[derive(Debug, Default)]
pub struct Commit {
    /// The new record; its `version` is the one read plus 1.
    pub record: Record,
    /// Drop every transcript entry first (PUT, DELETE).
    pub reset_transcript: bool,
    /// New transcript entries: (order, entry JSON).
    pub transcript: Vec<(u64, String)>,
    /// Drop the stream log (DELETE).
    pub clear_log: bool,
    pub push: Option<LogItem>,
    /// An answer to keep for an idempotency key.
    pub answer: Option<(String, String)>,
    /// Kept answers to drop.
    pub forget: Vec<String>,
}

/// One item of a session's stream: what the SSE `data:` line carries, `{"trace": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogItem {
    pub seq: u64,
    pub data: String,
}

/// The right to write a session, from [`Store::begin`] to [`Store::commit`] or [`Store::abandon`].
pub enum Lease {
    /// The embedded store has one process: the keyed lock in the process is the whole lock.
    Local,
    Redis(redis::Lease),
    Postgres(Box<postgres::Lease>),
}

pub enum Store {
    Embedded(embedded::Embedded),
    Redis(redis::RedisStore),
    Postgres(postgres::PgStore),
}

impl Store {
    pub async fn open(spec: &StoreSpec) -> Result<Store, StoreError> {
        Ok(match spec {
            StoreSpec::Dir(dir) => Store::Embedded(embedded::Embedded::open(dir)?),
            StoreSpec::Redis(url) => Store::Redis(redis::RedisStore::open(url).await?),
            StoreSpec::Postgres(url) => Store::Postgres(postgres::PgStore::open(url).await?),
        })
    }

    /// Take the session's lease (waiting at most `wait`) and read its record.
    pub async fn begin(&self, key: &str, wait: Duration) -> Result<(Lease, Record), StoreError> {
        match self {
            Store::Embedded(s) => Ok((Lease::Local, s.record(key).await?)),
            Store::Redis(s) => s.begin(key, wait).await.map(|(l, r)| (Lease::Redis(l), r)),
            Store::Postgres(s) => s.begin(key).await.map(|(l, r)| (Lease::Postgres(Box::new(l)), r)),
        }
    }

    /// Write the turn if the record is still at `read_version`, and give the lease back.
    pub async fn commit(&self, key: &str, lease: Lease, read_version: u64, commit: Commit) -> Result<(), StoreError> {
        match (self, lease) {
            (Store::Embedded(s), _) => s.commit(key, read_version, commit).await,
            (Store::Redis(s), Lease::Redis(l)) => s.commit(key, l, read_version, commit).await,
            (Store::Postgres(s), Lease::Postgres(l)) => s.commit(key, *l, read_version, commit).await,
            _ => Err(StoreError::Failed("a lease of another store".into())),
        }
    }

    /// Give the lease back without writing.
    pub async fn abandon(&self, key: &str, lease: Lease) {
        match (self, lease) {
            (Store::Redis(s), Lease::Redis(l)) => s.abandon(key, l).await,
            (Store::Postgres(_), Lease::Postgres(l)) => l.rollback().await,
            _ => {}
        }
    }

    /// The record as committed, without a lease.
    pub async fn peek(&self, key: &str) -> Result<Record, StoreError> {
        match self {
            Store::Embedded(s) => s.record(key).await,
            Store::Redis(s) => s.record(key).await,
            Store::Postgres(s) => s.record(key).await,
        }
    }

    /// The kept answer of an idempotency key.
    pub async fn answer(&self, key: &str, idem: &str) -> Result<Option<String>, StoreError> {
        match self {
            Store::Embedded(s) => s.answer(key, idem).await,
            Store::Redis(s) => s.answer(key, idem).await,
            Store::Postgres(s) => s.answer(key, idem).await,
        }
    }

    /// Every transcript entry's JSON, in order.
    pub async fn transcript(&self, key: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Embedded(s) => s.transcript(key).await,
            Store::Redis(s) => s.transcript(key).await,
            Store::Postgres(s) => s.transcript(key).await,
        }
    }

    /// The stream items after sequence number `after`, at most `limit`, in order.
    pub async fn log_after(&self, key: &str, after: u64, limit: usize) -> Result<Vec<LogItem>, StoreError> {
        match self {
            Store::Embedded(s) => s.log_after(key, after, limit).await,
            Store::Redis(s) => s.log_after(key, after, limit).await,
            Store::Postgres(s) => s.log_after(key, after, limit).await,
        }
    }

    /// Sessions of `project` with a timer due at `now`, at most `limit`, the earliest first.
    pub async fn due(&self, project: &str, now: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Embedded(s) => s.due(project, now, limit).await,
            Store::Redis(s) => s.due(project, now, limit).await,
            Store::Postgres(s) => s.due(project, now, limit).await,
        }
    }

    /// When the earliest timer of `project` is due.
    pub async fn next_wake(&self, project: &str) -> Result<Option<u64>, StoreError> {
        match self {
            Store::Embedded(s) => s.next_wake(project).await,
            Store::Redis(s) => s.next_wake(project).await,
            Store::Postgres(s) => s.next_wake(project).await,
        }
    }

    /// Whether other processes may share this store: then timers are polled for, as another process may have
    /// set one.
    pub fn shared(&self) -> bool {
        !matches!(self, Store::Embedded(_))
    }

    /// Relay other processes' pushes to this process's streams (Redis pub/sub, PostgreSQL LISTEN).
    pub fn listen(&self, hub: Arc<Hub>) {
        match self {
            Store::Embedded(_) => {}
            Store::Redis(s) => s.listen(hub),
            Store::Postgres(s) => s.listen(hub),
        }
    }

    /// Finish the writes in flight (the embedded store's writer thread).
    pub async fn close(&self) {
        if let Store::Embedded(s) = self {
            s.close().await;
        }
    }
}

/// The project part of a session key.
pub fn project_of(key: &str) -> &str {
    key.split_once('/').map_or(key, |(p, _)| p)
}

/// The record's small fields as stored by the embedded store and Redis (the session is kept apart).
#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    version: u64,
    seq: u64,
    live: bool,
    idem: Vec<String>,
    wake: Option<u64>,
}

impl Meta {
    fn of(r: &Record) -> Meta {
        Meta { version: r.version, seq: r.seq, live: r.live, idem: r.idem.clone(), wake: r.wake }
    }

    fn into_record(self, session: Option<String>) -> Record {
        Record { version: self.version, session, seq: self.seq, live: self.live, idem: self.idem, wake: self.wake }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_specs_and_how_they_are_shown() {
        assert_eq!(StoreSpec::parse("data"), StoreSpec::Dir("data".into()));
        let r = StoreSpec::parse("redis://127.0.0.1:6379");
        assert_eq!(r, StoreSpec::Redis("redis://127.0.0.1:6379".into()));
        let p = StoreSpec::parse("postgres://ef:secret@127.0.0.1:5432/ef");
        assert_eq!(p.to_string(), "postgres://ef@127.0.0.1:5432/ef");
        assert_eq!(StoreSpec::parse("postgres://ef@h/db").to_string(), "postgres://ef@h/db");
        assert_eq!(project_of("shop/u:1/x"), "shop");
    }
}
