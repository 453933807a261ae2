//! Turns what a person types into a safe FTS5 query.
//!
//! User text is never passed to FTS5 as syntax: it is cut into runs of letters and digits (the
//! same cut the `unicode61` tokenizer makes), each run becomes a quoted string, and the last run
//! of each word is a prefix. So `"`, `*`, `OR`, `NEAR(`, `col:` or `'; DROP TABLE` are only ever
//! searched for as words.

/// The FTS5 MATCH expression for `text`, or `None` when it holds nothing searchable.
pub fn fts_query(text: &str) -> Option<String> {
    let mut terms = Vec::new();
    for word in text.split_whitespace() {
        let runs: Vec<&str> = word.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()).collect();
        if runs.is_empty() {
            continue;
        }
        // Runs of one word stay together as a phrase: "ana.lopez@" finds ana.lopez@x.com.
        terms.push(format!("\"{}\"*", runs.join(" ")));
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn words_become_quoted_prefix_phrases() {
        assert_eq!(fts_query("Ana Lopez").unwrap(), r#""Ana"* "Lopez"*"#);
        assert_eq!(fts_query("ana.lopez@gmail").unwrap(), r#""ana lopez gmail"*"#);
        assert_eq!(fts_query("+1 (555) 010").unwrap(), r#""1"* "555"* "010"*"#);
    }

    #[test]
    fn fts_syntax_is_only_ever_text() {
        assert_eq!(fts_query("NEAR(a b)").unwrap(), r#""NEAR a"* "b"*"#);
        assert_eq!(fts_query("x OR y").unwrap(), r#""x"* "OR"* "y"*"#);
        assert_eq!(fts_query("'; DROP TABLE leads; --").unwrap(), r#""DROP"* "TABLE"* "leads"*"#);
        assert!(fts_query(r#"" * ( ) : ^ -"#).is_none());
        assert!(fts_query("").is_none());
    }
}
