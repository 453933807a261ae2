//! The Connections screen: each connection's state, connect (pasted token or sign-in through
//! the system browser), test, disconnect. The work is `leadvault_connectors::manage`, shared
//! with the command line.

use std::time::Duration;

use leadvault_connectors::manage::{self, Revoked};
use leadvault_core::connections::{Connection, Provider};
use leadvault_core::secrets::Secret;
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// How long a sign-in waits for the browser.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

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
}

impl From<Connection> for ConnectionView {
    fn from(c: Connection) -> Self {
        ConnectionView {
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
    /// Whether signing in through the browser works (Meta takes a pasted token).
    pub sign_in: bool,
    /// What to paste, for the pasted-token path.
    pub token_hint: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SignInStarted {
    /// The consent page, opened in the system browser; shown in case it did not open.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DisconnectDone {
    pub label: String,
    /// What happened at the provider, for a person.
    pub revoke_message: String,
    pub leads_deleted: u64,
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
                .map(|c| c.supports_loopback_sign_in())
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

/// Opens the provider's consent page in the system browser and returns its address; then
/// `finish_sign_in` waits for the answer.
#[tauri::command]
#[specta::specta]
pub async fn begin_sign_in(state: State<'_, AppState>, provider: String) -> CommandResult<SignInStarted> {
    state.vault().await?;
    let p = self::provider(&provider)?;
    let base = state.provider_base_url(p);
    let (connector, sign_in) =
        manage::begin_sign_in(p, base.as_deref(), state.client_ids.get(&p).cloned()).await?;
    let url = sign_in.authorize_url().to_string();
    state.start_sign_in(connector, sign_in);
    if state.open_browser {
        manage::open_browser(&url);
    }
    Ok(SignInStarted { url })
}

/// Waits (five minutes at most, or until `cancel_sign_in`) for the browser to come back, then
/// saves the connection.
#[tauri::command]
#[specta::specta]
pub async fn finish_sign_in(
    state: State<'_, AppState>,
    label: Option<String>,
) -> CommandResult<ConnectionView> {
    let vault = state.vault().await?;
    let Some((connector, sign_in, cancel)) = state.take_sign_in() else {
        return Err(CommandError::new("invalid_input", "no sign-in is under way: start one first"));
    };
    Ok(manage::finish_sign_in(&vault, connector, sign_in, SIGN_IN_TIMEOUT, &cancel, label).await?.into())
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_sign_in(state: State<'_, AppState>) -> CommandResult<bool> {
    Ok(state.cancel_sign_in())
}

/// One cheap call to the provider (refreshing the token when due); the new state either way.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(state: State<'_, AppState>, id: String) -> CommandResult<ConnectionView> {
    let vault = state.vault().await?;
    manage::test(&vault, &id).await?;
    Ok(vault.connections().get(&id).await?.into())
}

/// Revokes the access at the provider where it can, forgets the secrets, and with `purge`
/// deletes every lead the connection brought.
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
    Ok(DisconnectDone { label: done.connection.label, revoke_message, leads_deleted: done.leads_deleted })
}
