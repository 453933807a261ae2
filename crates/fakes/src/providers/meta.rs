//! Meta: Facebook Login (www.facebook.com/dialog/oauth) and the Graph API
//! (graph.facebook.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{bearer, count_api, json, trace_id, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

/// The Graph API version served.
pub(crate) const GRAPH_VERSION: &str = "v26.0";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    let v = GRAPH_VERSION;
    Router::new()
        .route(&format!("/{v}/dialog/oauth"), get(oauth::authorize))
        .route(&format!("/{v}/oauth/access_token"), get(oauth::token).post(oauth::token))
        .route(&format!("/{v}/me"), get(me))
        .route(&format!("/{v}/me/accounts"), get(accounts))
        .route(&format!("/{v}/me/permissions"), axum::routing::delete(revoke_permissions))
}

/// Meta answers a code exchange with a bearer token and no refresh token.
pub(crate) fn token_body(issued: &Issued) -> Value {
    // A token from fb_exchange_token lives about 60 days; one from a code about two hours.
    let expires_in = if issued.from_refresh { 5_183_944 } else { 7_200 };
    json!({"access_token": issued.access, "token_type": "bearer", "expires_in": expires_in})
}

fn graph_error(status: StatusCode, message: &str, kind: &str, code: u32, subcode: Option<u32>) -> Response {
    let mut error = json!({"message": message, "type": kind, "code": code, "fbtrace_id": trace_id()});
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    json(status, json!({ "error": error }))
}

pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let bad = StatusCode::BAD_REQUEST;
    match error {
        InvalidClient => graph_error(
            bad,
            "Error validating application. Invalid application ID.",
            "OAuthException",
            101,
            None,
        ),
        InvalidRequest(why) => graph_error(bad, why, "OAuthException", 100, None),
        UnsupportedGrantType => graph_error(bad, "Unsupported grant_type", "OAuthException", 100, None),
        UnknownCode => graph_error(bad, "Invalid verification code format.", "OAuthException", 100, None),
        UsedCode => {
            graph_error(bad, "This authorization code has been used.", "OAuthException", 100, Some(36009))
        }
        ExpiredCode => {
            graph_error(bad, "This authorization code has expired.", "OAuthException", 100, Some(36007))
        }
        RedirectMismatch => graph_error(
            bad,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
            "OAuthException",
            100,
            Some(36008),
        ),
        MissingVerifier | VerifierMismatch => {
            graph_error(bad, "Invalid code verifier.", "OAuthException", 100, None)
        }
        BadRefresh | RefusedRefresh => graph_error(
            bad,
            "Error validating access token: The user has not authorized application.",
            "OAuthException",
            190,
            Some(458),
        ),
    }
}

/// Graph's token errors: code 190 with a subcode saying why, HTTP 400, and the
/// `WWW-Authenticate` header Graph sends with them.
pub(crate) fn unauthorized(access: Access) -> Response {
    let (message, code, subcode) = match access {
        Access::Missing => {
            ("An active access token must be used to query information about the current user.", 2500, None)
        }
        Access::Expired => ("Error validating access token: Session has expired.", 190, Some(463)),
        Access::Revoked => {
            ("Error validating access token: The user has not authorized application.", 190, Some(458))
        }
        _ => ("Invalid OAuth access token - Cannot parse access token", 190, None),
    };
    with_headers(
        graph_error(StatusCode::BAD_REQUEST, message, "OAuthException", code, subcode),
        &[("www-authenticate", format!("OAuth \"Facebook Platform\" \"invalid_token\" \"{message}\""))],
    )
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    let (message, code) = match status.as_u16() {
        404 => ("Unknown path components", 2500),
        503 => ("Service temporarily unavailable", 2),
        500..=599 => ("An unknown error has occurred.", 1),
        _ => ("Invalid parameter", 100),
    };
    let kind = if code == 2500 { "OAuthException" } else { "GraphMethodException" };
    graph_error(status, message, kind, code, None)
}

/// Graph sends no `Retry-After`: code 4 (application request limit) with the usage headers
/// at 100 % and the time to regain access (minutes) in the business-use-case header.
pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    let minutes = retry_after_secs.div_ceil(60);
    let business = json!({"1000000000000": [{
        "type": "ads_management", "call_count": 100, "total_cputime": 100, "total_time": 100,
        "estimated_time_to_regain_access": minutes
    }]});
    with_headers(
        graph_error(
            StatusCode::BAD_REQUEST,
            "(#4) Application request limit reached",
            "OAuthException",
            4,
            None,
        ),
        &[
            ("x-app-usage", json!({"call_count": 100, "total_cputime": 100, "total_time": 100}).to_string()),
            ("x-business-use-case-usage", business.to_string()),
        ],
    )
}

/// The token from `?access_token=` or the Bearer header.
fn token(query: &HashMap<String, String>, headers: &HeaderMap) -> Option<String> {
    query.get("access_token").cloned().or_else(|| bearer(headers))
}

/// Checks the token and counts the call; the usage headers go on the answer.
fn authorized(
    shared: &Shared,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(String, u64), Box<Response>> {
    let token = token(query, headers);
    match shared.check(token.as_deref()) {
        Access::Valid => Ok((token.unwrap_or_default(), count_api(shared))),
        access => Err(Box::new(unauthorized(access))),
    }
}

fn usage(response: Response, requests: u64) -> Response {
    let percent = requests.min(99);
    with_headers(
        response,
        &[(
            "x-app-usage",
            json!({"call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2})
                .to_string(),
        )],
    )
}

/// `GET /me?fields=id,name`: the fields asked for, of those the fake knows.
async fn me(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (_, requests) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    let user = &shared.account.user;
    let all = json!({
        "id": user.id.to_string(),
        "name": format!("{} {}", user.first, user.last),
        "first_name": user.first,
        "last_name": user.last,
        "email": user.email,
    });
    let fields = query.get("fields").map(String::as_str).unwrap_or("id,name");
    let mut body = serde_json::Map::new();
    for field in fields.split(',').map(str::trim) {
        if let Some(value) = all.get(field) {
            body.insert(field.to_string(), value.clone());
        }
    }
    body.insert("id".into(), all["id"].clone());
    usage(json(StatusCode::OK, Value::Object(body)), requests)
}

/// `GET /me/accounts`: the pages the user manages, each with its page token.
async fn accounts(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (_, requests) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    let pages = &shared.account.pages;
    let data: Vec<Value> = pages
        .iter()
        .map(|page| {
            json!({
                "access_token": page.access_token,
                "category": "Local business",
                "category_list": [{"id": "2500", "name": "Local business"}],
                "name": page.name,
                "id": page.id,
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            })
        })
        .collect();
    let cursor = |id: &str| STANDARD.encode(id);
    let body = json!({
        "data": data,
        "paging": {"cursors": {
            "before": pages.first().map(|p| cursor(&p.id)).unwrap_or_default(),
            "after": pages.last().map(|p| cursor(&p.id)).unwrap_or_default(),
        }}
    });
    usage(json(StatusCode::OK, body), requests)
}

/// `DELETE /me/permissions`: the user's grant to the app ends; the token is recorded.
async fn revoke_permissions(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (token, requests) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => {
            if let Some(token) = self::token(&query, &headers) {
                shared.lock().revoked.push(token);
            }
            return *response;
        }
    };
    shared.revoke(&token);
    usage(json(StatusCode::OK, json!({"success": true})), requests)
}
