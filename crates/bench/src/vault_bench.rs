//! Leadvault's side: a fresh passphrase vault, timed through the same core calls the app makes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use leadvault_core::export::{ExportFormat, ExportOptions, export};
use leadvault_core::import::{ImportOptions, import_file};
use leadvault_core::secrets::{OsKeychain, Passphrase};
use leadvault_core::store::Page;
use leadvault_core::{LeadFilter, LeadSort, LeadStatus, Unlock, Vault, VaultOptions, vault};
use serde::Serialize;

use crate::stats::Latency;
use crate::{Fail, LIST_RUNS, PAGE, WARM_UP_RUNS, db_size, first_line, progress};

/// The benchmark vault's passphrase; printed with `--keep` so the vault can be opened later.
pub const PASSPHRASE: &str = "leadvault-bench passphrase";

#[derive(Debug, Clone, Serialize)]
pub struct VaultFigures {
    pub sqlcipher_version: String,
    pub import_secs: f64,
    pub import_rows_per_sec: f64,
    pub search: Latency,
    /// The searches that took longest, slowest first.
    pub slowest_searches: Vec<SlowSearch>,
    pub list: Latency,
    pub list_status: Latency,
    pub export_secs: f64,
    pub export_rows_per_sec: f64,
    pub db_bytes: u64,
    /// The SQL of the vault's lead tables, indexes and search index, for the reference that
    /// loads the same file into the same schema.
    #[serde(skip)]
    pub schema: Vec<String>,
    /// The first line of the CSV export: the columns the like-for-like export must match.
    #[serde(skip)]
    pub export_header: String,
    /// Where the vault was kept (`--keep`).
    pub kept_vault: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlowSearch {
    pub query: String,
    pub ms: f64,
}

/// How many of the slowest searches to name.
const SLOWEST: usize = 5;

pub async fn run(
    csv: &Path,
    work_dir: &Path,
    leads: u64,
    queries: &[String],
    keep: bool,
) -> Result<VaultFigures, Fail> {
    let dir = tempfile::Builder::new()
        .prefix("vault-")
        .tempdir_in(work_dir)
        .map_err(|e| Fail::io("create a folder in", work_dir, e))?;
    let data_dir = dir.path().join("data");
    let passphrase = Passphrase::new(PASSPHRASE)?;
    let mut options = VaultOptions::new(&data_dir, Arc::new(OsKeychain::new()));
    options.passphrase = Some(passphrase.clone());
    let vault = Vault::create(options, Unlock::Passphrase(passphrase)).await?;
    let sqlcipher_version = vault.status().await?.sqlcipher_version;

    progress(format_args!("leadvault: importing {leads} leads"));
    let started = Instant::now();
    let report = import_file(&vault, csv, &ImportOptions::default(), |_| {}).await?;
    let import_secs = started.elapsed().as_secs_f64();
    if report.added != leads {
        return Err(Fail(format!(
            "leadvault imported {} of {leads} leads ({} rejected, {} unchanged)",
            report.added, report.rejected, report.unchanged
        )));
    }

    progress(format_args!("leadvault: {} searches (after a warm-up pass)", queries.len()));
    let searches: Vec<LeadFilter> =
        queries.iter().map(|q| LeadFilter { search: Some(q.clone()), ..LeadFilter::default() }).collect();
    for filter in &searches {
        first_page(&vault, filter).await?;
    }
    let mut samples = Vec::with_capacity(searches.len());
    for filter in &searches {
        samples.push(timed_first_page(&vault, filter).await?);
    }
    let search = Latency::of(&samples);
    let mut slowest: Vec<SlowSearch> =
        queries.iter().zip(&samples).map(|(q, ms)| SlowSearch { query: q.clone(), ms: *ms }).collect();
    slowest.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    slowest.truncate(SLOWEST);

    progress(format_args!("leadvault: listing the first page {LIST_RUNS} times, unfiltered and by status"));
    let list = repeated_first_page(&vault, &LeadFilter::default()).await?;
    let by_status = LeadFilter { status: Some(LeadStatus::New), ..LeadFilter::default() };
    let list_status = repeated_first_page(&vault, &by_status).await?;

    progress(format_args!("leadvault: exporting CSV"));
    let out = work_dir.join("leadvault-export.csv");
    let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
    let started = Instant::now();
    let exported = export(&vault, &LeadFilter::default(), LeadSort::Newest, &out, &options, |_| {}).await?;
    let export_secs = started.elapsed().as_secs_f64();
    if exported.rows != leads {
        return Err(Fail(format!("leadvault exported {} of {leads} leads", exported.rows)));
    }
    let export_header = first_line(&out)?;
    if !keep {
        std::fs::remove_file(&out).map_err(|e| Fail::io("remove", &out, e))?;
    }

    let schema = vault.leads_schema().await?;
    vault.close().await;
    let db = data_dir.join(vault::DB_FILE);
    let db_bytes = db_size(&db);
    let kept_vault = keep.then(|| dir.keep().join("data"));

    Ok(VaultFigures {
        sqlcipher_version,
        import_secs,
        import_rows_per_sec: leads as f64 / import_secs,
        search,
        slowest_searches: slowest,
        list,
        list_status,
        export_secs,
        export_rows_per_sec: leads as f64 / export_secs,
        db_bytes,
        schema,
        export_header,
        kept_vault,
    })
}

async fn first_page(vault: &Vault, filter: &LeadFilter) -> Result<Page, Fail> {
    Ok(vault.leads().list(filter, LeadSort::Newest, None, PAGE).await?)
}

/// How long the first page of `filter` takes, in milliseconds.
async fn timed_first_page(vault: &Vault, filter: &LeadFilter) -> Result<f64, Fail> {
    let started = Instant::now();
    let page = first_page(vault, filter).await?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    std::hint::black_box(page);
    Ok(ms)
}

async fn repeated_first_page(vault: &Vault, filter: &LeadFilter) -> Result<Latency, Fail> {
    for _ in 0..WARM_UP_RUNS {
        first_page(vault, filter).await?;
    }
    let mut samples = Vec::with_capacity(LIST_RUNS);
    for _ in 0..LIST_RUNS {
        samples.push(timed_first_page(vault, filter).await?);
    }
    Ok(Latency::of(&samples))
}
