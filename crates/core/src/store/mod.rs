//! Reading and writing leads in the vault. The only place that speaks SQL about leads.

#[macro_use]
mod sql;
pub mod leads;
pub(crate) mod raw;
pub mod search;

pub use leads::{Cursor, Leads, Page};
