//! Meta Lead Ads: the connected pages, each page's lead forms, each form's leads since the
//! form's cursor, with every field.

use chrono::Utc;
use leadvault_core::Vault;
use leadvault_core::connections::{Connection, Credentials};
use serde::{Deserialize, Serialize};

use super::{Progress, Summary, SyncOptions, pace, retrying};
use crate::{Connector, Error, Result, meta};

/// Where a Meta form's sync stands: leads created at or after `since` are still to be read
/// (minus an overlap for leads Meta makes readable late); within a sweep, `after` is Graph's
/// cursor to the next page and `newest` the newest creation time seen in it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct MetaCursor {
    since: Option<i64>,
    newest: Option<i64>,
    after: Option<String>,
}

/// Leads can become readable a little after their creation time: each sweep starts this much
/// before the newest lead of the last one (what it reads again is already stored).
const META_OVERLAP_SECS: i64 = 600;

pub(super) async fn pull(
    vault: &Vault,
    connector: &Connector,
    connection: &Connection,
    credentials: &Credentials,
    options: &SyncOptions,
    progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<Summary> {
    let (http, api) = (connector.http(), &connector.hosts().api);
    let mut summary = Summary::default();
    let state = vault.sync_state(&connection.id);
    let pages =
        retrying(options, &mut summary.retries, || meta::pages(http, api, &credentials.access_token)).await?;
    for page in &pages {
        let forms = retrying(options, &mut summary.retries, || meta::forms(http, api, page)).await?;
        for form in &forms {
            summary.streams += 1;
            let stream = format!("meta:form:{}", form.id);
            let mut cursor: MetaCursor = match state.cursor(&stream).await? {
                Some(text) => serde_json::from_str(&text).unwrap_or_default(),
                None => MetaCursor::default(),
            };
            // A sweep restarts from `since` at most once per sync when Meta refuses its cursor.
            let mut restarted = false;
            loop {
                if options.cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                let read = retrying(options, &mut summary.retries, || {
                    meta::leads(
                        http,
                        api,
                        page,
                        &form.id,
                        cursor.since,
                        cursor.after.as_deref(),
                        options.page_size,
                    )
                })
                .await;
                let read = match read {
                    // Graph cursors do not last forever: start the sweep again from `since`.
                    Err(Error::Rejected { .. }) if cursor.after.is_some() && !restarted => {
                        restarted = true;
                        cursor.after = None;
                        continue;
                    }
                    other => other?,
                };
                let now = Utc::now();
                let mut leads = Vec::with_capacity(read.leads.len());
                for node in &read.leads {
                    match leadvault_core::import::lead_from_graph(node, "meta", now) {
                        Ok(mut lead) => {
                            // Graph's lead node has the form's id, not its name.
                            lead.ad.form_name.get_or_insert_with(|| form.name.clone());
                            let t = lead.created_at.timestamp();
                            cursor.newest = Some(cursor.newest.map_or(t, |n| n.max(t)));
                            leads.push(lead);
                        }
                        Err(_) => summary.skipped += 1,
                    }
                }
                let count = leads.len() as u64;
                match &read.after {
                    Some(after) => cursor.after = Some(after.clone()),
                    None => {
                        cursor.after = None;
                        if let Some(newest) = cursor.newest {
                            cursor.since = Some(newest - META_OVERLAP_SECS);
                        }
                    }
                }
                let text = serde_json::to_string(&cursor).expect("a cursor serialises");
                let added = state.store_page(&stream, Some(&form.name), leads, &text).await?;
                summary.new += added;
                summary.unchanged += count - added;
                summary.pages += 1;
                progress(&Progress {
                    stream_label: form.name.clone(),
                    new: summary.new,
                    pages: summary.pages,
                });
                pace(options, read.usage_percent).await?;
                if read.after.is_none() {
                    break;
                }
            }
        }
    }
    Ok(summary)
}
