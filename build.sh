#!/usr/bin/env bash
# eventflow build script. Installs what it needs when missing, skips what is present.
#
#   ./build.sh          build the native CLI (target/release/eventflow)
#   ./build.sh test     every check CI runs: fmt, clippy, tests, engine purity
#   ./build.sh bench    criterion benchmarks of the engine
set -euo pipefail
cd "$(dirname "$0")"

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen = "=..." pin in Cargo.toml

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

ensure_rust() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
  local have; have=$(rustup component list --installed 2>/dev/null || true)
  grep -q '^rustfmt' <<<"$have" || rustup component add rustfmt
  grep -q '^clippy' <<<"$have" || rustup component add clippy
}

# src/engine must stay pure: no browser, clock, file or network API (STYLE.md, "The shape").
check_engine_purity() {
  say "engine purity"
  if grep -rnE 'wasm_bindgen|js_sys|web_sys|gloo|SystemTime|Instant|std::fs|std::net|std::process|std::thread|rand::' src/engine; then
    echo "src/engine names a browser, clock or I/O API (above): the engine must stay sans-I/O" >&2
    exit 1
  fi
}

build() {
  ensure_rust
  say "native CLI"
  cargo build --release --bin eventflow
}

run_tests() {
  ensure_rust
  say "cargo fmt --check"
  cargo fmt --all -- --check
  say "cargo clippy (native)"
  cargo clippy --all-targets -- -D warnings
  check_engine_purity
  say "cargo test"
  cargo test
}

case "${1:-build}" in
  build) build ;;
  test) run_tests ;;
  bench) ensure_rust; cargo bench --bench engine ;;
  *) echo "usage: ./build.sh [build|test|bench]" >&2; exit 2 ;;
esac
