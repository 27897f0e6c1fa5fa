//! Errors of the engine: a refused agent file, an unreadable saved state. (A refused request is
//! [`crate::wire::RequestError`].)
//!
//! Conversation outcomes are traces, not errors. Every error carries a stable `code` that hosts hand to their
//! callers unchanged (the CLI prints it, the widget puts it on the JS `Error`).

/// One problem in an agent file, at a path such as `flows.main.steps.ask.next`: the JSON layer's
/// [`PathError`](crate::json::PathError), so shape errors (from the reader) and meaning errors (from the checks
/// in `program.rs`) are one type, shown alike.
pub type ValidationError = crate::json::PathError;

/// An agent file that cannot run. It lists every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentError {
    pub errors: Vec<ValidationError>,
}

/// One error a line.
impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            std::fmt::Display::fmt(e, f)?;
        }
        Ok(())
    }
}

impl std::error::Error for AgentError {}

impl AgentError {
    pub fn code(&self) -> &'static str {
        "invalid_agent"
    }
}

/// A saved session that cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the saved session is not valid: {0}")]
    Invalid(String),
    #[error("the saved session has version {found}; this engine reads version {expected}")]
    Version { found: u64, expected: u32 },
    #[error("the saved session belongs to agent '{found}', not '{expected}'")]
    OtherAgent { found: String, expected: String },
}

impl StateError {
    pub fn code(&self) -> &'static str {
        match self {
            StateError::Invalid(_) => "invalid_state",
            StateError::Version { .. } => "state_version",
            StateError::OtherAgent { .. } => "state_agent",
        }
    }
}
