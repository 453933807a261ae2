//! The command line: a handful of flags, parsed by hand so every mistake is one line.

use std::path::PathBuf;

use crate::Fail;

pub const USAGE: &str = "\
leadvault-bench: measures Leadvault against plain sqlite3 on the same generated Meta leads.
`leadvault-bench sync --help` tells of the sync benchmark (Leadvault against Meta's SDK).

Usage: leadvault-bench [--leads N] [--seed S] [--work-dir DIR] [--keep] [--json] [--generate-only]

  --leads N        how many leads to generate and import (default 1000000)
  --seed S         the generator's seed; the same N and seed give the same file (default 42)
  --work-dir DIR   where the lead file, the vault and the reference database go
                   (default target/bench-data)
  --keep           keep the vault, the reference database and the exports afterwards
  --json           print the results as JSON instead of a table
  --generate-only  write (or reuse) the lead file, print its path and stop
  -h, --help       print this help";

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub leads: u64,
    pub seed: u64,
    pub work_dir: PathBuf,
    pub keep: bool,
    pub json: bool,
    pub generate_only: bool,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            leads: 1_000_000,
            seed: 42,
            work_dir: PathBuf::from("target/bench-data"),
            keep: false,
            json: false,
            generate_only: false,
        }
    }
}

/// `--flag=value` as (`--flag`, the value); any other argument as itself.
fn split_flag(arg: String) -> (String, Option<String>) {
    match arg.split_once('=') {
        Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
        _ => (arg, None),
    }
}

/// A flag's value: the one after `=`, or the next argument.
fn flag_value(
    name: &str,
    inline: &Option<String>,
    argv: &mut impl Iterator<Item = String>,
) -> Result<String, Fail> {
    inline.clone().or_else(|| argv.next()).ok_or_else(|| Fail(format!("{name} needs a value")))
}

/// `None` when help was asked for.
pub fn parse(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, Fail> {
    let mut args = Args::default();
    while let Some(arg) = argv.next() {
        let (flag, inline) = split_flag(arg);
        let mut value = |name: &str| flag_value(name, &inline, &mut argv);
        match flag.as_str() {
            "--leads" => {
                args.leads = number("--leads", &value("--leads")?)?;
                if args.leads == 0 {
                    return Err(Fail("--leads must be at least 1".into()));
                }
            }
            "--seed" => args.seed = number("--seed", &value("--seed")?)?,
            "--work-dir" => args.work_dir = PathBuf::from(value("--work-dir")?),
            "--keep" => args.keep = true,
            "--json" => args.json = true,
            "--generate-only" => args.generate_only = true,
            "-h" | "--help" => return Ok(None),
            other => {
                return Err(Fail(format!("unknown argument {other:?}; see leadvault-bench --help")));
            }
        }
    }
    Ok(Some(args))
}

pub const SYNC_USAGE: &str = "\
leadvault-bench sync: syncs N leads from the fake Meta server into a fresh vault with
`leadvault sync`, and reads the same leads from the same server with Meta's Python SDK
(facebook-business); prints leads/s, peak RSS and the ratio. Run it through
scripts/bench-sync.sh (make bench-sync), which installs the SDK and gives it a private D-Bus
session with a throwaway keyring for the connection's token.

Usage: leadvault-bench sync [--leads N] [--runs R] [--seed S] [--python PATH] [--bin-dir DIR]
                            [--work-dir DIR] [--json]

  --leads N        how many leads the fake Meta server holds and both read (default 100000)
  --runs R         measured runs, each on a fresh fake server and vault; the table shows the
                   median run's figures and the largest peak RSS (default 1)
  --seed S         the fake's seed (default 42)
  --python PATH    the Python with facebook-business installed (default python3)
  --bin-dir DIR    where the release leadvault and leadvault-fakes are (default: beside this
                   program)
  --work-dir DIR   where the vaults and the children's output go (default target/bench-data)
  --json           print the results as JSON instead of a table
  -h, --help       print this help";

#[derive(Debug, Clone, PartialEq)]
pub struct SyncArgs {
    pub leads: u64,
    pub runs: usize,
    pub seed: u64,
    pub python: PathBuf,
    pub bin_dir: Option<PathBuf>,
    pub work_dir: PathBuf,
    pub json: bool,
}

impl Default for SyncArgs {
    fn default() -> SyncArgs {
        SyncArgs {
            leads: 100_000,
            runs: 1,
            seed: 42,
            python: PathBuf::from("python3"),
            bin_dir: None,
            work_dir: PathBuf::from("target/bench-data"),
            json: false,
        }
    }
}

/// The arguments after `sync`; `None` when help was asked for.
pub fn parse_sync(mut argv: impl Iterator<Item = String>) -> Result<Option<SyncArgs>, Fail> {
    let mut args = SyncArgs::default();
    while let Some(arg) = argv.next() {
        let (flag, inline) = split_flag(arg);
        let mut value = |name: &str| flag_value(name, &inline, &mut argv);
        match flag.as_str() {
            "--leads" => {
                args.leads = number("--leads", &value("--leads")?)?;
                if args.leads == 0 {
                    return Err(Fail("--leads must be at least 1".into()));
                }
            }
            "--runs" => {
                args.runs = usize::try_from(number("--runs", &value("--runs")?)?)
                    .map_err(|_| Fail("--runs is too large".into()))?;
                if args.runs == 0 {
                    return Err(Fail("--runs must be at least 1".into()));
                }
            }
            "--seed" => args.seed = number("--seed", &value("--seed")?)?,
            "--python" => args.python = PathBuf::from(value("--python")?),
            "--bin-dir" => args.bin_dir = Some(PathBuf::from(value("--bin-dir")?)),
            "--work-dir" => args.work_dir = PathBuf::from(value("--work-dir")?),
            "--json" => args.json = true,
            "-h" | "--help" => return Ok(None),
            other => {
                return Err(Fail(format!("unknown argument {other:?}; see leadvault-bench sync --help")));
            }
        }
    }
    Ok(Some(args))
}

/// A whole number; `1_000_000` and `1,000,000` are accepted too.
fn number(flag: &str, raw: &str) -> Result<u64, Fail> {
    raw.replace(['_', ','], "").parse().map_err(|_| Fail(format!("{flag} takes a whole number, not {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Option<Args>, Fail> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_parse_with_spaces_or_equals() {
        let a = parsed(&["--leads", "20_000", "--seed=7", "--work-dir", "/tmp/x", "--keep", "--json"])
            .unwrap()
            .unwrap();
        let expected = Args {
            leads: 20_000,
            seed: 7,
            work_dir: "/tmp/x".into(),
            keep: true,
            json: true,
            generate_only: false,
        };
        assert_eq!(a, expected);
        assert!(parsed(&["--generate-only"]).unwrap().unwrap().generate_only);
        assert_eq!(parsed(&[]).unwrap().unwrap(), Args::default());
        assert!(parsed(&["--help"]).unwrap().is_none());
    }

    #[test]
    fn sync_flags_parse() {
        let sync = |args: &[&str]| parse_sync(args.iter().map(|s| s.to_string()));
        let a =
            sync(&["--leads=2,000", "--runs", "3", "--python", "/v/bin/python", "--bin-dir", "/b", "--json"])
                .unwrap()
                .unwrap();
        assert_eq!((a.leads, a.runs, a.json), (2_000, 3, true));
        assert_eq!((a.python, a.bin_dir), (PathBuf::from("/v/bin/python"), Some(PathBuf::from("/b"))));
        assert_eq!(sync(&[]).unwrap().unwrap(), SyncArgs::default());
        assert!(sync(&["-h"]).unwrap().is_none());
        for bad in [&["--runs", "0"][..], &["--leads", "0"], &["--python"], &["--keep"]] {
            let e = sync(bad).unwrap_err();
            assert!(!e.0.contains('\n'), "{}", e.0);
        }
    }

    #[test]
    fn mistakes_are_one_line() {
        for bad in [&["--leads"][..], &["--leads", "many"], &["--leads", "0"], &["--fast"]] {
            let e = parsed(bad).unwrap_err();
            assert!(!e.0.contains('\n'), "{}", e.0);
        }
    }
}
