//! The error codes of the page API: every `error.code` the widget gives the page, one stable string each.

/// Why a call failed, as the page sees it in `error.code`. The strings are part of the API (documented in
/// `docs/embedding.md`); [`Code::Request`] hands on the code of a request the wire layer or the engine refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// A `load()` option is wrong; the message starts with the field.
    InvalidConfig,
    /// The agent file does not validate (local mode).
    InvalidAgent,
    /// The agent file could not be fetched: an HTTP error, a network failure, too slow or too large.
    AgentFetch,
    /// `load()` was called on a loaded chat.
    AlreadyLoaded,
    /// The chat was destroyed before or while the call ran.
    Destroyed,
    /// A call queued before `load()` was dropped because `load()` failed.
    NotLoaded,
    /// `on()` without a function.
    InvalidHandler,
    /// The widget could not be put in the page.
    RenderFailed,
    /// No browser window or document.
    NoWindow,
    /// Remote mode: the runtime could not be reached (the request failed before any answer).
    Network,
    /// Remote mode: no answer within the turn's time limit.
    Timeout,
    /// Remote mode: the runtime answered 5xx, 408 or 429 after every automatic retry.
    Unavailable,
    /// Remote mode: the runtime's answer is not a Dialog API answer (HTML, truncated JSON, not a trace list).
    BadAnswer,
    /// Remote mode: the runtime refused the request (a 4xx other than 408 and 429); retrying cannot help.
    Refused,
    /// A request refused before its turn: the wire layer's or the engine's code (`invalid_request`,
    /// `invalid_event_name`, `system_event`, `invalid_file`, `payload_too_large`, ...).
    Request(&'static str),
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidConfig => "invalid_config",
            Code::InvalidAgent => "invalid_agent",
            Code::AgentFetch => "agent_fetch",
            Code::AlreadyLoaded => "already_loaded",
            Code::Destroyed => "destroyed",
            Code::NotLoaded => "not_loaded",
            Code::InvalidHandler => "invalid_handler",
            Code::RenderFailed => "render_failed",
            Code::NoWindow => "no_window",
            Code::Network => "network",
            Code::Timeout => "timeout",
            Code::Unavailable => "unavailable",
            Code::BadAnswer => "bad_answer",
            Code::Refused => "refused",
            Code::Request(code) => code,
        }
    }

    /// Whether the same request may succeed if sent again: the turn is then kept as not delivered, with a Retry
    /// button, instead of being dropped.
    pub fn is_transient(self) -> bool {
        matches!(self, Code::Network | Code::Timeout | Code::Unavailable | Code::BadAnswer)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    const ALL: [Code; 14] = [
        Code::InvalidConfig,
        Code::InvalidAgent,
        Code::AgentFetch,
        Code::AlreadyLoaded,
        Code::Destroyed,
        Code::NotLoaded,
        Code::InvalidHandler,
        Code::RenderFailed,
        Code::NoWindow,
        Code::Network,
        Code::Timeout,
        Code::Unavailable,
        Code::BadAnswer,
        Code::Refused,
    ];

    #[test]
    fn every_code_has_its_own_snake_case_string() {
        let mut seen: Vec<&str> = ALL.iter().map(|c| c.as_str()).collect();
        assert!(seen.iter().all(|s| s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), ALL.len(), "two codes share a string");
        assert_eq!(Code::Request("invalid_event_name").as_str(), "invalid_event_name");
    }

    #[test]
    fn only_failures_that_may_pass_later_are_transient() {
        let transient: Vec<Code> = ALL.into_iter().filter(|c| c.is_transient()).collect();
        assert_eq!(transient, [Code::Network, Code::Timeout, Code::Unavailable, Code::BadAnswer]);
        assert!(!Code::Request("invalid_request").is_transient());
    }
}
