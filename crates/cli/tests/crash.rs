//! `kill -9` (a power cut, the OOM killer, a force-quit) at varied moments of an import, an
//! update, an export, an `init` and a key change: whatever moment it lands on, the vault opens
//! afterwards (after a key change, with the old key or the new one, the command line finding
//! which), passes its integrity check, holds all of an import or none of it and every change a
//! command said it made, and no file of leads is left half written or in the clear.
//!
//! The kill moments are spread over how long the same command took here, uninterrupted (a
//! slow machine and a fast one both see kills early, in the middle and near the end); what is
//! asserted holds wherever they land.

mod common;

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox;

/// Moments to kill a command at, spread over `took` (how long a run of it took, here):
/// from before the vault is open to its last steps.
fn spread(took: Duration) -> Vec<Duration> {
    [0.0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.8, 0.88, 0.94, 0.98].iter().map(|f| took.mul_f64(*f)).collect()
}

/// Runs `leadvault args` (with `env`) to its end, insisting on success; returns how long it took.
fn timed(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Duration {
    let started = Instant::now();
    let out = run_with(sb, args, env);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    started.elapsed()
}

/// A generic CSV of `n` leads, numbered from `from` (files of other numbers hold other leads).
fn write_leads(path: &Path, from: usize, n: usize) {
    let mut s = String::from("name,email,phone,created_at\n");
    for i in from..from + n {
        s.push_str(&format!(
            "Person {i},person{i}@example.com,+1 555 {:03} {:04},2026-10-{:02}T10:00:00Z\n",
            i / 10_000 % 1000,
            i % 10_000,
            1 + i % 28
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `leadvault args` (with `env`) and kills it with SIGKILL `after` its start, unless it
/// ended before. Returns its output and whether it ended by itself.
fn kill_after(sb: &Sandbox, args: &[&str], env: &[(&str, &str)], after: Duration) -> (Output, bool) {
    let mut cmd = sb.command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child: Child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(after);
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill").args(["-KILL", &pid]).stderr(Stdio::null()).status();
    let out = child.wait_with_output().unwrap();
    let by_itself = out.status.code().is_some();
    (out, by_itself)
}

fn run_with(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = sb.command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The vault opens with `env`, passes its integrity check and lists; returns its lead count.
fn healthy(sb: &Sandbox, env: &[(&str, &str)]) -> u64 {
    for args in [&["vault", "check"][..], &["leads", "list", "--limit", "1"]] {
        let out = run_with(sb, args, env);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = run_with(sb, &["vault", "status", "--json"], env);
    assert!(out.status.success(), "status: {}", String::from_utf8_lossy(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["leads"].as_u64().unwrap()
}

/// Nothing in the sandbox's temp folder (SQLite's or anyone's temp files, in the clear).
fn no_temp_files(sb: &Sandbox) {
    let left = common::files_under(&sb.path("tmp"));
    assert!(left.is_empty(), "temp files left: {left:?}");
}

#[test]
fn kill_9_during_an_import_keeps_all_of_it_or_none() {
    const N: usize = 20_000;
    let sb = Sandbox::new();
    sb.init();
    let in_dir = sb.path("in");
    std::fs::create_dir(&in_dir).unwrap();
    let csv = in_dir.join("leads.csv");
    write_leads(&csv, 0, N);
    let csv = csv.to_str().unwrap();
    let took = timed(&sb, &["import", csv, "--skip-invalid"], &[]);
    let mut had = N;
    for (round, at) in spread(took).into_iter().enumerate() {
        // Leads of their own each round: what a killed import kept shows in the count.
        write_leads(&in_dir.join("leads.csv"), (round + 1) * N, N);
        let (out, by_itself) = kill_after(&sb, &["import", csv, "--skip-invalid"], &[], at);
        let count = healthy(&sb, &[]) as usize;
        eprintln!("import killed at {at:?}: ended by itself {by_itself}, kept {}", count - had);
        assert!(count == had || count == had + N, "kill at {at:?}: {count} leads, {had} before: a part kept");
        if by_itself {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(count, had + N, "it said it finished");
        }
        assert_eq!(names_in(&in_dir), vec!["leads.csv"], "kill at {at:?}: nothing left beside the file");
        no_temp_files(&sb);
        // Whatever was kept, the same file imports whole afterwards.
        sb.ok(&["import", csv]);
        had += N;
        assert_eq!(healthy(&sb, &[]) as usize, had);
    }
}

/// A vault of `n` leads (keychain), and the id of one of them.
fn vault_of(n: usize) -> (Sandbox, String) {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("seed.csv");
    write_leads(&csv, 1_000_000, n);
    sb.ok(&["import", csv.to_str().unwrap()]);
    let id = sb.json(&["leads", "list", "--limit", "1", "--json"])[0]["id"].as_str().unwrap().to_string();
    (sb, id)
}

#[test]
fn kill_9_during_an_update_keeps_every_change_it_said_it_made() {
    let (sb, id) = vault_of(2_000);
    let update = |i: usize| {
        let (note, tag) = (format!("call back after the demo, round {i}"), format!("round-{i}"));
        let args = ["leads", "update", &id, "--note", &note, "--add-tag", &tag].map(String::from);
        (note, tag, args)
    };
    let (_, _, args) = update(0);
    let took = timed(&sb, &args.each_ref().map(String::as_str), &[]);
    // Twice over: the moment the change is written is a short one.
    for (i, at) in spread(took).into_iter().chain(spread(took)).enumerate() {
        let (note, tag, args) = update(i + 1);
        let (out, by_itself) = kill_after(&sb, &args.each_ref().map(String::as_str), &[], at);
        healthy(&sb, &[]);
        let shown = sb.ok(&["leads", "show", &id, "--json"]);
        let (has_note, has_tag) = (shown.contains(&note), shown.contains(&format!("\"{tag}\"")));
        eprintln!("update killed at {at:?}: ended by itself {by_itself}, kept {has_note}");
        if by_itself || String::from_utf8_lossy(&out.stdout).contains("updated") {
            assert!(has_note && has_tag, "kill at {at:?}: it said it changed the lead; kept: {shown}");
        }
        assert_eq!(has_note, has_tag, "kill at {at:?}: a half change");
        no_temp_files(&sb);
    }
}

#[test]
fn kill_9_during_an_export_leaves_the_whole_file_or_none() {
    let (sb, _) = vault_of(20_000);
    let out_dir = sb.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    for name in ["all.csv", "all.xlsx", "all.ndjson"] {
        let target = out_dir.join(name);
        let args = ["export", "--out", target.to_str().unwrap()];
        let took = timed(&sb, &args, &[]);
        let whole = std::fs::read(&target).unwrap();
        std::fs::remove_file(&target).unwrap();
        for at in spread(took).into_iter().step_by(2).chain([took.mul_f64(0.99)]) {
            let (out, by_itself) = kill_after(&sb, &args, &[], at);
            let left = names_in(&out_dir);
            eprintln!("export of {name} killed at {at:?}: ended by itself {by_itself}, left {left:?}");
            if by_itself {
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            }
            if by_itself || !left.is_empty() {
                // Named only when whole (the kill may land after that, before the end).
                assert_eq!(left, vec![name.to_string()], "kill at {at:?}");
                let written = std::fs::read(&target).unwrap();
                if !name.ends_with("xlsx") {
                    assert!(written == whole, "kill at {at:?}: {name} is not whole");
                } else {
                    assert_eq!(&written[..2], b"PK");
                }
                std::fs::remove_file(&target).unwrap();
            }
            no_temp_files(&sb);
        }
    }
    assert_eq!(healthy(&sb, &[]), 20_000);
}

#[test]
fn kill_9_during_init_leaves_a_vault_that_opens_or_none() {
    const PASS: (&str, &str) = ("LEADVAULT_PASSPHRASE", "correct horse battery");
    for env in [&[][..], &[PASS][..]] {
        let took = timed(&Sandbox::new(), &["init"], env);
        for at in spread(took) {
            let sb = Sandbox::new();
            let (_, by_itself) = kill_after(&sb, &["init"], env, at);
            let status = run_with(&sb, &["vault", "status"], env);
            eprintln!(
                "init killed at {at:?}: ended by itself {by_itself}, a vault {}",
                status.status.success()
            );
            if status.status.success() {
                healthy(&sb, env);
            } else {
                assert!(!by_itself, "init finished, yet: {}", String::from_utf8_lossy(&status.stderr));
                let err = String::from_utf8_lossy(&status.stderr);
                assert!(err.contains("no vault at"), "kill at {at:?}: {err}");
                let again = run_with(&sb, &["init"], env);
                assert!(again.status.success(), "kill at {at:?}: {}", String::from_utf8_lossy(&again.stderr));
                healthy(&sb, env);
            }
            no_temp_files(&sb);
        }
    }
}

/// Which of what the owner knows opens the vault: first nothing (the keychain's key), then the
/// passphrases. Without one it is the keychain, or a one-line request for the passphrase.
fn opens_with<'a>(sb: &Sandbox, passphrases: &[&'a str]) -> Option<&'a str> {
    let out = run_with(sb, &["vault", "status"], &[]);
    if out.status.success() {
        return None;
    }
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("passphrase"), "without a passphrase, it says to give one: {err}");
    let settings = std::fs::read_to_string(sb.data_dir().join("vault.json")).unwrap();
    let mut refused: Vec<String> = Vec::new();
    for p in passphrases {
        let out = run_with(sb, &["vault", "status"], &[("LEADVAULT_PASSPHRASE", p)]);
        if out.status.success() {
            // An old passphrase refused after a change of passphrase stopped (before the vault's
            // settings were told) says to try the new one.
            for err in refused.iter().filter(|_| settings.contains("changing_to")) {
                assert!(err.contains("the new passphrase may be the one"), "{err}");
            }
            return Some(p);
        }
        refused.push(String::from_utf8_lossy(&out.stderr).to_string());
    }
    panic!("neither the keychain nor a passphrase opens the vault: {err}");
}

/// `vault rekey` to a new passphrase or to the keychain, from the vault's passphrase `now` or
/// from the keychain: its arguments and environment.
fn change<'a>(
    to_passphrase: bool,
    new: &'a str,
    now: Option<&'a str>,
) -> (Vec<&'static str>, Vec<(&'static str, &'a str)>) {
    let mut args = vec!["vault", "rekey"];
    let mut env = vec![("NEW_PASSPHRASE", new)];
    if to_passphrase {
        args.extend(["--new-passphrase-env", "NEW_PASSPHRASE"]);
    }
    env.extend(now.map(|p| ("LEADVAULT_PASSPHRASE", p)));
    (args, env)
}

#[test]
fn kill_9_during_a_key_change_leaves_a_vault_that_opens_with_the_old_key_or_the_new() {
    let (sb, _) = vault_of(20_000);
    let passphrases: Vec<String> = (0..100).map(|i| format!("passphrase number {i} of the test")).collect();
    let mut now: Option<&str> = None; // the keychain
    let mut changes = 0;
    // To the keychain again, to a passphrase, to another passphrase, back to the keychain.
    for to_passphrase in [false, true, true, false] {
        // The first change of each kind runs to its end, timed; the next are killed.
        changes += 1;
        let new = passphrases[changes].as_str();
        let (args, env) = change(to_passphrase, new, now);
        let took = timed(&sb, &args, &env);
        now = to_passphrase.then_some(new);
        for at in spread(took) {
            changes += 1;
            let new = passphrases[changes].as_str();
            let (args, env) = change(to_passphrase, new, now);
            let (out, by_itself) = kill_after(&sb, &args, &env, at);
            let known: Vec<&str> = now.into_iter().chain(to_passphrase.then_some(new)).collect();
            let opened = opens_with(&sb, &known);
            eprintln!("key change killed at {at:?}: ended by itself {by_itself}, opens with {opened:?}");
            if by_itself {
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                assert_eq!(opened, to_passphrase.then_some(new), "it said the key changed");
            }
            let env: Vec<(&str, &str)> = opened.map(|p| ("LEADVAULT_PASSPHRASE", p)).into_iter().collect();
            assert_eq!(healthy(&sb, &env), 20_000, "kill at {at:?}");
            no_temp_files(&sb);
            now = opened;
        }
    }
}
