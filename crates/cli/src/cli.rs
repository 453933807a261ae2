//! The command line's shape: commands, flags and how they become core types.

use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use leadvault_core::clock::{local_day_end, local_day_start};
use leadvault_core::error::Error;
use leadvault_core::{LeadFilter, LeadSort, LeadStatus};

use crate::output::errln;

#[derive(Parser)]
#[command(name = "leadvault", version, about = "Your leads in one encrypted vault on your own computer.")]
pub struct Cli {
    /// Where the vault lives [default: the OS data dir, e.g. ~/.local/share/leadvault]
    #[arg(long, global = true, env = "LEADVAULT_DATA_DIR", value_name = "DIR", display_order = 100)]
    pub data_dir: Option<PathBuf>,

    /// Unlock with a passphrase read from this environment variable instead of the OS keychain
    /// [default: LEADVAULT_PASSPHRASE, when it is set]
    #[arg(long, global = true, value_name = "VAR", display_order = 100)]
    pub passphrase_env: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn data_dir(&self) -> Result<PathBuf, Error> {
        match &self.data_dir {
            Some(d) => Ok(d.clone()),
            None => leadvault_core::vault::default_data_dir()
                .ok_or_else(|| Error::InvalidInput("no home directory found; pass --data-dir DIR".into())),
        }
    }
}

/// A command line that gave no [`Cli`]: the message is printed already; this is the exit code.
pub struct Refused {
    pub code: u8,
}

impl Cli {
    /// Parses the process's arguments. `--help` and `--version` print as clap prints them; any
    /// other mistake prints one line (`error: …; see leadvault leads list --help`) and gives
    /// exit code 2, as clap would.
    pub fn parse_args() -> Result<Cli, Refused> {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let typed_data_dir = args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy())
            .take_while(|a| a != "--")
            .any(|a| a == "--data-dir" || a.starts_with("--data-dir="));
        let parsed = Cli::try_parse_from(&args).map(|mut cli| {
            if typed_data_dir {
                cli.data_dir = cli.data_dir.as_deref().map(home_expanded);
            }
            cli
        });
        // A range no lead can be in is a mistake on the command line, as a bad date is: said
        // the same way (exit code 2, the help to read), before the vault is opened.
        if let Ok(cli) = &parsed
            && let Some(filter) = cli.command.filter()
            && let Err(e) = filter.range()
        {
            errln!("error: {e}; see {} --help", command_path(&args));
            return Err(Refused { code: 2 });
        }
        parsed.map_err(|e| {
            use clap::error::ErrorKind;
            // `LEADVAULT_DATA_DIR=$DIR` with DIR unset: said as what it is, not as a missing value
            // of a --data-dir that was never typed; never taken as unset, which would be the
            // user's own vault.
            if empty_data_dir_variable(&e, &args) {
                let usual = leadvault_core::vault::default_data_dir()
                    .map(|d| format!(" ({})", d.display()))
                    .unwrap_or_default();
                errln!(
                    "error: LEADVAULT_DATA_DIR is set but empty; set it to the vault's folder, or unset it to use the usual one{usual}"
                );
                return Refused { code: 1 };
            }
            match e.kind() {
                // Help asked for, or shown because a command was left out: as clap prints it.
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                }
                _ => errln!("{}", one_line(&e, &command_path(&args))),
            }
            Refused { code: u8::try_from(e.exit_code()).unwrap_or(2) }
        })
    }
}

/// A typed `--data-dir` starting with `~` as the home folder: the shell leaves the `~` of
/// `--data-dir=~/leads` (or a quoted one) alone, and a folder named `~` in the current one,
/// reported as "a vault at ~/leads", is never what was meant. A `~` in `LEADVAULT_DATA_DIR` stays
/// as it is, as the window reads it.
fn home_expanded(dir: &Path) -> PathBuf {
    let mut parts = dir.components();
    match (parts.next(), std::env::var_os("HOME").filter(|h| !h.is_empty())) {
        (Some(Component::Normal(first)), Some(home)) if first == "~" => {
            let mut expanded = PathBuf::from(home);
            expanded.extend(parts);
            expanded
        }
        _ => dir.to_path_buf(),
    }
}

/// Whether `e` is the empty value of `--data-dir` that came from an empty `LEADVAULT_DATA_DIR`.
fn empty_data_dir_variable(e: &clap::Error, args: &[std::ffi::OsString]) -> bool {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let is = |kind, check: fn(&str) -> bool| matches!(e.get(kind), Some(ContextValue::String(v)) if check(v));
    e.kind() == ErrorKind::InvalidValue
        && is(ContextKind::InvalidArg, |a| a.starts_with("--data-dir"))
        && is(ContextKind::InvalidValue, str::is_empty)
        && std::env::var_os("LEADVAULT_DATA_DIR").is_some_and(|v| v.is_empty())
        && !args.iter().skip(1).any(|a| a.to_string_lossy().starts_with("--data-dir"))
}

/// clap's message on one line: its first line, then what it lists under it (the possible
/// values, the missing arguments, a tip), then where to read more.
fn one_line(e: &clap::Error, path: &str) -> String {
    let rendered = e.render().to_string();
    let mut lines = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let mut out = lines.next().unwrap_or("error: the command line could not be read").to_string();
    if !out.starts_with("error:") {
        out = format!("error: {out}");
    }
    let mut listed = Vec::new();
    for line in lines {
        if let Some(values) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push_str(&format!(" ({values})"));
        } else if out.ends_with(':') {
            listed.push(line);
        } else {
            out.push_str(&format!("; {line}"));
        }
    }
    if !listed.is_empty() {
        out.push(' ');
        out.push_str(&listed.join(", "));
    }
    format!("{out}; see {path} --help")
}

/// The (sub)command the arguments name, as far as they name one: `leadvault leads list`.
fn command_path(args: &[std::ffi::OsString]) -> String {
    let root = <Cli as clap::CommandFactory>::command();
    let mut chain = vec![&root];
    let mut args = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            // An option's value is not a subcommand: `--data-dir leads` is a folder.
            let takes_value = chain
                .iter()
                .flat_map(|c| c.get_arguments())
                .any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
            if takes_value {
                args.next();
            }
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        let current = chain.last().expect("the root");
        match current.find_subcommand(arg.as_ref()) {
            Some(sub) => chain.push(sub),
            None if current.has_subcommands() => break,
            None => {}
        }
    }
    chain.iter().map(|c| c.get_name()).collect::<Vec<_>>().join(" ")
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new encrypted vault (key in the OS keychain, or from LEADVAULT_PASSPHRASE)
    Init,
    /// Vault status and key rotation
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// Import leads from a CSV, Meta or Google Ads download, or JSON or NDJSON file
    Import {
        /// The file: a CSV (comma, semicolon or tab separated), Meta's or Google's download, JSON
        /// or NDJSON; - (or /dev/stdin) reads standard input
        file: PathBuf,
        /// auto, csv, meta-csv, google-ads-csv, leadvault-csv (an export of this tool) or json (an
        /// array, or one object a line: NDJSON)
        #[arg(long, default_value = "auto", value_parser = import_format)]
        format: String,
        /// Label the leads' source (default: meta, google-ads or import)
        #[arg(long, value_name = "LABEL")]
        source: Option<String>,
        /// Import the valid rows; write the others to FILE.rejects.csv with the reason
        #[arg(long)]
        skip_invalid: bool,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Review leads: list, show, update
    Leads {
        #[command(subcommand)]
        command: LeadsCommand,
    },
    /// Export the leads of a view to CSV, XLSX, JSON or NDJSON
    Export {
        /// The file to write; its extension picks the format unless --format is given
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// csv, xlsx, json or ndjson
        #[arg(long, value_parser = export_format)]
        format: Option<String>,
        /// Start a CSV with a UTF-8 byte order mark (for Excel)
        #[arg(long)]
        bom: bool,
        #[command(flatten)]
        filter: FilterArgs,
        /// newest or oldest first, or score (highest first; leads without one after them)
        #[arg(long, value_enum, default_value = "newest")]
        sort: SortArg,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Connect a provider: sign in through the browser, or paste a long-lived token
    Connect {
        /// meta, google-ads, hubspot, pipedrive or salesforce
        provider: String,
        /// Read a pasted token from standard input (Meta system-user token, HubSpot
        /// private-app token, Pipedrive API token) instead of signing in
        #[arg(long)]
        token_stdin: bool,
        /// Talk to this address instead of the provider's (a local test server)
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// A name for the connection (default: the provider and account)
        #[arg(long)]
        label: Option<String>,
        /// The OAuth app's client id (default: LEADVAULT_<PROVIDER>_CLIENT_ID)
        #[arg(long, value_name = "ID")]
        client_id: Option<String>,
        /// Print the sign-in address without opening a browser
        #[arg(long)]
        no_browser: bool,
        /// How long to wait for the sign-in, in seconds (1 or more)
        #[arg(long, value_name = "SECS", default_value_t = crate::connect::DEFAULT_TIMEOUT_SECS, allow_negative_numbers = true, value_parser = seconds)]
        timeout: u64,
        /// Print the new connection as JSON
        #[arg(long)]
        json: bool,
    },
    /// List, test and schedule connections
    Connections {
        #[command(subcommand)]
        command: ConnectionsCommand,
    },
    /// Revoke a connection's access and forget its secrets
    Disconnect {
        /// The connection's id (`leadvault connections list`)
        #[arg(value_parser = connection_id)]
        id: String,
        /// Also delete every lead, campaign and metric that came from this connection
        #[arg(long)]
        purge: bool,
    },
    /// Pull what is new from every connection (or one): leads, page by page, resumable
    Sync {
        /// Only this connection
        #[arg(long, value_parser = connection_id)]
        connection: Option<String>,
        /// Print a JSON array, one object per connection (with --watch: one array per round)
        #[arg(long)]
        json: bool,
        /// Keep syncing, every --every seconds, until Ctrl-C; a failed round is retried next time
        #[arg(long)]
        watch: bool,
        /// Seconds between rounds with --watch
        #[arg(long, value_name = "SECS", default_value_t = 300, requires = "watch")]
        every: u64,
    },
    /// The whole flow without accounts: simulated Meta, Google Ads and CRMs on 127.0.0.1, a
    /// separate demo vault (<data dir>-demo), every provider connected and synced
    Demo {
        /// Leads each simulated lead source holds
        #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = whole::<u64>)]
        leads: u64,
        /// The same seed gives the same people, campaigns and ids
        #[arg(long, default_value_t = 7, allow_negative_numbers = true, value_parser = whole::<u64>)]
        seed: u64,
        /// Keep going: new leads arrive every SECS seconds and flow through, until Ctrl-C
        #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = whole::<u64>)]
        follow: Option<u64>,
    },
    /// Pause, enable, bid on and schedule ads (Google Ads; Meta: pause and enable), each
    /// change recorded with its value before and after; --dry-run has the provider check it
    Ads {
        #[command(subcommand)]
        command: AdsCommand,
    },
}

#[derive(Subcommand)]
pub enum ConnectionsCommand {
    /// Every connection with its status
    List {
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Check a connection with one cheap call to the provider
    Test {
        /// The connection's id (`leadvault connections list`)
        #[arg(value_parser = connection_id)]
        id: String,
    },
    /// How often the app syncs a connection by itself: 15m, 1h, 90s… (1m at least), manual
    /// (only when asked), or default (15m for lead sources, 5m for CRMs)
    Every {
        /// The connection's id (`leadvault connections list`)
        #[arg(value_parser = connection_id)]
        id: String,
        /// 15m, 1h, 90s… (1m at least), manual or default
        interval: String,
    },
}

#[derive(Subcommand)]
pub enum VaultCommand {
    /// Path, size, lead count, key source and schema version
    Status {
        /// Print the status as JSON
        #[arg(long)]
        json: bool,
    },
    /// Check the vault's consistency (SQLite's integrity check, through the encryption)
    Check,
    /// Re-encrypt under a new random key in the keychain, or a new passphrase
    Rekey {
        /// Take the new passphrase from this environment variable
        #[arg(long, value_name = "VAR")]
        new_passphrase_env: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum LeadsCommand {
    /// List leads, newest first
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// How many to show; 0 for all
        #[arg(long, value_name = "N", default_value_t = 50, allow_negative_numbers = true, value_parser = count::<u64>)]
        limit: u64,
        /// newest or oldest first, or score (highest first; leads without one after them)
        #[arg(long, value_enum, default_value = "newest")]
        sort: SortArg,
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Show one lead with its notes and timeline
    Show {
        /// The lead's id (`leadvault leads list` shows it), in any case, or its first characters
        /// (4 or more) when no other lead's id begins with them
        id: String,
        /// Print the lead, its notes and timeline as JSON
        #[arg(long)]
        json: bool,
    },
    /// Change a lead's status, owner, tags, or add a note
    Update {
        /// The lead's id, or its first characters (as for `leads show`)
        id: String,
        /// new, contacted, qualified, won, lost or spam
        #[arg(long, value_parser = status)]
        status: Option<LeadStatus>,
        /// Assign the lead to someone (any name)
        #[arg(long, conflicts_with = "clear_owner")]
        owner: Option<String>,
        /// Remove the lead's owner
        #[arg(long)]
        clear_owner: bool,
        /// Add a tag (1 to 64 characters without commas, semicolons or |; kept in lower case);
        /// repeat for more
        #[arg(long, value_name = "TAG")]
        add_tag: Vec<String>,
        /// Remove a tag; repeat for more
        #[arg(long, value_name = "TAG")]
        remove_tag: Vec<String>,
        /// Add a note, with the time it was added
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Print the lead as it now is, as JSON (otherwise one line of what changed)
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Clone)]
pub struct FilterArgs {
    /// Search names, emails, phones, companies and notes
    #[arg(long)]
    pub search: Option<String>,
    /// new, contacted, qualified, won, lost or spam
    #[arg(long, value_parser = status)]
    pub status: Option<LeadStatus>,
    /// Where the leads came from (meta, google-ads, import, your label; any case)
    #[arg(long, value_name = "LABEL")]
    pub source: Option<String>,
    /// A tag (any case)
    #[arg(long)]
    pub tag: Option<String>,
    /// Who the leads are assigned to, the whole name (any case)
    #[arg(long)]
    pub owner: Option<String>,
    /// Created on or after: a day (YYYY-MM-DD, from its start in your time zone) or a time
    /// (2026-11-20T14:03 in your time zone, or with its offset: RFC 3339, +0000)
    #[arg(long, value_name = "DATE", value_parser = when)]
    pub since: Option<When>,
    /// Created on or before a day (YYYY-MM-DD, the whole day in your time zone), or before a
    /// time (as --since)
    #[arg(long, value_name = "DATE", value_parser = when)]
    pub until: Option<When>,
}

impl Command {
    /// The filter a command's leads are chosen by (`leads list`, `export`).
    fn filter(&self) -> Option<&FilterArgs> {
        match self {
            Command::Leads { command: LeadsCommand::List { filter, .. } }
            | Command::Export { filter, .. } => Some(filter),
            _ => None,
        }
    }
}

/// Where a range of creation times starts and where it ends (not included), if it does.
type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

impl FilterArgs {
    /// `--since` and `--until` as the times a range starts and ends at; refused when no lead
    /// can be in it.
    fn range(&self) -> Result<Range, Error> {
        let since = self.since.map(|w| w.start());
        let until = self.until.map(|w| w.end());
        if let (Some(s), Some(u)) = (since, until)
            && s >= u
        {
            return Err(Error::InvalidInput(
                "--since is not before --until, so no lead can match; swap them or widen the range".into(),
            ));
        }
        Ok((since, until))
    }

    pub fn to_filter(&self) -> Result<LeadFilter, Error> {
        let (since, until) = self.range()?;
        Ok(LeadFilter {
            search: self.search.clone(),
            status: self.status,
            source: self.source.clone(),
            tag: self.tag.clone(),
            owner: self.owner.clone(),
            since,
            until,
        })
    }
}

/// An `import --format` value, in any case: a typo is a usage error (exit code 2, with the
/// help to read), as a bad `--status` is, before the vault is opened.
fn import_format(s: &str) -> Result<String, String> {
    let s = s.to_ascii_lowercase();
    match s.parse::<leadvault_core::import::Format>() {
        Ok(_) => Ok(s),
        Err(_) => Err("expected auto, csv, meta-csv, google-ads-csv, leadvault-csv or json".into()),
    }
}

/// An `export --format` value, in any case (see [`import_format`]).
fn export_format(s: &str) -> Result<String, String> {
    match s.parse::<leadvault_core::export::ExportFormat>() {
        Ok(_) => Ok(s.to_ascii_lowercase()),
        Err(_) => Err("expected csv, xlsx, json or ndjson".into()),
    }
}

/// A `--status` value.
fn status(s: &str) -> Result<LeadStatus, String> {
    s.parse().map_err(|_| "expected new, contacted, qualified, won, lost or spam".to_string())
}

/// A `--since` or `--until` value: a calendar day, or a moment.
#[derive(Clone, Copy, Debug)]
pub enum When {
    /// A day in the user's time zone.
    Day(NaiveDate),
    At(DateTime<Utc>),
}

impl When {
    /// Where a range from it begins: the day's start, or the moment.
    fn start(self) -> DateTime<Utc> {
        match self {
            When::Day(d) => local_day_start(d),
            When::At(t) => t,
        }
    }

    /// Where a range up to it ends (not included): the next day's start, so the whole day is
    /// in; or the moment.
    fn end(self) -> DateTime<Utc> {
        match self {
            When::Day(d) => local_day_end(d),
            When::At(t) => t,
        }
    }
}

/// Days and times as people and the providers write them: `2026-11-20`; RFC 3339; Meta's
/// `2026-11-20T14:03:11+0000`; and a time without a zone (`2026-11-20T14:03`,
/// `2026-11-20 14:03:11`), which is the user's own.
fn when(s: &str) -> Result<When, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(When::Day(d));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(When::At(t.with_timezone(&Utc)));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok(When::At(t.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return local_time(t).map(When::At).ok_or_else(|| "a time the calendar cannot hold".into());
        }
    }
    Err("expected a day (2026-11-20) or a time (2026-11-20T14:03, 2026-11-20T14:03:00Z, +0000)".into())
}

/// A clock time on the user's clock, as an import reads one: the earlier of a time the clocks
/// show twice (when they go back), and one they skip (when they go forward, 02:30 on a spring
/// night in Europe) as it reads an hour later, as a clock that was not changed would show it.
fn local_time(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    (0..3)
        .filter_map(|h| t.checked_add_signed(chrono::Duration::hours(h)))
        .find_map(|t| chrono::Local.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// A `--limit`: a whole number, 0 or more (`-1` reaches here as a value, so the message says
/// what is wrong with it rather than calling it an unknown flag).
fn count<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| match too_large(s) {
        true => "a number that large cannot be counted to; use 0 for all".to_string(),
        false => "expected a whole number, 0 or more (0 for all)".to_string(),
    })
}

/// A `demo` number (`--leads`, `--seed`, `--follow`): as [`count`], where 0 is not "all".
fn whole<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| match too_large(s) {
        true => "a number that large cannot be counted to".to_string(),
        false => "expected a whole number, 0 or more".to_string(),
    })
}

/// A connection's id as typed: spaces around it (a copy and paste) are dropped; an empty one is
/// a usage error, where it was looked up and reported as "no connection with id ;".
fn connection_id(s: &str) -> Result<String, String> {
    match s.trim() {
        "" => Err("a connection's id is needed; list them with `leadvault connections list`".to_string()),
        id => Ok(id.to_string()),
    }
}

/// A wait in whole seconds, at least one: a sign-in given no time at all could never finish.
fn seconds(s: &str) -> Result<u64, String> {
    match whole::<u64>(s) {
        Ok(0) => Err("a sign-in needs at least 1 second (the default is 300)".to_string()),
        Ok(n) => Ok(n),
        Err(_) if too_large(s) => Err("a number that large cannot be counted to".to_string()),
        Err(_) => Err("expected a whole number of seconds, 1 or more".to_string()),
    }
}

/// Digits only, yet refused: more than the number type holds.
fn too_large(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[derive(ValueEnum, Clone, Copy)]
pub enum SortArg {
    Newest,
    Oldest,
    Score,
}

impl From<SortArg> for LeadSort {
    fn from(s: SortArg) -> Self {
        match s {
            SortArg::Newest => LeadSort::Newest,
            SortArg::Oldest => LeadSort::Oldest,
            SortArg::Score => LeadSort::ScoreHigh,
        }
    }
}

#[derive(Subcommand)]
pub enum AdsCommand {
    /// Pause a campaign
    Pause {
        #[command(flatten)]
        target: CampaignArgs,
        #[command(flatten)]
        flags: ChangeArgs,
    },
    /// Enable (resume) a campaign
    Enable {
        #[command(flatten)]
        target: CampaignArgs,
        #[command(flatten)]
        flags: ChangeArgs,
    },
    /// Set an ad group's or a keyword's CPC bid (Google Ads)
    Bid {
        /// The connection's id (`leadvault connections list`)
        #[arg(long, value_name = "ID", value_parser = connection_id)]
        connection: String,
        /// The ad group's id
        #[arg(long, value_name = "ID", required_unless_present = "keyword", conflicts_with = "keyword")]
        ad_group: Option<String>,
        /// The keyword, as Google names it: AD_GROUP_ID~CRITERION_ID
        #[arg(long, value_name = "ADGROUP~CRITERION")]
        keyword: Option<String>,
        /// The bid in the account's currency, e.g. 1.25
        #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
        cpc: String,
        #[command(flatten)]
        flags: ChangeArgs,
    },
    /// Replace a campaign's whole ad schedule (Google Ads): its slots removed, these created,
    /// all or nothing
    Schedule {
        #[command(flatten)]
        target: CampaignArgs,
        /// A slot: DAYS HH:MM-HH:MM, e.g. "mon-fri 09:00-17:00" or "sat,sun 10:00-14:00"
        /// (quarter hours; at most six a day); repeat for more
        #[arg(long = "set", value_name = "SLOTS", required = true)]
        set: Vec<String>,
        #[command(flatten)]
        flags: ChangeArgs,
    },
    /// The recorded changes, dry runs and failures, newest first
    History {
        /// Only this connection's
        #[arg(long, value_name = "ID", value_parser = connection_id)]
        connection: Option<String>,
        /// How many to show; 0 for all
        #[arg(long, value_name = "N", default_value_t = 50, allow_negative_numbers = true, value_parser = count::<u32>)]
        limit: u32,
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct CampaignArgs {
    /// The connection's id (`leadvault connections list`)
    #[arg(long, value_name = "ID", value_parser = connection_id)]
    pub connection: String,
    /// The campaign's id, as the provider shows it
    #[arg(long, value_name = "ID")]
    pub campaign: String,
}

#[derive(Args)]
pub struct ChangeArgs {
    /// Have the provider check the change without making it (recorded as a dry run)
    #[arg(long)]
    pub dry_run: bool,
    /// Print the recorded change as JSON
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command says what it does and every argument what it takes, so `--help` never
    /// shows a bare `--json` or `<ID>`.
    #[test]
    fn every_command_and_argument_has_its_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if arg.get_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() {
                    missing.push(path.clone());
                }
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "leadvault", &mut missing);
        assert!(missing.is_empty(), "without a help text: {missing:#?}");
    }
}
