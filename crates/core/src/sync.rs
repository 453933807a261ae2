//! What the sync engine keeps between runs: a cursor per connection and stream, advanced in the
//! same transaction as the page of leads it follows. A crash between two pages leaves the vault
//! at the end of the last whole page; the next run carries on from there, and a page read twice
//! adds nothing (leads are unique by source and external id).

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::NewLead;
use crate::error::Result;
use crate::store::leads::Inserter;
use crate::vault::Vault;

/// One stream's place, as last stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamState {
    pub stream: String,
    pub cursor: String,
    pub label: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The sync state of one connection.
pub struct SyncState<'a> {
    vault: &'a Vault,
    connection_id: String,
}

impl Vault {
    pub fn sync_state(&self, connection_id: &str) -> SyncState<'_> {
        SyncState { vault: self, connection_id: connection_id.to_string() }
    }
}

impl SyncState<'_> {
    /// The stream's cursor, if a page was ever stored for it.
    pub async fn cursor(&self, stream: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT cursor FROM sync_cursors WHERE connection_id = ? AND stream = ?")
            .bind(&self.connection_id)
            .bind(stream)
            .fetch_optional(&self.vault.pool)
            .await?)
    }

    /// Every stream of the connection, oldest update first.
    pub async fn streams(&self) -> Result<Vec<StreamState>> {
        let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT stream, cursor, label, updated_at FROM sync_cursors WHERE connection_id = ?
             ORDER BY updated_at, stream",
        )
        .bind(&self.connection_id)
        .fetch_all(&self.vault.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(stream, cursor, label, at)| StreamState {
                stream,
                cursor,
                label,
                updated_at: Utc.timestamp_millis_opt(at).single().unwrap_or_default(),
            })
            .collect())
    }

    /// Stores a page of leads (tagged with this connection) and the stream's cursor after it,
    /// in one transaction. Returns how many of the leads were new.
    pub async fn store_page(
        &self,
        stream: &str,
        label: Option<&str>,
        mut leads: Vec<NewLead>,
        cursor: &str,
    ) -> Result<u64> {
        let now = self.vault.clock.now();
        let (connection, stream, label, cursor) =
            (self.connection_id.clone(), stream.to_string(), label.map(str::to_string), cursor.to_string());
        for lead in &mut leads {
            lead.connection_id = Some(connection.clone());
        }
        self.vault
            .with_raw(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                // Disconnected while this page was on its way: keep nothing of it.
                let exists: bool =
                    tx.query_row("SELECT EXISTS (SELECT 1 FROM connections WHERE id = ?)", [&connection], |r| r.get(0))?;
                if !exists {
                    return Err(crate::error::Error::invalid(format!(
                        "no connection with id {connection}: it was disconnected during the sync"
                    )));
                }
                let added = {
                    let mut ins = Inserter::new(&tx, now)?;
                    for lead in &leads {
                        ins.insert(lead)?;
                    }
                    ins.finish()?
                };
                tx.execute(
                    "INSERT INTO sync_cursors (connection_id, stream, cursor, label, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (connection_id, stream) DO UPDATE SET cursor = excluded.cursor,
                       label = coalesce(excluded.label, sync_cursors.label), updated_at = excluded.updated_at",
                    rusqlite::params![connection, stream, cursor, label, now.timestamp_millis()],
                )?;
                tx.commit()?;
                Ok(added)
            })
            .await
    }
}
