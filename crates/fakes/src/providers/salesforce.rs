//! Salesforce: the OAuth endpoints of login.salesforce.com and the org's instance
//! (`instance_url`), folded onto one host.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::gaql;
use super::{bearer, count_api, json, standard_oauth_error, with_headers};
use crate::oauth::{self, Issued, OAuthError};
use crate::state::{Access, Shared};

const DAILY_MAX: u64 = 15_000;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/services/oauth2/authorize", get(oauth::authorize))
        .route("/services/oauth2/token", post(oauth::token))
        .route("/services/oauth2/revoke", post(revoke).get(revoke))
        .route("/services/oauth2/userinfo", get(userinfo).post(userinfo))
        .route(&format!("{DATA}/sobjects/Lead"), post(create_lead))
        .route(&format!("{DATA}/sobjects/Lead/"), post(create_lead))
        .route(&format!("{DATA}/sobjects/Lead/{{id}}"), get(get_lead).patch(update_lead))
        .route(&format!("{DATA}/sobjects/Lead/{{field}}/{{value}}"), axum::routing::patch(upsert_lead))
        .route(&format!("{DATA}/composite/sobjects"), post(composite_create))
        .route(&format!("{DATA}/composite/sobjects/Lead/{{field}}"), axum::routing::patch(composite_upsert))
        .route(&format!("{DATA}/query"), get(query))
        .route(&format!("{DATA}/query/"), get(query))
        .route(&format!("{DATA}/query/{{cursor}}"), get(query_more))
}

/// The REST API's base path: version 67.0, the newest seen.
const DATA: &str = "/services/data/v67.0";

fn identity_url(shared: &Shared) -> String {
    format!("{}/id/{}/{}", shared.base_url, shared.account.org_id, shared.account.user_id)
}

/// No `expires_in`: Salesforce sessions end by the org's policy. `signature` is
/// base64(HMAC-SHA256(id + issued_at)) keyed with the client secret. A refresh answer carries
/// no refresh token.
pub(crate) fn token_body(shared: &Shared, issued: &Issued) -> Value {
    let id = identity_url(shared);
    let issued_at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis().to_string();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"leadvault-fake-client-secret");
    let signature = STANDARD.encode(ring::hmac::sign(&key, format!("{id}{issued_at}").as_bytes()));
    let mut body = json!({
        "access_token": issued.access,
        "signature": signature,
        "scope": issued.scope,
        "instance_url": shared.base_url,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    });
    if let (Some(refresh), false) = (&issued.refresh, issued.from_refresh) {
        body["refresh_token"] = json!(refresh);
    }
    body
}

/// Salesforce's documented PKCE rule: a verifier that does not match the challenge fails with
/// `invalid_request`, a missing one with `invalid_grant`.
pub(crate) fn oauth_error(error: OAuthError) -> Response {
    use OAuthError::*;
    let bad = StatusCode::BAD_REQUEST;
    let (code, description) = match error {
        InvalidClient => ("invalid_client_id", "client identifier invalid"),
        InvalidRequest(why) => ("invalid_request", why),
        UnsupportedGrantType => ("unsupported_grant_type", "grant type not supported"),
        UnknownCode | UsedCode => ("invalid_grant", "invalid authorization code"),
        ExpiredCode => ("invalid_grant", "expired authorization code"),
        RedirectMismatch => ("redirect_uri_mismatch", "redirect_uri must match configuration"),
        MissingVerifier => ("invalid_grant", "invalid code verifier"),
        VerifierMismatch => ("invalid_request", "invalid code verifier"),
        BadRefresh | RefusedRefresh => ("invalid_grant", "expired access/refresh token"),
    };
    standard_oauth_error(bad, code, description)
}

fn api_error(status: StatusCode, message: &str, code: &str) -> Response {
    json(status, json!([{ "message": message, "errorCode": code }]))
}

pub(crate) fn unauthorized(_: Access) -> Response {
    api_error(StatusCode::UNAUTHORIZED, "Session expired or invalid", "INVALID_SESSION_ID")
}

pub(crate) fn status_error(status: StatusCode) -> Response {
    match status.as_u16() {
        404 => api_error(status, "The requested resource does not exist", "NOT_FOUND"),
        503 => api_error(status, "Server temporarily unavailable", "SERVER_UNAVAILABLE"),
        500..=599 => api_error(
            status,
            "An unexpected error occurred. Please include this ErrorId if you contact support",
            "UNKNOWN_EXCEPTION",
        ),
        _ => api_error(status, "Bad request", "MALFORMED_QUERY"),
    }
}

/// Salesforce's limit is per 24 hours and has no retry hint: 403 `REQUEST_LIMIT_EXCEEDED` with
/// the usage header at its maximum; `retry_after_secs` is not sent.
pub(crate) fn rate_limited(_retry_after_secs: u64) -> Response {
    with_headers(
        api_error(StatusCode::FORBIDDEN, "TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED"),
        &[("sforce-limit-info", format!("api-usage={DAILY_MAX}/{DAILY_MAX}"))],
    )
}

/// `POST /services/oauth2/revoke` with `token` in the form (or the query for GET): 200 for a
/// token it knows, 400 otherwise.
async fn revoke(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(token) = form.get("token").or_else(|| query.get("token")) else {
        return standard_oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "token is missing");
    };
    if shared.revoke(token) {
        StatusCode::OK.into_response()
    } else {
        standard_oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "invalid token")
    }
}

/// `GET /services/oauth2/userinfo`: the OpenID Connect user info of the token's user.
async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let requests = match shared.check(bearer(&headers).as_deref()) {
        Access::Valid => count_api(&shared),
        access => return unauthorized(access),
    };
    let account = &shared.account;
    let user = &account.user;
    let base = &shared.base_url;
    let username =
        format!("{}.{}@{}.example.com", user.first, user.last, account.company_slug).to_ascii_lowercase();
    let body = json!({
        "sub": identity_url(&shared),
        "user_id": account.user_id,
        "organization_id": account.org_id,
        "preferred_username": username,
        "nickname": user.first.to_ascii_lowercase(),
        "name": format!("{} {}", user.first, user.last),
        "email": user.email,
        "email_verified": true,
        "given_name": user.first,
        "family_name": user.last,
        "zoneinfo": "America/Los_Angeles",
        "photos": {"picture": format!("{base}/profilephoto/005/F"), "thumbnail": format!("{base}/profilephoto/005/T")},
        "profile": format!("{base}/{}", account.user_id),
        "picture": format!("{base}/profilephoto/005/F"),
        "address": {"country": "US"},
        "is_salesforce_integration_user": false,
        "urls": {
            "rest": format!("{base}/services/data/v{{version}}/"),
            "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
            "query": format!("{base}/services/data/v{{version}}/query/"),
        },
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28_800_000,
        "updated_at": "2026-10-01T08:43:13Z",
    });
    with_headers(
        json(StatusCode::OK, body),
        &[("sforce-limit-info", format!("api-usage={requests}/{DAILY_MAX}"))],
    )
}

// ---- Lead sObject, composite, SOQL ---------------------------------------------------------

const LEAD: &str = "Lead";
/// Standard Lead fields the fake knows; custom fields (`…__c`) are all accepted.
const LEAD_FIELDS: [&str; 24] = [
    "Id",
    "FirstName",
    "LastName",
    "Name",
    "Company",
    "Email",
    "Phone",
    "MobilePhone",
    "Title",
    "LeadSource",
    "Status",
    "OwnerId",
    "IsConverted",
    "Rating",
    "Industry",
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "Description",
    "CreatedDate",
    "LastModifiedDate",
    "Website",
];
const READ_ONLY: [&str; 5] = ["Id", "Name", "IsConverted", "CreatedDate", "LastModifiedDate"];

fn known_field(field: &str) -> bool {
    LEAD_FIELDS.contains(&field) || (field.ends_with("__c") && field.len() > 3)
}

fn sf_errors(status: StatusCode, errors: Vec<Value>) -> Response {
    json(status, Value::Array(errors))
}

fn sf_error(message: &str, code: &str, fields: &[&str]) -> Value {
    json!({"message": message, "errorCode": code, "fields": fields})
}

/// Checks the token and counts the call against the org's daily API limit; the usage goes
/// back in `Sforce-Limit-Info`.
fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<u64, Box<Response>> {
    match shared.check(bearer(headers).as_deref()) {
        Access::Valid => {}
        access => return Err(Box::new(unauthorized(access))),
    }
    count_api(shared);
    let used = shared.count_daily("salesforce");
    let max = u64::from(shared.options.limits.salesforce_per_day);
    if max > 0 && used > max {
        return Err(Box::new(rate_limited(0)));
    }
    Ok(used)
}

fn usage(shared: &Shared, response: Response, used: u64) -> Response {
    let max = shared.options.limits.salesforce_per_day;
    with_headers(response, &[("sforce-limit-info", format!("api-usage={used}/{max}"))])
}

fn lead_url(id: &str) -> String {
    format!("{DATA}/sobjects/Lead/{id}")
}

/// A stored Lead with `attributes`, every field (or the ones named).
fn lead_json(crm: &crate::model::Crm, at: usize, fields: Option<&[String]>) -> Value {
    let record = &crm.records[at];
    let mut out = serde_json::Map::new();
    out.insert("attributes".into(), json!({"type": LEAD, "url": lead_url(&record.id)}));
    match fields {
        None => {
            for (k, v) in &record.fields {
                out.insert(k.clone(), v.clone());
            }
        }
        Some(names) => {
            for name in names {
                out.insert(name.clone(), record.fields.get(name).cloned().unwrap_or(Value::Null));
            }
        }
    }
    Value::Object(out)
}

/// A new or changed Lead's fields, checked: known fields only, none read-only, and (when
/// creating) `LastName` and `Company` present.
fn check_fields(
    input: &Value,
    creating: bool,
    skip: Option<&str>,
) -> Result<serde_json::Map<String, Value>, Vec<Value>> {
    let Some(object) = input.as_object() else {
        return Err(vec![sf_error("The request body must be a JSON object", "JSON_PARSER_ERROR", &[])]);
    };
    let mut fields = serde_json::Map::new();
    for (k, v) in object {
        if k == "attributes" || Some(k.as_str()) == skip {
            continue;
        }
        if !known_field(k) {
            return Err(vec![sf_error(
                &format!("No such column '{k}' on sobject of type Lead"),
                "INVALID_FIELD",
                &[],
            )]);
        }
        if READ_ONLY.contains(&k.as_str()) {
            return Err(vec![sf_error(
                &format!(
                    "Unable to create/update fields: {k}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."
                ),
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                &[k],
            )]);
        }
        if k == "Email" && v.as_str().is_some_and(|e| !e.contains('@')) {
            return Err(vec![sf_error(
                &format!("Email: invalid email address: {}", v.as_str().unwrap_or_default()),
                "INVALID_EMAIL_ADDRESS",
                &["Email"],
            )]);
        }
        fields.insert(k.clone(), v.clone());
    }
    if creating {
        let missing: Vec<&str> = ["LastName", "Company"]
            .into_iter()
            .filter(|f| fields.get(*f).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()))
            .collect();
        if !missing.is_empty() {
            return Err(vec![sf_error(
                &format!("Required fields are missing: [{}]", missing.join(", ")),
                "REQUIRED_FIELD_MISSING",
                &missing,
            )]);
        }
    }
    Ok(fields)
}

fn new_lead_id(shared: &Shared, crm: &mut crate::model::Crm) -> String {
    crm.next_id += 1;
    let mut rng = crate::seed::Rng::new(shared.options.seed ^ crm.next_id, "salesforce-lead-id");
    format!("00Q{}", rng.alnum(15))
}

fn sf_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

/// Stores a new Lead with Salesforce's defaults; returns its id.
fn insert_lead(
    shared: &Shared,
    crm: &mut crate::model::Crm,
    mut fields: serde_json::Map<String, Value>,
) -> String {
    let now = super::now_ms();
    let id = new_lead_id(shared, crm);
    let first = fields.get("FirstName").and_then(Value::as_str).unwrap_or_default().to_string();
    let last = fields.get("LastName").and_then(Value::as_str).unwrap_or_default().to_string();
    fields.insert("Id".into(), json!(id));
    fields.insert("Name".into(), json!(format!("{first} {last}").trim().to_string()));
    fields.entry("OwnerId").or_insert_with(|| json!(shared.account.user_id));
    fields.entry("Status").or_insert_with(|| json!("Open - Not Contacted"));
    fields.insert("IsConverted".into(), json!(false));
    fields.insert("CreatedDate".into(), json!(sf_time(now)));
    fields.insert("LastModifiedDate".into(), json!(sf_time(now)));
    let externals: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| k.ends_with("__c"))
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    let at = crm.insert(LEAD, id.clone(), fields, now);
    for (k, v) in externals {
        crm.set_key(LEAD, &k, &v, at);
    }
    id
}

fn update_fields(crm: &mut crate::model::Crm, at: usize, mut fields: serde_json::Map<String, Value>) {
    let now = super::now_ms();
    fields.insert("LastModifiedDate".into(), json!(sf_time(now)));
    for (k, v) in &fields {
        if k.ends_with("__c")
            && let Some(s) = v.as_str()
        {
            crm.set_key(LEAD, k, s, at);
        }
    }
    crm.update(at, &fields, now);
}

/// `POST sobjects/Lead/`: 201 `{"id","success":true,"errors":[]}`.
async fn create_lead(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return usage(
            &shared,
            sf_errors(
                StatusCode::BAD_REQUEST,
                vec![sf_error("Unexpected character in the JSON body", "JSON_PARSER_ERROR", &[])],
            ),
            used,
        );
    };
    let fields = match check_fields(&input, true, None) {
        Ok(f) => f,
        Err(errors) => return usage(&shared, sf_errors(StatusCode::BAD_REQUEST, errors), used),
    };
    let mut inner = shared.lock();
    let id = insert_lead(&shared, &mut inner.crm, fields);
    drop(inner);
    usage(&shared, json(StatusCode::CREATED, json!({"id": id, "success": true, "errors": []})), used)
}

/// `GET sobjects/Lead/{id}?fields=…`.
async fn get_lead(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let inner = shared.lock();
    let Some(at) = inner.crm.find_id(LEAD, &id) else {
        drop(inner);
        return usage(&shared, status_error(StatusCode::NOT_FOUND), used);
    };
    let fields: Option<Vec<String>> = q.get("fields").map(|f| f.split(',').map(str::to_string).collect());
    let body = lead_json(&inner.crm, at, fields.as_deref());
    drop(inner);
    usage(&shared, json(StatusCode::OK, body), used)
}

/// `PATCH sobjects/Lead/{id}`: 204.
async fn update_lead(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let input = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let fields = match check_fields(&input, false, None) {
        Ok(f) => f,
        Err(errors) => return usage(&shared, sf_errors(StatusCode::BAD_REQUEST, errors), used),
    };
    let mut inner = shared.lock();
    let Some(at) = inner.crm.find_id(LEAD, &id) else {
        drop(inner);
        return usage(&shared, status_error(StatusCode::NOT_FOUND), used);
    };
    update_fields(&mut inner.crm, at, fields);
    drop(inner);
    usage(&shared, StatusCode::NO_CONTENT.into_response(), used)
}

enum Upserted {
    Created(String),
    Updated(String),
}

/// Upserts one record by an external id field: updates the one match, creates when none.
fn upsert_one(
    shared: &Shared,
    crm: &mut crate::model::Crm,
    field: &str,
    value: &str,
    input: &Value,
) -> Result<Upserted, Vec<Value>> {
    if !field.ends_with("__c") && field != "Id" {
        return Err(vec![sf_error(
            &format!("Provided external ID field does not exist or is not accessible: {field}"),
            "NOT_FOUND",
            &[],
        )]);
    }
    match crm.find_key(LEAD, field, value) {
        Some(at) => {
            let fields = check_fields(input, false, Some(field))?;
            let id = crm.records[at].id.clone();
            update_fields(crm, at, fields);
            Ok(Upserted::Updated(id))
        }
        None => {
            let mut fields = check_fields(input, true, Some(field))?;
            fields.insert(field.to_string(), json!(value));
            Ok(Upserted::Created(insert_lead(shared, crm, fields)))
        }
    }
}

/// `PATCH sobjects/Lead/{ExternalIdField__c}/{value}`: 201 `{"id","success","errors","created":true}`
/// when it created a Lead, 204 when it updated the one with that value.
async fn upsert_lead(
    State(shared): State<Arc<Shared>>,
    Path((field, value)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let input = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let mut inner = shared.lock();
    let result = upsert_one(&shared, &mut inner.crm, &field, &value, &input);
    drop(inner);
    let response = match result {
        Ok(Upserted::Created(id)) => {
            json(StatusCode::CREATED, json!({"id": id, "success": true, "errors": [], "created": true}))
        }
        Ok(Upserted::Updated(_)) => StatusCode::NO_CONTENT.into_response(),
        Err(errors) => sf_errors(StatusCode::BAD_REQUEST, errors),
    };
    usage(&shared, response, used)
}

fn record_error(errors: Vec<Value>) -> Value {
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({"statusCode": e["errorCode"], "message": e["message"], "fields": e["fields"]}))
        .collect();
    json!({"success": false, "errors": errors})
}

fn rolled_back() -> Value {
    json!({"success": false, "errors": [{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
        "fields": []
    }]})
}

/// The records of a composite request (≤ 200, all of type Lead).
fn composite_records(input: &Value) -> Result<(bool, Vec<Value>), Vec<Value>> {
    let records = input["records"].as_array().cloned().unwrap_or_default();
    if records.is_empty() {
        return Err(vec![sf_error("The records list is empty", "INVALID_INPUT", &[])]);
    }
    if records.len() > 200 {
        return Err(vec![sf_error(
            &format!("Too many records: {} (the limit is 200)", records.len()),
            "EXCEEDED_ID_LIMIT",
            &[],
        )]);
    }
    for r in &records {
        if r["attributes"]["type"].as_str() != Some(LEAD) {
            return Err(vec![sf_error(
                "Each record needs attributes.type (only Lead is served)",
                "INVALID_TYPE",
                &[],
            )]);
        }
    }
    Ok((input["allOrNone"].as_bool().unwrap_or(false), records))
}

/// `POST composite/sobjects`: creates up to 200 Leads; one result per record, in order;
/// with `allOrNone` one failure rolls every record back.
async fn composite_create(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let input = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let (all_or_none, records) = match composite_records(&input) {
        Ok(r) => r,
        Err(errors) => return usage(&shared, sf_errors(StatusCode::BAD_REQUEST, errors), used),
    };
    let checked: Vec<_> = records.iter().map(|r| check_fields(r, true, None)).collect();
    let failed = checked.iter().any(Result::is_err);
    let mut inner = shared.lock();
    let mut results = Vec::new();
    for c in checked {
        results.push(match c {
            Err(errors) => record_error(errors),
            Ok(_) if all_or_none && failed => rolled_back(),
            Ok(fields) => {
                json!({"id": insert_lead(&shared, &mut inner.crm, fields), "success": true, "errors": []})
            }
        });
    }
    drop(inner);
    usage(&shared, json(StatusCode::OK, Value::Array(results)), used)
}

/// `PATCH composite/sobjects/Lead/{ExternalIdField__c}`: upserts up to 200 Leads by the
/// field; each result says `created` true or false.
async fn composite_upsert(
    State(shared): State<Arc<Shared>>,
    Path(field): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let input = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let (all_or_none, records) = match composite_records(&input) {
        Ok(r) => r,
        Err(errors) => return usage(&shared, sf_errors(StatusCode::BAD_REQUEST, errors), used),
    };
    let mut inner = shared.lock();
    // Rolled back on a failure with allOrNone: run on a copy, keep it only if all went well.
    let mut work = std::mem::take(&mut inner.crm);
    let backup_len = work.records.len();
    let snapshot = if all_or_none {
        Some((work.records.clone(), work.times.clone(), work.keys.clone(), work.writes))
    } else {
        None
    };
    let mut results = Vec::new();
    let mut failed = false;
    for r in &records {
        let Some(value) = r[field.as_str()].as_str().map(str::to_string) else {
            failed = true;
            results.push(record_error(vec![sf_error(
                &format!("The external id field {field} is missing"),
                "MISSING_ARGUMENT",
                &[&field],
            )]));
            continue;
        };
        results.push(match upsert_one(&shared, &mut work, &field, &value, r) {
            Ok(Upserted::Created(id)) => json!({"id": id, "success": true, "errors": [], "created": true}),
            Ok(Upserted::Updated(id)) => json!({"id": id, "success": true, "errors": [], "created": false}),
            Err(errors) => {
                failed = true;
                record_error(errors)
            }
        });
    }
    if let (true, Some((records_, times, keys, writes))) = (failed, snapshot) {
        work.records = records_;
        work.times = times;
        work.keys = keys;
        work.writes = writes;
        debug_assert_eq!(work.records.len(), backup_len);
        for r in results.iter_mut() {
            if r["success"] == true {
                *r = rolled_back();
            }
        }
    }
    inner.crm = work;
    drop(inner);
    usage(&shared, json(StatusCode::OK, Value::Array(results)), used)
}

// SOQL: SELECT a, COUNT(Id) [alias] FROM Lead [WHERE c AND …] [GROUP BY f] [ORDER BY f [ASC|DESC]] [LIMIT n]

struct Soql {
    select: Vec<(String, Option<String>)>,
    conditions: Vec<(String, String, Vec<Value>)>,
    group: Option<String>,
    order: Option<(String, bool)>,
    limit: Option<usize>,
}

fn malformed(message: impl Into<String>) -> Vec<Value> {
    vec![json!({"message": message.into(), "errorCode": "MALFORMED_QUERY"})]
}

fn soql_value(token: Option<&gaql::Token>) -> Result<Value, Vec<Value>> {
    use gaql::Token::*;
    Ok(match token {
        Some(Text(s)) => json!(s),
        Some(Number(n)) => json!(n),
        Some(Word(w)) if w.eq_ignore_ascii_case("true") => json!(true),
        Some(Word(w)) if w.eq_ignore_ascii_case("false") => json!(false),
        Some(Word(w)) if w.eq_ignore_ascii_case("null") => Value::Null,
        // Date literals such as 2026-10-01T00:00:00Z come as words and numbers: take the word.
        Some(Word(w)) => json!(w),
        other => return Err(malformed(format!("unexpected token: {other:?}"))),
    })
}

fn parse_soql(text: &str) -> Result<Soql, Vec<Value>> {
    use gaql::Token::*;
    let tokens = gaql::tokenize(text).map_err(|e| malformed(e.message))?;
    let mut at = 0;
    let word = |at: usize, w: &str| matches!(tokens.get(at), Some(Word(x)) if x.eq_ignore_ascii_case(w));
    if !word(at, "SELECT") {
        return Err(malformed("unexpected token: expected SELECT"));
    }
    at += 1;
    let mut select = Vec::new();
    loop {
        match tokens.get(at) {
            Some(Word(f)) if f.eq_ignore_ascii_case("COUNT") && tokens.get(at + 1) == Some(&Symbol("(")) => {
                let inner = match tokens.get(at + 2) {
                    Some(Word(x)) => x.clone(),
                    _ => "Id".into(),
                };
                let close = if tokens.get(at + 2) == Some(&Symbol(")")) { at + 2 } else { at + 3 };
                at = close + 1;
                let alias = match tokens.get(at) {
                    Some(Word(a))
                        if !a.eq_ignore_ascii_case("FROM") && tokens.get(at) != Some(&Symbol(",")) =>
                    {
                        at += 1;
                        Some(a.clone())
                    }
                    _ => None,
                };
                select.push((format!("COUNT({inner})"), alias));
            }
            Some(Word(f)) => {
                select.push((f.clone(), None));
                at += 1;
            }
            _ => return Err(malformed("unexpected token in SELECT")),
        }
        if tokens.get(at) == Some(&Symbol(",")) {
            at += 1;
        } else {
            break;
        }
    }
    if !word(at, "FROM") {
        return Err(malformed("unexpected token: expected FROM"));
    }
    match tokens.get(at + 1) {
        Some(Word(o)) if o == LEAD => {}
        Some(Word(o)) => {
            return Err(vec![
                json!({"message": format!("sObject type '{o}' is not supported."), "errorCode": "INVALID_TYPE"}),
            ]);
        }
        _ => return Err(malformed("expected an object after FROM")),
    }
    at += 2;
    let mut conditions = Vec::new();
    if word(at, "WHERE") {
        at += 1;
        loop {
            let Some(Word(field)) = tokens.get(at) else {
                return Err(malformed("expected a field in WHERE"));
            };
            at += 1;
            let op = match tokens.get(at) {
                Some(Symbol(s)) => s.to_string(),
                Some(Word(w)) if w.eq_ignore_ascii_case("IN") || w.eq_ignore_ascii_case("LIKE") => {
                    w.to_ascii_uppercase()
                }
                Some(Word(w)) if w.eq_ignore_ascii_case("NOT") && word(at + 1, "IN") => {
                    at += 1;
                    "NOT IN".into()
                }
                _ => return Err(malformed(format!("unexpected operator after {field}"))),
            };
            at += 1;
            let mut values = Vec::new();
            if op == "IN" || op == "NOT IN" {
                if tokens.get(at) != Some(&Symbol("(")) {
                    return Err(malformed("IN needs a list"));
                }
                at += 1;
                while tokens.get(at) != Some(&Symbol(")")) {
                    values.push(soql_value(tokens.get(at))?);
                    at += 1;
                    if tokens.get(at) == Some(&Symbol(",")) {
                        at += 1;
                    }
                    if at >= tokens.len() {
                        return Err(malformed("unterminated list"));
                    }
                }
                at += 1;
            } else {
                values.push(soql_value(tokens.get(at))?);
                at += 1;
            }
            conditions.push((field.clone(), op, values));
            if word(at, "AND") {
                at += 1;
            } else {
                break;
            }
        }
    }
    let mut group = None;
    if word(at, "GROUP") && word(at + 1, "BY") {
        let Some(Word(f)) = tokens.get(at + 2) else {
            return Err(malformed("expected a field after GROUP BY"));
        };
        group = Some(f.clone());
        at += 3;
    }
    let mut order = None;
    if word(at, "ORDER") && word(at + 1, "BY") {
        let Some(Word(f)) = tokens.get(at + 2) else {
            return Err(malformed("expected a field after ORDER BY"));
        };
        at += 3;
        let descending = word(at, "DESC");
        if descending || word(at, "ASC") {
            at += 1;
        }
        order = Some((f.clone(), descending));
    }
    let mut limit = None;
    if word(at, "LIMIT") {
        match tokens.get(at + 1) {
            Some(Number(n)) if *n >= 0.0 => limit = Some(*n as usize),
            _ => return Err(malformed("LIMIT needs a number")),
        }
        at += 2;
    }
    if at < tokens.len() {
        return Err(malformed(format!("unexpected token: {:?}", tokens[at])));
    }
    for (field, _) in &select {
        let base = field.strip_prefix("COUNT(").and_then(|f| f.strip_suffix(')')).unwrap_or(field);
        if !known_field(base) {
            return Err(vec![
                json!({"message": format!("No such column '{base}' on entity 'Lead'."), "errorCode": "INVALID_FIELD"}),
            ]);
        }
    }
    for (field, _, _) in &conditions {
        if !known_field(field) {
            return Err(vec![
                json!({"message": format!("No such column '{field}' on entity 'Lead'."), "errorCode": "INVALID_FIELD"}),
            ]);
        }
    }
    let aggregate = select.iter().any(|(f, _)| f.starts_with("COUNT("));
    if aggregate {
        for (f, _) in &select {
            if !f.starts_with("COUNT(") && group.as_deref() != Some(f.as_str()) {
                return Err(malformed(format!("Field must be grouped or aggregated: {f}")));
            }
        }
    }
    Ok(Soql { select, conditions, group, order, limit })
}

fn soql_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Null) => Some(std::cmp::Ordering::Equal),
        (Value::String(x), Value::String(y)) => Some(x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase())),
        _ => None,
    }
}

fn soql_holds(record: &crate::model::CrmRecord, (field, op, values): &(String, String, Vec<Value>)) -> bool {
    use std::cmp::Ordering::*;
    let actual = record.fields.get(field).cloned().unwrap_or(Value::Null);
    let first = values.first().cloned().unwrap_or(Value::Null);
    let ord = soql_cmp(&actual, &first);
    match op.as_str() {
        "=" => ord == Some(Equal),
        "!=" => ord != Some(Equal),
        ">" => ord == Some(Greater),
        ">=" => matches!(ord, Some(Greater | Equal)),
        "<" => ord == Some(Less),
        "<=" => matches!(ord, Some(Less | Equal)),
        "IN" => values.iter().any(|v| soql_cmp(&actual, v) == Some(Equal)),
        "NOT IN" => !values.iter().any(|v| soql_cmp(&actual, v) == Some(Equal)),
        "LIKE" => {
            let pattern = first.as_str().unwrap_or_default().to_ascii_lowercase();
            let text = actual.as_str().unwrap_or_default().to_ascii_lowercase();
            let core = pattern.trim_matches('%');
            match (pattern.starts_with('%'), pattern.ends_with('%')) {
                (true, true) => text.contains(core),
                (true, false) => text.ends_with(core),
                (false, true) => text.starts_with(core),
                _ => text == core,
            }
        }
        _ => false,
    }
}

/// Rows per answer before `nextRecordsUrl` (Salesforce's default batch).
const BATCH: usize = 2_000;

fn query_answer(shared: &Shared, rows: Vec<Value>, from: usize, cursor: &str) -> Value {
    let total = rows.len();
    let end = (from + BATCH).min(total);
    let mut body = json!({"totalSize": total, "done": end >= total, "records": rows[from.min(total)..end]});
    if end < total {
        body["nextRecordsUrl"] = json!(format!("{DATA}/query/{cursor}-{end}"));
        shared.lock().snapshots.insert(cursor.to_string(), rows);
    }
    body
}

/// `GET query?q=SOQL`.
async fn query(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let Some(text) = q.get("q") else {
        return usage(
            &shared,
            sf_errors(StatusCode::BAD_REQUEST, malformed("A query string (q) is required")),
            used,
        );
    };
    let soql = match parse_soql(text) {
        Ok(s) => s,
        Err(errors) => return usage(&shared, sf_errors(StatusCode::BAD_REQUEST, errors), used),
    };
    let inner = shared.lock();
    let crm = &inner.crm;
    let mut hits: Vec<usize> = (0..crm.records.len())
        .filter(|at| {
            crm.records[*at].kind == LEAD && soql.conditions.iter().all(|c| soql_holds(&crm.records[*at], c))
        })
        .collect();
    let mut rows: Vec<Value> = if soql.select.iter().any(|(f, _)| f.starts_with("COUNT(")) {
        let mut groups: Vec<(Value, usize)> = Vec::new();
        for at in &hits {
            let key = soql
                .group
                .as_ref()
                .and_then(|g| crm.records[*at].fields.get(g).cloned())
                .unwrap_or(Value::Null);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => groups.push((key, 1)),
            }
        }
        if soql.group.is_none() && groups.is_empty() {
            groups.push((Value::Null, 0));
        }
        groups
            .into_iter()
            .map(|(key, n)| {
                let mut row = serde_json::Map::new();
                row.insert("attributes".into(), json!({"type": "AggregateResult"}));
                let mut expr = 0;
                for (f, alias) in &soql.select {
                    if f.starts_with("COUNT(") {
                        let name = alias.clone().unwrap_or_else(|| format!("expr{expr}"));
                        expr += 1;
                        row.insert(name, json!(n));
                    } else {
                        row.insert(f.clone(), key.clone());
                    }
                }
                Value::Object(row)
            })
            .collect()
    } else {
        if let Some((field, descending)) = &soql.order {
            hits.sort_by(|a, b| {
                let x = crm.records[*a].fields.get(field).cloned().unwrap_or(Value::Null);
                let y = crm.records[*b].fields.get(field).cloned().unwrap_or(Value::Null);
                let o = soql_cmp(&x, &y).unwrap_or(std::cmp::Ordering::Equal);
                if *descending { o.reverse() } else { o }
            });
        }
        let names: Vec<String> = soql.select.iter().map(|(f, _)| f.clone()).collect();
        hits.iter().map(|at| lead_json(crm, *at, Some(&names))).collect()
    };
    drop(inner);
    if let Some(limit) = soql.limit {
        rows.truncate(limit);
    }
    let cursor = format!("01g{}", super::random(15, super::ALNUM));
    let body = query_answer(&shared, rows, 0, &cursor);
    usage(&shared, json(StatusCode::OK, body), used)
}

/// `GET query/{cursor}-{offset}`: the next batch of an earlier query.
async fn query_more(
    State(shared): State<Arc<Shared>>,
    Path(locator): Path<String>,
    headers: HeaderMap,
) -> Response {
    let used = match authorized(&shared, &headers) {
        Ok(u) => u,
        Err(response) => return *response,
    };
    let parsed = locator.rsplit_once('-').and_then(|(c, o)| Some((c.to_string(), o.parse::<usize>().ok()?)));
    let rows = parsed.as_ref().and_then(|(c, _)| shared.lock().snapshots.get(c).cloned());
    let (Some((cursor, from)), Some(rows)) = (parsed, rows) else {
        return usage(
            &shared,
            sf_errors(
                StatusCode::BAD_REQUEST,
                vec![json!({"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"})],
            ),
            used,
        );
    };
    let body = query_answer(&shared, rows, from, &cursor);
    usage(&shared, json(StatusCode::OK, body), used)
}
