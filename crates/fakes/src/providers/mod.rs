//! One module per provider: its routes, token formats, and its own wording of errors.
//! Sync endpoints (lead pages, GAQL, CRM upserts) go in the same modules, on the same state.

mod gaql;
mod google_ads;
mod hubspot;
mod meta;
mod pipedrive;
mod salesforce;

use std::sync::Arc;

use axum::Router;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::oauth::{Issued, OAuthError};
use crate::state::Shared;
use crate::{Provider, fault};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let routes = match shared.provider {
        Provider::Meta => meta::routes(),
        Provider::GoogleAds => google_ads::routes(),
        Provider::Hubspot => hubspot::routes(),
        Provider::Pipedrive => pipedrive::routes(),
        Provider::Salesforce => salesforce::routes(),
    };
    routes
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), fault::layer))
        .with_state(shared)
}

async fn not_found(axum::extract::State(shared): axum::extract::State<Arc<Shared>>) -> Response {
    status_error(&shared, 404)
}

/// Random enough for tokens: a fresh ULID per call, in the alphabet given.
pub(crate) fn random(len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut n = ulid::Ulid::generate().0;
        for _ in 0..12 {
            out.push(alphabet[(n % alphabet.len() as u128) as usize] as char);
            n /= alphabet.len() as u128;
        }
    }
    out.truncate(len);
    out
}

pub(crate) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(crate) const HEX: &[u8] = b"0123456789abcdef";
pub(crate) const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(crate) fn uuid() -> String {
    let hex = random(32, HEX);
    format!("{}-{}-4{}-a{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..])
}

pub(crate) fn authorization_code(provider: Provider) -> String {
    match provider {
        Provider::GoogleAds => format!("4/0A{}", random(72, URLSAFE)),
        Provider::Meta => format!("AQ{}", random(200, URLSAFE)),
        Provider::Hubspot => uuid(),
        Provider::Pipedrive => format!("{}.{}", random(8, HEX), random(40, HEX)),
        Provider::Salesforce => format!("aPrx{}==", random(80, ALNUM)),
    }
}

pub(crate) fn access_token(shared: &Shared) -> String {
    let account = &shared.account;
    match shared.provider {
        Provider::GoogleAds => format!("ya29.a0{}", random(150, URLSAFE)),
        Provider::Meta => format!("EAAG{}", random(180, ALNUM)),
        Provider::Hubspot => format!("CO{}", random(140, URLSAFE)),
        Provider::Pipedrive => {
            format!("{}:{}:{}", account.company_id, account.user.id, random(40, HEX))
        }
        Provider::Salesforce => format!("{}!AQ{}", &account.org_id[..15], random(96, ALNUM)),
    }
}

pub(crate) fn refresh_token(provider: Provider) -> String {
    match provider {
        Provider::GoogleAds => format!("1//0{}", random(100, URLSAFE)),
        Provider::Meta => format!("EAAG{}", random(180, ALNUM)),
        Provider::Hubspot => format!("na1-{}", uuid()),
        Provider::Pipedrive => format!("{}:{}", random(8, HEX), random(40, HEX)),
        Provider::Salesforce => format!("5Aep861{}", random(80, ALNUM)),
    }
}

/// The long-lived token a user pastes.
pub(crate) fn pasted_token(provider: Provider) -> String {
    match provider {
        // A Business Manager system-user token.
        Provider::Meta => format!("EAAG{}", random(180, ALNUM)),
        // A private-app access token.
        Provider::Hubspot => format!("pat-na1-{}", uuid()),
        // A personal API token: 40 hex digits.
        Provider::Pipedrive => random(40, HEX),
        Provider::GoogleAds => format!("ya29.a0{}", random(150, URLSAFE)),
        Provider::Salesforce => format!("00D{}!AQ{}", random(12, ALNUM), random(96, ALNUM)),
    }
}

pub(crate) fn granted_scope(provider: Provider, requested: &str) -> String {
    match (provider, requested) {
        (Provider::Pipedrive, _) => "base,contacts:full,leads:full,users:read".to_string(),
        (Provider::Salesforce, "") => "api refresh_token".to_string(),
        (_, requested) => requested.to_string(),
    }
}

pub(crate) fn token_body(shared: &Shared, issued: &Issued) -> Value {
    match shared.provider {
        Provider::Meta => meta::token_body(issued),
        Provider::GoogleAds => google_ads::token_body(issued),
        Provider::Hubspot => hubspot::token_body(issued),
        Provider::Pipedrive => pipedrive::token_body(shared, issued),
        Provider::Salesforce => salesforce::token_body(shared, issued),
    }
}

pub(crate) fn oauth_error(shared: &Shared, error: OAuthError) -> Response {
    match shared.provider {
        Provider::Meta => meta::oauth_error(error),
        Provider::GoogleAds => google_ads::oauth_error(error),
        Provider::Hubspot => hubspot::oauth_error(error),
        Provider::Pipedrive => pipedrive::oauth_error(error),
        Provider::Salesforce => salesforce::oauth_error(error),
    }
}

/// The provider's error answer for an HTTP status (injected 5xx, unknown paths).
pub(crate) fn status_error(shared: &Shared, status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match shared.provider {
        Provider::Meta => meta::status_error(status),
        Provider::GoogleAds => google_ads::status_error(status),
        Provider::Hubspot => hubspot::status_error(status),
        Provider::Pipedrive => pipedrive::status_error(status),
        Provider::Salesforce => salesforce::status_error(status),
    }
}

/// The provider's rate-limit answer.
pub(crate) fn rate_limited(shared: &Shared, retry_after_secs: u64) -> Response {
    match shared.provider {
        Provider::Meta => meta::rate_limited(retry_after_secs),
        Provider::GoogleAds => google_ads::rate_limited(retry_after_secs),
        Provider::Hubspot => hubspot::rate_limited(retry_after_secs),
        Provider::Pipedrive => pipedrive::rate_limited(retry_after_secs),
        Provider::Salesforce => salesforce::rate_limited(retry_after_secs),
    }
}

/// OAuth endpoints (authorize, token, revoke) on any fake: `fault_rate` spares them.
pub(crate) fn is_oauth_path(path: &str) -> bool {
    path.contains("/oauth") || path == "/token" || path == "/revoke"
}

/// The query string's pairs, decoded, in order (repeated keys kept).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect()
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `2026-10-01T09:15:00.123Z`.
pub(crate) fn iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `Authorization: Bearer …`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_string())
}

/// Counts an API request and returns how many came before it (for usage headers).
pub(crate) fn count_api(shared: &Shared) -> u64 {
    let mut inner = shared.lock();
    inner.api_requests += 1;
    inner.api_requests
}

pub(crate) fn json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

pub(crate) fn with_headers(mut response: Response, headers: &[(&'static str, String)]) -> Response {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(HeaderName::from_static(name), value);
        }
    }
    response
}

pub(crate) fn standard_oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(status, serde_json::json!({"error": error, "error_description": description}))
}

/// A Leadvault-ish trace id: 11 URL-safe characters.
pub(crate) fn trace_id() -> String {
    random(11, URLSAFE)
}
