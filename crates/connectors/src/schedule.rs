//! The scheduler the app runs: each connection synced on its own interval and on demand
//! ("Sync now"), one sync per connection at a time (`sync::sync_connection` refuses a second,
//! here or in another process).
//!
//! A round syncs every connection that is due, lead sources first; when a source brought new
//! leads, the CRMs are sent them in the same round instead of at their next turn. A failed
//! sync (offline, the provider down, a spent quota) is tried again after a minute, then two,
//! four… never later than its interval; one that needs a new sign-in waits for it (or for
//! "Sync now"). Nothing is lost while it waits: pulls resume from their cursors and pushes
//! stay queued in the outbox.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use leadvault_core::Vault;
use leadvault_core::connections::{Connection, ConnectionStatus};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Error;
use crate::sync::{self, Progress, Summary, SyncOptions};

/// A lead source's default interval: Meta and Google Ads.
pub const SOURCE_EVERY: Duration = Duration::from_secs(15 * 60);
/// A CRM's default interval (leads changed in the inbox wait at most this long).
pub const CRM_EVERY: Duration = Duration::from_secs(5 * 60);
/// The shortest interval a person may choose: the providers' budgets are shared.
pub const MIN_EVERY_SECS: u64 = 60;

/// How often the scheduler syncs `connection`; `None`: only when asked.
pub fn every(connection: &Connection, options: &ScheduleOptions) -> Option<Duration> {
    match connection.sync_every_secs {
        Some(0) => None,
        Some(secs) => Some(Duration::from_secs(secs)),
        None if connection.provider.is_crm() => Some(options.crm_every),
        None => Some(options.source_every),
    }
}

/// How often the app syncs `connection` by itself, as a person reads it: "every 15 min", or
/// "only when asked".
pub fn describe(connection: &Connection) -> String {
    match every(connection, &ScheduleOptions::default()) {
        None => "only when asked".into(),
        Some(every) => format!("every {}", every_text(every)),
    }
}

/// An interval as a person types it: `manual`, `default`, or a number with `s`, `m` or `h`
/// (`90s`, `15m`, `1h`); `None` is the provider's default, `Some(0)` only when asked.
pub fn parse_every(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim().to_ascii_lowercase();
    match text.as_str() {
        "manual" | "off" | "never" => return Ok(Some(0)),
        "default" | "auto" => return Ok(None),
        _ => {}
    }
    let wrong = || format!("'{text}' is not an interval: use e.g. 15m, 1h, 90s, manual or default");
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits.parse().map_err(|_| wrong())?;
    let secs = match unit.trim() {
        "s" | "sec" | "secs" => n,
        "" | "m" | "min" | "mins" => n.saturating_mul(60),
        "h" | "hour" | "hours" => n.saturating_mul(3600),
        _ => return Err(wrong()),
    };
    if secs < MIN_EVERY_SECS {
        return Err(format!(
            "syncing more often than every {MIN_EVERY_SECS} s spends the providers' request budget: choose 1m or more"
        ));
    }
    if secs > 7 * 24 * 3600 {
        return Err("sync at least weekly: Google Ads keeps lead form submissions for about 60 days".into());
    }
    Ok(Some(secs))
}

/// An interval as a person reads it: `90 s`, `15 min`, `1 h`, `1 h 30 min`.
pub fn every_text(every: Duration) -> String {
    match every.as_secs() {
        s if s % 60 != 0 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// How the scheduler behaves; the defaults are the app's.
#[derive(Debug, Clone)]
pub struct ScheduleOptions {
    pub sync: SyncOptions,
    pub source_every: Duration,
    pub crm_every: Duration,
    /// The wait after a first failure; it doubles with each further one, up to the interval.
    pub retry_after: Duration,
}

impl Default for ScheduleOptions {
    fn default() -> Self {
        ScheduleOptions {
            sync: SyncOptions::default(),
            source_every: SOURCE_EVERY,
            crm_every: CRM_EVERY,
            retry_after: Duration::from_secs(60),
        }
    }
}

/// What the scheduler reports, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        connection: Connection,
    },
    /// After each stored page of a pull, or batch of a push.
    Progress {
        id: String,
        progress: Progress,
    },
    Finished {
        connection: Connection,
        summary: Summary,
    },
    /// The connection as the failure left it (its status says whether it needs a sign-in),
    /// the error, and when it is tried again by itself (`None`: not before "Sync now").
    Failed {
        connection: Connection,
        error: String,
        retry_in: Option<Duration>,
    },
}

type Listener = Arc<dyn Fn(Event) + Send + Sync>;

/// The running scheduler. Dropping it stops it; [`Scheduler::stop`] also waits for the sync
/// under way to end (at its next page: nothing half-stored).
pub struct Scheduler {
    asked: Arc<Mutex<Vec<String>>>,
    wake: Arc<Notify>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Scheduler {
    /// Starts syncing `vault`'s connections in the background, telling `listener` what happens.
    pub fn start(
        vault: Vault,
        options: ScheduleOptions,
        listener: impl Fn(Event) + Send + Sync + 'static,
    ) -> Scheduler {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let wake = Arc::new(Notify::new());
        let cancel = options.sync.cancel.child_token();
        let mut options = options;
        options.sync.cancel = cancel.clone();
        let run = Run {
            vault,
            options,
            listener: Arc::new(listener),
            asked: asked.clone(),
            wake: wake.clone(),
            failures: HashMap::new(),
        };
        let task = tokio::spawn(run.run());
        Scheduler { asked, wake, cancel, task: Some(task) }
    }

    /// Syncs `id` as soon as the sync under way (if any) ends, whatever its interval or status.
    pub fn sync_now(&self, id: &str) {
        self.asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(id.to_string());
        self.wake.notify_one();
    }

    /// Looks again at the connections (one was added, changed or removed, or leads were edited
    /// and the CRMs may be due).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops, cancelling the sync under way, and waits for it to end.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Consecutive failures of a connection, and when it is tried again.
struct Failure {
    count: u32,
    retry_at: DateTime<Utc>,
}

struct Run {
    vault: Vault,
    options: ScheduleOptions,
    listener: Listener,
    asked: Arc<Mutex<Vec<String>>>,
    wake: Arc<Notify>,
    failures: HashMap<String, Failure>,
}

impl Run {
    async fn run(mut self) {
        info!("the sync scheduler started");
        while !self.options.sync.cancel.is_cancelled() {
            let next = match self.round().await {
                Ok(next) => next,
                Err(Error::Cancelled) => break,
                Err(e) => {
                    // The vault itself failed (closed, disk full): look again later.
                    warn!("a scheduler round failed: {e}");
                    Some(self.options.retry_after)
                }
            };
            // Waits for the next due connection (at most an hour: intervals may change), a
            // "Sync now", or the end.
            let wait = next.unwrap_or(Duration::from_secs(3600)).min(Duration::from_secs(3600));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                _ = self.options.sync.cancel.cancelled() => break,
            }
        }
        info!("the sync scheduler stopped");
    }

    fn take_asked(&self) -> HashSet<String> {
        std::mem::take(&mut *self.asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .into_iter()
            .collect()
    }

    /// When `connection` is due by itself; `None`: never (only when asked).
    fn due_at(&self, connection: &Connection) -> Option<DateTime<Utc>> {
        if !sync::supported(connection.provider) || connection.status == ConnectionStatus::NeedsSignIn {
            return None;
        }
        let every = every(connection, &self.options)?;
        if let Some(failure) = self.failures.get(&connection.id) {
            return Some(failure.retry_at);
        }
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        Some(connection.last_sync_at.map_or(DateTime::<Utc>::MIN_UTC, |t| t + every))
    }

    /// Syncs what is due; returns how long until the next connection is.
    async fn round(&mut self) -> Result<Option<Duration>, Error> {
        let asked = self.take_asked();
        let mut connections = self.vault.connections().list().await?;
        connections.sort_by_key(|c| c.provider.is_crm());
        let now = Utc::now();
        let mut brought_leads = false;
        for connection in connections {
            let is_due = self.due_at(&connection).is_some_and(|at| at <= now);
            let crm_after_new = connection.provider.is_crm()
                && brought_leads
                && self.due_at(&connection).is_some()
                && !self.failures.contains_key(&connection.id);
            if !(asked.contains(&connection.id) || is_due || crm_after_new) {
                continue;
            }
            let summary = self.sync(connection).await?;
            brought_leads |= summary.is_some_and(|s| s.new > 0);
        }
        // Asked for a connection no longer there: nothing to do.
        let now = Utc::now();
        let connections = self.vault.connections().list().await?;
        let next = connections.iter().filter_map(|c| self.due_at(c)).min();
        Ok(next.map(|at| (at - now).to_std().unwrap_or(Duration::ZERO)))
    }

    /// One sync, reported; the summary when it worked.
    async fn sync(&mut self, connection: Connection) -> Result<Option<Summary>, Error> {
        let id = connection.id.clone();
        (self.listener)(Event::Started { connection });
        let listener = self.listener.clone();
        let progress_id = id.clone();
        let on_progress =
            move |p: &Progress| listener(Event::Progress { id: progress_id.clone(), progress: p.clone() });
        let outcome = sync::sync_connection(&self.vault, &id, &self.options.sync, &on_progress).await;
        let connection = match self.vault.connections().get(&id).await {
            Ok(c) => c,
            // Disconnected while it synced.
            Err(_) => {
                self.failures.remove(&id);
                return Ok(None);
            }
        };
        match outcome {
            Ok(summary) => {
                self.failures.remove(&id);
                (self.listener)(Event::Finished { connection, summary: summary.clone() });
                Ok(Some(summary))
            }
            Err(Error::Cancelled) => Err(Error::Cancelled),
            // Another sync of it is under way (Sync now, or `leadvault sync`): it reports its
            // own outcome; this one looks again later.
            Err(Error::Busy(_)) => {
                let count = self.failures.get(&id).map_or(0, |f| f.count);
                let retry_at = Utc::now()
                    + chrono::Duration::from_std(self.options.retry_after).unwrap_or(chrono::Duration::MAX);
                self.failures.insert(id, Failure { count, retry_at });
                Ok(None)
            }
            Err(e) => {
                let retry_in = self.failed(&connection, &e);
                (self.listener)(Event::Failed { connection, error: e.to_string(), retry_in });
                Ok(None)
            }
        }
    }

    /// Records a failure; returns when the connection is tried again by itself.
    fn failed(&mut self, connection: &Connection, error: &Error) -> Option<Duration> {
        if error.needs_sign_in() {
            self.failures.remove(&connection.id);
            return None;
        }
        let every = every(connection, &self.options)?;
        let count = self.failures.get(&connection.id).map_or(1, |f| f.count + 1);
        let mut wait = self.options.retry_after.saturating_mul(1 << (count - 1).min(16)).min(every);
        // A provider that said when to come back is not asked sooner.
        if let Error::RateLimited { retry_after_secs, .. } = error {
            wait = wait.max(Duration::from_secs(*retry_after_secs));
        }
        let retry_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        self.failures.insert(connection.id.clone(), Failure { count, retry_at });
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_as_people_type_them() {
        assert_eq!(parse_every("15m"), Ok(Some(900)));
        assert_eq!(parse_every("15"), Ok(Some(900)));
        assert_eq!(parse_every(" 1h "), Ok(Some(3600)));
        assert_eq!(parse_every("90s"), Ok(Some(90)));
        assert_eq!(parse_every("2 hours"), Ok(Some(7200)));
        assert_eq!(parse_every("manual"), Ok(Some(0)));
        assert_eq!(parse_every("default"), Ok(None));
        assert!(parse_every("30s").unwrap_err().contains("1m or more"));
        assert!(parse_every("30d").unwrap_err().contains("not an interval"));
        assert!(parse_every("").unwrap_err().contains("not an interval"));
        assert!(parse_every("9999h").unwrap_err().contains("weekly"));
        let text = |secs| every_text(Duration::from_secs(secs));
        assert_eq!([text(90), text(900), text(3600), text(5400)], ["90 s", "15 min", "1 h", "1 h 30 min"]);
    }
}
