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
        inner.faults.get_mut(&path).and_then(|queue| queue.pop_front())
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
