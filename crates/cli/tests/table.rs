//! `leads list` as a table on a terminal: its columns stay in line whatever script a name is
//! written in, as a terminal draws it (a Chinese, Japanese or Korean character in two cells, an
//! accent typed as its own character in none).

mod common;

use common::Sandbox;

/// The cells a terminal gives `c`, for the characters this test uses.
fn cells(c: char) -> usize {
    match c {
        '\u{0300}'..='\u{036f}' => 0,
        '\u{3040}'..='\u{30ff}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{1f600}'..='\u{1f64f}' => 2,
        _ => 1,
    }
}

fn width(s: &str) -> usize {
    s.chars().map(cells).sum()
}

#[test]
fn columns_stay_in_line_after_wide_and_combining_characters() {
    let sb = Sandbox::new();
    let run = |args: &[&str]| {
        let out = sb.command(args).env("LEADVAULT_PASSPHRASE", "correct horse battery").output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init"]);
    let csv = sb.path("names.csv");
    let long_cjk = "山田太郎".repeat(8);
    std::fs::write(
        &csv,
        format!(
            "name,email,phone\n\
             山田太郎,taro@example.jp,+81 3 1234 5678\n\
             김민준,minjun@example.kr,+82 2 123 4567\n\
             Jose\u{301} Decomposed,jd@example.com,+34 600 000 000\n\
             Ana 😀 Smile,ana@example.com,+1 555 010 1234\n\
             {long_cjk},long@example.jp,+81 3 9999 0000\n\
             Plain Name,plain@example.com,+1 555 010 0000\n"
        ),
    )
    .unwrap();
    run(&["import", csv.to_str().unwrap()]);
    let table = run(&["leads", "list"]);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let email_at = header.find("EMAIL").unwrap();
    let phone_at = header.find("PHONE").unwrap();
    let mut rows = 0;
    for line in lines {
        rows += 1;
        let at = line.find("@example.").unwrap();
        let email_start = line[..at].rfind(' ').unwrap() + 1;
        assert_eq!(width(&line[..email_start]), email_at, "the email column moved in: {line}");
        let plus = line.find(" +").unwrap() + 1;
        assert_eq!(width(&line[..plus]), phone_at, "the phone column moved in: {line}");
    }
    assert_eq!(rows, 6, "{table}");
    // A name wider than its column is cut to it, where the cut shows.
    let long = table.lines().find(|l| l.contains("long@example.jp")).unwrap();
    assert!(long.contains("山田太郎山田太郎山田太…"), "{long}");
}
