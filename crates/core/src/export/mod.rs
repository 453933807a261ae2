//! One-click export of any view: CSV, XLSX, JSON or NDJSON, streamed so memory stays flat at a
//! million leads, and read on up to four cores (see [`Plan`]). The same filters as the list give the
//! same leads, in the same order.

pub(crate) mod csv;
mod json;
mod xlsx;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::domain::{LeadFilter, LeadSort};
use crate::error::{Error, Result, says_disk_full};
use crate::outfile::{OutFile, canonical, folder_of, resolve};
use crate::store::leads::{KeyRange, RowBatch, for_each_batch, split_keys};
use crate::store::raw::{CancelOnDrop, RawAccess, reporting};
use crate::vault::Vault;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
    Ndjson,
}

impl FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            "json" => Ok(ExportFormat::Json),
            "ndjson" | "jsonl" => Ok(ExportFormat::Ndjson),
            other => {
                Err(Error::invalid(format!("unknown export format {other:?}; use csv, xlsx, json or ndjson")))
            }
        }
    }
}

impl ExportFormat {
    /// The format a file name asks for, from its extension.
    pub fn from_path(path: &Path) -> Result<ExportFormat> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        ext.parse().map_err(|_| {
            Error::invalid(format!(
                "cannot tell the format from {:?}; end the file name in .csv, .xlsx, .json or .ndjson, or pass --format",
                path.display().to_string()
            ))
        })
    }
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// Start CSV files with a UTF-8 byte order mark, so Excel reads accents right.
    pub excel_bom: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub path: PathBuf,
    pub format: ExportFormat,
    pub rows: u64,
}

/// The columns of a flat export (CSV, XLSX), in order. Form answers follow in one column each.
/// `notes` came last, later than the others: exports made before it end at `updated_at`.
pub(crate) const COLUMNS: [&str; 24] = [
    "id",
    "source",
    "external_id",
    "created_at",
    "full_name",
    "email",
    "phone",
    "company",
    "status",
    "owner",
    "tags",
    "score",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "form_id",
    "form_name",
    "platform",
    "is_organic",
    "updated_at",
    "notes",
];

/// How many of [`COLUMNS`] every export has had: all but `notes`.
pub(crate) const COLUMNS_BEFORE_NOTES: usize = COLUMNS.len() - 1;

/// A form answer as one cell: text as it is, anything else as JSON.
pub(crate) fn field_cell<'l>(
    fields: &'l serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Cow<'l, str> {
    match fields.get(name) {
        Some(serde_json::Value::String(s)) => s.as_str().into(),
        Some(other) => other.to_string().into(),
        None => "".into(),
    }
}

/// Refuses, before anything is read or written, an `--out` that cannot take an export: a folder,
/// or something there that is not an ordinary file (a pipe, a device, a socket), a link to one
/// included. A name not there yet is fine. [`export`] checks this too; a caller that decides the
/// format from the name calls it first, so a folder is called a folder whatever its name.
pub fn check_target(out: &Path, data_dir: &Path) -> Result<()> {
    match std::fs::metadata(out) {
        // A file name in the vault's logs would be refused in turn.
        Ok(m) if m.is_dir() && canonical(out).starts_with(canonical(data_dir).join("logs")) => {
            Err(Error::invalid(format!(
                "{} is the vault's logs folder; give --out a file name elsewhere, such as leads.csv in your home folder",
                out.display()
            )))
        }
        Ok(m) if m.is_dir() => Err(Error::invalid(format!(
            "{} is a folder; give --out a file name, such as {}",
            out.display(),
            out.join("leads.csv").display()
        ))),
        Ok(m) if !m.is_file() => Err(Error::invalid(format!(
            "{} is not an ordinary file (a pipe, a device or a socket); choose a file name such as leads.csv",
            out.display()
        ))),
        _ => Ok(()),
    }
}

/// The file an export to `out` replaces or creates (where the link leads, if `out` is a link),
/// after [`check_target`]; refused if it is one of the vault's own files (the database, its
/// journal, the settings, the logs), which an export must never replace.
fn writable_target(vault: &Vault, out: &Path) -> Result<PathBuf> {
    check_target(out, vault.data_dir())?;
    // The vault is open, so its folder is there; as given, should it somehow not be.
    let data = canonical(vault.data_dir());
    let target = resolve(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound if !folder_of(out).is_dir() => Error::invalid(format!(
            "the folder {} does not exist; create it or choose another --out",
            folder_of(out).display()
        )),
        std::io::ErrorKind::NotFound => Error::invalid(format!(
            "{} is a link into a folder that does not exist; create it or choose another --out",
            out.display()
        )),
        _ => Error::io("create", out, e),
    })?;
    if is_vault_file(&data, &target) {
        let link = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
        return Err(Error::invalid(format!(
            "{} {} one of the vault's own files (in its data folder {}), which an export must never \
             replace; choose another file, such as leads.csv in your home folder",
            out.display(),
            if link { "is a link to" } else { "is" },
            data.display()
        )));
    }
    Ok(target)
}

/// Whether `target` is one of the files the vault keeps in its data folder `data` (the
/// database and its journals, the settings, the logs, a demo's marker): the rest of the folder
/// is the owner's (a data folder may be a folder of their own, even their home).
fn is_vault_file(data: &Path, target: &Path) -> bool {
    if target.starts_with(data.join("logs")) {
        return true;
    }
    // In any case: macOS and Windows file names ignore it, so `Vault.db` is `vault.db` there.
    let name = target.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let same_folder = target
        .parent()
        .is_some_and(|p| p.to_string_lossy().to_lowercase() == data.to_string_lossy().to_lowercase());
    same_folder && (name.starts_with(crate::vault::DB_FILE) || name == "vault.json" || name == "demo")
}

/// Writes every lead matching `filter` to `out`. The file appears only when complete: it is
/// written beside `out` under a temporary name and renamed at the end. If `out` is a link, the
/// file it points to is the one written. `progress` hears the
/// number of rows written so far; dropping the future cancels the export and leaves no file.
pub async fn export(
    vault: &Vault,
    filter: &LeadFilter,
    sort: LeadSort,
    out: &Path,
    options: &ExportOptions,
    progress: impl Fn(u64) + Send,
) -> Result<ExportReport> {
    export_cancellable(vault, filter, sort, out, options, progress, &CancellationToken::new()).await
}

/// [`export`] that stops with [`Error::Cancelled`], leaving no file, once `cancel` fires.
pub async fn export_cancellable(
    vault: &Vault,
    filter: &LeadFilter,
    sort: LeadSort,
    out: &Path,
    options: &ExportOptions,
    progress: impl Fn(u64) + Send,
    cancel: &CancellationToken,
) -> Result<ExportReport> {
    export_planned(vault, filter, sort, out, options, progress, cancel, Plan::for_this_machine()).await
}

/// How an export reads the view: split at sort keys into runs of `run` leads (the score sort
/// is one run), which `workers` threads read and render in batches of `batch` rows, each on a
/// connection of its own, while one more thread writes the runs to the file in order.
///
/// Reading the rows out of SQLCipher (decrypting and checking each page, walking the rows and
/// copying them out) costs more CPU than all of `sqlite3 -csv` on a plain file, and formatting
/// them about a fifth more; spread over the cores, an export keeps up with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) workers: usize,
    pub(crate) run: usize,
    pub(crate) batch: usize,
}

impl Plan {
    fn for_this_machine() -> Plan {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Plan { workers: cores.clamp(1, 4), run: 16 * 512, batch: 512 }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn export_planned(
    vault: &Vault,
    filter: &LeadFilter,
    sort: LeadSort,
    out: &Path,
    options: &ExportOptions,
    progress: impl Fn(u64) + Send,
    cancel: &CancellationToken,
    plan: Plan,
) -> Result<ExportReport> {
    let started = std::time::Instant::now();
    if cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    let target = writable_target(vault, out)?;
    let field_names = if matches!(options.format, ExportFormat::Csv | ExportFormat::Xlsx) {
        vault.leads().field_names(filter).await?
    } else {
        Vec::new()
    };
    let written = Arc::new(AtomicU64::new(0));
    // Stopped by the token (the caller then still waits for the clean-up) or by dropping this
    // future (the blocking thread cleans up on its own).
    let dropped = CancelOnDrop::new();
    let work = {
        let dir = folder_of(&target).to_path_buf();
        let (filter, options, out, raw) = (filter.clone(), options.clone(), target, vault.raw.clone());
        let (written, dropped, cancel) = (written.clone(), dropped.flag(), cancel.clone());
        vault.with_raw(move |conn| {
            let stop = || dropped.load(Ordering::Relaxed) || cancel.is_cancelled();
            let job = Job {
                filter: &filter,
                sort,
                format: options.format,
                field_names: &field_names,
                plan,
                stop: &stop,
            };
            // Nameless until it is whole: on every way out but success it is gone, a panic or
            // a crash included; here rather than in the async caller, which is gone once
            // cancelled.
            let file = OutFile::create(&out).map_err(|e| Error::io("create", &out, e))?;
            let rows = file
                .writer()
                .map_err(|e| Error::io("create", &out, e))
                .and_then(|w| Sink::create(&options, w, &dir, &field_names))
                .and_then(|sink| job.run(conn, &raw, sink, &written))
                // Cancelled after the last row was written: still no file.
                .and_then(|rows| if stop() { Err(Error::Cancelled) } else { Ok(rows) })?;
            file.keep().map_err(|e| Error::io("write", &out, e))?;
            Ok(rows)
        })
    };
    let rows = reporting(work, &written, &progress).await?;
    progress(rows);
    info!(format = ?options.format, rows, ms = started.elapsed().as_millis() as u64, "export finished");
    Ok(ExportReport { path: out.to_path_buf(), format: options.format, rows })
}

/// The name of the thread that writes an export's file: its panics come back as errors, and
/// rust_xlsxwriter's on a full disk is not printed (see [`quiet_writer_panics`]).
const WRITER_THREAD: &str = "leadvault-export-writer";

/// Keeps rust_xlsxwriter's panic on a full disk, on the export's writing thread, off stderr:
/// the export's error says it in one line. Every other panic is reported as before (a bug
/// must not hide behind "the export stopped unexpectedly"). Installed once, around the hook in
/// place.
fn quiet_writer_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let disk_full = says_disk_full(panic_text(info.payload()));
            if std::thread::current().name() == Some(WRITER_THREAD) && disk_full {
                tracing::warn!("the export's writer stopped: the disk is full");
            } else {
                before(info);
            }
        }));
    });
}

/// What a panic said, when it said it in text.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("")
}

/// Every connection of an export reads its pages once, front to back: a small page cache does.
const CACHE: &str = "PRAGMA cache_size = -2000";

/// What the reading threads hand the writing one, per run: pieces, then `End`.
enum Piece {
    /// Rows already rendered as the file's bytes.
    Text {
        bytes: Vec<u8>,
        rows: usize,
    },
    /// Rows for a writer that must see each one (XLSX).
    Rows(RowBatch),
    End,
}

/// One export's reading side.
struct Job<'j> {
    filter: &'j LeadFilter,
    sort: LeadSort,
    format: ExportFormat,
    field_names: &'j [String],
    plan: Plan,
    stop: &'j (dyn Fn() -> bool + Sync),
}

impl Job<'_> {
    /// Splits the view into runs on `conn` while `plan.workers` threads, each on a connection of
    /// its own, read and render the runs as they are found, and this one writes them into
    /// `sink` in order; returns how many rows were written.
    ///
    /// Each run is a read of its own, so a lead added, removed or changed into or out of the
    /// view while the export runs may or may not be in the file; every other lead of the view
    /// is in it exactly once (runs split the sort keys, and a lead's key never changes).
    fn run(
        &self,
        conn: &mut rusqlite::Connection,
        raw: &RawAccess,
        mut sink: Sink,
        written: &AtomicU64,
    ) -> Result<u64> {
        quiet_writer_panics();
        let workers = self.plan.workers.max(1);
        // Room for a whole run and its end (unless runs are very long): a thread that is a run
        // ahead of the writer is not held up before it has finished that run.
        let room = (self.plan.run.div_ceil(self.plan.batch.max(1)) + 1).min(64);
        conn.execute_batch(CACHE)?;
        let splits = Splits::default();
        // Raised by whichever thread fails first, so the others stop early.
        let failed = AtomicBool::new(false);
        let halt = || (self.stop)() || failed.load(Ordering::Relaxed);
        let failing = |e: Error| {
            failed.store(true, Ordering::Relaxed);
            e
        };
        std::thread::scope(|scope| {
            let (splits, halt, failing) = (&splits, &halt, &failing);
            let splitter = scope.spawn(move || {
                // Even if the scan panics, the runs found so far still cover the whole view
                // (the last has no end), and nobody waits for more.
                let _finish = FinishOnDrop(splits);
                split_keys(conn, self.filter, self.sort, self.plan.run, halt, |key| {
                    splits.push(key);
                    Ok(())
                })
                .map_err(failing)
            });
            let mut queues = Vec::with_capacity(workers);
            let mut readers = Vec::with_capacity(workers);
            for w in 0..workers {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(room);
                queues.push(rx);
                readers.push(
                    scope.spawn(move || self.read_runs(w, workers, raw, splits, halt, tx).map_err(failing)),
                );
            }
            // On a thread of its own too, so that even a panic while writing comes back as an
            // error and the caller removes the partial file.
            let writer = std::thread::Builder::new()
                .name(WRITER_THREAD.into())
                .spawn_scoped(scope, move || {
                    write_runs(&queues, splits, &mut sink, written, halt)
                        .and_then(|rows| sink.finish().map(|()| rows))
                        .map_err(failing)
                })
                .map_err(|e| Error::invalid(format!("could not start the export: {e}")))?;
            let stopped = || Error::invalid("the export stopped unexpectedly");
            // rust_xlsxwriter panics when it cannot write its row files (a full disk).
            let mut result =
                writer.join().unwrap_or_else(|panic| match says_disk_full(panic_text(&*panic)) {
                    true => Err(Error::NoSpace { what: "the export".into() }),
                    false => Err(stopped()),
                });
            let others =
                readers.into_iter().chain([splitter]).map(|h| h.join().unwrap_or_else(|_| Err(stopped())));
            // The first real error wins over the `Cancelled` it caused elsewhere.
            for other in others {
                if let Err(e) = other {
                    match &result {
                        Ok(_) => result = Err(e),
                        Err(Error::Cancelled) if !matches!(e, Error::Cancelled) => result = Err(e),
                        Err(_) => {}
                    }
                }
            }
            result
        })
    }

    /// Reads runs `w`, `w + workers`, ... into `tx`, each followed by `End`, on a connection
    /// opened for the first of them (a small view needs fewer readers).
    fn read_runs(
        &self,
        w: usize,
        workers: usize,
        raw: &RawAccess,
        splits: &Splits,
        halt: &dyn Fn() -> bool,
        tx: std::sync::mpsc::SyncSender<Piece>,
    ) -> Result<()> {
        let mut conn = None;
        for r in (w..).step_by(workers) {
            let Some(range) = splits.run(r) else { break };
            let conn = match &mut conn {
                Some(c) => c,
                None => {
                    let opened = raw.open()?;
                    opened.execute_batch(CACHE)?;
                    conn.insert(opened)
                }
            };
            for_each_batch(conn, self.filter, self.sort, range, self.plan.batch, |batch| {
                if halt() {
                    return Err(Error::Cancelled);
                }
                // A closed queue means the writer failed; its error is the one to report.
                tx.send(self.render(batch)?).map_err(|_| Error::Cancelled)
            })?;
            tx.send(Piece::End).map_err(|_| Error::Cancelled)?;
        }
        Ok(())
    }

    fn render(&self, batch: RowBatch) -> Result<Piece> {
        let mut bytes = Vec::with_capacity(batch.text_len() + batch.len() * 64);
        match self.format {
            ExportFormat::Xlsx => return Ok(Piece::Rows(batch)),
            ExportFormat::Csv => csv::render(&batch, self.field_names, &mut bytes)?,
            ExportFormat::Json => json::render(&batch, false, &mut bytes)?,
            ExportFormat::Ndjson => json::render(&batch, true, &mut bytes)?,
        }
        Ok(Piece::Text { bytes, rows: batch.len() })
    }
}

/// Takes run `r` from queue `r % queues.len()`, in order, into `sink`; returns the row count.
/// Stops with `Cancelled` once `halt` says so: the export was cancelled, or another thread
/// failed.
fn write_runs(
    queues: &[std::sync::mpsc::Receiver<Piece>],
    splits: &Splits,
    sink: &mut Sink,
    written: &AtomicU64,
    halt: &dyn Fn() -> bool,
) -> Result<u64> {
    let mut rows = 0u64;
    for r in 0.. {
        if splits.run(r).is_none() {
            break;
        }
        loop {
            // A closed queue means its reader stopped; its error is the one to report.
            let piece = queues[r % queues.len()].recv().map_err(|_| Error::Cancelled)?;
            if halt() {
                return Err(Error::Cancelled);
            }
            rows += match piece {
                Piece::End => break,
                piece => sink.write(piece)?,
            };
            written.store(rows, Ordering::Relaxed);
        }
    }
    Ok(rows)
}

/// Calls [`Splits::finish`] when dropped.
struct FinishOnDrop<'s>(&'s Splits);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// The sort keys that split the view into runs, shared as the key pass finds them.
#[derive(Default)]
struct Splits {
    found: Mutex<(Vec<i64>, bool)>,
    more: Condvar,
}

impl Splits {
    fn push(&self, key: i64) {
        self.found.lock().unwrap_or_else(|e| e.into_inner()).0.push(key);
        self.more.notify_all();
    }

    /// No more keys: the last run found is the view's last.
    fn finish(&self) {
        self.found.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.more.notify_all();
    }

    /// Key `i`, waiting for the key pass; `None` once it ended with fewer keys.
    fn key(&self, i: usize) -> Option<i64> {
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match found.0.get(i) {
                Some(k) => return Some(*k),
                None if found.1 => return None,
                None => found = self.more.wait(found).unwrap_or_else(|e| e.into_inner()),
            }
        }
    }

    /// Run `r`'s keys (it begins after key `r - 1` and ends at key `r`), or `None` if the view
    /// has fewer runs.
    fn run(&self, r: usize) -> Option<KeyRange> {
        let after = match r.checked_sub(1) {
            None => None,
            Some(p) => Some(self.key(p)?),
        };
        Some(KeyRange { after, through: self.key(r) })
    }
}

/// The file being written: text formats take rendered bytes, XLSX takes rows.
enum Sink<'f> {
    Text { out: BufWriter<File>, format: ExportFormat, rows_before: u64 },
    Xlsx(Box<xlsx::Writer<'f>>),
}

impl<'f> Sink<'f> {
    fn create(
        options: &ExportOptions,
        file: File,
        dir: &Path,
        field_names: &'f [String],
    ) -> Result<Sink<'f>> {
        let format = options.format;
        if format == ExportFormat::Xlsx {
            return Ok(Sink::Xlsx(Box::new(xlsx::Writer::new(field_names, file, dir)?)));
        }
        let mut out = BufWriter::with_capacity(1 << 16, file);
        match format {
            ExportFormat::Csv => csv::header(&mut out, options.excel_bom, field_names)?,
            ExportFormat::Json => out.write_all(b"[").map_err(write_error)?,
            _ => {}
        }
        Ok(Sink::Text { out, format, rows_before: 0 })
    }

    /// Writes one piece; returns its row count.
    fn write(&mut self, piece: Piece) -> Result<u64> {
        match (self, piece) {
            (Sink::Text { out, format, rows_before }, Piece::Text { bytes, rows }) => {
                // A JSON array's rows are separated by commas, pieces included.
                if *format == ExportFormat::Json && rows > 0 {
                    out.write_all(if *rows_before == 0 { b"\n" } else { b",\n" }).map_err(write_error)?;
                }
                *rows_before += rows as u64;
                out.write_all(&bytes).map_err(write_error)?;
                Ok(rows as u64)
            }
            (Sink::Xlsx(writer), Piece::Rows(batch)) => {
                for row in batch.rows() {
                    writer.write(&row)?;
                }
                Ok(batch.len() as u64)
            }
            _ => Err(Error::invalid("the export mixed up its formats")),
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Text { mut out, format, .. } => {
                if format == ExportFormat::Json {
                    out.write_all(b"\n]\n").map_err(write_error)?;
                }
                out.flush().map_err(write_error)
            }
            Sink::Xlsx(writer) => writer.finish(),
        }
    }
}

pub(crate) fn write_error(e: impl std::fmt::Display) -> Error {
    Error::writing("the export", e)
}

#[cfg(test)]
mod tests {
    use futures_util::TryStreamExt;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::domain::{Lead, LeadStatus, LeadUpdate};
    use crate::samples::load_samples;
    use crate::vault::test_vault;

    /// Splits small enough that a few hundred leads make dozens of runs over three readers.
    const SPLIT: Plan = Plan { workers: 3, run: 7, batch: 3 };
    const WHOLE: Plan = Plan { workers: 1, run: 100_000, batch: 512 };

    async fn vault(dir: &Path) -> Vault {
        let vault = test_vault(dir).await;
        load_samples(&vault, 300, |_| {}).await.unwrap();
        // Owners, several tags and notes on some, so the cells differ from lead to lead.
        let first = vault.leads().list(&LeadFilter::default(), LeadSort::Newest, None, 40).await.unwrap();
        for (i, lead) in first.leads.iter().enumerate() {
            let change = LeadUpdate {
                status: Some(if i % 2 == 0 { LeadStatus::Qualified } else { LeadStatus::Spam }),
                owner: Some(Some(format!("=owner {i}"))),
                add_tags: vec![format!("zz{i}"), "aa".into()],
                note: (i % 3 == 0).then(|| format!("call {i}\n=second line")),
                ..Default::default()
            };
            vault.leads().update(&lead.id, &change).await.unwrap();
            if i % 6 == 0 {
                let again = LeadUpdate { note: Some(format!("again {i}")), ..Default::default() };
                vault.leads().update(&lead.id, &again).await.unwrap();
            }
        }
        vault
    }

    /// Every lead's notes, by id.
    async fn notes_of(vault: &Vault) -> std::collections::HashMap<String, Vec<crate::domain::Note>> {
        let all: Vec<Lead> =
            vault.leads().stream(&LeadFilter::default(), LeadSort::Newest).try_collect().await.unwrap();
        let mut notes = std::collections::HashMap::new();
        for lead in all {
            notes.insert(lead.id.clone(), vault.leads().get(&lead.id).await.unwrap().notes);
        }
        notes
    }

    async fn run(
        vault: &Vault,
        filter: &LeadFilter,
        sort: LeadSort,
        out: &Path,
        format: ExportFormat,
        plan: Plan,
    ) -> u64 {
        let options = ExportOptions { format, excel_bom: false };
        let report =
            export_planned(vault, filter, sort, out, &options, |_| {}, &CancellationToken::new(), plan)
                .await
                .unwrap();
        report.rows
    }

    /// The cells a lead should have under `COLUMNS`, made from the lead itself.
    fn cells_of(lead: &Lead, notes: &[crate::domain::Note]) -> Vec<String> {
        let time = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let ad = &lead.ad;
        vec![
            lead.id.clone(),
            lead.source.clone(),
            lead.external_id.clone(),
            time(&lead.created_at),
            o(&lead.full_name),
            o(&lead.email),
            o(&lead.phone),
            o(&lead.company),
            lead.status.as_str().to_string(),
            o(&lead.owner),
            lead.tags.join(","),
            lead.score.map(|s| s.to_string()).unwrap_or_default(),
            o(&ad.ad_id),
            o(&ad.ad_name),
            o(&ad.adset_id),
            o(&ad.adset_name),
            o(&ad.campaign_id),
            o(&ad.campaign_name),
            o(&ad.form_id),
            o(&ad.form_name),
            o(&ad.platform),
            ad.is_organic.map(|b| b.to_string()).unwrap_or_default(),
            time(&lead.updated_at),
            crate::import::leadvault_csv::notes_cell(notes),
        ]
        .into_iter()
        .map(|c| csv::neutralise(&c).into_owned())
        .collect()
    }

    #[tokio::test]
    async fn split_exports_are_the_view_in_order_and_match_one_reader_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(dir.path()).await;
        let views = [
            (LeadFilter::default(), LeadSort::Newest),
            (LeadFilter::default(), LeadSort::Oldest),
            (LeadFilter::default(), LeadSort::ScoreHigh),
            (LeadFilter { search: Some("example".into()), ..Default::default() }, LeadSort::Newest),
            (LeadFilter { status: Some(LeadStatus::Qualified), ..Default::default() }, LeadSort::Oldest),
            (LeadFilter { tag: Some("aa".into()), ..Default::default() }, LeadSort::Newest),
            (LeadFilter { search: Some("nobody-has-this".into()), ..Default::default() }, LeadSort::Newest),
        ];
        let notes = notes_of(&vault).await;
        assert_eq!(notes.values().filter(|n| !n.is_empty()).count(), 14, "leads with notes to export");
        for (i, (filter, sort)) in views.iter().enumerate() {
            let expected: Vec<Lead> = vault.leads().stream(filter, *sort).try_collect().await.unwrap();
            for format in [ExportFormat::Csv, ExportFormat::Json, ExportFormat::Ndjson] {
                let (split, whole) =
                    (dir.path().join(format!("split-{i}")), dir.path().join(format!("whole-{i}")));
                let rows = run(&vault, filter, *sort, &split, format, SPLIT).await;
                assert_eq!(rows, expected.len() as u64, "{filter:?} {sort:?} {format:?}");
                run(&vault, filter, *sort, &whole, format, WHOLE).await;
                let bytes = std::fs::read(&split).unwrap();
                assert_eq!(bytes, std::fs::read(&whole).unwrap(), "{filter:?} {sort:?} {format:?}");
                match format {
                    ExportFormat::Csv => {
                        let mut file = ::csv::Reader::from_reader(&bytes[..]);
                        let got: Vec<Vec<String>> = file
                            .records()
                            .map(|r| r.unwrap().iter().take(COLUMNS.len()).map(str::to_string).collect())
                            .collect();
                        let want: Vec<Vec<String>> =
                            expected.iter().map(|l| cells_of(l, &notes[&l.id])).collect();
                        assert_eq!(got, want, "{filter:?} {sort:?}");
                    }
                    ExportFormat::Json => {
                        let got: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                        let want: Vec<serde_json::Value> = expected
                            .iter()
                            .map(|l| {
                                let mut v = serde_json::to_value(l).unwrap();
                                v["notes"] = serde_json::to_value(&notes[&l.id]).unwrap();
                                v
                            })
                            .collect();
                        assert_eq!(got, serde_json::Value::Array(want));
                    }
                    _ => {
                        let lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
                        assert_eq!(lines, expected.len());
                    }
                }
            }
        }
        // XLSX is written row by row on one thread whatever the split.
        let xlsx = dir.path().join("leads.xlsx");
        assert_eq!(
            run(&vault, &LeadFilter::default(), LeadSort::Newest, &xlsx, ExportFormat::Xlsx, SPLIT).await,
            300
        );
        assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    }

    #[tokio::test]
    async fn an_export_to_a_folder_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(dir.path()).await;
        let out = dir.path().join("dir.csv");
        std::fs::create_dir(&out).unwrap();
        let names = || {
            let mut names: Vec<_> =
                std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.path()).collect();
            names.sort();
            names
        };
        let before = names();
        let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
        let err = export(&vault, &LeadFilter::default(), LeadSort::Newest, &out, &options, |_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a folder") && err.contains("--out"), "{err}");
        assert_eq!(names(), before, "nothing written beside it");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "nor in it");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn an_export_into_the_data_folder_or_onto_a_pipe_is_refused_and_a_link_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let vault = test_vault(dir.path()).await;
        load_samples(&vault, 5, |_| {}).await.unwrap();
        let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
        let export_to = |out: PathBuf| {
            let (vault, options) = (&vault, &options);
            async move {
                let cancel = CancellationToken::new();
                export_cancellable(
                    vault,
                    &LeadFilter::default(),
                    LeadSort::Newest,
                    &out,
                    options,
                    |_| {},
                    &cancel,
                )
                .await
            }
        };
        let db = vault.data_dir().join("vault.db");
        let before = std::fs::read(&db).unwrap();
        let err = export_to(db.clone()).await.unwrap_err().to_string();
        assert!(err.contains("one of the vault's own files"), "{err}");
        assert_eq!(std::fs::read(&db).unwrap(), before);
        // Its logs' folder given for --out: no file name in it is suggested (one is refused).
        let logs = vault.data_dir().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let err = export_to(logs).await.unwrap_err().to_string();
        assert!(err.contains("is the vault's logs folder") && !err.contains("such as /"), "{err}");
        // The data folder and a folder of the user's own in it are any folders (a file in them
        // can be written).
        let exports = vault.data_dir().join("exports");
        std::fs::create_dir(&exports).unwrap();
        for folder in [vault.data_dir().to_path_buf(), exports] {
            let err = export_to(folder).await.unwrap_err().to_string();
            assert!(err.contains("is a folder; give --out a file name, such as"), "{err}");
        }
        // A FIFO, named without and through a link.
        let fifo = dir.path().join("pipe.csv");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let err = export_to(fifo.clone()).await.unwrap_err().to_string();
        assert!(err.contains("not an ordinary file"), "{err}");
        // A link is followed: the file it points to is written, the link kept.
        let real = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        let report = export_to(link.clone()).await.unwrap();
        assert_eq!((report.rows, report.path), (5, link.clone()));
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(std::fs::read_to_string(&real).unwrap().starts_with("id,source"));
    }

    #[tokio::test]
    async fn a_value_too_long_for_excel_names_the_lead_and_column_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let vault = test_vault(dir.path()).await;
        let story = "x".repeat(40_000);
        let input = dir.path().join("long.csv");
        std::fs::write(&input, format!("name,email,Story\nAna,ana@example.com,{story}\n")).unwrap();
        crate::import::import_file(&vault, &input, &Default::default(), |_| {}).await.unwrap();
        let id = vault.leads().list(&LeadFilter::default(), LeadSort::Newest, None, 1).await.unwrap().leads
            [0]
        .id
        .clone();
        let out = dir.path().join("leads.xlsx");
        let options = ExportOptions { format: ExportFormat::Xlsx, excel_bom: false };
        let err = export(&vault, &LeadFilter::default(), LeadSort::Newest, &out, &options, |_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(&id) && err.contains("\"Story\""), "{err}");
        assert!(err.contains("CSV or JSON") && !err.contains("xxx") && !err.contains("Ana"), "{err}");
        assert!(!out.exists());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // CSV keeps it whole.
        let csv_out = dir.path().join("leads.csv");
        let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
        export(&vault, &LeadFilter::default(), LeadSort::Newest, &csv_out, &options, |_| {}).await.unwrap();
        assert!(std::fs::read_to_string(&csv_out).unwrap().contains(&story));
    }
}
