//! Google: OAuth 2.0 for installed apps (accounts.google.com, oauth2.googleapis.com) and the
//! Google Ads REST API (googleads.googleapis.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::gaql::{self, Condition, Literal, Op};
use super::{bearer, count_api, json, standard_oauth_error, with_headers};
use crate::Provider;
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

/// The Ads API version served; Google switches old versions off on a schedule.
pub(crate) const API_VERSION: &str = "v26";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/o/oauth2/v2/auth", get(oauth::authorize))
        .route("/token", post(oauth::token))
        .route("/revoke", post(revoke))
        .route(&format!("/{API_VERSION}/customers:listAccessibleCustomers"), get(list_accessible_customers))
        .route(&format!("/{API_VERSION}/customers/{{cid}}/googleAds:search"), post(search))
        .route(&format!("/{API_VERSION}/customers/{{cid}}/googleAds:searchStream"), post(search_stream))
        .route(&format!("/{API_VERSION}/customers/{{cid}}/campaigns:mutate"), post(mutate_campaigns))
        .route(&format!("/{API_VERSION}/customers/{{cid}}/adGroups:mutate"), post(mutate_ad_groups))
        .route(
            &format!("/{API_VERSION}/customers/{{cid}}/adGroupCriteria:mutate"),
            post(mutate_ad_group_criteria),
        )
        .route(
            &format!("/{API_VERSION}/customers/{{cid}}/campaignCriteria:mutate"),
            post(mutate_campaign_criteria),
        )
}

pub(crate) fn token_body(issued: &Issued) -> Value {
    let mut body = json!({
        "access_token": issued.access,
        "expires_in": 3599,
        "scope": issued.scope,
        "token_type": "Bearer",
    });
    // Google sends the refresh token with the code exchange only; a refresh answer has none.
    if let (Some(refresh), false) = (&issued.refresh, issued.from_refresh) {
        body["refresh_token"] = json!(refresh);
    }
    body
}

pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let (status, code, description) = match error {
        InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client", "The OAuth client was not found."),
        InvalidRequest(why) => (StatusCode::BAD_REQUEST, "invalid_request", why),
        UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type", "Invalid grant_type"),
        UnknownCode => (StatusCode::BAD_REQUEST, "invalid_grant", "Malformed auth code."),
        UsedCode | ExpiredCode => (StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
        RedirectMismatch => (StatusCode::BAD_REQUEST, "redirect_uri_mismatch", "Bad Request"),
        MissingVerifier => (StatusCode::BAD_REQUEST, "invalid_grant", "Missing code verifier."),
        VerifierMismatch => (StatusCode::BAD_REQUEST, "invalid_grant", "Invalid code verifier."),
        BadRefresh | RefusedRefresh => {
            (StatusCode::BAD_REQUEST, "invalid_grant", "Token has been expired or revoked.")
        }
    };
    standard_oauth_error(status, code, description)
}

fn google_error(status: StatusCode, message: &str, details: Value) -> Response {
    let name = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        500..=599 => "INTERNAL",
        _ => "UNKNOWN",
    };
    let mut error = json!({"code": status.as_u16(), "message": message, "status": name});
    if details.as_array().is_some_and(|d| !d.is_empty()) {
        error["details"] = details;
    }
    json(status, json!({ "error": error }))
}

pub(crate) fn unauthorized(access: Access) -> Response {
    let (message, reason) = match access {
        Access::Missing => (
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "CREDENTIALS_MISSING",
        ),
        Access::Expired => (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "ACCESS_TOKEN_EXPIRED",
        ),
        _ => (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        ),
    };
    let details = json!([{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "googleads.googleapis.com", "method": format!("google.ads.googleads.{API_VERSION}.services.CustomerService.ListAccessibleCustomers")}
    }]);
    with_headers(
        google_error(StatusCode::UNAUTHORIZED, message, details),
        &[(
            "www-authenticate",
            "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"".into(),
        )],
    )
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    let message = match status.as_u16() {
        404 => "Method not found.",
        503 => "The service is currently unavailable.",
        500..=599 => "Internal error encountered.",
        _ => "Request contains an invalid argument.",
    };
    google_error(status, message, json!([]))
}

/// Quota: 429 RESOURCE_EXHAUSTED with a GoogleAdsFailure whose quotaErrorDetails carry the
/// retry delay (Google's documented field); `Retry-After` says the same.
pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    let details = json!([{
        "@type": format!("type.googleapis.com/google.ads.googleads.{API_VERSION}.errors.GoogleAdsFailure"),
        "errors": [{
            "errorCode": {"quotaError": "RESOURCE_EXHAUSTED"},
            "message": format!("Too many requests. Retry in {retry_after_secs} seconds."),
            "details": {"quotaErrorDetails": {
                "rateScope": "DEVELOPER",
                "rateName": "Number of operations for explorer access",
                "retryDelay": format!("{retry_after_secs}s")
            }}
        }],
        "requestId": super::random(22, super::URLSAFE)
    }]);
    with_headers(
        google_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Resource has been exhausted (e.g. check quota).",
            details,
        ),
        &[("retry-after", retry_after_secs.to_string())],
    )
}

/// `POST /revoke` with `token` in the form body or the query string: 200 for a token it
/// knows, 400 `invalid_token` otherwise.
async fn revoke(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(token) = form.get("token").or_else(|| query.get("token")) else {
        return standard_oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        );
    };
    if shared.revoke(token) {
        json(StatusCode::OK, json!({}))
    } else {
        standard_oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "Token expired or revoked")
    }
}

/// `GET /v26/customers:listAccessibleCustomers`: the account check.
async fn list_accessible_customers(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let access = shared.check(bearer(&headers).as_deref());
    if access != Access::Valid {
        return unauthorized(access);
    }
    count_api(&shared);
    let names: Vec<String> = shared.account.customers.iter().map(|id| format!("customers/{id}")).collect();
    json(StatusCode::OK, json!({ "resourceNames": names }))
}

// ---- GAQL search and searchStream ----------------------------------------------------------

/// Rows per search page: fixed by Google since v17 (a `pageSize` is refused).
const PAGE_ROWS: usize = 10_000;

fn failure_type() -> String {
    format!("type.googleapis.com/google.ads.googleads.{API_VERSION}.errors.GoogleAdsFailure")
}

fn request_id() -> String {
    super::random(22, super::URLSAFE)
}

/// One error of a GoogleAdsFailure: `{"errorCode":{kind: code},"message",…}`.
fn ads_error(kind: &str, code: &str, message: &str) -> Value {
    json!({"errorCode": { kind: code }, "message": message})
}

/// 400 INVALID_ARGUMENT carrying a GoogleAdsFailure with these errors.
fn failure(errors: Vec<Value>) -> Response {
    let details = json!([{"@type": failure_type(), "errors": errors, "requestId": request_id()}]);
    google_error(StatusCode::BAD_REQUEST, "Request contains an invalid argument.", details)
}

fn query_failure(e: gaql::QueryError) -> Response {
    failure(vec![ads_error("queryError", e.code, &e.message)])
}

/// Checks the token and the customer id of the path.
fn ads_authorized(shared: &Shared, headers: &HeaderMap, cid: &str) -> Result<u64, Box<Response>> {
    let access = shared.check(bearer(headers).as_deref());
    if access != Access::Valid {
        return Err(Box::new(unauthorized(access)));
    }
    count_api(shared);
    let cid: u64 = cid.parse().map_err(|_| {
        Box::new(failure(vec![ads_error("requestError", "INVALID_CUSTOMER_ID", "Invalid customer ID.")]))
    })?;
    if !shared.account.customers.contains(&cid) {
        let details = json!([{"@type": failure_type(), "errors": [ads_error(
            "authorizationError", "USER_PERMISSION_DENIED",
            "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.")],
            "requestId": request_id()}]);
        return Err(Box::new(google_error(
            StatusCode::FORBIDDEN,
            "The caller does not have permission",
            details,
        )));
    }
    Ok(cid)
}

/// The resources each FROM resource may select, and the fields the fake knows of each.
fn compatible(from: &str) -> Option<&'static [&'static str]> {
    Some(match from {
        "campaign" => &["campaign", "campaign_budget", "customer", "metrics", "segments"],
        "campaign_budget" => &["campaign_budget", "customer"],
        "ad_group" => &["ad_group", "campaign", "customer", "metrics", "segments"],
        "ad_group_criterion" | "keyword_view" => {
            &["ad_group_criterion", "keyword_view", "ad_group", "campaign", "customer", "metrics", "segments"]
        }
        "campaign_criterion" => &["campaign_criterion", "campaign", "customer"],
        "lead_form_submission_data" => &["lead_form_submission_data", "customer"],
        "customer" => &["customer", "metrics", "segments"],
        _ => return None,
    })
}

fn known_fields(resource: &str) -> &'static [&'static str] {
    match resource {
        "campaign" => &[
            "resource_name",
            "id",
            "name",
            "status",
            "campaign_budget",
            "advertising_channel_type",
            "bidding_strategy_type",
            "serving_status",
        ],
        "campaign_budget" => &["resource_name", "id", "name", "amount_micros", "delivery_method"],
        "customer" => &["resource_name", "id", "descriptive_name", "currency_code", "time_zone", "manager"],
        "ad_group" => &["resource_name", "id", "name", "status", "campaign", "cpc_bid_micros", "type"],
        "ad_group_criterion" => &[
            "resource_name",
            "criterion_id",
            "ad_group",
            "status",
            "type",
            "negative",
            "keyword.text",
            "keyword.match_type",
            "cpc_bid_micros",
        ],
        "keyword_view" => &["resource_name"],
        "campaign_criterion" => &[
            "resource_name",
            "criterion_id",
            "campaign",
            "type",
            "status",
            "negative",
            "bid_modifier",
            "ad_schedule.day_of_week",
            "ad_schedule.start_hour",
            "ad_schedule.start_minute",
            "ad_schedule.end_hour",
            "ad_schedule.end_minute",
        ],
        "lead_form_submission_data" => &[
            "resource_name",
            "id",
            "asset",
            "campaign",
            "ad_group",
            "ad_group_ad",
            "gclid",
            "submission_date_time",
            "lead_form_submission_fields",
            "custom_lead_form_submission_fields",
        ],
        "metrics" => &[
            "impressions",
            "clicks",
            "cost_micros",
            "conversions",
            "conversions_value",
            "ctr",
            "average_cpc",
        ],
        "segments" => &["date"],
        _ => &[],
    }
}

/// Checks a field against the FROM resource: unknown → UNRECOGNIZED_FIELD, another
/// resource's → PROHIBITED_RESOURCE_TYPE_IN_<clause>_CLAUSE.
fn check_field(from: &str, field: &str, clause: &'static str) -> Result<(), gaql::QueryError> {
    let (resource, rest) = field.split_once('.').unwrap_or((field, ""));
    if !known_fields(resource).contains(&rest) {
        return Err(gaql::QueryError {
            code: "UNRECOGNIZED_FIELD",
            message: format!("Unrecognized field in the query: '{field}'."),
        });
    }
    if !compatible(from).is_some_and(|c| c.contains(&resource)) {
        return Err(gaql::QueryError {
            code: clause,
            message: format!(
                "Cannot select or filter on the following fields: '{field}' with resource '{from}'."
            ),
        });
    }
    Ok(())
}

fn parse_day(literal: &Literal) -> Result<chrono::NaiveDate, gaql::QueryError> {
    let text = literal.text();
    chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(&text), "%Y-%m-%d").map_err(|_| {
        gaql::QueryError {
            code: "INVALID_DATE_FORMAT",
            message: format!("Invalid date '{text}': expected YYYY-MM-DD."),
        }
    })
}

/// `yyyy-mm-dd hh:mm:ss[±hh:mm]` or `yyyy-mm-dd` → unix seconds (UTC unless an offset says).
fn parse_time(literal: &Literal) -> Result<i64, gaql::QueryError> {
    let text = literal.text();
    if let Ok(t) = chrono::DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%:z") {
        return Ok(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S") {
        return Ok(t.and_utc().timestamp());
    }
    Ok(parse_day(literal)?.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or_default())
}

fn during_range(
    value: &Literal,
    today: chrono::NaiveDate,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), gaql::QueryError> {
    gaql::during(&value.text(), today).ok_or_else(|| gaql::QueryError {
        code: "INVALID_VALUE_WITH_DURING_OPERATOR",
        message: format!("Invalid date range '{}' with DURING.", value.text()),
    })
}

/// The closed range of days the conditions on `segments.date` allow; `None` if they do not
/// bound it on both sides.
fn date_range(
    conditions: &[Condition],
    today: chrono::NaiveDate,
) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>, gaql::QueryError> {
    use chrono::Days;
    let (mut lo, mut hi): (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) = (None, None);
    let lower =
        |d: chrono::NaiveDate, lo: &mut Option<chrono::NaiveDate>| *lo = Some(lo.map_or(d, |l| l.max(d)));
    let upper =
        |d: chrono::NaiveDate, hi: &mut Option<chrono::NaiveDate>| *hi = Some(hi.map_or(d, |h| h.min(d)));
    for c in conditions.iter().filter(|c| c.field == "segments.date") {
        match c.op {
            Op::Eq => {
                let d = parse_day(&c.value)?;
                lower(d, &mut lo);
                upper(d, &mut hi);
            }
            Op::Ge => lower(parse_day(&c.value)?, &mut lo),
            Op::Gt => lower(parse_day(&c.value)? + Days::new(1), &mut lo),
            Op::Le => upper(parse_day(&c.value)?, &mut hi),
            Op::Lt => upper(parse_day(&c.value)? - Days::new(1), &mut hi),
            Op::Between => {
                lower(parse_day(&c.value)?, &mut lo);
                upper(parse_day(c.upper.as_ref().unwrap_or(&c.value))?, &mut hi);
            }
            Op::During => {
                let (a, b) = during_range(&c.value, today)?;
                lower(a, &mut lo);
                upper(b, &mut hi);
            }
            Op::In => {
                if let Literal::List(items) = &c.value {
                    let days: Result<Vec<_>, _> = items.iter().map(parse_day).collect();
                    let days = days?;
                    if let (Some(a), Some(b)) = (days.iter().min(), days.iter().max()) {
                        lower(*a, &mut lo);
                        upper(*b, &mut hi);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(match (lo, hi) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    })
}

/// The range of unix seconds the conditions on `submission_date_time` allow (inclusive).
fn time_range(conditions: &[Condition], today: chrono::NaiveDate) -> Result<(i64, i64), gaql::QueryError> {
    let (mut lo, mut hi) = (i64::MIN, i64::MAX);
    for c in conditions.iter().filter(|c| c.field == "lead_form_submission_data.submission_date_time") {
        match c.op {
            Op::Eq => {
                let t = parse_time(&c.value)?;
                lo = lo.max(t);
                hi = hi.min(t);
            }
            Op::Ge => lo = lo.max(parse_time(&c.value)?),
            Op::Gt => lo = lo.max(parse_time(&c.value)? + 1),
            Op::Le => hi = hi.min(parse_time(&c.value)?),
            Op::Lt => hi = hi.min(parse_time(&c.value)? - 1),
            Op::Between => {
                lo = lo.max(parse_time(&c.value)?);
                hi = hi.min(parse_time(c.upper.as_ref().unwrap_or(&c.value))?);
            }
            Op::During => {
                let (a, b) = during_range(&c.value, today)?;
                lo = lo.max(a.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or_default());
                hi = hi.min(b.and_hms_opt(23, 59, 59).map(|t| t.and_utc().timestamp()).unwrap_or_default());
            }
            _ => {
                return Err(gaql::QueryError {
                    code: "OPERATOR_FIELD_MISMATCH",
                    message: "Invalid operator for submission_date_time.".into(),
                });
            }
        }
    }
    Ok((lo, hi))
}

fn value_at<'a>(row: &'a Value, field: &str) -> &'a Value {
    let mut at = row;
    for part in gaql::camel_path(field) {
        at = &at[part.as_str()];
    }
    at
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Compares a row's value with a literal: numbers as numbers, submission times as times,
/// the rest as text.
fn compare(field: &str, actual: &Value, literal: &Literal) -> std::cmp::Ordering {
    let a = as_text(actual);
    let b = literal.text();
    if field.ends_with("submission_date_time")
        && let (Ok(x), Ok(y)) = (parse_time(&Literal::Text(a.clone())), parse_time(literal))
    {
        return x.cmp(&y);
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(&b),
    }
}

fn holds(row: &Value, c: &Condition, today: chrono::NaiveDate) -> Result<bool, gaql::QueryError> {
    use std::cmp::Ordering::*;
    let actual = value_at(row, &c.field);
    Ok(match c.op {
        Op::Eq => compare(&c.field, actual, &c.value) == Equal,
        Op::Ne => compare(&c.field, actual, &c.value) != Equal,
        Op::Gt => compare(&c.field, actual, &c.value) == Greater,
        Op::Ge => compare(&c.field, actual, &c.value) != Less,
        Op::Lt => compare(&c.field, actual, &c.value) == Less,
        Op::Le => compare(&c.field, actual, &c.value) != Greater,
        Op::In | Op::NotIn => {
            let Literal::List(items) = &c.value else { return Ok(false) };
            let hit = items.iter().any(|i| compare(&c.field, actual, i) == Equal);
            hit == (c.op == Op::In)
        }
        Op::Between => {
            compare(&c.field, actual, &c.value) != Less
                && compare(&c.field, actual, c.upper.as_ref().unwrap_or(&c.value)) != Greater
        }
        Op::During => {
            let (a, b) = during_range(&c.value, today)?;
            let text = as_text(actual);
            let day = text.get(..10).unwrap_or("");
            day >= a.to_string().as_str() && day <= b.to_string().as_str()
        }
        Op::Like => {
            let pattern = c.value.text();
            let text = as_text(actual);
            let core = pattern.trim_matches('%');
            match (pattern.starts_with('%'), pattern.ends_with('%')) {
                (true, true) => text.contains(core),
                (true, false) => text.ends_with(core),
                (false, true) => text.starts_with(core),
                _ => text == core,
            }
        }
    })
}

struct Ctx<'a> {
    cid: u64,
    seed: u64,
    ads: &'a crate::model::AdsState,
    account: &'a crate::seed::Account,
}

impl Ctx<'_> {
    fn customer(&self) -> Value {
        json!({
            "resourceName": format!("customers/{}", self.cid),
            "id": self.cid.to_string(),
            "descriptiveName": self.account.company_name,
            "currencyCode": "USD",
            "timeZone": "America/New_York",
            "manager": false,
        })
    }

    fn campaign(&self, c: &crate::model::Campaign) -> Value {
        json!({
            "resourceName": format!("customers/{}/campaigns/{}", self.cid, c.id),
            "id": c.id.to_string(),
            "name": c.name,
            "status": c.status,
            "servingStatus": "SERVING",
            "campaignBudget": format!("customers/{}/campaignBudgets/{}", self.cid, c.budget_id),
            "advertisingChannelType": "SEARCH",
            "biddingStrategyType": "MANUAL_CPC",
        })
    }

    fn budget(&self, c: &crate::model::Campaign) -> Value {
        json!({
            "resourceName": format!("customers/{}/campaignBudgets/{}", self.cid, c.budget_id),
            "id": c.budget_id.to_string(),
            "name": format!("{} budget", c.name),
            "amountMicros": c.budget_micros.to_string(),
            "deliveryMethod": "STANDARD",
        })
    }

    fn ad_group(&self, g: &crate::model::AdGroup) -> Value {
        json!({
            "resourceName": format!("customers/{}/adGroups/{}", self.cid, g.id),
            "id": g.id.to_string(),
            "name": g.name,
            "status": g.status,
            "campaign": format!("customers/{}/campaigns/{}", self.cid, g.campaign_id),
            "cpcBidMicros": g.cpc_bid_micros.to_string(),
            "type": "SEARCH_STANDARD",
        })
    }

    fn keyword(&self, k: &crate::model::Keyword) -> Value {
        json!({
            "resourceName": format!("customers/{}/adGroupCriteria/{}~{}", self.cid, k.ad_group_id, k.criterion_id),
            "criterionId": k.criterion_id.to_string(),
            "adGroup": format!("customers/{}/adGroups/{}", self.cid, k.ad_group_id),
            "status": k.status,
            "type": "KEYWORD",
            "negative": false,
            "keyword": {"text": k.text, "matchType": k.match_type},
            "cpcBidMicros": k.cpc_bid_micros.to_string(),
        })
    }

    fn schedule(&self, s: &crate::model::AdSchedule) -> Value {
        json!({
            "resourceName": format!("customers/{}/campaignCriteria/{}~{}", self.cid, s.campaign_id, s.criterion_id),
            "criterionId": s.criterion_id.to_string(),
            "campaign": format!("customers/{}/campaigns/{}", self.cid, s.campaign_id),
            "type": "AD_SCHEDULE",
            // A removed criterion is gone from the fake's state: what it serves is enabled.
            "status": "ENABLED",
            "negative": false,
            "bidModifier": 1.0,
            "adSchedule": {
                "dayOfWeek": s.day_of_week,
                "startHour": s.start_hour,
                "startMinute": s.start_minute,
                "endHour": s.end_hour,
                "endMinute": s.end_minute,
            },
        })
    }

    fn metrics(&self, id: u64, days: &[chrono::NaiveDate]) -> Value {
        let (mut imp, mut clk, mut cost, mut conv) = (0u64, 0u64, 0u64, 0f64);
        for d in days {
            let (i, k, m, v) = crate::data::daily_metrics(self.seed, id, *d);
            imp += i;
            clk += k;
            cost += m;
            conv += v;
        }
        json!({
            "impressions": imp.to_string(),
            "clicks": clk.to_string(),
            "costMicros": cost.to_string(),
            "conversions": conv,
            "conversionsValue": conv * 120.0,
            "ctr": if imp == 0 { 0.0 } else { clk as f64 / imp as f64 },
            "averageCpc": if clk == 0 { 0.0 } else { cost as f64 / clk as f64 },
        })
    }

    fn lead(&self, timeline: &crate::data::Timeline, index: u64) -> Value {
        let lead =
            crate::data::lead(self.seed, Provider::GoogleAds, timeline, index, self.ads.campaigns.len());
        let campaign = &self.ads.campaigns[lead.campaign];
        let groups: Vec<_> = self.ads.ad_groups.iter().filter(|g| g.campaign_id == campaign.id).collect();
        let group = groups[lead.ad_group % groups.len()];
        let when = crate::data::utc(lead.created).format("%Y-%m-%d %H:%M:%S+00:00").to_string();
        let id = format!("{}", 100_000_000_000 + index * 7 + self.seed % 7);
        json!({
            "resourceName": format!("customers/{}/leadFormSubmissionData/{id}", self.cid),
            "id": id,
            "asset": format!("customers/{}/assets/{}", self.cid, 40_000_000_000 + lead.campaign as u64),
            "campaign": format!("customers/{}/campaigns/{}", self.cid, campaign.id),
            "adGroup": format!("customers/{}/adGroups/{}", self.cid, group.id),
            "adGroupAd": format!("customers/{}/adGroupAds/{}~{}", self.cid, group.id, group.ad_id),
            "gclid": lead.gclid,
            "submissionDateTime": when,
            "leadFormSubmissionFields": [
                {"fieldType": "FULL_NAME", "fieldValue": format!("{} {}", lead.first, lead.last)},
                {"fieldType": "EMAIL", "fieldValue": lead.email},
                {"fieldType": "PHONE_NUMBER", "fieldValue": lead.phone},
                {"fieldType": "POSTAL_CODE", "fieldValue": lead.zip},
            ],
            "customLeadFormSubmissionFields": [
                {"questionText": "What is your budget?", "fieldValue": lead.budget},
            ],
        })
    }
}

/// Keeps the selected fields of a full row (and each selected resource's resource name).
fn project(row: &Value, select: &[String]) -> Value {
    let mut out = json!({});
    for field in select {
        let path = gaql::camel_path(field);
        let value = value_at(row, field);
        if value.is_null() {
            continue;
        }
        let mut at = &mut out;
        for part in &path[..path.len() - 1] {
            if at.get(part.as_str()).is_none() {
                at[part.as_str()] = json!({});
            }
            at = &mut at[part.as_str()];
        }
        at[path[path.len() - 1].as_str()] = value.clone();
        let resource = &path[0];
        if resource != "metrics"
            && resource != "segments"
            && let Some(name) = row[resource.as_str()].get("resourceName")
        {
            out[resource.as_str()]["resourceName"] = name.clone();
        }
    }
    out
}

/// Runs a query: every matching row (projected), after ORDER BY and LIMIT. Leads are
/// generated only for the range of indexes the time conditions allow.
fn run(
    shared: &Shared,
    cid: u64,
    query: &gaql::Query,
    window: (usize, usize),
) -> Result<(usize, Vec<Value>), gaql::QueryError> {
    let Some(resources) = compatible(&query.from) else {
        return Err(gaql::QueryError {
            code: "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            message: format!("Invalid resource '{}' in the FROM clause.", query.from),
        });
    };
    let _ = resources;
    for f in &query.select {
        check_field(&query.from, f, "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE")?;
    }
    for c in &query.conditions {
        check_field(&query.from, &c.field, "PROHIBITED_RESOURCE_TYPE_IN_WHERE_CLAUSE")?;
    }
    for (f, _) in &query.order {
        check_field(&query.from, f, "PROHIBITED_RESOURCE_TYPE_IN_ORDER_BY_CLAUSE")?;
    }
    let today = chrono::Utc::now().date_naive();
    let uses = |prefix: &str| {
        query.select.iter().chain(query.conditions.iter().map(|c| &c.field)).any(|f| f.starts_with(prefix))
    };
    let by_date = uses("segments.date");
    let range = date_range(&query.conditions, today)?;
    if by_date && range.is_none() {
        return Err(gaql::QueryError {
            code: "EXPECTED_FILTERS_ON_DATE_RANGE",
            message:
                "Filters on segments.date must give a finite date range (DURING, BETWEEN, or both >= and <=)."
                    .into(),
        });
    }
    let days: Vec<chrono::NaiveDate> = match range {
        Some((a, b)) => a.iter_days().take_while(|d| *d <= b).collect(),
        // Metrics without a date range: the last 30 days stand in for "all time".
        None => gaql::during("LAST_30_DAYS", today)
            .map(|(a, b)| a.iter_days().take_while(|d| *d <= b).collect())
            .unwrap_or_default(),
    };
    let (ads, timeline) = {
        let inner = shared.lock();
        (inner.ads.clone(), inner.timeline.clone())
    };
    let ctx = Ctx { cid, seed: shared.options.seed, ads: &ads, account: &shared.account };
    let metrics = uses("metrics.");
    // Entities (full rows without metrics/segments) of the FROM resource.
    let mut entities: Vec<(u64, Value)> = Vec::new();
    if cid == ads.customer_id {
        let campaign_of = |id: u64| ads.campaigns.iter().find(|c| c.id == id);
        match query.from.as_str() {
            "customer" => entities.push((cid, json!({"customer": ctx.customer()}))),
            "campaign" => {
                for c in &ads.campaigns {
                    entities.push((c.id, json!({"campaign": ctx.campaign(c), "campaignBudget": ctx.budget(c), "customer": ctx.customer()})));
                }
            }
            "campaign_budget" => {
                for c in &ads.campaigns {
                    entities.push((
                        c.budget_id,
                        json!({"campaignBudget": ctx.budget(c), "customer": ctx.customer()}),
                    ));
                }
            }
            "ad_group" => {
                for g in &ads.ad_groups {
                    let c = campaign_of(g.campaign_id).map(|c| ctx.campaign(c));
                    entities.push((
                        g.id,
                        json!({"adGroup": ctx.ad_group(g), "campaign": c, "customer": ctx.customer()}),
                    ));
                }
            }
            "ad_group_criterion" | "keyword_view" => {
                for k in &ads.keywords {
                    let g = ads.ad_groups.iter().find(|g| g.id == k.ad_group_id);
                    let c = g.and_then(|g| campaign_of(g.campaign_id)).map(|c| ctx.campaign(c));
                    let keyword_view = json!({"resourceName": format!("customers/{cid}/keywordViews/{}~{}", k.ad_group_id, k.criterion_id)});
                    entities.push((
                        k.criterion_id,
                        json!({"adGroupCriterion": ctx.keyword(k), "keywordView": keyword_view,
                        "adGroup": g.map(|g| ctx.ad_group(g)), "campaign": c, "customer": ctx.customer()}),
                    ));
                }
            }
            "campaign_criterion" => {
                for s in &ads.schedules {
                    let c = campaign_of(s.campaign_id).map(|c| ctx.campaign(c));
                    entities.push((s.criterion_id, json!({"campaignCriterion": ctx.schedule(s), "campaign": c, "customer": ctx.customer()})));
                }
            }
            _ => {}
        }
    }
    let mut rows: Vec<Value> = Vec::new();
    if query.from == "lead_form_submission_data" {
        if cid != ads.customer_id {
            return Ok((0, Vec::new()));
        }
        let (lo_t, hi_t) = time_range(&query.conditions, today)?;
        let seed = shared.options.seed;
        let lo = if lo_t == i64::MIN { 0 } else { timeline.first_after(seed, Provider::GoogleAds, lo_t - 1) };
        let hi = if hi_t == i64::MAX {
            timeline.total()
        } else {
            timeline.first_after(seed, Provider::GoogleAds, hi_t)
        };
        let only_time = query.conditions.iter().all(|c| c.field.ends_with("submission_date_time"));
        let time_order =
            query.order.iter().all(|(f, _)| f.ends_with("submission_date_time") || f.ends_with(".id"));
        if only_time && time_order {
            // Rows straight from the index range, in time order (or reversed), LIMIT applied.
            // Only the rows of the page asked for are made.
            let descending = query.order.first().is_some_and(|(_, d)| *d);
            let count = (hi.saturating_sub(lo) as usize).min(query.limit.unwrap_or(usize::MAX));
            let (from, to) = (window.0.min(count), window.0.saturating_add(window.1).min(count));
            let customer = ctx.customer();
            let mut out = Vec::with_capacity(to - from);
            for n in from as u64..to as u64 {
                let index = if descending { hi - 1 - n } else { lo + n };
                let row = json!({"leadFormSubmissionData": ctx.lead(&timeline, index), "customer": customer});
                out.push(project(&row, &query.select));
            }
            return Ok((count, out));
        }
        let customer = ctx.customer();
        for index in lo..hi {
            rows.push(json!({"leadFormSubmissionData": ctx.lead(&timeline, index), "customer": customer}));
        }
    } else if by_date {
        for (id, entity) in &entities {
            for d in &days {
                let mut row = entity.clone();
                row["segments"] = json!({"date": d.to_string()});
                if metrics {
                    row["metrics"] = ctx.metrics(*id, std::slice::from_ref(d));
                }
                rows.push(row);
            }
        }
    } else {
        for (id, entity) in entities {
            let mut row = entity;
            if metrics {
                row["metrics"] = ctx.metrics(id, &days);
            }
            rows.push(row);
        }
    }
    let mut kept = Vec::new();
    for row in rows {
        let mut ok = true;
        for c in &query.conditions {
            if !holds(&row, c, today)? {
                ok = false;
                break;
            }
        }
        if ok {
            kept.push(row);
        }
    }
    if !query.order.is_empty() {
        kept.sort_by(|a, b| {
            for (field, descending) in &query.order {
                let (x, y) = (value_at(a, field), value_at(b, field));
                let ord = compare(field, x, &Literal::Text(as_text(y)));
                let ord = if *descending { ord.reverse() } else { ord };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    if let Some(limit) = query.limit {
        kept.truncate(limit);
    }
    let total = kept.len();
    Ok((total, kept.iter().skip(window.0).take(window.1).map(|row| project(row, &query.select)).collect()))
}

fn field_mask(select: &[String]) -> String {
    select.iter().map(|f| gaql::camel_path(f).join(".")).collect::<Vec<_>>().join(",")
}

/// The search request body: `query`, optional `pageToken`; `pageSize` is refused.
fn search_request(body: &[u8]) -> Result<(gaql::Query, String, Option<String>, bool), Box<Response>> {
    let request: Value = serde_json::from_slice(body).map_err(|_| {
        Box::new(google_error(StatusCode::BAD_REQUEST, "Invalid JSON payload received.", json!([])))
    })?;
    if let Some(object) = request.as_object() {
        for key in object.keys() {
            let known = [
                "query",
                "pageToken",
                "pageSize",
                "validateOnly",
                "returnTotalResultsCount",
                "summaryRowSetting",
                "searchSettings",
            ];
            if !known.contains(&key.as_str()) {
                return Err(Box::new(google_error(
                    StatusCode::BAD_REQUEST,
                    &format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field."),
                    json!([{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"description": format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field.")}]}]),
                )));
            }
        }
    }
    if request.get("pageSize").is_some() {
        return Err(Box::new(failure(vec![ads_error(
            "requestError",
            "PAGE_SIZE_NOT_SUPPORTED",
            "Setting the page size is not supported. Search Responses will have fixed page size of '10000' rows.",
        )])));
    }
    let Some(text) = request["query"].as_str().filter(|q| !q.trim().is_empty()) else {
        return Err(Box::new(failure(vec![ads_error("queryError", "QUERY_ERROR", "The query is empty.")])));
    };
    let query = gaql::parse(text).map_err(|e| Box::new(query_failure(e)))?;
    let total = request["returnTotalResultsCount"].as_bool().unwrap_or(false);
    Ok((query, text.to_string(), request["pageToken"].as_str().map(str::to_string), total))
}

fn page_token(offset: usize, query: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, query.as_bytes());
    let tag: String = digest.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{offset}:{tag}"))
}

fn page_offset(token: &str, query: &str) -> Option<usize> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (offset, _) = text.split_once(':')?;
    let offset: usize = offset.parse().ok()?;
    (page_token(offset, query) == token).then_some(offset)
}

fn with_request_id(response: Response) -> Response {
    with_headers(response, &[("request-id", request_id())])
}

/// `POST customers/{cid}/googleAds:search`: one page of 10,000 rows at most.
async fn search(
    State(shared): State<Arc<Shared>>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let cid = match ads_authorized(&shared, &headers, &cid) {
        Ok(cid) => cid,
        Err(response) => return *response,
    };
    let (query, text, token, want_total) = match search_request(&body) {
        Ok(parsed) => parsed,
        Err(response) => return with_request_id(*response),
    };
    let offset = match token.as_deref().filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match page_offset(t, &text) {
            Some(o) => o,
            None => {
                return with_request_id(failure(vec![ads_error(
                    "requestError",
                    "INVALID_PAGE_TOKEN",
                    "Page token is invalid.",
                )]));
            }
        },
    };
    let (total, page) = match run(&shared, cid, &query, (offset, PAGE_ROWS)) {
        Ok(rows) => rows,
        Err(e) => return with_request_id(query_failure(e)),
    };
    let mut body = json!({ "fieldMask": field_mask(&query.select) });
    if !page.is_empty() {
        body["results"] = json!(page);
    }
    if offset + PAGE_ROWS < total {
        body["nextPageToken"] = json!(page_token(offset + PAGE_ROWS, &text));
    }
    if want_total {
        body["totalResultsCount"] = json!(total.to_string());
    }
    body["queryResourceConsumption"] = json!(((total / 100) + 1).to_string());
    with_request_id(json(StatusCode::OK, body))
}

/// `POST customers/{cid}/googleAds:searchStream`: every row, as a JSON array of batches of
/// 10,000.
async fn search_stream(
    State(shared): State<Arc<Shared>>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let cid = match ads_authorized(&shared, &headers, &cid) {
        Ok(cid) => cid,
        Err(response) => return *response,
    };
    let (query, _, _, _) = match search_request(&body) {
        Ok(parsed) => parsed,
        Err(response) => return with_request_id(*response),
    };
    let rows = match run(&shared, cid, &query, (0, usize::MAX)) {
        Ok((_, rows)) => rows,
        Err(e) => return with_request_id(query_failure(e)),
    };
    let mask = field_mask(&query.select);
    let id = request_id();
    let mut batches: Vec<Value> = rows
        .chunks(PAGE_ROWS)
        .map(|chunk| json!({"results": chunk, "fieldMask": mask, "requestId": id}))
        .collect();
    if batches.is_empty() {
        batches.push(json!({"fieldMask": mask, "requestId": id}));
    }
    with_headers(json(StatusCode::OK, Value::Array(batches)), &[("request-id", id)])
}

// ---- Mutations -----------------------------------------------------------------------------

/// A refused operation: its GoogleAdsFailure error (with the operation's index as location).
struct OpError {
    kind: &'static str,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
}

fn op_error(kind: &'static str, code: &'static str, message: impl Into<String>) -> OpError {
    OpError { kind, code, message: message.into(), field: None }
}

fn located(index: usize, e: OpError) -> Value {
    let mut path = vec![json!({"fieldName": "operations", "index": index})];
    if let Some(field) = e.field {
        for part in field.split('.') {
            path.push(json!({"fieldName": part}));
        }
    }
    let mut error = ads_error(e.kind, e.code, &e.message);
    error["location"] = json!({"fieldPathElements": path});
    error
}

/// `customers/{cid}/{collection}/{id}` → id (with the customer checked).
fn resource_id<'a>(name: &'a str, cid: u64, collection: &str) -> Result<&'a str, OpError> {
    let prefix = format!("customers/{cid}/{collection}/");
    name.strip_prefix(&prefix).filter(|id| !id.is_empty()).ok_or_else(|| {
        op_error("requestError", "RESOURCE_NAME_MALFORMED", format!("Resource name '{name}' is malformed."))
    })
}

fn not_found(name: &str) -> OpError {
    op_error("mutateError", "RESOURCE_NOT_FOUND", format!("Resource was not found: '{name}'."))
}

fn micros(value: &Value) -> Result<i64, OpError> {
    let n = match value {
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
    .ok_or_else(|| op_error("fieldError", "INVALID_VALUE", "cpcBidMicros must be an int64."))?;
    if n < 10_000 {
        return Err(op_error("biddingError", "BID_TOO_SMALL", "Bid is below the minimum."));
    }
    if n % 10_000 != 0 {
        return Err(op_error(
            "biddingError",
            "BID_TOO_MANY_FRACTIONAL_DIGITS",
            "Bid must be a multiple of the billable unit (10000 micros).",
        ));
    }
    Ok(n)
}

fn mask(op: &Value) -> Result<Vec<String>, OpError> {
    let Some(mask) = op["updateMask"].as_str().filter(|m| !m.is_empty()) else {
        return Err(op_error("fieldMaskError", "FIELD_MASK_MISSING", "The field mask is missing."));
    };
    Ok(mask.split(',').map(|s| s.trim().to_string()).collect())
}

fn status(value: &Value) -> Result<String, OpError> {
    match value.as_str() {
        Some(s @ ("ENABLED" | "PAUSED")) => Ok(s.to_string()),
        _ => Err(op_error("fieldError", "INVALID_VALUE", format!("Invalid status {value} for an update."))),
    }
}

type Apply = fn(&mut crate::model::AdsState, u64, &Value, &mut u64) -> Result<String, OpError>;

/// The shared shape of every `…:mutate`: operations applied in order to a working copy;
/// without `partialFailure` one error refuses them all; `validateOnly` keeps nothing.
async fn mutate(shared: Arc<Shared>, cid: String, headers: HeaderMap, body: Bytes, apply: Apply) -> Response {
    let cid = match ads_authorized(&shared, &headers, &cid) {
        Ok(cid) => cid,
        Err(response) => return *response,
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return with_request_id(google_error(
            StatusCode::BAD_REQUEST,
            "Invalid JSON payload received.",
            json!([]),
        ));
    };
    let operations = request["operations"].as_array().cloned().unwrap_or_default();
    if operations.is_empty() {
        return with_request_id(failure(vec![ads_error(
            "mutateError",
            "NO_OPERATIONS",
            "There are no operations.",
        )]));
    }
    let partial = request["partialFailure"].as_bool().unwrap_or(false);
    let validate_only = request["validateOnly"].as_bool().unwrap_or(false);
    let mut inner = shared.lock();
    let mut work = inner.ads.clone();
    let mut next_id = inner.api_requests * 1_000 + 700_000_000;
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for (i, op) in operations.iter().enumerate() {
        // An operation that fails leaves the working copy as it was.
        let before = work.clone();
        match apply(&mut work, cid, op, &mut next_id) {
            Ok(name) => results.push(json!({"resourceName": name})),
            Err(e) => {
                work = before;
                errors.push(located(i, e));
                results.push(json!({}));
            }
        }
    }
    if !errors.is_empty() && !partial {
        drop(inner);
        return with_request_id(failure(errors));
    }
    if !validate_only {
        inner.ads = work;
    }
    drop(inner);
    if validate_only {
        return with_request_id(json(StatusCode::OK, json!({})));
    }
    let mut body = json!({ "results": results });
    if !errors.is_empty() {
        let count = errors.len();
        body["partialFailureError"] = json!({
            "code": 3,
            "message": match count {
                1 => errors[0]["message"].as_str().unwrap_or_default().to_string(),
                _ => format!("Multiple errors in 'details'. First error: {}", errors[0]["message"].as_str().unwrap_or_default()),
            },
            "details": [{"@type": failure_type(), "errors": errors, "requestId": request_id()}],
        });
    }
    with_request_id(json(StatusCode::OK, body))
}

fn apply_campaign(
    ads: &mut crate::model::AdsState,
    cid: u64,
    op: &Value,
    _: &mut u64,
) -> Result<String, OpError> {
    let Some(update) = op.get("update") else {
        return Err(op_error("mutateError", "OPERATION_NOT_SUPPORTED", "Only update operations are served."));
    };
    let name = update["resourceName"].as_str().unwrap_or_default();
    let id = resource_id(name, cid, "campaigns")?;
    let fields = mask(op)?;
    let campaign =
        ads.campaigns.iter_mut().find(|c| c.id.to_string() == id).ok_or_else(|| not_found(name))?;
    for field in fields {
        match field.as_str() {
            "status" => campaign.status = status(&update["status"])?,
            "name" => {
                campaign.name = update["name"].as_str().unwrap_or_default().to_string();
            }
            other => {
                return Err(op_error(
                    "fieldMaskError",
                    "FIELD_NOT_FOUND",
                    format!("Field '{other}' is not served."),
                ));
            }
        }
    }
    Ok(name.to_string())
}

fn apply_ad_group(
    ads: &mut crate::model::AdsState,
    cid: u64,
    op: &Value,
    _: &mut u64,
) -> Result<String, OpError> {
    let Some(update) = op.get("update") else {
        return Err(op_error("mutateError", "OPERATION_NOT_SUPPORTED", "Only update operations are served."));
    };
    let name = update["resourceName"].as_str().unwrap_or_default();
    let id = resource_id(name, cid, "adGroups")?;
    let fields = mask(op)?;
    let group = ads.ad_groups.iter_mut().find(|g| g.id.to_string() == id).ok_or_else(|| not_found(name))?;
    for field in fields {
        match field.as_str() {
            "cpcBidMicros" | "cpc_bid_micros" => group.cpc_bid_micros = micros(&update["cpcBidMicros"])?,
            "status" => group.status = status(&update["status"])?,
            other => {
                return Err(op_error(
                    "fieldMaskError",
                    "FIELD_NOT_FOUND",
                    format!("Field '{other}' is not served."),
                ));
            }
        }
    }
    Ok(name.to_string())
}

fn apply_criterion(
    ads: &mut crate::model::AdsState,
    cid: u64,
    op: &Value,
    _: &mut u64,
) -> Result<String, OpError> {
    let Some(update) = op.get("update") else {
        return Err(op_error("mutateError", "OPERATION_NOT_SUPPORTED", "Only update operations are served."));
    };
    let name = update["resourceName"].as_str().unwrap_or_default();
    let id = resource_id(name, cid, "adGroupCriteria")?;
    let fields = mask(op)?;
    let keyword = ads
        .keywords
        .iter_mut()
        .find(|k| format!("{}~{}", k.ad_group_id, k.criterion_id) == id)
        .ok_or_else(|| not_found(name))?;
    for field in fields {
        match field.as_str() {
            "cpcBidMicros" | "cpc_bid_micros" => keyword.cpc_bid_micros = micros(&update["cpcBidMicros"])?,
            "status" => keyword.status = status(&update["status"])?,
            other => {
                return Err(op_error(
                    "fieldMaskError",
                    "FIELD_NOT_FOUND",
                    format!("Field '{other}' is not served."),
                ));
            }
        }
    }
    Ok(name.to_string())
}

const MINUTES: [(&str, u32); 4] = [("ZERO", 0), ("FIFTEEN", 15), ("THIRTY", 30), ("FORTY_FIVE", 45)];

fn minute(value: &Value) -> Result<(String, u32), OpError> {
    let name = value.as_str().unwrap_or("ZERO");
    MINUTES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, m)| (n.to_string(), *m))
        .ok_or_else(|| op_error("fieldError", "INVALID_VALUE", format!("Invalid minute of hour '{name}'.")))
}

/// Ad schedules: create (at most six a day, no overlaps, start before end), remove; their
/// times cannot be updated in place.
fn apply_campaign_criterion(
    ads: &mut crate::model::AdsState,
    cid: u64,
    op: &Value,
    next_id: &mut u64,
) -> Result<String, OpError> {
    if let Some(name) = op.get("remove").and_then(Value::as_str) {
        let id = resource_id(name, cid, "campaignCriteria")?;
        let at = ads
            .schedules
            .iter()
            .position(|s| format!("{}~{}", s.campaign_id, s.criterion_id) == id)
            .ok_or_else(|| not_found(name))?;
        ads.schedules.remove(at);
        return Ok(name.to_string());
    }
    if let Some(update) = op.get("update") {
        let name = update["resourceName"].as_str().unwrap_or_default();
        let id = resource_id(name, cid, "campaignCriteria")?;
        if !ads.schedules.iter().any(|s| format!("{}~{}", s.campaign_id, s.criterion_id) == id) {
            return Err(not_found(name));
        }
        let fields = mask(op)?;
        if fields.iter().any(|f| f.starts_with("adSchedule") || f.starts_with("ad_schedule"))
            || update.get("adSchedule").is_some()
        {
            let mut e = op_error(
                "fieldError",
                "IMMUTABLE_FIELD",
                "The ad schedule's day and times cannot be modified; remove the criterion and create a new one.",
            );
            e.field = Some("update.ad_schedule");
            return Err(e);
        }
        // bid_modifier and the like: accepted, not kept.
        return Ok(name.to_string());
    }
    let Some(create) = op.get("create") else {
        return Err(op_error("mutateError", "OPERATION_NOT_SUPPORTED", "Expected create, update or remove."));
    };
    let campaign_name = create["campaign"].as_str().unwrap_or_default();
    let campaign_id = resource_id(campaign_name, cid, "campaigns")?;
    let campaign = ads
        .campaigns
        .iter()
        .find(|c| c.id.to_string() == campaign_id)
        .ok_or_else(|| not_found(campaign_name))?;
    let campaign_id = campaign.id;
    let Some(schedule) = create.get("adSchedule") else {
        return Err(op_error(
            "criterionError",
            "CRITERION_TYPE_NOT_SUPPORTED",
            "Only ad schedules are served.",
        ));
    };
    let day = schedule["dayOfWeek"].as_str().unwrap_or_default().to_string();
    if !crate::model::DAYS.contains(&day.as_str()) {
        return Err(op_error("fieldError", "INVALID_VALUE", format!("Invalid day of week '{day}'.")));
    }
    let hour = |v: &Value, max: u64| v.as_u64().filter(|h| *h <= max).map(|h| h as u32);
    let (Some(start_hour), Some(end_hour)) =
        (hour(&schedule["startHour"], 23), hour(&schedule["endHour"], 24))
    else {
        return Err(op_error(
            "criterionError",
            "AD_SCHEDULE_INVALID_TIME_INTERVAL",
            "Hours must be 0–23 (start) and 0–24 (end).",
        ));
    };
    let (start_minute, sm) = minute(&schedule["startMinute"])?;
    let (end_minute, em) = minute(&schedule["endMinute"])?;
    let (start, end) = (start_hour * 60 + sm, end_hour * 60 + em);
    if end <= start || end > 24 * 60 {
        return Err(op_error(
            "criterionError",
            "AD_SCHEDULE_INVALID_TIME_INTERVAL",
            "The end time must be after the start time.",
        ));
    }
    let same_day: Vec<_> =
        ads.schedules.iter().filter(|s| s.campaign_id == campaign_id && s.day_of_week == day).collect();
    if same_day.len() >= 6 {
        return Err(op_error(
            "criterionError",
            "AD_SCHEDULE_EXCEEDED_INTERVALS_PER_DAY_LIMIT",
            "The number of AdSchedule entries in a day exceeds the limit.",
        ));
    }
    let to_min = |h: u32, m: &str| h * 60 + MINUTES.iter().find(|(n, _)| *n == m).map_or(0, |(_, v)| *v);
    if same_day.iter().any(|s| {
        let (a, b) = (to_min(s.start_hour, &s.start_minute), to_min(s.end_hour, &s.end_minute));
        start < b && a < end
    }) {
        return Err(op_error(
            "criterionError",
            "AD_SCHEDULE_TIME_INTERVALS_OVERLAP",
            "Ad schedule time intervals overlap.",
        ));
    }
    *next_id += 1;
    let criterion_id = *next_id;
    ads.schedules.push(crate::model::AdSchedule {
        criterion_id,
        campaign_id,
        day_of_week: day,
        start_hour,
        start_minute,
        end_hour,
        end_minute,
    });
    Ok(format!("customers/{cid}/campaignCriteria/{campaign_id}~{criterion_id}"))
}

async fn mutate_campaigns(
    State(shared): State<Arc<Shared>>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mutate(shared, cid, headers, body, apply_campaign).await
}

async fn mutate_ad_groups(
    State(shared): State<Arc<Shared>>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mutate(shared, cid, headers, body, apply_ad_group).await
}

async fn mutate_ad_group_criteria(
    State(shared): State<Arc<Shared>>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mutate(shared, cid, headers, body, apply_criterion).await
}

async fn mutate_campaign_criteria(
    State(shared): State<Arc<Shared>>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mutate(shared, cid, headers, body, apply_campaign_criterion).await
}
