//! `leadvault`: the command line over leadvault-core. Every command opens the vault, calls one
//! core service and prints the result; errors print as one line and exit with code 1.

mod ads;
mod cli;
mod connect;
mod demo;
mod interrupt;
mod output;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use leadvault_core::error::Error;
use leadvault_core::export::{ExportFormat, ExportOptions, export_cancellable};
use leadvault_core::import::{ImportOptions, import_file_phased};
use leadvault_core::secrets::{OsKeychain, Passphrase};
use leadvault_core::{LeadSort, LeadUpdate, Unlock, Vault, VaultOptions};
use tokio_util::sync::CancellationToken;

use cli::{Cli, Command, ConnectionsCommand, LeadsCommand, VaultCommand};
use output::{errln, outln};

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(refused) => return ExitCode::from(refused.code),
    };
    // The hints this run prints (`Next: … import FILE`) name the vault the way it was chosen.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    output::remember_invocation(&args, cli.data_dir.as_deref(), cli.passphrase_env.as_deref());
    // Logs: <data dir>/logs/leadvault.*.log (see leadvault_core::logging).
    let logs_at = log_dir(&cli);
    // A folder that `init` or the demo is about to make: gone again if they fail.
    let made_here = logs_at.clone().filter(|dir| !dir.exists());
    let log = logs_at.and_then(|dir| leadvault_core::logging::init(&dir, "leadvault"));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A write refused later than the open (a read-only vault.db) names the folder too.
    let data_dir = cli.data_dir().ok();
    let done = runtime.block_on(run(cli));
    let done = match &data_dir {
        Some(dir) => done.map_err(|e| e.in_data_dir(dir)),
        None => done,
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        // Whoever read the output stopped (`| head`): done, as with any Unix tool. What the
        // command changed is saved already.
        Err(e) if output::is_closed(&e) => ExitCode::SUCCESS,
        // Results are written once the work is done: say so, or a full disk behind `> file`
        // reads as a failed import or update, and the user repeats it.
        Err(e) if output::is_output_error(&e) => {
            tracing::warn!(code = e.code(), "command output failed");
            errln!("error: {e}; the command itself finished, and what it changed is saved");
            ExitCode::FAILURE
        }
        Err(e) => {
            tracing::warn!(code = e.code(), "command failed");
            match &e {
                // `leadvault init` alone would make a vault in the usual folder, not in the
                // --data-dir this command looked in.
                Error::NoVault { path } => {
                    errln!("error: no vault at {}; create one with `{} init`", path.display(), output::me())
                }
                e => errln!("error: {e}"),
            }
            if let Some(dir) = made_here {
                drop(log);
                remove_if_only_logs(&dir);
            }
            ExitCode::FAILURE
        }
    }
}

/// Removes `dir` when all it holds is this run's logs: an `init` (or demo) that failed leaves
/// no data folder behind.
fn remove_if_only_logs(dir: &std::path::Path) {
    let only_logs = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).all(|e| e.file_name() == "logs"))
        .unwrap_or(false);
    if only_logs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Where this run logs: the data dir when it holds a vault or `init` makes one there, the demo's
/// own folder for `demo`. A command that finds no vault (a mistyped --data-dir) leaves the file
/// system as it was: no folder is made just for its logs.
fn log_dir(cli: &Cli) -> Option<PathBuf> {
    let dir = cli.data_dir().ok()?;
    match cli.command {
        Command::Init => Some(dir),
        Command::Demo { .. } => Some(leadvault_connectors::demo::demo_dir(&dir)),
        _ => dir.join(leadvault_core::vault::DB_FILE).is_file().then_some(dir),
    }
}

fn options(cli: &Cli) -> Result<VaultOptions, Error> {
    let mut options = VaultOptions::new(cli.data_dir()?, Arc::new(OsKeychain::new()));
    let (var, explicit) = match &cli.passphrase_env {
        Some(v) => (v.clone(), true),
        None => ("LEADVAULT_PASSPHRASE".to_string(), false),
    };
    // `init` (and the demo, which makes its vault on first use) chooses a passphrase; every
    // other command types one to open a vault, where a short one is just a wrong one.
    let kind = match cli.command {
        Command::Init | Command::Demo { .. } => PassphraseKind::New,
        _ => PassphraseKind::Typed,
    };
    options.passphrase = read_passphrase(&var, explicit.then_some("--passphrase-env"), kind)?;
    options.passphrase_env = var;
    // A vault an older version made: its update (a search index rebuilt) takes a while.
    options.on_update = Some(Arc::new(|u| eprintln!("{}", output::updating(u))));
    Ok(options)
}

/// Whether a passphrase is being chosen (at least 8 characters) or typed to open a vault.
#[derive(Clone, Copy)]
enum PassphraseKind {
    New,
    Typed,
}

/// The passphrase from the variable `var`. A variable named by `flag` (`--passphrase-env`,
/// `--new-passphrase-env`) must be set.
fn read_passphrase(var: &str, flag: Option<&str>, kind: PassphraseKind) -> Result<Option<Passphrase>, Error> {
    match std::env::var(var) {
        // Set but empty (`LEADVAULT_PASSPHRASE=` in a script): a mistake, not a wrong passphrase.
        Ok(v) if v.is_empty() => Err(Error::InvalidInput(format!(
            "{var} is set but empty; set it to the passphrase, or unset it to use the OS keychain"
        ))),
        Ok(v) => match kind {
            PassphraseKind::New => Passphrase::new(v).map(Some),
            PassphraseKind::Typed => Ok(Some(Passphrase::typed(v))),
        },
        Err(std::env::VarError::NotPresent) => match flag {
            None => Ok(None),
            Some(flag) => Err(Error::InvalidInput(format!(
                "{flag} {var}: the variable {var} is not set; export {var} with the passphrase first, or leave \
                 out {flag}"
            ))),
        },
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::InvalidInput(format!("the passphrase in {var} is not valid text")))
        }
    }
}

/// An `init` that cannot reach the keychain for the vault's key: what to type to lock the new
/// vault with a passphrase instead.
fn init_hint(e: Error) -> Error {
    match e {
        Error::KeychainUnavailable { reason } => Error::InvalidInput(format!(
            "no OS keychain is available ({reason}): unlock your keyring and try again, or lock the vault with a passphrase instead: export LEADVAULT_PASSPHRASE='a long passphrase' and run `{} init` again (or --passphrase-env NAME to read it from another variable)",
            output::me()
        )),
        other => other,
    }
}

/// A rekey that cannot reach the keychain for the new key: what applies here is a new
/// passphrase (`--new-passphrase-env`), not the `--passphrase-env` that unlocks a vault.
fn rekey_hint(e: Error) -> Error {
    match e {
        Error::KeychainUnavailable { reason } => Error::InvalidInput(format!(
            "no OS keychain is available for the new key ({reason}): unlock your keyring and try again, or give the vault a new passphrase instead: export NEW_PASSPHRASE='a long passphrase' and run `{} vault rekey --new-passphrase-env NEW_PASSPHRASE`",
            output::me()
        )),
        other => other,
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let options = options(&cli)?;
    let passphrase_env = options.passphrase_env.clone();
    match cli.command {
        Command::Init => {
            let unlock = match options.passphrase.clone() {
                Some(p) => Unlock::Passphrase(p),
                None => Unlock::Keychain,
            };
            let vault = Vault::create(options, unlock).await.map_err(init_hint)?;
            let status = vault.status().await;
            vault.close().await;
            let status = status?;
            outln!("Created an encrypted vault at {}", status.path.display())?;
            outln!(
                "Key: {}",
                match status.key_source {
                    leadvault_core::vault::KeySource::Keychain => "a random key in the OS keychain",
                    leadvault_core::vault::KeySource::Passphrase =>
                        "derived from your passphrase (keep it safe: it cannot be recovered)",
                }
            )?;
            match status.key_source {
                leadvault_core::vault::KeySource::Keychain => outln!("Next: {} import FILE", output::me())?,
                // Set for `init` alone (`VAR=... leadvault init`), the next command would find the
                // vault locked.
                leadvault_core::vault::KeySource::Passphrase if passphrase_env == "LEADVAULT_PASSPHRASE" => {
                    outln!(
                        "Next: {} import FILE, with {passphrase_env} set to the passphrase for it and \
                         every command after (export it in your shell)",
                        output::me()
                    )?
                }
                // Another variable is read only when named: every command must name it too.
                leadvault_core::vault::KeySource::Passphrase => outln!(
                    "Next: {} import FILE, with {passphrase_env} set to the passphrase (every command needs \
                     both)",
                    output::me()
                )?,
            }
        }
        Command::Vault { command: VaultCommand::Status { json } } => {
            let vault = Vault::open(options).await?;
            let status = vault.status().await;
            vault.close().await;
            output::status(&status?, json)?;
        }
        Command::Vault { command: VaultCommand::Check } => {
            let vault = Vault::open(options).await?;
            let problems = vault.check().await;
            vault.close().await;
            let problems = problems?;
            if !problems.is_empty() {
                for p in &problems {
                    errln!("{p}");
                }
                return Err(Error::InvalidInput(format!(
                    "the vault failed its integrity check ({} problems above); export what you can and restore a backup",
                    problems.len()
                )));
            }
            outln!("The vault is consistent (integrity check ok).")?;
        }
        Command::Vault { command: VaultCommand::Rekey { new_passphrase_env } } => {
            // Set only for a new passphrase.
            let new_var = new_passphrase_env.clone();
            let unlock = match new_passphrase_env {
                Some(var) => Unlock::Passphrase(
                    read_passphrase(&var, Some("--new-passphrase-env"), PassphraseKind::New)?
                        .expect("explicit variable is set"),
                ),
                None => Unlock::Keychain,
            };
            let vault = Vault::open(options).await?.rekey(unlock).await.map_err(rekey_hint)?;
            let key_source = vault.key_source();
            vault.close().await;
            outln!(
                "The vault is now encrypted with a new key ({}); the old key no longer opens it.",
                match key_source {
                    leadvault_core::vault::KeySource::Keychain => "a random key in the OS keychain",
                    leadvault_core::vault::KeySource::Passphrase => "from the new passphrase",
                }
            )?;
            // The variable that unlocked it still holds the old passphrase: the next command
            // would be refused as a wrong key.
            if let Some(new_var) = new_var.filter(|v| *v != passphrase_env) {
                outln!(
                    "Next: set {passphrase_env} to the new passphrase (the one in {new_var}) for the commands \
                     after"
                )?;
            }
        }
        Command::Import { file, format, source, skip_invalid, json } => {
            // `-` is standard input, as for most tools (a file named so is `./-`).
            #[cfg(unix)]
            let file = if file.as_os_str() == "-" { PathBuf::from("/dev/stdin") } else { file };
            let opts = ImportOptions { format: format.parse()?, source, skip_invalid, ..Default::default() };
            let vault = Vault::open(options).await?;
            let _listening = interrupt::cancels(
                opts.cancel.clone(),
                "stopped at once; nothing of the import was kept unless it was already committing, when all of it was (`leadvault vault status` counts the leads)",
            );
            let progress = output::Progress::new("imported");
            let report = import_file_phased(&vault, &file, &opts, |p| progress.tick_import(p)).await;
            progress.done();
            vault.close().await;
            let report = report.map_err(|e| {
                interrupt::explained(
                    e,
                    "the import was stopped; nothing of it was kept, the vault is as it was",
                )
            })?;
            output::import_report(&report, json)?;
        }
        Command::Leads { command: LeadsCommand::List { filter, limit, sort, json } } => {
            let vault = Vault::open(options).await?;
            let filter = filter.to_filter()?;
            let shown = output::list(&vault, &filter, sort.into(), limit, json).await;
            vault.close().await;
            shown?;
        }
        Command::Leads { command: LeadsCommand::Show { id, json } } => {
            let vault = Vault::open(options).await?;
            let detail = vault.leads().get(&id).await;
            vault.close().await;
            output::detail(&detail?, json)?;
        }
        Command::Leads {
            command: LeadsCommand::Update { id, status, owner, clear_owner, add_tag, remove_tag, note, json },
        } => {
            // Added and removed at once, a tag would end as the order of the two steps left it,
            // with both in its timeline: say so rather than guess which was meant.
            let tag = |t: &String| t.trim().to_lowercase();
            if add_tag.iter().any(|a| remove_tag.iter().any(|r| tag(a) == tag(r))) {
                return Err(Error::InvalidInput(
                    "the same tag is both added and removed; keep it in one of the two (--add-tag or \
                     --remove-tag)"
                        .into(),
                ));
            }
            let vault = Vault::open(options).await?;
            let change = LeadUpdate {
                status,
                owner: if clear_owner { Some(None) } else { owner.map(Some) },
                add_tags: add_tag,
                remove_tags: remove_tag,
                note,
            };
            let updated = vault.leads().update_counted(&id, &change).await;
            vault.close().await;
            let (detail, changes) = updated?;
            // The lead itself only when asked for (--json): the terminal gets what changed.
            match json {
                true => output::detail(&detail, true)?,
                false => output::updated(&detail.lead, &change, changes)?,
            }
        }
        Command::Export { out, format, bom, filter, sort, json } => {
            // `-` reads standard input for `import`; here it would quietly make a file named `-`.
            if out.as_os_str() == "-" {
                return Err(Error::InvalidInput(
                    "--out - would write a file named \"-\": an export goes to a file, never to standard \
                     output; give a file name such as leads.csv (or ./- for that very name)"
                        .into(),
                ));
            }
            // A folder is called a folder, whatever its name says of a format.
            leadvault_core::export::check_target(&out, &options.data_dir)?;
            let format = match format {
                Some(f) => f.parse()?,
                None => ExportFormat::from_path(&out)?,
            };
            if bom && format != ExportFormat::Csv {
                return Err(Error::InvalidInput(
                    "--bom is for CSV files (it helps Excel read their accents); XLSX, JSON and NDJSON need \
                     none: remove --bom, or export to a .csv file"
                        .into(),
                ));
            }
            let filter = filter.to_filter()?;
            let vault = Vault::open(options).await?;
            let cancel = CancellationToken::new();
            let _listening = interrupt::cancels(cancel.clone(), "stopped at once; no file was written");
            let progress = output::Progress::new("exported");
            // How many leads the view holds, for the progress to say when every one is read and
            // the file is being finished (an XLSX takes seconds more); counted alongside, and
            // only when the progress is shown.
            let total = AtomicU64::new(u64::MAX);
            let export_options = ExportOptions { format, excel_bom: bom };
            let exporting = export_cancellable(
                &vault,
                &filter,
                LeadSort::from(sort),
                &out,
                &export_options,
                |n| progress.tick_export(n, Some(total.load(Ordering::Relaxed)).filter(|&t| t != u64::MAX)),
                &cancel,
            );
            let counting = async {
                if progress.is_shown()
                    && let Ok(n) = vault.leads().count(&filter).await
                {
                    total.store(n.max(0) as u64, Ordering::Relaxed);
                }
                std::future::pending::<()>().await
            };
            let report = tokio::select! {
                report = exporting => report,
                _ = counting => unreachable!("counting never ends by itself"),
            };
            progress.done();
            vault.close().await;
            let report =
                report.map_err(|e| interrupt::explained(e, "the export was stopped; no file was written"))?;
            if json {
                outln!("{}", serde_json::to_string(&report).unwrap_or_default())?;
            } else {
                outln!("Exported {} to {}", output::leads(report.rows), report.path.display())?;
            }
        }
        Command::Connect { provider, token_stdin, base_url, label, client_id, no_browser, timeout, json } => {
            let vault = Vault::open(options).await?;
            let args = connect::ConnectArgs {
                provider,
                token_stdin,
                base_url,
                label,
                client_id,
                no_browser,
                timeout_secs: timeout,
                json,
            };
            let done = connect::connect(&vault, args).await;
            vault.close().await;
            done?;
        }
        Command::Connections { command: ConnectionsCommand::List { json } } => {
            let vault = Vault::open(options).await?;
            connect::list(&vault, json).await?;
            vault.close().await;
        }
        Command::Connections { command: ConnectionsCommand::Every { id, interval } } => {
            let every =
                leadvault_connectors::schedule::parse_every(&interval).map_err(Error::InvalidInput)?;
            let vault = Vault::open(options).await?;
            let done = connect::set_every(&vault, &id, every).await;
            vault.close().await;
            done?;
        }
        Command::Connections { command: ConnectionsCommand::Test { id } } => {
            let vault = Vault::open(options).await?;
            let done = connect::test(&vault, &id).await;
            vault.close().await;
            done?;
        }
        Command::Sync { connection, json, watch, every } => {
            let vault = Vault::open(options).await?;
            let args = sync::SyncArgs { connection, json, watch_every: watch.then_some(every) };
            let done = sync::sync(&vault, args).await;
            vault.close().await;
            done?;
        }
        Command::Demo { leads, seed, follow } => {
            demo::demo(options, demo::DemoArgs { leads, seed, follow }).await?;
        }
        Command::Disconnect { id, purge } => {
            let vault = Vault::open(options).await?;
            let done = connect::disconnect(&vault, &id, purge).await;
            vault.close().await;
            done?;
        }
        Command::Ads { command } => ads::run(options, command).await?,
    }
    Ok(())
}
