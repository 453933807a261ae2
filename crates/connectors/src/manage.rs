//! What a person does with connections, over a vault: connect (pasted token or sign-in), test,
//! disconnect. The command line and the desktop window both call these, and only print.

use std::time::Duration;

use chrono::Utc;
use leadvault_core::Vault;
use leadvault_core::connections::{
    AuthKind, Connection, ConnectionStatus, Credentials, NewConnection, Provider,
};
use leadvault_core::secrets::Secret;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::oauth::{SignIn, Tokens};
use crate::{Account, Connector, Error, Result};

/// `LEADVAULT_<PROVIDER>_<WHAT>`, e.g. LEADVAULT_GOOGLE_ADS_CLIENT_ID.
pub fn env_name(provider: Provider, what: &str) -> String {
    format!("LEADVAULT_{}_{what}", provider.as_str().replace('-', "_").to_ascii_uppercase())
}

/// Opens `url` in the system browser (`$BROWSER`, else `xdg-open`); false if none started,
/// in which case the caller shows the address.
pub fn open_browser(url: &str) -> bool {
    let opener =
        std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty()).unwrap_or_else(|| "xdg-open".into());
    std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// What a connect did: the connection, and whether it was one the vault already had to that
/// account, signed in again in place (see [`Connections::sign_in_again`]) rather than added.
///
/// [`Connections::sign_in_again`]: leadvault_core::connections::Connections::sign_in_again
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    #[serde(flatten)]
    pub connection: Connection,
    pub signed_in_again: bool,
}

/// Verifies a pasted long-lived token with one cheap call, then saves the connection (see
/// [`connect_token_saved`]).
pub async fn connect_token(
    vault: &Vault,
    provider: Provider,
    token: Secret,
    base_url: Option<&str>,
    label: Option<String>,
) -> Result<Connection> {
    Ok(connect_token_saved(vault, provider, token, base_url, label).await?.connection)
}

/// Verifies a pasted long-lived token with one cheap call, then saves the connection: a new
/// one, or, for an account the vault already has a connection to, that connection signed in
/// again in place.
pub async fn connect_token_saved(
    vault: &Vault,
    provider: Provider,
    token: Secret,
    base_url: Option<&str>,
    label: Option<String>,
) -> Result<Saved> {
    if token.expose().trim().is_empty() {
        return Err(Error::Config("the token is empty; paste the whole token".into()));
    }
    let connector = Connector::new(provider, base_url)?;
    let mut credentials = Credentials::token(Secret::new(token.expose().trim()));
    credentials.developer_token = developer_token(provider);
    let account = connector.verify(AuthKind::Token, &credentials).await?;
    save(vault, &connector, AuthKind::Token, &credentials, Vec::new(), None, account, label).await
}

/// Google Ads' developer token from `LEADVAULT_GOOGLE_ADS_DEVELOPER_TOKEN`, for setups that
/// still have one; kept in the keychain with the connection's other secrets.
fn developer_token(provider: Provider) -> Option<Secret> {
    (provider == Provider::GoogleAds)
        .then(|| std::env::var(env_name(provider, "DEVELOPER_TOKEN")).ok())
        .flatten()
        .filter(|t| !t.trim().is_empty())
        .map(|t| Secret::new(t.trim()))
}

/// Starts a sign-in: the consent page's address is ready and, through the system browser, the
/// loopback listener is bound. With `embedded_ok`, a provider without loopback sign-in (Meta)
/// gets an embedded sign-in for the caller to show in a window of its own
/// ([`SignIn::is_embedded`], then [`finish_embedded_sign_in`]). The OAuth app's client id comes
/// from `client_id` or `LEADVAULT_<PROVIDER>_CLIENT_ID`, its secret (for providers that want one
/// sent) from `LEADVAULT_<PROVIDER>_CLIENT_SECRET`.
pub async fn begin_sign_in(
    provider: Provider,
    base_url: Option<&str>,
    client_id: Option<String>,
    embedded_ok: bool,
) -> Result<(Connector, SignIn)> {
    let connector = Connector::new(provider, base_url)?;
    let embedded = match connector.embedded_redirect() {
        _ if connector.supports_loopback_sign_in() => None,
        Some(redirect) if embedded_ok => Some(redirect),
        // Only the live provider refuses a loopback redirect: a server on another address (the
        // local fakes) takes one, so the command line can sign in to it too.
        _ if base_url.is_some() => None,
        _ => {
            return Err(Error::Config(format!(
                "{} does not allow signing in through a local redirect: sign in from the desktop \
                 app's Connections screen, or paste a Business Manager system-user token \
                 (`leadvault connect {} --token-stdin`)",
                provider.display_name(),
                provider.as_str()
            )));
        }
    };
    let id_var = env_name(provider, "CLIENT_ID");
    let client_id = client_id.or_else(|| std::env::var(&id_var).ok()).filter(|s| !s.trim().is_empty());
    let Some(client_id) = client_id else {
        return Err(Error::Config(format!(
            "no {} OAuth app is set up: set {id_var} (or --client-id) to your app's client id, \
             or paste a token",
            provider.display_name()
        )));
    };
    let client_secret = std::env::var(env_name(provider, "CLIENT_SECRET")).ok().map(Secret::new);
    let app = connector.oauth_app(client_id, client_secret);
    let sign_in = match embedded {
        Some(redirect) => SignIn::start_embedded(app, redirect)?,
        None => SignIn::start(app).await?,
    };
    Ok((connector, sign_in))
}

/// Waits for the browser, exchanges the code, verifies the tokens and saves the connection
/// (see [`finish_sign_in_saved`]).
pub async fn finish_sign_in(
    vault: &Vault,
    connector: Connector,
    sign_in: SignIn,
    timeout: Duration,
    cancel: &CancellationToken,
    label: Option<String>,
) -> Result<Connection> {
    Ok(finish_sign_in_saved(vault, connector, sign_in, timeout, cancel, label).await?.connection)
}

/// Waits for the browser, exchanges the code, verifies the tokens and saves the connection: a
/// new one, or the one the vault already has to that account, signed in again in place.
pub async fn finish_sign_in_saved(
    vault: &Vault,
    connector: Connector,
    sign_in: SignIn,
    timeout: Duration,
    cancel: &CancellationToken,
    label: Option<String>,
) -> Result<Saved> {
    let tokens = sign_in.finish(connector.http(), timeout, cancel).await?;
    complete(vault, connector, tokens, label).await
}

/// An embedded sign-in's end: `answer` is the address the provider sent the app's window to.
/// Checks it, exchanges the code, verifies the token and saves the connection.
pub async fn finish_embedded_sign_in(
    vault: &Vault,
    connector: Connector,
    sign_in: SignIn,
    answer: &Url,
    label: Option<String>,
) -> Result<Connection> {
    Ok(finish_embedded_sign_in_saved(vault, connector, sign_in, answer, label).await?.connection)
}

/// [`finish_embedded_sign_in`], saying whether an existing connection was signed in again.
pub async fn finish_embedded_sign_in_saved(
    vault: &Vault,
    connector: Connector,
    sign_in: SignIn,
    answer: &Url,
    label: Option<String>,
) -> Result<Saved> {
    let tokens = sign_in.finish_at(connector.http(), answer).await?;
    complete(vault, connector, tokens, label).await
}

async fn complete(
    vault: &Vault,
    connector: Connector,
    mut tokens: Tokens,
    label: Option<String>,
) -> Result<Saved> {
    tokens.credentials.developer_token = developer_token(connector.provider());
    let api_base = connector.api_base_from(&tokens);
    let checker = match &api_base {
        Some(api) => {
            Connector::for_connection(&draft(connector.provider(), connector.base_url(), Some(api.clone())))?
        }
        None => connector,
    };
    let account = checker.verify(AuthKind::Oauth, &tokens.credentials).await?;
    save(vault, &checker, AuthKind::Oauth, &tokens.credentials, tokens.scopes, api_base, account, label).await
}

#[allow(clippy::too_many_arguments)]
async fn save(
    vault: &Vault,
    connector: &Connector,
    auth: AuthKind,
    credentials: &Credentials,
    scopes: Vec<String>,
    api_base: Option<String>,
    account: Account,
    label: Option<String>,
) -> Result<Saved> {
    let provider = connector.provider();
    let given = label.filter(|l| !l.trim().is_empty());
    let label = given.clone().unwrap_or_else(|| default_label(provider.display_name(), &account.name));
    let new = NewConnection {
        provider,
        label,
        auth,
        account_id: Some(account.id),
        account_name: Some(account.name),
        scopes,
        base_url: connector.base_url(),
        api_base,
    };
    // The same account through the same server: its connection is signed in again (new
    // secrets, connected again), not made a second time with every synced lead queued twice.
    let connections = vault.connections();
    let existing = match new.account_id.as_deref().filter(|a| !a.is_empty()) {
        Some(account_id) => connections.find_account(provider, account_id, new.base_url.as_deref()).await?,
        None => None,
    };
    if let Some(existing) = existing {
        // Its label stays, unless the user gave one with this sign-in.
        let connection = connections.sign_in_again(&existing.id, &new, credentials, given.as_deref()).await?;
        return Ok(Saved { connection, signed_in_again: true });
    }
    Ok(Saved { connection: connections.add(new, credentials).await?, signed_in_again: false })
}

/// A connection as it will be saved, to build a client before it is.
fn draft(provider: Provider, base_url: Option<String>, api_base: Option<String>) -> Connection {
    Connection {
        id: String::new(),
        provider,
        label: String::new(),
        auth: AuthKind::Oauth,
        account_id: None,
        account_name: None,
        scopes: Vec::new(),
        base_url,
        api_base,
        status: ConnectionStatus::Connected,
        created_at: Utc::now(),
        last_sync_at: None,
        last_error: None,
        sync_every_secs: None,
    }
}

/// A connection's name when the user gave none: the provider and the account ("Meta — Ada's
/// Bakery"), or the account's own name where it already says the provider ("HubSpot account 42
/// (app.hubspot.com)", "2 Google Ads customers"), never the provider twice.
fn default_label(provider: &str, account: &str) -> String {
    if account.contains(provider) { account.to_string() } else { format!("{provider} — {account}") }
}

/// Verifies a connection with one cheap call, refreshing its access token first when it is
/// about to expire (or was refused and a refresh token is at hand). The outcome is recorded
/// as the connection's status; a refused refresh marks it "needs sign-in", once, with no retry.
pub async fn test(vault: &Vault, id: &str) -> Result<Account> {
    let connections = vault.connections();
    let connection = connections.get(id).await?;
    let Some(mut credentials) = connections.credentials(id).await? else {
        return Err(missing_secrets(vault, &connection).await?);
    };
    let connector = Connector::for_connection(&connection)?;
    let outcome = async {
        let soon = Utc::now() + chrono::Duration::seconds(60);
        let mut refreshed = false;
        if credentials.expires_at.is_some_and(|t| t <= soon) && credentials.refresh_token.is_some() {
            credentials = refresh(vault, &connector, &connection, &credentials).await?;
            refreshed = true;
        }
        match connector.verify(connection.auth, &credentials).await {
            Err(e) if e.needs_sign_in() && !refreshed && credentials.refresh_token.is_some() => {
                credentials = refresh(vault, &connector, &connection, &credentials).await?;
                connector.verify(connection.auth, &credentials).await
            }
            other => other,
        }
    }
    .await;
    match &outcome {
        Ok(account) => {
            connections.set_status(id, ConnectionStatus::Connected, None).await?;
            connections.set_account(id, Some(&account.id), Some(&account.name)).await?;
        }
        Err(e) => {
            // Not over a sign-in again made while the test ran: its secrets are not these.
            let status =
                if e.needs_sign_in() { ConnectionStatus::NeedsSignIn } else { ConnectionStatus::Error };
            connections.set_status_if_held(id, status, Some(&e.to_string()), &credentials).await?;
        }
    }
    outcome
}

/// The error for a connection whose keychain entry is gone, after marking it "needs sign-in".
async fn missing_secrets(vault: &Vault, connection: &Connection) -> Result<Error> {
    let error = Error::Unauthorized {
        provider: connection.provider.display_name(),
        reason: crate::SECRETS_MISSING.into(),
    };
    vault
        .connections()
        .set_status(&connection.id, ConnectionStatus::NeedsSignIn, Some(&error.to_string()))
        .await?;
    Ok(error)
}

/// The connection's credentials, ready for calls: its access token refreshed first when it
/// expires within a minute and a refresh token is at hand. A refused refresh is
/// [`Error::Unauthorized`] (the caller marks the connection "needs sign-in").
pub async fn usable_credentials(vault: &Vault, connection: &Connection) -> Result<Credentials> {
    let stored = stored_credentials(vault, connection).await?;
    ready(vault, connection, stored).await
}

/// The connection's secrets as the keychain holds them; missing, the connection is marked
/// "needs sign-in" and the error says to sign in again.
pub(crate) async fn stored_credentials(vault: &Vault, connection: &Connection) -> Result<Credentials> {
    match vault.connections().credentials(&connection.id).await? {
        Some(credentials) => Ok(credentials),
        None => Err(missing_secrets(vault, connection).await?),
    }
}

/// `credentials` ready for calls: refreshed first when the access token expires within a
/// minute and a refresh token is at hand (see [`usable_credentials`]).
pub(crate) async fn ready(
    vault: &Vault,
    connection: &Connection,
    credentials: Credentials,
) -> Result<Credentials> {
    let soon = Utc::now() + chrono::Duration::seconds(60);
    if credentials.expires_at.is_some_and(|t| t <= soon) && credentials.refresh_token.is_some() {
        let connector = Connector::for_connection(connection)?;
        return refresh(vault, &connector, connection, &credentials).await;
    }
    Ok(credentials)
}

/// Trades the refresh token for a new access token and keeps the new credentials, unless the
/// keychain no longer holds the ones refreshed: a sign-in again made meanwhile keeps its own
/// (the caller still uses the refreshed ones for what it is doing).
pub(crate) async fn refresh(
    vault: &Vault,
    connector: &Connector,
    connection: &Connection,
    credentials: &Credentials,
) -> Result<Credentials> {
    let client_id = credentials.client_id.clone().unwrap_or_default();
    let tokens = connector.refresh(client_id, credentials).await?;
    let kept = vault
        .connections()
        .replace_credentials_if_held(&connection.id, credentials, &tokens.credentials)
        .await?;
    if !kept {
        tracing::info!(
            connection = connection.id.as_str(),
            "the secrets were replaced while refreshing (signed in again); the refreshed ones are not kept"
        );
    }
    Ok(tokens.credentials)
}

/// Whether the provider took back the access on disconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "snake_case")]
pub enum Revoked {
    Yes,
    /// The provider has no way for an app to revoke this kind of token.
    NotPossible,
    /// The call failed; the user should remove the app in the provider's settings.
    Failed(String),
}

/// What `disconnect` did.
#[derive(Debug, Clone, Serialize)]
pub struct Disconnected {
    pub connection: Connection,
    pub revoked: Revoked,
    pub leads_deleted: u64,
    /// Campaigns, ad groups, keywords, schedules and metric days.
    pub ads_rows_deleted: u64,
    /// Recorded ads changes (pauses, bids, schedules, dry runs).
    pub ad_changes_deleted: u64,
}

/// Why a revoke failed, as the middle of "could not revoke at X (…): remove Leadvault in its
/// settings": the reason alone, not the error's own advice (to try again, to sign in again),
/// which no longer applies once the connection is gone.
fn revoke_failure(e: &Error) -> String {
    match e {
        Error::Unavailable { reason, .. } => format!("it could not be reached or failed: {reason}"),
        Error::Unauthorized { reason, .. } => format!("it no longer accepted the token: {reason}"),
        Error::RateLimited { .. } => "it asked to slow down".into(),
        Error::Rejected { reason, .. } => format!("it refused: {reason}"),
        other => other.to_string(),
    }
}

/// Revokes the grant at the provider where it can be, then forgets the connection (and with
/// `purge`, every lead, campaign, metric and recorded ads change it brought). A failed revoke does not keep the secrets: they are deleted
/// all the same, and the result says to remove the app in the provider's settings.
pub async fn disconnect(vault: &Vault, id: &str, purge: bool) -> Result<Disconnected> {
    let connections = vault.connections();
    let connection = connections.get(id).await?;
    let revoked = match connections.credentials(id).await? {
        Some(credentials) => {
            let connector = Connector::for_connection(&connection)?;
            match connector.revoke(connection.auth, credentials.client_id.as_deref(), &credentials).await {
                Ok(true) => Revoked::Yes,
                Ok(false) => Revoked::NotPossible,
                Err(e) => Revoked::Failed(revoke_failure(&e)),
            }
        }
        // Nothing to revoke with: the provider may still hold the grant.
        None => Revoked::Failed("its secrets were no longer in the OS keychain".into()),
    };
    let removed = connections.remove(id, purge).await?;
    Ok(Disconnected {
        connection,
        revoked,
        leads_deleted: removed.leads_deleted,
        ads_rows_deleted: removed.ads_rows_deleted,
        ad_changes_deleted: removed.ad_changes_deleted,
    })
}

#[cfg(test)]
mod tests {
    use super::default_label;

    #[test]
    fn a_default_label_names_the_provider_once() {
        assert_eq!(default_label("Meta", "Ada's Bakery"), "Meta — Ada's Bakery");
        assert_eq!(
            default_label("HubSpot", "HubSpot account 42 (app.hubspot.com)"),
            "HubSpot account 42 (app.hubspot.com)"
        );
        assert_eq!(default_label("Google Ads", "2 Google Ads customers"), "2 Google Ads customers");
        assert_eq!(
            default_label("Google Ads", "Google Ads customer 1234567890"),
            "Google Ads customer 1234567890"
        );
    }
}
