//! Importing files as spreadsheets and CRMs write them (Excel's encodings and `sep=` line, epoch
//! times in milliseconds, Meta's API shape), and the labels that must survive an export and an
//! import again.

mod common;

use common::{Sandbox, fixture};

/// The id of the only lead `search` finds.
fn lead_id(sb: &Sandbox, search: &str) -> String {
    let list = sb.json(&["leads", "list", "--search", search, "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    list[0]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_tag_with_a_semicolon_is_refused_as_it_would_come_back_as_two() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("generic.csv")]);
    let id = lead_id(&sb, "ortega");
    for tag in ["q3;q4", "q3|q4"] {
        let err = sb.fails(&["leads", "update", &id, "--add-tag", tag]);
        assert!(err.contains("semicolons") && err.contains("each tag"), "{err}");
    }
    sb.ok(&["leads", "update", &id, "--add-tag", "q3", "--add-tag", "q4"]);
    let lead = &sb.json(&["leads", "list", "--search", "ortega", "--json"])[0];
    let tags: Vec<&str> = lead["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(
        tags.contains(&"q3") && tags.contains(&"q4") && !tags.iter().any(|t| t.contains(';')),
        "{tags:?}"
    );
}

#[test]
fn a_creation_time_in_milliseconds_is_read_as_such_and_one_before_1970_is_rejected() {
    let sb = Sandbox::new();
    sb.init();
    let json = sb.path("hubspot.json");
    std::fs::write(
        &json,
        r#"[{"id": "h-1", "name": "Ana Ruiz", "email": "ana@example.com", "created_at": 1763647391000},
            {"id": "h-2", "name": "Bo Berg", "email": "bo@example.com", "created_at": "1763647391000"}]"#,
    )
    .unwrap();
    sb.ok(&["import", json.to_str().unwrap()]);
    let list = sb.json(&["leads", "list", "--json"]);
    for lead in list.as_array().unwrap() {
        assert_eq!(lead["created_at"], "2025-11-20T14:03:11Z", "milliseconds, not the year 57857");
    }

    let csv = sb.path("old.csv");
    std::fs::write(
        &csv,
        "name,email,created_at\nCy Old,cy@example.com,1900-01-01\nDi,di@example.com,1763647391000\n",
    )
    .unwrap();
    let err = sb.fails(&["import", csv.to_str().unwrap()]);
    assert!(err.contains("line 2") && err.contains("before 1970") && !err.contains("Cy Old"), "{err}");
    sb.ok(&["import", csv.to_str().unwrap(), "--skip-invalid"]);
    let rejects = std::fs::read_to_string(sb.path("old.csv.rejects.csv")).unwrap();
    assert!(
        rejects.contains(
            r#"Cy Old,cy@example.com,1900-01-01,"line 2: column ""created_at"" is a date before 1970"#
        ),
        "{rejects}"
    );
    assert_eq!(
        sb.json(&["leads", "list", "--search", "di", "--json"])[0]["created_at"],
        "2025-11-20T14:03:11Z"
    );
}

#[test]
fn an_excel_csv_in_windows_1252_imports_whole_with_its_accents() {
    let sb = Sandbox::new();
    sb.init();
    let report = sb.json(&["import", &fixture("excel_windows1252.csv"), "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(0)), "{report}");
    let jose = &sb.json(&["leads", "list", "--search", "jose", "--json"])[0];
    assert_eq!(jose["full_name"], "José Muñoz");
    assert_eq!(jose["fields"]["Población"], "Málaga");
    assert_eq!(jose["fields"]["Comentario"], "Llamar después de las 18h – gracias", "0x96 is an en dash");
    let zoe = &sb.json(&["leads", "list", "--search", "zoe", "--json"])[0];
    assert_eq!(zoe["full_name"], "Zoë Brontë");
    assert_eq!(zoe["fields"]["Comentario"], "Presupuesto: 500 € “aprox.”");
}

#[test]
fn a_file_utf8_at_its_start_keeps_refusing_a_later_row_that_is_not() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("long.csv");
    let mut bytes = b"name,email,note\n".to_vec();
    for i in 0..1500 {
        bytes.extend(
            format!("Person {i},p{i}@example.com,a note long enough to fill the sample\n").as_bytes(),
        );
    }
    assert!(bytes.len() > 64 * 1024);
    bytes.extend(b"Jos\xe9,jose@example.com,late\n");
    std::fs::write(&csv, &bytes).unwrap();
    let report = sb.json(&["import", csv.to_str().unwrap(), "--skip-invalid", "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(1500), Some(1)), "{report}");
    let rejects = std::fs::read_to_string(sb.path("long.csv.rejects.csv")).unwrap();
    assert!(rejects.contains("José,jose@example.com,late,line 1502: it is not valid UTF-8"), "{rejects}");
}

#[test]
fn a_compressed_file_is_refused_in_one_line_saying_to_unpack_it() {
    let sb = Sandbox::new();
    sb.init();
    let gz = sb.path("leads.csv.gz");
    std::fs::write(&gz, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x4b\xcc\x4d\xe5\x02\x00").unwrap();
    for format in ["auto", "csv", "json"] {
        let err = sb.fails(&["import", gz.to_str().unwrap(), "--format", format]);
        assert!(err.contains("compressed file (gzip)") && err.contains("unpack it first"), "{err}");
    }
    assert_eq!(sb.json(&["vault", "status", "--json"])["leads"], 0);
}

#[test]
fn an_excel_sep_line_is_skipped_and_its_separator_used() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("excel_de.csv");
    std::fs::write(
        &csv,
        "\"sep=;\"\r\nName;E-Mail;Telefon;Budget, in EUR\r\nAna Berg;ana@example.com;+49 30 1234567;5.000,00\r\nBo;bo-at-example.com;;1\r\n",
    )
    .unwrap();
    let err = sb.fails(&["import", csv.to_str().unwrap()]);
    assert!(err.contains("line 4") && err.contains("\"E-Mail\"") && !err.contains("bo-at"), "{err}");
    let report = sb.json(&["import", csv.to_str().unwrap(), "--skip-invalid", "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)), "{report}");
    let ana = &sb.json(&["leads", "list", "--search", "berg", "--json"])[0];
    assert_eq!(
        (ana["full_name"].as_str(), ana["email"].as_str()),
        (Some("Ana Berg"), Some("ana@example.com"))
    );
    assert_eq!(ana["fields"]["Budget, in EUR"], "5.000,00");
    assert!(ana["fields"].get("sep=;").is_none(), "{}", ana["fields"]);
    let rejects = std::fs::read_to_string(sb.path("excel_de.csv.rejects.csv")).unwrap();
    assert!(
        rejects.starts_with("Name,E-Mail,Telefon,\"Budget, in EUR\",leadvault_reject_reason\n"),
        "{rejects}"
    );
}

#[test]
fn a_column_without_a_name_keeps_its_answers_under_column_n() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("unnamed.csv");
    std::fs::write(&csv, "name,,email\nAna Berg,blue,ana@example.com\n").unwrap();
    sb.ok(&["import", csv.to_str().unwrap()]);
    let ana = &sb.json(&["leads", "list", "--search", "berg", "--json"])[0];
    assert_eq!(ana["fields"], serde_json::json!({"column 2": "blue"}));
    let report = sb.json(&["import", csv.to_str().unwrap(), "--json"]);
    assert_eq!(report["added"], 0, "the same file again adds nothing");
}

#[test]
fn meta_api_leads_in_json_are_the_same_leads_as_metas_download() {
    let sb = Sandbox::new();
    sb.init();
    sb.ok(&["import", &fixture("meta_leads_utf16.csv")]);
    let json = sb.path("graph.json");
    std::fs::write(
        &json,
        r#"[{"id": "2301001", "created_time": "2026-10-01T09:15:00+0000", "form_id": "880001",
             "field_data": [{"name": "full_name", "values": ["Ana López"]},
                            {"name": "email", "values": ["ana.lopez@example.com"]}]},
            {"id": "2309999", "created_time": "2026-10-09T09:00:00+0000",
             "field_data": [{"name": "full_name", "values": ["Nuevo Lead"]}]}]"#,
    )
    .unwrap();
    for format in ["auto", "json"] {
        let report = sb.json(&["import", json.to_str().unwrap(), "--format", format, "--json"]);
        assert_eq!(report["source"], "meta", "{report}");
        assert_eq!(report["unchanged"].as_u64(), Some(if format == "auto" { 1 } else { 2 }), "{report}");
    }
    assert_eq!(sb.json(&["leads", "list", "--search", "lopez", "--json"]).as_array().unwrap().len(), 1);
    let new = &sb.json(&["leads", "list", "--search", "nuevo", "--json"])[0];
    assert_eq!((new["source"].as_str(), new["external_id"].as_str()), (Some("meta"), Some("2309999")));
    // --source still files them under the label given.
    let report = sb.json(&["import", json.to_str().unwrap(), "--source", "expo", "--json"]);
    assert_eq!((report["source"].as_str(), report["added"].as_u64()), (Some("expo"), Some(2)));
}

#[test]
fn leads_stay_imported_when_their_rejects_file_cannot_be_kept() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("mixed.csv");
    std::fs::write(
        &csv,
        "name,email\nAna Ruiz,ana@example.com\nBo Berg,not-an-address\nCy Lu,cy@example.com\n",
    )
    .unwrap();
    // Every name a rejects file of mixed.csv may take is taken.
    let taken: Vec<_> = std::iter::once(sb.path("mixed.csv.rejects.csv"))
        .chain((2..=999).map(|n| sb.path(&format!("mixed.csv.rejects-{n}.csv"))))
        .collect();
    for name in &taken {
        std::fs::write(name, "kept\n").unwrap();
    }
    let err = sb.fails(&["import", csv.to_str().unwrap(), "--skip-invalid"]);
    assert!(
        err.contains("the valid rows were imported, but the rejected ones could not be saved here")
            && err.contains("--skip-invalid")
            && !err.contains("Bo Berg")
            && !err.contains("not-an-address"),
        "{err}"
    );
    assert_eq!(sb.json(&["leads", "list", "--json"]).as_array().unwrap().len(), 2);
    let left: Vec<_> = std::fs::read_dir(sb.path("")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().contains(".partial")), "{left:?}");
    assert!(taken.iter().all(|name| std::fs::read_to_string(name).unwrap() == "kept\n"), "none replaced");
    // With a name free again, the same import writes the rejects and adds nothing twice.
    std::fs::remove_file(&taken[5]).unwrap();
    let report = sb.json(&["import", csv.to_str().unwrap(), "--skip-invalid", "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(0), Some(1)), "{report}");
    assert_eq!(report["rejects_file"], taken[5].to_str().unwrap());
    assert!(std::fs::read_to_string(&taken[5]).unwrap().contains("Bo Berg"));
}

#[test]
fn a_rejects_file_being_fixed_is_never_replaced_and_runs_no_formula() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("expo.csv");
    std::fs::write(
        &csv,
        "name,email,comment\nAna Ruiz,ana@example.com,hi\nBo Berg,bo at example,\"=HYPERLINK(\"\"http://x\"\")\"\n",
    )
    .unwrap();
    let report = sb.json(&["import", csv.to_str().unwrap(), "--skip-invalid", "--json"]);
    let rejects = sb.path("expo.csv.rejects.csv");
    assert_eq!(report["rejects_file"], rejects.to_str().unwrap());
    let written = std::fs::read_to_string(&rejects).unwrap();
    assert!(written.contains(r#"Bo Berg,bo at example,"'=HYPERLINK(""http://x"")","line 3:"#), "{written}");
    // The owner starts fixing it; the first import, run again, leaves that alone.
    let fixed = written.replace("bo at example", "bo@example.com");
    std::fs::write(&rejects, &fixed).unwrap();
    let again = sb.json(&["import", csv.to_str().unwrap(), "--skip-invalid", "--json"]);
    assert_eq!(again["rejects_file"], sb.path("expo.csv.rejects-2.csv").to_str().unwrap());
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), fixed);
    // The fixed file goes in, its cells as they were in the first file.
    let report = sb.json(&["import", rejects.to_str().unwrap(), "--json"]);
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(0)), "{report}");
    let bo = &sb.json(&["leads", "list", "--search", "bo", "--json"])[0];
    assert_eq!(bo["fields"]["comment"], r#"=HYPERLINK("http://x")"#, "{bo}");
}

#[test]
fn an_id_column_never_makes_someone_else_a_lead_the_vault_has() {
    let sb = Sandbox::new();
    sb.init();
    let write = |name: &str, body: &str| {
        let path = sb.path(name);
        std::fs::write(&path, body).unwrap();
        path.to_str().unwrap().to_string()
    };
    let expo = write("expo.csv", "ID,Name,Email\n1,Alice Expo,alice@expo1.com\n2,Bob Expo,bob@expo1.com\n");
    // Another spreadsheet numbers its rows the same way, for other people; its row 3 says
    // twice who it is, and row 4 shares its number with row 3.
    let fair = write(
        "fair.csv",
        "ID,Name,Email\n1,Carol Fair,carol@fair2.com\n2,Dan Fair,dan@fair2.com\n3,Eve Fair,eve@fair2.com\n\
         3,Eve Fair,eve@fair2.com\n3,Finn Fair,finn@fair2.com\n",
    );
    let added = |file: &str| sb.json(&["import", file, "--json"])["added"].as_u64().unwrap();
    assert_eq!(added(&expo), 2);
    assert_eq!(added(&fair), 4, "Carol, Dan, Eve and Finn are new; Eve's second row is Eve");
    assert_eq!((added(&expo), added(&fair)), (0, 0), "importing either file again adds nothing");
    let list = sb.json(&["leads", "list", "--json"]);
    let mut names: Vec<&str> =
        list.as_array().unwrap().iter().map(|l| l["full_name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Alice Expo", "Bob Expo", "Carol Fair", "Dan Fair", "Eve Fair", "Finn Fair"]);
    let carol = &sb.json(&["leads", "list", "--search", "carol", "--json"])[0];
    assert!(carol["external_id"].as_str().unwrap().starts_with("1#"), "{carol}");
    // The same person under the same id, their row edited since, is still the lead the vault has,
    // and so is one filed under a digested id.
    let edited =
        write("expo2.csv", "ID,Name,Email,Phone\n1,Alice Expo-Smith,alice@expo1.com,+1 555 010 9999\n");
    assert_eq!(added(&edited), 0);
    let edited = write("fair2.csv", "ID,Name,Email,Company\n1,Carol Fair,carol@fair2.com,Fair Ltd\n");
    assert_eq!(added(&edited), 0);
    // The same name with another email is someone else: "John Smith" is many people.
    let smith1 = write("smith1.csv", "ID,Name,Email\n9,John Smith,john@one.com\n");
    let smith2 = write("smith2.csv", "ID,Name,Email\n9,John Smith,john@two.com\n");
    assert_eq!((added(&smith1), added(&smith2), added(&smith2)), (1, 1, 0));
}

#[test]
fn a_source_label_in_another_case_is_the_source_the_vault_has() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("expo.csv");
    std::fs::write(&csv, "name,email\nAna Ruiz,ana@example.com\nBo Berg,bo@example.com\n").unwrap();
    let csv = csv.to_str().unwrap();
    let report = sb.json(&["import", csv, "--source", "Trade Show", "--json"]);
    assert_eq!(
        (report["added"].as_u64(), report["source"].as_str()),
        (Some(2), Some("Trade Show")),
        "{report}"
    );
    // The filters match labels in any case; so does an import, which adds nothing twice.
    let report = sb.json(&["import", csv, "--source", " trade show ", "--json"]);
    assert_eq!(
        (report["added"].as_u64(), report["source"].as_str()),
        (Some(0), Some("Trade Show")),
        "{report}"
    );
    assert_eq!(sb.json(&["leads", "list", "--json"]).as_array().unwrap().len(), 2);
    // The default label too: a file filed under "Import" is that source for a plain import.
    let other = sb.path("other.csv");
    std::fs::write(&other, "name,email\nCy Lu,cy@example.com\n").unwrap();
    let other = other.to_str().unwrap();
    assert_eq!(sb.json(&["import", other, "--source", "Import", "--json"])["added"].as_u64(), Some(1));
    assert_eq!(sb.json(&["import", other, "--json"])["added"].as_u64(), Some(0));
    assert_eq!(sb.json(&["leads", "list", "--json"]).as_array().unwrap().len(), 3);
    for bad in ["", "   ", "line\nbreak", &"x".repeat(65)] {
        let err = sb.fails(&["import", csv, "--source", bad]);
        assert!(err.contains("--source label") && err.lines().count() == 1, "{err}");
    }
    assert_eq!(sb.json(&["leads", "list", "--json"]).as_array().unwrap().len(), 3);
}

#[test]
fn a_binary_file_is_refused_as_no_csv_and_a_header_alone_reads_no_rows() {
    let sb = Sandbox::new();
    sb.init();
    let binary = sb.path("photo.dat");
    std::fs::write(&binary, b"\x00\x01\x02\x03\xff\xfe\x10\x00abc").unwrap();
    let err = sb.fails(&["import", binary.to_str().unwrap()]);
    assert!(err.contains("this is not a CSV or JSON file") && err.lines().count() == 1, "{err}");
    // A stray Windows-1252 byte makes the whole file Windows-1252, and UTF-8's "č" then reads
    // as "Ä" and a C1 control: still text, not binary.
    let mixed = sb.path("cz.csv");
    let mut bytes = "Jméno,email,Telefonní číslo\nAna,ana@example.com,1\n".as_bytes().to_vec();
    bytes.extend(b"Jos\xe9,jose@example.com,2\n");
    std::fs::write(&mixed, bytes).unwrap();
    let report = sb.json(&["import", mixed.to_str().unwrap(), "--json"]);
    assert_eq!(report["added"].as_u64(), Some(2), "{report}");
    // A question quoted over two lines is a column name like any other.
    let csv = sb.path("form.csv");
    std::fs::write(&csv, "name,\"Which day?\n(pick one)\"\nAna Ruiz,Monday\n").unwrap();
    let report = sb.json(&["import", csv.to_str().unwrap(), "--json"]);
    assert_eq!(report["added"].as_u64(), Some(1), "{report}");
}

#[test]
fn a_spreadsheets_notes_column_becomes_the_leads_note_and_a_form_question_stays_an_answer() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("crm.csv");
    std::fs::write(&csv, "Name,Email,Notes\nAna Ruiz,ana@example.com,\"Call after 5pm\nasks for Bo\"\nBo Berg,bo@example.com,\n")
        .unwrap();
    sb.ok(&["import", csv.to_str().unwrap()]);
    let found = sb.json(&["leads", "list", "--search", "5pm", "--json"]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let ana = sb.json(&["leads", "show", found[0]["id"].as_str().unwrap(), "--json"]);
    assert_eq!(ana["notes"][0]["body"], "Call after 5pm\nasks for Bo", "{ana}");
    assert!(ana["fields"].get("Notes").is_none(), "{ana}");
    // The export has one notes column, and the same file imported again adds nothing.
    let out = sb.path("out.csv");
    sb.ok(&["export", "--out", out.to_str().unwrap()]);
    let header = std::fs::read_to_string(&out).unwrap().lines().next().unwrap().to_ascii_lowercase();
    assert_eq!(header.split(',').filter(|c| *c == "notes").count(), 1, "{header}");
    assert_eq!(sb.json(&["import", csv.to_str().unwrap(), "--json"])["added"].as_u64(), Some(0));

    let graph = sb.path("graph.json");
    std::fs::write(
        &graph,
        r#"[{"id": "2301009", "created_time": "2026-10-01T09:15:00+0000",
             "field_data": [{"name": "full_name", "values": ["Cy Lu"]}, {"name": "notes", "values": ["vegan"]}]}]"#,
    )
    .unwrap();
    sb.ok(&["import", graph.to_str().unwrap()]);
    let cy = &sb.json(&["leads", "list", "--search", "cy", "--json"])[0];
    assert_eq!(cy["fields"]["notes"], "vegan", "{cy}");
}

#[test]
fn a_pipe_imports_as_a_file_does() {
    let sb = Sandbox::new();
    sb.init();
    let fifo = sb.path("leads.csv");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(fifo, "name,email\nAna Ruiz,ana@example.com\nBo Berg,bo@example.com\n").unwrap()
        })
    };
    let report = sb.json(&["import", fifo.to_str().unwrap(), "--json"]);
    writer.join().unwrap();
    assert_eq!(report["added"].as_u64(), Some(2), "{report}");
}

#[test]
fn the_report_counts_one_row_as_one_row() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("one.csv");
    std::fs::write(&csv, "name,email\nAna Ruiz,ana@example.com\n").unwrap();
    let out = sb.ok(&["import", csv.to_str().unwrap()]);
    assert!(out.starts_with("Read 1 row as csv ("), "{out}");
    let out = sb.ok(&["import", &fixture("generic.csv")]);
    assert!(out.starts_with("Read ") && out.contains(" rows as csv ("), "{out}");
}

#[test]
fn a_dash_imports_standard_input() {
    use std::io::Write;
    let sb = Sandbox::new();
    sb.init();
    let here = sb.path("here");
    std::fs::create_dir_all(&here).unwrap();
    let mut child = sb
        .command(&["import", "-", "--skip-invalid", "--json"])
        .current_dir(&here)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let csv = "name,email,phone\nAna Ruiz,ana@example.com,\nBo Berg,bo@example.com,no digits\n";
    child.stdin.take().unwrap().write_all(csv.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    // It had looked for a file named `-`: "could not open -: No such file or directory".
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)), "{report}");
    assert!(here.join("stdin.rejects.csv").is_file(), "rejects in the current folder, as for /dev/stdin");
}

#[test]
fn a_pipes_rejected_rows_go_to_the_current_folder_not_beside_the_pipe() {
    let sb = Sandbox::new();
    sb.init();
    let pipes = sb.path("pipes");
    let here = sb.path("here");
    std::fs::create_dir_all(&pipes).unwrap();
    std::fs::create_dir_all(&here).unwrap();
    let fifo = pipes.join("stdin");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(
                fifo,
                "name,email,phone\nAna Ruiz,ana@example.com,\nBo Berg,bo@example.com,no digits\n",
            )
            .unwrap()
        })
    };
    let out = sb
        .command(&["import", fifo.to_str().unwrap(), "--skip-invalid", "--json"])
        .current_dir(&here)
        .output()
        .unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["added"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)), "{report}");
    let rejects = std::fs::read_to_string(here.join("stdin.rejects.csv")).expect("in the current folder");
    assert!(rejects.contains("Bo Berg"), "{rejects}");
    let beside: Vec<_> = std::fs::read_dir(&pipes).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(beside, ["stdin"], "nothing beside the pipe");
}

#[test]
fn a_guarded_phone_in_any_csv_loses_its_guard_and_other_cells_keep_theirs() {
    let sb = Sandbox::new();
    sb.init();
    // An export edited into a plain CSV (its own columns gone): the phone keeps the guard the
    // export wrote; another cell's `'` is the value's own there.
    let file = sb.path("edited.csv");
    std::fs::write(&file, "Name,Phone,Comment\nAna Ruiz,'+1 555 010 4444,'=not a formula\n").unwrap();
    let report = sb.json(&["import", file.to_str().unwrap(), "--json"]);
    assert_eq!((report["format"].as_str(), report["added"].as_u64()), (Some("csv"), Some(1)), "{report}");
    let ana = &sb.json(&["leads", "list", "--json"])[0];
    assert_eq!(ana["phone"], "+1 555 010 4444", "{ana}");
    assert_eq!(ana["fields"]["Comment"], "'=not a formula", "{ana}");
}

#[test]
fn columns_named_in_other_languages_fill_the_lead() {
    let sb = Sandbox::new();
    sb.init();
    let de = sb.path("kontakte.csv");
    std::fs::write(&de, "sep=;\nVorname;Nachname;E-Mail-Adresse;Telefon;Firma\nJürgen;Weiß;jw@example.de;+49 30 1234567;Weiß GmbH\n")
        .unwrap();
    let fr = sb.path("contacts.csv");
    std::fs::write(
        &fr,
        "Prénom,Nom,Courriel,Téléphone,Société\nAmélie,Dubois,ad@example.fr,+33 6 12 34 56 78,Dubois SARL\n",
    )
    .unwrap();
    let it = sb.path("contatti.csv");
    std::fs::write(
        &it,
        "Nome,Cognome,Email,Cellulare,Azienda\nMario,Rossi,mr@example.it,+39 347 123 4567,Rossi Srl\n",
    )
    .unwrap();
    for file in [&de, &fr, &it] {
        sb.ok(&["import", file.to_str().unwrap()]);
    }
    let by = |text: &str| sb.json(&["leads", "list", "--search", text, "--json"])[0].clone();
    let jurgen = by("jw@example.de");
    assert_eq!(
        (jurgen["full_name"].as_str(), jurgen["email"].as_str(), jurgen["company"].as_str()),
        (Some("Jürgen Weiß"), Some("jw@example.de"), Some("Weiß GmbH")),
        "{jurgen}"
    );
    assert_eq!(jurgen["fields"], serde_json::json!({}), "nothing left as an answer");
    let mario = by("rossi");
    assert_eq!(
        (mario["full_name"].as_str(), mario["phone"].as_str(), mario["company"].as_str()),
        (Some("Mario Rossi"), Some("+39 347 123 4567"), Some("Rossi Srl")),
        "{mario}"
    );
    let amelie = by("dubois");
    assert_eq!(
        (amelie["full_name"].as_str(), amelie["phone"].as_str(), amelie["company"].as_str()),
        (Some("Amélie Dubois"), Some("+33 6 12 34 56 78"), Some("Dubois SARL")),
        "{amelie}"
    );
}
