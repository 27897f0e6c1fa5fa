//! The keyed lock inside one process: one async mutex per session key, created on demand and dropped with its
//! last user, so the map holds only the sessions in use. Waiters queue in order (tokio's mutex is fair) and wait
//! at most a given time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Clone, Default)]
pub struct KeyedLocks {
    map: Arc<Mutex<HashMap<String, Weak<AsyncMutex<()>>>>>,
}

/// Held while a turn runs; released (and the key forgotten when nobody waits) on drop.
pub struct KeyGuard {
    guard: Option<OwnedMutexGuard<()>>,
    key: String,
    locks: KeyedLocks,
}

impl KeyedLocks {
    /// Wait for the key's lock, at most `wait`. `None` when the wait ran out.
    pub async fn lock(&self, key: &str, wait: Duration) -> Option<KeyGuard> {
        let mutex = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            match map.get(key).and_then(Weak::upgrade) {
                Some(m) => m,
                None => {
                    let m = Arc::new(AsyncMutex::new(()));
                    map.insert(key.to_string(), Arc::downgrade(&m));
                    m
                }
            }
        };
        match tokio::time::timeout(wait, mutex.lock_owned()).await {
            Ok(guard) => Some(KeyGuard { guard: Some(guard), key: key.to_string(), locks: self.clone() }),
            Err(_) => {
                self.forget_if_unused(key);
                None
            }
        }
    }

    /// Drop the key's entry when no holder or waiter keeps its mutex alive. Checked under the map's lock, where
    /// `lock` upgrades: a waiter either found the entry alive or made a new one.
    fn forget_if_unused(&self, key: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(key).is_some_and(|w| w.strong_count() == 0) {
            map.remove(key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        self.guard = None;
        self.locks.forget_if_unused(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_holder_per_key_and_entries_are_forgotten() {
        let locks = KeyedLocks::default();
        let inside = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (locks, inside) = (locks.clone(), inside.clone());
            tasks.push(tokio::spawn(async move {
                let _g = locks.lock("p/u", Duration::from_secs(5)).await.unwrap();
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders at once");
                tokio::task::yield_now().await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test]
    async fn a_wait_runs_out() {
        let locks = KeyedLocks::default();
        let held = locks.lock("k", Duration::from_secs(1)).await.unwrap();
        assert!(locks.lock("k", Duration::from_millis(20)).await.is_none());
        assert!(locks.lock("other", Duration::from_millis(20)).await.is_some());
        drop(held);
        assert!(locks.lock("k", Duration::from_millis(20)).await.is_some());
    }
}
