//! HubSpot: contacts upserted by email, 100 per request (`batch/upsert`); the status as
//! `hs_lead_status`.

use std::collections::HashSet;

use leadvault_core::LeadStatus;
use leadvault_core::outbox::{CrmLink, Outcome, PushItem};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Ctx, Partial, pace_window, split_name};
use crate::connector::{at, plain};
use crate::http::Auth;
use crate::sync::retrying;

const NAME: &str = "HubSpot";

/// HubSpot's batch limit.
pub(super) const BATCH: u32 = 100;

/// HubSpot's default lead statuses.
fn lead_status(status: LeadStatus) -> &'static str {
    match status {
        LeadStatus::New => "NEW",
        LeadStatus::Contacted => "ATTEMPTED_TO_CONTACT",
        LeadStatus::Qualified => "IN_PROGRESS",
        LeadStatus::Won => "OPEN_DEAL",
        LeadStatus::Lost | LeadStatus::Spam => "UNQUALIFIED",
    }
}

pub(super) async fn push(ctx: &mut Ctx<'_>, items: &[PushItem]) -> Result<Vec<(PushItem, Outcome)>, Partial> {
    let mut results = Vec::new();
    let mut inputs = Vec::new();
    let mut sent: Vec<(&PushItem, String)> = Vec::new();
    let mut emails = HashSet::new();
    for item in items {
        let Some(email) = item.lead.email.as_deref().map(str::to_ascii_lowercase) else {
            results.push((
                item.clone(),
                Outcome::Skipped("HubSpot matches contacts by email; this lead has none".into()),
            ));
            continue;
        };
        // One input per email and request (HubSpot refuses duplicates): two leads of one
        // person go in turn, to the one contact.
        if !emails.insert(email.clone()) {
            continue;
        }
        let (first, last) = split_name(item.lead.full_name.as_deref());
        let mut properties = json!({ "email": email, "hs_lead_status": lead_status(item.lead.status) });
        for (key, value) in [
            ("firstname", first),
            ("lastname", last),
            ("phone", item.lead.phone.clone()),
            ("company", item.lead.company.clone()),
        ] {
            if let Some(value) = value {
                properties[key] = json!(value);
            }
        }
        inputs.push(json!({ "idProperty": "email", "id": email, "properties": properties }));
        sent.push((item, email));
    }
    if inputs.is_empty() {
        return Ok(results);
    }
    let url = at(&ctx.connector.hosts().api, "/crm/v3/objects/contacts/batch/upsert");
    let body = json!({ "inputs": inputs });
    let (http, token) = (ctx.connector.http(), &ctx.credentials.access_token);
    let (answer, headers) = retrying(ctx.options, &mut ctx.retries, || {
        http.send_json(NAME, Method::POST, url.clone(), Auth::Bearer(token), &body, plain)
    })
    .await
    .map_err(|error| Partial { done: results.clone(), error })?;
    let by_email: Vec<(String, String, bool)> = answer
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let email = r.pointer("/properties/email")?.as_str()?.to_ascii_lowercase();
            let id = crate::connector::text(r.get("id"))?;
            Some((email, id, r.get("new").and_then(Value::as_bool).unwrap_or(false)))
        })
        .collect();
    for (item, email) in sent {
        let outcome = match by_email.iter().find(|(e, _, _)| *e == email) {
            Some((_, id, new)) => {
                let link = CrmLink { remote_id: id.clone(), remote_lead_id: None };
                if *new { Outcome::Created(link) } else { Outcome::Updated(link) }
            }
            None => Outcome::Failed("HubSpot's answer did not include this contact".into()),
        };
        results.push((item.clone(), outcome));
    }
    pace_window(ctx.options, &headers).await.map_err(|error| Partial { done: results.clone(), error })?;
    Ok(results)
}
