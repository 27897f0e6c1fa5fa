//! The browser host behind `window.voiceflow.chat`, rendered into a shadow root: the engine in the page (local
//! mode) or a Dialog API runtime over HTTP (remote mode).
//!
//! The key decision: JavaScript holds one opaque [`Chat`] handle and every call is coarse (one per page or user
//! action). All state is single-threaded behind `Rc`, and **no `RefCell` borrow is ever held while page code
//! runs** (an `on()` handler, an extension, a `postMessage` listener): page code may call back into the chat at any
//! moment, so work is taken out of a cell, the borrow dropped, and only then is page code called. The one exception
//! is a shared borrow of the session while a restored conversation is replayed (see `live.rs`, `Loading::finish`).
//!
//! One crate builds two modules (`build.sh`): with the cargo feature `engine` the local transport and the engine;
//! with `remote` the remote transport and its stream, and no engine at all. The loader fetches the one the config
//! needs. Pure rules (retries, the queue, the stream parser, the routes) live in `src/client`, tested natively.
//!
//! Layout, one concern per file: [`api`] (the exported class and its TypeScript types), `controller` (the
//! lifecycle: the early-call queue, early clicks, load, destroy), `live` (a loaded widget and its turn lane),
//! `config` (the `load()` DTOs), [`convert`] (how Rust values look in JS), [`error`] (errors with a stable
//! `code`), `events` (`on()`/`off()` and `postMessage`), `listeners` (page elements mapped to events),
//! `extensions`, [`storage`], [`transport`] (how turns reach the agent), `local` (the engine in the page), `remote`
//! and `stream` (a runtime over HTTP and its live stream), `http` (fetch with limits), [`widget`] (the DOM) and
//! `alloc` (the module's memory allocator, in place of dlmalloc).
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod alloc;
pub mod api;
mod by_name;
mod call;
mod config;
mod controller;
pub mod convert;
mod dom;
pub mod error;
mod events;
mod extensions;
mod http;
mod listeners;
mod live;
#[cfg(feature = "engine")]
mod local;
pub mod panic;
#[cfg(feature = "remote")]
mod remote;
pub mod storage;
pub mod transport;
pub mod widget;

#[cfg(not(any(feature = "engine", feature = "remote")))]
compile_error!("the browser host needs the cargo feature `engine` (local mode), `remote` (remote mode) or both");

pub use api::Chat;

/// The wall clock in epoch milliseconds: the one reading the engine gets as `now_ms`.
pub fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

/// The first item of a short queue, taken out (a `Vec` used as a queue costs less code than a `VecDeque`).
fn pop_front<T>(queue: &mut Vec<T>) -> Option<T> {
    if queue.is_empty() {
        None
    } else {
        Some(queue.remove(0))
    }
}

/// `c.borrow()` without `#[track_caller]`: the web host's ~60 borrows share one panic location (and one copy per
/// type) instead of bringing one each (wasm size). A conflicting borrow still panics, as before.
#[inline(never)]
pub(crate) fn br<T>(c: &std::cell::RefCell<T>) -> std::cell::Ref<'_, T> {
    c.borrow()
}

/// `c.borrow_mut()`, see [`br`].
#[inline(never)]
pub(crate) fn bm<T>(c: &std::cell::RefCell<T>) -> std::cell::RefMut<'_, T> {
    c.borrow_mut()
}

/// `wasm_bindgen_futures::spawn_local` for a boxed future: the task code is generic over the future's type, so
/// the host's spawns share one copy of it instead of bringing one each (wasm size).
pub(crate) fn spawn(f: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(f)
}

/// `gloo_timers::callback::Timeout::new` for a boxed callback: as [`spawn`], one copy of the timer's closure
/// code for every timer of the host. Dropping the `Timeout` cancels it.
pub(crate) fn timeout(ms: u32, f: Box<dyn FnOnce()>) -> gloo_timers::callback::Timeout {
    gloo_timers::callback::Timeout::new(ms, f)
}
