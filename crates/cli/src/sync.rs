//! `leadvault sync [--connection ID] [--json]`: pulls what is new from each connection (or one),
//! with a progress line on a terminal and a summary per connection.

use leadvault_connectors::sync::{self, Summary, SyncOptions};
use leadvault_core::Vault;
use leadvault_core::error::Error;
use serde::Serialize;

use crate::connect::provider_error;
use crate::output;

#[derive(Serialize)]
struct Outcome {
    id: String,
    label: String,
    provider: String,
    #[serde(flatten)]
    summary: Option<Summary>,
    error: Option<String>,
}

pub async fn sync(vault: &Vault, connection: Option<String>, json: bool) -> Result<(), Error> {
    let targets = match connection {
        Some(id) => vec![vault.connections().get(&id).await?],
        None => vault.connections().list().await?,
    };
    if targets.is_empty() {
        return Err(Error::InvalidInput(
            "no connections to sync; add one with `leadvault connect <provider>`".into(),
        ));
    }
    let options = SyncOptions::default();
    let cancel = options.cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let mut outcomes = Vec::new();
    for c in targets {
        let progress = output::Progress::new("synced");
        let result = sync::sync_connection(vault, &c.id, &options, &|p| progress.tick(p.new)).await;
        progress.done();
        let (summary, error) = match result {
            Ok(summary) => (Some(summary), None),
            Err(leadvault_connectors::Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => (None, Some(provider_error(e).to_string())),
        };
        if !json {
            match (&summary, &error) {
                (Some(s), _) => {
                    let retries = if s.retries > 0 {
                        format!(", {} retried requests", s.retries)
                    } else {
                        String::new()
                    };
                    println!(
                        "{}: {} new, {} already in the vault ({} pages from {} forms{retries})",
                        c.label, s.new, s.unchanged, s.pages, s.streams
                    );
                    if s.skipped > 0 {
                        println!("  {} leads could not be read and were skipped", s.skipped);
                    }
                }
                (None, Some(e)) => eprintln!("{}: {e}", c.label),
                (None, None) => {}
            }
        }
        outcomes.push(Outcome {
            id: c.id,
            label: c.label,
            provider: c.provider.as_str().into(),
            summary,
            error,
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&outcomes).unwrap_or_default());
    }
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    match failed {
        0 => Ok(()),
        _ if outcomes.len() == 1 => Err(Error::Provider(outcomes[0].error.clone().unwrap_or_default())),
        n => Err(Error::Provider(format!("{n} of {} connections failed to sync; see above", outcomes.len()))),
    }
}
