//! Google Ads: Google's OAuth for desktop apps (loopback redirect, PKCE, offline access for a
//! refresh token) and the Ads API over REST.

use leadvault_core::connections::Credentials;
use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::connector::{Account, Spec, at, plain, post_form};
use crate::http::{Auth, Http};
use crate::{Error, Result};

/// The Ads API version every call uses; Google switches old ones off on a schedule.
pub const API_VERSION: &str = "v26";

const NAME: &str = "Google Ads";

pub(crate) fn spec() -> Spec {
    Spec {
        name: NAME,
        authorize: "https://accounts.google.com/o/oauth2/v2/auth",
        token: "https://oauth2.googleapis.com/token",
        api: "https://googleads.googleapis.com",
        scopes: &["https://www.googleapis.com/auth/adwords"],
        // A refresh token is only given for offline access, and again only with consent.
        extra: &[("access_type", "offline"), ("prompt", "consent")],
        basic_auth: false,
        loopback: true,
        embedded_redirect: None,
    }
}

/// The bearer token, plus the developer token for setups that still have one (Google retired
/// the requirement in September 2026 and ignores the header; older setups still send it).
pub(crate) fn auth(credentials: &Credentials) -> Auth<'_> {
    match &credentials.developer_token {
        Some(dev) => Auth::BearerAnd(&credentials.access_token, "developer-token", dev),
        None => Auth::Bearer(&credentials.access_token),
    }
}

/// `customers:listAccessibleCustomers`: cheap, and it names the accounts the token opens.
pub(crate) async fn verify(http: &Http, api: &Url, credentials: &Credentials) -> Result<Account> {
    let url = at(api, &format!("/{API_VERSION}/customers:listAccessibleCustomers"));
    let answer = http.json(NAME, Method::GET, url, auth(credentials), plain).await?;
    let customers: Vec<String> = answer
        .get("resourceNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|r| r.trim_start_matches("customers/").to_string())
                .collect()
        })
        .unwrap_or_default();
    let Some(first) = customers.first() else {
        return Err(Error::Rejected {
            provider: NAME,
            reason: "this Google account opens no Ads account".into(),
        });
    };
    let name = match customers.len() {
        1 => format!("Google Ads customer {first}"),
        n => format!("{n} Google Ads customers"),
    };
    Ok(Account { id: first.clone(), name })
}

/// Google's revoke endpoint takes either token; revoking the refresh token ends the grant.
pub(crate) async fn revoke(http: &Http, token_url: &Url, credentials: &Credentials) -> Result<bool> {
    let token = credentials.refresh_token.as_ref().unwrap_or(&credentials.access_token);
    post_form(http, NAME, at(token_url, "/revoke"), None, &[("token", token.expose())]).await
}
