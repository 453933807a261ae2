//! What the window shares between commands: where the vault lives, the open vault (once
//! unlocked) and the export under way (to cancel it).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use leadvault_core::secrets::KeyStore;
use leadvault_core::{Vault, VaultOptions};
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::error::{CommandError, CommandResult};

pub struct AppState {
    pub data_dir: PathBuf,
    pub keystore: Arc<dyn KeyStore>,
    /// Where exports go without asking (end-to-end tests: the save dialog cannot be driven).
    pub export_path: Option<PathBuf>,
    vault: RwLock<Option<Vault>>,
    /// The running export: its number and token.
    export: Mutex<Option<(u64, CancellationToken)>>,
    exports_started: std::sync::atomic::AtomicU64,
}

impl AppState {
    pub fn new(data_dir: PathBuf, keystore: Arc<dyn KeyStore>) -> AppState {
        AppState {
            data_dir,
            keystore,
            export_path: None,
            vault: RwLock::new(None),
            export: Mutex::new(None),
            exports_started: Default::default(),
        }
    }

    pub fn options(&self) -> VaultOptions {
        let mut options = VaultOptions::new(self.data_dir.clone(), self.keystore.clone());
        // The window asks for the passphrase itself; messages should not point at a variable.
        options.passphrase_env = "the passphrase".into();
        options
    }

    /// The open vault (a cheap clone sharing its pool), or a "locked" error.
    pub async fn vault(&self) -> CommandResult<Vault> {
        self.vault.read().await.clone().ok_or_else(CommandError::locked)
    }

    pub async fn is_unlocked(&self) -> bool {
        self.vault.read().await.is_some()
    }

    pub async fn set_vault(&self, vault: Vault) {
        if let Some(old) = self.vault.write().await.replace(vault) {
            old.close().await;
        }
    }

    /// Takes the vault out (for a rekey, which consumes it).
    pub async fn take_vault(&self) -> CommandResult<Vault> {
        self.vault.write().await.take().ok_or_else(CommandError::locked)
    }

    /// Registers a new export, cancelling any earlier one still running.
    pub fn start_export(&self) -> (u64, CancellationToken) {
        let id = self.exports_started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = CancellationToken::new();
        if let Some((_, old)) = self.exports().replace((id, token.clone())) {
            old.cancel();
        }
        (id, token)
    }

    /// Forgets export `id` once it is over (unless a newer one took its place).
    pub fn finish_export(&self, id: u64) {
        let mut export = self.exports();
        if export.as_ref().is_some_and(|(running, _)| *running == id) {
            export.take();
        }
    }

    pub fn cancel_export(&self) -> bool {
        match self.exports().take() {
            Some((_, token)) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    fn exports(&self) -> std::sync::MutexGuard<'_, Option<(u64, CancellationToken)>> {
        self.export.lock().unwrap_or_else(|e| e.into_inner())
    }
}
