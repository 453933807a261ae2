//! Google Ads: for each account the sign-in opens, its campaigns (with budget and bidding),
//! ad groups, keywords and ad schedules, which together replace what the vault had; 30 days
//! of metrics per campaign and day; then its lead form submissions since the account's cursor.
//!
//! Every read is a `googleAds:search`, not a `searchStream`: Google counts either as one
//! operation per query whatever the rows, but a search page comes with a token that resumes
//! the sweep. Each page of leads is stored with the token after it, so a sync stopped
//! mid-sweep carries on from the last whole page, where a stream would start over (and arrive
//! as one body that a cut-off loses whole).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use leadvault_core::ads::AdEntities;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tracing::warn;

use super::{Progress, Session, Summary, SyncOptions, map_keeping_time, retrying};
use crate::google_ads::{self as gads, SearchPage};
use crate::{Error, Result};

/// Where an account's lead sweep stands: submissions at or after `since` are still to be read
/// (none: as far back as Google keeps them); `newest` is the newest submission time seen, as
/// Google wrote it; within a sweep, `page_token` is the next page's (good for the same query
/// only, which `since` fixes).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct GoogleCursor {
    since: Option<String>,
    newest: Option<String>,
    page_token: Option<String>,
}

/// Each sweep starts this much before the newest submission of the last one, for submissions
/// Google makes readable late. Quota counts queries, not rows, so the rows read twice cost
/// only their transfer (and are not stored twice).
const OVERLAP_SECS: i64 = 3600;

/// Google's `submission_date_time`: `2026-10-01 09:15:00-07:00`.
pub(super) const GOOGLE_TIME: &str = "%Y-%m-%d %H:%M:%S%:z";

pub(super) async fn pull(
    session: &mut Session<'_>,
    options: &SyncOptions,
    progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<Summary> {
    let (vault, connection) = (session.vault, session.connection);
    let mut summary = Summary::default();
    let customers = customers(session, options, &mut summary.retries).await?;

    // Every account's entities first, so one transaction can replace the connection's set.
    let mut entities = AdEntities::default();
    let mut readable = Vec::new();
    let mut refusal = None;
    for customer in &customers {
        if options.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        match account(session, options, &mut summary.retries, customer).await {
            Ok((found, metrics)) => {
                vault.ads(&connection.id).upsert_metrics(&metrics).await?;
                summary.metric_days += metrics.len() as u64;
                entities.campaigns.extend(found.campaigns);
                entities.ad_groups.extend(found.ad_groups);
                entities.keywords.extend(found.keywords);
                entities.schedules.extend(found.schedules);
                readable.push(customer.clone());
            }
            Err(e) if gads::account_unreadable(&e) => {
                warn!(connection = %connection.id, customer = %customer, error = %e, "account skipped");
                summary.accounts_skipped += 1;
                refusal.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    if let (true, Some(e)) = (readable.is_empty(), refusal) {
        // Not one account could be read: that is the connection's problem, not an account's.
        return Err(e);
    }
    vault.ads(&connection.id).replace_entities(&entities).await?;
    summary.campaigns = entities.campaigns.len() as u64;
    summary.ad_groups = entities.ad_groups.len() as u64;
    summary.keywords = entities.keywords.len() as u64;
    summary.schedules = entities.schedules.len() as u64;

    // A submission names its campaign and ad group by id only.
    let campaign_names: HashMap<&str, &str> =
        entities.campaigns.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    let group_names: HashMap<&str, &str> =
        entities.ad_groups.iter().map(|g| (g.id.as_str(), g.name.as_str())).collect();
    let state = vault.sync_state(&connection.id);
    for customer in &readable {
        summary.streams += 1;
        let stream = format!("google:customer:{customer}:leads");
        let label = format!("Google Ads customer {customer}");
        let mut cursor: GoogleCursor = match state.cursor(&stream).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => GoogleCursor::default(),
        };
        // A sweep restarts from `since` at most once per sync when Google refuses its token.
        let mut restarted = false;
        loop {
            if options.cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let query = gads::leads_query(cursor.since.as_deref());
            let read = search(
                session,
                options,
                &mut summary.retries,
                customer,
                &query,
                cursor.page_token.as_deref(),
            )
            .await;
            let read = match read {
                // Page tokens do not last forever: start the sweep again from `since`.
                Err(Error::Rejected { .. }) if cursor.page_token.is_some() && !restarted => {
                    restarted = true;
                    cursor.page_token = None;
                    continue;
                }
                other => other?,
            };
            let now = Utc::now();
            let now_text = now.format(GOOGLE_TIME).to_string();
            let mut leads = Vec::with_capacity(read.rows.len());
            for row in &read.rows {
                let Some(data) = row.get("leadFormSubmissionData").and_then(Value::as_object) else {
                    summary.skipped += 1;
                    continue;
                };
                let map = |data: &_| leadvault_core::import::lead_from_google_ads(data, now);
                let names = ("Google Ads", "submissionDateTime", "submission_date_time");
                match map_keeping_time(data, names, (now, &now_text), map) {
                    Some((mut lead, its_own_time)) => {
                        let ad = &mut lead.ad;
                        let name = |names: &HashMap<&str, &str>, id: &Option<String>| {
                            id.as_deref().and_then(|id| names.get(id)).map(|n| n.to_string())
                        };
                        if ad.campaign_name.is_none() {
                            ad.campaign_name = name(&campaign_names, &ad.campaign_id);
                        }
                        if ad.adset_name.is_none() {
                            ad.adset_name = name(&group_names, &ad.adset_id);
                        }
                        // A time that was replaced never moves the cursor.
                        if its_own_time {
                            cursor.newest = newest(cursor.newest.take(), submitted(data));
                        }
                        leads.push(lead);
                    }
                    None => summary.skipped += 1,
                }
            }
            let count = leads.len() as u64;
            match &read.next_page_token {
                Some(token) => cursor.page_token = Some(token.clone()),
                None => {
                    cursor.page_token = None;
                    if let Some(since) = cursor.newest.as_deref().and_then(since_from) {
                        cursor.since = Some(since);
                    }
                }
            }
            let text = serde_json::to_string(&cursor).expect("a cursor serialises");
            let added = state.store_page(&stream, Some(&label), leads, &text).await?;
            summary.new += added;
            summary.unchanged += count - added;
            summary.pages += 1;
            progress(&Progress { stream_label: label.clone(), new: summary.new, pages: summary.pages });
            if read.next_page_token.is_none() {
                break;
            }
        }
    }
    Ok(summary)
}

/// One account's entities and metric days. Small sets (a search page holds 10,000 rows), but
/// every page is followed.
async fn account(
    session: &mut Session<'_>,
    options: &SyncOptions,
    retries: &mut u64,
    customer: &str,
) -> Result<(AdEntities, Vec<leadvault_core::ads::DailyMetrics>)> {
    let campaigns = search_all(session, options, retries, customer, gads::CAMPAIGNS).await?;
    let ad_groups = search_all(session, options, retries, customer, gads::AD_GROUPS).await?;
    let keywords = search_all(session, options, retries, customer, gads::KEYWORDS).await?;
    let schedules = search_all(session, options, retries, customer, gads::SCHEDULES).await?;
    let metrics = search_all(session, options, retries, customer, gads::DAILY_METRICS).await?;
    let found = AdEntities {
        campaigns: campaigns.iter().filter_map(gads::campaign).collect(),
        ad_groups: ad_groups.iter().filter_map(gads::ad_group).collect(),
        keywords: keywords.iter().filter_map(gads::keyword).collect(),
        schedules: schedules.iter().filter_map(gads::schedule).collect(),
    };
    Ok((found, metrics.iter().filter_map(gads::daily_metrics).collect()))
}

async fn search_all(
    session: &mut Session<'_>,
    options: &SyncOptions,
    retries: &mut u64,
    customer: &str,
    query: &str,
) -> Result<Vec<Map<String, Value>>> {
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        if options.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let page = search(session, options, retries, customer, query, token.as_deref()).await?;
        rows.extend(page.rows);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(rows),
        }
    }
}

/// One search page: transient failures retried, a refused token refreshed once.
async fn search(
    session: &mut Session<'_>,
    options: &SyncOptions,
    retries: &mut u64,
    customer: &str,
    query: &str,
    page_token: Option<&str>,
) -> Result<SearchPage> {
    loop {
        let (http, api, credentials) =
            (session.connector.http(), &session.connector.hosts().api, &session.credentials);
        let read =
            retrying(options, retries, || gads::search(http, api, credentials, customer, query, page_token))
                .await;
        match read {
            Err(e) if e.needs_sign_in() => session.renew(e).await?,
            other => return other,
        }
    }
}

async fn customers(
    session: &mut Session<'_>,
    options: &SyncOptions,
    retries: &mut u64,
) -> Result<Vec<String>> {
    loop {
        let (http, api, credentials) =
            (session.connector.http(), &session.connector.hosts().api, &session.credentials);
        let read = retrying(options, retries, || gads::customers(http, api, credentials)).await;
        match read {
            Err(e) if e.needs_sign_in() => session.renew(e).await?,
            other => return other,
        }
    }
}

fn submitted(data: &Map<String, Value>) -> Option<String> {
    data.get("submissionDateTime").and_then(Value::as_str).map(str::to_string)
}

fn parse_google_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(text.trim(), GOOGLE_TIME).ok()
}

/// The later of two of Google's submission times (an unreadable one loses).
fn newest(seen: Option<String>, candidate: Option<String>) -> Option<String> {
    match (seen, candidate) {
        (Some(a), Some(b)) => match (parse_google_time(&a), parse_google_time(&b)) {
            (Some(x), Some(y)) if y > x => Some(b),
            (Some(_), _) => Some(a),
            (None, _) => Some(b),
        },
        (a, b) => a.or(b),
    }
}

/// The next sweep's lower bound: [`OVERLAP_SECS`] before `newest`, written as GAQL compares
/// date-times, `YYYY-MM-DD HH:MM:SS` on the account's clock (the offset Google gave `newest`).
fn since_from(newest: &str) -> Option<String> {
    let t = parse_google_time(newest)? - chrono::Duration::seconds(OVERLAP_SECS);
    Some(t.format("%Y-%m-%d %H:%M:%S").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_sweep_starts_an_overlap_before_the_newest_on_the_accounts_clock() {
        assert_eq!(since_from("2026-10-01 09:15:00-07:00").as_deref(), Some("2026-10-01 08:15:00"));
        assert_eq!(since_from("2026-10-01 00:30:00+00:00").as_deref(), Some("2026-09-30 23:30:00"));
        assert_eq!(since_from("yesterday"), None);
        let (a, b) = ("2026-10-01 09:15:00-07:00".to_string(), "2026-10-01 17:00:00+00:00".to_string());
        // 17:00 UTC is 10:00 at -07:00: later, though its wall clock reads earlier text-wise.
        assert_eq!(newest(Some(a.clone()), Some(b.clone())), Some(b.clone()));
        assert_eq!(newest(Some(b.clone()), Some(a.clone())), Some(b));
        assert_eq!(newest(None, Some(a.clone())), Some(a.clone()));
        assert_eq!(newest(Some(a.clone()), Some("garbled".into())), Some(a));
    }
}
