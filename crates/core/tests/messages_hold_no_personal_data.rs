//! Personal data never reaches an error, a rejects file's reasons or the log: every way an
//! import, an update or a synced page can be refused is tried with a marker in the offending
//! value (and in every other cell), and the marker is looked for in what comes out.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use leadvault_core::import::{ImportOptions, import_file, lead_from_google_ads, lead_from_graph};
use leadvault_core::secrets::{OsKeychain, Passphrase};
use leadvault_core::{LeadFilter, LeadSort, LeadUpdate, NewLead, Unlock, Vault, VaultOptions};

/// The marker, as written in the files; compared without case.
const MARKER: &str = "Zq9PrivMarker";

/// Everything logged in this test binary, at every level.
fn log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| {
        struct Sink;
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                log().lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| Sink)
            .try_init()
            .expect("the only logger of this test binary");
        Mutex::new(Vec::new())
    })
}

fn assert_no_marker(what: &str, text: &str) {
    assert!(!text.to_lowercase().contains(&MARKER.to_lowercase()), "{what} holds the marker: {text}");
}

async fn vault(dir: &Path) -> Vault {
    let options = VaultOptions::new(dir.join("data"), Arc::new(OsKeychain::new()));
    let p = Passphrase::new("correct horse battery staple").unwrap();
    Vault::create(options, Unlock::Passphrase(p)).await.unwrap()
}

/// Files each of whose rows is refused, the offending value holding the marker.
fn refused_files() -> Vec<(&'static str, String)> {
    let m = MARKER;
    let lower = MARKER.to_lowercase();
    let long_tag = MARKER.repeat(8);
    vec![
        ("email.csv", format!("name,email,phone\n{m} A,{lower}@,+1 555 010 0001\n")),
        ("phone.csv", format!("name,email,phone\n{m} B,b@example.com,{m} 555\n")),
        ("status.csv", format!("name,email,status\n{m} C,c@example.com,{m}\n")),
        ("tag.csv", format!("name,email,tags\n{m} D,d@example.com,{long_tag}\n")),
        ("created.csv", format!("name,email,created at\n{m} E,e@example.com,{m}\n")),
        ("early.csv", format!("name,email,created at\n{m} F,f@example.com,1900-01-01\n")),
        ("wide.csv", format!("name,email\n{m} G,g@example.com,{m} extra\n")),
        ("quote.csv", format!("name,email\n\"{m} H,h@example.com\n{m},{lower}@example.com\n")),
        ("nothing.csv", format!("name,email,company,notes\n,,{m} Ltd,{m} note\n")),
        (
            "meta.csv",
            format!(
                "id,created_time,ad_id,full_name,email,is_organic\n\
                 123,2026-10-01T09:15:00+0000,9,{m} I,i@example.com,{m}\n"
            ),
        ),
        (
            "export.csv",
            format!(
                "id,source,external_id,created_at,full_name,email,phone,company,status,owner,tags,score,\
                 ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,form_id,form_name,platform,\
                 is_organic,updated_at,notes\n\
                 x,import,1,{m},{m} J,j@example.com,,,new,,,,,,,,,,,,,,,[2026-11-20T14:03:11Z] {m}\n"
            ),
        ),
        ("email.json", format!(r#"[{{"name":"{m} K","email":"{lower}@"}}]"#)),
        ("tags.json", format!(r#"[{{"name":"{m} L","email":"l@example.com","tags":[{{"x":"{m}"}}]}}]"#)),
        ("created.json", format!(r#"[{{"name":"{m} M","email":"m@example.com","created_time":"{m}"}}]"#)),
        ("item.json", format!(r#"[{{"name":"{m} N","email":"n@example.com"}}, "{m}"]"#)),
        (
            "notes.json",
            format!(
                r#"[{{"name":"{m} O","email":"o@example.com","source":"x","external_id":"1","fields":{{}},"notes":[{{"at":"{m}","body":"{m}"}}]}}]"#
            ),
        ),
        ("lines.ndjson", format!("{{\"name\":\"{m} P\",\"phone\":\"{m}\"}}\n")),
        (
            "graph.json",
            format!(
                r#"{{"data":[{{"id":"5","created_time":"{m}","field_data":[{{"name":"email","values":["{lower}@"]}}]}}]}}"#
            ),
        ),
    ]
}

/// Files that are not CSV or JSON at all, the marker near where they break.
fn broken_files() -> Vec<(&'static str, String)> {
    let m = MARKER;
    vec![
        ("syntax.json", format!(r#"[{{"name":"{m} Q","email":"q@example.com" "{m}"}}]"#)),
        ("cut.json", format!(r#"[{{"name":"{m} R","email":"#)),
        ("lines.jsonl", format!("{{\"name\":\"{m} S\"}}\n{{\"name\": {m}}}\n")),
        ("number.json", format!(r#"[{{"name":"{m} T","created_time":1e999}}]"#)),
    ]
}

#[tokio::test]
async fn no_refused_row_update_or_synced_page_puts_its_values_in_an_error_a_reason_or_the_log() {
    let log = log();
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path()).await;

    for (name, text) in refused_files() {
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        let refused = import_file(&vault, &path, &ImportOptions::default(), |_| {}).await;
        let e = refused.expect_err(name);
        assert_no_marker(&format!("{name}'s error"), &e.to_string());
        assert_no_marker(&format!("{name}'s error, as Debug"), &format!("{e:?}"));

        let skip = ImportOptions { skip_invalid: true, ..Default::default() };
        let report = import_file(&vault, &path, &skip, |_| {}).await.unwrap();
        assert!(report.rejected >= 1, "{name}: {report:?}");
        let rejects = report.rejects_file.expect("a rejects file");
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(&rejects).unwrap();
        let header = reader.headers().unwrap().clone();
        let reason = header
            .iter()
            .position(|h| h == "leadvault_reject_reason" || h == "reason")
            .expect("a reason column");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(!rows.is_empty(), "{name}");
        for row in rows {
            let why = row.get(reason).unwrap_or_default();
            assert!(!why.is_empty(), "{name}: {row:?}");
            assert_no_marker(&format!("{name}'s reason"), why);
            // The row itself is there to be fixed.
            assert!(row.iter().any(|c| c.to_lowercase().contains(&MARKER.to_lowercase())), "{name}: {row:?}");
        }
        std::fs::remove_file(rejects).unwrap();
    }
    for (name, text) in broken_files() {
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        for skip_invalid in [false, true] {
            let options = ImportOptions { skip_invalid, ..Default::default() };
            let e = import_file(&vault, &path, &options, |_| {}).await.expect_err(name);
            assert_no_marker(&format!("{name}'s error"), &e.to_string());
        }
    }

    // A lead, then every change of it that is refused.
    let good = dir.path().join("good.csv");
    std::fs::write(&good, format!("name,email\n{MARKER} Good,{}@example.com\n", MARKER.to_lowercase()))
        .unwrap();
    import_file(&vault, &good, &ImportOptions::default(), |_| {}).await.unwrap();
    let found = LeadFilter { search: Some(format!("{MARKER} Good")), ..Default::default() };
    let id = vault.leads().list(&found, LeadSort::Newest, None, 1).await.unwrap().leads[0].id.clone();
    let refused_updates = [
        LeadUpdate { owner: Some(Some(MARKER.repeat(20))), ..Default::default() },
        LeadUpdate { owner: Some(Some(format!("{MARKER}\nline"))), ..Default::default() },
        LeadUpdate { add_tags: vec![format!("{MARKER};b")], ..Default::default() },
        LeadUpdate { add_tags: vec![MARKER.repeat(8)], ..Default::default() },
    ];
    for change in &refused_updates {
        let e = vault.leads().update(&id, change).await.expect_err("refused");
        assert_no_marker("an update's error", &e.to_string());
        let e = vault.leads().update_many(std::slice::from_ref(&id), change).await.expect_err("refused");
        assert_no_marker("a bulk update's error", &e.to_string());
    }
    // A lead looked up by a name, an email or a phone typed where its id goes.
    for typed in [format!("{MARKER} Good"), format!("{}@example.com", MARKER.to_lowercase())] {
        let e = vault.leads().get(&typed).await.expect_err("no such id");
        assert_no_marker("a lookup's error", &e.to_string());
    }
    vault
        .leads()
        .update(&id, &LeadUpdate { note: Some(format!("{MARKER} note")), ..Default::default() })
        .await
        .unwrap();

    // What a provider sends that cannot be a lead, and a page for a connection that is gone.
    let node = serde_json::json!({"id": "", "created_time": MARKER, "field_data": [{"name": "email", "values": [MARKER]}]});
    assert_no_marker(
        "Meta's node's reason",
        &lead_from_graph(node.as_object().unwrap(), "meta", chrono::Utc::now()).unwrap_err(),
    );
    let answers = serde_json::json!([{"fieldType": "EMAIL", "fieldValue": MARKER}]);
    for row in [
        serde_json::json!({"id": MARKER, "submissionDateTime": MARKER, "leadFormSubmissionFields": answers}),
        serde_json::json!({"submissionDateTime": "2026-10-01 09:15:00+00:00", "leadFormSubmissionFields": answers}),
    ] {
        let reason = lead_from_google_ads(row.as_object().unwrap(), chrono::Utc::now()).unwrap_err();
        assert_no_marker("Google's row's reason", &reason);
    }
    let lead = NewLead {
        source: "meta".into(),
        external_id: MARKER.into(),
        full_name: Some(MARKER.into()),
        ..Default::default()
    };
    let e = vault.sync_state("01NOCONNECTION").store_page(MARKER, Some(MARKER), vec![lead], MARKER).await;
    assert_no_marker("a synced page's error", &e.expect_err("no such connection").to_string());

    vault.close().await;
    let logged = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(
        logged.contains("import finished") && logged.contains("lead updated"),
        "the log is captured: {logged}"
    );
    assert_no_marker("the log", &logged);
}
