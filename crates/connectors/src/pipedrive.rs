//! Pipedrive: OAuth (client credentials by HTTP Basic; the answer names the company's API
//! address) or a pasted personal API token, sent in the `x-api-token` header.

use leadvault_core::connections::{AuthKind, Credentials};
use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::connector::{Account, Spec, at, plain, post_form, text};
use crate::http::{Auth, Http};
use crate::{Error, Result};

const NAME: &str = "Pipedrive";

pub(crate) fn spec() -> Spec {
    Spec {
        name: NAME,
        authorize: "https://oauth.pipedrive.com/oauth/authorize",
        token: "https://oauth.pipedrive.com/oauth/token",
        api: "https://api.pipedrive.com",
        scopes: &[],
        extra: &[],
        basic_auth: true,
        loopback: true,
        embedded_redirect: None,
    }
}

pub(crate) fn auth(kind: AuthKind, credentials: &Credentials) -> Auth<'_> {
    match kind {
        AuthKind::Token => Auth::Header("x-api-token", &credentials.access_token),
        AuthKind::Oauth => Auth::Bearer(&credentials.access_token),
    }
}

/// `GET /api/v1/users/me`: the user and company the token belongs to.
pub(crate) async fn verify(
    http: &Http,
    api: &Url,
    kind: AuthKind,
    credentials: &Credentials,
) -> Result<Account> {
    let url = at(api, "/api/v1/users/me");
    let answer = http.json(NAME, Method::GET, url, auth(kind, credentials), plain).await?;
    if answer.get("success").and_then(Value::as_bool) != Some(true) {
        return Err(Error::Rejected { provider: NAME, reason: "its answer said success: false".into() });
    }
    let data = answer.get("data").unwrap_or(&Value::Null);
    let id = text(data.get("company_id")).ok_or_else(|| Error::Unavailable {
        provider: NAME,
        reason: "its answer had no company_id".into(),
    })?;
    let name = text(data.get("company_name")).unwrap_or_else(|| format!("Pipedrive company {id}"));
    Ok(Account { id, name })
}

/// OAuth grants are revoked with the refresh token; a personal API token is managed in
/// Pipedrive's settings.
pub(crate) async fn revoke(
    http: &Http,
    token_url: &Url,
    kind: AuthKind,
    client_id: Option<&str>,
    credentials: &Credentials,
) -> Result<bool> {
    let (AuthKind::Oauth, Some(refresh), Some(client_id)) = (kind, &credentials.refresh_token, client_id)
    else {
        return Ok(false);
    };
    let basic = Some((client_id, credentials.client_secret.as_ref()));
    let form = [("token", refresh.expose()), ("token_type_hint", "refresh_token")];
    post_form(http, NAME, at(token_url, "/oauth/revoke"), basic, &form).await
}
