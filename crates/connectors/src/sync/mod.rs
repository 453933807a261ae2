//! Pulls: a connection's new leads into the vault, page by page. Each page is stored together
//! with the cursor after it, in one transaction (`leadvault_core::sync`); Meta's pages read
//! while earlier ones are stored share one (whole pages only, each stream's cursor after its
//! last), so a sync killed at any moment resumes where the last whole page stored ended and
//! never stores a lead twice.
//!
//! Transient failures (5xx, cut-off answers, timeouts, rate limits) are retried with
//! exponential backoff and jitter, a bounded number of times; Meta, which sends no
//! Retry-After, is paced by its usage headers before it refuses. A rate limit asking for a
//! longer wait than `max_wait` (Google's daily quota, Meta's page budget) stops the sync and
//! says when to try again: retrying sooner only spends more of the quota. A token the provider
//! no longer accepts is refreshed once where it can be ([`Session`]); otherwise the connection
//! is marked "needs sign-in" and the sync stops.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use leadvault_core::connections::{Connection, ConnectionStatus, Credentials, Provider};
use leadvault_core::{NewLead, Vault};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{Connector, Error, Result, manage};

mod google_ads;
mod meta;

/// How a sync behaves; the defaults are what the app uses.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Leads per request (Meta allows up to a few hundred with every field; Google Ads pages
    /// are fixed at 10,000 rows and take no size).
    pub page_size: u32,
    /// Attempts per request before a transient failure ends the sync.
    pub attempts: u32,
    /// The first retry's wait; each further one doubles, plus up to as much again in jitter.
    pub backoff: Duration,
    /// The longest a rate limit's wait may be before the sync stops and says when to retry.
    pub max_wait: Duration,
    /// Meta usage (percent) from which requests are spaced out.
    pub slow_down_at: u32,
    /// Meta pages read while others are stored are stored together, whole, in one transaction
    /// of up to about this many leads (a page is never split).
    pub batch_leads: usize,
    /// How long a page read waits for the next ones to share its transaction.
    pub batch_wait: Duration,
    pub cancel: CancellationToken,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            page_size: 200,
            attempts: 6,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(300),
            slow_down_at: 75,
            batch_leads: 2_000,
            batch_wait: Duration::from_millis(250),
            cancel: CancellationToken::new(),
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Leads stored for the first time.
    pub new: u64,
    /// Leads read that the vault already had.
    pub unchanged: u64,
    /// Leads the provider sent that could not be read (no id, say); counted, never stored.
    pub skipped: u64,
    pub pages: u64,
    /// Requests retried after a transient failure.
    pub retries: u64,
    /// Lead streams read: Meta forms, Google Ads accounts.
    pub streams: u64,
    /// Leads a CRM took (created or updated there).
    pub pushed: u64,
    /// Leads a CRM refused; each keeps its reason in the outbox until the lead changes.
    pub failed: u64,
    /// A CRM's owners whose open leads were counted.
    pub owners: u64,
    /// Why a CRM's owners were not read this time (a token without their scope, the CRM's
    /// window spent by the push), in one line without personal data; the last counts stay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owners_warning: Option<String>,
    /// Ad accounts the provider refused to read (cancelled, or a manager account) and skipped.
    pub accounts_skipped: u64,
    /// Meta lead forms the provider refused to read (their leads wait for the next sync).
    pub streams_skipped: u64,
    /// The ads entities the connection holds after the sync (Google Ads).
    pub campaigns: u64,
    pub ad_groups: u64,
    pub keywords: u64,
    pub schedules: u64,
    /// Campaign days of metrics written (each sync rewrites the last 30 days).
    pub metric_days: u64,
}

/// Progress, after each stored page or batch of pages (`pages` counts them all).
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub stream_label: String,
    pub new: u64,
    pub pages: u64,
}

/// Whether Leadvault can sync this provider yet: Meta and Google Ads leads are pulled;
/// HubSpot, Pipedrive and Salesforce are pushed to.
pub fn supported(provider: Provider) -> bool {
    matches!(provider, Provider::Meta | Provider::GoogleAds) || provider.is_crm()
}

/// Meta deletes leads 90 days after they arrive and Google Ads keeps lead form submissions
/// readable for about 60: a connection not synced for this long is warned about, while there
/// is time for both.
pub const STALE_AFTER_DAYS: i64 = 30;

/// Whether a connection leads come from should be synced soon: never synced, or not for
/// [`STALE_AFTER_DAYS`].
pub fn stale(connection: &Connection, now: chrono::DateTime<Utc>) -> bool {
    supported(connection.provider)
        && !connection.provider.is_crm()
        && connection.last_sync_at.is_none_or(|t| now - t > chrono::Duration::days(STALE_AFTER_DAYS))
}

/// A connection's sync under way; the claim lasts until dropped. Within a process a list says
/// which connections are syncing; across processes (the app and `leadvault sync` at once) an
/// advisory lock on a file per connection in the data dir does, which the system releases
/// when the process ends, however it ends.
struct Running {
    id: String,
    _file: std::fs::File,
}

static RUNNING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Why a claim was refused.
enum Busy {
    Here,
    Elsewhere,
}

impl Running {
    fn claim(data_dir: &std::path::Path, id: &str) -> Result<std::result::Result<Running, Busy>> {
        let mut running = RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.iter().any(|r| r == id) {
            return Ok(Err(Busy::Here));
        }
        let dir = data_dir.join("sync-locks");
        let locked = (|| {
            std::fs::create_dir_all(&dir)?;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join(format!("{id}.lock")))?;
            match file.try_lock() {
                Ok(()) => Ok(Some(file)),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(e)) => Err(e),
            }
        })()
        .map_err(|e| Error::Config(format!("could not take the sync lock in {}: {e}", dir.display())))?;
        let Some(file) = locked else {
            return Ok(Err(Busy::Elsewhere));
        };
        running.push(id.to_string());
        Ok(Ok(Running { id: id.to_string(), _file: file }))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|r| *r != self.id);
    }
}

/// Syncs one connection: pulls what is new, records the outcome on the connection (last sync,
/// or the error and "needs sign-in"), and returns what it did.
pub async fn sync_connection(
    vault: &Vault,
    id: &str,
    options: &SyncOptions,
    progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<Summary> {
    let connections = vault.connections();
    let connection = connections.get(id).await?;
    if !supported(connection.provider) {
        // Not the connection's fault: its state stays as it is.
        return Err(Error::Config(format!(
            "syncing {} is not built yet; its connection works for testing and disconnecting",
            connection.provider.display_name()
        )));
    }
    // One sync per connection at a time (two at once could both make a Pipedrive record).
    let _running = match Running::claim(vault.data_dir(), id)? {
        Ok(claim) => claim,
        Err(Busy::Here) => {
            return Err(Error::Busy(format!(
                "{} is already syncing; wait for that sync to finish",
                connection.label
            )));
        }
        Err(Busy::Elsewhere) => {
            return Err(Error::Busy(format!(
                "{} is being synced by another Leadvault (the app, or another `leadvault sync`); wait for that sync to finish",
                connection.label
            )));
        }
    };
    let started = std::time::Instant::now();
    // The secrets the sync calls with last (a refresh mid-sync replaces them): its failure is
    // recorded only while the keychain still holds them, not over a sign-in again made while
    // it ran.
    let mut held = None;
    let outcome = pull_or_push(vault, &connection, options, progress, &mut held).await;
    match &outcome {
        Ok(summary) => {
            connections.mark_synced(id).await?;
            info!(
                connection = id,
                new = summary.new,
                pages = summary.pages,
                retries = summary.retries,
                ms = started.elapsed().as_millis() as u64,
                "sync done"
            );
        }
        Err(Error::Cancelled) => info!(connection = id, "sync cancelled"),
        Err(e) => {
            let status =
                if e.needs_sign_in() { ConnectionStatus::NeedsSignIn } else { ConnectionStatus::Error };
            let message = e.to_string();
            let recorded = match &held {
                Some(held) => connections.set_status_if_held(id, status, Some(&message), held).await?,
                None => {
                    connections.set_status(id, status, Some(&message)).await?;
                    true
                }
            };
            if recorded {
                warn!(connection = id, status = status.as_str(), "sync failed");
            } else {
                info!(
                    connection = id,
                    status = status.as_str(),
                    "sync failed with secrets replaced while it ran (signed in again); the connection's status stays"
                );
            }
        }
    }
    outcome
}

/// The sync's calls: a pull's or a push's. `held` is set to the secrets it calls with, as soon
/// as it has them and again after any refresh.
async fn pull_or_push(
    vault: &Vault,
    connection: &Connection,
    options: &SyncOptions,
    progress: &(dyn Fn(&Progress) + Send + Sync),
    held: &mut Option<Credentials>,
) -> Result<Summary> {
    let stored = manage::stored_credentials(vault, connection).await?;
    *held = Some(stored.clone());
    let credentials = manage::ready(vault, connection, stored).await?;
    *held = Some(credentials.clone());
    let connector = Connector::for_connection(connection)?;
    match connection.provider {
        Provider::Meta => meta::pull(vault, &connector, connection, &credentials, options, progress).await,
        Provider::GoogleAds => {
            let mut session =
                Session { vault, connector: &connector, connection, credentials, refreshed: false };
            let pulled = google_ads::pull(&mut session, options, progress).await;
            *held = Some(session.credentials);
            pulled
        }
        p if p.is_crm() => {
            let mut summary = Summary::default();
            let mut credentials = credentials;
            let pushed = crate::push::push(
                vault,
                &connector,
                connection,
                &mut credentials,
                options,
                &mut summary,
                progress,
            )
            .await;
            *held = Some(credentials);
            pushed.map(|()| summary)
        }
        other => unreachable!("{other} was checked to be supported"),
    }
}

/// The credentials a sync calls with. An access token can expire between two pages, so one the
/// provider refuses mid-sync is refreshed, once per sync; refused again, or with no refresh
/// token, or with the refresh itself refused, the error stands and the connection needs a new
/// sign-in (never a loop).
pub(super) struct Session<'a> {
    vault: &'a Vault,
    connector: &'a Connector,
    connection: &'a Connection,
    credentials: Credentials,
    refreshed: bool,
}

impl Session<'_> {
    /// After `refused` (a token error): refreshes the credentials, or gives the error back.
    async fn renew(&mut self, refused: Error) -> Result<()> {
        if self.refreshed || self.credentials.refresh_token.is_none() {
            return Err(refused);
        }
        self.refreshed = true;
        info!(connection = %self.connection.id, "the access token was refused mid-sync; refreshing it once");
        self.credentials =
            manage::refresh(self.vault, self.connector, self.connection, &self.credentials).await?;
        Ok(())
    }
}

/// Maps one lead as its provider sent it (`item`), keeping it whatever its creation time under
/// `key` says: a time an import would refuse (year 3000, `+262142-…`) or that is no date at all
/// (year 10000, a number past the calendar) becomes the time it was `received`, the provider's
/// value kept among its answers as `field` with a note (see
/// [`leadvault_core::sync::settle_creation_time`]), so the vault's export imports again and the
/// lead is not dropped. `received_text` is `received` as `map` reads a time. Returns the lead
/// and whether its creation time is the provider's (and may move a cursor); `None` when it
/// cannot be kept for another reason (no id).
pub(crate) fn map_keeping_time(
    item: &serde_json::Map<String, serde_json::Value>,
    (provider, key, field): (&str, &str, &str),
    (received, received_text): (chrono::DateTime<Utc>, &str),
    map: impl Fn(&serde_json::Map<String, serde_json::Value>) -> std::result::Result<NewLead, String>,
) -> Option<(NewLead, bool)> {
    use serde_json::Value;
    let sent = item.get(key).and_then(|v| match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    });
    match map(item) {
        Ok(mut lead) => {
            let settled = leadvault_core::sync::settle_creation_time(
                &mut lead,
                provider,
                field,
                sent.as_deref(),
                received,
            );
            Some((lead, !settled))
        }
        Err(_) => {
            // Refused for its time? Then it maps with the time it was received.
            let sent = sent?;
            let mut again = item.clone();
            again.insert(key.to_string(), Value::String(received_text.to_string()));
            let mut lead = map(&again).ok()?;
            leadvault_core::sync::keep_sent_creation_time(&mut lead, provider, field, &sent, received);
            Some((lead, false))
        }
    }
}

/// Spaces requests out as Meta's usage nears its limit: nothing below `slow_down_at`, then a
/// wait that grows to `max_wait` at 100 %.
pub(crate) async fn pace(options: &SyncOptions, usage_percent: u32) -> Result<()> {
    if usage_percent < options.slow_down_at {
        return Ok(());
    }
    let over =
        f64::from(usage_percent - options.slow_down_at) / f64::from(100 - options.slow_down_at.min(99));
    let wait = options.max_wait.mul_f64((over * over).min(1.0)).max(options.backoff);
    info!(usage_percent, wait_ms = wait.as_millis() as u64, "slowing down before the provider's limit");
    sleep(options, wait).await
}

pub(crate) async fn sleep(options: &SyncOptions, wait: Duration) -> Result<()> {
    tokio::select! {
        _ = tokio::time::sleep(wait) => Ok(()),
        _ = options.cancel.cancelled() => Err(Error::Cancelled),
    }
}

/// Runs `call`, retrying transient failures with exponential backoff and jitter; a rate
/// limit waits as long as the provider asks (up to `max_wait`).
pub(crate) async fn retrying<T, F, Fut>(options: &SyncOptions, retries: &mut u64, mut call: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    loop {
        let error = tokio::select! {
            result = call() => match result {
                Ok(value) => return Ok(value),
                Err(e) => e,
            },
            _ = options.cancel.cancelled() => return Err(Error::Cancelled),
        };
        attempt += 1;
        let wait = match &error {
            Error::Unavailable { .. } => backoff(options, attempt),
            Error::RateLimited { retry_after_secs, .. } => {
                let asked = Duration::from_secs(*retry_after_secs);
                if asked > options.max_wait {
                    return Err(error);
                }
                asked.max(backoff(options, attempt))
            }
            _ => return Err(error),
        };
        if attempt >= options.attempts {
            return Err(error);
        }
        *retries += 1;
        info!(attempt, wait_ms = wait.as_millis() as u64, "retrying after a transient failure");
        sleep(options, wait).await?;
    }
}

/// `backoff × 2^(attempt-1)`, plus a random share of as much again.
pub(crate) fn backoff(options: &SyncOptions, attempt: u32) -> Duration {
    let base = options.backoff.saturating_mul(1 << (attempt - 1).min(10));
    let mut byte = [0u8; 1];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut byte);
    base + base.mul_f64(f64::from(byte[0]) / 255.0)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// Every lead with an id is kept, whatever its creation time: one an import would refuse,
    /// or one that is no date at all, becomes the time it was received, the provider's value
    /// kept as an answer; a usable one is the provider's and may move the cursor.
    #[test]
    fn a_lead_is_kept_whatever_its_creation_time() {
        let received = Utc::now();
        let received_text = received.to_rfc3339();
        let meta = |time: Value| {
            let node = json!({"id": "7", "created_time": time, "field_data": [{"name": "full_name", "values": ["Ana"]}]});
            let map = |n: &_| leadvault_core::import::lead_from_graph(n, "meta", received);
            map_keeping_time(
                node.as_object().unwrap(),
                ("Meta", "created_time", "created_time"),
                (received, &received_text),
                map,
            )
        };
        for (time, kept) in [
            (json!("+262142-12-31T23:59:59+0000"), "+262142-12-31T23:59:59+0000"),
            (json!("3000-01-01T00:00:00+0000"), "3000-01-01T00:00:00+0000"),
            (json!("10000-01-01T00:00:00+0000"), "10000-01-01T00:00:00+0000"),
            (json!(1e300), "1e+300"),
            (json!("1969-07-20T20:17:40+0000"), "1969-07-20T20:17:40+0000"),
        ] {
            let (lead, its_own_time) = meta(time.clone()).unwrap_or_else(|| panic!("{time} was dropped"));
            assert!(!its_own_time, "{time}");
            assert_eq!(lead.created_at, received, "{time}");
            assert_eq!(lead.fields["created_time"], json!(kept), "{time}");
            assert_eq!(lead.notes.len(), 1, "{time}");
            assert!(!lead.notes[0].body.contains(kept), "the note names the answer, not the value");
        }
        let (lead, its_own_time) = meta(json!("2026-10-01T09:15:00+0000")).unwrap();
        assert!(its_own_time && lead.fields.get("created_time").is_none() && lead.notes.is_empty());
        assert_eq!(lead.created_at.to_rfc3339(), "2026-10-01T09:15:00+00:00");

        let google_text = received.format(google_ads::GOOGLE_TIME).to_string();
        let google = |time: &str| {
            let row = json!({"id": "5", "submissionDateTime": time,
                "leadFormSubmissionFields": [{"fieldType": "FULL_NAME", "fieldValue": "Ana"}]});
            let map = |r: &_| leadvault_core::import::lead_from_google_ads(r, received);
            map_keeping_time(
                row.as_object().unwrap(),
                ("Google Ads", "submissionDateTime", "submission_date_time"),
                (received, &google_text),
                map,
            )
        };
        for time in
            ["3000-01-01 00:00:00+00:00", "+262142-12-31 23:59:59+00:00", "10000-01-01 00:00:00+00:00"]
        {
            let (lead, its_own_time) = google(time).unwrap_or_else(|| panic!("{time} was dropped"));
            assert!(!its_own_time && lead.created_at == received, "{time}");
            assert_eq!(lead.fields["submission_date_time"], json!(time));
        }
        assert!(google("2026-10-01 09:15:00+02:00").unwrap().1);
    }
}
