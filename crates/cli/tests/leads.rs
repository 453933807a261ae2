//! Importing, reviewing and exporting leads from the command line, as a user would.

mod common;

use common::{Sandbox, fixture};
use serde_json::Value;

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_meta_download_in_utf16_with_tabs_imports_with_its_ad_fields() {
    let sb = Sandbox::new();
    sb.init();
    let report: Value =
        serde_json::from_str(&sb.ok(&["import", &fixture("meta_leads_utf16.csv"), "--json"])).unwrap();
    assert_eq!(report["format"], "meta-csv");
    assert_eq!(report["source"], "meta");
    assert_eq!((report["read"].as_u64(), report["added"].as_u64()), (Some(3), Some(3)));

    let list = sb.json(&["leads", "list", "--search", "lopez", "--json"]);
    let lead = &list[0];
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(lead["full_name"], "Ana López");
    assert_eq!(lead["email"], "ana.lopez@example.com");
    assert_eq!(lead["phone"], "+15550102030", "Meta's p: prefix is dropped");
    assert_eq!(lead["external_id"], "2301001", "Meta's l: prefix is dropped");
    assert_eq!(lead["created_at"], "2026-10-01T09:15:00Z");
    assert_eq!(lead["campaign_id"], "120100001");
    assert_eq!(lead["campaign_name"], "Roof repair Q4");
    assert_eq!(lead["form_id"], "880001");
    assert_eq!(lead["ad_id"], "120200001");
    assert_eq!(lead["platform"], "fb");
    assert_eq!(lead["is_organic"], false);
    assert_eq!(lead["fields"]["city"], "Austin");
    assert_eq!(lead["fields"]["what_is_your_budget?"], "$5k-10k");
    assert_eq!(lead["status"], "new");
    for key in [
        "id",
        "source",
        "external_id",
        "created_at",
        "full_name",
        "email",
        "phone",
        "company",
        "status",
        "owner",
        "tags",
        "score",
        "fields",
    ] {
        assert!(lead.get(key).is_some(), "--json has the stable field {key}");
    }
    let organic = &sb.json(&["leads", "list", "--search", "Chloé", "--json"])[0];
    assert_eq!(organic["is_organic"], true);
    assert_eq!(organic["ad_id"], Value::Null);
}

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let sb = Sandbox::new();
    sb.init();
    for f in ["meta_leads_utf16.csv", "google_ads_leads.csv", "generic.csv", "leads.json"] {
        sb.ok(&["import", &fixture(f)]);
    }
    let first = sb.json(&["vault", "status", "--json"])["leads"].as_i64().unwrap();
    assert_eq!(first, 3 + 2 + 2 + 2);
    for f in ["meta_leads_utf16.csv", "google_ads_leads.csv", "generic.csv", "leads.json"] {
        let report: Value = serde_json::from_str(&sb.ok(&["import", &fixture(f), "--json"])).unwrap();
        assert_eq!(report["added"], 0, "{f}");
        assert_eq!(report["unchanged"], report["read"], "{f}");
    }
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"].as_i64().unwrap(), first);
}

#[test]
fn generic_csv_columns_map_by_name_and_unknown_ones_are_kept() {
    let sb = Sandbox::new();
    sb.init();
    let report: Value =
        serde_json::from_str(&sb.ok(&["import", &fixture("generic.csv"), "--source", "expo-2026", "--json"]))
            .unwrap();
    assert_eq!(report["format"], "csv");
    let farah = &sb.json(&["leads", "list", "--source", "expo-2026", "--search", "farah", "--json"])[0];
    assert_eq!(farah["full_name"], "Farah Haddad", "first + last name");
    assert_eq!(farah["company"], "Haddad Dental");
    assert_eq!(farah["tags"], serde_json::json!(["dental", "vip"]));
    assert_eq!(farah["fields"]["Favourite colour"], "teal");
    assert_eq!(farah["created_at"], "2026-09-20T14:00:00Z");
    let gus = &sb.json(&["leads", "list", "--search", "gus", "--json"])[0];
    assert_eq!(gus["email"], "gus@example.com", "emails are lower-cased");
    assert_eq!(gus["fields"], serde_json::json!({}), "empty cells are not kept");
}

#[test]
fn google_ads_and_json_files_import() {
    let sb = Sandbox::new();
    sb.init();
    let g: Value =
        serde_json::from_str(&sb.ok(&["import", &fixture("google_ads_leads.csv"), "--json"])).unwrap();
    assert_eq!((g["format"].as_str(), g["source"].as_str()), (Some("google-ads-csv"), Some("google-ads")));
    let dana = &sb.json(&["leads", "list", "--search", "whitfield", "--json"])[0];
    assert_eq!(dana["external_id"], "GA-9001");
    assert_eq!(dana["email"], "dana@example.com");
    assert_eq!(dana["campaign_id"], "111");
    assert_eq!(dana["adset_id"], "222");
    assert_eq!(dana["platform"], "google");
    assert_eq!(dana["fields"]["What service do you need?"], "Gutter cleaning");
    assert_eq!(dana["fields"]["gcl_id"], "Cj0KCQ1");

    let j: Value = serde_json::from_str(&sb.ok(&["import", &fixture("leads.json"), "--json"])).unwrap();
    assert_eq!((j["format"].as_str(), j["added"].as_u64()), (Some("json"), Some(2)));
    let ivan = &sb.json(&["leads", "list", "--search", "ivan", "--json"])[0];
    assert_eq!(ivan["email"], "ivan@example.com", "Meta API field_data is understood");
    assert_eq!(ivan["fields"]["when_to_call"], "mornings");
    let hana = &sb.json(&["leads", "list", "--tag", "trade-show", "--json"])[0];
    assert_eq!(hana["full_name"], "Hana Sato");
    assert_eq!(hana["fields"]["budget"], "12000");
}

#[test]
fn a_bad_row_stops_the_import_naming_the_line_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.init();
    let err = sb.fails(&["import", &fixture("bad_rows.csv")]);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("email"), "{err}");
    assert!(err.contains("--skip-invalid"), "{err}");
    assert!(
        !err.contains("kim-at-example.com"),
        "the bad value is personal data and stays out of the message: {err}"
    );
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0, "nothing was written");
}

#[test]
fn skip_invalid_imports_the_good_rows_and_writes_the_rejects_with_reasons() {
    let sb = Sandbox::new();
    sb.init();
    let input = sb.path("bad_rows.csv");
    std::fs::copy(fixture("bad_rows.csv"), &input).unwrap();
    let report: Value =
        serde_json::from_str(&sb.ok(&["import", input.to_str().unwrap(), "--skip-invalid", "--json"]))
            .unwrap();
    // The row of empty cells (`,,`) is blank, skipped rather than read and rejected.
    assert_eq!(
        (report["read"].as_u64(), report["added"].as_u64(), report["rejected"].as_u64()),
        (Some(4), Some(2), Some(2))
    );
    let rejects = sb.path("bad_rows.csv.rejects.csv");
    assert_eq!(report["rejects_file"], rejects.to_str().unwrap());
    let mut r = csv::Reader::from_path(&rejects).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["name", "email", "phone", "leadvault_reject_reason"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "Kim Bad");
    assert!(rows[0][3].starts_with("line 3: ") && rows[0][3].contains("email"), "{:?}", &rows[0]);
    assert!(rows[1][3].starts_with("line 6: ") && rows[1][3].contains("phone"), "{:?}", &rows[1]);
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 2);

    // Corrected, the rejects file goes back in; its reasons are not kept as form answers.
    let fixed = std::fs::read_to_string(&rejects)
        .unwrap()
        .replace("kim-at-example.com", "kim@example.com")
        .replace("call me maybe", "555 010 4444");
    std::fs::write(&rejects, fixed).unwrap();
    let report = sb.json(&["import", rejects.to_str().unwrap(), "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(0)), "{report}");
    for lead in sb.json(&["leads", "list", "--json"]).as_array().unwrap() {
        assert_eq!(lead["fields"], serde_json::json!({}), "{lead}");
    }
}

#[test]
fn a_rejects_file_of_an_older_version_drops_its_reason_column_too() {
    let sb = Sandbox::new();
    sb.init();
    let old = sb.path("leads.csv.rejects.csv");
    std::fs::write(&old, "name,email,reason\nKim,kim@example.com,line 2: the email is not valid\n").unwrap();
    sb.ok(&["import", old.to_str().unwrap()]);
    // Elsewhere a column named reason is a form answer like any other.
    let other = sb.path("leads.csv");
    std::fs::write(&other, "name,email,reason\nLee,lee@example.com,price\n").unwrap();
    sb.ok(&["import", other.to_str().unwrap()]);
    let leads = sb.json(&["leads", "list", "--json"]);
    let fields = |name: &str| {
        leads.as_array().unwrap().iter().find(|l| l["full_name"] == name).unwrap()["fields"].clone()
    };
    assert_eq!(fields("Kim"), serde_json::json!({}));
    assert_eq!(fields("Lee"), serde_json::json!({"reason": "price"}));
}

#[test]
fn import_errors_are_one_line_and_write_nothing() {
    let sb = Sandbox::new();
    sb.init();
    let err = sb.fails(&["import", &sb.path("nope.csv").display().to_string()]);
    assert!(err.contains("could not open"), "{err}");
    // A mistyped format is a usage error (see usage.rs), also refused before anything is read.
    let out = sb.run(&["import", &fixture("generic.csv"), "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let broken = sb.path("broken.json");
    std::fs::write(&broken, r#"[{"name": "A", "email": "a@x.com"}, {"name": "#).unwrap();
    let err = sb.fails(&["import", broken.to_str().unwrap()]);
    assert!(err.contains("JSON"), "{err}");
    let empty = sb.path("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let err = sb.fails(&["import", empty.to_str().unwrap()]);
    assert!(err.contains("empty"), "{err}");
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0);
}

#[test]
fn updates_change_the_lead_and_append_to_its_timeline() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("meta_leads_utf16.csv")]);
    let id =
        sb.json(&["leads", "list", "--search", "stone", "--json"])[0]["id"].as_str().unwrap().to_string();
    sb.ok(&[
        "leads",
        "update",
        &id,
        "--status",
        "contacted",
        "--owner",
        "Maria",
        "--add-tag",
        "Hot",
        "--note",
        "Wants a quote by Friday",
    ]);
    let said =
        sb.ok(&["leads", "update", &id, "--status", "qualified", "--remove-tag", "hot", "--add-tag", "Roof"]);
    // What changed, in one line; the lead's details only when asked for.
    assert_eq!(
        said.trim(),
        format!(
            "{id}: updated (status qualified, +roof, -hot); see it with `leadvault --data-dir {} leads show {id}`",
            sb.data_dir().display()
        )
    );
    assert!(!said.contains("Stone") && !said.contains("example"), "{said}");
    let again = sb.ok(&["leads", "update", &id, "--status", "qualified"]);
    assert_eq!(again.trim(), format!("{id}: nothing changed, the lead already was so"));
    let as_json: serde_json::Value =
        serde_json::from_str(&sb.ok(&["leads", "update", &id, "--owner", " Maria ", "--json"])).unwrap();
    assert_eq!((as_json["id"].as_str(), as_json["owner"].as_str()), (Some(id.as_str()), Some("Maria")));
    let lead = sb.json(&["leads", "show", &id, "--json"]);
    assert_eq!(lead["status"], "qualified");
    assert_eq!(lead["owner"], "Maria");
    assert_eq!(lead["tags"], serde_json::json!(["roof"]));
    assert_eq!(lead["notes"][0]["body"], "Wants a quote by Friday");
    let kinds: Vec<&str> =
        lead["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["created", "added", "status", "owner", "tag_added", "note", "status", "tag_added", "tag_removed"]
    );
    assert_eq!(lead["timeline"][6]["detail"], serde_json::json!({"from": "contacted", "to": "qualified"}));

    // Notes are searchable; filters combine.
    assert_eq!(ids(&sb.json(&["leads", "list", "--search", "friday", "--json"])), std::slice::from_ref(&id));
    assert_eq!(
        ids(&sb.json(&[
            "leads",
            "list",
            "--owner",
            "Maria",
            "--status",
            "qualified",
            "--tag",
            "roof",
            "--json"
        ])),
        std::slice::from_ref(&id)
    );
    assert!(ids(&sb.json(&["leads", "list", "--owner", "Maria", "--status", "new", "--json"])).is_empty());

    // A no-op change adds no event.
    sb.ok(&["leads", "update", &id, "--status", "qualified"]);
    assert_eq!(sb.json(&["leads", "show", &id, "--json"])["timeline"].as_array().unwrap().len(), kinds.len());
}

#[test]
fn bad_updates_are_refused_in_one_line() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let id = sb.json(&["leads", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
    assert!(sb.fails(&["leads", "update", &id]).contains("nothing to change"));
    assert!(sb.fails(&["leads", "update", &id, "--add-tag", "a,b"]).contains("tag"));
    for empty in ["", "  "] {
        assert!(sb.fails(&["leads", "update", &id, "--add-tag", empty]).contains("tag"));
        let err = sb.fails(&["leads", "update", &id, "--remove-tag", empty, "--status", "won"]);
        assert!(err.contains("the tag to remove is empty"), "{err}");
    }
    // The same tag added and removed (in any case) is refused, not left to the order of the steps.
    let err =
        sb.fails(&["leads", "update", &id, "--add-tag", "Hot", "--remove-tag", " hot", "--status", "won"]);
    assert!(err.contains("both added and removed"), "{err}");
    let timeline = sb.json(&["leads", "show", &id, "--json"])["timeline"].to_string();
    assert!(!timeline.contains("tag_added") && !timeline.contains("tag_removed"), "{timeline}");
    assert_eq!(
        sb.json(&["leads", "show", &id, "--json"])["status"],
        "new",
        "a refused change changes nothing"
    );
    assert!(sb.fails(&["leads", "update", &id, "--owner", ""]).contains("--clear-owner"));
    let long = "x".repeat(101);
    for bad in ["Bob\nEvil", "\u{1b}[31mred", long.as_str()] {
        let err = sb.fails(&["leads", "update", &id, "--owner", bad, "--status", "won"]);
        assert!(err.contains("owner") && !err.contains("Evil"), "{err}");
    }
    assert!(sb.fails(&["leads", "update", "01NOSUCHLEAD", "--status", "won"]).contains("no lead with id"));
    assert!(sb.fails(&["leads", "show", "01NOSUCHLEAD"]).contains("no lead with id"));
    // An id in lower case, or its first characters when only one lead's id begins with them.
    let shown =
        |typed: &str| sb.json(&["leads", "show", typed, "--json"])["id"].as_str().unwrap().to_string();
    assert_eq!(shown(&id.to_lowercase()), id);
    let ids: Vec<String> = sb
        .json(&["leads", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    let unique =
        (4..26).map(|n| &id[..n]).find(|p| ids.iter().filter(|i| i.starts_with(p)).count() == 1).unwrap();
    assert_eq!(shown(unique), id);
    sb.ok(&["leads", "update", &unique.to_lowercase(), "--add-tag", "by-prefix"]);
    assert_eq!(
        sb.json(&["leads", "show", &id, "--json"])["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| *t == "by-prefix")
            .count(),
        1
    );
    let shared = &id[..unique.len() - 1];
    if shared.len() >= 4 {
        assert!(sb.fails(&["leads", "show", shared]).contains("type more of it"));
    }
    for too_short in [&id[..3], &id[..1]] {
        let err = sb.fails(&["leads", "show", too_short]);
        assert!(err.contains("type at least 4 characters of the id"), "{err}");
        let err = sb.fails(&["leads", "update", too_short, "--add-tag", "x"]);
        assert!(err.contains("type at least 4 characters of the id"), "{err}");
    }
    // An unknown id is echoed as typed, not upper-cased; what is not an id (a name, a phone
    // number, an email) is not echoed.
    for not_an_id in ["Maria", "5551234567", "ana@example.com"] {
        let err = sb.fails(&["leads", "show", not_an_id]);
        assert!(err.contains("no lead has the id you typed") && !err.contains(not_an_id), "{err}");
    }
    let err = sb.fails(&["leads", "update", "01nosuchlead", "--status", "won"]);
    assert!(err.contains("no lead with id 01nosuchlead;"), "{err}");
    let out = sb.run(&["leads", "list", "--since", "2026-11-22", "--until", "2026-11-01"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a usage error, as in usage.rs: {err}");
    assert!(err.contains("--since is not before --until"), "{err}");
    assert_eq!(sb.json(&["leads", "show", &id, "--json"])["status"], "new", "nothing changed but the tag");
}

#[test]
fn search_text_is_never_fts_syntax() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("meta_leads_utf16.csv")]);
    for nasty in [
        "\"",
        "*",
        "OR",
        "NEAR(",
        "'; DROP TABLE leads; --",
        "col:",
        "full_name:ana",
        "(((",
        "a)",
        "^x",
        "-",
        "\"unbalanced",
        "AND OR NOT",
        "ana*",
        "1 2",
        "+1 (",
        "1-",
        "\u{661}\u{662}\u{663} \u{664}\u{665}\u{666}",
        "555\u{2013}010\u{2013}9999",
    ] {
        let out = sb.run(&["leads", "list", "--search", nasty, "--json"]);
        assert!(out.status.success(), "{nasty:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap();
    }
    assert_eq!(sb.json(&["leads", "list", "--search", "ana*", "--json"]).as_array().unwrap().len(), 1);
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 3, "the table is still there");
    // Phones are found with or without their punctuation.
    assert_eq!(sb.json(&["leads", "list", "--search", "5550109999", "--json"])[0]["full_name"], "Bob Stone");
    assert_eq!(sb.json(&["leads", "list", "--search", "+33 6 12", "--json"])[0]["full_name"], "Chloé Martin");
    // However either side punctuates it: Bob's is stored as +15550109999.
    for typed in [
        "555-010-9999",
        "(555) 010-9999",
        "+1 (555) 010-9999",
        "1.555.010.9999",
        "010-9999",
        "555\u{2013}010\u{2013}9999",
    ] {
        let found = sb.json(&["leads", "list", "--search", typed, "--json"]);
        let names: Vec<&str> =
            found.as_array().unwrap().iter().map(|l| l["full_name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Bob Stone"], "{typed}");
    }
    let both = sb.json(&["leads", "list", "--search", "555-010", "--json"]);
    assert_eq!(both.as_array().unwrap().len(), 2, "Ana's is +15550102030");
    // And the other way round: a number stored with punctuation and no country code.
    let csv = sb.path("dee.csv");
    std::fs::write(&csv, "name,phone\nDee Park,(555) 010-7777\n").unwrap();
    sb.ok(&["import", csv.to_str().unwrap()]);
    for typed in ["+15550107777", "+1 555 010 7777", "5550107777", "0107777"] {
        assert_eq!(
            sb.json(&["leads", "list", "--search", typed, "--json"])[0]["full_name"],
            "Dee Park",
            "{typed}"
        );
    }
    // Accents do not matter.
    assert_eq!(sb.json(&["leads", "list", "--search", "chloe", "--json"])[0]["full_name"], "Chloé Martin");
}

#[test]
fn date_filters_include_the_whole_until_day() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("meta_leads_utf16.csv")]);
    let v = sb.json(&["leads", "list", "--since", "2026-10-02", "--until", "2026-10-02", "--json"]);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["full_name"], "Bob Stone");
    let v = sb.json(&["leads", "list", "--since", "2026-10-01T12:00:00Z", "--json"]);
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn a_tag_given_twice_is_said_once_and_an_empty_list_says_so() {
    let sb = Sandbox::new();
    sb.init();
    let empty = sb.run(&["leads", "list"]);
    assert!(empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("The vault has no leads yet"), "{empty:?}");
    sb.ok(&["import", &fixture("generic.csv")]);
    let id = sb.json(&["leads", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
    let out = sb.ok(&["leads", "update", &id, "--add-tag", "t1", "--add-tag", "t2", "--add-tag", "T1"]);
    assert!(out.contains("updated (+t1, +t2);"), "{out}");

    let none = sb.run(&["leads", "list", "--tag", "no-such-tag"]);
    assert!(none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(err.contains("No leads match these filters"), "{err}");
    assert_eq!(String::from_utf8_lossy(&none.stdout).lines().count(), 1, "the header only");
    let json = sb.run(&["leads", "list", "--tag", "no-such-tag", "--json"]);
    assert!(json.stderr.is_empty(), "{}", String::from_utf8_lossy(&json.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed, serde_json::json!([]));
    let some = sb.run(&["leads", "list"]);
    assert!(some.stderr.is_empty(), "nothing said when leads are shown");
}

#[test]
fn list_limit_and_sort() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("meta_leads_utf16.csv")]);
    sb.ok(&["import", &fixture("google_ads_leads.csv")]);
    let newest = sb.json(&["leads", "list", "--json"]);
    let oldest = sb.json(&["leads", "list", "--sort", "oldest", "--json"]);
    let mut reversed = ids(&oldest);
    reversed.reverse();
    assert_eq!(ids(&newest), reversed);
    assert_eq!(newest[0]["full_name"], "Eli Novak");
    let out = sb.run(&["leads", "list", "--limit", "2"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3, "header + 2 rows");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Showing 2 of 5 leads"));
    assert_eq!(sb.json(&["leads", "list", "--limit", "0", "--json"]).as_array().unwrap().len(), 5);
}

#[test]
fn skip_invalid_rejects_rows_of_the_wrong_width_or_text_with_their_content() {
    let sb = Sandbox::new();
    sb.init();
    let input = sb.path("m.csv");
    std::fs::write(
        &input,
        b"name,email,phone\nA,a@example.com\nB,b@example.com,555 010 1234\nC\xff,c@example.com,\n,,\n"
            .as_slice(),
    )
    .unwrap();
    let rejects = sb.path("m.csv.rejects.csv");

    let err = sb.fails(&["import", input.to_str().unwrap()]);
    assert!(err.contains("line 2") && err.contains("2 fields"), "{err}");
    assert!(!err.contains("a@example.com"), "{err}");
    assert!(!rejects.exists());
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0);

    let report: Value =
        serde_json::from_str(&sb.ok(&["import", input.to_str().unwrap(), "--skip-invalid", "--json"]))
            .unwrap();
    // A file that is not UTF-8 at its start is Windows-1252 throughout: `C\xff` is `Cÿ` (a row
    // that is not UTF-8 further on, in a file that starts as UTF-8, is in import_more.rs).
    assert_eq!((report["read"].as_u64(), report["added"].as_u64()), (Some(3), Some(2)), "{report}");
    assert_eq!(report["rejected"], 1);
    let mut r = csv::ReaderBuilder::new().flexible(true).from_path(&rejects).unwrap();
    let rows: Vec<Vec<String>> =
        r.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][..3], ["A", "a@example.com", ""]);
    assert!(rows[0][3].starts_with("line 2: ") && rows[0][3].contains("2 fields"), "{:?}", rows[0]);
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 2);
    assert_eq!(sb.json(&["leads", "list", "--search", "c@example.com", "--json"])[0]["full_name"], "C\u{ff}");
}

#[test]
fn an_import_that_fails_as_a_whole_leaves_no_rejects_file() {
    let sb = Sandbox::new();
    sb.init();
    let input = sb.path("cut.json");
    // A rejected item, a good one, then the file ends too early.
    std::fs::write(&input, r#"[{"name": "A", "email": "not an address"}, {"name": "B"}, {"name": "#).unwrap();
    let rejects = sb.path("cut.json.rejects.csv");
    std::fs::write(&rejects, "from an earlier import\n").unwrap();
    let err = sb.fails(&["import", input.to_str().unwrap(), "--skip-invalid"]);
    assert!(err.contains("JSON"), "{err}");
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), "from an earlier import\n", "left as it was");
    let partial: Vec<_> = common::files_under(sb.root.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(partial.is_empty(), "{partial:?}");
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0);
}

#[test]
fn terminal_escapes_in_lead_data_are_shown_escaped_and_kept_exact_in_json() {
    let sb = Sandbox::new();
    sb.init();
    let input = sb.path("escapes.json");
    let name = "Eve \u{1b}[31mRed\u{1b}]0;title\u{7} \u{9b}2J\u{7f}";
    let lead = serde_json::json!([{
        "id": "esc-1",
        "name": name,
        "email": "eve@example.com",
        "company": "Acme\u{1b}[2J",
        "Favourite\u{1b}[5m colour": "te\u{85}al"
    }]);
    std::fs::write(&input, lead.to_string()).unwrap();
    sb.ok(&["import", input.to_str().unwrap()]);
    let id = sb.json(&["leads", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
    sb.ok(&["leads", "update", &id, "--note", "call\u{1b}[8m back\nFriday"]);

    // Control characters: C0 other than the line ends between output lines, DEL and C1.
    let raw_controls =
        |text: &str| -> Vec<char> { text.lines().flat_map(str::chars).filter(|c| c.is_control()).collect() };
    for args in [&["leads", "list"][..], &["leads", "show", &id]] {
        let out = sb.ok(args);
        assert_eq!(raw_controls(&out), Vec::<char>::new(), "{args:?}: {out:?}");
        assert!(out.contains("Eve \\x1b[31mRed"), "{args:?}: {out}");
    }
    let shown = sb.ok(&["leads", "show", &id]);
    assert!(shown.contains("\\x1b]0;title\\x07 \\x9b2J\\x7f"), "{shown}");
    assert!(shown.contains("Acme\\x1b[2J") && shown.contains("te\\x85al"), "{shown}");
    assert!(shown.contains("Favourite\\x1b[5m colour"), "{shown}");
    assert!(shown.contains("call\\x1b[8m back\\nFriday"), "{shown}");

    let exact = sb.json(&["leads", "show", &id, "--json"]);
    assert_eq!(exact["full_name"], name, "JSON keeps the data exact");
    assert_eq!(exact["fields"]["Favourite\u{1b}[5m colour"], "te\u{85}al");
}

#[test]
fn a_spreadsheet_workbook_is_refused_with_how_to_save_it_as_csv() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let book = sb.path("leads.xlsx");
    sb.ok(&["export", "--out", book.to_str().unwrap()]);
    // Whatever it is called or forced to be read as, a workbook is named as one.
    let renamed = sb.path("leads.csv");
    std::fs::copy(&book, &renamed).unwrap();
    for args in [
        vec!["import", book.to_str().unwrap()],
        vec!["import", renamed.to_str().unwrap(), "--format", "csv"],
        vec!["import", renamed.to_str().unwrap(), "--format", "json"],
    ] {
        let err = sb.fails(&args);
        assert!(err.contains("looks like an Excel workbook"), "{args:?}: {err}");
        assert!(err.contains("save it as CSV (UTF-8) and import that"), "{err}");
        assert!(!err.contains("UTF-8 at") && !err.contains("byte"), "{err}");
    }
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 2, "nothing was added");
}

#[test]
fn separators_inside_a_quoted_column_name_do_not_pick_the_delimiter() {
    let sb = Sandbox::new();
    sb.init();
    let file = sb.path("d.csv");
    std::fs::write(
        &file,
        "name,email,\"Which services? (design; build; maintain; support)\"\nD,d@example.com,x\n",
    )
    .unwrap();
    let report = sb.json(&["import", file.to_str().unwrap(), "--json"]);
    assert_eq!(report["added"], 1, "{report}");
    let lead = &sb.json(&["leads", "list", "--json"])[0];
    assert_eq!(lead["email"], "d@example.com");
    assert_eq!(lead["fields"]["Which services? (design; build; maintain; support)"], "x");
}

#[test]
fn import_errors_name_the_line_an_editor_shows_in_crlf_and_utf16_files() {
    let sb = Sandbox::new();
    sb.init();
    let text = "name,email\r\nKim,kim-at-example.com\r\nLee,lee@example.com\r\n";
    let utf16 = |s: &str| {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    };
    let blank = "name\temail\r\n\r\n\r\nLee\tlee@example.com\r\nKim\tkim-at-example.com\r\n";
    for (name, bytes, line) in [
        ("crlf.csv", text.as_bytes().to_vec(), 2),
        ("utf16.csv", utf16(text), 2),
        ("blank_lines.csv", utf16(blank), 5),
    ] {
        let file = sb.path(name);
        std::fs::write(&file, bytes).unwrap();
        let err = sb.fails(&["import", file.to_str().unwrap()]);
        assert!(err.contains(&format!(": line {line}: ")), "{name}: {err}");
        assert!(!err.contains("kim-at"), "{err}");
    }
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0);
}

#[test]
fn a_forced_format_the_file_does_not_match_is_refused_naming_the_missing_columns() {
    let sb = Sandbox::new();
    sb.init();
    let err = sb.fails(&["import", &fixture("meta_leads_utf16.csv"), "--format", "google-ads-csv"]);
    assert!(err.contains("--format google-ads-csv needs the column lead_id"), "{err}");
    assert!(err.contains("looks like meta-csv") && err.contains("--format auto"), "{err}");
    let err = sb.fails(&["import", &fixture("google_ads_leads.csv"), "--format", "meta-csv"]);
    assert!(err.contains("id and created_time") && err.contains("google-ads-csv"), "{err}");
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0, "nothing was written");
    // The formats the files are, forced, still import.
    sb.ok(&["import", &fixture("meta_leads_utf16.csv"), "--format", "meta-csv"]);
    sb.ok(&["import", &fixture("google_ads_leads.csv"), "--format", "google-ads-csv"]);
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 5);
}

#[test]
fn names_are_found_as_typed_without_their_marks() {
    let sb = Sandbox::new();
    sb.init();
    let file = sb.path("names.csv");
    std::fs::write(
        &file,
        "name,email,company\n\
         Łukasz Żółć,lz@example.pl,Łódź Okna\n\
         Søren Ærø,se@example.dk,Øresund ApS\n\
         Emre Yılmaz,ey@example.tr,\n\
         Siobhán O'Brien,sob@example.ie,\n\
         Jörg Meier,jm@example.de,Straße & Söhne GmbH\n",
    )
    .unwrap();
    sb.ok(&["import", file.to_str().unwrap()]);
    let found = |text: &str| -> Vec<String> {
        let v = sb.json(&["leads", "list", &format!("--search={text}"), "--json"]);
        v.as_array().unwrap().iter().map(|l| l["email"].as_str().unwrap().to_string()).collect()
    };
    for (typed, email) in [
        ("lukasz", "lz@example.pl"),
        ("Łukasz", "lz@example.pl"),
        ("zolc", "lz@example.pl"),
        ("lodz", "lz@example.pl"),
        ("soren", "se@example.dk"),
        ("aero", "se@example.dk"),
        ("oresund", "se@example.dk"),
        ("yilmaz", "ey@example.tr"),
        ("Yılmaz", "ey@example.tr"),
        ("obrien", "sob@example.ie"),
        ("O'Brien", "sob@example.ie"),
        ("o’brien", "sob@example.ie"),
        ("siobhan", "sob@example.ie"),
        ("strasse", "jm@example.de"),
        ("straße", "jm@example.de"),
    ] {
        assert_eq!(found(typed), [email], "{typed}");
    }
    // A note added later is folded the same way (the index is kept by a trigger then).
    let id = sb.json(&["leads", "list", "--search", "jm@example.de", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sb.ok(&["leads", "update", &id, "--note", "met at the Ærøskøbing fair"]);
    assert_eq!(found("aeroskobing"), ["jm@example.de"]);
}
