//! `leadvault demo [--leads N] [--seed S] [--follow SECS]`: the whole flow without accounts.
//!
//! It starts the simulated providers and the demo's own vault (`leadvault_connectors::demo`:
//! `<data dir>-demo`, never the real one), and syncs: leads flow in from Meta and Google Ads and
//! on to HubSpot, Pipedrive and Salesforce. Each run starts the demo over.
//!
//! With `--follow SECS`, a few new leads arrive at the simulated Meta and Google Ads every SECS
//! seconds and are synced and pushed as they come, until Ctrl-C.

use std::time::Duration;

use leadvault_connectors::demo::{self, Demo};
use leadvault_connectors::sync::{self, SyncOptions};
use leadvault_core::error::Error;
use leadvault_core::{LeadFilter, Vault, VaultOptions};

use crate::connect::provider_error;
use crate::output::outln;

pub struct DemoArgs {
    pub leads: u64,
    pub seed: u64,
    pub follow: Option<u64>,
}

pub async fn demo(options: VaultOptions, args: DemoArgs) -> Result<(), Error> {
    if args.leads == 0 || args.leads > 100_000 {
        return Err(Error::InvalidInput("--leads must be between 1 and 100000".into()));
    }
    if args.follow == Some(0) {
        return Err(Error::InvalidInput("--follow must be at least 1 second".into()));
    }
    let vault = demo::open_vault(options).await.map_err(provider_error)?;
    let dir = vault.data_dir().to_path_buf();
    let done = run(&vault, &args).await;
    vault.close().await;
    done?;
    outln!(
        "\nThe demo vault is {}; open it in the app with LEADVAULT_DATA_DIR={} (or the app's demo switch) or explore it with\n  leadvault --data-dir {} leads list",
        dir.display(),
        dir.display(),
        dir.display()
    )?;
    Ok(())
}

async fn run(vault: &Vault, args: &DemoArgs) -> Result<(), Error> {
    outln!(
        "Starting the simulated providers on 127.0.0.1 (seed {}, {} leads each source)…",
        args.seed,
        args.leads
    )?;
    let demo = Demo::start(vault, args.seed, args.leads).await.map_err(provider_error)?;
    for (connection, fake) in &demo.providers {
        outln!("  {:<11} {}  connected", connection.provider.display_name(), fake.base_url())?;
    }
    let options = SyncOptions::default();
    let cancel = options.cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    match round(vault, &demo, &options).await {
        Err(Error::Cancelled) => return Ok(()),
        other => other?,
    }
    let Some(every) = args.follow else {
        return Ok(());
    };
    outln!("\nNew leads arrive every {every} s; Ctrl-C stops.")?;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = options.cancel.cancelled() => return Ok(()),
        }
        demo.add_leads(3);
        match round(vault, &demo, &options).await {
            Err(Error::Cancelled) => return Ok(()),
            other => other?,
        }
    }
}

/// Syncs every connection once, sources first, and says what each did.
async fn round(vault: &Vault, demo: &Demo, options: &SyncOptions) -> Result<(), Error> {
    let mut ordered: Vec<_> = demo.providers.iter().collect();
    ordered.sort_by_key(|(c, _)| c.provider.is_crm());
    for (connection, fake) in ordered {
        let summary = match sync::sync_connection(vault, &connection.id, options, &|_| {}).await {
            Ok(s) => s,
            Err(leadvault_connectors::Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => return Err(provider_error(e)),
        };
        if connection.provider.is_crm() {
            outln!(
                "  {:<11} {} leads pushed ({} records in the simulated CRM)",
                connection.provider.display_name(),
                summary.pushed,
                fake.crm_records().len()
            )?;
        } else {
            outln!("  {:<11} {} new leads pulled", connection.provider.display_name(), summary.new)?;
        }
    }
    let total = vault.leads().count(&LeadFilter::default()).await?;
    outln!("  The demo vault holds {total} leads.")?;
    Ok(())
}
