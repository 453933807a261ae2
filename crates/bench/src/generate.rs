//! The benchmark's data: N leads as Meta's lead download writes them (UTF-8, comma-separated,
//! with a header), the same file for the same N and seed, so runs compare.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::DateTime;

use crate::Fail;
use crate::names::{BUDGETS, CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, push_email_part};

/// The columns of the file, in order, as Meta names them.
pub const HEADER: [&str; 17] = [
    "id",
    "created_time",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "form_id",
    "form_name",
    "is_organic",
    "platform",
    "full_name",
    "email",
    "phone_number",
    "city",
    "what_is_your_budget?",
];

/// Bumped whenever the generator's output changes, so an old file is not reused by mistake.
const GENERATOR_VERSION: u32 = 1;

/// The newest lead's time (2026-03-31T23:59:59Z); the others go back over `SPAN_SECS`.
const NEWEST: i64 = 1_775_001_599;
const SPAN_SECS: i64 = 90 * 24 * 3600;

/// SplitMix64: a tiny, fast, well-mixed generator; plenty for made-up leads.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0). The modulo bias is far below anything a benchmark sees.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The generated file for `leads` and `seed` in `dir`: reused when it is already there,
/// written otherwise (under a temporary name first, so a stopped run leaves no half file).
pub fn ensure_file(dir: &Path, leads: u64, seed: u64) -> Result<(PathBuf, bool), Fail> {
    let path = dir.join(format!("meta-leads-v{GENERATOR_VERSION}-{leads}-seed{seed}.csv"));
    if path.is_file() {
        return Ok((path, true));
    }
    let partial = path.with_extension("csv.partial");
    let file = File::create(&partial).map_err(|e| Fail::io("create", &partial, e))?;
    write_leads(BufWriter::with_capacity(1 << 20, file), leads, seed)
        .map_err(|e| Fail(format!("could not write {}: {e}", partial.display())))?;
    std::fs::rename(&partial, &path).map_err(|e| Fail::io("rename", &partial, e))?;
    Ok((path, false))
}

/// One ad a lead can come from, with Meta's prefixed ids.
struct Ad {
    ad_id: String,
    ad_name: String,
    adset_id: String,
    adset_name: &'static str,
    campaign_id: String,
    campaign_name: &'static str,
    form: usize,
}

struct Campaign {
    name: &'static str,
    adsets: &'static [&'static str],
    form: usize,
}

const CAMPAIGNS: &[Campaign] = &[
    Campaign {
        name: "Spring Kitchen Remodel, 2026",
        adsets: &[
            "Homeowners 35-65, 25 mi",
            "Lookalike 1% - Past customers",
            "Retargeting - Site visitors 30d",
        ],
        form: 0,
    },
    Campaign {
        name: "Bathroom Refresh - Lead Gen",
        adsets: &["Homeowners 30-60", "Interests: Interior design"],
        form: 0,
    },
    Campaign {
        name: "Free Dental Check-up (New Patients)",
        adsets: &["Parents 28-50, 10 mi", "Broad - 18+"],
        form: 1,
    },
    Campaign {
        name: "Invisalign Consultation Q1",
        adsets: &["Adults 20-45", "Lookalike 2% - Booked patients", "Retargeting - IG engagers 60d"],
        form: 1,
    },
    Campaign { name: "Solar Savings Calculator", adsets: &["Homeowners, high sun", "Broad - 30+"], form: 2 },
    Campaign {
        name: "Home Valuation - Sellers",
        adsets: &["Homeowners 45+", "Lookalike 1% - Listings", "Life event: Moved recently"],
        form: 3,
    },
    Campaign {
        name: "First-time Buyers Webinar",
        adsets: &["Renters 25-40", "Interests: Mortgages"],
        form: 4,
    },
    Campaign {
        name: "Lawn Care Spring Special",
        adsets: &["Homeowners, 15 mi", "Retargeting - Quote page 14d"],
        form: 2,
    },
    Campaign {
        name: "Gym Membership - 7 Day Pass",
        adsets: &["Fitness interests 18-40", "Lookalike 3% - Members"],
        form: 5,
    },
    Campaign {
        name: "Personal Injury Free Case Review",
        adsets: &["Broad - 21+", "Retargeting - Video viewers 50%"],
        form: 1,
    },
    Campaign {
        name: "Roof Inspection After Storms",
        adsets: &["Storm areas, 30 mi", "Homeowners 40+"],
        form: 0,
    },
    Campaign {
        name: "Wedding Photography 2026",
        adsets: &["Engaged, 25-38", "Interests: Wedding planning"],
        form: 4,
    },
];

const AD_KINDS: &[&str] = &["Video - Before/after", "Carousel - 5 projects", "Image - Limited offer"];

const FORMS: &[&str] = &[
    "Free quote form",
    "Book a consultation",
    "Get my savings estimate",
    "What is my home worth?",
    "Save my seat",
    "Claim the free pass",
];

fn ads() -> Vec<Ad> {
    let mut ads = Vec::new();
    for (c, campaign) in CAMPAIGNS.iter().enumerate() {
        let campaign_id = 120_208_471_000_000_000 + c as u64 * 7_919;
        for (s, adset) in campaign.adsets.iter().enumerate() {
            let adset_id = campaign_id + 1_000_000 + s as u64 * 104_729;
            for (k, kind) in AD_KINDS.iter().enumerate() {
                ads.push(Ad {
                    ad_id: format!("ag:{}", adset_id + 1_000_000 + k as u64 * 31),
                    ad_name: format!("{kind} #{}", s + 1),
                    adset_id: format!("as:{adset_id}"),
                    adset_name: adset,
                    campaign_id: format!("c:{campaign_id}"),
                    campaign_name: campaign.name,
                    form: campaign.form,
                });
            }
        }
    }
    ads
}

/// Writes the header and `leads` rows, newest first, as Meta's download lists them.
fn write_leads(out: impl Write, leads: u64, seed: u64) -> Result<(), csv::Error> {
    let mut rng = SplitMix64::new(seed);
    let ads = ads();
    let form_ids: Vec<String> =
        (0..FORMS.len()).map(|f| format!("f:{}", 1_039_114_872_000 + f as u64 * 613)).collect();
    let domain_total: u64 = EMAIL_DOMAINS.iter().map(|(_, w)| u64::from(*w)).sum();
    let stride = (SPAN_SECS / leads.max(1) as i64).max(1);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let (mut full_name, mut email) = (String::new(), String::new());
    for i in 0..leads {
        let first = *rng.pick(FIRST_NAMES);
        let last = *rng.pick(LAST_NAMES);
        full_name.clear();
        full_name.push_str(first);
        full_name.push(' ');
        full_name.push_str(last);

        email.clear();
        match rng.below(6) {
            0 => {
                push_email_part(&mut email, first);
                push_email_part(&mut email, last);
            }
            1 => {
                let initial = first.char_indices().nth(1).map_or(first, |(end, _)| &first[..end]);
                push_email_part(&mut email, initial);
                email.push('.');
                push_email_part(&mut email, last);
            }
            2 => {
                push_email_part(&mut email, first);
                email.push('_');
                push_email_part(&mut email, last);
            }
            3 => {
                push_email_part(&mut email, last);
                email.push('.');
                push_email_part(&mut email, first);
            }
            _ => {
                push_email_part(&mut email, first);
                email.push('.');
                push_email_part(&mut email, last);
            }
        }
        email.push_str(&(i + 1).to_string());
        email.push('@');
        let mut at = rng.below(domain_total);
        let domain = EMAIL_DOMAINS
            .iter()
            .find(|(_, weight)| {
                let hit = at < u64::from(*weight);
                at = at.saturating_sub(u64::from(*weight));
                hit
            })
            .map_or("gmail.com", |(d, _)| d);
        email.push_str(domain);

        let phone = format!("+1 555 {:03} {:04}", rng.below(1000), rng.below(10_000));
        let created = NEWEST - i as i64 * stride - rng.below(stride as u64) as i64;
        let created =
            DateTime::from_timestamp(created, 0).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S+0000");
        let id = format!("l:{}", 1_294_817_300_000_000 + i * 17 + rng.below(17));
        let ad = rng.pick(&ads);
        // A few leads come from the page's form without an ad: Meta leaves the ad columns empty.
        let organic = rng.below(100) < 3;
        let platform = if rng.below(100) < 62 { "fb" } else { "ig" };
        let city = *rng.pick(CITIES);
        let budget = *rng.pick(BUDGETS);
        let (ad_id, ad_name, adset_id, adset_name, campaign_id, campaign_name) = if organic {
            ("", "", "", "", "", "")
        } else {
            (
                ad.ad_id.as_str(),
                ad.ad_name.as_str(),
                ad.adset_id.as_str(),
                ad.adset_name,
                ad.campaign_id.as_str(),
                ad.campaign_name,
            )
        };
        w.write_record([
            id.as_str(),
            &created.to_string(),
            ad_id,
            ad_name,
            adset_id,
            adset_name,
            campaign_id,
            campaign_name,
            &form_ids[ad.form],
            FORMS[ad.form],
            if organic { "true" } else { "false" },
            platform,
            &full_name,
            &email,
            &phone,
            city,
            budget,
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(leads: u64, seed: u64) -> String {
        let mut out = Vec::new();
        write_leads(&mut out, leads, seed).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_file() {
        assert_eq!(generated(200, 7), generated(200, 7));
        assert_ne!(generated(200, 7), generated(200, 8));
    }

    #[test]
    fn rows_have_every_column_and_meta_prefixes() {
        let text = generated(500, 1);
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 500);
        for row in &rows {
            assert_eq!(row.len(), HEADER.len());
            assert!(row[0].starts_with("l:"));
            assert!(row[13].contains('@') && row[13].is_ascii());
            assert!(row[14].starts_with("+1 555 "));
            assert!(row[1].ends_with("+0000"));
        }
        // Newest first, over about 90 days.
        assert!(rows[0][1] > rows[499][1]);
    }
}
