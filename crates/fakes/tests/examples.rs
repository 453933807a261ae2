//! Each fake's answers against example payloads restating the providers' documented
//! responses (`tests/examples/<provider>/*.json`): every key of the example is in the fake's
//! answer, with the same JSON type, at every depth.

mod common;

use std::path::PathBuf;

use common::*;
use leadvault_fakes::{Fake, Provider};
use serde_json::Value;

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Paths where the fake's answer lacks a key of the example or has another type.
fn mismatches(example: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    if kind(example) != kind(actual) {
        out.push(format!("{at}: example {} vs fake {}", kind(example), kind(actual)));
        return;
    }
    match (example, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(found) => mismatches(value, found, &format!("{at}.{key}"), out),
                    None => out.push(format!("{at}.{key}: missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                if a.is_empty() {
                    out.push(format!("{at}: fake's array is empty"));
                }
                for (i, item) in a.iter().enumerate() {
                    mismatches(first, item, &format!("{at}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn example(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn assert_shape(name: &str, actual: &Value) {
    let mut out = Vec::new();
    mismatches(&example(name), actual, "$", &mut out);
    assert!(out.is_empty(), "{name}: {out:#?}\nfake said: {actual:#}");
}

async fn get_json(fake: &Fake, path: &str, token: &str) -> Value {
    client()
        .get(format!("{}{path}", fake.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_example_file_is_checked() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            files.push(format!(
                "{}/{}",
                dir.file_name().unwrap().to_str().unwrap(),
                file.file_name().unwrap().to_str().unwrap()
            ));
        }
    }
    files.sort();
    let checked = [
        "google_ads/list_accessible_customers.json",
        "google_ads/token.json",
        "google_ads/unauthenticated.json",
        "hubspot/account_details.json",
        "hubspot/bad_refresh_token.json",
        "hubspot/expired_authentication.json",
        "hubspot/owners.json",
        "hubspot/token.json",
        "meta/accounts.json",
        "meta/expired_token.json",
        "meta/me.json",
        "meta/token.json",
        "pipedrive/token.json",
        "pipedrive/unauthorized.json",
        "pipedrive/users_me.json",
        "salesforce/invalid_session.json",
        "salesforce/token.json",
        "salesforce/userinfo.json",
    ];
    assert_eq!(files, checked, "a new example needs a check below");
}

#[tokio::test]
async fn google_ads_matches_its_examples() {
    let fake = Fake::start(Provider::GoogleAds).await.unwrap();
    let tokens = sign_in(&fake).await;
    assert_shape("google_ads/token.json", &tokens);
    let access = tokens["access_token"].as_str().unwrap();
    assert_shape(
        "google_ads/list_accessible_customers.json",
        &get_json(&fake, check_path(Provider::GoogleAds), access).await,
    );
    assert_shape(
        "google_ads/unauthenticated.json",
        &get_json(&fake, check_path(Provider::GoogleAds), "bad").await,
    );
}

#[tokio::test]
async fn meta_matches_its_examples() {
    let fake = Fake::start(Provider::Meta).await.unwrap();
    let tokens = sign_in(&fake).await;
    assert_shape("meta/token.json", &tokens);
    let access = tokens["access_token"].as_str().unwrap();
    assert_shape("meta/me.json", &get_json(&fake, "/v26.0/me?fields=id,name", access).await);
    assert_shape("meta/accounts.json", &get_json(&fake, "/v26.0/me/accounts", access).await);
    fake.expire_access_tokens();
    assert_shape("meta/expired_token.json", &get_json(&fake, "/v26.0/me", access).await);
}

#[tokio::test]
async fn hubspot_matches_its_examples() {
    let fake = Fake::start(Provider::Hubspot).await.unwrap();
    let tokens = sign_in(&fake).await;
    assert_shape("hubspot/token.json", &tokens);
    let access = tokens["access_token"].as_str().unwrap();
    assert_shape("hubspot/account_details.json", &get_json(&fake, "/account-info/v3/details", access).await);
    assert_shape("hubspot/owners.json", &get_json(&fake, "/crm/v3/owners?limit=2", access).await);
    let refused: Value = refresh(&fake, "na1-unknown").await.json().await.unwrap();
    assert_shape("hubspot/bad_refresh_token.json", &refused);
    fake.expire_access_tokens();
    assert_shape(
        "hubspot/expired_authentication.json",
        &get_json(&fake, "/account-info/v3/details", access).await,
    );
}

#[tokio::test]
async fn pipedrive_matches_its_examples() {
    let fake = Fake::start(Provider::Pipedrive).await.unwrap();
    let tokens = sign_in(&fake).await;
    assert_shape("pipedrive/token.json", &tokens);
    let pasted = fake.issue_token();
    let me: Value = check(&fake, &pasted, true).await.json().await.unwrap();
    assert_shape("pipedrive/users_me.json", &me);
    let refused: Value = check(&fake, "0000", true).await.json().await.unwrap();
    assert_shape("pipedrive/unauthorized.json", &refused);
}

#[tokio::test]
async fn salesforce_matches_its_examples() {
    let fake = Fake::start(Provider::Salesforce).await.unwrap();
    let tokens = sign_in(&fake).await;
    assert_shape("salesforce/token.json", &tokens);
    let access = tokens["access_token"].as_str().unwrap();
    assert_shape("salesforce/userinfo.json", &get_json(&fake, "/services/oauth2/userinfo", access).await);
    assert_shape(
        "salesforce/invalid_session.json",
        &get_json(&fake, "/services/oauth2/userinfo", "bad").await,
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_account() {
    for p in Provider::ALL {
        let a = Fake::start(p).await.unwrap();
        let b = Fake::start(p).await.unwrap();
        let (ta, tb) = (a.issue_token(), b.issue_token());
        let ja: Value = check(&a, &ta, true).await.json().await.unwrap();
        let jb: Value = check(&b, &tb, true).await.json().await.unwrap();
        let strip = |mut v: Value| {
            // Only the fake's own address differs.
            if let Some(o) = v.as_object_mut() {
                o.remove("sub");
                o.remove("photos");
                o.remove("profile");
                o.remove("picture");
                o.remove("urls");
            }
            v
        };
        assert_eq!(strip(ja), strip(jb), "{p:?}");
    }
}
