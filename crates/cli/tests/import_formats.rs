//! Providers' downloads (Meta's, Google's) as they come, and as spreadsheets and CRMs mangle
//! or imitate them: which columns are the lead's, which are answers, and which files are whose.

mod common;

use common::{Sandbox, fixture};

/// Every lead, as `leads list --json` gives them.
fn leads(sb: &Sandbox) -> Vec<serde_json::Value> {
    sb.json(&["leads", "list", "--limit", "0", "--json"]).as_array().unwrap().clone()
}

/// The one lead `search` finds, in full (`leads show --json`).
fn lead(sb: &Sandbox, search: &str) -> serde_json::Value {
    let list = sb.json(&["leads", "list", "--search", search, "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    sb.json(&["leads", "show", list[0]["id"].as_str().unwrap(), "--json"])
}

#[test]
fn a_meta_form_question_named_like_a_lead_field_is_an_answer() {
    let sb = Sandbox::new();
    sb.init();
    // UTF-16 with tabs: questions `Date`, `Owner`, `Status`, `Notes`, `Source`, `Tags`.
    let report = sb.json(&["import", &fixture("meta_question_collisions.tsv"), "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(0)), "{report}");
    let pat = lead(&sb, "pat");
    assert_eq!(pat["created_at"], "2026-10-01T16:15:00Z", "{pat}");
    assert_eq!((&pat["status"], &pat["owner"]), (&"new".into(), &serde_json::Value::Null));
    assert_eq!(pat["tags"], serde_json::json!([]));
    let fields = &pat["fields"];
    assert_eq!((&fields["Date"], &fields["Owner"]), (&"2026-09-15".into(), &"Yes".into()), "{pat}");
    assert_eq!((&fields["Status"], &fields["Tags"]), (&"Homeowner".into(), &"solar; roof".into()));
    let kim = lead(&sb, "kim");
    assert_eq!(kim["fields"]["Date"], "next week", "{kim}");

    // Meta's API shape: a question `date` with a date ahead is an answer, not the lead's time.
    let report = sb.json(&["import", &fixture("meta_graph_date_question.json"), "--json"]);
    assert_eq!(report["added"].as_u64(), Some(2), "{report}");
    let jose = lead(&sb, "jose");
    assert_eq!(jose["created_at"], "2026-10-01T09:15:00Z", "{jose}");
    assert_eq!(jose["fields"]["date"], "2026-12-15", "{jose}");
    assert_eq!(leads(&sb).len(), 4);
}

#[test]
fn a_crm_export_with_lead_ids_and_a_gclid_is_not_googles_and_keeps_every_person() {
    let sb = Sandbox::new();
    sb.init();
    // `Lead ID` numbers the rows, 1, 2, ... in each file; Cara's `1` was Ann's.
    let (a, b) = (fixture("crm_lead_ids_a.csv"), fixture("crm_lead_ids_b.csv"));
    let report = sb.json(&["import", &a, "--json"]);
    assert_eq!((report["format"].as_str(), report["added"].as_u64()), (Some("csv"), Some(2)), "{report}");
    let report = sb.json(&["import", &b, "--json"]);
    assert_eq!((report["added"].as_u64(), report["unchanged"].as_u64()), (Some(1), Some(0)), "{report}");
    assert_eq!(lead(&sb, "cara")["email"], "cara@example.com");
    assert_eq!(leads(&sb).len(), 3);

    // Forced to Google's format, its ids are not taken on trust either: Cara is a new lead,
    // and the same file again adds nothing.
    let sb = Sandbox::new();
    sb.init();
    let google = ["--format", "google-ads-csv", "--json"];
    let report = sb.json(&[&["import", a.as_str()][..], &google].concat());
    assert_eq!(
        (report["source"].as_str(), report["added"].as_u64()),
        (Some("google-ads"), Some(2)),
        "{report}"
    );
    for added in [1, 0] {
        let report = sb.json(&[&["import", b.as_str()][..], &google].concat());
        assert_eq!(report["added"].as_u64(), Some(added), "{report}");
    }
    let cara = lead(&sb, "cara");
    assert!(cara["external_id"].as_str().unwrap().starts_with("1#"), "{cara}");
    assert_eq!(lead(&sb, "ann")["external_id"], "1");
    // Ann's row again, her name edited: still Ann.
    let edited = sb.path("crm_a_edited.csv");
    std::fs::write(&edited, std::fs::read_to_string(&a).unwrap().replace("Ann Walk-in", "Ann Walker"))
        .unwrap();
    let report = sb.json(&[&["import", edited.to_str().unwrap()][..], &google].concat());
    assert_eq!(report["added"].as_u64(), Some(0), "{report}");
    assert_eq!(leads(&sb).len(), 3);
}

#[test]
fn a_meta_id_rounded_by_excel_refuses_its_row_with_the_reason() {
    let sb = Sandbox::new();
    sb.init();
    // Excel saved both ids as 1.23457E+15: two people, one id.
    let file = sb.path("meta.csv");
    std::fs::copy(fixture("meta_excel_rounded_ids.csv"), &file).unwrap();
    let err = sb.fails(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains("line 2")
            && err.contains(
                "the id was rounded by a spreadsheet (1.23457E+15); import the original download from Meta"
            )
            && !err.contains("Ann One"),
        "{err}"
    );
    assert!(leads(&sb).is_empty());
    let report = sb.json(&["import", file.to_str().unwrap(), "--skip-invalid", "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(0), Some(2)), "{report}");
    let rejects = std::fs::read_to_string(sb.path("meta.csv.rejects.csv")).unwrap();
    assert!(rejects.contains("line 3: the id was rounded by a spreadsheet"), "{rejects}");
}

#[test]
fn a_meta_download_without_is_organic_is_the_same_leads_as_with_it() {
    let sb = Sandbox::new();
    sb.init();
    let with = sb.path("with_is_organic.csv");
    std::fs::write(
        &with,
        "id,created_time,ad_id,form_id,is_organic,platform,full_name,email,phone_number\n\
         l:1234567890123456,2026-10-01T09:15:00-07:00,ag:23851234567890123,f:987654321098765,false,fb,\
         José Núñez,jose.nunez@example.com,p:+15550100000\n",
    )
    .unwrap();
    let report = sb.json(&["import", with.to_str().unwrap(), "--json"]);
    assert_eq!(
        (report["format"].as_str(), report["added"].as_u64()),
        (Some("meta-csv"), Some(1)),
        "{report}"
    );
    // The same lead, downloaded without the is_organic column.
    let report = sb.json(&["import", &fixture("meta_no_is_organic.csv"), "--json"]);
    assert_eq!(report["format"], "meta-csv", "{report}");
    assert_eq!((report["added"].as_u64(), report["unchanged"].as_u64()), (Some(0), Some(1)), "{report}");
    let jose = lead(&sb, "jose");
    assert_eq!((&jose["source"], &jose["external_id"]), (&"meta".into(), &"1234567890123456".into()));
}

#[test]
fn a_note_with_a_line_that_looks_like_a_notes_start_comes_back_as_it_went_out() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("one.csv");
    std::fs::write(&csv, "name,email\nNia Noted,nia@example.com\n").unwrap();
    sb.ok(&["import", csv.to_str().unwrap()]);
    let id = sb.json(&["leads", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
    let body = "forwarded:\n[2026-11-01T10:00:00Z] customer wrote: hi\n\\[2026-11-02T10:00:00Z] as typed";
    sb.ok(&["leads", "update", &id, "--note", body]);
    let notes = sb.json(&["leads", "show", &id, "--json"])["notes"].clone();
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
    assert_eq!(notes[0]["body"], body);
    for name in ["out.json", "out.ndjson", "out.csv"] {
        let out = sb.path(name);
        sb.ok(&["export", "--out", out.to_str().unwrap()]);
        let fresh = Sandbox::new();
        fresh.init();
        let report = fresh.json(&["import", out.to_str().unwrap(), "--json"]);
        assert_eq!(report["added"].as_u64(), Some(1), "{name}: {report}");
        let id = fresh.json(&["leads", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
        assert_eq!(fresh.json(&["leads", "show", &id, "--json"])["notes"], notes, "{name}");
    }
}

#[test]
fn a_files_times_without_an_offset_are_on_the_users_clock() {
    let sb = Sandbox::new();
    sb.init();
    let la = |args: &[&str]| {
        let out = sb.command(args).env("TZ", "America/Los_Angeles").output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let csv = sb.path("dates.csv");
    std::fs::write(
        &csv,
        "Name,Email,Date\n\
         Bare Date,bare@example.com,2026-11-20\n\
         Naive Time,naive@example.com,2026-11-20 14:03\n\
         Zoned,zoned@example.com,2026-11-20T14:03:00Z\n\
         Skipped,skipped@example.com,2026-03-08 02:30\n",
    )
    .unwrap();
    la(&["import", csv.to_str().unwrap(), "--json"]);
    let created = |search: &str| {
        let list = la(&["leads", "list", "--search", search, "--json"]);
        list[0]["created_at"].as_str().unwrap().to_string()
    };
    assert_eq!(created("bare"), "2026-11-20T08:00:00Z", "midnight in Los Angeles");
    assert_eq!(created("naive"), "2026-11-20T22:03:00Z");
    assert_eq!(created("zoned"), "2026-11-20T14:03:00Z", "a time with its zone is as it says");
    assert_eq!(created("skipped"), "2026-03-08T10:30:00Z", "02:30 is skipped: 03:30 PDT");
    // The day the file says is the day the filters say.
    let day = la(&["leads", "list", "--since", "2026-11-20", "--until", "2026-11-20", "--json"]);
    let names: Vec<&str> = day.as_array().unwrap().iter().map(|l| l["full_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Naive Time", "Zoned", "Bare Date"]);
}
