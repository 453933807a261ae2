//! The window's commands, one file per screen area; each parses its input, calls the core and
//! maps the result to what the UI shows.

pub mod connections;
pub mod demo;
pub mod export;
pub mod import;
pub mod inbox;
pub mod lead;
pub mod vault;
