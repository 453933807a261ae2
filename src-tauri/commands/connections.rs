//! The Connections screen: each connection's state, connect (pasted token, or sign-in through
//! the system browser or, for Meta, in a sign-in window of the app), test, disconnect. The work
//! is `leadvault_connectors::manage`, shared with the command line.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use leadvault_connectors::manage::{self, Revoked};
use leadvault_connectors::oauth::is_redirect_to;
use leadvault_connectors::schedule::{self, Event};
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
    /// Whether "Sync now" applies (lead sources pull, CRMs are sent their queue).
    pub can_sync: bool,
    /// Should be synced soon: Meta deletes leads after 90 days.
    pub stale: bool,
    /// The interval chosen: none for the provider's default, 0 for only when asked.
    pub sync_every_secs: Option<u64>,
    /// How often the app syncs it, for a person: "every 15 min", "only when asked".
    pub syncs: String,
}

impl From<Connection> for ConnectionView {
    fn from(c: Connection) -> Self {
        let stale = sync::stale(&c, chrono::Utc::now());
        let syncs = schedule::describe(&c);
        ConnectionView {
            sync_every_secs: c.sync_every_secs,
            syncs,
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
    /// A CRM: why its owners were not read this time (a token without their scope), though the
    /// sync succeeded; none when they were, or for a lead source.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub owners_warning: Option<String>,
}

/// What the background syncs do, as they happen (the scheduler's events).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct SyncEvent {
    /// started, finished or failed
    pub kind: String,
    pub connection: ConnectionView,
    /// Finished: leads stored for the first time.
    pub new: u64,
    /// Finished, a CRM: leads it took, and refused.
    pub pushed: u64,
    pub failed: u64,
    /// Failed: why, in one line.
    pub error: Option<String>,
    /// Failed: when it is tried again by itself; none when only a sign-in (or Sync now) helps.
    pub retry_in_secs: Option<u64>,
    /// Finished, a CRM: why its owners were not read this time, though the sync succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub owners_warning: Option<String>,
}

impl SyncEvent {
    fn new(kind: &str, connection: Connection) -> SyncEvent {
        SyncEvent {
            kind: kind.into(),
            connection: connection.into(),
            new: 0,
            pushed: 0,
            failed: 0,
            error: None,
            retry_in_secs: None,
            owners_warning: None,
        }
    }
}

/// Tells the window what the scheduler did, and the desktop when leads arrived while the
/// window is in the background (a count and the connection's label: nothing about a person).
pub fn on_sync_event<R: Runtime>(app: &AppHandle<R>, event: Event) {
    if let Event::Finished { connection, summary } = &event
        && !connection.provider.is_crm()
        && summary.new > 0
    {
        notify_new_leads(app, &connection.label, summary.new);
    }
    let Some(out) = sync_event(event) else { return };
    // Emitted by name (the typed bindings listen on it): no registry needed, so no panic in a
    // background task whatever state the app is in.
    if let Err(e) = tauri::Emitter::emit(app, <SyncEvent as tauri_specta::Event>::NAME, &out) {
        tracing::warn!("a sync event could not reach the window: {e}");
    }
}

/// The window's view of a scheduler event; none for progress, which the window does not show.
fn sync_event(event: Event) -> Option<SyncEvent> {
    Some(match event {
        Event::Started { connection } => SyncEvent::new("started", connection),
        Event::Progress { .. } => return None,
        Event::Finished { connection, summary } => SyncEvent {
            new: summary.new,
            pushed: summary.pushed,
            failed: summary.failed,
            owners_warning: summary.owners_warning,
            ..SyncEvent::new("finished", connection)
        },
        Event::Failed { connection, error, retry_in } => SyncEvent {
            error: Some(error),
            retry_in_secs: retry_in.map(|d| d.as_secs()),
            ..SyncEvent::new("failed", connection)
        },
    })
}

fn notify_new_leads<R: Runtime>(app: &AppHandle<R>, label: &str, new: u64) {
    use tauri_plugin_notification::NotificationExt;
    let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
    if focused {
        return; // the window shows it itself
    }
    let body = format!("{new} new lead{} from {label}", if new == 1 { "" } else { "s" });
    // No notification service (a bare X session): the window still shows it.
    if let Err(e) = app.notification().builder().title("Leadvault").body(body).show() {
        tracing::info!("no desktop notification: {e}");
    }
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
    let connection = manage::connect_token(&vault, p, Secret::new(token), base.as_deref(), label).await?;
    state.wake_scheduler();
    Ok(connection.into())
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
        let connection =
            manage::finish_sign_in(&vault, connector, sign_in, SIGN_IN_TIMEOUT, &cancel, label).await?;
        state.wake_scheduler();
        return Ok(connection.into());
    };
    let outcome = tokio::select! {
        url = answer => url.map_err(|_| leadvault_connectors::Error::Cancelled),
        _ = tokio::time::sleep(SIGN_IN_TIMEOUT) => Err(leadvault_connectors::Error::TimedOut {
            seconds: SIGN_IN_TIMEOUT.as_secs(),
            cli: pending.connector.provider().as_str(),
        }),
        _ = pending.cancel.cancelled() => Err(leadvault_connectors::Error::Cancelled),
    };
    close_window(&app, pending.window);
    let url = outcome?;
    let connection =
        manage::finish_embedded_sign_in(&vault, pending.connector, pending.sign_in, &url, label).await?;
    state.wake_scheduler();
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
    // A background sync of it under way: this one follows it (two minutes at most).
    let mut waited = Duration::ZERO;
    let summary = loop {
        match sync::sync_connection(&vault, &id, &SyncOptions::default(), &|_| {}).await {
            Err(leadvault_connectors::Error::Busy(_)) if waited < Duration::from_secs(120) => {
                tokio::time::sleep(Duration::from_millis(250)).await;
                waited += Duration::from_millis(250);
            }
            done => break done?,
        }
    };
    let connection = vault.connections().get(&id).await?.into();
    Ok(SyncDone {
        connection,
        new: summary.new,
        unchanged: summary.unchanged,
        pushed: summary.pushed,
        failed: summary.failed,
        owners_warning: summary.owners_warning,
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
    state.wake_scheduler();
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

/// Sets how often the app syncs a connection: `every_secs` none for the provider's default, 0
/// for only when asked, otherwise every so many seconds (a minute at least).
#[tauri::command]
#[specta::specta]
pub async fn set_sync_every(
    state: State<'_, AppState>,
    id: String,
    every_secs: Option<u64>,
) -> CommandResult<ConnectionView> {
    if let Some(secs @ 1..schedule::MIN_EVERY_SECS) = every_secs {
        return Err(CommandError::new(
            "invalid_input",
            format!("every {secs} s is too often: choose a minute or more"),
        ));
    }
    let vault = state.vault().await?;
    vault.connections().set_sync_every(&id, every_secs).await?;
    state.wake_scheduler();
    Ok(vault.connections().get(&id).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadvault_connectors::sync::Summary;
    use leadvault_core::connections::{AuthKind, ConnectionStatus};

    fn crm() -> Connection {
        Connection {
            id: "01J".into(),
            provider: Provider::Hubspot,
            label: "Sales CRM".into(),
            auth: AuthKind::Token,
            account_id: Some("4471".into()),
            account_name: None,
            scopes: Vec::new(),
            base_url: None,
            api_base: None,
            status: ConnectionStatus::Connected,
            created_at: chrono::Utc::now(),
            last_sync_at: None,
            last_error: None,
            sync_every_secs: None,
        }
    }

    /// A CRM sync that succeeded without reading the owners says why to the window.
    #[test]
    fn a_finished_sync_carries_its_owners_warning_to_the_window() {
        let why = "the owners were not read: the token lacks their scope";
        let summary = Summary { pushed: 2, owners_warning: Some(why.into()), ..Summary::default() };
        let out = sync_event(Event::Finished { connection: crm(), summary }).unwrap();
        assert_eq!(
            (out.kind.as_str(), out.pushed, out.owners_warning.as_deref()),
            ("finished", 2, Some(why))
        );
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["owners_warning"], why);

        let out = sync_event(Event::Finished { connection: crm(), summary: Summary::default() }).unwrap();
        assert_eq!(out.owners_warning, None);
        assert!(serde_json::to_value(&out).unwrap().get("owners_warning").is_none());
    }
}
