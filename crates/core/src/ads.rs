//! Ads data kept per connection: campaigns and their daily metrics (what lead flow rules read),
//! stored as the sync engine finds them at the provider. Upserts are idempotent, so a page of
//! results can be written again after a crash or a retry without doubling anything.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::vault::Vault;

/// A campaign as the provider last reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// The provider's id.
    pub id: String,
    pub name: String,
    /// The provider's word for it: ENABLED, PAUSED, REMOVED (Google), ACTIVE, PAUSED (Meta).
    pub status: String,
    /// Daily budget in millionths of the account currency.
    pub budget_micros: Option<i64>,
    pub bidding: Option<String>,
}

/// One campaign's figures for one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyMetrics {
    pub campaign_id: String,
    /// YYYY-MM-DD in the account's time zone.
    pub day: String,
    pub impressions: i64,
    pub clicks: i64,
    pub cost_micros: i64,
    pub conversions: f64,
}

/// id, name, status, budget, bidding.
type CampaignRow = (String, String, String, Option<i64>, Option<String>);

/// The ads data of one connection.
pub struct Ads<'a> {
    vault: &'a Vault,
    connection_id: String,
}

impl Vault {
    pub fn ads(&self, connection_id: &str) -> Ads<'_> {
        Ads { vault: self, connection_id: connection_id.to_string() }
    }
}

impl Ads<'_> {
    /// Inserts or updates campaigns, in one transaction.
    pub async fn upsert_campaigns(&self, campaigns: &[Campaign]) -> Result<()> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.vault.pool.begin().await?;
        for c in campaigns {
            sqlx::query(
                "INSERT INTO ad_campaigns (connection_id, id, name, status, budget_micros, bidding, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (connection_id, id) DO UPDATE SET name = excluded.name,
                   status = excluded.status, budget_micros = excluded.budget_micros,
                   bidding = excluded.bidding, updated_at = excluded.updated_at",
            )
            .bind(&self.connection_id)
            .bind(&c.id)
            .bind(&c.name)
            .bind(&c.status)
            .bind(c.budget_micros)
            .bind(&c.bidding)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The connection's campaigns, by name.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>> {
        let rows: Vec<CampaignRow> = sqlx::query_as(
            "SELECT id, name, status, budget_micros, bidding FROM ad_campaigns
             WHERE connection_id = ? ORDER BY name, id",
        )
        .bind(&self.connection_id)
        .fetch_all(&self.vault.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, status, budget_micros, bidding)| Campaign {
                id,
                name,
                status,
                budget_micros,
                bidding,
            })
            .collect())
    }

    /// Inserts or replaces days of metrics (a day's figures change until the provider closes it).
    pub async fn upsert_metrics(&self, metrics: &[DailyMetrics]) -> Result<()> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.vault.pool.begin().await?;
        for m in metrics {
            sqlx::query(
                "INSERT INTO campaign_metrics (connection_id, campaign_id, day, impressions, clicks,
                   cost_micros, conversions, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (connection_id, campaign_id, day) DO UPDATE SET
                   impressions = excluded.impressions, clicks = excluded.clicks,
                   cost_micros = excluded.cost_micros, conversions = excluded.conversions,
                   updated_at = excluded.updated_at",
            )
            .bind(&self.connection_id)
            .bind(&m.campaign_id)
            .bind(&m.day)
            .bind(m.impressions)
            .bind(m.clicks)
            .bind(m.cost_micros)
            .bind(m.conversions)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A campaign's metrics from `since` (YYYY-MM-DD) on, oldest first.
    pub async fn metrics(&self, campaign_id: &str, since: &str) -> Result<Vec<DailyMetrics>> {
        let rows: Vec<(String, String, i64, i64, i64, f64)> = sqlx::query_as(
            "SELECT campaign_id, day, impressions, clicks, cost_micros, conversions FROM campaign_metrics
             WHERE connection_id = ? AND campaign_id = ? AND day >= ? ORDER BY day",
        )
        .bind(&self.connection_id)
        .bind(campaign_id)
        .bind(since)
        .fetch_all(&self.vault.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(campaign_id, day, impressions, clicks, cost_micros, conversions)| DailyMetrics {
                campaign_id,
                day,
                impressions,
                clicks,
                cost_micros,
                conversions,
            })
            .collect())
    }
}
