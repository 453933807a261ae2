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
//! The sync endpoints (Meta lead pages, Google Ads GAQL, CRM upserts) are added per provider
//! in `providers/*`, over the same shared state (tokens, faults, call counts, seed).

mod fault;
mod oauth;
mod providers;
mod seed;
mod state;

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

/// Options for [`Fake::start_with`].
#[derive(Clone, Debug)]
pub struct Options {
    /// Seed for every generated name, id and account: the same seed gives the same data.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { seed: 1 }
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
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let shared = Arc::new(Shared::new(provider, base_url, options.seed));
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

    /// Every token the revoke endpoint received, in order (known or not).
    pub fn revoked(&self) -> Vec<String> {
        self.shared.lock().revoked.clone()
    }

    /// How many requests reached `path` (no query string), faulted ones included.
    pub fn calls(&self, path: &str) -> usize {
        self.shared.lock().calls.get(path).copied().unwrap_or(0)
    }

    /// The next `times` requests to `path` fail with `fault`; queued after any fault already
    /// waiting there.
    pub fn inject(&self, path: &str, fault: Fault, times: usize) {
        let mut inner = self.shared.lock();
        let queue = inner.faults.entry(path.to_string()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
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
