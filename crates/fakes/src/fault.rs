//! Counts every request per path and plays the faults queued for it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::Shared;
use crate::{Fault, providers};

pub(crate) async fn layer(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let fault = {
        let mut inner = shared.lock();
        *inner.calls.entry(path.clone()).or_default() += 1;
        let mut fault = inner.faults.get_mut(&path).and_then(|queue| queue.pop_front());
        if fault.is_none() {
            // Patterns, in a stable order.
            let mut keys: Vec<String> =
                inner.faults.keys().filter(|k| is_pattern(k) && matches(k, &path)).cloned().collect();
            keys.sort();
            for key in keys {
                if let Some(f) = inner.faults.get_mut(&key).and_then(|queue| queue.pop_front()) {
                    fault = Some(f);
                    break;
                }
            }
        }
        let rate = shared.options.fault_rate;
        if fault.is_none()
            && !providers::is_oauth_path(&path)
            && let Some(rng) = inner.fault_rng.as_mut()
            && (rng.next() % 1_000_000) as f64 / 1_000_000.0 < rate
        {
            fault = Some(Fault::Status(503));
        }
        fault
    };
    match fault {
        None => next.run(request).await,
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(Fault::Status(status)) => providers::status_error(&shared, status),
        Some(Fault::RateLimited { retry_after_secs }) => providers::rate_limited(&shared, retry_after_secs),
        Some(Fault::CutOff) => cut_off(next.run(request).await).await,
    }
}

/// The answer's headers with its full length, half its body, then the connection closes.
async fn cut_off(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(TRANSFER_ENCODING);
    parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len().max(2)));
    let chunks = async_stream(half);
    Response::from_parts(parts, Body::from_stream(chunks))
}

/// Yields `half`, waits for it to reach the socket, then fails, which makes the server drop
/// the connection short of the announced length.
fn async_stream(
    half: axum::body::Bytes,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
    use futures_util::StreamExt;
    futures_util::stream::once(async move { Ok(half) }).chain(futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::other("cut off by an injected fault"))
    }))
}

/// Whether an injected path is a pattern rather than one path.
pub(crate) fn is_pattern(path: &str) -> bool {
    path.split('/').any(|s| s == "*" || s == "**" || (s.starts_with('{') && s.ends_with('}')))
}

/// Whether `path` matches `pattern`: `*` or `{name}` is any one segment, a last `**` any rest.
pub(crate) fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    for (i, p) in pattern.iter().enumerate() {
        if *p == "**" && i == pattern.len() - 1 {
            return path.len() >= i;
        }
        let Some(s) = path.get(i) else {
            return false;
        };
        let wild = *p == "*" || (p.starts_with('{') && p.ends_with('}'));
        if !wild && p != s {
            return false;
        }
    }
    pattern.len() == path.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns() {
        assert!(matches("/v26.0/*/leads", "/v26.0/123/leads"));
        assert!(!matches("/v26.0/*/leads", "/v26.0/123/leadgen_forms"));
        assert!(matches("/v26/customers/{cid}/googleAds:search", "/v26/customers/42/googleAds:search"));
        assert!(matches("/crm/v3/objects/**", "/crm/v3/objects/contacts/batch/upsert"));
        assert!(!matches("/crm/v3/objects/**", "/crm/v3/owners"));
        assert!(!matches("/a/*", "/a/b/c"));
    }
}
