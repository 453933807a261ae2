//! Salesforce: OAuth with PKCE; the token answer names the instance every later call goes to.

use leadvault_core::connections::Credentials;
use reqwest::Method;
use url::Url;

use crate::connector::{Account, Spec, at, plain, post_form, text};
use crate::http::{Auth, Http};
use crate::{Error, Result};

/// The REST API version every call uses.
pub const API_VERSION: &str = "v67.0";

const NAME: &str = "Salesforce";

pub(crate) fn spec() -> Spec {
    Spec {
        name: NAME,
        authorize: "https://login.salesforce.com/services/oauth2/authorize",
        token: "https://login.salesforce.com/services/oauth2/token",
        api: "https://login.salesforce.com",
        scopes: &["api", "refresh_token"],
        extra: &[],
        basic_auth: false,
        loopback: true,
        embedded_redirect: None,
    }
}

/// `GET /services/oauth2/userinfo` on the instance: the org and the user.
pub(crate) async fn verify(http: &Http, api: &Url, credentials: &Credentials) -> Result<Account> {
    let url = at(api, "/services/oauth2/userinfo");
    let answer = http.json(NAME, Method::GET, url, Auth::Bearer(&credentials.access_token), plain).await?;
    let id = text(answer.get("organization_id")).ok_or_else(|| Error::Unavailable {
        provider: NAME,
        reason: "its user info had no organization_id".into(),
    })?;
    let name = text(answer.get("name"))
        .map(|n| format!("{n}, org {id}"))
        .unwrap_or_else(|| format!("Salesforce org {id}"));
    Ok(Account { id, name })
}

/// Revoking the refresh token ends the grant and every access token it gave.
pub(crate) async fn revoke(http: &Http, token_url: &Url, credentials: &Credentials) -> Result<bool> {
    let token = credentials.refresh_token.as_ref().unwrap_or(&credentials.access_token);
    post_form(http, NAME, at(token_url, "/services/oauth2/revoke"), None, &[("token", token.expose())]).await
}
