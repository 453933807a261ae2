//! What the window shares between commands: where the vault lives, the open vault (once
//! unlocked), the export, the import and the sign-in under way (to cancel them).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use leadvault_connectors::Connector;
use leadvault_connectors::oauth::SignIn;
use leadvault_connectors::schedule::{Event, ScheduleOptions, Scheduler};
use leadvault_core::connections::Provider;
use leadvault_core::secrets::KeyStore;
use leadvault_core::{Vault, VaultOptions};
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::error::{CommandError, CommandResult};

/// A sign-in waiting for the browser (or the app's sign-in window), and the token that
/// cancels it.
pub struct PendingSignIn {
    pub connector: Connector,
    pub sign_in: SignIn,
    pub cancel: CancellationToken,
    /// An embedded sign-in: the address the sign-in window was sent back to, or nothing if the
    /// window was closed first.
    pub answer: Option<tokio::sync::oneshot::Receiver<tauri::Url>>,
    /// The label of its sign-in window, to close that one and no other.
    pub window: Option<String>,
}

/// Where the scheduler's events go (the window's `SyncEvent`s and notifications).
pub type SyncListener = Arc<dyn Fn(Event) + Send + Sync>;

/// The window's vault connections. Each keeps its own cache of decrypted pages (up to 32 MB,
/// filled by a count or a search at a million leads), and the pool takes turns among them, so
/// every connection opened stays in the app's memory while the window is open. Measured at
/// 1,000,000 leads, five searches typed 250 ms apart, each with its page and counts at once,
/// three times (two launches each): 4 connections left the app at 336–338 MiB, 3 at 291–314
/// with each search's first page as quick (at most 178 ms against 235), 2 at 263–268 but with
/// a page waiting up to 432 ms behind an earlier search's counts.
pub const WINDOW_CONNECTIONS: u32 = 3;

pub struct AppState {
    /// When the app started, for the launch-to-first-rows figure.
    pub started: std::time::Instant,
    pub data_dir: PathBuf,
    pub keystore: Arc<dyn KeyStore>,
    /// Where exports go without asking (end-to-end tests: the save dialog cannot be driven).
    pub export_path: Option<PathBuf>,
    /// The file imported without asking (end-to-end tests: the open dialog cannot be driven).
    pub import_path: Option<PathBuf>,
    /// Providers pointed at another address (`LEADVAULT_<PROVIDER>_BASE_URL`: the local fakes).
    pub base_urls: HashMap<Provider, String>,
    /// The OAuth apps' client ids (`LEADVAULT_<PROVIDER>_CLIENT_ID`).
    pub client_ids: HashMap<Provider, String>,
    /// Whether a sign-in opens the system browser (tests play the browser themselves).
    pub open_browser: bool,
    /// Whether connections sync by themselves while the vault is open (the app; command tests
    /// drive each sync themselves).
    pub background_sync: bool,
    sync_listener: std::sync::OnceLock<SyncListener>,
    scheduler: Mutex<Option<Scheduler>>,
    /// Demo mode's simulated providers, while the demo's vault is the open one.
    demo: Mutex<Option<crate::commands::demo::DemoRun>>,
    sign_in: Mutex<Option<PendingSignIn>>,
    /// The token of the sign-in `finish_sign_in` is waiting on.
    waiting_sign_in: Mutex<Option<CancellationToken>>,
    vault: RwLock<Option<Vault>>,
    /// The running export: its number and token.
    export: Mutex<Option<(u64, CancellationToken)>>,
    exports_started: std::sync::atomic::AtomicU64,
    /// Exports and imports started and not yet finished (a cancelled one still removes its
    /// temporary file).
    files_running: std::sync::atomic::AtomicUsize,
    /// The running import's token: one import at a time.
    import: Mutex<Option<CancellationToken>>,
    /// The file the last import read, for importing it again with its invalid rows set aside.
    last_import: Mutex<Option<PathBuf>>,
}

impl AppState {
    pub fn new(data_dir: PathBuf, keystore: Arc<dyn KeyStore>) -> AppState {
        AppState {
            started: std::time::Instant::now(),
            data_dir,
            keystore,
            export_path: None,
            import_path: None,
            base_urls: HashMap::new(),
            client_ids: HashMap::new(),
            open_browser: true,
            background_sync: false,
            sync_listener: std::sync::OnceLock::new(),
            scheduler: Mutex::new(None),
            demo: Mutex::new(None),
            sign_in: Mutex::new(None),
            waiting_sign_in: Mutex::new(None),
            vault: RwLock::new(None),
            export: Mutex::new(None),
            exports_started: Default::default(),
            files_running: Default::default(),
            import: Mutex::new(None),
            last_import: Mutex::new(None),
        }
    }

    pub fn options(&self) -> VaultOptions {
        let mut options = VaultOptions::new(self.data_dir.clone(), self.keystore.clone());
        // The window asks for the passphrase itself; messages should not point at a variable.
        options.passphrase_env = "the passphrase".into();
        options.max_connections = WINDOW_CONNECTIONS;
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
        self.stop_scheduler().await;
        let background = self.background_sync.then(|| self.sync_listener.get().cloned()).flatten();
        if let Some(listener) = background {
            let scheduler = Scheduler::start(vault.clone(), ScheduleOptions::default(), move |e| listener(e));
            *self.schedulers() = Some(scheduler);
        }
        if let Some(old) = self.vault.write().await.replace(vault) {
            old.close().await;
        }
    }

    /// Opens a vault that was closed for a change that then failed, as it was opened before.
    /// If it does not open, it stays closed and the window shows its unlock screen.
    pub async fn reopen(&self, options: VaultOptions) -> bool {
        match Vault::open(options).await {
            Ok(vault) => {
                self.set_vault(vault).await;
                true
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "the vault did not open again");
                false
            }
        }
    }

    /// Takes the vault out (for a rekey, which consumes it), the background syncs stopped.
    pub async fn take_vault(&self) -> CommandResult<Vault> {
        self.stop_scheduler().await;
        self.vault.write().await.take().ok_or_else(CommandError::locked)
    }

    /// Whether the open vault is the demo's.
    pub fn in_demo(&self) -> bool {
        self.demo.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// Keeps (or, with `None`, stops) the demo's simulated providers.
    pub fn set_demo(&self, demo: Option<crate::commands::demo::DemoRun>) {
        *self.demo.lock().unwrap_or_else(|e| e.into_inner()) = demo;
    }

    /// Where the scheduler reports to; set once, when the app starts.
    pub fn set_sync_listener(&self, listener: SyncListener) {
        let _ = self.sync_listener.set(listener);
    }

    /// Has the scheduler look at the connections again (one was added, changed or removed).
    pub fn wake_scheduler(&self) {
        if let Some(scheduler) = self.schedulers().as_ref() {
            scheduler.wake();
        }
    }

    /// Stops the background syncs, waiting for the one under way to end at its next page.
    async fn stop_scheduler(&self) {
        let running = self.schedulers().take();
        if let Some(scheduler) = running {
            scheduler.stop().await;
        }
    }

    fn schedulers(&self) -> std::sync::MutexGuard<'_, Option<Scheduler>> {
        self.scheduler.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new export, cancelling any earlier one still running.
    pub fn start_export(&self) -> (u64, CancellationToken) {
        self.files_running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let id = self.exports_started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = CancellationToken::new();
        if let Some((_, old)) = self.exports().replace((id, token.clone())) {
            old.cancel();
        }
        (id, token)
    }

    /// Forgets export `id` once it is over (unless a newer one took its place). Called once
    /// for every [`AppState::start_export`], when the export's file is whole or removed.
    pub fn finish_export(&self, id: u64) {
        self.files_running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        let mut export = self.exports();
        if export.as_ref().is_some_and(|(running, _)| *running == id) {
            export.take();
        }
    }

    /// Registers the import about to start; refused while another runs.
    pub fn start_import(&self) -> CommandResult<CancellationToken> {
        let mut import = self.imports();
        if import.is_some() {
            return Err(CommandError::new(
                "invalid_input",
                "an import is already running; wait for it to finish, or cancel it",
            ));
        }
        let token = CancellationToken::new();
        *import = Some(token.clone());
        self.files_running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(token)
    }

    /// The import is over: its leads are in, or nothing of it was kept.
    pub fn finish_import(&self) {
        self.imports().take();
        self.files_running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn cancel_import(&self) -> bool {
        match self.imports().as_ref() {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub fn last_import(&self) -> Option<PathBuf> {
        self.last_import.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_last_import(&self, path: PathBuf) {
        *self.last_import.lock().unwrap_or_else(|e| e.into_inner()) = Some(path);
    }

    /// The app is closing: stops an export or an import (and waits, 10 s at most, until its
    /// temporary file is removed: the process ending first would leave a hidden file of leads
    /// beside the user's), stops the background syncs and closes the vault, which checkpoints
    /// its WAL.
    pub async fn shut_down(&self) {
        self.cancel_export();
        self.cancel_import();
        let running = || self.files_running.load(std::sync::atomic::Ordering::SeqCst) > 0;
        for _ in 0..500 {
            if !running() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        if running() {
            tracing::warn!("an export or import was still stopping when the app closed");
        }
        self.stop_scheduler().await;
        let open = self.vault.write().await.take();
        if let Some(vault) = open {
            vault.close().await;
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

    /// The address `provider` is reached at, when not its own.
    pub fn provider_base_url(&self, provider: Provider) -> Option<String> {
        self.base_urls.get(&provider).cloned()
    }

    /// Keeps a started sign-in for `finish_sign_in`, cancelling any earlier one; returns the
    /// earlier one's sign-in window, for the caller to close.
    pub fn start_sign_in(
        &self,
        connector: Connector,
        sign_in: SignIn,
        answer: Option<tokio::sync::oneshot::Receiver<tauri::Url>>,
        window: Option<String>,
    ) -> Option<String> {
        let pending = PendingSignIn { connector, sign_in, cancel: CancellationToken::new(), answer, window };
        let old = self.sign_ins().replace(pending)?;
        old.cancel.cancel();
        old.window
    }

    /// The started sign-in, with a clone of its token kept so `cancel_sign_in` still reaches
    /// it while `finish_sign_in` waits.
    pub fn take_sign_in(&self) -> Option<PendingSignIn> {
        let pending = self.sign_ins().take()?;
        *self.cancel_slot() = Some(pending.cancel.clone());
        Some(pending)
    }

    /// Cancels the sign-in under way. Returns whether there was one and, if nobody was waiting
    /// on it yet, its sign-in window (the waiter closes its own).
    pub fn cancel_sign_in(&self) -> (bool, Option<String>) {
        if let Some(pending) = self.sign_ins().take() {
            pending.cancel.cancel();
            return (true, pending.window);
        }
        match self.cancel_slot().take() {
            Some(token) => {
                token.cancel();
                (true, None)
            }
            None => (false, None),
        }
    }

    fn sign_ins(&self) -> std::sync::MutexGuard<'_, Option<PendingSignIn>> {
        self.sign_in.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cancel_slot(&self) -> std::sync::MutexGuard<'_, Option<CancellationToken>> {
        self.waiting_sign_in.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn exports(&self) -> std::sync::MutexGuard<'_, Option<(u64, CancellationToken)>> {
        self.export.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn imports(&self) -> std::sync::MutexGuard<'_, Option<CancellationToken>> {
        self.import.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window's vault keeps at most three connections (and so three page caches) open.
    #[test]
    fn the_window_opens_its_vault_with_three_connections_at_most() {
        let dir = std::env::temp_dir().join("leadvault-window-connections");
        let state = AppState::new(dir, Arc::new(leadvault_core::secrets::OsKeychain::new()));
        assert_eq!(state.options().max_connections, 3);
    }
}
