//! Ads controls against the Google Ads and Meta fakes over loopback HTTP, with a real vault
//! (SQLCipher on disk, tokens in the real keychain): a dry run changes nothing and is recorded
//! as one; a change lands exactly and is recorded with its value before and after; what the
//! provider refuses changes nothing and is recorded as a failure, with the reason in one line.

use std::sync::Arc;
use std::time::Duration;

use leadvault_connectors::ads_control::{self, BidTarget, Change, Micros, Schedule};
use leadvault_connectors::{Error, manage};
use leadvault_core::ad_changes::{Action, Outcome, TargetKind};
use leadvault_core::connections::{ConnectionStatus, Provider};
use leadvault_core::secrets::{OsKeychain, Secret};
use leadvault_core::{Unlock, Vault, VaultOptions};
use leadvault_fakes::{AdsState, Fake, Fault, Options};
use serde_json::json;

mod common;
use common::HoldingProxy;

struct Account {
    fake: Fake,
    _dir: tempfile::TempDir,
    vault: Vault,
    id: String,
}

/// A fake of `provider`, a fresh vault and a connection to the fake made with a pasted token.
async fn connected(provider: leadvault_fakes::Provider) -> Account {
    let fake = Fake::start_with(provider, Options { leads: 10, ..Options::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = VaultOptions::new(dir.path().join("data"), Arc::new(OsKeychain::new()));
    let vault = Vault::create(options, Unlock::Keychain).await.unwrap();
    let ours = match provider {
        leadvault_fakes::Provider::Meta => Provider::Meta,
        _ => Provider::GoogleAds,
    };
    let token = Secret::new(fake.issue_token());
    let connection = manage::connect_token(&vault, ours, token, Some(&fake.base_url()), None).await.unwrap();
    Account { fake, _dir: dir, vault, id: connection.id }
}

impl Account {
    async fn apply(
        &self,
        change: &Change,
        dry_run: bool,
    ) -> leadvault_connectors::Result<leadvault_core::ad_changes::AdChange> {
        ads_control::apply(&self.vault, &self.id, change, dry_run).await
    }

    fn path(&self, service: &str) -> String {
        format!("/v26/customers/{}/{service}", self.fake.ads_state().customer_id)
    }
}

fn schedule(specs: &[&str]) -> Schedule {
    Schedule::parse(specs).unwrap()
}

/// The Google fake's schedule of a campaign as `(day, start, end)` in minutes, sorted.
fn slots_of(state: &AdsState, campaign: u64) -> Vec<(String, u32, u32)> {
    let minute = |m: &str| match m {
        "FIFTEEN" => 15,
        "THIRTY" => 30,
        "FORTY_FIVE" => 45,
        _ => 0,
    };
    let mut slots: Vec<_> = state
        .schedules
        .iter()
        .filter(|s| s.campaign_id == campaign)
        .map(|s| {
            (
                s.day_of_week.clone(),
                s.start_hour * 60 + minute(&s.start_minute),
                s.end_hour * 60 + minute(&s.end_minute),
            )
        })
        .collect();
    slots.sort();
    slots
}

#[tokio::test]
async fn a_dry_run_has_google_validate_it_changes_nothing_and_is_recorded_as_one() {
    let a = connected(leadvault_fakes::Provider::GoogleAds).await;
    let state = a.fake.ads_state();
    let campaign = state.campaigns[0].id.to_string();
    let keyword = &state.keywords[4];
    let changes = [
        Change::pause(&campaign).unwrap(),
        Change::bid(BidTarget::ad_group(&state.ad_groups[1].id.to_string()).unwrap(), Micros::new(2_750_000)),
        Change::bid(
            BidTarget::keyword(&format!("{}~{}", keyword.ad_group_id, keyword.criterion_id)).unwrap(),
            Micros::new(800_000),
        ),
        Change::schedule(&campaign, schedule(&["mon-sat 07:00-21:00"])).unwrap(),
    ];
    for change in &changes {
        let record = a.apply(change, true).await.unwrap();
        assert!(record.dry_run);
        assert_eq!(record.outcome, Outcome::Validated);
        assert!(record.before.is_some() && record.after.is_some(), "{record:?}");
    }
    assert_eq!(a.fake.ads_state(), state, "a dry run changes nothing");
    // Google itself validated each one.
    for service in ["campaigns:mutate", "adGroups:mutate", "campaignCriteria:mutate"] {
        assert_eq!(a.fake.calls(&a.path(service)), 1, "{service}");
    }
    assert_eq!(a.fake.calls(&a.path("adGroupCriteria:mutate")), 1);

    let history = a.vault.ad_changes().list(Some(&a.id), 0).await.unwrap();
    assert_eq!(history.len(), 4);
    let pause = history.last().unwrap();
    assert_eq!((pause.target_kind, pause.action), (TargetKind::Campaign, Action::Pause));
    assert_eq!(pause.before, Some(json!({"status": "ENABLED"})));
    assert_eq!(pause.after, Some(json!({"status": "PAUSED"})));
    let keyword_bid = &history[1];
    assert_eq!(keyword_bid.before, Some(json!({"cpc_bid_micros": keyword.cpc_bid_micros})));
    assert_eq!(ads_control::summary(&history[0]), "mon-fri 09:00-17:00 → mon-sat 07:00-21:00");
    a.vault.close().await;
}

#[tokio::test]
async fn pause_enable_and_bids_change_exactly_their_target_and_record_before_and_after() {
    let a = connected(leadvault_fakes::Provider::GoogleAds).await;
    let state = a.fake.ads_state();
    let campaign = state.campaigns[1].id.to_string();

    let paused = a.apply(&Change::pause(&campaign).unwrap(), false).await.unwrap();
    assert_eq!((paused.outcome, paused.dry_run), (Outcome::Applied, false));
    let mut expected = state.clone();
    expected.campaigns[1].status = "PAUSED".into();
    assert_eq!(a.fake.ads_state(), expected);
    assert_eq!(ads_control::summary(&paused), "ENABLED → PAUSED");

    let enabled = a.apply(&Change::enable(&campaign).unwrap(), false).await.unwrap();
    assert_eq!(ads_control::summary(&enabled), "PAUSED → ENABLED");
    assert_eq!(a.fake.ads_state(), state);

    let group = &state.ad_groups[3];
    let bid =
        Change::bid(BidTarget::ad_group(&group.id.to_string()).unwrap(), Micros::parse_bid("2.35").unwrap());
    let record = a.apply(&bid, false).await.unwrap();
    expected = state.clone();
    expected.ad_groups[3].cpc_bid_micros = 2_350_000;
    assert_eq!(a.fake.ads_state(), expected);
    assert_eq!(record.before, Some(json!({"cpc_bid_micros": group.cpc_bid_micros})));
    assert_eq!(record.after, Some(json!({"cpc_bid_micros": 2_350_000})));
    assert_eq!(record.target_kind, TargetKind::AdGroup);

    let keyword = &state.keywords[7];
    let id = format!("{}~{}", keyword.ad_group_id, keyword.criterion_id);
    let record = a
        .apply(&Change::bid(BidTarget::keyword(&id).unwrap(), Micros::parse_bid("0.45").unwrap()), false)
        .await
        .unwrap();
    expected.keywords[7].cpc_bid_micros = 450_000;
    assert_eq!(a.fake.ads_state(), expected);
    assert_eq!((record.target_kind, record.target_id.as_str()), (TargetKind::Keyword, id.as_str()));
    assert_eq!(a.vault.ad_changes().list(None, 0).await.unwrap().len(), 4);
    a.vault.close().await;
}

#[tokio::test]
async fn a_schedule_is_replaced_whole_in_one_request() {
    let a = connected(leadvault_fakes::Provider::GoogleAds).await;
    let state = a.fake.ads_state();
    let (first, third) = (state.campaigns[0].id, state.campaigns[2].id);
    assert_eq!(slots_of(&state, first).len(), 5, "the fake's weekday 9–17");

    let new = schedule(&["mon-fri 08:00-12:00", "mon-fri 13:00-18:30", "sat 10:00-14:00"]);
    let record = a.apply(&Change::schedule(&first.to_string(), new).unwrap(), false).await.unwrap();
    let mut want: Vec<(String, u32, u32)> = Vec::new();
    for day in ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"] {
        want.push((day.into(), 8 * 60, 12 * 60));
        want.push((day.into(), 13 * 60, 18 * 60 + 30));
    }
    want.push(("SATURDAY".into(), 10 * 60, 14 * 60));
    want.sort();
    let after = a.fake.ads_state();
    assert_eq!(slots_of(&after, first), want);
    assert_eq!(after.schedules.len(), 11, "the old slots are gone, no other campaign has any");
    assert_eq!(a.fake.calls(&a.path("campaignCriteria:mutate")), 1, "one atomic request");
    assert_eq!(
        ads_control::summary(&record),
        "mon-fri 09:00-17:00 → mon-fri 08:00-12:00, mon-fri 13:00-18:30, sat 10:00-14:00"
    );

    // A campaign without a schedule gets one (nothing to remove).
    let record = a
        .apply(&Change::schedule(&third.to_string(), schedule(&["sun 00:00-24:00"])).unwrap(), false)
        .await
        .unwrap();
    assert_eq!(slots_of(&a.fake.ads_state(), third), vec![("SUNDAY".into(), 0, 24 * 60)]);
    assert_eq!(record.before, Some(json!({"slots": []})));
    a.vault.close().await;
}

#[tokio::test]
async fn a_replacement_google_refuses_changes_nothing_and_is_recorded_as_failed() {
    let a = connected(leadvault_fakes::Provider::GoogleAds).await;
    let state = a.fake.ads_state();
    let cid = state.customer_id;
    let campaign = state.campaigns[0].id;
    // Someone adds a Monday evening slot in Google Ads while the replacement is on its way
    // (after it read the schedule): the new Monday slot overlaps it, and Google refuses the
    // whole request.
    let mutate = a.path("campaignCriteria:mutate");
    a.fake.inject(&mutate, Fault::Slow(Duration::from_millis(1500)), 1);
    let change = Change::schedule(&campaign.to_string(), schedule(&["mon-fri 18:00-22:00"])).unwrap();
    let replacing = ads_control::apply(&a.vault, &a.id, &change, false);
    let meanwhile = async {
        while a.fake.calls(&mutate) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let slot = json!({"operations": [{"create": {"campaign": format!("customers/{cid}/campaigns/{campaign}"),
            "adSchedule": {"dayOfWeek": "MONDAY", "startHour": 19, "startMinute": "ZERO", "endHour": 20, "endMinute": "ZERO"}}}]});
        let response = reqwest::Client::new()
            .post(format!("{}{mutate}", a.fake.base_url()))
            .bearer_auth(a.fake.issue_token())
            .json(&slot)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    };
    let (result, ()) = tokio::join!(replacing, meanwhile);
    let err = result.unwrap_err();
    let line = err.to_string();
    assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
    assert!(
        line.contains("AD_SCHEDULE_TIME_INTERVALS_OVERLAP") && line.contains("creating mon 18:00-22:00"),
        "{line}"
    );
    let mut expected = slots_of(&state, campaign);
    expected.push(("MONDAY".into(), 19 * 60, 20 * 60));
    expected.sort();
    assert_eq!(slots_of(&a.fake.ads_state(), campaign), expected, "none of ours landed, the other one stays");

    let record = a.vault.ad_changes().list(Some(&a.id), 0).await.unwrap().remove(0);
    assert_eq!((record.outcome, record.dry_run), (Outcome::Failed, false));
    assert_eq!(record.reason.as_deref(), Some(line.as_str()));
    assert_eq!(ads_control::summary(&record), "mon-fri 09:00-17:00 → mon-fri 18:00-22:00");

    // A campaign the account does not have: refused, recorded without a value before.
    let err =
        a.apply(&Change::schedule("42", schedule(&["mon 09:00-10:00"])).unwrap(), false).await.unwrap_err();
    assert!(err.to_string().contains("has no campaign 42"), "{err}");
    let record = a.vault.ad_changes().list(Some(&a.id), 1).await.unwrap().remove(0);
    assert_eq!((record.outcome, record.before), (Outcome::Failed, None));
    a.vault.close().await;
}

#[tokio::test]
async fn quota_says_when_to_try_again_and_is_not_retried() {
    let a = connected(leadvault_fakes::Provider::GoogleAds).await;
    let state = a.fake.ads_state();
    a.fake.inject(&a.path("googleAds:search"), Fault::RateLimited { retry_after_secs: 7200 }, 5);
    let err = a.apply(&Change::pause(&state.campaigns[0].id.to_string()).unwrap(), false).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { retry_after_secs: 7200, .. }), "{err:?}");
    assert!(err.to_string().contains("try again in 2 h"), "{err}");
    assert_eq!(a.fake.calls(&a.path("googleAds:search")), 1, "quota is not spent on retries");
    assert_eq!(a.fake.calls(&a.path("campaigns:mutate")), 0);
    assert_eq!(a.fake.ads_state(), state);
    let record = a.vault.ad_changes().list(None, 0).await.unwrap().remove(0);
    assert_eq!(record.outcome, Outcome::Failed);
    let connection = a.vault.connections().get(&a.id).await.unwrap();
    assert_eq!(connection.status, ConnectionStatus::Connected, "a quota error is not the connection's fault");
    a.vault.close().await;
}

#[tokio::test]
async fn a_refused_token_marks_the_connection_needs_sign_in_and_changes_nothing() {
    let a = connected(leadvault_fakes::Provider::GoogleAds).await;
    let state = a.fake.ads_state();
    a.fake.expire_access_tokens();
    let err = a.apply(&Change::pause(&state.campaigns[0].id.to_string()).unwrap(), false).await.unwrap_err();
    assert!(err.needs_sign_in(), "{err:?}");
    assert!(err.to_string().contains("sign in again"), "{err}");
    assert_eq!(a.vault.connections().get(&a.id).await.unwrap().status, ConnectionStatus::NeedsSignIn);
    assert_eq!(a.fake.ads_state(), state);
    assert_eq!(a.vault.ad_changes().list(None, 0).await.unwrap()[0].outcome, Outcome::Failed);
    a.vault.close().await;
}

#[tokio::test]
async fn meta_pauses_and_enables_with_graphs_own_validation_for_dry_runs() {
    let a = connected(leadvault_fakes::Provider::Meta).await;
    let state = a.fake.ads_state();
    let campaign = state.campaigns[2].id.to_string();
    let pause = Change::pause(&campaign).unwrap();

    let record = a.apply(&pause, true).await.unwrap();
    assert_eq!(
        (record.outcome, ads_control::summary(&record).as_str()),
        (Outcome::Validated, "ACTIVE → PAUSED")
    );
    assert_eq!(a.fake.ads_state(), state, "validate_only keeps nothing");
    assert_eq!(a.fake.calls(&format!("/v26.0/{campaign}")), 2, "read, then Graph validated");

    a.apply(&pause, false).await.unwrap();
    assert_eq!(a.fake.ads_state().campaigns[2].status, "PAUSED");
    let record = a.apply(&Change::enable(&campaign).unwrap(), false).await.unwrap();
    assert_eq!(ads_control::summary(&record), "PAUSED → ACTIVE");
    assert_eq!(a.fake.ads_state(), state);

    // Meta's bids are per ad set: refused before anything is sent, and not recorded.
    let before = a.fake.calls("/v26.0/**");
    let bid =
        Change::bid(BidTarget::ad_group(&state.ad_groups[0].id.to_string()).unwrap(), Micros::new(1_000_000));
    let err = a.apply(&bid, false).await.unwrap_err();
    assert!(err.to_string().contains("per ad set"), "{err}");
    assert_eq!(a.fake.calls("/v26.0/**"), before);
    // A campaign Meta does not know.
    let err = a.apply(&Change::pause("999").unwrap(), false).await.unwrap_err();
    assert!(err.to_string().contains("no campaign with that id"), "{err}");
    assert_eq!(a.vault.ad_changes().list(None, 0).await.unwrap().len(), 4);
    a.vault.close().await;
}

/// A change that meets the old token's refusal after the user signed in again (a new token for
/// the same account while the change was on its way) leaves the connection connected: the
/// refusal is the old token's, where it marked the connection just signed in again as needing
/// a sign-in.
#[tokio::test]
async fn a_change_refused_after_the_user_signed_in_again_leaves_the_connection_connected() {
    let fake = Fake::start_with(leadvault_fakes::Provider::Meta, Options { leads: 10, ..Options::default() })
        .await
        .unwrap();
    let proxy = HoldingProxy::start(&fake.base_url()).await;
    let dir = tempfile::tempdir().unwrap();
    let options = VaultOptions::new(dir.path().join("data"), Arc::new(OsKeychain::new()));
    let vault = Vault::create(options, Unlock::Keychain).await.unwrap();
    let old = fake.issue_token();
    let made =
        manage::connect_token(&vault, Provider::Meta, Secret::new(old.clone()), Some(&proxy.url), None);
    let id = made.await.unwrap().id;
    let state = fake.ads_state();
    let pause = Change::pause(&state.campaigns[0].id.to_string()).unwrap();

    let (arrived, release) = proxy.hold_next();
    let change = ads_control::apply(&vault, &id, &pause, false);
    let sign_in_again = async {
        arrived.await.unwrap();
        let meta = leadvault_connectors::Connector::new(Provider::Meta, Some(&fake.base_url())).unwrap();
        let old = leadvault_core::connections::Credentials::token(Secret::new(old.clone()));
        assert!(meta.revoke(leadvault_core::connections::AuthKind::Token, None, &old).await.unwrap());
        let new = Secret::new(fake.issue_token());
        let saved = manage::connect_token_saved(&vault, Provider::Meta, new, Some(&proxy.url), None).await;
        assert!(saved.unwrap().signed_in_again);
        release.send(()).unwrap();
    };
    let (changed, ()) = tokio::join!(change, sign_in_again);
    assert!(changed.unwrap_err().needs_sign_in());
    let after = vault.connections().get(&id).await.unwrap();
    assert_eq!((after.status, after.last_error), (ConnectionStatus::Connected, None));
    assert_eq!(fake.ads_state(), state, "nothing changed");
    // With the new token, the change goes through.
    ads_control::apply(&vault, &id, &pause, false).await.unwrap();
    assert_eq!(fake.ads_state().campaigns[0].status, "PAUSED");
    vault.close().await;
}
