//! Provider-compatible HTTP servers on 127.0.0.1 for Leadvault's connector tests.
//!
//! One [`Fake`] is one provider's hosts folded into one loopback server: its OAuth
//! authorize / token / revoke endpoints (authorization code with PKCE S256 required) and the
//! cheap account calls a connector makes to verify a token. Every path is the provider's real
//! path, so a client only swaps scheme and host (`base_url`) to talk to a fake. Response bodies,
//! error bodies and the usage headers follow each provider's published reference; see
//! `README.md` beside this crate for what each fake speaks.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use leadvault_fakes::{Fake, Fault, Provider};
//! let fake = Fake::start(Provider::Hubspot).await?;
//! let token = fake.issue_token(); // a private-app token, as if pasted by the user
//! fake.inject("/account-info/v3/details", Fault::RateLimited { retry_after_secs: 1 }, 1);
//! println!("{} {token}", fake.base_url());
//! # Ok(()) }
//! ```
//!
//! The sync endpoints (Meta lead forms and leads, Google Ads GAQL and mutations, the CRMs'
//! upserts, searches and queries) live in the same per-provider modules, over the same
//! state (tokens, faults, call counts, seed); seeded leads are generated on demand.

mod data;
mod fault;
mod model;
mod oauth;
mod providers;
mod seed;
mod state;

pub use model::{AdGroup, AdSchedule, AdsState, Campaign, CrmRecord, CrmWrites, Keyword};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::state::Shared;

/// The only OAuth client id the fakes accept; any other gets `invalid_client` (in the
/// provider's own error format).
pub const CLIENT_ID: &str = "leadvault-test-client";

/// The providers Leadvault connects to; one fake server each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Meta,
    GoogleAds,
    Hubspot,
    Pipedrive,
    Salesforce,
}

impl Provider {
    /// Every provider, in a fixed order.
    pub const ALL: [Provider; 5] =
        [Provider::Meta, Provider::GoogleAds, Provider::Hubspot, Provider::Pipedrive, Provider::Salesforce];

    /// The provider's name on the command line: `meta`, `google-ads`, `hubspot`,
    /// `pipedrive`, `salesforce`.
    pub fn slug(self) -> &'static str {
        match self {
            Provider::Meta => "meta",
            Provider::GoogleAds => "google-ads",
            Provider::Hubspot => "hubspot",
            Provider::Pipedrive => "pipedrive",
            Provider::Salesforce => "salesforce",
        }
    }
}

/// What the (simulated) user answers on the provider's consent page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Consent {
    #[default]
    Approve,
    Deny,
}

/// A failure injected into the next requests to one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and the provider's error body for it.
    Status(u16),
    /// The provider's rate-limit answer. Where the provider sends `Retry-After` (or its own
    /// equivalent header or body field) it carries this many seconds; Meta sends no
    /// `Retry-After` but its usage headers at 100 % and `estimated_time_to_regain_access`.
    RateLimited { retry_after_secs: u64 },
    /// Wait this long, then answer normally.
    Slow(Duration),
    /// Send the normal answer's headers (with its full `Content-Length`) and half its body,
    /// then close the connection.
    CutOff,
}

/// Options for [`Fake::start_with`]; start from `Options::default()` and set what matters:
/// `Options { seed: 7, leads: 20_000, ..Options::default() }`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Seed for every generated name, id and account: the same seed gives the same data.
    pub seed: u64,
    /// How many leads each lead source holds at start: Meta across its lead forms (lead `i`
    /// in form `i % forms`), Google Ads as `lead_form_submission_data` rows. Leads are made
    /// on demand from `(seed, i)`, so a large number costs no memory.
    pub leads: u64,
    /// Unix seconds the seeded leads end at; they are spread over the 28 days before it.
    /// `None`: midnight UTC of the day the fake starts.
    pub leads_until: Option<i64>,
    /// The providers' rate limits, as the fakes enforce them.
    pub limits: Limits,
    /// The port to bind on 127.0.0.1; 0 picks an ephemeral one.
    pub port: u16,
    /// The share (0.0–1.0) of API requests (not OAuth) that fail with a 503 in the provider's
    /// format, decided by a seeded sequence (demo mode's `--fault-rate`).
    pub fault_rate: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options { seed: 1, leads: 50, leads_until: None, limits: Limits::default(), port: 0, fault_rate: 0.0 }
    }
}

/// Rate limits the fakes enforce; 0 (or `None`) turns one off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// HubSpot: requests per 10 s per token (`X-HubSpot-RateLimit-Max`); 100 as on Free and
    /// Starter portals and OAuth apps.
    pub hubspot_per_10s: u32,
    /// HubSpot: CRM search requests per second per token (4, as documented).
    pub hubspot_search_per_s: u32,
    /// HubSpot: requests per day (`X-HubSpot-RateLimit-Daily`).
    pub hubspot_daily: u32,
    /// Pipedrive: requests per 2 s per token (`x-ratelimit-limit`).
    pub pipedrive_per_2s: u32,
    /// Meta: Graph calls per hour per app; `X-App-Usage.call_count` is the share used (%),
    /// and at 100 % calls fail with code 4.
    pub meta_calls_per_hour: u32,
    /// Meta: lead reads (`/{form}/leads` calls) per 24 h per page before code 32; `None`:
    /// Meta's formula, 200 × 24 × the leads the page holds.
    pub meta_lead_reads_per_day: Option<u64>,
    /// Salesforce: API requests per 24 h (`Sforce-Limit-Info`); beyond it 403
    /// `REQUEST_LIMIT_EXCEEDED`.
    pub salesforce_per_day: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hubspot_per_10s: 100,
            hubspot_search_per_s: 4,
            hubspot_daily: 250_000,
            pipedrive_per_2s: 80,
            meta_calls_per_hour: 4_800,
            meta_lead_reads_per_day: None,
            salesforce_per_day: 15_000,
        }
    }
}

impl Limits {
    /// No limit at all (for tests that page fast and do not test limits).
    pub fn none() -> Limits {
        Limits {
            hubspot_per_10s: 0,
            hubspot_search_per_s: 0,
            hubspot_daily: 0,
            pipedrive_per_2s: 0,
            meta_calls_per_hour: 0,
            meta_lead_reads_per_day: Some(0),
            salesforce_per_day: 0,
        }
    }
}

/// One provider's fake server on 127.0.0.1; dropping it stops the server.
pub struct Fake {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Fake {
    /// Binds 127.0.0.1 on an ephemeral port and serves `provider` there, with the default seed.
    /// Must be called inside a Tokio runtime.
    pub async fn start(provider: Provider) -> std::io::Result<Fake> {
        Fake::start_with(provider, Options::default()).await
    }

    /// [`Fake::start`] with explicit options.
    pub async fn start_with(provider: Provider, options: Options) -> std::io::Result<Fake> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let shared = Arc::new(Shared::new(provider, base_url, options));
        let app = providers::router(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Fake { shared, addr, stop: Some(stop) })
    }

    /// Which provider this fake speaks.
    pub fn provider(&self) -> Provider {
        self.shared.provider
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the authorize endpoint answers from now on (default: approve).
    pub fn set_consent(&self, consent: Consent) {
        self.shared.lock().consent = consent;
    }

    /// A valid long-lived token of the kind a user pastes: a HubSpot private-app token
    /// (`pat-na1-…`), a Pipedrive personal API token (40 hex digits), a Meta system-user token,
    /// a Google or Salesforce access token.
    pub fn issue_token(&self) -> String {
        self.shared.issue_pasted()
    }

    /// Every access token issued so far (OAuth or pasted) fails from now on as the provider's
    /// expired-token error. Refresh tokens stay good.
    pub fn expire_access_tokens(&self) {
        self.shared.expire_access_tokens();
    }

    /// Refresh-token grants get `invalid_grant` (or the provider's equivalent) from now on, as
    /// after the user removed the app.
    pub fn refuse_refresh(&self) {
        self.shared.lock().refuse_refresh = true;
    }

    /// Every access and refresh token a sign-in or refresh handed out so far (not the pasted
    /// or page tokens), for tests that look for them where they must not be.
    pub fn tokens_issued(&self) -> Vec<String> {
        let inner = self.shared.lock();
        let mut issued: Vec<String> = inner
            .tokens
            .iter()
            .filter(|(_, t)| matches!(t.kind, state::Kind::Access | state::Kind::Refresh))
            .map(|(token, _)| token.clone())
            .collect();
        issued.sort();
        issued
    }

    /// Every token the revoke endpoint received, in order (known or not).
    pub fn revoked(&self) -> Vec<String> {
        self.shared.lock().revoked.clone()
    }

    /// How many requests reached `path` (no query string), faulted ones included. `path` may
    /// be a pattern (see [`Fake::inject`]); the count is then over every path it matches.
    pub fn calls(&self, path: &str) -> usize {
        let inner = self.shared.lock();
        if !fault::is_pattern(path) {
            return inner.calls.get(path).copied().unwrap_or(0);
        }
        inner.calls.iter().filter(|(p, _)| fault::matches(path, p)).map(|(_, n)| n).sum()
    }

    /// The next `times` requests to `path` fail with `fault`; queued after any fault already
    /// waiting there. `path` is a path without query, or a pattern of one: a segment `*` or
    /// `{name}` matches any one segment (`/v26.0/*/leads`,
    /// `/v26/customers/{cid}/googleAds:search`), a last segment `**` any rest
    /// (`/crm/v3/objects/**`).
    pub fn inject(&self, path: &str, fault: Fault, times: usize) {
        let mut inner = self.shared.lock();
        let queue = inner.faults.entry(path.to_string()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }
}

impl Fake {
    /// Adds `n` leads to the lead source (Meta: spread over its forms; Google Ads: new
    /// `lead_form_submission_data` rows), created now (and after every lead already there),
    /// as if people had just filled in the forms. Returns the new total.
    pub fn add_leads(&self, n: u64) -> u64 {
        self.shared.add_leads(n)
    }

    /// How many leads the lead source holds now (seeded plus added).
    pub fn lead_count(&self) -> u64 {
        self.shared.lock().timeline.total()
    }

    /// The ad account as it stands: campaigns (Meta and Google Ads), ad groups / ad sets,
    /// keywords and ad schedules (Google Ads), lead forms (Meta), after any mutations.
    pub fn ads_state(&self) -> AdsState {
        self.shared.lock().ads.clone()
    }

    /// Every record a CRM fake holds (HubSpot contacts, Pipedrive persons and leads,
    /// Salesforce Leads), in creation order.
    pub fn crm_records(&self) -> Vec<CrmRecord> {
        self.shared.lock().crm.records.clone()
    }

    /// How many records the CRM created and how many writes updated an existing one.
    pub fn crm_writes(&self) -> CrmWrites {
        self.shared.lock().crm.writes
    }

    /// A static token for demo mode: the same for the same seed and provider, valid until the
    /// fake stops (what `leadvault-fakes serve` prints).
    pub fn demo_token(&self) -> String {
        self.shared.demo_token()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fake")
            .field("provider", &self.shared.provider)
            .field("base_url", &self.base_url())
            .finish()
    }
}
