//! What people type into the search box: surnames, first names, whole names, bits of email
//! addresses, bits of phone numbers and two- or three-letter starts of words. A fixed list, the
//! same for Leadvault and the reference, in a fixed order.

use crate::names::{FIRST_NAMES, LAST_NAMES};

/// Bits of email addresses, as typed: domains, providers, the start of an address.
const EMAIL_FRAGMENTS: &[&str] = &[
    "gmail",
    "gmail.com",
    "@gmail.com",
    "yahoo",
    "hotmail",
    "outlook.com",
    "icloud",
    "proton",
    "gmx.de",
    "web.de",
    "orange",
    "libero.it",
    "yahoo.co.uk",
    "comcast",
    "mail.ru",
    "naver",
    "acme-plumbing",
    "northwind",
    "maria.garcia",
    "j.smith",
    "smith_",
    "nguyen.",
    "kowalski",
    "muller.",
];

/// Starts of words, as people type before they finish.
const PREFIXES: &[&str] = &[
    "ma", "jo", "an", "li", "el", "sa", "da", "ch", "ro", "be", "mo", "ka", "sch", "gar", "ngu", "kim",
    "kow", "mül", "ste", "pat", "rod", "fer", "she", "oka",
];

/// The search strings, at least 200 of them.
pub fn search_queries() -> Vec<String> {
    let mut q = Vec::new();
    // Surnames and first names as typed: mostly capitalised, some in lower case.
    for (i, last) in LAST_NAMES.iter().step_by(4).take(70).enumerate() {
        q.push(if i % 3 == 0 { last.to_lowercase() } else { last.to_string() });
    }
    for (i, first) in FIRST_NAMES.iter().step_by(5).take(50).enumerate() {
        q.push(if i % 4 == 0 { first.to_lowercase() } else { first.to_string() });
    }
    // Whole names.
    for i in 0..20 {
        let first = FIRST_NAMES[(i * 37 + 11) % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i * 53 + 7) % LAST_NAMES.len()];
        q.push(format!("{first} {last}"));
    }
    q.extend(EMAIL_FRAGMENTS.iter().map(|s| s.to_string()));
    // Phone numbers in part: the exchange's start, the whole exchange, the last four digits.
    for i in 0..10u32 {
        q.push(format!("555 {:02}", (i * 13 + 1) % 100));
        q.push(format!("555 {:03}", (i * 97 + 210) % 1000));
        q.push(format!("{:04}", (i * 1_237 + 42) % 10_000));
    }
    q.extend(PREFIXES.iter().map(|s| s.to_string()));
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_enough_queries_and_all_are_searchable() {
        let q = search_queries();
        assert!(q.len() >= 200, "{}", q.len());
        for s in &q {
            assert!(leadvault_core::store::search::fts_query(s).is_some(), "{s}");
        }
    }
}
