//! One lead's detail: contact, form answers, ad, notes, timeline; and changes to it.

use leadvault_core::{LeadDetail, LeadUpdate};
use tauri::State;

use crate::commands::inbox::LeadChange;
use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn get_lead(state: State<'_, AppState>, id: String) -> CommandResult<LeadDetail> {
    Ok(state.vault().await?.leads().get(&id).await?)
}

/// Changes status, owner, tags or adds a note; each change lands in the timeline.
#[tauri::command]
#[specta::specta]
pub async fn update_lead(
    state: State<'_, AppState>,
    id: String,
    change: LeadChange,
) -> CommandResult<LeadDetail> {
    Ok(state.vault().await?.leads().update(&id, &LeadUpdate::from(change)).await?)
}
