//! Capacity: a CRM's owners and how many open leads each holds, read after each push and kept in
//! the vault (`leadvault_core::crm`) for lead flow rules ("pause the campaign when the sales
//! team is full").
//!
//! - HubSpot: `GET /crm/v3/owners`, then per owner a contacts search counting those with an open
//!   `hs_lead_status`, spaced to HubSpot's four searches a second.
//! - Pipedrive: `GET /api/v1/users`, then per user the leads they own that are not archived.
//! - Salesforce: one SOQL aggregate over the Leads neither converted nor closed (Leadvault sends
//!   lost and spam leads as "Closed - Not Converted"), grouped by `OwnerId`.

use std::time::Duration;

use leadvault_core::connections::Provider;
use leadvault_core::crm::Owner;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Ctx, pace_window};
use crate::connector::{at, text};
use crate::http::{Auth, classify};
use crate::salesforce::API_VERSION;
use crate::sync::{retrying, sleep};
use crate::{Error, Result};

/// HubSpot's lead statuses that mean the lead is still being worked.
const HUBSPOT_OPEN: [&str; 4] = ["NEW", "OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT"];

/// HubSpot allows four CRM searches a second per token.
const HUBSPOT_SEARCH_GAP: Duration = Duration::from_millis(260);

pub(super) async fn read(ctx: &mut Ctx<'_>, provider: Provider) -> Result<Vec<Owner>> {
    match provider {
        Provider::Hubspot => hubspot(ctx).await,
        Provider::Pipedrive => pipedrive(ctx).await,
        Provider::Salesforce => salesforce(ctx).await,
        other => Err(Error::Config(format!("{} is not a CRM", other.display_name()))),
    }
}

/// This read is optional, so a 403 is a refusal of the read, not of the credentials: a token
/// without the owners' scope (HubSpot's `MISSING_SCOPES`, a Pipedrive user or a Salesforce
/// profile without the permission) keeps the sync a success with a warning. A 401 (a token
/// revoked or expired) is left to the usual sorting: the connection needs a new sign-in.
/// (Salesforce's `REQUEST_LIMIT_EXCEEDED`, also a 403, stays a rate limit.)
fn optional_read(provider: &'static str, status: StatusCode, body: &Value) -> Option<Error> {
    if status != StatusCode::FORBIDDEN {
        return None;
    }
    match classify(provider, status, None, body) {
        Error::Unauthorized { reason, .. } => Some(Error::Rejected { provider, reason }),
        _ => None,
    }
}

fn hubspot_read(status: StatusCode, body: &Value) -> Option<Error> {
    optional_read("HubSpot", status, body)
}

fn pipedrive_read(status: StatusCode, body: &Value) -> Option<Error> {
    optional_read("Pipedrive", status, body)
}

fn salesforce_read(status: StatusCode, body: &Value) -> Option<Error> {
    optional_read("Salesforce", status, body)
}

async fn get(ctx: &mut Ctx<'_>, name: &'static str, url: url::Url, body: Option<&Value>) -> Result<Value> {
    let (http, credentials, kind) = (ctx.connector.http(), &ctx.credentials, ctx.auth);
    let special = match name {
        "HubSpot" => hubspot_read,
        "Pipedrive" => pipedrive_read,
        _ => salesforce_read,
    };
    let (answer, headers) = retrying(ctx.options, &mut ctx.retries, || {
        let auth = match name {
            "Pipedrive" => crate::pipedrive::auth(kind, credentials),
            _ => Auth::Bearer(&credentials.access_token),
        };
        let url = url.clone();
        async move {
            match body {
                Some(body) => http.send_json(name, Method::POST, url, auth, body, special).await,
                None => http.json_with_headers(name, Method::GET, url, auth, special).await,
            }
        }
    })
    .await?;
    pace_window(ctx.options, &headers).await?;
    Ok(answer)
}

async fn hubspot(ctx: &mut Ctx<'_>) -> Result<Vec<Owner>> {
    let api = ctx.connector.hosts().api.clone();
    let mut owners = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = at(&api, "/crm/v3/owners");
        url.query_pairs_mut().append_pair("limit", "100");
        if let Some(a) = &after {
            url.query_pairs_mut().append_pair("after", a);
        }
        let answer = get(ctx, "HubSpot", url, None).await?;
        for o in answer.get("results").and_then(Value::as_array).into_iter().flatten() {
            if o.get("archived").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let Some(id) = text(o.get("id")) else { continue };
            let name = [o.get("firstName"), o.get("lastName")]
                .into_iter()
                .filter_map(|v| text(v))
                .collect::<Vec<_>>()
                .join(" ");
            owners.push(Owner {
                id,
                name: Some(name).filter(|n| !n.is_empty()),
                email: text(o.get("email")),
                open_leads: 0,
            });
        }
        after = answer.pointer("/paging/next/after").and_then(|v| text(Some(v)));
        if after.is_none() {
            break;
        }
    }
    let search = at(&api, "/crm/v3/objects/contacts/search");
    for owner in &mut owners {
        let body = json!({
            "filterGroups": [{ "filters": [
                { "propertyName": "hubspot_owner_id", "operator": "EQ", "value": owner.id },
                { "propertyName": "hs_lead_status", "operator": "IN", "values": HUBSPOT_OPEN },
            ]}],
            "properties": ["hs_object_id"],
            "limit": 1,
        });
        sleep(ctx.options, HUBSPOT_SEARCH_GAP).await?;
        let answer = get(ctx, "HubSpot", search.clone(), Some(&body)).await?;
        owner.open_leads = answer.get("total").and_then(Value::as_u64).unwrap_or(0);
    }
    Ok(owners)
}

async fn pipedrive(ctx: &mut Ctx<'_>) -> Result<Vec<Owner>> {
    let api = ctx.connector.hosts().api.clone();
    let answer = get(ctx, "Pipedrive", at(&api, "/api/v1/users"), None).await?;
    let mut owners = Vec::new();
    for u in answer.get("data").and_then(Value::as_array).into_iter().flatten() {
        if u.get("active_flag").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let Some(id) = text(u.get("id")) else { continue };
        owners.push(Owner { id, name: text(u.get("name")), email: text(u.get("email")), open_leads: 0 });
    }
    for owner in &mut owners {
        let mut start = 0u64;
        loop {
            let mut url = at(&api, "/api/v1/leads");
            url.query_pairs_mut()
                .append_pair("owner_id", &owner.id)
                .append_pair("archived_status", "not_archived")
                .append_pair("limit", "500")
                .append_pair("start", &start.to_string());
            let answer = get(ctx, "Pipedrive", url, None).await?;
            let n = answer.get("data").and_then(Value::as_array).map_or(0, Vec::len) as u64;
            owner.open_leads += n;
            start += n;
            let more = answer
                .pointer("/additional_data/pagination/more_items_in_collection")
                .and_then(Value::as_bool);
            if more != Some(true) || n == 0 {
                break;
            }
        }
    }
    Ok(owners)
}

async fn salesforce(ctx: &mut Ctx<'_>) -> Result<Vec<Owner>> {
    let mut url = at(&ctx.connector.hosts().api, &format!("/services/data/{API_VERSION}/query"));
    url.query_pairs_mut().append_pair(
        "q",
        "SELECT OwnerId, COUNT(Id) open FROM Lead WHERE IsConverted = false AND Status != 'Closed - Not Converted' GROUP BY OwnerId",
    );
    let answer = get(ctx, "Salesforce", url, None).await?;
    Ok(answer
        .get("records")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Owner {
                id: text(r.get("OwnerId"))?,
                name: None,
                email: None,
                open_leads: r.get("open").and_then(Value::as_u64).unwrap_or(0),
            })
        })
        .collect())
}
