//! Pushing synced leads to the CRM fakes (HubSpot, Pipedrive, Salesforce) over loopback HTTP
//! from a real vault: each lead once in each CRM, through 5xx, cut-off answers (the CRM wrote,
//! the answer was lost) and an outage; status changes follow; the CRMs' request windows are
//! never overrun.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use leadvault_connectors::sync::{SyncOptions, sync_connection};
use leadvault_connectors::{Error, manage};
use leadvault_core::connections::Provider;
use leadvault_core::secrets::{OsKeychain, Secret};
use leadvault_core::{LeadFilter, LeadSort, LeadStatus, LeadUpdate, Unlock, Vault, VaultOptions};
use leadvault_fakes::{Fake, Fault, Limits, Options};

fn fast() -> SyncOptions {
    SyncOptions { page_size: 100, backoff: Duration::from_millis(5), ..SyncOptions::default() }
}

async fn vault(dir: &Path) -> Vault {
    Vault::create(VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new())), Unlock::Keychain)
        .await
        .unwrap()
}

/// A connection to `fake` with a pasted token (retried while the fake's faults refuse the
/// verifying call).
async fn connect(vault: &Vault, fake: &Fake, provider: Provider) -> String {
    let token = fake.issue_token();
    loop {
        match manage::connect_token(vault, provider, Secret::new(token.clone()), Some(&fake.base_url()), None)
            .await
        {
            Ok(c) => return c.id,
            Err(Error::Unavailable { .. }) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

/// Meta's fake with `leads` leads, and a new vault in `dir` connected to it: the fake (kept
/// for the test's length), the vault and the Meta connection's id.
async fn vault_with_meta(dir: &Path, leads: u64) -> (Fake, Vault, String) {
    let meta = Fake::start_with(leadvault_fakes::Provider::Meta, Options { leads, ..Options::default() })
        .await
        .unwrap();
    let vault = vault(dir).await;
    let meta_id = connect(&vault, &meta, Provider::Meta).await;
    (meta, vault, meta_id)
}

/// Syncs until a sync succeeds (a fault rate can make a whole round give up).
async fn sync_until_done(vault: &Vault, id: &str) -> leadvault_connectors::sync::Summary {
    let mut total = leadvault_connectors::sync::Summary::default();
    for _ in 0..20 {
        match sync_connection(vault, id, &fast(), &|_| {}).await {
            Ok(s) => {
                total.pushed += s.pushed;
                total.failed += s.failed;
                total.skipped += s.skipped;
                total.new += s.new;
                return total;
            }
            Err(Error::Unavailable { .. } | Error::RateLimited { .. }) => continue,
            Err(e) => panic!("{e}"),
        }
    }
    panic!("no sync of {id} finished in 20 tries");
}

fn kinds(fake: &Fake, kind: &str) -> usize {
    fake.crm_records().iter().filter(|r| r.kind == kind).count()
}

#[tokio::test]
async fn every_synced_lead_reaches_each_crm_once_through_faults_lost_answers_and_an_outage() {
    let crm_options = Options { fault_rate: 0.1, limits: Limits::none(), ..Options::default() };
    let hubspot = Fake::start_with(leadvault_fakes::Provider::Hubspot, crm_options.clone()).await.unwrap();
    let pipedrive =
        Fake::start_with(leadvault_fakes::Provider::Pipedrive, crm_options.clone()).await.unwrap();
    let salesforce = Fake::start_with(leadvault_fakes::Provider::Salesforce, crm_options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_meta, vault, meta_id) = vault_with_meta(dir.path(), 300).await;
    let crms = [
        (connect(&vault, &hubspot, Provider::Hubspot).await, &hubspot),
        (connect(&vault, &pipedrive, Provider::Pipedrive).await, &pipedrive),
        (connect(&vault, &salesforce, Provider::Salesforce).await, &salesforce),
    ];
    let before: Vec<usize> = crms.iter().map(|(_, f)| f.crm_records().len()).collect();
    assert_eq!(sync_connection(&vault, &meta_id, &fast(), &|_| {}).await.unwrap().new, 300);
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::default(), None, 1_000).await.unwrap();
    let emails: HashSet<String> = page.leads.iter().filter_map(|l| l.email.clone()).collect();
    assert!(emails.len() > 250, "the fake's leads have emails");

    // Answers lost after the CRM wrote: the pusher must find what it made, not make it again.
    hubspot.inject("/crm/v3/objects/contacts/batch/upsert", Fault::CutOff, 2);
    pipedrive.inject("/api/v2/persons", Fault::CutOff, 3);
    pipedrive.inject("/api/v1/leads", Fault::CutOff, 3);
    salesforce.inject("/services/data/v67.0/composite/sobjects/Lead/Leadvault_Id__c", Fault::CutOff, 1);
    // And an outage longer than a sync's retries: the sync stops, nothing is lost.
    salesforce.inject("/services/data/v67.0/composite/sobjects/Lead/Leadvault_Id__c", Fault::Status(503), 6);
    let outage = sync_connection(&vault, &crms[2].0, &fast(), &|_| {}).await;
    assert!(matches!(outage, Err(Error::Unavailable { .. })), "{outage:?}");
    assert_eq!(vault.outbox(&crms[2].0).counts().await.unwrap().pending, 300, "all still queued");

    for (id, _) in &crms {
        let summary = sync_until_done(&vault, id).await;
        assert_eq!(summary.failed, 0, "{summary:?}");
        let counts = vault.outbox(id).counts().await.unwrap();
        assert_eq!((counts.pending, counts.failed), (0, 0), "{id}: nothing left");
    }
    let made = |n: usize, f: &Fake| f.crm_records().len() - before[n];
    assert_eq!(made(0, &hubspot), emails.len(), "one HubSpot contact per email");
    assert_eq!(kinds(&pipedrive, "lead"), 300, "one Pipedrive lead per lead");
    assert_eq!(made(1, &pipedrive), 300 + emails.len(), "and one person per email");
    assert_eq!(kinds(&salesforce, "Lead") - before[2], 300, "one Salesforce Lead per lead");

    // Nothing to do the next time.
    for (id, _) in &crms {
        assert_eq!(sync_until_done(&vault, id).await.pushed, 0);
    }

    // A status set in the inbox goes back to each CRM, as an update.
    let lead = page.leads.iter().find(|l| l.email.is_some()).unwrap();
    let lost = LeadUpdate { status: Some(LeadStatus::Lost), ..Default::default() };
    vault.leads().update(&lead.id, &lost).await.unwrap();
    let created: Vec<usize> = crms.iter().map(|(_, f)| f.crm_writes().created).collect();
    for (id, _) in &crms {
        assert_eq!(sync_until_done(&vault, id).await.pushed, 1);
    }
    for (n, (_, fake)) in crms.iter().enumerate() {
        assert_eq!(fake.crm_writes().created, created[n], "an update, not a new record");
    }
    let email = lead.email.clone().unwrap();
    let hubspot_contact =
        hubspot.crm_records().into_iter().find(|r| r.email().as_deref() == Some(email.as_str())).unwrap();
    assert_eq!(hubspot_contact.fields["hs_lead_status"], "UNQUALIFIED");
    let sf = salesforce
        .crm_records()
        .into_iter()
        .find(|r| r.fields.get("Leadvault_Id__c").and_then(|v| v.as_str()) == Some(lead.id.as_str()))
        .unwrap();
    assert_eq!(sf.fields["Status"], "Closed - Not Converted");
    let pd = pipedrive
        .crm_records()
        .into_iter()
        .find(|r| {
            r.kind == "lead" && r.fields.get("origin_id").and_then(|v| v.as_str()) == Some(lead.id.as_str())
        })
        .unwrap();
    assert_eq!(pd.fields["is_archived"], true);

    // Each CRM's owners and their open leads, as the CRM itself counts them.
    let open = |fake: &Fake, kind: &str, owner_key: &str, is_open: &dyn Fn(&serde_json::Value) -> bool| {
        let mut by_owner = std::collections::BTreeMap::<String, u64>::new();
        for r in fake.crm_records().iter().filter(|r| r.kind == kind) {
            let owner = match r.fields.get(owner_key) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            if is_open(&serde_json::Value::Object(r.fields.clone())) {
                *by_owner.entry(owner).or_default() += 1;
            }
        }
        by_owner
    };
    let stored = |id: &str| {
        let vault = &vault;
        let id = id.to_string();
        async move {
            let owners = vault.crm_owners(&id).list().await.unwrap();
            assert!(!owners.is_empty(), "owners were read");
            owners
                .into_iter()
                .filter(|o| o.open_leads > 0)
                .map(|o| (o.id, o.open_leads))
                .collect::<std::collections::BTreeMap<_, _>>()
        }
    };
    let sf_open = open(&salesforce, "Lead", "OwnerId", &|f| {
        f["IsConverted"] != true && f["Status"] != "Closed - Not Converted"
    });
    assert_eq!(stored(&crms[2].0).await, sf_open);
    assert!(sf_open.values().sum::<u64>() >= 299, "the lost lead is not open");
    let pd_open = open(&pipedrive, "lead", "owner_id", &|f| f["is_archived"] != true);
    assert_eq!(stored(&crms[1].0).await, pd_open);
    assert_eq!(pd_open.values().sum::<u64>(), 299, "every lead but the lost one is open");
    let hs_open = open(&hubspot, "contact", "hubspot_owner_id", &|f| {
        ["NEW", "OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT"].iter().any(|s| f["hs_lead_status"] == *s)
    });
    let hs_stored = vault.crm_owners(&crms[0].0).list().await.unwrap();
    assert!(!hs_stored.is_empty(), "HubSpot's owners were read");
    for o in hs_stored {
        assert_eq!(o.open_leads, hs_open.get(&o.id).copied().unwrap_or(0), "HubSpot owner {}", o.id);
    }
    vault.close().await;
}

#[tokio::test]
async fn the_crms_request_windows_are_never_overrun() {
    // Pipedrive allows 8 requests per 2 s here; each lead takes three or four.
    let limits = Limits { pipedrive_per_2s: 8, ..Limits::none() };
    let pipedrive =
        Fake::start_with(leadvault_fakes::Provider::Pipedrive, Options { limits, ..Options::default() })
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_meta, vault, meta_id) = vault_with_meta(dir.path(), 12).await;
    let crm = connect(&vault, &pipedrive, Provider::Pipedrive).await;
    sync_connection(&vault, &meta_id, &fast(), &|_| {}).await.unwrap();
    let summary = sync_connection(&vault, &crm, &fast(), &|_| {}).await.unwrap();
    assert_eq!(summary.pushed, 12, "{summary:?}");
    assert_eq!(summary.retries, 0, "no request met a 429: {summary:?}");
    assert!(pipedrive.calls("/api/v1/leads") >= 12);
    vault.close().await;
}

#[tokio::test]
async fn a_refused_batch_fails_only_its_culprit_and_one_sync_runs_per_connection_at_a_time() {
    let hubspot = Fake::start_with(
        leadvault_fakes::Provider::Hubspot,
        Options { limits: Limits::none(), ..Options::default() },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_meta, vault, meta_id) = vault_with_meta(dir.path(), 30).await;
    let crm = connect(&vault, &hubspot, Provider::Hubspot).await;
    sync_connection(&vault, &meta_id, &fast(), &|_| {}).await.unwrap();

    // HubSpot refuses the whole batch, then the first lead sent alone: that one fails, with a
    // code for a reason; the other 29 go through.
    hubspot.inject("/crm/v3/objects/contacts/batch/upsert", Fault::Status(400), 2);
    let summary = sync_connection(&vault, &crm, &fast(), &|_| {}).await.unwrap();
    assert_eq!((summary.pushed, summary.failed), (29, 1), "{summary:?}");
    let counts = vault.outbox(&crm).counts().await.unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 1));
    let failed =
        vault.outbox(&crm).attempts(100).await.unwrap().into_iter().find(|a| a.outcome == "failed").unwrap();
    assert!(failed.detail.unwrap().starts_with("HubSpot refused it ("), "a code, not the lead's data");

    // Two syncs of one connection at once: the second is refused, the first does the work.
    let lost = LeadUpdate { status: Some(LeadStatus::Lost), ..Default::default() };
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::default(), None, 50).await.unwrap();
    for lead in &page.leads {
        vault.leads().update(&lead.id, &lost).await.unwrap();
    }
    let (one, two) = (fast(), fast());
    let (a, b) = tokio::join!(
        sync_connection(&vault, &crm, &one, &|_| {}),
        sync_connection(&vault, &crm, &two, &|_| {})
    );
    let refused =
        [&a, &b].iter().filter(|r| matches!(r, Err(Error::Busy(m)) if m.contains("already syncing"))).count();
    assert_eq!(refused, 1, "{a:?} / {b:?}");
    let done = a.or(b).unwrap();
    assert_eq!(done.pushed, 30, "{done:?}");
    vault.close().await;
}

#[tokio::test]
async fn a_crm_that_cannot_be_reached_fails_the_sync_and_its_queued_leads_wait_for_the_next() {
    use leadvault_core::connections::ConnectionStatus;
    let dir = tempfile::tempdir().unwrap();
    let (_meta, vault, meta_id) = vault_with_meta(dir.path(), 5).await;
    assert_eq!(sync_connection(&vault, &meta_id, &fast(), &|_| {}).await.unwrap().new, 5);
    let crm_options = Options { limits: Limits::none(), ..Options::default() };
    let mut crms = Vec::new();
    for (fake_provider, provider, name) in [
        (leadvault_fakes::Provider::Hubspot, Provider::Hubspot, "HubSpot"),
        (leadvault_fakes::Provider::Pipedrive, Provider::Pipedrive, "Pipedrive"),
        (leadvault_fakes::Provider::Salesforce, Provider::Salesforce, "Salesforce"),
    ] {
        let fake = Fake::start_with(fake_provider, crm_options.clone()).await.unwrap();
        // The seed's demo token, so the same CRM started again on the same port takes it.
        let id = manage::connect_token(
            &vault,
            provider,
            Secret::new(fake.demo_token()),
            Some(&fake.base_url()),
            None,
        )
        .await
        .unwrap()
        .id;
        assert_eq!(sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap().pushed, 5, "{name}");
        let port: u16 = fake.base_url().rsplit(':').next().unwrap().parse().unwrap();
        crms.push((id, fake_provider, name, port, Some(fake)));
    }

    // The CRMs go away with nothing queued for them: each sync fails and says why, in one line.
    for crm in &mut crms {
        drop(crm.4.take());
    }
    for (id, _, name, _, _) in &crms {
        let outcome = sync_connection(&vault, id, &fast(), &|_| {}).await;
        let Err(error @ Error::Unavailable { .. }) = &outcome else {
            panic!("{name}: an unreachable CRM must fail the sync: {outcome:?}")
        };
        let line = error.to_string();
        assert!(line.starts_with(&format!("{name} could not be reached")), "{line}");
        assert!(line.contains("try again") && !line.contains('\n'), "{line}");
        let connection = vault.connections().get(id).await.unwrap();
        assert_eq!(connection.status, ConnectionStatus::Error, "{name}");
        assert_eq!(connection.last_error.as_deref(), Some(line.as_str()), "{name}");
    }

    // A lead changes while they are away: it stays queued through a failed sync...
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::default(), None, 10).await.unwrap();
    let lost = LeadUpdate { status: Some(LeadStatus::Lost), ..Default::default() };
    vault.leads().update(&page.leads[0].id, &lost).await.unwrap();
    for (id, _, name, _, _) in &crms {
        let outcome = sync_connection(&vault, id, &fast(), &|_| {}).await;
        assert!(matches!(outcome, Err(Error::Unavailable { .. })), "{name}: {outcome:?}");
        let counts = vault.outbox(id).counts().await.unwrap();
        assert_eq!((counts.pending, counts.failed), (1, 0), "{name}: still queued, not failed");
    }

    // ...and goes out with the next sync once the CRM is back.
    for (id, fake_provider, name, port, fake) in &mut crms {
        let back =
            Fake::start_with(*fake_provider, Options { port: *port, ..crm_options.clone() }).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await; // past the queued item's retry time
        let summary = sync_connection(&vault, id, &fast(), &|_| {}).await.unwrap();
        assert_eq!(summary.pushed + summary.failed, 1, "{name}: {summary:?}");
        assert_eq!(vault.outbox(id).counts().await.unwrap().pending, 0, "{name}");
        assert_eq!(vault.connections().get(id).await.unwrap().status, ConnectionStatus::Connected, "{name}");
        *fake = Some(back);
    }
    vault.close().await;
}

/// The owners' read after a push that went through, rate limited or refused by an outage (the
/// push spent the CRM's window): the sync did its work and is a success, its leads recorded as
/// sent; the same read failing with nothing sent is the only sign that the CRM is away, and
/// fails the sync.
#[tokio::test]
async fn an_owners_read_that_fails_after_leads_went_through_keeps_the_sync_a_success() {
    let crm_options = Options { limits: Limits::none(), ..Options::default() };
    let hubspot = Fake::start_with(leadvault_fakes::Provider::Hubspot, crm_options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_meta, vault, meta_id) = vault_with_meta(dir.path(), 5).await;
    let id = connect(&vault, &hubspot, Provider::Hubspot).await;
    assert_eq!(sync_connection(&vault, &meta_id, &fast(), &|_| {}).await.unwrap().new, 5);
    // More failures than a sync retries.
    hubspot.inject("/crm/v3/owners", Fault::Status(503), 20);
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.expect("the leads went through");
    assert_eq!(summary.pushed, 5);
    let counts = vault.outbox(&id).counts().await.unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 0), "recorded as sent");
    // Nothing queued now: the same failure fails the sync.
    let outcome = sync_connection(&vault, &id, &fast(), &|_| {}).await;
    assert!(matches!(outcome, Err(Error::Unavailable { .. })), "{outcome:?}");
}

/// Ends a token's grant at the fake's revoke endpoint, as the CRM does when the app is
/// uninstalled or its token rotated: every later call with it gets the CRM's 401.
async fn revoke_at(fake: &Fake, provider: Provider, token: &str) {
    let base = fake.base_url();
    let client = reqwest::Client::new();
    let request = match provider {
        Provider::Hubspot => client.delete(format!("{base}/oauth/v1/refresh-tokens/{token}")),
        Provider::Pipedrive => client
            .post(format!("{base}/oauth/revoke"))
            .basic_auth("client", Some("secret"))
            .form(&[("token", token)]),
        _ => client.post(format!("{base}/services/oauth2/revoke")).form(&[("token", token)]),
    };
    request.send().await.unwrap();
    assert!(fake.revoked().iter().any(|t| t == token));
}

/// A CRM token revoked with nothing queued: the owners read is then the sync's only request,
/// and its 401 fails the sync with "sign in again" and marks the connection as needing a
/// sign-in, where it was taken for an unreadable optional read and the sync counted as a
/// success. A 403 on that read (a token without the owners scope) still keeps the sync a
/// success: the owners are optional.
#[tokio::test]
async fn a_revoked_crm_token_needs_a_sign_in_even_with_nothing_queued() {
    use leadvault_core::connections::ConnectionStatus;
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let crm_options = Options { limits: Limits::none(), ..Options::default() };
    for (fake_provider, provider, name, owners) in [
        (leadvault_fakes::Provider::Hubspot, Provider::Hubspot, "HubSpot", "/crm/v3/owners"),
        (leadvault_fakes::Provider::Pipedrive, Provider::Pipedrive, "Pipedrive", "/api/v1/users"),
        (
            leadvault_fakes::Provider::Salesforce,
            Provider::Salesforce,
            "Salesforce",
            "/services/data/v67.0/query",
        ),
    ] {
        let fake = Fake::start_with(fake_provider, crm_options.clone()).await.unwrap();
        let token = fake.issue_token();
        let id =
            manage::connect_token(&vault, provider, Secret::new(token.clone()), Some(&fake.base_url()), None)
                .await
                .unwrap()
                .id;

        // The owners' scope missing: a warning, not a failure.
        fake.inject(owners, Fault::Status(403), 1);
        let summary = sync_connection(&vault, &id, &fast(), &|_| {})
            .await
            .unwrap_or_else(|e| panic!("{name}: a 403 on the owners read must keep the sync a success: {e}"));
        assert_eq!(summary.owners, 0, "{name}");
        let warning = summary.owners_warning.as_deref().unwrap_or_default();
        assert!(warning.contains("owners were not read"), "{name}: the summary says so: {summary:?}");
        let connection = vault.connections().get(&id).await.unwrap();
        assert_eq!(connection.status, ConnectionStatus::Connected, "{name}");

        // The token revoked: the same read's 401 fails the sync, and says to sign in again.
        revoke_at(&fake, provider, &token).await;
        let outcome = sync_connection(&vault, &id, &fast(), &|_| {}).await;
        let Err(error) = &outcome else { panic!("{name}: a revoked token must fail the sync: {outcome:?}") };
        assert!(error.needs_sign_in(), "{name}: {error}");
        let line = error.to_string();
        assert!(line.starts_with(name) && line.contains("sign in again") && !line.contains('\n'), "{line}");
        let connection = vault.connections().get(&id).await.unwrap();
        assert_eq!(connection.status, ConnectionStatus::NeedsSignIn, "{name}");
        assert_eq!(connection.last_error.as_deref(), Some(line.as_str()), "{name}");
    }
    vault.close().await;
}

/// Salesforce's daily API limit is a 403 (`REQUEST_LIMIT_EXCEEDED`), not a refused token: the
/// sync fails saying to try later (or, after its leads went through, says the owners were not
/// read), the connection keeps its sign-in and the leads stay queued, where it said "refused
/// the credentials; sign in again" and marked the connection as needing a new sign-in, which
/// could not help.
#[tokio::test]
async fn salesforces_daily_limit_is_a_wait_not_a_sign_in() {
    use leadvault_core::connections::ConnectionStatus;
    // The day's last call is the first push.
    let limits = Limits { salesforce_per_day: 1, ..Limits::none() };
    let salesforce =
        Fake::start_with(leadvault_fakes::Provider::Salesforce, Options { limits, ..Options::default() })
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_meta, vault, meta_id) = vault_with_meta(dir.path(), 5).await;
    let id = connect(&vault, &salesforce, Provider::Salesforce).await;
    assert_eq!(sync_connection(&vault, &meta_id, &fast(), &|_| {}).await.unwrap().new, 5);
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(summary.pushed, 5);
    let warning = summary.owners_warning.unwrap_or_default();
    assert!(warning.contains("asked to slow down") && !warning.contains("token"), "{warning}");

    // Over the limit: the owners read with nothing queued, then a push.
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::default(), None, 1).await.unwrap();
    for queued in [0, 1] {
        if queued == 1 {
            let lost = LeadUpdate { status: Some(LeadStatus::Lost), ..Default::default() };
            vault.leads().update(&page.leads[0].id, &lost).await.unwrap();
        }
        let outcome = sync_connection(&vault, &id, &fast(), &|_| {}).await;
        let Err(error) = &outcome else { panic!("over the daily limit: {outcome:?}") };
        assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
        assert!(error.to_string().starts_with("Salesforce asks to slow down"), "{error}");
        let connection = vault.connections().get(&id).await.unwrap();
        assert_eq!(connection.status, ConnectionStatus::Error);
        let counts = vault.outbox(&id).counts().await.unwrap();
        assert_eq!((counts.pending, counts.failed), (queued, 0), "the lead waits for the next sync");
    }
    vault.close().await;
}

/// A CRM signed in with OAuth whose access token expires during a sync (HubSpot's last 30
/// minutes; a long push outlasts one) is refreshed once and the sync goes on, in a push or in
/// the owners' read that follows, where the 401 failed the sync and marked the connection as
/// needing a new sign-in.
#[tokio::test]
async fn an_access_token_expiring_mid_push_is_refreshed_once() {
    use leadvault_core::connections::ConnectionStatus;
    let crm_options = Options { limits: Limits::none(), ..Options::default() };
    let hubspot = Fake::start_with(leadvault_fakes::Provider::Hubspot, crm_options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_meta, vault, meta_id) = vault_with_meta(dir.path(), 5).await;
    let (connector, sign_in) = manage::begin_sign_in(
        Provider::Hubspot,
        Some(&hubspot.base_url()),
        Some(leadvault_fakes::CLIENT_ID.into()),
        false,
    )
    .await
    .unwrap();
    let url = sign_in.authorize_url().to_string();
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()).ok() });
    let cancel = tokio_util::sync::CancellationToken::new();
    let id = manage::finish_sign_in(&vault, connector, sign_in, Duration::from_secs(20), &cancel, None)
        .await
        .unwrap()
        .id;
    assert_eq!(browser.await.unwrap(), Some(200));
    assert_eq!(sync_connection(&vault, &meta_id, &fast(), &|_| {}).await.unwrap().new, 5);

    // Five leads queued, then with nothing queued (only the owners' read calls HubSpot).
    for pushed in [5, 0] {
        hubspot.expire_access_tokens();
        let refreshes = hubspot.calls("/oauth/v1/token");
        let summary = sync_connection(&vault, &id, &fast(), &|_| {})
            .await
            .unwrap_or_else(|e| panic!("{pushed} queued: the token is refreshed, not given up: {e}"));
        assert_eq!(summary.pushed, pushed);
        assert!(summary.owners > 0 && summary.owners_warning.is_none(), "{summary:?}");
        assert_eq!(hubspot.calls("/oauth/v1/token") - refreshes, 1, "one refresh");
        assert_eq!(vault.connections().get(&id).await.unwrap().status, ConnectionStatus::Connected);
    }

    // A refresh refused: a new sign-in is needed, and said.
    hubspot.expire_access_tokens();
    hubspot.refuse_refresh();
    let outcome = sync_connection(&vault, &id, &fast(), &|_| {}).await;
    assert!(matches!(&outcome, Err(e) if e.needs_sign_in()), "{outcome:?}");
    assert_eq!(vault.connections().get(&id).await.unwrap().status, ConnectionStatus::NeedsSignIn);
    vault.close().await;
}
