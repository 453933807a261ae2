//! `leadvault sync [--connection ID] [--json] [--watch [--every SECS]]`: pulls what is new from
//! each lead source, then pushes what is queued to each CRM (so new leads reach the CRM in the
//! same run), with a progress line on a terminal and a summary per connection.
//! With `--watch` it syncs again every SECS until Ctrl-C; a failed round (offline, a provider
//! down) is reported and the next round tries again.

use std::time::Duration;

use leadvault_connectors::sync::{self, Summary, SyncOptions};
use leadvault_core::Vault;
use leadvault_core::connections::{Connection, Provider};
use leadvault_core::error::Error;
use serde::Serialize;

use crate::connect::{provider_error, with_sign_in_command};
use crate::output::{self, errln, outln, safe};

#[derive(Serialize)]
struct Outcome {
    id: String,
    label: String,
    provider: String,
    #[serde(flatten)]
    summary: Option<Summary>,
    error: Option<String>,
    /// The error as a person reads it: for a connection that needs a sign-in, with the
    /// command that signs it in again.
    #[serde(skip)]
    shown: Option<String>,
}

/// What `leadvault sync` was given.
pub struct SyncArgs {
    pub connection: Option<String>,
    pub json: bool,
    /// Seconds between rounds, with `--watch`.
    pub watch_every: Option<u64>,
}

pub async fn sync(vault: &Vault, args: SyncArgs) -> Result<(), Error> {
    let options = SyncOptions::default();
    // Listening from here on (a Ctrl-C just as the sync starts stops it too), Ctrl-C or SIGTERM.
    let _listening = crate::interrupt::cancels(
        options.cancel.clone(),
        "sync stopped at once; every page it stored is kept, and the next sync carries on from there",
    );
    let Some(every) = args.watch_every else {
        let outcomes = round(vault, &args, &options).await.map_err(|e| {
            crate::interrupt::explained(
                e,
                "sync stopped; every page it stored is kept, and the next sync carries on from there",
            )
        })?;
        let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.error.is_some()).collect();
        return match failed.as_slice() {
            [] => Ok(()),
            [one] if outcomes.len() == 1 => Err(Error::Provider(one.shown.clone().unwrap_or_default())),
            many => Err(Error::Provider(format!(
                "{} of {} connections failed to sync; see above",
                many.len(),
                outcomes.len()
            ))),
        };
    };
    if every == 0 {
        return Err(Error::InvalidInput("--every must be at least 1 second".into()));
    }
    let mut first = true;
    loop {
        match round(vault, &args, &options).await {
            Err(Error::Cancelled) => return Ok(()),
            // Nothing to sync at all, or nowhere to say what was synced: stop at once.
            Err(e) if first || output::is_output_error(&e) => return Err(e),
            // Later (the vault busy, the connection removed meanwhile): report, try next round.
            Err(e) => errln!("this round failed: {e}"),
            Ok(_) => {}
        }
        first = false;
        if !args.json {
            errln!("Next sync in {every} s (Ctrl-C stops).");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = options.cancel.cancelled() => return Ok(()),
        }
    }
}

async fn targets(vault: &Vault, connection: Option<&str>) -> Result<Vec<Connection>, Error> {
    let mut targets = match connection {
        Some(id) => vec![vault.connections().get(id).await?],
        None => vault.connections().list().await?,
    };
    // Sources first, CRMs after: what a pull brings in is pushed in the same round.
    targets.sort_by_key(|c| c.provider.is_crm());
    if targets.is_empty() {
        return Err(Error::InvalidInput(format!(
            "no connections to sync; add one with `{} connect <provider>`",
            crate::output::me()
        )));
    }
    Ok(targets)
}

/// `1 owner`, `4 owners`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Syncs every target once, printing each outcome as it comes (JSON: all at the end).
async fn round(vault: &Vault, args: &SyncArgs, options: &SyncOptions) -> Result<Vec<Outcome>, Error> {
    let mut outcomes = Vec::new();
    let targets = targets(vault, args.connection.as_deref()).await?;
    // A lone connection's failure is the command's own error line (unless watching).
    let say_errors = targets.len() > 1 || args.watch_every.is_some();
    for c in targets {
        // Syncing every connection: the ones whose sync is not built yet are skipped, not failed.
        if args.connection.is_none() && !sync::supported(c.provider) {
            if !args.json {
                outln!(
                    "{}: skipped, syncing {} is not built yet",
                    safe(&c.label),
                    c.provider.display_name()
                )?;
            }
            continue;
        }
        let progress = output::Progress::new("synced");
        let result = sync::sync_connection(vault, &c.id, options, &|p| progress.tick(p.new)).await;
        progress.done();
        let (summary, error, shown) = match result {
            Ok(summary) => (Some(summary), None, None),
            Err(leadvault_connectors::Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => {
                let needs_sign_in = e.needs_sign_in();
                let error = provider_error(e).to_string();
                // Where to go from here: the command that brings this connection back.
                let shown = if needs_sign_in { with_sign_in_command(&error, &c) } else { error.clone() };
                (None, Some(error), Some(shown))
            }
        };
        if !args.json {
            match (&summary, &error) {
                (Some(s), _) => {
                    let retries = if s.retries > 0 {
                        format!(", {} retried requests", s.retries)
                    } else {
                        String::new()
                    };
                    if c.provider.is_crm() {
                        outln!(
                            "{}: {} pushed, {} failed; open leads counted for {}{retries}",
                            safe(&c.label),
                            s.pushed,
                            s.failed,
                            count(s.owners, "owner", "owners")
                        )?;
                        if s.skipped > 0 {
                            outln!("  {} leads were not sent: the CRM has no way to match them", s.skipped)?;
                        }
                        if let Some(warning) = &s.owners_warning {
                            outln!("  {}", safe(warning))?;
                        }
                    } else {
                        let streams = match c.provider {
                            Provider::GoogleAds => count(s.streams, "account", "accounts"),
                            _ => count(s.streams, "form", "forms"),
                        };
                        outln!(
                            "{}: {} new, {} already in the vault ({} from {streams}{retries})",
                            safe(&c.label),
                            s.new,
                            s.unchanged,
                            count(s.pages, "page", "pages")
                        )?;
                        if s.campaigns > 0 || s.metric_days > 0 {
                            outln!(
                                "  {} campaigns, {} ad groups, {} keywords, {} ad schedules; {} days of campaign metrics",
                                s.campaigns,
                                s.ad_groups,
                                s.keywords,
                                s.schedules,
                                s.metric_days
                            )?;
                        }
                        if s.skipped > 0 {
                            outln!("  {} leads could not be read and were skipped", s.skipped)?;
                        }
                    }
                    if s.streams_skipped > 0 {
                        outln!(
                            "  {} lead forms could not be read and were skipped (see the log); the next sync tries them again",
                            s.streams_skipped
                        )?;
                    }
                    if s.accounts_skipped > 0 {
                        outln!(
                            "  {} ad accounts could not be read (cancelled, or manager accounts) and were skipped",
                            s.accounts_skipped
                        )?;
                    }
                }
                (None, Some(_)) if say_errors => {
                    errln!("{}: {}", safe(&c.label), safe(shown.as_deref().unwrap_or_default()))
                }
                (None, _) => {}
            }
        }
        outcomes.push(Outcome {
            id: c.id,
            label: c.label,
            provider: c.provider.as_str().into(),
            summary,
            error,
            shown,
        });
    }
    if args.json {
        outln!("{}", serde_json::to_string(&outcomes).unwrap_or_default())?;
    }
    Ok(outcomes)
}
