//! Agent markdown to DOM nodes. Never `innerHTML`: every node is created one by one, and text only ever becomes
//! text nodes, so raw HTML in a message (`<script>`, `<img onerror>`) shows as the literal text it is.
//!
//! Why not pulldown-cmark: measured in this module it costs 69 KB of gzip (entity tables, the full CommonMark
//! block machinery), more than half of the page-weight budget (SPEC §9.1). Chat messages use a small, stable
//! subset, implemented here: paragraphs (a single newline is a line break, as chat users expect), `#` headings,
//! `-`/`*`/`+`/`1.` lists, `>` quotes, fenced code, `---` rules; inline `**strong**`, `*em*`/`_em_`, `~~del~~`,
//! `` `code` ``, `[links](url "title")`, `![images](url)`, `<autolinks>`, bare `https://` URLs, backslash
//! escapes and the common entities. Links keep only http, https and mailto (with
//! `rel="noopener noreferrer" target="_blank"`), images only http, https and `data:image`; anything else renders
//! as its plain text. Nesting is bounded, so no input can exhaust the stack.

use web_sys::{Document, Element};

use super::dom::{add, attr, create, decimal, safe_url, set_text, starts_ci, UrlUse};
use crate::util::{find, slice};
use crate::web::convert::call_method;

/// Deeper nesting (quotes in quotes, emphasis in emphasis) renders as text.
const MAX_DEPTH: usize = 8;
/// Longer messages render as plain text (the inline scan is quadratic in the worst case).
const MAX_LEN: usize = 20_000;

/// Append the rendering of `src` to `parent`.
pub fn render(doc: &Document, parent: &Element, src: &str) {
    if src.len() > MAX_LEN {
        return text(parent, src);
    }
    // Lines end at `\n` or `\r\n`, read borrowed (no copy with `\r\n` replaced); a `\r` not before `\n` stays.
    let mut lines = Vec::new();
    let mut rest = src;
    while let Some((line, tail)) = rest.split_once('\n') {
        lines.push(line.strip_suffix('\r').unwrap_or(line));
        rest = tail;
    }
    lines.push(rest);
    blocks(doc, parent, &lines, 0)
}

/// What a line starts, once its indentation (up to three spaces) is skipped.
enum Line<'a> {
    Blank,
    Fence,
    Heading(usize, &'a str),
    Quote(&'a str),
    Item { ordered: Option<u32>, rest: &'a str },
    Rule,
    Text,
}

static BULLETS: &[&str] = &["- ", "* ", "+ "];

fn classify(line: &str) -> Line<'_> {
    let t = line.trim_start_matches(' ');
    if t.trim().is_empty() {
        return Line::Blank;
    }
    if line.len() - t.len() > 3 {
        return Line::Text;
    }
    if t.starts_with("```") || t.starts_with("~~~") {
        return Line::Fence;
    }
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) && (t.len() == hashes || slice(t, hashes, t.len()).starts_with(' ')) {
        return Line::Heading(hashes, slice(t, hashes, t.len()).trim().trim_end_matches('#').trim_end());
    }
    if let Some(rest) = t.strip_prefix('>') {
        return Line::Quote(rest.strip_prefix(' ').unwrap_or(rest));
    }
    // A rule: three or more of one of `-*_`, spaces allowed between them.
    if let Some(first @ (b'-' | b'*' | b'_')) = t.bytes().next() {
        if t.bytes().all(|b| b == first || b == b' ') && t.bytes().filter(|&b| b == first).count() >= 3 {
            return Line::Rule;
        }
    }
    for bullet in BULLETS {
        if let Some(rest) = t.strip_prefix(bullet) {
            return Line::Item { ordered: None, rest };
        }
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let after = slice(t, digits, t.len());
        if after.starts_with(". ") || after.starts_with(") ") {
            return Line::Item { ordered: slice(t, 0, digits).parse().ok(), rest: slice(after, 2, after.len()) };
        }
    }
    Line::Text
}

fn blocks(doc: &Document, parent: &Element, lines: &[&str], depth: usize) {
    let mut i = 0;
    // Lines are read with `get`, which cannot fail here, rather than indexed: no panic paths.
    while let Some(&line) = lines.get(i) {
        match classify(line) {
            Line::Blank => i += 1,
            Line::Fence => {
                let marker = if line.trim_start().starts_with('~') { "~~~" } else { "```" };
                let after = lines.get(i + 1..).unwrap_or_default();
                let len = after.iter().position(|l| l.trim_start().starts_with(marker)).unwrap_or(after.len());
                let pre = append(doc, parent, "pre");
                let code = append(doc, &pre, "code");
                set_text(&code, &after.get(..len).unwrap_or_default().join("\n"));
                // Past the closing fence (or the end).
                i += len + 2;
            }
            Line::Heading(level, content) => {
                let h = append(doc, parent, heading_tag(level));
                inline(doc, &h, content, depth);
                i += 1;
            }
            Line::Quote(_) => {
                let mut inner = Vec::new();
                while let Some(Line::Quote(rest)) = lines.get(i).map(|l| classify(l)) {
                    inner.push(rest);
                    i += 1;
                }
                let q = append(doc, parent, "blockquote");
                if depth < MAX_DEPTH {
                    blocks(doc, &q, &inner, depth + 1);
                } else {
                    text(&q, &inner.join("\n"));
                }
            }
            Line::Item { ordered, .. } => {
                let list = append(doc, parent, if ordered.is_some() { "ol" } else { "ul" });
                if let Some(start) = ordered.filter(|s| *s != 1) {
                    attr(&list, "start", &decimal(start as usize));
                }
                while let Some(Line::Item { ordered: o, rest }) = lines.get(i).map(|l| classify(l)) {
                    if o.is_some() != ordered.is_some() {
                        break;
                    }
                    let mut item = rest.to_string();
                    i += 1;
                    // Indented lines continue the item.
                    while let Some(next) = lines.get(i).filter(|l| l.starts_with("  ") && !l.trim().is_empty()) {
                        item.push('\n');
                        item.push_str(next.trim_start());
                        i += 1;
                    }
                    let li = append(doc, &list, "li");
                    inline(doc, &li, &item, depth);
                }
            }
            Line::Rule => {
                append(doc, parent, "hr");
                i += 1;
            }
            Line::Text => {
                let start = i;
                while lines.get(i).is_some_and(|l| i == start || matches!(classify(l), Line::Text)) {
                    i += 1;
                }
                let p = append(doc, parent, "p");
                inline(doc, &p, &lines.get(start..i).unwrap_or_default().join("\n"), depth);
            }
        }
    }
}

/// Inline markup of `s` into `parent`.
fn inline(doc: &Document, parent: &Element, s: &str, depth: usize) {
    let mut plain = String::new();
    let mut i = 0;
    let at_word_start = |i: usize| !s.get(..i).and_then(|h| h.chars().next_back()).is_some_and(char::is_alphanumeric);
    while i < s.len() {
        let rest = slice(s, i, s.len());
        let c = rest.chars().next().unwrap_or(' ');
        // Backslash escapes of ASCII punctuation.
        if c == '\\' {
            if let Some(n) = slice(rest, 1, rest.len()).chars().next().filter(char::is_ascii_punctuation) {
                plain.push(n);
                i += 2;
                continue;
            }
        }
        if c == '\n' {
            flush(parent, &mut plain);
            append(doc, parent, "br");
            i += 1;
            continue;
        }
        if c == '&' {
            if let Some((decoded, len)) = entity(rest) {
                plain.push(decoded);
                i += len;
                continue;
            }
        }
        if c == '`' {
            let run = rest.bytes().take_while(|&b| b == b'`').count();
            let fence = slice(rest, 0, run);
            if let Some(end) = find(slice(rest, run, rest.len()), fence) {
                flush(parent, &mut plain);
                let code = append(doc, parent, "code");
                set_text(&code, slice(rest, run, run + end).trim());
                i += run + end + run;
                continue;
            }
            plain.push_str(fence);
            i += run;
            continue;
        }
        if depth < MAX_DEPTH {
            if let Some(used) = styled(doc, parent, &mut plain, rest, depth, at_word_start(i)) {
                i += used;
                continue;
            }
        }
        if (c == 'h' || c == 'H') && depth < MAX_DEPTH && at_word_start(i) {
            if let Some(len) = bare_url(rest) {
                flush(parent, &mut plain);
                let url = slice(rest, 0, len);
                link(doc, parent, url, None, url, depth);
                i += len;
                continue;
            }
        }
        plain.push(c);
        i += c.len_utf8();
    }
    flush(parent, &mut plain)
}

/// Links, images, autolinks and emphasis starting at `rest`. `Some(bytes used)` when one was rendered.
fn styled(
    doc: &Document,
    parent: &Element,
    plain: &mut String,
    rest: &str,
    depth: usize,
    word_start: bool,
) -> Option<usize> {
    let image = rest.starts_with("![");
    if image || rest.starts_with('[') {
        let open = if image { 2 } else { 1 };
        if let Some((label, dest, title, used)) = link_parts(slice(rest, open, rest.len())) {
            flush(parent, plain);
            if image {
                match allowed(dest, UrlUse::Image) {
                    Some(src) => {
                        let img = super::dom::img(doc, "ef-md-img", &src, label, true);
                        if let Some(t) = title {
                            attr(&img, "title", t);
                        }
                        add(parent, &img);
                    }
                    None => text(parent, label),
                }
            } else {
                link(doc, parent, dest, title, label, depth);
            }
            return Some(open + used);
        }
    }
    if rest.starts_with('<') {
        if let Some(end) = rest.find('>') {
            let inner = slice(rest, 1, end);
            let is_url = starts_ci(inner, "http://") || starts_ci(inner, "https://") || starts_ci(inner, "mailto:");
            let is_email = inner.contains('@') && !inner.contains(':');
            if !inner.chars().any(char::is_whitespace) && (is_url || is_email) {
                flush(parent, plain);
                let mut dest = String::new();
                if is_email {
                    dest.push_str("mailto:");
                }
                dest.push_str(inner);
                link(doc, parent, &dest, None, inner, depth);
                return Some(end + 1);
            }
        }
    }
    for &(marker, tag) in MARKERS {
        let Some(after) = rest.strip_prefix(marker) else {
            continue;
        };
        let underscore = marker.starts_with('_');
        let single = marker.len() == 1;
        // An opener is followed by a non-space; `_` only opens at a word start (`snake_case` stays as it is); a
        // single `*` or `_` never opens or closes inside a run of two. Characters are tested through `chars()`,
        // not with a predicate as a pattern (`starts_with(char::is_whitespace)`): each of those is its own copy of
        // core's pattern searcher.
        if after.chars().next().is_some_and(char::is_whitespace)
            || after.is_empty()
            || (underscore && !word_start)
            || (single && after.starts_with(marker))
        {
            continue;
        }
        let close = (1..after.len()).filter(|&k| after.is_char_boundary(k)).find(|&k| {
            let (head, tail) = (slice(after, 0, k), slice(after, k + marker.len(), after.len()));
            slice(after, k, after.len()).starts_with(marker)
                && !head.chars().next_back().is_some_and(char::is_whitespace)
                && !(single && (head.ends_with(marker) || tail.starts_with(marker)))
                && !(underscore && tail.chars().next().is_some_and(char::is_alphanumeric))
        });
        if let Some(k) = close {
            flush(parent, plain);
            let e = append(doc, parent, tag);
            inline(doc, &e, slice(after, 0, k), depth + 1);
            return Some(marker.len() + k + marker.len());
        }
    }
    None
}

/// Emphasis markers and their tags, longest first. A `static`, read in place: an array literal in the loop is
/// written to the stack on every call.
static MARKERS: &[(&str, &str)] = &[("**", "strong"), ("__", "strong"), ("~~", "del"), ("*", "em"), ("_", "em")];

/// The byte index of the `close` that ends a run opened just before `s`, skipping nested `open`/`close` pairs.
fn closing(s: &str, open: char, close: char) -> Option<usize> {
    let mut level = 0usize;
    for (i, c) in s.char_indices() {
        if c == open {
            level += 1;
        } else if c == close {
            if level == 0 {
                return Some(i);
            }
            level -= 1;
        }
    }
    None
}

/// `label](dest "title")` after the opening bracket: label, destination, title and bytes used.
fn link_parts(s: &str) -> Option<(&str, &str, Option<&str>, usize)> {
    let close = closing(s, '[', ']')?;
    let after = slice(s, close + 1, s.len()).strip_prefix('(')?;
    let end = closing(after, '(', ')')?;
    let inside = slice(after, 0, end).trim();
    let (dest, title) = match find(inside, " \"") {
        Some(q) if inside.ends_with('"') && inside.len() > q + 2 => {
            (slice(inside, 0, q).trim(), Some(slice(inside, q + 2, inside.len() - 1)))
        }
        _ => (inside, None),
    };
    let dest = dest.strip_prefix('<').and_then(|d| d.strip_suffix('>')).unwrap_or(dest);
    Some((slice(s, 0, close), dest, title, close + 2 + end + 1))
}

/// A link when `dest` is allowed, else a `<span>`; either way the label inside holds no links or emphasis.
fn link(doc: &Document, parent: &Element, dest: &str, title: Option<&str>, label: &str, depth: usize) {
    let href = allowed(dest, UrlUse::Link);
    let e = append(doc, parent, if href.is_some() { "a" } else { "span" });
    if let Some(href) = href {
        attr(&e, "href", &href);
        attr(&e, "target", "_blank");
        attr(&e, "rel", "noopener noreferrer");
        if let Some(t) = title {
            attr(&e, "title", t);
        }
    }
    // No links inside a link: the label is text (escapes, entities and code spans only).
    inline(doc, &e, label, MAX_DEPTH.max(depth))
}

/// The length of a bare `http(s)://` URL at the start of `s`, without trailing punctuation; something must follow
/// the `//`.
fn bare_url(s: &str) -> Option<usize> {
    s.get(..8)?;
    let scheme = if starts_ci(s, "https://") {
        8
    } else if starts_ci(s, "http://") {
        7
    } else {
        return None;
    };
    let mut end = s.find(|c: char| c.is_whitespace() || c == '<').unwrap_or(s.len());
    // The parentheses of `s[..end]`, counted once: only a trimmed `)` changes them.
    let (mut open, mut close) = (0, 0);
    for b in s.bytes().take(end) {
        match b {
            b'(' => open += 1,
            b')' => close += 1,
            _ => {}
        }
    }
    while let Some(last) = s.get(..end).and_then(|h| h.chars().next_back()) {
        let unbalanced = last == ')' && open < close;
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '*' | '_' | '~') || unbalanced {
            close -= usize::from(last == ')');
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    (end > scheme).then_some(end)
}

/// `dest` with its entities decoded, when the result is allowed for `usage` (an entity left undecoded could
/// hide a scheme, so it is refused).
fn allowed(dest: &str, usage: UrlUse) -> Option<String> {
    let decoded = decode(dest);
    if undecoded_entity(&decoded) {
        None
    } else {
        safe_url(&decoded, usage)
    }
}

/// Decode the entity at the start of `s` (`&amp; &lt; &gt; &quot; &apos; &nbsp;` and numeric ones): the character
/// and the bytes used.
fn entity(s: &str) -> Option<(char, usize)> {
    let semi = s.bytes().take(12).position(|b| b == b';')?;
    let name = s.get(1..semi)?;
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
    };
    Some((c, semi + 1))
}

/// Whether `s` still holds an entity-like `&name;` this module does not decode (it could hide a scheme).
fn undecoded_entity(s: &str) -> bool {
    s.match_indices('&').any(|(i, _)| {
        let rest = slice(s, i + 1, s.len());
        let name = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        name > 0 && slice(rest, name, rest.len()).starts_with(';')
    })
}

/// `s` with its entities decoded (for link destinations, before the scheme check).
fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = slice(s, i, s.len());
        if let Some((c, len)) = rest.starts_with('&').then(|| entity(rest)).flatten() {
            out.push(c);
            i += len;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Headings start at `h3`: the widget's own title is `h2`.
fn heading_tag(level: usize) -> &'static str {
    match level {
        4 => "h4",
        5 => "h5",
        6 => "h6",
        _ => "h3",
    }
}

fn append(doc: &Document, parent: &Element, tag: &str) -> Element {
    let e = create(doc, tag);
    add(parent, &e);
    e
}

fn flush(parent: &Element, plain: &mut String) {
    if !plain.is_empty() {
        text(parent, plain);
        plain.clear();
    }
}

/// Append `s` as a text node: `append` of a string, no `createTextNode` binding. Into an element it cannot throw,
/// so there is no error path (as [`add`]).
fn text(parent: &Element, s: &str) {
    let _ = call_method(parent, "append", &s.into());
}
