//! `leadvault sync` through the real binary against the fakes: a Meta and a Google Ads
//! summary, pushes to a CRM, and crash safety (the process killed with SIGKILL at random
//! moments, restarted each time, ends with every lead exactly once in the vault and in the CRM,
//! and a consistent vault).

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::Sandbox;
use leadvault_fakes::{Fake, Fault, Options, Provider};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Connects Meta with a pasted token; returns the connection id.
fn connect_meta(sandbox: &Sandbox, fake: &Fake) -> String {
    connect(sandbox, "meta", fake)
}

/// Connects `provider` with a pasted token; returns the connection id.
fn connect(sandbox: &Sandbox, provider: &str, fake: &Fake) -> String {
    connect_with(sandbox, provider, fake, &fake.issue_token())
}

/// Connects `provider` with `token` pasted; returns the connection id.
fn connect_with(sandbox: &Sandbox, provider: &str, fake: &Fake, token: &str) -> String {
    let mut child = sandbox
        .command(&["connect", provider, "--token-stdin", "--base-url", &fake.base_url(), "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    made["id"].as_str().unwrap().to_string()
}

fn lead_count(sandbox: &Sandbox) -> u64 {
    sandbox.json(&["vault", "status", "--json"])["leads"].as_u64().unwrap()
}

#[test]
fn sync_prints_a_summary_and_says_what_to_do_without_connections() {
    let rt = runtime();
    let fake =
        rt.block_on(Fake::start_with(Provider::Meta, Options { leads: 300, ..Options::default() })).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    let err = sandbox.fails(&["sync"]);
    assert!(
        err.contains(&format!("`leadvault --data-dir {} connect", sandbox.data_dir().display())),
        "{err}"
    );

    let id = connect_meta(&sandbox, &fake);
    let out = sandbox.ok(&["sync"]);
    assert!(out.contains(": 300 new, 0 already in the vault"), "{out}");
    assert_eq!(lead_count(&sandbox), 300);
    let again: serde_json::Value = sandbox.json(&["sync", "--connection", &id, "--json"]);
    assert_eq!(again[0]["new"], 0, "{again}");
    assert_eq!(again[0]["provider"], "meta");
    let err = sandbox.fails(&["sync", "--connection", "01NOPE"]);
    assert!(err.contains("no connection with id"), "{err}");

    // A CRM connected now gets the synced leads it missed, pushed by the next plain `sync`.
    let hubspot = rt.block_on(Fake::start(Provider::Hubspot)).unwrap();
    let before = hubspot.crm_records().len();
    connect(&sandbox, "hubspot", &hubspot);
    let out = sandbox.ok(&["sync"]);
    assert!(out.contains(": 300 pushed, 0 failed"), "{out}");
    assert!(hubspot.crm_records().len() > before, "contacts were made");
    let again: serde_json::Value = sandbox.json(&["sync", "--json"]);
    assert_eq!(again[1]["pushed"], 0, "{again}");
    let list = sandbox.json(&["connections", "list", "--json"]);
    assert!(list.as_array().unwrap().iter().all(|c| c["status"] == "connected"), "{list}");
}

#[test]
fn google_ads_syncs_its_account_and_leads_from_the_command_line() {
    let rt = runtime();
    let fake = rt
        .block_on(Fake::start_with(Provider::GoogleAds, Options { leads: 150, ..Options::default() }))
        .unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    let mut child = sandbox
        .command(&["connect", "google-ads", "--token-stdin", "--base-url", &fake.base_url(), "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(fake.issue_token().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = sandbox.ok(&["sync"]);
    assert!(out.contains(": 150 new, 0 already in the vault (2 pages from 2 accounts)"), "{out}");
    assert!(out.contains("3 campaigns, 6 ad groups, 18 keywords, 5 ad schedules; 90 days"), "{out}");
    assert_eq!(lead_count(&sandbox), 150);
    fake.add_leads(4);
    let again = sandbox.json(&["sync", "--json"]);
    assert_eq!((again[0]["new"].as_u64(), again[0]["campaigns"].as_u64()), (Some(4), Some(3)), "{again}");
    assert_eq!(again[0]["provider"], "google-ads");
}

/// A small deterministic generator for the kill moments (xorshift).
struct Moments(u64);
impl Moments {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo)
    }
}

/// Starts `leadvault sync` and kills it with SIGKILL after a random moment in `lo..hi` ms,
/// `kills` times (runs that finish before their moment are counted, not killed).
fn kill_repeatedly(sandbox: &Sandbox, kills_wanted: u32, lo: u64, hi: u64) {
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("kill moments seed: {seed}");
    let mut moments = Moments(seed | 1);
    let (mut kills, mut finished_early) = (0, 0);
    while kills < kills_wanted {
        let mut child =
            sandbox.command(&["sync"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(moments.next_ms(lo, hi)));
        if child.try_wait().unwrap().is_some() {
            // It finished before the kill: the vault is complete; count it and keep killing
            // the (now quick) follow-up syncs.
            finished_early += 1;
            if finished_early > 40 {
                break;
            }
            continue;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    println!("{kills} kills, {finished_early} runs finished before their kill");
    assert!(kills >= kills_wanted, "the sync was killed at least {kills_wanted} times");
}

#[test]
fn a_sync_killed_at_random_moments_ends_with_every_lead_exactly_once_here_and_in_the_crm() {
    const LEADS: u64 = 20_000;
    let rt = runtime();
    let fake = rt
        .block_on(Fake::start_with(Provider::Meta, Options { leads: LEADS, ..Options::default() }))
        .unwrap();
    let salesforce = rt.block_on(Fake::start(Provider::Salesforce)).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    connect_meta(&sandbox, &fake);
    connect(&sandbox, "salesforce", &salesforce);
    let before = salesforce.crm_records().len();

    kill_repeatedly(&sandbox, 20, 20, 700);
    sandbox.ok(&["sync"]);
    assert_eq!(lead_count(&sandbox), LEADS, "every lead exactly once");
    assert!(sandbox.ok(&["vault", "check"]).contains("integrity check ok"));
    let again = sandbox.json(&["sync", "--json"]);
    assert_eq!((again[0]["new"].as_u64(), again[1]["pushed"].as_u64()), (Some(0), Some(0)), "{again}");
    let leads: Vec<_> = salesforce.crm_records().into_iter().skip(before).collect();
    let ids: std::collections::HashSet<_> =
        leads.iter().filter_map(|r| r.fields.get("Leadvault_Id__c").and_then(|v| v.as_str())).collect();
    assert_eq!((leads.len(), ids.len()), (LEADS as usize, LEADS as usize), "each lead once in the CRM");
}

#[test]
fn a_push_to_pipedrive_killed_at_random_moments_makes_no_person_or_lead_twice() {
    // Pipedrive has no upsert: this is where a lost answer or a kill could make a record twice.
    const LEADS: u64 = 400;
    let rt = runtime();
    let meta = rt
        .block_on(Fake::start_with(Provider::Meta, Options { leads: LEADS, ..Options::default() }))
        .unwrap();
    let limits = leadvault_fakes::Limits::none();
    let pipedrive =
        rt.block_on(Fake::start_with(Provider::Pipedrive, Options { limits, ..Options::default() })).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    connect_meta(&sandbox, &meta);
    sandbox.ok(&["sync"]);
    connect(&sandbox, "pipedrive", &pipedrive);
    let before = pipedrive.crm_records().len();

    kill_repeatedly(&sandbox, 12, 20, 400);
    sandbox.ok(&["sync"]);
    let made: Vec<_> = pipedrive.crm_records().into_iter().skip(before).collect();
    let leads: Vec<_> = made.iter().filter(|r| r.kind == "lead").collect();
    let origins: std::collections::HashSet<_> =
        leads.iter().filter_map(|r| r.fields.get("origin_id").and_then(|v| v.as_str())).collect();
    assert_eq!((leads.len(), origins.len()), (LEADS as usize, LEADS as usize), "each lead once");
    let persons: Vec<_> = made.iter().filter(|r| r.kind == "person").collect();
    let emails: std::collections::HashSet<_> = persons.iter().filter_map(|r| r.email()).collect();
    assert_eq!(persons.len(), emails.len(), "no person twice");
    assert_eq!(sandbox.json(&["sync", "--json"])[1]["pushed"], 0);
}

#[test]
fn watch_syncs_again_each_interval_until_interrupted() {
    use std::io::{BufRead, BufReader};
    let rt = runtime();
    let fake =
        rt.block_on(Fake::start_with(Provider::Meta, Options { leads: 120, ..Options::default() })).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    connect_meta(&sandbox, &fake);
    let err = sandbox.fails(&["sync", "--watch", "--every", "0"]);
    assert!(err.contains("--every"), "{err}");

    let mut child = sandbox
        .command(&["sync", "--watch", "--every", "1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut rounds = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_new = || -> u64 {
        let line = rounds.next().expect("a round").unwrap();
        let round: serde_json::Value = serde_json::from_str(&line).unwrap();
        round[0]["new"].as_u64().unwrap()
    };
    assert_eq!(next_new(), 120, "the first round reads everything");
    fake.add_leads(5);
    let mut seen = 0;
    for _ in 0..5 {
        seen += next_new();
        if seen >= 5 {
            break;
        }
    }
    assert_eq!(seen, 5, "a later round brings exactly the new leads");
    // Ctrl-C: the watch ends cleanly.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(lead_count(&sandbox), 125);
}

#[test]
fn a_connection_syncing_in_one_process_is_left_alone_by_another_and_intervals_are_set_per_connection() {
    let rt = runtime();
    let fake =
        rt.block_on(Fake::start_with(Provider::Meta, Options { leads: 20, ..Options::default() })).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    let id = connect_meta(&sandbox, &fake);
    fake.inject("/v26.0/*/leads", Fault::Slow(Duration::from_secs(2)), 1);
    let first = sandbox.command(&["sync"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    while fake.calls("/v26.0/*/leads") == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    // The app's scheduler or a second terminal: refused in one line, nothing done.
    let err = sandbox.fails(&["sync", "--connection", &id]);
    assert!(err.contains("is being synced by another Leadvault"), "{err}");
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lead_count(&sandbox), 20);
    // The lock went with the process: the next sync runs.
    assert!(sandbox.ok(&["sync", "--connection", &id]).contains("0 new"));

    let list = sandbox.ok(&["connections", "list"]);
    assert!(list.contains("every 15 min"), "a lead source's default: {list}");
    let set = sandbox.ok(&["connections", "every", &id, "manual"]);
    assert!(set.contains("only when asked"), "{set}");
    assert!(sandbox.ok(&["connections", "list"]).contains("when asked"));
    assert!(sandbox.ok(&["connections", "every", &id, "2h"]).contains("every 2 h"));
    assert_eq!(sandbox.json(&["connections", "list", "--json"])[0]["sync_every_secs"], 7200);
    let err = sandbox.fails(&["connections", "every", &id, "30s"]);
    assert!(err.contains("1m or more"), "{err}");
    let err = sandbox.fails(&["connections", "every", "nope", "1h"]);
    assert!(err.contains("no connection with id nope"), "{err}");
    assert_eq!(sandbox.json(&["connections", "list", "--json"])[0]["sync_every_secs"], 7200, "untouched");
    // An id pasted with the spaces around it is the connection's, where it was "not found".
    assert!(sandbox.ok(&["connections", "every", &format!(" {id}\t"), "3h"]).contains("every 3 h"));
}

/// A CRM whose token was revoked, with nothing queued for it: `leadvault sync` fails with
/// "sign in again" and a non-zero exit, the connection listed as needing a sign-in, where it
/// said "0 pushed, 0 failed" and exited 0. A token without the owners' scope (a 403 on that
/// optional read) still syncs, and says the owners were not read.
#[test]
fn a_revoked_crm_token_fails_the_sync_and_says_to_sign_in_again() {
    let rt = runtime();
    let hubspot = rt.block_on(Fake::start(Provider::Hubspot)).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    let token = hubspot.issue_token();
    let id = connect_with(&sandbox, "hubspot", &hubspot, &token);

    hubspot.inject("/crm/v3/owners", Fault::Status(403), 1);
    let out = sandbox.ok(&["sync", "--connection", &id]);
    assert!(out.contains(": 0 pushed, 0 failed"), "{out}");
    assert!(out.contains("owners were not read (MISSING_SCOPES"), "{out}");

    rt.block_on(async {
        let url = format!("{}/oauth/v1/refresh-tokens/{token}", hubspot.base_url());
        reqwest::Client::new().delete(url).send().await.unwrap();
    });
    let err = sandbox.fails(&["sync", "--connection", &id]);
    assert!(err.contains("HubSpot refused the credentials") && err.contains("sign in again"), "{err}");
    // It ends with the command that signs it in again, where it only said to.
    let command = format!(
        "leadvault --data-dir {} connect hubspot --token-stdin --base-url {}",
        sandbox.data_dir().display(),
        hubspot.base_url()
    );
    assert!(err.trim_end().ends_with(&format!("paste a new token: {command}")), "{err}");
    let list = sandbox.json(&["connections", "list", "--json"]);
    assert_eq!(list[0]["status"], "needs_sign_in", "{list}");

    // Syncing every connection: its line says the same, the other's sync goes through.
    let meta = rt.block_on(Fake::start(Provider::Meta)).unwrap();
    connect_with(&sandbox, "meta", &meta, &meta.issue_token());
    let out = sandbox.run(&["sync"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.contains("refused the credentials")).unwrap_or_default();
    assert!(line.ends_with(&format!(": {command}")), "{err}");
    let json = sandbox.run(&["sync", "--json"]);
    let outcomes: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let hubspot_outcome = outcomes.as_array().unwrap().iter().find(|o| o["id"] == id.as_str()).unwrap();
    assert!(
        hubspot_outcome["error"].as_str().unwrap().ends_with("paste a new token"),
        "JSON keeps the error"
    );
}

/// One owner, one page, one form: said in the singular, where the summary read "counted for
/// 1 owners".
#[test]
fn a_sync_summary_counts_one_owner_in_the_singular() {
    let rt = runtime();
    let meta =
        rt.block_on(Fake::start_with(Provider::Meta, Options { leads: 5, ..Options::default() })).unwrap();
    let salesforce = rt.block_on(Fake::start(Provider::Salesforce)).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    connect_meta(&sandbox, &meta);
    connect(&sandbox, "salesforce", &salesforce);
    let out = sandbox.ok(&["sync"]);
    assert!(out.contains(": 5 pushed, 0 failed; open leads counted for 1 owner\n"), "{out}");
}

/// Ctrl-C during a sync says it stopped and what was kept, where it said "error: cancelled".
#[test]
fn ctrl_c_stops_a_sync_and_says_what_was_kept() {
    let rt = runtime();
    let fake =
        rt.block_on(Fake::start_with(Provider::Meta, Options { leads: 20, ..Options::default() })).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    connect_meta(&sandbox, &fake);
    fake.inject("/v26.0/*/leads", Fault::Slow(Duration::from_secs(30)), 1);
    let child = sandbox.command(&["sync"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    while fake.calls("/v26.0/*/leads") == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end().lines().last(),
        Some("error: sync stopped; every page it stored is kept, and the next sync carries on from there"),
        "{err}"
    );
    assert!(sandbox.ok(&["sync"]).contains("20 new"), "the next sync brings them");
}
