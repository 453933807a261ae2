//! How errors reach the window: every command returns `Result<T, CommandError>`, serialised as
//! `{ code, message }`. `code` is the core's stable [`leadvault_core::Error::code`], for the UI
//! to react to (e.g. `wrong_key` keeps the unlock screen); `message` is the core's one-line
//! text for a person. The core's messages never carry personal data, and nothing here adds any.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, specta::Type, PartialEq, Eq)]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> CommandError {
        CommandError { code: code.into(), message: message.into() }
    }

    pub fn locked() -> CommandError {
        CommandError::new("locked", "the vault is locked: unlock it first")
    }
}

impl From<leadvault_core::Error> for CommandError {
    fn from(e: leadvault_core::Error) -> CommandError {
        CommandError { code: e.code().into(), message: e.to_string() }
    }
}

impl From<leadvault_connectors::Error> for CommandError {
    fn from(e: leadvault_connectors::Error) -> CommandError {
        use leadvault_connectors::Error as E;
        let code = match &e {
            E::Core(inner) => return CommandError::new(inner.code(), inner.to_string()),
            E::Cancelled => "cancelled",
            E::Denied { .. } => "denied",
            E::TimedOut { .. } => "timed_out",
            E::Unauthorized { .. } => "needs_sign_in",
            E::RateLimited { .. } => "rate_limited",
            E::Unavailable { .. } => "unavailable",
            E::Config(_) => "invalid_input",
            E::Busy(_) => "busy",
            E::BadCallback(_) | E::Rejected { .. } => "provider",
        };
        CommandError::new(code, e.to_string())
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
