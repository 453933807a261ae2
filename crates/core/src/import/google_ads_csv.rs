//! Lead form submissions downloaded from Google Ads (the lead form asset's "Download leads"),
//! and files in the shape of Google's lead-form webhook: `lead_id`, `campaign_id`,
//! `adgroup_id`, `creative_id`, `form_id`, `gcl_id`, `is_test`, a submission time, then one
//! column per question named by its column id (`FULL_NAME`, `EMAIL`, `PHONE_NUMBER`,
//! `POSTAL_CODE`, ...) or its text.
//!
//! The Ads API's `lead_form_submission_data` rows go through the same vocabulary
//! ([`submission_to_lead`]), so a synced lead and the same lead imported from a file agree.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::profile::{Profile, Target, content_id, fold};
use crate::domain::NewLead;

pub(crate) const PROFILE: Profile = Profile {
    name: "google-ads-csv",
    default_source: "google-ads",
    // Google's fixed columns and standard questions; any other question is an answer,
    // whatever its name (see `Profile::closed`).
    columns: &[
        ("lead_id", Target::ExternalId),
        ("campaign_id", Target::CampaignId),
        ("campaign_name", Target::CampaignName),
        ("form_id", Target::FormId),
        ("form_name", Target::FormName),
        ("adgroup_id", Target::AdsetId),
        ("ad_group_id", Target::AdsetId),
        ("ad_group_name", Target::AdsetName),
        ("creative_id", Target::AdId),
        ("lead_submit_time", Target::CreatedAt),
        ("submission_time", Target::CreatedAt),
        ("submission_date_time", Target::CreatedAt),
        ("submit_time", Target::CreatedAt),
        ("user_email", Target::Email),
        ("user_phone", Target::Phone),
        ("full_name", Target::FullName),
        ("first_name", Target::FirstName),
        ("last_name", Target::LastName),
        ("email", Target::Email),
        ("work_email", Target::Email),
        ("phone_number", Target::Phone),
        ("work_phone", Target::Phone),
        ("company_name", Target::Company),
    ],
    id_prefixes: &[],
    created_required: false,
    platform: Some("google"),
    required_columns: &["lead_id"],
    closed: true,
};

/// A lead id and at least three kinds of Google's own columns (its click id, ad group and
/// creative ids, submission time, test flag, API version): a CRM's export with a `Lead ID` and
/// a `GCLID` column is not Google's file, and its ids are not Google's.
pub(crate) fn looks_like(folded_headers: &[String]) -> bool {
    let has = |n: &str| folded_headers.iter().any(|h| h == n);
    let kinds: [&[&str]; 6] = [
        &["gcl_id", "gclid"],
        &["adgroup_id", "ad_group_id"],
        &["creative_id"],
        &["lead_submit_time", "submission_time", "submission_date_time", "submit_time"],
        &["is_test"],
        &["api_version", "google_key"],
    ];
    has("lead_id") && kinds.iter().filter(|names| names.iter().any(|n| has(n))).count() >= 3
}

/// One `leadFormSubmissionData` row of the Ads API (camelCase JSON) as a lead, mapped through
/// [`PROFILE`]: `id` and `submissionDateTime`; the campaign, ad group, ad (`adGroupAd`, whose
/// id is `adGroupId~adId`) and lead form asset from their resource names; `gclid` as a field;
/// each standard answer by its `fieldType` (`FULL_NAME`, `EMAIL`, `PHONE_NUMBER`,
/// `COMPANY_NAME`, … the lead's own fields; the rest, such as `POSTAL_CODE`, custom fields
/// under that name, as the webhook-shaped file names its columns), each custom question's
/// answer under its `questionText`. Synced leads cannot be fetched again, so nothing is
/// dropped: a second answer for a field already filled (a WORK_EMAIL beside the EMAIL; the rule
/// of [`Profile::to_lead`], as for every file) and a value failing its check are kept as custom
/// fields. The error, a reason without the row's
/// values, is for a row without an id or submission time.
pub(super) fn submission_to_lead(
    row: &Map<String, Value>,
    now: DateTime<Utc>,
) -> std::result::Result<NewLead, String> {
    let text = |key: &str| row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let id = text("id").ok_or("it has no id")?;
    let submitted = text("submissionDateTime").ok_or("it has no submission time")?;
    // `customers/1/campaigns/2` → `2`; `customers/1/adGroupAds/3~4` → `4` (the ad's own id).
    let last = |key: &str| text(key).and_then(|r| r.rsplit('/').next());
    let ad = last("adGroupAd").map(|r| r.rsplit('~').next().unwrap_or(r));
    let mut pairs: Vec<(Option<Target>, String, String)> = Vec::new();
    let mut put = |target: Option<Target>, name: &str, value: &str| {
        pairs.push((target, name.to_string(), value.to_string()));
    };
    put(Some(Target::ExternalId), "lead_id", id);
    put(Some(Target::CreatedAt), "submission_date_time", submitted);
    for (target, name, value) in [
        (Target::CampaignId, "campaign_id", last("campaign")),
        (Target::AdsetId, "ad_group_id", last("adGroup")),
        (Target::AdId, "creative_id", ad),
        (Target::FormId, "form_id", last("asset")),
    ] {
        if let Some(value) = value {
            put(Some(target), name, value);
        }
    }
    if let Some(gclid) = text("gclid") {
        put(None, "gclid", gclid);
    }
    let answers = |key: &str, name_key: &str| -> Vec<(String, String)> {
        let items = row.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        items
            .iter()
            .filter_map(|a| {
                let name = a.get(name_key)?.as_str()?.trim();
                let value = a.get("fieldValue")?.as_str()?;
                (!name.is_empty()).then(|| (name.to_string(), value.to_string()))
            })
            .collect()
    };
    for (field_type, value) in answers("leadFormSubmissionFields", "fieldType") {
        // Only the lead's own contact fields: an answer cannot say which campaign it was. A
        // second answer for a field already filled is kept by `to_lead`, as for a file.
        put(PROFILE.contact_target(&fold(&field_type)), &field_type, &value);
    }
    for (question, value) in answers("customLeadFormSubmissionFields", "questionText") {
        put(None, &question, &value);
    }
    let columns = pairs.iter().map(|(t, name, value)| (*t, name.as_str(), value.as_str()));
    let row_id = || content_id(pairs.iter().map(|(_, n, v)| (n.as_str(), v.as_str())));
    PROFILE.to_lead(columns, PROFILE.default_source, now, row_id, true)
}
