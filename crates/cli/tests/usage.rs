//! Mistakes on the command line: one line that says what is wrong and where to read more, exit
//! code 2; `--help` and `--version` print as they always did.

mod common;

use common::Sandbox;

/// Runs `args`, insists on exit code 2 and a one-line message; returns it.
fn usage_error(sb: &Sandbox, args: &[&str]) -> String {
    let out = sb.run(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?} is a usage error (exit 2); stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?} should print one line, got: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(out.stdout.is_empty(), "nothing on standard output");
    err.trim_end().to_string()
}

#[test]
fn a_bad_value_or_a_missing_argument_is_one_line_naming_the_help_to_read() {
    let sb = Sandbox::new();
    let err = usage_error(&sb, &["leads", "list", "--limit", "-1"]);
    assert!(err.starts_with("error: invalid value '-1' for '--limit <N>': "), "{err}");
    assert!(err.contains("whole number"), "{err}");
    assert!(err.ends_with("; see leadvault leads list --help"), "{err}");

    let err = usage_error(&sb, &["leads", "list", "--sort", "bogus"]);
    assert!(err.contains("invalid value 'bogus' for '--sort <SORT>'"), "{err}");
    assert!(err.contains("newest, oldest, score"), "the possible values stay: {err}");
    assert!(err.ends_with("; see leadvault leads list --help"), "{err}");

    let err = usage_error(&sb, &["leads", "list", "--status", "bogus"]);
    assert!(err.contains("expected new, contacted, qualified, won, lost or spam"), "{err}");
    assert!(err.ends_with("; see leadvault leads list --help"), "{err}");
    let err = usage_error(&sb, &["leads", "update", "01ABC", "--status", "hot"]);
    assert!(err.ends_with("; see leadvault leads update --help"), "{err}");
    for bad in ["2026/11/20", "last tuesday", "2026-11-20T25:00"] {
        let err = usage_error(&sb, &["export", "--out", "x.csv", "--until", bad]);
        assert!(err.contains("expected a day (2026-11-20) or a time"), "{err}");
        assert!(err.ends_with("; see leadvault export --help"), "{err}");
    }

    // A range no lead can be in: a usage error like a bad date, for both commands that take it,
    // where it exited 1 without the help to read.
    for (command, args) in [("leads list", &["leads", "list"][..]), ("export", &["export", "--out", "x.csv"])]
    {
        for (since, until) in [("2026-11-22", "2026-11-01"), ("2026-11-20T10:00", "2026-11-20T10:00")] {
            let err = usage_error(&sb, &[args, &["--since", since, "--until", until]].concat());
            assert!(
                err.starts_with("error: --since is not before --until, so no lead can match; swap them"),
                "{err}"
            );
            assert!(err.ends_with(&format!("; see leadvault {command} --help")), "{err}");
        }
    }

    let err = usage_error(&sb, &["sync", "--every", "5"]);
    assert!(err.contains("--watch"), "{err}");
    assert!(err.ends_with("; see leadvault sync --help"), "{err}");

    // An empty connection id, where it was looked up and said "no connection with id ;".
    for args in [&["sync", "--connection", ""][..], &["disconnect", " "], &["connections", "test", ""]] {
        let err = usage_error(&sb, args);
        assert!(
            err.contains("a connection's id is needed; list them with `leadvault connections list`"),
            "{err}"
        );
    }

    for (secs, says) in [("0", "at least 1 second"), ("-5", "1 or more"), ("soon", "1 or more")] {
        let err = usage_error(&sb, &["connect", "hubspot", "--timeout", secs]);
        assert!(err.contains(says), "{err}");
        assert!(err.ends_with("; see leadvault connect --help"), "{err}");
    }

    let err = usage_error(&sb, &["ads", "history", "--limit", "-3"]);
    assert!(err.ends_with("; see leadvault ads history --help"), "{err}");

    // An option's value is not taken for a subcommand, and a typo keeps clap's suggestion.
    let err = usage_error(&sb, &["--data-dir", "leads", "leads", "lis"]);
    assert!(err.contains("'lis'") && err.contains("'list'"), "{err}");
    assert!(err.ends_with("; see leadvault leads --help"), "{err}");

    assert!(!sb.data_dir().exists(), "a refused command line touches nothing");
}

#[test]
fn a_mistyped_format_is_a_usage_error_and_a_format_in_capitals_is_taken() {
    let sb = Sandbox::new();
    let err = usage_error(&sb, &["import", "leads.csv", "--format", "metacsv"]);
    assert!(err.starts_with("error: invalid value 'metacsv' for '--format <FORMAT>': "), "{err}");
    assert!(err.contains("auto, csv, meta-csv, google-ads-csv, leadvault-csv or json"), "{err}");
    assert!(err.ends_with("; see leadvault import --help"), "{err}");
    let err = usage_error(&sb, &["export", "--out", "leads.xls", "--format", "xls"]);
    assert!(
        err.contains("invalid value 'xls' for '--format <FORMAT>': expected csv, xlsx, json or ndjson"),
        "{err}"
    );
    assert!(err.ends_with("; see leadvault export --help"), "{err}");
    assert!(!sb.data_dir().exists(), "refused before the vault is looked for");

    // `--format CSV` is csv, for an import as for an export.
    let with_pass = |args: &[&str]| {
        let out = sb.command(args).env("LEADVAULT_PASSPHRASE", "correct horse battery").output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    with_pass(&["init"]);
    let generic = common::fixture("generic.csv");
    let report = with_pass(&["import", &generic, "--format", "CSV", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["format"], "csv", "{report}");
    let out = sb.path("leads.out");
    with_pass(&["export", "--out", out.to_str().unwrap(), "--format", "NDJSON"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}

#[test]
fn a_negative_or_oversized_number_says_what_is_wrong_with_it() {
    let sb = Sandbox::new();
    let err = usage_error(&sb, &["leads", "list", "--limit", "99999999999999999999"]);
    assert!(
        err.contains("invalid value '99999999999999999999' for '--limit <N>': a number that large"),
        "{err}"
    );
    assert!(err.contains("use 0 for all"), "{err}");
    let err = usage_error(&sb, &["ads", "history", "--limit", "5000000000"]);
    assert!(err.contains("a number that large"), "{err}");
    // demo's numbers: a negative one is a bad value, not an unknown flag.
    for flag in ["--leads", "--seed", "--follow"] {
        let err = usage_error(&sb, &["demo", flag, "-5"]);
        assert!(err.contains(&format!("invalid value '-5' for '{flag} ")), "{err}");
        assert!(err.contains("expected a whole number, 0 or more"), "{err}");
        assert!(err.ends_with("; see leadvault demo --help"), "{err}");
    }
    assert!(!sb.data_dir().exists(), "a refused command line touches nothing");
}

#[test]
fn help_and_version_print_as_before() {
    let sb = Sandbox::new();
    let out = sb.run(&["leads", "list", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: leadvault leads list [OPTIONS]") && help.contains("--limit <N>"), "{help}");
    assert!(help.lines().count() > 10, "{help}");
    assert!(out.stderr.is_empty());

    let out = sb.run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("leadvault {}\n", env!("CARGO_PKG_VERSION")));

    // A command without its subcommand still shows that command's help, as a usage error.
    let out = sb.run(&["leads"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Commands:"));
}

#[test]
fn an_empty_leadvault_data_dir_is_named_and_never_taken_for_the_usual_folder() {
    let sb = Sandbox::new();
    let home = sb.path("home");
    std::fs::create_dir_all(&home).unwrap();
    for args in [&["vault", "status"][..], &["init"], &["leads", "list"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadvault"))
            .args(args)
            .env("LEADVAULT_DATA_DIR", "")
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("LEADVAULT_PASSPHRASE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // It had said "a value is required for '--data-dir <DIR>'", which was never typed.
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("error: LEADVAULT_DATA_DIR is set but empty; "), "{err}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0, "nothing made in the home folder");

    // Typed empty, it is the command line's mistake, as before.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadvault"))
        .args(["--data-dir", "", "vault", "status"])
        .env("LEADVAULT_DATA_DIR", "")
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--data-dir <DIR>'"));
}
