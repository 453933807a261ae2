//! `connect`, `connections list|test` and `disconnect` through the real binary, against the
//! local fakes over loopback HTTP, with the real keychain.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::{Sandbox, files_under};
use leadvault_fakes::{CLIENT_ID, Fake, Options, Provider};

/// A runtime that keeps the fakes serving while the test runs the binary.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A runtime, `provider`'s fake on it, and a sandbox with a vault made: most tests' start.
fn fake_and_vault(provider: Provider) -> (tokio::runtime::Runtime, Fake, Sandbox) {
    let rt = runtime();
    let fake = rt.block_on(Fake::start(provider)).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    (rt, fake, sandbox)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Runs `leadvault <args>` with `input` on standard input.
fn with_stdin(sandbox: &Sandbox, args: &[&str], input: &str) -> std::process::Output {
    let mut child = sandbox
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// `leadvault connect google-ads --no-browser` against the fake at `base`, its output piped: this
/// test is the browser.
fn browser_sign_in(sandbox: &Sandbox, base: &str) -> std::process::Child {
    sandbox
        .command(&["connect", "google-ads", "--base-url", base, "--client-id", CLIENT_ID, "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The consent page's address, as `leadvault connect --no-browser` prints it on stderr, and
/// the rest of stderr (kept open until the child is done: it still writes there).
fn sign_in_address(child: &mut std::process::Child) -> (String, BufReader<std::process::ChildStderr>) {
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    for _ in 0..5 {
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        if line.starts_with("http://") {
            return (line.trim().to_string(), stderr);
        }
    }
    (String::new(), stderr)
}

#[test]
fn a_pasted_token_is_verified_kept_in_the_keychain_only_and_forgotten_on_disconnect() {
    let (_rt, fake, sandbox) = fake_and_vault(Provider::Hubspot);
    let base = fake.base_url();

    // A wrong token is refused before anything is saved.
    let out = with_stdin(
        &sandbox,
        &["connect", "hubspot", "--token-stdin", "--base-url", &base],
        "pat-na1-wrong\n",
    );
    let err = common::fails(out, &["connect"]);
    // The token is what to check (where it said to "sign in again").
    assert_eq!(
        err.trim_end(),
        "error: HubSpot refused this token (INVALID_AUTHENTICATION); check that it is the whole token, \
         for HubSpot, and still valid, then paste it again"
    );
    assert!(!err.contains("pat-na1-wrong"), "the token is never echoed: {err}");
    assert_eq!(sandbox.json(&["connections", "list", "--json"]), serde_json::json!([]));

    let token = fake.issue_token();
    let out =
        with_stdin(&sandbox, &["connect", "hubspot", "--token-stdin", "--base-url", &base, "--json"], &token);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = made["id"].as_str().unwrap().to_string();

    let list = sandbox.json(&["connections", "list", "--json"]);
    let c = &list.as_array().unwrap()[0];
    assert_eq!(c["id"], id.as_str());
    assert_eq!(c["provider"], "hubspot");
    assert_eq!(c["status"], "connected");
    assert_eq!(c["auth"], "token");
    assert!(c["label"].as_str().unwrap().starts_with("HubSpot"), "{c}");
    assert!(!list.to_string().contains(&token), "the list shows no secret");

    assert!(sandbox.ok(&["connections", "test", &id]).contains("working"));

    // Not a byte of the token under the data dir (database, WAL, logs).
    for path in files_under(&sandbox.data_dir()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(!contains(&bytes, &token), "the token is in {}", path.display());
    }

    let out = sandbox.ok(&["disconnect", &id]);
    assert!(out.contains("Disconnected"), "{out}");
    assert_eq!(sandbox.json(&["connections", "list", "--json"]), serde_json::json!([]));
    let err = sandbox.fails(&["connections", "test", &id]);
    assert!(err.contains("no connection with id"), "{err}");
}

#[test]
fn signing_in_through_the_browser_and_a_refused_refresh_marking_it_needs_sign_in() {
    let (rt, fake, sandbox) = fake_and_vault(Provider::GoogleAds);
    let base = fake.base_url();

    let mut child = browser_sign_in(&sandbox, &base);
    // The binary prints the consent page's address; this test is the browser.
    let (url, _stderr) = sign_in_address(&mut child);
    assert!(url.contains("code_challenge="), "the sign-in address: {url:?}");
    let landed = rt.block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
    assert!(landed.contains("Signed in"), "{landed}");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = sandbox.json(&["connections", "list", "--json"]);
    let c = &list[0];
    assert_eq!((c["provider"].as_str(), c["auth"].as_str()), (Some("google-ads"), Some("oauth")));
    let id = c["id"].as_str().unwrap().to_string();

    // The access token expires: `test` refreshes it and carries on.
    fake.expire_access_tokens();
    sandbox.ok(&["connections", "test", &id]);

    // The grant is revoked at Google: the next refresh is refused, once, and it says so.
    fake.expire_access_tokens();
    fake.refuse_refresh();
    let before = fake.calls("/token");
    let err = sandbox.fails(&["connections", "test", &id]);
    // Ending with the command that signs it in again, where it only said to.
    let command =
        format!("sign in again or paste a new token: {} connect google-ads --base-url {base}", me(&sandbox));
    assert!(err.trim_end().ends_with(&command), "{err}");
    assert_eq!(fake.calls("/token") - before, 1, "one refresh attempt, no retry loop");
    assert_eq!(sandbox.json(&["connections", "list", "--json"])[0]["status"], "needs_sign_in");

    // Signing in again to the same account brings that connection back, in place.
    let mut child = browser_sign_in(&sandbox, &base);
    let (url, _stderr) = sign_in_address(&mut child);
    rt.block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("Signed in again to ") && said.contains(&format!("id {id}")), "{said}");
    let list = sandbox.json(&["connections", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "no second connection: {list}");
    assert_eq!((list[0]["id"].as_str(), list[0]["status"].as_str()), (Some(id.as_str()), Some("connected")));
    assert!(list[0]["last_error"].is_null(), "{list}");
    assert!(sandbox.ok(&["connections", "test", &id]).contains("working"));

    sandbox.ok(&["disconnect", &id, "--purge"]);
    assert!(!fake.revoked().is_empty(), "disconnect revoked the grant at the provider");
}

#[test]
fn meta_without_a_token_and_an_unknown_provider_get_clear_errors() {
    let sandbox = Sandbox::new();
    sandbox.init();
    let err = sandbox.fails(&["connect", "meta", "--no-browser"]);
    assert!(err.contains("--token-stdin"), "{err}");
    let err = sandbox.fails(&["connect", "linkedin", "--token-stdin"]);
    assert!(err.contains("unknown provider"), "{err}");
    let err = sandbox.fails(&["connect", "hubspot", "--no-browser", "--base-url", "http://127.0.0.1:9"]);
    assert!(err.contains("LEADVAULT_HUBSPOT_CLIENT_ID"), "{err}");
}

/// Issue 4's "done when", for every provider: `leadvault connect <provider> --base-url <fake>`
/// completes a real loopback sign-in (this test plays the browser), the connection is listed,
/// its tokens are in the keychain and nowhere under the data dir, and `disconnect --purge`
/// leaves nothing of it behind: no row, no keychain entry, no lead, campaign or metric.
#[test]
fn every_provider_signs_in_over_loopback_and_purging_leaves_nothing_behind() {
    use leadvault_core::ads::{Campaign, DailyMetrics};
    use leadvault_core::secrets::{KeyStore, OsKeychain};
    use leadvault_core::{LeadFilter, NewLead, Vault, VaultOptions};

    let rt = runtime();
    for (provider, name) in [
        (Provider::Meta, "meta"),
        (Provider::GoogleAds, "google-ads"),
        (Provider::Hubspot, "hubspot"),
        (Provider::Pipedrive, "pipedrive"),
        (Provider::Salesforce, "salesforce"),
    ] {
        let fake = rt.block_on(Fake::start(provider)).unwrap();
        let sandbox = Sandbox::new();
        sandbox.init();
        let base = fake.base_url();
        // Pipedrive's OAuth apps are confidential clients: their secret goes in a Basic header.
        let secret_var = format!("LEADVAULT_{}_CLIENT_SECRET", name.replace('-', "_").to_uppercase());
        let mut child = sandbox
            .command(&[
                "connect",
                name,
                "--base-url",
                &base,
                "--client-id",
                CLIENT_ID,
                "--no-browser",
                "--json",
            ])
            .env(secret_var, "fake-client-secret")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (url, _stderr) = sign_in_address(&mut child);
        assert!(url.contains("code_challenge=") && url.contains("state="), "{name}: {url:?}");
        let landed = rt.block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
        assert!(landed.contains("Signed in"), "{name}: {landed}");
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let id = made["id"].as_str().unwrap().to_string();

        let list = sandbox.json(&["connections", "list", "--json"]);
        assert_eq!(list.as_array().unwrap().len(), 1, "{name}");
        assert_eq!(
            (list[0]["provider"].as_str(), list[0]["status"].as_str()),
            (Some(name), Some("connected"))
        );
        assert_eq!(list[0]["auth"], "oauth", "{name}");

        // The tokens the provider handed out are in the keychain entry and on no file.
        let issued = fake.tokens_issued();
        assert!(!issued.is_empty(), "{name}: the fake issued tokens");
        let account = format!("connection:{id}");
        let entry = OsKeychain::new().get_text(&account).unwrap().expect("a keychain entry");
        assert!(issued.iter().any(|t| entry.contains(t.as_str())), "{name}: the keychain holds the token");
        for path in files_under(&sandbox.data_dir()) {
            let bytes = std::fs::read(&path).unwrap();
            for token in &issued {
                assert!(!contains(&bytes, token), "{name}: a token is in {}", path.display());
            }
        }

        // What a sync would have brought through this connection (sync is issue 5's).
        rt.block_on(async {
            let options = VaultOptions::new(sandbox.data_dir(), std::sync::Arc::new(OsKeychain::new()));
            let vault = Vault::open(options).await.unwrap();
            let leads = (0..3)
                .map(|i| NewLead {
                    source: name.into(),
                    external_id: format!("{name}:{i}"),
                    created_at: chrono::Utc::now(),
                    full_name: Some(format!("Synced {i}")),
                    email: leadvault_core::domain::Email::parse(&format!("synced{i}@example.com")),
                    connection_id: Some(id.clone()),
                    ..Default::default()
                })
                .collect();
            vault.add_leads(leads).await.unwrap();
            let campaign = Campaign {
                id: "1".into(),
                name: "Spring".into(),
                status: "ENABLED".into(),
                budget_micros: None,
                bidding: None,
            };
            vault.ads(&id).upsert_campaigns(&[campaign]).await.unwrap();
            let day = DailyMetrics {
                campaign_id: "1".into(),
                day: "2026-11-20".into(),
                impressions: 10,
                clicks: 1,
                cost_micros: 1,
                conversions: 0.0,
            };
            vault.ads(&id).upsert_metrics(&[day]).await.unwrap();
            vault.close().await;
        });

        let out = sandbox.ok(&["disconnect", &id, "--purge"]);
        assert!(
            out.contains("Deleted 3 leads, 2 rows of campaigns and metrics and 0 recorded ads changes"),
            "{name}: {out}"
        );
        assert_eq!(sandbox.json(&["connections", "list", "--json"]), serde_json::json!([]), "{name}");
        assert!(
            OsKeychain::new().get_text(&account).unwrap().is_none(),
            "{name}: the keychain entry is gone"
        );
        rt.block_on(async {
            let options = VaultOptions::new(sandbox.data_dir(), std::sync::Arc::new(OsKeychain::new()));
            let vault = Vault::open(options).await.unwrap();
            assert_eq!(vault.leads().count(&LeadFilter::default()).await.unwrap(), 0, "{name}");
            assert!(vault.ads(&id).campaigns().await.unwrap().is_empty(), "{name}");
            assert!(vault.ads(&id).metrics("1", "2000-01-01").await.unwrap().is_empty(), "{name}");
            vault.close().await;
        });
    }
}

#[test]
fn a_connection_label_never_drives_the_terminal() {
    let (_rt, fake, sandbox) = fake_and_vault(Provider::Hubspot);
    let (base, token) = (fake.base_url(), fake.issue_token());
    let label = "Sales \u{1b}]0;pwned\u{7}CRM\u{1b}[2J";
    let args = ["connect", "hubspot", "--token-stdin", "--base-url", &base, "--label", label];
    let out = with_stdin(&sandbox, &args, &token);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let shown = sandbox.ok(&["connections", "list"]);
    let raw: Vec<char> = shown.lines().flat_map(str::chars).filter(|c| c.is_control()).collect();
    assert_eq!(raw, Vec::<char>::new(), "{shown:?}");
    assert!(shown.contains("Sales \\x1b]0;pwned\\x07CRM\\x1b[2J"), "{shown}");
    assert_eq!(sandbox.json(&["connections", "list", "--json"])[0]["label"], label, "JSON keeps it exact");
}

/// A CRM whose token was revoked fails its sync and needs a sign-in; pasting a new token for
/// the same account brings that connection back (same id, connected, its schedule kept), and
/// the next sync sends only what had not gone yet: no second connection, no lead pushed twice.
#[test]
fn a_new_token_for_the_same_account_signs_its_connection_in_again_without_pushing_twice() {
    let rt = runtime();
    let meta =
        rt.block_on(Fake::start_with(Provider::Meta, Options { leads: 20, ..Options::default() })).unwrap();
    let hubspot = rt.block_on(Fake::start(Provider::Hubspot)).unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    sandbox.connect_pasted("meta", &meta.base_url(), &meta.issue_token());
    let id = sandbox.connect_pasted("hubspot", &hubspot.base_url(), &hubspot.issue_token());
    sandbox.ok(&["connections", "every", &id, "2h"]);
    let created = hubspot.crm_writes().created;
    let out = sandbox.ok(&["sync"]);
    assert!(out.contains(": 20 pushed, 0 failed"), "{out}");

    // The token is revoked, and five more leads come in: the sync stores them, and the CRM's
    // part fails asking for a sign-in.
    hubspot.expire_access_tokens();
    meta.add_leads(5);
    let out = sandbox.run(&["sync"]);
    assert!(!out.status.success(), "the sync fails");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sign in again"), "{err}");
    let list = sandbox.json(&["connections", "list", "--json"]);
    assert_eq!(list[1]["status"], "needs_sign_in", "{list}");
    // The list says how to sign it in again.
    let shown = sandbox.ok(&["connections", "list"]);
    let hint = format!(
        "sign in again: {} connect hubspot --token-stdin --base-url {}",
        me(&sandbox),
        hubspot.base_url()
    );
    assert!(shown.contains(&hint), "{shown}");

    // A new token for the same portal: the same connection, connected again, with the label
    // given with it (where --label was ignored).
    let base = hubspot.base_url();
    let args = ["connect", "hubspot", "--token-stdin", "--base-url", &base, "--label", "Sales CRM"];
    let out = with_stdin(&sandbox, &args, &hubspot.issue_token());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with(&format!("Signed in again to Sales CRM (HubSpot); id {id}")), "{said}");
    let list = sandbox.json(&["connections", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2, "no second HubSpot connection: {list}");
    let c = &list[1];
    assert_eq!((c["id"].as_str(), c["status"].as_str()), (Some(id.as_str()), Some("connected")), "{c}");
    assert!(c["last_error"].is_null() && c["label"] == "Sales CRM", "{c}");
    assert_eq!(c["sync_every_secs"], 7200, "its schedule stays");

    // The next sync sends the five it missed, and only them.
    let out = sandbox.ok(&["sync"]);
    assert!(out.contains(": 5 pushed, 0 failed"), "{out}");
    let writes = hubspot.crm_writes();
    assert_eq!((writes.created - created, writes.updated), (25, 0), "each lead once in the CRM");

    // Once more, with --json: the connection, said to be signed in again.
    let out = with_stdin(
        &sandbox,
        &["connect", "hubspot", "--token-stdin", "--base-url", &base, "--json"],
        &hubspot.issue_token(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((again["id"].as_str(), again["signed_in_again"].as_bool()), (Some(id.as_str()), Some(true)));
    assert_eq!(again["label"], "Sales CRM", "no --label: the label stays");
    let out = sandbox.ok(&["sync"]);
    assert!(out.contains(": 0 pushed, 0 failed"), "{out}");
    assert_eq!(hubspot.crm_writes().updated, 0, "nothing pushed twice");
}

/// Signing in again with another account of the same provider adds a second connection (the
/// first is that account's); the command now says the first still needs a sign-in and how to
/// sign it in or remove it, where it said only "Connected", the first left failing unnoticed.
#[test]
fn a_sign_in_with_another_account_says_the_first_connection_still_needs_one() {
    let rt = runtime();
    let first = rt.block_on(Fake::start(Provider::Hubspot)).unwrap();
    let port: u16 = first.base_url().rsplit(':').next().unwrap().parse().unwrap();
    let sandbox = Sandbox::new();
    sandbox.init();
    let base = first.base_url();
    let args = ["connect", "hubspot", "--token-stdin", "--base-url", &base, "--json"];
    let out = with_stdin(&sandbox, &args, &first.issue_token());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["id"].as_str().unwrap().to_string();
    first.expire_access_tokens();
    sandbox.fails(&["connections", "test", &id]);

    // The same address now answers for another portal (another seed).
    drop(first);
    let other = rt.block_on(async {
        for _ in 0..100 {
            let options = Options { seed: 2, port, ..Options::default() };
            if let Ok(fake) = Fake::start_with(Provider::Hubspot, options).await {
                return fake;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("port {port} stayed taken");
    });
    let out = with_stdin(&sandbox, &args[..5], &other.issue_token());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Connected HubSpot"));
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(note.starts_with("note: HubSpot account "), "{note}");
    assert!(
        note.trim_end().ends_with(&format!(
            "still needs a sign-in; this was another HubSpot account, so it was added beside it: sign in again with that one's account, or `{} disconnect {id}`",
            me(&sandbox)
        )),
        "{note}"
    );
    assert_eq!(sandbox.json(&["connections", "list", "--json"]).as_array().unwrap().len(), 2);

    // A new token for the second portal signs that one in again, in place: no note.
    let list = sandbox.json(&["connections", "list", "--json"]);
    let second = list.as_array().unwrap().iter().find(|c| c["id"] != id.as_str()).unwrap()["id"].clone();
    let out = with_stdin(&sandbox, &args[..5], &other.issue_token());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("id {}", second.as_str().unwrap())));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note:"), "the note is for new connections");
}

/// A token pasted at a terminal is not shown: the terminal's echo is off while it is read,
/// where every character of it was echoed to the screen (and its scrollback).
#[cfg(unix)]
#[test]
fn a_token_pasted_at_a_terminal_is_not_echoed() {
    use std::io::Read;
    let (_rt, fake, sandbox) = fake_and_vault(Provider::Hubspot);
    let token = fake.issue_token();
    let (master, slave) = common::pseudo_terminal();
    let mut master = std::fs::File::from(master);
    let base = fake.base_url();
    let mut child = sandbox
        .command(&["connect", "hubspot", "--token-stdin", "--base-url", &base])
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The prompt comes once the echo is off; then the token is typed.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut prompt = String::new();
    stderr.read_line(&mut prompt).unwrap();
    assert!(prompt.starts_with("Paste the token and press Enter (it is not shown)"), "{prompt}");
    master.write_all(format!("{token}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Connected HubSpot"));
    // What the terminal showed: everything until the last end of the child's side.
    let mut shown = Vec::new();
    let _ = master.read_to_end(&mut shown);
    let shown = String::from_utf8_lossy(&shown);
    assert!(!shown.contains(&token[..12]), "the token was echoed ({} bytes shown)", shown.len());
}

/// Ctrl-C while the sign-in waits for the browser says the sign-in was cancelled and nothing
/// saved, where it said "error: cancelled".
#[test]
fn ctrl_c_during_a_sign_in_says_nothing_was_saved() {
    let (_rt, fake, sandbox) = fake_and_vault(Provider::GoogleAds);
    let base = fake.base_url();
    let mut child = browser_sign_in(&sandbox, &base);
    let (_url, mut stderr) = sign_in_address(&mut child);
    let mut waiting = String::new();
    stderr.read_line(&mut waiting).unwrap();
    assert!(waiting.starts_with("Waiting for the answer"), "{waiting}");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        rest.trim_end().lines().last(),
        Some("error: the sign-in was cancelled; nothing was saved"),
        "{rest}"
    );
    assert_eq!(sandbox.json(&["connections", "list", "--json"]), serde_json::json!([]));
}

/// A sign-in declined, or not finished in time, says to run the command again with the
/// options this one had (its server, its OAuth app, its label, its wait, no browser), where it
/// named the provider alone, then left out the label, the wait and --no-browser.
#[test]
fn a_declined_or_unfinished_sign_in_names_the_whole_command_to_run_again() {
    let (rt, fake, sandbox) = fake_and_vault(Provider::Hubspot);
    let base = fake.base_url();
    let args = [
        "connect",
        "hubspot",
        "--base-url",
        &base,
        "--client-id",
        CLIENT_ID,
        "--label",
        "Sales CRM",
        "--timeout",
        "120",
        "--no-browser",
        "--json",
    ];
    let again = format!(
        "`{} connect hubspot --base-url {base} --client-id {CLIENT_ID} --label 'Sales CRM' --timeout 120 \
         --no-browser --json` again",
        me(&sandbox)
    );

    fake.set_consent(leadvault_fakes::Consent::Deny);
    let mut child = sandbox.command(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (url, mut stderr) = sign_in_address(&mut child);
    rt.block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(1));
    let line = rest.trim_end().lines().last().unwrap_or_default();
    assert_eq!(line, format!("error: you declined access on HubSpot's page; run {again} to retry"));

    // The wait as typed.
    let within_1: Vec<&str> = args.iter().map(|a| if *a == "120" { "1" } else { a }).collect();
    let out = sandbox.run(&within_1);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.trim_end().lines().last().unwrap_or_default();
    let again_within_1 = again.replace("--timeout 120", "--timeout 1");
    assert_eq!(line, format!("error: the sign-in was not finished within 1 s; run {again_within_1}"));
    assert_eq!(sandbox.json(&["connections", "list", "--json"]), serde_json::json!([]));
}

/// How the hints call `leadvault` for the sandbox's vault: with its `--data-dir`.
fn me(sandbox: &Sandbox) -> String {
    format!("leadvault --data-dir {}", sandbox.data_dir().display())
}

/// A vault locked with a passphrase opens without a keychain, but its connections' tokens are
/// kept only there: with no keychain, `connect` and `sync` say to unlock it, not to export the
/// passphrase that already opened the vault.
#[test]
fn connecting_a_passphrase_vault_without_a_keychain_says_the_tokens_need_one() {
    let rt = runtime();
    let fake = rt.block_on(Fake::start(Provider::Hubspot)).unwrap();
    let sandbox = Sandbox::new();
    let no_bus = format!("unix:path={}", sandbox.path("no-bus").display());
    // `leadvault <args>` on the passphrase vault, with or without a keychain, `input` on its stdin.
    let run = |args: &[&str], keychain: bool, input: &str| {
        let mut command = sandbox.command(args);
        command.env("LEADVAULT_PASSPHRASE", "correct horse battery");
        if !keychain {
            command.env("DBUS_SESSION_BUS_ADDRESS", &no_bus);
        }
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["init"], false, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let base = fake.base_url();
    let connect = ["connect", "hubspot", "--token-stdin", "--base-url", &base];
    let err = common::fails(run(&connect, false, &fake.issue_token()), &["connect without a keychain"]);
    assert!(err.contains("no OS keychain is available"), "{err}");
    assert!(err.contains("sign-in tokens are kept only in the OS keychain"), "{err}");
    assert!(!err.contains("LEADVAULT_PASSPHRASE"), "the passphrase already opened the vault: {err}");
    let list = run(&["connections", "list", "--json"], false, "");
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&list.stdout).unwrap(), serde_json::json!([]));

    // Connected while the keychain was there, then synced without it: the same, and the
    // connection's last error (shown by `connections list` and the window) says it too.
    let out = run(&connect, true, &fake.issue_token());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = common::fails(run(&["sync"], false, ""), &["sync without a keychain"]);
    assert!(err.contains("sign-in tokens are kept only in the OS keychain"), "{err}");
    assert!(!err.contains("LEADVAULT_PASSPHRASE"), "{err}");
    let list: serde_json::Value =
        serde_json::from_slice(&run(&["connections", "list", "--json"], true, "").stdout).unwrap();
    let last_error = list[0]["last_error"].as_str().unwrap_or_default().to_string();
    assert!(last_error.contains("sign-in tokens are kept only in the OS keychain"), "{list}");
}
