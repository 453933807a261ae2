//! Pushes: the leads a CRM connection's outbox holds (`leadvault_core::outbox`), sent as they
//! stand now, in the CRM's batches, until none is due.
//!
//! A lead is never created twice remotely, whatever fails when: HubSpot contacts are upserted
//! by email and Salesforce Leads by Leadvault's id in an external id field, so sending one
//! again updates it; Pipedrive has neither, so before creating a person or a lead the pusher
//! looks for the one it may have made before (a person by email or phone, a lead by its
//! `origin_id`, which holds the Leadvault id) and remembers each remote id as soon as it has it.
//!
//! After the pushes, the CRM's owners and their open leads are read back (`capacity`); a CRM
//! that cannot be reached there, or that no longer accepts the token, fails the sync even when
//! nothing was queued.
//!
//! A transient failure (5xx, timeouts, rate limits) is retried with backoff and jitter; when
//! the CRM stays away, the round stops, the items wait with a later time, and the next sync
//! takes them up. A record the CRM refuses is marked failed with its reason (a code, never a
//! value) until the lead changes again.

use std::time::Duration;

use chrono::Utc;
use leadvault_core::Vault;
use leadvault_core::connections::{AuthKind, Connection, Credentials, Provider};
use leadvault_core::outbox::{Outcome, PushItem};
use reqwest::header::HeaderMap;
use tracing::{info, warn};

use crate::sync::{Progress, Summary, SyncOptions, backoff, sleep};
use crate::{Connector, Error, Result};

mod capacity;
mod hubspot;
mod pipedrive;
mod salesforce;

/// What a provider's push needs for a round.
pub(crate) struct Ctx<'a> {
    pub connector: &'a Connector,
    /// Owned: a token expiring mid-sync is replaced by its refresh ([`renewed`]).
    pub credentials: Credentials,
    pub auth: AuthKind,
    pub options: &'a SyncOptions,
    pub retries: u64,
}

/// Pushes everything due in the connection's outbox; adds what it did to `summary`.
/// `credentials` are what it calls with: a refresh mid-push replaces them there too.
pub(crate) async fn push(
    vault: &Vault,
    connector: &Connector,
    connection: &Connection,
    credentials: &mut Credentials,
    options: &SyncOptions,
    summary: &mut Summary,
    progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<()> {
    let mut ctx =
        Ctx { connector, credentials: credentials.clone(), auth: connection.auth, options, retries: 0 };
    let pushed = push_with(vault, connection, &mut ctx, summary, progress).await;
    *credentials = ctx.credentials;
    pushed
}

async fn push_with(
    vault: &Vault,
    connection: &Connection,
    ctx: &mut Ctx<'_>,
    summary: &mut Summary,
    progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<()> {
    let options = ctx.options;
    let outbox = vault.outbox(&connection.id);
    let mut refreshed = false;
    let batch = match connection.provider {
        Provider::Hubspot => hubspot::BATCH,
        Provider::Salesforce => salesforce::BATCH,
        _ => pipedrive::BATCH,
    };
    let label = connection.provider.display_name().to_string();
    loop {
        if options.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let items = outbox.due(batch).await?;
        if items.is_empty() {
            break;
        }
        let mut round = send(ctx, connection.provider, &outbox, &items).await;
        // The access token expired during the push (HubSpot's last 30 minutes): what was done
        // is kept, the token refreshed once, and the rest goes round again.
        if let Err(Partial { error, .. }) = &round
            && error.needs_sign_in()
            && can_renew(ctx, refreshed)
        {
            let Err(Partial { done, .. }) = round else { unreachable!("an error was matched") };
            count(summary, &done);
            outbox.record(&done).await?;
            summary.retries += std::mem::take(&mut ctx.retries);
            renew(vault, connection, ctx, &mut refreshed).await?;
            continue;
        }
        // The CRM refused the whole request for something in it (one invalid email, say): send
        // the leads one by one, so only the culprit fails and the rest go through.
        if matches!(&round, Err(Partial { done, error: Error::Rejected { .. } }) if done.is_empty()) {
            round = one_by_one(ctx, connection.provider, &outbox, &items, &label).await;
        }
        summary.retries += std::mem::take(&mut ctx.retries);
        let results = match round {
            Ok(results) => results,
            Err(Partial { done, error }) => {
                // What was done is kept; the rest waits for a later sync (offline, a long
                // rate limit), its attempt recorded.
                // Every item sent is recorded: each failed round waits twice as long before
                // the item is due again.
                let mut results = done;
                let reason = error.code();
                let finished: Vec<i64> = results.iter().map(|(d, _)| d.lead_seq).collect();
                for item in items.iter().filter(|i| !finished.contains(&i.lead_seq)) {
                    let wait = backoff(options, item.attempts.saturating_add(1));
                    let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    results.push((item.clone(), Outcome::Retry { reason: reason.clone(), at }));
                }
                count(summary, &results);
                outbox.record(&results).await?;
                return Err(error);
            }
        };
        count(summary, &results);
        outbox.record(&results).await?;
        summary.pages += 1;
        progress(&Progress { stream_label: label.clone(), new: summary.new, pages: summary.pages });
    }
    // Then what the team holds now, for lead flow rules. Best effort: a token that may push
    // but not read owners (a 403) keeps the last counts and says so in the summary's
    // warning; a token the CRM no longer accepts (a 401) needs a sign-in. A CRM that cannot be
    // reached (or stays rate limited) fails the sync, as a pull's provider does, when nothing
    // was sent: this read is then the sync's only request, and its failure the only sign that
    // the CRM is away. After leads went through, a rate limit here (the push spent the CRM's
    // window) keeps the last counts: the sync did its work, and says so.
    let sent = summary.pages > 0;
    let mut owners = capacity::read(ctx, connection.provider).await;
    if matches!(&owners, Err(e) if e.needs_sign_in()) && can_renew(ctx, refreshed) {
        renew(vault, connection, ctx, &mut refreshed).await?;
        owners = capacity::read(ctx, connection.provider).await;
    }
    summary.retries += std::mem::take(&mut ctx.retries);
    match owners {
        Ok(owners) => {
            summary.owners = owners.len() as u64;
            vault.crm_owners(&connection.id).replace(&owners).await?;
        }
        Err(Error::Cancelled) => return Err(Error::Cancelled),
        // A 401 (the token revoked or expired) fails the sync whatever was sent: only a new
        // sign-in fixes it, and the next push would meet it too. A 403 here is a token
        // without the owners' scope, sorted as a refusal of this read (`capacity`).
        Err(e) if e.needs_sign_in() => return Err(e),
        Err(e) if e.transient() && !sent => return Err(e),
        Err(e) => {
            warn!(connection = connection.id.as_str(), error = %e, "the CRM's owners could not be read; keeping the last counts");
            let why = match &e {
                Error::Rejected { reason, .. } => format!("{reason}; check that the token may read them"),
                Error::Unavailable { reason, .. } => reason.clone(),
                Error::RateLimited { .. } => "it asked to slow down".into(),
                other => other.to_string(),
            };
            summary.owners_warning =
                Some(format!("{label}'s owners were not read ({why}); lead flow rules use the last counts"));
        }
    }
    info!(connection = connection.id.as_str(), pushed = summary.pushed, failed = summary.failed, "push done");
    Ok(())
}

/// Whether a token the CRM refused may be refreshed: once per sync, with a refresh token.
fn can_renew(ctx: &Ctx<'_>, refreshed: bool) -> bool {
    !refreshed && ctx.credentials.refresh_token.is_some()
}

/// Refreshes the access token (kept for later syncs); a refused refresh is
/// [`Error::Unauthorized`]: the connection then needs a new sign-in.
async fn renew(
    vault: &Vault,
    connection: &Connection,
    ctx: &mut Ctx<'_>,
    refreshed: &mut bool,
) -> Result<()> {
    *refreshed = true;
    info!(connection = connection.id.as_str(), "the access token was refused mid-sync; refreshing it once");
    ctx.credentials = crate::manage::refresh(vault, ctx.connector, connection, &ctx.credentials).await?;
    Ok(())
}

/// Sends each item alone; one the CRM refuses fails with its reason, the others go on.
async fn one_by_one(
    ctx: &mut Ctx<'_>,
    provider: Provider,
    outbox: &leadvault_core::outbox::Outbox<'_>,
    items: &[PushItem],
    label: &str,
) -> Result<Vec<(PushItem, Outcome)>, Partial> {
    let mut results = Vec::new();
    for item in items {
        match send(ctx, provider, outbox, std::slice::from_ref(item)).await {
            Ok(mut r) => results.append(&mut r),
            Err(Partial { error: Error::Rejected { reason, .. }, .. }) => {
                results.push((item.clone(), Outcome::Failed(format!("{label} refused it ({reason})"))))
            }
            Err(Partial { mut done, error }) => {
                results.append(&mut done);
                return Err(Partial { done: results, error });
            }
        }
    }
    Ok(results)
}

/// One request's worth of pushes to the provider.
async fn send(
    ctx: &mut Ctx<'_>,
    provider: Provider,
    outbox: &leadvault_core::outbox::Outbox<'_>,
    items: &[PushItem],
) -> Result<Vec<(PushItem, Outcome)>, Partial> {
    match provider {
        Provider::Hubspot => hubspot::push(ctx, items).await,
        Provider::Salesforce => salesforce::push(ctx, items).await,
        Provider::Pipedrive => pipedrive::push(ctx, outbox, items).await,
        other => Err(Error::Config(format!("{} is not a CRM", other.display_name())).into()),
    }
}

fn count(summary: &mut Summary, results: &[(PushItem, Outcome)]) {
    for (_, outcome) in results {
        match outcome {
            Outcome::Created(_) | Outcome::Updated(_) => summary.pushed += 1,
            Outcome::Failed(_) => summary.failed += 1,
            Outcome::Skipped(_) => summary.skipped += 1,
            Outcome::Retry { .. } => {}
        }
    }
}

/// A round that stopped part way: what it finished, and why it stopped.
pub(crate) struct Partial {
    pub done: Vec<(PushItem, Outcome)>,
    pub error: Error,
}

impl From<Error> for Partial {
    fn from(error: Error) -> Partial {
        Partial { done: Vec::new(), error }
    }
}

impl Error {
    /// Whether waiting may fix it (the CRM down or asking to slow down).
    pub(crate) fn transient(&self) -> bool {
        matches!(self, Error::Unavailable { .. } | Error::RateLimited { .. })
    }

    /// A short reason to record, without personal data (errors carry none).
    fn code(&self) -> String {
        self.to_string().chars().take(200).collect()
    }
}

/// Waits out a request window the CRM says is spent: HubSpot's `X-HubSpot-RateLimit-Remaining`
/// per `-Interval-Milliseconds`, Pipedrive's `x-ratelimit-remaining` until `x-ratelimit-reset`.
/// The next request then never meets a 429.
pub(crate) async fn pace_window(options: &SyncOptions, headers: &HeaderMap) -> Result<()> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    let wait = if let Some(remaining) = number("x-hubspot-ratelimit-remaining") {
        (remaining == 0).then(|| {
            Duration::from_millis(number("x-hubspot-ratelimit-interval-milliseconds").unwrap_or(10_000))
        })
    } else if let Some(remaining) = number("x-ratelimit-remaining") {
        (remaining == 0).then(|| Duration::from_secs(number("x-ratelimit-reset").unwrap_or(2)))
    } else {
        None
    };
    match wait {
        Some(wait) if wait <= options.max_wait => {
            info!(
                wait_ms = wait.as_millis() as u64,
                "the CRM's request window is spent; waiting for the next"
            );
            sleep(options, wait).await
        }
        _ => Ok(()),
    }
}

/// Splits a full name for CRMs that want first and last apart: the last word is the last name.
pub(crate) fn split_name(full: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(full) = full.map(str::trim).filter(|s| !s.is_empty()) else {
        return (None, None);
    };
    match full.rsplit_once(' ') {
        Some((first, last)) => (Some(first.trim().to_string()), Some(last.to_string())),
        None => (None, Some(full.to_string())),
    }
}

/// Where a lead came from, as a CRM's lead source.
pub(crate) fn source_label(source: &str) -> String {
    match source {
        "meta" => "Meta Lead Ads".into(),
        "google-ads" => "Google Ads".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_on_the_last_word() {
        assert_eq!(split_name(Some("Ana María López")), (Some("Ana María".into()), Some("López".into())));
        assert_eq!(split_name(Some("Cher")), (None, Some("Cher".into())));
        assert_eq!(split_name(Some("  ")), (None, None));
    }
}
