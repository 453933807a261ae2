//! Google Ads: Google's OAuth for desktop apps (loopback redirect, PKCE, offline access for a
//! refresh token) and the Ads API over REST: GAQL searches and the rows a sync reads from them.
//!
//! JSON is camelCase (`metrics.costMicros`) while GAQL is snake_case; int64 values (ids,
//! micros, impressions) arrive as strings. Search pages are fixed at 10,000 rows.

use leadvault_core::ads::{AdGroup, AdSchedule, Campaign, DailyMetrics, Keyword};
use leadvault_core::connections::Credentials;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::connector::{Account, Spec, at, objects, post_form, text};
use crate::http::{Auth, Body, Http, code_like};
use crate::{Error, Result};

/// The Ads API version every call uses; Google switches old ones off on a schedule.
pub const API_VERSION: &str = "v26";

const NAME: &str = "Google Ads";

pub(crate) fn spec() -> Spec {
    Spec {
        name: NAME,
        authorize: "https://accounts.google.com/o/oauth2/v2/auth",
        token: "https://oauth2.googleapis.com/token",
        api: "https://googleads.googleapis.com",
        scopes: &["https://www.googleapis.com/auth/adwords"],
        // A refresh token is only given for offline access, and again only with consent.
        extra: &[("access_type", "offline"), ("prompt", "consent")],
        basic_auth: false,
        loopback: true,
        embedded_redirect: None,
    }
}

/// The bearer token, plus the developer token for setups that still have one (Google retired
/// the requirement in September 2026 and ignores the header; older setups still send it).
pub(crate) fn auth(credentials: &Credentials) -> Auth<'_> {
    match &credentials.developer_token {
        Some(dev) => Auth::BearerAnd(&credentials.access_token, "developer-token", dev),
        None => Auth::Bearer(&credentials.access_token),
    }
}

/// `customers:listAccessibleCustomers`: cheap, and it names the accounts the token opens.
pub(crate) async fn verify(http: &Http, api: &Url, credentials: &Credentials) -> Result<Account> {
    let customers = customers(http, api, credentials).await?;
    let Some(first) = customers.first() else {
        return Err(Error::Rejected {
            provider: NAME,
            reason: "this Google account opens no Ads account".into(),
        });
    };
    let name = match customers.len() {
        1 => format!("Google Ads customer {first}"),
        n => format!("{n} Google Ads customers"),
    };
    Ok(Account { id: first.clone(), name })
}

/// The ids of the Ads accounts (customers) the token opens directly.
pub async fn customers(http: &Http, api: &Url, credentials: &Credentials) -> Result<Vec<String>> {
    let url = at(api, &format!("/{API_VERSION}/customers:listAccessibleCustomers"));
    let answer = http.json(NAME, Method::GET, url, auth(credentials), ads_error).await?;
    Ok(answer
        .get("resourceNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|r| r.trim_start_matches("customers/").to_string())
                .collect()
        })
        .unwrap_or_default())
}

/// Google's revoke endpoint takes either token; revoking the refresh token ends the grant.
pub(crate) async fn revoke(http: &Http, token_url: &Url, credentials: &Credentials) -> Result<bool> {
    let token = credentials.refresh_token.as_ref().unwrap_or(&credentials.access_token);
    post_form(http, NAME, at(token_url, "/revoke"), None, &[("token", token.expose())]).await
}

// ---- Errors ---------------------------------------------------------------------------------

/// The Ads API's error body: `{"error":{"code","status","details":[{"@type":"…GoogleAdsFailure",
/// "errors":[{"errorCode":{"<kind>":"<CODE>"},"details":{"quotaErrorDetails":{"retryDelay":"3600s"}}}]}]}}`.
///
/// - A quota error (429 RESOURCE_EXHAUSTED) carries its wait in the body's `retryDelay`, not in
///   a Retry-After header; for the daily quota it is hours, and each early retry burns quota.
/// - A GoogleAdsFailure on a 400/403/404 is refused for a reason a retry cannot change: it is
///   quoted as `kind: CODE` (never the message, which can echo the query). An
///   `authorizationError` is about one account (cancelled, reachable only through its manager),
///   not about the sign-in, so it does not mark the connection "needs sign-in".
pub(crate) fn ads_error(status: StatusCode, body: &Value) -> Option<Error> {
    let details = body.pointer("/error/details").and_then(Value::as_array);
    let errors: Vec<&Value> = details
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("errors").and_then(Value::as_array))
        .flatten()
        .collect();
    if status == StatusCode::TOO_MANY_REQUESTS {
        let delays = details
            .into_iter()
            .flatten()
            .filter_map(|d| d.get("retryDelay"))
            .chain(errors.iter().filter_map(|e| e.pointer("/details/quotaErrorDetails/retryDelay")));
        return delays
            .filter_map(duration_secs)
            .max()
            .map(|retry_after_secs| Error::RateLimited { provider: NAME, retry_after_secs });
    }
    if !matches!(status.as_u16(), 400 | 403 | 404) {
        return None;
    }
    let (kind, code) = errors.iter().find_map(|e| error_code(e))?;
    let reason = format!("{kind}: {code}");
    if kind == "authenticationError" {
        return Some(Error::Unauthorized { provider: NAME, reason });
    }
    Some(Error::Rejected { provider: NAME, reason })
}

/// One-word codes of the Ads API's error enums (`fieldError: REQUIRED`); the others are words
/// joined by `_`, which [`code_like`] takes.
const ONE_WORD_CODES: [&str; 3] = ["REQUIRED", "EMPTY", "UNSPECIFIED"];

/// A GoogleAdsFailure error's `errorCode` (`{"queryError": "UNRECOGNIZED_FIELD"}`) as its kind
/// and code, when both have the shape of one: the kind a field name (`queryError`), the code an
/// enum name (see [`code_like`]). A value the request held and the answer echoed there (an
/// email, a phone) is never taken for a code, so it never reaches an error message.
pub(crate) fn error_code(error: &Value) -> Option<(&str, &str)> {
    let (kind, code) = error.get("errorCode")?.as_object()?.iter().next()?;
    let code = code.as_str()?;
    let kind_like = kind.len() <= 64
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind.chars().all(|c| c.is_ascii_alphabetic())
        && kind.ends_with("Error");
    (kind_like && (code_like(code) || ONE_WORD_CODES.contains(&code))).then_some((kind.as_str(), code))
}

/// A protobuf Duration in JSON (`"3600s"`, `"1.5s"`), in whole seconds, rounded up.
fn duration_secs(v: &Value) -> Option<u64> {
    let secs: f64 = v.as_str()?.trim().strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64)
}

/// Whether Google refused to read one account rather than the sign-in or the query: the
/// account is cancelled or not yet enabled, reachable only through its manager, or is a
/// manager itself (which has no campaigns or metrics of its own). Such an account is skipped.
pub fn account_unreadable(e: &Error) -> bool {
    matches!(e, Error::Rejected { provider: NAME, reason }
        if reason.starts_with("authorizationError:") || reason == "queryError: REQUESTED_METRICS_FOR_MANAGER")
}

// ---- GAQL searches --------------------------------------------------------------------------

/// One page of a search: its rows and the token for the next page, if there is one.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub rows: Vec<serde_json::Map<String, Value>>,
    pub next_page_token: Option<String>,
}

/// `POST customers/{cid}/googleAds:search`: one page (10,000 rows at most; Google refuses a
/// page size). The page token only works with the same query text.
pub async fn search(
    http: &Http,
    api: &Url,
    credentials: &Credentials,
    customer: &str,
    query: &str,
    page_token: Option<&str>,
) -> Result<SearchPage> {
    let url = at(api, &format!("/{API_VERSION}/customers/{customer}/googleAds:search"));
    let mut body = json!({ "query": query });
    if let Some(token) = page_token {
        body["pageToken"] = json!(token);
    }
    let answer = http.post(NAME, url, auth(credentials), Body::Json(&body), ads_error).await?;
    let Value::Object(mut answer) = answer else {
        return Err(Error::Unavailable {
            provider: NAME,
            reason: "its search answer was not an object".into(),
        });
    };
    // `results` is left out when no row matches.
    let rows = match answer.remove("results") {
        Some(Value::Array(rows)) => objects(rows),
        _ => Vec::new(),
    };
    let next_page_token = text(answer.get("nextPageToken")).filter(|t| !t.is_empty());
    Ok(SearchPage { rows, next_page_token })
}

/// Every campaign, removed ones included (Google reports them with status REMOVED), with its
/// daily budget and bidding strategy.
pub const CAMPAIGNS: &str = "SELECT campaign.id, campaign.name, campaign.status, \
     campaign.bidding_strategy_type, campaign_budget.amount_micros FROM campaign";

pub const AD_GROUPS: &str = "SELECT ad_group.id, ad_group.name, ad_group.status, ad_group.campaign, \
     ad_group.cpc_bid_micros FROM ad_group";

/// Keywords are the ad group criteria of type KEYWORD; negative ones (no bid, nothing to
/// change) are dropped when read.
pub const KEYWORDS: &str = "SELECT ad_group_criterion.criterion_id, ad_group_criterion.ad_group, \
     ad_group_criterion.status, ad_group_criterion.negative, ad_group_criterion.keyword.text, \
     ad_group_criterion.keyword.match_type, ad_group_criterion.cpc_bid_micros \
     FROM ad_group_criterion WHERE ad_group_criterion.type = 'KEYWORD'";

pub const SCHEDULES: &str = "SELECT campaign_criterion.criterion_id, campaign_criterion.campaign, \
     campaign_criterion.bid_modifier, campaign_criterion.ad_schedule.day_of_week, \
     campaign_criterion.ad_schedule.start_hour, campaign_criterion.ad_schedule.start_minute, \
     campaign_criterion.ad_schedule.end_hour, campaign_criterion.ad_schedule.end_minute \
     FROM campaign_criterion WHERE campaign_criterion.type = 'AD_SCHEDULE'";

/// One row per campaign and day over the last 30 whole days (LAST_30_DAYS ends yesterday, in
/// the account's time zone); days without traffic have no row.
pub const DAILY_METRICS: &str = "SELECT campaign.id, metrics.impressions, metrics.clicks, \
     metrics.cost_micros, metrics.conversions, segments.date FROM campaign \
     WHERE segments.date DURING LAST_30_DAYS";

/// Lead form submissions, oldest first, from `since` (a GAQL date-time, `YYYY-MM-DD HH:MM:SS`
/// in the account's time zone) or, without it, as far back as Google keeps them.
pub fn leads_query(since: Option<&str>) -> String {
    let mut query = String::from(
        "SELECT lead_form_submission_data.id, lead_form_submission_data.asset, \
         lead_form_submission_data.campaign, lead_form_submission_data.ad_group, \
         lead_form_submission_data.ad_group_ad, lead_form_submission_data.gclid, \
         lead_form_submission_data.submission_date_time, \
         lead_form_submission_data.lead_form_submission_fields, \
         lead_form_submission_data.custom_lead_form_submission_fields \
         FROM lead_form_submission_data",
    );
    if let Some(since) = since {
        // `since` is made from Google's own timestamps, never from input; quotes are refused.
        let since: String = since.chars().filter(|c| *c != '\'' && *c != '\\').collect();
        query.push_str(&format!(" WHERE lead_form_submission_data.submission_date_time >= '{since}'"));
    }
    query.push_str(
        " ORDER BY lead_form_submission_data.submission_date_time ASC, lead_form_submission_data.id ASC",
    );
    query
}

// ---- Rows -----------------------------------------------------------------------------------

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    }
}

/// The id at the end of a resource name: `customers/1/adGroups/2` → `2`.
fn last_segment(v: Option<&Value>) -> Option<String> {
    v?.as_str()?.rsplit('/').next().filter(|s| !s.is_empty()).map(str::to_string)
}

fn word(v: Option<&Value>) -> String {
    text(v).unwrap_or_else(|| "UNKNOWN".into())
}

/// A row of [`CAMPAIGNS`].
pub fn campaign(row: &serde_json::Map<String, Value>) -> Option<Campaign> {
    let c = row.get("campaign")?;
    let id = text(c.get("id"))?;
    Some(Campaign {
        name: text(c.get("name")).unwrap_or_else(|| format!("Campaign {id}")),
        id,
        status: word(c.get("status")),
        budget_micros: int(row.get("campaignBudget").and_then(|b| b.get("amountMicros"))),
        bidding: text(c.get("biddingStrategyType")),
    })
}

/// A row of [`AD_GROUPS`].
pub fn ad_group(row: &serde_json::Map<String, Value>) -> Option<AdGroup> {
    let g = row.get("adGroup")?;
    let id = text(g.get("id"))?;
    Some(AdGroup {
        campaign_id: last_segment(g.get("campaign"))?,
        name: text(g.get("name")).unwrap_or_else(|| format!("Ad group {id}")),
        id,
        status: word(g.get("status")),
        cpc_bid_micros: int(g.get("cpcBidMicros")),
    })
}

/// A row of [`KEYWORDS`]; `None` for a negative keyword.
pub fn keyword(row: &serde_json::Map<String, Value>) -> Option<Keyword> {
    let k = row.get("adGroupCriterion")?;
    if k.get("negative").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let ad_group_id = last_segment(k.get("adGroup"))?;
    let id = last_segment(k.get("resourceName"))
        .or_else(|| text(k.get("criterionId")).map(|c| format!("{ad_group_id}~{c}")))?;
    Some(Keyword {
        id,
        ad_group_id,
        text: text(k.pointer("/keyword/text"))?,
        match_type: word(k.pointer("/keyword/matchType")),
        status: word(k.get("status")),
        cpc_bid_micros: int(k.get("cpcBidMicros")),
    })
}

/// A row of [`SCHEDULES`]. Times are whole hours plus a quarter (`ZERO` … `FORTY_FIVE`); a
/// zero hour may be left out of the JSON.
pub fn schedule(row: &serde_json::Map<String, Value>) -> Option<AdSchedule> {
    let c = row.get("campaignCriterion")?;
    let s = c.get("adSchedule")?;
    let campaign_id = last_segment(c.get("campaign"))?;
    let id = last_segment(c.get("resourceName"))
        .or_else(|| text(c.get("criterionId")).map(|k| format!("{campaign_id}~{k}")))?;
    let quarter = |v: Option<&Value>| match v.and_then(Value::as_str) {
        Some("FIFTEEN") => 15,
        Some("THIRTY") => 30,
        Some("FORTY_FIVE") => 45,
        _ => 0,
    };
    let at = |hour: &str, minute: &str| int(s.get(hour)).unwrap_or(0) * 60 + quarter(s.get(minute));
    Some(AdSchedule {
        id,
        campaign_id,
        day_of_week: text(s.get("dayOfWeek"))?,
        start_minute: at("startHour", "startMinute"),
        end_minute: at("endHour", "endMinute"),
        bid_modifier: c.get("bidModifier").and_then(Value::as_f64),
    })
}

/// A row of [`DAILY_METRICS`]; figures Google leaves out are zero.
pub fn daily_metrics(row: &serde_json::Map<String, Value>) -> Option<DailyMetrics> {
    let m = row.get("metrics");
    let figure = |name: &str| int(m.and_then(|m| m.get(name))).unwrap_or(0);
    Some(DailyMetrics {
        campaign_id: text(row.get("campaign")?.get("id"))?,
        day: text(row.get("segments")?.get("date"))?,
        impressions: figure("impressions"),
        clicks: figure("clicks"),
        cost_micros: figure("costMicros"),
        conversions: m.and_then(|m| m.get("conversions")).and_then(Value::as_f64).unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(kind: &str, code: &str, extra: Value) -> Value {
        let mut error = json!({"errorCode": {kind: code}, "message": "Retry in 3600 seconds."});
        if !extra.is_null() {
            error["details"] = extra;
        }
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{
            "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
            "errors": [error], "requestId": "r"}]}})
    }

    #[test]
    fn a_quota_error_waits_as_long_as_its_body_says() {
        let body = failure(
            "quotaError",
            "RESOURCE_EXHAUSTED",
            json!({"quotaErrorDetails": {"rateScope": "DEVELOPER", "retryDelay": "3600s"}}),
        );
        // No Retry-After header: the body alone carries the wait.
        assert!(matches!(
            ads_error(StatusCode::TOO_MANY_REQUESTS, &body),
            Some(Error::RateLimited { retry_after_secs: 3600, .. })
        ));
        let e = crate::http::classify(NAME, StatusCode::TOO_MANY_REQUESTS, None, &body);
        assert!(matches!(e, Error::RateLimited { retry_after_secs: 60, .. }), "without it, a default");
        let fractional = failure(
            "quotaError",
            "RESOURCE_TEMPORARILY_EXHAUSTED",
            json!({"quotaErrorDetails": {"retryDelay": "1.5s"}}),
        );
        assert!(matches!(
            ads_error(StatusCode::TOO_MANY_REQUESTS, &fractional),
            Some(Error::RateLimited { retry_after_secs: 2, .. })
        ));
        let bare = failure("quotaError", "RESOURCE_EXHAUSTED", Value::Null);
        assert!(ads_error(StatusCode::TOO_MANY_REQUESTS, &bare).is_none(), "then the header or a default");
    }

    #[test]
    fn refusals_name_googles_error_code_and_say_whose_problem_it_is() {
        let query = failure("queryError", "UNRECOGNIZED_FIELD", Value::Null);
        let e = ads_error(StatusCode::BAD_REQUEST, &query).unwrap();
        assert!(
            matches!(&e, Error::Rejected { reason, .. } if reason == "queryError: UNRECOGNIZED_FIELD"),
            "{e:?}"
        );
        assert!(!account_unreadable(&e));
        let cancelled = failure("authorizationError", "CUSTOMER_NOT_ENABLED", Value::Null);
        let e = ads_error(StatusCode::FORBIDDEN, &cancelled).unwrap();
        assert!(!e.needs_sign_in(), "one cancelled account is not a sign-in problem");
        assert!(account_unreadable(&e));
        let manager = failure("queryError", "REQUESTED_METRICS_FOR_MANAGER", Value::Null);
        assert!(account_unreadable(&ads_error(StatusCode::BAD_REQUEST, &manager).unwrap()));
        let expired = failure("authenticationError", "OAUTH_TOKEN_EXPIRED", Value::Null);
        assert!(ads_error(StatusCode::FORBIDDEN, &expired).unwrap().needs_sign_in());
        // A plain 403 (a missing scope) and a 401 stay with the common sorting: sign in again.
        let plain = json!({"error": {"code": 403, "status": "PERMISSION_DENIED"}});
        assert!(ads_error(StatusCode::FORBIDDEN, &plain).is_none());
        assert!(ads_error(StatusCode::UNAUTHORIZED, &query).is_none());
    }

    /// A GoogleAdsFailure's `errorCode` whose code (or kind) is a value the request held, echoed
    /// back (an email, a phone), is never quoted: the error falls back to Google's status.
    #[test]
    fn echoed_values_in_error_codes_are_not_quoted() {
        for (kind, code) in [
            ("queryError", json!("maria.lopez@example.com")),
            ("queryError", json!("555-010-9191")),
            ("queryError", json!(5_550_109_191_u64)),
            ("queryError", json!("Maria")),
            ("maria.lopez@example.com", json!("UNRECOGNIZED_FIELD")),
            ("555-010-9191", json!("UNRECOGNIZED_FIELD")),
        ] {
            let mut body = failure("queryError", "X", Value::Null);
            body["error"]["code"] = json!(400);
            body["error"]["status"] = json!("INVALID_ARGUMENT");
            body["error"]["details"][0]["errors"][0]["errorCode"] = json!({ kind: code });
            let e = ads_error(StatusCode::BAD_REQUEST, &body)
                .unwrap_or_else(|| crate::http::classify(NAME, StatusCode::BAD_REQUEST, None, &body));
            let line = e.to_string();
            for planted in ["maria", "example.com", "555", "0109191"] {
                assert!(!line.to_lowercase().contains(planted), "{kind}: {code} reached the error: {line}");
            }
            assert_eq!(line, "Google Ads rejected the request (INVALID_ARGUMENT)");
        }
    }

    #[test]
    fn rows_read_with_int64_as_strings_and_defaults_left_out() {
        let row = |v: Value| v.as_object().unwrap().clone();
        let c = campaign(&row(json!({
            "campaign": {"resourceName": "customers/1/campaigns/11", "id": "11", "name": "Spring",
                         "status": "ENABLED", "biddingStrategyType": "MANUAL_CPC"},
            "campaignBudget": {"resourceName": "customers/1/campaignBudgets/5", "amountMicros": "50000000"}
        })))
        .unwrap();
        assert_eq!(
            (c.id.as_str(), c.budget_micros, c.bidding.as_deref()),
            ("11", Some(50_000_000), Some("MANUAL_CPC"))
        );
        let k = keyword(&row(json!({"adGroupCriterion": {
            "resourceName": "customers/1/adGroupCriteria/22~33", "criterionId": "33",
            "adGroup": "customers/1/adGroups/22", "status": "ENABLED", "negative": false,
            "keyword": {"text": "roof repair", "matchType": "EXACT"}}})))
        .unwrap();
        assert_eq!((k.id.as_str(), k.ad_group_id.as_str(), k.cpc_bid_micros), ("22~33", "22", None));
        let negative = row(json!({"adGroupCriterion": {"resourceName": "customers/1/adGroupCriteria/22~34",
            "adGroup": "customers/1/adGroups/22", "negative": true, "keyword": {"text": "free"}}}));
        assert!(keyword(&negative).is_none());
        let s = schedule(&row(json!({"campaignCriterion": {
            "resourceName": "customers/1/campaignCriteria/11~44", "campaign": "customers/1/campaigns/11",
            "adSchedule": {"dayOfWeek": "MONDAY", "startMinute": "THIRTY", "endHour": 17, "endMinute": "ZERO"}}})))
        .unwrap();
        assert_eq!((s.id.as_str(), s.start_minute, s.end_minute), ("11~44", 30, 17 * 60));
        let m = daily_metrics(&row(json!({
            "campaign": {"resourceName": "customers/1/campaigns/11", "id": "11"},
            "metrics": {"clicks": "7", "costMicros": "1230000", "conversions": 1.5},
            "segments": {"date": "2026-11-02"}
        })))
        .unwrap();
        assert_eq!((m.impressions, m.clicks, m.cost_micros, m.conversions), (0, 7, 1_230_000, 1.5));
    }

    #[test]
    fn the_leads_query_reads_from_the_cursor_oldest_first() {
        let all = leads_query(None);
        assert!(!all.contains("WHERE") && all.ends_with("lead_form_submission_data.id ASC"), "{all}");
        let since = leads_query(Some("2026-10-01 08:15:00"));
        assert!(since.contains(">= '2026-10-01 08:15:00' ORDER BY"), "{since}");
        assert!(leads_query(Some("x' OR 1=1")).contains("'x OR 1=1'"));
    }
}
