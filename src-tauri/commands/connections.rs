//! The Connections screen: each connection's state, connect (pasted token, or sign-in through
//! the system browser or, for Meta, in a sign-in window of the app), test, disconnect. The work
//! is `leadvault_connectors::manage`, shared with the command line.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use leadvault_connectors::manage::{self, Revoked};
use leadvault_connectors::oauth::is_redirect_to;
use leadvault_connectors::sync::{self, SyncOptions};
use leadvault_core::connections::{Connection, Provider};
use leadvault_core::secrets::Secret;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State, WebviewUrl, WebviewWindowBuilder};

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// How long a sign-in waits for the browser.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// The label prefix of the windows an embedded (Meta) sign-in shows the provider's dialog in,
/// one label per attempt (a closed window's label is freed only later). No capability names
/// them: the page in one can call none of the app's commands.
pub const SIGN_IN_WINDOW: &str = "sign-in-";

static SIGN_IN_WINDOWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn close_window<R: Runtime>(app: &AppHandle<R>, label: Option<String>) {
    if let Some(window) = label.and_then(|l| app.get_webview_window(&l)) {
        let _ = window.destroy();
    }
}

/// A connection as the screen shows it. Nothing in it is secret.
#[derive(Debug, Clone, Serialize, specta::Type, PartialEq, Eq)]
pub struct ConnectionView {
    pub id: String,
    /// meta, google-ads, hubspot, pipedrive or salesforce
    pub provider: String,
    pub provider_name: String,
    pub label: String,
    /// oauth or token
    pub auth: String,
    pub account_name: Option<String>,
    /// connected, needs_sign_in or error
    pub status: String,
    pub last_error: Option<String>,
    /// RFC 3339
    pub created_at: String,
    /// RFC 3339; none before the first sync.
    pub last_sync_at: Option<String>,
    /// Whether "Sync now" applies (Meta leads so far).
    pub can_sync: bool,
    /// Should be synced soon: Meta deletes leads after 90 days.
    pub stale: bool,
}

impl From<Connection> for ConnectionView {
    fn from(c: Connection) -> Self {
        let stale = sync::stale(&c, chrono::Utc::now());
        ConnectionView {
            last_sync_at: c.last_sync_at.map(|t| t.to_rfc3339()),
            can_sync: sync::supported(c.provider),
            stale,
            id: c.id,
            provider: c.provider.as_str().into(),
            provider_name: c.provider.display_name().into(),
            label: c.label,
            auth: c.auth.as_str().into(),
            account_name: c.account_name,
            status: c.status.as_str().into(),
            last_error: c.last_error,
            created_at: c.created_at.to_rfc3339(),
        }
    }
}

/// A provider the screen offers, and how one connects to it.
#[derive(Debug, Clone, Serialize, specta::Type, PartialEq, Eq)]
pub struct ProviderChoice {
    pub id: String,
    pub name: String,
    /// Whether the provider offers a sign-in (through the browser, or Meta's in a window).
    pub sign_in: bool,
    /// What to paste, for the pasted-token path.
    pub token_hint: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SignInStarted {
    /// The consent page, opened in the system browser; shown in case it did not open.
    pub url: String,
    /// The consent page opened in a sign-in window of the app (Meta), not the browser.
    pub in_window: bool,
}

/// What "Sync now" did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SyncDone {
    pub connection: ConnectionView,
    /// Leads stored for the first time.
    pub new: u64,
    /// Leads read that the vault already had.
    pub unchanged: u64,
    /// A CRM: leads it took (created or updated there).
    pub pushed: u64,
    /// A CRM: leads it refused.
    pub failed: u64,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DisconnectDone {
    pub label: String,
    /// What happened at the provider, for a person.
    pub revoke_message: String,
    pub leads_deleted: u64,
    /// Rows of campaigns, ad groups, keywords, schedules and daily metrics deleted.
    pub ads_rows_deleted: u64,
}

fn provider(id: &str) -> CommandResult<Provider> {
    Ok(id.parse::<Provider>()?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_providers() -> CommandResult<Vec<ProviderChoice>> {
    Ok(Provider::ALL
        .into_iter()
        .map(|p| ProviderChoice {
            id: p.as_str().into(),
            name: p.display_name().into(),
            sign_in: leadvault_connectors::Connector::new(p, None)
                .map(|c| c.supports_loopback_sign_in() || c.embedded_redirect().is_some())
                .unwrap_or(false),
            token_hint: match p {
                Provider::Meta => "a Business Manager system-user token",
                Provider::GoogleAds => "an OAuth access token",
                Provider::Hubspot => "a private-app token (pat-…)",
                Provider::Pipedrive => "your personal API token",
                Provider::Salesforce => "a session (access) token",
            }
            .into(),
        })
        .collect())
}

#[tauri::command]
#[specta::specta]
pub async fn list_connections(state: State<'_, AppState>) -> CommandResult<Vec<ConnectionView>> {
    let vault = state.vault().await?;
    Ok(vault.connections().list().await?.into_iter().map(Into::into).collect())
}

/// Verifies a pasted token with one cheap call and saves the connection.
#[tauri::command]
#[specta::specta]
pub async fn connect_token(
    state: State<'_, AppState>,
    provider: String,
    token: String,
    label: Option<String>,
) -> CommandResult<ConnectionView> {
    let vault = state.vault().await?;
    let p = self::provider(&provider)?;
    let base = state.provider_base_url(p);
    Ok(manage::connect_token(&vault, p, Secret::new(token), base.as_deref(), label).await?.into())
}

/// Opens the provider's consent page in the system browser (Meta's in a sign-in window of the
/// app) and returns its address; then `finish_sign_in` waits for the answer.
#[tauri::command]
#[specta::specta]
pub async fn begin_sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    provider: String,
) -> CommandResult<SignInStarted> {
    state.vault().await?;
    let p = self::provider(&provider)?;
    let base = state.provider_base_url(p);
    let (connector, sign_in) =
        manage::begin_sign_in(p, base.as_deref(), state.client_ids.get(&p).cloned(), true).await?;
    let url = sign_in.authorize_url().to_string();
    if !sign_in.is_embedded() {
        close_window(&app, state.start_sign_in(connector, sign_in, None, None));
        if state.open_browser {
            manage::open_browser(&url);
        }
        return Ok(SignInStarted { url, in_window: false });
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let label =
        open_sign_in_window(&app, p, sign_in.authorize_url().clone(), sign_in.redirect_url().clone(), tx)?;
    close_window(&app, state.start_sign_in(connector, sign_in, Some(rx), Some(label)));
    Ok(SignInStarted { url, in_window: true })
}

/// A window showing the provider's dialog. When the provider sends it to the redirect address,
/// the window does not load it: the address goes to `finish_sign_in`, which closes the window.
/// Closing the window first drops the sender, which ends the sign-in as cancelled. The window
/// keeps no cookies or storage (incognito): Leadvault does not hold a session with the provider.
fn open_sign_in_window<R: Runtime>(
    app: &AppHandle<R>,
    provider: Provider,
    dialog: tauri::Url,
    redirect: tauri::Url,
    answer: tokio::sync::oneshot::Sender<tauri::Url>,
) -> CommandResult<String> {
    let n = SIGN_IN_WINDOWS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let label = format!("{SIGN_IN_WINDOW}{n}");
    let answer = Arc::new(Mutex::new(Some(answer)));
    let on_close = answer.clone();
    let window = WebviewWindowBuilder::new(app, &label, WebviewUrl::External(dialog))
        .title(format!("Sign in with {}", provider.display_name()))
        .inner_size(620.0, 720.0)
        .incognito(true)
        .on_navigation(move |url| {
            if !is_redirect_to(&redirect, url) {
                return true;
            }
            if let Some(tx) = answer.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = tx.send(url.clone());
            }
            false
        })
        .build()
        .map_err(|e| CommandError::new("internal", format!("could not open the sign-in window: {e}")))?;
    window.on_window_event(move |event| {
        if matches!(event, tauri::WindowEvent::Destroyed) {
            on_close.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    });
    Ok(label)
}

/// Waits (five minutes at most, or until `cancel_sign_in`) for the browser or the sign-in
/// window to come back, then saves the connection.
#[tauri::command]
#[specta::specta]
pub async fn finish_sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    label: Option<String>,
) -> CommandResult<ConnectionView> {
    let vault = state.vault().await?;
    let Some(pending) = state.take_sign_in() else {
        return Err(CommandError::new("invalid_input", "no sign-in is under way: start one first"));
    };
    let Some(answer) = pending.answer else {
        let (connector, sign_in, cancel) = (pending.connector, pending.sign_in, pending.cancel);
        return Ok(manage::finish_sign_in(&vault, connector, sign_in, SIGN_IN_TIMEOUT, &cancel, label)
            .await?
            .into());
    };
    let outcome = tokio::select! {
        url = answer => url.map_err(|_| leadvault_connectors::Error::Cancelled),
        _ = tokio::time::sleep(SIGN_IN_TIMEOUT) => Err(leadvault_connectors::Error::TimedOut {
            minutes: SIGN_IN_TIMEOUT.as_secs().div_ceil(60),
            cli: pending.connector.provider().as_str(),
        }),
        _ = pending.cancel.cancelled() => Err(leadvault_connectors::Error::Cancelled),
    };
    close_window(&app, pending.window);
    let url = outcome?;
    let connection =
        manage::finish_embedded_sign_in(&vault, pending.connector, pending.sign_in, &url, label).await?;
    Ok(connection.into())
}

/// Cancels the sign-in under way (and closes its sign-in window); false if there was none.
#[tauri::command]
#[specta::specta]
pub async fn cancel_sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<bool> {
    let (cancelled, window) = state.cancel_sign_in();
    close_window(&app, window);
    Ok(cancelled)
}

/// One cheap call to the provider (refreshing the token when due); the new state either way.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(state: State<'_, AppState>, id: String) -> CommandResult<ConnectionView> {
    let vault = state.vault().await?;
    manage::test(&vault, &id).await?;
    Ok(vault.connections().get(&id).await?.into())
}

/// Syncs the connection now (the same sync as `leadvault sync`): a lead source pulls what is
/// new; a CRM is sent the leads queued for it.
#[tauri::command]
#[specta::specta]
pub async fn sync_now(state: State<'_, AppState>, id: String) -> CommandResult<SyncDone> {
    let vault = state.vault().await?;
    let summary = sync::sync_connection(&vault, &id, &SyncOptions::default(), &|_| {}).await?;
    let connection = vault.connections().get(&id).await?.into();
    Ok(SyncDone {
        connection,
        new: summary.new,
        unchanged: summary.unchanged,
        pushed: summary.pushed,
        failed: summary.failed,
    })
}

/// Revokes the access at the provider where it can, forgets the secrets, and with `purge`
/// deletes every lead, campaign and metric the connection brought.
#[tauri::command]
#[specta::specta]
pub async fn disconnect(
    state: State<'_, AppState>,
    id: String,
    purge: bool,
) -> CommandResult<DisconnectDone> {
    let vault = state.vault().await?;
    let done = manage::disconnect(&vault, &id, purge).await?;
    let name = done.connection.provider.display_name();
    let revoke_message = match done.revoked {
        Revoked::Yes => format!("{name} no longer lets Leadvault in."),
        Revoked::NotPossible => {
            format!("{name} has no way for an app to revoke this token: remove it in {name}'s settings.")
        }
        Revoked::Failed(why) => {
            format!("Could not revoke at {name} ({why}): remove Leadvault in its settings.")
        }
    };
    Ok(DisconnectDone {
        label: done.connection.label,
        revoke_message,
        leads_deleted: done.leads_deleted,
        ads_rows_deleted: done.ads_rows_deleted,
    })
}
