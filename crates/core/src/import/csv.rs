//! A CSV file with a header row, from any spreadsheet or CRM. Known column names fill the lead's
//! fields; every other column is kept as a custom field under its own name.

use super::profile::{Profile, Target};

pub(crate) const PROFILE: Profile = Profile {
    name: "csv",
    default_source: "import",
    columns: &[] as &[(&str, Target)],
    id_prefixes: &[],
    created_required: false,
    platform: None,
    required_columns: &[],
};
