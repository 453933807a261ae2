//! Ads controls: pause or enable a campaign, set an ad group's or a keyword's CPC bid, replace a
//! campaign's ad schedule — the primitives the lead flow rules will use, and the command line
//! now. Each change reads the current value from the provider first, then makes the change (or,
//! as a dry run, has the provider validate it and keep nothing: Google's `validateOnly`, Graph's
//! `execution_options=["validate_only"]`), and records it in the vault with the value before and
//! after, however it ends (`leadvault_core::ad_changes`).
//!
//! Google Ads can do all four; Meta pauses and enables campaigns (its bids are per ad set, and
//! it has no campaign ad schedule). Each change is one attempt: a refused token marks the
//! connection "needs sign-in", a quota error says when to try again, and nothing is retried
//! behind the person's back.

mod schedule;

use std::fmt;

use leadvault_core::Vault;
use leadvault_core::ad_changes::{Action, AdChange, NewAdChange, Outcome, TargetKind};
use leadvault_core::connections::{Connection, ConnectionStatus, Credentials, Provider};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tracing::info;

pub use schedule::{Day, SLOTS_PER_DAY, Schedule, Slot, describe};

use crate::connector::at;
use crate::google_ads_mutate::GoogleAds;
use crate::http::{Auth, Body, Http};
use crate::meta::{GRAPH_VERSION, graph_error};
use crate::{Connector, Error, Result, manage};

/// Money in millionths of the account's currency, as both providers count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Micros(i64);

/// The highest CPC bid taken, in currency units: high enough for currencies of small units
/// (Indonesian rupiah, Korean won), low enough to stop a runaway number.
const MAX_BID_UNITS: i64 = 1_000_000;

impl Micros {
    pub fn new(micros: i64) -> Micros {
        Micros(micros)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// A CPC bid typed in the account's currency, `1.25`: a positive number with at most two
    /// decimals (Google bills in hundredths), no more than a million units.
    pub fn parse_bid(text: &str) -> Result<Micros> {
        let t = text.trim();
        let bad = |why: &str| Error::Config(format!("{text:?} is not a bid: {why}"));
        let (units, cents) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || !digits(units) || !digits(cents) || (t.contains('.') && cents.is_empty()) {
            return Err(bad("give an amount in the account's currency, such as 1.25"));
        }
        if cents.len() > 2 {
            return Err(bad("use at most two decimals (Google bills in hundredths)"));
        }
        let units: i64 = units.parse().ok().filter(|u| *u <= MAX_BID_UNITS).ok_or_else(|| {
            bad(&format!("it is over {MAX_BID_UNITS} in the account's currency; check the amount"))
        })?;
        let cents: i64 = format!("{cents:0<2}").parse().unwrap_or(0);
        let micros = units * 1_000_000 + cents * 10_000;
        if micros == 0 {
            return Err(bad("a bid must be more than zero"));
        }
        Ok(Micros(micros))
    }
}

impl fmt::Display for Micros {
    /// In currency units: `1.25`, `3.00`, `0.125` for a value finer than hundredths.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (units, fraction) = (self.0 / 1_000_000, (self.0 % 1_000_000).abs());
        let mut fraction = format!("{fraction:06}");
        while fraction.len() > 2 && fraction.ends_with('0') {
            fraction.pop();
        }
        write!(f, "{units}.{fraction}")
    }
}

/// What a bid is set on (Google Ads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BidTarget {
    AdGroup(String),
    /// An ad group criterion: `adGroupId~criterionId`.
    Keyword {
        ad_group: String,
        criterion: String,
    },
}

impl BidTarget {
    pub fn ad_group(id: &str) -> Result<BidTarget> {
        Ok(BidTarget::AdGroup(number(id, "an ad group id")?))
    }

    /// `AD_GROUP_ID~CRITERION_ID`, as Google names a keyword.
    pub fn keyword(id: &str) -> Result<BidTarget> {
        let bad = || {
            Error::Config(format!(
                "{id:?} is not a keyword id: write AD_GROUP_ID~CRITERION_ID, e.g. 1234567890~987654321"
            ))
        };
        let (group, criterion) = id.trim().split_once('~').ok_or_else(bad)?;
        Ok(BidTarget::Keyword {
            ad_group: number(group, "an ad group id").map_err(|_| bad())?,
            criterion: number(criterion, "a criterion id").map_err(|_| bad())?,
        })
    }
}

/// A provider's id: digits only (both providers' ids are numbers), so it can go into a
/// resource name or a path as it is.
fn number(text: &str, what: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > 20 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Config(format!("{text:?} is not {what}: use the number the provider shows")));
    }
    Ok(t.to_string())
}

/// A change to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Pause {
        campaign: String,
    },
    Enable {
        campaign: String,
    },
    Bid {
        target: BidTarget,
        cpc: Micros,
    },
    /// Replace the campaign's whole ad schedule with this one.
    Schedule {
        campaign: String,
        schedule: Schedule,
    },
}

impl Change {
    pub fn pause(campaign: &str) -> Result<Change> {
        Ok(Change::Pause { campaign: number(campaign, "a campaign id")? })
    }

    pub fn enable(campaign: &str) -> Result<Change> {
        Ok(Change::Enable { campaign: number(campaign, "a campaign id")? })
    }

    pub fn bid(target: BidTarget, cpc: Micros) -> Change {
        Change::Bid { target, cpc }
    }

    pub fn schedule(campaign: &str, schedule: Schedule) -> Result<Change> {
        Ok(Change::Schedule { campaign: number(campaign, "a campaign id")?, schedule })
    }

    /// What the record names: the kind of thing changed, its id, the action.
    fn target(&self) -> (TargetKind, String, Action) {
        match self {
            Change::Pause { campaign } => (TargetKind::Campaign, campaign.clone(), Action::Pause),
            Change::Enable { campaign } => (TargetKind::Campaign, campaign.clone(), Action::Enable),
            Change::Bid { target: BidTarget::AdGroup(id), .. } => {
                (TargetKind::AdGroup, id.clone(), Action::Bid)
            }
            Change::Bid { target: BidTarget::Keyword { ad_group, criterion }, .. } => {
                (TargetKind::Keyword, format!("{ad_group}~{criterion}"), Action::Bid)
            }
            Change::Schedule { campaign, .. } => (TargetKind::Schedule, campaign.clone(), Action::Schedule),
        }
    }

    /// The value it sets, as recorded.
    fn after(&self, provider: Provider) -> Value {
        match self {
            Change::Pause { .. } | Change::Enable { .. } => json!({"status": status_word(provider, self)}),
            Change::Bid { cpc, .. } => json!({"cpc_bid_micros": cpc.get()}),
            Change::Schedule { schedule, .. } => json!({"slots": schedule}),
        }
    }
}

/// The provider's word for the status a pause or an enable sets.
pub(crate) fn status_word(provider: Provider, change: &Change) -> &'static str {
    match (provider, change) {
        (_, Change::Pause { .. }) => "PAUSED",
        (Provider::Meta, _) => "ACTIVE",
        _ => "ENABLED",
    }
}

/// What a change replaces, as the provider reported it just before.
pub(crate) enum Current {
    Status(String),
    /// `None`: the keyword has no bid of its own (it uses its ad group's).
    Bid(Option<Micros>),
    /// Each slot with the provider's name for it (what a replacement removes).
    Schedule(Vec<(String, Slot)>),
}

impl Current {
    fn to_json(&self) -> Value {
        match self {
            Current::Status(status) => json!({ "status": status }),
            Current::Bid(micros) => json!({ "cpc_bid_micros": micros.map(Micros::get) }),
            Current::Schedule(slots) => {
                json!({ "slots": slots.iter().map(|(_, slot)| *slot).collect::<Vec<_>>() })
            }
        }
    }
}

/// Whether a provider has this control, before anything is sent.
fn supported(provider: Provider, change: &Change) -> Result<()> {
    match (provider, change) {
        (Provider::GoogleAds, _) | (Provider::Meta, Change::Pause { .. } | Change::Enable { .. }) => Ok(()),
        (Provider::Meta, Change::Bid { .. }) => Err(Error::Config(
            "Meta sets bids per ad set, which Leadvault cannot change yet; for Meta campaigns, \
             `leadvault ads` pauses and enables"
                .into(),
        )),
        (Provider::Meta, Change::Schedule { .. }) => Err(Error::Config(
            "Meta campaigns have no ad schedule to replace (Meta schedules per ad set); for Meta \
             campaigns, `leadvault ads` pauses and enables"
                .into(),
        )),
        (other, _) => Err(Error::Config(format!(
            "{} is a CRM with no campaigns to control; ads controls work on Google Ads and Meta connections",
            other.display_name()
        ))),
    }
}

/// Makes `change` through the connection (with `dry_run`, only has the provider validate it),
/// and records it with the value before and after, however it ends. Returns the record;
/// a failure is recorded, then returned as the error. A change the provider cannot make, or an
/// id that is not one, is refused before anything is sent, and not recorded.
pub async fn apply(vault: &Vault, connection_id: &str, change: &Change, dry_run: bool) -> Result<AdChange> {
    let connection = vault.connections().get(connection_id).await?;
    supported(connection.provider, change)?;
    let customer = match connection.provider {
        Provider::GoogleAds => Some(customer_id(&connection)?),
        _ => None,
    };
    let (target_kind, target_id, action) = change.target();
    let mut before = None;
    // The secrets the change is made with: its refusal is recorded only while the keychain
    // still holds them (not over a sign-in again made meanwhile).
    let mut held = None;
    let attempt = async {
        let credentials = manage::usable_credentials(vault, &connection).await?;
        held = Some(credentials.clone());
        let connector = Connector::for_connection(&connection)?;
        let (http, api) = (connector.http(), &connector.hosts().api);
        match (connection.provider, customer.as_deref()) {
            (Provider::GoogleAds, Some(customer)) => {
                let google = GoogleAds::new(http, api, &credentials, customer);
                let current = google.read(change).await?;
                before = Some(current.to_json());
                google.write(change, &current, dry_run).await
            }
            _ => {
                let meta = MetaCampaign { http, api, credentials: &credentials, change };
                before = Some(meta.read().await?.to_json());
                meta.write(dry_run).await
            }
        }
    }
    .await;
    let outcome = match &attempt {
        Ok(()) if dry_run => Outcome::Validated,
        Ok(()) => Outcome::Applied,
        Err(_) => Outcome::Failed,
    };
    info!(
        connection = connection_id,
        target = target_kind.as_str(),
        action = action.as_str(),
        dry_run,
        outcome = outcome.as_str(),
        "ads change"
    );
    let connections = vault.connections();
    match &attempt {
        Err(e) if e.needs_sign_in() => {
            let (status, why) = (ConnectionStatus::NeedsSignIn, e.to_string());
            match &held {
                Some(held) => {
                    connections.set_status_if_held(&connection.id, status, Some(&why), held).await?;
                }
                None => connections.set_status(&connection.id, status, Some(&why)).await?,
            }
        }
        Ok(()) if connection.status != ConnectionStatus::Connected => {
            connections.set_status(&connection.id, ConnectionStatus::Connected, None).await?
        }
        _ => {}
    }
    let record = vault
        .ad_changes()
        .record(NewAdChange {
            connection_id: connection.id.clone(),
            provider: connection.provider,
            target_kind,
            target_id,
            action,
            before,
            after: Some(change.after(connection.provider)),
            dry_run,
            outcome,
            reason: attempt.as_ref().err().map(ToString::to_string),
        })
        .await?;
    attempt.map(|()| record)
}

/// The Google Ads customer the connection opens (its account id, from `listAccessibleCustomers`).
fn customer_id(connection: &Connection) -> Result<String> {
    let id = connection.account_id.as_deref().unwrap_or_default();
    number(id, "a Google Ads customer id").map_err(|_| {
        Error::Config(format!(
            "this connection does not know its Google Ads customer id; run `leadvault connections test {}`",
            connection.id
        ))
    })
}

/// One line for a recorded change's values, `ENABLED → PAUSED`, `1.50 → 1.25`, `mon-fri
/// 09:00-17:00 → sat 10:00-14:00`; `not read` for a value that could not be read.
pub fn summary(change: &AdChange) -> String {
    let side = |v: Option<&Value>| -> String {
        let Some(v) = v else { return "not read".into() };
        if let Some(status) = v.get("status").and_then(Value::as_str) {
            return status.to_string();
        }
        if let Some(bid) = v.get("cpc_bid_micros") {
            return match bid.as_i64() {
                Some(micros) => Micros(micros).to_string(),
                None => "the ad group's bid".into(),
            };
        }
        match v.get("slots").cloned().map(serde_json::from_value::<Vec<Slot>>) {
            Some(Ok(slots)) => describe(&slots),
            _ => "?".into(),
        }
    };
    format!("{} → {}", side(change.before.as_ref()), side(change.after.as_ref()))
}

// ---- Meta: a campaign's status ------------------------------------------------------------

const META: &str = "Meta";

/// Graph's errors for a campaign: its token, limit and permission codes first, then code 100
/// in words ("no such campaign" is code 100, subcode 33); the rest by HTTP status.
fn meta_error(status: StatusCode, body: &Value) -> Option<Error> {
    if let Some(e) = graph_error(status, body) {
        return Some(e);
    }
    if body.pointer("/error/code")?.as_i64()? != 100 {
        return None;
    }
    let reason = match body.pointer("/error/error_subcode").and_then(Value::as_i64) {
        Some(33) => "no campaign with that id that this token can see (code 100, subcode 33)",
        _ => "a value was refused (code 100)",
    };
    Some(Error::Rejected { provider: META, reason: reason.into() })
}

struct MetaCampaign<'a> {
    http: &'a Http,
    api: &'a url::Url,
    credentials: &'a Credentials,
    change: &'a Change,
}

impl MetaCampaign<'_> {
    fn campaign(&self) -> &str {
        match self.change {
            Change::Pause { campaign } | Change::Enable { campaign } => campaign,
            _ => unreachable!("only pause and enable reach Meta (see `supported`)"),
        }
    }

    /// `GET /{campaign}?fields=status`.
    async fn read(&self) -> Result<Current> {
        let url = at(self.api, &format!("/{GRAPH_VERSION}/{}?fields=id,status", self.campaign()));
        let node = self
            .http
            .json(META, Method::GET, url, Auth::Bearer(&self.credentials.access_token), meta_error)
            .await?;
        let status = node.get("status").and_then(Value::as_str).ok_or_else(|| Error::Unavailable {
            provider: META,
            reason: "its answer had no campaign status".into(),
        })?;
        Ok(Current::Status(status.to_string()))
    }

    /// `POST /{campaign}` with `status`; a dry run adds `execution_options=["validate_only"]`,
    /// which Graph answers like the update (`{"success":true}` or the error) and keeps nothing.
    async fn write(&self, dry_run: bool) -> Result<()> {
        let url = at(self.api, &format!("/{GRAPH_VERSION}/{}", self.campaign()));
        let mut form = vec![("status", status_word(Provider::Meta, self.change))];
        if dry_run {
            form.push(("execution_options", r#"["validate_only"]"#));
        }
        let auth = Auth::Bearer(&self.credentials.access_token);
        let answer = self.http.post(META, url, auth, Body::Form(&form), meta_error).await?;
        match answer.get("success").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(Error::Unavailable { provider: META, reason: "it did not confirm the change".into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bids_are_read_in_currency_units_exactly() {
        assert_eq!(Micros::parse_bid("1.25").unwrap(), Micros(1_250_000));
        assert_eq!(Micros::parse_bid(" 3 ").unwrap(), Micros(3_000_000));
        assert_eq!(Micros::parse_bid("0.5").unwrap(), Micros(500_000));
        assert_eq!(Micros::parse_bid("0.01").unwrap(), Micros(10_000));
        assert_eq!(Micros::parse_bid("1000000").unwrap(), Micros(1_000_000_000_000));
        for (text, says) in [
            ("0", "more than zero"),
            ("0.00", "more than zero"),
            ("-1", "such as 1.25"),
            ("1,25", "such as 1.25"),
            ("1.", "such as 1.25"),
            (".5", "such as 1.25"),
            ("1e3", "such as 1.25"),
            ("NaN", "such as 1.25"),
            ("", "such as 1.25"),
            ("1.255", "two decimals"),
            ("1000001", "over 1000000"),
            ("99999999999999999999999", "over 1000000"),
        ] {
            match Micros::parse_bid(text) {
                Err(Error::Config(why)) => assert!(why.contains(says), "{text:?}: {why}"),
                other => panic!("{text:?} should be refused, got {other:?}"),
            }
        }
        assert_eq!(Micros(1_250_000).to_string(), "1.25");
        assert_eq!(Micros(3_000_000).to_string(), "3.00");
        assert_eq!(Micros(125_000).to_string(), "0.125");
    }

    #[test]
    fn ids_are_numbers_and_keywords_name_their_ad_group() {
        assert_eq!(
            BidTarget::keyword("123~456").unwrap(),
            BidTarget::Keyword { ad_group: "123".into(), criterion: "456".into() }
        );
        for bad in ["123", "123~", "~456", "12a~456", "1~2~3"] {
            assert!(BidTarget::keyword(bad).is_err(), "{bad}");
        }
        assert!(Change::pause("12345").is_ok());
        for bad in ["", "abc", "12 34", "customers/1/campaigns/2", "1' OR '1'='1"] {
            assert!(Change::pause(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn meta_has_no_bids_or_schedules_here_and_crms_no_ads() {
        let bid = Change::bid(BidTarget::AdGroup("1".into()), Micros(1_000_000));
        let why = supported(Provider::Meta, &bid).unwrap_err().to_string();
        assert!(why.contains("per ad set"), "{why}");
        assert!(supported(Provider::Meta, &Change::pause("1").unwrap()).is_ok());
        let why = supported(Provider::Hubspot, &Change::pause("1").unwrap()).unwrap_err().to_string();
        assert!(why.contains("HubSpot is a CRM"), "{why}");
    }
}
