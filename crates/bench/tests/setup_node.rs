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

/// Writes a stand-in `node` printing `version` at `dir/node`.
fn stub_node(dir: &Path, version: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let node = dir.join("node");
    std::fs::write(&node, format!("#!/bin/sh\necho {version}\n")).unwrap();
    std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs the script for real (no dry run) with `path` as the PATH, the prefix `prefix`; `npm` is
/// a stand-in in `bin` that "installs" a Node.js 22 into the prefix.
fn install_with_path(bin: &Path, path: &str, prefix: &Path) -> (bool, String) {
    let npm = bin.join("npm");
    std::fs::write(
        &npm,
        format!(
            "#!/bin/sh\n/bin/mkdir -p {p}/bin && printf '#!/bin/sh\\necho v22.12.0\\n' > {p}/bin/node && /bin/chmod 755 {p}/bin/node\n",
            p = prefix.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The script asks `id` whether it needs sudo; no other command of the system's on the PATH.
    let _ = std::os::unix::fs::symlink("/usr/bin/id", bin.join("id"));
    let out = Command::new("/bin/bash")
        .arg(SCRIPT)
        .env_clear()
        .env("PATH", path)
        .env("LEADVAULT_NODE_PREFIX", prefix)
        .output()
        .expect("bash runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The node the caller's PATH finds is the one run.sh and test.sh build the UI with: a new one
/// installed where that PATH does not find it first is a failure that says to put it first,
/// where the script put it first on its own PATH alone, said nothing and ended well, and the
/// UI build went on with the old node (and each setup installed Node.js again).
#[test]
fn a_node_22_the_path_does_not_find_first_is_a_failure_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().to_path_buf();
    let prefix = bin.join("prefix"); // as `run_with_path` has it
    stub_node(&bin, "v18.20.4");

    // Installed, but behind the old node on the PATH.
    let (ok, said) = install_with_path(&bin, bin.to_str().unwrap(), &prefix);
    assert!(!ok, "{said}");
    assert!(said.contains("installing Node.js 22"), "{said}");
    assert!(
        said.contains(&format!("Node.js v22.12.0 is in {}/bin, but the PATH finds", prefix.display()))
            && said.contains("(v18.20.4) first; put")
            && said.contains("before it"),
        "{said}"
    );
    // Run again, it says the same and installs nothing again.
    std::fs::remove_file(bin.join("npm")).unwrap();
    let (ok, said) = run_with_path(&bin);
    assert!(!ok && said.contains("but the PATH finds") && !said.contains("installing"), "{said}");

    // With the prefix first on the PATH (as /usr/local/bin is on Debian's), it is done.
    let fresh = tempfile::tempdir().unwrap();
    let (bin, prefix) = (fresh.path().join("bin"), fresh.path().join("prefix"));
    stub_node(&bin, "v18.20.4");
    let path = format!("{}/bin:{}", prefix.display(), bin.display());
    let (ok, said) = install_with_path(&bin, &path, &prefix);
    assert!(ok, "{said}");
}
