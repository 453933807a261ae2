//! Ctrl-C during an import or an export: the command stops, says what was kept, and leaves
//! nothing behind: no leads of a half-done import, no hidden file of a half-written export or
//! rejects file beside the user's files. Not even `kill -9` leaves one: the file has no name
//! until it is whole.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use common::Sandbox;

/// A generic CSV of `n` leads, the first row invalid (so `--skip-invalid` starts a rejects file).
fn write_leads(path: &Path, n: usize) {
    let mut s =
        String::from("name,email,phone,created_at\nKim Bad,kim-at-example.com,555 010 2222,2026-10-01\n");
    for i in 0..n {
        s.push_str(&format!(
            "Person {i},person{i}@example.com,+1 555 {:03} {:04},2026-10-{:02}T10:00:00Z\n",
            i % 1000,
            i % 10_000,
            1 + i % 28
        ));
    }
    std::fs::write(path, s).unwrap();
}

/// A new vault, and a file of `n` leads in a folder of its own (the folder, the file).
fn vault_and_file_of(n: usize) -> (Sandbox, PathBuf, PathBuf) {
    let sb = Sandbox::new();
    sb.init();
    let in_dir = sb.path("in");
    std::fs::create_dir(&in_dir).unwrap();
    let csv = in_dir.join("leads.csv");
    write_leads(&csv, n);
    (sb, in_dir, csv)
}

fn names_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// Whether process `pid` has a file open in `dir` (a file being written there, named or not).
fn writes_in(pid: u32, dir: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok()).any(|target| target.starts_with(dir))
}

/// Waits until the command writes a file in `dir` (or ends by itself), then sends it `signal`.
fn signal_when_writing(mut child: Child, dir: &Path, signal: &str) -> Output {
    for _ in 0..12_000 {
        if writes_in(child.id(), dir) || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status();
    child.stdout.take();
    child.wait_with_output().unwrap()
}

fn spawn(sb: &Sandbox, args: &[&str]) -> Child {
    sb.command(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

#[test]
fn ctrl_c_during_an_export_leaves_no_file() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("leads.csv");
    write_leads(&csv, 40_000);
    sb.ok(&["import", csv.to_str().unwrap(), "--skip-invalid"]);
    let out_dir = sb.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("all.xlsx");
    let child = spawn(&sb, &["export", "--out", out.to_str().unwrap()]);
    let done = signal_when_writing(child, &out_dir, "-INT");
    let err = String::from_utf8_lossy(&done.stderr);
    if done.status.success() {
        // It finished before the signal (a fast machine): then the file is whole.
        assert!(out.is_file(), "{err}");
        return;
    }
    assert_eq!(done.status.code(), Some(1), "{err}");
    assert!(err.contains("the export was stopped; no file was written"), "{err}");
    assert!(names_in(&out_dir).is_empty(), "left behind: {:?}", names_in(&out_dir));
}

#[test]
fn ctrl_c_during_an_import_keeps_nothing() {
    let (sb, in_dir, csv) = vault_and_file_of(150_000);
    let child = spawn(&sb, &["import", csv.to_str().unwrap(), "--skip-invalid"]);
    // The rejects file is being written (the bad row is first): the import is under way.
    let done = signal_when_writing(child, &in_dir, "-INT");
    let err = String::from_utf8_lossy(&done.stderr);
    let count = sb.json(&["leads", "list", "--limit", "0", "--json"]).as_array().unwrap().len();
    if done.status.success() {
        assert_eq!(count, 150_000, "finished before the signal, then whole: {err}");
        return;
    }
    assert_eq!(done.status.code(), Some(1), "{err}");
    assert!(err.contains("the import was stopped; nothing of it was kept"), "{err}");
    assert_eq!(count, 0, "no lead of a stopped import is kept");
    assert_eq!(names_in(&in_dir), vec!["leads.csv"], "no rejects file, whole or partial");
    // The vault takes the same file afterwards.
    sb.ok(&["import", csv.to_str().unwrap(), "--skip-invalid"]);
}

#[test]
fn kill_9_during_an_export_or_an_import_leaves_no_file_of_leads() {
    let (sb, in_dir, csv) = vault_and_file_of(150_000);
    let child = spawn(&sb, &["import", csv.to_str().unwrap(), "--skip-invalid"]);
    let done = signal_when_writing(child, &in_dir, "-KILL");
    if !done.status.success() {
        assert_eq!(names_in(&in_dir), vec!["leads.csv"], "no rejects file, whole or partial");
        assert_eq!(sb.json(&["leads", "list", "--limit", "0", "--json"]).as_array().unwrap().len(), 0);
        sb.ok(&["import", csv.to_str().unwrap(), "--skip-invalid"]);
    }

    let out_dir = sb.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    for name in ["all.csv", "all.xlsx"] {
        let out = out_dir.join(name);
        let child = spawn(&sb, &["export", "--out", out.to_str().unwrap()]);
        let done = signal_when_writing(child, &out_dir, "-KILL");
        let left = names_in(&out_dir);
        if done.status.success() {
            assert_eq!(left, vec![name.to_string()], "finished before the signal: the file is whole");
            std::fs::remove_file(&out).unwrap();
        } else {
            assert!(left.is_empty(), "{name}: left behind: {left:?}");
        }
    }
}
