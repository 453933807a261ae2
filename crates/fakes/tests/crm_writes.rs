//! Pipedrive and Salesforce over loopback: create, search / query, upsert without
//! duplicates, their validation errors and limits.

mod common;

use common::client;
use leadvault_fakes::{Fake, Limits, Options, Provider};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(
    fake: &Fake,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = client().request(method, format!("{}{path}", fake.base_url()));
    request = if fake.provider() == Provider::Pipedrive {
        request.header("x-api-token", token)
    } else {
        request.bearer_auth(token)
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (status, headers, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

#[tokio::test]
async fn pipedrive_persons_leads_users() {
    let fake = Fake::start(Provider::Pipedrive).await.unwrap();
    let token = fake.issue_token();
    let (status, _, users) = call(&fake, Method::GET, "/api/v1/users", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(users["success"], true);
    let owner = users["data"][1]["id"].as_u64().unwrap();

    let person = json!({"name": "Casey Dunmore", "emails": [{"value": "casey@example.com", "primary": true, "label": "work"}],
        "phones": [{"value": "+12025550142", "primary": true, "label": "mobile"}], "owner_id": owner});
    let (status, headers, created) = call(&fake, Method::POST, "/api/v2/persons", &token, Some(person)).await;
    assert_eq!(status, 200, "{created}");
    assert!(headers.contains_key("x-ratelimit-remaining"));
    let person_id = created["data"]["id"].as_u64().unwrap();
    assert_eq!(created["data"]["emails"][0]["value"], "casey@example.com");
    assert_eq!(created["data"]["owner_id"], owner);

    // Found again by exact email: the sync's "does this person exist" check.
    let (status, _, found) = call(
        &fake,
        Method::GET,
        "/api/v2/persons/search?term=Casey%40example.com&fields=email&exact_match=true",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["data"]["items"][0]["item"]["id"], person_id);
    assert_eq!(found["data"]["items"][0]["item"]["emails"][0], "casey@example.com");
    assert!(found["additional_data"]["next_cursor"].is_null());
    let (_, _, none) = call(
        &fake,
        Method::GET,
        "/api/v2/persons/search?term=nobody%40example.com&fields=email&exact_match=true",
        &token,
        None,
    )
    .await;
    assert_eq!(none["data"]["items"], json!([]));

    let (status, _, lead) = call(
        &fake,
        Method::POST,
        "/api/v1/leads",
        &token,
        Some(json!({"title": "Casey Dunmore – roof repair", "person_id": person_id, "owner_id": owner})),
    )
    .await;
    assert_eq!(status, 201, "{lead}");
    let lead_id = lead["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(lead_id.len(), 36, "a UUID");
    let (status, _, patched) = call(
        &fake,
        Method::PATCH,
        &format!("/api/v1/leads/{lead_id}"),
        &token,
        Some(json!({"title": "Casey Dunmore – re-roof"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(patched["data"]["title"], "Casey Dunmore – re-roof");

    // Validation errors.
    let (status, _, body) =
        call(&fake, Method::POST, "/api/v2/persons", &token, Some(json!({"emails": []}))).await;
    assert_eq!((status, body["success"].as_bool()), (400, Some(false)));
    let (status, _, _) =
        call(&fake, Method::POST, "/api/v1/leads", &token, Some(json!({"title": "x", "person_id": 999_999})))
            .await;
    assert_eq!(status, 400);
    let (status, _, _) = call(
        &fake,
        Method::PATCH,
        "/api/v1/leads/00000000-0000-4000-a000-000000000000",
        &token,
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, 404);

    let records = fake.crm_records();
    assert_eq!(records.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["person", "lead"]);
    assert_eq!(records[0].email().as_deref(), Some("casey@example.com"));
    assert_eq!((fake.crm_writes().created, fake.crm_writes().updated), (2, 1));
}

#[tokio::test]
async fn pipedrive_paging_and_rate_limit() {
    let limits = Limits { pipedrive_per_2s: 12, ..Limits::default() };
    let fake = Fake::start_with(Provider::Pipedrive, Options { limits, ..Options::default() }).await.unwrap();
    let token = fake.issue_token();
    for i in 0..5 {
        let person =
            json!({"name": format!("Person {i}"), "emails": [{"value": format!("p{i}@example.org")}]});
        assert_eq!(call(&fake, Method::POST, "/api/v2/persons", &token, Some(person)).await.0, 200);
    }
    let (_, _, page) = call(&fake, Method::GET, "/api/v2/persons?limit=3", &token, None).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    let cursor = page["additional_data"]["next_cursor"].as_str().unwrap().to_string();
    let (_, _, rest) =
        call(&fake, Method::GET, &format!("/api/v2/persons?limit=3&cursor={cursor}"), &token, None).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 2);
    assert!(rest["additional_data"]["next_cursor"].is_null());
    let mut last = 0;
    for _ in 0..6 {
        last = call(&fake, Method::GET, "/api/v1/users", &token, None).await.0;
    }
    assert_eq!(last, 429);
    let (status, headers, body) = call(&fake, Method::GET, "/api/v1/users", &token, None).await;
    assert_eq!(status, 429);
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_eq!(headers["x-ratelimit-limit"], "12");
    assert_eq!(body["success"], false);
}

const SF: &str = "/services/data/v67.0";

#[tokio::test]
async fn salesforce_create_upsert_composite_and_query() {
    let fake = Fake::start(Provider::Salesforce).await.unwrap();
    let token = fake.issue_token();
    let (status, headers, created) = call(&fake, Method::POST, &format!("{SF}/sobjects/Lead/"), &token,
        Some(json!({"FirstName": "Casey", "LastName": "Dunmore", "Company": "Northwind Roofing", "Email": "casey@example.com", "LeadSource": "Facebook"}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["success"], true);
    assert!(created["id"].as_str().unwrap().starts_with("00Q"));
    assert!(headers["sforce-limit-info"].to_str().unwrap().starts_with("api-usage=1/15000"));
    let (status, _, missing) =
        call(&fake, Method::POST, &format!("{SF}/sobjects/Lead/"), &token, Some(json!({"FirstName": "No"})))
            .await;
    assert_eq!(status, 400);
    assert_eq!(missing[0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(missing[0]["fields"], json!(["LastName", "Company"]));

    // Upsert by an external id: 201 then 204, one record.
    let path = format!("{SF}/sobjects/Lead/Leadvault_Id__c/lv-1");
    let body = json!({"LastName": "Elmstead", "Company": "Bluepeak Solar", "Email": "emery@example.org"});
    let (status, _, first) = call(&fake, Method::PATCH, &path, &token, Some(body.clone())).await;
    assert_eq!((status, first["created"].as_bool()), (201, Some(true)));
    let (status, _, second) =
        call(&fake, Method::PATCH, &path, &token, Some(json!({"Status": "Working - Contacted"}))).await;
    assert_eq!((status, second), (204, Value::Null));

    // Composite: allOrNone rolls back, then a good batch; composite upsert says created or not.
    let records = |n: usize, bad: bool| -> Value {
        let records: Vec<Value> = (0..n).map(|i| {
            let mut r = json!({"attributes": {"type": "Lead"}, "LastName": format!("L{i}"), "Company": "Example Co", "Leadvault_Id__c": format!("lv-c{i}")});
            if bad && i == 1 { r.as_object_mut().unwrap().remove("Company"); }
            r
        }).collect();
        json!({"allOrNone": true, "records": records})
    };
    let (status, _, rolled) =
        call(&fake, Method::POST, &format!("{SF}/composite/sobjects"), &token, Some(records(3, true))).await;
    assert_eq!(status, 200);
    assert_eq!(rolled[0]["errors"][0]["statusCode"], "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_eq!(rolled[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(fake.crm_records().len(), 2);
    let (status, _, upserted) = call(
        &fake,
        Method::PATCH,
        &format!("{SF}/composite/sobjects/Lead/Leadvault_Id__c"),
        &token,
        Some(records(3, false)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(upserted.as_array().unwrap().iter().all(|r| r["success"] == true && r["created"] == true));
    let (_, _, again) = call(
        &fake,
        Method::PATCH,
        &format!("{SF}/composite/sobjects/Lead/Leadvault_Id__c"),
        &token,
        Some(records(3, false)),
    )
    .await;
    assert!(again.as_array().unwrap().iter().all(|r| r["created"] == false));
    assert_eq!(fake.crm_records().len(), 5, "no duplicates remotely");
    let too_many = records(201, false);
    assert_eq!(
        call(&fake, Method::POST, &format!("{SF}/composite/sobjects"), &token, Some(too_many)).await.0,
        400
    );

    // SOQL: capacity per owner, and a plain select.
    let q = "SELECT OwnerId, COUNT(Id) FROM Lead WHERE IsConverted = false GROUP BY OwnerId";
    let url =
        format!("{SF}/query?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
    let (status, _, counts) = call(&fake, Method::GET, &url, &token, None).await;
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["records"][0]["attributes"]["type"], "AggregateResult");
    assert_eq!(counts["records"][0]["expr0"], 5);
    assert!(counts["records"][0]["OwnerId"].as_str().unwrap().starts_with("005"));
    let q = "SELECT Id, Email, Status FROM Lead WHERE Leadvault_Id__c = 'lv-1'";
    let url =
        format!("{SF}/query?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
    let (_, _, one) = call(&fake, Method::GET, &url, &token, None).await;
    assert_eq!(one["totalSize"], 1);
    assert_eq!(one["done"], true);
    assert_eq!(one["records"][0]["Status"], "Working - Contacted");
    assert!(
        one["records"][0]["attributes"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{SF}/sobjects/Lead/00Q"))
    );
    let bad = format!("{SF}/query?q=SELECT+Nope+FROM+Lead");
    let (status, _, body) = call(&fake, Method::GET, &bad, &token, None).await;
    assert_eq!((status, body[0]["errorCode"].as_str()), (400, Some("INVALID_FIELD")));
    fake.expire_access_tokens();
    let (status, _, body) = call(&fake, Method::GET, &url, &token, None).await;
    assert_eq!((status, body[0]["errorCode"].as_str()), (401, Some("INVALID_SESSION_ID")));
}

#[tokio::test]
async fn salesforce_query_pages_by_next_records_url() {
    let fake = Fake::start(Provider::Salesforce).await.unwrap();
    let token = fake.issue_token();
    for batch in 0..12 {
        let records: Vec<Value> = (0..200).map(|i| json!({"attributes": {"type": "Lead"}, "LastName": format!("L{batch}-{i}"), "Company": "Example Co"})).collect();
        let (status, _, _) = call(
            &fake,
            Method::POST,
            &format!("{SF}/composite/sobjects"),
            &token,
            Some(json!({"allOrNone": false, "records": records})),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (_, _, first) =
        call(&fake, Method::GET, &format!("{SF}/query?q=SELECT+Id+FROM+Lead"), &token, None).await;
    assert_eq!(first["totalSize"], 2400);
    assert_eq!(first["done"], false);
    assert_eq!(first["records"].as_array().unwrap().len(), 2000);
    let next = first["nextRecordsUrl"].as_str().unwrap();
    let (_, _, rest) = call(&fake, Method::GET, next, &token, None).await;
    assert_eq!(rest["records"].as_array().unwrap().len(), 400);
    assert_eq!(rest["done"], true);
    assert!(rest.get("nextRecordsUrl").is_none());
}

#[tokio::test]
async fn salesforce_daily_limit() {
    let limits = Limits { salesforce_per_day: 2, ..Limits::default() };
    let fake =
        Fake::start_with(Provider::Salesforce, Options { limits, ..Options::default() }).await.unwrap();
    let token = fake.issue_token();
    let q = format!("{SF}/query?q=SELECT+Id+FROM+Lead");
    assert_eq!(call(&fake, Method::GET, &q, &token, None).await.0, 200);
    assert_eq!(call(&fake, Method::GET, &q, &token, None).await.0, 200);
    let (status, _, body) = call(&fake, Method::GET, &q, &token, None).await;
    assert_eq!((status, body[0]["errorCode"].as_str()), (403, Some("REQUEST_LIMIT_EXCEEDED")));
}
