//! `leadvault demo [--leads N] [--seed S] [--follow SECS]`: the whole flow without accounts.
//!
//! It starts the five simulated providers (`leadvault-fakes`, the same servers the tests use,
//! built from the providers' published formats) on 127.0.0.1, opens a vault of its own in a
//! separate data dir (`<data dir>-demo`, never the real one), connects every provider with the
//! token each simulation accepts, and syncs: leads flow in from Meta and Google Ads and on to
//! HubSpot, Pipedrive and Salesforce. Each run starts the demo over: the
//! previous run's connections and the leads they brought are purged first.
//!
//! With `--follow SECS`, a few new leads arrive at the simulated Meta and Google Ads every SECS seconds and are
//! synced and pushed as they come, until Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use leadvault_connectors::manage;
use leadvault_connectors::sync::{self, SyncOptions};
use leadvault_core::connections::Provider;
use leadvault_core::error::Error;
use leadvault_core::secrets::Secret;
use leadvault_core::{LeadFilter, Unlock, Vault, VaultOptions};
use leadvault_fakes::{Fake, Options};

use crate::connect::provider_error;

/// The file that marks a data dir as the demo's own.
const DEMO_MARKER: &str = "DEMO";

pub struct DemoArgs {
    pub leads: u64,
    pub seed: u64,
    pub follow: Option<u64>,
}

/// Where the demo keeps its vault: beside the real one, never in it.
pub fn demo_dir(data_dir: &std::path::Path) -> PathBuf {
    let mut name = data_dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "leadvault".into());
    name.push("-demo");
    data_dir.with_file_name(name)
}

fn fake_provider(p: Provider) -> leadvault_fakes::Provider {
    match p {
        Provider::Meta => leadvault_fakes::Provider::Meta,
        Provider::GoogleAds => leadvault_fakes::Provider::GoogleAds,
        Provider::Hubspot => leadvault_fakes::Provider::Hubspot,
        Provider::Pipedrive => leadvault_fakes::Provider::Pipedrive,
        Provider::Salesforce => leadvault_fakes::Provider::Salesforce,
    }
}

pub async fn demo(mut options: VaultOptions, args: DemoArgs) -> Result<(), Error> {
    if args.leads == 0 || args.leads > 100_000 {
        return Err(Error::InvalidInput("--leads must be between 1 and 100000".into()));
    }
    if args.follow == Some(0) {
        return Err(Error::InvalidInput("--follow must be at least 1 second".into()));
    }
    options.data_dir = demo_dir(&options.data_dir);
    let dir = options.data_dir.clone();
    // The demo starts over each run, purging its connections: only ever in a vault it made.
    let marker = dir.join(DEMO_MARKER);
    if options.db_path().exists() && !marker.is_file() {
        return Err(Error::InvalidInput(format!(
            "{} holds a vault the demo did not make; move it away, or give another --data-dir",
            dir.display()
        )));
    }
    let vault = match Vault::open(options.clone()).await {
        Ok(v) => v,
        Err(Error::NoVault { .. }) => {
            let unlock = match options.passphrase.clone() {
                Some(p) => Unlock::Passphrase(p),
                None => Unlock::Keychain,
            };
            let v = Vault::create(options, unlock).await?;
            std::fs::write(
                &marker,
                "This vault was made by `leadvault demo`; each demo run starts it over.\n",
            )
            .map_err(|e| Error::InvalidInput(format!("could not write {}: {e}", marker.display())))?;
            v
        }
        Err(e) => return Err(e),
    };
    let done = run(&vault, &args).await;
    vault.close().await;
    done?;
    println!(
        "\nThe demo vault is {}; open it in the app with LEADVAULT_DATA_DIR={} or explore it with\n  leadvault --data-dir {} leads list",
        dir.display(),
        dir.display(),
        dir.display()
    );
    Ok(())
}

async fn run(vault: &Vault, args: &DemoArgs) -> Result<(), Error> {
    // Start over: the last run's simulated providers are gone, so are their connections.
    for old in vault.connections().list().await? {
        vault.connections().remove(&old.id, true).await?;
    }
    println!(
        "Starting the simulated providers on 127.0.0.1 (seed {}, {} leads each source)…",
        args.seed, args.leads
    );
    let mut fakes = Vec::new();
    for provider in Provider::ALL {
        let fake_options = Options { seed: args.seed, leads: args.leads, ..Options::default() };
        let fake = Fake::start_with(fake_provider(provider), fake_options)
            .await
            .map_err(|e| Error::InvalidInput(format!("the simulated {provider} could not start: {e}")))?;
        let token = Secret::new(fake.demo_token());
        let label = Some(format!("Demo {}", provider.display_name()));
        let connection = manage::connect_token(vault, provider, token, Some(&fake.base_url()), label)
            .await
            .map_err(provider_error)?;
        println!("  {:<11} {}  connected", provider.display_name(), fake.base_url());
        fakes.push((connection, fake));
    }
    let options = SyncOptions::default();
    let cancel = options.cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    match round(vault, &fakes, &options).await {
        Err(Error::Cancelled) => return Ok(()),
        other => other?,
    }
    let Some(every) = args.follow else {
        return Ok(());
    };
    println!("\nNew leads arrive every {every} s; Ctrl-C stops.");
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = options.cancel.cancelled() => return Ok(()),
        }
        for (connection, fake) in &fakes {
            if !connection.provider.is_crm() {
                fake.add_leads(3);
            }
        }
        match round(vault, &fakes, &options).await {
            Err(Error::Cancelled) => return Ok(()),
            other => other?,
        }
    }
}

/// Syncs every connection once, sources first, and says what each did.
async fn round(
    vault: &Vault,
    fakes: &[(leadvault_core::connections::Connection, Fake)],
    options: &SyncOptions,
) -> Result<(), Error> {
    let mut ordered: Vec<_> = fakes.iter().collect();
    ordered.sort_by_key(|(c, _)| c.provider.is_crm());
    for (connection, fake) in ordered {
        if !sync::supported(connection.provider) {
            println!("  {:<11} its sync is not built yet", connection.provider.display_name());
            continue;
        }
        let summary = match sync::sync_connection(vault, &connection.id, options, &|_| {}).await {
            Ok(s) => s,
            Err(leadvault_connectors::Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => return Err(provider_error(e)),
        };
        if connection.provider.is_crm() {
            println!(
                "  {:<11} {} leads pushed ({} records in the simulated CRM)",
                connection.provider.display_name(),
                summary.pushed,
                fake.crm_records().len()
            );
        } else {
            println!("  {:<11} {} new leads pulled", connection.provider.display_name(), summary.new);
        }
    }
    let total = vault.leads().count(&LeadFilter::default()).await?;
    println!("  The demo vault holds {total} leads.");
    Ok(())
}
