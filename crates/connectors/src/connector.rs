//! One provider's addresses and the calls every connection needs: verify a token with one cheap
//! call, refresh it, revoke it.

use leadvault_core::connections::{AuthKind, Connection, Credentials, Provider};
use leadvault_core::secrets::Secret;
use serde::Serialize;
use url::Url;

use crate::http::Http;
use crate::oauth::{self, OAuthApp, Tokens};
use crate::{Error, Result, google_ads, hubspot, meta, pipedrive, salesforce};

/// The account a token belongs to, as the provider names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub name: String,
}

/// What a provider module tells the connector about itself.
pub(crate) struct Spec {
    pub name: &'static str,
    pub authorize: &'static str,
    pub token: &'static str,
    pub api: &'static str,
    pub scopes: &'static [&'static str],
    pub extra: &'static [(&'static str, &'static str)],
    pub basic_auth: bool,
    /// Whether a person can sign in through the system browser and a loopback redirect.
    pub loopback: bool,
    /// Otherwise, the provider's desktop redirect for a consent page shown in the app's own
    /// window (Meta's `login_success.html`), if it has one.
    pub embedded_redirect: Option<&'static str>,
}

fn spec(provider: Provider) -> Spec {
    match provider {
        Provider::Meta => meta::spec(),
        Provider::GoogleAds => google_ads::spec(),
        Provider::Hubspot => hubspot::spec(),
        Provider::Pipedrive => pipedrive::spec(),
        Provider::Salesforce => salesforce::spec(),
    }
}

/// The addresses of one provider.
#[derive(Debug, Clone)]
pub struct Hosts {
    pub authorize: Url,
    pub token: Url,
    pub api: Url,
}

/// A provider's client, pointed at the provider or, with a base URL, at a local server that
/// speaks its wire format (only the scheme, host and port change; paths stay the provider's).
pub struct Connector {
    provider: Provider,
    http: Http,
    hosts: Hosts,
    base_url: Option<Url>,
}

/// `url` with its scheme, host and port taken from `base`.
fn rebase(url: &str, base: &Url) -> Url {
    let mut url = Url::parse(url).expect("the providers' addresses are valid");
    let _ = url.set_scheme(base.scheme());
    let _ = url.set_host(base.host_str());
    let _ = url.set_port(base.port());
    url
}

/// Parses a base URL given by a person: http(s), a host, nothing else.
pub fn parse_base_url(text: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|_| {
        Error::Config(format!("{text:?} is not a URL; give one such as http://127.0.0.1:8080"))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!("{text:?} is not an http(s) address with a host")));
    }
    Ok(url)
}

impl Connector {
    /// A client for `provider`; `base_url` replaces every one of its addresses.
    pub fn new(provider: Provider, base_url: Option<&str>) -> Result<Connector> {
        let s = spec(provider);
        let base_url = base_url.map(parse_base_url).transpose()?;
        let at = |u: &'static str| match &base_url {
            Some(b) => rebase(u, b),
            None => Url::parse(u).expect("the providers' addresses are valid"),
        };
        let hosts = Hosts { authorize: at(s.authorize), token: at(s.token), api: at(s.api) };
        Ok(Connector { provider, http: Http::new()?, hosts, base_url })
    }

    /// The client for a saved connection: its base URL, and the API address its sign-in gave.
    pub fn for_connection(connection: &Connection) -> Result<Connector> {
        let mut c = Connector::new(connection.provider, connection.base_url.as_deref())?;
        if let Some(api) = &connection.api_base {
            c.hosts.api = parse_base_url(api)?;
        }
        Ok(c)
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn hosts(&self) -> &Hosts {
        &self.hosts
    }

    /// The base URL this client was pointed at, to remember with the connection.
    pub fn base_url(&self) -> Option<String> {
        self.base_url.as_ref().map(|u| u.as_str().trim_end_matches('/').to_string())
    }

    /// Whether a sign-in through the system browser works for this provider. Meta's does not:
    /// a live Meta app refuses plain-HTTP loopback redirects.
    pub fn supports_loopback_sign_in(&self) -> bool {
        spec(self.provider).loopback
    }

    /// Where the provider sends a consent page shown in the app's own window when it is done,
    /// for a provider that signs in that way (Meta). It is the provider's own address even with
    /// a base URL: the window stops at it and never loads it.
    pub fn embedded_redirect(&self) -> Option<Url> {
        spec(self.provider)
            .embedded_redirect
            .map(|u| Url::parse(u).expect("the providers' addresses are valid"))
    }

    /// The OAuth app for signing in, with the app's client id (and secret, for providers that
    /// want one sent).
    pub fn oauth_app(&self, client_id: String, client_secret: Option<Secret>) -> OAuthApp {
        let s = spec(self.provider);
        OAuthApp {
            provider: s.name,
            cli: self.provider.as_str(),
            client_id,
            client_secret,
            authorize: self.hosts.authorize.clone(),
            token: self.hosts.token.clone(),
            scopes: s.scopes.iter().map(|s| s.to_string()).collect(),
            extra: s.extra.to_vec(),
            basic_auth: s.basic_auth,
        }
    }

    /// The API address a sign-in's answer names (Salesforce's instance, Pipedrive's company
    /// domain), unless this client points at a local server.
    pub fn api_base_from(&self, tokens: &Tokens) -> Option<String> {
        if self.base_url.is_some() {
            return None;
        }
        tokens.extra.instance_url.clone().or_else(|| tokens.extra.api_domain.clone())
    }

    /// Checks `credentials` with one cheap call and says whose account they open.
    pub async fn verify(&self, auth: AuthKind, credentials: &Credentials) -> Result<Account> {
        let api = &self.hosts.api;
        match self.provider {
            Provider::Meta => meta::verify(&self.http, api, credentials).await,
            Provider::GoogleAds => google_ads::verify(&self.http, api, credentials).await,
            Provider::Hubspot => hubspot::verify(&self.http, api, credentials).await,
            Provider::Pipedrive => pipedrive::verify(&self.http, api, auth, credentials).await,
            Provider::Salesforce => salesforce::verify(&self.http, api, credentials).await,
        }
    }

    /// Trades the refresh token for a new access token.
    pub async fn refresh(&self, client_id: String, credentials: &Credentials) -> Result<Tokens> {
        let app = self.oauth_app(client_id, credentials.client_secret.clone());
        oauth::refresh(&app, &self.http, credentials).await
    }

    /// Revokes the connection's grant at the provider, where the provider has a way to; false
    /// when it has none for this kind of token (a HubSpot private-app token is revoked in
    /// HubSpot's settings).
    pub async fn revoke(
        &self,
        auth: AuthKind,
        client_id: Option<&str>,
        credentials: &Credentials,
    ) -> Result<bool> {
        match self.provider {
            Provider::Meta => meta::revoke(&self.http, &self.hosts.api, credentials).await,
            Provider::GoogleAds => google_ads::revoke(&self.http, &self.hosts.token, credentials).await,
            Provider::Hubspot => hubspot::revoke(&self.http, &self.hosts.token, auth, credentials).await,
            Provider::Pipedrive => {
                pipedrive::revoke(&self.http, &self.hosts.token, auth, client_id, credentials).await
            }
            Provider::Salesforce => salesforce::revoke(&self.http, &self.hosts.token, credentials).await,
        }
    }

    pub fn http(&self) -> &Http {
        &self.http
    }
}

/// Posts a form for a revoke call and says whether the provider accepted it.
pub(crate) async fn post_form(
    http: &Http,
    provider: &'static str,
    url: Url,
    basic: Option<(&str, Option<&Secret>)>,
    form: &[(&str, &str)],
) -> Result<bool> {
    let mut request = http.client().post(url).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, secret.map(|s| s.expose()));
    }
    let response = request.send().await.map_err(|e| crate::http::unreachable_error(provider, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(true);
    }
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    Err(crate::http::classify(provider, status, None, &body))
}

/// `api` joined with a path (and query) of the provider's.
pub(crate) fn at(api: &Url, path_and_query: &str) -> Url {
    api.join(path_and_query).expect("the providers' paths are valid")
}

/// No special reading of error bodies.
pub(crate) fn plain(_: reqwest::StatusCode, _: &serde_json::Value) -> Option<Error> {
    None
}

/// The objects of a JSON array, anything else in it skipped.
pub(crate) fn objects(items: Vec<serde_json::Value>) -> Vec<serde_json::Map<String, serde_json::Value>> {
    items
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        })
        .collect()
}

/// A JSON string or number as text.
pub(crate) fn text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
