//! Importing a file from the window: a Meta or Google Ads download, a CSV or a JSON file,
//! chosen in the open dialog, with progress and cancel; the same core import as the CLI's.
//!
//! End-to-end tests cannot drive the OS open dialog, so when `LEADVAULT_E2E_IMPORT_PATH` is set
//! at start-up (see [`crate::run`]) the dialog is skipped and that file is imported.

use std::path::PathBuf;

use leadvault_core::import::{ImportOptions, ImportProgress, import_file_phased as import};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// What an import did, for the window's notice.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportDone {
    /// The file's name (not its folder).
    pub file: String,
    /// The format it was read as: meta-csv, google-ads-csv, leadvault-csv, csv or json.
    pub format: String,
    pub read: u64,
    pub added: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Where the rejected rows were saved, with their reasons.
    pub rejects_file: Option<String>,
}

/// Imports a file into the open vault. `again` imports the file of the previous call once more
/// (after an invalid row stopped it: with `skip_invalid`, the valid rows go in and the others
/// are saved beside it as `FILE.rejects.csv`); otherwise the open dialog asks which (or, in
/// end-to-end tests, `LEADVAULT_E2E_IMPORT_PATH` says). `progress` hears the leads added so
/// far, and when every row is in and the import is finishing. `null` when the user closes the
/// dialog without choosing a file.
#[tauri::command]
#[specta::specta]
pub async fn import_file<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    again: bool,
    skip_invalid: bool,
    progress: Channel<ImportProgress>,
) -> CommandResult<Option<ImportDone>> {
    let vault = state.vault().await?;
    let path = if again {
        state.last_import().ok_or_else(|| CommandError::new("invalid_input", "choose the file to import"))?
    } else {
        let chosen = match &state.import_path {
            Some(p) => Some(p.clone()),
            None => choose_file(&app).await?,
        };
        let Some(path) = chosen else {
            return Ok(None);
        };
        state.set_last_import(path.clone());
        path
    };
    let cancel = state.start_import()?;
    // Over however it ends, a panic included: a later import is not refused as running.
    let _running = Running(&state);
    let options = ImportOptions { skip_invalid, cancel, ..ImportOptions::default() };
    let report = import(&vault, &path, &options, |p| {
        let _ = progress.send(p);
    })
    .await?;
    Ok(Some(ImportDone {
        file: path
            .file_name()
            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
        format: report.format.name().to_string(),
        read: report.read,
        added: report.added,
        unchanged: report.unchanged,
        rejected: report.rejected,
        rejects_file: report.rejects_file.map(|p| p.display().to_string()),
    }))
}

/// Marks the import over when dropped.
struct Running<'s>(&'s AppState);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.finish_import();
    }
}

/// Stops the import under way: nothing of it is kept. `false` if none was running.
#[tauri::command]
#[specta::specta]
pub fn cancel_import(state: State<'_, AppState>) -> bool {
    state.cancel_import()
}

async fn choose_file<R: Runtime>(app: &AppHandle<R>) -> CommandResult<Option<PathBuf>> {
    super::dialog_answer("open", |answer| {
        app.dialog()
            .file()
            .set_title("Import leads")
            .add_filter("Lead files (CSV, JSON)", &["csv", "tsv", "txt", "json", "ndjson", "jsonl"])
            .add_filter("All files", &["*"])
            .pick_file(answer)
    })
    .await
}
