//! The Redis store, shared by any number of server processes.
//!
//! Per session key K: the hash `ef:m:K` (`v` the version, `meta` the small fields as JSON, `session`), the list
//! `ef:t:K` (transcript entries), the stream `ef:l:K` (the live stream's log, entry ids `SEQ-1`, trimmed to the
//! last [`LOG_KEEP`]), the hash `ef:a:K` (kept answers) and the lease `ef:k:K`; per project the sorted set
//! `ef:w:PROJECT` (sessions by when their next timer is due).
//!
//! A turn is two round trips. `begin` takes the lease (`SET NX PX`) and reads the record in one script; waiters
//! retry with a short backoff. `commit` is one script that checks the lease is still ours *and* the version is
//! the one read (compare-and-set), writes everything, publishes the pushed sequence number on `ef:push` and
//! releases the lease: a turn whose lease ran out cannot overwrite another's work. The publish is a wake-up only;
//! a process that missed it (its subscription was down) finds the item in the stream log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use redis::Script;

use super::super::hub::Hub;
use super::super::LEASE;
use super::{project_of, Commit, LogItem, Meta, Record, StoreError, LOG_KEEP};

/// The channel that carries `"{key} {seq}"` when a turn pushed an item.
const CHANNEL: &str = "ef:push";

const BEGIN: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('HMGET', KEYS[2], 'meta', 'session')
end
return false";

const COMMIT: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lease' end
if (redis.call('HGET', KEYS[2], 'v') or '0') ~= ARGV[2] then return 'conflict' end
redis.call('HSET', KEYS[2], 'v', ARGV[3], 'meta', ARGV[4])
if ARGV[5] == '' then redis.call('HDEL', KEYS[2], 'session') else redis.call('HSET', KEYS[2], 'session', ARGV[5]) end
if ARGV[6] == '' then redis.call('ZREM', KEYS[6], ARGV[7]) else redis.call('ZADD', KEYS[6], ARGV[6], ARGV[7]) end
if ARGV[8] == '1' then redis.call('DEL', KEYS[3]) end
local n = tonumber(ARGV[15])
for i = 1, n do redis.call('RPUSH', KEYS[3], ARGV[15 + i]) end
if ARGV[9] == '1' then redis.call('DEL', KEYS[4]) end
if ARGV[10] ~= '' then
  redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[14], ARGV[10] .. '-1', 'd', ARGV[11])
  redis.call('PUBLISH', 'ef:push', ARGV[7] .. ' ' .. ARGV[10])
end
if ARGV[12] ~= '' then redis.call('HSET', KEYS[5], ARGV[12], ARGV[13]) end
for i = 16 + n, #ARGV do redis.call('HDEL', KEYS[5], ARGV[i]) end
redis.call('DEL', KEYS[1])
return 'ok'";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1";

pub struct Lease {
    token: String,
}

pub struct RedisStore {
    client: redis::Client,
    con: ConnectionManager,
    begin: Script,
    commit: Script,
    release: Script,
}

fn meta_key(key: &str) -> String {
    format!("ef:m:{key}")
}
fn transcript_key(key: &str) -> String {
    format!("ef:t:{key}")
}
fn log_key(key: &str) -> String {
    format!("ef:l:{key}")
}
fn answers_key(key: &str) -> String {
    format!("ef:a:{key}")
}
fn lease_key(key: &str) -> String {
    format!("ef:k:{key}")
}
fn wakes_key(project: &str) -> String {
    format!("ef:w:{project}")
}

impl RedisStore {
    pub async fn open(url: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url).map_err(StoreError::failed)?;
        let mut con = client.get_connection_manager().await.map_err(StoreError::failed)?;
        let _: String = redis::cmd("PING").query_async(&mut con).await.map_err(StoreError::failed)?;
        Ok(RedisStore {
            client,
            con,
            begin: Script::new(BEGIN),
            commit: Script::new(COMMIT),
            release: Script::new(RELEASE),
        })
    }

    pub async fn begin(&self, key: &str, wait: Duration) -> Result<(Lease, Record), StoreError> {
        let token = uuid::Uuid::new_v4().to_string();
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(1);
        let mut con = self.con.clone();
        loop {
            let got: Option<(Option<String>, Option<String>)> = self
                .begin
                .key(lease_key(key))
                .key(meta_key(key))
                .arg(&token)
                .arg(LEASE.as_millis() as u64)
                .invoke_async(&mut con)
                .await
                .map_err(StoreError::failed)?;
            if let Some((meta, session)) = got {
                return Ok((Lease { token }, record(meta, session)?));
            }
            if Instant::now() + pause > deadline {
                return Err(StoreError::Busy);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    pub async fn commit(&self, key: &str, lease: Lease, read_version: u64, c: Commit) -> Result<(), StoreError> {
        let meta = serde_json::to_string(&Meta::of(&c.record)).map_err(StoreError::failed)?;
        let flag = |b: bool| if b { "1" } else { "0" };
        let mut call = self.commit.prepare_invoke();
        call.key(lease_key(key))
            .key(meta_key(key))
            .key(transcript_key(key))
            .key(log_key(key))
            .key(answers_key(key))
            .key(wakes_key(project_of(key)))
            .arg(&lease.token)
            .arg(read_version)
            .arg(c.record.version)
            .arg(meta)
            .arg(c.record.session.as_deref().unwrap_or(""))
            .arg(c.record.wake.map(|w| w.to_string()).unwrap_or_default())
            .arg(key)
            .arg(flag(c.reset_transcript))
            .arg(flag(c.clear_log))
            .arg(c.push.as_ref().map(|p| p.seq.to_string()).unwrap_or_default())
            .arg(c.push.as_ref().map_or("", |p| p.data.as_str()))
            .arg(c.answer.as_ref().map_or("", |a| a.0.as_str()))
            .arg(c.answer.as_ref().map_or("", |a| a.1.as_str()))
            .arg(LOG_KEEP)
            .arg(c.transcript.len());
        for (_, entry) in &c.transcript {
            call.arg(entry);
        }
        for idem in &c.forget {
            call.arg(idem);
        }
        let mut con = self.con.clone();
        let outcome: String = call.invoke_async(&mut con).await.map_err(StoreError::failed)?;
        match outcome.as_str() {
            "ok" => Ok(()),
            "lease" | "conflict" => Err(StoreError::Conflict),
            other => Err(StoreError::Failed(format!("the commit script answered {other}"))),
        }
    }

    pub async fn abandon(&self, key: &str, lease: Lease) {
        let mut con = self.con.clone();
        let released: redis::RedisResult<i64> =
            self.release.key(lease_key(key)).arg(&lease.token).invoke_async(&mut con).await;
        if let Err(e) = released {
            tracing::warn!("could not release a session lease (it runs out by itself): {e}");
        }
    }

    pub async fn record(&self, key: &str) -> Result<Record, StoreError> {
        let mut con = self.con.clone();
        let (meta, session): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(meta_key(key))
            .arg("meta")
            .arg("session")
            .query_async(&mut con)
            .await
            .map_err(StoreError::failed)?;
        record(meta, session)
    }

    pub async fn answer(&self, key: &str, idem: &str) -> Result<Option<String>, StoreError> {
        let mut con = self.con.clone();
        redis::cmd("HGET").arg(answers_key(key)).arg(idem).query_async(&mut con).await.map_err(StoreError::failed)
    }

    pub async fn transcript(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let mut con = self.con.clone();
        redis::cmd("LRANGE")
            .arg(transcript_key(key))
            .arg(0)
            .arg(-1)
            .query_async(&mut con)
            .await
            .map_err(StoreError::failed)
    }

    pub async fn log_after(&self, key: &str, after: u64, limit: usize) -> Result<Vec<LogItem>, StoreError> {
        let Some(first) = after.checked_add(1) else { return Ok(Vec::new()) };
        let mut con = self.con.clone();
        let rows: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
            .arg(log_key(key))
            .arg(format!("{first}-0"))
            .arg("+")
            .arg("COUNT")
            .arg(limit)
            .query_async(&mut con)
            .await
            .map_err(StoreError::failed)?;
        let mut items = Vec::with_capacity(rows.len());
        for (id, fields) in rows {
            let seq = id.split('-').next().and_then(|s| s.parse().ok());
            match (seq, fields.get(1)) {
                (Some(seq), Some(data)) => items.push(LogItem { seq, data: data.clone() }),
                _ => return Err(StoreError::Failed(format!("stream log entry {id} of {key} is not ours"))),
            }
        }
        Ok(items)
    }

    pub async fn due(&self, project: &str, now: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut con = self.con.clone();
        redis::cmd("ZRANGEBYSCORE")
            .arg(wakes_key(project))
            .arg("-inf")
            .arg(now)
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut con)
            .await
            .map_err(StoreError::failed)
    }

    pub async fn next_wake(&self, project: &str) -> Result<Option<u64>, StoreError> {
        let mut con = self.con.clone();
        let first: Vec<(String, u64)> = redis::cmd("ZRANGE")
            .arg(wakes_key(project))
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(&mut con)
            .await
            .map_err(StoreError::failed)?;
        Ok(first.first().map(|(_, at)| *at))
    }

    /// Subscribe to `ef:push` and wake this process's streams; after every (re)subscription wake them all, as
    /// pushes may have been missed while the subscription was down.
    pub fn listen(&self, hub: Arc<Hub>) {
        let client = self.client.clone();
        tokio::spawn(async move {
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                        Ok(()) => {
                            hub.wake_all();
                            let mut messages = pubsub.on_message();
                            while let Some(message) = messages.next().await {
                                if let Ok(payload) = message.get_payload::<String>() {
                                    if let Some((key, seq)) = payload.rsplit_once(' ') {
                                        hub.notify(key, seq.parse().unwrap_or(0));
                                    }
                                }
                            }
                            tracing::warn!("the Redis subscription ended; subscribing again");
                        }
                        Err(e) => tracing::warn!("cannot subscribe to {CHANNEL}: {e}"),
                    },
                    Err(e) => tracing::warn!("cannot reach Redis for the push subscription: {e}"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

fn record(meta: Option<String>, session: Option<String>) -> Result<Record, StoreError> {
    match meta {
        None => Ok(Record::default()),
        Some(m) => serde_json::from_str::<Meta>(&m)
            .map(|m| m.into_record(session))
            .map_err(|e| StoreError::Failed(format!("a stored record is not readable: {e}"))),
    }
}
