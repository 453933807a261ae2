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

/// The runs of letters and digits of each word of `text`, with each CJK character a run of its
/// own, as the index holds them (see [`is_cjk`]).
fn words(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.split_whitespace()
        .map(|word| {
            word.split(|c: char| !c.is_alphanumeric())
                .filter(|r| !r.is_empty())
                .flat_map(split_cjk)
                .collect::<Vec<_>>()
        })
        .filter(|runs| !runs.is_empty())
}

/// Chinese, Japanese and Korean characters: the kana, the Han ideographs and the Hangul
/// syllables. Names and words written in them have no spaces, so the index holds each of them
/// as a word of its own (migration 0016, whose GLOB class lists these same ranges): "伟" finds
/// 张伟 and "太郎" (the phrase 太 郎) finds 山田太郎.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3041}'..='\u{30FF}'           // hiragana and katakana
        | '\u{3400}'..='\u{4DBF}'         // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'         // CJK unified ideographs
        | '\u{AC00}'..='\u{D7A3}'         // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'         // CJK compatibility ideographs
        | '\u{20000}'..='\u{2FFFF}') // CJK extensions B and on
}

/// `run` (letters and digits) cut before and after each CJK character.
fn split_cjk(run: &str) -> Vec<&str> {
    if !run.chars().any(is_cjk) {
        return vec![run];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, c) in run.char_indices() {
        if is_cjk(c) {
            if start < at {
                parts.push(&run[start..at]);
            }
            parts.push(&run[at..at + c.len_utf8()]);
            start = at + c.len_utf8();
        }
    }
    if start < run.len() {
        parts.push(&run[start..]);
    }
    parts
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

/// A phone number typed the national way, with the trunk 0 dialled inside its country in place
/// of the country code: "07911 123456" for +44 7911 123456, "030 1234567" for +49 30 1234567,
/// "06 12 34 56 78" for +33 6 12 34 56 78.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NationalNumber {
    /// The MATCH expression for its candidates: the leads whose phone's last 7 digits (which the
    /// index holds as a word, migration 0001) are the number's.
    pub candidates: String,
    /// The number's digits after the 0. A candidate is the number when its phone's digits are
    /// these after a country code of one to three digits.
    pub digits: String,
}

/// The number `text` may be when it is only digits (seven or more after a leading 0 that is
/// not the 00 of an international call) and punctuation or spaces, without a `+`.
pub(crate) fn national_number(text: &str) -> Option<NationalNumber> {
    if text.contains('+') || !text.chars().all(|c| c.is_ascii_digit() || !c.is_alphanumeric()) {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let rest = digits.strip_prefix('0').filter(|r| !r.starts_with('0') && (7..=14).contains(&r.len()))?;
    Some(NationalNumber {
        candidates: format!("phone : \"{}\"", &rest[rest.len() - 7..]),
        digits: rest.to_string(),
    })
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

    use super::{NationalNumber, expandable_prefixes, fts_query, fts_query_expanded, national_number};

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
    fn chinese_japanese_and_korean_characters_are_words_of_their_own() {
        assert_eq!(fts_query("伟").unwrap(), r#""伟"*"#);
        assert_eq!(fts_query("山田太郎").unwrap(), r#""山 田 太 郎"*"#);
        assert_eq!(fts_query("张伟 Acme").unwrap(), r#""张 伟"* AND "Acme"*"#);
        assert_eq!(fts_query("민준").unwrap(), r#""민 준"*"#);
        // Letters and digits beside them stay one word; the middle dot of katakana names parts.
        assert_eq!(fts_query("王2号 abc王").unwrap(), r#""王 2 号"* AND "abc 王"*"#);
        assert_eq!(fts_query("ジョン・スミス").unwrap(), r#""ジ ョ ン ス ミ ス"*"#);
        assert!(expandable_prefixes("山田太郎").is_empty());
    }

    #[test]
    fn a_number_with_a_leading_0_may_be_a_national_one() {
        let national = |digits: &str, last7: &str| {
            Some(NationalNumber { candidates: format!("phone : \"{last7}\""), digits: digits.into() })
        };
        assert_eq!(national_number("07911 123456"), national("7911123456", "1123456"));
        assert_eq!(national_number("030 1234567"), national("301234567", "1234567"));
        assert_eq!(national_number("(030) 123-45-67"), national("301234567", "1234567"));
        assert_eq!(national_number("0612345678"), national("612345678", "2345678"));
        // Too short for a number, an international call's 00, a +, letters, too long.
        for typed in
            ["0123", "0123 456", "0044 7911 123456", "+0301234567", "030 1234567 Berg", "0123456789012345"]
        {
            assert_eq!(national_number(typed), None, "{typed}");
        }
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
