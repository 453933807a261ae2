//! Days are the user's: `--since`/`--until 2026-11-20` mean that day where the user is, and
//! tables show times on the user's clock. `--json` keeps UTC.

mod common;

use common::Sandbox;
use serde_json::Value;

/// Four Meta leads around midnight of 20/21 November in New York (UTC-5 then).
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.init();
    let file = sb.path("leads.csv");
    std::fs::write(
        &file,
        "id,created_time,full_name,email\n\
         l:1,2026-11-19T23:00:00-0500,Eve Late,eve@example.com\n\
         l:2,2026-11-20T00:10:00-0500,Ann Early,ann@example.com\n\
         l:3,2026-11-20T23:59:59-0500,Bo Midnight,bo@example.com\n\
         l:4,2026-11-21T00:30:00-0500,Cy Next,cy@example.com\n",
    )
    .unwrap();
    sb.ok(&["import", file.to_str().unwrap(), "--format", "meta-csv"]);
    sb
}

fn names(sb: &Sandbox, zone: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["leads", "list", "--sort", "oldest", "--json"];
    all.extend_from_slice(args);
    let out = sb.command(&all).env("TZ", zone).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let leads: Value = serde_json::from_slice(&out.stdout).unwrap();
    leads.as_array().unwrap().iter().map(|l| l["full_name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_day_is_the_users_day() {
    let sb = sandbox();
    let ny = "America/New_York";
    assert_eq!(
        names(&sb, ny, &["--since", "2026-11-20", "--until", "2026-11-20"]),
        ["Ann Early", "Bo Midnight"]
    );
    assert_eq!(names(&sb, ny, &["--since", "2026-11-21"]), ["Cy Next"]);
    assert_eq!(names(&sb, ny, &["--until", "2026-11-19"]), ["Eve Late"]);
    // In UTC the same days hold other leads: 23:59:59 in New York is the 21st there.
    assert_eq!(names(&sb, "UTC", &["--since", "2026-11-21"]), ["Bo Midnight", "Cy Next"]);
    assert_eq!(
        names(&sb, "UTC", &["--since", "2026-11-20", "--until", "2026-11-20"]),
        ["Eve Late", "Ann Early"]
    );
    // Times: with their offset (RFC 3339, Meta's +0000), or the user's own without one.
    assert_eq!(names(&sb, ny, &["--since", "2026-11-21T04:00:00+0000"]), ["Bo Midnight", "Cy Next"]);
    assert_eq!(
        names(&sb, ny, &["--since", "2026-11-20T23:00", "--until", "2026-11-21T00:00:00"]),
        ["Bo Midnight"]
    );
    assert_eq!(names(&sb, ny, &["--until", "2026-11-20T05:10:00Z"]), ["Eve Late"]);
}

#[test]
fn tables_show_the_users_clock_and_json_keeps_utc() {
    let sb = sandbox();
    let out =
        sb.command(&["leads", "list", "--search", "bo"]).env("TZ", "America/New_York").output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("2026-11-20 23:59"), "{table}");
    let id = sb.json(&["leads", "list", "--search", "bo", "--json"])[0]["id"].as_str().unwrap().to_string();
    let out = sb.command(&["leads", "show", &id]).env("TZ", "America/New_York").output().unwrap();
    let detail = String::from_utf8(out.stdout).unwrap();
    assert!(detail.contains("created:   2026-11-20T23:59:59-05:00"), "{detail}");
    let json = sb.command(&["leads", "show", &id, "--json"]).env("TZ", "America/New_York").output().unwrap();
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["created_at"], "2026-11-21T04:59:59Z");
}

#[test]
fn a_time_the_clocks_skip_reads_as_an_hour_later_as_an_import_reads_it() {
    let sb = Sandbox::new();
    sb.init();
    let file = sb.path("spring.csv");
    // Berlin's clocks go from 02:00 to 03:00 on 29 March 2026 (01:00 UTC).
    std::fs::write(
        &file,
        "id,created_time,full_name,email\n\
         l:1,2026-03-29T00:50:00+0000,Ada Before,ada@example.com\n\
         l:2,2026-03-29T01:20:00+0000,Ben After,ben@example.com\n\
         l:3,2026-03-29T01:40:00+0000,Cai Later,cai@example.com\n",
    )
    .unwrap();
    sb.ok(&["import", file.to_str().unwrap(), "--format", "meta-csv"]);
    let berlin = "Europe/Berlin";
    // 02:30 does not exist there that night: it is 03:30 CEST, 01:30 UTC.
    assert_eq!(names(&sb, berlin, &["--since", "2026-03-29T02:30"]), ["Cai Later"]);
    assert_eq!(names(&sb, berlin, &["--until", "2026-03-29 02:30"]), ["Ada Before", "Ben After"]);
}
