//! Salesforce: Leads upserted by Leadvault's id in an External ID field, 200 per request
//! (`composite/sobjects/Lead/{field}`, not all-or-none: one refused record does not hold the
//! others back).

use leadvault_core::LeadStatus;
use leadvault_core::outbox::{CrmLink, Outcome, PushItem};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Ctx, Partial, source_label, split_name};
use crate::connector::{at, plain, text};
use crate::http::Auth;
use crate::salesforce::API_VERSION;
use crate::sync::retrying;

const NAME: &str = "Salesforce";

/// The composite API's limit.
pub(super) const BATCH: u32 = 200;

/// The External ID field (text, unique) the org adds to Lead for Leadvault's ids.
pub const EXTERNAL_ID_FIELD: &str = "Leadvault_Id__c";

/// What Salesforce asks for when a required field is not known (its own Web-to-Lead writes it).
const NOT_PROVIDED: &str = "[not provided]";

/// The standard Lead Status picklist.
fn lead_status(status: LeadStatus) -> &'static str {
    match status {
        LeadStatus::New => "Open - Not Contacted",
        LeadStatus::Contacted | LeadStatus::Qualified => "Working - Contacted",
        LeadStatus::Won => "Closed - Converted",
        LeadStatus::Lost | LeadStatus::Spam => "Closed - Not Converted",
    }
}

pub(super) async fn push(ctx: &mut Ctx<'_>, items: &[PushItem]) -> Result<Vec<(PushItem, Outcome)>, Partial> {
    let records: Vec<Value> = items
        .iter()
        .map(|item| {
            let lead = &item.lead;
            let (first, last) = split_name(lead.full_name.as_deref());
            let mut record = json!({
                "attributes": { "type": "Lead" },
                EXTERNAL_ID_FIELD: lead.id,
                "LastName": last.unwrap_or_else(|| NOT_PROVIDED.into()),
                "Company": lead.company.clone().unwrap_or_else(|| NOT_PROVIDED.into()),
                "LeadSource": source_label(&lead.source),
                "Status": lead_status(lead.status),
            });
            for (key, value) in
                [("FirstName", first), ("Email", lead.email.clone()), ("Phone", lead.phone.clone())]
            {
                if let Some(value) = value {
                    record[key] = json!(value);
                }
            }
            record
        })
        .collect();
    let url = at(
        &ctx.connector.hosts().api,
        &format!("/services/data/{API_VERSION}/composite/sobjects/Lead/{EXTERNAL_ID_FIELD}"),
    );
    let body = json!({ "allOrNone": false, "records": records });
    let (http, token) = (ctx.connector.http(), &ctx.credentials.access_token);
    let (answer, _) = retrying(ctx.options, &mut ctx.retries, || {
        http.send_json(NAME, Method::PATCH, url.clone(), Auth::Bearer(token), &body, plain)
    })
    .await?;
    let answers = answer.as_array().cloned().unwrap_or_default();
    // One result per record, in order.
    Ok(items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let r = answers.get(n).unwrap_or(&Value::Null);
            let outcome = match (r.get("success").and_then(Value::as_bool), text(r.get("id"))) {
                (Some(true), Some(id)) => {
                    let link = CrmLink { remote_id: id, remote_lead_id: None };
                    if r.get("created").and_then(Value::as_bool) == Some(true) {
                        Outcome::Created(link)
                    } else {
                        Outcome::Updated(link)
                    }
                }
                _ => {
                    let code = r
                        .pointer("/errors/0/statusCode")
                        .or_else(|| r.pointer("/errors/0/errorCode"))
                        .and_then(Value::as_str)
                        .unwrap_or("no result for this record");
                    Outcome::Failed(format!("Salesforce refused it ({code})"))
                }
            };
            (item.clone(), outcome)
        })
        .collect())
}
