//! What more than one test file here uses.

use std::sync::Arc;

type Gate = (tokio::sync::oneshot::Sender<()>, tokio::sync::oneshot::Receiver<()>);

/// A TCP proxy in front of a fake that can hold the next connection it accepts for as long as
/// a test needs: a request held mid-flight with no clock.
pub struct HoldingProxy {
    pub url: String,
    gate: Arc<std::sync::Mutex<Option<Gate>>>,
}

impl HoldingProxy {
    pub async fn start(upstream: &str) -> HoldingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let gate: Arc<std::sync::Mutex<Option<Gate>>> = Arc::default();
        let armed = gate.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let held = armed.lock().unwrap().take();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if let Some((arrived, released)) = held {
                        let _ = arrived.send(());
                        let _ = released.await;
                    }
                    let mut outbound = tokio::net::TcpStream::connect(&upstream).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        HoldingProxy { url, gate }
    }

    /// Holds the next connection: `arrived` says it came, sending on `release` lets it through.
    pub fn hold_next(&self) -> (tokio::sync::oneshot::Receiver<()>, tokio::sync::oneshot::Sender<()>) {
        let (arrived_tx, arrived) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel();
        *self.gate.lock().unwrap() = Some((arrived_tx, released));
        (arrived, release)
    }
}
