//! Reading and writing leads in the vault. The only place that speaks SQL about leads.

pub mod leads;
pub mod search;

pub use leads::{Cursor, Leads, Page};
