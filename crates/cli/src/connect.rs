//! `connect`, `connections list|test` and `disconnect`: `leadvault_connectors::manage` does the
//! work; this module reads what the user gives and prints what happened.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use leadvault_connectors::manage::{self, Revoked};
use leadvault_core::Vault;
use leadvault_core::connections::{AuthKind, ConnectionStatus, Provider};
use leadvault_core::error::Error;
use leadvault_core::secrets::Secret;
use tokio_util::sync::CancellationToken;

use crate::output::{self, errln, outln, safe};

/// A connector's error as the core's, so it prints like every other: one line, no secret.
pub(crate) fn provider_error(e: leadvault_connectors::Error) -> Error {
    match e {
        leadvault_connectors::Error::Core(e) => e,
        leadvault_connectors::Error::Cancelled => Error::Cancelled,
        other => Error::Provider(other.to_string()),
    }
}

/// How long `leadvault connect` waits for a sign-in unless told (its `--timeout`).
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

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

/// One line from standard input: the pasted token. Typed or pasted at a terminal, it is not
/// shown (the terminal's echo is off until it is read), so it stays off the screen and out of
/// the scrollback.
fn read_token(provider: &str) -> Result<Secret, Error> {
    let stdin = std::io::stdin();
    let _hidden = stdin.is_terminal().then(|| {
        let hidden = NoEcho::start();
        errln!("Paste the token and press Enter (it is not shown):");
        hidden
    });
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|_| Error::InvalidInput("could not read the token from standard input".into()))?;
    let token = Secret::new(line.trim().to_string());
    drop(zeroize_string(line));
    if token.expose().is_empty() {
        return Err(Error::InvalidInput(format!(
            "no token on standard input; pipe it in, e.g. `{} connect {provider} --token-stdin < token.txt`",
            output::me()
        )));
    }
    Ok(token)
}

/// The terminal on standard input with its echo off (the Enter still shown) until dropped. A
/// Ctrl-C, SIGTERM or SIGHUP meanwhile puts the echo back before it ends the process as it would
/// have: the process dies without dropping this, and the terminal was left not showing what was
/// typed in it next.
struct NoEcho {
    #[cfg(unix)]
    saved: Option<(libc::termios, [(libc::c_int, libc::sigaction); 3])>,
}

/// The terminal's modes before the echo went off, for the signal handler to put back.
#[cfg(unix)]
static MODES_BEFORE: std::sync::OnceLock<libc::termios> = std::sync::OnceLock::new();

/// Puts the terminal's modes back, then dies of `signal` as the process would have without it.
#[cfg(unix)]
extern "C" fn echo_back_and_die(signal: libc::c_int) {
    // SAFETY: tcsetattr, signal and raise are async-signal-safe; the modes were set before
    // this handler was installed and are never changed again.
    unsafe {
        if let Some(modes) = MODES_BEFORE.get() {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, modes);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

impl NoEcho {
    fn start() -> NoEcho {
        #[cfg(unix)]
        {
            // SAFETY: tcgetattr fills the termios it is given; tcsetattr and sigaction only read
            // or set the terminal's modes of fd 0 and this process's handlers, and a failure
            // leaves them as they were.
            let saved = unsafe {
                let mut modes: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(libc::STDIN_FILENO, &mut modes) != 0 {
                    return NoEcho { saved: None };
                }
                let before = modes;
                MODES_BEFORE.get_or_init(|| before);
                let mut handlers = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP]
                    .map(|signal| (signal, std::mem::zeroed::<libc::sigaction>()));
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = echo_back_and_die as *const () as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                for (signal, old) in &mut handlers {
                    libc::sigaction(*signal, &action, old);
                }
                modes.c_lflag &= !libc::ECHO;
                modes.c_lflag |= libc::ECHONL;
                if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &modes) != 0 {
                    for (signal, old) in &handlers {
                        libc::sigaction(*signal, old, std::ptr::null_mut());
                    }
                    return NoEcho { saved: None };
                }
                Some((before, handlers))
            };
            NoEcho { saved }
        }
        #[cfg(not(unix))]
        NoEcho {}
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some((modes, handlers)) = &self.saved {
            // SAFETY: puts back the modes tcgetattr read, then the handlers sigaction replaced.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, modes);
                for (signal, old) in handlers {
                    libc::sigaction(*signal, old, std::ptr::null_mut());
                }
            }
        }
    }
}

/// Wipes a string that held a secret before its memory is freed.
fn zeroize_string(s: String) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(s)
}

pub async fn connect(vault: &Vault, args: ConnectArgs) -> Result<(), Error> {
    let provider: Provider = args.provider.parse()?;
    let saved = if args.token_stdin {
        manage::connect_token_saved(
            vault,
            provider,
            read_token(&args.provider)?,
            args.base_url.as_deref(),
            args.label.clone(),
        )
        .await
        .map_err(refused_paste)
    } else {
        sign_in(vault, provider, &args).await.map_err(|e| again_with_these_options(e, &args))
    }
    .map_err(|e| {
        crate::interrupt::explained(provider_error(e), "the sign-in was cancelled; nothing was saved")
    })?;
    let connection = &saved.connection;
    if args.json {
        outln!("{}", serde_json::to_string(&saved).unwrap_or_default())?;
    } else if saved.signed_in_again {
        // The account already had a connection here: that one works again, nothing added.
        outln!(
            "Signed in again to {} ({}); id {}",
            safe(&connection.label),
            provider.display_name(),
            connection.id
        )?;
        outln!("Its new secrets are in the OS keychain; its next sync picks up where it left off.")?;
    } else {
        outln!("Connected {} ({}); id {}", safe(&connection.label), provider.display_name(), connection.id)?;
        outln!("Secrets are in the OS keychain; the vault keeps only the account's name and id.")?;
    }
    if !saved.signed_in_again {
        // Meant as a sign-in again, but with another account: that one still waits for it.
        for other in vault.connections().list().await? {
            if other.id != connection.id
                && other.provider == provider
                && other.base_url == connection.base_url
                && other.status == ConnectionStatus::NeedsSignIn
            {
                errln!(
                    "note: {} still needs a sign-in; this was another {} account, so it was added beside it: sign in again with that one's account, or `{} disconnect {}`",
                    safe(&other.label),
                    provider.display_name(),
                    output::me(),
                    other.id
                );
            }
        }
    }
    Ok(())
}

/// A pasted token the provider refuses: that token is the thing to check, where the line said
/// to "sign in again", as for a connection whose sign-in ran out.
fn refused_paste(e: leadvault_connectors::Error) -> leadvault_connectors::Error {
    match e {
        leadvault_connectors::Error::Unauthorized { provider, reason }
            if reason != leadvault_connectors::SECRETS_MISSING =>
        {
            leadvault_connectors::Error::Config(format!(
                "{provider} refused this token ({reason}); check that it is the whole token, for {provider}, \
                 and still valid, then paste it again"
            ))
        }
        other => other,
    }
}

/// A sign-in declined or not finished says to run the command again: with the options given
/// to this one (its server, its OAuth app, its label, how long it waits, whether it opens a
/// browser, and whether it prints JSON), where it named the provider alone, which signs in somewhere else or finds no
/// OAuth app, or left out what else was typed. Each value as a shell reads it back.
fn again_with_these_options(
    e: leadvault_connectors::Error,
    args: &ConnectArgs,
) -> leadvault_connectors::Error {
    use leadvault_connectors::Error as E;
    let command = |cli: &str| {
        let mut command = format!("{} connect {cli}", output::me());
        let mut typed = |flag: &str, value: &str| {
            command.push_str(&format!(" {flag} {}", output::shell_word(value)));
        };
        if let Some(base) = &args.base_url {
            typed("--base-url", base);
        }
        if let Some(id) = &args.client_id {
            typed("--client-id", id);
        }
        if let Some(label) = &args.label {
            typed("--label", label);
        }
        if args.timeout_secs != DEFAULT_TIMEOUT_SECS {
            typed("--timeout", &args.timeout_secs.to_string());
        }
        if args.no_browser {
            command.push_str(" --no-browser");
        }
        if args.json {
            command.push_str(" --json");
        }
        command
    };
    match e {
        E::Denied { provider, cli } => E::Config(format!(
            "you declined access on {provider}'s page; run `{}` again to retry",
            command(cli)
        )),
        E::TimedOut { seconds, cli } => E::Config(format!(
            "the sign-in was not finished within {}; run `{}` again",
            leadvault_connectors::wait_text(seconds),
            command(cli)
        )),
        other => other,
    }
}

async fn sign_in(
    vault: &Vault,
    provider: Provider,
    args: &ConnectArgs,
) -> leadvault_connectors::Result<manage::Saved> {
    let (connector, sign_in) =
        manage::begin_sign_in(provider, args.base_url.as_deref(), args.client_id.clone(), false).await?;
    // Listening before the wait is announced: a Ctrl-C (or SIGTERM) from then on cancels it.
    let cancel = CancellationToken::new();
    let _listening =
        crate::interrupt::cancels(cancel.clone(), "the sign-in was stopped at once; nothing was saved");
    let url = sign_in.authorize_url().to_string();
    errln!("Sign in to {} in your browser:", provider.display_name());
    errln!("{url}");
    errln!("Waiting for the answer on {} (Ctrl-C cancels)…", sign_in.redirect_url());
    if !args.no_browser && !manage::open_browser(&url) {
        errln!("(could not start a browser; open the address above yourself)");
    }
    let timeout = Duration::from_secs(args.timeout_secs);
    manage::finish_sign_in_saved(vault, connector, sign_in, timeout, &cancel, args.label.clone()).await
}

pub async fn list(vault: &Vault, json: bool) -> Result<(), Error> {
    let all = vault.connections().list().await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&all).unwrap_or_default())?;
        return Ok(());
    }
    if all.is_empty() {
        outln!(
            "No connections. Add one with `{} connect <meta|google-ads|hubspot|pipedrive|salesforce>`.",
            output::me()
        )?;
        return Ok(());
    }
    outln!("{:<26}  {:<10}  {:<13}  {:<5}  {:<15}  LABEL", "ID", "PROVIDER", "STATUS", "AUTH", "SYNCS")?;
    for c in &all {
        outln!(
            "{:<26}  {:<10}  {:<13}  {:<5}  {:<15}  {}",
            c.id,
            c.provider.as_str(),
            c.status.as_str(),
            c.auth.as_str(),
            syncs(c),
            safe(&c.label)
        )?;
        if let Some(e) = &c.last_error {
            // A provider's words: shown, but never as terminal control sequences.
            outln!("{:<26}  last error: {}", "", safe(e))?;
        }
        if c.status == ConnectionStatus::NeedsSignIn {
            outln!("{:<26}  {}", "", sign_in_again_hint(c))?;
        }
    }
    Ok(())
}

/// How to sign `c` in again from here: the command that brings that connection back in place
/// (the same provider and server, then the same account).
pub(crate) fn sign_in_again_hint(c: &leadvault_core::connections::Connection) -> String {
    match sign_in_again_command(c) {
        Some(command) => format!("sign in again: {command}"),
        None => "sign in again from the desktop app's Connections".into(),
    }
}

/// A refusal's one line (which ends "sign in again or paste a new token") with where to do
/// that for `c`.
pub(crate) fn with_sign_in_command(error: &str, c: &leadvault_core::connections::Connection) -> String {
    match sign_in_again_command(c) {
        Some(command) => format!("{error}: {command}"),
        None => format!("{error} (sign in from the desktop app's Connections)"),
    }
}

/// The command that signs `c` in again; `None` where only the desktop app can (live Meta's
/// sign-in opens in its window).
pub(crate) fn sign_in_again_command(c: &leadvault_core::connections::Connection) -> Option<String> {
    let how = match (c.provider, c.auth, &c.base_url) {
        (Provider::Meta, AuthKind::Oauth, None) => return None,
        (_, AuthKind::Token, _) => " --token-stdin",
        (_, AuthKind::Oauth, _) => "",
    };
    let base = c.base_url.as_deref().map(|b| format!(" --base-url {}", safe(b))).unwrap_or_default();
    Some(format!("{} connect {}{how}{base}", output::me(), c.provider.as_str()))
}

/// How often the app syncs `c`, as the list shows it.
fn syncs(c: &leadvault_core::connections::Connection) -> String {
    if !leadvault_connectors::sync::supported(c.provider) {
        return "-".into();
    }
    leadvault_connectors::schedule::describe(c)
}

/// Sets how often the app syncs a connection, and says so.
pub async fn set_every(vault: &Vault, id: &str, every: Option<u64>) -> Result<(), Error> {
    vault.connections().set_sync_every(id, every).await?;
    let c = vault.connections().get(id).await?;
    let default = if every.is_none() { " (the default)" } else { "" };
    match syncs(&c).as_str() {
        "only when asked" => {
            outln!("{}: synced only when asked (leadvault sync, or Sync now)", safe(&c.label))?
        }
        text => outln!("{}: the app syncs it {text}{default}", safe(&c.label))?,
    }
    Ok(())
}

/// Checks a connection with one cheap call (refreshing its token when due) and says so.
pub async fn test(vault: &Vault, id: &str) -> Result<(), Error> {
    let account = match manage::test(vault, id).await {
        Ok(account) => account,
        // Refused: the error ends with the command that signs it in again, as `sync` says.
        Err(e) if e.needs_sign_in() => {
            let connection = vault.connections().get(id).await?;
            return Err(Error::Provider(with_sign_in_command(&provider_error(e).to_string(), &connection)));
        }
        Err(e) => return Err(provider_error(e)),
    };
    let connection = vault.connections().get(id).await?;
    outln!("{}: working ({})", safe(&connection.label), safe(&account.name))?;
    Ok(())
}

/// Revokes, forgets, and says what happened at the provider.
pub async fn disconnect(vault: &Vault, id: &str, purge: bool) -> Result<(), Error> {
    let done = manage::disconnect(vault, id, purge).await.map_err(provider_error)?;
    let name = done.connection.provider.display_name();
    match &done.revoked {
        Revoked::Yes => outln!("Revoked Leadvault's access at {name}.")?,
        Revoked::NotPossible => outln!(
            "{name} has no way for an app to revoke this kind of token; remove it in {name}'s settings if you no longer use it."
        )?,
        Revoked::Failed(why) => {
            errln!("warning: could not revoke the access at {name} ({why}); remove Leadvault in its settings")
        }
    }
    outln!("Disconnected {}; its secrets are gone from the OS keychain.", safe(&done.connection.label))?;
    if purge {
        outln!(
            "Deleted {}, {} rows of campaigns and metrics and {} recorded ads changes that came from it.",
            crate::output::leads(done.leads_deleted),
            done.ads_rows_deleted,
            done.ad_changes_deleted
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use leadvault_core::connections::{AuthKind, Connection, ConnectionStatus, Provider};

    use super::with_sign_in_command;

    fn connection(provider: Provider, auth: AuthKind, base_url: Option<&str>) -> Connection {
        Connection {
            id: "01K".into(),
            provider,
            label: "Ads".into(),
            auth,
            account_id: Some("1".into()),
            account_name: None,
            scopes: Vec::new(),
            base_url: base_url.map(str::to_string),
            api_base: None,
            status: ConnectionStatus::NeedsSignIn,
            created_at: chrono::Utc::now(),
            last_sync_at: None,
            last_error: None,
            sync_every_secs: None,
        }
    }

    /// A refusal ends with where to sign in again: the command, or for live Meta's sign-in
    /// (only in the app's window) the window, in words that read whole, where it said "paste a
    /// new token from the desktop app's Connections".
    #[test]
    fn a_refusal_says_where_to_sign_in_again() {
        let error = "Meta refused the credentials (code 190); sign in again or paste a new token";
        let live_meta = connection(Provider::Meta, AuthKind::Oauth, None);
        assert_eq!(
            with_sign_in_command(error, &live_meta),
            format!("{error} (sign in from the desktop app's Connections)")
        );
        let pasted = connection(Provider::Meta, AuthKind::Token, None);
        assert_eq!(
            with_sign_in_command(error, &pasted),
            format!("{error}: leadvault connect meta --token-stdin")
        );
        let fake = connection(Provider::GoogleAds, AuthKind::Oauth, Some("http://127.0.0.1:9"));
        assert_eq!(
            with_sign_in_command(error, &fake),
            format!("{error}: leadvault connect google-ads --base-url http://127.0.0.1:9")
        );
    }
}
