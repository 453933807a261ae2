//! `scripts/setup-node.sh`, which the README's two commands run through `scripts/setup.sh`:
//! a Node.js older than the UI's tools need (Debian 12's own is 18) or none at all brings a
//! newer one, and a new enough one is left alone. Run in its dry-run mode, with a stand-in
//! `node` that only prints a version: nothing is installed.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/setup-node.sh");

/// Runs the script with only `dir` on the PATH (where a stand-in `node` may be) and returns
/// whether it succeeded and what it said.
fn run_with_path(dir: &Path) -> (bool, String) {
    let out = Command::new("/bin/bash")
        .arg(SCRIPT)
        .env_clear()
        .env("PATH", dir)
        .env("LEADVAULT_NODE_DRY_RUN", "1")
        .env("LEADVAULT_NODE_PREFIX", dir.join("prefix"))
        .output()
        .expect("bash runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn with_node(version: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node");
    std::fs::write(&node, format!("#!/bin/sh\necho {version}\n")).unwrap();
    std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o755)).unwrap();
    run_with_path(dir.path())
}

#[test]
fn an_old_node_or_none_brings_node_22_from_the_npm_registry() {
    for version in ["v18.20.4", "v20.18.3", "v16.20.2"] {
        let (ok, said) = with_node(version);
        assert!(ok, "{version}: {said}");
        assert!(
            said.contains(&format!("Node.js {version} is older than 20.19"))
                && said.contains("installing Node.js 22 from the npm registry"),
            "{version}: {said}"
        );
    }
    let empty = tempfile::tempdir().unwrap();
    let (ok, said) = run_with_path(empty.path());
    assert!(ok, "{said}");
    assert!(said.contains("Node.js none is older than 20.19"), "{said}");
}

#[test]
fn a_new_enough_node_is_left_alone() {
    for version in ["v20.19.0", "v20.20.2", "v22.12.0", "v24.1.0"] {
        let (ok, said) = with_node(version);
        assert!(ok, "{version}: {said}");
        assert!(said.is_empty(), "{version}: {said}");
    }
}
