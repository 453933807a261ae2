//! HubSpot CRM over loopback: batch upsert by email (twice = no duplicate), search with
//! filter groups and paging, read, owners, and the rate limits with their 429s.

mod common;

use common::client;
use leadvault_fakes::{Fake, Limits, Options, Provider};
use serde_json::{Value, json};

fn inputs(range: std::ops::Range<usize>, status: &str) -> Value {
    let inputs: Vec<Value> = range
        .map(|i| {
            json!({"idProperty": "email", "id": format!("lead{i}@example.com"), "properties": {
                "firstname": "Casey", "lastname": format!("Dunmore{i}"), "phone": "+12025550100",
                "hs_lead_status": status
            }})
        })
        .collect();
    json!({ "inputs": inputs })
}

async fn post(
    fake: &Fake,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = client()
        .post(format!("{}{path}", fake.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

fn unlimited() -> Options {
    Options { limits: Limits::none(), ..Options::default() }
}

#[tokio::test]
async fn upserting_twice_creates_no_duplicate() {
    let fake = Fake::start_with(Provider::Hubspot, unlimited()).await.unwrap();
    let token = fake.issue_token();
    let path = "/crm/v3/objects/contacts/batch/upsert";
    let (status, _, first) = post(&fake, path, &token, &inputs(0..100, "NEW")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"], "COMPLETE");
    assert!(first["results"].as_array().unwrap().iter().all(|r| r["new"] == true));
    // Again, overlapping, through the date-versioned path, with an email in other case.
    let mut again = inputs(50..150, "IN_PROGRESS");
    again["inputs"][0]["id"] = json!("LEAD50@EXAMPLE.COM");
    let (status, _, second) = post(&fake, "/crm/objects/2026-03/contacts/batch/upsert", &token, &again).await;
    assert_eq!(status, 200);
    let news: Vec<bool> =
        second["results"].as_array().unwrap().iter().map(|r| r["new"].as_bool().unwrap()).collect();
    assert_eq!(news.iter().filter(|n| !**n).count(), 50);
    let same = &second["results"][0];
    assert_eq!(same["id"], first["results"][50]["id"]);
    assert_eq!(same["properties"]["hs_lead_status"], "IN_PROGRESS");
    let records = fake.crm_records();
    assert_eq!(records.len(), 150);
    let mut emails: Vec<String> = records.iter().map(|r| r.email().unwrap()).collect();
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), 150, "no duplicates remotely");
    let writes = fake.crm_writes();
    assert_eq!((writes.created, writes.updated), (150, 50));
    // Over 100 inputs, duplicates in one batch: validation errors.
    let (status, _, body) = post(&fake, path, &token, &inputs(0..101, "NEW")).await;
    assert_eq!((status, body["category"].as_str()), (400, Some("VALIDATION_ERROR")));
    let mut dup = inputs(0..2, "NEW");
    dup["inputs"][1]["id"] = json!("lead0@example.com");
    assert_eq!(post(&fake, path, &token, &dup).await.0, 400);
}

#[tokio::test]
async fn search_filters_pages_and_reads() {
    let fake = Fake::start_with(Provider::Hubspot, unlimited()).await.unwrap();
    let token = fake.issue_token();
    post(&fake, "/crm/v3/objects/contacts/batch/upsert", &token, &inputs(0..30, "NEW")).await;
    post(&fake, "/crm/v3/objects/contacts/batch/upsert", &token, &inputs(30..45, "OPEN")).await;
    let search = "/crm/v3/objects/contacts/search";
    // EQ on email.
    let query = json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "Lead7@example.com"}]}]});
    let (status, headers, body) = post(&fake, search, &token, &query).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(body["results"][0]["properties"]["email"], "lead7@example.com");
    assert!(headers.get("x-hubspot-ratelimit-max").is_none(), "search answers carry no limit headers");
    // IN on hs_lead_status, paged by `after`.
    let mut after: Option<String> = None;
    let mut seen = 0;
    loop {
        let mut query = json!({"filterGroups": [{"filters": [{"propertyName": "hs_lead_status", "operator": "IN", "values": ["OPEN"]}]}],
            "properties": ["hs_lead_status"], "limit": 4});
        if let Some(a) = &after {
            query["after"] = json!(a);
        }
        let (_, _, body) = post(&fake, search, &token, &query).await;
        assert_eq!(body["total"], 15);
        seen += body["results"].as_array().unwrap().len();
        match body["paging"]["next"]["after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, 15);
    // GTE on lastmodifieddate (ms), OR of two groups.
    let query = json!({"filterGroups": [
        {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "0"}, {"propertyName": "hs_lead_status", "operator": "EQ", "value": "NEW"}]},
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": "lead40@example.com"}]}
    ], "limit": 200});
    let (_, _, body) = post(&fake, search, &token, &query).await;
    assert_eq!(body["total"], 31);
    // Read one back, by id and by email.
    let id = body["results"][0]["id"].as_str().unwrap().to_string();
    let url = format!("{}/crm/v3/objects/contacts/{id}?properties=phone", fake.base_url());
    let one: Value = client().get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["id"], id.as_str());
    assert_eq!(one["properties"]["phone"], "+12025550100");
    let url = format!("{}/crm/v3/objects/contacts/lead3@example.com?idProperty=email", fake.base_url());
    let by_email = client().get(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(by_email.status(), 200);
    let url = format!("{}/crm/v3/objects/contacts/999", fake.base_url());
    let missing = client().get(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_window_limit_answers_429_at_the_configured_count() {
    let limits = Limits { hubspot_per_10s: 5, ..Limits::default() };
    let fake = Fake::start_with(Provider::Hubspot, Options { limits, ..Options::default() }).await.unwrap();
    let token = fake.issue_token();
    let url = format!("{}/crm/v3/owners", fake.base_url());
    for i in 0..5 {
        let response = client().get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-hubspot-ratelimit-max"], "5");
        assert_eq!(response.headers()["x-hubspot-ratelimit-remaining"], (4 - i).to_string().as_str());
        assert_eq!(response.headers()["x-hubspot-ratelimit-interval-milliseconds"], "10000");
        assert!(response.headers().contains_key("x-hubspot-ratelimit-daily-remaining"));
    }
    let response = client().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["x-hubspot-ratelimit-remaining"], "0");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["category"], "RATE_LIMITS");
    assert_eq!(body["policyName"], "SECONDLY");
    assert!(body["correlationId"].is_string() && body["message"].is_string());
    // Another token has a window of its own.
    let other = fake.issue_token();
    assert_eq!(client().get(&url).bearer_auth(&other).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn search_is_limited_to_four_a_second() {
    let fake = Fake::start(Provider::Hubspot).await.unwrap();
    let token = fake.issue_token();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(post(&fake, "/crm/v3/objects/contacts/search", &token, &json!({})).await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    tokio::time::sleep(std::time::Duration::from_millis(1_050)).await;
    assert_eq!(post(&fake, "/crm/v3/objects/contacts/search", &token, &json!({})).await.0, 200);
}
