//! The runtime server: agent files behind the Dialog API, with durable sessions, inbound events and live streams.
//!
//! A third host beside the widget (`src/web`) and the CLI: it drives the pure engine exactly as the CLI does
//! (`Engine::interact`, webhooks performed and fed back, `Engine::advance` for timers) and owns what the engine
//! leaves out: the network, the clock, storage and concurrency.
//!
//! The key decision: every change to a session is one *turn* run under that session's lock (a keyed lock in the
//! process, plus a lease in the store when several processes share it), and ends in one atomic commit of
//! everything the turn did: the session, its new transcript entries, the item it pushed to the live stream, the
//! answer kept for its `Idempotency-Key`, and when its next timer is due. The commit checks the version the turn
//! started from, so a turn whose lease ran out cannot overwrite another's work. The stored per-session log of
//! pushed items is the truth for live streams; notifications between processes (Redis pub/sub, PostgreSQL
//! LISTEN/NOTIFY) only wake streams up to read it. `docs/server.md` describes the routes and operations.

// Everything here reads outside data: requests, stored records, webhook answers.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod auth;
mod error;
mod hub;
mod locks;
mod routes;
mod runner;
mod store;
mod stream;
mod timers;
mod webhook;

pub use error::ApiError;
pub use store::StoreSpec;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::engine::Engine;

/// What `eventflow serve` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub agents: Vec<PathBuf>,
    pub listen: SocketAddr,
    pub store: StoreSpec,
    /// Keys accepted on the keyed routes and `/events` (never logged).
    pub api_keys: Vec<String>,
    /// Origins whose browsers may use the public routes; empty means any origin.
    pub allow_origins: Vec<String>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Agent(String),
    #[error("cannot open the store: {0}")]
    Store(String),
    #[error("{0}")]
    Setup(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// Load the agents, open the store, listen, and serve until SIGINT or SIGTERM.
pub async fn run(options: Options) -> Result<(), StartError> {
    let projects = load_agents(&options.agents)?;
    let store = store::Store::open(&options.store).await.map_err(|e| StartError::Store(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| StartError::Listen { addr: options.listen, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: options.listen, source })?;
    let keys = auth::Keys::new(&options.api_keys);
    if keys.is_empty() {
        tracing::warn!("no API key given (--api-key or EVENTFLOW_API_KEYS): the keyed routes and /events answer 401");
    }
    let server =
        runner::Server::new(projects, store, keys, options.allow_origins.clone()).map_err(StartError::Setup)?;
    server.store.listen(server.hub.clone());
    let scheduler = tokio::spawn(timers::run(server.clone()));
    let names: Vec<&str> = server.projects.keys().map(String::as_str).collect();
    // Tests and scripts wait for this line (or poll GET /health) to know the address and that the server is up.
    eprintln!("eventflow serve: listening on http://{addr} (projects: {}; store: {})", names.join(", "), options.store);
    let app = routes::router(server.clone());
    let shutdown = server.clone();
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing the turns in flight");
            shutdown.shut_down();
        })
        .await;
    if let Err(e) = served {
        tracing::error!("the server stopped: {e}");
    }
    scheduler.abort();
    server.store.close().await;
    Ok(())
}

/// Each agent is the project whose projectID is its `name`.
fn load_agents(paths: &[PathBuf]) -> Result<BTreeMap<String, Engine>, StartError> {
    let mut projects = BTreeMap::new();
    for path in paths {
        let shown = path.display();
        let src = std::fs::read_to_string(path).map_err(|e| StartError::Agent(format!("cannot read {shown}: {e}")))?;
        let engine = Engine::from_json(&src).map_err(|e| {
            let errors: Vec<String> = e.errors.iter().map(|err| format!("{shown}: {err}")).collect();
            StartError::Agent(errors.join("\n"))
        })?;
        let name = engine.name().to_string();
        if projects.insert(name.clone(), engine).is_some() {
            return Err(StartError::Agent(format!("{shown}: a second agent named '{name}' (projectIDs must differ)")));
        }
    }
    if projects.is_empty() {
        return Err(StartError::Agent("no agent file given".into()));
    }
    Ok(projects)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Epoch milliseconds: the engine's `now`.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// How long a request waits for a session another request holds before it gets 503 with `Retry-After`.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(10);
/// The most one turn may take, webhooks included; below the store lease, so a lease never runs out mid-turn.
pub(crate) const TURN_BUDGET: Duration = Duration::from_secs(20);
/// A lease on a session in a shared store; renewed by nothing, so it must outlast any turn.
pub(crate) const LEASE: Duration = Duration::from_secs(30);
