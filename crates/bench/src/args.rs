//! The command line: a handful of flags, parsed by hand so every mistake is one line.

use std::path::PathBuf;

use crate::Fail;

pub const USAGE: &str = "\
leadvault-bench: measures Leadvault against plain sqlite3 on the same generated Meta leads.

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

/// `None` when help was asked for.
pub fn parse(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, Fail> {
    let mut args = Args::default();
    while let Some(arg) = argv.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = |name: &str| {
            inline.clone().or_else(|| argv.next()).ok_or_else(|| Fail(format!("{name} needs a value")))
        };
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
    fn mistakes_are_one_line() {
        for bad in [&["--leads"][..], &["--leads", "many"], &["--leads", "0"], &["--fast"]] {
            let e = parsed(bad).unwrap_err();
            assert!(!e.0.contains('\n'), "{}", e.0);
        }
    }
}
