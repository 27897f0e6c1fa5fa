//! Wake-ups for the live streams of this process: one watch channel per session with an open stream, holding the
//! highest sequence number known to be stored. A wake-up carries no data: the stream reads the stored log, so a
//! missed or repeated wake-up loses or repeats nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

#[derive(Default)]
pub struct Hub {
    streams: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl Hub {
    pub fn subscribe(&self, key: &str) -> watch::Receiver<u64> {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams.entry(key.to_string()).or_insert_with(|| watch::channel(0).0).subscribe()
    }

    /// Sequence number `seq` of `key` is stored: wake its streams in this process, if any.
    pub fn notify(&self, key: &str, seq: u64) {
        let streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = streams.get(key) {
            tx.send_if_modified(|known| {
                let newer = seq > *known;
                if newer {
                    *known = seq;
                }
                newer
            });
        }
    }

    /// Wake every stream to read its log again: after the link to other processes was down, when wake-ups may
    /// have been missed.
    pub fn wake_all(&self) {
        let streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        for tx in streams.values() {
            tx.send_modify(|_| {});
        }
    }

    /// A stream of `key` ended: forget the channel when it was the last.
    pub fn release(&self, key: &str) {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        if streams.get(key).is_some_and(|tx| tx.receiver_count() == 0) {
            streams.remove(key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.streams.lock().map(|s| s.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_only_on_news_and_forgets_closed_streams() {
        let hub = Hub::default();
        let mut rx = hub.subscribe("p/u");
        hub.notify("p/u", 3);
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 3);
        hub.notify("p/u", 2);
        assert!(!rx.has_changed().unwrap());
        hub.notify("other", 9);
        hub.wake_all();
        assert!(rx.has_changed().unwrap());
        drop(rx);
        hub.release("p/u");
        assert_eq!(hub.len(), 0);
    }
}
