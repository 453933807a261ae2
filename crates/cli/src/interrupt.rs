//! Ctrl-C (SIGINT) and SIGTERM during an import or export: the work stops and cleans up after
//! itself (the import's transaction rolls back, the export's temporary file is removed) before
//! the command exits, instead of the process dying with a half-written file of leads beside
//! the user's.

use leadvault_core::error::Error;
use tokio_util::sync::CancellationToken;

use crate::output::errln;

/// Listens for Ctrl-C and SIGTERM until dropped; the first one cancels `token`.
pub struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub fn cancels(token: CancellationToken) -> Listening {
    Listening(tokio::spawn(async move {
        if interrupted().await {
            errln!("Stopping…");
            token.cancel();
        }
    }))
}

/// Waits for the first Ctrl-C or SIGTERM; false if they cannot be listened for.
#[cfg(unix)]
async fn interrupted() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        return false;
    };
    tokio::select! {
        _ = int.recv() => true,
        _ = term.recv() => true,
    }
}

#[cfg(not(unix))]
async fn interrupted() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}

/// A cancelled command's error, saying what was kept.
pub fn explained(e: Error, what: &str) -> Error {
    match e {
        Error::Cancelled => Error::InvalidInput(what.to_string()),
        other => other,
    }
}
