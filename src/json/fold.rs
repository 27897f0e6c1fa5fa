//! Case folding for matching, without linking the standard library's 11 KB lowercase table.
//!
//! `char::to_lowercase` pulls a table of about 1,400 (char, char) pairs into the wasm module. The same
//! mapping fits in 185 runs of code points that share one offset, with a step of 1 or 2 (alternating
//! upper/lower pairs): [`LOWERCASE_RUNS`], in `fold/lowercase_runs.rs`, written by
//! `cargo run --example lowercase-runs` (`tools/lowercase-runs.rs`) from the toolchain's own Unicode data.
//! `tests::matches_the_standard_library` checks every code point against std, and
//! `tests::the_committed_table_is_generated` that the file is what the generator writes today.

mod lowercase_runs;

use lowercase_runs::LOWERCASE_RUNS;

/// The table's generator, compiled into the tests to compare its output with the committed table.
#[cfg(test)]
#[path = "../../tools/lowercase-runs.rs"]
mod generator;

/// `c` folded for caseless matching: its Unicode lowercase (one char: 'İ' folds to 'i'), with the final
/// sigma 'ς' folded to 'σ' so that "ΟΔΟΣ" and "οδος" compare equal.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    match c {
        'ς' => return 'σ',
        '\u{130}' => return 'i',
        _ => {}
    }
    // The last run that starts at or before `c`; `c` is in it if it lies on the run's step within its count.
    let x = c as u32;
    let i = LOWERCASE_RUNS.partition_point(|&(first, _)| first >> 8 <= x);
    let Some(&(first_count, offset_step)) = i.checked_sub(1).and_then(|i| LOWERCASE_RUNS.get(i)) else { return c };
    let (from_first, step) = (x - (first_count >> 8), 1 + (offset_step & 1) as u32);
    if from_first % step == 0 && from_first / step <= first_count & 0xff {
        let lower = char::from_u32(x.wrapping_add_signed(offset_step >> 1));
        debug_assert!(lower.is_some(), "the table maps U+{x:04X} to a char");
        lower.unwrap_or(c)
    } else {
        c
    }
}

/// `s` with every char folded by [`fold_char`].
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(fold_char(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_library() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let std: Vec<char> = c.to_lowercase().collect();
            // 'İ' lowercases to "i\u{307}": its first char, the base letter, is what matching needs
            let want = if c == 'ς' { 'σ' } else { std[0] };
            assert_eq!(fold_char(c), want, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_committed_table_is_generated() {
        assert!(
            include_str!("fold/lowercase_runs.rs") == generator::source(),
            "src/json/fold/lowercase_runs.rs is not what the generator writes with this toolchain's Unicode data: \
             run `cargo run --example lowercase-runs` and commit the result"
        );
    }

    #[test]
    fn folds_words() {
        assert_eq!(fold("Straße ÉTÉ ΟΔΟΣ οδος İstanbul ǅ"), "straße été οδοσ οδοσ istanbul ǆ");
    }
}
