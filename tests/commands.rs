//! The desktop commands over a real vault in a temporary directory, called through Tauri's IPC
//! on the mock runtime exactly as the window calls them (same names, same JSON arguments).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use leadvault_core::secrets::OsKeychain;
use leadvault_desktop::error::CommandError;
use leadvault_desktop::state::AppState;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

const PASSPHRASE: &str = "correct horse battery staple";

struct Window {
    _app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

fn window(dir: &Path, export_path: Option<PathBuf>) -> Window {
    window_with(dir, |state| state.export_path = export_path)
}

fn window_with(dir: &Path, setup: impl FnOnce(&mut AppState)) -> Window {
    let mut state = AppState::new(dir.to_path_buf(), Arc::new(OsKeychain::new()));
    setup(&mut state);
    let commands = leadvault_desktop::app_commands!(MockRuntime);
    let app = leadvault_desktop::app(mock_builder(), commands, state)
        .build(mock_context(noop_assets()))
        .expect("app builds");
    leadvault_desktop::attach_sync_events(&app);
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("window builds");
    Window { _app: app, webview }
}

impl Window {
    fn call<T: DeserializeOwned>(&self, cmd: &str, args: Value) -> Result<T, CommandError> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: args.into(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        match get_ipc_response(&self.webview, request) {
            Ok(body) => Ok(body.deserialize::<T>().expect("the command's answer has the declared type")),
            Err(e) => Err(CommandError {
                code: e["code"].as_str().unwrap_or("tauri").to_string(),
                message: e["message"].as_str().map(String::from).unwrap_or_else(|| e.to_string()),
            }),
        }
    }

    fn ok<T: DeserializeOwned>(&self, cmd: &str, args: Value) -> T {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {} ({})", e.message, e.code))
    }
}

fn view(extra: Value) -> Value {
    let mut q = json!({"search": null, "status": null, "source": null, "owner": null, "tag": null,
                       "since": null, "until": null, "sort": "newest"});
    for (k, v) in extra.as_object().expect("object") {
        q[k] = v.clone();
    }
    q
}

fn passphrase_vault_with_samples(dir: &Path, samples: u32) -> Window {
    let w = window(dir, None);
    let state: Value = w.ok("create_vault", json!({"passphrase": PASSPHRASE}));
    assert_eq!(state["unlocked"], true);
    let loaded: Value = w.ok("load_samples", json!({"count": samples}));
    assert_eq!(loaded["added"], samples);
    w
}

#[test]
fn first_run_creates_the_vault_and_samples_fill_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let w = window(dir.path(), None);
    let state: Value = w.ok("vault_state", json!({}));
    assert_eq!((state["exists"].clone(), state["unlocked"].clone()), (json!(false), json!(false)));
    let locked =
        w.call::<Value>("list_leads", json!({"query": view(json!({})), "cursor": null, "limit": 50}));
    assert_eq!(locked.unwrap_err().code, "locked", "nothing is listed before the vault is open");

    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    let loaded: Value = w.ok("load_samples", json!({"count": 30}));
    assert_eq!(loaded["added"], 30);
    let again: Value = w.ok("load_samples", json!({"count": 30}));
    assert_eq!(
        (again["added"].clone(), again["unchanged"].clone()),
        (json!(0), json!(30)),
        "samples never duplicate"
    );

    let page: Value = w.ok("list_leads", json!({"query": view(json!({})), "cursor": null, "limit": 50}));
    let leads = page["leads"].as_array().unwrap();
    assert_eq!(leads.len(), 30);
    assert!(
        leads
            .iter()
            .all(|l| l["source"] == "sample" && l["tags"].as_array().unwrap().contains(&json!("sample")))
    );
    assert!(leads.iter().all(|l| l["email"].as_str().unwrap().ends_with("@example.com")
        || l["email"].as_str().unwrap().ends_with("@example.org")));
    let status: Value = w.ok("vault_status", json!({}));
    assert_eq!((status["leads"].clone(), status["key_source"].clone()), (json!(30), json!("passphrase")));
}

#[test]
fn a_wrong_passphrase_is_a_message_and_leaves_the_vault_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(passphrase_vault_with_samples(dir.path(), 10));
    std::thread::sleep(std::time::Duration::from_millis(200)); // let the pool close its files
    let db = dir.path().join("vault.db");
    let before = std::fs::read(&db).unwrap();

    let w = window(dir.path(), None);
    let state: Value = w.ok("vault_state", json!({}));
    assert_eq!((state["exists"].clone(), state["key_source"].clone()), (json!(true), json!("passphrase")));
    let err = w.call::<Value>("unlock_vault", json!({"passphrase": "not the passphrase"})).unwrap_err();
    assert_eq!(err.code, "wrong_key");
    assert_eq!(
        err.message,
        "this passphrase does not open the vault (the key does not match this database); check it and try again"
    );
    assert!(!err.message.contains("not the passphrase"), "the typed passphrase never comes back");
    let short = w.call::<Value>("unlock_vault", json!({"passphrase": "abc"})).unwrap_err();
    assert_eq!(short.code, "wrong_key", "a short wrong passphrase is wrong, not 'too short'");
    assert_eq!(std::fs::read(&db).unwrap(), before, "a wrong passphrase changes nothing on disk");
    let err = w.call::<Value>("create_vault", json!({"passphrase": "another passphrase"})).unwrap_err();
    assert_eq!(err.code, "vault_exists", "the window never makes a new vault over an old one");

    w.ok::<Value>("unlock_vault", json!({"passphrase": PASSPHRASE}));
    let counts: Value = w.ok("count_by_status", json!({"query": view(json!({}))}));
    assert_eq!(counts["total"], 10);
}

#[test]
fn the_inbox_pages_by_cursor_without_overlap_and_counts_by_status() {
    let dir = tempfile::tempdir().unwrap();
    let w = passphrase_vault_with_samples(dir.path(), 120);
    let mut seen = std::collections::HashSet::new();
    let mut cursor = Value::Null;
    let mut pages = 0;
    loop {
        let page: Value =
            w.ok("list_leads", json!({"query": view(json!({})), "cursor": cursor, "limit": 50}));
        for l in page["leads"].as_array().unwrap() {
            assert!(seen.insert(l["id"].as_str().unwrap().to_string()), "a lead appeared twice");
        }
        pages += 1;
        cursor = page["next"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!((seen.len(), pages), (120, 3));

    let counts: Value = w.ok("count_by_status", json!({"query": view(json!({}))}));
    let by: Vec<(String, i64)> = counts["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["status"].as_str().unwrap().to_string(), c["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(by.len(), 6);
    assert_eq!(by.iter().map(|(_, n)| n).sum::<i64>(), 120);
    let new = by.iter().find(|(s, _)| s == "new").unwrap().1;
    let only_new: Value = w.ok("count_by_status", json!({"query": view(json!({"status": "new"}))}));
    assert_eq!(only_new["total"], new);
    let page: Value =
        w.ok("list_leads", json!({"query": view(json!({"status": "new"})), "cursor": null, "limit": 500}));
    assert_eq!(page["leads"].as_array().unwrap().len() as i64, new);
}

#[test]
fn search_and_filters_narrow_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let w = passphrase_vault_with_samples(dir.path(), 60);
    let all: Value = w.ok("list_leads", json!({"query": view(json!({})), "cursor": null, "limit": 500}));
    let first = all["leads"][0]["full_name"].as_str().unwrap().split(' ').next().unwrap().to_string();
    let found: Value =
        w.ok("list_leads", json!({"query": view(json!({"search": first})), "cursor": null, "limit": 500}));
    let found = found["leads"].as_array().unwrap();
    assert!(!found.is_empty() && found.len() < 60);
    assert!(found.iter().all(|l| l["full_name"].as_str().unwrap().contains(&first)));

    let hot: Value =
        w.ok("list_leads", json!({"query": view(json!({"tag": "hot"})), "cursor": null, "limit": 500}));
    assert!(
        hot["leads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["tags"].as_array().unwrap().contains(&json!("hot")))
    );
    let none: Value =
        w.ok("list_leads", json!({"query": view(json!({"source": "meta"})), "cursor": null, "limit": 500}));
    assert!(none["leads"].as_array().unwrap().is_empty());
    let future: Value = w.ok(
        "list_leads",
        json!({"query": view(json!({"since": "2999-01-01"})), "cursor": null, "limit": 500}),
    );
    assert!(future["leads"].as_array().unwrap().is_empty());
    let err = w
        .call::<Value>(
            "list_leads",
            json!({"query": view(json!({"since": "yesterday"})), "cursor": null, "limit": 5}),
        )
        .unwrap_err();
    assert_eq!(err.code, "invalid_input");
    assert_eq!(err.message.lines().count(), 1);
}

#[test]
fn lead_changes_land_in_the_timeline_and_bulk_changes_apply_to_each_lead() {
    let dir = tempfile::tempdir().unwrap();
    let w = passphrase_vault_with_samples(dir.path(), 20);
    let page: Value = w.ok("list_leads", json!({"query": view(json!({})), "cursor": null, "limit": 5}));
    let ids: Vec<String> =
        page["leads"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().into()).collect();

    let change = json!({"status": "qualified", "owner": "Maria", "add_tags": ["vip"], "remove_tags": [], "note": "call back Friday"});
    let d: Value = w.ok("update_lead", json!({"id": ids[0], "change": change}));
    assert_eq!((d["status"].clone(), d["owner"].clone()), (json!("qualified"), json!("Maria")));
    assert!(d["tags"].as_array().unwrap().contains(&json!("vip")));
    assert_eq!(d["notes"][0]["body"], "call back Friday");
    assert!(d["timeline"].as_array().unwrap().len() >= 4, "each change adds a timeline event");
    let d: Value = w.ok("get_lead", json!({"id": ids[0]}));
    assert_eq!(d["status"], "qualified");
    let cleared: Value = w.ok(
        "update_lead",
        json!({"id": ids[0], "change": {"status": null, "owner": "", "add_tags": [], "remove_tags": [], "note": null}}),
    );
    assert_eq!(cleared["owner"], Value::Null, "an empty owner clears it");

    let bulk =
        json!({"status": "spam", "owner": null, "add_tags": ["checked"], "remove_tags": [], "note": null});
    let r: Value = w.ok("update_leads", json!({"ids": ids[1..4], "change": bulk}));
    assert_eq!(r["updated"], 3);
    // The same change again changes nothing, and says so.
    let r: Value = w.ok("update_leads", json!({"ids": ids[1..4], "change": bulk}));
    assert_eq!(r["updated"], 0, "the leads already were as asked");
    // One lead gone (deleted since it was listed): none of the others change either.
    let won = json!({"status": "won", "owner": null, "add_tags": [], "remove_tags": [], "note": null});
    let err = w
        .call::<Value>("update_leads", json!({"ids": [ids[4], "01JZZZZZZZZZZZZZZZZZZZZZZZ"], "change": won}))
        .unwrap_err();
    assert_eq!(err.code, "lead_not_found");
    assert!(err.message.starts_with("nothing was changed: one of the selected leads"), "{}", err.message);
    let lead: Value = w.ok("get_lead", json!({"id": ids[4]}));
    assert_ne!(lead["lead"]["status"], "won", "{lead}");
    let spam: Value =
        w.ok("list_leads", json!({"query": view(json!({"status": "spam"})), "cursor": null, "limit": 50}));
    let mut spam_ids: Vec<String> =
        spam["leads"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().into()).collect();
    spam_ids.sort();
    let mut expected = ids[1..4].to_vec();
    expected.sort();
    assert_eq!(spam_ids, expected);

    let err = w.call::<Value>("get_lead", json!({"id": "01NOSUCHLEAD"})).unwrap_err();
    assert_eq!(err.code, "lead_not_found");
    let err = w
        .call::<Value>("update_lead", json!({"id": ids[0], "change": {"status": null, "owner": null, "add_tags": ["a,b"], "remove_tags": [], "note": null}}))
        .unwrap_err();
    assert_eq!(err.code, "invalid_input");
}

#[test]
fn export_writes_exactly_the_current_view() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("view.csv");
    let w = window(dir.path(), Some(out.clone()));
    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    w.ok::<Value>("load_samples", json!({"count": 80}));
    let query = view(json!({"tag": "hot", "sort": "oldest"}));
    let shown: Value = w.ok("list_leads", json!({"query": query, "cursor": null, "limit": 500}));
    let shown: Vec<String> =
        shown["leads"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().into()).collect();
    assert!(!shown.is_empty() && shown.len() < 80);

    let done: Value =
        w.ok("export_view", json!({"query": query, "format": "csv", "progress": "__CHANNEL__:7"}));
    assert_eq!(done["rows"], shown.len());
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let id_col = reader.headers().unwrap().iter().position(|h| h == "id").unwrap();
    let ids: Vec<String> = reader.records().map(|r| r.unwrap()[id_col].to_string()).collect();
    assert_eq!(ids, shown, "the same leads, in the same order, as the window shows");
    assert!(!w.ok::<bool>("cancel_export", json!({})), "nothing left to cancel once it is done");
}

#[test]
fn a_keychain_vault_opens_without_a_passphrase_and_its_key_can_change() {
    let dir = tempfile::tempdir().unwrap();
    {
        let w = window(dir.path(), None);
        let state: Value = w.ok("create_vault", json!({"passphrase": null}));
        assert_eq!(state["unlocked"], true);
        w.ok::<Value>("load_samples", json!({"count": 5}));
    }
    let w = window(dir.path(), None);
    let state: Value = w.ok("vault_state", json!({}));
    assert_eq!(state["key_source"], "keychain");
    w.ok::<Value>("unlock_vault", json!({"passphrase": null}));
    let info: Value = w.ok("change_key", json!({"currentPassphrase": null, "newPassphrase": PASSPHRASE}));
    assert_eq!((info["key_source"].clone(), info["leads"].clone()), (json!("passphrase"), json!(5)));
    drop(w);

    let w = window(dir.path(), None);
    let err = w.call::<Value>("unlock_vault", json!({"passphrase": null})).unwrap_err();
    assert_eq!(err.code, "passphrase_required", "after the change the keychain key no longer opens it");
    // The window's messages say what to do in the window, not which flag to pass.
    assert_eq!(err.message, "this vault is locked with a passphrase: type it to unlock");
    w.ok::<Value>("unlock_vault", json!({"passphrase": PASSPHRASE}));
    let short = w
        .call::<Value>("change_key", json!({"currentPassphrase": PASSPHRASE, "newPassphrase": ""}))
        .unwrap_err();
    assert_eq!(short.code, "passphrase_too_short");
    // A passphrase vault's key changes only for someone who types its passphrase.
    for current in [json!(null), json!("not the passphrase"), json!(format!("{PASSPHRASE} "))] {
        let err = w
            .call::<Value>("change_key", json!({"currentPassphrase": current, "newPassphrase": null}))
            .unwrap_err();
        assert_eq!(err.code, "wrong_passphrase", "{current}: {}", err.message);
    }
    let status: Value = w.ok("vault_status", json!({}));
    assert_eq!(status["leads"], 5, "a refused change leaves the vault open and whole");
    // Passphrase → keychain → passphrase in one session: the keychain vault asks for nothing.
    let info: Value = w.ok("change_key", json!({"currentPassphrase": PASSPHRASE, "newPassphrase": null}));
    assert_eq!(info["key_source"], "keychain");
    let info: Value = w.ok("change_key", json!({"currentPassphrase": null, "newPassphrase": PASSPHRASE}));
    assert_eq!(info["key_source"], "passphrase");
    let gone = w.call::<Value>("get_lead", json!({"id": "01JZZZZZZZZZZZZZZZZZZZZZZZ"})).unwrap_err();
    assert_eq!(gone.code, "lead_not_found");
    assert!(!gone.message.contains("leadvault "), "{}", gone.message);
}

#[test]
fn connections_are_made_tested_and_removed_from_the_window() {
    use leadvault_core::connections::Provider;
    use leadvault_fakes::{Fake, Provider as Kind};
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let hubspot = rt.block_on(Fake::start(Kind::Hubspot)).unwrap();
    let salesforce = rt.block_on(Fake::start(Kind::Salesforce)).unwrap();
    let meta = rt.block_on(Fake::start(Kind::Meta)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = window_with(dir.path(), |state| {
        state.base_urls.insert(Provider::Meta, meta.base_url());
        state.client_ids.insert(Provider::Meta, leadvault_fakes::CLIENT_ID.to_string());
        state.base_urls.insert(Provider::Hubspot, hubspot.base_url());
        state.base_urls.insert(Provider::Salesforce, salesforce.base_url());
        state.client_ids.insert(Provider::Salesforce, leadvault_fakes::CLIENT_ID.to_string());
        state.open_browser = false;
    });
    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    let providers: Value = w.ok("list_providers", json!({}));
    assert_eq!(providers.as_array().unwrap().len(), 5);
    assert_eq!(providers[0]["id"], "meta");
    assert_eq!(providers[0]["sign_in"], true, "Meta signs in in a window of the app");

    // A wrong token is a message; nothing is saved.
    let err = w
        .call::<Value>(
            "connect_token",
            json!({"provider": "hubspot", "token": "pat-na1-wrong", "label": null}),
        )
        .unwrap_err();
    assert_eq!(err.code, "needs_sign_in");
    assert!(!err.message.contains("pat-na1-wrong"), "{}", err.message);
    assert_eq!(w.ok::<Value>("list_connections", json!({})), json!([]));

    let made: Value = w.ok(
        "connect_token",
        json!({"provider": "hubspot", "token": hubspot.issue_token(), "label": "Sales CRM"}),
    );
    assert_eq!((made["label"].as_str(), made["status"].as_str()), (Some("Sales CRM"), Some("connected")));
    let tested: Value = w.ok("test_connection", json!({"id": made["id"]}));
    assert_eq!(tested["status"], "connected");

    // Sign-in: the window gets the consent page's address; this test is the browser.
    let started: Value = w.ok("begin_sign_in", json!({"provider": "salesforce"}));
    let url = started["url"].as_str().unwrap().to_string();
    let browser = rt.spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()).ok() });
    let signed: Value = w.ok("finish_sign_in", json!({"label": null}));
    assert_eq!(rt.block_on(browser).unwrap(), Some(200));
    assert_eq!((signed["provider"].as_str(), signed["auth"].as_str()), (Some("salesforce"), Some("oauth")));
    assert_eq!(w.ok::<Value>("list_connections", json!({})).as_array().unwrap().len(), 2);

    // A sign-in nobody finishes can be cancelled from the window.
    w.ok::<Value>("begin_sign_in", json!({"provider": "salesforce"}));
    assert!(w.ok::<bool>("cancel_sign_in", json!({})));
    let err = w.call::<Value>("finish_sign_in", json!({"label": null})).unwrap_err();
    assert_eq!(err.code, "invalid_input", "{}", err.message);

    // Meta: its login dialog opens in a sign-in window of the app, not the browser. Closing
    // that window ends the sign-in as cancelled. (The real window's redirect handling is
    // driven end to end in ui/e2e.)
    let started: Value = w.ok("begin_sign_in", json!({"provider": "meta"}));
    assert_eq!(started["in_window"], true);
    assert!(
        started["url"].as_str().unwrap().starts_with(&format!("{}/v26.0/dialog/oauth?", meta.base_url()))
    );
    let sign_in_windows = || -> Vec<String> {
        w._app.webview_windows().into_keys().filter(|l| l.starts_with("sign-in-")).collect()
    };
    let open = sign_in_windows();
    assert_eq!(open.len(), 1, "one sign-in window: {open:?}");
    w._app.get_webview_window(&open[0]).unwrap().destroy().unwrap();
    let err = w.call::<Value>("finish_sign_in", json!({"label": null})).unwrap_err();
    assert_eq!(err.code, "cancelled", "{}", err.message);
    assert_eq!(w.ok::<Value>("list_connections", json!({})).as_array().unwrap().len(), 2);

    // A Meta connection syncs now: its leads arrive and it is no longer "never synced".
    let made_meta: Value =
        w.ok("connect_token", json!({"provider": "meta", "token": meta.issue_token(), "label": null}));
    assert_eq!((made_meta["can_sync"].as_bool(), made_meta["stale"].as_bool()), (Some(true), Some(true)));
    // A CRM syncs too (its queue is sent), and is never "stale": nothing of it expires.
    assert_eq!((made["can_sync"].as_bool(), made["stale"].as_bool()), (Some(true), Some(false)));
    let synced: Value = w.ok("sync_now", json!({"id": made_meta["id"]}));
    assert_eq!(synced["new"].as_u64(), Some(meta.lead_count()));
    assert!(synced["connection"]["last_sync_at"].is_string());
    assert_eq!(synced["connection"]["stale"], false);
    let again: Value = w.ok("sync_now", json!({"id": made_meta["id"]}));
    assert_eq!(again["new"], 0);
    // How often it syncs by itself: the default, then only when asked; too often is refused.
    assert_eq!(made_meta["syncs"], "every 15 min");
    assert_eq!(made["syncs"], "every 5 min", "a CRM's default");
    let err = w.call::<Value>("set_sync_every", json!({"id": made_meta["id"], "everySecs": 30})).unwrap_err();
    assert_eq!(err.code, "invalid_input", "{}", err.message);
    let manual: Value = w.ok("set_sync_every", json!({"id": made_meta["id"], "everySecs": 0}));
    assert_eq!(
        (manual["syncs"].as_str(), manual["sync_every_secs"].as_u64()),
        (Some("only when asked"), Some(0))
    );
    let hourly: Value = w.ok("set_sync_every", json!({"id": made_meta["id"], "everySecs": 3600}));
    assert_eq!(hourly["syncs"], "every 1 h");
    w.ok::<Value>("disconnect", json!({"id": made_meta["id"], "purge": true}));

    let done: Value = w.ok("disconnect", json!({"id": signed["id"], "purge": true}));
    assert!(done["revoke_message"].as_str().unwrap().contains("no longer lets Leadvault in"), "{done}");
    assert!(!salesforce.revoked().is_empty());
    let left: Value = w.ok("list_connections", json!({}));
    assert_eq!(left.as_array().unwrap().len(), 1);
}

#[test]
fn demo_mode_opens_a_vault_of_its_own_fed_by_the_simulated_providers_and_leaves_the_real_one_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = window_with(&data, |s| s.background_sync = true);
    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    w.ok::<Value>("load_samples", json!({"count": 5}));
    let total =
        |w: &Window| w.ok::<Value>("count_by_status", json!({"query": view(json!({}))}))["total"].as_i64();

    let on: Value = w.ok("start_demo", json!({}));
    assert_eq!((on["demo"].as_bool(), on["unlocked"].as_bool()), (Some(true), Some(true)));
    let connections: Value = w.ok("list_connections", json!({}));
    let connections = connections.as_array().unwrap();
    assert_eq!(connections.len(), 5, "every simulated provider is connected");
    for c in connections {
        assert!(c["label"].as_str().unwrap().starts_with("Demo "), "{c}");
        assert_eq!(c["syncs"], "every 1 min", "{c}");
    }
    // The scheduler syncs each by itself: 200 leads from each simulated source.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while total(&w) != Some(400) {
        assert!(std::time::Instant::now() < deadline, "the demo's leads did not arrive: {:?}", total(&w));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let err =
        w.call::<Value>("change_key", json!({"currentPassphrase": null, "newPassphrase": null})).unwrap_err();
    assert!(err.message.contains("leave demo mode"), "{}", err.message);

    // Leaving: the real (passphrase) vault waits for its passphrase, as it was.
    let off: Value = w.ok("stop_demo", json!({}));
    assert_eq!((off["demo"].as_bool(), off["unlocked"].as_bool()), (Some(false), Some(false)));
    w.ok::<Value>("unlock_vault", json!({"passphrase": PASSPHRASE}));
    assert_eq!(total(&w), Some(5), "the real vault holds its own leads only");
    assert!(w.ok::<Value>("list_connections", json!({})).as_array().unwrap().is_empty());
    assert!(dir.path().join("data-demo").join("DEMO").is_file(), "the demo's vault is beside it");
}

/// A machine without a Secret Service: every keychain call fails, as the real one then does.
struct NoKeychain;

impl leadvault_core::secrets::KeyStore for NoKeychain {
    fn get(&self, _: &str) -> leadvault_core::Result<Option<leadvault_core::secrets::VaultKey>> {
        Err(no_keychain())
    }
    fn set(&self, _: &str, _: &leadvault_core::secrets::VaultKey) -> leadvault_core::Result<()> {
        Err(no_keychain())
    }
    fn delete(&self, _: &str) -> leadvault_core::Result<()> {
        Err(no_keychain())
    }
}

fn no_keychain() -> leadvault_core::Error {
    leadvault_core::Error::KeychainUnavailable { reason: "no Secret Service is running".into() }
}

#[test]
fn a_key_change_or_demo_that_fails_leaves_the_vault_open() {
    let dir = tempfile::tempdir().unwrap();
    let w = window_with(dir.path(), |state| state.keystore = Arc::new(NoKeychain));
    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    w.ok::<Value>("load_samples", json!({"count": 5}));

    // Moving to a keychain key needs the keychain: refused, and the window goes on working.
    let err = w
        .call::<Value>("change_key", json!({"currentPassphrase": PASSPHRASE, "newPassphrase": null}))
        .unwrap_err();
    assert_eq!(err.code, "keychain_unavailable");
    let state: Value = w.ok("vault_state", json!({}));
    assert_eq!(state["unlocked"], true, "the vault opens again after the failed change");
    let status: Value = w.ok("vault_status", json!({}));
    assert_eq!((status["leads"].clone(), status["key_source"].clone()), (json!(5), json!("passphrase")));

    // The demo's vault keeps its key in the keychain: it cannot start, and the real vault stays open.
    let err = w.call::<Value>("start_demo", json!({})).unwrap_err();
    assert_eq!(err.code, "keychain_unavailable");
    let state: Value = w.ok("vault_state", json!({}));
    assert_eq!((state["unlocked"].clone(), state["demo"].clone()), (json!(true), json!(false)));
    let leads: Value = w.ok("count_by_status", json!({"query": view(json!({}))}));
    assert_eq!(leads["total"], 5);
}

#[test]
fn an_unreadable_settings_file_is_named_at_unlock() {
    let dir = tempfile::tempdir().unwrap();
    drop(passphrase_vault_with_samples(dir.path(), 3));
    std::fs::write(dir.path().join("vault.json"), "{ not json").unwrap();
    let w = window(dir.path(), None);
    // The window cannot tell it is a passphrase vault: the keychain is tried, and fails.
    let err = w.call::<Value>("unlock_vault", json!({"passphrase": null})).unwrap_err();
    assert_eq!(err.code, "settings_unreadable", "{}", err.message);
    assert!(err.message.contains("vault.json"), "{}", err.message);
    // Its passphrase still opens it.
    let state: Value = w.ok("unlock_vault", json!({"passphrase": PASSPHRASE}));
    assert_eq!(state["unlocked"], true);
}

/// Closing the app while an export runs: it is stopped and waited for (its temporary file is
/// removed before the process ends), then the vault is closed.
#[test]
fn closing_the_app_waits_for_a_stopping_export_then_closes_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let w = window(dir.path(), None);
    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    let state = w.webview.state::<AppState>();
    let (id, token) = state.start_export();
    let cleaned = Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::thread::scope(|scope| {
        // The export: it notices the cancellation, takes a while to remove its file, and ends.
        let (watched, done) = (token.clone(), cleaned.clone());
        let state = &*state;
        scope.spawn(move || {
            while !watched.is_cancelled() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            state.finish_export(id);
        });
        tauri::async_runtime::block_on(state.shut_down());
        assert!(cleaned.load(std::sync::atomic::Ordering::SeqCst), "shut_down waited for the export");
    });
    assert!(token.is_cancelled());
    let locked = w.call::<Value>("list_leads", json!({"query": view(json!({})), "cursor": null, "limit": 5}));
    assert!(locked.is_err(), "the vault is closed");
}

/// Importing a file from the window: the file the open dialog gives (here the end-to-end
/// path) goes in through the core's import; a row that is not a lead stops it with nothing
/// imported and its own code, and the same file can then go in with that row set aside.
#[test]
fn a_file_imports_from_the_window_and_an_invalid_row_can_be_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leads.csv");
    std::fs::write(
        &file,
        "name,email,phone\nAna Ruiz,ana@example.com,+1 555 010 1000\nBo,not-an-email,\nCy Lee,cy@example.com,\n",
    )
    .unwrap();
    let w = window_with(dir.path(), |state| state.import_path = Some(file.clone()));
    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    let args = |again: bool| json!({"again": again, "skipInvalid": again, "progress": "__CHANNEL__:7"});
    let count = || w.ok::<Value>("vault_status", json!({}))["leads"].as_i64().unwrap();

    let refused = w.call::<Value>("import_file", args(false)).unwrap_err();
    assert_eq!(refused.code, "invalid_row", "{}", refused.message);
    assert!(
        refused.message.contains("line 3") && refused.message.ends_with("; fix it, or import the other rows"),
        "{}",
        refused.message
    );
    assert!(!refused.message.contains("--"), "no command-line flag in the window: {}", refused.message);
    assert_eq!(count(), 0, "nothing imported");

    let done: Value = w.ok("import_file", args(true));
    assert_eq!((done["file"].as_str(), done["format"].as_str()), (Some("leads.csv"), Some("csv")), "{done}");
    assert_eq!(
        (done["read"].as_u64(), done["added"].as_u64(), done["rejected"].as_u64()),
        (Some(3), Some(2), Some(1))
    );
    let rejects = PathBuf::from(done["rejects_file"].as_str().unwrap());
    assert_eq!(rejects, dir.path().join("leads.csv.rejects.csv"));
    assert!(std::fs::read_to_string(&rejects).unwrap().contains("not-an-email"));
    assert_eq!(count(), 2);

    // The same file again adds nothing; with no import running there is nothing to cancel.
    let again: Value = w.ok("import_file", args(true));
    assert_eq!((again["added"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)));
    assert!(!w.ok::<bool>("cancel_import", json!({})));
}

/// A second import while one runs is refused; the running one hears the cancel.
#[test]
fn one_import_runs_at_a_time_and_hears_the_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let w = window(dir.path(), None);
    w.ok::<Value>("create_vault", json!({"passphrase": PASSPHRASE}));
    let state = w.webview.state::<AppState>();
    let token = state.start_import().unwrap();
    let second = state.start_import().unwrap_err();
    assert!(second.message.contains("already running"), "{}", second.message);
    assert!(w.ok::<bool>("cancel_import", json!({})));
    assert!(token.is_cancelled());
    state.finish_import();
    assert!(state.start_import().is_ok(), "free again once the first is over");
    state.finish_import();
}

/// Unlocking a vault an older version made tells the window, before its schema update runs,
/// how many leads it holds (the window says why it waits).
#[test]
fn a_schema_update_while_unlocking_is_told_to_the_window() {
    use tauri::Listener;
    let dir = tempfile::tempdir().unwrap();
    let w = window(dir.path(), None);
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let h = heard.clone();
    w._app.listen_any("vault-updating", move |e| h.lock().unwrap().push(e.payload().to_string()));
    let tell = leadvault_desktop::commands::vault::tell_updates(w._app.handle().clone());
    tell(leadvault_core::vault::SchemaUpdate { steps: 2, leads: 1_000_000 });
    assert_eq!(*heard.lock().unwrap(), vec![r#"{"leads":1000000}"#.to_string()]);
}
