//! Leadvault's connectors: signing in to each provider as a native app should (RFC 8252), and a
//! client per provider whose addresses come from configuration, so tests and demo mode point
//! them at the local fakes (`leadvault-fakes`).
//!
//! Secrets only pass through here: they arrive in and leave as
//! [`leadvault_core::connections::Credentials`], whose `Debug` shows none of them, and the
//! core keeps them in the OS keychain. No error message carries a token.

pub mod ads_control;
pub mod connector;
#[cfg(feature = "demo")]
pub mod demo;
pub mod google_ads;
mod google_ads_mutate;
pub mod http;
pub mod hubspot;
pub mod manage;
pub mod meta;
pub mod oauth;
pub mod pipedrive;
pub mod push;
pub mod salesforce;
pub mod schedule;
pub mod sync;

pub use connector::{Account, Connector};
pub use leadvault_core::connections::Provider;

/// What a call to a provider can fail with; each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("you declined access on {provider}'s page; run `leadvault connect {cli}` again to retry")]
    Denied { provider: &'static str, cli: &'static str },

    #[error("the sign-in was not finished within {}; run `leadvault connect {cli}` again", wait_text(*seconds))]
    TimedOut { seconds: u64, cli: &'static str },

    #[error("the sign-in was cancelled")]
    Cancelled,

    #[error("the sign-in answer did not come from this request ({0}); run the sign-in again")]
    BadCallback(String),

    /// The credentials no longer work (or, with [`SECRETS_MISSING`] as the reason, the
    /// keychain lost them): only a new sign-in or token helps.
    #[error("{}", unauthorized_text(provider, reason))]
    Unauthorized { provider: &'static str, reason: String },

    #[error("{provider} asks to slow down; try again in {}", wait_text(*retry_after_secs))]
    RateLimited { provider: &'static str, retry_after_secs: u64 },

    #[error("{provider} could not be reached or failed ({reason}); check the connection and try again")]
    Unavailable { provider: &'static str, reason: String },

    #[error("{provider} rejected the request ({reason})")]
    Rejected { provider: &'static str, reason: String },

    #[error("{0}")]
    Config(String),

    /// The connection is syncing already, in this process or another; nothing was done.
    #[error("{0}")]
    Busy(String),

    #[error(transparent)]
    Core(#[from] leadvault_core::Error),
}

impl Error {
    /// True when only a new sign-in (or a new token) can fix it.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Error::Unauthorized { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The reason of an [`Error::Unauthorized`] for a connection whose secrets the OS keychain no
/// longer holds: nothing was sent, the provider refused nothing.
pub const SECRETS_MISSING: &str = "secrets missing from the OS keychain";

fn unauthorized_text(provider: &str, reason: &str) -> String {
    if reason == SECRETS_MISSING {
        return format!(
            "the OS keychain no longer holds this {provider} connection's secrets; sign in again or paste a new token"
        );
    }
    format!("{provider} refused the credentials ({reason}); sign in again or paste a new token")
}

/// A wait as a person reads it: `45 s`, `12 min`, `3 h 20 min` (rounded up: sooner is wrong).
pub fn wait_text(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs.div_ceil(60)),
        _ => {
            let minutes = secs.div_ceil(60);
            match minutes % 60 {
                0 => format!("{} h", minutes / 60),
                m => format!("{} h {m} min", minutes / 60),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_read_as_a_person_says_them() {
        assert_eq!(super::wait_text(45), "45 s");
        assert_eq!(super::wait_text(600), "10 min");
        assert_eq!(super::wait_text(601), "11 min");
        assert_eq!(super::wait_text(86_400), "24 h");
        assert_eq!(super::wait_text(12_000), "3 h 20 min");
    }
}
