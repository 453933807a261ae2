//! The reference: the `sqlite3` command line (plain, unencrypted SQLite, default settings) doing
//! the same work on the same file. Each step is one `sqlite3` process, timed as a whole, except
//! the queries: they all run in one process and are timed by its `.timer on` (1 ms resolution).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use leadvault_core::store::search::fts_query;
use serde::Serialize;

use crate::generate::HEADER;
use crate::stats::Latency;
use crate::{Fail, LIST_RUNS, PAGE, WARM_UP_RUNS, file_size, progress};

#[derive(Debug, Clone, Serialize)]
pub struct SqliteFigures {
    pub version: String,
    /// The `.import` alone.
    pub import_secs: f64,
    pub import_rows_per_sec: f64,
    /// Building the FTS5 index over the imported rows with `INSERT ... SELECT`.
    pub fts_secs: f64,
    /// Rows per second of the `.import` and the FTS index together.
    pub import_fts_rows_per_sec: f64,
    pub search: Latency,
    pub list: Latency,
    pub list_status: Latency,
    pub export_secs: f64,
    pub export_rows_per_sec: f64,
    pub db_bytes: u64,
}

/// The sqlite3 on the PATH and its version, or why not.
pub fn version() -> Result<String, Fail> {
    let out = Command::new("sqlite3").arg("--version").output().map_err(|e| {
        Fail(format!(
            "could not run sqlite3 ({e}); install it with scripts/setup.sh (Debian package sqlite3)"
        ))
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .next()
        .map(str::to_string)
        .ok_or_else(|| Fail("sqlite3 --version printed nothing".into()))
}

pub fn run(
    csv: &Path,
    work_dir: &Path,
    leads: u64,
    queries: &[String],
    keep: bool,
) -> Result<SqliteFigures, Fail> {
    let version = version()?;
    let db = work_dir.join("reference.db");
    remove_db(&db)?;
    let csv_arg = csv_arg(csv)?;
    let columns = HEADER.map(|c| format!("\"{c}\" TEXT")).join(", ");

    progress(format_args!("sqlite3: .import of {leads} rows"));
    let script = format!("CREATE TABLE leads ({columns});\n.import --csv --skip 1 \"{csv_arg}\" leads\n");
    let (_, import_secs) = sqlite3(&db, work_dir, &script)?;
    let (count, _) = sqlite3(&db, work_dir, "SELECT count(*) FROM leads;\n")?;
    if count.trim() != leads.to_string() {
        return Err(Fail(format!("sqlite3 imported {} rows of {leads}", count.trim())));
    }

    progress(format_args!("sqlite3: building the FTS5 index"));
    let (_, fts_secs) = sqlite3(
        &db,
        work_dir,
        "CREATE VIRTUAL TABLE leads_fts USING fts5 (full_name, email, phone_number, city, \
         content = '', tokenize = 'unicode61 remove_diacritics 2');\n\
         INSERT INTO leads_fts (rowid, full_name, email, phone_number, city) \
         SELECT rowid, full_name, email, phone_number, city FROM leads;\n",
    )?;
    // The indexes the list queries need; Leadvault's import builds its own as it goes. Untimed,
    // which only flatters the reference's import figures.
    sqlite3(
        &db,
        work_dir,
        "ALTER TABLE leads ADD COLUMN status TEXT NOT NULL DEFAULT 'new';\n\
         CREATE INDEX leads_by_created ON leads (created_time);\n\
         CREATE INDEX leads_by_status ON leads (status, created_time);\n",
    )?;

    progress(format_args!(
        "sqlite3: {} searches and {} list queries in one process",
        queries.len(),
        2 * LIST_RUNS
    ));
    let mut script = String::from(".timer on\n.output /dev/null\n");
    let searches: Vec<String> = queries
        .iter()
        .map(|q| {
            let m = fts_query(q).unwrap_or_default().replace('\'', "''");
            format!(
                "SELECT * FROM leads WHERE rowid IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH '{m}') \
                 ORDER BY created_time DESC LIMIT {PAGE};\n"
            )
        })
        .collect();
    let list = format!("SELECT * FROM leads ORDER BY created_time DESC LIMIT {PAGE};\n");
    let list_status =
        format!("SELECT * FROM leads WHERE status = 'new' ORDER BY created_time DESC LIMIT {PAGE};\n");
    // A warm-up pass, then the measured one, as for Leadvault.
    script.extend(searches.iter().chain(&searches).map(String::as_str));
    for statement in [&list, &list_status] {
        script.extend(std::iter::repeat_n(statement.as_str(), WARM_UP_RUNS + LIST_RUNS));
    }
    let (out, _) = sqlite3(&db, work_dir, &script)?;
    let times: Vec<f64> = run_times(&out).map(|secs| secs * 1e3).collect();
    let expected = 2 * searches.len() + 2 * (WARM_UP_RUNS + LIST_RUNS);
    if times.len() != expected {
        return Err(Fail(format!("sqlite3 printed {} timings where {expected} were expected", times.len())));
    }
    let (search_times, rest) = times[searches.len()..].split_at(searches.len());
    let (list_times, status_times) = rest.split_at(WARM_UP_RUNS + LIST_RUNS);

    progress(format_args!("sqlite3: exporting CSV"));
    let out = work_dir.join("reference-export.csv");
    let export_secs = export_csv(&db, "SELECT * FROM leads", &out, leads)?;
    if !keep {
        std::fs::remove_file(&out).map_err(|e| Fail::io("remove", &out, e))?;
    }

    let db_bytes = file_size(&db);
    if !keep {
        std::fs::remove_file(&db).map_err(|e| Fail::io("remove", &db, e))?;
    }
    Ok(SqliteFigures {
        version,
        import_secs,
        import_rows_per_sec: leads as f64 / import_secs,
        fts_secs,
        import_fts_rows_per_sec: leads as f64 / (import_secs + fts_secs),
        search: Latency::of(search_times),
        list: Latency::of(&list_times[WARM_UP_RUNS..]),
        list_status: Latency::of(&status_times[WARM_UP_RUNS..]),
        export_secs,
        export_rows_per_sec: leads as f64 / export_secs,
        db_bytes,
    })
}

/// The seconds of each `Run Time: real …` line that sqlite3's `.timer on` printed in `out`.
pub(crate) fn run_times(out: &str) -> impl Iterator<Item = f64> + '_ {
    out.lines()
        .filter_map(|l| l.strip_prefix("Run Time: real "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
}

/// Removes the database at `db` and its journals, where a run before left them.
pub(crate) fn remove_db(db: &Path) -> Result<(), Fail> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            std::fs::remove_file(&path).map_err(|e| Fail::io("remove", &path, e))?;
        }
    }
    Ok(())
}

/// Runs `query` on `db` with `sqlite3 -csv -header` into `out`, checks that it wrote `leads`
/// rows and returns how long it took, in seconds: the whole process, then the file synced to
/// the disk, as Leadvault's export syncs its file before it reports done.
pub(crate) fn export_csv(db: &Path, query: &str, out: &Path, leads: u64) -> Result<f64, Fail> {
    let file = File::create(out).map_err(|e| Fail::io("create", out, e))?;
    let started = Instant::now();
    let status = Command::new("sqlite3")
        .args(["-bail", "-batch", "-csv", "-header"])
        .arg(db)
        .arg(query)
        .stdout(file)
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| Fail(format!("could not run sqlite3: {e}")))?;
    if !status.success() {
        return Err(Fail(format!("sqlite3 failed to export {} ({status})", db.display())));
    }
    File::open(out).and_then(|f| f.sync_all()).map_err(|e| Fail::io("sync", out, e))?;
    let secs = started.elapsed().as_secs_f64();
    let exported = count_lines(out)?.saturating_sub(1);
    if exported != leads {
        return Err(Fail(format!("sqlite3 exported {exported} rows of {leads} from {}", db.display())));
    }
    Ok(secs)
}

/// `csv` as `.import` can be given it: absolute, and without a double quote.
pub(crate) fn csv_arg(csv: &Path) -> Result<String, Fail> {
    let csv = std::path::absolute(csv).map_err(|e| Fail::io("find", csv, e))?;
    csv.to_str().filter(|s| !s.contains('"')).map(str::to_string).ok_or_else(|| {
        Fail(format!("sqlite3 cannot be given the path {}; choose a plainer --work-dir", csv.display()))
    })
}

/// Runs `script` through `sqlite3 db` and returns what it printed and how long the whole
/// process took, in seconds. The script goes through a file, so no pipe can fill up.
pub(crate) fn sqlite3(db: &Path, work_dir: &Path, script: &str) -> Result<(String, f64), Fail> {
    let script_path = work_dir.join("reference-script.sql");
    File::create(&script_path)
        .and_then(|mut f| f.write_all(script.as_bytes()))
        .map_err(|e| Fail::io("write", &script_path, e))?;
    let stdin = File::open(&script_path).map_err(|e| Fail::io("open", &script_path, e))?;
    let started = Instant::now();
    let out = Command::new("sqlite3")
        .args(["-bail", "-batch"])
        .arg(db)
        .stdin(stdin)
        .output()
        .map_err(|e| Fail(format!("could not run sqlite3: {e}")))?;
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&script_path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !stderr.trim().is_empty() {
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(Fail(format!("sqlite3 failed ({}): {first}", out.status)));
    }
    Ok((String::from_utf8_lossy(&out.stdout).into_owned(), secs))
}

fn count_lines(path: &Path) -> Result<u64, Fail> {
    use std::io::Read;
    let mut file = File::open(path).map_err(|e| Fail::io("open", path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Fail::io("read", path, e))?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
}
