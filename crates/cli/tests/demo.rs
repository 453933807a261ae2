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

/// The leads pushed to each CRM, as the demo prints them.
fn pushed(out: &str) -> Vec<u64> {
    ["HubSpot", "Pipedrive", "Salesforce"]
        .iter()
        .map(|crm| {
            let line = out.lines().find(|l| l.trim_start().starts_with(crm) && l.contains("pushed")).unwrap();
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        })
        .collect()
}

#[test]
fn demo_connects_every_simulated_provider_and_leads_flow_through_to_the_crms() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&["demo", "--leads", "40"]);
    for name in ["Meta", "Google Ads", "HubSpot", "Pipedrive", "Salesforce"] {
        assert!(out.contains(&format!("  {name:<11} http://127.0.0.1:")), "{name} connected: {out}");
    }
    assert!(out.contains("Meta        40 new leads pulled"), "{out}");
    let first = demo_leads(&sandbox);
    assert!(first >= 40, "{first}");
    for (crm, n) in ["HubSpot", "Pipedrive", "Salesforce"].into_iter().zip(pushed(&out)) {
        // HubSpot merges leads that share an email into one contact; the others take each.
        assert!(n <= first && n + 5 >= first, "{crm} was sent every synced lead once: {n} of {first}");
    }

    // Again: the demo starts over (the leads are pulled and pushed anew), nothing doubled.
    let again = sandbox.ok(&["demo", "--leads", "40"]);
    assert!(again.contains("Meta        40 new leads pulled"), "started over: {again}");
    assert_eq!(demo_leads(&sandbox), first);
    assert_eq!(pushed(&again), pushed(&out), "the same pushes to fresh simulated CRMs");

    // A vault the demo did not make is never purged by it.
    let other = Sandbox::new();
    other.init();
    let foreign = other.data_dir().with_file_name("data-demo");
    std::fs::rename(other.data_dir(), &foreign).unwrap();
    let err = other.fails(&["demo", "--leads", "5"]);
    assert!(err.contains("the demo did not make"), "{err}");
    // The real vault was never made.
    let err = sandbox.fails(&["vault", "status"]);
    assert!(err.contains(&format!("leadvault --data-dir {} init", sandbox.data_dir().display())), "{err}");
    let err = sandbox.fails(&["demo", "--leads", "0"]);
    assert!(err.contains("--leads"), "{err}");
}
