//! Property tests of the markdown parser (`src/client/markdown.rs`): no input panics it, its output grows
//! linearly with its input, and every URL it keeps passed the URL policy. The worst cases of issue 14 (runs of
//! `**a `, `*`, `_`, `~~`, `[`) are parsed at many times the audit's length; their speed is measured by the
//! criterion benchmark `benches/markdown.rs`, not here.

use eventflow::client::markdown::{parse, Event, Kind, Markdown};
use eventflow::client::url::{safe_url, UrlUse};
use proptest::prelude::*;

/// Check what a parse gave: the output is linear in the input, and every link and image URL is allowed.
fn check(src: &str, md: &Markdown) {
    let html = md.to_html();
    // The longest expansion: `![](h)` (6 bytes) becomes an `<img>` of about 60 bytes.
    assert!(html.len() <= 16 * src.len() + 64, "{} bytes of HTML for {} of input: {src:?}", html.len(), src.len());
    let mut nodes = 0;
    md.walk(|ev| {
        nodes += 1;
        match ev {
            Event::Enter(Kind::Link { href, .. }) => {
                assert_eq!(safe_url(href, UrlUse::Link).as_deref(), Some(href.as_str()), "{src:?}")
            }
            Event::Leaf(Kind::Image { src: url, .. }) => {
                assert_eq!(safe_url(url, UrlUse::Image).as_deref(), Some(url.as_str()), "{src:?}")
            }
            _ => {}
        }
    });
    assert!(nodes <= 2 * src.len() + 2, "{nodes} nodes for {} bytes", src.len());
}

/// Markdown-heavy text: the characters the parser gives meaning to, with a few letters and spaces.
fn markdownish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "*",
        "**",
        "_",
        "__",
        "~~",
        "~",
        "`",
        "``",
        "[",
        "]",
        "![",
        "(",
        ")",
        "<",
        ">",
        "\\",
        "&",
        "&amp;",
        "&#x41;",
        "#",
        "> ",
        "- ",
        "1. ",
        "```",
        "\n",
        "\n\n",
        " ",
        "a",
        "b",
        "é",
        "✓",
        "https://x.example/",
        "mailto:a@b",
        "javascript:",
        "\"",
        "'",
        ":",
        "@",
        "\r\n",
    ]);
    prop::collection::vec(atoms, 0..120).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_markdownish_text_parses(src in markdownish()) {
        check(&src, &parse(&src));
    }

    #[test]
    fn any_text_parses(src in "\\PC{0,300}") {
        check(&src, &parse(&src));
    }

    /// Text without any character the parser reads is one paragraph of exactly that text.
    #[test]
    fn plain_text_is_kept(src in "[a-gA-G,;éü✓][a-gA-G0-9 ,.;éü✓]{0,200}") {
        let html = parse(&src).to_html();
        prop_assert_eq!(html, format!("<p>{src}</p>"));
    }
}

/// The issue's worst cases, at 200,000 bytes (ten times the audit's 20,000): a quadratic scan would take minutes
/// here; a linear one takes moments.
#[test]
fn worst_cases_parse_at_length() {
    for unit in [
        "**a ", "*", "_", "~~", "[", "*a ", "_a ", "~~a ", "[a", "![", "](", "`", "<a", "https://", "&#", "*a ]",
        "[*a ", "h*",
    ] {
        let src = unit.repeat(200_000 / unit.len());
        let md = parse(&src);
        check(&src, &md);
    }
    let nested = format!("{}x{}", "*a ".repeat(30_000), " a*".repeat(30_000));
    check(&nested, &parse(&nested));
}
