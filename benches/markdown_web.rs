//! The markdown worst cases in the browser, parsed and built into DOM nodes as the widget shows a message
//! (wasm-bindgen-test's criterion, in headless Chromium):
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
//! WASM_BINDGEN_USE_BROWSER=1 cargo bench --target wasm32-unknown-unknown --bench markdown_web`.
//! Figures are in docs/PERFORMANCE.md; `benches/markdown.rs` measures the parser natively.
#![cfg(target_arch = "wasm32")]

use eventflow::web::widget::render_markdown;
use wasm_bindgen_test::{wasm_bindgen_bench, wasm_bindgen_test_configure, Criterion};

wasm_bindgen_test_configure!(run_in_browser);

const LEN: usize = 20_000;

#[wasm_bindgen_bench]
fn markdown_20000_dom(c: &mut Criterion) {
    let doc = web_sys::window().and_then(|w| w.document()).expect("a document");
    let fill = |unit: &str| unit.repeat(LEN / unit.len());
    let cases = [
        ("plain", "lorem ipsum ".repeat(LEN / 12)),
        ("strong_a", fill("**a ")),
        ("stars", fill("*")),
        ("underscores", fill("_")),
        ("tildes", fill("~~")),
        ("brackets", fill("[")),
        ("em_a", fill("*a ")),
    ];
    for (name, src) in cases {
        c.bench_function(&format!("markdown_20000_dom/{name}"), |b| {
            b.iter(|| {
                let div = doc.create_element("div").expect("a div");
                render_markdown(&doc, &div, &src);
                div
            })
        });
    }
}
