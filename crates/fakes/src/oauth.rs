//! The authorization-code flow with PKCE, shared by every fake; each provider's own wording
//! of the answers comes from `providers`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{AUTHORIZATION, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use url::Url;

use crate::state::{CODE_LIFETIME, Grant, Kind, Shared};
use crate::{CLIENT_ID, Consent, Provider, providers};

/// Meta's documented redirect for desktop apps logging in inside a web view.
pub(crate) const META_DESKTOP_REDIRECT: &str = "https://www.facebook.com/connect/login_success.html";

/// Why a token request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OAuthError {
    /// Unknown client id, or (Pipedrive) no client credentials in the Basic header.
    InvalidClient,
    /// A required parameter is missing or malformed.
    InvalidRequest(&'static str),
    UnsupportedGrantType,
    UnknownCode,
    UsedCode,
    ExpiredCode,
    RedirectMismatch,
    MissingVerifier,
    VerifierMismatch,
    /// Unknown or revoked refresh token.
    BadRefresh,
    /// The user removed the app: every refresh is refused.
    RefusedRefresh,
}

/// What a successful token request produced.
pub(crate) struct Issued {
    pub access: String,
    /// Given with the first grant; on a refresh the provider's own habit decides.
    pub refresh: Option<String>,
    pub scope: String,
    pub from_refresh: bool,
}

type Params = HashMap<String, String>;

fn bad_authorize(description: &str) -> Response {
    let body = serde_json::json!({"error": "invalid_request", "error_description": description});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn loopback_redirect(uri: &str, provider: Provider) -> bool {
    if provider == Provider::Meta && uri == META_DESKTOP_REDIRECT {
        return true;
    }
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    url.scheme() == "http"
        && matches!(url.host_str(), Some("127.0.0.1") | Some("localhost") | Some("[::1]"))
        && url.fragment().is_none()
}

/// `GET …/authorize`: answers 302 to the redirect URI at once, as if the user had clicked
/// the consent page's button; 400 (JSON) for a request no provider would show a page for.
pub(crate) async fn authorize(State(shared): State<Arc<Shared>>, Query(params): Query<Params>) -> Response {
    let provider = shared.provider;
    let get = |key: &str| params.get(key).map(String::as_str).unwrap_or("");
    if get("client_id") != CLIENT_ID {
        let body = serde_json::json!({"error": "invalid_client", "error_description": "The OAuth client was not found."});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let redirect_uri = get("redirect_uri");
    if !loopback_redirect(redirect_uri, provider) {
        return bad_authorize("redirect_uri must be http://127.0.0.1:<port>/… or http://localhost:<port>/…");
    }
    let response_type = match (provider, get("response_type")) {
        (Provider::Meta, "") => "code",
        (_, r) => r,
    };
    if response_type != "code" {
        return bad_authorize("response_type must be code");
    }
    let challenge = get("code_challenge");
    if challenge.len() < 43 || challenge.len() > 128 || get("code_challenge_method") != "S256" {
        return bad_authorize("PKCE is required: code_challenge with code_challenge_method=S256");
    }
    let state = params.get("state");
    let mut target = Url::parse(redirect_uri).expect("checked above");
    let consent = shared.lock().consent;
    {
        let mut query = target.query_pairs_mut();
        match consent {
            Consent::Deny => {
                query.append_pair("error", "access_denied");
                if provider == Provider::Meta {
                    query.append_pair("error_code", "200");
                    query.append_pair("error_reason", "user_denied");
                    query.append_pair("error_description", "Permissions error");
                } else {
                    query.append_pair("error_description", "The user denied access to your app.");
                }
            }
            Consent::Approve => {
                let code = providers::authorization_code(provider);
                shared.lock().codes.insert(
                    code.clone(),
                    Grant {
                        client_id: CLIENT_ID.to_string(),
                        redirect_uri: redirect_uri.to_string(),
                        challenge: challenge.to_string(),
                        scope: get("scope").to_string(),
                        issued_at: Instant::now(),
                        used: false,
                    },
                );
                query.append_pair("code", &code);
                if provider == Provider::GoogleAds {
                    query.append_pair("scope", get("scope"));
                }
            }
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    if provider == Provider::Meta {
        // Facebook appends this empty fragment to every login redirect.
        target.set_fragment(Some("_=_"));
    }
    (StatusCode::FOUND, [(LOCATION, target.to_string())]).into_response()
}

/// Parameters from the query string and, for a form body, the body (the body wins).
fn params(query: Params, headers: &HeaderMap, body: &Bytes) -> Params {
    let mut all = query;
    let is_form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form || !body.is_empty() {
        all.extend(url::form_urlencoded::parse(body).into_owned());
    }
    all
}

/// `client_id:client_secret` from an HTTP Basic header.
fn basic_client(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    Some(decoded.split_once(':').map_or(decoded.clone(), |(id, _)| id.to_string()))
}

pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()))
}

/// `POST …/token` (Meta also `GET`): authorization_code with PKCE, refresh_token, and Meta's
/// fb_exchange_token.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params(query, &headers, &body);
    match grant(&shared, &params, &headers) {
        Ok(issued) => {
            let body = providers::token_body(&shared, &issued);
            (StatusCode::OK, [(axum::http::header::CACHE_CONTROL, "no-store")], axum::Json(body))
                .into_response()
        }
        Err(error) => providers::oauth_error(&shared, error),
    }
}

fn grant(shared: &Shared, params: &Params, headers: &HeaderMap) -> Result<Issued, OAuthError> {
    let get = |key: &str| params.get(key).map(String::as_str).unwrap_or("");
    let client = match (shared.provider, basic_client(headers)) {
        (_, Some(basic)) => basic,
        // Pipedrive takes the client credentials only by HTTP Basic.
        (Provider::Pipedrive, None) => return Err(OAuthError::InvalidClient),
        (_, None) => get("client_id").to_string(),
    };
    if client != CLIENT_ID {
        return Err(OAuthError::InvalidClient);
    }
    let grant_type = match (shared.provider, get("grant_type")) {
        // Meta's code exchange takes no grant_type.
        (Provider::Meta, "") if !get("code").is_empty() => "authorization_code",
        (_, g) => g,
    };
    match grant_type {
        "authorization_code" => {
            let (scope, challenge) = {
                let mut inner = shared.lock();
                let grant = inner.codes.get_mut(get("code")).ok_or(OAuthError::UnknownCode)?;
                if grant.used {
                    return Err(OAuthError::UsedCode);
                }
                // A code is spent by any attempt, as Google does.
                grant.used = true;
                if grant.issued_at.elapsed() > CODE_LIFETIME {
                    return Err(OAuthError::ExpiredCode);
                }
                if grant.client_id != client {
                    return Err(OAuthError::UnknownCode);
                }
                if grant.redirect_uri != get("redirect_uri") {
                    return Err(OAuthError::RedirectMismatch);
                }
                (grant.scope.clone(), grant.challenge.clone())
            };
            let verifier = get("code_verifier");
            if verifier.is_empty() {
                return Err(OAuthError::MissingVerifier);
            }
            if s256(verifier) != challenge {
                return Err(OAuthError::VerifierMismatch);
            }
            let scope = providers::granted_scope(shared.provider, &scope);
            // Meta gives no refresh token: a long-lived token is exchanged for instead.
            let refresh = (shared.provider != Provider::Meta).then(|| shared.issue_refresh(&scope));
            let access = shared.issue_access(&scope, refresh.as_deref());
            Ok(Issued { access, refresh, scope, from_refresh: false })
        }
        "refresh_token" if shared.provider != Provider::Meta => {
            let refresh = get("refresh_token");
            if refresh.is_empty() {
                return Err(OAuthError::InvalidRequest("refresh_token is missing"));
            }
            let scope = {
                let inner = shared.lock();
                if inner.refuse_refresh {
                    return Err(OAuthError::RefusedRefresh);
                }
                match inner.tokens.get(refresh) {
                    Some(t) if t.kind == Kind::Refresh && !t.revoked => t.scope.clone(),
                    _ => return Err(OAuthError::BadRefresh),
                }
            };
            let access = shared.issue_access(&scope, Some(refresh));
            Ok(Issued { access, refresh: Some(refresh.to_string()), scope, from_refresh: true })
        }
        "fb_exchange_token" if shared.provider == Provider::Meta => {
            let short = get("fb_exchange_token");
            if shared.check(Some(short)) != crate::state::Access::Valid {
                return Err(OAuthError::BadRefresh);
            }
            if shared.lock().refuse_refresh {
                return Err(OAuthError::RefusedRefresh);
            }
            let access = shared.issue_access("", None);
            Ok(Issued { access, refresh: None, scope: String::new(), from_refresh: true })
        }
        "" => Err(OAuthError::InvalidRequest("grant_type is missing")),
        _ => Err(OAuthError::UnsupportedGrantType),
    }
}
