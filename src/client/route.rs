//! The runtime's routes, built from `load()`'s `url`, `verify.projectID` and the user id (SPEC §7.1, §8.3).

/// Voiceflow's hosted runtime: the default `url`, as in Voiceflow's widget.
pub const DEFAULT_URL: &str = "https://general-runtime.voiceflow.com";

/// Where one project's runtime lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routes {
    /// The runtime URL without a trailing `/`.
    base: String,
    project: String,
}

impl Routes {
    /// Check the runtime URL: absolute http(s), or a path on the page's own origin (`/runtime`). The error says
    /// what is wrong with it, for `url: ...`.
    pub fn new(url: &str, project_id: &str) -> Result<Routes, String> {
        let base = url.trim().trim_end_matches('/');
        let lower = base.to_ascii_lowercase();
        let host = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
        let ok = match host {
            Some(rest) => !rest.is_empty() && !rest.starts_with('/'),
            // A path on the page's origin; `/` alone trims to nothing.
            None => {
                (base.starts_with('/') && !base.starts_with("//")) || (base.is_empty() && url.trim().starts_with('/'))
            }
        };
        if !ok || base.contains(['?', '#']) || base.chars().any(char::is_whitespace) {
            return Err(format!("'{url}' is not a runtime URL (http://, https:// or a path starting with /)"));
        }
        Ok(Routes { base: base.to_string(), project: project_id.to_string() })
    }

    /// `POST {url}/public/{projectID}/state/user/{userID}/interact`
    pub fn interact(&self, user_id: &str) -> String {
        self.user(user_id, "/interact")
    }

    /// `GET {url}/public/{projectID}/state/user/{userID}/stream?after={seq}`
    pub fn stream(&self, user_id: &str, after: u64) -> String {
        let mut url = self.user(user_id, "/stream");
        if after > 0 {
            url.push_str("?after=");
            url.push_str(&after.to_string());
        }
        url
    }

    /// `GET {url}/public/{projectID}/publishing`
    pub fn publishing(&self) -> String {
        let mut url = self.public();
        url.push_str("/publishing");
        url
    }

    /// `POST {url}/feedback/{projectID}/user/{userID}` (Voiceflow's rating route).
    pub fn feedback(&self, user_id: &str) -> String {
        let mut url = self.base.clone();
        url.push_str("/feedback/");
        segment(&self.project, &mut url);
        url.push_str("/user/");
        segment(user_id, &mut url);
        url
    }

    fn public(&self) -> String {
        let mut url = self.base.clone();
        url.push_str("/public/");
        segment(&self.project, &mut url);
        url
    }

    fn user(&self, user_id: &str, tail: &str) -> String {
        let mut url = self.public();
        url.push_str("/state/user/");
        segment(user_id, &mut url);
        url.push_str(tail);
        url
    }
}

/// One path segment, percent-encoded as `encodeURIComponent` does (Voiceflow's widget encodes the user id so).
fn segment(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_routes() {
        let r = Routes::new("https://general-runtime.voiceflow.com/", "66b0000000000000000000b1").unwrap();
        assert_eq!(
            r.interact("w1"),
            "https://general-runtime.voiceflow.com/public/66b0000000000000000000b1/state/user/w1/interact"
        );
        assert_eq!(r.publishing(), "https://general-runtime.voiceflow.com/public/66b0000000000000000000b1/publishing");
        assert_eq!(
            r.stream("w1", 0),
            "https://general-runtime.voiceflow.com/public/66b0000000000000000000b1/state/user/w1/stream"
        );
        assert_eq!(
            r.stream("w1", 42),
            "https://general-runtime.voiceflow.com/public/66b0000000000000000000b1/state/user/w1/stream?after=42"
        );
        assert_eq!(r.feedback("w1"), "https://general-runtime.voiceflow.com/feedback/66b0000000000000000000b1/user/w1");
    }

    #[test]
    fn ids_are_encoded_as_encode_uri_component() {
        let r = Routes::new("http://127.0.0.1:8080", "shop/../x").unwrap();
        assert_eq!(
            r.interact("a b/é?#&'"),
            "http://127.0.0.1:8080/public/shop%2F..%2Fx/state/user/a%20b%2F%C3%A9%3F%23%26'/interact"
        );
    }

    #[test]
    fn runtime_urls() {
        for ok in ["http://localhost:3000", "HTTPS://Runtime.Example/base/", "/runtime", "/"] {
            assert!(Routes::new(ok, "p").is_ok(), "{ok}");
        }
        assert_eq!(Routes::new("/", "p").unwrap().publishing(), "/public/p/publishing");
        for bad in [
            "",
            "runtime.example.com",
            "javascript:alert(1)",
            "ftp://x",
            "https://",
            "http:///x",
            "//evil.example",
            "https://x?y=1",
            "https://x y",
        ] {
            let e = Routes::new(bad, "p").unwrap_err();
            assert!(e.ends_with("is not a runtime URL (http://, https:// or a path starting with /)"), "{bad}: {e}");
        }
    }
}
