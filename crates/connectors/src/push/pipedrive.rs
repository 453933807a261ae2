//! Pipedrive: a person (found by email or phone, or made), then a lead for that person whose
//! `origin_id` is the Leadvault id, so it can be found again. Pipedrive has no upsert and no
//! idempotency key: each remote id is remembered as soon as it is known, and looked up before
//! anything is made.

use leadvault_core::LeadStatus;
use leadvault_core::outbox::{CrmLink, Outbox, Outcome, PushItem};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Ctx, Partial, pace_window, source_label};
use crate::connector::{at, plain, text};
use crate::sync::{SyncOptions, backoff, retrying, sleep};
use crate::{Error, Result};

const NAME: &str = "Pipedrive";

/// Leads per round; each takes a few requests.
pub(super) const BATCH: u32 = 50;

pub(super) async fn push(
    ctx: &mut Ctx<'_>,
    outbox: &Outbox<'_>,
    items: &[PushItem],
) -> Result<Vec<(PushItem, Outcome)>, Partial> {
    let mut done = Vec::new();
    for item in items {
        // A create is never sent twice blindly: its answer may have been lost after Pipedrive
        // made the record. A transient failure starts the lead over from the lookups instead.
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            let mut item = item.clone();
            let link = outbox.link(item.lead_seq).await;
            if let Some(link) = link.map_err(|e| Partial { done: done.clone(), error: e.into() })? {
                item.link = Some(link);
            }
            match push_one(ctx, outbox, &item).await {
                Err(e) if e.transient() && attempt < ctx.options.attempts => {
                    let wait = match &e {
                        Error::RateLimited { retry_after_secs, .. } => {
                            std::time::Duration::from_secs(*retry_after_secs)
                                .max(backoff(ctx.options, attempt))
                        }
                        _ => backoff(ctx.options, attempt),
                    };
                    if wait > ctx.options.max_wait {
                        break Err(e);
                    }
                    ctx.retries += 1;
                    sleep(ctx.options, wait).await.map_err(|error| Partial { done: done.clone(), error })?;
                }
                other => break other,
            }
        };
        match outcome {
            Ok(outcome) => done.push((item.clone(), outcome)),
            // This lead's data was refused; the others may go.
            Err(Error::Rejected { reason, .. }) => {
                done.push((item.clone(), Outcome::Failed(format!("Pipedrive refused it ({reason})"))))
            }
            Err(error) => return Err(Partial { done, error }),
        }
    }
    Ok(done)
}

async fn push_one(ctx: &mut Ctx<'_>, outbox: &Outbox<'_>, item: &PushItem) -> Result<Outcome> {
    let lead = &item.lead;
    // A person made just now has no lead yet: no need to look for one.
    let mut made_person = false;
    let person = match &item.link {
        Some(link) => link.remote_id.clone(),
        None => {
            let found = match (&lead.email, &lead.phone) {
                (Some(email), _) => find_person(ctx, "email", email).await?,
                (None, Some(phone)) => find_person(ctx, "phone", phone).await?,
                (None, None) => {
                    return Ok(Outcome::Skipped(
                        "Pipedrive persons are found by email or phone; this lead has neither".into(),
                    ));
                }
            };
            let id = match found {
                Some(id) => id,
                None => {
                    made_person = true;
                    create_person(ctx, item).await?
                }
            };
            // Known now: a crash from here on finds it again instead of making another.
            outbox.save_link(item.lead_seq, &CrmLink { remote_id: id.clone(), remote_lead_id: None }).await?;
            id
        }
    };
    let existing = match item.link.as_ref().and_then(|l| l.remote_lead_id.clone()) {
        Some(id) => Some(id),
        None if made_person => None,
        None => find_lead(ctx, &person, &lead.id).await?,
    };
    let archived = matches!(lead.status, LeadStatus::Lost | LeadStatus::Spam);
    match existing {
        Some(id) => {
            let url = at(&ctx.connector.hosts().api, &format!("/api/v1/leads/{id}"));
            call(ctx, Method::PATCH, url, Some(json!({ "is_archived": archived }))).await?;
            Ok(Outcome::Updated(CrmLink { remote_id: person, remote_lead_id: Some(id) }))
        }
        None => {
            let title = match (&lead.full_name, &lead.form_name) {
                (Some(name), Some(form)) => format!("{name} — {form}"),
                (Some(name), None) => format!("{name} — {}", source_label(&lead.source)),
                (None, _) => format!("Lead from {}", source_label(&lead.source)),
            };
            let person_id: u64 = person.parse().map_err(|_| Error::Rejected {
                provider: NAME,
                reason: "a person id that is not a number".into(),
            })?;
            let body = json!({ "title": title, "person_id": person_id, "origin_id": lead.id, "is_archived": archived });
            let url = at(&ctx.connector.hosts().api, "/api/v1/leads");
            let answer = call(ctx, Method::POST, url, Some(body)).await?;
            let id = text(answer.pointer("/data/id")).ok_or_else(|| Error::Unavailable {
                provider: NAME,
                reason: "its answer had no lead id".into(),
            })?;
            Ok(Outcome::Created(CrmLink { remote_id: person, remote_lead_id: Some(id) }))
        }
    }
}

async fn find_person(ctx: &mut Ctx<'_>, field: &str, value: &str) -> Result<Option<String>> {
    let mut url = at(&ctx.connector.hosts().api, "/api/v2/persons/search");
    url.query_pairs_mut()
        .append_pair("term", value)
        .append_pair("fields", field)
        .append_pair("exact_match", "true");
    let answer = call(ctx, Method::GET, url, None).await?;
    Ok(answer
        .pointer("/data/items")
        .and_then(Value::as_array)
        .and_then(|items| items.first())
        .and_then(|hit| text(hit.pointer("/item/id"))))
}

async fn create_person(ctx: &mut Ctx<'_>, item: &PushItem) -> Result<String> {
    let lead = &item.lead;
    let name = lead.full_name.clone().or_else(|| lead.email.clone()).unwrap_or_else(|| "Unknown".into());
    let mut body = json!({ "name": name });
    if let Some(email) = &lead.email {
        body["emails"] = json!([{ "value": email, "primary": true, "label": "work" }]);
    }
    if let Some(phone) = &lead.phone {
        body["phones"] = json!([{ "value": phone, "primary": true, "label": "mobile" }]);
    }
    let url = at(&ctx.connector.hosts().api, "/api/v2/persons");
    let answer = call(ctx, Method::POST, url, Some(body)).await?;
    text(answer.pointer("/data/id"))
        .ok_or_else(|| Error::Unavailable { provider: NAME, reason: "its answer had no person id".into() })
}

/// The person's lead whose `origin_id` is this Leadvault id, if one was made before.
async fn find_lead(ctx: &mut Ctx<'_>, person: &str, lead_id: &str) -> Result<Option<String>> {
    let mut start = 0u64;
    loop {
        let mut url = at(&ctx.connector.hosts().api, "/api/v1/leads");
        url.query_pairs_mut()
            .append_pair("person_id", person)
            .append_pair("limit", "100")
            .append_pair("start", &start.to_string());
        let answer = call(ctx, Method::GET, url, None).await?;
        let leads = answer.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        if let Some(found) =
            leads.iter().find(|l| l.get("origin_id").and_then(Value::as_str) == Some(lead_id))
        {
            return Ok(text(found.get("id")));
        }
        let more =
            answer.pointer("/additional_data/pagination/more_items_in_collection").and_then(Value::as_bool);
        if more != Some(true) || leads.is_empty() {
            return Ok(None);
        }
        start += leads.len() as u64;
    }
}

/// One request, then a wait if the window is spent. Reads and updates are retried here;
/// creates are not (see [`push`]).
async fn call(ctx: &mut Ctx<'_>, method: Method, url: url::Url, body: Option<Value>) -> Result<Value> {
    let (http, auth, credentials) = (ctx.connector.http(), ctx.auth, &ctx.credentials);
    let once = SyncOptions { attempts: 1, ..ctx.options.clone() };
    let options = if method == Method::POST { &once } else { ctx.options };
    let (answer, headers) = retrying(options, &mut ctx.retries, || {
        let auth = crate::pipedrive::auth(auth, credentials);
        let (method, url) = (method.clone(), url.clone());
        async {
            match &body {
                Some(body) => http.send_json(NAME, method, url, auth, body, plain).await,
                None => http.json_with_headers(NAME, method, url, auth, plain).await,
            }
        }
    })
    .await?;
    if answer.get("success").and_then(Value::as_bool) == Some(false) {
        return Err(Error::Rejected { provider: NAME, reason: "its answer said success: false".into() });
    }
    pace_window(ctx.options, &headers).await?;
    Ok(answer)
}
