//! Meta: Facebook Login (www.facebook.com/dialog/oauth) and the Graph API
//! (graph.facebook.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{bearer, count_api, json, trace_id, with_headers};
use crate::data::Timeline;
use crate::model::AdsState;
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

/// The Graph API version served.
pub(crate) const GRAPH_VERSION: &str = "v26.0";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    let v = GRAPH_VERSION;
    Router::new()
        .route(&format!("/{v}/dialog/oauth"), get(oauth::authorize))
        .route(&format!("/{v}/oauth/access_token"), get(oauth::token).post(oauth::token))
        .route(&format!("/{v}/me"), get(me))
        .route(&format!("/{v}/me/accounts"), get(accounts))
        .route(&format!("/{v}/me/permissions"), axum::routing::delete(revoke_permissions))
        .route(&format!("/{v}/{{id}}/leadgen_forms"), get(leadgen_forms))
        .route(&format!("/{v}/{{id}}/leads"), get(leads))
        .route(&format!("/{v}/{{id}}/insights"), get(insights))
        .route(&format!("/{v}/{{id}}"), get(node).post(update_node))
}

/// Meta answers a code exchange with a bearer token and no refresh token.
pub(crate) fn token_body(issued: &Issued) -> Value {
    // A token from fb_exchange_token lives about 60 days; one from a code about two hours.
    let expires_in = if issued.from_refresh { 5_183_944 } else { 7_200 };
    json!({"access_token": issued.access, "token_type": "bearer", "expires_in": expires_in})
}

fn graph_error(status: StatusCode, message: &str, kind: &str, code: u32, subcode: Option<u32>) -> Response {
    let mut error = json!({"message": message, "type": kind, "code": code, "fbtrace_id": trace_id()});
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    json(status, json!({ "error": error }))
}

pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let bad = StatusCode::BAD_REQUEST;
    match error {
        InvalidClient => graph_error(
            bad,
            "Error validating application. Invalid application ID.",
            "OAuthException",
            101,
            None,
        ),
        InvalidRequest(why) => graph_error(bad, why, "OAuthException", 100, None),
        UnsupportedGrantType => graph_error(bad, "Unsupported grant_type", "OAuthException", 100, None),
        UnknownCode => graph_error(bad, "Invalid verification code format.", "OAuthException", 100, None),
        UsedCode => {
            graph_error(bad, "This authorization code has been used.", "OAuthException", 100, Some(36009))
        }
        ExpiredCode => {
            graph_error(bad, "This authorization code has expired.", "OAuthException", 100, Some(36007))
        }
        RedirectMismatch => graph_error(
            bad,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
            "OAuthException",
            100,
            Some(36008),
        ),
        MissingVerifier | VerifierMismatch => {
            graph_error(bad, "Invalid code verifier.", "OAuthException", 100, None)
        }
        BadRefresh | RefusedRefresh => graph_error(
            bad,
            "Error validating access token: The user has not authorized application.",
            "OAuthException",
            190,
            Some(458),
        ),
    }
}

/// Graph's token errors: code 190 with a subcode saying why, HTTP 400, and the
/// `WWW-Authenticate` header Graph sends with them.
pub(crate) fn unauthorized(access: Access) -> Response {
    let (message, code, subcode) = match access {
        Access::Missing => {
            ("An active access token must be used to query information about the current user.", 2500, None)
        }
        Access::Expired => ("Error validating access token: Session has expired.", 190, Some(463)),
        Access::Revoked => {
            ("Error validating access token: The user has not authorized application.", 190, Some(458))
        }
        _ => ("Invalid OAuth access token - Cannot parse access token", 190, None),
    };
    with_headers(
        graph_error(StatusCode::BAD_REQUEST, message, "OAuthException", code, subcode),
        &[("www-authenticate", format!("OAuth \"Facebook Platform\" \"invalid_token\" \"{message}\""))],
    )
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    let (message, code) = match status.as_u16() {
        404 => ("Unknown path components", 2500),
        503 => ("Service temporarily unavailable", 2),
        500..=599 => ("An unknown error has occurred.", 1),
        _ => ("Invalid parameter", 100),
    };
    let kind = if code == 2500 { "OAuthException" } else { "GraphMethodException" };
    graph_error(status, message, kind, code, None)
}

/// Graph sends no `Retry-After`: code 4 (application request limit) with the usage headers
/// at 100 % and the time to regain access (minutes) in the business-use-case header.
pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    let minutes = retry_after_secs.div_ceil(60);
    let business = json!({"1000000000000": [{
        "type": "ads_management", "call_count": 100, "total_cputime": 100, "total_time": 100,
        "estimated_time_to_regain_access": minutes
    }]});
    with_headers(
        graph_error(
            StatusCode::BAD_REQUEST,
            "(#4) Application request limit reached",
            "OAuthException",
            4,
            None,
        ),
        &[
            ("x-app-usage", json!({"call_count": 100, "total_cputime": 100, "total_time": 100}).to_string()),
            ("x-business-use-case-usage", business.to_string()),
        ],
    )
}

/// Graph's error for a node it does not know (or the token may not see).
fn unknown_object(id: &str) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        &format!(
            "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ),
        "GraphMethodException",
        100,
        Some(33),
    )
}

fn invalid_parameter(message: &str) -> Response {
    graph_error(StatusCode::BAD_REQUEST, &format!("(#100) {message}"), "OAuthException", 100, None)
}

/// The token from `?access_token=` or the Bearer header.
fn token(query: &HashMap<String, String>, headers: &HeaderMap) -> Option<String> {
    query.get("access_token").cloned().or_else(|| bearer(headers))
}

/// Checks the token and counts the call; the usage headers go on the answer.
fn authorized(
    shared: &Shared,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(String, u64), Box<Response>> {
    let token = token(query, headers);
    match shared.check(token.as_deref()) {
        Access::Valid => {
            count_api(shared);
            Ok((token.unwrap_or_default(), app_budget(shared)?))
        }
        access => Err(Box::new(unauthorized(access))),
    }
}

/// Counts a Graph call against the app's hourly budget: the usage header's percentage, or
/// code 4 once it is spent.
fn app_budget(shared: &Shared) -> Result<u64, Box<Response>> {
    let max = shared.options.limits.meta_calls_per_hour;
    let (ok, remaining) = shared.within("meta-app", max, std::time::Duration::from_secs(3600));
    if !ok {
        return Err(Box::new(rate_limited(3600)));
    }
    if max == 0 {
        return Ok(0);
    }
    Ok((u64::from(max - remaining) * 100 / u64::from(max)).min(100))
}

/// `X-App-Usage`: the share (%) of the hourly app budget used by the calls of the last hour.
fn with_app_usage(response: Response, percent: u64) -> Response {
    with_headers(
        response,
        &[(
            "x-app-usage",
            json!({"call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2})
                .to_string(),
        )],
    )
}

/// `GET /me?fields=id,name`: the fields asked for, of those the fake knows.
async fn me(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (_, requests) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    let user = &shared.account.user;
    let all = json!({
        "id": user.id.to_string(),
        "name": format!("{} {}", user.first, user.last),
        "first_name": user.first,
        "last_name": user.last,
        "email": user.email,
    });
    let fields = query.get("fields").map(String::as_str).unwrap_or("id,name");
    let mut body = serde_json::Map::new();
    for field in fields.split(',').map(str::trim) {
        if let Some(value) = all.get(field) {
            body.insert(field.to_string(), value.clone());
        }
    }
    body.insert("id".into(), all["id"].clone());
    with_app_usage(json(StatusCode::OK, Value::Object(body)), requests)
}

/// `GET /me/accounts`: the pages the user manages, each with its page token.
async fn accounts(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (_, requests) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    let pages = &shared.account.pages;
    let data: Vec<Value> = pages
        .iter()
        .map(|page| {
            json!({
                "access_token": page.access_token,
                "category": "Local business",
                "category_list": [{"id": "2500", "name": "Local business"}],
                "name": page.name,
                "id": page.id,
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            })
        })
        .collect();
    let cursor = |id: &str| STANDARD.encode(id);
    let body = json!({
        "data": data,
        "paging": {"cursors": {
            "before": pages.first().map(|p| cursor(&p.id)).unwrap_or_default(),
            "after": pages.last().map(|p| cursor(&p.id)).unwrap_or_default(),
        }}
    });
    with_app_usage(json(StatusCode::OK, body), requests)
}

/// `DELETE /me/permissions`: the user's grant to the app ends; the token is recorded.
async fn revoke_permissions(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (token, requests) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => {
            if let Some(token) = self::token(&query, &headers) {
                shared.lock().revoked.push(token);
            }
            return *response;
        }
    };
    shared.revoke(&token);
    with_app_usage(json(StatusCode::OK, json!({"success": true})), requests)
}

// ---- Lead Ads: forms, leads, campaigns, insights -------------------------------------------

/// The questions of form `f` (0-based among the account's forms): keys as Meta names them.
fn form_questions(f: usize) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut questions = vec![
        ("full_name", "Full name", "FULL_NAME"),
        ("email", "Email", "EMAIL"),
        ("phone_number", "Phone number", "PHONE"),
    ];
    match f % 3 {
        0 => {
            questions.push(("city", "City", "CITY"));
            questions.push(("what_is_your_budget?", "What is your budget?", "CUSTOM"));
        }
        1 => questions.push(("when_do_you_plan_to_start?", "When do you plan to start?", "CUSTOM")),
        _ => questions.push(("zip_code", "ZIP code", "ZIP")),
    }
    questions
}

/// The fields named in `fields=` (sub-selections such as `field_data{name}` dropped).
fn requested(query: &HashMap<String, String>, default: &str) -> Vec<String> {
    let raw = query.get("fields").map(String::as_str).unwrap_or(default);
    let mut out = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in raw.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => out.push(std::mem::take(&mut current).trim().to_string()),
            _ if depth == 0 => current.push(c),
            _ => {}
        }
    }
    out.push(current.trim().to_string());
    out.retain(|f| !f.is_empty());
    out
}

/// Keeps the requested fields of `all`; an unknown one is Graph's code 100.
fn select(all: &Value, fields: &[String], node_type: &str) -> Result<Value, Box<Response>> {
    let mut out = serde_json::Map::new();
    for field in fields {
        match all.get(field) {
            Some(Value::Null) => {}
            Some(value) => {
                out.insert(field.clone(), value.clone());
            }
            None => {
                return Err(Box::new(invalid_parameter(&format!(
                    "Tried accessing nonexisting field ({field}) on node type ({node_type})"
                ))));
            }
        }
    }
    Ok(Value::Object(out))
}

fn graph_time(t: i64) -> String {
    crate::data::utc(t).format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

struct FormRef {
    page: String,
    id: String,
    name: String,
    /// Position among the account's forms: lead `i` is in form `i % forms`.
    index: usize,
    forms: usize,
}

fn find_form(shared: &Shared, id: &str) -> Option<FormRef> {
    let inner = shared.lock();
    let forms = inner.ads.forms.len();
    inner.ads.forms.iter().enumerate().find(|(_, f)| f.1 == id).map(|(index, f)| FormRef {
        page: f.0.clone(),
        id: f.1.clone(),
        name: f.2.clone(),
        index,
        forms,
    })
}

/// Lead ids: a seeded 16-digit base plus the lead's index.
fn lead_base(shared: &Shared) -> u64 {
    let mut rng = crate::seed::Rng::new(shared.options.seed, "meta-lead-ids");
    1_000_000_000_000_000 + (rng.next() % 8_000_000) * 1_000_000_000
}

/// How many leads form `f` of `forms` holds when the source holds `total`.
fn form_len(total: u64, f: usize, forms: usize) -> u64 {
    let (f, forms) = (f as u64, forms.max(1) as u64);
    if total <= f { 0 } else { (total - f).div_ceil(forms) }
}

/// A lead as Graph's Lead node, every field.
fn lead_node(shared: &Shared, timeline: &Timeline, ads: &AdsState, index: u64) -> Value {
    let lead = crate::data::lead(shared.options.seed, shared.provider, timeline, index, ads.campaigns.len());
    let forms = ads.forms.len().max(1);
    let f = (index % forms as u64) as usize;
    let mut field_data = Vec::new();
    for (key, _, _) in form_questions(f) {
        let value = match key {
            "full_name" => format!("{} {}", lead.first, lead.last),
            "email" => lead.email.clone(),
            "phone_number" => lead.phone.clone(),
            "city" => lead.city.clone(),
            "zip_code" => lead.zip.clone(),
            "what_is_your_budget?" => lead.budget.to_string(),
            _ => lead.timeline.to_string(),
        };
        field_data.push(json!({"name": key, "values": [value]}));
    }
    let mut node = json!({
        "id": (lead_base(shared) + index).to_string(),
        "created_time": graph_time(lead.created),
        "form_id": ads.forms.get(f).map(|f| f.1.clone()),
        "field_data": field_data,
        "is_organic": lead.organic,
        "platform": lead.platform,
        "custom_disclaimer_responses": [],
        "ad_id": null, "ad_name": null, "adset_id": null, "adset_name": null,
        "campaign_id": null, "campaign_name": null,
        "partner_name": null, "retailer_item_id": null,
    });
    if !lead.organic {
        let campaign = &ads.campaigns[lead.campaign];
        let groups: Vec<_> = ads.ad_groups.iter().filter(|g| g.campaign_id == campaign.id).collect();
        let group = groups[lead.ad_group % groups.len()];
        node["ad_id"] = json!(group.ad_id.to_string());
        node["ad_name"] = json!(format!("{} – ad", group.name));
        node["adset_id"] = json!(group.id.to_string());
        node["adset_name"] = json!(group.name);
        node["campaign_id"] = json!(campaign.id.to_string());
        node["campaign_name"] = json!(campaign.name);
    }
    node
}

/// The page a page token belongs to, if it is one.
fn page_of_token(shared: &Shared, token: &str) -> Option<String> {
    shared.account.pages.iter().find(|p| p.access_token == token).map(|p| p.id.clone())
}

/// A page token may only read its own page's objects; user and system-user tokens read all.
fn may_read(shared: &Shared, token: &str, page: &str) -> bool {
    page_of_token(shared, token).is_none_or(|p| p == page)
}

fn cursor(k: u64) -> String {
    STANDARD.encode(format!("lv:{k}"))
}

fn uncursor(c: &str) -> Option<u64> {
    let bytes = STANDARD.decode(c).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("lv:")?.parse().ok()
}

/// The full URL of the next page: the same query with `after` set.
fn next_url(shared: &Shared, path: &str, query: &[(String, String)], after: &str) -> String {
    let mut url = url::Url::parse(&format!("{}{path}", shared.base_url)).expect("base url");
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            if k != "after" && k != "before" {
                pairs.append_pair(k, v);
            }
        }
        pairs.append_pair("after", after);
    }
    url.to_string()
}

/// `GET /{page-id}/leadgen_forms?fields=…`: the page's lead forms.
async fn leadgen_forms(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(page): axum::extract::Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (token, percent) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    if !shared.account.pages.iter().any(|p| p.id == page) || !may_read(&shared, &token, &page) {
        return with_app_usage(unknown_object(&page), percent);
    }
    let (forms, total) = {
        let inner = shared.lock();
        (inner.ads.forms.clone(), inner.timeline.total())
    };
    let fields = requested(&query, "id,locale,name,status");
    let count = forms.len();
    let mut data = Vec::new();
    for (i, (form_page, id, name)) in forms.iter().enumerate() {
        if *form_page != page {
            continue;
        }
        let questions: Vec<Value> = form_questions(i)
            .into_iter()
            .enumerate()
            .map(|(q, (key, label, kind))| {
                json!({"key": key, "label": label, "type": kind, "id": format!("{}{q}", &id[..8])})
            })
            .collect();
        let all = json!({
            "id": id,
            "name": name,
            "status": "ACTIVE",
            "locale": "en_US",
            "leads_count": form_len(total, i, count),
            "created_time": graph_time(shared.lock().timeline.until - crate::data::SPAN - 86_400 * (i as i64 + 1)),
            "questions": questions,
            "page": {"id": page, "name": shared.account.pages.iter().find(|p| p.id == page).map(|p| p.name.clone())},
            "page_id": page,
            "privacy_policy_url": "https://www.example.com/privacy",
            "follow_up_action_url": "https://www.example.com/thanks",
            "expired_leads_count": 0,
            "organic_leads_count": 0,
        });
        match select(&all, &fields, "LeadgenForm") {
            Ok(v) => data.push(v),
            Err(response) => return with_app_usage(*response, percent),
        }
    }
    let mut body = json!({ "data": data });
    if !data.is_empty() {
        body["paging"] = json!({"cursors": {"before": cursor(0), "after": cursor(data.len() as u64 - 1)}});
    }
    with_app_usage(json(StatusCode::OK, body), percent)
}

/// The `filtering` parameter: `[{"field":"time_created","operator":"GREATER_THAN","value":…}]`.
/// Returns the open range of times allowed.
fn time_filter(raw: Option<&String>) -> Result<(i64, i64), String> {
    let (mut after, mut before) = (i64::MIN, i64::MAX);
    let Some(raw) = raw else {
        return Ok((after, before));
    };
    let filters: Vec<Value> =
        serde_json::from_str(raw).map_err(|_| "param filtering must be an array of objects".to_string())?;
    for filter in filters {
        let field = filter["field"].as_str().unwrap_or_default();
        let operator = filter["operator"].as_str().unwrap_or_default();
        if field != "time_created" {
            return Err(format!("Filtering field {field} is invalid"));
        }
        let value = match &filter["value"] {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or("Filtering value must be a unix timestamp")?;
        match operator {
            "GREATER_THAN" => after = after.max(value),
            "GREATER_THAN_OR_EQUAL" => after = after.max(value - 1),
            "LESS_THAN" => before = before.min(value),
            "LESS_THAN_OR_EQUAL" => before = before.min(value + 1),
            _ => return Err(format!("Filtering operator {operator} is not supported for field {field}")),
        }
    }
    Ok((after, before))
}

/// Counts one lead read against the page's daily lead-reading budget: Meta's documented
/// 200 × 24 × (leads of the page) calls per 24 h. Spent: code 32, no Retry-After.
fn lead_budget(shared: &Shared, page: &str, page_leads: u64) -> Result<u64, Box<Response>> {
    let max = shared.options.limits.meta_lead_reads_per_day.unwrap_or(200 * 24 * page_leads.max(1));
    let used = shared.count_daily(&format!("meta-leads:{page}"));
    let percent = (used * 100).checked_div(max).unwrap_or(0).min(100);
    if max > 0 && used > max {
        let buc = json!({ page: [{
            "type": "pages", "call_count": 100, "total_cputime": 100, "total_time": 100,
            "estimated_time_to_regain_access": 1440
        }]});
        return Err(Box::new(with_headers(
            graph_error(
                StatusCode::BAD_REQUEST,
                "(#32) Page request limit reached",
                "OAuthException",
                32,
                None,
            ),
            &[("x-business-use-case-usage", buc.to_string())],
        )));
    }
    Ok(percent)
}

/// `GET /{form-id}/leads?fields=…&filtering=…&limit=N&after=C`: the form's leads, newest
/// first, in cursor pages.
async fn leads(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(form_id): axum::extract::Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Response {
    let pairs = super::query_pairs(raw.as_deref());
    let query: HashMap<String, String> = pairs.iter().cloned().collect();
    let (token, percent) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    let Some(form) = find_form(&shared, &form_id) else {
        return with_app_usage(unknown_object(&form_id), percent);
    };
    if !may_read(&shared, &token, &form.page) {
        return with_app_usage(unknown_object(&form_id), percent);
    }
    let fields = requested(&query, "created_time,id,field_data");
    let (after_t, before_t) = match time_filter(query.get("filtering")) {
        Ok(range) => range,
        Err(message) => return with_app_usage(invalid_parameter(&message), percent),
    };
    let limit = match query.get("limit").map(|l| l.parse::<u64>()) {
        None => 25,
        Some(Ok(n)) if n > 0 => n.min(5000),
        Some(_) => {
            return with_app_usage(invalid_parameter("Param limit must be a positive integer"), percent);
        }
    };
    let (timeline, ads) = {
        let inner = shared.lock();
        (inner.timeline.clone(), inner.ads.clone())
    };
    let seed = shared.options.seed;
    let provider = shared.provider;
    let len = form_len(timeline.total(), form.index, form.forms);
    let page_leads: u64 = {
        let inner = shared.lock();
        (0..form.forms)
            .filter(|f| inner.ads.forms[*f].0 == form.page)
            .map(|f| form_len(timeline.total(), f, form.forms))
            .sum()
    };
    let buc = match lead_budget(&shared, &form.page, page_leads) {
        Ok(p) => p,
        Err(response) => return with_app_usage(*response, percent),
    };
    let global = |k: u64| k * form.forms as u64 + form.index as u64;
    let time = |k: u64| timeline.time(seed, provider, global(k));
    // The form's leads with a time in (after_t, before_t): positions lo..hi (times rise).
    let bound = |t: i64| {
        let (mut lo, mut hi) = (0u64, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if time(mid) > t { hi = mid } else { lo = mid + 1 }
        }
        lo
    };
    let lo = bound(after_t);
    let hi = if before_t == i64::MAX { len } else { bound(before_t - 1) };
    // Newest first: start below the `after` cursor, or above the `before` cursor.
    let (start, end) = if let Some(c) = query.get("after") {
        let Some(k) = uncursor(c) else {
            return with_app_usage(invalid_parameter("Invalid cursor"), percent);
        };
        (lo, k.min(hi))
    } else if let Some(c) = query.get("before") {
        let Some(k) = uncursor(c) else {
            return with_app_usage(invalid_parameter("Invalid cursor"), percent);
        };
        let from = (k + 1).max(lo);
        (from, (from + limit).min(hi))
    } else {
        (lo, hi)
    };
    let mut positions: Vec<u64> = Vec::new();
    let mut k = end;
    while k > start && (positions.len() as u64) < limit {
        k -= 1;
        positions.push(k);
    }
    let mut data = Vec::with_capacity(positions.len());
    for &k in &positions {
        let node = lead_node(&shared, &timeline, &ads, global(k));
        match select(&node, &fields, "Lead") {
            Ok(v) => data.push(v),
            Err(response) => return with_app_usage(*response, percent),
        }
    }
    let mut body = json!({ "data": data });
    if let (Some(first), Some(last)) = (positions.first(), positions.last()) {
        let mut paging = json!({"cursors": {"before": cursor(*first), "after": cursor(*last)}});
        if *last > start {
            paging["next"] = json!(next_url(
                &shared,
                &format!("/{GRAPH_VERSION}/{form_id}/leads"),
                &pairs,
                &cursor(*last)
            ));
        }
        body["paging"] = paging;
    }
    let buc_header = json!({ form.page.clone(): [{
        "type": "pages", "call_count": buc, "total_cputime": buc / 2, "total_time": buc / 2,
        "estimated_time_to_regain_access": 0
    }]});
    let _ = &form.name;
    let _ = &form.id;
    with_headers(
        with_app_usage(json(StatusCode::OK, body), percent),
        &[("x-business-use-case-usage", buc_header.to_string())],
    )
}

/// The campaign with this id, if the account has it.
fn campaign_node(shared: &Shared, id: &str) -> Option<Value> {
    let inner = shared.lock();
    let c = inner.ads.campaigns.iter().find(|c| c.id.to_string() == id)?;
    Some(json!({
        "id": c.id.to_string(),
        "name": c.name,
        "status": c.status,
        "effective_status": c.status,
        "objective": "OUTCOME_LEADS",
        "daily_budget": (c.budget_micros / 10_000).to_string(),
        "account_id": shared.account.ad_account.to_string(),
        "created_time": graph_time(inner.timeline.until - 60 * 86_400),
    }))
}

/// `GET /{id}`: a lead (as the `leadgen` webhook's `leadgen_id` is read), a campaign or a form.
async fn node(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (token, percent) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    let total = shared.lock().timeline.total();
    let base = lead_base(&shared);
    let found = if let Some(c) = campaign_node(&shared, &id) {
        select(&c, &requested(&query, "id,name,status"), "Campaign")
    } else if let Some(form) = find_form(&shared, &id).filter(|f| may_read(&shared, &token, &f.page)) {
        let all = json!({"id": form.id, "name": form.name, "status": "ACTIVE", "locale": "en_US",
            "leads_count": form_len(total, form.index, form.forms), "page_id": form.page});
        select(&all, &requested(&query, "id,locale,name,status"), "LeadgenForm")
    } else if let Some(index) =
        id.parse::<u64>().ok().and_then(|n| n.checked_sub(base)).filter(|i| *i < total)
    {
        let (timeline, ads) = {
            let inner = shared.lock();
            (inner.timeline.clone(), inner.ads.clone())
        };
        select(
            &lead_node(&shared, &timeline, &ads, index),
            &requested(&query, "created_time,id,field_data"),
            "Lead",
        )
    } else {
        return with_app_usage(unknown_object(&id), percent);
    };
    match found {
        Ok(body) => with_app_usage(json(StatusCode::OK, body), percent),
        Err(response) => with_app_usage(*response, percent),
    }
}

/// `POST /{campaign-id}` with `status=PAUSED|ACTIVE` (form body or query): `{"success":true}`.
/// With `execution_options=["validate_only"]` (a JSON list, as Graph takes list parameters) the
/// update is checked and not kept; the answer is the same `{"success":true}`, or the error the
/// update would have met.
async fn update_node(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(mut query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: HashMap<String, String> = if body.first() == Some(&b'{') {
        serde_json::from_slice::<serde_json::Map<String, Value>>(&body)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect()
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    query.extend(form);
    let (_, percent) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    let validate_only = match query.get("execution_options").map(|o| execution_options(o)) {
        None => false,
        Some(Ok(validate_only)) => validate_only,
        Some(Err(response)) => return with_app_usage(*response, percent),
    };
    let mut inner = shared.lock();
    let Some(campaign) = inner.ads.campaigns.iter_mut().find(|c| c.id.to_string() == id) else {
        drop(inner);
        return with_app_usage(unknown_object(&id), percent);
    };
    let mut updated = campaign.clone();
    if let Some(status) = query.get("status") {
        if !["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"].contains(&status.as_str()) {
            drop(inner);
            return with_app_usage(
                invalid_parameter("Param status must be one of {ACTIVE, PAUSED, DELETED, ARCHIVED}"),
                percent,
            );
        }
        updated.status = status.clone();
    }
    if let Some(budget) = query.get("daily_budget").and_then(|b| b.parse::<i64>().ok()) {
        updated.budget_micros = budget * 10_000;
    }
    if !validate_only {
        *campaign = updated;
    }
    drop(inner);
    with_app_usage(json(StatusCode::OK, json!({"success": true})), percent)
}

/// `execution_options`: a JSON list of `validate_only` and `include_recommendations`; whether
/// it asks for validation only, or Graph's code 100 for anything else.
fn execution_options(text: &str) -> Result<bool, Box<Response>> {
    let refuse = || {
        Box::new(invalid_parameter(
            "Param execution_options[0] must be one of {validate_only, include_recommendations}",
        ))
    };
    let options: Vec<String> = serde_json::from_str(text).map_err(|_| refuse())?;
    if options.iter().any(|o| o != "validate_only" && o != "include_recommendations") {
        return Err(refuse());
    }
    Ok(options.iter().any(|o| o == "validate_only"))
}

/// The days of an insights request: `time_range={"since","until"}` or `date_preset`
/// (`last_7d`, `last_30d`, …; default `last_30d`), ending yesterday.
fn insight_days(query: &HashMap<String, String>) -> Result<Vec<chrono::NaiveDate>, String> {
    let today = chrono::Utc::now().date_naive();
    let (since, until) = if let Some(range) = query.get("time_range") {
        let range: Value = serde_json::from_str(range).map_err(|_| "Invalid time_range".to_string())?;
        let day = |k: &str| {
            range[k]
                .as_str()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(|| format!("time_range.{k} must be a date YYYY-MM-DD"))
        };
        (day("since")?, day("until")?)
    } else {
        let preset = query.get("date_preset").map(String::as_str).unwrap_or("last_30d");
        let n = match preset {
            "today" => 0,
            "yesterday" => 1,
            "last_3d" => 3,
            "last_7d" => 7,
            "last_14d" => 14,
            "last_28d" => 28,
            "last_30d" => 30,
            "last_90d" => 90,
            _ => return Err(format!("date_preset {preset} is not supported")),
        };
        if n == 0 { (today, today) } else { (today - chrono::Days::new(n), today - chrono::Days::new(1)) }
    };
    if until < since {
        return Err("time_range.since must be before time_range.until".into());
    }
    Ok(since.iter_days().take_while(|d| *d <= until).collect())
}

/// `GET /act_{id}/insights?level=campaign&fields=…&time_increment=1`: per-campaign metrics
/// (numbers as strings, as Graph sends them), one row per campaign and day, paged.
async fn insights(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Response {
    let pairs = super::query_pairs(raw.as_deref());
    let query: HashMap<String, String> = pairs.iter().cloned().collect();
    let (_, percent) = match authorized(&shared, &query, &headers) {
        Ok(ok) => ok,
        Err(response) => return *response,
    };
    if id != format!("act_{}", shared.account.ad_account) {
        return with_app_usage(unknown_object(&id), percent);
    }
    let level = query.get("level").map(String::as_str).unwrap_or("account");
    if level != "campaign" && level != "account" {
        return with_app_usage(invalid_parameter("level must be one of account, campaign"), percent);
    }
    let days = match insight_days(&query) {
        Ok(days) => days,
        Err(message) => return with_app_usage(invalid_parameter(&message), percent),
    };
    let daily = query.get("time_increment").map(String::as_str) == Some("1");
    let fields = requested(&query, "impressions,spend,date_start,date_stop");
    let campaigns = shared.lock().ads.campaigns.clone();
    let seed = shared.options.seed;
    let mut rows = Vec::new();
    let groups: Vec<Vec<chrono::NaiveDate>> =
        if daily { days.iter().map(|d| vec![*d]).collect() } else { vec![days.clone()] };
    let units: Vec<Vec<&crate::model::Campaign>> = if level == "campaign" {
        campaigns.iter().map(|c| vec![c]).collect()
    } else {
        vec![campaigns.iter().collect()]
    };
    for unit in &units {
        for group in &groups {
            let (mut imp, mut clk, mut cost, mut conv) = (0u64, 0u64, 0u64, 0f64);
            for c in unit {
                for d in group {
                    let (i, k, m, v) = crate::data::daily_metrics(seed, c.id, *d);
                    imp += i;
                    clk += k;
                    cost += m;
                    conv += v;
                }
            }
            let mut all = json!({
                "account_id": shared.account.ad_account.to_string(),
                "impressions": imp.to_string(),
                "clicks": clk.to_string(),
                "spend": format!("{:.2}", cost as f64 / 1_000_000.0),
                "actions": [{"action_type": "lead", "value": (conv as u64).to_string()}, {"action_type": "link_click", "value": clk.to_string()}],
                "ctr": format!("{:.6}", if imp == 0 { 0.0 } else { clk as f64 * 100.0 / imp as f64 }),
                "cpc": format!("{:.6}", if clk == 0 { 0.0 } else { cost as f64 / 1_000_000.0 / clk as f64 }),
                "date_start": group.first().map(|d| d.to_string()),
                "date_stop": group.last().map(|d| d.to_string()),
            });
            if level == "campaign" {
                all["campaign_id"] = json!(unit[0].id.to_string());
                all["campaign_name"] = json!(unit[0].name);
            }
            let mut wanted = fields.clone();
            for always in ["date_start", "date_stop"] {
                if !wanted.iter().any(|f| f == always) {
                    wanted.push(always.to_string());
                }
            }
            match select(&all, &wanted, "AdsInsights") {
                Ok(v) => rows.push(v),
                Err(response) => return with_app_usage(*response, percent),
            }
        }
    }
    let limit = query.get("limit").and_then(|l| l.parse::<u64>().ok()).unwrap_or(25).clamp(1, 5000);
    let offset = query.get("after").and_then(|c| uncursor(c)).map(|k| k + 1).unwrap_or(0);
    let page: Vec<Value> = rows.iter().skip(offset as usize).take(limit as usize).cloned().collect();
    let mut body = json!({ "data": page });
    if !page.is_empty() {
        let last = offset + page.len() as u64 - 1;
        body["paging"] = json!({"cursors": {"before": cursor(offset), "after": cursor(last)}});
        if (last + 1) < rows.len() as u64 {
            body["paging"]["next"] =
                json!(next_url(&shared, &format!("/{GRAPH_VERSION}/{id}/insights"), &pairs, &cursor(last)));
        }
    }
    let buc = json!({ shared.account.ad_account.to_string(): [{
        "type": "ads_insights", "call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2,
        "estimated_time_to_regain_access": 0
    }]});
    with_headers(
        with_app_usage(json(StatusCode::OK, body), percent),
        &[("x-business-use-case-usage", buc.to_string())],
    )
}
