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
use leadvault_core::Vault;
use leadvault_core::connections::{Connection, ConnectionStatus, Credentials, Provider};
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
    let outcome = async {
        let credentials = manage::usable_credentials(vault, &connection).await?;
        let connector = Connector::for_connection(&connection)?;
        match connection.provider {
            Provider::Meta => {
                meta::pull(vault, &connector, &connection, &credentials, options, progress).await
            }
            Provider::GoogleAds => {
                let session = Session {
                    vault,
                    connector: &connector,
                    connection: &connection,
                    credentials,
                    refreshed: false,
                };
                google_ads::pull(session, options, progress).await
            }
            p if p.is_crm() => {
                let mut summary = Summary::default();
                crate::push::push(
                    vault,
                    &connector,
                    &connection,
                    &credentials,
                    options,
                    &mut summary,
                    progress,
                )
                .await
                .map(|()| summary)
            }
            other => unreachable!("{other} was checked to be supported"),
        }
    }
    .await;
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
            connections.set_status(id, status, Some(&e.to_string())).await?;
            warn!(connection = id, status = status.as_str(), "sync failed");
        }
    }
    outcome
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
