//! Realistic sample leads for a first look at an empty vault, clearly marked as samples: source
//! `sample` and tag `sample`, so they can be filtered, exported or told apart at a glance.
//!
//! They go in through the ordinary JSON import (a file written to the data directory and removed
//! afterwards), so samples are stored, indexed and deduplicated exactly like real leads: loading
//! them twice adds nothing. Names, emails and phones are invented; emails use the reserved
//! `example.com`/`example.org` domains and phones the fictional 555-01xx range.

use std::path::PathBuf;

use chrono::Duration;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::import::{Format, ImportOptions, ImportReport, import_file};
use crate::vault::Vault;

/// The source label and the tag every sample lead carries.
pub const SAMPLE_SOURCE: &str = "sample";
pub const SAMPLE_TAG: &str = "sample";

const FIRST: [&str; 16] = [
    "Ana", "Ben", "Carla", "Dmitri", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca",
    "Maya", "Nils", "Olga", "Pedro",
];
const LAST: [&str; 12] = [
    "López", "Nguyen", "Schmidt", "Okafor", "Rossi", "Kowalski", "Dubois", "Silva", "Tanaka", "Berg",
    "Haddad", "Moreau",
];
const COMPANIES: [&str; 16] = [
    "Sunrise Dental",
    "Peak Roofing",
    "Harbor Realty",
    "Iron Gym",
    "Green Leaf Clinic",
    "Blue Door Bakery",
    "Northside Plumbing",
    "Brightside Solar",
    "Cedar & Oak Interiors",
    "Summit Physio",
    "Lakeview Auto Repair",
    "Little Sprouts Daycare",
    "Maple Street Vets",
    "Coastline Windows",
    "",
    "",
];
const CAMPAIGNS: [(&str, &str, &str); 4] = [
    ("Spring promo", "Free consultation form", "facebook"),
    ("Retargeting", "Quote request", "instagram"),
    ("Local search", "Call-back form", "facebook"),
    ("Open house", "Visit booking", "instagram"),
];
const OWNERS: [&str; 3] = ["Maria", "Tom", ""];
const STATUSES: [&str; 6] = ["new", "new", "new", "contacted", "qualified", "won"];
const BUDGETS: [&str; 4] = ["under $1,000", "$1,000 - $5,000", "$5,000 - $20,000", "over $20,000"];
const WHEN: [&str; 3] = ["this week", "this month", "just looking"];

/// Adds `count` sample leads (at most 10,000) created over the last 30 days.
pub async fn load_samples(vault: &Vault, count: u32, progress: impl Fn(u64) + Send) -> Result<ImportReport> {
    if count == 0 || count > 10_000 {
        return Err(Error::invalid("choose between 1 and 10,000 sample leads"));
    }
    let now = vault.clock.now();
    let leads: Vec<Value> = (0..count).map(|i| sample(i, now)).collect();
    let path: PathBuf = vault.data_dir().join(format!(".samples.{}.json", std::process::id()));
    let text =
        serde_json::to_vec(&leads).map_err(|e| Error::invalid(format!("could not prepare samples: {e}")))?;
    std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
    let options = ImportOptions {
        format: Format::Json,
        source: Some(SAMPLE_SOURCE.into()),
        skip_invalid: false,
        ..Default::default()
    };
    let report = import_file(vault, &path, &options, progress).await;
    let _ = std::fs::remove_file(&path);
    report
}

/// A well-spread hash of the sample's index and a salt (SplitMix64's finaliser): unrelated to
/// the other choices' `h`.
fn mix(i: u32, salt: u64) -> u64 {
    let mut z = (u64::from(i) << 8 | salt).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `i`-th sample: the same index always gives the same lead, so reloading adds nothing.
fn sample(i: u32, now: chrono::DateTime<chrono::Utc>) -> Value {
    // A small multiplicative hash spreads the choices without a random generator.
    let h = |salt: u32| (i.wrapping_mul(2_654_435_761).wrapping_add(salt.wrapping_mul(40_503))) >> 7;
    let pick = |salt: u32, n: usize| (h(salt) as usize) % n;
    let first = FIRST[pick(1, FIRST.len())];
    let last = LAST[pick(2, LAST.len())];
    let (campaign, form, platform) = CAMPAIGNS[pick(3, CAMPAIGNS.len())];
    // The company from a hash of its own: with `h`, a shift of the first name's, each first name
    // had the same one or two companies all down the list.
    let company = COMPANIES[(mix(i, 4) % COMPANIES.len() as u64) as usize];
    let owner = OWNERS[pick(5, OWNERS.len())];
    let status = STATUSES[pick(6, STATUSES.len())];
    let minutes_ago = i64::from(h(7) % (30 * 24 * 60));
    let mut tags = vec![SAMPLE_TAG];
    if pick(8, 4) == 0 {
        tags.push("hot");
    }
    let ascii = |s: &str| {
        s.chars()
            .map(|c| match c {
                'ó' => 'o',
                c => c.to_ascii_lowercase(),
            })
            .collect::<String>()
    };
    let mut lead = Map::new();
    lead.insert("id".into(), json!(format!("sample-{:05}", i + 1)));
    lead.insert("created_at".into(), json!((now - Duration::minutes(minutes_ago)).to_rfc3339()));
    lead.insert("full_name".into(), json!(format!("{first} {last}")));
    let domain = if i.is_multiple_of(2) { "example.com" } else { "example.org" };
    lead.insert("email".into(), json!(format!("{}.{}{}@{domain}", ascii(first), ascii(last), i + 1)));
    lead.insert("phone".into(), json!(format!("+1 555 01{:02} {:04}", i % 100, (i * 37) % 10_000)));
    if !company.is_empty() {
        lead.insert("company".into(), json!(company));
    }
    lead.insert("status".into(), json!(status));
    if !owner.is_empty() {
        lead.insert("owner".into(), json!(owner));
    }
    lead.insert("tags".into(), json!(tags.join(",")));
    lead.insert("campaign_id".into(), json!(format!("c-{}", pick(3, CAMPAIGNS.len()) + 1)));
    lead.insert("campaign_name".into(), json!(campaign));
    lead.insert("ad_name".into(), json!(format!("{campaign} - ad {}", pick(9, 3) + 1)));
    lead.insert("form_name".into(), json!(form));
    lead.insert("platform".into(), json!(platform));
    lead.insert("budget".into(), json!(BUDGETS[pick(10, BUDGETS.len())]));
    lead.insert("when_to_start".into(), json!(WHEN[pick(11, WHEN.len())]));
    Value::Object(lead)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    #[test]
    fn samples_with_the_same_first_name_work_at_different_companies() {
        // Each first name had one or two companies ("Maya … Peak Roofing" down the list): the
        // company came from the same hash as the first name, shifted.
        let now = chrono::Utc::now();
        let mut companies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for i in 0..200 {
            let lead = sample(i, now);
            let first = lead["full_name"].as_str().unwrap().split(' ').next().unwrap().to_owned();
            let company = lead.get("company").and_then(Value::as_str).unwrap_or("").to_owned();
            companies.entry(first).or_default().insert(company);
        }
        for (first, seen) in &companies {
            assert!(seen.len() >= 4, "{first} works at only {seen:?}");
        }
        let all: BTreeSet<&str> = companies.values().flatten().map(String::as_str).collect();
        assert_eq!(all, COMPANIES.into_iter().collect(), "every company shows, and some leads have none");
    }

    #[test]
    fn a_sample_is_the_same_lead_each_time() {
        let now = chrono::Utc::now();
        for i in [0, 1, 57, 199, 9_999] {
            assert_eq!(sample(i, now), sample(i, now));
        }
    }
}
