//! HubSpot: app.hubspot.com's install page, the OAuth v1 token endpoints and the API
//! (api.hubapi.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use super::{bearer, count_api, json, uuid, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Kind, Shared};

/// Requests per 10-second window in the injected rate-limit answer (the enforced limit is
/// `Limits::hubspot_per_10s`).
const WINDOW_MAX: u64 = 100;
const DAILY_MAX: u64 = 250_000;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/authorize", get(oauth::authorize))
        .route("/oauth/v1/token", post(oauth::token))
        .route("/oauth/v1/refresh-tokens/{token}", delete(revoke))
        // `v3` is the path HubSpot now calls legacy; `2026-03` its date-versioned twin.
        .route("/account-info/v3/details", get(account_details))
        .route("/account-info/2026-03/details", get(account_details))
        .route("/crm/v3/owners", get(owners))
        .route("/crm/v3/owners/", get(owners))
        .route("/crm/v3/objects/contacts/batch/upsert", post(batch_upsert))
        .route("/crm/objects/2026-03/contacts/batch/upsert", post(batch_upsert))
        .route("/crm/v3/objects/contacts/search", post(search))
        .route("/crm/objects/2026-03/contacts/search", post(search))
        .route("/crm/v3/objects/contacts/{id}", get(contact))
        .route("/crm/objects/2026-03/contacts/{id}", get(contact))
}

/// OAuth v1's token answer: snake_case, 30-minute access tokens, the refresh token each time.
pub(crate) fn token_body(issued: &Issued) -> Value {
    json!({
        "token_type": "bearer",
        "refresh_token": issued.refresh,
        "access_token": issued.access,
        "expires_in": 1800,
    })
}

/// OAuth v1 errors are HubSpot's own: `{"status":"BAD_…","message":…,"correlationId":…}`,
/// not RFC 6749's `error` field.
pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let (status, message) = match error {
        InvalidClient => ("BAD_CLIENT_ID", "missing or unknown client id".to_string()),
        InvalidRequest(why) => ("BAD_REQUEST", why.to_string()),
        UnsupportedGrantType => ("BAD_GRANT_TYPE", "unsupported grant type".to_string()),
        UnknownCode | UsedCode | ExpiredCode => ("BAD_AUTH_CODE", "missing or unknown auth code".to_string()),
        RedirectMismatch => {
            ("BAD_REDIRECT_URI", "redirect_uri does not match the one the code was issued to".to_string())
        }
        MissingVerifier | VerifierMismatch => {
            ("BAD_AUTH_CODE", "code_verifier does not match the code_challenge".to_string())
        }
        BadRefresh | RefusedRefresh => ("BAD_REFRESH_TOKEN", "missing or unknown refresh token".to_string()),
    };
    json(StatusCode::BAD_REQUEST, json!({"status": status, "message": message, "correlationId": uuid()}))
}

fn api_error(status: StatusCode, message: &str, category: &str) -> Response {
    json(
        status,
        json!({"status": "error", "message": message, "correlationId": uuid(), "category": category}),
    )
}

pub(crate) fn unauthorized(access: Access) -> Response {
    match access {
        Access::Expired => api_error(
            StatusCode::UNAUTHORIZED,
            "The OAuth token used to make this call expired 1 second(s) ago.",
            "EXPIRED_AUTHENTICATION",
        ),
        Access::Missing => api_error(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        ),
        _ => api_error(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials not found or invalid. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        ),
    }
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    match status.as_u16() {
        // A token without a scope the call needs (the owners' `crm.objects.owners.read`, say).
        403 => api_error(
            status,
            "This app hasn't been granted all required scopes to make this call.",
            "MISSING_SCOPES",
        ),
        404 => api_error(status, "Resource not found", "OBJECT_NOT_FOUND"),
        500..=599 => api_error(status, "internal error", "INTERNAL_ERROR"),
        _ => api_error(status, "Invalid input", "VALIDATION_ERROR"),
    }
}

pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    let body = json!({
        "status": "error",
        "message": "You have reached your secondly limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": uuid(),
        "policyName": "SECONDLY",
        "category": "RATE_LIMITS",
    });
    with_headers(
        json(StatusCode::TOO_MANY_REQUESTS, body),
        &[
            ("x-hubspot-ratelimit-max", WINDOW_MAX.to_string()),
            ("x-hubspot-ratelimit-remaining", "0".into()),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000".into()),
            ("x-hubspot-ratelimit-daily", DAILY_MAX.to_string()),
            ("x-hubspot-ratelimit-daily-remaining", (DAILY_MAX - 1).to_string()),
            ("retry-after", retry_after_secs.to_string()),
        ],
    )
}

/// Where the token stands against its limits, for the `X-HubSpot-RateLimit-*` headers.
pub(crate) struct Usage {
    max: u32,
    remaining: u32,
    daily: u32,
    daily_remaining: u64,
    /// OAuth calls carry no daily headers: OAuth apps have no daily limit (HubSpot changelog,
    /// "Rate limit headers will now appear for OAuth authenticated calls").
    oauth: bool,
}

fn limits(response: Response, usage: Usage) -> Response {
    if usage.max == 0 {
        return response;
    }
    let response = with_headers(
        response,
        &[
            ("x-hubspot-ratelimit-max", usage.max.to_string()),
            ("x-hubspot-ratelimit-remaining", usage.remaining.to_string()),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000".into()),
        ],
    );
    if usage.oauth || usage.daily == 0 {
        return response;
    }
    with_headers(
        response,
        &[
            ("x-hubspot-ratelimit-daily", usage.daily.to_string()),
            ("x-hubspot-ratelimit-daily-remaining", usage.daily_remaining.to_string()),
        ],
    )
}

/// The 429 a spent window gets: HubSpot's body, and its headers with nothing remaining.
fn over_limit(
    policy: &str,
    message: &str,
    max: u32,
    interval_ms: u64,
    daily: u32,
    daily_remaining: u64,
) -> Response {
    let body = json!({
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": uuid(),
        "policyName": policy,
        "category": "RATE_LIMITS",
    });
    with_headers(
        json(StatusCode::TOO_MANY_REQUESTS, body),
        &[
            ("x-hubspot-ratelimit-max", max.to_string()),
            ("x-hubspot-ratelimit-remaining", "0".into()),
            ("x-hubspot-ratelimit-interval-milliseconds", interval_ms.to_string()),
            ("x-hubspot-ratelimit-daily", daily.to_string()),
            ("x-hubspot-ratelimit-daily-remaining", daily_remaining.to_string()),
        ],
    )
}

/// Checks the token, then counts the call against its 10-second window and its day.
fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<Usage, Box<Response>> {
    let token = bearer(headers);
    match shared.check(token.as_deref()) {
        Access::Valid => {}
        access => return Err(Box::new(unauthorized(access))),
    }
    count_api(shared);
    let token = token.unwrap_or_default();
    let oauth = shared.lock().tokens.get(&token).is_some_and(|t| t.kind == Kind::Access);
    let limits = &shared.options.limits;
    let daily = if oauth { 0 } else { limits.hubspot_daily };
    let used = shared.lock().daily.get(&format!("hubspot:{token}")).copied().unwrap_or(0);
    if daily > 0 && used >= u64::from(daily) {
        return Err(Box::new(over_limit(
            "DAILY",
            "You have reached your daily limit.",
            limits.hubspot_per_10s,
            10_000,
            daily,
            0,
        )));
    }
    let (ok, remaining) = shared.within(
        &format!("hubspot:{token}"),
        limits.hubspot_per_10s,
        std::time::Duration::from_secs(10),
    );
    let daily_remaining = u64::from(daily).saturating_sub(used + u64::from(ok));
    if !ok {
        return Err(Box::new(over_limit(
            "SECONDLY",
            "You have reached your secondly limit.",
            limits.hubspot_per_10s,
            10_000,
            daily,
            daily_remaining,
        )));
    }
    shared.count_daily(&format!("hubspot:{token}"));
    Ok(Usage { max: limits.hubspot_per_10s, remaining, daily, daily_remaining, oauth })
}

/// `DELETE /oauth/v1/refresh-tokens/{token}`: 204 for a refresh token it knows.
async fn revoke(State(shared): State<Arc<Shared>>, Path(token): Path<String>) -> Response {
    let is_refresh = shared.lock().tokens.get(&token).is_some_and(|t| t.kind == Kind::Refresh);
    if shared.revoke(&token) && is_refresh {
        StatusCode::NO_CONTENT.into_response()
    } else {
        oauth_error(OAuthError::BadRefresh)
    }
}

/// `GET /account-info/v3/details`: the portal the token belongs to.
async fn account_details(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let requests = match authorized(&shared, &headers) {
        Ok(n) => n,
        Err(response) => return *response,
    };
    let body = json!({
        "portalId": shared.account.company_id,
        "accountType": "STANDARD",
        "timeZone": "US/Eastern",
        "companyCurrency": "USD",
        "additionalCurrencies": [],
        "utcOffset": "-05:00",
        "utcOffsetMilliseconds": -18_000_000,
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    });
    limits(json(StatusCode::OK, body), requests)
}

/// `GET /crm/v3/owners?limit=N&after=C`: the account's users as owners, paged.
async fn owners(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let requests = match authorized(&shared, &headers) {
        Ok(n) => n,
        Err(response) => return *response,
    };
    let limit = query.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(100).clamp(1, 500);
    let after = query.get("after").and_then(|a| a.parse::<usize>().ok()).unwrap_or(0);
    let people: Vec<_> = std::iter::once(&shared.account.user).chain(shared.account.team.iter()).collect();
    let results: Vec<Value> = people
        .iter()
        .enumerate()
        .skip(after)
        .take(limit)
        .map(|(i, person)| {
            let created = format!("2025-0{}-1{}T09:3{}:00.000Z", 1 + i % 9, i % 10, i % 10);
            json!({
                "id": (person.id + 30_000_000).to_string(),
                "email": person.email,
                "type": "PERSON",
                "firstName": person.first,
                "lastName": person.last,
                "userId": person.id,
                "userIdIncludingInactive": person.id,
                "createdAt": created,
                "updatedAt": created,
                "archived": false,
            })
        })
        .collect();
    let mut body = json!({ "results": results });
    let next = after + limit;
    if next < people.len() {
        body["paging"] = json!({"next": {
            "after": next.to_string(),
            "link": format!("{}/crm/v3/owners/?limit={limit}&after={next}", shared.base_url),
        }});
    }
    limits(json(StatusCode::OK, body), requests)
}

// ---- CRM contacts: batch upsert by email, search, read -------------------------------------

const CONTACT: &str = "contact";
/// What a search returns when it names no properties.
const DEFAULT_PROPERTIES: [&str; 6] =
    ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"];

fn validation(message: &str) -> Response {
    api_error(StatusCode::BAD_REQUEST, message, "VALIDATION_ERROR")
}

/// A stored contact as the v3 API shows it, with the properties asked for (`None`: all).
fn contact_json(crm: &crate::model::Crm, at: usize, properties: Option<&[String]>) -> Value {
    let record = &crm.records[at];
    let (created, updated) = crm.times[at];
    let mut props = serde_json::Map::new();
    match properties {
        None => props = record.fields.clone(),
        Some(names) => {
            for name in names {
                props.insert(name.clone(), record.fields.get(name).cloned().unwrap_or(Value::Null));
            }
        }
    }
    json!({
        "id": record.id,
        "properties": props,
        "createdAt": super::iso_ms(created),
        "updatedAt": super::iso_ms(updated),
        "archived": false,
    })
}

fn stringify(value: &Value) -> Value {
    match value {
        Value::String(_) | Value::Null => value.clone(),
        other => Value::String(other.to_string().trim_matches('"').to_string()),
    }
}

/// `POST /crm/v3/objects/contacts/batch/upsert`: at most 100 inputs keyed by `email`;
/// each creates a contact or updates the one with that email (`"new"` says which).
async fn batch_upsert(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let usage = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let started = super::now_ms();
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return limits(validation("Invalid input JSON on line 1"), usage);
    };
    let Some(inputs) = request["inputs"].as_array() else {
        return limits(validation("Invalid input JSON: inputs is required"), usage);
    };
    if inputs.len() > 100 {
        return limits(
            validation(&format!("Batch input of {} exceeds the limit of 100 inputs", inputs.len())),
            usage,
        );
    }
    let mut seen = std::collections::HashSet::new();
    for input in inputs {
        let id_property = input["idProperty"].as_str().unwrap_or_default();
        if id_property != "email" {
            return limits(
                validation(&format!(
                    "Unsupported idProperty '{id_property}' for upsert; use a unique property such as email"
                )),
                usage,
            );
        }
        let Some(id) = input["id"].as_str().filter(|s| !s.is_empty()) else {
            return limits(validation("Each input needs an id (the email)"), usage);
        };
        if !seen.insert(id.to_ascii_lowercase()) {
            return limits(
                validation(&format!("Duplicate IDs found in batch input: [{id}]. IDs must be unique")),
                usage,
            );
        }
    }
    let now = super::now_ms();
    let mut results = Vec::new();
    let mut inner = shared.lock();
    let crm = &mut inner.crm;
    for input in inputs {
        let email = input["id"].as_str().unwrap_or_default().to_ascii_lowercase();
        let mut fields = serde_json::Map::new();
        if let Some(props) = input["properties"].as_object() {
            for (k, v) in props {
                fields.insert(k.clone(), stringify(v));
            }
        }
        fields.insert("lastmodifieddate".into(), json!(super::iso_ms(now)));
        let found = crm.find_key(CONTACT, "email", &email);
        let (at, new) = match found {
            Some(at) => {
                fields.remove("email");
                crm.update(at, &fields, now);
                (at, false)
            }
            None => {
                crm.next_id += 1;
                let id = (shared.account.company_id * 10 + crm.next_id).to_string();
                fields.insert("email".into(), json!(email));
                fields.insert("hs_object_id".into(), json!(id));
                fields.insert("createdate".into(), json!(super::iso_ms(now)));
                let at = crm.insert(CONTACT, id, fields, now);
                crm.set_key(CONTACT, "email", &email, at);
                (at, true)
            }
        };
        let mut result = contact_json(crm, at, None);
        result["new"] = json!(new);
        results.push(result);
    }
    drop(inner);
    let body = json!({
        "status": "COMPLETE",
        "results": results,
        "requestedAt": super::iso_ms(started),
        "startedAt": super::iso_ms(started),
        "completedAt": super::iso_ms(super::now_ms()),
    });
    limits(json(StatusCode::OK, body), usage)
}

/// A property's value for comparing: dates (ms or ISO) as ms, numbers as numbers, the rest
/// as lowercase text.
#[derive(PartialEq, PartialOrd)]
enum Comparable {
    Number(f64),
    Text(String),
}

fn comparable(property: &str, value: &str) -> Comparable {
    if (property.ends_with("date") || property == "hs_lastmodifieddate")
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(value)
    {
        return Comparable::Number(t.timestamp_millis() as f64);
    }
    match value.parse::<f64>() {
        Ok(n) => Comparable::Number(n),
        Err(_) => Comparable::Text(value.to_ascii_lowercase()),
    }
}

fn filter_matches(filter: &Value, record: &crate::model::CrmRecord) -> Result<bool, String> {
    let property = filter["propertyName"].as_str().ok_or("filter without propertyName")?;
    let operator = filter["operator"].as_str().unwrap_or("EQ");
    let actual = record.fields.get(property).and_then(Value::as_str);
    let value = filter.get("value").map(|v| stringify(v).as_str().unwrap_or_default().to_string());
    let values: Vec<String> = filter["values"]
        .as_array()
        .map(|a| a.iter().map(|v| stringify(v).as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default();
    let cmp = |f: fn(&Comparable, &Comparable) -> bool| -> Result<bool, String> {
        let value = value.clone().ok_or(format!("operator {operator} needs a value"))?;
        Ok(actual.is_some_and(|a| f(&comparable(property, a), &comparable(property, &value))))
    };
    match operator {
        "EQ" => cmp(|a, b| a == b),
        "NEQ" => Ok(!cmp(|a, b| a == b)?),
        "GT" => cmp(|a, b| a > b),
        "GTE" => cmp(|a, b| a >= b),
        "LT" => cmp(|a, b| a < b),
        "LTE" => cmp(|a, b| a <= b),
        "IN" | "NOT_IN" => {
            let hit = actual
                .is_some_and(|a| values.iter().any(|v| comparable(property, a) == comparable(property, v)));
            Ok(hit == (operator == "IN"))
        }
        "HAS_PROPERTY" => Ok(actual.is_some_and(|a| !a.is_empty())),
        "NOT_HAS_PROPERTY" => Ok(actual.is_none_or(str::is_empty)),
        "CONTAINS_TOKEN" => Ok(actual.is_some_and(|a| {
            let v = value.clone().unwrap_or_default().to_ascii_lowercase().replace('*', "");
            a.to_ascii_lowercase().contains(&v)
        })),
        other => Err(format!("Unsupported operator {other}")),
    }
}

/// `POST /crm/v3/objects/contacts/search`: `filterGroups` (OR of ANDs), `sorts`,
/// `properties`, `limit` (≤ 200), `after`; limited to a few requests a second per token, and
/// its answers carry no rate-limit headers.
async fn search(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(response) = authorized(&shared, &headers) {
        return *response;
    }
    let token = bearer(&headers).unwrap_or_default();
    let per_s = shared.options.limits.hubspot_search_per_s;
    if !shared.within(&format!("hubspot-search:{token}"), per_s, std::time::Duration::from_secs(1)).0 {
        let body = json!({
            "status": "error",
            "message": "You have reached your secondly limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": uuid(),
            "policyName": "SECONDLY",
            "category": "RATE_LIMITS",
        });
        return json(StatusCode::TOO_MANY_REQUESTS, body);
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return validation("Invalid input JSON on line 1");
    };
    let groups = request["filterGroups"].as_array().cloned().unwrap_or_default();
    if groups.len() > 5 {
        return validation("Too many filter groups: at most 5 are allowed");
    }
    if groups.iter().map(|g| g["filters"].as_array().map_or(0, Vec::len)).sum::<usize>() > 18 {
        return validation("Too many filters: at most 18 are allowed");
    }
    let limit = request["limit"].as_u64().unwrap_or(10);
    if limit > 200 {
        return validation("limit must be at most 200");
    }
    let after = match &request["after"] {
        Value::Null => 0,
        v => match stringify(v).as_str().and_then(|s| s.parse::<usize>().ok()) {
            Some(n) => n,
            None => return validation("after must be a number"),
        },
    };
    if after + limit as usize > 10_000 {
        return validation("Search results are limited to 10,000; narrow the filters");
    }
    let properties: Option<Vec<String>> = request["properties"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect());
    let mut wanted: Vec<String> = DEFAULT_PROPERTIES.iter().map(|s| s.to_string()).collect();
    for p in properties.unwrap_or_default() {
        if !wanted.contains(&p) {
            wanted.push(p);
        }
    }
    let inner = shared.lock();
    let crm = &inner.crm;
    let mut hits = Vec::new();
    for (at, record) in crm.records.iter().enumerate().filter(|(_, r)| r.kind == CONTACT) {
        let mut any = groups.is_empty();
        for group in &groups {
            let mut all = true;
            for filter in group["filters"].as_array().into_iter().flatten() {
                match filter_matches(filter, record) {
                    Ok(true) => {}
                    Ok(false) => all = false,
                    Err(message) => return validation(&message),
                }
            }
            any |= all;
        }
        if any {
            hits.push(at);
        }
    }
    // Sorts: `[{"propertyName","direction"}]`; by id (creation) otherwise.
    if let Some(sort) = request["sorts"].as_array().and_then(|s| s.first()) {
        let (property, descending) = match sort {
            Value::String(s) => (s.trim_start_matches('-').to_string(), s.starts_with('-')),
            other => (
                other["propertyName"].as_str().unwrap_or("hs_object_id").to_string(),
                other["direction"].as_str() == Some("DESCENDING"),
            ),
        };
        let key = |at: &usize| {
            crm.records[*at].fields.get(&property).and_then(Value::as_str).map(|v| comparable(&property, v))
        };
        hits.sort_by(|a, b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal));
        if descending {
            hits.reverse();
        }
    }
    let total = hits.len();
    let results: Vec<Value> = hits
        .iter()
        .skip(after)
        .take(limit as usize)
        .map(|at| contact_json(crm, *at, Some(&wanted)))
        .collect();
    let mut body = json!({ "total": total, "results": results });
    if after + (limit as usize) < total {
        body["paging"] = json!({"next": {"after": (after + limit as usize).to_string()}});
    }
    json(StatusCode::OK, body)
}

/// `GET /crm/v3/objects/contacts/{id}?properties=…&idProperty=email`.
async fn contact(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let usage = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let inner = shared.lock();
    let crm = &inner.crm;
    let found = match query.get("idProperty").map(String::as_str) {
        Some("email") => crm.find_key(CONTACT, "email", &id),
        _ => crm.find_id(CONTACT, &id),
    };
    let Some(at) = found else {
        drop(inner);
        return limits(api_error(StatusCode::NOT_FOUND, "resource not found", "OBJECT_NOT_FOUND"), usage);
    };
    let mut wanted: Vec<String> = DEFAULT_PROPERTIES.iter().map(|s| s.to_string()).collect();
    for p in query
        .get("properties")
        .map(|p| p.split(',').map(str::to_string).collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if !p.is_empty() && !wanted.contains(&p) {
            wanted.push(p);
        }
    }
    let body = contact_json(crm, at, Some(&wanted));
    drop(inner);
    limits(json(StatusCode::OK, body), usage)
}
