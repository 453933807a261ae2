//! The one HTTP client every connector uses: timeouts, no redirects followed (a token must never
//! be carried to another host), and errors sorted into what the caller can do about them.

use std::time::Duration;

use leadvault_core::secrets::Secret;
use reqwest::{Method, StatusCode, header};
use serde_json::Value;

use crate::{Error, Result};

/// How a request proves who it is.
pub enum Auth<'a> {
    Bearer(&'a Secret),
    /// A bearer token plus one more secret header (Google Ads' `developer-token`).
    BearerAnd(&'a Secret, &'static str, &'a Secret),
    /// A token in a named header (Pipedrive's `x-api-token`).
    Header(&'static str, &'a Secret),
}

/// What a request carries.
pub enum Body<'a> {
    Empty,
    Json(&'a Value),
    /// `application/x-www-form-urlencoded` (Graph's updates).
    Form(&'a [(&'a str, &'a str)]),
}

/// Shared HTTP client; cheap to clone.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    pub fn new() -> Result<Http> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("Leadvault/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Config(format!("the HTTP client could not start: {e}")))?;
        Ok(Http { client })
    }

    /// Sends a request and returns the JSON body of a 2xx answer. `provider` names the provider
    /// in errors; `special` lets a provider read its own error format first (Meta answers an
    /// expired token with HTTP 400 and code 190).
    pub async fn json(
        &self,
        provider: &'static str,
        method: Method,
        url: url::Url,
        auth: Auth<'_>,
        special: fn(StatusCode, &Value) -> Option<Error>,
    ) -> Result<Value> {
        Ok(self.json_with_headers(provider, method, url, auth, special).await?.0)
    }

    /// As [`Http::json`], with the answer's headers (the providers' usage and limit headers).
    pub async fn json_with_headers(
        &self,
        provider: &'static str,
        method: Method,
        url: url::Url,
        auth: Auth<'_>,
        special: fn(StatusCode, &Value) -> Option<Error>,
    ) -> Result<(Value, header::HeaderMap)> {
        self.send(provider, method, url, auth, Body::Empty, special).await
    }

    /// Sends a JSON body and returns the JSON answer of a 2xx, with its headers.
    pub async fn send_json(
        &self,
        provider: &'static str,
        method: Method,
        url: url::Url,
        auth: Auth<'_>,
        body: &Value,
        special: fn(StatusCode, &Value) -> Option<Error>,
    ) -> Result<(Value, header::HeaderMap)> {
        self.send(provider, method, url, auth, Body::Json(body), special).await
    }

    /// A POST with a body (Google Ads' mutations and searches, Graph's updates); the answer
    /// as with [`Http::json`], and `special` may know what was sent (to name the operation
    /// an error is about).
    pub async fn post(
        &self,
        provider: &'static str,
        url: url::Url,
        auth: Auth<'_>,
        body: Body<'_>,
        special: impl Fn(StatusCode, &Value) -> Option<Error>,
    ) -> Result<Value> {
        Ok(self.send(provider, Method::POST, url, auth, body, special).await?.0)
    }

    async fn send(
        &self,
        provider: &'static str,
        method: Method,
        url: url::Url,
        auth: Auth<'_>,
        body: Body<'_>,
        special: impl Fn(StatusCode, &Value) -> Option<Error>,
    ) -> Result<(Value, header::HeaderMap)> {
        let request = match body {
            Body::Empty => self.client.request(method, url),
            Body::Json(value) => self.client.request(method, url).json(value),
            Body::Form(pairs) => self.client.request(method, url).form(pairs),
        };
        let request = match auth {
            Auth::Bearer(token) => request.bearer_auth(token.expose()),
            Auth::BearerAnd(token, name, other) => {
                request.bearer_auth(token.expose()).header(name, other.expose())
            }
            Auth::Header(name, token) => request.header(name, token.expose()),
        };
        let response = request
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unreachable_error(provider, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let retry_after = retry_after(&headers);
        let bytes = response.bytes().await.map_err(|e| unreachable_error(provider, &e))?;
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if status.is_success() {
            if body.is_null() && !bytes.is_empty() {
                return Err(Error::Unavailable {
                    provider,
                    reason: "its answer was cut off or not JSON".into(),
                });
            }
            return Ok((body, headers));
        }
        if let Some(e) = special(status, &body) {
            return Err(e);
        }
        Err(classify(provider, status, retry_after, &body))
    }

    /// The client oauth2 calls for token requests: the same settings, no redirects.
    pub async fn oauth(
        &self,
        request: oauth2::HttpRequest,
    ) -> std::result::Result<oauth2::HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let response = self
            .client
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError(describe(&e)))?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let bytes = response.bytes().await.map_err(|e| HttpError(describe(&e)))?;
        builder.body(bytes.to_vec()).map_err(|e| HttpError(e.to_string()))
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// A transport failure, described without the URL (which may carry a token in its query).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off".into()
    } else {
        "the request failed".into()
    }
}

pub(crate) fn unreachable_error(provider: &'static str, e: &reqwest::Error) -> Error {
    Error::Unavailable { provider, reason: describe(e) }
}

fn retry_after(headers: &header::HeaderMap) -> Option<u64> {
    headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// How long to wait when Salesforce says its daily API limit is spent: its window rolls over
/// 24 hours and it gives no time, so an hour, and never sooner (each call counts).
const SALESFORCE_LIMIT_WAIT: u64 = 3600;

/// Sorts a non-2xx answer. Only codes and categories from the body are quoted, never its free
/// text, which can echo what was sent.
pub(crate) fn classify(
    provider: &'static str,
    status: StatusCode,
    retry_after: Option<u64>,
    body: &Value,
) -> Error {
    let code = error_code(body).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    match status {
        // Salesforce's API limit (a rolling 24 hours, no Retry-After): a wait, not a sign-in.
        StatusCode::FORBIDDEN if code == "REQUEST_LIMIT_EXCEEDED" => {
            Error::RateLimited { provider, retry_after_secs: retry_after.unwrap_or(SALESFORCE_LIMIT_WAIT) }
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized { provider, reason: code },
        StatusCode::TOO_MANY_REQUESTS => {
            Error::RateLimited { provider, retry_after_secs: retry_after.unwrap_or(60) }
        }
        s if s.is_server_error() => Error::Unavailable { provider, reason: code },
        _ => Error::Rejected { provider, reason: code },
    }
}

/// The machine-readable part of the providers' error bodies: Google's `status`, HubSpot's
/// `category`, Salesforce's `errorCode`, Meta's `code`, Pipedrive's `errorCode` (a number) or
/// `code`, an OAuth server's `error`. Only what has the shape of such a code is quoted (see
/// [`code_like`]): a provider that echoed a value of the request in one of these fields (a
/// phone, a name) would otherwise have it shown word for word.
fn error_code(body: &Value) -> Option<String> {
    let candidates = [
        body.pointer("/error/status"),
        body.pointer("/error/code"),
        body.get("category"),
        body.pointer("/0/errorCode"),
        body.get("code"),
        body.get("errorCode"),
        body.get("error"),
    ];
    candidates.into_iter().flatten().find_map(|v| match v {
        // Meta's codes (190, 4, 80004…), Google's and Pipedrive's HTTP statuses: five digits at
        // most, never enough for a phone.
        Value::Number(n) => n.as_u64().filter(|n| *n <= 99_999).map(|n| n.to_string()),
        Value::String(s) => code_like(s).then(|| s.clone()),
        _ => None,
    })
}

/// Single-word codes the providers send: google.rpc.Code names (Google's `status`) and
/// HubSpot's few one-word categories. Any other code is words joined by `_`.
const ONE_WORD_CODES: [&str; 10] = [
    "CANCELLED",
    "UNKNOWN",
    "ABORTED",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "UNAUTHENTICATED",
    "CONFLICT",
    "FORBIDDEN",
    "UNAUTHORIZED",
];

/// Whether `s` looks like a provider's error code: `INVALID_SESSION_ID`, `RATE_LIMITS`,
/// `ERR_SCHEMA_VALIDATION_FAILED`, `invalid_grant`; letters of one case in words joined by
/// `_` (at most three digits in all), or one of [`ONE_WORD_CODES`]. A phone (`555-010-9191`),
/// an email, a one-word name (`Maria`, `MARIA`) or free text is not.
pub(crate) fn code_like(s: &str) -> bool {
    let shaped = s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.ends_with('_')
        && !s.contains("__")
        && (s.chars().all(|c| !c.is_ascii_lowercase()) || s.chars().all(|c| !c.is_ascii_uppercase()))
        && s.chars().filter(char::is_ascii_digit).count() <= 3;
    shaped && (s.contains('_') || ONE_WORD_CODES.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_are_sorted_by_what_can_be_done() {
        let google = json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "x"}});
        assert!(matches!(
            classify("Google Ads", StatusCode::UNAUTHORIZED, None, &google),
            Error::Unauthorized { reason, .. } if reason == "UNAUTHENTICATED"
        ));
        let hubspot = json!({"status": "error", "category": "RATE_LIMITS"});
        assert!(matches!(
            classify("HubSpot", StatusCode::TOO_MANY_REQUESTS, Some(10), &hubspot),
            Error::RateLimited { retry_after_secs: 10, .. }
        ));
        let salesforce =
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]);
        assert!(matches!(
            classify("Salesforce", StatusCode::UNAUTHORIZED, None, &salesforce),
            Error::Unauthorized { reason, .. } if reason == "INVALID_SESSION_ID"
        ));
        assert!(matches!(
            classify("Pipedrive", StatusCode::BAD_GATEWAY, None, &Value::Null),
            Error::Unavailable { reason, .. } if reason == "HTTP 502"
        ));
        let meta = json!({"error": {"message": "x", "type": "OAuthException", "code": 190}});
        assert!(matches!(
            classify("Meta", StatusCode::BAD_REQUEST, None, &meta),
            Error::Rejected { reason, .. } if reason == "190"
        ));
        let pipedrive = json!({"success": false, "error": "Unauthorized access", "errorCode": 401});
        assert!(matches!(
            classify("Pipedrive", StatusCode::UNAUTHORIZED, None, &pipedrive),
            Error::Unauthorized { reason, .. } if reason == "401"
        ));
        let limit =
            json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]);
        assert!(matches!(
            classify("Salesforce", StatusCode::FORBIDDEN, None, &limit),
            Error::RateLimited { retry_after_secs: 3600, .. }
        ));
        let oauth = json!({"error": "invalid_grant", "error_description": "x"});
        assert!(matches!(
            classify("HubSpot", StatusCode::BAD_REQUEST, None, &oauth),
            Error::Rejected { reason, .. } if reason == "invalid_grant"
        ));
    }

    /// A value a provider echoed into a code field (a phone, a name, an email) is never quoted:
    /// the error says the HTTP status instead.
    #[test]
    fn echoed_values_are_not_taken_for_error_codes() {
        for echoed in [
            json!("555-010-9191"),
            json!("5550109191"),
            json!("+15550109191"),
            json!("Maria"),
            json!("MARIA"),
            json!("maria"),
            json!("maria.lopez@example.com"),
            json!("O'Brien"),
            json!("Ana María"),
            json!("Unauthorized access"),
            json!(5_550_109_191_u64),
            json!("ERR_5550109191"),
        ] {
            for body in [
                json!({"error": echoed}),
                json!({"error": {"status": echoed, "code": echoed}}),
                json!({"category": echoed}),
                json!([{"errorCode": echoed}]),
                json!({"code": echoed, "errorCode": echoed}),
            ] {
                let error = classify("Pipedrive", StatusCode::BAD_REQUEST, None, &body);
                assert!(
                    matches!(&error, Error::Rejected { reason, .. } if reason == "HTTP 400"),
                    "{body}: {error}"
                );
            }
        }
        for code in [
            "INVALID_SESSION_ID",
            "RATE_LIMITS",
            "ERR_SCHEMA_VALIDATION_FAILED",
            "UNAUTHENTICATED",
            "invalid_grant",
            "API_DISABLED_FOR_ORG",
        ] {
            assert!(code_like(code), "{code}");
        }
    }
}
