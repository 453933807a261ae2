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

/// The letters Unicode does not decompose, as the index holds them (migration 0015 folds the
/// names, companies and notes it indexes the same way), and apostrophes, which it drops.
const FOLDS: [(char, &str); 21] = [
    ('ł', "l"),
    ('Ł', "L"),
    ('ø', "o"),
    ('Ø', "O"),
    ('æ', "ae"),
    ('Æ', "AE"),
    ('œ', "oe"),
    ('Œ', "OE"),
    ('ß', "ss"),
    ('ẞ', "SS"),
    ('ı', "i"),
    ('đ', "d"),
    ('Đ', "D"),
    ('ð', "d"),
    ('Ð', "D"),
    ('þ', "th"),
    ('Þ', "TH"),
    ('ħ', "h"),
    ('Ħ', "H"),
    ('\'', ""),
    ('’', ""),
];

/// `text` as the index holds words: "Łukasz" is "Lukasz", "Søren" "Soren", "O'Brien" "OBrien"
/// (the tokenizer then drops case and decomposable accents on both sides).
fn fold(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| FOLDS.iter().any(|(f, _)| *f == c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match FOLDS.iter().find(|(f, _)| *f == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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
    let text = fold(text);
    words(&text)
        .filter(|runs| runs.len() == 1 && runs[0].len() >= EXPAND_FROM && runs[0].is_ascii())
        .map(|runs| runs[0].to_ascii_lowercase())
        .collect()
}

/// Like [`fts_query`], but a one-run word found in `expansions` matches exactly the terms
/// listed there instead of every term it begins: `("gmail" OR "gmailx")`, which FTS5 walks
/// lazily, so a first page stops after the page.
pub(crate) fn fts_query_expanded(text: &str, expansions: &HashMap<String, Vec<String>>) -> Option<String> {
    let text = &*fold(text);
    let phone = phone_digits(text);
    let mut words: Vec<Vec<&str>> = words(text).collect();
    if phone.is_some() {
        // A lone digit would be a prefix query over every term that begins with it; the
        // joined digits stand for a leading one ("+1 555") or for all when all are ("+1 5").
        let lone_digit = |runs: &Vec<&str>| matches!(runs.as_slice(), [run] if run.len() == 1);
        if words.iter().all(lone_digit) {
            words.clear();
        } else if lone_digit(&words[0]) {
            words.remove(0);
        }
    }
    let mut terms = Vec::new();
    for runs in words {
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
    let words = (!terms.is_empty()).then(|| terms.join(" AND "));
    let Some(digits) = phone else { return words };
    // The index holds a phone's digits and their last 10, 7 and 4 (migration 0001), so the
    // digits typed, joined, find it however either side punctuates it.
    let joined = format!("\"{digits}\"*");
    let mut forms: Vec<String> =
        words.filter(|w| *w != joined).map(|w| format!("({w})")).into_iter().collect();
    forms.push(joined);
    if digits.len() > 10 {
        forms.push(format!("\"{}\"*", &digits[digits.len() - 10..]));
    }
    Some(forms.join(" OR "))
}

/// The digits of `text` when it reads as a phone number split by punctuation or spaces
/// ("555-250-9062", "(555) 250 9062", "+1 555.250.9062", a pasted en dash), or as one with its
/// country code ("+15552509062"): ASCII digits in two runs or more, or more than ten in one,
/// and no other letter or digit.
fn phone_digits(text: &str) -> Option<String> {
    let phone_like = text.chars().all(|c| c.is_ascii_digit() || !c.is_alphanumeric());
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let runs = text.split(|c: char| !c.is_ascii_digit()).filter(|r| !r.is_empty()).count();
    (phone_like && (runs >= 2 || digits.len() > 10)).then_some(digits)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{expandable_prefixes, fts_query, fts_query_expanded};

    #[test]
    fn words_become_quoted_prefix_phrases() {
        assert_eq!(fts_query("Ana Lopez").unwrap(), r#""Ana"* AND "Lopez"*"#);
        assert_eq!(fts_query("ana.lopez@gmail").unwrap(), r#""ana lopez gmail"*"#);
        assert_eq!(fts_query("+1 (555) 010").unwrap(), r#"("555"* AND "010"*) OR "1555010"*"#);
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
    fn a_punctuated_phone_number_is_also_searched_as_its_digits() {
        assert_eq!(fts_query("555-250-9062").unwrap(), r#"("555 250 9062"*) OR "5552509062"*"#);
        assert_eq!(
            fts_query("+1 (555) 250-9062").unwrap(),
            r#"("555"* AND "250 9062"*) OR "15552509062"* OR "5552509062"*"#
        );
        // One run of digits is a word like any other; letters make it no phone number.
        assert_eq!(fts_query("5552509062").unwrap(), r#""5552509062"*"#);
        // With its country code, it also finds the number stored without one.
        assert_eq!(fts_query("+15552509062").unwrap(), r#""15552509062"* OR "5552509062"*"#);
        assert_eq!(fts_query("555\u{2013}250\u{2013}9062").unwrap(), r#"("555 250 9062"*) OR "5552509062"*"#);
        // Only a leading lone digit gives way to the joined digits, or all when all are lone.
        assert_eq!(fts_query("+33 6 12").unwrap(), r#"("33"* AND "6"* AND "12"*) OR "33612"*"#);
        assert_eq!(fts_query("+1 5").unwrap(), r#""15"*"#);
        assert_eq!(fts_query("suite 5-12").unwrap(), r#""suite"* AND "5 12"*"#);
    }

    #[test]
    fn letters_without_a_decomposition_and_apostrophes_are_typed_as_the_index_holds_them() {
        assert_eq!(fts_query("Łukasz Żółć").unwrap(), r#""Lukasz"* AND "Żólć"*"#);
        assert_eq!(fts_query("Søren Ærø").unwrap(), r#""Soren"* AND "AEro"*"#);
        assert_eq!(fts_query("Yılmaz Straße").unwrap(), r#""Yilmaz"* AND "Strasse"*"#);
        assert_eq!(fts_query("O'Brien").unwrap(), r#""OBrien"*"#);
        assert_eq!(fts_query("o’brien").unwrap(), r#""obrien"*"#);
        assert_eq!(expandable_prefixes("Łukasz"), vec!["lukasz"]);
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
