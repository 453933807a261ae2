//! What the command line tells a new user to run next (`Next: … import FILE`, `create one
//! with … init`, `see it with …`) reaches the vault they are using: run as printed, in a shell,
//! it works on the same `--data-dir`, where `leadvault init` alone would make a second vault in
//! the usual folder. And the wrong turns around them say what to do.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::Sandbox;

const PASS: &str = "correct horse battery";

/// `leadvault ARGS` in `cwd` with `PATH` finding the binary first, a passphrase set and no data
/// dir but the one in `args`.
fn leadvault(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadvault"));
    cmd.args(args).current_dir(cwd);
    cmd.env("LEADVAULT_PASSPHRASE", PASS).env_remove("LEADVAULT_DATA_DIR");
    // The usual folder is under this HOME, where a hint that dropped --data-dir would go.
    cmd.env("TMPDIR", cwd.join("tmp")).env("HOME", cwd).env_remove("XDG_DATA_HOME");
    cmd
}

/// Runs a hint's command line as a user pasting it would: through `sh`, with `leadvault` on
/// the `PATH`.
fn run_in_shell(cwd: &Path, line: &str) -> Output {
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_leadvault")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(cwd)
        .env("PATH", path)
        .env("LEADVAULT_PASSPHRASE", PASS)
        .env("TMPDIR", cwd.join("tmp"))
        .env("HOME", cwd)
        .env_remove("XDG_DATA_HOME")
        .env_remove("LEADVAULT_DATA_DIR")
        .output()
        .unwrap()
}

/// The command between the first pair of backticks in `said`.
fn quoted_command(said: &str) -> String {
    said.split('`').nth(1).unwrap_or_else(|| panic!("no `command` in: {said}")).to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[test]
fn hints_name_the_data_dir_typed_so_running_them_as_printed_reaches_the_same_vault() {
    let sb = Sandbox::new();
    let root = sb.root.path();
    // A folder name a shell would split or end a quote at.
    let dir = root.join("my vault's");
    let dir_arg = dir.to_str().unwrap();
    let csv = common::fixture("generic.csv");

    // No vault there yet: the way to make one, there.
    let out = leadvault(root, &["--data-dir", dir_arg, "leads", "list"]).output().unwrap();
    let err = common::fails(out, &["leads list without a vault"]);
    let init = quoted_command(&err);
    assert!(init.starts_with("leadvault --data-dir ") && init.ends_with(" init"), "{err}");
    let made = run_in_shell(root, &init);
    assert!(made.status.success(), "{init}: {}", text(&made.stderr));
    assert!(dir.join("vault.db").is_file(), "`{init}` made the vault in {}", dir.display());

    // init's next step, run as printed (FILE being the file), imports into that vault.
    let said = text(&made.stdout);
    let next = said.lines().find_map(|l| l.strip_prefix("Next: ")).unwrap_or_else(|| panic!("{said}"));
    let import = next.split(", with").next().unwrap().replace("FILE", &csv);
    assert!(import.starts_with("leadvault --data-dir "), "{said}");
    let imported = run_in_shell(root, &import);
    assert!(imported.status.success(), "{import}: {}", text(&imported.stderr));

    // An update's `see it with` shows that lead, from that vault.
    let listed = leadvault(root, &["--data-dir", dir_arg, "leads", "list", "--json"]).output().unwrap();
    let leads: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let id = leads[0]["id"].as_str().unwrap().to_string();
    let out = leadvault(root, &["--data-dir", dir_arg, "leads", "update", &id, "--status", "won"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let show = quoted_command(&text(&out.stdout));
    let shown = run_in_shell(root, &show);
    assert!(shown.status.success(), "{show}: {}", text(&shown.stderr));
    assert!(text(&shown.stdout).contains("status:    won"), "{}", text(&shown.stdout));
    assert!(!root.join(".local").exists(), "nothing went to the usual folder");

    // An empty vault says how to fill it, there too.
    let empty = root.join("empty");
    let out = leadvault(root, &[&format!("--data-dir={}", empty.display()), "init"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = leadvault(root, &["--data-dir", empty.to_str().unwrap(), "leads", "list"]).output().unwrap();
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("add some with `leadvault --data-dir {} import FILE`", empty.display())),
        "{err}"
    );
}

#[test]
fn a_data_dir_from_the_environment_keeps_the_hints_short() {
    let sb = Sandbox::new();
    let root = sb.root.path();
    let out = leadvault(root, &["leads", "list"]).env("LEADVAULT_DATA_DIR", sb.data_dir()).output().unwrap();
    let err = common::fails(out, &["leads list without a vault"]);
    assert!(err.contains("create one with `leadvault init`"), "{err}");
    let out = leadvault(root, &["init"]).env("LEADVAULT_DATA_DIR", sb.data_dir()).output().unwrap();
    assert!(text(&out.stdout).contains("Next: leadvault import FILE, with LEADVAULT_PASSPHRASE set"));
}

#[test]
fn export_out_dash_is_refused_instead_of_making_a_file_named_dash() {
    let sb = Sandbox::new();
    let root = sb.root.path();
    let dir = sb.data_dir();
    let dir_arg = dir.to_str().unwrap();
    assert!(leadvault(root, &["--data-dir", dir_arg, "init"]).status().unwrap().success());
    let out = leadvault(root, &["--data-dir", dir_arg, "export", "--out", "-", "--format", "csv"])
        .output()
        .unwrap();
    let err = common::fails(out, &["export --out -"]);
    assert!(err.contains("--out -") && err.contains("give a file name"), "{err}");
    assert!(!root.join("-").exists(), "no file named - in the current folder");
    // A file really named so is still reachable.
    let out = leadvault(root, &["--data-dir", dir_arg, "export", "--out", "./-", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(root.join("-").is_file());
}

#[test]
fn a_new_passphrase_says_to_set_the_variable_the_next_command_reads() {
    let sb = Sandbox::new();
    let root = sb.root.path();
    let dir = sb.data_dir();
    let dir_arg = dir.to_str().unwrap();
    assert!(leadvault(root, &["--data-dir", dir_arg, "init"]).status().unwrap().success());
    let out = leadvault(root, &["--data-dir", dir_arg, "vault", "rekey", "--new-passphrase-env", "NEW"])
        .env("NEW", "another long passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("Next: set LEADVAULT_PASSPHRASE to the new passphrase (the one in NEW)"),
        "the old passphrase is still in LEADVAULT_PASSPHRASE: {said}"
    );
    let out = leadvault(root, &["--data-dir", dir_arg, "vault", "status"])
        .env("LEADVAULT_PASSPHRASE", "another long passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "as the hint says: {}", text(&out.stderr));

    // A --passphrase-env naming an unset variable says what to do about it.
    let out = leadvault(root, &["--data-dir", dir_arg, "--passphrase-env", "LV_NOT_SET", "vault", "status"])
        .output()
        .unwrap();
    let err = common::fails(out, &["--passphrase-env LV_NOT_SET"]);
    assert!(
        err.contains("export LV_NOT_SET with the passphrase first, or leave out --passphrase-env"),
        "{err}"
    );
}

#[test]
fn a_data_dir_typed_with_a_tilde_the_shell_left_alone_is_in_the_home_folder() {
    let sb = Sandbox::new();
    let root = sb.root.path();
    let cwd = root.join("elsewhere");
    std::fs::create_dir_all(cwd.join("tmp")).unwrap();
    // `--data-dir=~/leads`: the shell expands no `~` after `=`, so the program gets it as typed.
    let out = leadvault(&cwd, &["--data-dir=~/leads", "init"]).env("HOME", root).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let home_vault = root.join("leads");
    assert!(home_vault.join("vault.db").is_file(), "the vault is in the home folder: {said}");
    assert!(!cwd.join("~").exists(), "no folder named ~ in the current one");
    assert!(
        said.contains(&format!("Created an encrypted vault at {}", home_vault.join("vault.db").display())),
        "{said}"
    );
    // The same vault whichever way it is typed, quoted or expanded by the shell.
    let home_arg = home_vault.to_str().unwrap();
    for typed in [&["--data-dir", "~/leads"][..], &["--data-dir", home_arg], &["--data-dir=~/leads/"]] {
        let mut args = typed.to_vec();
        args.extend(["vault", "status", "--json"]);
        let out = leadvault(&cwd, &args).env("HOME", root).output().unwrap();
        assert!(out.status.success(), "{typed:?}: {}", text(&out.stderr));
    }
    // A `~` in LEADVAULT_DATA_DIR is left as it is, as the window reads it.
    let out = leadvault(&cwd, &["vault", "status"])
        .env("HOME", root)
        .env("LEADVAULT_DATA_DIR", "~/leads")
        .output()
        .unwrap();
    let err = common::fails(out, &["LEADVAULT_DATA_DIR=~/leads"]);
    assert!(err.contains("no vault at ~/leads"), "{err}");
}

/// The connection hints (a sync with nothing to sync, a list with no connections, an empty
/// pasted token) name the `--data-dir` typed too: their command, run as printed, reaches that
/// vault, where `leadvault connect …` alone connected in the usual folder's vault (or found
/// none). The sign-in-again commands of `sync`, `connections test` and `list` are checked
/// against the fakes in connections.rs and sync.rs.
#[test]
fn connection_hints_name_the_data_dir_typed() {
    let sb = Sandbox::new();
    let root = sb.root.path();
    let dir = root.join("my vault's");
    let dir_arg = dir.to_str().unwrap();
    assert!(leadvault(root, &["--data-dir", dir_arg, "init"]).status().unwrap().success());

    for (args, stdout) in [
        (&["sync"][..], false),
        (&["connections", "list"][..], true),
        (&["connect", "hubspot", "--token-stdin"][..], false),
    ] {
        let out = leadvault(root, &[&["--data-dir", dir_arg][..], args].concat())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let said = text(if stdout { &out.stdout } else { &out.stderr });
        let hint = quoted_command(&said);
        let Some((me, _)) = hint.split_once(" connect ") else { panic!("{args:?}: {said}") };
        assert!(me.starts_with("leadvault --data-dir "), "{args:?}: {said}");
        // Its way of calling leadvault is this vault's: it lists this vault's connections.
        let listed = run_in_shell(root, &format!("{me} connections list"));
        assert!(listed.status.success(), "{me}: {}", text(&listed.stderr));
    }
    assert!(!root.join(".local").exists(), "nothing went to the usual folder");
}
