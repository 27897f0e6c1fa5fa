//! What the browser widget decides without a browser: pure Rust, compiled for every target and tested natively.
//!
//! The key decision: the DOM, `fetch`, timers and storage stay in `src/web`, which only moves bytes and events and
//! builds elements; every rule about them lives here, where `cargo test` reaches it. Markdown to a node tree
//! ([`markdown`]), the URL policy ([`url`]) and ratings ([`rating`]); for remote mode, how long to wait before a
//! retry ([`retry`]), what an HTTP answer of a runtime means ([`answer`]), how a server-sent event stream is cut
//! into items ([`sse`]), the remote session with its queue of turns and what it records ([`session`]) and the
//! runtime's routes ([`route`]); the summary the page receives ([`turns`]) and the error codes the page sees
//! ([`error`]). Like `src/wire`, nothing here names a browser type, a clock or a random source (`build.sh`
//! checks): time and randomness come in as arguments. Dependencies point as for the wire types:
//! `json <- wire <- client <- web`.

pub mod answer;
pub mod error;
pub mod markdown;
pub mod rating;
pub mod retry;
pub mod route;
pub mod session;
pub mod sse;
pub mod turns;
pub mod url;

pub use error::Code;
pub use session::Status;
