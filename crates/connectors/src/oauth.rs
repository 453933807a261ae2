//! Signing in as a native app (RFC 8252): the system browser opens the provider's consent page,
//! and a one-shot listener on 127.0.0.1, on a port the OS picks, receives the redirect. PKCE
//! (S256) and `state` tie the answer to this request; the `oauth2` crate exchanges the code.
//!
//! Meta is the exception: a live Meta app refuses plain-HTTP loopback redirects, so its consent
//! page opens in a window of the app itself ([`SignIn::start_embedded`]) with Meta's desktop
//! redirect, and the window hands over the address it was sent to ([`SignIn::finish_at`]).

use std::time::Duration;

use chrono::Utc;
use leadvault_core::connections::Credentials;
use leadvault_core::secrets::Secret;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::http::{Http, code_like};
use crate::{Error, Result};

/// An OAuth app as registered with a provider: a public client (no secret is trusted to stay
/// secret in a desktop binary, but some providers still want one sent).
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub provider: &'static str,
    /// The provider's name on the command line, for "run `leadvault connect X` again".
    pub cli: &'static str,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub authorize: Url,
    pub token: Url,
    pub scopes: Vec<String>,
    /// Extra authorize parameters (Google's `access_type=offline`).
    pub extra: Vec<(&'static str, &'static str)>,
    /// How the token endpoint wants the client's id and secret: in the form, or HTTP Basic.
    pub basic_auth: bool,
}

/// Fields some providers add to the token response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extra {
    /// Salesforce: the instance every later call goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_url: Option<String>,
    /// Pipedrive: the company's API address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_domain: Option<String>,
}
impl ExtraTokenFields for Extra {}

type TokenAnswer = StandardTokenResponse<Extra, BasicTokenType>;
type Client = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What a sign-in or a refresh produced.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub credentials: Credentials,
    pub scopes: Vec<String>,
    pub extra: Extra,
}

fn client(app: &OAuthApp, redirect: Option<&Url>) -> Result<Client> {
    let bad =
        |what: &str| Error::Config(format!("the {what} address for {} is not a valid URL", app.provider));
    let mut client = oauth2::Client::new(ClientId::new(app.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(app.authorize.clone()))
        .set_token_uri(TokenUrl::from_url(app.token.clone()))
        .set_auth_type(if app.basic_auth { AuthType::BasicAuth } else { AuthType::RequestBody });
    if let Some(secret) = &app.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
    }
    if let Some(r) = redirect {
        client = client.set_redirect_uri(RedirectUrl::new(r.to_string()).map_err(|_| bad("redirect"))?);
    }
    Ok(client)
}

/// A sign-in under way: the listener is bound (or, embedded, the window is to watch for the
/// redirect) and the consent page's address is ready.
pub struct SignIn {
    app: OAuthApp,
    /// None for an embedded sign-in: the app's own window reads the answer.
    listener: Option<TcpListener>,
    redirect: Url,
    authorize_url: Url,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
}

impl SignIn {
    /// Binds the one-shot listener on 127.0.0.1 (never a public interface) and builds the
    /// consent page's address with a fresh PKCE challenge and `state`.
    pub async fn start(app: OAuthApp) -> Result<SignIn> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::Config(format!("could not listen on 127.0.0.1 for the sign-in: {e}")))?;
        let port = listener.local_addr().map_err(|e| Error::Config(e.to_string()))?.port();
        let redirect = Url::parse(&format!("http://127.0.0.1:{port}/callback")).expect("a valid URL");
        SignIn::prepare(app, Some(listener), redirect)
    }

    /// A sign-in whose consent page opens in a window of the app, which watches for the
    /// provider sending it to `redirect` (Meta's `login_success.html`) and hands that address
    /// to [`SignIn::finish_at`]. PKCE and `state` are checked all the same.
    pub fn start_embedded(app: OAuthApp, redirect: Url) -> Result<SignIn> {
        SignIn::prepare(app, None, redirect)
    }

    fn prepare(app: OAuthApp, listener: Option<TcpListener>, redirect: Url) -> Result<SignIn> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = client(&app, Some(&redirect))?;
        let mut request = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
        for scope in &app.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        for (k, v) in &app.extra {
            request = request.add_extra_param(*k, *v);
        }
        let (authorize_url, state) = request.url();
        Ok(SignIn { app, listener, redirect, authorize_url, state, verifier })
    }

    /// The address to open in the system browser.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// Where the provider sends the browser back to.
    pub fn redirect_url(&self) -> &Url {
        &self.redirect
    }

    /// Whether the consent page is to open in the app's own window (see [`SignIn::finish_at`]).
    pub fn is_embedded(&self) -> bool {
        self.listener.is_none()
    }

    /// Whether `url` is the provider sending the window back to the redirect address (same
    /// scheme, host, port and path): the window stops there and hands it to `finish_at`.
    pub fn is_answer(&self, url: &Url) -> bool {
        is_redirect_to(&self.redirect, url)
    }

    /// Waits for the browser to come back (at most `timeout`, or until `cancel`), checks the
    /// answer and exchanges its code for tokens.
    pub async fn finish(self, http: &Http, timeout: Duration, cancel: &CancellationToken) -> Result<Tokens> {
        let (app, cli) = (self.app.provider, self.app.cli);
        let Some(listener) = &self.listener else {
            return Err(Error::Config(format!("{app}'s sign-in opens in the app's own window")));
        };
        let code = tokio::select! {
            answer = wait_for_code(listener, &self.state, app, cli) => answer?,
            _ = tokio::time::sleep(timeout) => {
                return Err(Error::TimedOut { seconds: timeout.as_secs().max(1), cli });
            }
            _ = cancel.cancelled() => return Err(Error::Cancelled),
        };
        self.exchange(http, code).await
    }

    /// An embedded sign-in's end: the address the provider sent the window to. Its `state`
    /// must be this sign-in's; then its code is exchanged as with a loopback sign-in.
    pub async fn finish_at(self, http: &Http, answer: &Url) -> Result<Tokens> {
        if !self.is_answer(answer) {
            return Err(Error::BadCallback("not the redirect address".into()));
        }
        let code = code_from(answer, &self.state, self.app.provider, self.app.cli).map_err(|(e, _)| e)?;
        self.exchange(http, code).await
    }

    async fn exchange(self, http: &Http, code: String) -> Result<Tokens> {
        let app = self.app.provider;
        drop(self.listener);
        let client = client(&self.app, Some(&self.redirect))?;
        let call = |request| {
            let http = http.clone();
            async move { http.oauth(request).await }
        };
        let answer = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(self.verifier)
            .request_async(&call)
            .await
            .map_err(|e| app_refused(&self.app, token_error(app, e)))?;
        let mut tokens = tokens(answer, self.app.client_secret.clone());
        tokens.credentials.client_id = Some(self.app.client_id.clone());
        Ok(tokens)
    }
}

/// Whether `url` is an answer sent to `redirect`: the same scheme, host, port and path (the
/// query and fragment carry the answer).
pub fn is_redirect_to(redirect: &Url, url: &Url) -> bool {
    url.scheme() == redirect.scheme()
        && url.host_str() == redirect.host_str()
        && url.port_or_known_default() == redirect.port_or_known_default()
        && url.path() == redirect.path()
}

/// Trades a refresh token for a new access token. A refused refresh (`invalid_grant`: revoked,
/// expired) is [`Error::Unauthorized`]: the connection needs a new sign-in, and no retry helps.
pub async fn refresh(app: &OAuthApp, http: &Http, credentials: &Credentials) -> Result<Tokens> {
    let Some(refresh) = &credentials.refresh_token else {
        return Err(Error::Unauthorized { provider: app.provider, reason: "no refresh token".into() });
    };
    let client = client(app, None)?;
    let call = |request| {
        let http = http.clone();
        async move { http.oauth(request).await }
    };
    let answer = client
        .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_string()))
        .request_async(&call)
        .await
        .map_err(|e| token_error(app.provider, e))?;
    let mut fresh = tokens(answer, app.client_secret.clone());
    // Providers that keep the refresh token the same do not send it again.
    if fresh.credentials.refresh_token.is_none() {
        fresh.credentials.refresh_token = credentials.refresh_token.clone();
    }
    fresh.credentials.developer_token = credentials.developer_token.clone();
    fresh.credentials.client_id = Some(app.client_id.clone());
    Ok(fresh)
}

fn tokens(answer: TokenAnswer, client_secret: Option<Secret>) -> Tokens {
    let credentials = Credentials {
        access_token: Secret::new(answer.access_token().secret().clone()),
        client_id: None,
        refresh_token: answer.refresh_token().map(|r| Secret::new(r.secret().clone())),
        expires_at: answer
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d),
        client_secret,
        developer_token: None,
    };
    let scopes = answer.scopes().map(|s| s.iter().map(|s| s.to_string()).collect()).unwrap_or_default();
    Tokens { credentials, scopes, extra: answer.extra_fields().clone() }
}

/// `code` when it has the shape of a provider's error code (see [`code_like`]), else `instead`:
/// an error field can echo a value of the request.
fn code_or(code: &str, instead: &str) -> String {
    if code_like(code) { code.to_string() } else { instead.to_string() }
}

fn token_error(
    provider: &'static str,
    e: RequestTokenError<crate::http::HttpError, BasicErrorResponse>,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let code = code_or(r.error().as_ref(), "an error without a code");
            match r.error() {
                BasicErrorResponseType::InvalidGrant | BasicErrorResponseType::InvalidClient => {
                    Error::Unauthorized { provider, reason: code }
                }
                _ => Error::Rejected { provider, reason: code },
            }
        }
        RequestTokenError::Request(e) => Error::Unavailable { provider, reason: e.0 },
        RequestTokenError::Parse(_, body) => non_standard_refusal(provider, &body).unwrap_or_else(|| {
            Error::Unavailable { provider, reason: "its token answer was not understood".into() }
        }),
        RequestTokenError::Other(_) => {
            Error::Unavailable { provider, reason: "its token answer was not understood".into() }
        }
    }
}

/// A code exchange refused for the OAuth app itself (`invalid_client`, HubSpot's
/// `BAD_CLIENT_ID`, Meta's code 101: a wrong client id, or a secret missing or wrong) is the
/// app's setup to fix, not the user's sign-in: signing in again would meet the same refusal.
fn app_refused(app: &OAuthApp, e: Error) -> Error {
    match &e {
        Error::Unauthorized { provider, reason }
            if matches!(reason.as_str(), "invalid_client" | "BAD_CLIENT_ID" | "code 101") =>
        {
            let var = format!("LEADVAULT_{}", app.cli.replace('-', "_").to_ascii_uppercase());
            Error::Config(format!(
                "{provider} refused Leadvault's OAuth app ({reason}): check {var}_CLIENT_ID and \
                 {var}_CLIENT_SECRET (the app's client id and secret), then sign in again; or paste a token"
            ))
        }
        _ => e,
    }
}

/// Token endpoints that do not answer in RFC 6749's format: HubSpot's v1 says
/// `{"status":"BAD_REFRESH_TOKEN",…}` (or `BAD_AUTH_CODE`, `BAD_CLIENT_ID`), Meta answers with a
/// Graph error (code 100 for a bad or used code, 101 for a bad client, 190 for a bad token).
/// Both mean the grant is gone: sign in again.
fn non_standard_refusal(provider: &'static str, body: &[u8]) -> Option<Error> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let Some(status) = value.get("status").and_then(|s| s.as_str())
        && status.starts_with("BAD_")
    {
        return Some(Error::Unauthorized { provider, reason: code_or(status, "BAD_…") });
    }
    let code = value.pointer("/error/code").and_then(|c| c.as_i64())?;
    matches!(code, 100 | 101 | 190).then(|| Error::Unauthorized { provider, reason: format!("code {code}") })
}

/// Serves the listener until the browser brings an answer for this sign-in. Requests for other
/// paths (a favicon) get a 404 and the wait goes on; an answer with the wrong `state` ends the
/// sign-in, since it was not started here.
async fn wait_for_code(
    listener: &TcpListener,
    state: &CsrfToken,
    provider: &'static str,
    cli: &'static str,
) -> Result<String> {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let Some(target) = read_request_target(&mut stream).await else {
            continue;
        };
        let Ok(url) = Url::parse("http://127.0.0.1").and_then(|base| base.join(&target)) else {
            respond(&mut stream, 400, "That address is not a sign-in answer.").await;
            continue;
        };
        if url.path() != "/callback" {
            respond(&mut stream, 404, "Not found.").await;
            continue;
        }
        match code_from(&url, state, provider, cli) {
            Ok(code) => {
                respond(&mut stream, 200, "Signed in. You can close this tab and return to Leadvault.").await;
                return Ok(code);
            }
            Err((error, page)) => {
                let status = if matches!(error, Error::BadCallback(_)) { 400 } else { 200 };
                respond(&mut stream, status, page).await;
                return Err(error);
            }
        }
    }
}

/// The code from a redirect's answer, once its `state` is this sign-in's; otherwise the error
/// and what to show the person. Providers answer in the query; a fragment (Meta's `#_=_`) is
/// ignored.
fn code_from(
    url: &Url,
    state: &CsrfToken,
    provider: &'static str,
    cli: &'static str,
) -> std::result::Result<String, (Error, &'static str)> {
    let get = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
    if get("state").as_deref() != Some(state.secret().as_str()) {
        let page = "This answer does not belong to the sign-in Leadvault started. Start it again.";
        return Err((Error::BadCallback("state mismatch".into()), page));
    }
    if let Some(error) = get("error") {
        let page = "Leadvault was not given access. You can close this tab.";
        return Err((
            if error == "access_denied" {
                Error::Denied { provider, cli }
            } else {
                // RFC 6749's codes (`invalid_scope`, `server_error`) are quoted; anything else
                // may be a value the page echoed (a login's email), and `error_description`,
                // free text, never is.
                Error::Rejected { provider, reason: code_or(&error, "an error without a code") }
            },
            page,
        ));
    }
    get("code")
        .ok_or((Error::BadCallback("no code".into()), "The answer carries no code. Start the sign-in again."))
}

/// The request target of one HTTP/1.1 request (`GET <target> HTTP/1.1`), read within 5 s and
/// 16 KiB.
async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let read = async {
        let mut buf = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.ok()??;
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_string)
}

async fn respond(stream: &mut TcpStream, status: u16, message: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Leadvault</title>\
         <body style=\"font-family:sans-serif;margin:3em\"><p>{message}</p></body>"
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2::StandardErrorResponse;

    /// A token endpoint's error code that is not one (an echoed email, a phone) is not quoted;
    /// neither is its description.
    #[test]
    fn token_errors_quote_only_codes() {
        let answer = |code: &str| {
            let r = StandardErrorResponse::new(
                BasicErrorResponseType::Extension(code.to_string()),
                Some("maria.lopez@example.com is not allowed".into()),
                None,
            );
            token_error("HubSpot", RequestTokenError::ServerResponse(r)).to_string()
        };
        for echoed in ["maria.lopez@example.com", "555-010-9191", "Maria"] {
            let line = answer(echoed);
            assert!(!line.contains(echoed) && !line.contains("maria"), "{line}");
            assert!(line.contains("an error without a code"), "{line}");
        }
        assert!(answer("consent_required").contains("(consent_required)"));
        let hubspot = |status: &str| {
            let body = serde_json::json!({"status": status, "message": "x"}).to_string();
            non_standard_refusal("HubSpot", body.as_bytes()).map(|e| e.to_string())
        };
        let line = hubspot("BAD_maria.lopez@example.com").unwrap();
        assert!(!line.contains("maria") && line.contains("BAD_…"), "{line}");
        assert!(hubspot("BAD_REFRESH_TOKEN").unwrap().contains("(BAD_REFRESH_TOKEN)"));
    }
}
