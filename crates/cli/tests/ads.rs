//! `leadvault ads …` through the real binary against the Google Ads and Meta fakes, with a real
//! vault and the real keychain: dry runs change nothing, changes land exactly and are listed by
//! `ads history`, and bad input is refused in one line, exit code 1, before anything is sent.

mod common;

use common::Sandbox;
use leadvault_fakes::{Fake, Options, Provider};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Connects `provider` at the fake with a pasted token; returns the connection id.
fn connect(sandbox: &Sandbox, fake: &Fake, provider: &str) -> String {
    sandbox.connect_pasted(provider, &fake.base_url(), &fake.issue_token())
}

fn google(rt: &tokio::runtime::Runtime) -> Fake {
    rt.block_on(Fake::start_with(Provider::GoogleAds, Options { leads: 10, ..Options::default() })).unwrap()
}

#[test]
fn pause_enable_bid_and_schedule_from_the_command_line_with_dry_runs_and_history() {
    let rt = runtime();
    let fake = google(&rt);
    let sandbox = Sandbox::new();
    sandbox.init();
    let id = connect(&sandbox, &fake, "google-ads");
    let state = fake.ads_state();
    let campaign = state.campaigns[0].id.to_string();
    let group = &state.ad_groups[2];
    let keyword = &state.keywords[1];
    let keyword_id = format!("{}~{}", keyword.ad_group_id, keyword.criterion_id);

    // Dry runs: Google validates, nothing changes, each is recorded as a dry run.
    let dry =
        sandbox.json(&["ads", "pause", "--connection", &id, "--campaign", &campaign, "--dry-run", "--json"]);
    assert_eq!((dry["dry_run"].as_bool(), dry["outcome"].as_str()), (Some(true), Some("validated")), "{dry}");
    assert_eq!(dry["before"], serde_json::json!({"status": "ENABLED"}));
    let out = sandbox.ok(&[
        "ads",
        "bid",
        "--connection",
        &id,
        "--keyword",
        &keyword_id,
        "--cpc",
        "0.80",
        "--dry-run",
    ]);
    assert!(out.contains("Dry run: Google Ads checked setting the CPC bid of keyword"), "{out}");
    assert!(out.contains(": 1.10 → 0.80 (in the account's currency); nothing was changed."), "{out}");
    let out = sandbox.ok(&[
        "ads",
        "schedule",
        "--connection",
        &id,
        "--campaign",
        &campaign,
        "--set",
        "sun 12:00-13:00",
        "--dry-run",
    ]);
    assert!(out.contains("mon-fri 09:00-17:00 → sun 12:00-13:00"), "{out}");
    assert_eq!(fake.ads_state(), state, "dry runs change nothing");

    // The changes themselves.
    let out = sandbox.ok(&["ads", "pause", "--connection", &id, "--campaign", &campaign]);
    assert!(out.contains(&format!("Paused campaign {campaign} at Google Ads: ENABLED → PAUSED.")), "{out}");
    assert_eq!(fake.ads_state().campaigns[0].status, "PAUSED");
    sandbox.ok(&["ads", "enable", "--connection", &id, "--campaign", &campaign]);
    assert_eq!(fake.ads_state().campaigns[0].status, "ENABLED");
    let out = sandbox.ok(&[
        "ads",
        "bid",
        "--connection",
        &id,
        "--ad-group",
        &group.id.to_string(),
        "--cpc",
        "2.10",
    ]);
    assert!(out.contains(&format!("ad group {} at Google Ads: 2.00 → 2.10", group.id)), "{out}");
    let out = sandbox.ok(&[
        "ads",
        "schedule",
        "--connection",
        &id,
        "--campaign",
        &campaign,
        "--set",
        "mon-fri 08:30-12:00",
        "--set",
        "mon-fri 13:00-18:00",
        "--set",
        "sat 10:00-14:00",
    ]);
    assert!(
        out.contains("mon-fri 09:00-17:00 → mon-fri 08:30-12:00, mon-fri 13:00-18:00, sat 10:00-14:00"),
        "{out}"
    );
    let after = fake.ads_state();
    assert_eq!(after.ad_groups[2].cpc_bid_micros, 2_100_000);
    assert_eq!(after.keywords, state.keywords, "the keyword's change was only a dry run");
    let mut schedules: Vec<_> = after
        .schedules
        .iter()
        .map(|s| (s.day_of_week.as_str(), s.start_hour, s.start_minute.as_str(), s.end_hour))
        .collect();
    schedules.sort();
    assert_eq!(schedules.len(), 11);
    assert!(
        schedules.contains(&("MONDAY", 8, "THIRTY", 12)) && schedules.contains(&("SATURDAY", 10, "ZERO", 14))
    );

    // The history: newest first, dry runs marked.
    let history = sandbox.json(&["ads", "history", "--json"]);
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 7);
    assert_eq!(history[0]["action"], "schedule");
    assert_eq!(history.iter().filter(|c| c["dry_run"] == true).count(), 3);
    let text = sandbox.ok(&["ads", "history", "--connection", &id, "--limit", "3"]);
    assert_eq!(text.lines().count(), 4, "a header and three changes: {text}");
    assert!(text.contains("PAUSED → ENABLED") && !text.contains("ENABLED → PAUSED"), "{text}");

    // Purging the connection forgets its history.
    let out = sandbox.ok(&["disconnect", &id, "--purge"]);
    assert!(out.contains("and 7 recorded ads changes"), "{out}");
    assert!(sandbox.ok(&["ads", "history"]).contains("No ads changes recorded yet"));
}

#[test]
fn bad_input_is_refused_in_one_line_before_anything_is_sent() {
    let rt = runtime();
    let fake = google(&rt);
    let meta = rt.block_on(Fake::start(Provider::Meta)).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    let id = connect(&sandbox, &fake, "google-ads");
    let meta_id = connect(&sandbox, &meta, "meta");
    let state = fake.ads_state();
    let campaign = state.campaigns[0].id.to_string();
    let group = state.ad_groups[0].id.to_string();

    let bid =
        |cpc: &str| sandbox.fails(&["ads", "bid", "--connection", &id, "--ad-group", &group, "--cpc", cpc]);
    for (cpc, says) in [
        ("0", "more than zero"),
        ("-1", "such as 1.25"),
        ("abc", "such as 1.25"),
        ("1,5", "such as 1.25"),
        ("1.234", "two decimals"),
        ("5000000", "over 1000000"),
    ] {
        let err = bid(cpc);
        assert!(err.contains("is not a bid") && err.contains(says), "{cpc}: {err}");
    }
    let schedule = |set: &[&str]| {
        let mut args = vec!["ads", "schedule", "--connection", &id, "--campaign", &campaign];
        for s in set {
            args.extend(["--set", s]);
        }
        sandbox.fails(&args)
    };
    for (set, says) in [
        (&["mon-fri 9:07-17:00"][..], "quarter hour"),
        (&["funday 09:00-17:00"], "not a day"),
        (&["mon 17:00-09:00"], "ends before it starts"),
        (&["mon 09:00-25:00"], "00:00 to 24:00"),
        (&["mon-fri 09:00-17:00", "wed 12:00-13:00"], "overlap"),
    ] {
        let err = schedule(set);
        assert!(err.contains(set[set.len() - 1]) || err.contains("overlap"), "{set:?}: {err}");
        assert!(err.contains(says), "{set:?}: {err}");
    }
    let err = sandbox.fails(&["ads", "pause", "--connection", &id, "--campaign", "abc"]);
    assert!(err.contains("is not a campaign id"), "{err}");
    let err = sandbox.fails(&["ads", "bid", "--connection", &id, "--keyword", "123", "--cpc", "1"]);
    assert!(err.contains("AD_GROUP_ID~CRITERION_ID"), "{err}");
    let err = sandbox.fails(&["ads", "bid", "--connection", &meta_id, "--ad-group", "1", "--cpc", "1"]);
    assert!(err.contains("Meta sets bids per ad set"), "{err}");
    let err = sandbox.fails(&["ads", "pause", "--connection", "01NOPE", "--campaign", "1"]);
    assert!(err.contains("no connection with id 01NOPE"), "{err}");

    let customer = state.customer_id;
    for path in ["googleAds:search", "campaigns:mutate", "adGroups:mutate", "campaignCriteria:mutate"] {
        assert_eq!(fake.calls(&format!("/v26/customers/{customer}/{path}")), 0, "{path}: nothing was sent");
    }
    assert_eq!(fake.ads_state(), state);
    assert_eq!(sandbox.json(&["ads", "history", "--json"]), serde_json::json!([]), "nothing was recorded");

    // What Google refuses is one line too, with exit code 1, and recorded.
    let err = sandbox.fails(&["ads", "pause", "--connection", &id, "--campaign", "42"]);
    assert!(err.contains(&format!("customer {customer} has no campaign 42")), "{err}");
    let history = sandbox.json(&["ads", "history", "--json"]);
    assert_eq!(history[0]["outcome"], "failed");
    assert_eq!(format!("error: {}\n", history[0]["reason"].as_str().unwrap()), err);

    // A connection disconnected without --purge keeps its history, still shown by its id.
    sandbox.ok(&["disconnect", &id]);
    let kept = sandbox.json(&["ads", "history", "--connection", &id, "--json"]);
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{kept}");
}

#[test]
fn history_of_an_unknown_connection_is_an_error_naming_how_to_list_them() {
    let sandbox = Sandbox::new();
    sandbox.init();
    for args in [
        &["ads", "history", "--connection", "nope"][..],
        &["ads", "history", "--connection", "nope", "--json"],
    ] {
        let err = sandbox.fails(args);
        assert!(err.contains("no connection with id nope"), "{err}");
        assert!(err.contains("leadvault connections list"), "{err}");
    }
    // Without --connection an empty history is no mistake.
    assert!(sandbox.ok(&["ads", "history"]).contains("No ads changes recorded yet"));
}
