//! eventflow: an event-dispatch engine for conversational agents, with a browser host and native hosts.
//!
//! The key decision: [`engine`] is pure, sans-I/O Rust. It never touches a clock, a network or a browser;
//! hosts (the native CLI in `src/bin`, the wasm widget in `src/web`, the runtime server in `src/server`) feed it
//! requests and the current time and perform the `engine::Effect`s it hands back. Dependencies point one way:
//! [`json`] (text, values, paths) <- [`wire`] (the Dialog API's requests, traces, transcript) <- [`engine`] <- the
//! hosts. [`client`] holds the browser widget's own rules (retries, its queue of turns, the live stream's parser),
//! pure as well, on json and wire only: the remote-mode widget is built without the engine (cargo feature `engine`
//! off).

pub mod client;
#[cfg(feature = "engine")]
pub mod engine;
pub mod json;
pub mod util;
pub mod wire;

#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(all(feature = "engine", not(target_arch = "wasm32")))]
pub mod server;

/// The browser host's allocator (`web/alloc.rs`) runs over a source of pages, so its tests run natively too.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "web/alloc.rs"]
mod web_alloc;
