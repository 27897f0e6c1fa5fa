//! The URL policy: every URL that reaches an `href` or `src` in the widget goes through [`safe_url`]. Links keep
//! only http, https and mailto; images http, https and `data:image/...`; stylesheets http, https and
//! `data:text/css`. Relative URLs are allowed (they resolve against the page, so http or https).

use crate::util::slice;

/// What a URL is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UrlUse {
    /// `<a href>`: http, https, mailto.
    Link,
    /// `<img src>`: http, https, `data:image/...`.
    Image,
    /// `<link rel=stylesheet href>`: http, https, `data:text/css`.
    Stylesheet,
}

/// The URL to put in the DOM, or `None` when its scheme is not allowed for this use. The check is made on the
/// string the browser will parse: tabs and newlines are removed and control characters and spaces trimmed first,
/// as the URL parser does, so `java\tscript:` or ` javascript:` cannot slip through.
pub fn safe_url(raw: &str, usage: UrlUse) -> Option<String> {
    // Trimming first and then removing tabs and newlines gives the same string: the trimmed set includes them.
    // The trimmed characters are all ASCII, so bytes tell where they end.
    let b = raw.as_bytes();
    let start = b.iter().position(|&c| c > b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c > b' ').map_or(start, |i| i + 1);
    let mut url = String::new();
    for c in slice(raw, start, end).chars() {
        if !matches!(c, '\t' | '\n' | '\r') {
            url.push(c);
        }
    }
    if url.is_empty() {
        return None;
    }
    let allowed = match scheme(url.as_bytes()) {
        None => true,
        Some(s) if s.eq_ignore_ascii_case(b"http") || s.eq_ignore_ascii_case(b"https") => true,
        Some(s) if s.eq_ignore_ascii_case(b"mailto") => usage == UrlUse::Link,
        Some(s) if s.eq_ignore_ascii_case(b"data") => match usage {
            UrlUse::Image => starts_ci(&url, "data:image/"),
            UrlUse::Stylesheet => starts_ci(&url, "data:text/css"),
            UrlUse::Link => false,
        },
        Some(_) => false,
    };
    allowed.then_some(url)
}

/// Whether `s` starts with `prefix` in any ASCII case.
pub fn starts_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes().get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The scheme of a URL (`https` of `https://...`), or `None` for a relative URL.
fn scheme(url: &[u8]) -> Option<&[u8]> {
    let end = url.iter().position(|b| matches!(b, b':' | b'/' | b'?' | b'#'))?;
    let s = url.get(..end)?;
    let valid = url.get(end) == Some(&b':')
        && s.first().is_some_and(u8::is_ascii_alphabetic)
        && s.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    valid.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_schemes_are_refused_for_every_use() {
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:x",
            "java\nscript:x",
            "\u{1}javascript:x",
            "\u{0}\u{20}javascript:x",
            "vbscript:x",
            "data:text/html,x",
            "DATA:text/html;base64,PHNjcmlwdD4=",
            "file:///etc/passwd",
            "blob:https://a.example/1",
        ] {
            for usage in [UrlUse::Link, UrlUse::Image, UrlUse::Stylesheet] {
                assert_eq!(safe_url(bad, usage), None, "{bad:?} {usage:?}");
            }
        }
    }

    #[test]
    fn allowed_urls_per_use() {
        assert_eq!(safe_url("https://a.example/c", UrlUse::Link).as_deref(), Some("https://a.example/c"));
        assert_eq!(safe_url("  HTTP://a.example\n", UrlUse::Link).as_deref(), Some("HTTP://a.example"));
        assert_eq!(safe_url("mailto:a@b.example", UrlUse::Link).as_deref(), Some("mailto:a@b.example"));
        assert_eq!(safe_url("mailto:a@b.example", UrlUse::Image), None);
        assert_eq!(safe_url("/rel/x.png", UrlUse::Image).as_deref(), Some("/rel/x.png"));
        assert_eq!(safe_url("x.png?a:b", UrlUse::Image).as_deref(), Some("x.png?a:b"), "a colon after ? is no scheme");
        assert_eq!(safe_url("data:image/png;base64,AA", UrlUse::Image).as_deref(), Some("data:image/png;base64,AA"));
        assert_eq!(safe_url("data:image/png;base64,AA", UrlUse::Link), None);
        assert_eq!(safe_url("data:text/css,a{}", UrlUse::Stylesheet).as_deref(), Some("data:text/css,a{}"));
        assert_eq!(safe_url("data:text/css,a{}", UrlUse::Image), None);
        assert_eq!(safe_url(" \t ", UrlUse::Link), None, "nothing left");
    }
}
