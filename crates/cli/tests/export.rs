//! One-click export: the same leads as the list, in files other tools open safely.

mod common;

use common::{Sandbox, fixture};
use serde_json::Value;

fn sandbox_with_leads() -> Sandbox {
    let sb = Sandbox::new();
    sb.init();
    for f in ["meta_leads_utf16.csv", "google_ads_leads.csv", "generic.csv", "leads.json"] {
        sb.ok(&["import", &fixture(f)]);
    }
    sb
}

#[test]
fn the_exported_count_equals_the_listed_count_for_the_same_filters() {
    let sb = sandbox_with_leads();
    let cases: &[&[&str]] = &[
        &[],
        &["--source", "meta"],
        &["--search", "example.com"],
        &["--status", "new", "--since", "2026-10-01"],
        &["--search", "nobody-by-this-name"],
    ];
    for filters in cases {
        let listed = sb
            .json(&[&["leads", "list", "--limit", "0", "--json"], *filters].concat())
            .as_array()
            .unwrap()
            .len();
        let out = sb.path("view.csv");
        sb.ok(&[&["export", "--out", out.to_str().unwrap()], *filters].concat());
        let rows = csv::Reader::from_path(&out).unwrap().records().count();
        assert_eq!(rows, listed, "filters {filters:?}");
        let ndjson = sb.path("view.ndjson");
        sb.ok(&[&["export", "--out", ndjson.to_str().unwrap()], *filters].concat());
        assert_eq!(std::fs::read_to_string(&ndjson).unwrap().lines().count(), listed);
    }
}

#[test]
fn csv_export_is_rfc4180_and_neutralises_formulas() {
    let sb = sandbox_with_leads();
    let out = sb.path("all.csv");
    sb.ok(&["export", "--out", out.to_str().unwrap(), "--source", "meta"]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.starts_with('\u{feff}'), "no BOM unless asked");
    assert!(text.contains("\r\n"), "CRLF line ends");
    let mut r = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&header[..5], ["id", "source", "external_id", "created_at", "full_name"]);
    assert!(
        header.contains(&"what_is_your_budget?".to_string()),
        "form answers get a column each: {header:?}"
    );
    let budget = header.iter().position(|h| h == "what_is_your_budget?").unwrap();
    let phone = header.iter().position(|h| h == "phone").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let bob = rows.iter().find(|r| &r[4] == "Bob Stone").unwrap();
    assert_eq!(&bob[budget], "'=HYPERLINK(\"http://evil\")", "a formula is neutralised");
    assert_eq!(&bob[phone], "'+15550109999", "a leading + is neutralised too (OWASP)");
    let ana = rows.iter().find(|r| &r[4] == "Ana López").unwrap();
    assert_eq!(&ana[budget], "$5k-10k");

    let bom = sb.path("excel.csv");
    sb.ok(&["export", "--out", bom.to_str().unwrap(), "--bom"]);
    assert!(std::fs::read(&bom).unwrap().starts_with(b"\xEF\xBB\xBF"));
}

#[test]
fn json_export_has_the_list_fields_and_xlsx_is_a_real_workbook() {
    let sb = sandbox_with_leads();
    let json = sb.path("v.json");
    sb.ok(&["export", "--out", json.to_str().unwrap(), "--search", "lopez"]);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // The list's fields, and each lead's notes.
    for lead in v.as_array_mut().unwrap() {
        assert_eq!(lead.as_object_mut().unwrap().remove("notes"), Some(serde_json::json!([])));
    }
    assert_eq!(v, sb.json(&["leads", "list", "--search", "lopez", "--json"]));

    let xlsx = sb.path("v.xlsx");
    let report: Value =
        serde_json::from_str(&sb.ok(&["export", "--out", xlsx.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(report["rows"], 9);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&xlsx).unwrap()).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet).unwrap();
    assert_eq!(sheet.matches("<row ").count(), 10, "header + 9 leads");
    assert!(!sheet.contains("<f>"), "no formulas in the sheet");
}

/// One file of an XLSX workbook, as text.
fn xlsx_part(xlsx: &std::path::Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
    text
}

/// The XML of cell `r` (`D2`) in `sheet`.
fn xlsx_cell<'s>(sheet: &'s str, r: &str) -> &'s str {
    let start = sheet.find(&format!("<c r=\"{r}\"")).unwrap_or_else(|| panic!("no cell {r}"));
    let end = start + sheet[start..].find("</c>").unwrap();
    &sheet[start..end]
}

/// In a spreadsheet, the creation and update times are dates it sorts and filters as dates,
/// shown in UTC to the millisecond in columns wide enough for them, where they were text;
/// ids and phone numbers stay text, every digit and `+` kept.
#[test]
fn an_xlsx_exports_times_are_excel_dates_and_its_ids_and_phones_text() {
    let sb = sandbox_with_leads();
    let xlsx = sb.path("v.xlsx");
    sb.ok(&["export", "--out", xlsx.to_str().unwrap(), "--source", "meta"]);
    let leads = sb.json(&["leads", "list", "--source", "meta", "--json"]);
    let first = &leads[0];
    let sheet = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    let styles = xlsx_part(&xlsx, "xl/styles.xml");
    assert!(styles.contains("formatCode=\"yyyy-mm-dd hh:mm:ss.000 &quot;UTC&quot;\""), "{styles}");
    let days = |rfc3339: &str| {
        let ms = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis();
        25_569.0 + ms as f64 / 86_400_000.0
    };
    for (r, key) in [("D2", "created_at"), ("W2", "updated_at")] {
        let cell = xlsx_cell(&sheet, r);
        assert!(!cell.contains("inlineStr") && cell.contains(" s=\""), "{key}: {cell}");
        let v: f64 = cell.split("<v>").nth(1).unwrap().trim_end_matches("</v>").parse().unwrap();
        assert!((v - days(first[key].as_str().unwrap())).abs() < 1e-9, "{key}: {cell} {first}");
    }
    assert!(sheet.contains("<col min=\"4\" max=\"4\" width=\"28."), "{sheet}");
    // Text stays text: the external id and the phone number.
    for (r, key) in [("C2", "external_id"), ("G2", "phone")] {
        let cell = xlsx_cell(&sheet, r);
        let value = first[key].as_str().unwrap();
        assert!(cell.contains("inlineStr") && cell.contains(&format!("<t>{value}</t>")), "{key}: {cell}");
    }
}

#[test]
fn export_format_comes_from_the_extension_or_the_flag_and_bad_targets_fail_cleanly() {
    let sb = sandbox_with_leads();
    let err = sb.fails(&["export", "--out", sb.path("leads.txt").to_str().unwrap()]);
    assert!(err.contains("--format"), "{err}");
    sb.ok(&["export", "--out", sb.path("leads.txt").to_str().unwrap(), "--format", "csv"]);
    assert!(std::fs::read_to_string(sb.path("leads.txt")).unwrap().starts_with("id,source"));
    let err = sb.fails(&["export", "--out", sb.path("missing/dir/leads.csv").to_str().unwrap()]);
    assert!(err.contains("does not exist"), "{err}");
    // A byte order mark is a CSV thing: asked for another format, it is refused, not ignored.
    for file in ["leads.xlsx", "leads.json"] {
        let err = sb.fails(&["export", "--out", sb.path(file).to_str().unwrap(), "--bom"]);
        assert!(err.contains("--bom is for CSV files") && err.contains(".csv"), "{err}");
        assert!(!sb.path(file).exists(), "{file}");
    }
    sb.ok(&["export", "--out", sb.path("excel.csv").to_str().unwrap(), "--bom"]);
    assert!(std::fs::read(sb.path("excel.csv")).unwrap().starts_with(b"\xEF\xBB\xBFid,source"));
    let leftovers: Vec<_> = std::fs::read_dir(sb.root.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no partial files left behind");
}

#[test]
fn an_export_to_a_folder_is_refused_and_leaves_no_partial_file() {
    let sb = sandbox_with_leads();
    let folder = sb.path("dir.csv");
    std::fs::create_dir(&folder).unwrap();
    let err = sb.fails(&["export", "--out", folder.to_str().unwrap()]);
    assert!(err.contains("is a folder") && err.contains("--out"), "{err}");
    // `--out .` from inside the sandbox.
    let out = sb
        .command(&["export", "--out", ".", "--format", "csv"])
        .current_dir(sb.root.path())
        .output()
        .unwrap();
    let err = common::fails(out, &["export", "--out", "."]);
    assert!(err.contains("is a folder"), "{err}");
    let leftovers: Vec<_> = common::files_under(sb.root.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no partial files left behind: {leftovers:?}");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}

/// `leads list --json` without what a vault gives each lead itself (its id, its update time).
fn listed_without_vault_ids(sb: &Sandbox) -> Vec<Value> {
    let mut leads: Vec<Value> =
        sb.json(&["leads", "list", "--limit", "0", "--json"]).as_array().unwrap().clone();
    for lead in &mut leads {
        let lead = lead.as_object_mut().unwrap();
        lead.remove("id");
        lead.remove("updated_at");
    }
    leads.sort_by_key(|l| (l["source"].to_string(), l["external_id"].to_string()));
    leads
}

#[test]
fn a_csv_export_imports_into_a_fresh_vault_as_the_same_leads() {
    let sb = sandbox_with_leads();
    // Values a spreadsheet would run as formulas, which the export guards with a leading '.
    let risky = sb.path("risky.csv");
    std::fs::write(
        &risky,
        "name,email,phone,company,Comment,Quoted\n\
         =Eve Formula,eve@example.com,+1 555 010 8080,-Minus Co,@mention,'kept as typed\n",
    )
    .unwrap();
    sb.ok(&["import", risky.to_str().unwrap()]);
    let id = sb.json(&["leads", "list", "--search", "eve@example.com", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sb.ok(&["leads", "update", &id, "--status", "qualified", "--owner", "+Maria", "--add-tag", "hot"]);
    sb.ok(&["leads", "update", &id, "--note", "called, no answer\n=try again Friday"]);
    sb.ok(&["leads", "update", &id, "--note", "[not a time] booked a demo"]);
    let notes_before = sb.json(&["leads", "show", &id, "--json"])["notes"].clone();
    assert_eq!(notes_before.as_array().unwrap().len(), 2);
    let out = sb.path("rt.csv");
    sb.ok(&["export", "--out", out.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&out).unwrap().contains("'+1 555 010 8080"), "the guard is written");

    let fresh = Sandbox::new();
    fresh.init();
    let report = fresh.json(&["import", out.to_str().unwrap(), "--json"]);
    assert_eq!(report["format"], "leadvault-csv", "{report}");
    assert_eq!(report["rejected"], 0, "{report}");
    let before = listed_without_vault_ids(&sb);
    assert!(before.len() > 5);
    assert_eq!(listed_without_vault_ids(&fresh), before, "the same leads, values and sources");
    let eve = fresh.json(&["leads", "list", "--search", "eve@example.com", "--json"]);
    assert_eq!(eve[0]["full_name"], "=Eve Formula");
    assert_eq!(eve[0]["owner"], "+Maria");
    assert_eq!(eve[0]["fields"]["Quoted"], "'kept as typed", "a ' before other text is the value's own");
    // Its notes come back as notes, with their times to the millisecond, and are searchable.
    let eve_id = eve[0]["id"].as_str().unwrap();
    let notes_after = fresh.json(&["leads", "show", eve_id, "--json"])["notes"].clone();
    assert_eq!(notes_after, notes_before);
    assert_eq!(fresh.json(&["leads", "list", "--search", "friday", "--json"])[0]["id"], eve_id);

    // Into the vault it came from, it adds nothing.
    let again = sb.json(&["import", out.to_str().unwrap(), "--json"]);
    assert_eq!((again["added"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(before.len() as u64)));
}

#[test]
fn json_and_ndjson_exports_import_into_a_fresh_vault_as_the_same_leads() {
    let sb = sandbox_with_leads();
    let id = sb.json(&["leads", "list", "--json"])[0]["id"].as_str().unwrap().to_string();
    sb.ok(&["leads", "update", &id, "--note", "called twice", "--add-tag", "hot"]);
    let before = listed_without_vault_ids(&sb);
    for name in ["all.json", "all.ndjson"] {
        let out = sb.path(name);
        sb.ok(&["export", "--out", out.to_str().unwrap()]);

        let fresh = Sandbox::new();
        fresh.init();
        let report = fresh.json(&["import", out.to_str().unwrap(), "--json"]);
        assert_eq!(
            (report["format"].as_str(), report["rejected"].as_u64()),
            (Some("json"), Some(0)),
            "{report}"
        );
        assert_eq!(report["sources_from_file"], true, "{name}: {report}");
        assert_eq!(
            listed_without_vault_ids(&fresh),
            before,
            "{name}: the same leads, values, answers and sources"
        );
        let found = fresh.json(&["leads", "list", "--search", "twice", "--json"]);
        assert_eq!(found.as_array().unwrap().len(), 1, "{name}: the note came back, searchable");

        // Into the vault it came from, it adds nothing.
        let again = sb.json(&["import", out.to_str().unwrap(), "--json"]);
        assert_eq!(
            (again["added"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(before.len() as u64)),
            "{name}"
        );
    }
}

/// Every `.partial` file under the sandbox (none should be left by a refused export).
fn partial_files(sb: &Sandbox) -> Vec<std::path::PathBuf> {
    common::files_under(sb.root.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect()
}

#[test]
fn an_export_onto_the_vaults_own_files_is_refused_and_the_vault_is_untouched() {
    let sb = sandbox_with_leads();
    let listed = sb.json(&["leads", "list", "--limit", "0", "--json"]);
    let data = sb.data_dir();
    let db = data.join("vault.db");
    let before = std::fs::read(&db).unwrap();
    // A link outside the data folder that leads into it is refused the same way.
    let link = sb.path("link.csv");
    std::os::unix::fs::symlink(data.join("vault.json"), &link).unwrap();
    let settings = std::fs::read(data.join("vault.json")).unwrap();
    let targets = [
        (db.clone(), "csv"),
        (data.join("vault.db-wal"), "csv"),
        (data.join("vault.json"), "json"),
        // Where names ignore case (macOS, Windows), this is vault.db.
        (data.join("Vault.DB"), "csv"),
        (data.join("logs").join("leadvault.log"), "csv"),
        (data.join("..").join("data").join("vault.db"), "csv"),
        (link.clone(), "csv"),
    ];
    for (out, format) in &targets {
        let err = sb.fails(&["export", "--out", out.to_str().unwrap(), "--format", format]);
        assert!(err.contains("one of the vault's own files") && err.contains("choose another file"), "{err}");
        assert!(!err.contains("Ana") && !err.contains("example.com"), "no personal data: {err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before, "vault.db is not replaced");
    assert_eq!(std::fs::read(data.join("vault.json")).unwrap(), settings);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    // Its logs folder given for --out: no name in it is suggested, as one would be refused.
    std::fs::create_dir_all(data.join("logs")).unwrap();
    let err = sb.fails(&["export", "--out", data.join("logs").to_str().unwrap()]);
    assert!(err.contains("is the vault's logs folder") && !err.contains("logs/leads.csv"), "{err}");
    // The rest of the folder is the owner's: a data folder may be a folder of their own.
    sb.ok(&["export", "--out", data.join("leads.csv").to_str().unwrap()]);
    assert!(data.join("leads.csv").is_file());
    assert_eq!(sb.json(&["leads", "list", "--limit", "0", "--json"]), listed, "the vault still opens");
    assert!(partial_files(&sb).is_empty(), "{:?}", partial_files(&sb));
}

#[test]
fn an_export_onto_a_pipe_or_a_socket_is_refused_and_leaves_it_as_it_was() {
    use std::os::unix::fs::FileTypeExt;
    let sb = sandbox_with_leads();
    let fifo = sb.path("pipe.csv");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let socket = sb.path("socket.csv");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // Through a link too, and named without an extension.
    let link = sb.path("to-pipe.csv");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let bare = sb.path("pipe");
    std::fs::hard_link(&fifo, &bare).unwrap();
    for out in [&fifo, &socket, &link, &bare] {
        let err = sb.fails(&["export", "--out", out.to_str().unwrap()]);
        assert!(
            err.contains("is not an ordinary file") && err.contains("such as leads.csv"),
            "{}: {err}",
            out.display()
        );
    }
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::symlink_metadata(&socket).unwrap().file_type().is_socket());
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(partial_files(&sb).is_empty(), "{:?}", partial_files(&sb));
}

#[test]
fn an_export_through_a_link_writes_the_file_it_points_to_and_keeps_the_link() {
    let sb = sandbox_with_leads();
    std::fs::create_dir(sb.path("real")).unwrap();
    let target = sb.path("real/leads.csv");
    std::fs::write(&target, "an older export").unwrap();
    let link = sb.path("link.csv");
    std::os::unix::fs::symlink("real/leads.csv", &link).unwrap();
    // A link to a link.
    let outer = sb.path("outer.csv");
    std::os::unix::fs::symlink(&link, &outer).unwrap();
    for out in [&link, &outer] {
        std::fs::write(&target, "an older export").unwrap();
        sb.ok(&["export", "--out", out.to_str().unwrap()]);
        assert!(std::fs::symlink_metadata(out).unwrap().file_type().is_symlink(), "{}", out.display());
        assert!(std::fs::read_to_string(&target).unwrap().starts_with("id,source"), "{}", out.display());
        assert!(std::fs::read_to_string(out).unwrap().starts_with("id,source"));
    }
    // A link to a file not there yet creates that file.
    let dangling = sb.path("new.csv");
    std::os::unix::fs::symlink("real/new.csv", &dangling).unwrap();
    sb.ok(&["export", "--out", dangling.to_str().unwrap()]);
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(sb.path("real/new.csv")).unwrap().starts_with("id,source"));
    assert!(partial_files(&sb).is_empty(), "{:?}", partial_files(&sb));
}

#[test]
fn a_folder_named_without_an_extension_is_called_a_folder() {
    let sb = sandbox_with_leads();
    std::fs::create_dir(sb.path("ex")).unwrap();
    let folder = sb.path("ex").to_str().unwrap().to_string();
    for out in [folder.clone(), format!("{folder}/")] {
        let err = sb.fails(&["export", "--out", &out]);
        assert!(err.contains("is a folder") && err.contains("--out"), "{out}: {err}");
        assert!(!err.contains("cannot tell the format"), "{err}");
    }
    assert_eq!(std::fs::read_dir(sb.path("ex")).unwrap().count(), 0);
}

#[test]
fn an_export_over_a_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox_with_leads();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for (name, kept) in [("private.csv", 0o600), ("group.json", 0o640)] {
        let out = sb.path(name);
        std::fs::write(&out, "older").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(kept)).unwrap();
        sb.ok(&["export", "--out", out.to_str().unwrap()]);
        assert_ne!(std::fs::read(&out).unwrap(), b"older");
        assert_eq!(mode(&out), kept, "{name}");
    }
    // Through a link, the file it points to keeps its own.
    let link = sb.path("private-link.csv");
    std::os::unix::fs::symlink(sb.path("private.csv"), &link).unwrap();
    sb.ok(&["export", "--out", link.to_str().unwrap(), "--tag", "none-such"]);
    assert_eq!(mode(&sb.path("private.csv")), 0o600);
    // A new file gets what any new file gets here (0666 less the umask): never more.
    let fresh = sb.path("fresh.csv");
    sb.ok(&["export", "--out", fresh.to_str().unwrap()]);
    assert_eq!(mode(&fresh) & !0o666, 0);
}
