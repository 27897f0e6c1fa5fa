//! Large inputs shared by `tests/linear.rs` (bounds on their cost) and `benches/engine.rs` (their speed).

/// A JSON object of `n` members `"k{i}": value`, as text, the names in a scrambled order (sorted input would
/// hide the cost of a sorted insert). Written as text: building it as a `Map` searches the keys at every insert.
pub fn object_text(n: usize, value: &str) -> String {
    let mut out = String::from("{");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"k{}\":{value}", (i * 7919) % n));
    }
    out.push('}');
    out
}
