//! The file Meta's Leads Center and Ads Manager download (Meta calls it CSV; it is often
//! UTF-16 with tabs). Columns: id, created_time, ad_id, ad_name, adset_id, adset_name,
//! campaign_id, campaign_name, form_id, form_name, is_organic, platform, then one column per
//! form question (`full_name`, `email`, `phone_number`, custom keys such as
//! `what_is_your_budget?`). Ids carry type prefixes (`l:`, `ag:`, `as:`, `c:`, `f:`) and phones
//! a `p:` prefix; both are dropped.

use super::profile::{Profile, Target};

pub(crate) const PROFILE: Profile = Profile {
    name: "meta-csv",
    default_source: "meta",
    // Meta's own `lead_status` (CREATED, ...) is not our pipeline: it stays a custom field.
    columns: &[] as &[(&str, Target)],
    id_prefixes: &["l:", "ag:", "as:", "c:", "f:"],
    created_required: true,
    platform: None,
    required_columns: &["id", "created_time"],
};

/// A Meta download names these columns, whatever the form's questions are.
pub(crate) fn looks_like(folded_headers: &[String]) -> bool {
    let has = |n: &str| folded_headers.iter().any(|h| h == n);
    has("id") && has("created_time") && (has("form_id") || has("ad_id")) && has("is_organic")
}
