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
        self.send(provider, self.client.request(method, url), auth, special).await
    }

    /// As [`Http::json`], sending `body` as JSON (Google Ads' searches are POSTs).
    pub async fn json_body(
        &self,
        provider: &'static str,
        method: Method,
        url: url::Url,
        auth: Auth<'_>,
        body: &Value,
        special: fn(StatusCode, &Value) -> Option<Error>,
    ) -> Result<Value> {
        let request = self.client.request(method, url).json(body);
        Ok(self.send(provider, request, auth, special).await?.0)
    }

    async fn send(
        &self,
        provider: &'static str,
        request: reqwest::RequestBuilder,
        auth: Auth<'_>,
        special: fn(StatusCode, &Value) -> Option<Error>,
    ) -> Result<(Value, header::HeaderMap)> {
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
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized { provider, reason: code },
        StatusCode::TOO_MANY_REQUESTS => {
            Error::RateLimited { provider, retry_after_secs: retry_after.unwrap_or(60) }
        }
        s if s.is_server_error() => Error::Unavailable { provider, reason: code },
        _ => Error::Rejected { provider, reason: code },
    }
}

/// The machine-readable part of the providers' error bodies: Google's `status`, HubSpot's
/// `category`, Salesforce's `errorCode`, Meta's `code`, Pipedrive's `errorCode`.
fn error_code(body: &Value) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let candidates = [
        body.pointer("/error/status"),
        body.pointer("/error/code"),
        body.get("category"),
        body.pointer("/0/errorCode"),
        body.get("errorCode"),
        body.get("error"),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(text)
        .map(|s| s.chars().filter(|c| !c.is_control()).take(80).collect())
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
    }
}
