//! `leadvault demo` through the real binary: the simulated providers start, every one is
//! connected, leads flow from the sources into a separate demo vault and on to each CRM; a
//! second run starts over instead of doubling anything; the real vault is never touched.

mod common;

use common::Sandbox;

fn demo_leads(sandbox: &Sandbox) -> u64 {
    let demo_dir = sandbox.data_dir().with_file_name("data-demo");
    assert!(demo_dir.is_dir(), "the demo vault lives beside the real one: {}", demo_dir.display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadvault"))
        .arg("--data-dir")
        .arg(&demo_dir)
        .args(["vault", "status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["leads"].as_u64().unwrap()
}

#[test]
fn demo_connects_every_simulated_provider_and_leads_flow_through_to_the_crms() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&["demo", "--leads", "40"]);
    for name in ["Meta", "Google Ads", "HubSpot", "Pipedrive", "Salesforce"] {
        assert!(out.contains(&format!("  {name:<11} http://127.0.0.1:")), "{name} connected: {out}");
    }
    assert!(out.contains("Meta        40 new leads pulled"), "{out}");
    for crm in ["HubSpot", "Pipedrive", "Salesforce"] {
        let line = out.lines().find(|l| l.trim_start().starts_with(crm) && l.contains("pushed")).unwrap();
        let pushed: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(pushed >= 40, "{crm} was sent every synced lead: {line}");
    }
    let first = demo_leads(&sandbox);
    assert!(first >= 40, "{first}");

    // Again: the demo starts over, the same data, nothing doubled.
    sandbox.ok(&["demo", "--leads", "40"]);
    assert_eq!(demo_leads(&sandbox), first);
    // The real vault was never made.
    let err = sandbox.fails(&["vault", "status"]);
    assert!(err.contains("leadvault init"), "{err}");
    let err = sandbox.fails(&["demo", "--leads", "0"]);
    assert!(err.contains("--leads"), "{err}");
}
