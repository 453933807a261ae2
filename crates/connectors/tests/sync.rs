//! Pulling Meta leads into a real vault (SQLCipher on disk, secrets in the real keychain) from
//! the Meta fake over loopback HTTP: everything once, then only what is new, through faults.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use leadvault_connectors::sync::{SyncOptions, sync_connection};
use leadvault_connectors::{Error, manage};
use leadvault_core::connections::{AuthKind, ConnectionStatus, Credentials, Provider};
use leadvault_core::secrets::{OsKeychain, Secret};
use leadvault_core::{LeadFilter, LeadSort, Unlock, Vault, VaultOptions};
use leadvault_fakes::{Fake, Fault, Limits, Options};

mod common;
use common::HoldingProxy;

async fn vault(dir: &Path) -> Vault {
    Vault::create(VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new())), Unlock::Keychain)
        .await
        .unwrap()
}

fn fast() -> SyncOptions {
    SyncOptions { page_size: 100, backoff: Duration::from_millis(5), ..SyncOptions::default() }
}

/// The Meta fake with `options`, a fresh vault and a Meta connection made with a pasted token
/// (retried while the fake's fault rate refuses the verifying call).
async fn connected(options: Options) -> (Fake, tempfile::TempDir, Vault, String) {
    let fake = Fake::start_with(leadvault_fakes::Provider::Meta, options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let token = fake.issue_token();
    loop {
        let made = manage::connect_token(
            &vault,
            Provider::Meta,
            Secret::new(token.clone()),
            Some(&fake.base_url()),
            None,
        )
        .await;
        match made {
            Ok(c) => return (fake, dir, vault, c.id),
            Err(Error::Unavailable { .. }) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

async fn count(vault: &Vault) -> i64 {
    vault.leads().count(&LeadFilter::default()).await.unwrap()
}

#[tokio::test]
async fn meta_leads_arrive_once_with_their_answers_then_only_whats_new() {
    let (fake, _dir, vault, id) = connected(Options { leads: 1_000, ..Options::default() }).await;

    let pages = AtomicU64::new(0);
    let summary =
        sync_connection(&vault, &id, &fast(), &|p| pages.store(p.pages, Ordering::Relaxed)).await.unwrap();
    assert_eq!((summary.new, summary.skipped), (1_000, 0), "{summary:?}");
    assert_eq!(summary.streams, fake.ads_state().forms.len() as u64);
    assert_eq!(pages.load(Ordering::Relaxed), summary.pages, "progress after every stored batch");
    assert_eq!(count(&vault).await, 1_000);
    let synced = vault.connections().get(&id).await.unwrap();
    assert!(synced.last_sync_at.is_some());

    // A lead as the inbox shows it: its answers, its ad and form.
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::default(), None, 50).await.unwrap();
    let lead = page.leads.iter().find(|l| l.ad.campaign_id.is_some()).expect("a lead from an ad");
    assert_eq!(lead.source, "meta");
    assert!(lead.full_name.is_some() && lead.email.is_some(), "contact fields from field_data");
    assert!(lead.ad.form_id.is_some() && lead.ad.form_name.is_some() && lead.ad.adset_name.is_some());

    // Again: nothing new, nothing doubled.
    let again = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(again.new, 0, "{again:?}");
    assert!(again.unchanged < 1_000, "the second sync reads only the overlap: {again:?}");

    // Seven people fill in a form: the next sync brings exactly them.
    fake.add_leads(7);
    let more = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(more.new, 7, "{more:?}");
    assert_eq!(count(&vault).await, 1_007);
    vault.close().await;
}

#[tokio::test]
async fn faults_and_cut_off_pages_change_nothing_in_the_result() {
    let (fake, _dir, vault, id) =
        connected(Options { leads: 1_500, fault_rate: 0.1, ..Options::default() }).await;
    fake.inject("/v26.0/*/leads", Fault::CutOff, 3);
    fake.inject("/v26.0/*/leads", Fault::Status(502), 2);
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(summary.new, 1_500, "{summary:?}");
    assert!(summary.retries >= 5, "the injected faults were retried: {summary:?}");
    assert_eq!(count(&vault).await, 1_500);
    vault.close().await;
}

#[tokio::test]
async fn a_form_meta_refuses_is_skipped_and_the_others_sync_then_it_is_read_next_time() {
    let (fake, _dir, vault, id) = connected(Options { leads: 900, ..Options::default() }).await;
    // The first form asked for refuses (Graph's 400, code 100): not retried, not fatal.
    fake.inject("/v26.0/*/leads", Fault::Status(400), 1);
    let first = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(first.streams_skipped, 1, "{first:?}");
    assert!(first.streams > 1, "the other forms were read: {first:?}");
    assert!(first.new > 0 && first.new < 900, "{first:?}");
    let conn = vault.connections().get(&id).await.unwrap();
    assert_eq!(conn.status, ConnectionStatus::Connected, "a skipped form is not the connection's failure");
    let second = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(second.streams_skipped, 0);
    assert_eq!(first.new + second.new, 900, "{second:?}");
    assert_eq!(count(&vault).await, 900);
    vault.close().await;
}

#[tokio::test]
async fn a_spent_lead_reading_budget_stops_the_sync_before_meta_refuses_a_call() {
    // Each page may read its leads 4 times a day here; the leads need more pages than that.
    let limits = Limits { meta_lead_reads_per_day: Some(4), ..Limits::none() };
    let (fake, _dir, vault, id) = connected(Options { leads: 2_000, limits, ..Options::default() }).await;
    let err = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { retry_after_secs: 3600, .. }), "{err:?}");
    assert!(err.to_string().contains("try again in 60 min"), "{err}");
    // The usage headers said 100 % after the 4th read of the first page's forms: no 5th call.
    let reads = fake.calls("/v26.0/*/leads");
    assert_eq!(reads, 4, "never a call the budget refuses");
    assert_eq!(count(&vault).await, 400, "every page read was stored");
    vault.close().await;
}

#[tokio::test]
async fn a_token_meta_no_longer_accepts_marks_the_connection_needs_sign_in() {
    let (fake, _dir, vault, id) = connected(Options { leads: 50, ..Options::default() }).await;
    fake.expire_access_tokens();
    let before = fake.calls("/v26.0/me/accounts");
    let err = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap_err();
    assert!(err.needs_sign_in(), "{err:?}");
    assert_eq!(fake.calls("/v26.0/me/accounts") - before, 1, "a refused token is not retried");
    let after = vault.connections().get(&id).await.unwrap();
    assert_eq!(after.status, ConnectionStatus::NeedsSignIn);
    assert_eq!(count(&vault).await, 0);
    vault.close().await;
}

#[tokio::test]
async fn a_cancelled_sync_keeps_every_whole_page_and_the_next_one_finishes_the_job() {
    let (_fake, _dir, vault, id) = connected(Options { leads: 600, ..Options::default() }).await;
    // Pages are stored in batches of up to two (200 leads); progress comes after each batch.
    let options = SyncOptions { batch_leads: 200, ..fast() };
    let cancel = options.cancel.clone();
    let kept = std::sync::Mutex::new(None);
    let err = sync_connection(&vault, &id, &options, &|p| {
        if p.pages >= 2 && !cancel.is_cancelled() {
            *kept.lock().unwrap() = Some((p.pages, p.new));
            cancel.cancel();
        }
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    let (pages, new) = kept.lock().unwrap().expect("progress reported two pages stored");
    assert!((2..=3).contains(&pages), "cancelled after the batch that reached two pages: {pages}");
    assert!((100..600).contains(&new), "{new}");
    assert_eq!(count(&vault).await, new as i64, "every stored page is kept, nothing after the cancel");
    let rest = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(rest.new, 600 - new, "{rest:?}");
    assert_eq!(count(&vault).await, 600);
    vault.close().await;
}

/// chrono's last second (+262142-12-31T23:59:59Z), as an overflowing timestamp becomes.
const CALENDAR_END: i64 = 8_210_266_876_799;

/// Leads whose provider gives a creation time past year 9999 (or far in the future at all):
/// nothing synced is dropped, but an import refuses such a time, so the vault's own export
/// could not be imported back. Each is kept with the provider's time as it was sent among its
/// answers, the time it was received as its creation time, and a note saying so; the export
/// then imports into another vault whole, and the stream's cursor is not carried past the
/// calendar's end (the next sync still asks for what is new).
#[tokio::test]
async fn leads_created_past_year_9999_are_kept_and_their_export_imports_again() {
    use leadvault_core::export::{ExportFormat, ExportOptions, export};
    use leadvault_core::import::{ImportOptions, import_file};
    let options = Options { leads: 3, leads_until: Some(CALENDAR_END - 86_400), ..Options::default() };
    let (fake, dir, vault, id) = connected(options).await;
    let before = chrono::Utc::now();
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    let after = chrono::Utc::now();
    assert_eq!((summary.new, summary.skipped), (3, 0), "{summary:?}");
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::default(), None, 10).await.unwrap();
    for lead in &page.leads {
        assert!(lead.created_at >= before - chrono::Duration::seconds(1) && lead.created_at <= after);
        let sent = lead.fields.get("created_time").and_then(|v| v.as_str()).unwrap_or_default();
        assert!(sent.starts_with("+262142-12-"), "Meta's time kept as sent: {:?}", lead.fields);
        let detail = vault.leads().get(&lead.id).await.unwrap();
        assert!(
            detail.notes.iter().any(|n| n.body.contains("created_time")),
            "a note says why: {:?}",
            detail.notes.iter().map(|n| &n.body).collect::<Vec<_>>()
        );
    }

    for (name, format) in [("leads.csv", ExportFormat::Csv), ("leads.json", ExportFormat::Json)] {
        let out = dir.path().join(name);
        let exported = export(
            &vault,
            &LeadFilter::default(),
            LeadSort::default(),
            &out,
            &ExportOptions { format, excel_bom: false },
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(exported.rows, 3);
        let other_dir = tempfile::tempdir().unwrap();
        let other = self::vault(other_dir.path()).await;
        let report = import_file(&other, &out, &ImportOptions::default(), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{name}: the vault's export imports again: {e}"));
        assert_eq!(count(&other).await, 3, "{name}: {report:?}");
        other.close().await;
    }

    // The next sync still asks Meta for leads made after the last sweep, not after year
    // 262142 (which would leave out every real lead from now on).
    for stream in vault.sync_state(&id).streams().await.unwrap() {
        let cursor: serde_json::Value = serde_json::from_str(&stream.cursor).unwrap();
        let since = cursor["since"].as_i64();
        assert!(since.is_none_or(|s| s < after.timestamp()), "{}", stream.cursor);
    }
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!((summary.new, summary.unchanged), (0, 3), "{summary:?}");
    drop(fake);
    vault.close().await;
}

/// The user signs in again (a new token for the same account) while a sync that started with
/// the old token is still waiting for Meta's answer, which then refuses that old token: the
/// refusal is about the old token, and the connection just signed in again stays connected,
/// where the sync marked it "needs sign-in" again right after the sign-in.
#[tokio::test]
async fn a_sync_refused_after_the_user_signed_in_again_leaves_the_connection_connected() {
    let fake = Fake::start_with(leadvault_fakes::Provider::Meta, Options { leads: 50, ..Options::default() })
        .await
        .unwrap();
    let proxy = HoldingProxy::start(&fake.base_url()).await;
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let old = fake.issue_token();
    let made =
        manage::connect_token(&vault, Provider::Meta, Secret::new(old.clone()), Some(&proxy.url), None);
    let id = made.await.unwrap().id;

    let (arrived, release) = proxy.hold_next();
    let options = fast();
    let sync = sync_connection(&vault, &id, &options, &|_| {});
    let sign_in_again = async {
        // The sync's first request is on its way; the user takes back the old token and
        // pastes a new one for the same account.
        arrived.await.unwrap();
        let meta = leadvault_connectors::Connector::new(Provider::Meta, Some(&fake.base_url())).unwrap();
        let old = Credentials::token(Secret::new(old.clone()));
        assert!(meta.revoke(AuthKind::Token, None, &old).await.unwrap(), "the old token is revoked");
        let new = fake.issue_token();
        let saved = manage::connect_token_saved(
            &vault,
            Provider::Meta,
            Secret::new(new.clone()),
            Some(&proxy.url),
            None,
        )
        .await
        .unwrap();
        assert!(saved.signed_in_again && saved.connection.id == id, "{saved:?}");
        assert_eq!(saved.connection.status, ConnectionStatus::Connected);
        release.send(()).unwrap();
        new
    };
    let (synced, new) = tokio::join!(sync, sign_in_again);
    let err = synced.unwrap_err();
    assert!(err.needs_sign_in(), "the held sync met the old token's refusal: {err:?}");

    let after = vault.connections().get(&id).await.unwrap();
    assert_eq!((after.status, after.last_error.as_deref()), (ConnectionStatus::Connected, None));
    let secrets = vault.connections().credentials(&id).await.unwrap().unwrap();
    assert_eq!(secrets.access_token.expose(), new, "the new token stays");
    // And it works: the next sync brings the leads.
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(summary.new, 50, "{summary:?}");
    vault.close().await;
}

/// A Google Ads sign-in through `proxy`, saved to `vault`: the connection and the secrets it
/// keeps.
async fn sign_in_through(vault: &Vault, proxy: &HoldingProxy) -> (String, Credentials) {
    let connector = leadvault_connectors::Connector::new(Provider::GoogleAds, Some(&proxy.url)).unwrap();
    let app = connector.oauth_app(leadvault_fakes::CLIENT_ID.into(), Some(Secret::new("fake-client-secret")));
    let sign_in = leadvault_connectors::oauth::SignIn::start(app).await.unwrap();
    let browser = tokio::spawn(reqwest::get(sign_in.authorize_url().to_string()));
    let cancel = tokio_util::sync::CancellationToken::new();
    let saved =
        manage::finish_sign_in_saved(vault, connector, sign_in, Duration::from_secs(20), &cancel, None)
            .await
            .unwrap();
    browser.await.unwrap().unwrap();
    let id = saved.connection.id;
    let kept = vault.connections().credentials(&id).await.unwrap().unwrap();
    (id, kept)
}

/// A sync whose access token is refused after the user signed in again refreshes it for
/// itself, and finishes, but the secrets of the new sign-in stay in the keychain, where the
/// sync's refresh of the old grant replaced them (the new grant's scopes and tokens lost).
#[tokio::test]
async fn a_refresh_by_a_sync_that_began_before_a_sign_in_again_keeps_the_new_secrets() {
    let fake =
        Fake::start_with(leadvault_fakes::Provider::GoogleAds, Options { leads: 30, ..Options::default() })
            .await
            .unwrap();
    let proxy = HoldingProxy::start(&fake.base_url()).await;
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let (id, _first) = sign_in_through(&vault, &proxy).await;

    let (arrived, release) = proxy.hold_next();
    let options = fast();
    let sync = sync_connection(&vault, &id, &options, &|_| {});
    let sign_in_again = async {
        arrived.await.unwrap();
        let (again, new) = sign_in_through(&vault, &proxy).await;
        assert_eq!(again, id, "signed in again in place");
        // Every access token handed out so far stops working: the sync's is refused.
        fake.expire_access_tokens();
        release.send(()).unwrap();
        new
    };
    let (synced, new) = tokio::join!(sync, sign_in_again);
    let summary = synced.unwrap();
    assert_eq!(summary.new, 30, "the sync refreshed its token and went on: {summary:?}");
    let kept = vault.connections().credentials(&id).await.unwrap().unwrap();
    assert!(kept == new, "the keychain holds the secrets of the sign-in again");
    assert_eq!(vault.connections().get(&id).await.unwrap().status, ConnectionStatus::Connected);
    vault.close().await;
}
