//! The native host: `eventflow check AGENT.json`, `eventflow interact AGENT.json`, `eventflow chat AGENT.json` and
//! `eventflow serve AGENT.json...` (the runtime server).
//!
//! Native only: `wasm-pack test` builds every target for wasm32, where this binary is an empty shell, so the
//! HTTP client never reaches the browser build.

#[cfg(not(target_arch = "wasm32"))]
#[path = "eventflow/cli.rs"]
mod cli;

/// A server turn makes and drops many small strings (JSON of sessions, traces, transcript entries); with glibc's
/// allocator malloc and free were about a fifth of its time (docs/PERFORMANCE.md, "Server").
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
#[path = "eventflow/serve.rs"]
mod serve;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, rest)) if command == "serve" => serve::main(rest),
        _ => cli::main(),
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
