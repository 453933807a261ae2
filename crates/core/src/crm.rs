//! What a CRM connection's sync reads back: its owners and the open leads each holds
//! (migration 0010), for lead flow rules.

use std::fmt;

use serde::Serialize;

use crate::error::Result;
use crate::vault::Vault;

/// One owner of a CRM and their open leads.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub open_leads: u64,
}

impl fmt::Debug for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names and emails are personal data.
        f.debug_struct("Owner")
            .field("id", &self.id)
            .field("open_leads", &self.open_leads)
            .finish_non_exhaustive()
    }
}

/// One CRM connection's owners.
pub struct CrmOwners<'a> {
    vault: &'a Vault,
    connection_id: String,
}

impl Vault {
    pub fn crm_owners(&self, connection_id: &str) -> CrmOwners<'_> {
        CrmOwners { vault: self, connection_id: connection_id.to_string() }
    }
}

impl CrmOwners<'_> {
    /// Replaces the connection's owners with these, in one transaction (nothing, if the
    /// connection was removed meanwhile: its people are not kept after it).
    pub async fn replace(&self, owners: &[Owner]) -> Result<()> {
        let now = self.vault.clock.now().timestamp_millis();
        let mut tx = self.vault.write_transaction().await?;
        sqlx::query("DELETE FROM crm_owners WHERE connection_id = ?")
            .bind(&self.connection_id)
            .execute(&mut *tx)
            .await?;
        for o in owners {
            sqlx::query(
                "INSERT INTO crm_owners (connection_id, owner_id, name, email, open_leads, updated_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM connections WHERE id = ?1)
                 ON CONFLICT (connection_id, owner_id) DO UPDATE SET open_leads = excluded.open_leads",
            )
            .bind(&self.connection_id)
            .bind(&o.id)
            .bind(&o.name)
            .bind(&o.email)
            .bind(o.open_leads as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The owners as last counted, busiest first.
    pub async fn list(&self) -> Result<Vec<Owner>> {
        let rows: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT owner_id, name, email, open_leads FROM crm_owners WHERE connection_id = ?
             ORDER BY open_leads DESC, owner_id",
        )
        .bind(&self.connection_id)
        .fetch_all(&self.vault.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, email, n)| Owner { id, name, email, open_leads: n.max(0) as u64 })
            .collect())
    }
}
