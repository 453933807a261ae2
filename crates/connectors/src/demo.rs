//! Demo mode: the five simulated providers (`leadvault-fakes`, the servers the tests use, built
//! from the providers' published formats) on 127.0.0.1, and a vault of its own beside the real
//! one (`<data dir>-demo`, never the real one), every provider connected with the token its
//! simulation accepts. `leadvault demo` and the app's demo switch both start it here.
//!
//! Each start begins the demo over: the previous run's simulated providers are gone, so their
//! connections and the leads they brought are purged first — only ever in a vault the demo
//! made (a marker file says so).

use std::path::{Path, PathBuf};

use leadvault_core::connections::{Connection, Provider};
use leadvault_core::error::Error as CoreError;
use leadvault_core::secrets::Secret;
use leadvault_core::{Unlock, Vault, VaultOptions};
use leadvault_fakes::{Fake, Options};

use crate::{Error, Result, manage};

/// The file that marks a data dir as the demo's own.
const MARKER: &str = "DEMO";

/// Where the demo keeps its vault: beside the real one, never in it.
pub fn demo_dir(data_dir: &Path) -> PathBuf {
    let mut name = data_dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "leadvault".into());
    name.push("-demo");
    data_dir.with_file_name(name)
}

/// Whether `data_dir` is a demo's.
pub fn is_demo_dir(data_dir: &Path) -> bool {
    data_dir.join(MARKER).is_file()
}

/// Opens the demo vault in `<options.data_dir>-demo`, creating it the first time. Refuses a
/// vault there the demo did not make (its key may be anywhere, and the demo purges).
pub async fn open_vault(mut options: VaultOptions) -> Result<Vault> {
    options.data_dir = demo_dir(&options.data_dir);
    let dir = options.data_dir.clone();
    let marker = dir.join(MARKER);
    if options.has_vault() && !marker.is_file() {
        return Err(CoreError::InvalidInput(format!(
            "{} holds a vault the demo did not make; move it away, or give another --data-dir",
            dir.display()
        ))
        .into());
    }
    match Vault::open(options.clone()).await {
        Ok(v) => Ok(v),
        Err(CoreError::NoVault { .. }) => {
            let unlock = match options.passphrase.clone() {
                Some(p) => Unlock::Passphrase(p),
                None => Unlock::Keychain,
            };
            let v = Vault::create(options, unlock).await?;
            std::fs::write(
                &marker,
                "This vault was made by Leadvault's demo mode; each demo starts it over.\n",
            )
            .map_err(|e| Error::Config(format!("could not write {}: {e}", marker.display())))?;
            Ok(v)
        }
        Err(e) => Err(e.into()),
    }
}

/// The simulated providers of a running demo, each with its connection in the demo vault.
/// Dropping it stops them.
pub struct Demo {
    pub providers: Vec<(Connection, Fake)>,
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

impl Demo {
    /// Starts the simulated providers (`leads` leads in each source, from `seed`) and connects
    /// each, after purging the last demo's connections from `vault` (a demo vault).
    pub async fn start(vault: &Vault, seed: u64, leads: u64) -> Result<Demo> {
        if !is_demo_dir(vault.data_dir()) {
            return Err(Error::Config("the demo only ever runs in its own vault".into()));
        }
        for old in vault.connections().list().await? {
            vault.connections().remove(&old.id, true).await?;
        }
        let mut providers = Vec::new();
        for provider in Provider::ALL {
            let options = Options { seed, leads, ..Options::default() };
            let fake = Fake::start_with(fake_provider(provider), options)
                .await
                .map_err(|e| Error::Config(format!("the simulated {provider} could not start: {e}")))?;
            let token = Secret::new(fake.demo_token());
            let label = Some(format!("Demo {}", provider.display_name()));
            let connection =
                manage::connect_token(vault, provider, token, Some(&fake.base_url()), label).await?;
            providers.push((connection, fake));
        }
        Ok(Demo { providers })
    }

    /// `n` new leads in each simulated lead source, as if people had just filled in the forms.
    pub fn add_leads(&self, n: u64) {
        for (connection, fake) in &self.providers {
            if !connection.provider.is_crm() {
                fake.add_leads(n);
            }
        }
    }
}
