//! The embedded store: one redb file, one process (redb locks the file; a second server on the same directory is
//! refused at start-up).
//!
//! Every commit is durable (`Durability::Immediate`: on disk before the request is answered, so a 200 survives
//! `kill -9`). Durable commits are grouped: one writer thread takes every commit waiting, applies them in one
//! write transaction and syncs once, so the cost of a sync is shared by all the turns that arrived during the
//! previous one. Reads take a snapshot (MVCC) beside the writer. The records of the sessions in use are also kept
//! in memory, written through at each commit: as this process is the store's only writer, a turn reads its record
//! without touching the file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::{mpsc, oneshot};

use super::{project_of, Commit, LogItem, Meta, Record, StoreError, LOG_KEEP};

const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
const SESSIONS: TableDefinition<&str, &str> = TableDefinition::new("sessions");
const TRANSCRIPT: TableDefinition<(&str, u64), &str> = TableDefinition::new("transcript");
const LOG: TableDefinition<(&str, u64), &str> = TableDefinition::new("log");
const ANSWERS: TableDefinition<(&str, &str), &str> = TableDefinition::new("answers");
/// (project, due at, session key): the timers index.
const WAKES: TableDefinition<(&str, u64, &str), ()> = TableDefinition::new("wakes");

/// The most commits grouped in one transaction.
const GROUP: usize = 512;
/// The bytes of session JSON the record cache holds at most.
const CACHE_BYTES: usize = 64 << 20;

struct Job {
    key: String,
    read_version: u64,
    /// The record's small fields as stored.
    meta: String,
    commit: Commit,
    done: oneshot::Sender<Result<(), StoreError>>,
}

pub struct Embedded {
    db: Arc<Database>,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    cache: Mutex<Cache>,
}

/// Committed records by session key, at most [`CACHE_BYTES`] of sessions; any one goes when room is needed.
#[derive(Default)]
struct Cache {
    records: HashMap<String, Record>,
    bytes: usize,
}

impl Cache {
    fn put(&mut self, key: &str, record: Record) {
        self.forget(key);
        let size = record.session.as_ref().map_or(0, String::len) + key.len();
        while self.bytes + size > CACHE_BYTES {
            let Some(old) = self.records.keys().next().cloned() else { break };
            self.forget(&old);
        }
        self.bytes += size;
        self.records.insert(key.to_string(), record);
    }

    fn forget(&mut self, key: &str) {
        if let Some(old) = self.records.remove(key) {
            self.bytes -= old.session.as_ref().map_or(0, String::len) + key.len();
        }
    }
}

impl Embedded {
    pub fn open(dir: &Path) -> Result<Embedded, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Failed(format!("{}: {e}", dir.display())))?;
        let path = dir.join("eventflow.redb");
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Failed(format!(
                "{} is in use by another process (the embedded store serves one process; share Redis or \
                 PostgreSQL between several)",
                path.display()
            )),
            e => StoreError::Failed(format!("{}: {e}", path.display())),
        })?;
        // Every table exists from the start, so a read never meets a missing one.
        let txn = db.begin_write().map_err(StoreError::failed)?;
        create_tables(&txn).map_err(StoreError::failed)?;
        txn.commit().map_err(StoreError::failed)?;
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel(4 * GROUP);
        let writer_db = db.clone();
        let writer = std::thread::Builder::new()
            .name("eventflow-store".into())
            .spawn(move || write_loop(&writer_db, rx))
            .map_err(StoreError::failed)?;
        Ok(Embedded { db, jobs: Mutex::new(Some(tx)), writer: Mutex::new(Some(writer)), cache: Mutex::default() })
    }

    pub async fn commit(&self, key: &str, read_version: u64, commit: Commit) -> Result<(), StoreError> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(jobs) = jobs else { return Err(StoreError::Failed("the store is closed".into())) };
        let meta = serde_json::to_string(&Meta::of(&commit.record)).map_err(StoreError::failed)?;
        let record = commit.record.clone();
        let (done, answer) = oneshot::channel();
        let job = Job { key: key.to_string(), read_version, meta, commit, done };
        jobs.send(job).await.map_err(|_| StoreError::Failed("the store's writer stopped".into()))?;
        let written = answer.await.map_err(|_| StoreError::Failed("the store's writer stopped".into()))?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match written {
            Ok(()) => cache.put(key, record),
            Err(_) => cache.forget(key),
        }
        written
    }

    /// Stop taking commits, let the writer finish the ones queued, and wait for it.
    pub async fn close(&self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
    }

    pub async fn record(&self, key: &str) -> Result<Record, StoreError> {
        if let Some(r) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).records.get(key) {
            return Ok(r.clone());
        }
        let key = key.to_string();
        self.read(move |db| {
            let txn = db.begin_read()?;
            let Some(meta) = txn.open_table(META)?.get(key.as_str())?.map(|g| g.value().to_string()) else {
                return Ok(Ok(Record::default()));
            };
            let session = txn.open_table(SESSIONS)?.get(key.as_str())?.map(|g| g.value().to_string());
            Ok(serde_json::from_str::<Meta>(&meta).map(|m| m.into_record(session)).map_err(corrupt))
        })
        .await?
    }

    pub async fn answer(&self, key: &str, idem: &str) -> Result<Option<String>, StoreError> {
        let (key, idem) = (key.to_string(), idem.to_string());
        self.read(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(ANSWERS)?;
            let answer = table.get((key.as_str(), idem.as_str()))?.map(|g| g.value().to_string());
            Ok(answer)
        })
        .await
    }

    pub async fn transcript(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let key = key.to_string();
        self.read(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(TRANSCRIPT)?;
            let mut entries = Vec::new();
            for row in table.range((key.as_str(), 0)..=(key.as_str(), u64::MAX))? {
                entries.push(row?.1.value().to_string());
            }
            Ok(entries)
        })
        .await
    }

    pub async fn log_after(&self, key: &str, after: u64, limit: usize) -> Result<Vec<LogItem>, StoreError> {
        let key = key.to_string();
        self.read(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(LOG)?;
            let mut items = Vec::new();
            if after == u64::MAX {
                return Ok(items);
            }
            for row in table.range((key.as_str(), after + 1)..=(key.as_str(), u64::MAX))?.take(limit) {
                let (k, v) = row?;
                items.push(LogItem { seq: k.value().1, data: v.value().to_string() });
            }
            Ok(items)
        })
        .await
    }

    pub async fn due(&self, project: &str, now: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        let project = project.to_string();
        self.read(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(WAKES)?;
            let mut keys = Vec::new();
            let upper = now.saturating_add(1);
            for row in table.range((project.as_str(), 0, "")..(project.as_str(), upper, ""))?.take(limit) {
                keys.push(row?.0.value().2.to_string());
            }
            Ok(keys)
        })
        .await
    }

    pub async fn next_wake(&self, project: &str) -> Result<Option<u64>, StoreError> {
        let project = project.to_string();
        self.read(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(WAKES)?;
            let first = table.range((project.as_str(), 0, "")..)?.next().transpose()?;
            Ok(first.and_then(|(k, _)| {
                let (p, at, _) = k.value();
                (p == project).then_some(at)
            }))
        })
        .await
    }

    /// Run a read on a blocking thread, with its own snapshot.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, redb::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(StoreError::failed)?.map_err(StoreError::failed)
    }
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Failed(format!("a stored record is not readable: {e}"))
}

fn create_tables(txn: &redb::WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(META)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(TRANSCRIPT)?;
    txn.open_table(LOG)?;
    txn.open_table(ANSWERS)?;
    txn.open_table(WAKES)?;
    Ok(())
}

/// The writer thread: take every job waiting (at least one), write them in one transaction, sync once, answer.
fn write_loop(db: &Database, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        match write(db, &jobs) {
            Ok(results) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.done.send(result);
                }
            }
            Err(e) => {
                tracing::error!("the embedded store failed to commit: {e}");
                for job in jobs {
                    let _ = job.done.send(Err(StoreError::Failed(format!("the store failed to commit: {e}"))));
                }
            }
        }
    }
}

/// One durable transaction for a group of commits; each is checked against its read version on its own.
fn write(db: &Database, jobs: &[Job]) -> Result<Vec<Result<(), StoreError>>, redb::Error> {
    let txn = db.begin_write()?;
    let mut results = Vec::with_capacity(jobs.len());
    {
        let mut meta = txn.open_table(META)?;
        let mut sessions = txn.open_table(SESSIONS)?;
        let mut transcript = txn.open_table(TRANSCRIPT)?;
        let mut log = txn.open_table(LOG)?;
        let mut answers = txn.open_table(ANSWERS)?;
        let mut wakes = txn.open_table(WAKES)?;
        for job in jobs {
            let key = job.key.as_str();
            let old = match meta.get(key)?.map(|g| serde_json::from_str::<Meta>(g.value())) {
                None => None,
                Some(Ok(m)) => Some(m),
                Some(Err(e)) => {
                    results.push(Err(corrupt(e)));
                    continue;
                }
            };
            if old.as_ref().map_or(0, |m| m.version) != job.read_version {
                results.push(Err(StoreError::Conflict));
                continue;
            }
            let c = &job.commit;
            let project = project_of(key);
            if let Some(at) = old.and_then(|m| m.wake) {
                wakes.remove((project, at, key))?;
            }
            if let Some(at) = c.record.wake {
                wakes.insert((project, at, key), ())?;
            }
            meta.insert(key, job.meta.as_str())?;
            match &c.record.session {
                Some(s) => sessions.insert(key, s.as_str())?,
                None => sessions.remove(key)?,
            };
            if c.reset_transcript {
                transcript.retain_in((key, 0)..=(key, u64::MAX), |_, _| false)?;
            }
            for (order, entry) in &c.transcript {
                transcript.insert((key, *order), entry.as_str())?;
            }
            if c.clear_log {
                log.retain_in((key, 0)..=(key, u64::MAX), |_, _| false)?;
            }
            if let Some(item) = &c.push {
                log.insert((key, item.seq), item.data.as_str())?;
                if item.seq > LOG_KEEP {
                    log.retain_in((key, 0)..=(key, item.seq - LOG_KEEP), |_, _| false)?;
                }
            }
            if let Some((idem, answer)) = &c.answer {
                answers.insert((key, idem.as_str()), answer.as_str())?;
            }
            for idem in &c.forget {
                answers.remove((key, idem.as_str()))?;
            }
            results.push(Ok(()));
        }
    }
    txn.commit()?;
    Ok(results)
}
