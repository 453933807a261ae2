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
            "the OS keychain has no key for the vault at {}: a keychain key belongs to the folder the vault \
             was made in, so a vault folder moved or copied elsewhere opens only where it was; move it back \
             (or, if this vault uses a passphrase, type it)",
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
            "the vault database failed: {reason}; close and reopen Leadvault, and if it fails again, \
             restore the vault folder from a backup"
        ),
        E::InvalidInput(text) => return windowed(text),
        // The window offers to import the other rows itself.
        E::InvalidRow { path, place, reason } => {
            format!("{path}: {place}: {reason}; fix it, or import the other rows")
        }
        E::RejectsNotSaved { path, reason } => format!(
            "{}: the valid rows were imported, but the rejected ones could not be saved here ({reason}); \
             import the file again and choose Import the other rows to write them",
            path.display()
        ),
        _ => return None,
    })
}

/// Hints written for the command line, and what the window says instead.
const CLI_HINTS: [(&str, &str); 4] = [
    ("; list them with `leadvault connections list`", "; the Connections screen lists them"),
    (" (or --client-id)", " before starting Leadvault"),
    ("; move it away, or give another --data-dir", "; move it away, then try the demo again"),
    (" (`leadvault connect meta --token-stdin`)", ""),
];

/// `text` with its command-line hints put the window's way; None when it has none.
fn windowed(text: &str) -> Option<String> {
    let mut out = None::<String>;
    for (cli, window) in CLI_HINTS {
        let now = out.as_deref().unwrap_or(text);
        if now.contains(cli) {
            out = Some(now.replace(cli, window));
        }
    }
    out
}

impl From<leadvault_connectors::Error> for CommandError {
    fn from(e: leadvault_connectors::Error) -> CommandError {
        use leadvault_connectors::Error as E;
        let code = match &e {
            E::Core(inner) => {
                let message = window_message(inner).unwrap_or_else(|| inner.to_string());
                return CommandError::new(inner.code(), message);
            }
            E::Config(text) => {
                let message = windowed(text).unwrap_or_else(|| text.clone());
                return CommandError::new("invalid_input", message);
            }
            E::Cancelled => "cancelled",
            E::Denied { provider, .. } => {
                let text = format!("you declined access on {provider}'s page; sign in again to retry");
                return CommandError::new("denied", text);
            }
            E::TimedOut { seconds, .. } => {
                let waited = leadvault_connectors::wait_text(*seconds);
                let text = format!("the sign-in was not finished within {waited}; sign in again");
                return CommandError::new("timed_out", text);
            }
            E::Unauthorized { .. } => "needs_sign_in",
            E::RateLimited { .. } => "rate_limited",
            E::Unavailable { .. } => "unavailable",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_never_shows_a_command_line_hint() {
        let core = leadvault_core::Error::InvalidInput(
            "no connection with id 01X; list them with `leadvault connections list`".to_string(),
        );
        assert_eq!(
            CommandError::from(core).message,
            "no connection with id 01X; the Connections screen lists them"
        );
        let config = leadvault_connectors::Error::Config(
            "no HubSpot OAuth app is set up: set LEADVAULT_HUBSPOT_CLIENT_ID (or --client-id) to your app's \
             client id, or paste a token"
                .into(),
        );
        let shown = CommandError::from(config);
        assert_eq!(shown.code, "invalid_input");
        assert!(!shown.message.contains("--"), "{}", shown.message);
        for e in [
            leadvault_core::Error::PassphraseRequired { env_hint: "the passphrase".into() },
            leadvault_core::Error::KeychainUnavailable { reason: "no Secret Service is running".into() },
            leadvault_core::Error::LeadNotFound { id: "01X".into() },
            leadvault_core::Error::Database("disk I/O error".into()),
            leadvault_core::Error::RejectsNotSaved {
                path: "/media/usb/leads.csv.rejects.csv".into(),
                reason: "read-only file system".into(),
            },
        ] {
            let shown = CommandError::from(e);
            assert!(
                !shown.message.contains("--") && !shown.message.contains("leadvault "),
                "{}",
                shown.message
            );
        }
        assert_eq!(windowed("a bad date; use YYYY-MM-DD"), None, "other messages pass as they are");
    }

    #[test]
    fn a_connection_without_a_keychain_says_its_tokens_need_one() {
        let e = leadvault_connectors::Error::Core(leadvault_core::Error::TokensNeedKeychain {
            reason: "no Secret Service is running".into(),
        });
        let shown = CommandError::from(e);
        assert_eq!(shown.code, "keychain_unavailable");
        assert!(
            shown.message.contains("sign-in tokens are kept only in the OS keychain"),
            "{}",
            shown.message
        );
        assert!(!shown.message.contains("choose a passphrase"), "{}", shown.message);
    }
}
