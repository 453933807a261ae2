//! `connect`, `connections list|test` and `disconnect`: the connectors' calls, with the results
//! kept by the vault (metadata) and the OS keychain (secrets).

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use chrono::Utc;
use leadvault_connectors::Connector;
use leadvault_connectors::oauth::SignIn;
use leadvault_core::Vault;
use leadvault_core::connections::{
    AuthKind, Connection, ConnectionStatus, Credentials, NewConnection, Provider,
};
use leadvault_core::error::Error;
use leadvault_core::secrets::Secret;
use tokio_util::sync::CancellationToken;

/// A connector's error as the core's, so it prints like every other: one line, no secret.
fn provider_error(e: leadvault_connectors::Error) -> Error {
    match e {
        leadvault_connectors::Error::Core(e) => e,
        leadvault_connectors::Error::Cancelled => Error::Cancelled,
        other => Error::Provider(other.to_string()),
    }
}

/// What `leadvault connect` was given.
pub struct ConnectArgs {
    pub provider: String,
    pub token_stdin: bool,
    pub base_url: Option<String>,
    pub label: Option<String>,
    pub client_id: Option<String>,
    pub no_browser: bool,
    pub timeout_secs: u64,
    pub json: bool,
}

/// `LEADVAULT_<PROVIDER>_<WHAT>`, e.g. LEADVAULT_GOOGLE_ADS_CLIENT_ID.
fn env_name(provider: Provider, what: &str) -> String {
    format!("LEADVAULT_{}_{what}", provider.as_str().replace('-', "_").to_ascii_uppercase())
}

/// One line from standard input: the pasted token.
fn read_token() -> Result<Secret, Error> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste the token and press Enter:");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|_| Error::InvalidInput("could not read the token from standard input".into()))?;
    let token = Secret::new(line.trim().to_string());
    drop(zeroize_string(line));
    if token.expose().is_empty() {
        return Err(Error::InvalidInput("no token on standard input; pipe it in, e.g. `leadvault connect hubspot --token-stdin < token.txt`".into()));
    }
    Ok(token)
}

/// Wipes a string that held a secret before its memory is freed.
fn zeroize_string(s: String) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(s)
}

pub async fn connect(vault: &Vault, args: ConnectArgs) -> Result<(), Error> {
    let provider: Provider = args.provider.parse()?;
    let connector = Connector::new(provider, args.base_url.as_deref()).map_err(provider_error)?;
    let (auth, credentials, scopes, api_base) = if args.token_stdin {
        (AuthKind::Token, Credentials::token(read_token()?), Vec::new(), None)
    } else {
        let tokens = sign_in(&connector, &args).await?;
        let api_base = connector.api_base_from(&tokens);
        (AuthKind::Oauth, tokens.credentials, tokens.scopes, api_base)
    };
    // One cheap call proves the token works before anything is saved.
    let mut checker = connector;
    if let Some(api) = &api_base {
        checker = Connector::for_connection(&probe(provider, checker.base_url(), Some(api.clone())))
            .map_err(provider_error)?;
    }
    let account = checker.verify(auth, &credentials).await.map_err(provider_error)?;
    let label = args.label.unwrap_or_else(|| format!("{} — {}", provider.display_name(), account.name));
    let connection = vault
        .connections()
        .add(
            NewConnection {
                provider,
                label,
                auth,
                account_id: Some(account.id),
                account_name: Some(account.name),
                scopes,
                base_url: checker.base_url(),
                api_base,
            },
            &credentials,
        )
        .await?;
    if args.json {
        println!("{}", serde_json::to_string(&connection).unwrap_or_default());
    } else {
        println!("Connected {} ({}); id {}", connection.label, provider.display_name(), connection.id);
        println!("Secrets are in the OS keychain; the vault keeps only the account's name and id.");
    }
    Ok(())
}

/// A connection as it will be saved, to build a client before it is.
fn probe(provider: Provider, base_url: Option<String>, api_base: Option<String>) -> Connection {
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
    }
}

async fn sign_in(
    connector: &Connector,
    args: &ConnectArgs,
) -> Result<leadvault_connectors::oauth::Tokens, Error> {
    let provider = connector.provider();
    if !connector.supports_loopback_sign_in() {
        return Err(Error::InvalidInput(format!(
            "{} does not allow signing in through a local redirect; paste a Business Manager \
             system-user token with `leadvault connect {} --token-stdin`",
            provider.display_name(),
            provider.as_str()
        )));
    }
    let id_var = env_name(provider, "CLIENT_ID");
    let client_id =
        args.client_id.clone().or_else(|| std::env::var(&id_var).ok()).filter(|s| !s.trim().is_empty());
    let Some(client_id) = client_id else {
        return Err(Error::InvalidInput(format!(
            "no {} OAuth app is set up: set {id_var} (or --client-id) to your app's client id, \
             or paste a token with --token-stdin",
            provider.display_name()
        )));
    };
    let client_secret = std::env::var(env_name(provider, "CLIENT_SECRET")).ok().map(Secret::new);
    let sign_in =
        SignIn::start(connector.oauth_app(client_id, client_secret)).await.map_err(provider_error)?;
    let url = sign_in.authorize_url().to_string();
    eprintln!("Sign in to {} in your browser:", provider.display_name());
    eprintln!("{url}");
    eprintln!("Waiting for the answer on {} (Ctrl-C cancels)…", sign_in.redirect_url());
    if !args.no_browser {
        open_browser(&url);
    }
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let result = sign_in
        .finish(connector.http(), Duration::from_secs(args.timeout_secs), &cancel)
        .await
        .map_err(provider_error);
    watcher.abort();
    result
}

/// Opens the system browser; if none can be started the printed address is enough.
fn open_browser(url: &str) {
    let opener =
        std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty()).unwrap_or_else(|| "xdg-open".into());
    let started = std::process::Command::new(&opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if started.is_err() {
        eprintln!("(could not start {opener}; open the address above yourself)");
    }
}

pub async fn list(vault: &Vault, json: bool) -> Result<(), Error> {
    let all = vault.connections().list().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        return Ok(());
    }
    if all.is_empty() {
        println!(
            "No connections. Add one with `leadvault connect <meta|google-ads|hubspot|pipedrive|salesforce>`."
        );
        return Ok(());
    }
    println!("{:<26}  {:<10}  {:<13}  {:<5}  LABEL", "ID", "PROVIDER", "STATUS", "AUTH");
    for c in &all {
        println!(
            "{:<26}  {:<10}  {:<13}  {:<5}  {}",
            c.id,
            c.provider,
            c.status.as_str(),
            c.auth.as_str(),
            c.label
        );
        if let Some(e) = &c.last_error {
            println!("{:<26}  last error: {e}", "");
        }
    }
    Ok(())
}

/// Verifies a connection with one cheap call, refreshing its access token first when it is
/// about to expire (or was refused and a refresh token is at hand). A refused refresh marks it
/// "needs sign-in", once, with no retry.
pub async fn test(vault: &Vault, id: &str) -> Result<(), Error> {
    let connections = vault.connections();
    let connection = connections.get(id).await?;
    let Some(mut credentials) = connections.credentials(id).await? else {
        let message = "its secrets are missing from the OS keychain; connect again";
        connections.set_status(id, ConnectionStatus::NeedsSignIn, Some(message)).await?;
        return Err(Error::Provider(format!("connection {id}: {message}")));
    };
    let connector = Connector::for_connection(&connection).map_err(provider_error)?;
    let soon = Utc::now() + chrono::Duration::seconds(60);
    let mut refreshed = false;
    if credentials.expires_at.is_some_and(|t| t <= soon) && credentials.refresh_token.is_some() {
        credentials = refresh(vault, &connector, &connection, &credentials).await?;
        refreshed = true;
    }
    let mut outcome = connector.verify(connection.auth, &credentials).await;
    if let Err(e) = &outcome
        && e.needs_sign_in()
        && !refreshed
        && credentials.refresh_token.is_some()
    {
        credentials = refresh(vault, &connector, &connection, &credentials).await?;
        outcome = connector.verify(connection.auth, &credentials).await;
    }
    match outcome {
        Ok(account) => {
            connections.set_status(id, ConnectionStatus::Connected, None).await?;
            connections.set_account(id, Some(&account.id), Some(&account.name)).await?;
            println!("{}: working ({})", connection.label, account.name);
            Ok(())
        }
        Err(e) => {
            let status =
                if e.needs_sign_in() { ConnectionStatus::NeedsSignIn } else { ConnectionStatus::Error };
            let message = e.to_string();
            connections.set_status(id, status, Some(&message)).await?;
            Err(provider_error(e))
        }
    }
}

async fn refresh(
    vault: &Vault,
    connector: &Connector,
    connection: &Connection,
    credentials: &Credentials,
) -> Result<Credentials, Error> {
    let connections = vault.connections();
    let client_id = credentials.client_id.clone().unwrap_or_default();
    match connector.refresh(client_id, credentials).await {
        Ok(tokens) => {
            connections.save_credentials(&connection.id, &tokens.credentials).await?;
            Ok(tokens.credentials)
        }
        Err(e) => {
            let status =
                if e.needs_sign_in() { ConnectionStatus::NeedsSignIn } else { ConnectionStatus::Error };
            connections.set_status(&connection.id, status, Some(&e.to_string())).await?;
            Err(provider_error(e))
        }
    }
}

/// Revokes the grant at the provider where it can be, then forgets the connection (and with
/// `purge`, every lead it brought). A revoke that fails does not keep the secrets: the user is
/// told to revoke the app in the provider's settings.
pub async fn disconnect(vault: &Vault, id: &str, purge: bool) -> Result<(), Error> {
    let connections = vault.connections();
    let connection = connections.get(id).await?;
    let revoked = match connections.credentials(id).await? {
        Some(credentials) => {
            let connector = Connector::for_connection(&connection).map_err(provider_error)?;
            connector.revoke(connection.auth, credentials.client_id.as_deref(), &credentials).await
        }
        None => Ok(false),
    };
    let removed = connections.remove(id, purge).await?;
    match revoked {
        Ok(true) => println!("Revoked Leadvault's access at {}.", connection.provider.display_name()),
        Ok(false) => println!(
            "{} has no way for an app to revoke this kind of token; remove it in {}'s settings if you no longer use it.",
            connection.provider.display_name(),
            connection.provider.display_name()
        ),
        Err(e) => eprintln!(
            "warning: could not revoke the access at {} ({e}); remove Leadvault in its settings",
            connection.provider.display_name()
        ),
    }
    println!("Disconnected {}; its secrets are gone from the OS keychain.", connection.label);
    if purge {
        println!("Deleted {} that came from it.", crate::output::leads(removed.leads_deleted));
    }
    Ok(())
}
