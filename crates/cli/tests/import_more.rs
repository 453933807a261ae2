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
