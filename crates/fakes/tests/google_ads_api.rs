//! Google Ads REST over loopback: GAQL search (fixed pages, `pageToken`, no `pageSize`) and
//! searchStream for campaigns, ad groups, keywords, schedules, daily metrics and lead form
//! submissions; GoogleAdsFailure errors; mutations with validateOnly and partialFailure.

mod common;

use std::collections::HashSet;

use common::client;
use leadvault_fakes::{Fake, Options, Provider};
use serde_json::{Value, json};

struct Ads {
    fake: Fake,
    token: String,
    cid: u64,
}

impl Ads {
    async fn start(leads: u64) -> Ads {
        let options = Options { seed: 3, leads, leads_until: Some(1_790_000_000), ..Options::default() };
        let fake = Fake::start_with(Provider::GoogleAds, options).await.unwrap();
        let token = fake.issue_token();
        let cid = fake.ads_state().customer_id;
        Ads { fake, token, cid }
    }

    async fn post(&self, method: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/v26/customers/{}/{method}", self.fake.base_url(), self.cid);
        let response = client().post(url).bearer_auth(&self.token).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn search(&self, query: &str) -> (u16, Value) {
        self.post("googleAds:search", json!({ "query": query })).await
    }

    /// Every row of a query, following nextPageToken.
    async fn search_all(&self, query: &str) -> (Vec<Value>, usize) {
        let mut rows = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut body = json!({ "query": query });
            if let Some(t) = &token {
                body["pageToken"] = json!(t);
            }
            let (status, page) = self.post("googleAds:search", body).await;
            assert_eq!(status, 200, "{page}");
            pages += 1;
            rows.extend(page["results"].as_array().cloned().unwrap_or_default());
            match page["nextPageToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return (rows, pages),
            }
        }
    }
}

fn query_error(body: &Value) -> String {
    body["error"]["details"][0]["errors"][0]["errorCode"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn lead_form_submissions_page_by_ten_thousand() {
    let ads = Ads::start(12_345).await;
    let q = "SELECT lead_form_submission_data.id, lead_form_submission_data.gclid, lead_form_submission_data.submission_date_time, \
             lead_form_submission_data.lead_form_submission_fields, lead_form_submission_data.custom_lead_form_submission_fields, \
             lead_form_submission_data.campaign FROM lead_form_submission_data";
    let (rows, pages) = ads.search_all(q).await;
    assert_eq!(pages, 2);
    assert_eq!(rows.len(), 12_345);
    let ids: HashSet<&str> =
        rows.iter().map(|r| r["leadFormSubmissionData"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 12_345);
    let first = &rows[0]["leadFormSubmissionData"];
    assert!(
        first["resourceName"]
            .as_str()
            .unwrap()
            .starts_with(&format!("customers/{}/leadFormSubmissionData/", ads.cid))
    );
    assert_eq!(first["leadFormSubmissionFields"][1]["fieldType"], "EMAIL");
    assert!(first["customLeadFormSubmissionFields"][0]["questionText"].is_string());
    let when = first["submissionDateTime"].as_str().unwrap();
    assert_eq!(when.len(), "2026-09-01 12:00:00+00:00".len(), "{when}");
    assert!(first.get("adGroup").is_none(), "only what was selected");

    // A time window and DESC order, through searchStream.
    let cut = rows[12_000]["leadFormSubmissionData"]["submissionDateTime"].as_str().unwrap().to_string();
    let q = format!(
        "SELECT lead_form_submission_data.id, lead_form_submission_data.submission_date_time FROM lead_form_submission_data \
         WHERE lead_form_submission_data.submission_date_time > '{cut}' ORDER BY lead_form_submission_data.submission_date_time DESC"
    );
    let (status, batches) = ads.post("googleAds:searchStream", json!({ "query": q })).await;
    assert_eq!(status, 200);
    let batch = &batches.as_array().unwrap()[0];
    assert_eq!(batch["fieldMask"], "leadFormSubmissionData.id,leadFormSubmissionData.submissionDateTime");
    let newer = batch["results"].as_array().unwrap();
    assert_eq!(newer.len(), 344);
    assert!(
        newer[0]["leadFormSubmissionData"]["submissionDateTime"].as_str()
            > newer[1]["leadFormSubmissionData"]["submissionDateTime"].as_str()
    );

    // New submissions arrive after every seeded one.
    ads.fake.add_leads(5);
    let (status, batches) = ads.post("googleAds:searchStream", json!({ "query": q })).await;
    assert_eq!(status, 200);
    assert_eq!(batches[0]["results"].as_array().unwrap().len(), 349);
}

#[tokio::test]
async fn campaigns_groups_keywords_schedules_and_daily_metrics() {
    let ads = Ads::start(10).await;
    let (status, body) = ads
        .search("SELECT campaign.id, campaign.name, campaign.status, campaign_budget.amount_micros FROM campaign ORDER BY campaign.id")
        .await;
    assert_eq!(status, 200, "{body}");
    let rows = body["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[0]["campaign"]["id"].is_string(), "int64 as a string");
    assert_eq!(rows[0]["campaign"]["status"], "ENABLED");
    assert!(rows[0]["campaignBudget"]["amountMicros"].is_string());
    assert_eq!(body["fieldMask"], "campaign.id,campaign.name,campaign.status,campaignBudget.amountMicros");

    let (_, body) =
        ads.search("SELECT ad_group.id, ad_group.cpc_bid_micros, campaign.id FROM ad_group").await;
    assert_eq!(body["results"].as_array().unwrap().len(), 6);
    let (_, body) = ads
        .search("SELECT ad_group_criterion.criterion_id, ad_group_criterion.keyword.text, ad_group_criterion.keyword.match_type, ad_group_criterion.cpc_bid_micros FROM ad_group_criterion WHERE ad_group_criterion.keyword.match_type = 'EXACT'")
        .await;
    let keywords = body["results"].as_array().unwrap();
    assert_eq!(keywords.len(), 6);
    assert!(keywords[0]["adGroupCriterion"]["keyword"]["text"].is_string());
    let (_, body) = ads
        .search("SELECT campaign_criterion.criterion_id, campaign_criterion.ad_schedule.day_of_week, campaign_criterion.ad_schedule.start_hour FROM campaign_criterion WHERE campaign_criterion.type = AD_SCHEDULE AND campaign_criterion.status != REMOVED")
        .await;
    assert_eq!(body["results"].as_array().unwrap().len(), 5, "{body}");
    assert!(body["results"][0]["campaignCriterion"]["adSchedule"]["startHour"].is_number());

    let q = "SELECT campaign.id, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, segments.date \
             FROM campaign WHERE segments.date BETWEEN '2026-10-01' AND '2026-10-07' AND campaign.status IN ('ENABLED', 'PAUSED') \
             ORDER BY segments.date";
    let (status, body) = ads.search(q).await;
    assert_eq!(status, 200, "{body}");
    let rows = body["results"].as_array().unwrap();
    assert_eq!(rows.len(), 21, "3 campaigns × 7 days");
    assert_eq!(rows[0]["segments"]["date"], "2026-10-01");
    assert!(rows[0]["metrics"]["costMicros"].is_string());
    assert!(rows[0]["metrics"]["conversions"].is_number());
    let (status, body) =
        ads.search(&q.replace("BETWEEN '2026-10-01' AND '2026-10-07'", "DURING LAST_7_DAYS")).await;
    assert_eq!((status, body["results"].as_array().map(Vec::len)), (200, Some(21)));
    let (_, again) = ads.search(q).await;
    assert_eq!(again["results"], ads.search(q).await.1["results"], "the same numbers each time");
}

#[tokio::test]
async fn refused_queries_are_google_ads_failures() {
    let ads = Ads::start(10).await;
    for (query, code) in [
        ("SELECT campaign.nonsense FROM campaign", "UNRECOGNIZED_FIELD"),
        ("SELECT campaign.id FROM nowhere", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
        ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date >= '2026-10-01'",
            "EXPECTED_FILTERS_ON_DATE_RANGE",
        ),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_1000_DAYS",
            "INVALID_VALUE_WITH_DURING_OPERATOR",
        ),
        ("SELECT campaign.id campaign", "EXPECTED_FROM"),
    ] {
        let (status, body) = ads.search(query).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
        assert!(body["error"]["details"][0]["@type"].as_str().unwrap().ends_with("errors.GoogleAdsFailure"));
        assert!(body["error"]["details"][0]["requestId"].is_string());
        assert_eq!(query_error(&body), code, "{query}: {body}");
    }
    let (status, body) = ads
        .post("googleAds:search", json!({"query": "SELECT campaign.id FROM campaign", "pageSize": 100}))
        .await;
    assert_eq!((status, query_error(&body).as_str()), (400, "PAGE_SIZE_NOT_SUPPORTED"));
    let (status, body) = ads
        .post("googleAds:search", json!({"query": "SELECT campaign.id FROM campaign", "pageToken": "bogus"}))
        .await;
    assert_eq!((status, query_error(&body).as_str()), (400, "INVALID_PAGE_TOKEN"));
}

#[tokio::test]
async fn mutations_validate_only_and_partial_failure() {
    let ads = Ads::start(10).await;
    let state = ads.fake.ads_state();
    let campaign = format!("customers/{}/campaigns/{}", ads.cid, state.campaigns[1].id);
    let pause = json!({"operations": [{"update": {"resourceName": campaign, "status": "PAUSED"}, "updateMask": "status"}], "validateOnly": true});
    let (status, body) = ads.post("campaigns:mutate", pause.clone()).await;
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(ads.fake.ads_state(), state, "validateOnly changes nothing");
    let mut real = pause.clone();
    real["validateOnly"] = json!(false);
    let (status, body) = ads.post("campaigns:mutate", real).await;
    assert_eq!(status, 200);
    assert_eq!(body["results"][0]["resourceName"], campaign.as_str());
    assert_eq!(ads.fake.ads_state().campaigns[1].status, "PAUSED");

    // Bids on an ad group and a keyword.
    let group = &state.ad_groups[0];
    let name = format!("customers/{}/adGroups/{}", ads.cid, group.id);
    let (status, _) = ads.post("adGroups:mutate", json!({"operations": [{"update": {"resourceName": name, "cpcBidMicros": "2500000"}, "updateMask": "cpcBidMicros"}]})).await;
    assert_eq!(status, 200);
    assert_eq!(ads.fake.ads_state().ad_groups[0].cpc_bid_micros, 2_500_000);
    let keyword = &state.keywords[0];
    let name =
        format!("customers/{}/adGroupCriteria/{}~{}", ads.cid, keyword.ad_group_id, keyword.criterion_id);
    let (status, _) = ads.post("adGroupCriteria:mutate", json!({"operations": [{"update": {"resourceName": name, "cpcBidMicros": 1230000}, "updateMask": "cpcBidMicros"}]})).await;
    assert_eq!(status, 200);
    assert_eq!(ads.fake.ads_state().keywords[0].cpc_bid_micros, 1_230_000);

    // Partial failure: the good operation lands, the bad one is reported by index.
    let missing = format!("customers/{}/adGroups/1", ads.cid);
    let body = json!({"partialFailure": true, "operations": [
        {"update": {"resourceName": missing, "cpcBidMicros": "1000000"}, "updateMask": "cpcBidMicros"},
        {"update": {"resourceName": format!("customers/{}/adGroups/{}", ads.cid, group.id), "cpcBidMicros": "3000000"}, "updateMask": "cpcBidMicros"}
    ]});
    let (status, answer) = ads.post("adGroups:mutate", body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["results"][0], json!({}));
    assert!(answer["results"][1]["resourceName"].is_string());
    let error = &answer["partialFailureError"]["details"][0]["errors"][0];
    assert_eq!(error["errorCode"]["mutateError"], "RESOURCE_NOT_FOUND");
    assert_eq!(error["location"]["fieldPathElements"][0]["index"], 0);
    assert_eq!(ads.fake.ads_state().ad_groups[0].cpc_bid_micros, 3_000_000);
    // Without partialFailure nothing lands.
    let mut atomic = body;
    atomic["partialFailure"] = json!(false);
    atomic["operations"][1]["update"]["cpcBidMicros"] = json!("4000000");
    let (status, answer) = ads.post("adGroups:mutate", atomic).await;
    assert_eq!((status, query_error(&answer).as_str()), (400, "RESOURCE_NOT_FOUND"));
    assert_eq!(ads.fake.ads_state().ad_groups[0].cpc_bid_micros, 3_000_000);
}

#[tokio::test]
async fn ad_schedule_rules() {
    let ads = Ads::start(10).await;
    let campaign_id = ads.fake.ads_state().campaigns[0].id;
    let campaign = format!("customers/{}/campaigns/{campaign_id}", ads.cid);
    let create = |day: &str, start: u32, end: u32| json!({"create": {"campaign": campaign, "adSchedule": {"dayOfWeek": day, "startHour": start, "startMinute": "ZERO", "endHour": end, "endMinute": "ZERO"}}});
    // Monday already has 9–17; five more short slots make six, a seventh is refused.
    let ops: Vec<Value> = (0..5).map(|i| create("MONDAY", i, i + 1)).collect();
    let (status, body) = ads.post("campaignCriteria:mutate", json!({ "operations": ops })).await;
    assert_eq!(status, 200, "{body}");
    let created = body["results"][0]["resourceName"].as_str().unwrap().to_string();
    assert!(created.starts_with(&format!("customers/{}/campaignCriteria/{campaign_id}~", ads.cid)));
    let (status, body) =
        ads.post("campaignCriteria:mutate", json!({"operations": [create("MONDAY", 20, 21)]})).await;
    assert_eq!((status, query_error(&body).as_str()), (400, "AD_SCHEDULE_EXCEEDED_INTERVALS_PER_DAY_LIMIT"));
    let (status, body) =
        ads.post("campaignCriteria:mutate", json!({"operations": [create("TUESDAY", 16, 18)]})).await;
    assert_eq!((status, query_error(&body).as_str()), (400, "AD_SCHEDULE_TIME_INTERVALS_OVERLAP"));
    let (status, body) =
        ads.post("campaignCriteria:mutate", json!({"operations": [create("SUNDAY", 18, 9)]})).await;
    assert_eq!((status, query_error(&body).as_str()), (400, "AD_SCHEDULE_INVALID_TIME_INTERVAL"));
    // Times cannot be changed in place…
    let update = json!({"operations": [{"update": {"resourceName": created, "adSchedule": {"startHour": 6}}, "updateMask": "adSchedule.startHour"}]});
    let (status, body) = ads.post("campaignCriteria:mutate", update).await;
    assert_eq!((status, query_error(&body).as_str()), (400, "IMMUTABLE_FIELD"));
    // …so remove, then create; validateOnly first changes nothing.
    let before = ads.fake.ads_state().schedules.len();
    let swap = json!({"validateOnly": true, "operations": [{"remove": created}, create("MONDAY", 0, 1)]});
    assert_eq!(ads.post("campaignCriteria:mutate", swap.clone()).await.0, 200);
    assert_eq!(ads.fake.ads_state().schedules.len(), before);
    let mut swap = swap;
    swap["validateOnly"] = json!(false);
    swap["operations"][1] = create("MONDAY", 22, 23);
    let (status, body) = ads.post("campaignCriteria:mutate", swap).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ads.fake.ads_state().schedules.len(), before);
    assert!(ads.fake.ads_state().schedules.iter().any(|s| s.day_of_week == "MONDAY" && s.start_hour == 22));
}

#[tokio::test]
async fn quota_and_faults_by_route_pattern() {
    let ads = Ads::start(10).await;
    ads.fake.inject(
        "/v26/customers/{cid}/googleAds:search",
        leadvault_fakes::Fault::RateLimited { retry_after_secs: 3600 },
        1,
    );
    let (status, body) = ads.search("SELECT campaign.id FROM campaign").await;
    assert_eq!(status, 429);
    assert_eq!(
        body["error"]["details"][0]["errors"][0]["details"]["quotaErrorDetails"]["retryDelay"],
        "3600s"
    );
    assert_eq!(ads.search("SELECT campaign.id FROM campaign").await.0, 200);
    assert_eq!(ads.fake.calls("/v26/customers/*/googleAds:search"), 2);
    // Another customer's id: permission denied.
    let url = format!("{}/v26/customers/1234567890/googleAds:search", ads.fake.base_url());
    let response = client()
        .post(url)
        .bearer_auth(&ads.token)
        .json(&json!({"query": "SELECT campaign.id FROM campaign"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_rows() {
    let q = "SELECT lead_form_submission_data.id, lead_form_submission_data.lead_form_submission_fields FROM lead_form_submission_data";
    let a = Ads::start(500).await.search(q).await.1;
    let b = Ads::start(500).await.search(q).await.1;
    assert_eq!(a["results"], b["results"]);
}
