//! HubSpot: OAuth (access tokens last 30 minutes) or a pasted private-app token (`pat-…`).

use leadvault_core::connections::{AuthKind, Credentials};
use reqwest::Method;
use url::Url;

use crate::connector::{Account, Spec, at, plain, text};
use crate::http::{Auth, Http};
use crate::{Error, Result};

const NAME: &str = "HubSpot";

pub(crate) fn spec() -> Spec {
    Spec {
        name: NAME,
        authorize: "https://app.hubspot.com/oauth/authorize",
        token: "https://api.hubapi.com/oauth/v1/token",
        api: "https://api.hubapi.com",
        scopes: &[
            "oauth",
            "crm.objects.contacts.read",
            "crm.objects.contacts.write",
            "crm.objects.owners.read",
        ],
        extra: &[],
        basic_auth: false,
        loopback: true,
        embedded_redirect: None,
    }
}

/// `GET /account-info/v3/details`: the portal the token belongs to.
pub(crate) async fn verify(http: &Http, api: &Url, credentials: &Credentials) -> Result<Account> {
    let url = at(api, "/account-info/v3/details");
    let answer = http.json(NAME, Method::GET, url, Auth::Bearer(&credentials.access_token), plain).await?;
    let id = text(answer.get("portalId")).ok_or_else(|| Error::Unavailable {
        provider: NAME,
        reason: "its account details had no portalId".into(),
    })?;
    let name = match text(answer.get("uiDomain")) {
        Some(domain) => format!("HubSpot account {id} ({domain})"),
        None => format!("HubSpot account {id}"),
    };
    Ok(Account { id, name })
}

/// OAuth grants end by deleting the refresh token; a private-app token can only be rotated or
/// deleted in HubSpot's settings.
pub(crate) async fn revoke(
    http: &Http,
    token_url: &Url,
    auth: AuthKind,
    credentials: &Credentials,
) -> Result<bool> {
    let (AuthKind::Oauth, Some(refresh)) = (auth, &credentials.refresh_token) else {
        return Ok(false);
    };
    let mut url = at(token_url, "/oauth/v1/refresh-tokens/");
    url.path_segments_mut()
        .map_err(|_| Error::Config("bad HubSpot address".into()))?
        .pop_if_empty()
        .push(refresh.expose());
    let response =
        http.client().delete(url).send().await.map_err(|e| crate::http::unreachable_error(NAME, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(true);
    }
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    Err(crate::http::classify(NAME, status, None, &body))
}
