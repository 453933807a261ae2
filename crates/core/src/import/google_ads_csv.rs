//! Lead form submissions downloaded from Google Ads (the lead form asset's "Download leads"),
//! and files in the shape of Google's lead-form webhook: `lead_id`, `campaign_id`,
//! `adgroup_id`, `creative_id`, `form_id`, `gcl_id`, `is_test`, a submission time, then one
//! column per question named by its column id (`FULL_NAME`, `EMAIL`, `PHONE_NUMBER`,
//! `POSTAL_CODE`, ...) or its text.

use super::profile::{Profile, Target};

pub(crate) const PROFILE: Profile = Profile {
    name: "google-ads-csv",
    default_source: "google-ads",
    columns: &[
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
    ],
    id_prefixes: &[],
    created_required: false,
    platform: Some("google"),
};

/// Google's columns that no other source writes.
pub(crate) fn looks_like(folded_headers: &[String]) -> bool {
    let has = |n: &str| folded_headers.iter().any(|h| h == n);
    has("lead_id")
        && (has("gcl_id")
            || has("gclid")
            || has("adgroup_id")
            || has("ad_group_id")
            || has("lead_submit_time"))
}
