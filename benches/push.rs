//! Push delivery of the runtime server (`./build.sh load`, issue 12): open STREAMS live streams (one per user),
//! then post one event to each user through `POST /events`, EVENTS_AT_ONCE at a time, and time each from the
//! moment its POST is sent to the moment its item arrives on that user's stream.
//!
//! `EVENTFLOW_BENCH_URL` (the server), `EVENTFLOW_BENCH_KEY` (an API key of it), `EVENTFLOW_BENCH_PROJECT`
//! (an agent with an `inc` event, `tests/agents/counter.json`); optional `EVENTFLOW_BENCH_STREAMS` (1000) and
//! `EVENTFLOW_BENCH_LISTEN_URL` (another process of the same store holding the streams).

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(bench::run()),
        Err(e) => eprintln!("push bench: {e}"),
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::time::{Duration, Instant};

    use tokio::sync::mpsc;

    const EVENTS_AT_ONCE: usize = 50;

    fn env(name: &str, default: Option<&str>) -> String {
        std::env::var(name)
            .ok()
            .or(default.map(str::to_string))
            .unwrap_or_else(|| panic!("{name} is not set (./build.sh load sets it)"))
    }

    pub async fn run() {
        let url = env("EVENTFLOW_BENCH_URL", None);
        let listen = env("EVENTFLOW_BENCH_LISTEN_URL", Some(&url));
        let key = env("EVENTFLOW_BENCH_KEY", None);
        let project = env("EVENTFLOW_BENCH_PROJECT", Some("counter"));
        let streams: usize = env("EVENTFLOW_BENCH_STREAMS", Some("1000")).parse().expect("a number of streams");
        let run = std::process::id();
        let http = reqwest::Client::builder().pool_max_idle_per_host(EVENTS_AT_ONCE).build().expect("client");

        // Open every stream; each reports (user, arrival) for its first item.
        let (arrived, mut arrivals) = mpsc::unbounded_channel();
        let (opened, mut open) = mpsc::unbounded_channel();
        for user in 0..streams {
            let (http, arrived, opened) = (http.clone(), arrived.clone(), opened.clone());
            let stream_url = format!("{listen}/public/{project}/state/user/push-{run}-{user}/stream");
            tokio::spawn(async move {
                let mut response = http.get(stream_url).send().await.expect("stream");
                assert_eq!(response.status().as_u16(), 200);
                let _ = opened.send(());
                let mut text = String::new();
                while let Ok(Some(chunk)) = response.chunk().await {
                    text.push_str(&String::from_utf8_lossy(&chunk));
                    if text.contains("event: trace") {
                        let _ = arrived.send((user, Instant::now()));
                        break;
                    }
                }
            });
        }
        for _ in 0..streams {
            open.recv().await.expect("a stream opened");
        }
        eprintln!("{streams} streams open; posting one event to each, {EVENTS_AT_ONCE} at a time");

        let mut sent = vec![None; streams];
        let mut delays = Vec::with_capacity(streams);
        let started = Instant::now();
        for batch in (0..streams).collect::<Vec<_>>().chunks(EVENTS_AT_ONCE) {
            let mut posts = Vec::new();
            for &user in batch {
                let body = format!("{{\"app_user_id\":\"push-{run}-{user}\",\"event_type\":\"inc\",\"data\":{{}}}}");
                let post =
                    http.post(format!("{url}/events")).bearer_auth(&key).header("projectID", &project).body(body);
                sent[user] = Some(Instant::now());
                posts.push(tokio::spawn(post.send()));
            }
            for p in posts {
                let status = p.await.expect("task").expect("POST /events").status().as_u16();
                assert_eq!(status, 202);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while delays.len() < streams {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, arrivals.recv()).await {
                Ok(Some((user, at))) => {
                    if let Some(t0) = sent[user] {
                        delays.push(at.duration_since(t0));
                    }
                }
                _ => break,
            }
        }
        let elapsed = started.elapsed();
        delays.sort();
        let pct = |p: f64| delays[((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1];
        assert!(!delays.is_empty(), "nothing was delivered");
        println!(
            "push: {} of {streams} events delivered in {:.2} s; POST -> stream delay p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            delays.len(),
            elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            delays[delays.len() - 1].as_secs_f64() * 1e3,
        );
    }
}
