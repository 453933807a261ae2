//! Ads data kept per connection: campaigns and their daily metrics (what lead flow rules read),
//! ad groups, keywords and ad schedules (what the ads controls change), stored as the sync
//! engine finds them at the provider. Upserts are idempotent, so a page of results can be
//! written again after a crash or a retry without doubling anything.
//!
//! Campaigns, ad groups, keywords and schedules mirror the account: a full pull replaces the
//! connection's set ([`Ads::replace_entities`]), so a keyword deleted at the provider is not
//! offered for a bid change here. Metric days are history and are only ever upserted.

use std::collections::HashSet;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
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

/// A Google Ads ad group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AdGroup {
    pub id: String,
    pub campaign_id: String,
    pub name: String,
    pub status: String,
    /// The ad group's default max CPC, in micros.
    pub cpc_bid_micros: Option<i64>,
}

/// A Google Ads keyword (an ad group criterion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Keyword {
    /// Google's `adGroupId~criterionId`, the id its mutations name.
    pub id: String,
    pub ad_group_id: String,
    pub text: String,
    /// EXACT, PHRASE, BROAD.
    pub match_type: String,
    pub status: String,
    /// The keyword's own max CPC; `None` when it uses its ad group's.
    pub cpc_bid_micros: Option<i64>,
}

/// A Google Ads ad schedule (a campaign criterion): the hours a campaign's ads may show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AdSchedule {
    /// Google's `campaignId~criterionId`.
    pub id: String,
    pub campaign_id: String,
    /// MONDAY … SUNDAY.
    pub day_of_week: String,
    /// Minutes after midnight in the account's time zone; the end is exclusive (24:00 = 1440).
    pub start_minute: i64,
    pub end_minute: i64,
    pub bid_modifier: Option<f64>,
}

/// Everything a full pull of a connection's ad accounts found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdEntities {
    pub campaigns: Vec<Campaign>,
    pub ad_groups: Vec<AdGroup>,
    pub keywords: Vec<Keyword>,
    pub schedules: Vec<AdSchedule>,
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
        let mut tx = self.vault.write_transaction().await?;
        self.still_connected(&mut tx).await?;
        for c in campaigns {
            upsert_campaign(&mut tx, &self.connection_id, c, now).await?;
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
        let mut tx = self.vault.write_transaction().await?;
        self.still_connected(&mut tx).await?;
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

impl Ads<'_> {
    /// Makes the connection's campaigns, ad groups, keywords and ad schedules exactly
    /// `entities`, in one transaction: new ones are added, known ones updated, and the ones the
    /// provider no longer returns are deleted (their metric days stay, as history). Deleting
    /// rather than marking keeps what the ads controls offer to change true to the account;
    /// Google itself reports removed campaigns and ad groups with status REMOVED, so only what
    /// is truly gone (a deleted schedule, an account no longer accessible) disappears here.
    /// Returns how many rows were deleted.
    pub async fn replace_entities(&self, entities: &AdEntities) -> Result<u64> {
        let now = Utc::now().timestamp_millis();
        let id = &self.connection_id;
        let mut tx = self.vault.write_transaction().await?;
        self.still_connected(&mut tx).await?;
        for c in &entities.campaigns {
            upsert_campaign(&mut tx, id, c, now).await?;
        }
        for g in &entities.ad_groups {
            sqlx::query(
                "INSERT INTO ad_groups (connection_id, id, campaign_id, name, status, cpc_bid_micros, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (connection_id, id) DO UPDATE SET campaign_id = excluded.campaign_id,
                   name = excluded.name, status = excluded.status,
                   cpc_bid_micros = excluded.cpc_bid_micros, updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(&g.id)
            .bind(&g.campaign_id)
            .bind(&g.name)
            .bind(&g.status)
            .bind(g.cpc_bid_micros)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for k in &entities.keywords {
            sqlx::query(
                "INSERT INTO ad_keywords (connection_id, id, ad_group_id, text, match_type, status,
                   cpc_bid_micros, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (connection_id, id) DO UPDATE SET ad_group_id = excluded.ad_group_id,
                   text = excluded.text, match_type = excluded.match_type, status = excluded.status,
                   cpc_bid_micros = excluded.cpc_bid_micros, updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(&k.id)
            .bind(&k.ad_group_id)
            .bind(&k.text)
            .bind(&k.match_type)
            .bind(&k.status)
            .bind(k.cpc_bid_micros)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for s in &entities.schedules {
            sqlx::query(
                "INSERT INTO ad_schedules (connection_id, id, campaign_id, day_of_week, start_minute,
                   end_minute, bid_modifier, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (connection_id, id) DO UPDATE SET campaign_id = excluded.campaign_id,
                   day_of_week = excluded.day_of_week, start_minute = excluded.start_minute,
                   end_minute = excluded.end_minute, bid_modifier = excluded.bid_modifier,
                   updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(&s.id)
            .bind(&s.campaign_id)
            .bind(&s.day_of_week)
            .bind(s.start_minute)
            .bind(s.end_minute)
            .bind(s.bid_modifier)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut removed = 0;
        removed += prune(&mut tx, id, Table::Campaigns, entities.campaigns.iter().map(|c| &c.id)).await?;
        removed += prune(&mut tx, id, Table::AdGroups, entities.ad_groups.iter().map(|g| &g.id)).await?;
        removed += prune(&mut tx, id, Table::Keywords, entities.keywords.iter().map(|k| &k.id)).await?;
        removed += prune(&mut tx, id, Table::Schedules, entities.schedules.iter().map(|s| &s.id)).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// The connection's ad groups, by id.
    pub async fn ad_groups(&self) -> Result<Vec<AdGroup>> {
        self.rows(
            "SELECT id, campaign_id, name, status, cpc_bid_micros FROM ad_groups
             WHERE connection_id = ? ORDER BY id",
        )
        .await
    }

    /// The connection's keywords, by id.
    pub async fn keywords(&self) -> Result<Vec<Keyword>> {
        self.rows(
            "SELECT id, ad_group_id, text, match_type, status, cpc_bid_micros FROM ad_keywords
             WHERE connection_id = ? ORDER BY id",
        )
        .await
    }

    /// The connection's ad schedules, by id.
    pub async fn schedules(&self) -> Result<Vec<AdSchedule>> {
        self.rows(
            "SELECT id, campaign_id, day_of_week, start_minute, end_minute, bid_modifier FROM ad_schedules
             WHERE connection_id = ? ORDER BY id",
        )
        .await
    }

    /// Every row `sql` (one `?`: the connection) selects, by column name.
    async fn rows<T>(&self, sql: &'static str) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        Ok(sqlx::query_as::<_, T>(sql).bind(&self.connection_id).fetch_all(&self.vault.pool).await?)
    }

    /// Disconnected while a sync was writing: keep nothing of what it brought.
    async fn still_connected(&self, conn: &mut SqliteConnection) -> Result<()> {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM connections WHERE id = ?)")
            .bind(&self.connection_id)
            .fetch_one(&mut *conn)
            .await?;
        if !exists {
            return Err(Error::invalid(format!(
                "no connection with id {}: it was disconnected during the sync",
                self.connection_id
            )));
        }
        Ok(())
    }
}

async fn upsert_campaign(
    conn: &mut SqliteConnection,
    connection_id: &str,
    c: &Campaign,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ad_campaigns (connection_id, id, name, status, budget_micros, bidding, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (connection_id, id) DO UPDATE SET name = excluded.name,
           status = excluded.status, budget_micros = excluded.budget_micros,
           bidding = excluded.bidding, updated_at = excluded.updated_at",
    )
    .bind(connection_id)
    .bind(&c.id)
    .bind(&c.name)
    .bind(&c.status)
    .bind(c.budget_micros)
    .bind(&c.bidding)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The entity tables a full pull replaces.
#[derive(Clone, Copy)]
enum Table {
    Campaigns,
    AdGroups,
    Keywords,
    Schedules,
}

impl Table {
    /// The connection's ids, then the delete of one of them.
    fn statements(self) -> (&'static str, &'static str) {
        match self {
            Table::Campaigns => (
                "SELECT id FROM ad_campaigns WHERE connection_id = ?",
                "DELETE FROM ad_campaigns WHERE connection_id = ? AND id = ?",
            ),
            Table::AdGroups => (
                "SELECT id FROM ad_groups WHERE connection_id = ?",
                "DELETE FROM ad_groups WHERE connection_id = ? AND id = ?",
            ),
            Table::Keywords => (
                "SELECT id FROM ad_keywords WHERE connection_id = ?",
                "DELETE FROM ad_keywords WHERE connection_id = ? AND id = ?",
            ),
            Table::Schedules => (
                "SELECT id FROM ad_schedules WHERE connection_id = ?",
                "DELETE FROM ad_schedules WHERE connection_id = ? AND id = ?",
            ),
        }
    }
}

/// Deletes the connection's rows of `table` whose id is not in `keep`; returns how many.
async fn prune<'k>(
    conn: &mut SqliteConnection,
    connection_id: &str,
    table: Table,
    keep: impl Iterator<Item = &'k String>,
) -> Result<u64> {
    let (select, delete) = table.statements();
    let keep: HashSet<&str> = keep.map(String::as_str).collect();
    let known: Vec<String> = sqlx::query_scalar(select).bind(connection_id).fetch_all(&mut *conn).await?;
    let mut removed = 0;
    for id in known.iter().filter(|id| !keep.contains(id.as_str())) {
        removed +=
            sqlx::query(delete).bind(connection_id).bind(id).execute(&mut *conn).await?.rows_affected();
    }
    Ok(removed)
}
