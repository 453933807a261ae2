//! Pulling a Google Ads account into a real vault (SQLCipher on disk, secrets in the real
//! keychain) from the Google Ads fake over loopback HTTP: the account's campaigns, ad groups,
//! keywords, schedules and metrics as Google holds them, every lead form submission once,
//! then only what is new; through faults, a spent daily quota and an access token that
//! expires mid-sync.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use leadvault_connectors::sync::{SyncOptions, sync_connection};
use leadvault_connectors::{Error, manage};
use leadvault_core::ads::{AdGroup, AdSchedule, Campaign, Keyword};
use leadvault_core::connections::{ConnectionStatus, Provider};
use leadvault_core::secrets::{OsKeychain, Secret};
use leadvault_core::{LeadFilter, LeadSort, Unlock, Vault, VaultOptions};
use leadvault_fakes::{AdsState, CLIENT_ID, Fake, Fault, Options};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const SEARCH: &str = "/v26/customers/{cid}/googleAds:search";
const CUSTOMERS: &str = "/v26/customers:listAccessibleCustomers";

/// More than one search page of leads (Google's pages hold 10,000 rows).
const LEADS: u64 = 10_050;

async fn vault(dir: &Path) -> Vault {
    Vault::create(VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new())), Unlock::Keychain)
        .await
        .unwrap()
}

fn fast() -> SyncOptions {
    SyncOptions { backoff: Duration::from_millis(5), ..SyncOptions::default() }
}

fn start(leads: u64, fault_rate: f64) -> Options {
    Options { seed: 11, leads, fault_rate, ..Options::default() }
}

/// The Google Ads fake, a fresh vault and a connection made with a pasted access token
/// (retried while the fake's fault rate refuses the verifying call); the token too.
async fn pasted(options: Options) -> (Fake, tempfile::TempDir, Vault, String, String) {
    let fake = Fake::start_with(leadvault_fakes::Provider::GoogleAds, options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let token = fake.issue_token();
    loop {
        let made = manage::connect_token(
            &vault,
            Provider::GoogleAds,
            Secret::new(token.clone()),
            Some(&fake.base_url()),
            None,
        )
        .await;
        match made {
            Ok(c) => return (fake, dir, vault, c.id, token),
            Err(Error::Unavailable { .. }) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

/// The Google Ads fake, a fresh vault and a connection made by signing in through the system
/// browser (so it has a refresh token).
async fn signed_in(options: Options) -> (Fake, tempfile::TempDir, Vault, String) {
    let fake = Fake::start_with(leadvault_fakes::Provider::GoogleAds, options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;
    let (connector, sign_in) =
        manage::begin_sign_in(Provider::GoogleAds, Some(&fake.base_url()), Some(CLIENT_ID.into()), false)
            .await
            .unwrap();
    let url = sign_in.authorize_url().to_string();
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()).ok() });
    let timeout = Duration::from_secs(20);
    let made = manage::finish_sign_in(&vault, connector, sign_in, timeout, &CancellationToken::new(), None)
        .await
        .unwrap();
    assert_eq!(browser.await.unwrap(), Some(200));
    (fake, dir, vault, made.id)
}

async fn count(vault: &Vault) -> i64 {
    vault.leads().count(&LeadFilter::default()).await.unwrap()
}

/// What the vault should hold for the fake's account, in the vault's order (by id).
fn expected(state: &AdsState) -> (Vec<Campaign>, Vec<AdGroup>, Vec<Keyword>, Vec<AdSchedule>) {
    let mut campaigns: Vec<Campaign> = state
        .campaigns
        .iter()
        .map(|c| Campaign {
            id: c.id.to_string(),
            name: c.name.clone(),
            status: c.status.clone(),
            budget_micros: Some(c.budget_micros),
            bidding: Some("MANUAL_CPC".into()),
        })
        .collect();
    campaigns.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut groups: Vec<AdGroup> = state
        .ad_groups
        .iter()
        .map(|g| AdGroup {
            id: g.id.to_string(),
            campaign_id: g.campaign_id.to_string(),
            name: g.name.clone(),
            status: g.status.clone(),
            cpc_bid_micros: Some(g.cpc_bid_micros),
        })
        .collect();
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    let mut keywords: Vec<Keyword> = state
        .keywords
        .iter()
        .map(|k| Keyword {
            id: format!("{}~{}", k.ad_group_id, k.criterion_id),
            ad_group_id: k.ad_group_id.to_string(),
            text: k.text.clone(),
            match_type: k.match_type.clone(),
            status: k.status.clone(),
            cpc_bid_micros: Some(k.cpc_bid_micros),
        })
        .collect();
    keywords.sort_by(|a, b| a.id.cmp(&b.id));
    let minute = |m: &str| match m {
        "FIFTEEN" => 15,
        "THIRTY" => 30,
        "FORTY_FIVE" => 45,
        _ => 0,
    };
    let mut schedules: Vec<AdSchedule> = state
        .schedules
        .iter()
        .map(|s| AdSchedule {
            id: format!("{}~{}", s.campaign_id, s.criterion_id),
            campaign_id: s.campaign_id.to_string(),
            day_of_week: s.day_of_week.clone(),
            start_minute: i64::from(s.start_hour) * 60 + minute(&s.start_minute),
            end_minute: i64::from(s.end_hour) * 60 + minute(&s.end_minute),
            bid_modifier: Some(1.0),
        })
        .collect();
    schedules.sort_by(|a, b| a.id.cmp(&b.id));
    (campaigns, groups, keywords, schedules)
}

async fn assert_mirrors(vault: &Vault, id: &str, state: &AdsState) {
    let (campaigns, groups, keywords, schedules) = expected(state);
    let ads = vault.ads(id);
    assert_eq!(ads.campaigns().await.unwrap(), campaigns);
    assert_eq!(ads.ad_groups().await.unwrap(), groups);
    assert_eq!(ads.keywords().await.unwrap(), keywords);
    assert_eq!(ads.schedules().await.unwrap(), schedules);
}

/// A GAQL search straight to the fake, bypassing the connector: the figures to check against.
async fn raw_search(fake: &Fake, token: &str, customer: u64, query: &str) -> Vec<Value> {
    let url = format!("{}/v26/customers/{customer}/googleAds:search", fake.base_url());
    let answer: Value = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["results"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_first_sync_brings_the_account_as_google_holds_it_and_every_lead_then_only_whats_new() {
    let (fake, _dir, vault, id, token) = pasted(start(LEADS, 0.0)).await;
    let state = fake.ads_state();

    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!((summary.new, summary.skipped, summary.unchanged), (LEADS, 0, 0), "{summary:?}");
    // Two accessible accounts (the fake's second one is empty): two lead streams, and the
    // first account's leads on two pages.
    assert_eq!((summary.streams, summary.pages, summary.accounts_skipped), (2, 3, 0), "{summary:?}");
    assert_eq!(count(&vault).await, LEADS as i64);
    assert!(vault.connections().get(&id).await.unwrap().last_sync_at.is_some());

    // Campaigns (budget, bidding), ad groups (bids), keywords, schedules: as the fake has them.
    assert_mirrors(&vault, &id, &state).await;
    let s = &summary;
    assert_eq!(
        (s.campaigns, s.ad_groups, s.keywords, s.schedules),
        (3, 6, 18, 5),
        "the counts are the account's: {summary:?}"
    );

    // A row per campaign and day for the last 30 days, whose figures add up to what Google
    // reports for the whole range.
    assert_eq!(summary.metric_days, 3 * 30, "{summary:?}");
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive().to_string();
    let first = (chrono::Utc::now() - chrono::Duration::days(30)).date_naive().to_string();
    let totals = raw_search(
        &fake,
        &token,
        state.customer_id,
        "SELECT campaign.id, metrics.cost_micros, metrics.clicks FROM campaign",
    )
    .await;
    assert_eq!(totals.len(), 3);
    for total in &totals {
        let campaign = total["campaign"]["id"].as_str().unwrap();
        let days = vault.ads(&id).metrics(campaign, "2000-01-01").await.unwrap();
        assert_eq!(days.len(), 30, "campaign {campaign}");
        assert_eq!((days[0].day.as_str(), days[29].day.as_str()), (first.as_str(), yesterday.as_str()));
        let cost: i64 = days.iter().map(|d| d.cost_micros).sum();
        let clicks: i64 = days.iter().map(|d| d.clicks).sum();
        assert_eq!(cost.to_string(), total["metrics"]["costMicros"].as_str().unwrap(), "campaign {campaign}");
        assert_eq!(clicks.to_string(), total["metrics"]["clicks"].as_str().unwrap(), "campaign {campaign}");
    }

    // A lead as the inbox shows it: contact fields, answers, the ad it came from, by name.
    let page = vault.leads().list(&LeadFilter::default(), LeadSort::default(), None, 20).await.unwrap();
    let lead = &page.leads[0];
    assert_eq!((lead.source.as_str(), lead.ad.platform.as_deref()), ("google-ads", Some("google")));
    assert!(lead.full_name.is_some() && lead.email.is_some() && lead.phone.is_some(), "{lead:?}");
    for field in ["POSTAL_CODE", "What is your budget?", "gclid"] {
        assert!(lead.fields.contains_key(field), "{field} in {:?}", lead.fields.keys());
    }
    let campaign = state.campaigns.iter().find(|c| Some(c.id.to_string()) == lead.ad.campaign_id).unwrap();
    assert_eq!(lead.ad.campaign_name.as_deref(), Some(campaign.name.as_str()));
    let group = state.ad_groups.iter().find(|g| Some(g.id.to_string()) == lead.ad.adset_id).unwrap();
    assert_eq!(lead.ad.adset_name.as_deref(), Some(group.name.as_str()));
    assert_eq!(group.campaign_id, campaign.id);
    assert!(lead.ad.ad_id.is_some() && lead.ad.form_id.is_some());

    // Again: nothing new, nothing doubled; only the overlap is read again.
    let again = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(again.new, 0, "{again:?}");
    assert!(again.unchanged < 1_000, "the second sync reads only the overlap: {again:?}");
    assert_eq!(count(&vault).await, LEADS as i64);

    // Seven people fill in a form; meanwhile a schedule is deleted and a bid changed in
    // Google Ads. The next sync brings exactly the seven, and the account as it now is.
    fake.add_leads(7);
    let cid = state.customer_id;
    let removed = &state.schedules[0];
    let group = &state.ad_groups[0];
    for (path, body) in [
        (
            "campaignCriteria:mutate",
            json!({"operations": [{"remove": format!("customers/{cid}/campaignCriteria/{}~{}", removed.campaign_id, removed.criterion_id)}]}),
        ),
        (
            "adGroups:mutate",
            json!({"operations": [{"update": {"resourceName": format!("customers/{cid}/adGroups/{}", group.id),
                   "cpcBidMicros": "2500000"}, "updateMask": "cpcBidMicros"}]}),
        ),
    ] {
        let url = format!("{}/v26/customers/{cid}/{path}", fake.base_url());
        let response = reqwest::Client::new().post(url).bearer_auth(&token).json(&body).send().await.unwrap();
        assert!(response.status().is_success(), "{path}");
    }
    let changed = fake.ads_state();
    assert_eq!((changed.schedules.len(), changed.ad_groups[0].cpc_bid_micros), (4, 2_500_000));
    let more = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(more.new, 7, "{more:?}");
    assert_eq!(count(&vault).await, LEADS as i64 + 7);
    assert_mirrors(&vault, &id, &changed).await;
    assert_eq!(
        vault.ads(&id).metrics(&state.campaigns[0].id.to_string(), "2000-01-01").await.unwrap().len(),
        30
    );
    vault.close().await;
}

#[tokio::test]
async fn faults_and_cut_off_pages_change_nothing_in_the_result() {
    let (fake, _dir, vault, id, _) = pasted(start(LEADS, 0.1)).await;
    fake.inject(SEARCH, Fault::CutOff, 2);
    fake.inject(SEARCH, Fault::Status(502), 2);
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(summary.new, LEADS, "{summary:?}");
    assert!(summary.retries >= 4, "the injected faults were retried: {summary:?}");
    assert_eq!(count(&vault).await, LEADS as i64);
    assert_mirrors(&vault, &id, &fake.ads_state()).await;
    assert_eq!(summary.metric_days, 90, "{summary:?}");
    vault.close().await;
}

#[tokio::test]
async fn a_spent_daily_quota_stops_the_sync_at_once_and_says_when_to_retry() {
    let (fake, _dir, vault, id, _) = pasted(start(120, 0.0)).await;

    // A short wait is waited out and the request tried again.
    fake.inject(SEARCH, Fault::RateLimited { retry_after_secs: 1 }, 1);
    let summary = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!((summary.new, summary.retries), (120, 1), "{summary:?}");

    // The daily quota: Google says 24 hours. One request, no retry (each would burn quota).
    fake.add_leads(3);
    fake.inject(SEARCH, Fault::RateLimited { retry_after_secs: 86_400 }, 1);
    let before = fake.calls(SEARCH);
    let err = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap_err();
    assert_eq!(fake.calls(SEARCH) - before, 1, "the refused request is not retried");
    assert!(matches!(err, Error::RateLimited { retry_after_secs: 86_400, .. }), "{err:?}");
    assert!(err.to_string().contains("try again in 24 h"), "{err}");
    let after = vault.connections().get(&id).await.unwrap();
    assert_eq!(after.status, ConnectionStatus::Error, "a quota is not a sign-in problem");
    let message = after.last_error.unwrap_or_default();
    assert!(message.contains("24 h"), "the connection says when: {message}");
    assert_eq!(count(&vault).await, 120);

    // Once the quota is back, the sync carries on.
    let resumed = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    assert_eq!(resumed.new, 3, "{resumed:?}");
    vault.close().await;
}

#[tokio::test]
async fn an_access_token_expiring_mid_sync_is_refreshed_once_and_the_sync_completes() {
    let (fake, _dir, vault, id) = signed_in(start(LEADS, 0.0)).await;
    let before = vault.connections().credentials(&id).await.unwrap().unwrap();
    let token_calls = fake.calls("/token");
    let expired = AtomicBool::new(false);
    let summary = sync_connection(&vault, &id, &fast(), &|p| {
        // Between the first and the second page of leads.
        if p.pages == 1 && !expired.swap(true, Ordering::Relaxed) {
            fake.expire_access_tokens();
        }
    })
    .await
    .unwrap();
    assert!(expired.load(Ordering::Relaxed));
    assert_eq!(summary.new, LEADS, "{summary:?}");
    assert_eq!(fake.calls("/token") - token_calls, 1, "one refresh");
    let after = vault.connections().credentials(&id).await.unwrap().unwrap();
    assert_ne!(after.access_token, before.access_token, "the new token is kept for next time");
    assert_eq!(after.refresh_token, before.refresh_token);
    assert_eq!(vault.connections().get(&id).await.unwrap().status, ConnectionStatus::Connected);
    assert_eq!(count(&vault).await, LEADS as i64);
    vault.close().await;
}

#[tokio::test]
async fn a_refused_refresh_marks_the_connection_needs_sign_in_without_looping() {
    let (fake, _dir, vault, id) = signed_in(start(50, 0.0)).await;
    fake.expire_access_tokens();
    fake.refuse_refresh();
    let (token_calls, customer_calls) = (fake.calls("/token"), fake.calls(CUSTOMERS));
    let err = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap_err();
    assert!(err.needs_sign_in(), "{err:?}");
    assert_eq!(fake.calls("/token") - token_calls, 1, "one refresh, refused");
    assert_eq!(fake.calls(CUSTOMERS) - customer_calls, 1, "and no second try with the old token");
    let after = vault.connections().get(&id).await.unwrap();
    assert_eq!(after.status, ConnectionStatus::NeedsSignIn);
    assert_eq!(count(&vault).await, 0);
    vault.close().await;
}

#[tokio::test]
async fn a_cancelled_sync_resumes_from_its_last_whole_page() {
    let (_fake, _dir, vault, id, _) = pasted(start(LEADS, 0.0)).await;
    let options = fast();
    let cancel = options.cancel.clone();
    let err = sync_connection(&vault, &id, &options, &|p| {
        if p.pages == 1 {
            cancel.cancel();
        }
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert_eq!(count(&vault).await, 10_000, "the whole first page is kept");
    let rest = sync_connection(&vault, &id, &fast(), &|_| {}).await.unwrap();
    // The stored page token: only the first account's second page and the second account's
    // (empty) one are read, not the first page again.
    assert_eq!((rest.new, rest.unchanged, rest.pages), (LEADS - 10_000, 0, 2), "{rest:?}");
    assert_eq!(count(&vault).await, LEADS as i64);
    vault.close().await;
}
