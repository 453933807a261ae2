//! `leadvault ads pause|enable|bid|schedule|history`: reads what the person typed (a bad id,
//! amount or schedule is refused before the vault is opened or anything is sent), has
//! `leadvault_connectors::ads_control` make the change (or, with `--dry-run`, the provider
//! check it) and record it, and prints the value before and after.

use leadvault_connectors::ads_control::{self, BidTarget, Change, Micros, Schedule};
use leadvault_core::VaultOptions;
use leadvault_core::ad_changes::{Action, AdChange, Outcome, TargetKind};
use leadvault_core::error::Error;

use crate::cli::AdsCommand;
use crate::connect::provider_error;
use crate::output::{outln, safe};

/// Input the connectors refuse before sending anything is the person's to fix.
fn input_error(e: leadvault_connectors::Error) -> Error {
    match e {
        leadvault_connectors::Error::Config(why) => Error::InvalidInput(why),
        other => provider_error(other),
    }
}

pub async fn run(options: VaultOptions, command: AdsCommand) -> Result<(), Error> {
    let (connection, change, flags) = match command {
        AdsCommand::History { connection, limit, json } => {
            let vault = leadvault_core::Vault::open(options).await?;
            let changes = vault.ad_changes().list(connection.as_deref(), limit).await;
            // An id that names no connection is a mistake, not an empty history; a disconnected
            // one (not purged) still shows what it recorded.
            let known = match (&connection, &changes) {
                (Some(id), Ok(found)) if found.is_empty() => vault.connections().get(id).await.map(|_| ()),
                _ => Ok(()),
            };
            vault.close().await;
            let changes = changes?;
            known?;
            return history(&changes, json);
        }
        AdsCommand::Pause { target, flags } => (target.connection, Change::pause(&target.campaign), flags),
        AdsCommand::Enable { target, flags } => (target.connection, Change::enable(&target.campaign), flags),
        AdsCommand::Bid { connection, ad_group, keyword, cpc, flags } => {
            let target = match (ad_group, keyword) {
                (Some(id), _) => BidTarget::ad_group(&id),
                (None, Some(id)) => BidTarget::keyword(&id),
                (None, None) => unreachable!("clap requires --ad-group or --keyword"),
            };
            let change = target.and_then(|t| Ok(Change::bid(t, Micros::parse_bid(&cpc)?)));
            (connection, change, flags)
        }
        AdsCommand::Schedule { target, set, flags } => {
            let change = Schedule::parse(&set).and_then(|s| Change::schedule(&target.campaign, s));
            (target.connection, change, flags)
        }
    };
    let change = change.map_err(input_error)?;
    let vault = leadvault_core::Vault::open(options).await?;
    let done = ads_control::apply(&vault, &connection, &change, flags.dry_run).await;
    vault.close().await;
    let record = done.map_err(input_error)?;
    if flags.json { outln!("{}", serde_json::to_string(&record).unwrap_or_default()) } else { say(&record) }
}

/// "campaign 123", "keyword 45~67".
fn target(change: &AdChange) -> String {
    let kind = match change.target_kind {
        TargetKind::Campaign | TargetKind::Schedule => "campaign",
        TargetKind::AdGroup => "ad group",
        TargetKind::Keyword => "keyword",
    };
    format!("{kind} {}", change.target_id)
}

fn say(change: &AdChange) -> Result<(), Error> {
    let provider = change.provider.display_name();
    let (done, doing) = match change.action {
        Action::Pause => ("Paused", "pausing"),
        Action::Enable => ("Enabled", "enabling"),
        Action::Bid => ("Set the CPC bid of", "setting the CPC bid of"),
        Action::Schedule => ("Replaced the ad schedule of", "replacing the ad schedule of"),
    };
    let currency = if change.action == Action::Bid { " (in the account's currency)" } else { "" };
    let values = ads_control::summary(change);
    let target = target(change);
    if change.dry_run {
        outln!("Dry run: {provider} checked {doing} {target}: {values}{currency}; nothing was changed.")?;
    } else {
        outln!("{done} {target} at {provider}: {values}{currency}.")?;
    }
    outln!("Recorded in the ads history as {} (`leadvault ads history`).", change.id)
}

fn history(changes: &[AdChange], json: bool) -> Result<(), Error> {
    if json {
        return outln!("{}", serde_json::to_string_pretty(changes).unwrap_or_default());
    }
    if changes.is_empty() {
        return outln!(
            "No ads changes recorded yet. Make one with `leadvault ads pause|enable|bid|schedule` \
             (--dry-run to have the provider check it first)."
        );
    }
    outln!(
        "{:<16}  {:<26}  {:<10}  {:<8}  {:<24}  {:<17}  CHANGE",
        "AT (UTC)",
        "CONNECTION",
        "PROVIDER",
        "ACTION",
        "TARGET",
        "OUTCOME"
    )?;
    for c in changes {
        let outcome = match (c.dry_run, c.outcome) {
            (true, Outcome::Failed) => "dry run, refused",
            (true, _) => "dry run, valid",
            (false, Outcome::Failed) => "failed",
            (false, _) => "applied",
        };
        outln!(
            "{:<16}  {:<26}  {:<10}  {:<8}  {:<24}  {:<17}  {}",
            c.at.format("%Y-%m-%d %H:%M"),
            c.connection_id,
            c.provider.as_str(),
            c.action.as_str(),
            safe(&target(c)),
            outcome,
            safe(&ads_control::summary(c))
        )?;
        if let Some(why) = &c.reason {
            outln!("{:<16}  why: {}", "", safe(why))?;
        }
    }
    Ok(())
}
