//! Turns what a person types into a safe FTS5 query.
//!
//! User text is never passed to FTS5 as syntax: it is cut into runs of letters and digits (the
//! same cut the `unicode61` tokenizer makes), each run becomes a quoted string, and the last run
//! of each word is a prefix. So `"`, `*`, `OR`, `NEAR(`, `col:` or `'; DROP TABLE` are only ever
//! searched for as words.

use std::collections::HashMap;

/// The FTS5 MATCH expression for `text`, or `None` when it holds nothing searchable.
pub fn fts_query(text: &str) -> Option<String> {
    fts_query_expanded(text, &HashMap::new())
}

/// The runs of letters and digits of each word of `text`.
fn words(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.split_whitespace()
        .map(|word| word.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()).collect::<Vec<_>>())
        .filter(|runs| !runs.is_empty())
}

/// The shortest prefix worth expanding: shorter ones have their own prefix index.
const EXPAND_FROM: usize = 4;

/// The one-run words of `text` whose prefix query FTS5 would have to build by merging every
/// term that starts with them (a word such as "gmail", in a third of all leads, takes tens of
/// milliseconds that way). Lower-case ASCII only: that is how the index stores them.
pub(crate) fn expandable_prefixes(text: &str) -> Vec<String> {
    words(text)
        .filter(|runs| runs.len() == 1 && runs[0].len() >= EXPAND_FROM && runs[0].is_ascii())
        .map(|runs| runs[0].to_ascii_lowercase())
        .collect()
}

/// Like [`fts_query`], but a one-run word found in `expansions` matches exactly the terms
/// listed there instead of every term it begins: `("gmail" OR "gmailx")`, which FTS5 walks
/// lazily, so a first page stops after the page.
pub(crate) fn fts_query_expanded(text: &str, expansions: &HashMap<String, Vec<String>>) -> Option<String> {
    let mut terms = Vec::new();
    for runs in words(text) {
        let expanded = match runs.as_slice() {
            [run] => expansions.get(&run.to_ascii_lowercase()),
            _ => None,
        };
        match expanded {
            Some(all) => {
                let alternatives: Vec<String> =
                    all.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
                terms.push(format!("({})", alternatives.join(" OR ")));
            }
            // Runs of one word stay together as a phrase: "ana.lopez@" finds ana.lopez@x.com.
            None => terms.push(format!("\"{}\"*", runs.join(" "))),
        }
    }
    // An explicit AND: FTS5 joins bare phrases implicitly, but not parenthesised groups.
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{expandable_prefixes, fts_query, fts_query_expanded};

    #[test]
    fn words_become_quoted_prefix_phrases() {
        assert_eq!(fts_query("Ana Lopez").unwrap(), r#""Ana"* AND "Lopez"*"#);
        assert_eq!(fts_query("ana.lopez@gmail").unwrap(), r#""ana lopez gmail"*"#);
        assert_eq!(fts_query("+1 (555) 010").unwrap(), r#""1"* AND "555"* AND "010"*"#);
    }

    #[test]
    fn long_single_words_can_be_expanded_to_the_terms_they_begin() {
        assert_eq!(expandable_prefixes("Gmail ana j.smith müller 1234"), vec!["gmail", "1234"]);
        let mut terms = HashMap::new();
        terms.insert("gmail".to_string(), vec!["gmail".to_string(), "gmailx".to_string()]);
        assert_eq!(fts_query_expanded("ana GMAIL", &terms).unwrap(), r#""ana"* AND ("gmail" OR "gmailx")"#);
        assert_eq!(fts_query_expanded("hotmail", &terms).unwrap(), r#""hotmail"*"#);
    }

    #[test]
    fn fts_syntax_is_only_ever_text() {
        assert_eq!(fts_query("NEAR(a b)").unwrap(), r#""NEAR a"* AND "b"*"#);
        assert_eq!(fts_query("x OR y").unwrap(), r#""x"* AND "OR"* AND "y"*"#);
        assert_eq!(fts_query("'; DROP TABLE leads; --").unwrap(), r#""DROP"* AND "TABLE"* AND "leads"*"#);
        assert!(fts_query(r#"" * ( ) : ^ -"#).is_none());
        assert!(fts_query("").is_none());
    }
}
