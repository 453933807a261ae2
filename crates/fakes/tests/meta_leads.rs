//! Meta Lead Ads over loopback: pages → forms → leads with cursor paging, `fields`,
//! `filtering`, usage headers and budgets, campaigns and insights.

mod common;

use std::collections::HashSet;

use common::client;
use leadvault_fakes::{Fake, Limits, Options, Provider};
use serde_json::Value;

const V: &str = "v26.0";

async fn get(url: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = client().get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

/// Page tokens from /me/accounts, then every form of every page: (page token, form id).
async fn forms(fake: &Fake, user_token: &str) -> Vec<(String, String)> {
    let base = fake.base_url();
    let (_, _, accounts) = get(&format!("{base}/{V}/me/accounts"), user_token).await;
    let mut out = Vec::new();
    for page in accounts["data"].as_array().unwrap() {
        let token = page["access_token"].as_str().unwrap();
        let url = format!(
            "{base}/{V}/{}/leadgen_forms?fields=id,name,status,leads_count,questions",
            page["id"].as_str().unwrap()
        );
        let (status, _, body) = get(&url, token).await;
        assert_eq!(status, 200, "{body}");
        for form in body["data"].as_array().unwrap() {
            assert!(form["questions"][0]["key"].is_string());
            out.push((token.to_string(), form["id"].as_str().unwrap().to_string()));
        }
    }
    out
}

/// Follows `paging.next` to the end; returns every lead.
async fn all_leads(first_url: String, token: &str) -> (Vec<Value>, usize) {
    let mut url = Some(first_url);
    let mut leads = Vec::new();
    let mut pages = 0;
    while let Some(u) = url {
        let (status, _, body) = get(&u, token).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        leads.extend(body["data"].as_array().unwrap().iter().cloned());
        url = body["paging"]["next"].as_str().map(str::to_string);
    }
    (leads, pages)
}

fn options(leads: u64) -> Options {
    Options { seed: 7, leads, leads_until: Some(1_790_000_000), limits: Limits::none(), ..Options::default() }
}

#[tokio::test]
async fn paging_through_every_form_returns_exactly_the_seeded_leads() {
    let fake = Fake::start_with(Provider::Meta, options(2_500)).await.unwrap();
    let user = fake.issue_token();
    let forms = forms(&fake, &user).await;
    assert_eq!(forms.len(), 3);
    let mut ids = HashSet::new();
    let mut emails = HashSet::new();
    for (token, form) in &forms {
        let url = format!(
            "{}/{V}/{form}/leads?fields=id,created_time,field_data,campaign_id,form_id&limit=400",
            fake.base_url()
        );
        let (leads, pages) = all_leads(url, token).await;
        assert!(pages >= 2, "several pages");
        let mut previous = String::from("9999");
        for lead in &leads {
            assert_eq!(lead["form_id"], form.as_str());
            let created = lead["created_time"].as_str().unwrap().to_string();
            assert!(created.ends_with("+0000") && created.len() == 24, "{created}");
            assert!(created <= previous, "newest first");
            previous = created;
            assert!(lead.get("ad_name").is_none(), "only the requested fields");
            let email = lead["field_data"].as_array().unwrap().iter().find(|f| f["name"] == "email").unwrap()
                ["values"][0]
                .as_str()
                .unwrap()
                .to_string();
            assert!(email.ends_with("@example.com") || email.ends_with("@example.org"), "{email}");
            emails.insert(email);
            assert!(ids.insert(lead["id"].as_str().unwrap().to_string()), "duplicate lead");
        }
    }
    assert_eq!(ids.len(), 2_500);
    assert_eq!(emails.len(), 2_500);
}

#[tokio::test]
async fn filtering_on_time_created_and_new_leads_arriving() {
    let fake = Fake::start_with(Provider::Meta, options(300)).await.unwrap();
    let user = fake.issue_token();
    let (token, form) = forms(&fake, &user).await.remove(0);
    let base = fake.base_url();
    let (all, _) =
        all_leads(format!("{base}/{V}/{form}/leads?fields=id,created_time&limit=50"), &token).await;
    assert_eq!(all.len(), 100);
    // Leads after the 20th newest's time.
    let cut =
        chrono::DateTime::parse_from_str(all[20]["created_time"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%z")
            .unwrap()
            .timestamp();
    let filtering = format!(r#"[{{"field":"time_created","operator":"GREATER_THAN","value":{cut}}}]"#);
    let mut url = url::Url::parse(&format!("{base}/{V}/{form}/leads")).unwrap();
    url.query_pairs_mut()
        .append_pair("fields", "id,created_time")
        .append_pair("filtering", &filtering)
        .append_pair("limit", "7");
    let (newer, pages) = all_leads(url.to_string(), &token).await;
    assert_eq!(newer.len(), 20);
    assert_eq!(pages, 3);
    // New leads arrive: the same filter now sees them too, newest first.
    assert_eq!(fake.add_leads(30), 330);
    let (newer, _) = all_leads(url.to_string(), &token).await;
    assert_eq!(newer.len(), 30);
    let (all, _) = all_leads(format!("{base}/{V}/{form}/leads?limit=500"), &token).await;
    assert_eq!(all.len(), 110);
    // Default fields.
    let keys: HashSet<&str> = all[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, HashSet::from(["id", "created_time", "field_data"]));
    // A lead is also a node of its own (as the leadgen webhook's leadgen_id is read).
    let id = all[0]["id"].as_str().unwrap();
    let (status, _, lead) =
        get(&format!("{base}/{V}/{id}?fields=id,form_id,is_organic,platform"), &user).await;
    assert_eq!(status, 200);
    assert_eq!(lead["form_id"], form.as_str());
}

#[tokio::test]
async fn graph_errors_for_bad_requests() {
    let fake = Fake::start_with(Provider::Meta, options(10)).await.unwrap();
    let user = fake.issue_token();
    let (_, form) = forms(&fake, &user).await.remove(0);
    let base = fake.base_url();
    let (status, _, body) = get(&format!("{base}/{V}/{form}/leads?fields=id,nonsense"), &user).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 100);
    assert!(body["error"]["fbtrace_id"].is_string());
    let (status, _, body) = get(&format!("{base}/{V}/123/leads"), &user).await;
    assert_eq!(status, 400);
    assert_eq!(
        (body["error"]["code"].as_u64(), body["error"]["error_subcode"].as_u64()),
        (Some(100), Some(33))
    );
    let (status, _, body) =
        get(&format!("{base}/{V}/{form}/leads?filtering=%5B%7B%22field%22%3A%22x%22%7D%5D"), &user).await;
    assert_eq!((status, body["error"]["code"].as_u64()), (400, Some(100)));
    fake.expire_access_tokens();
    let (status, _, body) = get(&format!("{base}/{V}/{form}/leads"), &user).await;
    assert_eq!(
        (status, body["error"]["code"].as_u64(), body["error"]["error_subcode"].as_u64()),
        (400, Some(190), Some(463))
    );
}

#[tokio::test]
async fn usage_rises_then_budgets_run_out_without_retry_after() {
    let limits = Limits { meta_calls_per_hour: 10, meta_lead_reads_per_day: Some(3), ..Limits::none() };
    let fake = Fake::start_with(Provider::Meta, Options { limits, ..options(10) }).await.unwrap();
    let user = fake.issue_token();
    let base = fake.base_url();
    let (token, form) = forms(&fake, &user).await.remove(0); // 2 calls: accounts + forms of page 1
    let mut last = 0;
    for _ in 0..3 {
        let (status, headers, _) = get(&format!("{base}/{V}/{form}/leads"), &token).await;
        assert_eq!(status, 200);
        let usage: Value = serde_json::from_str(headers["x-app-usage"].to_str().unwrap()).unwrap();
        let n = usage["call_count"].as_u64().unwrap();
        assert!(n > last, "usage rises");
        last = n;
        assert!(headers.contains_key("x-business-use-case-usage"));
    }
    // The page's lead-reading budget is spent: code 32.
    let (status, headers, body) = get(&format!("{base}/{V}/{form}/leads"), &token).await;
    assert_eq!((status, body["error"]["code"].as_u64()), (400, Some(32)), "{body}");
    assert!(headers.get("retry-after").is_none());
    // Then the app's hourly budget: code 4.
    let mut codes = Vec::new();
    for _ in 0..5 {
        let (_, headers, body) = get(&format!("{base}/{V}/me"), &user).await;
        assert!(headers.get("retry-after").is_none());
        codes.push(body["error"]["code"].as_u64());
    }
    assert!(codes.contains(&Some(4)), "{codes:?}");
}

#[tokio::test]
async fn campaign_status_and_daily_insights() {
    let fake = Fake::start_with(Provider::Meta, options(10)).await.unwrap();
    let token = fake.issue_token();
    let base = fake.base_url();
    let campaign = fake.ads_state().campaigns[0].clone();
    assert_eq!(campaign.status, "ACTIVE");
    let response = client()
        .post(format!("{base}/{V}/{}", campaign.id))
        .bearer_auth(&token)
        .form(&[("status", "PAUSED")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), serde_json::json!({"success": true}));
    assert_eq!(fake.ads_state().campaigns[0].status, "PAUSED");
    let (_, _, node) = get(&format!("{base}/{V}/{}?fields=id,status", campaign.id), &token).await;
    assert_eq!(node["status"], "PAUSED");

    let act = format!("act_{}", fake.ads_state().customer_id);
    let url = format!(
        "{base}/{V}/{act}/insights?level=campaign&fields=campaign_id,campaign_name,impressions,clicks,spend,actions&time_increment=1&time_range=%7B%22since%22%3A%222026-10-01%22%2C%22until%22%3A%222026-10-10%22%7D"
    );
    let (rows, pages) = all_leads(url, &token).await;
    assert_eq!(rows.len(), 30, "3 campaigns × 10 days");
    assert_eq!(pages, 2, "25 rows a page");
    assert!(rows[0]["impressions"].is_string() && rows[0]["spend"].is_string());
    assert_eq!(rows[0]["date_start"], rows[0]["date_stop"]);
}

#[tokio::test]
async fn a_validate_only_update_is_checked_and_not_kept() {
    let fake = Fake::start_with(Provider::Meta, options(10)).await.unwrap();
    let token = fake.issue_token();
    let campaign = fake.ads_state().campaigns[1].clone();
    let url = format!("{}/{V}/{}", fake.base_url(), campaign.id);
    let post = |form: Vec<(&'static str, &'static str)>| {
        let (url, token) = (url.clone(), token.clone());
        async move {
            let response = client().post(url).bearer_auth(token).form(&form).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) =
        post(vec![("status", "PAUSED"), ("execution_options", r#"["validate_only"]"#)]).await;
    assert_eq!((status, body), (200, serde_json::json!({"success": true})));
    assert_eq!(fake.ads_state().campaigns[1].status, "ACTIVE", "validated, not kept");
    // A value the update would refuse is refused in validation too.
    let (status, body) = post(vec![("status", "ON"), ("execution_options", r#"["validate_only"]"#)]).await;
    assert_eq!((status, body["error"]["code"].as_u64()), (400, Some(100)));
    let (status, body) = post(vec![("status", "PAUSED"), ("execution_options", r#"["dry_run"]"#)]).await;
    assert_eq!((status, body["error"]["code"].as_u64()), (400, Some(100)), "unknown option");
    assert_eq!(fake.ads_state().campaigns[1].status, "ACTIVE");
    // Without it, the update lands.
    let (status, _) = post(vec![("status", "PAUSED"), ("execution_options", "[]")]).await;
    assert_eq!(status, 200);
    assert_eq!(fake.ads_state().campaigns[1].status, "PAUSED");
}

#[tokio::test]
async fn the_same_seed_gives_the_same_leads() {
    let read = || async {
        let fake = Fake::start_with(Provider::Meta, options(200)).await.unwrap();
        let user = fake.issue_token();
        let (token, form) = forms(&fake, &user).await.remove(1);
        let url = format!(
            "{}/{V}/{form}/leads?fields=id,created_time,field_data,ad_id,campaign_name,is_organic,platform&limit=100",
            fake.base_url()
        );
        all_leads(url, &token).await.0
    };
    let (a, b) = (read().await, read().await);
    assert_eq!(a, b);
    assert_eq!(a.len(), 67);
}
