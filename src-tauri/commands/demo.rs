//! Demo mode: the app switched to a vault of its own beside the real one, fed by the simulated
//! providers (`leadvault_connectors::demo`), every one connected and synced in the background;
//! a few new leads arrive each minute. Leaving it closes the demo vault, stops the simulations
//! and reopens the real vault (or shows its unlock screen). The real vault is never touched.

use std::sync::Arc;
use std::time::Duration;

use leadvault_connectors::demo::{self, Demo};
use leadvault_connectors::schedule::MIN_EVERY_SECS;
use tauri::State;

use crate::commands::vault::{VaultState, vault_state};
use crate::error::CommandResult;
use crate::state::AppState;

/// Leads in each simulated source at start.
const DEMO_LEADS: u64 = 200;
/// New leads in each simulated source every minute.
const ARRIVALS: u64 = 3;

/// A running demo: its simulated providers, and the task bringing new leads.
pub struct DemoRun {
    _demo: Arc<Demo>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Drop for DemoRun {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

/// Closes the real vault (if open) and opens the demo: the simulated providers started and
/// connected, each synced every minute by the scheduler.
#[tauri::command]
#[specta::specta]
pub async fn start_demo(state: State<'_, AppState>) -> CommandResult<VaultState> {
    if state.in_demo() {
        return vault_state(state).await;
    }
    // The real vault closes first; if the demo does not start, it opens again as it was.
    let real = match state.is_unlocked().await {
        true => {
            let vault = state.take_vault().await?;
            let options = vault.options();
            vault.close().await;
            Some(options)
        }
        false => None,
    };
    let mut options = state.options();
    options.passphrase = None;
    let started = async {
        let vault = demo::open_vault(options).await?;
        let run = async {
            let demo = Demo::start(&vault, 7, DEMO_LEADS).await?;
            for (connection, _) in &demo.providers {
                vault.connections().set_sync_every(&connection.id, Some(MIN_EVERY_SECS)).await?;
            }
            Ok::<_, leadvault_connectors::Error>(demo)
        };
        match run.await {
            Ok(demo) => Ok((vault, Arc::new(demo))),
            Err(e) => {
                vault.close().await;
                Err(e)
            }
        }
    }
    .await;
    let (vault, demo) = match started {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!("the demo did not start");
            if let Some(options) = real {
                let _ = state.reopen(options).await;
            }
            return Err(e.into());
        }
    };
    let feeding = demo.clone();
    let ticker = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(MIN_EVERY_SECS));
        every.tick().await;
        loop {
            every.tick().await;
            feeding.add_leads(ARRIVALS);
        }
    });
    state.set_demo(Some(DemoRun { _demo: demo, ticker }));
    state.set_vault(vault).await;
    vault_state(state).await
}

/// Leaves the demo: its vault closed, the simulations stopped; the real vault reopened when
/// its key is in the keychain, otherwise the window asks for the passphrase.
#[tauri::command]
#[specta::specta]
pub async fn stop_demo(state: State<'_, AppState>) -> CommandResult<VaultState> {
    if !state.in_demo() {
        return vault_state(state).await;
    }
    if state.is_unlocked().await {
        state.take_vault().await?.close().await;
    }
    state.set_demo(None);
    let options = state.options();
    if options.has_vault()
        && leadvault_core::Vault::key_source_of(&options.data_dir)
            == Some(leadvault_core::vault::KeySource::Keychain)
        && let Ok(vault) = leadvault_core::Vault::open(options).await
    {
        state.set_vault(vault).await;
    }
    vault_state(state).await
}
