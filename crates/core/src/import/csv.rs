//! A CSV file with a header row, from any spreadsheet or CRM. Known column names fill the lead's
//! fields; every other column is kept as a custom field under its own name. A `notes` (or
//! `note`) column is what the owner wrote about the lead: it becomes the lead's note, searched
//! and exported as notes are (a Meta form question of that name stays an answer).

use super::profile::{Profile, Target};

pub(crate) const PROFILE: Profile = Profile {
    name: "csv",
    default_source: "import",
    columns: &[("notes", Target::Notes), ("note", Target::Notes)],
    id_prefixes: &[],
    created_required: false,
    platform: None,
    required_columns: &[],
    closed: false,
};
