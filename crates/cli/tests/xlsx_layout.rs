//! An XLSX export reads in a spreadsheet: a lead's notes and form answers wrap, in columns
//! wide enough for what they hold.

mod common;

use common::Sandbox;

fn xlsx_part(xlsx: &std::path::Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
    text
}

/// The style index (`s="N"`) of cell `r` (`X2`) in `sheet`, if it has one.
fn style_of(sheet: &str, r: &str) -> Option<usize> {
    let start = sheet.find(&format!("<c r=\"{r}\"")).unwrap_or_else(|| panic!("no cell {r}"));
    let cell = &sheet[start..start + sheet[start..].find('>').unwrap()];
    cell.split(" s=\"").nth(1).map(|s| s.split('"').next().unwrap().parse().unwrap())
}

/// In a spreadsheet, a lead's notes and its form answers wrap (a long note shows as its lines,
/// not one line off the screen), in columns wide enough to read; the other cells stay as
/// they were.
#[test]
fn an_xlsx_exports_notes_and_answers_wrap_in_wide_columns() {
    let sb = Sandbox::new();
    sb.init();
    let csv = sb.path("leads.csv");
    let long = ["a long answer that goes on"; 20].join(" ");
    std::fs::write(
        &csv,
        format!(
            "name,email,phone,Budget,Comment\n\
             Ana López,ana@example.com,+1 555 010 1001,5k,\"{long}\"\n\
             Bo Chen,bo@example.com,,10k,\n"
        ),
    )
    .unwrap();
    sb.ok(&["import", csv.to_str().unwrap()]);
    let ana = sb.json(&["leads", "list", "--search", "ana@example.com", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sb.ok(&["leads", "update", &ana, "--note", "called\r\nno answer\r\nFriday"]);
    let xlsx = sb.path("leads.xlsx");
    sb.ok(&["export", "--out", xlsx.to_str().unwrap(), "--search", "ana@example.com"]);
    let sheet = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    let styles = xlsx_part(&xlsx, "xl/styles.xml");
    // The styles cells use, in order: the one that wraps.
    let cell_xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let xfs: Vec<&str> = cell_xfs.split("<xf ").skip(1).collect();
    let wraps: Vec<usize> = (0..xfs.len()).filter(|&i| xfs[i].contains("wrapText=\"1\"")).collect();
    assert_eq!(wraps.len(), 1, "{styles}");
    // Column X the notes, then the answers: Budget, Comment.
    let header: Vec<&str> =
        sheet.split("<t>").skip(1).take(26).map(|t| t.split('<').next().unwrap()).collect();
    assert_eq!(header[23..], ["notes", "Budget", "Comment"], "{sheet}");
    assert_eq!(style_of(&sheet, "X2"), Some(wraps[0]), "notes: {sheet}");
    // Its line ends as typed (`_x000D_` is the sheet's escape for a `\r`).
    assert!(sheet.contains("called_x000D_\nno answer_x000D_\nFriday"), "{sheet}");
    for r in ["Y2", "Z2"] {
        assert_eq!(style_of(&sheet, r), Some(wraps[0]), "{r}: {sheet}");
    }
    assert!(sheet.contains(&long), "the long answer whole: {sheet}");
    for r in ["C2", "E2", "I2"] {
        assert_eq!(style_of(&sheet, r), None, "{r} stays plain text: {sheet}");
    }
    // Widths: the notes 60 characters, each answer 30, a name and an email wider than Excel's 8.43.
    for (col, width) in [(24, "60."), (5, "24."), (6, "30.")] {
        assert!(
            sheet.contains(&format!("<col min=\"{col}\" max=\"{col}\" width=\"{width}")),
            "{col}: {sheet}"
        );
    }
    assert!(sheet.contains("<col min=\"25\" max=\"26\" width=\"30."), "{sheet}");
}
