//! Pipedrive: the OAuth server (oauth.pipedrive.com) and the company API
//! (`{company}.pipedrive.com` / api.pipedrive.com), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{bearer, count_api, json, standard_oauth_error, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

/// Requests per 2-second window reported in `x-ratelimit-limit`.
const WINDOW_MAX: u64 = 80;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/authorize", get(oauth::authorize))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(revoke))
        // OAuth calls go to `{api_domain}/api/v1/…`; a pasted token to `…/v1/…` works too.
        .route("/api/v1/users/me", get(users_me))
        .route("/v1/users/me", get(users_me))
        .route("/api/v1/users", get(users))
        .route("/api/v2/persons", post(create_person).get(list_persons))
        .route("/api/v2/persons/search", get(search_persons))
        .route("/api/v2/persons/{id}", get(get_person).patch(update_person))
        .route("/api/v1/leads", post(create_lead).get(list_leads))
        .route("/api/v1/leads/{id}", axum::routing::patch(update_lead).get(get_lead))
}

/// The token answer names the company's API address (`api_domain`); the refresh token comes
/// back with every answer.
pub(crate) fn token_body(shared: &Shared, issued: &Issued) -> Value {
    json!({
        "access_token": issued.access,
        "token_type": "Bearer",
        "expires_in": 3599,
        "refresh_token": issued.refresh,
        "scope": issued.scope,
        "api_domain": shared.base_url,
    })
}

/// The OAuth server's errors, RFC 6749 codes with its own descriptions.
pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let bad = StatusCode::BAD_REQUEST;
    let (status, code, description) = match error {
        InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client: client is invalid"),
        InvalidRequest(why) => (bad, "invalid_request", why),
        UnsupportedGrantType => {
            (bad, "unsupported_grant_type", "Unsupported grant type: grant_type is invalid")
        }
        UnknownCode | UsedCode => (bad, "invalid_grant", "Invalid grant: authorization code is invalid"),
        ExpiredCode => (bad, "invalid_grant", "Invalid grant: authorization code has expired"),
        RedirectMismatch => (bad, "invalid_request", "Invalid request: redirect_uri is not a valid URI"),
        MissingVerifier | VerifierMismatch => {
            (bad, "invalid_grant", "Invalid grant: code verifier is invalid")
        }
        BadRefresh | RefusedRefresh => (bad, "invalid_grant", "Invalid grant: refresh token is invalid"),
    };
    let response = standard_oauth_error(status, code, description);
    if status == StatusCode::UNAUTHORIZED {
        return with_headers(response, &[("www-authenticate", "Basic realm=\"Service\"".into())]);
    }
    response
}

fn api_error(status: StatusCode, error: &str) -> Response {
    json(
        status,
        json!({
            "success": false,
            "error": error,
            "errorCode": status.as_u16(),
            "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
        }),
    )
}

pub(crate) fn unauthorized(access: Access) -> Response {
    match access {
        Access::Expired => api_error(StatusCode::UNAUTHORIZED, "access token has expired"),
        _ => api_error(StatusCode::UNAUTHORIZED, "unauthorized access"),
    }
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    let error = match status.as_u16() {
        404 => "Resource not found",
        503 => "Service unavailable",
        500..=599 => "Internal server error",
        _ => "Bad request",
    };
    api_error(status, error)
}

pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    with_headers(
        api_error(StatusCode::TOO_MANY_REQUESTS, "Request over limit"),
        &[
            ("x-ratelimit-limit", WINDOW_MAX.to_string()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", retry_after_secs.to_string()),
            ("retry-after", retry_after_secs.to_string()),
        ],
    )
}

/// `POST /oauth/revoke` (client credentials by Basic; `token` and `token_type_hint` in the
/// form): 200 whether or not the token was known, as RFC 7009 asks.
async fn revoke(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if !headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Basic ")) {
        return oauth_error(OAuthError::InvalidClient);
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(token) = form.get("token") else {
        return oauth_error(OAuthError::InvalidRequest("Missing parameter: token"));
    };
    shared.revoke(token);
    StatusCode::OK.into_response()
}

/// `GET /api/v1/users/me`: the user and the company the token belongs to.
async fn users_me(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get("x-api-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("api_token").cloned())
        .or_else(|| bearer(&headers));
    let requests = match shared.check(token.as_deref()) {
        Access::Valid => count_api(&shared),
        access => return unauthorized(access),
    };
    let account = &shared.account;
    let user = &account.user;
    let body = json!({
        "success": true,
        "data": {
            "id": user.id,
            "name": format!("{} {}", user.first, user.last),
            "default_currency": "USD",
            "locale": "en_US",
            "lang": 1,
            "email": user.email,
            "phone": null,
            "activated": true,
            "last_login": "2026-10-01 08:43:13",
            "created": "2025-03-08 12:00:22",
            "modified": "2026-10-01 08:43:13",
            "has_created_company": true,
            "access": [{"app": "sales", "admin": true, "permission_set_id": "62cc4d7f-4038-4352-abf3-a8c1c822b631"}],
            "active_flag": true,
            "timezone_name": "Europe/Helsinki",
            "timezone_offset": "+02:00",
            "role_id": 1,
            "icon_url": null,
            "is_you": true,
            "is_deleted": false,
            "company_id": account.company_id,
            "company_name": account.company_name,
            "company_domain": account.company_slug,
            "company_country": "US",
            "company_industry": "Services",
            "language": {"language_code": "en", "country_code": "US"},
        }
    });
    let remaining = WINDOW_MAX - 1 - (requests - 1) % WINDOW_MAX;
    with_headers(
        json(StatusCode::OK, body),
        &[
            ("x-ratelimit-limit", WINDOW_MAX.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", "2".into()),
        ],
    )
}

// ---- Persons, leads, users -----------------------------------------------------------------

const PERSON: &str = "person";
const LEAD: &str = "lead";

/// The token from `x-api-token`, `?api_token=` or Bearer; checked, then counted against its
/// 2-second window (429 with the `x-ratelimit-*` headers when spent).
fn authorized(
    shared: &Shared,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<u32, Box<Response>> {
    let token = headers
        .get("x-api-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("api_token").cloned())
        .or_else(|| bearer(headers));
    match shared.check(token.as_deref()) {
        Access::Valid => {}
        access => return Err(Box::new(unauthorized(access))),
    }
    count_api(shared);
    let max = shared.options.limits.pipedrive_per_2s;
    let (ok, remaining) = shared.within(
        &format!("pipedrive:{}", token.unwrap_or_default()),
        max,
        std::time::Duration::from_secs(2),
    );
    if !ok {
        let mut response = rate_limited(2);
        response.headers_mut().insert("x-ratelimit-limit", max.into());
        return Err(Box::new(response));
    }
    Ok(if max == 0 { u32::MAX } else { remaining })
}

fn limit_headers(shared: &Shared, response: Response, remaining: u32) -> Response {
    let max = shared.options.limits.pipedrive_per_2s;
    if max == 0 {
        return response;
    }
    with_headers(
        response,
        &[
            ("x-ratelimit-limit", max.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", "2".into()),
        ],
    )
}

fn ok(data: Value, additional: Option<Value>) -> Response {
    let mut body = json!({"success": true, "data": data});
    if let Some(additional) = additional {
        body["additional_data"] = additional;
    }
    json(StatusCode::OK, body)
}

fn invalid(message: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        json!({"success": false, "error": message, "code": "ERR_SCHEMA_VALIDATION_FAILED", "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.", "data": null, "additional_data": null}),
    )
}

fn iso_seconds(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The v2 contact list shape: `[{value, primary, label}]`, the first primary if none is.
fn contact_list(value: &Value) -> Result<Vec<Value>, &'static str> {
    let Some(items) = value.as_array() else {
        return if value.is_null() {
            Ok(Vec::new())
        } else {
            Err("emails and phones must be arrays of {value, primary, label}")
        };
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let v = item["value"].as_str().ok_or("each email or phone needs a value")?;
        out.push(json!({
            "value": v,
            "primary": item["primary"].as_bool().unwrap_or(i == 0),
            "label": item["label"].as_str().unwrap_or("work"),
        }));
    }
    Ok(out)
}

fn person_json(crm: &crate::model::Crm, at: usize) -> Value {
    let record = &crm.records[at];
    let mut person = Value::Object(record.fields.clone());
    person["id"] = json!(record.id.parse::<u64>().unwrap_or_default());
    person["add_time"] = json!(iso_seconds(crm.times[at].0));
    person["update_time"] = json!(iso_seconds(crm.times[at].1));
    person
}

fn owner_ok(shared: &Shared, owner: &Value) -> bool {
    owner.is_null()
        || owner
            .as_u64()
            .is_some_and(|id| shared.account.user.id == id || shared.account.team.iter().any(|p| p.id == id))
}

/// `POST /api/v2/persons`: `name` required; `emails`, `phones`, `owner_id`, `org_id`.
async fn create_person(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return limit_headers(&shared, invalid("Request body is not valid JSON"), remaining);
    };
    let Some(name) = input["name"].as_str().filter(|n| !n.trim().is_empty()) else {
        return limit_headers(&shared, invalid("Validation failed: name: Required"), remaining);
    };
    let (emails, phones) = match (contact_list(&input["emails"]), contact_list(&input["phones"])) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(m), _) | (_, Err(m)) => return limit_headers(&shared, invalid(m), remaining),
    };
    if !owner_ok(&shared, &input["owner_id"]) {
        return limit_headers(&shared, invalid("Validation failed: owner_id: User not found"), remaining);
    }
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), json!(name));
    fields.insert("first_name".into(), json!(first));
    fields.insert("last_name".into(), json!(last));
    fields.insert("owner_id".into(), json!(input["owner_id"].as_u64().unwrap_or(shared.account.user.id)));
    fields.insert("org_id".into(), input["org_id"].clone());
    fields.insert("emails".into(), json!(emails));
    fields.insert("phones".into(), json!(phones));
    fields.insert("is_deleted".into(), json!(false));
    fields.insert("visible_to".into(), json!(input["visible_to"].as_u64().unwrap_or(3)));
    fields.insert("label_ids".into(), json!([]));
    fields.insert("picture_id".into(), Value::Null);
    fields.insert("custom_fields".into(), json!({}));
    let now = super::now_ms();
    let mut inner = shared.lock();
    let crm = &mut inner.crm;
    crm.next_id += 1;
    let id = (crm.next_id + 100).to_string();
    let at = crm.insert(PERSON, id, fields, now);
    let data = person_json(crm, at);
    drop(inner);
    limit_headers(&shared, ok(data, None), remaining)
}

/// `PATCH /api/v2/persons/{id}`: the fields given replace the person's.
async fn update_person(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let Ok(Value::Object(mut input)) = serde_json::from_slice::<Value>(&body) else {
        return limit_headers(&shared, invalid("Request body is not valid JSON"), remaining);
    };
    for key in ["emails", "phones"] {
        if let Some(v) = input.get(key) {
            match contact_list(v) {
                Ok(list) => {
                    input.insert(key.into(), json!(list));
                }
                Err(m) => return limit_headers(&shared, invalid(m), remaining),
            }
        }
    }
    let mut inner = shared.lock();
    let crm = &mut inner.crm;
    let Some(at) = crm.find_id(PERSON, &id) else {
        drop(inner);
        return limit_headers(&shared, status_error(StatusCode::NOT_FOUND), remaining);
    };
    crm.update(at, &input, super::now_ms());
    let data = person_json(crm, at);
    drop(inner);
    limit_headers(&shared, ok(data, None), remaining)
}

async fn get_person(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let inner = shared.lock();
    let Some(at) = inner.crm.find_id(PERSON, &id) else {
        drop(inner);
        return limit_headers(&shared, status_error(StatusCode::NOT_FOUND), remaining);
    };
    let data = person_json(&inner.crm, at);
    drop(inner);
    limit_headers(&shared, ok(data, None), remaining)
}

/// Cursor paging of v2: `limit` (≤ 500, default 100) and an opaque `cursor`.
fn page_of(
    query: &HashMap<String, String>,
    len: usize,
) -> Result<(usize, usize, Option<String>), &'static str> {
    use base64::Engine;
    let limit =
        query.get("limit").map(|l| l.parse::<usize>()).transpose().map_err(|_| "limit must be a number")?;
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err("limit must be between 1 and 500");
    }
    let start = match query.get("cursor") {
        None => 0,
        Some(c) => base64::engine::general_purpose::STANDARD
            .decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
            .ok_or("cursor is invalid")?,
    };
    let end = (start + limit).min(len);
    let next = (end < len).then(|| base64::engine::general_purpose::STANDARD.encode(format!("offset:{end}")));
    Ok((start.min(len), end, next))
}

/// `GET /api/v2/persons?limit&cursor`.
async fn list_persons(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let inner = shared.lock();
    let crm = &inner.crm;
    let people: Vec<usize> = (0..crm.records.len()).filter(|at| crm.records[*at].kind == PERSON).collect();
    let (start, end, next) = match page_of(&query, people.len()) {
        Ok(p) => p,
        Err(m) => {
            drop(inner);
            return limit_headers(&shared, invalid(m), remaining);
        }
    };
    let data: Vec<Value> = people[start..end].iter().map(|at| person_json(crm, *at)).collect();
    drop(inner);
    limit_headers(&shared, ok(json!(data), Some(json!({"next_cursor": next}))), remaining)
}

/// `GET /api/v2/persons/search?term=…&fields=email&exact_match=true`: search items with a
/// score, emails and phones as plain strings.
async fn search_persons(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let term = query.get("term").map(|t| t.trim().to_ascii_lowercase()).unwrap_or_default();
    let exact = query.get("exact_match").is_some_and(|v| v == "true" || v == "1");
    // Two characters at least; one will do for an exact match.
    if term.is_empty() || (term.len() < 2 && !exact) {
        return limit_headers(
            &shared,
            invalid("Validation failed: term: Must be at least 2 characters long"),
            remaining,
        );
    }
    let fields: Vec<String> = query
        .get("fields")
        .map(|f| f.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| vec!["name".into(), "email".into(), "phone".into()]);
    let inner = shared.lock();
    let crm = &inner.crm;
    let mut hits = Vec::new();
    for (at, record) in crm.records.iter().enumerate().filter(|(_, r)| r.kind == PERSON) {
        let strings = |key: &str| -> Vec<String> {
            record
                .fields
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| e["value"].as_str().map(str::to_string))
                .collect()
        };
        let mut candidates = Vec::new();
        for field in &fields {
            match field.as_str() {
                "email" => candidates.extend(strings("emails")),
                "phone" => candidates.extend(strings("phones")),
                "name" => {
                    candidates.extend(record.fields.get("name").and_then(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
        let hit = candidates.iter().any(|c| {
            let c = c.to_ascii_lowercase();
            if exact { c == term } else { c.contains(&term) }
        });
        if hit {
            hits.push(at);
        }
    }
    let (start, end, next) = match page_of(&query, hits.len()) {
        Ok(p) => p,
        Err(m) => {
            drop(inner);
            return limit_headers(&shared, invalid(m), remaining);
        }
    };
    let items: Vec<Value> = hits[start..end]
        .iter()
        .map(|at| {
            let p = person_json(crm, *at);
            let plain = |key: &str| -> Vec<Value> {
                p[key].as_array().into_iter().flatten().map(|e| e["value"].clone()).collect()
            };
            json!({"result_score": if exact { 1.0 } else { 0.5 }, "item": {
                "id": p["id"], "type": "person", "name": p["name"],
                "phones": plain("phones"), "emails": plain("emails"),
                "visible_to": p["visible_to"], "owner": {"id": p["owner_id"]},
                "organization": null, "custom_fields": [], "notes": [],
                "update_time": p["update_time"],
            }})
        })
        .collect();
    drop(inner);
    limit_headers(&shared, ok(json!({ "items": items }), Some(json!({"next_cursor": next}))), remaining)
}

fn lead_json(crm: &crate::model::Crm, at: usize) -> Value {
    let record = &crm.records[at];
    let mut lead = Value::Object(record.fields.clone());
    lead["id"] = json!(record.id);
    lead["add_time"] = json!(super::iso_ms(crm.times[at].0));
    lead["update_time"] = json!(super::iso_ms(crm.times[at].1));
    lead
}

const LEAD_FIELDS: [&str; 13] = [
    "title",
    "owner_id",
    "label_ids",
    "person_id",
    "organization_id",
    "value",
    "expected_close_date",
    "visible_to",
    "was_seen",
    // Set only through the API: where the lead came from, so an integration can find its own.
    "origin_id",
    "channel",
    "channel_id",
    "is_archived",
];

fn check_lead_input(
    shared: &Shared,
    input: &serde_json::Map<String, Value>,
    creating: bool,
) -> Result<(), String> {
    if creating && input.get("title").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err("Validation failed: title: Required".into());
    }
    for key in input.keys() {
        if !LEAD_FIELDS.contains(&key.as_str()) {
            return Err(format!("Validation failed: {key}: Unknown field"));
        }
    }
    let inner = shared.lock();
    if let Some(person) = input.get("person_id").filter(|v| !v.is_null()) {
        let id = person.as_u64().map(|n| n.to_string()).unwrap_or_default();
        if inner.crm.find_id(PERSON, &id).is_none() {
            return Err(format!("Person with id {person} not found"));
        }
    } else if creating && input.get("organization_id").is_none_or(Value::is_null) {
        return Err("A lead must be linked to a person or an organization".into());
    }
    if let Some(owner) = input.get("owner_id")
        && !owner_ok(shared, owner)
    {
        return Err("Validation failed: owner_id: User not found".into());
    }
    Ok(())
}

/// `POST /api/v1/leads`: `title` and a `person_id` (or `organization_id`) required; 201.
async fn create_lead(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(&body) else {
        return limit_headers(
            &shared,
            api_error(StatusCode::BAD_REQUEST, "Request body is not valid JSON"),
            remaining,
        );
    };
    if let Err(message) = check_lead_input(&shared, &input, true) {
        return limit_headers(&shared, api_error(StatusCode::BAD_REQUEST, &message), remaining);
    }
    let user = shared.account.user.id;
    let mut fields = serde_json::Map::new();
    for (k, v) in [
        ("title", json!(null)),
        ("owner_id", json!(user)),
        ("creator_id", json!(user)),
        ("label_ids", json!([])),
        ("person_id", json!(null)),
        ("organization_id", json!(null)),
        ("source_name", json!("API")),
        ("origin", json!("API")),
        ("origin_id", json!(null)),
        ("channel", json!(null)),
        ("channel_id", json!(null)),
        ("is_archived", json!(false)),
        ("was_seen", json!(false)),
        ("value", json!(null)),
        ("expected_close_date", json!(null)),
        ("next_activity_id", json!(null)),
        ("visible_to", json!("3")),
        ("cc_email", json!(format!("{}+lead@pipedrivemail.com", shared.account.company_slug))),
    ] {
        fields.insert(k.into(), v);
    }
    for (k, v) in input {
        fields.insert(k, v);
    }
    let now = super::now_ms();
    let mut inner = shared.lock();
    let id = super::uuid();
    let at = inner.crm.insert(LEAD, id, fields, now);
    let data = lead_json(&inner.crm, at);
    drop(inner);
    let mut response = ok(data, None);
    *response.status_mut() = StatusCode::CREATED;
    limit_headers(&shared, response, remaining)
}

/// `PATCH /api/v1/leads/{id}`: the fields given replace the lead's.
async fn update_lead(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(&body) else {
        return limit_headers(
            &shared,
            api_error(StatusCode::BAD_REQUEST, "Request body is not valid JSON"),
            remaining,
        );
    };
    if let Err(message) = check_lead_input(&shared, &input, false) {
        return limit_headers(&shared, api_error(StatusCode::BAD_REQUEST, &message), remaining);
    }
    let mut inner = shared.lock();
    let Some(at) = inner.crm.find_id(LEAD, &id) else {
        drop(inner);
        return limit_headers(&shared, api_error(StatusCode::NOT_FOUND, "Lead not found"), remaining);
    };
    inner.crm.update(at, &input, super::now_ms());
    let data = lead_json(&inner.crm, at);
    drop(inner);
    limit_headers(&shared, ok(data, None), remaining)
}

async fn get_lead(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let inner = shared.lock();
    let Some(at) = inner.crm.find_id(LEAD, &id) else {
        drop(inner);
        return limit_headers(&shared, api_error(StatusCode::NOT_FOUND, "Lead not found"), remaining);
    };
    let data = lead_json(&inner.crm, at);
    drop(inner);
    limit_headers(&shared, ok(data, None), remaining)
}

/// `GET /api/v1/leads?person_id=&owner_id=&archived_status=&limit=&start=`: leads, oldest
/// first, optionally of one person or owner; v1 paging (`additional_data.pagination`).
async fn list_leads(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let number = |key: &str, default: usize| query.get(key).map_or(Ok(default), |v| v.parse::<usize>());
    let (Ok(limit), Ok(start)) = (number("limit", 100), number("start", 0)) else {
        return limit_headers(&shared, invalid("limit and start must be numbers"), remaining);
    };
    if limit == 0 || limit > 500 {
        return limit_headers(&shared, invalid("limit must be between 1 and 500"), remaining);
    }
    let person = query.get("person_id").map(|p| p.parse::<u64>());
    if matches!(person, Some(Err(_))) {
        return limit_headers(&shared, invalid("person_id must be a number"), remaining);
    }
    let person = person.and_then(Result::ok);
    let owner = query.get("owner_id").and_then(|o| o.parse::<u64>().ok());
    // `archived_status`: archived, not_archived or all (Pipedrive's default: all).
    let archived = match query.get("archived_status").map(String::as_str) {
        Some("archived") => Some(true),
        Some("not_archived") => Some(false),
        _ => None,
    };
    let inner = shared.lock();
    let crm = &inner.crm;
    let field = |at: usize, key: &str| crm.records[at].fields.get(key).cloned().unwrap_or(Value::Null);
    let leads: Vec<usize> = (0..crm.records.len())
        .filter(|at| crm.records[*at].kind == LEAD)
        .filter(|at| person.is_none_or(|p| field(*at, "person_id").as_u64() == Some(p)))
        .filter(|at| owner.is_none_or(|o| field(*at, "owner_id").as_u64() == Some(o)))
        .filter(|at| archived.is_none_or(|a| field(*at, "is_archived").as_bool().unwrap_or(false) == a))
        .collect();
    let end = (start + limit).min(leads.len());
    let data: Vec<Value> = leads[start.min(end)..end].iter().map(|at| lead_json(crm, *at)).collect();
    drop(inner);
    let pagination = json!({"pagination": {"start": start, "limit": limit, "more_items_in_collection": end < leads.len()}});
    limit_headers(&shared, ok(json!(data), Some(pagination)), remaining)
}

/// `GET /api/v1/users`: every user of the company.
async fn users(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let remaining = match authorized(&shared, &query, &headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let account = &shared.account;
    let data: Vec<Value> = std::iter::once(&account.user)
        .chain(account.team.iter())
        .enumerate()
        .map(|(i, p)| {
            json!({
                "id": p.id,
                "name": format!("{} {}", p.first, p.last),
                "default_currency": "USD",
                "locale": "en_US",
                "lang": 1,
                "email": p.email,
                "phone": null,
                "activated": true,
                "last_login": "2026-10-01 08:43:13",
                "created": "2025-03-08 12:00:22",
                "modified": "2026-10-01 08:43:13",
                "has_created_company": i == 0,
                "access": [{"app": "sales", "admin": i == 0, "permission_set_id": "62cc4d7f-4038-4352-abf3-a8c1c822b631"}],
                "active_flag": true,
                "timezone_name": "Europe/Helsinki",
                "timezone_offset": "+02:00",
                "role_id": 1,
                "icon_url": null,
                "is_you": i == 0,
                "is_deleted": false,
            })
        })
        .collect();
    limit_headers(&shared, ok(json!(data), None), remaining)
}
