//! Connections to the providers: what the vault remembers about each (never a secret) and the
//! secrets themselves, which live only in the OS keychain, one entry per connection.
//!
//! The core speaks no HTTP: signing in, verifying a token and revoking it are the connectors'
//! work (`leadvault-connectors`); this module stores what they produce.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secrets::{KeyStore, Secret};
use crate::vault::Vault;

/// The providers Leadvault connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Meta,
    GoogleAds,
    Hubspot,
    Pipedrive,
    Salesforce,
}

impl Provider {
    pub const ALL: [Provider; 5] =
        [Provider::Meta, Provider::GoogleAds, Provider::Hubspot, Provider::Pipedrive, Provider::Salesforce];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Meta => "meta",
            Provider::GoogleAds => "google-ads",
            Provider::Hubspot => "hubspot",
            Provider::Pipedrive => "pipedrive",
            Provider::Salesforce => "salesforce",
        }
    }

    /// The name people know it by.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Meta => "Meta",
            Provider::GoogleAds => "Google Ads",
            Provider::Hubspot => "HubSpot",
            Provider::Pipedrive => "Pipedrive",
            Provider::Salesforce => "Salesforce",
        }
    }

    /// A CRM leads are pushed to (the others are sources leads are pulled from).
    pub fn is_crm(self) -> bool {
        matches!(self, Provider::Hubspot | Provider::Pipedrive | Provider::Salesforce)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = Error;
    fn from_str(s: &str) -> Result<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            Error::invalid(format!(
                "unknown provider {s:?}: use meta, google-ads, hubspot, pipedrive or salesforce"
            ))
        })
    }
}

/// How the connection was made: by signing in (tokens that expire and are refreshed) or with a
/// pasted long-lived token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    Oauth,
    Token,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Oauth => "oauth",
            AuthKind::Token => "token",
        }
    }
}

/// Whether a connection can be used as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    /// The provider refused the tokens (revoked, expired refresh): the user must sign in again.
    NeedsSignIn,
    /// The last call failed for another reason; `last_error` says which.
    Error,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Connected => "connected",
            ConnectionStatus::NeedsSignIn => "needs_sign_in",
            ConnectionStatus::Error => "error",
        }
    }

    fn parse(s: &str) -> ConnectionStatus {
        match s {
            "needs_sign_in" => ConnectionStatus::NeedsSignIn,
            "error" => ConnectionStatus::Error,
            _ => ConnectionStatus::Connected,
        }
    }
}

/// What the vault keeps about a connection. Nothing in it is secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connection {
    pub id: String,
    pub provider: Provider,
    pub label: String,
    pub auth: AuthKind,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub scopes: Vec<String>,
    /// Every address of the provider replaced by this one: a local test server or demo mode.
    pub base_url: Option<String>,
    /// Where the provider's API answers when the sign-in said so: a Salesforce instance, a
    /// Pipedrive company domain.
    pub api_base: Option<String>,
    pub status: ConnectionStatus,
    pub created_at: DateTime<Utc>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// How often the app syncs it: `None` for the provider's default, `Some(0)` for only when
    /// asked, otherwise every so many seconds.
    pub sync_every_secs: Option<u64>,
}

/// A connection about to be saved.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub provider: Provider,
    pub label: String,
    pub auth: AuthKind,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub scopes: Vec<String>,
    pub base_url: Option<String>,
    pub api_base: Option<String>,
}

/// A connection's secrets, kept as one keychain entry. `Debug` shows none of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub access_token: Secret,
    /// The OAuth app the tokens were issued to (not secret), needed to refresh them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// When the access token stops working; `None` for tokens that do not expire on a clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The OAuth app's secret, for providers whose token endpoint wants one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// Google Ads' developer token, for setups that still send one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_token: Option<Secret>,
}

impl Credentials {
    /// A pasted token: no refresh, no expiry.
    pub fn token(access_token: Secret) -> Credentials {
        Credentials {
            access_token,
            client_id: None,
            refresh_token: None,
            expires_at: None,
            client_secret: None,
            developer_token: None,
        }
    }
}

/// The keychain account that holds a connection's secrets.
fn keychain_account(id: &str) -> String {
    format!("connection:{id}")
}

/// What `disconnect` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Removed {
    pub leads_deleted: u64,
    /// Campaigns, ad groups, keywords, schedules and daily metrics.
    pub ads_rows_deleted: u64,
    /// Recorded ads changes (`ad_changes`): what Leadvault changed, tried or dry-ran there.
    pub ad_changes_deleted: u64,
}

/// Deletes a connection's rows from each table of ads data (see `ads`).
const PURGE_ADS: [&str; 5] = [
    "DELETE FROM ad_campaigns WHERE connection_id = ?",
    "DELETE FROM ad_groups WHERE connection_id = ?",
    "DELETE FROM ad_keywords WHERE connection_id = ?",
    "DELETE FROM ad_schedules WHERE connection_id = ?",
    "DELETE FROM campaign_metrics WHERE connection_id = ?",
];

/// What goes with a connection, purged or not.
const FORGET_WITH_CONNECTION: [&str; 5] = [
    "DELETE FROM crm_owners WHERE connection_id = ?",
    "DELETE FROM sync_cursors WHERE connection_id = ?",
    "DELETE FROM outbox WHERE connection_id = ?",
    "DELETE FROM push_attempts WHERE connection_id = ?",
    "DELETE FROM crm_links WHERE connection_id = ?",
];

/// The vault's connections.
pub struct Connections<'v> {
    vault: &'v Vault,
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

/// `SELECT <the columns of a Row> FROM connections`, as a literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, provider, label, auth, account_id, account_name, scopes, base_url, api_base, \
             status, created_at, last_sync_at, last_error, sync_every_secs FROM connections ",
            $rest
        )
    };
}

fn millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn from_row(r: Row) -> Result<Connection> {
    let (
        id,
        provider,
        label,
        auth,
        account_id,
        account_name,
        scopes,
        base_url,
        api_base,
        status,
        created,
        synced,
        error,
        every,
    ) = r;
    Ok(Connection {
        id,
        provider: provider.parse()?,
        label,
        auth: if auth == "token" { AuthKind::Token } else { AuthKind::Oauth },
        account_id,
        account_name,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        base_url,
        api_base,
        status: ConnectionStatus::parse(&status),
        created_at: millis(created),
        last_sync_at: synced.map(millis),
        last_error: error,
        sync_every_secs: every.and_then(|n| u64::try_from(n).ok()),
    })
}

/// The row of a connection signed in again, and its CRM queue: what waited out a backoff
/// because the sign-in was refused is due now. In `tx`; false if no such row.
async fn update_signed_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    id: &str,
    update: &NewConnection,
    label: Option<&str>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE connections SET label = COALESCE(?, label), auth = ?, \
         account_id = COALESCE(?, account_id), account_name = COALESCE(?, account_name), \
         scopes = ?, api_base = ?, status = 'connected', last_error = NULL WHERE id = ?",
    )
    .bind(label)
    .bind(update.auth.as_str())
    .bind(&update.account_id)
    .bind(&update.account_name)
    .bind(serde_json::to_string(&update.scopes).unwrap_or_else(|_| "[]".into()))
    .bind(&update.api_base)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE outbox SET next_at = ? WHERE connection_id = ? AND state = 'pending' AND next_at > ?",
    )
    .bind(now)
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// The keychain as a connection's secrets use it: no keychain is named as one the tokens need
/// ([`Error::TokensNeedKeychain`]), where the vault's own key store says how else to open a vault.
struct TokenStore(Arc<dyn KeyStore>);

fn tokens_need_keychain(e: Error) -> Error {
    match e {
        Error::KeychainUnavailable { reason } => Error::TokensNeedKeychain { reason },
        other => other,
    }
}

impl KeyStore for TokenStore {
    fn get(&self, account: &str) -> Result<Option<crate::secrets::VaultKey>> {
        self.0.get(account).map_err(tokens_need_keychain)
    }
    fn set(&self, account: &str, key: &crate::secrets::VaultKey) -> Result<()> {
        self.0.set(account, key).map_err(tokens_need_keychain)
    }
    fn delete(&self, account: &str) -> Result<()> {
        self.0.delete(account).map_err(tokens_need_keychain)
    }
    fn get_text(&self, account: &str) -> Result<Option<zeroize::Zeroizing<String>>> {
        self.0.get_text(account).map_err(tokens_need_keychain)
    }
    fn set_text(&self, account: &str, secret: &str) -> Result<()> {
        self.0.set_text(account, secret).map_err(tokens_need_keychain)
    }
}

impl Vault {
    pub fn connections(&self) -> Connections<'_> {
        Connections { vault: self }
    }
}

impl Connections<'_> {
    fn keystore(&self) -> Arc<dyn KeyStore> {
        Arc::new(TokenStore(self.vault.keystore()))
    }

    /// Saves a new connection: its secrets to the keychain first, then the rest to the vault.
    /// If either fails, neither is kept.
    pub async fn add(&self, new: NewConnection, credentials: &Credentials) -> Result<Connection> {
        if new.label.trim().is_empty() {
            return Err(Error::invalid("the connection's label is empty; give it a name"));
        }
        let id = ulid::Ulid::generate().to_string();
        self.save_credentials(&id, credentials).await?;
        let now = self.vault.clock.now().timestamp_millis();
        let inserted = self.insert(&id, &new, now).await;
        if let Err(e) = inserted {
            let (ks, account) = (self.keystore(), keychain_account(&id));
            let _ = tokio::task::spawn_blocking(move || ks.delete(&account)).await;
            return Err(e);
        }
        self.get(&id).await
    }

    /// The row, and for a CRM the synced leads it has not had yet, in one transaction.
    async fn insert(&self, id: &str, new: &NewConnection, now: i64) -> Result<()> {
        let mut tx = self.vault.write_transaction().await?;
        sqlx::query(
            "INSERT INTO connections (id, provider, label, auth, account_id, account_name, scopes, base_url, \
             api_base, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'connected', ?)",
        )
        .bind(id)
        .bind(new.provider.as_str())
        .bind(new.label.trim())
        .bind(new.auth.as_str())
        .bind(&new.account_id)
        .bind(&new.account_name)
        .bind(serde_json::to_string(&new.scopes).unwrap_or_else(|_| "[]".into()))
        .bind(&new.base_url)
        .bind(&new.api_base)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if new.provider.is_crm() {
            crate::outbox::queue_synced(&mut tx, id, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The connection this vault has to `account_id` at `provider` through the same server
    /// (`base_url`: the live provider, or a local test server), if any: the one to sign in again
    /// rather than add a second time. Of several (made twice before), the one that needs it most
    /// (not connected), then the oldest.
    pub async fn find_account(
        &self,
        provider: Provider,
        account_id: &str,
        base_url: Option<&str>,
    ) -> Result<Option<Connection>> {
        let row: Option<Row> = sqlx::query_as(select!(
            "WHERE provider = ? AND account_id = ? AND base_url IS ? \
             ORDER BY status = 'connected', created_at, id LIMIT 1"
        ))
        .bind(provider.as_str())
        .bind(account_id)
        .bind(base_url)
        .fetch_optional(&self.vault.pool)
        .await?;
        row.map(from_row).transpose()
    }

    /// Signs a connection in again, in place: `credentials` replace its secrets in the
    /// keychain, and what the sign-in said (how, the account's name, the scopes, the API's
    /// address) replaces what the vault had; it is connected again with no last error. Its id,
    /// sync interval, cursors and CRM queue stay as they were: nothing is queued again. Its
    /// label stays too, unless `label` gives one (a name the user typed with the sign-in).
    ///
    /// The new secrets are written before the row says it is connected; if the row's update
    /// fails, the old secrets are put back (or the entry removed if there were none), so a
    /// failure leaves the connection as it was.
    pub async fn sign_in_again(
        &self,
        id: &str,
        update: &NewConnection,
        credentials: &Credentials,
        label: Option<&str>,
    ) -> Result<Connection> {
        let label = label.map(str::trim);
        if label.is_some_and(str::is_empty) {
            return Err(Error::invalid("the connection's label is empty; give it a name"));
        }
        let current = self.get(id).await?;
        if current.provider != update.provider {
            return Err(Error::invalid(format!(
                "connection {id} is a {} connection, not {}; sign in to {} instead",
                current.provider.display_name(),
                update.provider.display_name(),
                current.provider.display_name()
            )));
        }
        if let (Some(was), Some(now)) = (&current.account_id, &update.account_id)
            && was != now
        {
            return Err(Error::invalid(format!(
                "this sign-in is for another {} account than the one of connection {id}; sign in \
                 with that account, or connect the other one as a new connection",
                current.provider.display_name()
            )));
        }
        // Under the write lock from before the new secrets are written until the row says so:
        // a call made with the old ones checks the keychain under it too (`set_status_if_held`,
        // `replace_credentials_if_held`), so it sees either the old secrets, its write coming
        // before these, or the new ones.
        let mut tx = self.vault.write_transaction().await?;
        let (ks, account) = (self.keystore(), keychain_account(id));
        let old = tokio::task::spawn_blocking(move || ks.get_text(&account))
            .await
            .map_err(|_| Error::invalid("a keychain call was interrupted"))??;
        self.save_credentials(id, credentials).await?;
        let now = self.vault.clock.now().timestamp_millis();
        let updated = match update_signed_in(&mut tx, id, update, label, now).await {
            Ok(true) => tx.commit().await.map(|()| true).map_err(Error::from),
            other => other,
        };
        let failed = match updated {
            Ok(true) => None,
            Ok(false) => Some(Error::invalid(format!(
                "no connection with id {id}; list them with `leadvault connections list`"
            ))),
            Err(e) => Some(e),
        };
        if let Some(e) = failed {
            let (ks, account) = (self.keystore(), keychain_account(id));
            let _ = tokio::task::spawn_blocking(move || match old {
                Some(text) => ks.set_text(&account, &text),
                None => ks.delete(&account),
            })
            .await;
            return Err(e);
        }
        self.get(id).await
    }

    /// Replaces the connection's secrets with `new`, a refresh of `held`, only while the
    /// keychain still holds `held`: not over a sign-in again made since (nor for a connection
    /// removed meanwhile, whose entry it would make again). Returns whether it replaced them.
    /// Checked and written under the write lock, as [`set_status_if_held`](Self::set_status_if_held).
    pub async fn replace_credentials_if_held(
        &self,
        id: &str,
        held: &Credentials,
        new: &Credentials,
    ) -> Result<bool> {
        let _lock = self.vault.write_transaction().await?;
        if self.credentials(id).await?.as_ref() != Some(held) {
            return Ok(false);
        }
        self.save_credentials(id, new).await?;
        Ok(true)
    }

    /// Every connection, oldest first.
    pub async fn list(&self) -> Result<Vec<Connection>> {
        let rows: Vec<Row> =
            sqlx::query_as(select!("ORDER BY created_at, id")).fetch_all(&self.vault.pool).await?;
        rows.into_iter().map(from_row).collect()
    }

    /// One connection by id.
    pub async fn get(&self, id: &str) -> Result<Connection> {
        let row: Option<Row> =
            sqlx::query_as(select!("WHERE id = ?")).bind(id).fetch_optional(&self.vault.pool).await?;
        row.map(from_row).transpose()?.ok_or_else(|| {
            Error::invalid(format!("no connection with id {id}; list them with `leadvault connections list`"))
        })
    }

    /// Records the outcome of using a connection: its status and, on failure, why (a message
    /// that carries no secret).
    pub async fn set_status(&self, id: &str, status: ConnectionStatus, error: Option<&str>) -> Result<()> {
        let update = sqlx::query("UPDATE connections SET status = ?, last_error = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(error);
        self.update_one(id, update).await
    }

    /// [`set_status`](Self::set_status) for the outcome of a call made with `held`: recorded
    /// only while the keychain still holds those secrets (or none). A sign-in again that
    /// replaced them since makes the outcome of the old ones stale (a sync still running with
    /// the revoked token must not mark the connection signed in again as needing sign-in), and
    /// it is dropped: returns whether it was recorded.
    ///
    /// The keychain is read inside a write transaction: a sign-in again holds the write lock
    /// from before it writes its secrets until its row says connected, so this read sees
    /// either the old secrets (and that row update comes after this one) or the new ones.
    pub async fn set_status_if_held(
        &self,
        id: &str,
        status: ConnectionStatus,
        error: Option<&str>,
        held: &Credentials,
    ) -> Result<bool> {
        let mut tx = self.vault.write_transaction().await?;
        let (ks, account) = (self.keystore(), keychain_account(id));
        let text = tokio::task::spawn_blocking(move || ks.get_text(&account))
            .await
            .map_err(|_| Error::invalid("a keychain call was interrupted"))??;
        let current: Option<Credentials> = text.and_then(|t| serde_json::from_str(&t).ok());
        if current.is_some_and(|c| c != *held) {
            return Ok(false);
        }
        let done = sqlx::query("UPDATE connections SET status = ?, last_error = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(error)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Updates what is known of the account (after a sign-in again or a test).
    pub async fn set_account(
        &self,
        id: &str,
        account_id: Option<&str>,
        account_name: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE connections SET account_id = ?, account_name = ? WHERE id = ?")
            .bind(account_id)
            .bind(account_name)
            .bind(id)
            .execute(&self.vault.pool)
            .await?;
        Ok(())
    }

    /// The connection's secrets from the keychain; `None` if the keychain has lost them.
    pub async fn credentials(&self, id: &str) -> Result<Option<Credentials>> {
        let (ks, account) = (self.keystore(), keychain_account(id));
        let text = tokio::task::spawn_blocking(move || ks.get_text(&account))
            .await
            .map_err(|_| Error::invalid("a keychain call was interrupted"))??;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Replaces the connection's secrets in the keychain (after a refresh, or a new sign-in).
    pub async fn save_credentials(&self, id: &str, credentials: &Credentials) -> Result<()> {
        let text = zeroize::Zeroizing::new(
            serde_json::to_string(credentials)
                .map_err(|_| Error::invalid("the credentials could not be encoded"))?,
        );
        let (ks, account) = (self.keystore(), keychain_account(id));
        tokio::task::spawn_blocking(move || ks.set_text(&account, &text))
            .await
            .map_err(|_| Error::invalid("a keychain call was interrupted"))?
    }

    /// Sets how often the app syncs the connection (see [`Connection::sync_every_secs`]).
    pub async fn set_sync_every(&self, id: &str, every_secs: Option<u64>) -> Result<()> {
        let every = every_secs
            .map(i64::try_from)
            .transpose()
            .map_err(|_| Error::invalid("the sync interval is too long"))?;
        self.update_one(
            id,
            sqlx::query("UPDATE connections SET sync_every_secs = ? WHERE id = ?").bind(every),
        )
        .await
    }

    /// Runs `update` (its last `?` the connection's id, bound here); no such connection is the
    /// one-line "no connection with id" error.
    async fn update_one<'q>(
        &self,
        id: &'q str,
        update: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> Result<()> {
        let done = update.bind(id).execute(&self.vault.pool).await?;
        if done.rows_affected() == 0 {
            self.get(id).await?;
        }
        Ok(())
    }

    /// Records a finished sync: now is its last sync, and the connection is working.
    pub async fn mark_synced(&self, id: &str) -> Result<()> {
        let now = self.vault.clock.now().timestamp_millis();
        sqlx::query(
            "UPDATE connections SET last_sync_at = ?, status = 'connected', last_error = NULL WHERE id = ?",
        )
        .bind(now)
        .bind(id)
        .execute(&self.vault.pool)
        .await?;
        Ok(())
    }

    /// Forgets a connection: its keychain entry, its row, and with `purge` every lead, every
    /// row of ads data and every recorded ads change that came from it. Revoking its tokens at
    /// the provider is the caller's job, before this.
    pub async fn remove(&self, id: &str, purge: bool) -> Result<Removed> {
        self.get(id).await?;
        // The entry is deleted under the write lock: a refresh or a sign-in again that read the
        // old entry under it writes its own before this delete, never after it (which would
        // leave live tokens in the keychain for a connection that is gone).
        let mut tx = self.vault.write_transaction().await?;
        let (ks, account) = (self.keystore(), keychain_account(id));
        tokio::task::spawn_blocking(move || ks.delete(&account))
            .await
            .map_err(|_| Error::invalid("a keychain call was interrupted"))??;
        let (mut leads_deleted, mut ads_rows_deleted, mut ad_changes_deleted) = (0, 0, 0);
        if purge {
            leads_deleted = sqlx::query("DELETE FROM leads WHERE connection_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for statement in PURGE_ADS {
                ads_rows_deleted += sqlx::query(statement).bind(id).execute(&mut *tx).await?.rows_affected();
            }
            ad_changes_deleted = sqlx::query("DELETE FROM ad_changes WHERE connection_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        } else {
            // The leads stay, as the person's own; the ads data and its changes stay as history.
            sqlx::query("UPDATE leads SET connection_id = NULL WHERE connection_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // Where its syncs left off, and a CRM's queue, links and attempts, mean nothing without it.
        for statement in FORGET_WITH_CONNECTION {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM connections WHERE id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Removed { leads_deleted, ads_rows_deleted, ad_changes_deleted })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::secrets::{Passphrase, VaultKey};
    use crate::{NewLead, Unlock, VaultOptions};

    /// A keychain in memory, whose text writes can be made to fail.
    #[derive(Default)]
    struct Memory {
        keys: Mutex<HashMap<String, VaultKey>>,
        texts: Mutex<HashMap<String, String>>,
        refuse_writes: AtomicBool,
    }

    impl KeyStore for Memory {
        fn get(&self, account: &str) -> Result<Option<VaultKey>> {
            Ok(self.keys.lock().unwrap().get(account).cloned())
        }
        fn set(&self, account: &str, key: &VaultKey) -> Result<()> {
            self.keys.lock().unwrap().insert(account.into(), key.clone());
            Ok(())
        }
        fn delete(&self, account: &str) -> Result<()> {
            self.keys.lock().unwrap().remove(account);
            self.texts.lock().unwrap().remove(account);
            Ok(())
        }
        fn get_text(&self, account: &str) -> Result<Option<zeroize::Zeroizing<String>>> {
            Ok(self.texts.lock().unwrap().get(account).cloned().map(zeroize::Zeroizing::new))
        }
        fn set_text(&self, account: &str, secret: &str) -> Result<()> {
            if self.refuse_writes.load(Ordering::SeqCst) {
                return Err(Error::KeychainUnavailable { reason: "locked".into() });
            }
            self.texts.lock().unwrap().insert(account.into(), secret.into());
            Ok(())
        }
    }

    async fn vault(dir: &std::path::Path) -> (Vault, Arc<Memory>) {
        let keychain = Arc::new(Memory::default());
        let phrase = "the vault's passphrase";
        let mut options = VaultOptions::new(dir.join("data"), keychain.clone());
        options.passphrase = Some(Passphrase::new(phrase).unwrap());
        let vault =
            Vault::create(options, Unlock::Passphrase(Passphrase::new(phrase).unwrap())).await.unwrap();
        (vault, keychain)
    }

    fn hubspot(account: &str, auth: AuthKind) -> NewConnection {
        NewConnection {
            provider: Provider::Hubspot,
            label: format!("HubSpot — portal {account}"),
            auth,
            account_id: Some(account.into()),
            account_name: Some(format!("portal {account}")),
            scopes: vec!["crm.objects.contacts.write".into()],
            base_url: Some("http://127.0.0.1:9".into()),
            api_base: None,
        }
    }

    fn token(t: &str) -> Credentials {
        Credentials::token(Secret::new(t))
    }

    /// A Meta connection with three synced leads, and a HubSpot one they are queued for, whose
    /// token was then refused.
    async fn revoked_crm(vault: &Vault) -> Connection {
        let meta = NewConnection {
            provider: Provider::Meta,
            label: "Meta".into(),
            account_id: Some("act_1".into()),
            ..hubspot("act_1", AuthKind::Token)
        };
        let meta = vault.connections().add(meta, &token("meta-token")).await.unwrap();
        let leads = (0..3)
            .map(|i| NewLead {
                source: "meta".into(),
                external_id: format!("meta:{i}"),
                created_at: Utc::now(),
                full_name: Some(format!("Synced {i}")),
                connection_id: Some(meta.id.clone()),
                ..Default::default()
            })
            .collect();
        vault.add_leads(leads).await.unwrap();
        let crm =
            vault.connections().add(hubspot("4471", AuthKind::Oauth), &token("old-token")).await.unwrap();
        assert_eq!(vault.outbox(&crm.id).counts().await.unwrap().pending, 3);
        vault.connections().set_sync_every(&crm.id, Some(3600)).await.unwrap();
        // Its push was refused: the leads wait out a backoff.
        let later = Utc::now().timestamp_millis() + 3_600_000;
        sqlx::query("UPDATE outbox SET next_at = ?, attempts = 1")
            .bind(later)
            .execute(&vault.pool)
            .await
            .unwrap();
        assert!(vault.outbox(&crm.id).due(10).await.unwrap().is_empty());
        let why = "HubSpot refused the credentials; sign in again or paste a new token";
        vault.connections().set_status(&crm.id, ConnectionStatus::NeedsSignIn, Some(why)).await.unwrap();
        vault.connections().get(&crm.id).await.unwrap()
    }

    #[tokio::test]
    async fn signing_in_again_updates_the_connection_in_place_and_queues_nothing_again() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _keychain) = vault(dir.path()).await;
        let before = revoked_crm(&vault).await;
        let connections = vault.connections();

        let found = connections.find_account(Provider::Hubspot, "4471", before.base_url.as_deref()).await;
        assert_eq!(found.unwrap().map(|c| c.id), Some(before.id.clone()));
        // Another portal, another server, another provider: not this connection.
        assert!(
            connections
                .find_account(Provider::Hubspot, "9999", before.base_url.as_deref())
                .await
                .unwrap()
                .is_none()
        );
        assert!(connections.find_account(Provider::Hubspot, "4471", None).await.unwrap().is_none());
        assert!(
            connections
                .find_account(Provider::Pipedrive, "4471", before.base_url.as_deref())
                .await
                .unwrap()
                .is_none()
        );

        let mut again = hubspot("4471", AuthKind::Token);
        again.label = "a label the sign-in made up".into();
        again.scopes = Vec::new();
        let after = connections.sign_in_again(&before.id, &again, &token("new-token"), None).await.unwrap();
        assert_eq!(after.id, before.id);
        assert_eq!(after.label, before.label, "the label stays");
        assert_eq!(after.sync_every_secs, Some(3600), "the schedule stays");
        assert_eq!(after.created_at, before.created_at);
        assert_eq!((after.status, after.last_error.as_deref()), (ConnectionStatus::Connected, None));
        assert_eq!(after.auth, AuthKind::Token);
        assert_eq!(connections.list().await.unwrap().len(), 2, "no connection added");
        let secrets = connections.credentials(&before.id).await.unwrap().unwrap();
        assert_eq!(secrets.access_token.expose(), "new-token");
        assert_eq!(vault.outbox(&before.id).counts().await.unwrap().pending, 3, "nothing queued again");
        let queued: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(&vault.pool).await.unwrap();
        assert_eq!(queued, 3);
        assert_eq!(
            vault.outbox(&before.id).due(10).await.unwrap().len(),
            3,
            "due now, not after the backoff"
        );

        // A label the user gave with the sign-in is applied (trimmed); an empty one is refused.
        let renamed = connections
            .sign_in_again(&before.id, &again, &token("newer-token"), Some(" Sales CRM "))
            .await
            .unwrap();
        assert_eq!((renamed.id.as_str(), renamed.label.as_str()), (before.id.as_str(), "Sales CRM"));
        let err = connections.sign_in_again(&before.id, &again, &token("newest"), Some("  ")).await;
        assert!(err.unwrap_err().to_string().contains("label is empty"));
        let secrets = connections.credentials(&before.id).await.unwrap().unwrap();
        assert_eq!(secrets.access_token.expose(), "newer-token", "a refused label changes nothing");
    }

    /// A call's failure is recorded while the keychain holds the secrets it was made with (or
    /// none), never over secrets a sign-in again put there since.
    /// A refresh (or a sign-in again) writes its secrets under the write lock, having checked
    /// that the entry is still there; a disconnect meanwhile deletes the entry after that write,
    /// where it deleted it at once and the refresh then wrote live tokens back for a connection
    /// that was gone.
    #[tokio::test]
    async fn a_disconnect_during_a_refresh_leaves_no_secrets_behind() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, keychain) = vault(dir.path()).await;
        let connections = vault.connections();
        let c = connections.add(hubspot("4471", AuthKind::Token), &token("old-token")).await.unwrap();

        // What `replace_credentials_if_held` does, held open: the lock, the entry still there…
        let lock = vault.write_transaction().await.unwrap();
        assert!(connections.credentials(&c.id).await.unwrap().is_some());
        let removing = connections.remove(&c.id, false);
        let refreshing = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            // …then the refreshed secrets, and the lock let go.
            connections.save_credentials(&c.id, &token("refreshed-token")).await.unwrap();
            drop(lock);
        };
        let (removed, ()) = tokio::join!(removing, refreshing);
        removed.unwrap();
        assert!(connections.get(&c.id).await.is_err(), "the connection is gone");
        assert!(keychain.texts.lock().unwrap().is_empty(), "and so are its secrets");
    }

    #[tokio::test]
    async fn an_outcome_is_recorded_only_for_the_secrets_the_keychain_still_holds() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, keychain) = vault(dir.path()).await;
        let connections = vault.connections();
        let c = connections.add(hubspot("4471", AuthKind::Token), &token("old-token")).await.unwrap();
        let why = Some("HubSpot refused the credentials; sign in again or paste a new token");
        let needs = ConnectionStatus::NeedsSignIn;

        connections
            .sign_in_again(&c.id, &hubspot("4471", AuthKind::Token), &token("new-token"), None)
            .await
            .unwrap();
        assert!(!connections.set_status_if_held(&c.id, needs, why, &token("old-token")).await.unwrap());
        let after = connections.get(&c.id).await.unwrap();
        assert_eq!((after.status, after.last_error), (ConnectionStatus::Connected, None));

        assert!(connections.set_status_if_held(&c.id, needs, why, &token("new-token")).await.unwrap());
        assert_eq!(connections.get(&c.id).await.unwrap().status, needs);
        // A refresh of the old secrets is not kept over the new; one of the new ones is.
        let (old, refreshed) = (token("old-token"), token("refreshed-old"));
        assert!(!connections.replace_credentials_if_held(&c.id, &old, &refreshed).await.unwrap());
        assert!(
            connections
                .replace_credentials_if_held(&c.id, &token("new-token"), &token("refreshed-new"))
                .await
                .unwrap()
        );
        assert_eq!(
            connections.credentials(&c.id).await.unwrap().unwrap().access_token.expose(),
            "refreshed-new"
        );

        keychain.texts.lock().unwrap().clear();
        // Nor for a connection whose entry is gone (removed meanwhile): no entry made again.
        let (held, refreshed) = (token("refreshed-new"), token("x"));
        assert!(!connections.replace_credentials_if_held(&c.id, &held, &refreshed).await.unwrap());
        assert!(keychain.texts.lock().unwrap().is_empty());
        let error = ConnectionStatus::Error;
        assert!(connections.set_status_if_held(&c.id, error, why, &token("refreshed-new")).await.unwrap());
        assert_eq!(connections.get(&c.id).await.unwrap().status, error);
    }

    #[tokio::test]
    async fn a_failed_sign_in_again_leaves_the_connection_and_its_secrets_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, keychain) = vault(dir.path()).await;
        let before = revoked_crm(&vault).await;
        let connections = vault.connections();

        // Another portal's sign-in is not this connection's.
        let err = connections
            .sign_in_again(&before.id, &hubspot("9999", AuthKind::Oauth), &token("other"), None)
            .await;
        assert!(err.unwrap_err().to_string().contains("another HubSpot account"));
        let err =
            connections.sign_in_again("01NOPE", &hubspot("4471", AuthKind::Oauth), &token("t"), None).await;
        assert!(err.unwrap_err().to_string().contains("no connection with id"));

        // The keychain refusing the new secrets changes nothing, and says the tokens need it (the
        // vault is open: its passphrase is not what is missing).
        keychain.refuse_writes.store(true, Ordering::SeqCst);
        let err = connections
            .sign_in_again(&before.id, &hubspot("4471", AuthKind::Token), &token("new"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::TokensNeedKeychain { .. }), "{err}");
        assert!(err.to_string().contains("sign-in tokens are kept only in the OS keychain"), "{err}");
        assert!(!err.to_string().contains("PASSPHRASE"), "{err}");
        keychain.refuse_writes.store(false, Ordering::SeqCst);

        // The vault refusing the row's update puts the old secrets back.
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE UPDATE ON connections BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&vault.pool)
        .await
        .unwrap();
        let err = connections
            .sign_in_again(&before.id, &hubspot("4471", AuthKind::Token), &token("new"), None)
            .await;
        assert!(err.is_err());
        assert_eq!(connections.get(&before.id).await.unwrap(), before);
        let secrets = connections.credentials(&before.id).await.unwrap().unwrap();
        assert_eq!(secrets.access_token.expose(), "old-token");
        assert!(vault.outbox(&before.id).due(10).await.unwrap().is_empty(), "the queue as it was");
    }
}
