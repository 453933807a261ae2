//! The record of every change made to an ad account from Leadvault (pause, enable, a bid, an ad
//! schedule), of every dry run and of every failed attempt: what it was before, what was set,
//! and how it ended. The ads controls write it; `leadvault ads history` and, later, the rules
//! read it.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::connections::Provider;
use crate::error::{Error, Result};
use crate::vault::Vault;

/// What a change was made to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Campaign,
    AdGroup,
    /// A Google Ads keyword; its id is `adGroupId~criterionId`.
    Keyword,
    /// A campaign's ad schedule; its id is the campaign's.
    Schedule,
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Pause,
    Enable,
    Bid,
    Schedule,
}

/// How a change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The provider made the change.
    Applied,
    /// A dry run: the provider checked the change and kept nothing.
    Validated,
    /// Refused or not reached; the record's `reason` says why.
    Failed,
}

/// Names as stored, and back.
macro_rules! words {
    ($ty:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $word),+ }
            }

            fn parse(word: &str) -> Result<$ty> {
                match word {
                    $($word => Ok($ty::$variant),)+
                    other => Err(Error::Database(format!(
                        "an ads change has an unknown {} {other:?}", stringify!($ty)
                    ))),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words!(TargetKind { Campaign => "campaign", AdGroup => "ad_group", Keyword => "keyword", Schedule => "schedule" });
words!(Action { Pause => "pause", Enable => "enable", Bid => "bid", Schedule => "schedule" });
words!(Outcome { Applied => "applied", Validated => "validated", Failed => "failed" });

/// A change about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdChange {
    pub connection_id: String,
    pub provider: Provider,
    pub target_kind: TargetKind,
    pub target_id: String,
    pub action: Action,
    /// As the provider reported it just before; `None` when it could not be read.
    pub before: Option<Value>,
    /// What was set, or would have been.
    pub after: Option<Value>,
    pub dry_run: bool,
    pub outcome: Outcome,
    /// Why it failed (set exactly when `outcome` is `Failed`): one line, no secret.
    pub reason: Option<String>,
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdChange {
    pub id: String,
    pub connection_id: String,
    pub provider: Provider,
    pub target_kind: TargetKind,
    pub target_id: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub dry_run: bool,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    String,
    Option<String>,
    i64,
);

fn json(text: Option<String>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn from_row(r: Row) -> Result<AdChange> {
    let (id, connection_id, provider, kind, target_id, action, before, after, dry_run, outcome, reason, at) =
        r;
    Ok(AdChange {
        id,
        connection_id,
        provider: provider.parse()?,
        target_kind: TargetKind::parse(&kind)?,
        target_id,
        action: Action::parse(&action)?,
        before: json(before),
        after: json(after),
        dry_run,
        outcome: Outcome::parse(&outcome)?,
        reason,
        at: Utc.timestamp_millis_opt(at).single().unwrap_or_default(),
    })
}

/// The vault's record of ads changes.
pub struct AdChanges<'v> {
    vault: &'v Vault,
}

impl Vault {
    pub fn ad_changes(&self) -> AdChanges<'_> {
        AdChanges { vault: self }
    }
}

impl AdChanges<'_> {
    /// Records a change, stamped now.
    pub async fn record(&self, change: NewAdChange) -> Result<AdChange> {
        let id = ulid::Ulid::generate().to_string();
        let at = self.vault.clock.now().timestamp_millis();
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
        sqlx::query(
            "INSERT INTO ad_changes (id, connection_id, provider, target_kind, target_id, action, before,
               after, dry_run, outcome, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&change.connection_id)
        .bind(change.provider.as_str())
        .bind(change.target_kind.as_str())
        .bind(&change.target_id)
        .bind(change.action.as_str())
        .bind(text(&change.before))
        .bind(text(&change.after))
        .bind(change.dry_run)
        .bind(change.outcome.as_str())
        .bind(&change.reason)
        .bind(at)
        .execute(&self.vault.pool)
        .await?;
        Ok(AdChange {
            id,
            connection_id: change.connection_id,
            provider: change.provider,
            target_kind: change.target_kind,
            target_id: change.target_id,
            action: change.action,
            before: change.before,
            after: change.after,
            dry_run: change.dry_run,
            outcome: change.outcome,
            reason: change.reason,
            at: Utc.timestamp_millis_opt(at).single().unwrap_or_default(),
        })
    }

    /// The newest `limit` changes (0: all), of one connection or of every one, newest first.
    pub async fn list(&self, connection_id: Option<&str>, limit: u32) -> Result<Vec<AdChange>> {
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, connection_id, provider, target_kind, target_id, action, before, after, dry_run,
               outcome, reason, at FROM ad_changes
             WHERE ?1 IS NULL OR connection_id = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2",
        )
        .bind(connection_id)
        .bind(limit)
        .fetch_all(&self.vault.pool)
        .await?;
        rows.into_iter().map(from_row).collect()
    }
}
