//! The file Meta's Leads Center and Ads Manager download (Meta calls it CSV; it is often
//! UTF-16 with tabs). Columns: id, created_time, ad_id, ad_name, adset_id, adset_name,
//! campaign_id, campaign_name, form_id, form_name, is_organic, platform, then one column per
//! form question (`full_name`, `email`, `phone_number`, custom keys such as
//! `what_is_your_budget?`). Ids carry type prefixes (`l:`, `ag:`, `as:`, `c:`, `f:`) and phones
//! a `p:` prefix; both are dropped.
//!
//! Only those fixed columns and Meta's standard contact questions fill the lead's fields; any
//! other question is an answer, whatever its name (a question `Date`, `Status`, `Owner` or
//! `Tags` neither moves the lead's creation time nor sets its pipeline).

use super::profile::{Profile, Target};

pub(crate) const PROFILE: Profile = Profile {
    name: "meta-csv",
    default_source: "meta",
    // Meta's own `lead_status` (CREATED, ...) is not our pipeline: it stays a custom field.
    columns: &[
        ("id", Target::ExternalId),
        ("created_time", Target::CreatedAt),
        ("ad_id", Target::AdId),
        ("ad_name", Target::AdName),
        ("adset_id", Target::AdsetId),
        ("adset_name", Target::AdsetName),
        ("campaign_id", Target::CampaignId),
        ("campaign_name", Target::CampaignName),
        ("form_id", Target::FormId),
        ("form_name", Target::FormName),
        ("is_organic", Target::IsOrganic),
        ("platform", Target::Platform),
        // Meta's standard contact questions, by the keys Meta gives them.
        ("full_name", Target::FullName),
        ("first_name", Target::FirstName),
        ("last_name", Target::LastName),
        ("email", Target::Email),
        ("work_email", Target::Email),
        ("phone_number", Target::Phone),
        ("work_phone_number", Target::Phone),
        ("company_name", Target::Company),
    ],
    id_prefixes: &["l:", "ag:", "as:", "c:", "f:"],
    created_required: true,
    platform: None,
    required_columns: &["id", "created_time"],
    closed: true,
};

/// A Meta download names these columns, whatever the form's questions are: `id` and
/// `created_time`, and one of its ad or form ids (a download made without `is_organic`, or
/// with some columns left out, is still Meta's). `platform` or `is_organic` alone is not
/// enough: a CRM's or a webhook's dump can have those, and read as Meta's its `name`, `phone`
/// and `status` would be answers (Meta's columns are a closed list).
pub(crate) fn looks_like(folded_headers: &[String]) -> bool {
    let has = |n: &str| folded_headers.iter().any(|h| h == n);
    let own = ["form_id", "ad_id", "adset_id", "campaign_id"];
    has("id") && has("created_time") && own.iter().any(|n| has(n))
}
