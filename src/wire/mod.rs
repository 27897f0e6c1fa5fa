//! The Dialog API on the wire: requests, traces and the transcript, plain data spoken by every host.
//!
//! The key decision: these types carry no behaviour of a turn. The engine consumes requests and produces traces
//! and transcript entries; the remote widget sends the same requests to a server and reads the same traces back;
//! the server reads requests off HTTP. So they live below the engine (`json <- wire <- engine <- hosts`), and a
//! remote-mode module links them without linking the engine.

mod error;
pub mod names;
pub mod request;
pub mod trace;
pub mod transcript;

pub use error::RequestError;
pub use request::{Config, Envelope, FileInfo, Request, MAX_REQUEST_BYTES};
pub use trace::{Button, CardPayload, CarouselPayload, ChoicePayload, TextPayload, Trace, TraceKind, VisualPayload};
pub use transcript::{Body, Entry, Recipients, Transcript};
