//! The loopback + PKCE sign-in against an OAuth 2.0 server Leadvault did not write: the npm
//! package `oauth2-mock-server` (installed in ui/ by scripts/setup.sh), started here on
//! 127.0.0.1. It checks the PKCE verifier against the challenge and answers a wrong one with
//! HTTP 400, so these tests would catch a client that sent the wrong one, or none.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use leadvault_connectors::Error;
use leadvault_connectors::http::Http;
use leadvault_connectors::oauth::{self, OAuthApp, SignIn};
use tokio_util::sync::CancellationToken;
use url::Url;

/// The server process; it stops when its stdin closes (on drop, also when a test panics).
struct Server {
    child: Child,
    _stdin: ChildStdin,
    issuer: Url,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let ui = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui");
    assert!(
        ui.join("node_modules/oauth2-mock-server").is_dir(),
        "oauth2-mock-server is not installed: run scripts/setup.sh (npm ci in ui/)"
    );
    let mut child = Command::new("node")
        .arg(ui.join("tools/oauth-mock-server.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs (scripts/setup.sh installs it)");
    let stdin = child.stdin.take().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let started: serde_json::Value = serde_json::from_str(&line).expect("the server prints its issuer");
    let issuer = Url::parse(started["issuer"].as_str().unwrap()).unwrap();
    assert_eq!(issuer.host_str(), Some("127.0.0.1"));
    Server { child, _stdin: stdin, issuer }
}

fn app(server: &Server) -> OAuthApp {
    OAuthApp {
        provider: "the test OAuth server",
        cli: "test",
        client_id: "leadvault-desktop".into(),
        client_secret: None,
        authorize: server.issuer.join("/authorize").unwrap(),
        token: server.issuer.join("/token").unwrap(),
        scopes: vec!["openid".into(), "leads".into()],
        extra: Vec::new(),
        basic_auth: false,
    }
}

#[tokio::test]
async fn the_loopback_pkce_sign_in_and_refresh_work_against_an_independent_server() {
    let server = start_server();
    let http = Http::new().unwrap();
    let sign_in = SignIn::start(app(&server)).await.unwrap();
    let url = sign_in.authorize_url().to_string();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let browser = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()).ok() });
    let tokens = sign_in.finish(&http, Duration::from_secs(20), &CancellationToken::new()).await.unwrap();
    assert_eq!(browser.await.unwrap(), Some(200), "the browser lands on the listener's page");
    assert_eq!(tokens.credentials.access_token.expose().split('.').count(), 3, "a signed JWT");
    assert!(tokens.credentials.expires_at.is_some());
    let refreshed = oauth::refresh(&app(&server), &http, &tokens.credentials).await.unwrap();
    assert_ne!(refreshed.credentials.access_token.expose(), "", "a new access token");
    assert!(refreshed.credentials.refresh_token.is_some());
}

#[tokio::test]
async fn a_code_issued_for_another_challenge_is_refused_by_the_server() {
    let server = start_server();
    let http = Http::new().unwrap();
    // Two sign-ins: the code is issued against the first one's challenge but delivered to the
    // second one's listener with its state, so the second one sends its own verifier.
    let first = SignIn::start(app(&server)).await.unwrap();
    let second = SignIn::start(app(&server)).await.unwrap();
    let state = |u: &Url| u.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let mut crossed = first.authorize_url().clone();
    let pairs: Vec<(String, String)> = crossed
        .query_pairs()
        .map(|(k, v)| match k.as_ref() {
            "redirect_uri" => (k.into_owned(), second.redirect_url().to_string()),
            "state" => (k.into_owned(), state(second.authorize_url())),
            _ => (k.into_owned(), v.into_owned()),
        })
        .collect();
    crossed.query_pairs_mut().clear().extend_pairs(pairs);
    let browser = tokio::spawn(async move { reqwest::get(crossed).await.map(|r| r.status().as_u16()).ok() });
    let err = second.finish(&http, Duration::from_secs(20), &CancellationToken::new()).await.unwrap_err();
    browser.await.unwrap();
    assert!(matches!(err, Error::Rejected { ref reason, .. } if reason == "invalid_request"), "{err:?}");
    drop(first);
}
