//! One-click export of the current view through the save dialog, with progress and cancel.
//!
//! End-to-end tests cannot drive the OS save dialog, so when `LEADVAULT_E2E_EXPORT_PATH` is set
//! at start-up (see [`crate::run`]) the dialog is skipped and the file goes there.

use std::path::PathBuf;

use leadvault_core::export::{ExportFormat, ExportOptions, export_cancellable};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::commands::inbox::ViewQuery;
use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ExportDone {
    pub path: String,
    pub rows: u64,
}

/// Asks where to save (or, in end-to-end tests, uses `LEADVAULT_E2E_EXPORT_PATH`) and writes
/// exactly the leads of `query`. `progress` hears the rows written so far. `null` when the
/// user closes the dialog without choosing a file.
#[tauri::command]
#[specta::specta]
pub async fn export_view<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    query: ViewQuery,
    format: ExportFormat,
    progress: Channel<u64>,
) -> CommandResult<Option<ExportDone>> {
    let vault = state.vault().await?;
    let filter = query.filter()?;
    let chosen = match &state.export_path {
        Some(p) => Some(p.clone()),
        None => choose_path(&app, format).await?,
    };
    let Some(path) = chosen else {
        return Ok(None);
    };
    let (export_id, cancel) = state.start_export();
    let options = ExportOptions { format, excel_bom: false };
    // The core's export future holds its writer across awaits and is not `Send`: it runs on a
    // blocking thread of its own, driven by the async runtime's handle, so the window stays live.
    let runtime = tauri::async_runtime::handle();
    let report = tauri::async_runtime::spawn_blocking(move || {
        runtime.block_on(export_cancellable(
            &vault,
            &filter,
            query.sort,
            &path,
            &options,
            |rows| {
                let _ = progress.send(rows);
            },
            &cancel,
        ))
    })
    .await;
    state.finish_export(export_id);
    let report = report.map_err(|_| CommandError::new("cancelled", "the export was interrupted"))??;
    Ok(Some(ExportDone { path: report.path.display().to_string(), rows: report.rows }))
}

/// Stops the export under way (its partial file is removed). `false` if none was running.
#[tauri::command]
#[specta::specta]
pub fn cancel_export(state: State<'_, AppState>) -> bool {
    state.cancel_export()
}

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Json => "json",
        ExportFormat::Ndjson => "ndjson",
    }
}

async fn choose_path<R: Runtime>(app: &AppHandle<R>, format: ExportFormat) -> CommandResult<Option<PathBuf>> {
    let ext = extension(format);
    let chosen = super::dialog_answer("save", |answer| {
        app.dialog()
            .file()
            .set_title("Export this view")
            .set_file_name(format!("leads.{ext}"))
            .add_filter(ext.to_uppercase(), &[ext])
            .save_file(answer)
    })
    .await?;
    Ok(chosen.map(|mut path| {
        if path.extension().is_none() {
            path.set_extension(ext);
        }
        path
    }))
}
