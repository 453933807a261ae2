//! Google: OAuth 2.0 for installed apps (accounts.google.com, oauth2.googleapis.com) and the
//! Google Ads REST API (googleads.googleapis.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{bearer, count_api, json, standard_oauth_error, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

/// The Ads API version served; Google switches old versions off on a schedule.
pub(crate) const API_VERSION: &str = "v26";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/o/oauth2/v2/auth", get(oauth::authorize))
        .route("/token", post(oauth::token))
        .route("/revoke", post(revoke))
        .route(&format!("/{API_VERSION}/customers:listAccessibleCustomers"), get(list_accessible_customers))
}

pub(crate) fn token_body(issued: &Issued) -> Value {
    let mut body = json!({
        "access_token": issued.access,
        "expires_in": 3599,
        "scope": issued.scope,
        "token_type": "Bearer",
    });
    // Google sends the refresh token with the code exchange only; a refresh answer has none.
    if let (Some(refresh), false) = (&issued.refresh, issued.from_refresh) {
        body["refresh_token"] = json!(refresh);
    }
    body
}

pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let (status, code, description) = match error {
        InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client", "The OAuth client was not found."),
        InvalidRequest(why) => (StatusCode::BAD_REQUEST, "invalid_request", why),
        UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type", "Invalid grant_type"),
        UnknownCode => (StatusCode::BAD_REQUEST, "invalid_grant", "Malformed auth code."),
        UsedCode | ExpiredCode => (StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
        RedirectMismatch => (StatusCode::BAD_REQUEST, "redirect_uri_mismatch", "Bad Request"),
        MissingVerifier => (StatusCode::BAD_REQUEST, "invalid_grant", "Missing code verifier."),
        VerifierMismatch => (StatusCode::BAD_REQUEST, "invalid_grant", "Invalid code verifier."),
        BadRefresh | RefusedRefresh => {
            (StatusCode::BAD_REQUEST, "invalid_grant", "Token has been expired or revoked.")
        }
    };
    standard_oauth_error(status, code, description)
}

fn google_error(status: StatusCode, message: &str, details: Value) -> Response {
    let name = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        500..=599 => "INTERNAL",
        _ => "UNKNOWN",
    };
    let mut error = json!({"code": status.as_u16(), "message": message, "status": name});
    if details.as_array().is_some_and(|d| !d.is_empty()) {
        error["details"] = details;
    }
    json(status, json!({ "error": error }))
}

pub(crate) fn unauthorized(access: Access) -> Response {
    let (message, reason) = match access {
        Access::Missing => (
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "CREDENTIALS_MISSING",
        ),
        Access::Expired => (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "ACCESS_TOKEN_EXPIRED",
        ),
        _ => (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        ),
    };
    let details = json!([{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "googleads.googleapis.com", "method": format!("google.ads.googleads.{API_VERSION}.services.CustomerService.ListAccessibleCustomers")}
    }]);
    with_headers(
        google_error(StatusCode::UNAUTHORIZED, message, details),
        &[(
            "www-authenticate",
            "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"".into(),
        )],
    )
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    let message = match status.as_u16() {
        404 => "Method not found.",
        503 => "The service is currently unavailable.",
        500..=599 => "Internal error encountered.",
        _ => "Request contains an invalid argument.",
    };
    google_error(status, message, json!([]))
}

/// Quota: 429 RESOURCE_EXHAUSTED with a GoogleAdsFailure whose quotaErrorDetails carry the
/// retry delay (Google's documented field); `Retry-After` says the same.
pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    let details = json!([{
        "@type": format!("type.googleapis.com/google.ads.googleads.{API_VERSION}.errors.GoogleAdsFailure"),
        "errors": [{
            "errorCode": {"quotaError": "RESOURCE_EXHAUSTED"},
            "message": format!("Too many requests. Retry in {retry_after_secs} seconds."),
            "details": {"quotaErrorDetails": {
                "rateScope": "DEVELOPER",
                "rateName": "Number of operations for explorer access",
                "retryDelay": format!("{retry_after_secs}s")
            }}
        }],
        "requestId": super::random(22, super::URLSAFE)
    }]);
    with_headers(
        google_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Resource has been exhausted (e.g. check quota).",
            details,
        ),
        &[("retry-after", retry_after_secs.to_string())],
    )
}

/// `POST /revoke` with `token` in the form body or the query string: 200 for a token it
/// knows, 400 `invalid_token` otherwise.
async fn revoke(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(token) = form.get("token").or_else(|| query.get("token")) else {
        return standard_oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        );
    };
    if shared.revoke(token) {
        json(StatusCode::OK, json!({}))
    } else {
        standard_oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "Token expired or revoked")
    }
}

/// `GET /v26/customers:listAccessibleCustomers`: the account check.
async fn list_accessible_customers(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let access = shared.check(bearer(&headers).as_deref());
    if access != Access::Valid {
        return unauthorized(access);
    }
    count_api(&shared);
    let names: Vec<String> = shared.account.customers.iter().map(|id| format!("customers/{id}")).collect();
    json(StatusCode::OK, json!({ "resourceNames": names }))
}
