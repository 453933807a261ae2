//! HubSpot: app.hubspot.com's install page, the OAuth v1 token endpoints and the API
//! (api.hubapi.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use super::{bearer, count_api, json, uuid, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Kind, Shared};

/// Requests per 10-second window, as HubSpot reports it in `X-HubSpot-RateLimit-Max`.
const WINDOW_MAX: u64 = 190;
const DAILY_MAX: u64 = 1_000_000;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/authorize", get(oauth::authorize))
        .route("/oauth/v1/token", post(oauth::token))
        .route("/oauth/v1/refresh-tokens/{token}", delete(revoke))
        // `v3` is the path HubSpot now calls legacy; `2026-03` its date-versioned twin.
        .route("/account-info/v3/details", get(account_details))
        .route("/account-info/2026-03/details", get(account_details))
        .route("/crm/v3/owners", get(owners))
        .route("/crm/v3/owners/", get(owners))
}

/// OAuth v1's token answer: snake_case, 30-minute access tokens, the refresh token each time.
pub(crate) fn token_body(issued: &Issued) -> Value {
    json!({
        "token_type": "bearer",
        "refresh_token": issued.refresh,
        "access_token": issued.access,
        "expires_in": 1800,
    })
}

/// OAuth v1 errors are HubSpot's own: `{"status":"BAD_…","message":…,"correlationId":…}`,
/// not RFC 6749's `error` field.
pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let (status, message) = match error {
        InvalidClient => ("BAD_CLIENT_ID", "missing or unknown client id".to_string()),
        InvalidRequest(why) => ("BAD_REQUEST", why.to_string()),
        UnsupportedGrantType => ("BAD_GRANT_TYPE", "unsupported grant type".to_string()),
        UnknownCode | UsedCode | ExpiredCode => ("BAD_AUTH_CODE", "missing or unknown auth code".to_string()),
        RedirectMismatch => {
            ("BAD_REDIRECT_URI", "redirect_uri does not match the one the code was issued to".to_string())
        }
        MissingVerifier | VerifierMismatch => {
            ("BAD_AUTH_CODE", "code_verifier does not match the code_challenge".to_string())
        }
        BadRefresh | RefusedRefresh => ("BAD_REFRESH_TOKEN", "missing or unknown refresh token".to_string()),
    };
    json(StatusCode::BAD_REQUEST, json!({"status": status, "message": message, "correlationId": uuid()}))
}

fn api_error(status: StatusCode, message: &str, category: &str) -> Response {
    json(
        status,
        json!({"status": "error", "message": message, "correlationId": uuid(), "category": category}),
    )
}

pub(crate) fn unauthorized(access: Access) -> Response {
    match access {
        Access::Expired => api_error(
            StatusCode::UNAUTHORIZED,
            "The OAuth token used to make this call expired 1 second(s) ago.",
            "EXPIRED_AUTHENTICATION",
        ),
        Access::Missing => api_error(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        ),
        _ => api_error(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials not found or invalid. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        ),
    }
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    match status.as_u16() {
        404 => api_error(status, "Resource not found", "OBJECT_NOT_FOUND"),
        500..=599 => api_error(status, "internal error", "INTERNAL_ERROR"),
        _ => api_error(status, "Invalid input", "VALIDATION_ERROR"),
    }
}

pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    let body = json!({
        "status": "error",
        "message": "You have reached your secondly limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": uuid(),
        "policyName": "SECONDLY",
        "category": "RATE_LIMITS",
    });
    with_headers(
        json(StatusCode::TOO_MANY_REQUESTS, body),
        &[
            ("x-hubspot-ratelimit-max", WINDOW_MAX.to_string()),
            ("x-hubspot-ratelimit-remaining", "0".into()),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000".into()),
            ("x-hubspot-ratelimit-daily", DAILY_MAX.to_string()),
            ("x-hubspot-ratelimit-daily-remaining", (DAILY_MAX - 1).to_string()),
            ("retry-after", retry_after_secs.to_string()),
        ],
    )
}

fn limits(response: Response, requests: u64) -> Response {
    with_headers(
        response,
        &[
            ("x-hubspot-ratelimit-max", WINDOW_MAX.to_string()),
            ("x-hubspot-ratelimit-remaining", (WINDOW_MAX - 1 - (requests - 1) % WINDOW_MAX).to_string()),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000".into()),
            ("x-hubspot-ratelimit-daily", DAILY_MAX.to_string()),
            ("x-hubspot-ratelimit-daily-remaining", DAILY_MAX.saturating_sub(requests).to_string()),
        ],
    )
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<u64, Box<Response>> {
    match shared.check(bearer(headers).as_deref()) {
        Access::Valid => Ok(count_api(shared)),
        access => Err(Box::new(unauthorized(access))),
    }
}

/// `DELETE /oauth/v1/refresh-tokens/{token}`: 204 for a refresh token it knows.
async fn revoke(State(shared): State<Arc<Shared>>, Path(token): Path<String>) -> Response {
    let is_refresh = shared.lock().tokens.get(&token).is_some_and(|t| t.kind == Kind::Refresh);
    if shared.revoke(&token) && is_refresh {
        StatusCode::NO_CONTENT.into_response()
    } else {
        oauth_error(OAuthError::BadRefresh)
    }
}

/// `GET /account-info/v3/details`: the portal the token belongs to.
async fn account_details(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let requests = match authorized(&shared, &headers) {
        Ok(n) => n,
        Err(response) => return *response,
    };
    let body = json!({
        "portalId": shared.account.company_id,
        "accountType": "STANDARD",
        "timeZone": "US/Eastern",
        "companyCurrency": "USD",
        "additionalCurrencies": [],
        "utcOffset": "-05:00",
        "utcOffsetMilliseconds": -18_000_000,
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    });
    limits(json(StatusCode::OK, body), requests)
}

/// `GET /crm/v3/owners?limit=N&after=C`: the account's users as owners, paged.
async fn owners(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let requests = match authorized(&shared, &headers) {
        Ok(n) => n,
        Err(response) => return *response,
    };
    let limit = query.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(100).clamp(1, 500);
    let after = query.get("after").and_then(|a| a.parse::<usize>().ok()).unwrap_or(0);
    let people: Vec<_> = std::iter::once(&shared.account.user).chain(shared.account.team.iter()).collect();
    let results: Vec<Value> = people
        .iter()
        .enumerate()
        .skip(after)
        .take(limit)
        .map(|(i, person)| {
            let created = format!("2025-0{}-1{}T09:3{}:00.000Z", 1 + i % 9, i % 10, i % 10);
            json!({
                "id": (person.id + 30_000_000).to_string(),
                "email": person.email,
                "type": "PERSON",
                "firstName": person.first,
                "lastName": person.last,
                "userId": person.id,
                "userIdIncludingInactive": person.id,
                "createdAt": created,
                "updatedAt": created,
                "archived": false,
            })
        })
        .collect();
    let mut body = json!({ "results": results });
    let next = after + limit;
    if next < people.len() {
        body["paging"] = json!({"next": {
            "after": next.to_string(),
            "link": format!("{}/crm/v3/owners/?limit={limit}&after={next}", shared.base_url),
        }});
    }
    limits(json(StatusCode::OK, body), requests)
}
