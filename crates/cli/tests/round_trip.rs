//! An export imported into a fresh vault and exported again is the same file, in every format
//! that imports (CSV, JSON, NDJSON), but for what a vault gives each lead itself (its id and
//! update time): score, status, owner, tags, notes (Windows line ends included) and answers.

mod common;

use common::Sandbox;
use serde_json::Value;

/// Leads with scores (and one without), statuses, owners, tags, answers and notes, each
/// created at its own time so every export lists them in one order.
fn sandbox_with_scored_leads() -> Sandbox {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("scored.csv");
    std::fs::write(
        &csv,
        "name,email,phone,created_at,score,status,owner,tags,Budget,Comment\n\
         Ana López,ana@example.com,+1 555 010 1001,2026-11-01T09:00:00Z,75,qualified,Maria,\"hot,vip\",5k,\"two\nlines\"\n\
         Bo Chen,bo@example.com,,2026-11-02T09:00:00.250Z,-5,lost,,,,=not a formula\n\
         Cy Diaz,cy@example.com,,2026-11-03T09:00:00Z,,new,,,10k,\n\
         Di Evans,,+44 20 7946 0958,2026-11-04T09:00:00Z,0,won,=Sam,spam-ish,,'quoted\n",
    )
    .unwrap();
    let report = sb.json(&["import", csv.to_str().unwrap(), "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(4), Some(0)), "{report}");
    let json = sb.path("more.json");
    std::fs::write(
        &json,
        r#"[{"id": "j1", "name": "Eli Fox", "email": "eli@example.com", "created_at": "2026-11-05T09:00:00Z",
             "score": 12, "tags": ["warm"], "Rooms": 3, "Extras": ["pool", "gym"]}]"#,
    )
    .unwrap();
    sb.ok(&["import", json.to_str().unwrap()]);
    let id = |email: &str| {
        sb.json(&["leads", "list", "--search", email, "--json"])[0]["id"].as_str().unwrap().to_string()
    };
    // A lone note typed with Windows line ends; two notes, one of them with them too; a note
    // line that looks like the start of another.
    sb.ok(&["leads", "update", &id("ana@example.com"), "--note", "called\r\nno answer\r\nFriday"]);
    let bo = id("bo@example.com");
    sb.ok(&["leads", "update", &bo, "--note", "first"]);
    sb.ok(&["leads", "update", &bo, "--note", "second\r\nline"]);
    sb.ok(&["leads", "update", &id("eli@example.com"), "--note", "fwd:\n[2026-11-01T10:00:00Z] hi"]);
    sb
}

/// An export's rows without the id and the update time, each a list of (column, value).
fn rows_of(path: &std::path::Path) -> Vec<Vec<(String, String)>> {
    let bytes = std::fs::read(path).unwrap();
    let leads: Vec<Value> = match path.extension().unwrap().to_str().unwrap() {
        "csv" => {
            let mut file = csv::Reader::from_reader(&bytes[..]);
            let header: Vec<String> = file.headers().unwrap().iter().map(str::to_string).collect();
            return file
                .records()
                .map(|r| {
                    let r = r.unwrap();
                    header
                        .iter()
                        .zip(r.iter())
                        .filter(|(h, _)| !matches!(h.as_str(), "id" | "updated_at"))
                        .map(|(h, v)| (h.clone(), v.to_string()))
                        .collect()
                })
                .collect();
        }
        "json" => serde_json::from_slice::<Vec<Value>>(&bytes).unwrap(),
        _ => bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect(),
    };
    leads
        .into_iter()
        .map(|lead| {
            let lead = lead.as_object().unwrap().clone();
            lead.into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "updated_at"))
                .map(|(k, v)| (k, v.to_string()))
                .collect()
        })
        .collect()
}

/// The value of `column` in each row.
fn column<'r>(rows: &'r [Vec<(String, String)>], column: &str) -> Vec<&'r str> {
    rows.iter()
        .map(|r| r.iter().find(|(c, _)| c == column).map(|(_, v)| v.as_str()).unwrap_or_default())
        .collect()
}

/// Exported, imported into a fresh vault and exported again, each format gives the same rows:
/// the score came back as a form answer named "score" (a lead's score was lost), and a lone
/// note's Windows line ends lost their `\r` through CSV.
#[test]
fn every_export_imported_into_a_fresh_vault_exports_the_same_again() {
    let sb = sandbox_with_scored_leads();
    for format in ["csv", "json", "ndjson"] {
        let first = sb.path(&format!("first.{format}"));
        sb.ok(&["export", "--out", first.to_str().unwrap()]);
        let fresh = Sandbox::new();
        fresh.init();
        let report = fresh.json(&["import", first.to_str().unwrap(), "--json"]);
        assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(5), Some(0)), "{report}");
        let again = fresh.path(&format!("again.{format}"));
        fresh.ok(&["export", "--out", again.to_str().unwrap()]);
        let (before, after) = (rows_of(&first), rows_of(&again));
        assert_eq!(before.len(), 5, "{format}");
        assert_eq!(after, before, "{format}: the same rows, in the same order");

        let scores = fresh.json(&["leads", "list", "--sort", "score", "--json"]);
        let scores: Vec<(Value, Value)> =
            scores.as_array().unwrap().iter().map(|l| (l["full_name"].clone(), l["score"].clone())).collect();
        let named = |n: &str, s: Value| (Value::from(n), s);
        assert_eq!(
            scores,
            [
                named("Ana López", 75.into()),
                named("Eli Fox", 12.into()),
                named("Di Evans", 0.into()),
                named("Bo Chen", (-5).into()),
                named("Cy Diaz", Value::Null),
            ],
            "{format}"
        );
        let answers = fresh.json(&["leads", "list", "--limit", "0", "--json"]);
        for lead in answers.as_array().unwrap() {
            assert!(lead["fields"].get("score").is_none(), "{format}: the score is no answer: {lead}");
        }
        let ana = fresh.json(&["leads", "list", "--search", "ana@example.com", "--json"])[0]["id"].clone();
        let notes = fresh.json(&["leads", "show", ana.as_str().unwrap(), "--json"])["notes"].clone();
        assert_eq!(notes[0]["body"], "called\r\nno answer\r\nFriday", "{format}");
    }
    // What the CSV holds for them, as the first export wrote it.
    let csv = rows_of(&sb.path("first.csv"));
    assert_eq!(column(&csv, "score"), ["12", "0", "", "'-5", "75"], "a spreadsheet's guard before -");
    assert_eq!(column(&csv, "status"), ["new", "won", "new", "lost", "qualified"]);
    assert_eq!(column(&csv, "owner"), ["", "'=Sam", "", "", "Maria"]);
    assert_eq!(column(&csv, "tags"), ["warm", "spam-ish", "", "", "hot,vip"]);
}

/// A `score` column in any file sets the lead's score, where it was kept as a form answer; a
/// value that is not a whole number refuses its row, naming the line, and leaves the vault as
/// it was, or goes to the rejects file with --skip-invalid.
#[test]
fn a_score_column_sets_the_score_and_a_bad_one_is_refused_by_line() {
    let sb = Sandbox::new();
    sb.init();
    let good = sb.path("good.csv");
    std::fs::write(
        &good,
        "Name,Email,Score\nAna,ana@example.com, 75 \nBo,bo@example.com,40.0\nCy,cy@example.com,\nDee,dee@example.com,'-3\n",
    )
    .unwrap();
    sb.ok(&["import", good.to_str().unwrap()]);
    let leads = sb.json(&["leads", "list", "--sort", "score", "--json"]);
    let got: Vec<(Value, Value, Value)> = leads
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["full_name"].clone(), l["score"].clone(), l["fields"].clone()))
        .collect();
    let want = |n: &str, s: Value| (Value::from(n), s, serde_json::json!({}));
    // A `'` before `-` is a spreadsheet's guard (an export edited into a plain CSV).
    let (ana, bo, dee) = (want("Ana", 75.into()), want("Bo", 40.into()), want("Dee", (-3).into()));
    assert_eq!(got, [ana, bo, dee, want("Cy", Value::Null)]);

    // Any other value is kept as the answer it is ("high", 12.5, another tool's grade), where
    // it refused the line, and with it a whole file of such scores.
    for (name, text, kept) in [
        ("bad.csv", "name,email,score\nDi,di@example.com,12\nEd,ed@example.com,high\n", "\"high\""),
        ("half.csv", "name,email,score\nDi,di@example.com,12\nEd,ed@example.com,12.5\n", "\"12.5\""),
        (
            "big.csv",
            "name,email,score\nDi,di@example.com,12\nEd,ed@example.com,1000000000000000\n",
            "\"1000000000000000\"",
        ),
        ("bad.json", r#"[{"name": "Di", "score": 12}, {"name": "Ed", "score": 7.5}]"#, "\"7.5\""),
    ] {
        let sb = Sandbox::new();
        sb.init();
        let path = sb.path(name);
        std::fs::write(&path, text).unwrap();
        sb.ok(&["import", path.to_str().unwrap()]);
        let leads = sb.json(&["leads", "list", "--search", "Ed", "--json"]);
        let ed = &leads[0];
        assert_eq!(ed["full_name"], "Ed", "{name}: {leads}");
        assert_eq!(ed["score"], Value::Null, "{name}: not a score: {ed}");
        assert_eq!(ed["fields"]["score"].to_string(), kept, "{name}: kept as an answer: {ed}");
        let di = sb.json(&["leads", "list", "--search", "Di", "--json"]);
        assert_eq!(di[0]["score"], 12, "{name}: {di}");
    }
}

/// Leads created in the same second (a sync's page, a file's rows) come back from an export,
/// newest or oldest first, in the order the vault listed them, where a newest-first export
/// imported into a fresh vault listed each second's leads the other way round: the vault lists
/// a second's leads by arrival, the last first, and the import numbered them in the file's
/// order.
#[test]
fn leads_of_one_second_keep_their_order_through_an_export_and_an_import() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("same_second.csv");
    // The newest second first in a newest-first export, the oldest last, one in the middle.
    std::fs::write(
        &csv,
        "name,email,created_at\n\
         Zoe Early,zoe@example.com,2026-10-31T08:00:00Z\n\
         Zak Early,zak@example.com,2026-10-31T08:00:00.500Z\n\
         Ann Mid,ann@example.com,2026-11-01T09:00:00Z\n\
         Ben Mid,ben@example.com,2026-11-01T09:00:00.400Z\n\
         Cat Mid,cat@example.com,2026-11-01T09:00:00.900Z\n\
         Dan Mid,dan@example.com,2026-11-01T09:00:00Z\n\
         Xia Late,xia@example.com,2026-11-02T10:00:00Z\n\
         Xan Late,xan@example.com,2026-11-02T10:00:00.250Z\n",
    )
    .unwrap();
    sb.ok(&["import", csv.to_str().unwrap()]);
    let names = |sb: &Sandbox| -> Vec<String> {
        let leads = sb.json(&["leads", "list", "--limit", "0", "--json"]);
        leads.as_array().unwrap().iter().map(|l| l["full_name"].as_str().unwrap().to_string()).collect()
    };
    let listed = names(&sb);
    assert_eq!(listed.len(), 8);
    for sort in ["newest", "oldest"] {
        for format in ["csv", "json", "ndjson"] {
            let first = sb.path(&format!("ties-{sort}.{format}"));
            sb.ok(&["export", "--out", first.to_str().unwrap(), "--sort", sort]);
            let fresh = Sandbox::new();
            fresh.init();
            fresh.ok(&["import", first.to_str().unwrap()]);
            assert_eq!(names(&fresh), listed, "{format}, {sort} first: the list as it was");
            let again = fresh.path(&format!("again.{format}"));
            fresh.ok(&["export", "--out", again.to_str().unwrap(), "--sort", sort]);
            assert_eq!(rows_of(&again), rows_of(&first), "{format}, {sort} first: the same file");
        }
    }
}
