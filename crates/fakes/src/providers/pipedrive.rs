//! Pipedrive: the OAuth server (oauth.pipedrive.com) and the company API
//! (`{company}.pipedrive.com` / api.pipedrive.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{bearer, count_api, json, standard_oauth_error, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

/// Requests per 2-second window reported in `x-ratelimit-limit`.
const WINDOW_MAX: u64 = 80;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/authorize", get(oauth::authorize))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(revoke))
        // OAuth calls go to `{api_domain}/api/v1/…`; a pasted token to `…/v1/…` works too.
        .route("/api/v1/users/me", get(users_me))
        .route("/v1/users/me", get(users_me))
}

/// The token answer names the company's API address (`api_domain`); the refresh token comes
/// back with every answer.
pub(crate) fn token_body(shared: &Shared, issued: &Issued) -> Value {
    json!({
        "access_token": issued.access,
        "token_type": "Bearer",
        "expires_in": 3599,
        "refresh_token": issued.refresh,
        "scope": issued.scope,
        "api_domain": shared.base_url,
    })
}

/// The OAuth server's errors, RFC 6749 codes with its own descriptions.
pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let bad = StatusCode::BAD_REQUEST;
    let (status, code, description) = match error {
        InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client: client is invalid"),
        InvalidRequest(why) => (bad, "invalid_request", why),
        UnsupportedGrantType => {
            (bad, "unsupported_grant_type", "Unsupported grant type: grant_type is invalid")
        }
        UnknownCode | UsedCode => (bad, "invalid_grant", "Invalid grant: authorization code is invalid"),
        ExpiredCode => (bad, "invalid_grant", "Invalid grant: authorization code has expired"),
        RedirectMismatch => (bad, "invalid_request", "Invalid request: redirect_uri is not a valid URI"),
        MissingVerifier | VerifierMismatch => {
            (bad, "invalid_grant", "Invalid grant: code verifier is invalid")
        }
        BadRefresh | RefusedRefresh => (bad, "invalid_grant", "Invalid grant: refresh token is invalid"),
    };
    let response = standard_oauth_error(status, code, description);
    if status == StatusCode::UNAUTHORIZED {
        return with_headers(response, &[("www-authenticate", "Basic realm=\"Service\"".into())]);
    }
    response
}

fn api_error(status: StatusCode, error: &str) -> Response {
    json(
        status,
        json!({
            "success": false,
            "error": error,
            "errorCode": status.as_u16(),
            "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
        }),
    )
}

pub(crate) fn unauthorized(access: Access) -> Response {
    match access {
        Access::Expired => api_error(StatusCode::UNAUTHORIZED, "access token has expired"),
        _ => api_error(StatusCode::UNAUTHORIZED, "unauthorized access"),
    }
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    let error = match status.as_u16() {
        404 => "Resource not found",
        503 => "Service unavailable",
        500..=599 => "Internal server error",
        _ => "Bad request",
    };
    api_error(status, error)
}

pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    with_headers(
        api_error(StatusCode::TOO_MANY_REQUESTS, "Request over limit"),
        &[
            ("x-ratelimit-limit", WINDOW_MAX.to_string()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", retry_after_secs.to_string()),
            ("retry-after", retry_after_secs.to_string()),
        ],
    )
}

/// `POST /oauth/revoke` (client credentials by Basic; `token` and `token_type_hint` in the
/// form): 200 whether or not the token was known, as RFC 7009 asks.
async fn revoke(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if !headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Basic ")) {
        return oauth_error(OAuthError::InvalidClient);
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(token) = form.get("token") else {
        return oauth_error(OAuthError::InvalidRequest("Missing parameter: token"));
    };
    shared.revoke(token);
    StatusCode::OK.into_response()
}

/// `GET /api/v1/users/me`: the user and the company the token belongs to.
async fn users_me(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get("x-api-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("api_token").cloned())
        .or_else(|| bearer(&headers));
    let requests = match shared.check(token.as_deref()) {
        Access::Valid => count_api(&shared),
        access => return unauthorized(access),
    };
    let account = &shared.account;
    let user = &account.user;
    let body = json!({
        "success": true,
        "data": {
            "id": user.id,
            "name": format!("{} {}", user.first, user.last),
            "default_currency": "USD",
            "locale": "en_US",
            "lang": 1,
            "email": user.email,
            "phone": null,
            "activated": true,
            "last_login": "2026-10-01 08:43:13",
            "created": "2025-03-08 12:00:22",
            "modified": "2026-10-01 08:43:13",
            "has_created_company": true,
            "access": [{"app": "sales", "admin": true, "permission_set_id": "62cc4d7f-4038-4352-abf3-a8c1c822b631"}],
            "active_flag": true,
            "timezone_name": "Europe/Helsinki",
            "timezone_offset": "+02:00",
            "role_id": 1,
            "icon_url": null,
            "is_you": true,
            "is_deleted": false,
            "company_id": account.company_id,
            "company_name": account.company_name,
            "company_domain": account.company_slug,
            "company_country": "US",
            "company_industry": "Services",
            "language": {"language_code": "en", "country_code": "US"},
        }
    });
    let remaining = WINDOW_MAX - 1 - (requests - 1) % WINDOW_MAX;
    with_headers(
        json(StatusCode::OK, body),
        &[
            ("x-ratelimit-limit", WINDOW_MAX.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", "2".into()),
        ],
    )
}
