//! What a fake remembers: consent, codes, tokens, faults, call counts. One lock; requests are
//! few and short.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::data::{self, Timeline};
use crate::model::{AdsState, Crm};
use crate::seed::{Account, Rng};
use crate::{Consent, Fault, Options, Provider, providers};

/// Authorization codes live this long, and are good once.
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(60);

pub(crate) struct Shared {
    pub provider: Provider,
    pub base_url: String,
    /// The seeded account every token of this fake belongs to.
    pub account: Account,
    pub options: Options,
    inner: Mutex<Inner>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub consent: Consent,
    pub codes: HashMap<String, Grant>,
    pub tokens: HashMap<String, Token>,
    pub refuse_refresh: bool,
    pub revoked: Vec<String>,
    pub calls: HashMap<String, usize>,
    pub faults: HashMap<String, VecDeque<Fault>>,
    /// API requests answered so far, for the usage headers.
    pub api_requests: u64,
    /// The lead source's leads in time (Meta, Google Ads).
    pub timeline: Timeline,
    pub ads: AdsState,
    pub crm: Crm,
    /// Recent request times per rate-limit window key (e.g. `hubspot:<token>`).
    pub windows: HashMap<String, VecDeque<Instant>>,
    /// Requests counted against a daily limit, per key.
    pub daily: HashMap<String, u64>,
    /// Results kept for cursor paging where the provider pages a snapshot (Salesforce's
    /// `nextRecordsUrl`): cursor id → rows.
    pub snapshots: HashMap<String, Vec<serde_json::Value>>,
    /// Draws for `Options::fault_rate`.
    pub fault_rng: Option<Rng>,
}

/// An authorization code and what it was issued for.
pub(crate) struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub scope: String,
    pub issued_at: Instant,
    pub used: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Access,
    Refresh,
    Pasted,
}

pub(crate) struct Token {
    pub kind: Kind,
    pub scope: String,
    /// The refresh token an access token was issued under (its grant).
    pub refresh: Option<String>,
    pub expired: bool,
    pub revoked: bool,
}

/// What a presented token is worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Valid,
    Missing,
    Invalid,
    Expired,
    Revoked,
}

impl Shared {
    pub fn new(provider: Provider, base_url: String, options: Options) -> Shared {
        let seed = options.seed;
        let account = Account::generate(provider, seed);
        let lead_source = matches!(provider, Provider::Meta | Provider::GoogleAds);
        let timeline = Timeline {
            seeded: if lead_source { options.leads } else { 0 },
            until: options.leads_until.unwrap_or_else(data::today_midnight),
            added: Vec::new(),
        };
        let pages: Vec<String> = account.pages.iter().map(|p| p.id.clone()).collect();
        let customer = if provider == Provider::Meta { account.ad_account } else { account.customers[0] };
        let ads = AdsState::generate(provider, seed, customer, &pages);
        let inner = Inner {
            timeline,
            ads,
            fault_rng: (options.fault_rate > 0.0).then(|| Rng::new(seed, "faults")),
            ..Inner::default()
        };
        let shared = Shared { provider, base_url, account, options, inner: Mutex::new(inner) };
        let demo = shared.demo_token();
        shared.lock().tokens.insert(demo, Token::new(Kind::Pasted, "", None));
        // Page tokens handed out by Meta's /me/accounts are long-lived tokens of their own.
        let page_tokens: Vec<String> = shared.account.pages.iter().map(|p| p.access_token.clone()).collect();
        {
            let mut inner = shared.lock();
            for token in page_tokens {
                inner.tokens.insert(token, Token::new(Kind::Pasted, "", None));
            }
        }
        shared
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn check(&self, token: Option<&str>) -> Access {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Access::Missing;
        };
        match self.lock().tokens.get(token) {
            None => Access::Invalid,
            Some(t) if t.kind == Kind::Refresh => Access::Invalid,
            Some(t) if t.revoked => Access::Revoked,
            Some(t) if t.expired => Access::Expired,
            Some(_) => Access::Valid,
        }
    }

    pub fn issue_pasted(&self) -> String {
        let token = providers::pasted_token(self.provider);
        self.lock().tokens.insert(token.clone(), Token::new(Kind::Pasted, "", None));
        token
    }

    pub fn issue_access(&self, scope: &str, refresh: Option<&str>) -> String {
        let token = providers::access_token(self);
        self.lock()
            .tokens
            .insert(token.clone(), Token::new(Kind::Access, scope, refresh.map(str::to_string)));
        token
    }

    pub fn issue_refresh(&self, scope: &str) -> String {
        let token = providers::refresh_token(self.provider);
        self.lock().tokens.insert(token.clone(), Token::new(Kind::Refresh, scope, None));
        token
    }

    /// The same long-lived token for the same seed and provider.
    pub fn demo_token(&self) -> String {
        let mut rng = Rng::new(self.options.seed, &format!("{}-demo-token", self.provider.slug()));
        match self.provider {
            Provider::Meta => format!("EAAG{}", rng.alnum(180)),
            Provider::Hubspot => {
                let hex = format!("{:016x}{:016x}", rng.next(), rng.next());
                format!(
                    "pat-na1-{}-{}-4{}-a{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[13..16],
                    &hex[17..20],
                    &hex[20..]
                )
            }
            Provider::Pipedrive => format!("{:016x}{:016x}{:08x}", rng.next(), rng.next(), rng.next() as u32),
            Provider::GoogleAds => format!("ya29.a0{}", rng.alnum(150)),
            Provider::Salesforce => format!("{}!AQ{}", &self.account.org_id[..15], rng.alnum(96)),
        }
    }

    /// Adds `n` leads created now (or just after the newest); returns the new total.
    pub fn add_leads(&self, n: u64) -> u64 {
        let mut inner = self.lock();
        let now = data::now();
        for _ in 0..n {
            let t = inner.timeline.next_time(self.options.seed, self.provider, now);
            inner.timeline.added.push(t);
        }
        inner.timeline.total()
    }

    /// Counts a request against a sliding window of `window` holding at most `max`; false when
    /// the window is full (the request is then not counted). `max == 0`: no limit.
    pub fn within(&self, key: &str, max: u32, window: Duration) -> (bool, u32) {
        if max == 0 {
            return (true, u32::MAX);
        }
        let now = Instant::now();
        let mut inner = self.lock();
        let queue = inner.windows.entry(key.to_string()).or_default();
        while queue.front().is_some_and(|t| now.duration_since(*t) >= window) {
            queue.pop_front();
        }
        if queue.len() >= max as usize {
            return (false, 0);
        }
        queue.push_back(now);
        (true, max - queue.len() as u32)
    }

    /// Counts one request against a daily budget; returns the count so far (this one
    /// included).
    pub fn count_daily(&self, key: &str) -> u64 {
        let mut inner = self.lock();
        let n = inner.daily.entry(key.to_string()).or_default();
        *n += 1;
        *n
    }

    pub fn expire_access_tokens(&self) {
        for token in self.lock().tokens.values_mut() {
            if token.kind != Kind::Refresh {
                token.expired = true;
            }
        }
    }

    /// Records a token the revoke endpoint received and ends its grant: the refresh token and
    /// every access token issued under it. Returns whether the token was known.
    pub fn revoke(&self, token: &str) -> bool {
        let mut inner = self.lock();
        inner.revoked.push(token.to_string());
        let Some(found) = inner.tokens.get(token) else {
            return false;
        };
        let grant = match found.kind {
            Kind::Refresh => Some(token.to_string()),
            _ => found.refresh.clone(),
        };
        for (key, t) in inner.tokens.iter_mut() {
            if key == token || (grant.is_some() && (t.refresh == grant || Some(key) == grant.as_ref())) {
                t.revoked = true;
            }
        }
        true
    }
}

impl Token {
    fn new(kind: Kind, scope: &str, refresh: Option<String>) -> Token {
        Token { kind, scope: scope.to_string(), refresh, expired: false, revoked: false }
    }
}
