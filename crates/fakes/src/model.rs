//! What the sync endpoints read and write, kept in memory and readable by tests: the ad
//! accounts' campaigns (Meta and Google Ads), Google's ad groups, keywords and ad schedules,
//! and the records a CRM received.

use serde_json::{Map, Value};

use crate::Provider;
use crate::seed::Rng;

/// A campaign of the ad account (Meta or Google Ads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub id: u64,
    pub name: String,
    /// `ENABLED` / `PAUSED` / `REMOVED` on Google; `ACTIVE` / `PAUSED` on Meta.
    pub status: String,
    /// The daily budget in micros (Google: `campaign_budget.amount_micros`; Meta: cents × 10^4).
    pub budget_micros: i64,
    /// Google: the campaign budget's id.
    pub budget_id: u64,
}

/// A Google Ads ad group (a Meta ad set for Meta leads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdGroup {
    pub id: u64,
    pub campaign_id: u64,
    pub name: String,
    pub status: String,
    pub cpc_bid_micros: i64,
    /// Meta: the ad in this ad set.
    pub ad_id: u64,
}

/// A Google Ads keyword (an ad group criterion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyword {
    pub criterion_id: u64,
    pub ad_group_id: u64,
    pub text: String,
    /// `EXACT` / `PHRASE` / `BROAD`.
    pub match_type: String,
    pub status: String,
    pub cpc_bid_micros: i64,
}

/// A Google Ads ad schedule (a campaign criterion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdSchedule {
    pub criterion_id: u64,
    pub campaign_id: u64,
    /// `MONDAY` … `SUNDAY`.
    pub day_of_week: String,
    pub start_hour: u32,
    /// `ZERO` / `FIFTEEN` / `THIRTY` / `FORTY_FIVE`.
    pub start_minute: String,
    pub end_hour: u32,
    pub end_minute: String,
}

/// The ad side of an account as it stands (after any mutations).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdsState {
    pub customer_id: u64,
    pub campaigns: Vec<Campaign>,
    pub ad_groups: Vec<AdGroup>,
    pub keywords: Vec<Keyword>,
    pub schedules: Vec<AdSchedule>,
    /// Meta: the lead forms, as (page id, form id, form name).
    pub forms: Vec<(String, String, String)>,
}

/// One record a CRM fake holds (a HubSpot contact, a Pipedrive person or lead, a Salesforce
/// Lead), with the provider's own field names.
#[derive(Clone, Debug, PartialEq)]
pub struct CrmRecord {
    /// The provider's id for it (HubSpot contact id, Pipedrive id / lead UUID, Salesforce `00Q…`).
    pub id: String,
    /// `contact` (HubSpot), `person` / `lead` (Pipedrive), `Lead` (Salesforce).
    pub kind: String,
    pub fields: Map<String, Value>,
    /// How many writes updated it after it was created.
    pub updates: u32,
}

impl CrmRecord {
    /// The record's email, wherever the provider keeps it.
    pub fn email(&self) -> Option<String> {
        if let Some(e) = self.fields.get("email").or_else(|| self.fields.get("Email")).and_then(Value::as_str)
        {
            return Some(e.to_string());
        }
        let emails = self.fields.get("emails")?.as_array()?;
        emails.first()?.get("value")?.as_str().map(str::to_string)
    }
}

/// How many records a CRM fake created and how many writes updated an existing one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrmWrites {
    pub created: usize,
    pub updated: usize,
}

#[derive(Default)]
pub(crate) struct Crm {
    pub records: Vec<CrmRecord>,
    pub writes: CrmWrites,
    /// Per-record timestamps (ms since the epoch): created, updated.
    pub times: Vec<(i64, i64)>,
    pub next_id: u64,
    /// Unique keys (`kind:field:value`, e.g. a contact's email) → record.
    pub keys: std::collections::HashMap<String, usize>,
}

impl Crm {
    pub fn find_id(&self, kind: &str, id: &str) -> Option<usize> {
        self.find_key(kind, "id", id)
    }

    /// The record whose unique `field` is `value` (ids and indexed fields).
    pub fn find_key(&self, kind: &str, field: &str, value: &str) -> Option<usize> {
        self.keys.get(&format!("{kind}:{field}:{}", value.to_ascii_lowercase())).copied()
    }

    pub fn set_key(&mut self, kind: &str, field: &str, value: &str, at: usize) {
        self.keys.insert(format!("{kind}:{field}:{}", value.to_ascii_lowercase()), at);
    }

    pub fn insert(&mut self, kind: &str, id: String, fields: Map<String, Value>, now_ms: i64) -> usize {
        let at = self.records.len();
        self.set_key(kind, "id", &id, at);
        self.records.push(CrmRecord { id, kind: kind.to_string(), fields, updates: 0 });
        self.times.push((now_ms, now_ms));
        self.writes.created += 1;
        at
    }

    pub fn update(&mut self, at: usize, fields: &Map<String, Value>, now_ms: i64) {
        let record = &mut self.records[at];
        for (k, v) in fields {
            record.fields.insert(k.clone(), v.clone());
        }
        record.updates += 1;
        self.times[at].1 = now_ms.max(self.times[at].0);
        self.writes.updated += 1;
    }
}

const CAMPAIGN_THEME: [&str; 6] =
    ["Spring Promo", "Brand Search", "Lead Gen", "Retargeting", "Local Services", "Free Quote"];
const KEYWORDS: [&str; 9] = [
    "roof repair",
    "solar panels cost",
    "dentist near me",
    "personal trainer",
    "homes for sale",
    "lawn care service",
    "free estimate",
    "emergency plumber",
    "kitchen remodel",
];
pub(crate) const DAYS: [&str; 7] =
    ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];

impl AdsState {
    /// Three campaigns with two ad groups (ad sets) each; Google also gets keywords and a
    /// weekday 9–17 schedule on the first campaign; Meta gets lead forms on its pages.
    pub(crate) fn generate(provider: Provider, seed: u64, customer_id: u64, pages: &[String]) -> AdsState {
        let mut rng = Rng::new(seed, &format!("{}-ads", provider.slug()));
        let meta = provider == Provider::Meta;
        let mut state = AdsState { customer_id, ..AdsState::default() };
        let id = |rng: &mut Rng| {
            if meta { 23_800_000_000_000_000 + rng.next() % 10u64.pow(14) } else { rng.digits(11) }
        };
        for c in 0..3 {
            let campaign_id = id(&mut rng);
            state.campaigns.push(Campaign {
                id: campaign_id,
                name: format!(
                    "{} {}",
                    CAMPAIGN_THEME[(c + (seed % 3) as usize) % CAMPAIGN_THEME.len()],
                    2026
                ),
                status: if meta { "ACTIVE" } else { "ENABLED" }.to_string(),
                budget_micros: [50_000_000, 25_000_000, 10_000_000][c],
                budget_id: rng.digits(10),
            });
            for g in 0..2 {
                let group_id = id(&mut rng);
                state.ad_groups.push(AdGroup {
                    id: group_id,
                    campaign_id,
                    name: format!("{} {}", ["Ad group", "Ad set"][meta as usize], g + 1),
                    status: if meta { "ACTIVE" } else { "ENABLED" }.to_string(),
                    cpc_bid_micros: 1_500_000 + 250_000 * (c * 2 + g) as i64,
                    ad_id: id(&mut rng),
                });
                if !meta {
                    for k in 0..3 {
                        state.keywords.push(Keyword {
                            criterion_id: rng.digits(12),
                            ad_group_id: group_id,
                            text: KEYWORDS[(c * 3 + g + k) % KEYWORDS.len()].to_string(),
                            match_type: ["EXACT", "PHRASE", "BROAD"][k].to_string(),
                            status: "ENABLED".into(),
                            cpc_bid_micros: 1_000_000 + 100_000 * k as i64,
                        });
                    }
                }
            }
        }
        if !meta {
            let campaign_id = state.campaigns[0].id;
            for day in &DAYS[..5] {
                state.schedules.push(AdSchedule {
                    criterion_id: rng.digits(9),
                    campaign_id,
                    day_of_week: day.to_string(),
                    start_hour: 9,
                    start_minute: "ZERO".into(),
                    end_hour: 17,
                    end_minute: "ZERO".into(),
                });
            }
        } else {
            // Two forms on the first page, one on the second.
            for (p, page) in pages.iter().enumerate() {
                for f in 0..(2 - p.min(1)) {
                    let name = ["Free quote", "Callback request"][f];
                    state.forms.push((page.clone(), rng.digits(15).to_string(), format!("{name} form")));
                }
            }
        }
        state
    }
}
