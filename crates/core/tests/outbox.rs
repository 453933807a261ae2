//! The outbox over a real vault: what is queued for a CRM and when, a change made while a push
//! is on its way is not lost, and a disconnected CRM or deleted lead leaves nothing queued.

use std::path::Path;
use std::sync::Arc;

use leadvault_core::connections::{AuthKind, Credentials, NewConnection, Provider};
use leadvault_core::outbox::{CrmLink, Outcome};
use leadvault_core::secrets::{OsKeychain, Secret};
use leadvault_core::{LeadFilter, LeadStatus, LeadUpdate, NewLead, Unlock, Vault, VaultOptions};

fn options(dir: &Path) -> VaultOptions {
    VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new()))
}

fn connection(provider: Provider) -> NewConnection {
    NewConnection {
        provider,
        label: format!("Acme {}", provider.display_name()),
        auth: AuthKind::Token,
        account_id: None,
        account_name: None,
        scopes: Vec::new(),
        base_url: Some("http://127.0.0.1:9".into()),
        api_base: None,
    }
}

fn lead(i: u32, connection: Option<&str>) -> NewLead {
    NewLead {
        source: if connection.is_some() { "meta" } else { "import" }.into(),
        external_id: format!("l:{i}"),
        created_at: chrono::DateTime::from_timestamp(1_790_000_000 + i64::from(i), 0).unwrap(),
        full_name: Some(format!("Lead {i}")),
        connection_id: connection.map(str::to_string),
        ..Default::default()
    }
}

#[tokio::test]
async fn synced_leads_and_their_changes_are_queued_for_every_crm_and_a_late_change_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(options(dir.path()), Unlock::Keychain).await.unwrap();
    let token = Credentials::token(Secret::new("pat-na1-x"));
    let meta = vault.connections().add(connection(Provider::Meta), &token).await.unwrap();
    let hubspot = vault.connections().add(connection(Provider::Hubspot), &token).await.unwrap();

    // Three synced leads and two imported ones: only the synced go to the CRM.
    let mut leads: Vec<NewLead> = (0..3).map(|i| lead(i, Some(&meta.id))).collect();
    leads.extend((3..5).map(|i| lead(i, None)));
    vault.add_leads(leads).await.unwrap();
    let outbox = vault.outbox(&hubspot.id);
    assert_eq!(outbox.counts().await.unwrap().pending, 3);

    // A CRM connected later gets the synced leads it missed, and nothing else.
    let salesforce = vault.connections().add(connection(Provider::Salesforce), &token).await.unwrap();
    assert_eq!(vault.outbox(&salesforce.id).counts().await.unwrap().pending, 3);
    assert_eq!(vault.outbox(&meta.id).counts().await.unwrap().pending, 0, "Meta is not a CRM");

    // Pushed: the items clear and the links stay.
    let due = outbox.due(100).await.unwrap();
    assert_eq!(due.len(), 3);
    let link = |n: usize| CrmLink { remote_id: format!("contact-{n}"), remote_lead_id: None };
    // Meanwhile the person changes the first lead's status: that change must still go out.
    let first = due[0].lead.id.clone();
    let change = LeadUpdate { status: Some(LeadStatus::Contacted), ..Default::default() };
    vault.leads().update(&first, &change).await.unwrap();
    let results: Vec<_> =
        due.iter().enumerate().map(|(n, item)| (item.clone(), Outcome::Created(link(n)))).collect();
    outbox.record(&results).await.unwrap();
    assert_eq!(outbox.linked().await.unwrap(), 3);
    let again = outbox.due(100).await.unwrap();
    assert_eq!(again.len(), 1, "the lead changed after it was read: its item stays");
    assert_eq!(again[0].lead.id, first);
    assert_eq!(again[0].lead.status, LeadStatus::Contacted);
    assert_eq!(again[0].link, Some(link(0)), "and it knows what it already is remotely");
    outbox.record(&[(again[0].clone(), Outcome::Updated(link(0)))]).await.unwrap();
    assert_eq!(outbox.counts().await.unwrap().pending, 0);

    // An imported lead's change is not pushed; a pushed lead's is, once per change.
    let filter = LeadFilter { source: Some("import".into()), ..Default::default() };
    let imported = vault.leads().list(&filter, Default::default(), None, 10).await.unwrap();
    let imported = imported.leads[0].id.clone();
    vault.leads().update(&imported, &change).await.unwrap();
    assert_eq!(outbox.counts().await.unwrap().pending, 0);
    let tags_only = LeadUpdate { add_tags: vec!["vip".into()], ..Default::default() };
    vault.leads().update(&first, &tags_only).await.unwrap();
    assert_eq!(outbox.counts().await.unwrap().pending, 0, "tags stay local");
    let won = LeadUpdate { status: Some(LeadStatus::Won), ..Default::default() };
    vault.leads().update(&first, &won).await.unwrap();
    assert_eq!(outbox.counts().await.unwrap().pending, 1);

    // Retries and failures are recorded, every one.
    let item = outbox.due(1).await.unwrap().remove(0);
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    outbox.record(&[(item.clone(), Outcome::Retry { reason: "HTTP 503".into(), at: later })]).await.unwrap();
    assert!(outbox.due(10).await.unwrap().is_empty(), "not due before its time");
    assert_eq!(outbox.counts().await.unwrap().pending, 1);
    outbox.record(&[(item, Outcome::Failed("INVALID_EMAIL".into()))]).await.unwrap();
    assert_eq!(
        outbox.counts().await.unwrap(),
        leadvault_core::outbox::OutboxCounts { pending: 0, failed: 1 }
    );
    let attempts = outbox.attempts(100).await.unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failed", "retry", "updated", "created", "created", "created"]);
    assert_eq!(attempts[0].idempotency_key, attempts[1].idempotency_key, "one key through the retries");

    // Disconnecting the CRM forgets its queue, links and attempts.
    vault.connections().remove(&hubspot.id, false).await.unwrap();
    let gone = vault.outbox(&hubspot.id);
    assert_eq!((gone.counts().await.unwrap().failed, gone.linked().await.unwrap()), (0, 0));
    assert!(gone.attempts(10).await.unwrap().is_empty());
    // Purging the source deletes its leads, and their queued pushes with them.
    vault.connections().remove(&meta.id, true).await.unwrap();
    assert_eq!(vault.outbox(&salesforce.id).counts().await.unwrap().pending, 0);
    vault.close().await;
}
