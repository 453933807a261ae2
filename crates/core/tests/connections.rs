//! Connections over a real vault and the real OS keychain: the vault keeps only what is not
//! secret, the keychain keeps the tokens, and disconnecting forgets both.

use std::path::Path;
use std::sync::Arc;

use leadvault_core::ads::{Campaign, DailyMetrics};
use leadvault_core::connections::{AuthKind, ConnectionStatus, Credentials, NewConnection, Provider};
use leadvault_core::secrets::{KeyStore, OsKeychain, Secret};
use leadvault_core::{LeadFilter, NewLead, Unlock, Vault, VaultOptions};

fn options(dir: &Path) -> VaultOptions {
    VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new()))
}

fn new_connection(provider: Provider) -> NewConnection {
    NewConnection {
        provider,
        label: "Acme HubSpot".into(),
        auth: AuthKind::Oauth,
        account_id: Some("4471".into()),
        account_name: Some("HubSpot account 4471".into()),
        scopes: vec!["oauth".into(), "crm.objects.contacts.write".into()],
        base_url: Some("http://127.0.0.1:9".into()),
        api_base: None,
    }
}

/// Every file under `dir`, read whole.
fn every_byte(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_byte(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn tokens_live_in_the_keychain_and_never_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let planted = format!("pat-na1-PLANTED{}", ulid::Ulid::generate());
    let refresh = format!("rt-PLANTED{}", ulid::Ulid::generate());
    let credentials = Credentials {
        access_token: Secret::new(planted.clone()),
        client_id: Some("leadvault-test-client".into()),
        refresh_token: Some(Secret::new(refresh.clone())),
        expires_at: Some(chrono::Utc::now()),
        client_secret: None,
        developer_token: None,
    };
    let c = vault.connections().add(new_connection(Provider::Hubspot), &credentials).await.unwrap();
    assert_eq!(c.status, ConnectionStatus::Connected);
    assert_eq!(c.scopes.len(), 2);
    assert_eq!(vault.connections().list().await.unwrap(), vec![c.clone()]);
    assert_eq!(vault.connections().credentials(&c.id).await.unwrap(), Some(credentials.clone()));

    // Debug output, the form logs would use, shows no secret.
    let shown = format!("{credentials:?} {c:?}");
    assert!(!shown.contains(&planted) && !shown.contains(&refresh), "{shown}");

    // The keychain entry holds the tokens; not a byte of them is under the data dir.
    let account = format!("connection:{}", c.id);
    let stored =
        tokio::task::spawn_blocking(move || OsKeychain::new().get_text(&account)).await.unwrap().unwrap();
    assert!(stored.unwrap().contains(&planted));
    vault.close().await;
    for (path, bytes) in every_byte(&dir.path().join("data")) {
        assert!(!contains(&bytes, planted.as_bytes()), "the token is in {path}");
        assert!(!contains(&bytes, refresh.as_bytes()), "the refresh token is in {path}");
    }

    // Status changes are kept; removing forgets the keychain entry too.
    let vault = Vault::open(options(dir.path())).await.unwrap();
    let connections = vault.connections();
    connections
        .set_status(&c.id, ConnectionStatus::NeedsSignIn, Some("HubSpot refused the credentials"))
        .await
        .unwrap();
    let again = connections.get(&c.id).await.unwrap();
    assert_eq!(again.status, ConnectionStatus::NeedsSignIn);
    assert_eq!(again.last_error.as_deref(), Some("HubSpot refused the credentials"));
    connections.remove(&c.id, false).await.unwrap();
    assert!(connections.list().await.unwrap().is_empty());
    assert!(connections.get(&c.id).await.is_err());
    let account = format!("connection:{}", c.id);
    let gone =
        tokio::task::spawn_blocking(move || OsKeychain::new().get_text(&account)).await.unwrap().unwrap();
    assert!(gone.is_none(), "disconnecting deletes the keychain entry");
    vault.close().await;
}

#[tokio::test]
async fn purging_a_connection_deletes_its_leads_campaigns_and_metrics_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let credentials = Credentials::token(Secret::new("pat-na1-x"));
    let a = vault.connections().add(new_connection(Provider::Meta), &credentials).await.unwrap();
    let b = vault.connections().add(new_connection(Provider::GoogleAds), &credentials).await.unwrap();
    let lead = |i: u32, connection: Option<&str>| NewLead {
        source: "meta".into(),
        external_id: format!("l:{i}"),
        created_at: chrono::DateTime::from_timestamp(1_790_000_000 + i64::from(i), 0).unwrap(),
        full_name: Some(format!("Lead {i}")),
        connection_id: connection.map(str::to_string),
        ..Default::default()
    };
    let mut leads: Vec<NewLead> = (0..5).map(|i| lead(i, Some(&a.id))).collect();
    leads.extend((5..8).map(|i| lead(i, Some(&b.id))));
    leads.extend((8..10).map(|i| lead(i, None)));
    assert_eq!(vault.add_leads(leads).await.unwrap(), 10);
    // Each connection's campaigns and daily metrics; writing them twice doubles nothing.
    for connection in [&a.id, &b.id] {
        let ads = vault.ads(connection);
        let campaigns: Vec<Campaign> = (0..3)
            .map(|i| Campaign {
                id: format!("{i}"),
                name: format!("Campaign {i}"),
                status: "ENABLED".into(),
                budget_micros: Some(50_000_000),
                bidding: Some("MAXIMIZE_CONVERSIONS".into()),
            })
            .collect();
        let days: Vec<DailyMetrics> = (1..=7)
            .map(|d| DailyMetrics {
                campaign_id: "0".into(),
                day: format!("2026-11-{d:02}"),
                impressions: 1000 * d,
                clicks: 40 * d,
                cost_micros: 12_500_000 * d,
                conversions: 2.5 * d as f64,
            })
            .collect();
        for _ in 0..2 {
            ads.upsert_campaigns(&campaigns).await.unwrap();
            ads.upsert_metrics(&days).await.unwrap();
        }
        assert_eq!(ads.campaigns().await.unwrap(), campaigns);
        assert_eq!(ads.metrics("0", "2026-11-05").await.unwrap(), days[4..].to_vec());
    }

    let removed = vault.connections().remove(&a.id, true).await.unwrap();
    assert_eq!(removed.leads_deleted, 5);
    assert_eq!(removed.ads_rows_deleted, 3 + 7, "its campaigns and metric days are gone");
    assert!(vault.ads(&a.id).campaigns().await.unwrap().is_empty());
    assert!(vault.ads(&a.id).metrics("0", "2000-01-01").await.unwrap().is_empty());
    assert_eq!(vault.ads(&b.id).campaigns().await.unwrap().len(), 3, "the other connection's stay");
    let all = LeadFilter::default();
    assert_eq!(vault.leads().count(&all).await.unwrap(), 5, "the other connection's and imported leads stay");
    let removed = vault.connections().remove(&b.id, false).await.unwrap();
    assert_eq!((removed.leads_deleted, removed.ads_rows_deleted), (0, 0));
    assert_eq!(vault.leads().count(&all).await.unwrap(), 5, "without --purge the leads stay");
    assert_eq!(vault.ads(&b.id).campaigns().await.unwrap().len(), 3, "and the ads data, as history");
    vault.close().await;
}

#[tokio::test]
async fn a_blank_label_or_unknown_provider_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let mut c = new_connection(Provider::Pipedrive);
    c.label = "  ".into();
    let err = vault.connections().add(c, &Credentials::token(Secret::new("t"))).await.unwrap_err();
    assert!(err.to_string().contains("label"), "{err}");
    assert!(vault.connections().list().await.unwrap().is_empty());
    let err = "linkedin".parse::<Provider>().unwrap_err();
    assert!(err.to_string().contains("google-ads"), "{err}");
    vault.close().await;
}
