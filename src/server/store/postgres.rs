//! The PostgreSQL store, shared by any number of server processes.
//!
//! Tables `ef_sessions` (the record, with its `version` column and the timers index `(project, wake)`),
//! `ef_transcript`, `ef_log` (the live stream's log, the last [`LOG_KEEP`] items) and `ef_answers`, created at
//! start-up if missing. A turn is one transaction on one pooled connection, four statements: `begin` sends BEGIN
//! and locks the session's row as it reads it (`SELECT ... FOR UPDATE`; a session without a row yet takes a
//! transaction-scoped advisory lock on its key first), every wait bounded by `lock_timeout`; `commit` is one
//! statement, `UPDATE ... WHERE version = <read>` (a version check on top of the lock) with the rest of the writes
//! done only if it wrote, `pg_notify('ef_push', '{key} {seq}')` for a pushed item (delivered to listeners at
//! COMMIT, a wake-up only), then COMMIT. A connection dropped mid-transaction is closed, never returned to the
//! pool.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::StreamExt;
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, NoTls};

use super::super::hub::Hub;
use super::super::LOCK_WAIT;
use super::{project_of, Commit, LogItem, Record, StoreError, LOG_KEEP};

const CHANNEL: &str = "ef_push";
/// Serializes the schema set-up of processes starting at once.
const SCHEMA_LOCK: i64 = 0x6566_7363_6865_6d61;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ef_sessions (
  key text PRIMARY KEY,
  project text NOT NULL,
  version bigint NOT NULL,
  seq bigint NOT NULL,
  live boolean NOT NULL,
  idem text[] NOT NULL,
  wake bigint,
  session text
);
CREATE INDEX IF NOT EXISTS ef_sessions_wake ON ef_sessions (project, wake) WHERE wake IS NOT NULL;
CREATE TABLE IF NOT EXISTS ef_transcript (key text NOT NULL, ord bigint NOT NULL, entry text NOT NULL, PRIMARY KEY (key, ord));
CREATE TABLE IF NOT EXISTS ef_log (key text NOT NULL, seq bigint NOT NULL, data text NOT NULL, PRIMARY KEY (key, seq));
CREATE TABLE IF NOT EXISTS ef_answers (key text NOT NULL, idem text NOT NULL, answer text NOT NULL, PRIMARY KEY (key, idem));
";

const SELECT: &str = "SELECT version, seq, live, idem, wake, session FROM ef_sessions WHERE key = $1";
const LOCK_ROW: &str = "SELECT version, seq, live, idem, wake, session FROM ef_sessions WHERE key = $1 FOR UPDATE";

/// A session's transaction, holding its lock.
pub struct Lease {
    client: Option<deadpool_postgres::Object>,
}

impl Lease {
    fn client(&self) -> Result<&deadpool_postgres::Object, StoreError> {
        self.client.as_ref().ok_or_else(|| db("the lease has no connection"))
    }

    /// COMMIT; the connection goes back to the pool. When COMMIT itself fails the outcome is unknown to us, and
    /// the connection is closed.
    async fn commit(mut self) -> Result<(), StoreError> {
        let client = self.client.take().ok_or_else(|| db("the lease has no connection"))?;
        match client.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                drop(deadpool_postgres::Object::take(client));
                Err(db(e))
            }
        }
    }

    pub async fn rollback(mut self) {
        if let Some(client) = self.client.take() {
            if client.batch_execute("ROLLBACK").await.is_err() {
                drop(deadpool_postgres::Object::take(client));
            }
        }
    }
}

impl Drop for Lease {
    /// Still in its transaction: close the connection (PostgreSQL rolls back) rather than pool it.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

pub struct PgStore {
    pool: Pool,
    config: tokio_postgres::Config,
}

fn db(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(format!("PostgreSQL: {e}"))
}

fn pooled(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg(e),
        e => db(e),
    }
}

/// A PostgreSQL error with the server's own message ("db error" alone says little).
fn pg(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(d) => db(d),
        None => db(e),
    }
}

/// u64 counters and times as PostgreSQL's bigint.
fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(pg)?;
        // Every wait for a session's lock is bounded: a request that cannot have it gets `Busy`.
        let options = format!("{} -c lock_timeout={}", config.get_options().unwrap_or(""), LOCK_WAIT.as_millis());
        config.options(options.trim());
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(32)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(LOCK_WAIT))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(db)?;
        let client = pool.get().await.map_err(pooled)?;
        // Taken before the transaction that creates the tables, so a process that waited for it starts its own
        // transaction after the tables were committed (and sees them); released once they are.
        client.batch_execute(&format!("SELECT pg_advisory_lock({SCHEMA_LOCK})")).await.map_err(pg)?;
        let created = client.batch_execute(&format!("BEGIN; {SCHEMA} COMMIT;")).await.map_err(pg);
        client.batch_execute(&format!("SELECT pg_advisory_unlock({SCHEMA_LOCK})")).await.map_err(pg)?;
        created?;
        Ok(PgStore { pool, config })
    }

    /// The wait for the session's lock is bounded by the connections' `lock_timeout` ([`LOCK_WAIT`]).
    pub async fn begin(&self, key: &str) -> Result<(Lease, Record), StoreError> {
        let lease = Lease { client: Some(self.pool.get().await.map_err(pooled)?) };
        match lock_and_read(lease.client()?, key).await {
            Ok(record) => Ok((lease, record)),
            Err(e) => {
                lease.rollback().await;
                Err(e)
            }
        }
    }

    pub async fn commit(&self, key: &str, lease: Lease, read_version: u64, c: Commit) -> Result<(), StoreError> {
        match write(lease.client()?, key, read_version, &c).await {
            Ok(()) => lease.commit().await,
            Err(e) => {
                lease.rollback().await;
                Err(e)
            }
        }
    }

    pub async fn record(&self, key: &str) -> Result<Record, StoreError> {
        let client = self.pool.get().await.map_err(pooled)?;
        let select = client.prepare_cached(SELECT).await.map_err(pg)?;
        let row = client.query_opt(&select, &[&key]).await.map_err(pg)?;
        Ok(row.map(|r| read_row(&r)).transpose()?.unwrap_or_default())
    }

    pub async fn answer(&self, key: &str, idem: &str) -> Result<Option<String>, StoreError> {
        let client = self.pool.get().await.map_err(pooled)?;
        let row = client
            .query_opt("SELECT answer FROM ef_answers WHERE key = $1 AND idem = $2", &[&key, &idem])
            .await
            .map_err(pg)?;
        row.map(|r| r.try_get(0)).transpose().map_err(pg)
    }

    pub async fn transcript(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let client = self.pool.get().await.map_err(pooled)?;
        let rows =
            client.query("SELECT entry FROM ef_transcript WHERE key = $1 ORDER BY ord", &[&key]).await.map_err(pg)?;
        rows.iter().map(|r| r.try_get(0).map_err(pg)).collect()
    }

    pub async fn log_after(&self, key: &str, after: u64, limit: usize) -> Result<Vec<LogItem>, StoreError> {
        let client = self.pool.get().await.map_err(pooled)?;
        let select = client
            .prepare_cached("SELECT seq, data FROM ef_log WHERE key = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .await
            .map_err(pg)?;
        let rows = client.query(&select, &[&key, &big(after), &big(limit as u64)]).await.map_err(pg)?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let seq: i64 = r.try_get(0).map_err(pg)?;
            items.push(LogItem { seq: seq as u64, data: r.try_get(1).map_err(pg)? });
        }
        Ok(items)
    }

    pub async fn due(&self, project: &str, now: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        let client = self.pool.get().await.map_err(pooled)?;
        let rows = client
            .query(
                "SELECT key FROM ef_sessions WHERE project = $1 AND wake <= $2 ORDER BY wake LIMIT $3",
                &[&project, &big(now), &big(limit as u64)],
            )
            .await
            .map_err(pg)?;
        rows.iter().map(|r| r.try_get(0).map_err(pg)).collect()
    }

    pub async fn next_wake(&self, project: &str) -> Result<Option<u64>, StoreError> {
        let client = self.pool.get().await.map_err(pooled)?;
        let row = client
            .query_one("SELECT min(wake) FROM ef_sessions WHERE project = $1 AND wake IS NOT NULL", &[&project])
            .await
            .map_err(pg)?;
        let at: Option<i64> = row.try_get(0).map_err(pg)?;
        Ok(at.map(|a| a.max(0) as u64))
    }

    /// LISTEN on a connection of its own and wake this process's streams; after every (re)connection wake them
    /// all, as notifications sent while it was down are lost (the log keeps the items).
    pub fn listen(&self, hub: Arc<Hub>) {
        let config = self.config.clone();
        tokio::spawn(async move {
            loop {
                match config.connect(NoTls).await {
                    Ok((client, mut connection)) => {
                        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                        let driver = tokio::spawn(async move {
                            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                            while let Some(Ok(message)) = messages.next().await {
                                if let AsyncMessage::Notification(n) = message {
                                    if tx.send(n.payload().to_string()).is_err() {
                                        break;
                                    }
                                }
                            }
                        });
                        match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                            Ok(()) => {
                                hub.wake_all();
                                while let Some(payload) = rx.recv().await {
                                    if let Some((key, seq)) = payload.rsplit_once(' ') {
                                        hub.notify(key, seq.parse().unwrap_or(0));
                                    }
                                }
                                tracing::warn!("the PostgreSQL LISTEN connection ended; connecting again");
                            }
                            Err(e) => tracing::warn!("cannot LISTEN {CHANNEL}: {e}"),
                        }
                        driver.abort();
                    }
                    Err(e) => tracing::warn!("cannot reach PostgreSQL for LISTEN: {e}"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// Open the turn's transaction and lock the session: the row (`FOR UPDATE` waits for the turn holding it, then
/// reads the version it committed); a session without a row yet under a transaction-scoped advisory lock on its
/// key, after which the row is locked too if a turn created it meanwhile.
async fn lock_and_read(client: &deadpool_postgres::Object, key: &str) -> Result<Record, StoreError> {
    let select = client.prepare_cached(LOCK_ROW).await.map_err(pg)?;
    // BEGIN and the locking read go out together; the server runs them in order.
    let by_key: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&key];
    let (begun, row) = tokio::join!(client.batch_execute("BEGIN"), client.query_opt(&select, &by_key));
    begun.map_err(pg)?;
    let row = match row.map_err(locked)? {
        Some(row) => row,
        None => {
            let lock =
                client.prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").await.map_err(pg)?;
            client.execute(&lock, &[&key]).await.map_err(locked)?;
            match client.query_opt(&select, &[&key]).await.map_err(locked)? {
                Some(row) => row,
                None => return Ok(Record::default()),
            }
        }
    };
    read_row(&row)
}

/// A lock wait that ran out (`lock_timeout`) is `Busy`.
fn locked(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        StoreError::Busy
    } else {
        pg(e)
    }
}

/// The writes of a commit but the record's, each done only when the record's statement `s` wrote a row (that is,
/// the version was still the one read). `$1` key; `$9`/`$10` the new transcript entries; `$11`/`$12` the pushed
/// item (`$12` NULL when none) and `$13` the last log item to drop; `$14`/`$15` the answer to keep (`$14` NULL
/// when none), `$16` the answers to forget. The count of `s` comes back; the notification goes at COMMIT.
const WRITES: &str = "
t AS (INSERT INTO ef_transcript (key, ord, entry) SELECT s.key, o, e FROM s, unnest($9::bigint[], $10::text[]) AS u(o, e)),
l AS (INSERT INTO ef_log (key, seq, data) SELECT s.key, $11, $12 FROM s WHERE $12::text IS NOT NULL),
d AS (DELETE FROM ef_log WHERE key IN (SELECT key FROM s) AND seq <= $13),
a AS (INSERT INTO ef_answers (key, idem, answer) SELECT s.key, $14, $15 FROM s WHERE $14::text IS NOT NULL
      ON CONFLICT (key, idem) DO UPDATE SET answer = EXCLUDED.answer),
f AS (DELETE FROM ef_answers WHERE key IN (SELECT key FROM s) AND idem = ANY($16))
SELECT (SELECT count(*) FROM s), (SELECT count(pg_notify('ef_push', $1 || ' ' || $11)) FROM s WHERE $12::text IS NOT NULL)";

/// A session's first record: `$2` is its project; `$8` the version read (0), unused but typed alike.
const INSERT: &str = "WITH s AS (INSERT INTO ef_sessions (key, project, version, seq, live, idem, wake, session)
  SELECT $1, $2, $3, $4, $5, $6, $7, $17 WHERE $8::bigint = 0 ON CONFLICT (key) DO NOTHING RETURNING key),";
/// A later record, if the version is still the one read (`$8`); `$2` is unused but typed alike.
const UPDATE: &str =
    "WITH s AS (UPDATE ef_sessions SET version = $3, seq = $4, live = $5, idem = $6, wake = $7, session = $17
  WHERE key = $1 AND version = $8 AND project = $2 RETURNING key),";

/// Write a commit in the lease's transaction, in one statement. A session's transcript or log dropped first (PUT,
/// DELETE) are statements of their own before it; the caller commits, or rolls back on `Conflict`.
async fn write(client: &deadpool_postgres::Object, key: &str, read_version: u64, c: &Commit) -> Result<(), StoreError> {
    if c.reset_transcript {
        client.execute("DELETE FROM ef_transcript WHERE key = $1", &[&key]).await.map_err(pg)?;
    }
    if c.clear_log {
        client.execute("DELETE FROM ef_log WHERE key = $1", &[&key]).await.map_err(pg)?;
    }
    let r = &c.record;
    let sql = format!("{}{WRITES}", if read_version == 0 { INSERT } else { UPDATE });
    let statement = client.prepare_cached(&sql).await.map_err(pg)?;
    let orders: Vec<i64> = c.transcript.iter().map(|(o, _)| big(*o)).collect();
    let entries: Vec<&str> = c.transcript.iter().map(|(_, e)| e.as_str()).collect();
    let (seq, data) = match &c.push {
        Some(item) => (big(item.seq), Some(item.data.as_str())),
        None => (0, None),
    };
    let trim = c.push.as_ref().map_or(-1, |item| big(item.seq) - big(LOG_KEEP));
    let (idem, answer) = match &c.answer {
        Some((k, a)) => (Some(k.as_str()), Some(a.as_str())),
        None => (None, None),
    };
    let row = client
        .query_one(
            &statement,
            &[
                &key,
                &project_of(key),
                &big(r.version),
                &big(r.seq),
                &r.live,
                &r.idem,
                &r.wake.map(big),
                &big(read_version),
                &orders,
                &entries,
                &seq,
                &data,
                &trim,
                &idem,
                &answer,
                &c.forget,
                &r.session,
            ],
        )
        .await
        .map_err(pg)?;
    let written: i64 = row.try_get(0).map_err(pg)?;
    if written != 1 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

fn read_row(r: &tokio_postgres::Row) -> Result<Record, StoreError> {
    let version: i64 = r.try_get(0).map_err(pg)?;
    let seq: i64 = r.try_get(1).map_err(pg)?;
    let wake: Option<i64> = r.try_get(4).map_err(pg)?;
    Ok(Record {
        version: version as u64,
        seq: seq as u64,
        live: r.try_get(2).map_err(pg)?,
        idem: r.try_get(3).map_err(pg)?,
        wake: wake.map(|w| w.max(0) as u64),
        session: r.try_get(5).map_err(pg)?,
    })
}
