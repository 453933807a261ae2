//! The vault on disk: encrypted from the first byte, locked to its key, honest when it can't open.

mod common;

use common::{Sandbox, files_under, fixture};

#[test]
fn init_creates_an_encrypted_file_that_never_starts_with_the_sqlite_header() {
    let sb = Sandbox::new();
    let out = sb.ok(&["init"]);
    assert!(out.contains("Created an encrypted vault"), "{out}");
    let db = std::fs::read(sb.data_dir().join("vault.db")).unwrap();
    assert!(db.len() >= 4096);
    assert_ne!(&db[..16], b"SQLite format 3\0");
    let status = sb.json(&["vault", "status", "--json"]);
    assert_eq!(status["key_source"], "keychain");
    assert_eq!(status["leads"], 0);
    // The newest migration's number (numbers may skip one another branch has taken).
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../core/migrations"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.split('_').next()?.parse::<u64>().ok())
        .max()
        .unwrap();
    assert_eq!(status["schema_version"], newest, "every migration runs on create");
    assert!(status["size_bytes"].as_u64().unwrap() > 0);
    assert!(status["path"].as_str().unwrap().ends_with("vault.db"));
}

#[test]
fn no_plaintext_of_any_lead_field_reaches_the_disk_or_the_logs() {
    let sb = Sandbox::new();
    sb.init();
    let marker = "Zq7MarkerXk9";
    let csv = sb.path("marked.csv");
    std::fs::write(
        &csv,
        format!(
            "name,email,phone,company,notes_field\n{marker} Person,{m}@example.com,+1 555 010 9191,{marker} Corp,{marker} answer\n",
            m = marker.to_lowercase()
        ),
    )
    .unwrap();
    sb.ok(&["import", csv.to_str().unwrap()]);
    std::fs::remove_file(&csv).unwrap();
    let id = sb.json(&["leads", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
    sb.ok(&["leads", "update", &id, "--note", &format!("{marker} called back"), "--add-tag", "marker"]);
    sb.ok(&["leads", "list", "--search", marker]);
    for out in ["view.json", "view.xlsx", "view.csv"] {
        sb.ok(&["export", "--out", sb.path(out).to_str().unwrap()]);
        std::fs::remove_file(sb.path(out)).unwrap();
    }

    let files = files_under(sb.root.path());
    assert!(files.iter().any(|f| f.ends_with("vault.db")));
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("leadvault") && f.extension().is_some_and(|e| e == "log")),
        "a log file is written: {files:?}"
    );
    let needles: Vec<Vec<u8>> =
        [marker.to_string(), marker.to_lowercase(), "5550109191".into(), "555 010 9191".into()]
            .into_iter()
            .map(String::into_bytes)
            .collect();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_slice()),
                "{} holds plaintext {:?}",
                f.display(),
                String::from_utf8_lossy(n)
            );
        }
    }
}

#[test]
fn a_wrong_passphrase_is_refused_in_one_line_and_leaves_the_file_untouched() {
    let sb = Sandbox::new();
    let out = sb.command(&["init"]).env("LEADVAULT_PASSPHRASE", "correct horse battery").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let imp = sb
        .command(&["import", &fixture("generic.csv")])
        .env("LEADVAULT_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert!(imp.status.success());
    let db = sb.data_dir().join("vault.db");
    let before = std::fs::read(&db).unwrap();

    let out =
        sb.command(&["leads", "list"]).env("LEADVAULT_PASSPHRASE", "wrong horse battery").output().unwrap();
    let err = common::fails(out, &["leads list with a wrong passphrase"]);
    assert!(err.contains("the vault key does not match this database"), "{err}");
    assert!(err.contains("LEADVAULT_PASSPHRASE"), "{err}");
    assert!(!err.contains("hmac"), "SQLCipher's own log stays quiet: {err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the vault's bytes are unchanged");

    // A passphrase from a named variable works the same way.
    let out = sb
        .command(&["--passphrase-env", "MY_PASS", "vault", "status", "--json"])
        .env("MY_PASS", "correct horse battery")
        .output()
        .unwrap();
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["key_source"], "passphrase");
    assert_eq!(status["leads"], 2);
}

#[test]
fn a_passphrase_vault_opened_without_one_says_how_to_unlock_it() {
    let sb = Sandbox::new();
    let out = sb.command(&["init"]).env("LEADVAULT_PASSPHRASE", "correct horse battery").output().unwrap();
    assert!(out.status.success());
    // init says so before the next command finds the vault locked.
    let said = String::from_utf8(out.stdout).unwrap();
    let dir = sb.data_dir().display().to_string();
    assert!(
        said.contains(&format!(
            "Next: leadvault --data-dir {dir} import FILE, with LEADVAULT_PASSPHRASE set"
        )),
        "{said}"
    );
    let other = Sandbox::new();
    let out = other
        .command(&["--passphrase-env", "MY_PASS", "init"])
        .env("MY_PASS", "correct horse battery")
        .output();
    let said = String::from_utf8(out.unwrap().stdout).unwrap();
    assert!(
        said.contains(&format!(
            "Next: leadvault --data-dir {} --passphrase-env MY_PASS import FILE, with MY_PASS set",
            other.data_dir().display()
        )),
        "{said}"
    );
    let err = sb.fails(&["vault", "status"]);
    assert!(
        err.contains(
            "locked with a passphrase: export LEADVAULT_PASSPHRASE='your passphrase' and run the command again \
             (or --passphrase-env NAME to read it from another variable)"
        ),
        "what to type, not --passphrase-env VAR: {err}"
    );
    let err = sb.fails(&["--passphrase-env", "NOT_SET_ANYWHERE", "vault", "status"]);
    assert!(err.contains("NOT_SET_ANYWHERE is not set"), "{err}");
}

#[test]
fn a_missing_keychain_entry_gets_its_own_message() {
    let sb = Sandbox::new();
    sb.init();
    let account = format!("vault:{}", std::fs::canonicalize(sb.data_dir()).unwrap().display());
    let cleared = std::process::Command::new("secret-tool")
        .args(["clear", "service", "leadvault", "username", &account])
        .status()
        .expect("secret-tool (libsecret-tools) is installed");
    assert!(cleared.success());
    let before = std::fs::read(sb.data_dir().join("vault.db")).unwrap();
    let err = sb.fails(&["leads", "list"]);
    assert!(err.contains("the OS keychain has no key for the vault"), "{err}");
    assert!(
        err.ends_with(
            "if this vault uses a passphrase, export LEADVAULT_PASSPHRASE='your passphrase' and run the command \
             again (or --passphrase-env NAME to read it from another variable)\n"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(sb.data_dir().join("vault.db")).unwrap(), before);
}

#[test]
fn no_keychain_service_at_all_says_how_to_proceed() {
    let sb = Sandbox::new();
    let out = sb
        .command(&["init"])
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", sb.path("no-bus").display()))
        .output()
        .unwrap();
    let err = common::fails(out, &["init without a keychain"]);
    assert!(err.contains("no OS keychain is available"), "{err}");
    // What to type, where it said `--passphrase-env VAR` and a new user did not know what VAR was.
    assert!(
        err.trim_end().ends_with(&format!(
            ": unlock your keyring and try again, or lock the vault with a passphrase instead: export \
             LEADVAULT_PASSPHRASE='a long passphrase' and run `leadvault --data-dir {} init` again (or \
             --passphrase-env NAME to read it from another variable)",
            sb.data_dir().display()
        )),
        "{err}"
    );
    assert!(!err.contains("VAR"), "{err}");
    assert!(!sb.data_dir().join("vault.db").exists(), "nothing is created without a key to keep");
}

/// A keychain vault opened with no keychain at all says to unlock it, and what a passphrase
/// vault would need typed, where it said `--passphrase-env VAR`.
#[test]
fn opening_a_keychain_vault_without_any_keychain_says_what_to_type() {
    let sb = Sandbox::new();
    sb.init();
    let before = std::fs::read(sb.data_dir().join("vault.db")).unwrap();
    let out = sb
        .command(&["leads", "list"])
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", sb.path("no-bus").display()))
        .output()
        .unwrap();
    let err = common::fails(out, &["leads list without a keychain"]);
    assert!(err.starts_with("error: no OS keychain is available ("), "{err}");
    assert!(
        err.trim_end().ends_with(
            "): unlock your keyring and try again; a vault locked with a passphrase opens without it: export \
             LEADVAULT_PASSPHRASE='your passphrase' and run the command again (or --passphrase-env NAME to read \
             it from another variable)"
        ),
        "{err}"
    );
    assert!(!err.contains("VAR"), "{err}");
    assert_eq!(std::fs::read(sb.data_dir().join("vault.db")).unwrap(), before, "the vault as it was");
}

#[test]
fn rekey_without_a_keychain_names_the_new_passphrase_flag() {
    let sb = Sandbox::new();
    let with_passphrase = |args: &[&str]| {
        let mut cmd = sb.command(args);
        cmd.env("LEADVAULT_PASSPHRASE", "correct horse battery");
        cmd
    };
    assert!(with_passphrase(&["init"]).output().unwrap().status.success());
    let out = with_passphrase(&["vault", "rekey"])
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", sb.path("no-bus").display()))
        .output()
        .unwrap();
    let err = common::fails(out, &["rekey without a keychain"]);
    assert!(err.contains("no OS keychain is available"), "{err}");
    assert!(
        err.trim_end().ends_with(&format!(
            "or give the vault a new passphrase instead: export NEW_PASSPHRASE='a long passphrase' and run \
             `leadvault --data-dir {} vault rekey --new-passphrase-env NEW_PASSPHRASE`",
            sb.data_dir().display()
        )),
        "what to type, not --new-passphrase-env VAR: {err}"
    );
    assert!(!err.contains("--passphrase-env"), "not the flag that unlocks: {err}");
    // Still opens with its passphrase.
    let ok = with_passphrase(&["vault", "status", "--json"]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

/// `chattr +i` on `dir` (root on ext4 makes it read-only even to root), undone on drop.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(dir: &std::path::Path) -> Option<Immutable> {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Immutable(dir.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_data_folder_is_named_as_such_by_every_command() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let before = std::fs::read(sb.data_dir().join("vault.db")).unwrap();
    let Some(_frozen) = Immutable::set(&sb.data_dir()) else {
        println!("note: skipped, chattr +i is not available here (needs root on ext4)");
        return;
    };
    for args in [
        &["vault", "status"][..],
        &["leads", "list"],
        &["vault", "check"],
        &["import", &fixture("generic.csv")],
    ] {
        let err = sb.fails(args);
        assert!(
            err.contains(&format!(
                "the vault's data folder {} cannot be opened for writing",
                sb.data_dir().display()
            )),
            "{args:?}: {err}"
        );
        assert!(err.contains("read-only"), "{err}");
        assert!(!err.contains("vault status"), "no advice to run what fails the same: {err}");
    }
    drop(_frozen);
    assert_eq!(std::fs::read(sb.data_dir().join("vault.db")).unwrap(), before, "nothing changed");
}

#[test]
fn a_read_only_vault_file_is_named_when_a_change_is_refused() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let leads = sb.json(&["leads", "list", "--json"]);
    let id = leads[0]["id"].as_str().unwrap().to_string();
    let Some(_frozen) = Immutable::set(&sb.data_dir().join("vault.db")) else {
        println!("note: skipped, chattr +i is not available here (needs root on ext4)");
        return;
    };
    let err = sb.fails(&["leads", "update", &id, "--status", "won"]);
    assert!(
        err.contains(&format!(
            "the vault's data folder {} cannot be opened for writing",
            sb.data_dir().display()
        )),
        "{err}"
    );
    drop(_frozen);
    assert_eq!(sb.json(&["leads", "show", &id, "--json"])["status"], "new");
}

#[test]
fn a_data_dir_that_is_a_file_or_an_import_of_a_folder_says_what_to_give() {
    let sb = Sandbox::new();
    std::fs::write(sb.data_dir(), "not a folder").unwrap();
    for args in [&["init"][..], &["vault", "status"]] {
        let err = sb.fails(args);
        assert!(
            err.contains("is a file, not a folder; choose a folder for the vault's data"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read(sb.data_dir()).unwrap(), b"not a folder", "the file is left as it was");

    let sb = Sandbox::new();
    sb.init();
    std::fs::create_dir(sb.path("leads")).unwrap();
    let err = sb.fails(&["import", &sb.path("leads").display().to_string()]);
    assert!(err.contains("is a folder; give the file to import"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0);
}

#[test]
fn init_twice_refuses_and_keeps_the_first_vault() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let err = sb.fails(&["init"]);
    assert!(err.contains("a vault already exists"), "{err}");
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 2);
}

#[test]
fn commands_on_a_missing_vault_say_to_run_init() {
    let sb = Sandbox::new();
    let err = sb.fails(&["leads", "list"]);
    // In the folder this command looked in, not the usual one.
    assert!(err.contains(&format!("leadvault --data-dir {} init", sb.data_dir().display())), "{err}");
    assert!(!sb.data_dir().join("vault.db").exists(), "no empty vault is created by accident");
}

#[test]
fn rekey_to_a_new_random_key_keeps_the_leads_and_rotates_the_keychain_entry() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let account = format!("vault:{}", std::fs::canonicalize(sb.data_dir()).unwrap().display());
    let lookup = || {
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "service", "leadvault", "username", &account])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let old_key = lookup();
    assert_eq!(old_key.len(), 64, "a 32-byte key, hex");
    let salt_before = std::fs::read(sb.data_dir().join("vault.db")).unwrap()[..16].to_vec();
    sb.ok(&["vault", "rekey"]);
    let new_key = lookup();
    assert_eq!(new_key.len(), 64);
    assert_ne!(old_key, new_key);
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 2);
    assert_eq!(std::fs::read(sb.data_dir().join("vault.db")).unwrap()[..16], salt_before[..]);

    // Put the old key back in the keychain: it no longer opens the vault.
    let mut store = std::process::Command::new("secret-tool")
        .args(["store", "--label=old", "service", "leadvault", "username", &account])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    store.stdin.take().unwrap().write_all(old_key.as_bytes()).unwrap();
    assert!(store.wait().unwrap().success());
    let err = sb.fails(&["leads", "list"]);
    assert!(err.contains("the vault key does not match this database"), "{err}");
}

#[test]
fn rekey_to_a_passphrase_and_back() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let out = sb
        .command(&["vault", "rekey", "--new-passphrase-env", "NEWPASS"])
        .env("NEWPASS", "a new passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The keychain entry is gone: without the passphrase the vault stays shut.
    let err = sb.fails(&["leads", "list"]);
    assert!(err.contains("passphrase"), "{err}");
    let wrong =
        sb.command(&["leads", "list"]).env("LEADVAULT_PASSPHRASE", "not the passphrase").output().unwrap();
    assert!(common::fails(wrong, &["old"]).contains("does not match"));
    let ok = sb
        .command(&["vault", "status", "--json"])
        .env("LEADVAULT_PASSPHRASE", "a new passphrase")
        .output()
        .unwrap();
    assert!(ok.status.success());
    let s: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!((s["key_source"].as_str(), s["leads"].as_i64()), (Some("passphrase"), Some(2)));

    // And back to a random key in the keychain; the passphrase then no longer matters.
    let out =
        sb.command(&["vault", "rekey"]).env("LEADVAULT_PASSPHRASE", "a new passphrase").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(sb.json(&["vault", "status", "--json"])["key_source"], "keychain");
}

#[test]
fn a_short_passphrase_is_refused_before_anything_is_created() {
    let sb = Sandbox::new();
    let out = sb.command(&["init"]).env("LEADVAULT_PASSPHRASE", "short").output().unwrap();
    let err = common::fails(out, &["init"]);
    assert!(err.contains("at least 8 characters"), "{err}");
    assert!(!sb.data_dir().exists() || !sb.data_dir().join("vault.db").exists());
}

#[test]
fn a_short_wrong_passphrase_is_a_wrong_key_but_a_short_new_one_is_refused() {
    let sb = Sandbox::new();
    let out = sb.command(&["init"]).env("LEADVAULT_PASSPHRASE", "correct horse battery").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let db = sb.data_dir().join("vault.db");
    let before = std::fs::read(&db).unwrap();

    let out = sb.command(&["leads", "list"]).env("LEADVAULT_PASSPHRASE", "short").output().unwrap();
    let err = common::fails(out, &["leads list with a short wrong passphrase"]);
    assert!(err.contains("the vault key does not match this database"), "{err}");
    assert!(!err.contains("too short"), "{err}");
    // Set but empty is a mistake in the environment, said as such.
    let out = sb.command(&["leads", "list"]).env("LEADVAULT_PASSPHRASE", "").output().unwrap();
    let err = common::fails(out, &["leads list with an empty passphrase variable"]);
    assert!(err.contains("LEADVAULT_PASSPHRASE is set but empty"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the vault's bytes are unchanged");

    // The flag a missing variable was named by is the one the message names.
    let out = sb
        .command(&["vault", "rekey", "--new-passphrase-env", "LV_UNSET_VAR"])
        .env("LEADVAULT_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    let err = common::fails(out, &["rekey from an unset variable"]);
    assert!(err.contains("--new-passphrase-env LV_UNSET_VAR: the variable LV_UNSET_VAR is not set"), "{err}");
    // The passphrase it already has is no new passphrase.
    let out = sb
        .command(&["vault", "rekey", "--new-passphrase-env", "NEWPASS"])
        .env("LEADVAULT_PASSPHRASE", "correct horse battery")
        .env("NEWPASS", "correct horse battery")
        .output()
        .unwrap();
    let err = common::fails(out, &["rekey to the same passphrase"]);
    assert!(err.contains("already has, so nothing was changed"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the vault's bytes are unchanged");

    // A new passphrase is still chosen at 8 characters or more.
    let out = sb
        .command(&["vault", "rekey", "--new-passphrase-env", "NEWPASS"])
        .env("LEADVAULT_PASSPHRASE", "correct horse battery")
        .env("NEWPASS", "short")
        .output()
        .unwrap();
    let err = common::fails(out, &["rekey to a short passphrase"]);
    assert!(err.contains("at least 8 characters"), "{err}");
    let ok = sb
        .command(&["vault", "status"])
        .env("LEADVAULT_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert!(ok.status.success(), "the old passphrase still opens it");
}

#[test]
fn commands_without_a_vault_create_no_folder_not_even_for_logs() {
    let sb = Sandbox::new();
    let csv = fixture("generic.csv");
    let out = sb.path("out.csv");
    let before = files_under(sb.root.path());
    for args in [
        &["vault", "status"][..],
        &["vault", "check"],
        &["leads", "list"],
        &["import", &csv],
        &["export", "--out", out.to_str().unwrap()],
        &["connections", "list"],
        &["ads", "history"],
        &["sync"],
    ] {
        let err = sb.fails(args);
        assert!(
            err.contains("no vault at")
                && err.contains(&format!(
                    "create one with `leadvault --data-dir {} init`",
                    sb.data_dir().display()
                )),
            "{args:?}: {err}"
        );
        assert!(!sb.data_dir().exists(), "{args:?} created the data dir");
    }
    assert_eq!(files_under(sb.root.path()), before, "the file system is as it was");
    assert!(std::fs::read_dir(sb.root.path().join("tmp")).unwrap().next().is_none());

    // An init that fails (a passphrase too short) makes nothing either.
    let short = sb.command(&["init"]).env("LEADVAULT_PASSPHRASE", "short").output().unwrap();
    assert!(common::fails(short, &["init"]).contains("too short"));
    assert!(!sb.data_dir().exists(), "a failed init left the data dir");

    // init makes the folder, and the logs go into it.
    sb.init();
    assert!(sb.data_dir().join("logs").is_dir());
}

#[test]
fn a_damaged_vault_file_says_so_and_how_to_recover_not_to_check_it_again() {
    let sb = Sandbox::new();
    let pass = |args: &[&str]| {
        sb.command(args).env("LEADVAULT_PASSPHRASE", "correct horse battery").output().unwrap()
    };
    assert!(pass(&["init"]).status.success());
    assert!(pass(&["import", &fixture("generic.csv")]).status.success());
    let db = sb.data_dir().join("vault.db");
    let good = std::fs::read(&db).unwrap();

    // Cut short, as a failed copy leaves it.
    std::fs::write(&db, &good[..20_000]).unwrap();
    for args in [&["leads", "list"][..], &["vault", "status"], &["vault", "check"]] {
        let err = common::fails(pass(args), args);
        assert!(err.contains("the vault file is damaged"), "{args:?}: {err}");
        assert!(err.contains("from a backup"), "{err}");
        assert!(!err.contains("vault status") && !err.contains("does not match"), "{err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), good[..20_000], "left as it was");

    // A page overwritten, in part or whole: the integrity check cannot even run, and that is
    // the damage; a command that reads the page says so too (one that never reads it works).
    for (from, to) in [(4096 * 3 + 100, 4096 * 3 + 600), (8192, 8192 + 4096)] {
        let mut bad = good.clone();
        bad[from..to].fill(0);
        std::fs::write(&db, &bad).unwrap();
        for args in [&["leads", "list"][..], &["vault", "status"]] {
            let out = pass(args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() || err.contains("the vault file is damaged"), "{args:?}: {err}");
        }
        let err = common::fails(pass(&["vault", "check"]), &["vault check"]);
        assert!(err.contains("the vault file is damaged") && err.contains("from a backup"), "{err}");
    }
    // The page the schema's check reads on every open: every command says so.
    let err = common::fails(pass(&["vault", "status"]), &["vault status"]);
    assert!(err.contains("the vault file is damaged"), "{err}");
}

#[test]
fn an_unreadable_settings_file_is_named_when_the_vault_does_not_open() {
    // A keychain vault, a passphrase left in the environment: the settings file says to ignore it.
    let sb = Sandbox::new();
    sb.init();
    let settings = sb.data_dir().join("vault.json");
    std::fs::write(&settings, "{\"key_sou").unwrap();
    let db = sb.data_dir().join("vault.db");
    let before = std::fs::read(&db).unwrap();
    let out = sb.command(&["leads", "list"]).env("LEADVAULT_PASSPHRASE", "some passphrase").output().unwrap();
    let err = common::fails(out, &["leads list with an unreadable vault.json"]);
    assert!(
        err.contains("settings file") && err.contains("vault.json") && err.contains("cannot be read"),
        "{err}"
    );
    assert!(err.contains("\"key_source\": \"keychain\""), "says what to write: {err}");
    assert!(!err.contains("does not match"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), "{\"key_sou", "left for the owner to fix");

    // What it says to write works.
    std::fs::write(&settings, "{\"key_source\": \"keychain\"}").unwrap();
    let out = sb.command(&["leads", "list"]).env("LEADVAULT_PASSPHRASE", "some passphrase").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A passphrase vault without its passphrase: the same, not "no key in the keychain".
    let sb = Sandbox::new();
    assert!(
        sb.command(&["init"])
            .env("LEADVAULT_PASSPHRASE", "correct horse battery")
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(sb.data_dir().join("vault.json"), [0xff, 0xfe, 0x00]).unwrap();
    let err = sb.fails(&["vault", "status"]);
    assert!(err.contains("settings file") && err.contains("\"passphrase\""), "{err}");
}
