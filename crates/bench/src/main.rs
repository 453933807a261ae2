//! `leadvault-bench`: the benchmark behind `make bench`.
//!
//! It generates N realistic leads as Meta's lead download (the same file for the same N and
//! seed), then measures Leadvault through its core on a fresh encrypted vault (import, the first
//! page of ≥200 searches, the first page of a list, CSV export, database size) and, in the same
//! run, the `sqlite3` command line on the same file in plain, unencrypted databases: once plainly
//! (`.import` into one table, an FTS5 index, a `-csv` dump) and once like for like (loading the
//! vault's own schema and writing the same rows and columns as Leadvault's CSV export; see
//! `same_schema`).
//! It prints one table comparing them, with the performance issue's targets marked met or not.
//!
//! `leadvault-bench sync` is the sync benchmark: `leadvault sync` pulling N leads from the fake
//! Meta server into a fresh vault, beside Meta's Python SDK reading the same leads from the same
//! server (see `sync_bench`).
//!
//! It is a measurement, not a test: slow figures are reported, never asserted. It fails (one
//! line, exit code 1) only when something does not work.

mod args;
mod generate;
mod names;
mod process;
mod queries;
mod report;
mod same_schema;
mod sqlite_bench;
mod stats;
mod sync_bench;
mod sync_report;
mod vault_bench;

use std::fmt;
use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

use report::{Results, RunInfo};

/// Leads per page, as the app's list shows them.
pub const PAGE: u32 = 50;
/// Measured runs of each list query.
pub const LIST_RUNS: usize = 200;
/// Unmeasured runs of each list query first.
pub const WARM_UP_RUNS: usize = 10;

/// Why the benchmark could not run: one line for the person who ran it.
#[derive(Debug)]
pub struct Fail(pub String);

impl Fail {
    pub fn io(action: &str, path: &Path, e: std::io::Error) -> Fail {
        Fail(format!("could not {action} {}: {e}", path.display()))
    }
}

impl From<leadvault_core::Error> for Fail {
    fn from(e: leadvault_core::Error) -> Fail {
        Fail(e.to_string())
    }
}

/// A progress line on stderr, with the time since the start.
pub fn progress(what: fmt::Arguments) {
    let since = start().elapsed().as_secs_f64();
    eprintln!("[{since:7.1}s] {what}");
}

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// A file's size in bytes, 0 if it is not there.
pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// A database's size in bytes with its WAL and shared memory, as SQLite leaves them.
pub fn db_size(db: &Path) -> u64 {
    ["", "-wal", "-shm"].iter().map(|suffix| file_size(Path::new(&format!("{}{suffix}", db.display())))).sum()
}

/// The first line of a file, without its line break.
pub fn first_line(path: &Path) -> Result<String, Fail> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| Fail::io("open", path, e))?;
    let mut line = String::new();
    std::io::BufReader::new(file).read_line(&mut line).map_err(|e| Fail::io("read", path, e))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn main() -> ExitCode {
    start();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(message)) => {
            eprintln!("error: {}", message.split_whitespace().collect::<Vec<_>>().join(" "));
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Fail> {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("sync") {
        argv.next();
        return sync(argv);
    }
    let Some(args) = args::parse(argv)? else {
        println!("{}", args::USAGE);
        return Ok(());
    };
    if args.generate_only {
        std::fs::create_dir_all(&args.work_dir).map_err(|e| Fail::io("create", &args.work_dir, e))?;
        let (csv, _) = generate::ensure_file(&args.work_dir, args.leads, args.seed)?;
        println!("{}", csv.display());
        return Ok(());
    }
    // Before the long part: without sqlite3 there is nothing to compare with.
    sqlite_bench::version()?;
    std::fs::create_dir_all(&args.work_dir).map_err(|e| Fail::io("create", &args.work_dir, e))?;

    progress(format_args!("generating {} leads (seed {})", args.leads, args.seed));
    let (csv, reused) = generate::ensure_file(&args.work_dir, args.leads, args.seed)?;
    progress(format_args!(
        "{} {} ({} MiB)",
        if reused { "reusing" } else { "wrote" },
        csv.display(),
        file_size(&csv) / (1024 * 1024)
    ));
    let queries = queries::search_queries();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail(format!("could not start the async runtime: {e}")))?;
    let ours = runtime.block_on(vault_bench::run(&csv, &args.work_dir, args.leads, &queries, args.keep))?;
    drop(runtime);
    let reference = sqlite_bench::run(&csv, &args.work_dir, args.leads, &queries, args.keep)?;
    let same_schema = same_schema::run(
        &sqlite_bench::csv_arg(&csv)?,
        &args.work_dir,
        args.leads,
        &reference.version,
        &ours.schema,
        &ours.export_header,
        args.keep,
    )?;

    let run = RunInfo {
        leads: args.leads,
        seed: args.seed,
        data_file: csv,
        search_queries: queries.len(),
        list_runs: LIST_RUNS,
        wall_secs: start().elapsed().as_secs_f64(),
    };
    let kept = ours.kept_vault.clone();
    let results = Results::new(run, ours, reference, same_schema);
    if args.json {
        let json =
            serde_json::to_string_pretty(&results).map_err(|e| Fail(format!("could not print JSON: {e}")))?;
        println!("{json}");
    } else {
        print!("{}", results.table());
    }
    if let Some(dir) = kept {
        progress(format_args!(
            "kept the vault at {} (passphrase {:?}) and the reference database and exports in {}",
            dir.display(),
            vault_bench::PASSPHRASE,
            args.work_dir.display()
        ));
    }
    Ok(())
}

/// `leadvault-bench sync`.
fn sync(argv: impl Iterator<Item = String>) -> Result<(), Fail> {
    let Some(args) = args::parse_sync(argv)? else {
        println!("{}", args::SYNC_USAGE);
        return Ok(());
    };
    let measured = sync_bench::run(&args)?;
    let results =
        sync_report::SyncResults::new(measured, args.leads, args.seed, start().elapsed().as_secs_f64());
    if args.json {
        let json =
            serde_json::to_string_pretty(&results).map_err(|e| Fail(format!("could not print JSON: {e}")))?;
        println!("{json}");
    } else {
        print!("{}", results.table());
    }
    Ok(())
}
