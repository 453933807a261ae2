//! The record of ads changes over a real vault: what is recorded comes back as it was, newest
//! first, per connection; the schema refuses a record that contradicts itself; purging a
//! connection forgets its records, a plain disconnect keeps them as history.

use std::path::Path;
use std::sync::Arc;

use leadvault_core::ad_changes::{Action, NewAdChange, Outcome, TargetKind};
use leadvault_core::connections::{AuthKind, Credentials, NewConnection, Provider};
use leadvault_core::secrets::{OsKeychain, Secret};
use leadvault_core::{Unlock, Vault, VaultOptions};
use serde_json::json;

async fn vault(dir: &Path) -> Vault {
    Vault::create(VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new())), Unlock::Keychain)
        .await
        .unwrap()
}

async fn connection(vault: &Vault, provider: Provider) -> String {
    let new = NewConnection {
        provider,
        label: format!("{} test", provider.display_name()),
        auth: AuthKind::Token,
        account_id: Some("1234567890".into()),
        account_name: None,
        scopes: Vec::new(),
        base_url: Some("http://127.0.0.1:9".into()),
        api_base: None,
    };
    vault.connections().add(new, &Credentials::token(Secret::new("t0ken"))).await.unwrap().id
}

fn pause(connection_id: &str, campaign: &str, dry_run: bool) -> NewAdChange {
    NewAdChange {
        connection_id: connection_id.into(),
        provider: Provider::GoogleAds,
        target_kind: TargetKind::Campaign,
        target_id: campaign.into(),
        action: Action::Pause,
        before: Some(json!({"status": "ENABLED"})),
        after: Some(json!({"status": "PAUSED"})),
        dry_run,
        outcome: if dry_run { Outcome::Validated } else { Outcome::Applied },
        reason: None,
    }
}

#[tokio::test]
async fn changes_come_back_as_recorded_newest_first_and_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let (a, b) = (connection(&vault, Provider::GoogleAds).await, connection(&vault, Provider::Meta).await);
    let changes = vault.ad_changes();
    let first = changes.record(pause(&a, "11", true)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = changes.record(pause(&a, "11", false)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let failed = changes
        .record(NewAdChange {
            connection_id: b.clone(),
            provider: Provider::Meta,
            before: None,
            after: Some(json!({"status": "ACTIVE"})),
            action: Action::Enable,
            outcome: Outcome::Failed,
            reason: Some("Meta refused the credentials (code 190); sign in again".into()),
            ..pause(&b, "22", false)
        })
        .await
        .unwrap();

    let all = changes.list(None, 0).await.unwrap();
    assert_eq!(all, vec![failed.clone(), second.clone(), first.clone()], "newest first, as recorded");
    assert_eq!(changes.list(Some(&a), 0).await.unwrap(), vec![second.clone(), first]);
    assert_eq!(changes.list(None, 1).await.unwrap(), vec![failed.clone()]);
    assert_eq!(failed.before, None);
    assert_eq!(second.after, Some(json!({"status": "PAUSED"})));
    assert!(!second.dry_run && second.outcome == Outcome::Applied);
    vault.close().await;
}

#[tokio::test]
async fn a_record_that_contradicts_itself_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let a = connection(&vault, Provider::GoogleAds).await;
    let changes = vault.ad_changes();
    let applied_dry_run = NewAdChange { outcome: Outcome::Applied, ..pause(&a, "11", true) };
    assert!(changes.record(applied_dry_run).await.is_err(), "a dry run applies nothing");
    let failed_without_reason = NewAdChange { outcome: Outcome::Failed, ..pause(&a, "11", false) };
    assert!(changes.record(failed_without_reason).await.is_err(), "a failure says why");
    let reason_on_success = NewAdChange { reason: Some("x".into()), ..pause(&a, "11", false) };
    assert!(changes.record(reason_on_success).await.is_err());
    assert!(changes.list(None, 0).await.unwrap().is_empty());
    vault.close().await;
}

#[tokio::test]
async fn purging_a_connection_forgets_its_changes_and_a_plain_disconnect_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let (a, b) =
        (connection(&vault, Provider::GoogleAds).await, connection(&vault, Provider::GoogleAds).await);
    for (connection, n) in [(&a, 3), (&b, 2)] {
        for i in 0..n {
            vault.ad_changes().record(pause(connection, &i.to_string(), i % 2 == 0)).await.unwrap();
        }
    }
    let removed = vault.connections().remove(&a, true).await.unwrap();
    assert_eq!(removed.ad_changes_deleted, 3);
    assert_eq!(removed.ads_rows_deleted, 0, "the ads rows count only ads rows");
    assert!(vault.ad_changes().list(Some(&a), 0).await.unwrap().is_empty());
    assert_eq!(vault.ad_changes().list(None, 0).await.unwrap().len(), 2, "the other connection's stay");

    let removed = vault.connections().remove(&b, false).await.unwrap();
    assert_eq!(removed.ad_changes_deleted, 0);
    assert_eq!(vault.ad_changes().list(Some(&b), 0).await.unwrap().len(), 2, "kept as history");
    vault.close().await;
}
