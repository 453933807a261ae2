//! What the sync engine keeps between runs: a cursor per connection and stream, advanced in the
//! same transaction as the leads it follows. Pages are stored whole, one or several to a
//! transaction, each stream's cursor with its last page in it: a crash at any moment leaves the
//! vault at the end of the last whole page stored; the next run carries on from there, and a
//! page read twice adds nothing (leads are unique by source and external id).

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::{NewLead, Note};
use crate::error::{Error, Result};
use crate::store::leads::Inserter;
use crate::vault::Vault;

/// Keeps a synced lead whose provider gave a creation time that an import refuses (before 1970,
/// or more than a day after the lead was received: year 3000, `+262142-12-31`, an overflowing
/// timestamp): such a time would be stored, then exported as written, and the vault's own
/// export could not be imported back. A synced lead is never dropped (the provider cannot be
/// asked again), so it is kept as an import would take it: created when it was `received`, the
/// provider's time as it `sent` it (or as read) kept among its answers under `key` (its own
/// name for the field: `created_time`, `submission_date_time`), and a note saying so. Returns
/// whether the time was replaced; a usable one is left as it is.
pub fn settle_creation_time(
    lead: &mut NewLead,
    provider: &str,
    key: &str,
    sent: Option<&str>,
    received: DateTime<Utc>,
) -> bool {
    if crate::import::creation_time_refused(lead.created_at, received, key).is_none() {
        return false;
    }
    let sent = sent.map_or_else(|| lead.created_at.to_rfc3339(), str::to_string);
    keep_sent_creation_time(lead, provider, key, &sent, received);
    true
}

/// Records a creation time that could not be used (see [`settle_creation_time`]; also one that
/// could not be read at all, `sent` as the provider wrote it): the lead is created when it was
/// `received`, the provider's value is kept under `key`, and a note says so.
pub fn keep_sent_creation_time(
    lead: &mut NewLead,
    provider: &str,
    key: &str,
    sent: &str,
    received: DateTime<Utc>,
) {
    lead.fields.entry(key.to_string()).or_insert_with(|| serde_json::Value::String(sent.to_string()));
    lead.created_at = received;
    lead.notes.push(Note {
        at: received,
        body: format!(
            "{provider} gave a creation time that is not a usable date (kept as the answer {key}); \
             the time the lead was received is used instead"
        ),
    });
}

/// One stream's place, as last stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamState {
    pub stream: String,
    pub cursor: String,
    pub label: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A page of a stream's leads and the stream's cursor after it.
#[derive(Debug, Clone)]
pub struct PageOfLeads {
    pub stream: String,
    /// What people call the stream (a form's name); `None` keeps the one stored.
    pub label: Option<String>,
    pub leads: Vec<NewLead>,
    pub cursor: String,
}

/// The sync state of one connection. Pages are stored on one connection of its own, opened
/// at the first page and kept (with its prepared statements and its cache of decrypted pages)
/// until this is dropped.
pub struct SyncState<'a> {
    vault: &'a Vault,
    connection_id: String,
    conn: Arc<Mutex<Option<rusqlite::Connection>>>,
}

impl Vault {
    pub fn sync_state(&self, connection_id: &str) -> SyncState<'_> {
        SyncState { vault: self, connection_id: connection_id.to_string(), conn: Arc::default() }
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
        leads: Vec<NewLead>,
        cursor: &str,
    ) -> Result<u64> {
        let page = PageOfLeads {
            stream: stream.to_string(),
            label: label.map(str::to_string),
            leads,
            cursor: cursor.to_string(),
        };
        self.store_pages(vec![page]).await
    }

    /// Stores whole pages, in the order read, in one transaction: their leads (tagged with this
    /// connection) and each stream's cursor after its last page. All of them or none. Returns
    /// how many of the leads were new.
    pub async fn store_pages(&self, mut pages: Vec<PageOfLeads>) -> Result<u64> {
        let now = self.vault.clock.now();
        let connection = self.connection_id.clone();
        for lead in pages.iter_mut().flat_map(|p| p.leads.iter_mut()) {
            lead.connection_id = Some(connection.clone());
        }
        let (slot, raw) = (self.conn.clone(), self.vault.raw.clone());
        tokio::task::spawn_blocking(move || {
            let mut held = slot.lock().unwrap_or_else(PoisonError::into_inner);
            let conn = match &mut *held {
                Some(conn) => conn,
                none => none.insert(raw.open()?),
            };
            let stored = store(conn, &connection, &pages, now);
            if stored.is_err() {
                // Whatever went wrong, the next call starts on a fresh connection.
                *held = None;
            }
            stored
        })
        .await
        .map_err(|_| Error::invalid("the work on the vault was interrupted"))?
    }
}

/// One transaction: the pages' leads, then each stream's cursor after its last page.
fn store(
    conn: &mut rusqlite::Connection,
    connection: &str,
    pages: &[PageOfLeads],
    now: DateTime<Utc>,
) -> Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Disconnected while these pages were on their way: keep nothing of them.
    let exists: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM connections WHERE id = ?)")?
        .query_row([connection], |r| r.get(0))?;
    if !exists {
        return Err(Error::invalid(format!(
            "no connection with id {connection}: it was disconnected during the sync"
        )));
    }
    let added = {
        let mut ins = Inserter::new(&tx, now)?;
        for lead in pages.iter().flat_map(|p| &p.leads) {
            ins.insert(lead)?;
        }
        ins.finish()?
    };
    {
        let mut cursor = tx.prepare_cached(
            "INSERT INTO sync_cursors (connection_id, stream, cursor, label, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (connection_id, stream) DO UPDATE SET cursor = excluded.cursor,
               label = coalesce(excluded.label, sync_cursors.label), updated_at = excluded.updated_at",
        )?;
        for (i, page) in pages.iter().enumerate() {
            // A stream's last page in this transaction carries its cursor.
            if pages[i + 1..].iter().any(|later| later.stream == page.stream) {
                continue;
            }
            cursor.execute(rusqlite::params![
                connection,
                page.stream,
                page.cursor,
                page.label,
                now.timestamp_millis()
            ])?;
        }
    }
    tx.commit()?;
    Ok(added)
}
