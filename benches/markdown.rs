//! Markdown benchmarks (criterion): `cargo bench --bench markdown`. The worst cases of issue 14 item 6 (runs of
//! `**a `, `*`, `_`, `~~`, `[`, 20,000 characters each, as the audit measured them) against plain text of the
//! same length. Figures are in docs/PERFORMANCE.md.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use eventflow::client::markdown::parse;

const LEN: usize = 20_000;

fn cases() -> Vec<(&'static str, String)> {
    let fill = |unit: &str| unit.repeat(LEN / unit.len());
    vec![
        ("plain", "lorem ipsum ".repeat(LEN / 12)),
        ("strong_a", fill("**a ")),
        ("stars", fill("*")),
        ("underscores", fill("_")),
        ("tildes", fill("~~")),
        ("del_a", fill("~~a ")),
        ("underscore_a", fill("_a ")),
        ("bracket_a", fill("[a")),
        ("brackets", fill("[")),
        ("em_a", fill("*a ")),
        ("links_unclosed", fill("[a](")),
        ("backticks", fill("` ``")),
        ("nested_em", format!("{}x{}", "*a ".repeat(LEN / 6), " a*".repeat(LEN / 6))),
        // Four times as long: a linear scan takes four times as long.
        ("strong_a_x4", "**a ".repeat(LEN)),
        ("plain_x4", "lorem ipsum ".repeat(LEN / 3)),
    ]
}

fn markdown(c: &mut Criterion) {
    let mut group = c.benchmark_group("markdown_20000");
    for (name, src) in cases() {
        group.bench_function(name, |b| b.iter(|| parse(black_box(&src))));
    }
    group.finish();
}

criterion_group!(benches, markdown);
criterion_main!(benches);
