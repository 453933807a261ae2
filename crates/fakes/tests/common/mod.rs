//! Plays the browser and the connector against a fake, over real loopback HTTP.
#![allow(dead_code)]

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use leadvault_fakes::{CLIENT_ID, Fake, Provider};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use url::Url;

pub const REDIRECT: &str = "http://127.0.0.1:53682/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9sTRzKqG5V0dWx3y1mwaO8kgmQmRzA";

thread_local! {
    static CLIENT: Client =
        Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
}

/// One client (redirects not followed) per test thread: each `#[tokio::test]` runs on a
/// thread of its own, and building a client costs far more than a request on loopback.
pub fn client() -> Client {
    CLIENT.with(Client::clone)
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()))
}

pub fn authorize_path(p: Provider) -> &'static str {
    match p {
        Provider::Meta => "/v26.0/dialog/oauth",
        Provider::GoogleAds => "/o/oauth2/v2/auth",
        Provider::Hubspot | Provider::Pipedrive => "/oauth/authorize",
        Provider::Salesforce => "/services/oauth2/authorize",
    }
}

pub fn token_path(p: Provider) -> &'static str {
    match p {
        Provider::Meta => "/v26.0/oauth/access_token",
        Provider::GoogleAds => "/token",
        Provider::Hubspot => "/oauth/v1/token",
        Provider::Pipedrive => "/oauth/token",
        Provider::Salesforce => "/services/oauth2/token",
    }
}

/// The cheap call a connector makes to verify a token.
pub fn check_path(p: Provider) -> &'static str {
    match p {
        Provider::Meta => "/v26.0/me",
        Provider::GoogleAds => "/v26/customers:listAccessibleCustomers",
        Provider::Hubspot => "/account-info/v3/details",
        Provider::Pipedrive => "/api/v1/users/me",
        Provider::Salesforce => "/services/oauth2/userinfo",
    }
}

fn scope(p: Provider) -> &'static str {
    match p {
        Provider::Meta => "leads_retrieval,pages_show_list",
        Provider::GoogleAds => "https://www.googleapis.com/auth/adwords",
        Provider::Hubspot => "oauth crm.objects.owners.read",
        Provider::Pipedrive => "",
        Provider::Salesforce => "api refresh_token",
    }
}

/// The browser's visit to the authorize endpoint; returns the raw answer (no redirect followed).
pub async fn authorize_with(fake: &Fake, client_id: &str, redirect: &str, verifier: &str) -> Response {
    let p = fake.provider();
    let mut url = Url::parse(&format!("{}{}", fake.base_url(), authorize_path(p))).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", scope(p))
        .append_pair("state", "st-42")
        .append_pair("code_challenge", &challenge(verifier))
        .append_pair("code_challenge_method", "S256");
    client().get(url).send().await.expect("authorize")
}

/// The query of the redirect an authorize answer points to.
pub fn redirect_query(response: &Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND, "authorize should redirect");
    let location = response.headers()["location"].to_str().unwrap();
    Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

pub async fn code(fake: &Fake) -> String {
    let response = authorize_with(fake, CLIENT_ID, REDIRECT, VERIFIER).await;
    let query = redirect_query(&response);
    assert_eq!(query.get("state").map(String::as_str), Some("st-42"));
    query["code"].clone()
}

/// A token request with the client authenticated the way the provider wants.
pub fn token_request(fake: &Fake, client_id: &str, form: &[(&str, &str)]) -> RequestBuilder {
    let p = fake.provider();
    let url = format!("{}{}", fake.base_url(), token_path(p));
    let mut form: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut request = client().post(url);
    if p == Provider::Pipedrive {
        request = request
            .header("authorization", format!("Basic {}", STANDARD.encode(format!("{client_id}:secret"))));
    } else {
        form.push(("client_id".into(), client_id.into()));
        form.push(("client_secret".into(), "secret".into()));
    }
    request.form(&form)
}

pub async fn exchange(fake: &Fake, code: &str, verifier: &str) -> Response {
    token_request(
        fake,
        CLIENT_ID,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .send()
    .await
    .expect("token")
}

/// The whole sign-in; returns the token answer.
pub async fn sign_in(fake: &Fake) -> Value {
    let code = code(fake).await;
    let response = exchange(fake, &code, VERIFIER).await;
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.text().await);
    response.json().await.unwrap()
}

pub async fn refresh(fake: &Fake, refresh_token: &str) -> Response {
    token_request(fake, CLIENT_ID, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
        .send()
        .await
        .expect("refresh")
}

/// The verify call, with the token where the provider's client puts it (`pasted` picks
/// Pipedrive's `x-api-token` header).
pub async fn check(fake: &Fake, token: &str, pasted: bool) -> Response {
    let p = fake.provider();
    let url = format!("{}{}", fake.base_url(), check_path(p));
    let request = client().get(url);
    let request = match p {
        Provider::Pipedrive if pasted => request.header("x-api-token", token),
        Provider::Meta => request.query(&[("fields", "id,name"), ("access_token", token)]),
        _ => request.bearer_auth(token),
    };
    request.send().await.expect("check")
}

/// Revokes the grant the way each provider's client does.
pub async fn revoke(fake: &Fake, access: &str, refresh: Option<&str>) -> Response {
    let base = fake.base_url();
    let c = client();
    let refresh = refresh.unwrap_or(access);
    match fake.provider() {
        Provider::Meta => {
            c.request(Method::DELETE, format!("{base}/v26.0/me/permissions")).bearer_auth(access)
        }
        Provider::GoogleAds => c.post(format!("{base}/revoke")).form(&[("token", refresh)]),
        Provider::Hubspot => c.delete(format!("{base}/oauth/v1/refresh-tokens/{refresh}")),
        Provider::Pipedrive => c
            .post(format!("{base}/oauth/revoke"))
            .basic_auth(CLIENT_ID, Some("secret"))
            .form(&[("token", refresh), ("token_type_hint", "refresh_token")]),
        Provider::Salesforce => c.post(format!("{base}/services/oauth2/revoke")).form(&[("token", refresh)]),
    }
    .send()
    .await
    .expect("revoke")
}

/// Whether a token answer is the provider's "this grant is no good" (RFC 6749
/// `invalid_grant`, or the provider's own word for it).
pub fn is_invalid_grant(p: Provider, status: StatusCode, body: &Value) -> bool {
    status == StatusCode::BAD_REQUEST
        && match p {
            Provider::Meta => body["error"]["type"] == "OAuthException" && body["error"]["code"].is_number(),
            Provider::Hubspot => body["status"].as_str().is_some_and(|s| s.starts_with("BAD_")),
            _ => body["error"] == "invalid_grant" || body["error"] == "invalid_request",
        }
}

/// Whether an API answer is the provider's expired-token error.
pub fn is_expired(p: Provider, status: StatusCode, body: &Value) -> bool {
    match p {
        Provider::Meta => {
            status == 400 && body["error"]["code"] == 190 && body["error"]["error_subcode"] == 463
        }
        Provider::GoogleAds => {
            status == 401
                && body["error"]["status"] == "UNAUTHENTICATED"
                && body["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
        }
        Provider::Hubspot => status == 401 && body["category"] == "EXPIRED_AUTHENTICATION",
        Provider::Pipedrive => status == 401 && body["success"] == false && body["errorCode"] == 401,
        Provider::Salesforce => status == 401 && body[0]["errorCode"] == "INVALID_SESSION_ID",
    }
}

/// Whether an API answer is the provider's bad-token error.
pub fn is_unauthorized(p: Provider, status: StatusCode, body: &Value) -> bool {
    match p {
        Provider::Meta => status == 400 && body["error"]["code"] == 190,
        Provider::GoogleAds => status == 401 && body["error"]["status"] == "UNAUTHENTICATED",
        Provider::Hubspot => status == 401 && body["category"] == "INVALID_AUTHENTICATION",
        Provider::Pipedrive => status == 401 && body["error"] == "unauthorized access",
        Provider::Salesforce => status == 401 && body[0]["errorCode"] == "INVALID_SESSION_ID",
    }
}
