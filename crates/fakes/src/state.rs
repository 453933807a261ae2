//! What a fake remembers: consent, codes, tokens, faults, call counts. One lock; requests are
//! few and short.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::seed::Account;
use crate::{Consent, Fault, Provider, providers};

/// Authorization codes live this long, and are good once.
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(60);

pub(crate) struct Shared {
    pub provider: Provider,
    pub base_url: String,
    /// The seeded account every token of this fake belongs to.
    pub account: Account,
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
    pub fn new(provider: Provider, base_url: String, seed: u64) -> Shared {
        let account = Account::generate(provider, seed);
        let shared = Shared { provider, base_url, account, inner: Mutex::new(Inner::default()) };
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
