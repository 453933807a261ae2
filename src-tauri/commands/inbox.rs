//! The inbox: one view (search, filters, sort) paged by keyset cursors, counts per status, and
//! bulk changes to the selected leads.

use chrono::{DateTime, NaiveDate, Utc};
use leadvault_core::store::Cursor;
use leadvault_core::{Lead, LeadFilter, LeadSort, LeadStatus, LeadUpdate};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// What the inbox shows: the same parts as `leadvault leads list`'s options. Empty strings
/// mean "any", so the UI can bind inputs directly.
#[derive(Debug, Clone, Default, Deserialize, Serialize, specta::Type)]
pub struct ViewQuery {
    pub search: Option<String>,
    pub status: Option<LeadStatus>,
    pub source: Option<String>,
    pub owner: Option<String>,
    pub tag: Option<String>,
    /// First day included, `YYYY-MM-DD`.
    pub since: Option<String>,
    /// Last day included, `YYYY-MM-DD`.
    pub until: Option<String>,
    pub sort: LeadSort,
}

impl ViewQuery {
    pub fn filter(&self) -> CommandResult<LeadFilter> {
        let text =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        Ok(LeadFilter {
            search: text(&self.search),
            status: self.status,
            source: text(&self.source),
            tag: text(&self.tag),
            owner: text(&self.owner),
            since: text(&self.since).map(|d| day(&d, "from", false)).transpose()?,
            until: text(&self.until).map(|d| day(&d, "to", true)).transpose()?,
        })
    }
}

/// A day's start in the user's time zone, as the list shows days (or, for the last day of a
/// range, the next day's start).
fn day(s: &str, label: &str, end: bool) -> CommandResult<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        CommandError::new("invalid_input", format!("the \"{label}\" date is not a date; use YYYY-MM-DD"))
    })?;
    Ok(if end { leadvault_core::clock::local_day_end(d) } else { leadvault_core::clock::local_day_start(d) })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    /// Where the next page starts; `null` on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StatusCount {
    pub status: LeadStatus,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StatusCounts {
    pub total: i64,
    /// Every status, in pipeline order, for the view without its status filter.
    pub by_status: Vec<StatusCount>,
}

/// One page (at most 500 leads) of the view, after `cursor`.
#[tauri::command]
#[specta::specta]
pub async fn list_leads(
    state: State<'_, AppState>,
    query: ViewQuery,
    cursor: Option<String>,
    limit: u32,
) -> CommandResult<LeadPage> {
    let vault = state.vault().await?;
    let filter = query.filter()?;
    let after = cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = vault.leads().list(&filter, query.sort, after.as_ref(), limit.clamp(1, 500)).await?;
    Ok(LeadPage { leads: page.leads, next: page.next.map(|c| c.encode()) })
}

#[tauri::command]
#[specta::specta]
pub async fn count_by_status(state: State<'_, AppState>, query: ViewQuery) -> CommandResult<StatusCounts> {
    let vault = state.vault().await?;
    let filter = query.filter()?;
    let by_status: Vec<StatusCount> = vault
        .leads()
        .count_by_status(&filter)
        .await?
        .into_iter()
        .map(|(status, count)| StatusCount { status, count })
        .collect();
    let total = match filter.status {
        Some(s) => by_status.iter().find(|c| c.status == s).map_or(0, |c| c.count),
        None => by_status.iter().map(|c| c.count).sum(),
    };
    Ok(StatusCounts { total, by_status })
}

/// A change to one or many leads, as the UI sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, specta::Type)]
pub struct LeadChange {
    pub status: Option<LeadStatus>,
    /// A new owner; an empty string clears it.
    pub owner: Option<String>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
    pub note: Option<String>,
}

impl From<LeadChange> for LeadUpdate {
    fn from(c: LeadChange) -> Self {
        LeadUpdate {
            status: c.status,
            owner: c.owner.map(|o| Some(o.trim().to_string()).filter(|o| !o.is_empty())),
            add_tags: c.add_tags,
            remove_tags: c.remove_tags,
            note: c.note,
        }
    }
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BulkResult {
    /// Leads the change changed (not those already as asked).
    pub updated: u32,
}

/// Applies one change to every selected lead (at most 10,000 at once).
#[tauri::command]
#[specta::specta]
pub async fn update_leads(
    state: State<'_, AppState>,
    ids: Vec<String>,
    change: LeadChange,
) -> CommandResult<BulkResult> {
    if ids.len() > 10_000 {
        return Err(CommandError::new("invalid_input", "select at most 10,000 leads for one change"));
    }
    let vault = state.vault().await?;
    // All the leads change, or none: a change stopped part way (the vault busy, the app
    // closed) leaves none of it.
    let updated = vault.leads().update_many(&ids, &LeadUpdate::from(change)).await.map_err(|e| match e {
        leadvault_core::Error::LeadNotFound { .. } => CommandError::new(
            "lead_not_found",
            "nothing was changed: one of the selected leads is no longer in the vault (deleted since it was \
             listed); the list now shows what is left, so select again",
        ),
        other => other.into(),
    })?;
    Ok(BulkResult { updated: updated as u32 })
}

/// The window tells when the inbox's first rows are on screen (after a painted frame), once per
/// start: the launch time goes to the log, and with `LEADVAULT_BENCH_STARTUP` set to stdout as
/// `first-rows-painted epoch_ms=… since_start_ms=…` for `scripts/bench-desktop.sh`.
#[tauri::command]
#[specta::specta]
pub async fn first_rows_painted(state: State<'_, AppState>) -> CommandResult<u64> {
    let since_start = state.started.elapsed().as_millis() as u64;
    tracing::info!(since_start_ms = since_start, "first rows painted");
    if std::env::var_os("LEADVAULT_BENCH_STARTUP").is_some() {
        let epoch_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        println!("first-rows-painted epoch_ms={epoch_ms} since_start_ms={since_start}");
    }
    Ok(since_start)
}
