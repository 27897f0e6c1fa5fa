//! Writes `src/json/fold/lowercase_runs.rs`, the table behind `json::fold`, from the Unicode data of the Rust
//! toolchain that runs it (`char::to_lowercase`).
//!
//! usage: `cargo run --example lowercase-runs` (rewrites the file in place). `json::fold`'s tests check that the
//! committed file is what this program writes, and that the table maps every code point as std does.
//!
//! The table lists every char whose lowercase is one other char, as runs: code points `first`, `first + step`,
//! ..., up to 256 of them, all mapped by the same offset, with a step of 1 (a block of capitals, `A..=Z`) or 2
//! (alternating capital and small letters, `Ā ā Ă ă ...`). Each run is packed into two numbers:
//! `(first << 8 | (count - 1), offset << 1 | (step == 2))`. Runs are built greedily in code point order, so
//! they never overlap and every code point a run reaches on its step is one it maps.

use std::fmt::Write as _;

/// The most chars in one run: its count less one is kept in 8 bits.
const MAX_RUN: u32 = 256;

/// One run of chars mapped by the same offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub first: u32,
    pub count: u32,
    pub step: u32,
    pub offset: i32,
}

impl Run {
    /// The packed form the table holds.
    pub fn packed(&self) -> (u32, i32) {
        (self.first << 8 | (self.count - 1), self.offset << 1 | i32::from(self.step == 2))
    }
}

/// Every char whose lowercase is exactly one char other than itself, with that char, in code point order.
pub fn mappings() -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
        let mut lower = c.to_lowercase();
        if let (Some(l), None) = (lower.next(), lower.next()) {
            if l != c {
                out.push((c as u32, l as u32));
            }
        }
    }
    out
}

/// The mappings as runs. A run starts at the first mapping not yet covered and takes as its step the distance to
/// the next mapping when that is 2 with the same offset, else 1; it then grows while the next mapping is one step
/// on with the same offset.
pub fn runs(mappings: &[(u32, u32)]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&(first, lower)) = mappings.get(i) {
        let offset = lower as i32 - first as i32;
        let same = |j: usize, at: u32| mappings.get(j) == Some(&(at, (at as i32 + offset) as u32));
        let step = if !same(i + 1, first + 1) && same(i + 1, first + 2) { 2 } else { 1 };
        let mut count = 1;
        while count < MAX_RUN && same(i + count as usize, first + count * step) {
            count += 1;
        }
        out.push(Run { first, count, step, offset });
        i += count as usize;
    }
    out
}

/// The Rust source of `src/json/fold/lowercase_runs.rs`.
pub fn source() -> String {
    let runs = runs(&mappings());
    let (major, minor, update) = char::UNICODE_VERSION;
    let mut out = String::new();
    let _ = writeln!(out, "// Written by `cargo run --example lowercase-runs` (tools/lowercase-runs.rs): do not edit.");
    let _ = writeln!(out, "// Unicode {major}.{minor}.{update}, as the Rust toolchain's `char::to_lowercase` maps it.");
    out.push('\n');
    out.push_str(
        "/// Runs of chars with a one-char lowercase, packed: `(first << 8 | count - 1, offset << 1 | step_is_two)`.\n",
    );
    let _ = writeln!(out, "pub const LOWERCASE_RUNS: [(u32, i32); {}] = [", runs.len());
    for run in &runs {
        let (a, b) = run.packed();
        let _ = writeln!(out, "    ({a:#x}, {b}),");
    }
    out.push_str("];\n");
    out
}

#[allow(dead_code)] // `json::fold`'s tests include this file for `source` alone
fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/json/fold/lowercase_runs.rs");
    if let Err(e) = std::fs::write(&path, source()) {
        eprintln!("lowercase-runs: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    println!("lowercase-runs: wrote {}", path.display());
}
