//! Each fake's answers against example payloads restating the providers' documented
//! responses (`tests/examples/<provider>/*.json`): every key of the example is in the fake's
//! answer, with the same JSON type, at every depth.

mod common;

use std::path::PathBuf;

use common::*;
use leadvault_fakes::{Fake, Limits, Options, Provider};
use reqwest::Method;
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
        "google_ads/mutate.json",
        "google_ads/partial_failure.json",
        "google_ads/query_error.json",
        "google_ads/search_campaign_metrics.json",
        "google_ads/search_lead_form_submissions.json",
        "google_ads/search_stream.json",
        "google_ads/token.json",
        "google_ads/unauthenticated.json",
        "hubspot/account_details.json",
        "hubspot/bad_refresh_token.json",
        "hubspot/batch_upsert.json",
        "hubspot/contact.json",
        "hubspot/expired_authentication.json",
        "hubspot/owners.json",
        "hubspot/rate_limited.json",
        "hubspot/search.json",
        "hubspot/token.json",
        "meta/accounts.json",
        "meta/expired_token.json",
        "meta/insights.json",
        "meta/leadgen_forms.json",
        "meta/leads.json",
        "meta/me.json",
        "meta/page_rate_limit.json",
        "meta/token.json",
        "meta/update_success.json",
        "pipedrive/lead.json",
        "pipedrive/person.json",
        "pipedrive/person_search.json",
        "pipedrive/token.json",
        "pipedrive/unauthorized.json",
        "pipedrive/users.json",
        "pipedrive/users_me.json",
        "salesforce/aggregate_query.json",
        "salesforce/composite.json",
        "salesforce/create.json",
        "salesforce/invalid_session.json",
        "salesforce/query.json",
        "salesforce/required_field_missing.json",
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

async fn send(fake: &Fake, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let mut request = client().request(method, format!("{}{path}", fake.base_url()));
    request = match fake.provider() {
        Provider::Pipedrive => request.header("x-api-token", token),
        _ => request.bearer_auth(token),
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn meta_lead_endpoints_match_their_examples() {
    let limits = Limits { meta_lead_reads_per_day: Some(1), ..Limits::default() };
    let fake =
        Fake::start_with(Provider::Meta, Options { leads: 60, limits, ..Options::default() }).await.unwrap();
    let token = fake.issue_token();
    let state = fake.ads_state();
    let (page, form, _) = &state.forms[0];
    let forms = get_json(
        &fake,
        &format!("/v26.0/{page}/leadgen_forms?fields=id,name,status,locale,leads_count,questions"),
        &token,
    )
    .await;
    assert_shape("meta/leadgen_forms.json", &forms);
    let leads = get_json(
        &fake,
        &format!("/v26.0/{form}/leads?fields=id,created_time,form_id,field_data,is_organic,platform&limit=5"),
        &token,
    )
    .await;
    assert_shape("meta/leads.json", &leads);
    assert_shape(
        "meta/page_rate_limit.json",
        &get_json(&fake, &format!("/v26.0/{form}/leads"), &token).await,
    );
    let insights = get_json(
        &fake,
        &format!("/v26.0/act_{}/insights?level=campaign&fields=campaign_id,campaign_name,impressions,clicks,spend,actions&time_increment=1&date_preset=last_7d", state.customer_id),
        &token,
    )
    .await;
    assert_shape("meta/insights.json", &insights);
    let updated: Value = client()
        .post(format!("{}/v26.0/{}", fake.base_url(), state.campaigns[0].id))
        .bearer_auth(&token)
        .form(&[("status", "PAUSED")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape("meta/update_success.json", &updated);
}

#[tokio::test]
async fn google_ads_search_and_mutate_match_their_examples() {
    let fake =
        Fake::start_with(Provider::GoogleAds, Options { leads: 10_050, ..Options::default() }).await.unwrap();
    let token = fake.issue_token();
    let state = fake.ads_state();
    let cid = state.customer_id;
    let search = format!("/v26/customers/{cid}/googleAds:search");
    let q = "SELECT campaign.id, campaign.name, campaign.status, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, segments.date FROM campaign WHERE segments.date DURING LAST_7_DAYS";
    assert_shape(
        "google_ads/search_campaign_metrics.json",
        &send(&fake, Method::POST, &search, &token, Some(serde_json::json!({"query": q}))).await,
    );
    let q = "SELECT lead_form_submission_data.id, lead_form_submission_data.asset, lead_form_submission_data.campaign, lead_form_submission_data.ad_group, lead_form_submission_data.gclid, lead_form_submission_data.submission_date_time, lead_form_submission_data.lead_form_submission_fields, lead_form_submission_data.custom_lead_form_submission_fields FROM lead_form_submission_data";
    assert_shape(
        "google_ads/search_lead_form_submissions.json",
        &send(&fake, Method::POST, &search, &token, Some(serde_json::json!({"query": q}))).await,
    );
    let stream = format!("/v26/customers/{cid}/googleAds:searchStream");
    let q = "SELECT ad_group.id, ad_group.cpc_bid_micros FROM ad_group";
    assert_shape(
        "google_ads/search_stream.json",
        &send(&fake, Method::POST, &stream, &token, Some(serde_json::json!({"query": q}))).await,
    );
    let q = "SELECT campaign.bogus FROM campaign";
    assert_shape(
        "google_ads/query_error.json",
        &send(&fake, Method::POST, &search, &token, Some(serde_json::json!({"query": q}))).await,
    );
    let campaign = format!("customers/{cid}/campaigns/{}", state.campaigns[0].id);
    let op = serde_json::json!({"operations": [{"update": {"resourceName": campaign, "status": "PAUSED"}, "updateMask": "status"}]});
    let mutate = format!("/v26/customers/{cid}/campaigns:mutate");
    assert_shape("google_ads/mutate.json", &send(&fake, Method::POST, &mutate, &token, Some(op)).await);
    let op = serde_json::json!({"partialFailure": true, "operations": [{"update": {"resourceName": format!("customers/{cid}/campaigns/1"), "status": "PAUSED"}, "updateMask": "status"}]});
    assert_shape(
        "google_ads/partial_failure.json",
        &send(&fake, Method::POST, &mutate, &token, Some(op)).await,
    );
}

#[tokio::test]
async fn hubspot_contacts_match_their_examples() {
    let fake = Fake::start(Provider::Hubspot).await.unwrap();
    let token = fake.issue_token();
    let inputs = serde_json::json!({"inputs": [
        {"idProperty": "email", "id": "a@example.com", "properties": {"firstname": "Avery", "lastname": "Ashdown"}},
        {"idProperty": "email", "id": "b@example.com", "properties": {"firstname": "Blake", "lastname": "Brightwater"}}
    ]});
    let upserted =
        send(&fake, Method::POST, "/crm/v3/objects/contacts/batch/upsert", &token, Some(inputs)).await;
    assert_shape("hubspot/batch_upsert.json", &upserted);
    let found = send(
        &fake,
        Method::POST,
        "/crm/v3/objects/contacts/search",
        &token,
        Some(serde_json::json!({"limit": 1})),
    )
    .await;
    assert_shape("hubspot/search.json", &found);
    let id = upserted["results"][0]["id"].as_str().unwrap();
    assert_shape(
        "hubspot/contact.json",
        &get_json(&fake, &format!("/crm/v3/objects/contacts/{id}"), &token).await,
    );
    for _ in 0..4 {
        send(&fake, Method::POST, "/crm/v3/objects/contacts/search", &token, Some(serde_json::json!({})))
            .await;
    }
    let limited =
        send(&fake, Method::POST, "/crm/v3/objects/contacts/search", &token, Some(serde_json::json!({})))
            .await;
    assert_shape("hubspot/rate_limited.json", &limited);
}

#[tokio::test]
async fn pipedrive_persons_and_leads_match_their_examples() {
    let fake = Fake::start(Provider::Pipedrive).await.unwrap();
    let token = fake.issue_token();
    assert_shape("pipedrive/users.json", &send(&fake, Method::GET, "/api/v1/users", &token, None).await);
    let person = serde_json::json!({"name": "Example Person", "emails": [{"value": "someone@example.com", "primary": true, "label": "work"}], "phones": [{"value": "+12025550100"}]});
    let created = send(&fake, Method::POST, "/api/v2/persons", &token, Some(person)).await;
    assert_shape("pipedrive/person.json", &created);
    let found = send(
        &fake,
        Method::GET,
        "/api/v2/persons/search?term=someone%40example.com&fields=email&exact_match=true",
        &token,
        None,
    )
    .await;
    assert_shape("pipedrive/person_search.json", &found);
    let lead = serde_json::json!({"title": "Example lead", "person_id": created["data"]["id"]});
    assert_shape(
        "pipedrive/lead.json",
        &send(&fake, Method::POST, "/api/v1/leads", &token, Some(lead)).await,
    );
}

#[tokio::test]
async fn salesforce_leads_match_their_examples() {
    let fake = Fake::start(Provider::Salesforce).await.unwrap();
    let token = fake.issue_token();
    let lead =
        serde_json::json!({"LastName": "Person", "Company": "Example Co", "Email": "someone@example.com"});
    assert_shape(
        "salesforce/create.json",
        &send(&fake, Method::POST, "/services/data/v67.0/sobjects/Lead/", &token, Some(lead)).await,
    );
    let missing = serde_json::json!({"Company": "Example Co"});
    assert_shape(
        "salesforce/required_field_missing.json",
        &send(&fake, Method::POST, "/services/data/v67.0/sobjects/Lead/", &token, Some(missing)).await,
    );
    let batch = serde_json::json!({"allOrNone": false, "records": [{"attributes": {"type": "Lead"}, "LastName": "Two", "Company": "Example Co"}]});
    assert_shape(
        "salesforce/composite.json",
        &send(&fake, Method::POST, "/services/data/v67.0/composite/sobjects", &token, Some(batch)).await,
    );
    let q = "/services/data/v67.0/query?q=SELECT+Id,+Email+FROM+Lead+WHERE+Email+%3D+'someone@example.com'";
    assert_shape("salesforce/query.json", &get_json(&fake, q, &token).await);
    let q = "/services/data/v67.0/query?q=SELECT+OwnerId,+COUNT(Id)+FROM+Lead+WHERE+IsConverted+%3D+false+GROUP+BY+OwnerId";
    assert_shape("salesforce/aggregate_query.json", &get_json(&fake, q, &token).await);
}
