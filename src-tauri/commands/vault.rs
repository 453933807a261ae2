//! First run, unlock and settings: create the vault, unlock it, show its status, change its key,
//! load sample leads.

use leadvault_core::import::ImportReport;
use leadvault_core::secrets::Passphrase;
use std::sync::Arc;

use leadvault_core::vault::{KeySource, SchemaUpdate};
use leadvault_core::{Unlock, Vault, VaultOptions};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::error::CommandResult;
use crate::state::AppState;

/// What the window shows at start: create, unlock, or the inbox.
#[derive(Debug, Clone, Serialize, specta::Type, PartialEq, Eq)]
pub struct VaultState {
    pub exists: bool,
    pub unlocked: bool,
    /// How an existing vault is unlocked, as far as its settings say.
    pub key_source: Option<KeySource>,
    pub data_dir: String,
    /// Demo mode: the open vault is the demo's (simulated providers), not this one.
    pub demo: bool,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct VaultInfo {
    pub path: String,
    pub size_bytes: u64,
    pub leads: i64,
    pub key_source: KeySource,
    pub schema_version: i64,
    pub sqlcipher_version: String,
}

/// Unlocking found a vault an older version made: its schema is being updated (a rebuilt search
/// index takes half a minute at a million leads), so the window says why it waits.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct VaultUpdating {
    pub leads: u64,
}

/// Tells the window, as a [`VaultUpdating`] event, that the vault being opened is updated.
pub fn tell_updates<R: Runtime>(app: AppHandle<R>) -> Arc<dyn Fn(SchemaUpdate) + Send + Sync> {
    Arc::new(move |u| {
        let event = VaultUpdating { leads: u.leads };
        let _ = tauri::Emitter::emit(&app, <VaultUpdating as tauri_specta::Event>::NAME, &event);
    })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SamplesLoaded {
    pub added: u64,
    pub unchanged: u64,
}

impl From<ImportReport> for SamplesLoaded {
    fn from(r: ImportReport) -> Self {
        SamplesLoaded { added: r.added, unchanged: r.unchanged }
    }
}

fn unlock_with(passphrase: Option<String>) -> CommandResult<Unlock> {
    Ok(match passphrase {
        Some(p) => Unlock::Passphrase(Passphrase::new(p)?),
        None => Unlock::Keychain,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn vault_state(state: State<'_, AppState>) -> CommandResult<VaultState> {
    let options = state.options();
    let exists = options.has_vault();
    Ok(VaultState {
        exists,
        unlocked: state.is_unlocked().await,
        key_source: exists.then(|| Vault::key_source_of(&options.data_dir)).flatten(),
        data_dir: state.data_dir.display().to_string(),
        demo: state.in_demo(),
    })
}

/// Creates the vault: with `passphrase`, a key derived from it; without, a random key kept in
/// the OS keychain.
#[tauri::command]
#[specta::specta]
pub async fn create_vault(
    state: State<'_, AppState>,
    passphrase: Option<String>,
) -> CommandResult<VaultState> {
    let vault = Vault::create(state.options(), unlock_with(passphrase)?).await?;
    state.set_vault(vault).await;
    vault_state(state).await
}

/// Opens the existing vault. A wrong passphrase is an error (`wrong_key`) that leaves the
/// file untouched; it never creates a new vault.
#[tauri::command]
#[specta::specta]
pub async fn unlock_vault<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    passphrase: Option<String>,
) -> CommandResult<VaultState> {
    let mut options = state.options();
    if let Some(p) = passphrase {
        options.passphrase = Some(Passphrase::typed(p));
    }
    options.on_update = Some(tell_updates(app));
    let vault = Vault::open(options).await.map_err(|e| match e {
        // Said for the screen it is shown on, which knows which key was tried.
        leadvault_core::Error::WrongKey { .. } => {
            let text = match Vault::key_source_of(&state.data_dir) {
                Some(KeySource::Keychain) => {
                    "the key in the OS keychain does not open this vault (the key does not match this database)"
                }
                _ => "this passphrase does not open the vault (the key does not match this database); check it and try again",
            };
            crate::error::CommandError::new("wrong_key", text)
        }
        other => other.into(),
    })?;
    state.set_vault(vault).await;
    vault_state(state).await
}

#[tauri::command]
#[specta::specta]
pub async fn vault_status(state: State<'_, AppState>) -> CommandResult<VaultInfo> {
    let s = state.vault().await?.status().await?;
    Ok(VaultInfo {
        path: s.path.display().to_string(),
        size_bytes: s.size_bytes,
        leads: s.leads,
        key_source: s.key_source,
        schema_version: s.schema_version,
        sqlcipher_version: s.sqlcipher_version,
    })
}

/// Re-encrypts the vault under a new key: a new passphrase, or (without one) a fresh random
/// key in the OS keychain. The old key no longer opens it. A passphrase vault asks for its
/// current passphrase first (`wrong_passphrase` when it is not).
#[tauri::command]
#[specta::specta]
pub async fn change_key(
    state: State<'_, AppState>,
    current_passphrase: Option<String>,
    new_passphrase: Option<String>,
) -> CommandResult<VaultInfo> {
    if state.in_demo() {
        return Err(crate::error::CommandError::new(
            "invalid_input",
            "this is the demo's vault: leave demo mode to change your vault's key",
        ));
    }
    let unlock = unlock_with(new_passphrase)?;
    // Whoever finds the window open cannot take the vault from its owner: a passphrase vault's
    // key changes only for someone who knows its passphrase.
    let vault = state.vault().await?;
    if vault.key_source() == KeySource::Passphrase {
        let current = vault.options().passphrase;
        let typed = current_passphrase.map(Passphrase::typed);
        if !typed.zip(current).is_some_and(|(t, c)| t.matches(&c)) {
            return Err(crate::error::CommandError::new(
                "wrong_passphrase",
                "that is not this vault's passphrase: type the passphrase that unlocks it now",
            ));
        }
    }
    drop(vault);
    let vault = state.take_vault().await?;
    let (kept, before) = (vault.clone(), vault.options());
    let new_passphrase = match &unlock {
        Unlock::Passphrase(p) => Some(p.clone()),
        Unlock::Keychain => None,
    };
    match vault.rekey(unlock).await {
        Ok(vault) => state.set_vault(vault).await,
        Err(e) => {
            tracing::warn!(code = e.code(), "rekey failed");
            if kept.is_open() {
                // It failed before changing anything: the vault goes back as it was.
                state.set_vault(kept).await;
            } else if !state.reopen(before.clone()).await
                && let Some(p) = new_passphrase
            {
                // It failed after the database took the new key: the new passphrase opens it.
                state.reopen(VaultOptions { passphrase: Some(p), ..before }).await;
            }
            return Err(e.into());
        }
    }
    vault_status(state).await
}

/// Adds realistic sample leads (source and tag `sample`), so a new vault shows a working inbox.
#[tauri::command]
#[specta::specta]
pub async fn load_samples(state: State<'_, AppState>, count: u32) -> CommandResult<SamplesLoaded> {
    let vault = state.vault().await?;
    Ok(leadvault_core::samples::load_samples(&vault, count, |_| {}).await?.into())
}
