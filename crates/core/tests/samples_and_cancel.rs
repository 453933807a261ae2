//! Sample leads for a new vault, and cancelling an export: both over a real SQLCipher file.

use std::path::Path;
use std::sync::Arc;

use leadvault_core::export::{ExportFormat, ExportOptions, export_cancellable};
use leadvault_core::samples::{SAMPLE_SOURCE, SAMPLE_TAG, load_samples};
use leadvault_core::secrets::{OsKeychain, Passphrase};
use leadvault_core::{Error, LeadFilter, LeadSort, Unlock, Vault, VaultOptions};
use tokio_util::sync::CancellationToken;

async fn vault(dir: &Path) -> Vault {
    let options = VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new()));
    let p = Passphrase::new("correct horse battery staple").unwrap();
    Vault::create(options, Unlock::Passphrase(p)).await.unwrap()
}

#[tokio::test]
async fn samples_are_marked_searchable_and_never_duplicated() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let report = load_samples(&vault, 150, |_| {}).await.unwrap();
    assert_eq!(report.added, 150);
    let again = load_samples(&vault, 150, |_| {}).await.unwrap();
    assert_eq!((again.added, again.unchanged), (0, 150));

    let tagged =
        LeadFilter { tag: Some(SAMPLE_TAG.into()), source: Some(SAMPLE_SOURCE.into()), ..Default::default() };
    assert_eq!(vault.leads().count(&tagged).await.unwrap(), 150);
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::Newest, None, 150).await.unwrap();
    let lead = &page.leads[0];
    assert!(lead.full_name.is_some() && lead.email.is_some() && lead.phone.is_some());
    assert!(lead.ad.campaign_name.is_some() && lead.fields.contains_key("budget"));
    let statuses: std::collections::HashSet<_> = page.leads.iter().map(|l| l.status).collect();
    assert!(statuses.len() > 2, "samples show a pipeline, not one status");
    let first = lead.full_name.clone().unwrap();
    let search = LeadFilter { search: Some(first.clone()), ..Default::default() };
    assert!(vault.leads().count(&search).await.unwrap() >= 1);
    assert!(
        !dir.path()
            .join("data")
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().starts_with(".samples") }),
        "the temporary import file is gone"
    );
    assert!(matches!(load_samples(&vault, 0, |_| {}).await, Err(Error::InvalidInput(_))));
}

#[tokio::test]
async fn a_cancelled_export_stops_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    load_samples(&vault, 50, |_| {}).await.unwrap();
    let out = dir.path().join("out.csv");
    let options = ExportOptions { format: ExportFormat::Csv, excel_bom: false };
    let cancel = CancellationToken::new();
    cancel.cancel();
    let r =
        export_cancellable(&vault, &LeadFilter::default(), LeadSort::Newest, &out, &options, |_| {}, &cancel)
            .await;
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    let left: Vec<_> = dir.path().read_dir().unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!out.exists() && left.iter().all(|n| !n.to_string_lossy().contains("partial")), "{left:?}");

    let live = CancellationToken::new();
    let done =
        export_cancellable(&vault, &LeadFilter::default(), LeadSort::Newest, &out, &options, |_| {}, &live)
            .await
            .unwrap();
    assert_eq!(done.rows, 50);
}
