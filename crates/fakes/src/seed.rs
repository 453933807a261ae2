//! Deterministic, invented account data: the same seed gives the same names and ids. No real
//! person's data: names come from short generic lists, addresses from `example.com`.

use crate::Provider;

/// Account holders' names: the first twelve of the lead name lists, so accounts stay the
/// same for the same seed.
const FIRST: &[&str] = crate::data::FIRST.split_at(12).0;
const LAST: &[&str] = crate::data::LAST.split_at(12).0;
const COMPANY: [&str; 8] =
    ["Northwind", "Bluepeak", "Copperleaf", "Driftwood", "Evergreen", "Foxglove", "Granite", "Harborline"];
const TRADE: [&str; 6] = ["Roofing", "Dental", "Solar", "Fitness", "Realty", "Landscaping"];

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: &str) -> Rng {
        let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
        for byte in stream.bytes() {
            state = state.wrapping_mul(0x100_0000_01B3) ^ u64::from(byte);
        }
        Rng(state)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[(self.next() % list.len() as u64) as usize]
    }

    /// A number of exactly `digits` decimal digits.
    pub fn digits(&mut self, digits: u32) -> u64 {
        let low = 10u64.pow(digits - 1);
        low + self.next() % (9 * low)
    }

    /// `len` characters of Salesforce-style id alphabet.
    pub fn alnum(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize] as char).collect()
    }
}

/// An invented person.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub id: u64,
    pub first: String,
    pub last: String,
    pub email: String,
}

/// A Meta page the user manages.
#[derive(Clone, Debug)]
pub(crate) struct Page {
    pub id: String,
    pub name: String,
    pub access_token: String,
}

/// The one account (user + company/portal/org) a fake's tokens belong to.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub user: Person,
    pub company_id: u64,
    pub company_name: String,
    /// Lowercase slug of the company name (Pipedrive's company domain, HubSpot's ui domain).
    pub company_slug: String,
    /// Further people in the account (HubSpot owners, Pipedrive users).
    pub team: Vec<Person>,
    /// Google Ads customer ids the user can open.
    pub customers: Vec<u64>,
    /// Meta pages the user manages.
    pub pages: Vec<Page>,
    /// Salesforce org and user ids (18 characters).
    pub org_id: String,
    pub user_id: String,
    /// Meta ad account id (`act_<id>`).
    pub ad_account: u64,
}

impl Account {
    pub fn generate(provider: Provider, seed: u64) -> Account {
        let mut rng = Rng::new(seed, provider.slug());
        let company_name = format!("{} {}", rng.pick(&COMPANY), rng.pick(&TRADE));
        let company_slug: String = company_name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let person = |rng: &mut Rng, i: usize| {
            let first = rng.pick(FIRST).to_string();
            let last = rng.pick(LAST).to_string();
            let email = format!(
                "{}.{}{}@{}.example.com",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase(),
                if i == 0 { String::new() } else { i.to_string() },
                company_slug
            );
            Person { id: rng.digits(8), first, last, email }
        };
        let user = person(&mut rng, 0);
        let team: Vec<Person> = (1..=3).map(|i| person(&mut rng, i)).collect();
        let customers = (0..2).map(|_| rng.digits(10)).collect();
        let pages = (0..2)
            .map(|i| Page {
                id: rng.digits(15).to_string(),
                name: format!("{} {}", company_name, ["Leads", "Offers"][i]),
                access_token: format!("EAAG{}", rng.alnum(120)),
            })
            .collect();
        let org_id = format!("00D{}", rng.alnum(15));
        let user_id = format!("005{}", rng.alnum(15));
        let company_id = rng.digits(8);
        Account {
            ad_account: rng.digits(15),
            company_id,
            user,
            company_name,
            company_slug,
            team,
            customers,
            pages,
            org_id,
            user_id,
        }
    }
}
