//! Sign-in against every fake: authorize → code → token with PKCE, and every way it is refused.

mod common;

use common::*;
use leadvault_fakes::{CLIENT_ID, Consent, Fake, Provider};
use reqwest::StatusCode;
use serde_json::Value;

async fn json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn full_sign_in_with_pkce_then_the_account_check() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let tokens = sign_in(&fake).await;
        let access = tokens["access_token"].as_str().expect("access_token");
        match p {
            Provider::Meta => {
                assert_eq!(tokens["token_type"], "bearer");
                assert!(tokens.get("refresh_token").is_none(), "Meta gives no refresh token");
            }
            Provider::Hubspot => assert_eq!(tokens["expires_in"], 1800),
            Provider::Pipedrive => assert_eq!(tokens["api_domain"], fake.base_url().as_str()),
            Provider::Salesforce => {
                assert_eq!(tokens["instance_url"], fake.base_url().as_str());
                assert!(tokens.get("expires_in").is_none());
                assert!(tokens["id"].as_str().unwrap().starts_with(&format!("{}/id/00D", fake.base_url())));
            }
            Provider::GoogleAds => assert!(tokens["expires_in"].as_u64().unwrap() > 3000),
        }
        if p != Provider::Meta {
            assert!(tokens["refresh_token"].is_string(), "{p:?} gives a refresh token");
        }
        let (status, body) = json(check(&fake, access, false).await).await;
        assert_eq!(status, StatusCode::OK, "{p:?}: {body}");
        assert_eq!(fake.calls(check_path(p)), 1);
        assert_eq!(fake.calls(token_path(p)), 1);
    }
}

#[tokio::test]
async fn a_wrong_verifier_or_a_reused_code_is_refused() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let code = code(&fake).await;
        let (status, body) =
            json(exchange(&fake, &code, "a-different-verifier-of-enough-length-0123456789").await).await;
        assert!(is_invalid_grant(p, status, &body), "{p:?} wrong verifier: {status} {body}");

        let code = common::code(&fake).await;
        let (status, _) = json(exchange(&fake, &code, VERIFIER).await).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = json(exchange(&fake, &code, VERIFIER).await).await;
        assert!(is_invalid_grant(p, status, &body), "{p:?} reused code: {status} {body}");

        let code = common::code(&fake).await;
        let (status, body) = json(
            token_request(
                &fake,
                CLIENT_ID,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", "http://127.0.0.1:1/elsewhere"),
                    ("code_verifier", VERIFIER),
                ],
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert!(status.is_client_error(), "{p:?} other redirect_uri: {status} {body}");
    }
}

#[tokio::test]
async fn the_usual_rfc_errors_come_as_invalid_grant_where_the_provider_says_so() {
    for p in [Provider::GoogleAds, Provider::Pipedrive] {
        let fake = Fake::start(p).await.unwrap();
        let code = code(&fake).await;
        let (_, body) =
            json(exchange(&fake, &code, "a-different-verifier-of-enough-length-0123456789").await).await;
        assert_eq!(body["error"], "invalid_grant", "{p:?}");
    }
    // Salesforce: a verifier that does not match is invalid_request, a missing one invalid_grant.
    let fake = Fake::start(Provider::Salesforce).await.unwrap();
    let code = code(&fake).await;
    let (_, body) =
        json(exchange(&fake, &code, "a-different-verifier-of-enough-length-0123456789").await).await;
    assert_eq!(body["error"], "invalid_request");
    // HubSpot's v1 token endpoint speaks its own `status` words.
    let fake = Fake::start(Provider::Hubspot).await.unwrap();
    let (_, body) = json(exchange(&fake, "no-such-code", VERIFIER).await).await;
    assert_eq!(body["status"], "BAD_AUTH_CODE");
    assert!(body["correlationId"].is_string());
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_the_state() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        fake.set_consent(Consent::Deny);
        let response = authorize_with(&fake, CLIENT_ID, REDIRECT, VERIFIER).await;
        let query = redirect_query(&response);
        assert_eq!(query["error"], "access_denied", "{p:?}");
        assert!(query.contains_key("error_description"));
        assert_eq!(query["state"], "st-42");
        assert!(!query.contains_key("code"));
    }
}

#[tokio::test]
async fn an_unknown_client_or_a_bad_authorize_request_is_refused() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let response = authorize_with(&fake, "someone-else", REDIRECT, VERIFIER).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{p:?}");
        let response = authorize_with(&fake, CLIENT_ID, "https://attacker.example/cb", VERIFIER).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{p:?} non-loopback redirect");

        // No PKCE.
        let url = format!(
            "{}{}?client_id={CLIENT_ID}&redirect_uri={REDIRECT}&response_type=code&state=s",
            fake.base_url(),
            authorize_path(p)
        );
        assert_eq!(
            client().get(url).send().await.unwrap().status(),
            StatusCode::BAD_REQUEST,
            "{p:?} no PKCE"
        );

        let code = code(&fake).await;
        let (status, body) = json(
            token_request(
                &fake,
                "someone-else",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                ],
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert!(status.is_client_error(), "{p:?}: {status}");
        let invalid_client = match p {
            Provider::Meta => body["error"]["code"] == 101,
            Provider::Hubspot => body["status"] == "BAD_CLIENT_ID",
            Provider::Salesforce => body["error"] == "invalid_client_id",
            _ => body["error"] == "invalid_client",
        };
        assert!(invalid_client, "{p:?}: {body}");
    }
}

#[tokio::test]
async fn localhost_redirects_and_metas_desktop_redirect_are_accepted() {
    let fake = Fake::start(Provider::Hubspot).await.unwrap();
    let response = authorize_with(&fake, CLIENT_ID, "http://localhost:8080/cb", VERIFIER).await;
    assert!(redirect_query(&response).contains_key("code"));

    let fake = Fake::start(Provider::Meta).await.unwrap();
    let desktop = "https://www.facebook.com/connect/login_success.html";
    let response = authorize_with(&fake, CLIENT_ID, desktop, VERIFIER).await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{desktop}?code=")), "{location}");
    assert!(location.ends_with("#_=_"), "Facebook's empty fragment: {location}");
    let code = redirect_query(&response)["code"].clone();
    let answer = client()
        .get(format!("{}/v26.0/oauth/access_token", fake.base_url()))
        .query(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", desktop),
            ("code", &code),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_gives_a_new_access_token_until_refused() {
    for p in Provider::ALL.into_iter().filter(|p| *p != Provider::Meta) {
        let fake = Fake::start(p).await.unwrap();
        let tokens = sign_in(&fake).await;
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        let (status, body) = json(refresh(&fake, refresh_token).await).await;
        assert_eq!(status, StatusCode::OK, "{p:?}: {body}");
        let fresh = body["access_token"].as_str().unwrap();
        assert_ne!(fresh, tokens["access_token"].as_str().unwrap());
        if let Some(again) = body.get("refresh_token") {
            assert_eq!(again, refresh_token, "{p:?} keeps the same refresh token");
        }
        assert_eq!(check(&fake, fresh, false).await.status(), StatusCode::OK);

        fake.refuse_refresh();
        let (status, body) = json(refresh(&fake, refresh_token).await).await;
        assert!(is_invalid_grant(p, status, &body), "{p:?}: {status} {body}");
        let (status, body) = json(refresh(&fake, "not-a-refresh-token").await).await;
        assert!(is_invalid_grant(p, status, &body), "{p:?}: {status} {body}");
    }
}

#[tokio::test]
async fn meta_exchanges_for_a_long_lived_token_instead_of_refreshing() {
    let fake = Fake::start(Provider::Meta).await.unwrap();
    let tokens = sign_in(&fake).await;
    let short = tokens["access_token"].as_str().unwrap();
    let (status, body) = json(
        token_request(&fake, CLIENT_ID, &[("grant_type", "fb_exchange_token"), ("fb_exchange_token", short)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["expires_in"].as_u64().unwrap() > 5_000_000);
    let (status, body) = json(refresh(&fake, short).await).await;
    assert!(is_invalid_grant(Provider::Meta, status, &body), "Meta has no refresh_token grant: {body}");
}

#[tokio::test]
async fn expired_access_tokens_get_the_providers_expired_error() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let oauth = sign_in(&fake).await["access_token"].as_str().unwrap().to_string();
        let pasted = fake.issue_token();
        fake.expire_access_tokens();
        for (token, is_pasted) in [(oauth.as_str(), false), (pasted.as_str(), true)] {
            let (status, body) = json(check(&fake, token, is_pasted).await).await;
            assert!(is_expired(p, status, &body), "{p:?}: {status} {body}");
        }
        let new = fake.issue_token();
        assert_eq!(
            check(&fake, &new, true).await.status(),
            StatusCode::OK,
            "{p:?} tokens issued later are good"
        );
    }
}

#[tokio::test]
async fn bad_tokens_get_the_providers_unauthorized_error() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let (status, body) = json(check(&fake, "not-a-token", true).await).await;
        assert!(is_unauthorized(p, status, &body), "{p:?}: {status} {body}");
    }
}

#[tokio::test]
async fn revoke_is_recorded_and_ends_the_grant() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let tokens = sign_in(&fake).await;
        let access = tokens["access_token"].as_str().unwrap();
        let refresh_token = tokens["refresh_token"].as_str();
        let response = revoke(&fake, access, refresh_token).await;
        assert!(response.status().is_success(), "{p:?}: {}", response.status());
        assert_eq!(fake.revoked(), vec![refresh_token.unwrap_or(access).to_string()], "{p:?}");
        let (status, body) = json(check(&fake, access, false).await).await;
        assert!(is_unauthorized(p, status, &body), "{p:?} after revoke: {status} {body}");
        if let Some(refresh_token) = refresh_token {
            let (status, body) = json(refresh(&fake, refresh_token).await).await;
            assert!(is_invalid_grant(p, status, &body), "{p:?} refresh after revoke: {body}");
        }
    }
}

#[tokio::test]
async fn pasted_tokens_pass_the_account_check() {
    for p in Provider::ALL {
        let fake = Fake::start(p).await.unwrap();
        let token = fake.issue_token();
        match p {
            Provider::Hubspot => assert!(token.starts_with("pat-na1-")),
            Provider::Pipedrive => {
                assert_eq!(token.len(), 40);
                assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
            }
            _ => {}
        }
        let response = check(&fake, &token, true).await;
        assert_eq!(response.status(), StatusCode::OK, "{p:?}");
    }
}
