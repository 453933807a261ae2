//! The window's commands, one file per screen area; each parses its input, calls the core and
//! maps the result to what the UI shows.

pub mod connections;
pub mod demo;
pub mod export;
pub mod import;
pub mod inbox;
pub mod lead;
pub mod vault;

use std::path::PathBuf;

use tauri_plugin_dialog::FilePath;

use crate::error::{CommandError, CommandResult};

/// Shows a file dialog through `show`, which hands it the callback, and waits for its answer:
/// the file chosen on this computer, or `None` when the user closed the `dialog` ("open",
/// "save") without choosing.
pub(crate) async fn dialog_answer(
    dialog: &str,
    show: impl FnOnce(Box<dyn FnOnce(Option<FilePath>) + Send>),
) -> CommandResult<Option<PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    show(Box::new(move |chosen| {
        let _ = tx.send(chosen);
    }));
    let chosen = rx
        .await
        .map_err(|_| CommandError::new("cancelled", format!("the {dialog} dialog closed unexpectedly")))?;
    chosen
        .map(|p| {
            p.into_path().map_err(|_| CommandError::new("invalid_input", "choose a file on this computer"))
        })
        .transpose()
}
