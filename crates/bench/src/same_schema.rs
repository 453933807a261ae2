//! The like-for-like reference: the `sqlite3` command line doing the work Leadvault's import
//! and export do, on the same file, in a plain (unencrypted) database.
//!
//! The import loads the file into the vault's own lead tables, B-trees and search index (their
//! SQL read from the benchmark's vault, so the two cannot drift apart), with the vault's
//! journal, sync and page-cache settings, in one transaction, filling each lead's columns as
//! Leadvault's Meta import does (ids without their `l:` prefixes, times as milliseconds, the
//! phone's digits, the form answers as JSON, a SHA3-256 where Leadvault keeps a SHA-256). The
//! export writes the same rows and columns as Leadvault's CSV export, in the same order, newest
//! first, with the same guard against spreadsheet formulas (but on the form answers); sqlite3
//! quotes more cells and ends lines with LF. It is one sqlite3 thread formatting the times and
//! guards in SQL, where Leadvault's export reads and formats on up to four.
//! What the reference leaves out is the
//! encryption, Leadvault's parsing and checking of each row in Rust, and the folding of
//! letters such as "ł" and of Chinese, Japanese and Korean text for search.

use std::path::Path;

use serde::Serialize;

use crate::generate::HEADER;
use crate::sqlite_bench::{export_csv, remove_db, run_times, sqlite3};
use crate::{Fail, db_size, first_line, progress};

#[derive(Debug, Clone, Serialize)]
pub struct SameSchemaFigures {
    /// The whole load, one `sqlite3` process: `.import` into a temporary table, then the leads
    /// and the search index in one transaction.
    pub import_secs: f64,
    pub import_rows_per_sec: f64,
    /// Of that, the `.import` into the temporary table (and starting sqlite3): the rest is the
    /// statements that fill the vault's tables, which `.timer on` times.
    pub staging_secs: f64,
    pub export_secs: f64,
    pub export_rows_per_sec: f64,
    pub db_bytes: u64,
    /// Whether the search index was made without `contentless_delete` (sqlite3 before 3.43
    /// does not know it; it changes how deletes are kept, not what an insert indexes).
    pub without_contentless_delete: bool,
}

/// What the vault does to every new connection (`store::raw`), and its journal.
const SETTINGS: &str = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n\
                        PRAGMA cache_size = -32000;\nPRAGMA temp_store = MEMORY;\n";

/// The phone's digits, as `Phone::digits` takes them from the generated numbers.
const DIGITS: &str = "replace(replace(replace(replace(replace(replace(phone_number, ' ', ''), '+', ''), \
                      '-', ''), '(', ''), ')', ''), '.', '')";

/// Each generated lead as Leadvault's Meta import files it. `seq` follows the file's order, the
/// id is a 26-character key that grows with it (as ULIDs made one after another do).
fn insert_leads(now_ms: i64) -> String {
    format!(
        "INSERT INTO leads (seq, id, source, external_id, created_at, added_at, updated_at, \
         full_name, email, phone, phone_digits, company, status, ad_id, ad_name, adset_id, adset_name, \
         campaign_id, campaign_name, form_id, form_name, platform, is_organic, fields, fingerprint)\n\
         SELECT rowid, printf('01%024d', rowid), 'meta', substr(id, 3), \
         unixepoch(substr(created_time, 1, 19)) * 1000, {now_ms}, {now_ms}, \
         full_name, lower(trim(email)), phone_number, {DIGITS}, NULL, 'new', \
         substr(ad_id, 4), ad_name, substr(adset_id, 4), adset_name, substr(campaign_id, 3), campaign_name, \
         substr(form_id, 3), form_name, platform, is_organic = 'true', \
         json_object('city', city, 'what_is_your_budget?', \"what_is_your_budget?\"), \
         sha3(lower(trim(email)) || {DIGITS}, 256)\n\
         FROM temp.staging ORDER BY rowid;\n"
    )
}

/// The search index's documents as `lead_search_docs` makes them for these leads: the text as
/// written, the phone in its five forms (as written, digits, last 10, 7 and 4), in sort-key order.
const INDEX_LEADS: &str = "INSERT INTO leads_fts (rowid, full_name, email, phone, company, notes)\n\
     SELECT sort_key, full_name, email, \
     coalesce(phone, '') || ' ' || coalesce(phone_digits, '') || ' ' || \
     coalesce(substr(phone_digits, -10) || ' ' || substr(phone_digits, -7) || ' ' || substr(phone_digits, -4), ''), \
     company, notes_text FROM leads ORDER BY sort_key;\n";

/// A text cell as Leadvault's CSV writes it: one that a spreadsheet would take for a formula
/// gets a `'` in front (OWASP's advice).
fn guarded(expr: &str) -> String {
    format!(
        "CASE WHEN substr({expr}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)) THEN '''' || {expr} ELSE {expr} END"
    )
}

/// A time in milliseconds as Leadvault writes it: RFC 3339 in UTC, milliseconds only when
/// there are some.
fn time(column: &str) -> String {
    format!(
        "CASE WHEN {column} % 1000 = 0 THEN strftime('%Y-%m-%dT%H:%M:%SZ', {column} / 1000, 'unixepoch') \
         ELSE strftime('%Y-%m-%dT%H:%M:%fZ', {column} / 1000.0, 'unixepoch') END"
    )
}

/// Leadvault's CSV export of every lead, newest first, in SQL.
fn export_query() -> String {
    let g = |c: &str| format!("{} AS {c}", guarded(&format!("l.{c}")));
    let columns = [
        "l.id".to_string(),
        "l.source".into(),
        "l.external_id".into(),
        format!("{} AS created_at", time("l.created_at")),
        g("full_name"),
        g("email"),
        g("phone"),
        g("company"),
        "l.status".into(),
        g("owner"),
        "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM lead_tags t WHERE t.lead_seq = l.seq ORDER BY tag)) AS tags"
            .into(),
        "l.score".into(),
        "l.ad_id".into(),
        g("ad_name"),
        "l.adset_id".into(),
        g("adset_name"),
        "l.campaign_id".into(),
        g("campaign_name"),
        "l.form_id".into(),
        g("form_name"),
        "l.platform".into(),
        "CASE l.is_organic WHEN 0 THEN 'false' WHEN 1 THEN 'true' END AS is_organic".into(),
        format!("{} AS updated_at", time("l.updated_at")),
        "CASE WHEN l.notes_text = '' THEN '' ELSE (SELECT json_group_array(json_object('at', created_at, 'body', body)) \
         FROM lead_notes n WHERE n.lead_seq = l.seq) END AS notes"
            .into(),
        // Not guarded: SQL would read the JSON twice to guard it. None of the generated answers
        // starts like a formula, so the file is the same, and the reference does less.
        "l.fields ->> '$.city' AS city".into(),
        "l.fields ->> '$.\"what_is_your_budget?\"' AS \"what_is_your_budget?\"".into(),
    ];
    format!("SELECT {} FROM leads l ORDER BY l.sort_key DESC", columns.join(", "))
}

/// Whether `version` (`3.40.1`) is at least `major.minor`.
fn at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}

/// The vault's schema as this sqlite3 can make it: without `contentless_delete` before 3.43.
fn schema_for(version: &str, schema: &[String]) -> (String, bool) {
    let mut stripped = false;
    let statements: Vec<String> = schema
        .iter()
        .map(|sql| match sql.find("contentless_delete") {
            Some(at) if !at_least(version, 3, 43) => {
                stripped = true;
                // The option and the comma after it, or (the last option) the comma before it.
                match sql[at..].find(',') {
                    Some(i) => format!("{}{}", &sql[..at], &sql[at + i + 1..]),
                    None => {
                        let start = sql[..at].rfind(',').unwrap_or(at);
                        let end = sql[at..].find(')').map_or(sql.len(), |i| at + i);
                        format!("{}{}", &sql[..start], &sql[end..])
                    }
                }
            }
            _ => sql.clone(),
        })
        .collect();
    (statements.iter().map(|s| format!("{s};\n")).collect(), stripped)
}

pub fn run(
    csv_arg: &str,
    work_dir: &Path,
    leads: u64,
    version: &str,
    schema: &[String],
    export_header: &str,
    keep: bool,
) -> Result<SameSchemaFigures, Fail> {
    if schema.is_empty() {
        return Err(Fail("the vault's schema came back empty".into()));
    }
    let db = work_dir.join("reference-same-schema.db");
    remove_db(&db)?;
    let (tables, without_contentless_delete) = schema_for(version, schema);
    let staging = HEADER.map(|c| format!("\"{c}\" TEXT")).join(", ");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);

    progress(format_args!("sqlite3: loading {leads} rows into the vault's schema (like for like)"));
    let script = format!(
        "{SETTINGS}CREATE TEMP TABLE staging ({staging});\n\
         .import --csv --skip 1 --schema temp \"{csv_arg}\" staging\n.timer on\n\
         {tables}BEGIN;\n{}{INDEX_LEADS}COMMIT;\n",
        insert_leads(now_ms)
    );
    let (timings, import_secs) = sqlite3(&db, work_dir, &script)?;
    let statements: f64 = run_times(&timings).sum();
    let staging_secs = (import_secs - statements).max(0.0);
    let (count, _) = sqlite3(&db, work_dir, "SELECT count(*) FROM leads;\n")?;
    if count.trim() != leads.to_string() {
        return Err(Fail(format!("sqlite3 loaded {} rows of {leads} into the vault's schema", count.trim())));
    }

    progress(format_args!("sqlite3: the same CSV export from the vault's schema"));
    let out = work_dir.join("reference-same-schema-export.csv");
    let export_secs = export_csv(&db, &export_query(), &out, leads)?;
    let header = first_line(&out)?;
    if header != export_header {
        return Err(Fail(format!(
            "the like-for-like export's columns ({header}) are not Leadvault's ({export_header}): \
             update same_schema::export_query"
        )));
    }
    let db_bytes = db_size(&db);
    if !keep {
        for path in [out, db] {
            std::fs::remove_file(&path).map_err(|e| Fail::io("remove", &path, e))?;
        }
    }
    Ok(SameSchemaFigures {
        import_secs,
        import_rows_per_sec: leads as f64 / import_secs,
        staging_secs,
        export_secs,
        export_rows_per_sec: leads as f64 / export_secs,
        db_bytes,
        without_contentless_delete,
    })
}

#[cfg(test)]
mod tests {
    use super::{at_least, schema_for};

    #[test]
    fn versions_compare_by_major_then_minor() {
        assert!(at_least("3.43.0", 3, 43));
        assert!(at_least("3.45.1", 3, 43));
        assert!(at_least("4.0.0", 3, 43));
        assert!(!at_least("3.40.1", 3, 43));
        assert!(!at_least("garbage", 3, 43));
    }

    #[test]
    fn contentless_delete_is_left_out_only_where_sqlite3_lacks_it() {
        let fts = "CREATE VIRTUAL TABLE leads_fts USING fts5 (a, content = '', contentless_delete = 1, prefix = '2 3')";
        let schema = vec!["CREATE TABLE leads (seq INTEGER PRIMARY KEY)".to_string(), fts.to_string()];
        let (old, stripped) = schema_for("3.40.1", &schema);
        assert!(stripped);
        assert!(!old.contains("contentless_delete"));
        assert!(old.contains("content = '',  prefix = '2 3')"), "{old}");
        assert!(old.starts_with("CREATE TABLE leads (seq INTEGER PRIMARY KEY);\n"));
        let last =
            vec!["CREATE VIRTUAL TABLE f USING fts5 (a, content = '', contentless_delete = 1)".to_string()];
        assert_eq!(schema_for("3.40.1", &last).0, "CREATE VIRTUAL TABLE f USING fts5 (a, content = '');\n");
        let (new, stripped) = schema_for("3.46.0", &schema);
        assert!(!stripped);
        assert!(new.contains("contentless_delete = 1"));
    }
}
