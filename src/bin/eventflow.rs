//! The native host: `eventflow check AGENT.json`, `eventflow interact AGENT.json` and `eventflow chat AGENT.json`.
//!
//! Native only: `wasm-pack test` builds every target for wasm32, where this binary is an empty shell, so the
//! HTTP client never reaches the browser build.

#[cfg(not(target_arch = "wasm32"))]
#[path = "eventflow/cli.rs"]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
