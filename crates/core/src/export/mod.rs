//! One-click export of any view: CSV, XLSX, JSON or NDJSON, streamed from one query so memory
//! stays flat at a million leads. The same filters as the list give the same leads.

mod csv;
mod json;
mod xlsx;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::domain::{Lead, LeadFilter, LeadSort};
use crate::error::{Error, Result};
use crate::store::leads::{RowBatch, for_each_batch};
use crate::store::raw::{CancelOnDrop, reporting};
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
pub(crate) const COLUMNS: [&str; 23] = [
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
];

/// A lead's cells under [`COLUMNS`], borrowed where they can be.
pub(crate) fn flat_row(lead: &Lead) -> [Cow<'_, str>; 23] {
    fn o(v: &Option<String>) -> Cow<'_, str> {
        v.as_deref().unwrap_or_default().into()
    }
    fn time(t: &chrono::DateTime<chrono::Utc>) -> Cow<'static, str> {
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).into()
    }
    [
        lead.id.as_str().into(),
        lead.source.as_str().into(),
        lead.external_id.as_str().into(),
        time(&lead.created_at),
        o(&lead.full_name),
        o(&lead.email),
        o(&lead.phone),
        o(&lead.company),
        lead.status.as_str().into(),
        o(&lead.owner),
        lead.tags.join(",").into(),
        lead.score.map(|s| s.to_string()).unwrap_or_default().into(),
        o(&lead.ad.ad_id),
        o(&lead.ad.ad_name),
        o(&lead.ad.adset_id),
        o(&lead.ad.adset_name),
        o(&lead.ad.campaign_id),
        o(&lead.ad.campaign_name),
        o(&lead.ad.form_id),
        o(&lead.ad.form_name),
        o(&lead.ad.platform),
        lead.ad.is_organic.map(|b| if b { "true" } else { "false" }).unwrap_or_default().into(),
        time(&lead.updated_at),
    ]
}

/// A form answer as one cell: text as it is, anything else as JSON.
pub(crate) fn field_cell<'l>(lead: &'l Lead, name: &str) -> Cow<'l, str> {
    match lead.fields.get(name) {
        Some(serde_json::Value::String(s)) => s.as_str().into(),
        Some(other) => other.to_string().into(),
        None => "".into(),
    }
}

/// Writes every lead matching `filter` to `out`. The file appears only when complete: it is
/// written beside `out` under a temporary name and renamed at the end. `progress` hears the
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
    let started = std::time::Instant::now();
    if cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    let field_names = if matches!(options.format, ExportFormat::Csv | ExportFormat::Xlsx) {
        vault.leads().field_names(filter).await?
    } else {
        Vec::new()
    };
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = tempfile_in(dir, out)?;
    let written = Arc::new(AtomicU64::new(0));
    // Stopped by the token (the caller then still waits for the clean-up) or by dropping this
    // future (the blocking thread cleans up on its own).
    let dropped = CancelOnDrop::new();
    let work = {
        let (filter, options, out) = (filter.clone(), options.clone(), out.to_path_buf());
        let (written, dropped, cancel) = (written.clone(), dropped.flag(), cancel.clone());
        vault.with_raw(move |conn| {
            // Two threads: this one reads rows, the other makes leads of them and writes them.
            let (tx, rx) = std::sync::mpsc::sync_channel::<RowBatch>(4);
            let done = std::thread::scope(|scope| {
                let writer = scope.spawn(|| write_rows(rx, &options, &tmp, &field_names, &written));
                let read = for_each_batch(conn, &filter, sort, BATCH, |batch| {
                    if dropped.load(Ordering::Relaxed) || cancel.is_cancelled() {
                        return Err(Error::Cancelled);
                    }
                    // A closed channel means the writer failed; its error is the one to report.
                    tx.send(batch).map_err(|_| Error::Cancelled)
                });
                drop(tx);
                let wrote = writer.join().map_err(|_| Error::invalid("the export stopped unexpectedly"))?;
                match (read, wrote) {
                    (Ok(()), Ok(rows)) => Ok(rows),
                    (Err(e), _) if !matches!(e, Error::Cancelled) => Err(e),
                    (_, Err(e)) | (Err(e), _) => Err(e),
                }
            });
            // Here rather than in the async caller, which is gone if the export was cancelled.
            match done {
                Ok(rows) => {
                    std::fs::rename(&tmp, &out).map(|()| rows).map_err(|e| Error::io("write", &out, e))
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        })
    };
    let rows = reporting(work, &written, &progress).await?;
    progress(rows);
    info!(format = ?options.format, rows, ms = started.elapsed().as_millis() as u64, "export finished");
    Ok(ExportReport { path: out.to_path_buf(), format: options.format, rows })
}

/// Leads handed from the reading thread to the writing one at a time.
const BATCH: usize = 512;

/// Writes the leads that arrive on `rx` into `tmp`; finishes the file when the reader is done.
fn write_rows(
    rx: std::sync::mpsc::Receiver<RowBatch>,
    options: &ExportOptions,
    tmp: &Path,
    field_names: &[String],
    written: &AtomicU64,
) -> Result<u64> {
    let mut writer: Box<dyn RowWriter + '_> = match options.format {
        ExportFormat::Csv => Box::new(csv::Writer::new(create(tmp)?, options.excel_bom, field_names)?),
        ExportFormat::Xlsx => Box::new(xlsx::Writer::new(field_names, tmp)?),
        ExportFormat::Json => Box::new(json::Writer::new(create(tmp)?, false)?),
        ExportFormat::Ndjson => Box::new(json::Writer::new(create(tmp)?, true)?),
    };
    let mut rows = 0u64;
    for batch in rx {
        for lead in batch.leads() {
            writer.write(&lead?)?;
        }
        rows += batch.len() as u64;
        written.store(rows, Ordering::Relaxed);
    }
    writer.finish()?;
    Ok(rows)
}

/// One export format: rows go in one at a time, `finish` completes the file.
pub(crate) trait RowWriter {
    fn write(&mut self, lead: &Lead) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<()>;
}

pub(crate) fn write_error(e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("could not write the export: {e}"))
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    File::create(path).map(|f| BufWriter::with_capacity(1 << 16, f)).map_err(|e| Error::io("create", path, e))
}

fn tempfile_in(dir: &Path, out: &Path) -> Result<PathBuf> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!(
            "the folder {} does not exist; create it or choose another --out",
            dir.display()
        )));
    }
    let name = out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "export".into());
    Ok(dir.join(format!(".{name}.{}.partial", std::process::id())))
}
