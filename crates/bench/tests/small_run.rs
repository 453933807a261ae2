//! `make bench` end to end on a small file: every comparison and target is printed, and the
//! like-for-like reference works (it loads the vault's own schema, and the run fails if its
//! export's columns are not Leadvault's). No time is asserted: the machines are shared.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// `leadvault-bench --leads 300 --json` in `dir`, with `extra` flags: its results.
fn bench(dir: &Path, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_leadvault-bench"))
        .args(["--leads", "300", "--json", "--work-dir"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "the bench failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A CSV file's rows (its header first), each cell as read.
fn rows(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn a_small_run_compares_with_plain_sqlite3_and_with_sqlite3_doing_the_same_work() {
    let dir = tempfile::tempdir().unwrap();
    let results = bench(dir.path(), &[]);

    let metrics: Vec<&str> =
        results["comparison"].as_array().unwrap().iter().map(|c| c["metric"].as_str().unwrap()).collect();
    for metric in [
        "import, rows/s (vs plain .import)",
        "import, rows/s (vs .import + FTS index)",
        "import, rows/s (vs loading the vault's schema)",
        "export CSV, rows/s (vs plain table dump)",
        "export CSV, rows/s (vs the same export)",
        "DB size, MiB (vs the vault's schema)",
    ] {
        assert!(metrics.contains(&metric), "{metric} is missing from {metrics:?}");
    }
    for c in results["comparison"].as_array().unwrap() {
        if c["unit"] != "ms" {
            assert!(c["leadvault"].as_f64().unwrap() > 0.0, "{c}");
            assert!(c["sqlite3"].as_f64().unwrap() > 0.0, "{c}");
        }
    }
    let same = &results["sqlite3_same_schema"];
    assert!(same["import_secs"].as_f64().unwrap() > 0.0, "{same}");
    assert!(same["export_secs"].as_f64().unwrap() > 0.0, "{same}");
    // The reference database holds the vault's B-trees and search index: bigger than the
    // plain table with its index.
    assert!(
        same["db_bytes"].as_u64().unwrap() > results["sqlite3"]["db_bytes"].as_u64().unwrap(),
        "{results}"
    );
    for share in ["sqlite3_fts_vs_plain", "sqlite3_same_schema_vs_plain"] {
        assert!(results[share].as_f64().unwrap() > 0.0, "{share}");
    }
    let targets: Vec<&str> =
        results["targets"].as_array().unwrap().iter().map(|t| t["target"].as_str().unwrap()).collect();
    assert_eq!(targets.len(), 6, "{targets:?}");
    assert!(targets.iter().any(|t| t.contains("strict reading")), "{targets:?}");
    assert_eq!(targets.iter().filter(|t| t.contains("like for like")).count(), 2, "{targets:?}");
    // Nothing is left behind without --keep but the generated file.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["meta-leads-v1-300-seed42.csv"], "{left:?}");
}

#[test]
fn the_like_for_like_export_writes_the_rows_leadvaults_export_writes() {
    let dir = tempfile::tempdir().unwrap();
    bench(dir.path(), &["--keep"]);
    let ours = rows(&dir.path().join("leadvault-export.csv"));
    let theirs = rows(&dir.path().join("reference-same-schema-export.csv"));
    assert_eq!(ours.len(), 301, "a header and 300 leads");
    assert_eq!(ours[0], theirs[0], "the same columns");
    // Every cell the same, but the lead's id (a ULID there, a counter here) and when it was
    // added (each side's own clock).
    let skip: Vec<usize> = ours[0]
        .iter()
        .enumerate()
        .filter(|(_, c)| *c == "id" || *c == "updated_at")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(skip.len(), 2, "{:?}", ours[0]);
    for (n, (a, b)) in ours.iter().zip(&theirs).enumerate().skip(1) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if !skip.contains(&i) {
                assert_eq!(x, y, "row {n}, column {}", ours[0][i]);
            }
        }
    }
    assert_eq!(ours.len(), theirs.len());
}
