//! The vault: one SQLCipher database in a data directory, its key in the OS keychain or derived
//! from a passphrase, its schema migrated on open.
//!
//! Layout of a data directory:
//! - `vault.db` (+ `-wal`, `-shm`): the encrypted database. Its first 16 bytes are SQLCipher's
//!   random salt, which also salts the passphrase KDF, so the file alone is enough to unlock it.
//! - `vault.json`: non-secret settings (which kind of key the vault uses), for clear messages.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqlitePool};
use tracing::{info, warn};

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::secrets::{KeyStore, Passphrase, VaultKey, random_salt};
use crate::store::raw::RawAccess;

pub const DB_FILE: &str = "vault.db";
const SETTINGS_FILE: &str = "vault.json";
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How the vault is unlocked.
#[derive(Debug, Clone)]
pub enum Unlock {
    /// A random key kept in the OS keychain.
    Keychain,
    /// A key derived from the owner's passphrase; nothing goes to the keychain.
    Passphrase(Passphrase),
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    Keychain,
    Passphrase,
}

impl KeySource {
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Keychain => "keychain",
            KeySource::Passphrase => "passphrase",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Settings {
    key_source: KeySource,
    /// Set while a key change to the other kind of key (keychain or passphrase) is under way:
    /// if it stops (a crash, the power) after the database took the new key but before these
    /// settings said so, the next open tries that kind too. Set to `passphrase` in a passphrase
    /// vault while its passphrase changes: the old one failing then says the new one may open it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    changing_to: Option<KeySource>,
}

impl Settings {
    fn settled(key_source: KeySource) -> Settings {
        Settings { key_source, changing_to: None }
    }
}

/// What `vault status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct VaultStatus {
    pub path: PathBuf,
    pub size_bytes: u64,
    pub leads: i64,
    pub key_source: KeySource,
    pub schema_version: i64,
    pub sqlcipher_version: String,
}

/// Where to find the vault and how to unlock it.
#[derive(Clone)]
pub struct VaultOptions {
    pub data_dir: PathBuf,
    pub keystore: Arc<dyn KeyStore>,
    /// The passphrase, if the owner gave one; required for a passphrase vault.
    pub passphrase: Option<Passphrase>,
    /// The name of the variable the passphrase comes from, for error messages.
    pub passphrase_env: String,
    pub clock: Arc<dyn Clock>,
    /// Told, before an opened vault's schema is brought up to this version's, how many leads it
    /// holds: an update that rebuilds the search index takes half a minute at a million leads,
    /// and whoever waits should know why.
    pub on_update: Option<Arc<dyn Fn(SchemaUpdate) + Send + Sync>>,
    /// The most connections the vault's pool opens at once (4 unless set). Each keeps its own
    /// cache of decrypted pages, up to 32 MB, which a count or a search over a million leads
    /// fills, so every connection opened is memory kept while the vault is open.
    pub max_connections: u32,
}

/// An opened vault's schema is about to be updated: `steps` migrations over `leads` leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaUpdate {
    pub steps: usize,
    pub leads: u64,
}

impl VaultOptions {
    pub fn new(data_dir: impl Into<PathBuf>, keystore: Arc<dyn KeyStore>) -> VaultOptions {
        VaultOptions {
            data_dir: data_dir.into(),
            keystore,
            passphrase: None,
            passphrase_env: "LEADVAULT_PASSPHRASE".into(),
            clock: Arc::new(SystemClock),
            on_update: None,
            max_connections: 4,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }

    /// Whether the data directory holds a vault: a database file that is not the empty one an
    /// interrupted `init` leaves (see [`Vault::create`]).
    pub fn has_vault(&self) -> bool {
        let db = self.db_path();
        db.exists() && !left_by_interrupted_init(&db)
    }

    /// One keychain entry per data directory.
    fn keychain_account(&self) -> String {
        let dir = crate::outfile::canonical(&self.data_dir);
        format!("vault:{}", dir.display())
    }

    /// Holds a new key while a rekey is under way, so a crash in the middle loses nothing.
    fn pending_account(&self) -> String {
        format!("{}#next", self.keychain_account())
    }
}

/// The OS's per-user data directory for Leadvault (`~/.local/share/leadvault` on Linux).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "leadvault").map(|d| d.data_dir().to_path_buf())
}

/// An open vault. Cheap to clone; all clones share one connection pool.
#[derive(Clone)]
pub struct Vault {
    pub(crate) pool: SqlitePool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) raw: Arc<RawAccess>,
    options: Arc<VaultOptions>,
    key_source: KeySource,
}

impl Vault {
    /// A transaction that holds the write lock from its start (`BEGIN IMMEDIATE`). One that
    /// reads first and writes later asks for the lock only at its first write, and when
    /// another connection holds it then (a long import), SQLite refuses at once rather than
    /// wait, since its snapshot may already be stale; this one waits up to the busy timeout.
    pub(crate) async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Creates a new vault. Fails, touching nothing, if one exists.
    pub async fn create(options: VaultOptions, unlock: Unlock) -> Result<Vault> {
        let dir = options.data_dir.clone();
        Vault::create_in(options, unlock).await.map_err(|e| e.in_data_dir(&dir))
    }

    async fn create_in(mut options: VaultOptions, unlock: Unlock) -> Result<Vault> {
        not_a_file(&options.data_dir)?;
        let db = options.db_path();
        if options.has_vault() {
            return Err(Error::VaultExists { path: options.data_dir.clone() });
        }
        create_private_dir(&options.data_dir)?;
        // One `init` at a time in a folder (the lock goes with the process, however it ends):
        // an empty database file found while holding it is one that an `init` stopped before
        // writing (killed while it made the key), and no one else's: it is replaced.
        let creating = lock_for_creating(&options.data_dir)?;
        if creating.is_some() && left_by_interrupted_init(&db) {
            std::fs::remove_file(&db).map_err(|e| Error::io("remove", &db, e))?;
        }
        // A key the keychain already holds for this folder is a vault's that was here: its file
        // moved away, its drive not mounted, a backup about to be put back. It is the new vault's
        // key too, never replaced: that vault, back in this folder, still opens.
        let kept = match unlock {
            Unlock::Keychain => {
                let (ks, account) = (options.keystore.clone(), options.keychain_account());
                blocking(move || ks.get(&account)).await?
            }
            Unlock::Passphrase(_) => None,
        };
        let salt = random_salt()?;
        // The database file is made here, empty, or not at all: another `init` (the window's, a
        // terminal's) making one in the same folder at the same moment gets "a vault exists",
        // and what a failed create removes below is only ever its own.
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&db) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::VaultExists { path: options.data_dir.clone() });
            }
            Err(e) => return Err(Error::io("create", &db, e)),
        }
        // Only a key this `init` made is taken out of the keychain if it fails.
        let made_key = matches!(unlock, Unlock::Keychain) && kept.is_none();
        let made = Vault::make(&mut options, unlock, kept, &db, &salt).await;
        if made.is_err() {
            // A vault half made (the disk full as it was written) is no vault: nothing of it
            // stays to be taken for one (`init` again would say one exists, and open would fail).
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
            let _ = std::fs::remove_file(options.data_dir.join(SETTINGS_FILE));
            if made_key {
                let (ks, account) = (options.keystore.clone(), options.keychain_account());
                let _ = blocking(move || ks.delete(&account)).await;
            }
        }
        let (pool, key, source) = made?;
        info!(key_source = source.as_str(), "vault created");
        Ok(Vault::assemble(pool, options, RawAccess::new(&db, &key, &salt), source))
    }

    /// The database and its settings for [`Vault::create`], in a folder that has neither; for a
    /// keychain vault, under the key `kept` for the folder when the keychain has one.
    async fn make(
        options: &mut VaultOptions,
        unlock: Unlock,
        kept: Option<VaultKey>,
        db: &Path,
        salt: &[u8; 16],
    ) -> Result<(SqlitePool, VaultKey, KeySource)> {
        let (key, source) = match (unlock, kept) {
            (Unlock::Keychain, Some(key)) => {
                info!("the keychain's key for this folder is kept for its new vault");
                (key, KeySource::Keychain)
            }
            (Unlock::Keychain, None) => {
                let key = VaultKey::generate()?;
                // The key is saved before the database exists: a vault is never without its key.
                let ks = options.keystore.clone();
                let account = options.keychain_account();
                let k = key.clone();
                blocking(move || ks.set(&account, &k)).await?;
                (key, KeySource::Keychain)
            }
            (Unlock::Passphrase(p), _) => {
                let key = VaultKey::derive(&p, salt);
                // Kept like an opened vault's: a key change in the same session needs it.
                options.passphrase = Some(p);
                (key, KeySource::Passphrase)
            }
        };
        let pool = connect(db, &key, salt, true, options.max_connections).await?;
        let ready = async {
            MIGRATOR.run(&pool).await?;
            write_settings(&options.data_dir, &Settings::settled(source))
        };
        if let Err(e) = ready.await {
            pool.close().await;
            return Err(e);
        }
        Ok((pool, key, source))
    }

    /// Opens an existing vault and brings its schema up to date.
    ///
    /// When the key it tried does not open it and the settings file that says which kind of
    /// key it uses is there but unreadable, that file is the error: the key tried may just be
    /// the wrong kind.
    pub async fn open(options: VaultOptions) -> Result<Vault> {
        let dir = options.data_dir.clone();
        Vault::open_as_set(options).await.map_err(|e| match e {
            Error::WrongKey { .. }
            | Error::KeyNotInKeychain { .. }
            | Error::KeychainUnavailable { .. }
            | Error::PassphraseRequired { .. } => {
                let settings = dir.join(SETTINGS_FILE);
                match settings.exists() && read_settings(&dir).is_none() {
                    true => Error::SettingsUnreadable { path: settings },
                    false => e,
                }
            }
            other => other.in_data_dir(&dir),
        })
    }

    async fn open_as_set(mut options: VaultOptions) -> Result<Vault> {
        not_a_file(&options.data_dir)?;
        let db = options.db_path();
        if !options.has_vault() {
            return Err(Error::NoVault { path: options.data_dir.clone() });
        }
        let salt = read_salt(&db)?;
        // What opens the vault is decided, and an interrupted key change finished, while no key
        // change runs: one under way in another window or command has parked its new key and
        // may have marked its settings, which read the same as one that crashed.
        let deciding = lock_for_key(&options.data_dir, LockKind::Shared).await?;
        let (source, changing_to, new_passphrase) = match read_settings(&options.data_dir) {
            Some(s) => (
                s.key_source,
                s.changing_to.filter(|to| *to != s.key_source),
                s.key_source == KeySource::Passphrase && s.changing_to == Some(KeySource::Passphrase),
            ),
            None if options.passphrase.is_some() => (KeySource::Passphrase, None, false),
            None => (KeySource::Keychain, None, false),
        };
        let opened = match source {
            KeySource::Passphrase => open_with_passphrase(&mut options, &db, &salt).await,
            KeySource::Keychain => open_with_keychain(&options, &db, &salt).await,
        };
        let (pool, key, source) = match (opened, changing_to) {
            (Ok((pool, key)), None) => {
                if new_passphrase {
                    // A change of passphrase stopped, before or after the database took the
                    // new one: whichever was given opens it, and it is the vault's now.
                    settle(&options.data_dir, source);
                }
                (pool, key, source)
            }
            // A key change to the other kind stopped before the database took the new key.
            (Ok((pool, key)), Some(_)) => {
                settle(&options.data_dir, source);
                info!(key_source = source.as_str(), "an interrupted key change had changed nothing");
                (pool, key, source)
            }
            // It stopped after: the other kind of key opens it, and the settings say so now.
            (
                Err(
                    first @ (Error::WrongKey { .. }
                    | Error::PassphraseRequired { .. }
                    | Error::KeyNotInKeychain { .. }),
                ),
                Some(now),
            ) => {
                let other = match now {
                    KeySource::Keychain => open_with_keychain(&options, &db, &salt).await,
                    // It may need the new passphrase: asked for as for any passphrase vault.
                    KeySource::Passphrase if options.passphrase.is_none() => {
                        return Err(Error::PassphraseRequired { env_hint: options.passphrase_env.clone() });
                    }
                    KeySource::Passphrase => open_with_passphrase(&mut options, &db, &salt).await,
                };
                let Ok((pool, key)) = other else { return Err(first) };
                settle(&options.data_dir, now);
                info!(key_source = now.as_str(), "an interrupted key change was finished");
                (pool, key, now)
            }
            // A change of passphrase stopped, maybe after the database took the new one: the
            // owner, who gave the old one, is told to try that.
            (Err(Error::WrongKey { env_hint }), None) if new_passphrase => {
                return Err(Error::WrongKey {
                    env_hint: format!(
                        "{env_hint}: a change of passphrase was stopped before it finished, and the new passphrase may be the one that opens the vault now"
                    ),
                });
            }
            (Err(e), _) => return Err(e),
        };
        drop(deciding);
        if let Some(update) = schema_update(&pool).await? {
            info!(steps = update.steps, leads = update.leads, "updating the vault's schema");
            if let Some(tell) = &options.on_update {
                tell(update);
            }
        }
        MIGRATOR.run(&pool).await?;
        Ok(Vault::assemble(pool, options, RawAccess::new(&db, &key, &salt), source))
    }

    fn assemble(pool: SqlitePool, options: VaultOptions, raw: RawAccess, key_source: KeySource) -> Vault {
        Vault {
            pool,
            clock: options.clock.clone(),
            raw: Arc::new(raw),
            options: Arc::new(options),
            key_source,
        }
    }

    /// How the vault in `data_dir` is unlocked, as its settings file says (without opening it):
    /// lets a window ask for a passphrase only when one is needed. A vault whose change to a
    /// passphrase was interrupted may need the new passphrase: it is a passphrase vault here
    /// (its keychain key, if it still opens it, is tried first all the same).
    pub fn key_source_of(data_dir: &Path) -> Option<KeySource> {
        read_settings(data_dir).map(|s| match s.changing_to {
            Some(KeySource::Passphrase) => KeySource::Passphrase,
            _ => s.key_source,
        })
    }

    pub fn key_source(&self) -> KeySource {
        self.key_source
    }

    /// Where the vault's key and the connections' secrets are kept.
    pub(crate) fn keystore(&self) -> Arc<dyn KeyStore> {
        self.options.keystore.clone()
    }

    pub fn data_dir(&self) -> &Path {
        &self.options.data_dir
    }

    /// What this vault was opened with, its passphrase included when it has one: [`Vault::open`]
    /// with them opens it again after it was closed (a key change or a switch that failed).
    pub fn options(&self) -> VaultOptions {
        (*self.options).clone()
    }

    /// False once closed (by [`Vault::close`], or by a [`Vault::rekey`] that got that far).
    pub fn is_open(&self) -> bool {
        !self.pool.is_closed()
    }

    pub async fn status(&self) -> Result<VaultStatus> {
        let leads: i64 = sqlx::query_scalar("SELECT count(*) FROM leads").fetch_one(&self.pool).await?;
        let schema_version: i64 =
            sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        let sqlcipher_version: String =
            sqlx::query_scalar("PRAGMA cipher_version").fetch_one(&self.pool).await?;
        let db = self.options.db_path();
        let size_bytes = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| {
                std::fs::metadata(format!("{}{}", db.display(), suffix)).ok().map(|m| m.len())
            })
            .sum();
        Ok(VaultStatus {
            path: db,
            size_bytes,
            leads,
            key_source: self.key_source,
            schema_version,
            sqlcipher_version,
        })
    }

    /// SQLite's full consistency check (`PRAGMA integrity_check`) of the decrypted database:
    /// nothing when it is sound, else SQLite's findings (page numbers and index names, never
    /// a row's content).
    pub async fn check(&self) -> Result<Vec<String>> {
        // The check itself failing on an open vault is the damage it looks for.
        let found: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| match Error::from(e) {
                Error::Database(reason) => {
                    Error::Damaged(format!("its integrity check could not run: {reason}"))
                }
                other => other,
            })?;
        Ok(found.into_iter().filter(|line| line != "ok").collect())
    }

    /// The SQL that makes the leads' tables, their indexes and the search index as this vault
    /// has them (read from SQLite's schema, in order: tables, then indexes, then the search
    /// index's settings). The benchmark builds its like-for-like reference database from it,
    /// so the reference keeps the same B-trees as the vault does. Definitions only, no data.
    pub async fn leads_schema(&self) -> Result<Vec<String>> {
        let mut sql: Vec<String> = sqlx::query_scalar(
            "SELECT sql FROM sqlite_schema \
             WHERE sql IS NOT NULL AND (tbl_name IN ('leads', 'lead_tags', 'lead_notes') OR name = 'leads_fts') \
               AND type IN ('table', 'index') \
             ORDER BY type = 'index', rowid",
        )
        .fetch_all(&self.pool)
        .await?;
        let settings: Vec<(String, i64)> = sqlx::query_as(
            "SELECT k, v FROM leads_fts_config WHERE k <> 'version' AND typeof(v) = 'integer' ORDER BY k",
        )
        .fetch_all(&self.pool)
        .await?;
        sql.extend(settings.into_iter().map(|(k, v)| {
            format!("INSERT INTO leads_fts (leads_fts, rank) VALUES ('{}', {v})", k.replace('\'', "''"))
        }));
        Ok(sql)
    }

    /// Re-encrypts the vault under a new key: a fresh random key in the keychain, or a key from
    /// a new passphrase. Afterwards the old key no longer opens it. A passphrase vault moving
    /// to the keychain takes the key the keychain already holds for its folder, if it holds
    /// one (another vault's, that was here; see below).
    pub async fn rekey(self, unlock: Unlock) -> Result<Vault> {
        let options = (*self.options).clone();
        let db = options.db_path();
        // Held until the settings and the keychain name the new key (or the change is undone):
        // an open meanwhile waits instead of taking the parked key or the settings' "changing
        // to" for the leftovers of a change that stopped, and undoing or finishing it.
        let _changing = lock_for_key(&options.data_dir, LockKind::Exclusive).await?;
        // Everything that can fail before the change comes first, with the vault still open:
        // the current key, the new one, and (for the keychain) the new key parked.
        let salt = read_salt(&db)?;
        let old_key = self.current_key(&salt).await?;
        // `kept`: the key is the one the keychain already holds for the folder.
        let (new_key, source, kept) = match &unlock {
            // A passphrase vault moving to the keychain takes the key the keychain holds for its
            // folder, when it holds one: that is a vault's that was here (moved away, on a drive
            // not mounted, a backup to be put back), which must still open when it comes back,
            // as `init` keeps it (see `create`). A keychain vault gets a new key: that is the point.
            Unlock::Keychain if self.key_source == KeySource::Passphrase => {
                let (ks, account) = (options.keystore.clone(), options.keychain_account());
                match blocking(move || ks.get(&account)).await? {
                    Some(kept) => {
                        info!("the keychain's key for this folder is kept for the vault moving to it");
                        (kept, KeySource::Keychain, true)
                    }
                    None => (VaultKey::generate()?, KeySource::Keychain, false),
                }
            }
            Unlock::Keychain => (VaultKey::generate()?, KeySource::Keychain, false),
            Unlock::Passphrase(p) => (VaultKey::derive(p, &salt), KeySource::Passphrase, false),
        };
        if new_key.same_as(&old_key) {
            return Err(Error::invalid(
                "the new passphrase is the one this vault already has, so nothing was changed; choose another",
            ));
        }
        let ks = options.keystore.clone();
        // A kept key is not parked: its entry already holds it, and the parked entry may be the
        // other vault's, left by a change of its own that stopped part way.
        let parks = source == KeySource::Keychain && !kept;
        if parks {
            // Park the new key first: if we crash after the rekey, open() finds it there.
            let (ks, account, k) = (ks.clone(), options.pending_account(), new_key.clone());
            blocking(move || ks.set(&account, &k)).await?;
        }
        // A change of passphrase is marked too: its old passphrase failing after a crash then
        // says that the new one may open the vault.
        let marked = source != self.key_source || source == KeySource::Passphrase;
        if marked {
            // From here until the settings name the new kind of key, the next open tries both.
            let changing = Settings { key_source: self.key_source, changing_to: Some(source) };
            if let Err(e) = write_settings(&options.data_dir, &changing) {
                if parks {
                    self.forget_parked().await;
                }
                return Err(e);
            }
        }
        self.pool.close().await;
        if let Err(e) = change_key(&db, &salt, &old_key, &new_key).await {
            // Put back as it was only what is proven unchanged (the old key opens the file): a
            // change that may have gone through keeps its parked key and the settings' "changing
            // to", so the next open tries the new key too.
            if opens_with(&db, &salt, &old_key).await {
                if marked {
                    let _ = write_settings(&options.data_dir, &Settings::settled(self.key_source));
                }
                if parks {
                    self.forget_parked().await;
                }
            }
            return Err(e);
        }
        // The settings name the new key's source at once: whatever fails below, the vault opens
        // with the new passphrase, or with the new key (parked, if it did not reach its entry).
        write_settings(&options.data_dir, &Settings::settled(source))?;
        let (account, pending) = (options.keychain_account(), options.pending_account());
        match source {
            KeySource::Keychain => {
                if parks {
                    let k = new_key.clone();
                    blocking(move || ks.set(&account, &k)).await?;
                    let ks = options.keystore.clone();
                    if let Err(e) = blocking(move || ks.delete(&pending)).await {
                        warn!(code = e.code(), "the parked key stayed in the keychain");
                    }
                }
            }
            KeySource::Passphrase => {
                if self.key_source == KeySource::Keychain
                    && let Err(e) = blocking(move || ks.delete(&account)).await
                {
                    // The old key opens nothing now; its entry is only clutter.
                    warn!(code = e.code(), "the old key stayed in the keychain");
                }
            }
        }
        info!(key_source = source.as_str(), "vault rekeyed");
        let mut options = options;
        // What opens it now: the new passphrase, or none (the keychain's key).
        options.passphrase = match unlock {
            Unlock::Passphrase(p) => Some(p),
            Unlock::Keychain => None,
        };
        let pool = connect(&db, &new_key, &salt, false, options.max_connections).await?;
        Ok(Vault::assemble(pool, options, RawAccess::new(&db, &new_key, &salt), source))
    }

    /// Takes the key parked for a change to the keychain out of it, once that change failed
    /// before the database took it.
    async fn forget_parked(&self) {
        let (ks, pending) = (self.options.keystore.clone(), self.options.pending_account());
        if let Err(e) = blocking(move || ks.delete(&pending)).await {
            warn!(code = e.code(), "the parked key stayed in the keychain");
        }
    }

    async fn current_key(&self, salt: &[u8; 16]) -> Result<VaultKey> {
        match self.key_source {
            KeySource::Passphrase => {
                let p = self.options.passphrase.as_ref().ok_or_else(|| Error::PassphraseRequired {
                    env_hint: self.options.passphrase_env.clone(),
                })?;
                Ok(VaultKey::derive(p, salt))
            }
            KeySource::Keychain => {
                let (ks, account) = (self.options.keystore.clone(), self.options.keychain_account());
                blocking(move || ks.get(&account)).await?.ok_or_else(|| Error::KeyNotInKeychain {
                    path: self.options.data_dir.clone(),
                    env_hint: self.options.passphrase_env.clone(),
                })
            }
        }
    }

    /// Closes the pool, checkpointing the WAL into the main file.
    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// Re-encrypts the closed vault at `db` from `old` to `new`, and proves it took: every
/// failure leaves the database under `old`, and says why.
async fn change_key(db: &Path, salt: &[u8; 16], old: &VaultKey, new: &VaultKey) -> Result<()> {
    let mut conn = connect_options(db, old, salt, false).connect().await?;
    // The WAL emptied into the file first. It cannot be while another connection (a command,
    // the window) reads or writes: then neither could the rekey take the lock it needs.
    let (busy, _, _): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&mut conn).await?;
    if busy != 0 {
        let _ = conn.close().await;
        return Err(Error::Busy);
    }
    let done = rekey_proven(&mut conn, db, salt, old, new).await;
    let _ = conn.close().await;
    done
}

/// Runs SQLCipher's rekey on `conn` (open with `old`), then proves it took.
async fn rekey_proven(
    conn: &mut sqlx::SqliteConnection,
    db: &Path,
    salt: &[u8; 16],
    old: &VaultKey,
    new: &VaultKey,
) -> Result<()> {
    let rekey = format!("PRAGMA rekey = {}", new.sqlcipher_literal(salt).as_str());
    sqlx::raw_sql(sqlx::AssertSqlSafe(rekey)).execute(&mut *conn).await?;
    // SQLCipher's rekey rolls back, and still reports success, when it cannot take the write
    // lock or write a page (a full disk: it writes the whole database again). Only the new key
    // opening the file proves the change.
    if opens_with(db, salt, new).await {
        return Ok(());
    }
    if opens_with(db, salt, old).await {
        let size_mb = std::fs::metadata(db).map(|m| m.len().div_ceil(1 << 20)).unwrap_or(0);
        return Err(Error::KeyNotChanged { size_mb });
    }
    Err(Error::Database(
        "the key change could not be confirmed; the vault's earlier key and the new one are both kept".into(),
    ))
}

/// Whether `key` reads the database at `db` (a connection of its own, closed after).
async fn opens_with(db: &Path, salt: &[u8; 16], key: &VaultKey) -> bool {
    let Ok(mut conn) = connect_options(db, key, salt, false).connect().await else { return false };
    let read = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master").fetch_one(&mut conn).await;
    let _ = conn.close().await;
    read.is_ok()
}

/// Opens the vault with the key of the passphrase in `options` (which becomes the passphrase as
/// typed, for a vault made before passphrases were keyed in NFC).
async fn open_with_passphrase(
    options: &mut VaultOptions,
    db: &Path,
    salt: &[u8; 16],
) -> Result<(SqlitePool, VaultKey)> {
    let p = options
        .passphrase
        .as_ref()
        .ok_or_else(|| Error::PassphraseRequired { env_hint: options.passphrase_env.clone() })?;
    let key = VaultKey::derive(p, salt);
    match connect(db, &key, salt, false, options.max_connections).await {
        // Made before passphrases were keyed in NFC: the passphrase as typed opens it.
        Err(Error::WrongKey { .. }) if let Some(as_typed) = p.keyed_as_typed() => {
            let key = VaultKey::derive(&as_typed, salt);
            let pool = connect(db, &key, salt, false, options.max_connections)
                .await
                .map_err(|e| wrong_key_hint(e, options))?;
            options.passphrase = Some(as_typed);
            Ok((pool, key))
        }
        opened => Ok((opened.map_err(|e| wrong_key_hint(e, options))?, key)),
    }
}

async fn open_with_keychain(
    options: &VaultOptions,
    db: &Path,
    salt: &[u8; 16],
) -> Result<(SqlitePool, VaultKey)> {
    let (ks, account, pending) =
        (options.keystore.clone(), options.keychain_account(), options.pending_account());
    let (current, parked) = blocking(move || Ok((ks.get(&account)?, ks.get(&pending)?))).await?;
    if current.is_none() && parked.is_none() {
        return Err(Error::KeyNotInKeychain {
            path: options.data_dir.clone(),
            env_hint: options.passphrase_env.clone(),
        });
    }
    let mut last = None;
    for (key, is_parked) in [(current, false), (parked, true)] {
        let Some(key) = key else { continue };
        match connect(db, &key, salt, false, options.max_connections).await {
            Ok(pool) => {
                if is_parked {
                    // A rekey was interrupted after the database took the new key: finish it.
                    let (ks, account, pending) =
                        (options.keystore.clone(), options.keychain_account(), options.pending_account());
                    let k = key.clone();
                    blocking(move || {
                        ks.set(&account, &k)?;
                        ks.delete(&pending)
                    })
                    .await?;
                }
                return Ok((pool, key));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(wrong_key_hint(last.expect("one key was tried"), options))
}

fn wrong_key_hint(e: Error, options: &VaultOptions) -> Error {
    match e {
        Error::WrongKey { .. } => Error::WrongKey { env_hint: options.passphrase_env.clone() },
        other => other,
    }
}

fn connect_options(db: &Path, key: &VaultKey, salt: &[u8; 16], create: bool) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(create)
        .pragma("key", key.sqlcipher_literal(salt).to_string())
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Sorts and temp indexes stay in memory: no plaintext temp files, whatever SQLCipher's
        // temp-file encryption would do.
        .pragma("temp_store", "MEMORY")
        .pragma("cache_size", "-32000")
        // Rows cross from SQLite's thread in bigger bursts: fewer thread wake-ups per export.
        .row_buffer_size(1024)
        // Statements carry the key literal: never log them.
        .log_statements(tracing::log::LevelFilter::Off)
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600))
}

async fn connect(
    db: &Path,
    key: &VaultKey,
    salt: &[u8; 16],
    create: bool,
    max_connections: u32,
) -> Result<SqlitePool> {
    silence_sqlcipher_log().await;
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .min_connections(0)
        .idle_timeout(Duration::from_secs(300))
        .connect_with(connect_options(db, key, salt, create))
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some("26") => {
                Error::WrongKey { env_hint: String::new() }
            }
            _ => Error::from(e),
        })?;
    Ok(pool)
}

/// SQLCipher prints its own lines to stderr (e.g. on a wrong key); the app says it better.
async fn silence_sqlcipher_log() {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        if let Ok(opts) = SqliteConnectOptions::from_str("sqlite::memory:")
            && let Ok(mut conn) = opts.connect().await
        {
            let _ = sqlx::raw_sql("PRAGMA cipher_log_level = NONE; PRAGMA cipher_log = off")
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    })
    .await;
}

/// The update an opened vault's schema needs, if any: how many of this version's migrations it
/// lacks, and how many leads it holds.
async fn schema_update(pool: &SqlitePool) -> Result<Option<SchemaUpdate>> {
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .unwrap_or_default();
    let steps = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .count();
    if steps == 0 {
        return Ok(None);
    }
    let has_leads: bool =
        sqlx::query_scalar("SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'leads'")
            .fetch_one(pool)
            .await?;
    let leads: i64 = match has_leads {
        true => sqlx::query_scalar("SELECT count(*) FROM leads").fetch_one(pool).await?,
        false => 0,
    };
    Ok(Some(SchemaUpdate { steps, leads: leads as u64 }))
}

/// Whether `db` is what an `init` stopped before its first write leaves: an empty file, with
/// no write-ahead log and no settings file beside it (both come only after the first write).
fn left_by_interrupted_init(db: &Path) -> bool {
    let empty = std::fs::symlink_metadata(db).is_ok_and(|m| m.is_file() && m.len() == 0);
    let beside = |name: &str| db.with_file_name(name).exists();
    empty && !beside(&format!("{DB_FILE}-wal")) && !beside(SETTINGS_FILE)
}

/// Holds the data directory for one `init`: fails, saying so, while another holds it. Where a
/// folder cannot be opened as a file (Windows), none is held: a leftover file then stays, and
/// `init` says a vault exists.
fn lock_for_creating(dir: &Path) -> Result<Option<std::fs::File>> {
    if !cfg!(unix) {
        return Ok(None);
    }
    let lock = std::fs::File::open(dir).map_err(|e| Error::io("open", dir, e))?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::invalid(format!(
            "another Leadvault is creating a vault in {} right now; wait for it to finish, then open that vault",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("lock", dir, e)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LockKind {
    /// An open deciding which key opens the vault; many at once.
    Shared,
    /// A key change, from parking its new key to the settings and keychain naming it.
    Exclusive,
}

/// How long an open waits for a key change under way elsewhere (SQLCipher rewrites the whole
/// file: seconds at a million leads), or a key change for opens deciding their key, before
/// saying the vault is busy.
const KEY_LOCK_WAIT: Duration = Duration::from_secs(60);

/// Takes the data folder's lock for deciding (shared) or changing (exclusive) the vault's key,
/// waiting for whoever holds it the other way. The lock goes with the process, however it ends:
/// a key change that crashed holds nothing. Where a folder cannot be opened as a file (Windows)
/// or locked, none is taken.
async fn lock_for_key(dir: &Path, kind: LockKind) -> Result<Option<std::fs::File>> {
    if !cfg!(unix) {
        return Ok(None);
    }
    let lock = std::fs::File::open(dir).map_err(|e| Error::io("open", dir, e))?;
    let started = std::time::Instant::now();
    loop {
        let tried = match kind {
            LockKind::Shared => lock.try_lock_shared(),
            LockKind::Exclusive => lock.try_lock(),
        };
        match tried {
            Ok(()) => return Ok(Some(lock)),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < KEY_LOCK_WAIT => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(Error::Busy),
            // A folder that takes no locks (some network drives): the vault opens, and its key
            // changes, as they did before there was a lock.
            Err(std::fs::TryLockError::Error(e)) => {
                warn!(error = %e.kind(), "the vault's folder takes no lock");
                return Ok(None);
            }
        }
    }
}

fn read_salt(db: &Path) -> Result<[u8; 16]> {
    use std::io::Read;
    let mut f = std::fs::File::open(db).map_err(|e| Error::io("open", db, e))?;
    let mut salt = [0u8; 16];
    f.read_exact(&mut salt).map_err(|_| {
        Error::invalid(format!("{} is not a Leadvault vault (it is too short)", db.display()))
    })?;
    if &salt == b"SQLite format 3\0" {
        return Err(Error::invalid(format!(
            "{} is a plain, unencrypted SQLite file, not a Leadvault vault",
            db.display()
        )));
    }
    Ok(salt)
}

fn read_settings(dir: &Path) -> Option<Settings> {
    let text = std::fs::read_to_string(dir.join(SETTINGS_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Records that the vault's key is of kind `source` now, after an interrupted change: if that
/// cannot be written (a full disk), the vault opens all the same, and the next open finds the
/// same again.
fn settle(dir: &Path, source: KeySource) {
    if let Err(e) = write_settings(dir, &Settings::settled(source)) {
        warn!(code = e.code(), "the vault's settings could not be brought up to date");
    }
}

fn write_settings(dir: &Path, settings: &Settings) -> Result<()> {
    let path = dir.join(SETTINGS_FILE);
    let tmp = dir.join(format!("{SETTINGS_FILE}.tmp"));
    let text = serde_json::to_string_pretty(settings).expect("settings serialise");
    std::fs::write(&tmp, text).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io("write", &path, e))
}

/// A data folder given as an existing file (a mistyped --data-dir) is refused as such, not with
/// "File exists" from making the folder, or "no vault there; run init".
fn not_a_file(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err(Error::invalid(format!(
            "{} is a file, not a folder; choose a folder for the vault's data (--data-dir DIR)",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io("set permissions on", dir, e))?;
    }
    Ok(())
}

/// Keychain calls block on D-Bus: keep them off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|_| Error::invalid("a keychain call was interrupted"))?
}

/// A new passphrase vault under `dir` for unit tests: no keychain needed.
#[cfg(test)]
pub(crate) async fn test_vault(dir: &Path) -> Vault {
    let options = VaultOptions::new(dir.join("data"), Arc::new(crate::secrets::OsKeychain::new()));
    let phrase = crate::secrets::Passphrase::new("correct horse battery staple").unwrap();
    Vault::create(options, Unlock::Passphrase(phrase)).await.unwrap()
}

#[cfg(test)]
mod pool_tests {
    use super::*;
    use crate::secrets::Passphrase;

    /// The pool opens at most the connections its options ask for (each one's page cache is
    /// memory the process keeps), 4 unless set, and so does the vault opened again.
    #[tokio::test]
    async fn the_pool_opens_at_most_the_connections_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let default = test_vault(dir.path()).await;
        assert_eq!(default.pool.options().get_max_connections(), 4);
        let mut options = default.options();
        default.close().await;

        options.max_connections = 2;
        let vault = Vault::open(options).await.unwrap();
        assert_eq!(vault.pool.options().get_max_connections(), 2);
        let connections = connections_given(&vault).await;
        assert!(connections <= 2, "{connections} connections open");
        vault.close().await;

        let other = tempfile::tempdir().unwrap();
        let mut options =
            VaultOptions::new(other.path().join("data"), Arc::new(crate::secrets::OsKeychain::new()));
        options.max_connections = 3;
        let phrase = Passphrase::new("correct horse battery staple").unwrap();
        let created = Vault::create(options, Unlock::Passphrase(phrase)).await.unwrap();
        assert_eq!(created.pool.options().get_max_connections(), 3);
    }

    /// Holds as many connections as the pool gives within a moment; how many it gave.
    async fn connections_given(vault: &Vault) -> usize {
        let mut held = Vec::new();
        for _ in 0..4 {
            match tokio::time::timeout(Duration::from_millis(200), vault.pool.acquire()).await {
                Ok(Ok(conn)) => held.push(conn),
                _ => break,
            }
        }
        held.len()
    }
}

#[cfg(test)]
mod passphrase_tests {
    use super::*;
    use crate::secrets::Passphrase;

    const COMPOSED: &str = "pässwörd und ключ";
    /// The same text with each accent as a character of its own, as macOS keyboards type it.
    const DECOMPOSED: &str = "pa\u{308}sswo\u{308}rd und ключ";

    fn options(dir: &Path, passphrase: Passphrase) -> VaultOptions {
        let mut options = VaultOptions::new(dir.join("data"), Arc::new(crate::secrets::OsKeychain::new()));
        options.passphrase = Some(passphrase);
        options
    }

    #[tokio::test]
    async fn a_passphrase_opens_its_vault_however_its_accents_were_typed() {
        let dir = tempfile::tempdir().unwrap();
        let phrase = Passphrase::new(COMPOSED).unwrap();
        Vault::create(options(dir.path(), phrase.clone()), Unlock::Passphrase(phrase))
            .await
            .unwrap()
            .close()
            .await;
        for typed in [COMPOSED, DECOMPOSED] {
            let vault = Vault::open(options(dir.path(), Passphrase::typed(typed))).await.unwrap();
            vault.close().await;
        }
        let wrong = Vault::open(options(dir.path(), Passphrase::typed("passwort und ключ"))).await;
        assert!(matches!(wrong, Err(Error::WrongKey { .. })));
    }

    #[tokio::test]
    async fn a_vault_keyed_before_normalisation_opens_with_its_passphrase_as_typed_and_rekeys() {
        let dir = tempfile::tempdir().unwrap();
        // Made as before: the decomposed bytes themselves derived the key.
        let old = Passphrase::typed(DECOMPOSED).keyed_as_typed().expect("differs from its NFC form");
        Vault::create(options(dir.path(), old.clone()), Unlock::Passphrase(old)).await.unwrap().close().await;
        let vault = Vault::open(options(dir.path(), Passphrase::typed(DECOMPOSED))).await.unwrap();
        // A key change from there works, and the new passphrase is keyed in NFC.
        let vault = vault.rekey(Unlock::Passphrase(Passphrase::new(DECOMPOSED).unwrap())).await.unwrap();
        vault.close().await;
        Vault::open(options(dir.path(), Passphrase::typed(COMPOSED))).await.unwrap().close().await;
    }
}

#[cfg(test)]
mod rekey_tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::secrets::Passphrase;

    /// A keychain in memory.
    #[derive(Default)]
    struct Memory(Mutex<HashMap<String, VaultKey>>);

    impl KeyStore for Memory {
        fn get(&self, account: &str) -> Result<Option<VaultKey>> {
            Ok(self.0.lock().unwrap().get(account).cloned())
        }
        fn set(&self, account: &str, key: &VaultKey) -> Result<()> {
            self.0.lock().unwrap().insert(account.into(), key.clone());
            Ok(())
        }
        fn delete(&self, account: &str) -> Result<()> {
            self.0.lock().unwrap().remove(account);
            Ok(())
        }
    }

    const FIRST: &str = "the first passphrase";

    fn second_again() -> Passphrase {
        Passphrase::new("the second passphrase").unwrap()
    }

    /// A passphrase vault with a lead in it, over an in-memory keychain.
    async fn vault(dir: &Path) -> (Vault, Arc<Memory>, VaultOptions) {
        let keychain = Arc::new(Memory::default());
        let mut options = VaultOptions::new(dir.join("data"), keychain.clone());
        options.passphrase = Some(Passphrase::new(FIRST).unwrap());
        let vault = Vault::create(options.clone(), Unlock::Passphrase(Passphrase::new(FIRST).unwrap()))
            .await
            .unwrap();
        crate::samples::load_samples(&vault, 3, |_| {}).await.unwrap();
        (vault, keychain, options)
    }

    fn settings_text(options: &VaultOptions) -> String {
        std::fs::read_to_string(options.data_dir.join(SETTINGS_FILE)).unwrap()
    }

    /// Another program writing to the vault (a long import) holds it: the key change waits,
    /// then is refused as busy, and nothing changed: the passphrase opens it, the settings say
    /// so, and no parked key is left behind.
    #[tokio::test]
    async fn a_key_change_while_another_program_writes_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, keychain, options) = vault(dir.path()).await;
        let before = settings_text(&options);
        let writer = vault.raw.open().unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        let refused = vault.rekey(Unlock::Keychain).await;
        assert!(matches!(refused, Err(Error::Busy)), "{:?}", refused.err());
        writer.execute_batch("ROLLBACK").unwrap();
        drop(writer);
        assert_eq!(settings_text(&options), before);
        assert!(keychain.0.lock().unwrap().is_empty(), "no key parked or stored");
        let vault = Vault::open(options).await.expect("the passphrase still opens it");
        assert_eq!(vault.leads().count(&crate::LeadFilter::default()).await.unwrap(), 3);
        vault.close().await;
    }

    /// SQLCipher's rekey rolls back, and still reports success, when it cannot take the write
    /// lock (or write a page): the change is found not to have happened, and said so.
    #[tokio::test]
    async fn a_rekey_that_sqlcipher_rolled_back_is_not_taken_for_done() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _, options) = vault(dir.path()).await;
        let db = options.db_path();
        let salt = read_salt(&db).unwrap();
        let old = VaultKey::derive(&Passphrase::new(FIRST).unwrap(), &salt);
        let new = VaultKey::derive(&Passphrase::new("the second passphrase").unwrap(), &salt);
        let mut conn = connect_options(&db, &old, &salt, false).connect().await.unwrap();
        sqlx::raw_sql("PRAGMA busy_timeout = 50").execute(&mut conn).await.unwrap();
        let writer = vault.raw.open().unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        let done = rekey_proven(&mut conn, &db, &salt, &old, &new).await;
        assert!(matches!(done, Err(Error::KeyNotChanged { .. })), "{:?}", done.err());
        writer.execute_batch("ROLLBACK").unwrap();
        conn.close().await.unwrap();
        assert!(opens_with(&db, &salt, &old).await && !opens_with(&db, &salt, &new).await);
        vault.close().await;
    }

    /// A key change between a passphrase and the keychain that stopped (a crash) after the
    /// database took the new key, before the settings said so: the new key opens it, and the
    /// settings are put right. One that stopped before: the old key does.
    #[tokio::test]
    async fn an_interrupted_change_between_a_passphrase_and_the_keychain_opens_either_way() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, keychain, options) = vault(dir.path()).await;
        let vault = vault.rekey(Unlock::Keychain).await.unwrap();
        vault.close().await;
        // Back to as it was just before the settings were written: the new key parked, the
        // settings saying passphrase with a change to the keychain under way.
        let (account, pending) = (options.keychain_account(), options.pending_account());
        let key = keychain.0.lock().unwrap().remove(&account).unwrap();
        keychain.0.lock().unwrap().insert(pending.clone(), key);
        let changing = Settings { key_source: KeySource::Passphrase, changing_to: Some(KeySource::Keychain) };
        write_settings(&options.data_dir, &changing).unwrap();
        let vault = Vault::open(options.clone()).await.expect("the parked key opens it");
        assert_eq!(vault.key_source(), KeySource::Keychain);
        assert_eq!(read_settings(&options.data_dir).unwrap().changing_to, None);
        assert_eq!(read_settings(&options.data_dir).unwrap().key_source, KeySource::Keychain);
        assert!(
            keychain.0.lock().unwrap().contains_key(&account)
                && !keychain.0.lock().unwrap().contains_key(&pending)
        );

        // Back to a passphrase, stopped the same way: the settings still say keychain, whose
        // entry is gone; the new passphrase opens it.
        let second = Passphrase::new("the second passphrase").unwrap();
        let vault = vault.rekey(Unlock::Passphrase(second.clone())).await.unwrap();
        vault.close().await;
        let changing = Settings { key_source: KeySource::Keychain, changing_to: Some(KeySource::Passphrase) };
        write_settings(&options.data_dir, &changing).unwrap();
        let with = VaultOptions { passphrase: Some(second), ..options.clone() };
        let vault = Vault::open(with.clone()).await.expect("the new passphrase opens it");
        assert_eq!(vault.key_source(), KeySource::Passphrase);
        vault.close().await;
        assert_eq!(read_settings(&options.data_dir).unwrap().key_source, KeySource::Passphrase);

        // Stopped before the database took a new key: the settings say a change was under way,
        // and the key it has opens it.
        write_settings(
            &options.data_dir,
            &Settings { key_source: KeySource::Passphrase, changing_to: Some(KeySource::Keychain) },
        )
        .unwrap();
        Vault::open(with).await.expect("the passphrase opens it").close().await;
        assert_eq!(read_settings(&options.data_dir).unwrap().changing_to, None);
        // Without the marker, a vault whose settings name the wrong kind stays shut, even to
        // the passphrase that opens it.
        write_settings(&options.data_dir, &Settings::settled(KeySource::Keychain)).unwrap();
        let wrong_kind =
            Vault::open(VaultOptions { passphrase: Some(second_again()), ..options.clone() }).await;
        assert!(wrong_kind.is_err());
        // With it, and no passphrase given, the passphrase it may need is asked for (the window
        // offers its field: the vault reads as a passphrase vault).
        let changing = Settings { key_source: KeySource::Keychain, changing_to: Some(KeySource::Passphrase) };
        write_settings(&options.data_dir, &changing).unwrap();
        assert_eq!(Vault::key_source_of(&options.data_dir), Some(KeySource::Passphrase));
        let without = Vault::open(VaultOptions { passphrase: None, ..options.clone() }).await;
        assert!(matches!(without, Err(Error::PassphraseRequired { .. })), "{:?}", without.err());
        Vault::open(VaultOptions { passphrase: Some(second_again()), ..options })
            .await
            .expect("the new passphrase opens it")
            .close()
            .await;
    }

    /// A change of passphrase that stopped (a crash) after the database took the new one, before
    /// the settings said it was done: the old passphrase is refused saying the new one may open
    /// the vault, where it said only to check the passphrase; the new one opens it and the
    /// marker goes.
    #[tokio::test]
    async fn a_change_of_passphrase_that_stopped_says_the_new_one_may_open_the_vault() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _, options) = vault(dir.path()).await;
        vault.rekey(Unlock::Passphrase(second_again())).await.unwrap().close().await;
        assert_eq!(
            read_settings(&options.data_dir).unwrap().changing_to,
            None,
            "a finished change is unmarked"
        );
        // Back to as it was just before the settings were written.
        let changing =
            Settings { key_source: KeySource::Passphrase, changing_to: Some(KeySource::Passphrase) };
        write_settings(&options.data_dir, &changing).unwrap();
        let old = Vault::open(options.clone()).await.err().expect("the old passphrase opens nothing");
        assert!(matches!(old, Error::WrongKey { .. }), "{old}");
        assert!(old.to_string().contains("the new passphrase may be the one that opens the vault"), "{old}");
        let with_new = VaultOptions { passphrase: Some(second_again()), ..options.clone() };
        Vault::open(with_new).await.expect("the new passphrase opens it").close().await;
        assert_eq!(read_settings(&options.data_dir).unwrap().changing_to, None);
        let old = Vault::open(options).await.err().expect("still refused");
        assert!(!old.to_string().contains("new passphrase"), "the change is over: {old}");
    }

    /// Another window or command opening the vault while a change from a passphrase to the
    /// keychain is under way (here: held at its start by a writer) waits for it, where it took
    /// the change's marker for the leftover of one that stopped before the database took the
    /// new key and struck it out: when the change then stopped before naming the new key (here:
    /// its settings could not be written; a crash there is the same), nothing said to try the
    /// parked key, and neither the passphrase nor the keychain opened the vault.
    #[tokio::test]
    async fn an_open_during_a_key_change_waits_for_it_and_never_strikes_out_its_marker() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, keychain, options) = vault(dir.path()).await;
        let writer = vault.raw.open().unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        let changing = tokio::spawn(vault.rekey(Unlock::Keychain));
        // The key change is under way: its new key parked, its settings marked.
        while !settings_text(&options).contains("changing_to") {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(keychain.0.lock().unwrap().contains_key(&options.pending_account()));
        let other = tokio::spawn(Vault::open(options.clone()));
        // Time for that open to run, if it does not wait.
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::create_dir(options.data_dir.join(format!("{SETTINGS_FILE}.tmp"))).unwrap();
        writer.execute_batch("ROLLBACK").unwrap();
        drop(writer);
        let changed = changing.await.unwrap();
        assert!(changed.is_err(), "its settings could not be written");
        if let Ok(other) = other.await.unwrap() {
            other.close().await;
        }
        std::fs::remove_dir(options.data_dir.join(format!("{SETTINGS_FILE}.tmp"))).unwrap();
        // The database took the new key; the next open finds it, with or without a passphrase.
        let without = VaultOptions { passphrase: None, ..options.clone() };
        let vault = Vault::open(without).await.expect("the new key opens it");
        assert_eq!(vault.key_source(), KeySource::Keychain);
        assert_eq!(vault.leads().count(&crate::LeadFilter::default()).await.unwrap(), 3);
        vault.close().await;
        Vault::open(options).await.expect("and with the old passphrase given too").close().await;
    }

    /// A vault that could not be made whole (here: its folder's settings cannot be written)
    /// leaves nothing behind that `init` would take for a vault, nor a key in the keychain.
    #[tokio::test]
    async fn a_failed_create_leaves_no_vault_behind() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(Memory::default());
        let options = VaultOptions::new(dir.path().join("data"), keychain.clone());
        std::fs::create_dir_all(options.data_dir.join(format!("{SETTINGS_FILE}.tmp"))).unwrap();
        assert!(Vault::create(options.clone(), Unlock::Keychain).await.is_err());
        assert!(!options.db_path().exists(), "no database left");
        assert!(keychain.0.lock().unwrap().is_empty(), "no key left");
        std::fs::remove_dir(options.data_dir.join(format!("{SETTINGS_FILE}.tmp"))).unwrap();
        Vault::create(options, Unlock::Keychain).await.expect("init works again").close().await;
    }

    /// `init` in a folder whose keychain vault is not there (its files moved away, its drive not
    /// mounted, a backup about to be put back) keeps the key the keychain holds for the folder,
    /// where it replaced it: that vault, back in its folder, opened with no key there was.
    /// An `init` there that fails leaves that key in the keychain too.
    #[tokio::test]
    async fn init_where_a_keychain_vault_was_keeps_its_key_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(Memory::default());
        let options = VaultOptions::new(dir.path().join("data"), keychain.clone());
        let vault = Vault::create(options.clone(), Unlock::Keychain).await.unwrap();
        crate::samples::load_samples(&vault, 3, |_| {}).await.unwrap();
        vault.close().await;
        let away = dir.path().join("away");
        std::fs::rename(&options.data_dir, &away).unwrap();

        // A failed `init` (its settings cannot be written) takes the key out of nothing.
        std::fs::create_dir_all(options.data_dir.join(format!("{SETTINGS_FILE}.tmp"))).unwrap();
        assert!(Vault::create(options.clone(), Unlock::Keychain).await.is_err());
        assert!(keychain.0.lock().unwrap().contains_key(&options.keychain_account()), "the key stays");
        std::fs::remove_dir_all(&options.data_dir).unwrap();

        let new = Vault::create(options.clone(), Unlock::Keychain).await.expect("a new vault here");
        assert_eq!(new.status().await.unwrap().leads, 0);
        new.close().await;
        // The first vault put back in its folder.
        std::fs::remove_dir_all(&options.data_dir).unwrap();
        std::fs::rename(&away, &options.data_dir).unwrap();
        let back = Vault::open(options).await.expect("it opens with its key");
        assert_eq!(back.status().await.unwrap().leads, 3);
        back.close().await;
    }

    /// A passphrase vault made where a keychain vault was (moved away, on a drive not mounted)
    /// and then moved to the keychain takes the key the keychain holds for the folder, where it
    /// replaced it: the first vault, back in its folder, opened with no key there was.
    #[tokio::test]
    async fn a_passphrase_vault_moving_to_the_keychain_keeps_the_folders_key() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(Memory::default());
        let options = VaultOptions::new(dir.path().join("data"), keychain.clone());
        let first = Vault::create(options.clone(), Unlock::Keychain).await.unwrap();
        crate::samples::load_samples(&first, 3, |_| {}).await.unwrap();
        first.close().await;
        let away = dir.path().join("away");
        std::fs::rename(&options.data_dir, &away).unwrap();

        let mut second_options = options.clone();
        second_options.passphrase = Some(Passphrase::new(FIRST).unwrap());
        let second =
            Vault::create(second_options, Unlock::Passphrase(Passphrase::new(FIRST).unwrap())).await.unwrap();
        crate::samples::load_samples(&second, 2, |_| {}).await.unwrap();
        // What the first vault parked for a key change of its own that stopped part way: the
        // second one's change leaves it there.
        let parked = VaultKey::generate().unwrap();
        keychain.0.lock().unwrap().insert(options.pending_account(), parked.clone());
        let second = second.rekey(Unlock::Keychain).await.expect("moves to the keychain");
        let still = keychain.0.lock().unwrap().get(&options.pending_account()).cloned();
        assert!(still.is_some_and(|k| k.same_as(&parked)), "the first vault's parked key stays");
        keychain.0.lock().unwrap().remove(&options.pending_account());
        assert_eq!(second.status().await.unwrap().key_source, KeySource::Keychain);
        second.close().await;
        let reopened = Vault::open(options.clone()).await.expect("the keychain's key opens it");
        assert_eq!(reopened.status().await.unwrap().leads, 2);
        reopened.close().await;

        // The first vault put back in its folder opens with the same entry.
        let here = dir.path().join("second");
        std::fs::rename(&options.data_dir, &here).unwrap();
        std::fs::rename(&away, &options.data_dir).unwrap();
        let back = Vault::open(options.clone()).await.expect("it opens with its key");
        assert_eq!(back.status().await.unwrap().leads, 3);
        // A keychain vault's own key change makes a new key, as before.
        let before = keychain.0.lock().unwrap().get(&options.keychain_account()).cloned().unwrap();
        let back = back.rekey(Unlock::Keychain).await.unwrap();
        let after = keychain.0.lock().unwrap().get(&options.keychain_account()).cloned().unwrap();
        assert!(!after.same_as(&before), "a keychain vault's key change makes a new key");
        back.close().await;
    }

    /// An `init` killed before its first write leaves an empty database file: that is no vault
    /// (open says to make one, a window offers to) and the next `init` replaces it, where it
    /// had said a vault existed while open called the file too short to be one.
    #[tokio::test]
    async fn the_empty_file_of_an_interrupted_init_is_no_vault_and_init_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(Memory::default());
        let options = VaultOptions::new(dir.path().join("data"), keychain.clone());
        create_private_dir(&options.data_dir).unwrap();
        std::fs::write(options.db_path(), b"").unwrap();
        assert!(!options.has_vault());
        let opened = Vault::open(options.clone()).await.err().expect("no vault to open");
        assert!(matches!(opened, Error::NoVault { .. }), "{opened}");
        let vault = Vault::create(options.clone(), Unlock::Keychain).await.expect("init replaces it");
        crate::samples::load_samples(&vault, 2, |_| {}).await.unwrap();
        vault.close().await;
        assert!(options.has_vault());
        let again = Vault::open(options).await.expect("the new vault opens");
        assert_eq!(again.status().await.unwrap().leads, 2);
        again.close().await;
    }

    /// While one `init` makes a vault in a folder, another there is refused and touches
    /// nothing (it would have taken the first one's still empty file for a leftover).
    #[tokio::test]
    async fn a_second_init_in_the_same_folder_at_once_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let options = VaultOptions::new(dir.path().join("data"), Arc::new(Memory::default()));
        create_private_dir(&options.data_dir).unwrap();
        std::fs::write(options.db_path(), b"").unwrap();
        let first = lock_for_creating(&options.data_dir).unwrap();
        let e = Vault::create(options.clone(), Unlock::Keychain).await.err().expect("refused");
        assert!(e.to_string().contains("another Leadvault is creating a vault"), "{e}");
        assert_eq!(std::fs::metadata(options.db_path()).unwrap().len(), 0, "its file untouched");
        drop(first);
        Vault::create(options, Unlock::Keychain).await.expect("then it works").close().await;
    }

    /// Opening a vault made by an older version tells whoever opens it that its schema is being
    /// updated, and over how many leads, before the update runs; an up-to-date vault tells
    /// nothing.
    #[tokio::test]
    async fn opening_a_vault_of_an_older_version_says_its_schema_is_updated() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _, mut options) = vault(dir.path()).await;
        let newest = MIGRATOR.iter().map(|m| m.version).max().unwrap();
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = ?")
            .bind(newest)
            .execute(&vault.pool)
            .await
            .unwrap();
        vault.close().await;
        let told = Arc::new(Mutex::new(Vec::new()));
        let heard = told.clone();
        options.on_update = Some(Arc::new(move |u| heard.lock().unwrap().push(u)));
        Vault::open(options.clone()).await.unwrap().close().await;
        assert_eq!(*told.lock().unwrap(), vec![SchemaUpdate { steps: 1, leads: 3 }]);
        Vault::open(options).await.unwrap().close().await;
        assert_eq!(told.lock().unwrap().len(), 1, "nothing to update the second time");
    }

    /// A database file with data is a vault, whatever else is missing beside it.
    #[test]
    fn only_an_empty_file_with_nothing_beside_it_is_a_leftover() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(DB_FILE);
        std::fs::write(&db, b"").unwrap();
        assert!(left_by_interrupted_init(&db));
        std::fs::write(dir.path().join(format!("{DB_FILE}-wal")), b"x").unwrap();
        assert!(!left_by_interrupted_init(&db), "a write-ahead log holds its data");
        std::fs::remove_file(dir.path().join(format!("{DB_FILE}-wal"))).unwrap();
        std::fs::write(dir.path().join(SETTINGS_FILE), b"{}").unwrap();
        assert!(!left_by_interrupted_init(&db), "settings come after the first write");
        std::fs::remove_file(dir.path().join(SETTINGS_FILE)).unwrap();
        std::fs::write(&db, b"x").unwrap();
        assert!(!left_by_interrupted_init(&db));
    }
}
