//! Meta Lead Ads: the connected pages, each page's lead forms, each form's leads since the
//! form's cursor, with every field.
//!
//! Reading and storing overlap: one side requests page after page (the next page's cursor is
//! in the current one) and hands each, mapped to leads, to the other, which stores whole pages
//! in batches (see [`SyncOptions::batch_leads`]) while the next ones are read.

use chrono::Utc;
use leadvault_core::Vault;
use leadvault_core::connections::{Connection, Credentials};
use leadvault_core::sync::{PageOfLeads, SyncState};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Progress, Summary, SyncOptions, map_keeping_time, pace, retrying};
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
    let state = vault.sync_state(&connection.id);
    // Room for a full batch read ahead while the one before it is stored.
    let ahead = (options.batch_leads / options.page_size.max(1) as usize).clamp(1, 64);
    let (pages, read) = mpsc::channel(ahead);
    let mut counts = Summary::default();
    let mut summary = Summary::default();
    let reading = async {
        if let Err(e) = read_all(&state, connector, credentials, options, &mut counts, &pages).await {
            // The store keeps what came before the failure, then reports it.
            let _ = pages.send(Err(e)).await;
        }
        drop(pages);
        Ok::<(), Error>(())
    };
    // A failed store ends the reading at once (try_join drops it).
    tokio::try_join!(reading, store_all(&state, options, read, progress, &mut summary))?;
    summary.retries = counts.retries;
    summary.skipped = counts.skipped;
    summary.streams = counts.streams;
    summary.streams_skipped = counts.streams_skipped;
    Ok(summary)
}

/// Reads every form's pages and sends each on, mapped, with the form's cursor after it.
async fn read_all(
    state: &SyncState<'_>,
    connector: &Connector,
    credentials: &Credentials,
    options: &SyncOptions,
    summary: &mut Summary,
    out: &mpsc::Sender<Result<PageOfLeads>>,
) -> Result<()> {
    let (http, api) = (connector.http(), &connector.hosts().api);
    let pages =
        retrying(options, &mut summary.retries, || meta::pages(http, api, &credentials.access_token)).await?;
    // Meta's usage reached 100 % on the last answer.
    let mut spent = false;
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
                // A budget at 100 % refuses the next call however long one waits (the page's
                // lead reading is per day): stop before it, with what was read stored.
                if spent {
                    return Err(Error::RateLimited { provider: "Meta", retry_after_secs: 3600 });
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
                    // This form refuses to be read (archived, or the token lost its page
                    // role): the other forms go on; its cursor stays for the next sync.
                    Err(e @ Error::Rejected { .. }) => {
                        summary.streams_skipped += 1;
                        tracing::warn!(form = %form.id, "a lead form could not be read and was skipped: {e}");
                        break;
                    }
                    other => other?,
                };
                let now = Utc::now();
                let now_text = now.to_rfc3339();
                let mut leads = Vec::with_capacity(read.leads.len());
                for node in &read.leads {
                    let map = |node: &_| leadvault_core::import::lead_from_graph(node, "meta", now);
                    let kept = map_keeping_time(
                        node,
                        ("Meta", "created_time", "created_time"),
                        (now, &now_text),
                        map,
                    );
                    match kept {
                        Some((mut lead, its_own_time)) => {
                            // Graph's lead node has the form's id, not its name.
                            lead.ad.form_name.get_or_insert_with(|| form.name.clone());
                            // A time that was replaced never moves the cursor (one past the
                            // calendar's end would leave every later lead unread).
                            if its_own_time {
                                let t = lead.created_at.timestamp();
                                cursor.newest = Some(cursor.newest.map_or(t, |n| n.max(t)));
                            }
                            leads.push(lead);
                        }
                        None => summary.skipped += 1,
                    }
                }
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
                let stored = PageOfLeads {
                    stream: stream.clone(),
                    label: Some(form.name.clone()),
                    leads,
                    cursor: text,
                };
                if out.send(Ok(stored)).await.is_err() {
                    // The store stopped (it failed, and says why).
                    return Ok(());
                }
                spent = read.usage_percent >= 100;
                if !spent {
                    pace(options, read.usage_percent).await?;
                }
                if read.after.is_none() {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Stores the pages as they come, in batches of whole pages: what has arrived when the last
/// batch is stored, up to `batch_leads`, waiting up to `batch_wait` for more. Reports progress
/// after each batch; once cancelled, stores nothing more.
async fn store_all(
    state: &SyncState<'_>,
    options: &SyncOptions,
    mut pages: mpsc::Receiver<Result<PageOfLeads>>,
    progress: &(dyn Fn(&Progress) + Send + Sync),
    summary: &mut Summary,
) -> Result<()> {
    loop {
        let first = match pages.recv().await {
            None => return Ok(()),
            Some(page) => page?,
        };
        let mut count = first.leads.len();
        let mut batch = vec![first];
        let mut end = None;
        let until = tokio::time::Instant::now() + options.batch_wait;
        while count < options.batch_leads {
            match tokio::time::timeout_at(until, pages.recv()).await {
                Err(_) => break,
                Ok(None) => {
                    end = Some(Ok(()));
                    break;
                }
                Ok(Some(Err(e))) => {
                    end = Some(Err(e));
                    break;
                }
                Ok(Some(Ok(page))) => {
                    count += page.leads.len();
                    batch.push(page);
                }
            }
        }
        if options.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let (label, pages_in) = (batch.last().and_then(|p| p.label.clone()).unwrap_or_default(), batch.len());
        let added = state.store_pages(batch).await?;
        summary.new += added;
        summary.unchanged += count as u64 - added;
        summary.pages += pages_in as u64;
        progress(&Progress { stream_label: label, new: summary.new, pages: summary.pages });
        if let Some(end) = end {
            return end;
        }
    }
}
