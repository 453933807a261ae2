//! Output to a closed pipe or a full disk: the command never panics. A reader that went away
//! (`| head`) ends it quietly with success, the change it made saved; a write that fails
//! otherwise is a one-line error with exit code 1.

mod common;

use common::{Sandbox, fixture};

fn sandbox_with_a_lead() -> (Sandbox, String) {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let id =
        sb.json(&["leads", "list", "--search", "farah", "--json"])[0]["id"].as_str().unwrap().to_string();
    (sb, id)
}

#[test]
fn a_closed_pipe_ends_the_command_quietly_with_success() {
    let (sb, id) = sandbox_with_a_lead();
    let cases: &[&[&str]] = &[
        &["leads", "show", &id],
        &["leads", "show", &id, "--json"],
        &["leads", "list"],
        &["leads", "list", "--limit", "0", "--json"],
        &["vault", "status"],
        &["connections", "list"],
        &["ads", "history"],
        &["leads", "update", &id, "--add-tag", "piped", "--note", "said while nobody listened"],
    ];
    for args in cases {
        let out = sb.run_closed_stdout(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} is quiet: {err}");
    }
    let lead = sb.json(&["leads", "show", &id, "--json"]);
    assert_eq!(lead["tags"], serde_json::json!(["dental", "piped", "vip"]), "the update was saved");
    assert_eq!(lead["notes"][0]["body"], "said while nobody listened");
}

#[test]
fn a_full_disk_on_standard_output_is_a_one_line_error() {
    let (sb, id) = sandbox_with_a_lead();
    let cases: &[&[&str]] = &[
        &["leads", "list", "--limit", "5", "--json"],
        &["leads", "list"],
        &["leads", "show", &id],
        &["vault", "status"],
        &["connections", "list"],
    ];
    for args in cases {
        let err = common::fails(sb.run_full_stdout(args), args);
        assert!(err.contains("could not write standard output"), "{args:?}: {err}");
        assert!(!err.contains("Farah") && !err.contains("farah@"), "no personal data: {err}");
    }
}

#[test]
fn a_full_disk_after_an_import_says_the_import_is_saved() {
    let sb = Sandbox::new();
    sb.init();
    let args = ["import", &fixture("generic.csv")];
    let err = common::fails(sb.run_full_stdout(&args), &args);
    assert!(err.contains("could not write standard output"), "{err}");
    assert!(err.contains("what it changed is saved"), "{err}");
    let leads = sb.json(&["leads", "list", "--json"]);
    assert!(!leads.as_array().unwrap().is_empty(), "the import was saved");
}

#[test]
fn a_closed_standard_error_never_panics() {
    use std::process::Stdio;
    let (sb, _) = sandbox_with_a_lead();
    // A command that fails, and one that succeeds with a remark on standard error.
    for (args, code) in [(&["leads", "show", "01NOPE"][..], 1), (&["leads", "list", "--limit", "1"][..], 0)] {
        let mut child = sb.command(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stderr.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?} exits as it would with a terminal");
    }
}
