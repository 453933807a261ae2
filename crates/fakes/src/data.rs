//! Seeded lead data of any size, generated on demand: lead `i` of a source comes from
//! `(seed, provider, i)` alone, so 100,000 leads cost nothing until a page of them is asked
//! for. Seeded leads are spread over the [`SPAN`] before the data set's end time and their
//! times rise with `i`; leads added at runtime come after every seeded one.

use chrono::{DateTime, TimeZone, Utc};

use crate::Provider;
use crate::seed::Rng;

/// Seeded leads are spread over the 28 days before the data set's end time: inside Meta's
/// 90-day and Google's 60-day retention.
pub(crate) const SPAN: i64 = 28 * 24 * 3600;

pub(crate) const FIRST: [&str; 24] = [
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kendall", "Logan", "Morgan",
    "Quinn", "Riley", "Rowan", "Sage", "Skyler", "Taylor", "Alex", "Cameron", "Dakota", "Jamie", "Parker",
    "Reese", "Sydney",
];
pub(crate) const LAST: [&str; 20] = [
    "Ashdown",
    "Brightwater",
    "Coldbrook",
    "Dunmore",
    "Elmstead",
    "Fairhollow",
    "Greyfield",
    "Hartwell",
    "Ivydale",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Millbrook",
    "Northcott",
    "Oakridge",
    "Pinehurst",
    "Quarry",
    "Redfern",
    "Stonebridge",
    "Thornbury",
];
const CITY: [&str; 10] = [
    "Springfield",
    "Riverton",
    "Fairview",
    "Lakeside",
    "Greenville",
    "Oak Park",
    "Milford",
    "Clinton",
    "Franklin",
    "Georgetown",
];
/// Area codes for `+1 AAA 555 01xx`, the range set aside for fiction.
const AREA: [&str; 8] = ["202", "312", "415", "512", "617", "720", "206", "305"];
pub(crate) const BUDGET: [&str; 4] = ["under_$5k", "$5k_-_$15k", "$15k_-_$50k", "over_$50k"];
pub(crate) const TIMELINE: [&str; 3] = ["this_month", "next_3_months", "just_researching"];

/// One invented lead, the same for the same `(seed, provider, index)`.
#[derive(Clone, Debug)]
pub(crate) struct Lead {
    /// Unix seconds.
    pub created: i64,
    pub first: String,
    pub last: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub zip: String,
    pub budget: &'static str,
    pub timeline: &'static str,
    /// Which campaign / ad group (ad set) / ad of the account brought it (indexes).
    pub campaign: usize,
    pub ad_group: usize,
    pub organic: bool,
    /// Meta: `fb` or `ig`.
    pub platform: &'static str,
    /// Google: a click id.
    pub gclid: String,
}

/// Where a source's leads sit in time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    pub seeded: u64,
    /// Unix seconds the seeded leads end at.
    pub until: i64,
    /// Times of the leads added at runtime, rising.
    pub added: Vec<i64>,
}

impl Timeline {
    pub fn total(&self) -> u64 {
        self.seeded + self.added.len() as u64
    }

    pub fn time(&self, seed: u64, provider: Provider, index: u64) -> i64 {
        if index >= self.seeded {
            return self.added[(index - self.seeded) as usize];
        }
        let n = self.seeded.max(1) as i128;
        let start = (self.until - SPAN) as i128;
        let base = start + index as i128 * SPAN as i128 / n;
        let step = (SPAN as i128 / n).max(1) as u64;
        let mut rng = Rng::new(seed ^ index.rotate_left(17), &format!("{}-time", provider.slug()));
        (base + (rng.next() % step) as i128) as i64
    }

    /// The first index whose time is after `t` (times rise with the index).
    pub fn first_after(&self, seed: u64, provider: Provider, t: i64) -> u64 {
        let (mut lo, mut hi) = (0u64, self.total());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.time(seed, provider, mid) > t {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The time for the next added lead: now, or just after the newest lead.
    pub fn next_time(&self, seed: u64, provider: Provider, now: i64) -> i64 {
        let newest = match self.total() {
            0 => i64::MIN,
            n => self.time(seed, provider, n - 1),
        };
        now.max(newest + 1)
    }
}

pub(crate) fn lead(seed: u64, provider: Provider, timeline: &Timeline, index: u64, campaigns: usize) -> Lead {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0x9E37_79B9), &format!("{}-lead", provider.slug()));
    let first = rng.pick(&FIRST).to_string();
    let last = rng.pick(&LAST).to_string();
    let domain = if rng.next().is_multiple_of(2) { "example.com" } else { "example.org" };
    let email = format!("{}.{}{}@{domain}", first.to_ascii_lowercase(), last.to_ascii_lowercase(), index + 1);
    let phone = format!("+1{}55501{:02}", rng.pick(&AREA), rng.next() % 100);
    let city = rng.pick(&CITY).to_string();
    let zip = format!("{:05}", 10_000 + rng.next() % 89_000);
    let budget = BUDGET[(rng.next() % BUDGET.len() as u64) as usize];
    let timeline_answer = TIMELINE[(rng.next() % TIMELINE.len() as u64) as usize];
    let campaign = (rng.next() % campaigns.max(1) as u64) as usize;
    let ad_group = (rng.next() % 2) as usize;
    let organic = rng.next().is_multiple_of(20);
    let platform = if rng.next().is_multiple_of(3) { "ig" } else { "fb" };
    let gclid = format!("Cj0KCQ{}", rng.alnum(40));
    Lead {
        created: timeline.time(seed, provider, index),
        first,
        last,
        email,
        phone,
        city,
        zip,
        budget,
        timeline: timeline_answer,
        campaign,
        ad_group,
        organic,
        platform,
        gclid,
    }
}

pub(crate) fn utc(t: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(t, 0).single().unwrap_or_default()
}

/// Midnight UTC of today, as unix seconds.
pub(crate) fn today_midnight() -> i64 {
    let now = Utc::now().timestamp();
    now - now.rem_euclid(86_400)
}

pub(crate) fn now() -> i64 {
    Utc::now().timestamp()
}

/// One campaign's day: impressions, clicks, cost (micros), conversions; the same for the same
/// seed, campaign and day.
pub(crate) fn daily_metrics(seed: u64, campaign_id: u64, day: chrono::NaiveDate) -> (u64, u64, u64, f64) {
    use chrono::Datelike;
    let mut rng = Rng::new(seed ^ campaign_id ^ (day.num_days_from_ce() as u64).rotate_left(32), "metrics");
    let impressions = 200 + rng.next() % 1_800;
    let clicks = impressions * (2 + rng.next() % 6) / 100;
    let cost_micros = clicks * (800_000 + rng.next() % 2_200_000) / 10_000 * 10_000;
    let conversions = (clicks * (5 + rng.next() % 15) / 100) as f64;
    (impressions, clicks, cost_micros, conversions)
}
