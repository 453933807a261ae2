//! Importing leads from files: generic CSV, Meta's lead download, Google Ads lead forms, JSON.
//!
//! One file per format holds its vocabulary ([`profile::Profile`]); this module reads any of
//! them the same way. Parsing runs on a blocking thread and hands batches to the store over a
//! bounded channel, so memory stays flat whatever the file's size; all rows go in one
//! transaction, so a failed import writes nothing. Importing a file twice adds nothing: each
//! lead is keyed by its source and its id (or, without one, a hash of its row).

mod csv;
mod google_ads_csv;
mod json;
pub(crate) mod leadvault_csv;
mod meta_csv;
pub(crate) mod profile;

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::domain::NewLead;
use crate::error::{Error, Result};
use crate::outfile::OutFile;
use crate::store::leads::Inserter;
use crate::store::raw::{CancelOnDrop, reporting};
use crate::vault::Vault;
use profile::{Profile, fold};

/// Rows handed to the store at a time.
const BATCH: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    #[default]
    Auto,
    Csv,
    MetaCsv,
    GoogleAdsCsv,
    /// Leadvault's own CSV export.
    LeadvaultCsv,
    Json,
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "auto" => Format::Auto,
            "csv" => Format::Csv,
            "meta-csv" | "meta" => Format::MetaCsv,
            "google-ads-csv" | "google-ads" => Format::GoogleAdsCsv,
            "leadvault-csv" | "leadvault" => Format::LeadvaultCsv,
            "json" | "ndjson" | "jsonl" => Format::Json,
            other => {
                return Err(Error::invalid(format!(
                    "unknown import format {other:?}; use auto, csv, meta-csv, google-ads-csv, leadvault-csv or json"
                )));
            }
        })
    }
}

impl Format {
    fn profile(self) -> &'static Profile {
        match self {
            Format::MetaCsv => &meta_csv::PROFILE,
            Format::GoogleAdsCsv => &google_ads_csv::PROFILE,
            Format::LeadvaultCsv => &leadvault_csv::PROFILE,
            Format::Csv | Format::Json | Format::Auto => &csv::PROFILE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Json => "json",
            other => other.profile().name,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub format: Format,
    /// The source label the leads are filed under; by default the format's (`meta`, ...).
    pub source: Option<String>,
    /// Import the valid rows and write the others to `FILE.rejects.csv`.
    pub skip_invalid: bool,
    /// Stops the import (Ctrl-C, the window closing): it then ends with [`Error::Cancelled`]
    /// once nothing of it is kept, neither leads nor a rejects file.
    pub cancel: CancellationToken,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub format: Format,
    pub source: String,
    /// Rows read from the file.
    pub read: u64,
    /// Leads new to the vault.
    pub added: u64,
    /// Rows whose lead the vault already had.
    pub unchanged: u64,
    /// Rows skipped as invalid (only with `skip_invalid`).
    pub rejected: u64,
    pub rejects_file: Option<PathBuf>,
    /// The rows kept the source each one names (a Leadvault export imported without
    /// `--source`); `source` is then the label of those that name none.
    pub sources_from_file: bool,
}

/// What the parser thread reports when it has read the whole file.
struct Parsed {
    format: Format,
    source: String,
    /// Leadvault's own export (CSV or JSON): its leads keep the sources it names.
    own_export: bool,
    read: u64,
    rejected: u64,
    /// Written in full, named only once the leads are in.
    rejects_file: Option<(OutFile, PathBuf)>,
}

/// Where an import is, for a progress display: the leads added so far, and whether every row
/// is read and written and the import is finishing (making the new leads searchable and
/// committing them: about half of a big import's time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportProgress {
    pub added: u64,
    pub finishing: bool,
}

/// Imports `path` into the vault. `progress` hears the number of leads added so far.
pub async fn import_file(
    vault: &Vault,
    path: &Path,
    options: &ImportOptions,
    progress: impl Fn(u64) + Send,
) -> Result<ImportReport> {
    import_file_phased(vault, path, options, move |p| progress(p.added)).await
}

/// [`import_file`], with its progress saying when the import is finishing.
///
/// Two threads: one parses, one writes on a bulk connection of its own (the parser sends
/// [`Batch::Done`] last, and the writer commits only then). Dropping the returned future
/// cancels the import: the writer rolls back at its next batch.
pub async fn import_file_phased(
    vault: &Vault,
    path: &Path,
    options: &ImportOptions,
    progress: impl Fn(ImportProgress) + Send,
) -> Result<ImportReport> {
    let started = std::time::Instant::now();
    let mut options = options.clone();
    if let Some(label) = &options.source {
        options.source = Some(vault.leads().source_as_filed(&check_source_label(label)?).await?);
    }
    let options = &options;
    let (tx, rx) = mpsc::channel::<Batch>(4);
    let now = vault.clock.now();
    let parser = {
        let (path, options) = (path.to_path_buf(), options.clone());
        tokio::task::spawn_blocking(move || {
            let parsed = parse_file(&path, &options, now, &tx)?;
            tx.blocking_send(Batch::Done).map_err(|_| Error::Cancelled)?;
            Ok(parsed)
        })
    };
    let added = Arc::new(AtomicU64::new(0));
    let finishing = Arc::new(AtomicBool::new(false));
    let cancel = CancelOnDrop::new();
    let writer = {
        let (added, dropped, token) = (added.clone(), cancel.flag(), options.cancel.clone());
        let finishing = finishing.clone();
        let stop = move || dropped.load(Ordering::Relaxed) || token.is_cancelled();
        vault.with_raw(move |conn| write_leads(conn, rx, now, &added, &finishing, stop))
    };
    let phase = |added| progress(ImportProgress { added, finishing: finishing.load(Ordering::Relaxed) });
    let stored = reporting(writer, &added, &phase).await;
    let (p, added) = outcome(path, parser.await, stored)?;
    // The rejected rows get their file's name only now, when the leads are in: an import that
    // fails leaves neither a rejects file nor a half-written one.
    let rejects_file = p.rejects_file.map(|(file, path)| keep_rejects(file, &path)).transpose()?;
    progress(ImportProgress { added, finishing: false });
    let report = ImportReport {
        format: p.format,
        source: p.source,
        read: p.read,
        added,
        unchanged: p.read - p.rejected - added,
        rejected: p.rejected,
        rejects_file,
        sources_from_file: p.own_export && options.source.is_none(),
    };
    info!(
        format = report.format.name(),
        read = report.read,
        added,
        rejected = report.rejected,
        ms = started.elapsed().as_millis() as u64,
        "import finished"
    );
    Ok(report)
}

/// What an import came to, from its parser's end and its writer's. Each side stops with
/// `Cancelled` when the other went away first, so the cause is reported: the parser's own
/// failure (a row, the file, a panic: its thread ended without an answer), then the writer's.
fn outcome(
    path: &Path,
    parsed: std::result::Result<Result<Parsed>, tokio::task::JoinError>,
    stored: Result<u64>,
) -> Result<(Parsed, u64)> {
    match (parsed, stored) {
        (Ok(Ok(p)), Ok(added)) => Ok((p, added)),
        // Not `Cancelled`: nobody stopped it, and the window would say the user had; nor bad
        // input (`invalid_input`): the file may be fine.
        (Err(_), _) => Err(Error::Import {
            path: path.display().to_string(),
            message: "the import failed on an unexpected error while reading it; nothing of it was kept, \
                      the vault is as it was: try again, and report it if it happens again"
                .into(),
        }),
        (Ok(Err(e)), _) if !matches!(e, Error::Cancelled) => Err(e),
        (_, Err(e)) | (Ok(Err(e)), _) => Err(e),
    }
}

/// The most characters a source label may have, as a tag.
const SOURCE_MAX_CHARS: usize = 64;

/// A `--source` label, trimmed; refused when empty, too long or holding a control character.
fn check_source_label(label: &str) -> Result<String> {
    let label = label.trim();
    if label.is_empty() {
        return Err(Error::invalid("the --source label is empty; give a name such as \"trade-show\""));
    }
    if label.chars().count() > SOURCE_MAX_CHARS || label.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "a --source label must be 1 to {SOURCE_MAX_CHARS} characters on one line; give a short name \
             such as \"trade-show\""
        )));
    }
    Ok(label.to_string())
}

/// What the parser hands the writer: rows, then `Done` once the whole file was read well.
enum Batch {
    Rows(Vec<NewLead>),
    Done,
}

/// Writes every batch in one transaction; commits only when the parser says `Done`. `stop`
/// says when to give up: it is asked at every batch, and by SQLite itself while it works
/// (indexing a million new leads for search takes seconds), which then rolls back.
fn write_leads(
    conn: &mut rusqlite::Connection,
    mut rx: mpsc::Receiver<Batch>,
    now: DateTime<Utc>,
    added: &AtomicU64,
    finishing: &AtomicBool,
    stop: impl Fn() -> bool + Clone + Send + std::panic::RefUnwindSafe + 'static,
) -> Result<u64> {
    conn.progress_handler(STOP_CHECK_OPS, Some(stop.clone()))?;
    let written = write_in_transaction(conn, &mut rx, now, added, finishing, &stop);
    // A statement that SQLite stopped fails as interrupted: the import was cancelled.
    if written.is_err() && stop() {
        return Err(Error::Cancelled);
    }
    written
}

/// How many of SQLite's virtual machine steps pass between two looks at an import's `stop`:
/// a few milliseconds' work.
const STOP_CHECK_OPS: std::ffi::c_int = 100_000;

fn write_in_transaction(
    conn: &mut rusqlite::Connection,
    rx: &mut mpsc::Receiver<Batch>,
    now: DateTime<Utc>,
    added: &AtomicU64,
    finishing: &AtomicBool,
    stop: &impl Fn() -> bool,
) -> Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut ins = Inserter::new(&tx, now)?.checking_ids()?;
    loop {
        match rx.blocking_recv() {
            Some(Batch::Rows(rows)) => {
                if stop() {
                    return Err(Error::Cancelled);
                }
                for lead in &rows {
                    ins.insert(lead)?;
                }
                added.store(ins.added, Ordering::Relaxed);
            }
            Some(Batch::Done) => break,
            // The parser stopped early: its error is the one to report; nothing is kept.
            None => return Err(Error::Cancelled),
        }
    }
    finishing.store(true, Ordering::Relaxed);
    let count = ins.finish()?;
    // Past this point the import is kept: a stop that comes during the commit is too late.
    tx.progress_handler(0, None::<fn() -> bool>)?;
    tx.commit()?;
    Ok(count)
}

/// One lead as Meta's Graph API returns it (`id`, `created_time`, `field_data`, the ad, ad set,
/// campaign and form ids and names, `platform`, `is_organic`), mapped as the JSON import maps
/// it, so a synced lead and the same lead imported from a saved response are the same lead.
/// Nothing Meta sent is dropped: a value that fails its check (an odd phone number) is kept
/// as a custom field. The only error is a node without a usable id or time, as a reason
/// without the offending value.
pub fn lead_from_graph(
    node: &serde_json::Map<String, serde_json::Value>,
    source: &str,
    now: DateTime<Utc>,
) -> std::result::Result<NewLead, String> {
    json::to_lead(Format::Json.profile(), node, source, now, true)
}

/// One Google Ads lead form submission as the Ads API returns it (a `leadFormSubmissionData`
/// row, camelCase JSON), mapped with the Google Ads file format's vocabulary so a synced lead
/// and the same lead imported from a download are the same lead: source `google-ads`,
/// platform `google`. Nothing Google sent is dropped (see `google_ads_csv::submission_to_lead`);
/// the only error is a row without an id or a submission time, as a reason without values.
pub fn lead_from_google_ads(
    row: &serde_json::Map<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> std::result::Result<NewLead, String> {
    google_ads_csv::submission_to_lead(row, now)
}

/// Reads the whole file on the calling (blocking) thread, sending batches of leads.
fn parse_file(
    path: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    tx: &mpsc::Sender<Batch>,
) -> Result<Parsed> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(Error::invalid(format!(
            "{shown} is a folder; give the file to import (a .csv or .json file in it)"
        )));
    }
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let (head, sep, reader) = first_line(decoded(file, path)?).map_err(|e| Error::io("read", path, e))?;
    let reader = BufReader::with_capacity(1 << 16, reader);
    // The separator Excel's `sep=` line names, or the one the header uses most.
    let delimiter = sep.unwrap_or_else(|| delimiter(&head));
    let format = match options.format {
        Format::Auto => detect(path, &head, delimiter),
        f => f,
    };
    let profile = format.profile();
    if options.format != Format::Auto && format != Format::Json {
        check_columns(format, &head, delimiter)
            .map_err(|message| Error::Import { path: shown.clone(), message })?;
    }
    // A `--source` was checked and put as the vault files it by `import_file`.
    let mut source = options.source.clone().unwrap_or_else(|| profile.default_source.to_string());
    let rejects_path = rejects_path_for(path);
    let mut sink = Sink {
        tx,
        batch: Vec::with_capacity(BATCH),
        ties: Ties::default(),
        read: 0,
        rejected: 0,
        rejects: None,
    };
    let fail = |place: String, reason: &str| Error::InvalidRow {
        path: shown.clone(),
        place,
        reason: reason.to_string(),
    };
    // A source named on the command line labels every lead, whatever the file says.
    let relabel = |mut lead: NewLead| {
        if let Some(s) = &options.source {
            lead.source.clone_from(s);
        }
        lead
    };
    // Whether the file is Leadvault's own export, whose leads keep their sources.
    let own_export = match format {
        // Meta's API shape is filed under Meta's source, unless the import names one.
        Format::Json => {
            let export;
            (source, export) = json::read(
                reader,
                &shown,
                profile,
                options.source.as_deref(),
                now,
                |place, lead, record| {
                    sink.take(
                        lead.map(relabel),
                        options.skip_invalid,
                        &rejects_path,
                        || vec![place.kind().into(), "reason".into(), "record".into()],
                        |reason| vec![place.number().to_string(), reason.to_string(), record()],
                    )
                    .map_err(|stop| stop.into_error(|r| fail(place.to_string(), r)))
                },
            )?;
            export
        }
        _ => {
            read_csv(
                reader,
                delimiter,
                profile,
                &source,
                now,
                &shown,
                is_rejects_file(path),
                |line, header, lead, record| {
                    sink.take(
                        lead.map(relabel),
                        options.skip_invalid,
                        &rejects_path,
                        || header.iter().cloned().chain([profile::REJECT_REASON.to_string()]).collect(),
                        |reason| rejected_row(header.len(), record, &format!("line {line}: {reason}")),
                    )
                    .map_err(|stop| stop.into_error(|r| fail(format!("line {line}"), r)))
                },
            )?;
            format == Format::LeadvaultCsv
        }
    };
    sink.finish()?;
    let rejects_file = match sink.rejects.take() {
        Some((mut w, file)) => {
            w.flush().map_err(|e| Error::io("write", &rejects_path, e))?;
            Some((file, rejects_path))
        }
        None => None,
    };
    Ok(Parsed { format, source, own_export, read: sink.read, rejected: sink.rejected, rejects_file })
}

/// Where the rows of `path` that an import rejects are written: beside it (`FILE.rejects.csv`);
/// for a pipe or a device, or a name in the system's folders of them (`/dev/stdin`, which is a
/// file when the shell redirects one to it, `/proc/self/fd/0`), whose folder is no place for a
/// file of leads, in the current folder under its name (`./stdin.rejects.csv`).
fn rejects_path_for(path: &Path) -> PathBuf {
    let regular = std::fs::metadata(path).map(|m| m.is_file()).unwrap_or(true);
    // `/dev/stdin`, `/dev/fd/N`, `/proc/…/fd/N`; not a file of `/dev/shm`.
    let systems = path.parent().is_some_and(|dir| {
        dir == Path::new("/dev") || dir.starts_with("/dev/fd") || dir.starts_with("/proc")
    });
    match (regular && !systems, path.file_name()) {
        // Standard input by its number is named as standard input.
        (false, Some(name)) if name == "0" && systems => PathBuf::from("stdin.rejects.csv"),
        (false, Some(name)) => PathBuf::from(format!("{}.rejects.csv", name.to_string_lossy())),
        _ => PathBuf::from(format!("{}.rejects.csv", path.display())),
    }
}

/// The rejected rows' file, which gets its name only when the leads are in: `FILE.rejects.csv`,
/// or, when an earlier import left one (which its owner may be fixing), `FILE.rejects-2.csv`
/// and on.
fn keep_rejects(file: OutFile, path: &Path) -> Result<PathBuf> {
    let stem = path.to_string_lossy().strip_suffix(".csv").unwrap_or_default().to_string();
    let names = std::iter::once(path.to_path_buf())
        .chain((2..=MAX_REJECTS_FILES).map(|n| PathBuf::from(format!("{stem}-{n}.csv"))));
    file.keep_as_new(names)
        .map_err(|e| Error::RejectsNotSaved { path: path.to_path_buf(), reason: e.to_string() })
}

/// How many rejects files of one file may lie beside it before an import refuses to add one.
const MAX_REJECTS_FILES: u32 = 999;

/// A rejected CSV row as the rejects file holds it: its cells, padded to the header's width, the
/// reason under `reason`, then any cells beyond the header's width. A cell that is not UTF-8 is
/// read as Windows-1252, which every byte is (and which a spreadsheet saved as "CSV" on Windows
/// most often is): `José` stays `José` for the fix and the next import, not `Jos\u{fffd}`.
fn rejected_row(width: usize, record: &::csv::ByteRecord, reason: &str) -> Vec<String> {
    let text = |f: &[u8]| match std::str::from_utf8(f) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(f).0.into_owned(),
    };
    let mut cells: Vec<String> = record.iter().map(text).collect();
    let extra = cells.split_off(width.min(cells.len()));
    cells.resize(width, String::new());
    cells.push(reason.to_string());
    cells.extend(extra);
    cells
}

/// A creation time written as a number since 1970, as RFC 3339 text for [`profile::parse_time`]
/// when that number is not whole seconds (which it reads as they are): its size tells the unit,
/// as no lead is from before 1973 or after 5000. From 10^11 it is milliseconds (HubSpot,
/// JavaScript's `Date.now()`: `1763647391000`, not the year 57857), from 10^14 microseconds,
/// from 10^17 nanoseconds; a fraction (`1763647391.25`) is kept. `None` for anything else.
pub(super) fn epoch_as_rfc3339(value: &str) -> Option<String> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // As `parse_time` reads seconds: nine digits at least (`20261001` is not a time).
    if whole.len() < 9 || whole.len() > 30 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let n: u128 = whole.parse().ok()?;
    let unit_nanos: u128 = match n {
        _ if n < 100_000_000_000 => 1_000_000_000,
        _ if n < 100_000_000_000_000 => 1_000_000,
        _ if n < 100_000_000_000_000_000 => 1_000,
        _ => 1,
    };
    if unit_nanos == 1_000_000_000 && fraction.is_empty() {
        return None;
    }
    // The fraction's first nine digits, as nanoseconds of the unit.
    let frac9: String = fraction.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos = n.checked_mul(unit_nanos)? + frac9.parse::<u128>().ok()? * unit_nanos / 1_000_000_000;
    let secs = i64::try_from(nanos / 1_000_000_000).ok()?;
    let at = DateTime::from_timestamp(secs, (nanos % 1_000_000_000) as u32)?;
    Some(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Why a lead's creation time `at` (from the column `column`) cannot be one: before 1970, or
/// more than a day after `now` (a day's grace for clocks and time zones).
pub(super) fn creation_time_refused(at: DateTime<Utc>, now: DateTime<Utc>, column: &str) -> Option<String> {
    if at < DateTime::UNIX_EPOCH {
        Some(format!("column {column:?} is a date before 1970, too early for a lead"))
    } else if at > now + chrono::Duration::days(1) {
        Some(format!(
            "column {column:?} is a date more than a day in the future (a number there is read as \
             seconds, milliseconds or microseconds since 1970)"
        ))
    } else {
        None
    }
}

/// Why reading stopped: the store or the disk failed, or (without `--skip-invalid`) a row was
/// invalid, for the reason given.
enum Stop {
    Failed(Error),
    Invalid(String),
}

impl Stop {
    fn into_error(self, invalid: impl FnOnce(&str) -> Error) -> Error {
        match self {
            Stop::Failed(e) => e,
            Stop::Invalid(reason) => invalid(&reason),
        }
    }
}

/// Collects good rows into batches and bad rows into the rejects file.
struct Sink<'t> {
    tx: &'t mpsc::Sender<Batch>,
    batch: Vec<NewLead>,
    /// The leads of one creation second, held until the file's order around them is seen.
    ties: Ties,
    read: u64,
    rejected: u64,
    rejects: Option<(::csv::Writer<File>, OutFile)>,
}

impl Sink<'_> {
    fn take(
        &mut self,
        lead: std::result::Result<NewLead, String>,
        skip_invalid: bool,
        rejects_path: &Path,
        header: impl FnOnce() -> Vec<String>,
        record: impl FnOnce(&str) -> Vec<String>,
    ) -> std::result::Result<(), Stop> {
        self.read += 1;
        match lead {
            Ok(lead) => self.hold(lead).map_err(Stop::Failed),
            Err(reason) if skip_invalid => {
                self.rejected += 1;
                let failed = |e: ::csv::Error| {
                    Stop::Failed(Error::invalid(format!(
                        "could not write {}: {e}; check the folder's free space and permissions",
                        rejects_path.display()
                    )))
                };
                if self.rejects.is_none() {
                    // Dropped (and so gone) if even the header cannot be written.
                    let file = OutFile::create(rejects_path).map_err(|e| failed(e.into()))?;
                    let writer = file.writer().map_err(|e| failed(e.into()))?;
                    // Rows with more cells than the header keep them after the reason.
                    let mut w = ::csv::WriterBuilder::new().flexible(true).from_writer(writer);
                    let names = header().into_iter().map(|h| crate::export::csv::neutralise(&h).into_owned());
                    w.write_record(names.collect::<Vec<_>>()).map_err(failed)?;
                    self.rejects = Some((w, file));
                }
                let (w, _) = self.rejects.as_mut().expect("just opened");
                // Guarded as the CSV export guards a cell a spreadsheet would run as a formula
                // (the header too): the file is meant to be opened and fixed. Its import takes
                // the guard off.
                let cells =
                    record(&reason).into_iter().map(|c| crate::export::csv::neutralise(&c).into_owned());
                w.write_record(cells.collect::<Vec<_>>()).map_err(failed)?;
                Ok(())
            }
            Err(reason) => Err(Stop::Invalid(reason)),
        }
    }

    /// Takes a good lead: into the run of leads of its creation second, after settling the run
    /// before it when that was of another second.
    fn hold(&mut self, lead: NewLead) -> Result<()> {
        let second = list_second(&lead);
        if self.ties.second != Some(second) {
            self.settle(Some(second))?;
            self.ties.second = Some(second);
        }
        if self.ties.too_long {
            return self.push(lead);
        }
        self.ties.run.push(lead);
        if self.ties.run.len() > TIES_HELD {
            // As many as a file without times has (each lead of it created now): in the file's
            // order, as a run no other second decides is.
            self.ties.too_long = true;
            for lead in std::mem::take(&mut self.ties.run) {
                self.push(lead)?;
            }
        }
        Ok(())
    }

    /// Sends the run of one second's leads on, `next` being the second of the lead after it.
    ///
    /// The vault lists leads of one second in the order they arrived, the last first (see
    /// `store::leads`' sort key). In a file listed newest first (Leadvault's own export, Meta's
    /// download) they are listed so already: they go in last to first, so the vault lists them
    /// as the file does and an export imported again comes out in its own order. In a file
    /// listed oldest first they go in as they come, which the vault lists in reverse, as it
    /// lists the file. The lead after the run says which (or at the end of the file, the one
    /// before it); a file of one second keeps its order.
    fn settle(&mut self, next: Option<i64>) -> Result<()> {
        let Some(second) = self.ties.second else { return Ok(()) };
        let newest_first = match next {
            Some(next) => next < second,
            None => self.ties.before.is_some_and(|before| before > second),
        };
        let mut run = std::mem::take(&mut self.ties.run);
        if newest_first {
            run.reverse();
        }
        for lead in run {
            self.push(lead)?;
        }
        self.ties = Ties { before: Some(second), ..Ties::default() };
        Ok(())
    }

    fn push(&mut self, lead: NewLead) -> Result<()> {
        self.batch.push(lead);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends every lead still held: the file has been read.
    fn finish(&mut self) -> Result<()> {
        self.settle(None)?;
        self.flush()
    }

    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // A closed channel means the store failed; its error is the one to report.
        self.tx.blocking_send(Batch::Rows(batch)).map_err(|_| Error::Cancelled)
    }
}

/// The most leads of one second held to be put in the file's order (see [`Sink::settle`]): a
/// few megabytes of them.
const TIES_HELD: usize = 10_000;

/// The leads of one creation second that came one after another in a file, as [`Sink`] holds
/// them.
#[derive(Default)]
struct Ties {
    run: Vec<NewLead>,
    /// Their second, as the vault's list order counts it.
    second: Option<i64>,
    /// The second of the run before them.
    before: Option<i64>,
    /// More came than are held: the rest of them go on in the file's order.
    too_long: bool,
}

/// The second of a lead's creation as the list order counts it (its sort key's first part, times
/// held to 1970–2100: see migration 0002): leads of the same one are listed by arrival.
fn list_second(lead: &NewLead) -> i64 {
    lead.created_at.timestamp_millis().clamp(0, 4_102_444_800_000) / 1000
}

/// Whether `path` is named as the rejects file of an import (`FILE.rejects.csv`).
fn is_rejects_file(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()) else {
        return false;
    };
    let Some(rest) = name.strip_suffix(".csv") else { return false };
    // `FILE.rejects.csv`, or `FILE.rejects-2.csv` beside an earlier one.
    let rest = rest.trim_end_matches(|c: char| c.is_ascii_digit());
    rest.ends_with(".rejects") || (rest.ends_with(".rejects-") && rest.len() < name.len() - 4)
}

/// A cell as the CSV export wrote it, back as it was: the export puts a `'` before a cell that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first), and
/// that `'` alone is taken off again.
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.trim_start_matches('\'').as_bytes().first(),
                Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
            ) =>
        {
            rest
        }
        _ => cell,
    }
}

/// Reads a delimited file with a header row; calls `row` with each record's line, the header,
/// the mapped lead (or why not) and the raw record. In a rejects file (`rejects_file`), a last
/// column named `reason` (as older versions named it) is the reason, left out like
/// `leadvault_reject_reason`.
#[allow(clippy::too_many_arguments)]
fn read_csv(
    reader: impl BufRead,
    delimiter: u8,
    profile: &Profile,
    source: &str,
    now: DateTime<Utc>,
    shown: &str,
    rejects_file: bool,
    mut row: impl FnMut(u64, &[String], std::result::Result<NewLead, String>, &::csv::ByteRecord) -> Result<()>,
) -> Result<()> {
    let export = profile.name == leadvault_csv::PROFILE.name;
    // Leadvault's export and an import's rejects file guard formula cells with a `'`.
    let guarded = export || rejects_file;
    let lines = Rc::new(RefCell::new(LineBreaks::default()));
    // Excel's `sep=;` line says the separator and is not the header: it is line 1.
    let mut reader = reader;
    let start = reader.fill_buf().map_err(|e| Error::io("read", shown, e))?;
    let mut delimiter = delimiter;
    if let Some((sep, len)) = sep_line(start) {
        reader.consume(len);
        delimiter = sep;
        lines.borrow_mut().passed = 1;
    }
    let counted = Counted { inner: reader, breaks: lines.clone() };
    let mut csv = ::csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(counted);
    let raw_header = csv
        .headers()
        .map_err(|e| Error::Import {
            path: shown.into(),
            message: format!("the header row could not be read: {e}"),
        })?
        .clone();
    let mut header: Vec<String> = raw_header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}'))
        .map(|h| if guarded { unguard(h) } else { h }.to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(Error::Import {
            path: shown.into(),
            message: "the file is empty or has no header row".into(),
        });
    }
    // Column names hold no control characters but tabs, line breaks and form feeds (a question
    // quoted over two lines; FileMaker's vertical tab): a first line with others (NUL, bell,
    // escape, ...) is not text at all. C1 controls are left alone: a stray byte that makes a
    // file Windows-1252 turns UTF-8's accents into them.
    let binary = |c: char| c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\u{b}' | '\u{c}');
    if header.iter().any(|h| h.chars().any(binary)) {
        return Err(Error::Import {
            path: shown.into(),
            message: "this is not a CSV or JSON file (its first line is not text but binary data); \
                      import a CSV file with a header row, or a JSON file"
                .into(),
        });
    }
    // In Leadvault's own export, the columns after its own are form answers, whatever their
    // names (an answer called `email` or `updated_at` is not the lead's).
    let own = if export { leadvault_csv::own_columns(&header) } else { header.len() };
    if export {
        // Its answers' names as the export wrote them: a name with spaces around it (a JSON
        // key) is another answer's than the name without them.
        for (name, raw) in header.iter_mut().zip(&raw_header).skip(own) {
            let raw = unguard(raw);
            if !raw.trim().is_empty() {
                *name = raw.to_string();
            }
        }
    }
    let mut targets: Vec<_> = header
        .iter()
        .enumerate()
        .map(|(i, h)| if i < own { profile.target(&fold(h)) } else { None })
        .collect();
    if rejects_file && header.last().is_some_and(|h| fold(h) == "reason") {
        *targets.last_mut().expect("a last column") = Some(profile::Target::Skip);
    }
    // A column without a name keeps its answers under `column N`; two columns with one name
    // keep their values under distinct keys (`Comment (2)`). The content id, and the rejects
    // file's header, keep the names as the file has them.
    let named = named_columns(&header);
    let keys = match export {
        // Its answers may share a name with its own columns: they are kept apart anyway.
        true => named[..own].iter().cloned().chain(profile::distinct_names(&named[own..])).collect(),
        false => profile::distinct_names(&named),
    };
    let created_columns: Vec<usize> =
        (0..targets.len()).filter(|&i| targets[i] == Some(profile::Target::CreatedAt)).collect();
    let mut record = ::csv::ByteRecord::new();
    loop {
        // Where the record starts, as an editor numbers lines (the csv crate's own count stops
        // before a CRLF's LF and before blank lines): asked once the record is read.
        let from = csv.position().byte();
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.borrow_mut().line_from(from);
                if record.iter().all(|f| f.trim_ascii().is_empty()) {
                    continue; // a blank line, or only empty cells (`,,,` ending an Excel export)
                }
                let lead = if !record.iter().all(|f| std::str::from_utf8(f).is_ok()) {
                    Err("it is not valid UTF-8 text (save the file as UTF-8 or UTF-16)".to_string())
                } else if record.len() != header.len() {
                    Err(wrong_width(&record, header.len()))
                } else {
                    // Only Leadvault's export and a rejects file have their formula guard taken
                    // off: in any other file a `'` is the user's own.
                    let text = || {
                        record.iter().map(|f| std::str::from_utf8(f).unwrap_or_default()).map(|f| {
                            match guarded {
                                true => unguard(f),
                                false => f,
                            }
                        })
                    };
                    // A creation time in milliseconds (or µs) since 1970, as the time it is.
                    let epochs: Vec<(usize, String)> = created_columns
                        .iter()
                        .filter_map(|&i| Some((i, epoch_as_rfc3339(text().nth(i)?)?)))
                        .collect();
                    let cols = targets.iter().zip(&keys).zip(text()).enumerate().map(|(i, ((t, h), v))| {
                        let v = epochs.iter().find(|(at, _)| *at == i).map_or(v, |(_, t)| t.as_str());
                        // A phone number or a score never begins with a `'`: in any file, one
                        // before `+` or `-` is a spreadsheet's guard (an export edited into a
                        // plain CSV).
                        let number = matches!(t, Some(profile::Target::Phone | profile::Target::Score));
                        let v = if number { unguard(v) } else { v };
                        (*t, h.as_str(), v)
                    });
                    // Skipped columns (a rejects file's reason) are not the row's content.
                    let row_id = || {
                        let named = header.iter().map(String::as_str).zip(text());
                        let kept =
                            targets.iter().zip(named).filter(|(t, _)| **t != Some(profile::Target::Skip));
                        profile::content_id(kept.map(|(_, pair)| pair))
                    };
                    profile.to_lead(cols, source, now, row_id, false).and_then(|lead| {
                        // The column it came from: the last creation time column with a value.
                        let column = || {
                            let named = keys.iter().zip(text()).enumerate().rev();
                            named
                                .filter(|(i, (_, v))| created_columns.contains(i) && !v.trim().is_empty())
                                .map(|(_, (k, _))| k.as_str())
                                .next()
                                .unwrap_or_default()
                        };
                        match creation_time_refused(lead.created_at, now, column()) {
                            Some(reason) => Err(reason),
                            None => Ok(lead),
                        }
                    })
                };
                row(line, &header, lead, &record)?;
            }
            Err(e) => {
                let line = lines.borrow_mut().line_from(from);
                return Err(match e.into_kind() {
                    ::csv::ErrorKind::Io(io) => Error::io("read", shown, io),
                    _ => Error::Import {
                        path: shown.into(),
                        message: format!(
                            "line {line} could not be read as CSV; fix the file and import it again"
                        ),
                    },
                });
            }
        }
    }
    Ok(())
}

/// The header's names, a column without one named by its place: `column 2` for the second
/// (`column 2 (2)`, ... if the file has a column of that name already).
fn named_columns(header: &[String]) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> = header.iter().cloned().collect();
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if !h.is_empty() {
                return h.clone();
            }
            let name = format!("column {}", i + 1);
            let free = std::iter::once(name.clone())
                .chain((2..).map(|n| format!("{name} ({n})")))
                .find(|k| !taken.contains(k))
                .expect("a free name");
            taken.insert(free.clone());
            free
        })
        .collect()
}

/// The line ends (`\r`, `\n`) of the text the CSV reader has taken so far, by byte offset: only
/// those not yet passed are kept, so at most a read-ahead buffer's worth.
#[derive(Default)]
struct LineBreaks {
    /// Bytes handed to the reader so far.
    offset: u64,
    /// Offsets of the line-end bytes not yet passed, and whether each is a `\n`.
    ahead: std::collections::VecDeque<(u64, bool)>,
    /// Line ends passed (a `\r\n` is one).
    passed: u64,
}

impl LineBreaks {
    /// The line, as an editor numbers it, of the first byte at or after `offset` that is not a
    /// line end: where a record read from `offset` starts (the CSV reader skips empty lines).
    /// Offsets are asked in increasing order, and only once the record was read.
    fn line_from(&mut self, offset: u64) -> u64 {
        let mut at = offset;
        while let Some(&(o, lf)) = self.ahead.front() {
            if o > at {
                break;
            }
            if o == at {
                at += 1; // a line end right there: the record starts after it
            }
            self.ahead.pop_front();
            // A line ends at a `\n`, or at a `\r` without one after it (old Mac files).
            let crlf = !lf && self.ahead.front().is_some_and(|&(next, lf)| lf && next == o + 1);
            self.passed += u64::from(lf || !crlf);
        }
        self.passed + 1
    }
}

/// A reader that notes where the line ends are in what it hands on.
struct Counted<R> {
    inner: R,
    breaks: Rc<RefCell<LineBreaks>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        let start = breaks.offset;
        for (i, b) in buf[..n].iter().enumerate().filter(|(_, b)| matches!(**b, b'\n' | b'\r')) {
            breaks.ahead.push_back((start + i as u64, *b == b'\n'));
        }
        breaks.offset += n as u64;
        Ok(n)
    }
}

/// Why a record with `record.len()` cells does not fit a header of `width`.
fn wrong_width(record: &::csv::ByteRecord, width: usize) -> String {
    let n = record.len();
    let mut reason =
        format!("it has {n} {} but the header has {width}", if n == 1 { "field" } else { "fields" });
    if record.iter().any(|f| f.contains(&b'\n')) {
        reason.push_str(" (a quote that is never closed joins the lines after it)");
    }
    reason
}

/// Reads up to the end of the header line (at most 64 KiB), and gives back that line, the
/// separator an Excel `sep=` line before it names (see [`excel_sep`]), and a reader that still
/// yields the whole input.
#[allow(clippy::type_complexity)]
fn first_line(mut r: Box<dyn Read + Send>) -> std::io::Result<(Vec<u8>, Option<u8>, impl Read + Send)> {
    let mut head = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    // Reads on until `head[from..]` holds a whole line (or 64 KiB of it, or the file ends).
    let mut read_line_from = |head: &mut Vec<u8>, from: usize| -> std::io::Result<()> {
        while !head[from..].contains(&b'\n') && head.len() - from < 1 << 16 {
            match r.read(&mut chunk)? {
                0 => break,
                n => head.extend_from_slice(&chunk[..n]),
            }
        }
        Ok(())
    };
    read_line_from(&mut head, 0)?;
    let (sep, from) = match sep_line(&head) {
        Some((sep, len)) => {
            read_line_from(&mut head, len)?;
            (Some(sep), len)
        }
        None => (None, 0),
    };
    let line = head[from..].split(|b| *b == b'\n').next().unwrap_or_default().to_vec();
    Ok((line, sep, std::io::Cursor::new(head).chain(r)))
}

/// The separator named by Excel's `sep=` line, when `text` starts with one, and the length of
/// that line with its line end (`\r\n`, `\n` or `\r`).
fn sep_line(text: &[u8]) -> Option<(u8, usize)> {
    let end = text.iter().position(|b| matches!(b, b'\r' | b'\n')).unwrap_or(text.len());
    let sep = excel_sep(&text[..end])?;
    let len = match &text[end..] {
        [b'\r', b'\n', ..] => end + 2,
        [] => end,
        _ => end + 1,
    };
    Some((sep, len))
}

/// The separator a first line such as `sep=;` names: Excel writes it (or reads it) in some
/// locales to say which separator the file uses, and it is not the header. Quoted (`"sep=;"`)
/// or followed by empty cells (`sep=;;;`, as a spreadsheet saves it back) too.
fn excel_sep(line: &[u8]) -> Option<u8> {
    let mut line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    // Not a tab, which may be the separator itself.
    while let [rest @ .., b' ' | b'\r'] = line {
        line = rest;
    }
    let quoted = line.strip_prefix(b"\"");
    let rest = quoted.unwrap_or(line);
    if !rest.get(..4)?.eq_ignore_ascii_case(b"sep=") {
        return None;
    }
    let sep = *rest.get(4)?;
    if sep.is_ascii_alphanumeric() || matches!(sep, b'"' | b'\r' | b'\n' | b' ') {
        return None;
    }
    let mut tail = &rest[5..];
    if quoted.is_some() {
        tail = tail.strip_prefix(b"\"")?;
    }
    tail.iter().all(|b| *b == sep || b.is_ascii_whitespace()).then_some(sep)
}

/// The delimiter the header line uses most outside quoted cells: tab, comma or semicolon
/// (comma when none). A quoted column name may hold any of them (`"Which? (a; b; c)"`); a quote
/// opens a quoted cell only at a cell's start (the line's, or after one of the three), as in
/// CSV, so an inch mark (`Screen 27"`) opens nothing.
fn delimiter(header_line: &[u8]) -> u8 {
    const CANDIDATES: [u8; 3] = [b';', b'\t', b','];
    let mut counts = [0usize; 3];
    let (mut quoted, mut at_start) = (false, true);
    let mut bytes = header_line.iter().peekable();
    while let Some(&b) = bytes.next() {
        if quoted {
            if b == b'"' {
                // A doubled quote is a quote inside the cell; a single one closes it.
                if bytes.peek() == Some(&&b'"') {
                    bytes.next();
                } else {
                    quoted = false;
                }
            }
        } else if let Some(i) = CANDIDATES.iter().position(|d| *d == b) {
            counts[i] += 1;
            at_start = true;
            continue;
        } else if b == b'"' && at_start {
            quoted = true;
        }
        at_start = false;
    }
    // The last of equal counts: comma before semicolon and tab.
    CANDIDATES.into_iter().zip(counts).max_by_key(|(_, n)| *n).map_or(b',', |(d, _)| d)
}

/// Refuses a file forced to `format` that lacks a column every file of that format has (a Meta
/// download read as Google's would keep Meta's id prefixes under the wrong source), naming the
/// columns and the format the file looks like.
fn check_columns(format: Format, head: &[u8], delimiter: u8) -> std::result::Result<(), String> {
    let headers = header_names(head, delimiter);
    let missing: Vec<&str> = format
        .profile()
        .required_columns
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let likely = detect(Path::new(""), head, delimiter);
    let suggestion = if likely == format || likely == Format::Csv {
        "check the file, or import it with --format auto".to_string()
    } else {
        format!(
            "it looks like {}: import it with --format auto (or --format {})",
            likely.name(),
            likely.name()
        )
    };
    Err(format!(
        "--format {} needs the column{} {}, which the header lacks; {suggestion}; nothing was imported",
        format.name(),
        if missing.len() == 1 { "" } else { "s" },
        missing.join(" and "),
    ))
}

/// The header line's column names, folded (see [`fold`]).
fn header_names(head: &[u8], delimiter: u8) -> Vec<String> {
    ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(head)
        .byte_records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(|h| fold(&String::from_utf8_lossy(h))).collect())
        .unwrap_or_default()
}

/// Which format a file is, from its extension and its header line, cut at `delimiter`.
fn detect(path: &Path, head: &[u8], delimiter: u8) -> Format {
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    let json = ["json", "ndjson", "jsonl"];
    let named_json = path.extension().is_some_and(|e| json.iter().any(|j| e.eq_ignore_ascii_case(j)));
    if named_json || matches!(first, Some(b'[' | b'{')) {
        return Format::Json;
    }
    let headers = header_names(head, delimiter);
    if leadvault_csv::looks_like(&headers) {
        Format::LeadvaultCsv
    } else if meta_csv::looks_like(&headers) {
        Format::MetaCsv
    } else if google_ads_csv::looks_like(&headers) {
        Format::GoogleAdsCsv
    } else {
        Format::Csv
    }
}

/// How much of a file decides its encoding when it has no BOM and is not UTF-16: text that is not
/// UTF-8 there is Windows-1252.
const ENCODING_SAMPLE: usize = 1 << 16;

/// The file as UTF-8: UTF-8 passes through (its BOM dropped); UTF-16 (Meta's downloads), with
/// or without a BOM, is transcoded on the fly, as is a file whose first 64 KiB are not UTF-8:
/// that is Windows-1252, which Excel's "CSV (Comma delimited)" and "CSV (MS-DOS)" write on
/// Windows (every byte is a character there, so such a file imports whole). A file that is
/// UTF-8 at its start stays UTF-8, and a row further on that is not is refused as such.
/// A spreadsheet workbook (or another archive) is refused here, with what to do, before it is
/// read as text. The file is read once, from start to end, so a pipe (`/dev/stdin`, a shell's
/// `<(...)`) imports as a file does.
fn decoded(mut file: File, path: &Path) -> Result<Box<dyn Read + Send>> {
    let mut sample = vec![0u8; ENCODING_SAMPLE];
    let n = read_up_to(&mut file, &mut sample).map_err(|e| Error::io("read", path, e))?;
    sample.truncate(n);
    if let Some(kind) = binary_kind(&sample[..n.min(4096)]) {
        return Err(Error::Import { path: path.display().to_string(), message: kind.to_string() });
    }
    Ok(Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(encoding(&sample))
            .bom_override(true)
            .strip_bom(true)
            .utf8_passthru(true)
            .build(std::io::Cursor::new(sample).chain(file)),
    ))
}

/// The encoding of a file that starts with `sample` (its first [`ENCODING_SAMPLE`] bytes, or the
/// whole file), when its BOM does not say: UTF-16 from the first 512 bytes' NULs, else UTF-8
/// (`None`) if the sample is (a character cut at its end included), else Windows-1252.
fn encoding(sample: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let n = sample.len().min(512);
    let head = &sample[..n];
    let nul_at = |parity: usize| head.iter().enumerate().filter(|(i, b)| i % 2 == parity && **b == 0).count();
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) || head.starts_with(b"\xEF\xBB\xBF")
    {
        None // the BOM says which
    } else if n >= 4 && nul_at(1) > n / 4 {
        Some(encoding_rs::UTF_16LE)
    } else if n >= 4 && nul_at(0) > n / 4 {
        Some(encoding_rs::UTF_16BE)
    } else {
        match std::str::from_utf8(sample) {
            // Only a sequence cut short by the sample's end is no reason to doubt it.
            Err(e) if e.error_len().is_some() => Some(encoding_rs::WINDOWS_1252),
            _ => None,
        }
    }
}

/// What a file that is not text is, from its first bytes, and what to do with it: Excel and
/// OpenDocument workbooks are ZIP archives (`PK\x03\x04`), old `.xls` files OLE2 compound
/// documents.
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if head.starts_with(b"PK\x03\x04") {
        // An OpenDocument file names its type first, in a `mimetype` entry.
        return Some(if has(b"application/vnd.oasis.opendocument.spreadsheet") {
            "this looks like an OpenDocument spreadsheet (.ods), not CSV: save it as CSV (UTF-8) and import that"
        } else if has(b"[Content_Types].xml") || has(b"xl/") || has(b"docProps/") {
            "this looks like an Excel workbook (.xlsx), not CSV: save it as CSV (UTF-8) and import that"
        } else {
            "this is a ZIP archive, not CSV or JSON: unpack it, or if it is a spreadsheet save it as CSV (UTF-8) and import that"
        });
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some(
            "this looks like an Excel 97-2003 workbook (.xls), not CSV: save it as CSV (UTF-8) and import that",
        );
    }
    // bzip2: `BZh`, the block size, then the first block's magic (the digits of pi).
    let bzip2 = head.starts_with(b"BZh") && head.get(4..10) == Some(b"1AY&SY");
    let compressed: [(&[u8], &str); 4] = [
        (b"\x1f\x8b", "gzip"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    ];
    let kind = compressed.into_iter().find(|(magic, _)| head.starts_with(magic)).map(|(_, kind)| kind);
    Some(match kind.or(bzip2.then_some("bzip2"))? {
        "gzip" => {
            "this is a compressed file (gzip), not CSV or JSON: unpack it first and import the file inside"
        }
        "xz" => "this is a compressed file (xz), not CSV or JSON: unpack it first and import the file inside",
        "zstd" => {
            "this is a compressed file (zstd), not CSV or JSON: unpack it first and import the file inside"
        }
        "bzip2" => {
            "this is a compressed file (bzip2), not CSV or JSON: unpack it first and import the file inside"
        }
        _ => {
            "this is a compressed archive (7-Zip), not CSV or JSON: unpack it first and import the file inside"
        }
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `import /dev/stdin < leads.csv` reads a file through `/dev/stdin`: its rejected rows go
    /// to `./stdin.rejects.csv`, not into `/dev` (where root could write them) or nowhere.
    #[test]
    fn rejects_of_a_file_read_through_dev_or_proc_go_to_the_current_folder() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let fd = std::fs::File::open(file.path()).unwrap();
        use std::os::fd::AsRawFd;
        let through = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        assert!(std::fs::metadata(&through).unwrap().is_file(), "it reads as a regular file");
        let name = through.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(rejects_path_for(&through), PathBuf::from(format!("{name}.rejects.csv")));
        assert_eq!(rejects_path_for(Path::new("/dev/stdin")), PathBuf::from("stdin.rejects.csv"));
        for stdin in ["/proc/self/fd/0", "/dev/fd/0"] {
            assert_eq!(rejects_path_for(Path::new(stdin)), PathBuf::from("stdin.rejects.csv"), "{stdin}");
        }
        let beside = rejects_path_for(file.path());
        assert_eq!(beside, PathBuf::from(format!("{}.rejects.csv", file.path().display())));
        // A file of /dev/shm is a file like any other.
        let shm = Path::new("/dev/shm/leads.csv");
        assert_eq!(rejects_path_for(shm), PathBuf::from("/dev/shm/leads.csv.rejects.csv"));
    }

    #[test]
    fn an_import_reports_what_stopped_it_not_the_other_sides_cancelled() {
        let parsed = || Parsed {
            format: Format::Csv,
            source: "import".into(),
            own_export: false,
            read: 1,
            rejected: 0,
            rejects_file: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        // A reader that panicked (a bug) stopped the writer, which rolled back as cancelled.
        let panicked = rt.block_on(async {
            tokio::task::spawn_blocking(|| -> Result<Parsed> { panic!("a reader's bug") }).await
        });
        let e = outcome(Path::new("f.csv"), panicked, Err(Error::Cancelled)).err().unwrap();
        assert_eq!(e.code(), "import", "{e}");
        assert!(e.to_string().contains("nothing of it was kept") && !e.to_string().contains("bug"), "{e}");
        // A refused row, with the writer cancelled after it.
        let row = Error::InvalidRow { path: "f.csv".into(), place: "line 2".into(), reason: "x".into() };
        let e = outcome(Path::new("f.csv"), Ok(Err(row)), Err(Error::Cancelled)).err().unwrap();
        assert_eq!(e.code(), "invalid_row");
        // The writer's failure, with the reader cancelled after it, or after reading it all.
        let e = outcome(Path::new("f.csv"), Ok(Err(Error::Cancelled)), Err(Error::Busy)).err().unwrap();
        assert_eq!(e.code(), "busy");
        let e = outcome(Path::new("f.csv"), Ok(Ok(parsed())), Err(Error::DiskFull)).err().unwrap();
        assert_eq!(e.code(), "disk_full");
        // Stopped on purpose: the writer says so.
        let e = outcome(Path::new("f.csv"), Ok(Err(Error::Cancelled)), Err(Error::Cancelled)).err().unwrap();
        assert_eq!(e.code(), "cancelled");
        assert_eq!(outcome(Path::new("f.csv"), Ok(Ok(parsed())), Ok(1)).unwrap().1, 1);
    }

    #[test]
    fn rejects_files_are_known_by_their_names() {
        for (name, is) in [
            ("leads.csv.rejects.csv", true),
            ("leads.csv.rejects-2.csv", true),
            ("LEADS.CSV.REJECTS-117.CSV", true),
            ("leads.csv.rejects-.csv", false),
            ("leads.csv", false),
            ("rejects.csv", false),
        ] {
            assert_eq!(is_rejects_file(Path::new(name)), is, "{name}");
        }
    }

    #[test]
    fn a_synced_lead_keeps_values_that_fail_their_check_as_fields() {
        let node = serde_json::json!({
            "id": "1200000000001",
            "created_time": "2026-11-20T10:00:00+0000",
            "field_data": [
                {"name": "phone_number", "values": ["12"]},
                {"name": "email", "values": ["not an address"]},
                {"name": "budget", "values": ["5000"]}
            ],
            "is_organic": true
        });
        let node = node.as_object().unwrap();
        let lead = lead_from_graph(node, "meta", Utc::now()).expect("kept, not refused");
        assert_eq!(lead.external_id, "1200000000001");
        assert!(lead.phone.is_none() && lead.email.is_none());
        assert_eq!(lead.fields["phone_number"], "12");
        assert_eq!(lead.fields["email"], "not an address");
        assert_eq!(lead.fields["budget"], "5000");
        assert_eq!(lead.ad.is_organic, Some(true));
        // The file import still refuses such a row, with the reason.
        let strict = json::to_lead(Format::Json.profile(), node, "meta", Utc::now(), false).unwrap_err();
        assert!(strict.contains("phone") || strict.contains("email"), "{strict}");
    }

    #[test]
    fn a_google_ads_submission_maps_through_the_google_vocabulary() {
        let row = serde_json::json!({
            "resourceName": "customers/1234567890/leadFormSubmissionData/100000000007",
            "id": "100000000007",
            "asset": "customers/1234567890/assets/40000000001",
            "campaign": "customers/1234567890/campaigns/111",
            "adGroup": "customers/1234567890/adGroups/222",
            "adGroupAd": "customers/1234567890/adGroupAds/222~333",
            "gclid": "Cj0KCQ-test",
            "submissionDateTime": "2026-10-01 11:15:00+02:00",
            "leadFormSubmissionFields": [
                {"fieldType": "FIRST_NAME", "fieldValue": "Avery"},
                {"fieldType": "LAST_NAME", "fieldValue": "Ashdown"},
                {"fieldType": "EMAIL", "fieldValue": "avery@example.com"},
                {"fieldType": "WORK_EMAIL", "fieldValue": "a.ashdown@example.org"},
                {"fieldType": "PHONE_NUMBER", "fieldValue": "12"},
                {"fieldType": "COMPANY_NAME", "fieldValue": "Quarry Works"},
                {"fieldType": "POSTAL_CODE", "fieldValue": "10001"}
            ],
            "customLeadFormSubmissionFields": [
                {"questionText": "What is your budget?", "fieldValue": "$5k - $15k"}
            ]
        });
        let lead = lead_from_google_ads(row.as_object().unwrap(), Utc::now()).unwrap();
        assert_eq!((lead.source.as_str(), lead.external_id.as_str()), ("google-ads", "100000000007"));
        assert_eq!(lead.created_at.to_rfc3339(), "2026-10-01T09:15:00+00:00", "the offset is honoured");
        assert_eq!(lead.full_name.as_deref(), Some("Avery Ashdown"));
        assert_eq!(lead.email.as_ref().map(|e| e.as_str()), Some("avery@example.com"));
        assert_eq!(lead.fields["WORK_EMAIL"], "a.ashdown@example.org", "a second email is kept, not lost");
        assert!(lead.phone.is_none());
        assert_eq!(lead.fields["PHONE_NUMBER"], "12", "a value failing its check is kept as a field");
        assert_eq!(lead.company.as_deref(), Some("Quarry Works"));
        assert_eq!(lead.fields["POSTAL_CODE"], "10001");
        assert_eq!(lead.fields["What is your budget?"], "$5k - $15k");
        assert_eq!(lead.fields["gclid"], "Cj0KCQ-test");
        let ad = &lead.ad;
        assert_eq!(
            (ad.campaign_id.as_deref(), ad.adset_id.as_deref(), ad.ad_id.as_deref(), ad.form_id.as_deref()),
            (Some("111"), Some("222"), Some("333"), Some("40000000001"))
        );
        assert_eq!(ad.platform.as_deref(), Some("google"));

        let mut no_time = row.as_object().unwrap().clone();
        no_time.remove("submissionDateTime");
        let reason = lead_from_google_ads(&no_time, Utc::now()).unwrap_err();
        assert!(reason.contains("submission time") && !reason.contains("avery"), "{reason}");
    }

    #[test]
    fn epoch_numbers_are_read_in_the_unit_their_size_says() {
        for (n, want) in [
            ("1763647391000", Some("2025-11-20T14:03:11Z")),
            ("1763647391123", Some("2025-11-20T14:03:11.123Z")),
            ("1763647391000000", Some("2025-11-20T14:03:11Z")),
            ("1763647391000000000", Some("2025-11-20T14:03:11Z")),
            ("1763647391.5", Some("2025-11-20T14:03:11.500Z")),
            ("1763647391000.0", Some("2025-11-20T14:03:11Z")),
            (" 1763647391000 ", Some("2025-11-20T14:03:11Z")),
            ("1763647391", None), // whole seconds: parse_time reads them as they are
            ("20261001", None),
            ("-1763647391000", None),
            ("1763647391000x", None),
            ("2026-10-01", None),
            ("", None),
        ] {
            assert_eq!(epoch_as_rfc3339(n).as_deref(), want, "{n:?}");
        }
    }

    #[test]
    fn a_creation_time_in_milliseconds_is_read_as_such_and_one_out_of_range_refuses_the_row() {
        let text = "name,email,created_at\n\
                    Ana,ana@example.com,1763647391000\n\
                    Bo,bo@example.com,1763647391\n\
                    Cy,cy@example.com,1900-01-01\n\
                    Di,di@example.com,2999-01-01T00:00:00Z\n\
                    Ed,ed@example.com,99999999999999999999\n";
        let rows = csv_rows(Format::Csv, text);
        let at = |i: usize| rows[i].as_ref().unwrap().created_at.to_rfc3339();
        assert_eq!(at(0), "2025-11-20T14:03:11+00:00", "milliseconds, not the year 57857");
        assert_eq!(at(1), "2025-11-20T14:03:11+00:00", "seconds");
        let reason = |i: usize| rows[i].as_ref().unwrap_err().clone();
        assert!(reason(2).contains("\"created_at\" is a date before 1970"), "{}", reason(2));
        assert!(reason(3).contains("more than a day in the future"), "{}", reason(3));
        assert!(reason(4).contains("more than a day in the future"), "{}", reason(4));
        for i in 2..5 {
            assert!(!reason(i).contains("example") && !reason(i).contains("2999"), "{}", reason(i));
        }
        // The content id is the row's as written: a file imported before is recognised.
        let before = csv_rows(Format::Csv, "name,created_at\nAna,1763647391000\n");
        let ms = before[0].as_ref().unwrap();
        let id = profile::content_id([("name", "Ana"), ("created_at", "1763647391000")].into_iter());
        assert_eq!(ms.external_id, id);

        let item = |v: serde_json::Value| v.as_object().unwrap().clone();
        let profile = Format::Json.profile();
        let now = Utc::now();
        for created in [serde_json::json!(1763647391000_u64), serde_json::json!("1763647391000")] {
            let lead = json::to_lead(
                profile,
                &item(serde_json::json!({"name": "Ana", "created_at": created})),
                "t",
                now,
                false,
            )
            .unwrap();
            assert_eq!(lead.created_at.to_rfc3339(), "2025-11-20T14:03:11+00:00");
        }
        let meta = item(
            serde_json::json!({"id": "1", "created_time": -5, "field_data": [{"name": "full_name", "values": ["Ana"]}]}),
        );
        assert!(json::to_lead(profile, &meta, "t", now, false).unwrap_err().contains("not a date"));
        let old = item(serde_json::json!({"name": "Ana", "created_time": "1969-12-31T23:59:59Z"}));
        let reason = json::to_lead(profile, &old, "t", now, false).unwrap_err();
        assert!(reason.contains("\"created_time\" is a date before 1970"), "{reason}");
        // A provider's lead is kept whatever its time says.
        assert!(json::to_lead(profile, &old, "t", now, true).is_ok());
    }

    #[test]
    fn workbooks_are_told_apart_from_text() {
        let xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml\x9d\x93";
        assert!(binary_kind(xlsx).unwrap().contains("Excel workbook (.xlsx)"));
        let ods =
            b"PK\x03\x04\x14\x00\x00\x08\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheetPK";
        assert!(binary_kind(ods).unwrap().contains("OpenDocument spreadsheet (.ods)"));
        let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00leads.csv\x01\x02";
        assert!(binary_kind(zip).unwrap().contains("unpack it"));
        let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0];
        assert!(binary_kind(&xls).unwrap().contains("(.xls)"));
        for text in [&b"name,email\nPK,pk@example.com\n"[..], b"PK,email\n", b"\xff\xfen\x00a\x00", b""] {
            assert_eq!(binary_kind(text), None, "{text:?}");
        }
    }

    #[test]
    fn compressed_files_are_named_with_what_to_do() {
        for (head, kind) in [
            (&b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"[..], "(gzip)"),
            (b"BZh91AY&SY\x00", "(bzip2)"),
            (b"\xfd7zXZ\x00\x00\x04", "(xz)"),
            (b"\x28\xb5\x2f\xfd\x04\x58", "(zstd)"),
            (b"7z\xbc\xaf\x27\x1c\x00\x04", "(7-Zip)"),
        ] {
            let what = binary_kind(head).unwrap_or_default();
            assert!(what.contains(kind) && what.contains("unpack it first"), "{kind}: {what}");
        }
        assert_eq!(binary_kind(b"BZh,email\nx,x@example.com\n"), None, "a column named BZh");
    }

    #[test]
    fn a_file_that_is_not_utf8_at_its_start_is_windows_1252() {
        let win = encoding_rs::WINDOWS_1252;
        assert_eq!(encoding(b"Name,Correo electr\xf3nico\r\nJos\xe9,jose@example.com\r\n"), Some(win));
        assert_eq!(encoding("Name,Correo electrónico\nJosé,j@example.com\n".as_bytes()), None);
        assert_eq!(encoding(b"name,email\nAna,ana@example.com\n"), None);
        assert_eq!(encoding(b""), None);
        // A character cut by the sample's end is still UTF-8; a BOM says UTF-8 whatever follows.
        assert_eq!(encoding(&"name,note\nAna,caf\u{e9}".as_bytes()[..18]), None);
        assert_eq!(encoding(b"\xef\xbb\xbfname\nJos\xe9\n"), None);
        // UTF-16 as before.
        assert_eq!(encoding(b"n\x00a\x00m\x00e\x00"), Some(encoding_rs::UTF_16LE));
        assert_eq!(encoding(b"\x00n\x00a\x00m\x00e"), Some(encoding_rs::UTF_16BE));
    }

    #[test]
    fn the_exports_formula_guard_comes_off_and_nothing_else() {
        for (cell, back) in [
            ("'=SUM(A1)", "=SUM(A1)"),
            ("'+1 555 010 1234", "+1 555 010 1234"),
            ("'-2", "-2"),
            ("'@x", "@x"),
            ("'\tx", "\tx"),
            ("'\rx", "\rx"),
            ("'quoted", "'quoted"),
            ("''=x", "'=x"),
            ("'", "'"),
            ("=x", "=x"),
            ("", ""),
        ] {
            assert_eq!(unguard(cell), back, "{cell:?}");
        }
        // Whatever the export guards, the import gives back exactly: a value that itself starts
        // with a `'` before a formula character included.
        for value in ["=x", "'=x", "''+1", "'quoted", "plain", "'", "-", "'-", "''", "@"] {
            assert_eq!(unguard(&crate::export::csv::neutralise(value)), value, "{value:?}");
        }
    }

    #[test]
    fn a_quote_mark_in_any_other_csv_is_the_users_own() {
        let text = "name,email,comment,note\nAna,ana@example.com,'=A1 is my seat,'@Bo\n";
        let rows = csv_rows(Format::Csv, text);
        let ana = rows[0].as_ref().unwrap();
        assert_eq!(ana.fields["comment"], "'=A1 is my seat");
        assert_eq!(ana.notes[0].body, "'@Bo");
    }

    #[test]
    fn the_last_id_column_wins_as_it_always_has_and_the_other_is_kept() {
        let text = "ID,name,email,Lead ID\n1,Cy,cy@example.com,L-77\n";
        let lead = csv_rows(Format::Csv, text).remove(0).unwrap();
        assert_eq!(lead.external_id, "L-77");
        assert_eq!(lead.fields["ID"], "1", "the earlier id column is kept as a field");
    }

    #[test]
    fn an_exports_answers_keep_their_names_whatever_they_are() {
        let header = crate::export::COLUMNS.join(",") + ",email,Updated At,id";
        let text = format!(
            "{header}\n01JB000000000000000000000A,meta,2301001,2026-10-01T09:15:00Z,Ana,,,,new,,,,,,,,,,,,fb,false,2026-11-01T00:00:00Z,,not an address,soon,x-1\n"
        );
        let lead = csv_rows(Format::LeadvaultCsv, &text).remove(0).unwrap();
        assert_eq!((lead.source.as_str(), lead.external_id.as_str()), ("meta", "2301001"));
        assert_eq!(lead.email, None);
        assert_eq!(lead.fields["email"], "not an address");
        assert_eq!(lead.fields["Updated At"], "soon");
        assert_eq!(lead.fields["id"], "x-1");
    }

    #[test]
    fn an_export_is_recognised_and_keeps_its_sources_and_ids() {
        let header = crate::export::COLUMNS.join(",") + ",Comment";
        assert_eq!(detect(Path::new("x.csv"), header.as_bytes(), b','), Format::LeadvaultCsv);
        let text = format!(
            "{header}\n01JB000000000000000000000A,meta,2301001,2026-10-01T09:15:00Z,Ana,ana@example.com,'+1 555 010 1234,,won,,,,,,,,,,,,fb,false,2026-11-01T00:00:00Z,,'=hi\n"
        );
        let rows = csv_rows(Format::LeadvaultCsv, &text);
        let lead = rows[0].as_ref().unwrap();
        assert_eq!((lead.source.as_str(), lead.external_id.as_str()), ("meta", "2301001"));
        assert_eq!(lead.phone.as_ref().map(|p| p.as_str()), Some("+1 555 010 1234"));
        assert_eq!(lead.fields, serde_json::json!({"Comment": "=hi"}).as_object().cloned().unwrap());

        // A rejects file's reason is not part of the row's content id.
        let with =
            csv_rows(Format::Csv, "name,email,leadvault_reject_reason\nAna,ana@example.com,line 2: x\n");
        let without = csv_rows(Format::Csv, "name,email\nAna,ana@example.com\n");
        let (with, without) = (with[0].as_ref().unwrap(), without[0].as_ref().unwrap());
        assert_eq!(with.external_id, without.external_id);
        assert!(with.fields.is_empty());
    }

    #[test]
    fn separators_inside_quoted_header_cells_do_not_count() {
        let head = b"name,email,\"Which services? (design; build; maintain; support)\"";
        assert_eq!(delimiter(head), b',');
        assert_eq!(delimiter(b"name;email;\"a, b\"\"c, d\"\"\""), b';', "doubled quotes stay inside");
        assert_eq!(delimiter(b"name\temail\t\"x;y;z\""), b'\t');
        assert_eq!(delimiter(b"name"), b',');
        assert_eq!(
            delimiter(b"Name, first;Screen 27\";E-Mail;Telefon;Stadt"),
            b';',
            "an inch mark opens nothing"
        );
        assert_eq!(delimiter(b"\"Size 27\"\"\",name,email"), b',');
        // Detection reads the quoted names whole.
        let meta = b"id,created_time,\"ad_id\",form_id,is_organic,\"What? (a, b, c)\"";
        assert_eq!(detect(Path::new("m.csv"), meta, b','), Format::MetaCsv);
    }

    #[test]
    fn an_excel_sep_line_names_the_separator_and_is_not_the_header() {
        for (line, sep) in [
            (&b"sep=;"[..], Some(b';')),
            (b"\"sep=;\"", Some(b';')),
            (b"SEP=,", Some(b',')),
            (b"sep=\t", Some(b'\t')),
            (b"sep=|", Some(b'|')),
            (b"sep=;;;;", Some(b';')),
            (b"\"sep=;\";;;", Some(b';')),
            (b"\xef\xbb\xbfsep=; ", Some(b';')),
            (b"sep=", None),
            (b"sep=a", None),
            (b"sep=;,name", None),
            (b"sep,name,email", None),
            (b"separator,email", None),
            (b"name,email", None),
            (b"\"sep=;", None),
        ] {
            assert_eq!(excel_sep(line), sep, "{:?}", String::from_utf8_lossy(line));
        }
        assert_eq!(sep_line(b"sep=;\r\nname;email\r\n"), Some((b';', 7)));
        assert_eq!(sep_line(b"sep=;\nname"), Some((b';', 6)));
        assert_eq!(sep_line(b"sep=;\rname"), Some((b';', 6)));
        assert_eq!(sep_line(b"sep=;"), Some((b';', 5)));
        assert_eq!(sep_line(b"name;email\nsep=;\n"), None);

        // The header after it, the separator it names (not the one the header uses most), and
        // lines numbered as an editor numbers them, the `sep=` line being line 1.
        let text =
            b"\"sep=,\"\r\nName,Email,Budget; in EUR; per year\r\nAna,ana@example.com,5000\r\nBo,bo@,1\r\n";
        let (head, sep, mut rest) = first_line(Box::new(&text[..])).unwrap();
        assert_eq!((head.as_slice(), sep), (&b"Name,Email,Budget; in EUR; per year\r"[..], Some(b',')));
        let mut all = Vec::new();
        rest.read_to_end(&mut all).unwrap();
        assert_eq!(all, text, "the reader still yields the whole file");
        let rows = csv_lines(text);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(rows[0].1.as_ref().unwrap().fields["Budget; in EUR; per year"], "5000");
        assert!(rows[1].1.as_ref().unwrap_err().contains("\"Email\""));
        let (head, sep, _) = first_line(Box::new(&b"name;email\nA;a@example.com\n"[..])).unwrap();
        assert_eq!((head.as_slice(), sep), (&b"name;email"[..], None));
    }

    #[test]
    fn lines_are_numbered_as_an_editor_numbers_them() {
        let lines = |bytes: &[u8]| csv_lines(bytes).into_iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(lines(b"name,email\nA,a@example.com\nB,b@example.com\n"), [2, 3]);
        assert_eq!(lines(b"name,email\r\nA,a@example.com\r\nB,b@example.com\r\n"), [2, 3], "CRLF");
        assert_eq!(
            lines(b"name,email\r\n\r\n\r\nA,a@example.com\r\n\nB,b@example.com"),
            [4, 6],
            "blank lines"
        );
        assert_eq!(lines(b"name,email\n\n ,\nA,a@example.com\n"), [4], "a row of empty cells is a line");
        assert_eq!(
            lines(b"name,note\r\nA,\"two\r\nlines\"\r\nB,\"x\ny\nz\"\r\nC,c\r\n"),
            [2, 4, 7],
            "a quoted cell's line breaks count"
        );
        assert_eq!(lines(b"name,email\rA,a@example.com\r\rB,b@example.com\r"), [2, 4], "CR alone");
    }

    #[test]
    fn a_forced_format_needs_its_columns() {
        let meta = b"id,created_time,ad_id,form_id,is_organic,full_name,email";
        let err = check_columns(Format::GoogleAdsCsv, meta, b',').unwrap_err();
        assert!(err.starts_with("--format google-ads-csv needs the column lead_id"), "{err}");
        assert!(err.contains("it looks like meta-csv") && err.contains("--format auto"), "{err}");
        let google = b"lead_id,gcl_id,creative_id,is_test,FULL_NAME,EMAIL";
        let err = check_columns(Format::MetaCsv, google, b',').unwrap_err();
        assert!(err.contains("columns id and created_time") && err.contains("google-ads-csv"), "{err}");
        let generic = b"name,email";
        assert!(check_columns(Format::MetaCsv, generic, b',').unwrap_err().contains("check the file"));
        assert_eq!(check_columns(Format::MetaCsv, meta, b','), Ok(()));
        assert_eq!(check_columns(Format::GoogleAdsCsv, google, b','), Ok(()));
        assert_eq!(check_columns(Format::Csv, meta, b','), Ok(()), "any file with a header is a csv");
    }

    /// Each row of `text` read as a CSV of `format`, mapped (or why not).
    fn csv_rows(format: Format, text: &str) -> Vec<std::result::Result<NewLead, String>> {
        let mut out = Vec::new();
        read_csv(
            text.as_bytes(),
            b',',
            format.profile(),
            "test",
            Utc::now(),
            "test.csv",
            false,
            |_, _, lead, _| {
                out.push(lead);
                Ok(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn an_owner_that_leads_update_would_refuse_is_kept_as_an_answer() {
        let long = "x".repeat(101);
        let text = format!(
            "name,email,owner\nAna,ana@example.com,\"Bob\nEvil\"\nBo,bo@example.com,{long}\nCy,cy@example.com,  Maria  \n"
        );
        let rows: Vec<NewLead> = csv_rows(Format::Csv, &text).into_iter().map(Result::unwrap).collect();
        assert_eq!(rows[0].owner, None);
        assert_eq!(rows[0].fields["owner"], "Bob\nEvil");
        assert_eq!((rows[1].owner.as_deref(), rows[1].fields["owner"].as_str()), (None, Some(long.as_str())));
        assert_eq!(rows[2].owner.as_deref(), Some("Maria"));
        assert!(rows[2].fields.is_empty());
    }

    #[test]
    fn a_second_column_for_a_filled_field_is_kept_as_a_form_answer() {
        let rows = csv_rows(
            Format::GoogleAdsCsv,
            "lead_id,gcl_id,lead_submit_time,FULL_NAME,EMAIL,WORK_EMAIL,PHONE_NUMBER,WORK_PHONE\n\
             GA-1,Cj0,2026-10-05T08:00:00Z,Dana Whitfield,dana@example.com,d.whitfield@example.org,+1 555 010 4444,+1 555 010 9999\n",
        );
        let lead = rows[0].as_ref().unwrap();
        assert_eq!(
            lead.email.as_ref().map(|e| e.as_str()),
            Some("dana@example.com"),
            "the first column fills it"
        );
        assert_eq!(lead.fields["WORK_EMAIL"], "d.whitfield@example.org", "the work email is kept");
        assert_eq!(lead.phone.as_ref().map(|p| p.as_str()), Some("+1 555 010 4444"));
        assert_eq!(lead.fields["WORK_PHONE"], "+1 555 010 9999", "the work phone is kept");

        // An empty first column leaves the field to the next one.
        let rows = csv_rows(Format::Csv, "name,email,work email\nAna,,ana@example.org\n");
        let lead = rows[0].as_ref().unwrap();
        assert_eq!(lead.email.as_ref().map(|e| e.as_str()), Some("ana@example.org"));
        assert!(lead.fields.is_empty(), "{:?}", lead.fields);

        // First and last name beside a full name are kept too.
        let rows = csv_rows(Format::Csv, "Full Name,First Name,Last Name\nAna Lopez,Ana María,López\n");
        let lead = rows[0].as_ref().unwrap();
        assert_eq!(lead.full_name.as_deref(), Some("Ana Lopez"));
        assert_eq!(
            (&lead.fields["First Name"], &lead.fields["Last Name"]),
            (&"Ana María".into(), &"López".into())
        );
    }

    #[test]
    fn repeated_column_names_keep_every_value_under_distinct_keys() {
        let rows = csv_rows(
            Format::Csv,
            "name,email,Comment,Comment,Comment (2),Comment\nAna,ana@example.com,one,two,three,four\nBo,bo@example.com,,2nd,,\n",
        );
        let ana = rows[0].as_ref().unwrap();
        let fields: Vec<(&str, &str)> =
            ana.fields.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
        assert_eq!(
            fields,
            [("Comment", "one"), ("Comment (2)", "three"), ("Comment (3)", "two"), ("Comment (4)", "four")]
        );
        let bo = rows[1].as_ref().unwrap();
        assert_eq!(bo.fields["Comment (3)"], "2nd", "a column's key is the same in every row");
    }

    #[test]
    fn a_column_without_a_name_is_named_by_its_place() {
        let names = |h: &[&str]| named_columns(&h.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(names(&["name", "", "email", ""]), ["name", "column 2", "email", "column 4"]);
        assert_eq!(names(&["", "column 1"]), ["column 1 (2)", "column 1"], "a name the file has is its own");
        let rows = csv_rows(
            Format::Csv,
            "name,,email,,column 4\nAna,blue,ana@example.com,tall,x\nBo,,bo@example.com,,\n",
        );
        let ana = rows[0].as_ref().unwrap();
        let fields: Vec<(&str, &str)> =
            ana.fields.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
        assert_eq!(fields, [("column 2", "blue"), ("column 4", "x"), ("column 4 (2)", "tall")]);
        assert!(!ana.fields.contains_key(""));
        // The content id is the row's as the file names its columns: a file imported before is
        // recognised.
        let id = profile::content_id(
            [("name", "Ana"), ("", "blue"), ("email", "ana@example.com"), ("", "tall"), ("column 4", "x")]
                .into_iter(),
        );
        assert_eq!(ana.external_id, id);
    }

    #[test]
    fn meta_api_leads_in_json_are_filed_under_metas_source() {
        let read = |text: &str, source: Option<&str>| {
            let mut sources = Vec::new();
            let (chosen, _) = json::read(
                text.as_bytes(),
                "t.json",
                Format::Json.profile(),
                source,
                Utc::now(),
                |_, lead, _| {
                    sources.push(lead.unwrap().source);
                    Ok(())
                },
            )
            .unwrap();
            (chosen, sources)
        };
        let graph = r#"[{"id": "2301001", "created_time": "2026-10-01T09:15:00+0000",
            "field_data": [{"name": "full_name", "values": ["Ana"]}]},
            {"id": "2301002", "field_data": [{"name": "email", "values": ["bo@example.com"]}]}]"#;
        assert_eq!(read(graph, None), ("meta".to_string(), vec!["meta".to_string(), "meta".to_string()]));
        assert_eq!(read(graph, Some("expo")), ("expo".to_string(), vec!["expo".to_string(); 2]));
        let plain = r#"[{"name": "Ana"}, {"name": "Bo", "field_data": []}]"#;
        assert_eq!(
            read(plain, None),
            ("import".to_string(), vec!["import".to_string(); 2]),
            "the first decides"
        );
        assert_eq!(read("[]", None).0, "import");
        // A saved Graph API response: the leads under "data", the paging left alone.
        let saved = format!(r#"{{"paging": {{"cursors": {{"after": "x"}}}}, "data": {graph}}}"#);
        assert_eq!(read(&saved, None), ("meta".to_string(), vec!["meta".to_string(), "meta".to_string()]));
        // An object without leads under "data" is one lead (of JSON Lines), without a contact.
        let no_data = json_items(r#"{"paging": {}}"#).unwrap();
        assert!(no_data[0].1.is_err(), "{:?}", no_data[0].1);
    }

    #[test]
    fn leadvaults_own_json_export_comes_back_as_it_went_out() {
        let exported = r#"[{"id": "01JB000000000000000000000A", "source": "meta", "external_id": "2301001",
            "created_at": "2026-10-01T09:15:00Z", "updated_at": "2026-11-01T00:00:00Z", "full_name": "Ana",
            "email": "ana@example.com", "phone": "+1 555 010 1234", "company": null, "status": "won",
            "owner": "Maria", "tags": ["hot", "vip"], "score": null, "ad_id": "120200001", "ad_name": null,
            "adset_id": null, "adset_name": null, "campaign_id": null, "campaign_name": null, "form_id": null,
            "form_name": null, "platform": "fb", "is_organic": false,
            "fields": {"budget": "$5k", "email": "not an address", "id": "x-1", "kids": 2},
            "notes": [{"at": "2026-11-20T14:03:11Z", "body": "call back\nFriday"}, {"at": "2026-11-21T09:00:00Z", "body": "booked"}]}]"#;
        let mut leads = Vec::new();
        let (source, export) = json::read(
            exported.as_bytes(),
            "e.json",
            Format::Json.profile(),
            None,
            Utc::now(),
            |_, lead, _| {
                leads.push(lead.unwrap());
                Ok(())
            },
        )
        .unwrap();
        assert!(export);
        assert_eq!(source, "import", "the report's label; each lead keeps its own");
        let ana = &leads[0];
        assert_eq!((ana.source.as_str(), ana.external_id.as_str()), ("meta", "2301001"));
        assert_eq!((ana.status, ana.owner.as_deref()), (crate::domain::LeadStatus::Won, Some("Maria")));
        assert_eq!(ana.tags, vec!["hot", "vip"]);
        assert_eq!(ana.ad.ad_id.as_deref(), Some("120200001"));
        assert_eq!(ana.ad.is_organic, Some(false));
        assert_eq!(ana.email.as_ref().map(|e| e.as_str()), Some("ana@example.com"));
        // Its answers keep their names, even those of the export's own columns.
        let answers =
            serde_json::json!({"budget": "$5k", "email": "not an address", "id": "x-1", "kids": "2"});
        assert_eq!(serde_json::Value::Object(ana.fields.clone()), answers);
        let notes: Vec<(String, &str)> =
            ana.notes.iter().map(|n| (n.at.to_rfc3339(), n.body.as_str())).collect();
        assert_eq!(
            notes,
            [
                ("2026-11-20T14:03:11+00:00".to_string(), "call back\nFriday"),
                ("2026-11-21T09:00:00+00:00".to_string(), "booked")
            ]
        );
    }

    fn json_items(text: &str) -> Result<Vec<(json::Place, std::result::Result<NewLead, String>)>> {
        let mut items = Vec::new();
        json::read(text.as_bytes(), "t.json", Format::Json.profile(), None, Utc::now(), |n, lead, _| {
            items.push((n, lead));
            Ok(())
        })?;
        Ok(items)
    }

    #[test]
    fn json_lines_are_leads_one_a_line() {
        use json::Place::Line;
        let text = "{\"name\": \"Ana\", \"email\": \"ana@example.com\"}\n\n\
                    {\"name\": \"Bo\", \"phone\": \"+1 555 010 2000\"}\r\n\
                    [1]\n{\"name\": \"Cy\", \"data\": \"kept as an answer\"}\n{}\n";
        let items = json_items(text).unwrap();
        let names: Vec<_> =
            items.iter().map(|(n, l)| (*n, l.as_ref().ok().and_then(|l| l.full_name.clone()))).collect();
        // Numbered by line, as an editor numbers them: the blank line counts.
        assert_eq!(
            names,
            [
                (Line(1), Some("Ana".into())),
                (Line(3), Some("Bo".into())),
                (Line(4), None),
                (Line(5), Some("Cy".into())),
                (Line(6), None)
            ]
        );
        assert_eq!(items[2].1.as_ref().unwrap_err(), "it is not an object");
        let cy = items[3].1.as_ref().unwrap();
        assert_eq!(cy.fields.get("data").and_then(|v| v.as_str()), Some("kept as an answer"));

        // A first line whose first key is an answer named "data", or an empty object, is a lead
        // (or an invalid row) like any other line.
        for first in [
            r#"{"data": "an answer", "name": "Cy", "email": "cy@example.com"}"#,
            r#"{"data": {"nested": [1, null, true, 2.5]}, "name": "Cy", "email": "cy@example.com"}"#,
            "{}",
        ] {
            let items =
                json_items(&format!("\n{first}\n{{\"name\": \"Di\", \"email\": \"di@example.com\"}}\n"))
                    .unwrap();
            assert_eq!(items.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [Line(2), Line(3)], "{first}");
            assert_eq!(items[0].1.is_ok(), first != "{}", "{first}");
            assert_eq!(items[1].1.as_ref().unwrap().full_name.as_deref(), Some("Di"));
        }

        let err = json_items("{\"name\": \"Ana\"}\n{\"name\": \n").unwrap_err().to_string();
        assert!(
            err.starts_with("t.json: the JSON") && err.contains("one lead object a line (line 3"),
            "{err}"
        );
        assert!(err.contains("ends too early"), "{err}");
    }

    #[test]
    fn a_graph_response_is_read_whatever_the_order_of_its_keys() {
        for text in [
            r#"{"data": [{"name": "Ana", "email": "ana@example.com"}], "paging": {"cursors": {}}}"#,
            r#"{"paging": {"cursors": {}}, "data": [{"name": "Ana", "email": "ana@example.com"}]}"#,
        ] {
            let items = json_items(text).unwrap();
            assert_eq!(items.len(), 1, "{text}");
            assert_eq!(items[0].1.as_ref().unwrap().full_name.as_deref(), Some("Ana"), "{text}");
        }
        let err = json_items(r#"{"data": [], "paging": {}} {"name": "Ana"}"#).unwrap_err().to_string();
        assert!(err.contains("JSON"), "{err}");
    }

    #[test]
    fn json_tags_that_are_not_text_are_kept_or_the_row_is_refused() {
        let item = |v: serde_json::Value| v.as_object().unwrap().clone();
        let profile = Format::Json.profile();
        let lead = json::to_lead(
            profile,
            &item(serde_json::json!({"name": "Ana", "tags": [2026, "vip", true, null]})),
            "t",
            Utc::now(),
            false,
        )
        .unwrap();
        assert_eq!(lead.tags, ["2026", "vip", "true"]);

        let nested = item(serde_json::json!({"name": "Ana", "tags": [2026, "vip", {"x": 1}]}));
        let reason = json::to_lead(profile, &nested, "t", Utc::now(), false).unwrap_err();
        assert!(reason.contains("\"tags\"") && reason.contains("object"), "{reason}");
        // From a provider, nothing is refused: the tags are kept whole.
        let kept = json::to_lead(profile, &nested, "t", Utc::now(), true).unwrap();
        assert_eq!(kept.fields["tags"], r#"[2026,"vip",{"x":1}]"#);

        let answers = item(serde_json::json!({"id": "1", "field_data": [
            {"name": "email", "values": ["a@example.com"]},
            {"name": "seats", "values": [12, "or more"]},
            {"name": "email", "values": ["b@example.com"]}
        ]}));
        let lead = json::to_lead(profile, &answers, "t", Utc::now(), false).unwrap();
        assert_eq!(lead.email.as_ref().map(|e| e.as_str()), Some("a@example.com"));
        assert_eq!(lead.fields["email"], "b@example.com");
        assert_eq!(lead.fields["seats"], "12, or more");
    }

    /// Each row of `bytes` read as a generic CSV: its line, and its lead or why not.
    fn csv_lines(bytes: &[u8]) -> Vec<(u64, std::result::Result<NewLead, String>, Vec<String>)> {
        let mut out = Vec::new();
        read_csv(
            bytes,
            b',',
            Format::Csv.profile(),
            "t",
            Utc::now(),
            "t.csv",
            false,
            |line, header, lead, record| {
                let reason = lead.as_ref().err().cloned().unwrap_or_default();
                out.push((line, lead, rejected_row(header.len(), record, &reason)));
                Ok(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn rows_of_the_wrong_width_or_not_utf8_are_refused_with_their_content() {
        let rows = csv_lines(b"name,email,phone\nA,a@example.com\nB,b@example.com,555 010 1234,extra\nJos\xe9 Mu\xf1oz,c@example.com,\nD,d@example.com,\n");
        assert_eq!(rows.len(), 4);
        let (line, lead, cells) = &rows[0];
        assert_eq!(*line, 2);
        let reason = lead.as_ref().unwrap_err();
        assert_eq!(reason, "it has 2 fields but the header has 3");
        assert_eq!(cells, &["A", "a@example.com", "", reason.as_str()], "padded to the header");
        let (line, lead, cells) = &rows[1];
        assert_eq!(*line, 3);
        assert!(lead.as_ref().unwrap_err().contains("4 fields"));
        assert_eq!(cells[..3], ["B", "b@example.com", "555 010 1234"]);
        assert_eq!(cells[4], "extra", "cells past the header come after the reason");
        let (line, lead, cells) = &rows[2];
        assert_eq!(*line, 4);
        assert!(lead.as_ref().unwrap_err().contains("UTF-8"));
        assert_eq!(cells[..2], ["José Muñoz", "c@example.com"], "Latin-1 read as Windows-1252");
        assert!(rows[3].1.is_ok());
    }

    #[test]
    fn an_unclosed_quote_is_named_and_rows_of_empty_cells_are_blank() {
        let rows = csv_lines(b"name,email\nA,a@example.com\n,\n , \n\"B,b@example.com\nC,c@example.com\n");
        assert_eq!(
            rows.len(),
            2,
            "the empty rows are skipped: {:?}",
            rows.iter().map(|r| r.0).collect::<Vec<_>>()
        );
        assert!(rows[0].1.is_ok());
        let (line, lead, cells) = &rows[1];
        assert_eq!(*line, 5);
        assert!(lead.as_ref().unwrap_err().contains("quote that is never closed"), "{lead:?}");
        assert!(cells[0].starts_with("B,b@example.com"), "{cells:?}");

        // A row with content, but not a name, email or phone, is not blank.
        let rows = csv_lines(b"name,email,note\n,,called twice\n");
        assert_eq!(rows[0].1.as_ref().unwrap_err(), "it has no name, email or phone");
    }

    #[test]
    fn a_providers_form_questions_are_answers_whatever_their_names() {
        // A Meta download whose form asks `Date`, `Owner`, `Status`, `Tags`, `Notes`, `Lead ID`.
        let meta = "id,created_time,ad_id,form_id,is_organic,platform,full_name,email,phone_number,\
                    Date,Owner,Status,Notes,Source,Tags,Lead ID,company_name\n\
                    l:900001,2026-10-01T09:15:00-0700,ag:1,f:4,false,fb,Pat Lee,pat@example.com,p:+15550109999,\
                    2026-09-15,Yes,Homeowner,call after 5,Friend,solar; roof,77,Lee Roofs\n\
                    l:900002,2026-10-01T09:16:00-0700,ag:1,f:4,false,ig,Kim Park,kim@example.com,p:+15550108888,\
                    next week,No,Renter,,,,,\n";
        let rows = csv_rows(Format::MetaCsv, meta);
        let pat = rows[0].as_ref().expect("a question does not refuse the row");
        assert_eq!(pat.external_id, "900001");
        assert_eq!(pat.created_at.to_rfc3339(), "2026-10-01T16:15:00+00:00", "Meta's created_time");
        assert_eq!((pat.status, pat.owner.as_deref()), (crate::domain::LeadStatus::New, None));
        assert!(pat.tags.is_empty() && pat.notes.is_empty() && pat.source == "test");
        let answers: Vec<(&str, &str)> =
            pat.fields.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
        assert_eq!(
            answers,
            [
                ("Date", "2026-09-15"),
                ("Lead ID", "77"),
                ("Notes", "call after 5"),
                ("Owner", "Yes"),
                ("Source", "Friend"),
                ("Status", "Homeowner"),
                ("Tags", "solar; roof")
            ]
        );
        assert_eq!(pat.company.as_deref(), Some("Lee Roofs"), "Meta's own contact questions fill the lead");
        let kim = rows[1].as_ref().expect("`next week` is an answer");
        assert_eq!(kim.fields["Date"], "next week");

        // Google's download, the same.
        let google = "lead_id,gcl_id,lead_submit_time,FULL_NAME,EMAIL,Date,Status,Owner\n\
                      GA-1,Cj0,2026-10-05T08:00:00Z,Dana Whitfield,dana@example.com,2026-12-24,Tenant,Yes\n";
        let rows = csv_rows(Format::GoogleAdsCsv, google);
        let dana = rows[0].as_ref().unwrap();
        assert_eq!(dana.created_at.to_rfc3339(), "2026-10-05T08:00:00+00:00");
        assert_eq!(
            (dana.fields["Date"].as_str(), dana.fields["Status"].as_str()),
            (Some("2026-12-24"), Some("Tenant"))
        );
        assert_eq!(dana.owner, None);

        // Meta's API (`field_data`), in a file and from a sync alike: a question `date` with a
        // date ahead, or `status` in words, is an answer; neither refuses nor moves the lead.
        let node = serde_json::json!({
            "id": "1234567890123456",
            "created_time": "2026-10-01T09:15:00+0000",
            "field_data": [
                {"name": "full_name", "values": ["Ana"]},
                {"name": "email", "values": ["ana@example.com"]},
                {"name": "date", "values": ["2099-12-15"]},
                {"name": "status", "values": ["Homeowner"]},
                {"name": "owner", "values": ["Yes"]},
                {"name": "tags", "values": ["solar", "roof"]},
                {"name": "id", "values": ["7"]}
            ]
        });
        let node = node.as_object().unwrap();
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 1, 0, 0, 0).unwrap();
        for lead in [
            lead_from_graph(node, "meta", now).unwrap(),
            json::to_lead(Format::Json.profile(), node, "meta", now, false).unwrap(),
        ] {
            assert_eq!(lead.created_at.to_rfc3339(), "2026-10-01T09:15:00+00:00");
            assert_eq!(lead.external_id, "1234567890123456");
            assert_eq!((lead.status, lead.owner.as_deref()), (crate::domain::LeadStatus::New, None));
            assert!(lead.tags.is_empty());
            assert_eq!(lead.fields["date"], "2099-12-15");
            assert_eq!(lead.fields["status"], "Homeowner");
            assert_eq!(lead.fields["tags"], "solar, roof");
            assert_eq!(lead.fields["id"], "7");
            assert_eq!(lead.full_name.as_deref(), Some("Ana"));
        }
    }

    /// The progress says the import is finishing once every row is written, before the search
    /// index and the commit (about half of a big import); a cancelled import never gets there.
    #[tokio::test]
    async fn an_import_is_finishing_once_its_rows_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let vault = crate::vault::test_vault(dir.path()).await;
        let lead = |i: usize| {
            let (_, lead) = json_items(&format!("[{{\"name\": \"P{i}\", \"email\": \"p{i}@example.com\"}}]"))
                .unwrap()
                .remove(0);
            lead.unwrap()
        };
        for cancelled in [false, true] {
            let (tx, rx) = mpsc::channel::<Batch>(4);
            tx.send(Batch::Rows(vec![lead(usize::from(cancelled))])).await.unwrap();
            tx.send(Batch::Done).await.unwrap();
            let (added, finishing) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
            let (a, f) = (added.clone(), finishing.clone());
            let written = vault
                .with_raw(move |conn| write_leads(conn, rx, Utc::now(), &a, &f, move || cancelled))
                .await;
            assert_eq!(written.is_ok(), !cancelled, "{written:?}");
            assert_eq!(finishing.load(Ordering::Relaxed), !cancelled);
        }
    }

    #[test]
    fn only_a_file_with_googles_own_columns_is_googles() {
        let is_google = |header: &str| detect(Path::new("f.csv"), header.as_bytes(), b',');
        for crm in
            ["Lead ID,Full Name,Email,Phone,Lead Source,GCLID", "lead_id,gclid,submission_time,name,email"]
        {
            assert_eq!(is_google(crm), Format::Csv, "{crm}");
        }
        for google in [
            "lead_id,lead_submit_time,campaign_id,adgroup_id,creative_id,form_id,gcl_id,is_test,FULL_NAME",
            "Lead ID,Campaign ID,Campaign,Ad group ID,Ad group,Creative ID,Form ID,Form name,GCLID,Submission time,Is test,Full name",
            "lead_id,campaign_id,adgroup_id,creative_id,form_id,gcl_id,is_test,lead_submit_time,api_version,FULL_NAME",
        ] {
            assert_eq!(is_google(google), Format::GoogleAdsCsv, "{google}");
        }
    }

    #[test]
    fn a_providers_id_rounded_by_a_spreadsheet_refuses_its_row() {
        let meta = "id,created_time,ad_id,form_id,is_organic,platform,full_name,email\n\
                    1.23457E+15,2026-10-01T09:15:00-07:00,2.38512E+16,9.87654E+14,0,fb,Ann One,ann@example.com\n\
                    l:1234567890123456,2026-10-01T09:20:00-07:00,,,0,fb,Bob Two,bob@example.com\n";
        let rows = csv_rows(Format::MetaCsv, meta);
        assert_eq!(
            rows[0].as_ref().unwrap_err(),
            "the id was rounded by a spreadsheet (1.23457E+15); import the original download from Meta"
        );
        assert_eq!(rows[1].as_ref().unwrap().external_id, "1234567890123456");
        let google = "lead_id,gcl_id,creative_id,is_test,FULL_NAME\n\"1,23457E+15\",Cj0,1,false,Ann\n";
        let rows = csv_rows(Format::GoogleAdsCsv, google);
        assert!(rows[0].as_ref().unwrap_err().ends_with("from Google Ads"), "{:?}", rows[0]);
        // Any other file's id is the file's own, whatever it looks like.
        let rows = csv_rows(Format::Csv, "id,name\n1.23457E+15,Ann\n");
        assert_eq!(rows[0].as_ref().unwrap().external_id, "1.23457E+15");
    }

    #[test]
    fn a_meta_download_without_is_organic_is_metas() {
        let format = |header: &str| detect(Path::new("f.csv"), header.as_bytes(), b',');
        for meta in [
            "id,created_time,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,form_id,form_name,platform,full_name",
            "id,created_time,form_id,form_name,full_name,email",
            "id,created_time,ad_id,form_id,is_organic,full_name",
        ] {
            assert_eq!(format(meta), Format::MetaCsv, "{meta}");
        }
        // A CRM's or webhook's dump with a platform or is_organic column is not Meta's: its
        // name, phone and status would be answers there.
        for other in [
            "id,created_time,name,email",
            "id,name,form_id,email",
            "id,created_time,platform,name,phone,status",
            "id,created_time,is_organic,platform,full_name",
        ] {
            assert_eq!(format(other), Format::Csv, "{other}");
        }
    }

    #[test]
    fn a_json_exports_notes_are_taken_as_they_are() {
        let lead = |notes: &str| {
            let text = format!(
                r#"[{{"source": "import", "external_id": "x-1", "full_name": "Ana", "fields": {{}}, "notes": {notes}}}]"#
            );
            json_items(&text).unwrap().remove(0).1
        };
        let body =
            "  forwarded:\r\n[2026-11-01T10:00:00Z] customer wrote: hi\n\\[2026-11-02T10:00:00Z] typed ";
        let notes = format!(r#"[{{"at": "2026-11-20T14:03:11.250Z", "body": {}}}]"#, serde_json::json!(body));
        let ana = lead(&notes).unwrap();
        assert_eq!(ana.notes.len(), 1);
        assert_eq!(ana.notes[0].body, body, "not trimmed, split or unescaped");
        assert_eq!(ana.notes[0].at.to_rfc3339(), "2026-11-20T14:03:11.250+00:00");
        // A note that is not one refuses the row, where it had been dropped.
        let reason =
            lead(r#"[{"at": "2026-11-20T14:03:11Z", "body": "ok"}, {"body": "no time"}]"#).unwrap_err();
        assert!(reason.starts_with("note 2 under key \"notes\" is not a note"), "{reason}");
        assert!(!reason.contains("no time"), "{reason}");
    }

    /// Every lead of `vault` as `leads list --json` gives it, with its notes, without what a
    /// vault gives a lead itself (its id, its update time), by source and external id.
    async fn restorable(vault: &crate::vault::Vault) -> Vec<serde_json::Value> {
        use futures_util::TryStreamExt;
        let filter = crate::domain::LeadFilter::default();
        let leads: Vec<crate::domain::Lead> =
            vault.leads().stream(&filter, crate::domain::LeadSort::Newest).try_collect().await.unwrap();
        let mut out = Vec::new();
        for lead in leads {
            let notes = vault.leads().get(&lead.id).await.unwrap().notes;
            let mut v = serde_json::to_value(&lead).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("id");
            o.remove("updated_at");
            o.insert("notes".into(), serde_json::to_value(notes).unwrap());
            out.push(v);
        }
        out.sort_by_key(|l| (l["source"].to_string(), l["external_id"].to_string()));
        out
    }

    /// `vault` exported in each of the formats that import again, each file imported into a
    /// fresh vault: what each fresh vault holds, by format.
    async fn restored_from_each_export(
        vault: &crate::vault::Vault,
        dir: &Path,
    ) -> Vec<(&'static str, ImportReport, Vec<serde_json::Value>)> {
        use crate::export::{ExportFormat, ExportOptions, export};
        let mut out = Vec::new();
        for (name, format, excel_bom, ext) in [
            ("csv", ExportFormat::Csv, false, "csv"),
            ("csv with a BOM", ExportFormat::Csv, true, "csv"),
            ("json", ExportFormat::Json, false, "json"),
            ("ndjson", ExportFormat::Ndjson, false, "ndjson"),
        ] {
            let file = dir.join(format!("export-{}.{ext}", out.len()));
            let options = ExportOptions { format, excel_bom };
            let filter = crate::domain::LeadFilter::default();
            export(vault, &filter, crate::domain::LeadSort::Newest, &file, &options, |_| {}).await.unwrap();
            let fresh = crate::vault::test_vault(&dir.join(format!("fresh-{}", out.len()))).await;
            let report = import_file(&fresh, &file, &ImportOptions::default(), |_| {})
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push((name, report, restorable(&fresh).await));
        }
        out
    }

    /// A lead synced without a name, email or phone (Meta keeps such a form's leads, and an
    /// email that is not one is kept as an answer) is in the vault, so it is in its exports:
    /// restoring one into a new vault brings it back, where the whole import was refused ("it
    /// has no name, email or phone").
    #[tokio::test]
    async fn a_synced_lead_without_a_name_email_or_phone_comes_back_from_every_export() {
        let dir = tempfile::tempdir().unwrap();
        let vault = crate::vault::test_vault(&dir.path().join("synced")).await;
        let node = serde_json::json!({
            "id": "1200000000002",
            "created_time": "2026-11-20T10:00:00+0000",
            "field_data": [
                {"name": "email", "values": ["not an address"]},
                {"name": "budget", "values": ["5000"]}
            ],
            "ad_id": "120200001",
            "platform": "ig"
        });
        let lead = lead_from_graph(node.as_object().unwrap(), "meta", Utc::now()).unwrap();
        assert!(lead.full_name.is_none() && lead.email.is_none() && lead.phone.is_none());
        vault.add_leads(vec![lead]).await.unwrap();
        let before = restorable(&vault).await;
        assert_eq!(before.len(), 1);
        for (name, report, after) in restored_from_each_export(&vault, dir.path()).await {
            assert_eq!((report.added, report.rejected), (1, 0), "{name}");
            assert_eq!(after, before, "{name}");
        }
    }

    /// Awkward leads come back from every export that imports again, as they were: emoji,
    /// right-to-left and combining accents, line breaks, tabs, quotes and commas, values a
    /// spreadsheet would run (guarded by the CSV export, unguarded by its import), a value that
    /// starts with `'` of its own, many tags, an owner, a status, notes with Windows line ends,
    /// and answers under keys a JSON file gave them, spaces around included (the CSV export's
    /// header kept them, its import trimmed them away: ` budget ` came back as `budget`).
    #[tokio::test]
    async fn awkward_leads_come_back_from_every_export_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let vault = crate::vault::test_vault(&dir.path().join("awkward")).await;
        let file = dir.path().join("awkward.json");
        let leads = serde_json::json!([
            {"id": "=1+1", "name": "Zoë 🚀 مريم e\u{301}", "email": "zoe@example.com",
             "phone": "+1 (555) 010-0001", "company": "-Acme, \"Inc\"\n2nd line",
             "created_at": "2026-11-01T23:30:00.123Z", "campaign_name": "@launch",
             " budget ": "=1+2", "budget": "'+plain", "trail\n": "\tx", "\tlead tab": "''=twice",
             "@handle": "-5, \"q\"\r\nline", "=formula key": "+44 20 7946 0000"},
            {"id": "2", "name": "Plain", "phone": "0044 20 7946 0958", "created_at": "2026-11-02"}
        ]);
        std::fs::write(&file, leads.to_string()).unwrap();
        import_file(&vault, &file, &ImportOptions::default(), |_| {}).await.unwrap();
        let first = vault.leads().list(&Default::default(), Default::default(), None, 10).await.unwrap();
        for (i, lead) in first.leads.iter().enumerate() {
            let change = crate::domain::LeadUpdate {
                status: Some(crate::domain::LeadStatus::Qualified),
                owner: Some(Some(format!("=Owner {i} ✓"))),
                add_tags: (0..12).map(|t| format!("-t{t}")).collect(),
                note: Some("called\r\nno answer, \"busy\"\n[2026-11-01T10:00:00Z] looks like a time".into()),
                ..Default::default()
            };
            vault.leads().update(&lead.id, &change).await.unwrap();
            let again = crate::domain::LeadUpdate { note: Some("+second ✓".into()), ..Default::default() };
            vault.leads().update(&lead.id, &again).await.unwrap();
        }
        let before = restorable(&vault).await;
        let zoe = &before.iter().find(|l| l["external_id"] == "=1+1").unwrap();
        assert_eq!(zoe["fields"][" budget "], "=1+2", "{zoe}");
        assert_eq!(zoe["fields"]["budget"], "'+plain", "{zoe}");
        for (name, report, after) in restored_from_each_export(&vault, dir.path()).await {
            assert_eq!((report.added, report.rejected), (2, 0), "{name}");
            assert_eq!(after, before, "{name}");
        }
    }

    /// The export of a view without leads imports again as no leads, in every format: an
    /// NDJSON one is an empty file, which was refused as JSON that "ends too early". An empty
    /// file named `.json` is still not JSON.
    #[tokio::test]
    async fn the_export_of_an_empty_view_imports_as_no_leads() {
        let dir = tempfile::tempdir().unwrap();
        let vault = crate::vault::test_vault(&dir.path().join("empty")).await;
        for (name, report, after) in restored_from_each_export(&vault, dir.path()).await {
            assert_eq!((report.read, report.added, report.rejected), (0, 0, 0), "{name}");
            assert!(after.is_empty(), "{name}");
        }
        let blank = dir.path().join("blank.jsonl");
        std::fs::write(&blank, "\n \r\n").unwrap();
        let report = import_file(&vault, &blank, &ImportOptions::default(), |_| {}).await.unwrap();
        assert_eq!(report.read, 0);
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, "").unwrap();
        let err = import_file(&vault, &empty, &ImportOptions::default(), |_| {}).await.unwrap_err();
        assert!(err.to_string().contains("it ends too early"), "{err}");
    }

    /// An XLSX export opened in a spreadsheet and saved as CSV (what the import asks of a
    /// workbook) imports again: its times are read as the sheet shows them, "2026-11-20
    /// 18:00:00.500 UTC" (Excel dates since the XLSX export wrote them as such), where the rows
    /// were refused as having no date.
    #[tokio::test]
    async fn an_xlsx_export_saved_as_csv_by_a_spreadsheet_imports_again() {
        use crate::export::{ExportFormat, ExportOptions, export};
        let dir = tempfile::tempdir().unwrap();
        let vault = crate::vault::test_vault(&dir.path().join("v")).await;
        let file = dir.path().join("in.csv");
        std::fs::write(&file, "id,name,created_at\n1,Ana Ruiz,2026-11-20T18:00:00.5Z\n").unwrap();
        import_file(&vault, &file, &ImportOptions::default(), |_| {}).await.unwrap();
        let before = restorable(&vault).await;
        let exported = dir.path().join("export.csv");
        let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
        let filter = crate::domain::LeadFilter::default();
        export(&vault, &filter, crate::domain::LeadSort::Newest, &exported, &options, |_| {}).await.unwrap();
        // The times as the XLSX's cells show them, which is what a spreadsheet saves as CSV.
        let mut reader = ::csv::Reader::from_path(&exported).unwrap();
        let header = reader.headers().unwrap().clone();
        let saved = dir.path().join("saved.csv");
        let mut writer = ::csv::Writer::from_path(&saved).unwrap();
        writer.write_record(&header).unwrap();
        for row in reader.records() {
            let row = row.unwrap();
            let cells = row.iter().zip(&header).map(|(cell, name)| match name {
                "created_at" | "updated_at" => chrono::DateTime::parse_from_rfc3339(cell)
                    .unwrap()
                    .format("%Y-%m-%d %H:%M:%S%.3f UTC")
                    .to_string(),
                _ => cell.to_string(),
            });
            writer.write_record(cells).unwrap();
        }
        writer.flush().unwrap();
        assert!(std::fs::read_to_string(&saved).unwrap().contains("2026-11-20 18:00:00.500 UTC"));
        let fresh = crate::vault::test_vault(&dir.path().join("fresh")).await;
        let report = import_file(&fresh, &saved, &ImportOptions::default(), |_| {}).await.unwrap();
        assert_eq!((report.added, report.rejected), (1, 0));
        assert_eq!(restorable(&fresh).await, before);
    }
}
