//! Every fault kind, observed from the client's side, on every fake's account check.

mod common;

use std::time::{Duration, Instant};

use common::*;
use leadvault_fakes::{Fake, Fault, Provider};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn injected_status_is_answered_in_the_providers_error_format_then_cleared() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let token = fake.issue_token();
        fake.inject(check_path(p), Fault::Status(503), 2);
        for _ in 0..2 {
            let response = check(&fake, &token, true).await;
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{p:?}");
            let body: Value = response.json().await.expect("a JSON error body");
            let shaped = match p {
                Provider::Meta => {
                    body["error"]["code"].is_number() && body["error"]["fbtrace_id"].is_string()
                }
                Provider::GoogleAds => body["error"]["status"] == "UNAVAILABLE",
                Provider::Hubspot => body["status"] == "error" && body["correlationId"].is_string(),
                Provider::Pipedrive => body["success"] == false && body["errorCode"] == 503,
                Provider::Salesforce => body[0]["errorCode"].is_string(),
            };
            assert!(shaped, "{p:?}: {body}");
        }
        assert_eq!(check(&fake, &token, true).await.status(), StatusCode::OK, "{p:?} after the faults");
        assert_eq!(fake.calls(check_path(p)), 3);
    }
}

#[tokio::test]
async fn rate_limits_look_like_each_providers() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let token = fake.issue_token();
        fake.inject(check_path(p), Fault::RateLimited { retry_after_secs: 7 }, 1);
        let response = check(&fake, &token, true).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap();
        match p {
            Provider::Meta => {
                assert_eq!(body["error"]["code"], 4, "{body}");
                assert!(headers.get("retry-after").is_none(), "Meta sends no Retry-After");
                let usage: Value = serde_json::from_str(headers["x-app-usage"].to_str().unwrap()).unwrap();
                assert_eq!(usage["call_count"], 100);
            }
            Provider::GoogleAds => {
                assert_eq!(status, 429);
                assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
                let detail = &body["error"]["details"][0]["errors"][0]["details"]["quotaErrorDetails"];
                assert_eq!(detail["retryDelay"], "7s");
                assert_eq!(headers["retry-after"], "7");
            }
            Provider::Hubspot => {
                assert_eq!(status, 429);
                assert_eq!(body["category"], "RATE_LIMITS");
                assert_eq!(headers["x-hubspot-ratelimit-remaining"], "0");
                assert_eq!(headers["retry-after"], "7");
            }
            Provider::Pipedrive => {
                assert_eq!(status, 429);
                assert_eq!(headers["x-ratelimit-remaining"], "0");
                assert_eq!(headers["x-ratelimit-reset"], "7");
            }
            Provider::Salesforce => {
                assert_eq!(status, 403);
                assert_eq!(body[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
            }
        }
        assert_eq!(check(&fake, &token, true).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn slow_answers_arrive_late_but_whole() {
    let fake = Fake::start(Provider::Hubspot).await.unwrap();
    let token = fake.issue_token();
    fake.inject(check_path(Provider::Hubspot), Fault::Slow(Duration::from_millis(400)), 1);
    let started = Instant::now();
    let response = check(&fake, &token, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(400));
    // A client with a shorter timeout gives up.
    fake.inject(check_path(Provider::Hubspot), Fault::Slow(Duration::from_secs(5)), 1);
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(200)).build().unwrap();
    let url = format!("{}{}", fake.base_url(), check_path(Provider::Hubspot));
    let error = quick.get(url).bearer_auth(&token).send().await.unwrap_err();
    assert!(error.is_timeout());
}

#[tokio::test]
async fn a_cut_off_body_fails_to_read_on_every_fake() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let token = fake.issue_token();
        fake.inject(check_path(p), Fault::CutOff, 1);
        let response = check(&fake, &token, true).await;
        assert_eq!(response.status(), StatusCode::OK, "{p:?}: the headers arrive");
        let announced = response.content_length().unwrap();
        let error = response.bytes().await.expect_err("the body is cut short");
        assert!(
            error.is_body() || error.is_decode() || error.is_request(),
            "{p:?}: {error:?} of {announced}"
        );
        assert_eq!(check(&fake, &token, true).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn faults_on_the_token_endpoint_and_unknown_paths() {
    let fake = Fake::start(Provider::GoogleAds).await.unwrap();
    fake.inject(token_path(Provider::GoogleAds), Fault::Status(500), 1);
    let code = code(&fake).await;
    assert_eq!(exchange(&fake, &code, VERIFIER).await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // The fault answered before the code was looked at, so the code is still good.
    assert_eq!(exchange(&fake, &code, VERIFIER).await.status(), StatusCode::OK);
    let response = client().get(format!("{}/v26/nothing-here", fake.base_url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(fake.calls("/v26/nothing-here"), 1);
}

#[tokio::test]
async fn slow_and_cut_off_answers_on_the_big_list_endpoints_by_pattern() {
    // Meta's lead pages: a cut-off body, then a whole one.
    let fake =
        Fake::start_with(Provider::Meta, leadvault_fakes::Options { leads: 300, ..Default::default() })
            .await
            .unwrap();
    let token = fake.issue_token();
    let form = fake.ads_state().forms[0].1.clone();
    let url = format!("{}/v26.0/{form}/leads?limit=100", fake.base_url());
    fake.inject("/v26.0/*/leads", Fault::CutOff, 1);
    let response = client().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.is_err(), "the body ends short of its length");
    let whole: Value = client().get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(whole["data"].as_array().unwrap().len(), 100);
    assert_eq!(fake.calls("/v26.0/*/leads"), 2);

    // Google Ads search: slow.
    let fake = Fake::start(Provider::GoogleAds).await.unwrap();
    let token = fake.issue_token();
    let cid = fake.ads_state().customer_id;
    fake.inject("/v26/customers/{cid}/googleAds:search", Fault::Slow(Duration::from_millis(300)), 1);
    let started = Instant::now();
    let response = client()
        .post(format!("{}/v26/customers/{cid}/googleAds:search", fake.base_url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({"query": "SELECT campaign.id FROM campaign"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // HubSpot: a 502 for anything under the objects API.
    let fake = Fake::start(Provider::Hubspot).await.unwrap();
    let token = fake.issue_token();
    fake.inject("/crm/v3/objects/**", Fault::Status(502), 1);
    let response = client()
        .post(format!("{}/crm/v3/objects/contacts/search", fake.base_url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["category"], "INTERNAL_ERROR");
}
