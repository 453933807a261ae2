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
        let message = window_message(&e).unwrap_or_else(|| e.to_string());
        CommandError { code: e.code().into(), message }
    }
}

/// The core's messages that tell a command-line user what to type (a flag, a command) say
/// instead what to do in the window.
fn window_message(e: &leadvault_core::Error) -> Option<String> {
    use leadvault_core::Error as E;
    Some(match e {
        E::KeyNotInKeychain { path, .. } => format!(
            "the OS keychain has no key for the vault at {}; if this vault uses a passphrase, type it",
            path.display()
        ),
        E::KeychainUnavailable { reason } => format!(
            "no OS keychain is available ({reason}): unlock your keyring, or choose a passphrase instead"
        ),
        E::PassphraseRequired { .. } => "this vault is locked with a passphrase: type it to unlock".into(),
        E::LeadNotFound { .. } => {
            "this lead is no longer in the vault (it was deleted); the list shows what is left".into()
        }
        E::Database(reason) => format!(
            "the vault database failed: {reason}; close and reopen Leadvault (`leadvault vault check` tests the file)"
        ),
        _ => return None,
    })
}

impl From<leadvault_connectors::Error> for CommandError {
    fn from(e: leadvault_connectors::Error) -> CommandError {
        use leadvault_connectors::Error as E;
        let code = match &e {
            E::Core(inner) => {
                let message = window_message(inner).unwrap_or_else(|| inner.to_string());
                return CommandError::new(inner.code(), message);
            }
            E::Cancelled => "cancelled",
            E::Denied { provider, .. } => {
                let text = format!("you declined access on {provider}'s page; sign in again to retry");
                return CommandError::new("denied", text);
            }
            E::TimedOut { minutes, .. } => {
                let text = format!("the sign-in was not finished within {minutes} minutes; sign in again");
                return CommandError::new("timed_out", text);
            }
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
