//! Google Ads changes over REST: the current value read with a GAQL search, the change sent to
//! the resource's `…:mutate` (`validateOnly` for a dry run: Google checks everything and keeps
//! nothing). Without `partialFailure` a request is atomic, so an ad schedule is replaced in one
//! `campaignCriteria:mutate` — its slots removed, the new ones created (Google does not let a
//! slot's times change in place) — and either all of it lands or none.
//!
//! Google's errors carry a GoogleAdsFailure: each error's code and the operation it is about.
//! They are read into one line that names the operation in our words ("creating mon
//! 09:00-17:00"); Google's free-text messages are not quoted. A quota error
//! (`RESOURCE_EXHAUSTED`) says how long Google asks to wait (`retryDelay`), which can be hours.

use leadvault_core::connections::{Credentials, Provider};
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::ads_control::{BidTarget, Change, Current, Micros, Slot, status_word};
use crate::connector::at;
use crate::google_ads::{API_VERSION, auth};
use crate::http::{Body, Http};
use crate::{Error, Result};

const NAME: &str = "Google Ads";

/// One customer's account, for reading and changing it.
pub(crate) struct GoogleAds<'a> {
    http: &'a Http,
    api: &'a Url,
    credentials: &'a Credentials,
    customer: &'a str,
}

impl<'a> GoogleAds<'a> {
    pub fn new(http: &'a Http, api: &'a Url, credentials: &'a Credentials, customer: &'a str) -> Self {
        GoogleAds { http, api, credentials, customer }
    }

    fn campaign(&self, id: &str) -> String {
        format!("customers/{}/campaigns/{id}", self.customer)
    }

    /// What `change` will replace.
    pub async fn read(&self, change: &Change) -> Result<Current> {
        match change {
            Change::Pause { campaign } | Change::Enable { campaign } => {
                Ok(Current::Status(self.campaign_status(campaign).await?))
            }
            Change::Bid { target, .. } => Ok(Current::Bid(self.bid(target).await?)),
            Change::Schedule { campaign, .. } => {
                let slots = self.schedule(campaign).await?;
                if slots.is_empty() {
                    // Nothing to remove: make sure the campaign is there before creating.
                    self.campaign_status(campaign).await?;
                }
                Ok(Current::Schedule(slots))
            }
        }
    }

    /// Makes `change` (or, with `validate_only`, has Google check it); `current` is what
    /// [`GoogleAds::read`] found.
    pub async fn write(&self, change: &Change, current: &Current, validate_only: bool) -> Result<()> {
        match (change, current) {
            (Change::Pause { campaign } | Change::Enable { campaign }, _) => {
                let status = status_word(Provider::GoogleAds, change);
                let op = json!({"update": {"resourceName": self.campaign(campaign), "status": status},
                    "updateMask": "status"});
                self.mutate("campaigns", vec![op], validate_only, |_| None).await
            }
            (Change::Bid { target, cpc }, _) => {
                let (service, name) = self.bid_resource(target);
                let op = json!({"update": {"resourceName": name, "cpcBidMicros": cpc.get().to_string()},
                    "updateMask": "cpcBidMicros"});
                self.mutate(service, vec![op], validate_only, |_| None).await
            }
            (Change::Schedule { campaign, schedule }, Current::Schedule(old)) => {
                let campaign = self.campaign(campaign);
                let removes = old.iter().map(|(name, _)| json!({ "remove": name }));
                let creates = schedule
                    .slots()
                    .iter()
                    .map(|slot| json!({"create": {"campaign": campaign, "adSchedule": slot.google()}}));
                let operations = removes.chain(creates).collect();
                let new = schedule.slots();
                let name = |i: usize| match old.get(i) {
                    Some((_, slot)) => Some(format!("removing {slot}")),
                    None => new.get(i - old.len()).map(|slot| format!("creating {slot}")),
                };
                self.mutate("campaignCriteria", operations, validate_only, name).await
            }
            (Change::Schedule { .. }, _) => unreachable!("a schedule's current value is a schedule"),
        }
    }

    async fn campaign_status(&self, campaign: &str) -> Result<String> {
        let query = format!(
            "SELECT campaign.status FROM campaign WHERE campaign.resource_name = '{}'",
            self.campaign(campaign)
        );
        let rows = self.search(&query).await?;
        let row = rows.first().ok_or_else(|| self.missing(format!("campaign {campaign}")))?;
        Ok(text(&row["campaign"]["status"]).unwrap_or_else(|| "UNKNOWN".into()))
    }

    fn bid_resource(&self, target: &BidTarget) -> (&'static str, String) {
        match target {
            BidTarget::AdGroup(id) => ("adGroups", format!("customers/{}/adGroups/{id}", self.customer)),
            BidTarget::Keyword { ad_group, criterion } => (
                "adGroupCriteria",
                format!("customers/{}/adGroupCriteria/{ad_group}~{criterion}", self.customer),
            ),
        }
    }

    /// The target's own CPC bid; `None` when it has none (a keyword on its ad group's bid).
    async fn bid(&self, target: &BidTarget) -> Result<Option<Micros>> {
        let (_, name) = self.bid_resource(target);
        let (query, pointer, what) = match target {
            BidTarget::AdGroup(id) => (
                format!(
                    "SELECT ad_group.cpc_bid_micros FROM ad_group WHERE ad_group.resource_name = '{name}'"
                ),
                "/adGroup/cpcBidMicros",
                format!("ad group {id}"),
            ),
            BidTarget::Keyword { ad_group, criterion } => (
                format!(
                    "SELECT ad_group_criterion.cpc_bid_micros FROM ad_group_criterion \
                     WHERE ad_group_criterion.resource_name = '{name}' AND ad_group_criterion.type = KEYWORD"
                ),
                "/adGroupCriterion/cpcBidMicros",
                format!("keyword {ad_group}~{criterion}"),
            ),
        };
        let rows = self.search(&query).await?;
        let row = rows.first().ok_or_else(|| self.missing(what))?;
        Ok(row.pointer(pointer).and_then(|v| text(v)?.parse().ok()).map(Micros::new))
    }

    /// The campaign's ad schedule slots (not removed ones), each with its resource name.
    async fn schedule(&self, campaign: &str) -> Result<Vec<(String, Slot)>> {
        let query = format!(
            "SELECT campaign_criterion.resource_name, campaign_criterion.ad_schedule.day_of_week, \
             campaign_criterion.ad_schedule.start_hour, campaign_criterion.ad_schedule.start_minute, \
             campaign_criterion.ad_schedule.end_hour, campaign_criterion.ad_schedule.end_minute \
             FROM campaign_criterion WHERE campaign.resource_name = '{}' \
             AND campaign_criterion.type = AD_SCHEDULE AND campaign_criterion.status != REMOVED",
            self.campaign(campaign)
        );
        let mut slots = Vec::new();
        for row in self.search(&query).await? {
            let criterion = &row["campaignCriterion"];
            let s = &criterion["adSchedule"];
            // Google leaves out fields at their default: hour 0, minute ZERO.
            let time = |hour: &str, minute: &str| {
                (s[hour].as_u64().unwrap_or(0), s[minute].as_str().unwrap_or("ZERO"))
            };
            let slot = s["dayOfWeek"].as_str().and_then(|day| {
                Slot::from_google(day, time("startHour", "startMinute"), time("endHour", "endMinute"))
            });
            let (Some(name), Some(slot)) = (text(&criterion["resourceName"]), slot) else {
                return Err(Error::Unavailable {
                    provider: NAME,
                    reason: "it sent an ad schedule slot Leadvault cannot read".into(),
                });
            };
            slots.push((name, slot));
        }
        Ok(slots)
    }

    fn missing(&self, what: String) -> Error {
        Error::Rejected { provider: NAME, reason: format!("customer {} has no {what}", self.customer) }
    }

    /// `googleAds:search`: the first page (10,000 rows), which is all a query for one
    /// campaign's, ad group's or keyword's values returns.
    async fn search(&self, query: &str) -> Result<Vec<Value>> {
        let url = at(self.api, &format!("/{API_VERSION}/customers/{}/googleAds:search", self.customer));
        let body = json!({ "query": query });
        let answer = self
            .http
            .post(NAME, url, auth(self.credentials), Body::Json(&body), |s, b| failure(s, b, &|_| None))
            .await?;
        Ok(answer.get("results").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    /// `{service}:mutate`, atomic; `name` says in words what operation `i` does.
    async fn mutate(
        &self,
        service: &str,
        operations: Vec<Value>,
        validate_only: bool,
        name: impl Fn(usize) -> Option<String>,
    ) -> Result<()> {
        let url = at(self.api, &format!("/{API_VERSION}/customers/{}/{service}:mutate", self.customer));
        let body = json!({ "operations": operations, "validateOnly": validate_only });
        self.http
            .post(NAME, url, auth(self.credentials), Body::Json(&body), |s, b| failure(s, b, &name))
            .await?;
        Ok(())
    }
}

/// A JSON string or number as text (Google sends int64 as strings).
fn text(v: &Value) -> Option<String> {
    crate::connector::text(Some(v))
}

/// Reads a GoogleAdsFailure: a quota error as [`Error::RateLimited`] with Google's
/// `retryDelay`, the rest as one line for [`Error::Rejected`]. A refused token (401) is left to
/// the shared sorting, which makes it "needs sign-in".
pub(crate) fn failure(
    status: StatusCode,
    body: &Value,
    name: &dyn Fn(usize) -> Option<String>,
) -> Option<Error> {
    if status == StatusCode::UNAUTHORIZED {
        return None;
    }
    let details = body.pointer("/error/details")?.as_array()?;
    let errors = details
        .iter()
        .find(|d| d["@type"].as_str().is_some_and(|t| t.ends_with(".errors.GoogleAdsFailure")))?["errors"]
        .as_array()?;
    if let Some(quota) = errors.iter().find(|e| e.pointer("/errorCode/quotaError").is_some()) {
        let delay = quota.pointer("/details/quotaErrorDetails/retryDelay");
        return Some(Error::RateLimited {
            provider: NAME,
            retry_after_secs: delay.and_then(seconds).unwrap_or(60),
        });
    }
    const SHOWN: usize = 3;
    let mut lines: Vec<String> = errors.iter().take(SHOWN).filter_map(|e| one_error(e, name)).collect();
    if lines.is_empty() {
        return None;
    }
    if errors.len() > SHOWN {
        lines.push(format!("and {} more", errors.len() - SHOWN));
    }
    Some(Error::Rejected { provider: NAME, reason: lines.join("; ") })
}

/// `{"errorCode":{"criterionError":"AD_SCHEDULE_TIME_INTERVALS_OVERLAP"},"location":…}` →
/// "slots overlap (AD_SCHEDULE_TIME_INTERVALS_OVERLAP), creating mon 18:00-22:00".
/// A code that is not shaped like one (a value the request held, echoed) leaves its error out.
fn one_error(error: &Value, name: &dyn Fn(usize) -> Option<String>) -> Option<String> {
    let (_, code) = crate::google_ads::error_code(error)?;
    let mut line = match explain(code) {
        Some(words) => format!("{words} ({code})"),
        None => code.to_string(),
    };
    let index = error
        .pointer("/location/fieldPathElements")
        .and_then(Value::as_array)
        .and_then(|path| path.iter().find(|p| p["fieldName"] == "operations"))
        .and_then(|p| p["index"].as_u64());
    if let Some(i) = index {
        match name(i as usize) {
            Some(what) => line.push_str(&format!(", {what}")),
            None if i > 0 => line.push_str(&format!(", operation {}", i + 1)),
            None => {}
        }
    }
    Some(line)
}

/// What the codes an ads change meets mean, in a person's words.
fn explain(code: &str) -> Option<&'static str> {
    Some(match code {
        "AD_SCHEDULE_TIME_INTERVALS_OVERLAP" => {
            "slots overlap (the campaign's schedule may have changed meanwhile)"
        }
        "AD_SCHEDULE_EXCEEDED_INTERVALS_PER_DAY_LIMIT" => "more than six slots on one day",
        "AD_SCHEDULE_INVALID_TIME_INTERVAL" => "a slot ends before it starts",
        "RESOURCE_NOT_FOUND" => "it is not in this account (check the id)",
        "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE" => "it was removed",
        "BID_TOO_SMALL" => "the bid is below the minimum for the account's currency",
        "BID_TOO_BIG" => "the bid is above the maximum for the account's currency",
        "BID_TOO_MANY_FRACTIONAL_DIGITS" => "the bid is finer than the currency's smallest unit",
        "USER_PERMISSION_DENIED" => "this Google account cannot reach that Ads customer",
        "IMMUTABLE_FIELD" => "that value cannot be changed in place",
        _ => return None,
    })
}

/// A protobuf Duration as JSON, `"3600s"` or `"1.5s"`, rounded up to whole seconds.
fn seconds(v: &Value) -> Option<u64> {
    let text = v.as_str()?.strip_suffix('s')?;
    let secs: f64 = text.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure_of(errors: Value) -> Value {
        json!({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "Request contains an invalid argument.",
            "details": [{"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
                "errors": errors, "requestId": "abc"}]}})
    }

    #[test]
    fn a_failure_reads_as_one_line_naming_the_operation() {
        let body = failure_of(json!([{
            "errorCode": {"criterionError": "AD_SCHEDULE_TIME_INTERVALS_OVERLAP"},
            "message": "Ad schedule time intervals overlap.",
            "location": {"fieldPathElements": [{"fieldName": "operations", "index": 6}, {"fieldName": "create"}]}
        }]));
        let name = |i: usize| (i == 6).then(|| "creating mon 18:00-22:00".to_string());
        let e = failure(StatusCode::BAD_REQUEST, &body, &name).unwrap();
        assert_eq!(
            e.to_string(),
            "Google Ads rejected the request (slots overlap (the campaign's schedule may have changed \
             meanwhile) (AD_SCHEDULE_TIME_INTERVALS_OVERLAP), creating mon 18:00-22:00)"
        );
        assert!(!e.to_string().contains("Ad schedule time intervals overlap."), "no free text quoted");
        let many: Vec<Value> = (0..5).map(|_| json!({"errorCode": {"fieldError": "REQUIRED"}})).collect();
        let e = failure(StatusCode::BAD_REQUEST, &failure_of(json!(many)), &|_| None).unwrap();
        assert_eq!(
            e.to_string(),
            "Google Ads rejected the request (REQUIRED; REQUIRED; REQUIRED; and 2 more)"
        );
    }

    /// An `errorCode` holding a value the request carried, echoed back (an email, a phone), is
    /// never quoted, even stripped of its punctuation; the other errors still are.
    #[test]
    fn echoed_values_in_error_codes_are_not_quoted() {
        for echoed in [json!("maria.lopez@example.com"), json!("555-010-9191"), json!("Maria")] {
            let alone = failure_of(json!([{"errorCode": {"fieldError": echoed}}]));
            assert!(
                failure(StatusCode::BAD_REQUEST, &alone, &|_| None).is_none(),
                "{echoed}: the common sorting"
            );
            let line = crate::http::classify(NAME, StatusCode::BAD_REQUEST, None, &alone).to_string();
            assert_eq!(line, "Google Ads rejected the request (INVALID_ARGUMENT)");
            let mixed = failure_of(json!([
                {"errorCode": {"fieldError": echoed}},
                {"errorCode": {"fieldError": "REQUIRED"}},
            ]));
            let line = failure(StatusCode::BAD_REQUEST, &mixed, &|_| None).unwrap().to_string();
            for planted in ["maria", "example", "555", "0109191"] {
                assert!(!line.to_lowercase().contains(planted), "{echoed} reached the error: {line}");
            }
            assert!(line.contains("REQUIRED"), "{line}");
        }
    }

    #[test]
    fn quota_says_how_long_to_wait_and_a_refused_token_is_left_to_the_shared_sorting() {
        let body = json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{
            "@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
            "errors": [{"errorCode": {"quotaError": "RESOURCE_EXHAUSTED"},
                "details": {"quotaErrorDetails": {"rateScope": "DEVELOPER", "retryDelay": "86400s"}}}]}]}});
        assert!(matches!(
            failure(StatusCode::TOO_MANY_REQUESTS, &body, &|_| None),
            Some(Error::RateLimited { retry_after_secs: 86_400, .. })
        ));
        assert_eq!(seconds(&json!("1.2s")), Some(2));
        let body = json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "details": []}});
        assert!(failure(StatusCode::UNAUTHORIZED, &body, &|_| None).is_none());
        assert!(
            failure(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": {"code": 503}}), &|_| None).is_none()
        );
    }
}
