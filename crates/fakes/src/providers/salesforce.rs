//! Salesforce: the OAuth endpoints of login.salesforce.com and the org's instance
//! (`instance_url`), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{bearer, count_api, json, standard_oauth_error, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

const DAILY_MAX: u64 = 15_000;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/services/oauth2/authorize", get(oauth::authorize))
        .route("/services/oauth2/token", post(oauth::token))
        .route("/services/oauth2/revoke", post(revoke).get(revoke))
        .route("/services/oauth2/userinfo", get(userinfo).post(userinfo))
}

fn identity_url(shared: &Shared) -> String {
    format!("{}/id/{}/{}", shared.base_url, shared.account.org_id, shared.account.user_id)
}

/// No `expires_in`: Salesforce sessions end by the org's policy. `signature` is
/// base64(HMAC-SHA256(id + issued_at)) keyed with the client secret. A refresh answer carries
/// no refresh token.
pub(crate) fn token_body(shared: &Shared, issued: &Issued) -> Value {
    let id = identity_url(shared);
    let issued_at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis().to_string();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"leadvault-fake-client-secret");
    let signature = STANDARD.encode(ring::hmac::sign(&key, format!("{id}{issued_at}").as_bytes()));
    let mut body = json!({
        "access_token": issued.access,
        "signature": signature,
        "scope": issued.scope,
        "instance_url": shared.base_url,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    });
    if let (Some(refresh), false) = (&issued.refresh, issued.from_refresh) {
        body["refresh_token"] = json!(refresh);
    }
    body
}

/// Salesforce's documented PKCE rule: a verifier that does not match the challenge fails with
/// `invalid_request`, a missing one with `invalid_grant`.
pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let bad = StatusCode::BAD_REQUEST;
    let (code, description) = match error {
        InvalidClient => ("invalid_client_id", "client identifier invalid"),
        InvalidRequest(why) => ("invalid_request", why),
        UnsupportedGrantType => ("unsupported_grant_type", "grant type not supported"),
        UnknownCode | UsedCode => ("invalid_grant", "invalid authorization code"),
        ExpiredCode => ("invalid_grant", "expired authorization code"),
        RedirectMismatch => ("redirect_uri_mismatch", "redirect_uri must match configuration"),
        MissingVerifier => ("invalid_grant", "invalid code verifier"),
        VerifierMismatch => ("invalid_request", "invalid code verifier"),
        BadRefresh | RefusedRefresh => ("invalid_grant", "expired access/refresh token"),
    };
    standard_oauth_error(bad, code, description)
}

fn api_error(status: StatusCode, message: &str, code: &str) -> Response {
    json(status, json!([{ "message": message, "errorCode": code }]))
}

pub(crate) fn unauthorized(_: Access) -> Response {
    api_error(StatusCode::UNAUTHORIZED, "Session expired or invalid", "INVALID_SESSION_ID")
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    match status.as_u16() {
        404 => api_error(status, "The requested resource does not exist", "NOT_FOUND"),
        503 => api_error(status, "Server temporarily unavailable", "SERVER_UNAVAILABLE"),
        500..=599 => api_error(
            status,
            "An unexpected error occurred. Please include this ErrorId if you contact support",
            "UNKNOWN_EXCEPTION",
        ),
        _ => api_error(status, "Bad request", "MALFORMED_QUERY"),
    }
}

/// Salesforce's limit is per 24 hours and has no retry hint: 403 `REQUEST_LIMIT_EXCEEDED` with
/// the usage header at its maximum; `retry_after_secs` is not sent.
pub(crate) fn rate_limited(_retry_after_secs: u64) -> Response {
    with_headers(
        api_error(StatusCode::FORBIDDEN, "TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED"),
        &[("sforce-limit-info", format!("api-usage={DAILY_MAX}/{DAILY_MAX}"))],
    )
}

/// `POST /services/oauth2/revoke` with `token` in the form (or the query for GET): 200 for a
/// token it knows, 400 otherwise.
async fn revoke(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(token) = form.get("token").or_else(|| query.get("token")) else {
        return standard_oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "token is missing");
    };
    if shared.revoke(token) {
        StatusCode::OK.into_response()
    } else {
        standard_oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "invalid token")
    }
}

/// `GET /services/oauth2/userinfo`: the OpenID Connect user info of the token's user.
async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let requests = match shared.check(bearer(&headers).as_deref()) {
        Access::Valid => count_api(&shared),
        access => return unauthorized(access),
    };
    let account = &shared.account;
    let user = &account.user;
    let base = &shared.base_url;
    let username =
        format!("{}.{}@{}.example.com", user.first, user.last, account.company_slug).to_ascii_lowercase();
    let body = json!({
        "sub": identity_url(&shared),
        "user_id": account.user_id,
        "organization_id": account.org_id,
        "preferred_username": username,
        "nickname": user.first.to_ascii_lowercase(),
        "name": format!("{} {}", user.first, user.last),
        "email": user.email,
        "email_verified": true,
        "given_name": user.first,
        "family_name": user.last,
        "zoneinfo": "America/Los_Angeles",
        "photos": {"picture": format!("{base}/profilephoto/005/F"), "thumbnail": format!("{base}/profilephoto/005/T")},
        "profile": format!("{base}/{}", account.user_id),
        "picture": format!("{base}/profilephoto/005/F"),
        "address": {"country": "US"},
        "is_salesforce_integration_user": false,
        "urls": {
            "rest": format!("{base}/services/data/v{{version}}/"),
            "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
            "query": format!("{base}/services/data/v{{version}}/query/"),
        },
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28_800_000,
        "updated_at": "2026-10-01T08:43:13Z",
    });
    with_headers(
        json(StatusCode::OK, body),
        &[("sforce-limit-info", format!("api-usage={requests}/{DAILY_MAX}"))],
    )
}
