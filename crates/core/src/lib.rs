//! Leadvault's core: the encrypted vault and everything a user can do with their leads.
//!
//! The desktop shell and the `leadvault` command line both call this crate and nothing else;
//! it knows no Tauri and no HTTP.

pub mod ad_changes;
pub mod ads;
pub mod clock;
pub mod connections;
pub mod crm;
pub mod domain;
pub mod error;
pub mod export;
pub mod import;
pub mod logging;
pub mod outbox;
mod outfile;
pub use outfile::remove_unfinished;
pub mod samples;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod vault;

pub use domain::{Lead, LeadDetail, LeadFilter, LeadSort, LeadStatus, LeadUpdate, NewLead};
pub use error::{Error, Result};
pub use vault::{Unlock, Vault, VaultOptions, VaultStatus};
