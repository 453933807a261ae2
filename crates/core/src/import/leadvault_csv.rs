//! Leadvault's own CSV export, imported again: the same columns (see `export::COLUMNS`), then
//! one per form answer. Each row keeps its `source` and `external_id`, so a lead exported and
//! imported into another vault is the same lead, and into the same vault adds nothing. The old
//! vault's `id` and `updated_at` are its own bookkeeping and are left out.

use super::profile::{Profile, Target};

pub(crate) const PROFILE: Profile = Profile {
    name: "leadvault-csv",
    default_source: "import",
    columns: &[("id", Target::Skip), ("source", Target::Source), ("updated_at", Target::Skip)],
    id_prefixes: &[],
    created_required: false,
    platform: None,
    required_columns: &["source", "external_id"],
};

/// An export's header starts with every one of its columns, in order.
pub(crate) fn looks_like(folded_headers: &[String]) -> bool {
    let columns = crate::export::COLUMNS;
    folded_headers.len() >= columns.len() && folded_headers.iter().zip(columns).all(|(h, c)| h == c)
}
