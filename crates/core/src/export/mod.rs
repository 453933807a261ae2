//! One-click export of any view: CSV, XLSX, JSON or NDJSON, streamed from one query so memory
//! stays flat at a million leads. The same filters as the list give the same leads.

mod csv;
mod json;
mod xlsx;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::domain::{Lead, LeadFilter, LeadSort};
use crate::error::{Error, Result};
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

pub(crate) fn flat_row(lead: &Lead) -> [String; 23] {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        lead.id.clone(),
        lead.source.clone(),
        lead.external_id.clone(),
        lead.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        o(&lead.full_name),
        o(&lead.email),
        o(&lead.phone),
        o(&lead.company),
        lead.status.to_string(),
        o(&lead.owner),
        lead.tags.join(","),
        lead.score.map(|s| s.to_string()).unwrap_or_default(),
        o(&lead.ad.ad_id),
        o(&lead.ad.ad_name),
        o(&lead.ad.adset_id),
        o(&lead.ad.adset_name),
        o(&lead.ad.campaign_id),
        o(&lead.ad.campaign_name),
        o(&lead.ad.form_id),
        o(&lead.ad.form_name),
        o(&lead.ad.platform),
        lead.ad.is_organic.map(|b| b.to_string()).unwrap_or_default(),
        lead.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ]
}

/// Writes every lead matching `filter` to `out`. The file appears only when complete: it is
/// written beside `out` under a temporary name and renamed at the end.
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
    let field_names = if matches!(options.format, ExportFormat::Csv | ExportFormat::Xlsx) {
        vault.leads().field_names(filter).await?
    } else {
        Vec::new()
    };
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = tempfile_in(dir, out)?;
    let leads = vault.leads();
    let mut stream = std::pin::pin!(leads.stream(filter, sort));
    let mut rows = 0u64;
    let result: Result<()> = async {
        let mut writer: Box<dyn RowWriter + '_> = match options.format {
            ExportFormat::Csv => Box::new(csv::Writer::new(create(&tmp)?, options.excel_bom, &field_names)?),
            ExportFormat::Xlsx => Box::new(xlsx::Writer::new(&field_names, &tmp)?),
            ExportFormat::Json => Box::new(json::Writer::new(create(&tmp)?, false)?),
            ExportFormat::Ndjson => Box::new(json::Writer::new(create(&tmp)?, true)?),
        };
        while let Some(lead) = stream.next().await {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            writer.write(&lead?)?;
            rows += 1;
            if rows.is_multiple_of(10_000) {
                progress(rows);
            }
        }
        writer.finish()
    }
    .await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, out).map_err(|e| Error::io("write", out, e))?;
    progress(rows);
    info!(format = ?options.format, rows, ms = started.elapsed().as_millis() as u64, "export finished");
    Ok(ExportReport { path: out.to_path_buf(), format: options.format, rows })
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
