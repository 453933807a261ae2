//! The outbox of pushes to a CRM connection (migration 0007 explains what is queued and when).
//!
//! A pusher takes the items that are due, sends each lead as it stands now, and hands the
//! outcomes back to [`Outbox::record`], which in one transaction records every attempt,
//! remembers the remote record a lead became, and clears what was done — unless the lead
//! changed again meanwhile, in which case its item stays for the next round.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::domain::LeadStatus;
use crate::error::Result;
use crate::vault::Vault;

/// The lead as a CRM gets it.
#[derive(Clone, Serialize)]
pub struct PushLead {
    pub id: String,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub status: LeadStatus,
    pub owner: Option<String>,
    pub campaign_name: Option<String>,
    pub form_name: Option<String>,
}

impl fmt::Debug for PushLead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Contact fields are personal data: never in logs or panics.
        f.debug_struct("PushLead").field("id", &self.id).field("status", &self.status).finish_non_exhaustive()
    }
}

/// What a lead already is in the CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmLink {
    /// HubSpot contact, Pipedrive person, Salesforce Lead.
    pub remote_id: String,
    /// Pipedrive: the lead made for that person.
    pub remote_lead_id: Option<String>,
}

/// One queued push.
#[derive(Debug, Clone)]
pub struct PushItem {
    pub lead_seq: i64,
    /// The same through every retry of this push; sent where the provider takes one.
    pub idempotency_key: String,
    pub version: i64,
    pub attempts: u32,
    pub link: Option<CrmLink>,
    pub lead: PushLead,
}

/// What came of one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created(CrmLink),
    Updated(CrmLink),
    /// Nothing the CRM could take (HubSpot matches contacts by email; this lead has none).
    Skipped(String),
    /// A transient failure: try again from `at`.
    Retry {
        reason: String,
        at: DateTime<Utc>,
    },
    /// The CRM refused this lead; it stays failed until the lead changes again.
    Failed(String),
}

/// How the queue of one connection stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: u64,
    pub failed: u64,
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub lead_id: String,
    pub idempotency_key: String,
    pub at: DateTime<Utc>,
    pub outcome: String,
    pub remote_id: Option<String>,
    pub detail: Option<String>,
}

/// The outbox of one CRM connection.
pub struct Outbox<'a> {
    vault: &'a Vault,
    connection_id: String,
}

impl Vault {
    pub fn outbox(&self, connection_id: &str) -> Outbox<'_> {
        Outbox { vault: self, connection_id: connection_id.to_string() }
    }
}

#[derive(sqlx::FromRow)]
struct DueRow {
    lead_seq: i64,
    idempotency_key: String,
    version: i64,
    attempts: i64,
    remote_id: Option<String>,
    remote_lead_id: Option<String>,
    id: String,
    source: String,
    created_at: i64,
    full_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    company: Option<String>,
    status: String,
    owner: Option<String>,
    campaign_name: Option<String>,
    form_name: Option<String>,
}

fn millis(at: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(at).single().unwrap_or_default()
}

impl Outbox<'_> {
    /// Up to `limit` pending items whose time has come, oldest first.
    pub async fn due(&self, limit: u32) -> Result<Vec<PushItem>> {
        let now = self.vault.clock.now().timestamp_millis();
        let rows: Vec<DueRow> = sqlx::query_as(
            "SELECT o.lead_seq, o.idempotency_key, o.version, o.attempts, k.remote_id, k.remote_lead_id,
                    l.id, l.source, l.created_at, l.full_name, l.email, l.phone, l.company, l.status, l.owner,
                    l.campaign_name, l.form_name
             FROM outbox o
             JOIN leads l ON l.seq = o.lead_seq
             LEFT JOIN crm_links k ON k.connection_id = o.connection_id AND k.lead_seq = o.lead_seq
             WHERE o.connection_id = ? AND o.state = 'pending' AND o.next_at <= ?
             ORDER BY o.next_at, o.lead_seq LIMIT ?",
        )
        .bind(&self.connection_id)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.vault.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PushItem {
                lead_seq: r.lead_seq,
                idempotency_key: r.idempotency_key,
                version: r.version,
                attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                link: r.remote_id.map(|remote_id| CrmLink { remote_id, remote_lead_id: r.remote_lead_id }),
                lead: PushLead {
                    id: r.id,
                    source: r.source,
                    created_at: millis(r.created_at),
                    full_name: r.full_name,
                    email: r.email,
                    phone: r.phone,
                    company: r.company,
                    status: r.status.parse().unwrap_or(LeadStatus::New),
                    owner: r.owner,
                    campaign_name: r.campaign_name,
                    form_name: r.form_name,
                },
            })
            .collect())
    }

    /// When the next pending item is due, if any is.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT min(next_at) FROM outbox WHERE connection_id = ? AND state = 'pending'",
        )
        .bind(&self.connection_id)
        .fetch_one(&self.vault.pool)
        .await?;
        Ok(at.map(millis))
    }

    /// What the lead already is in this CRM, if anything.
    pub async fn link(&self, lead_seq: i64) -> Result<Option<CrmLink>> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT remote_id, remote_lead_id FROM crm_links WHERE connection_id = ? AND lead_seq = ?",
        )
        .bind(&self.connection_id)
        .bind(lead_seq)
        .fetch_optional(&self.vault.pool)
        .await?;
        Ok(row.map(|(remote_id, remote_lead_id)| CrmLink { remote_id, remote_lead_id }))
    }

    /// Remembers the remote record a lead became before its push is over (Pipedrive's person,
    /// made before its lead), so a retry does not make it again.
    pub async fn save_link(&self, lead_seq: i64, link: &CrmLink) -> Result<()> {
        let now = self.vault.clock.now().timestamp_millis();
        sqlx::query(
            "INSERT INTO crm_links (connection_id, lead_seq, remote_id, remote_lead_id, pushed_at)
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM leads WHERE seq = ?2)
             ON CONFLICT (connection_id, lead_seq) DO UPDATE SET remote_id = excluded.remote_id,
               remote_lead_id = coalesce(excluded.remote_lead_id, crm_links.remote_lead_id)",
        )
        .bind(&self.connection_id)
        .bind(lead_seq)
        .bind(&link.remote_id)
        .bind(&link.remote_lead_id)
        .bind(now)
        .execute(&self.vault.pool)
        .await?;
        Ok(())
    }

    /// Records what came of a round of pushes, in one transaction.
    pub async fn record(&self, results: &[(PushItem, Outcome)]) -> Result<()> {
        let now = self.vault.clock.now().timestamp_millis();
        let id = &self.connection_id;
        let mut tx = self.vault.write_transaction().await?;
        for (item, outcome) in results {
            let (kind, remote, detail) = match outcome {
                Outcome::Created(l) => ("created", Some(&l.remote_id), None),
                Outcome::Updated(l) => ("updated", Some(&l.remote_id), None),
                Outcome::Skipped(why) => ("skipped", None, Some(why)),
                Outcome::Retry { reason, .. } => ("retry", None, Some(reason)),
                Outcome::Failed(why) => ("failed", None, Some(why)),
            };
            // A lead deleted, or a CRM disconnected, while the push was on its way takes its
            // history with it.
            sqlx::query(
                "INSERT INTO push_attempts (connection_id, lead_seq, idempotency_key, at, outcome, remote_id, detail)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
                 WHERE EXISTS (SELECT 1 FROM leads WHERE seq = ?2 AND id = ?8)
                   AND EXISTS (SELECT 1 FROM connections WHERE id = ?1)",
            )
            .bind(id)
            .bind(item.lead_seq)
            .bind(&item.idempotency_key)
            .bind(now)
            .bind(kind)
            .bind(remote)
            .bind(detail)
            .bind(&item.lead.id)
            .execute(&mut *tx)
            .await?;
            match outcome {
                Outcome::Created(link) | Outcome::Updated(link) => {
                    sqlx::query(
                        "INSERT INTO crm_links (connection_id, lead_seq, remote_id, remote_lead_id, pushed_at)
                         SELECT ?1, ?2, ?3, ?4, ?5
                         WHERE EXISTS (SELECT 1 FROM leads WHERE seq = ?2 AND id = ?6)
                           AND EXISTS (SELECT 1 FROM connections WHERE id = ?1)
                         ON CONFLICT (connection_id, lead_seq) DO UPDATE SET remote_id = excluded.remote_id,
                           remote_lead_id = coalesce(excluded.remote_lead_id, crm_links.remote_lead_id),
                           pushed_at = excluded.pushed_at",
                    )
                    .bind(id)
                    .bind(item.lead_seq)
                    .bind(&link.remote_id)
                    .bind(&link.remote_lead_id)
                    .bind(now)
                    .bind(&item.lead.id)
                    .execute(&mut *tx)
                    .await?;
                    self.clear(&mut tx, item).await?;
                }
                Outcome::Skipped(_) => self.clear(&mut tx, item).await?,
                Outcome::Retry { reason, at } => {
                    sqlx::query(
                        "UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ?
                         WHERE connection_id = ? AND lead_seq = ? AND version = ? AND idempotency_key = ?",
                    )
                    .bind(at.timestamp_millis())
                    .bind(reason)
                    .bind(id)
                    .bind(item.lead_seq)
                    .bind(item.version)
                    .bind(&item.idempotency_key)
                    .execute(&mut *tx)
                    .await?;
                }
                Outcome::Failed(why) => {
                    sqlx::query(
                        "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?
                         WHERE connection_id = ? AND lead_seq = ? AND version = ? AND idempotency_key = ?",
                    )
                    .bind(why)
                    .bind(id)
                    .bind(item.lead_seq)
                    .bind(item.version)
                    .bind(&item.idempotency_key)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Clears a done item, unless the lead changed after it was read.
    async fn clear(&self, tx: &mut sqlx::SqliteConnection, item: &PushItem) -> Result<()> {
        sqlx::query(
            "DELETE FROM outbox WHERE connection_id = ? AND lead_seq = ? AND version = ? AND idempotency_key = ?",
        )
        .bind(&self.connection_id)
        .bind(item.lead_seq)
        .bind(item.version)
        .bind(&item.idempotency_key)
            .execute(tx)
            .await?;
        Ok(())
    }

    pub async fn counts(&self) -> Result<OutboxCounts> {
        let (pending, failed): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'failed')
             FROM outbox WHERE connection_id = ?",
        )
        .bind(&self.connection_id)
        .fetch_one(&self.vault.pool)
        .await?;
        Ok(OutboxCounts { pending: pending as u64, failed: failed as u64 })
    }

    /// The most recent attempts, newest first.
    pub async fn attempts(&self, limit: u32) -> Result<Vec<Attempt>> {
        type Row = (String, String, i64, String, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT l.id, a.idempotency_key, a.at, a.outcome, a.remote_id, a.detail
             FROM push_attempts a JOIN leads l ON l.seq = a.lead_seq
             WHERE a.connection_id = ? ORDER BY a.id DESC LIMIT ?",
        )
        .bind(&self.connection_id)
        .bind(limit)
        .fetch_all(&self.vault.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Attempt {
                lead_id: r.0,
                idempotency_key: r.1,
                at: millis(r.2),
                outcome: r.3,
                remote_id: r.4,
                detail: r.5,
            })
            .collect())
    }

    /// How many leads are linked to a remote record.
    pub async fn linked(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM crm_links WHERE connection_id = ?")
            .bind(&self.connection_id)
            .fetch_one(&self.vault.pool)
            .await?;
        Ok(n as u64)
    }
}

/// Queues every synced lead for a CRM connection that has just been made (in `tx`).
pub(crate) async fn queue_synced(
    tx: &mut sqlx::SqliteConnection,
    connection_id: &str,
    now: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "INSERT OR IGNORE INTO outbox (connection_id, lead_seq, idempotency_key, next_at, queued_at)
         SELECT ?1, seq, lower(hex(randomblob(16))), ?2, ?2 FROM leads WHERE connection_id IS NOT NULL",
    )
    .bind(connection_id)
    .bind(now)
    .execute(tx)
    .await?
    .rows_affected())
}
