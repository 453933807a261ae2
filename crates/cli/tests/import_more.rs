//! Importing files as spreadsheets and CRMs write them (Excel's encodings and `sep=` line, epoch
//! times in milliseconds, Meta's API shape), and the labels that must survive an export and an
//! import again.

mod common;

use common::{Sandbox, fixture};

/// The id of the only lead `search` finds.
fn lead_id(sb: &Sandbox, search: &str) -> String {
    let list = sb.json(&["leads", "list", "--search", search, "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    list[0]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_tag_with_a_semicolon_is_refused_as_it_would_come_back_as_two() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let id = lead_id(&sb, "ortega");
    for tag in ["q3;q4", "q3|q4"] {
        let err = sb.fails(&["leads", "update", &id, "--add-tag", tag]);
        assert!(err.contains("semicolons") && err.contains("each tag"), "{err}");
    }
    sb.ok(&["leads", "update", &id, "--add-tag", "q3", "--add-tag", "q4"]);
    let lead = &sb.json(&["leads", "list", "--search", "ortega", "--json"])[0];
    let tags: Vec<&str> = lead["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(
        tags.contains(&"q3") && tags.contains(&"q4") && !tags.iter().any(|t| t.contains(';')),
        "{tags:?}"
    );
}

#[test]
fn a_creation_time_in_milliseconds_is_read_as_such_and_one_before_1970_is_rejected() {
    let sb = Sandbox::new();
    sb.init();
    let json = sb.path("hubspot.json");
    std::fs::write(
        &json,
        r#"[{"id": "h-1", "name": "Ana Ruiz", "email": "ana@example.com", "created_at": 1763647391000},
            {"id": "h-2", "name": "Bo Berg", "email": "bo@example.com", "created_at": "1763647391000"}]"#,
    )
    .unwrap();
    sb.ok(&["import", json.to_str().unwrap()]);
    let list = sb.json(&["leads", "list", "--json"]);
    for lead in list.as_array().unwrap() {
        assert_eq!(lead["created_at"], "2025-11-20T14:03:11Z", "milliseconds, not the year 57857");
    }

    let csv = sb.path("old.csv");
    std::fs::write(
        &csv,
        "name,email,created_at\nCy Old,cy@example.com,1900-01-01\nDi,di@example.com,1763647391000\n",
    )
    .unwrap();
    let err = sb.fails(&["import", csv.to_str().unwrap()]);
    assert!(err.contains("line 2") && err.contains("before 1970") && !err.contains("Cy Old"), "{err}");
    sb.ok(&["import", csv.to_str().unwrap(), "--skip-invalid"]);
    let rejects = std::fs::read_to_string(sb.path("old.csv.rejects.csv")).unwrap();
    assert!(
        rejects.contains(
            r#"Cy Old,cy@example.com,1900-01-01,"line 2: column ""created_at"" is a date before 1970"#
        ),
        "{rejects}"
    );
    assert_eq!(
        sb.json(&["leads", "list", "--search", "di", "--json"])[0]["created_at"],
        "2025-11-20T14:03:11Z"
    );
}
