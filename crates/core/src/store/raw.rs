//! Bulk work (import, export) on a plain SQLite connection of its own, on a blocking thread.
//!
//! sqlx runs each connection on a worker thread and hands every row across to the async side;
//! at a million rows that hand-off costs more than SQLite's own work. Import and export open a
//! rusqlite connection to the same file with the same key and settings instead, and do all
//! their work where the rows are.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secrets::VaultKey;
use crate::vault::Vault;

/// How to open the vault's file directly: its path and its key, kept as SQLCipher's literal.
pub(crate) struct RawAccess {
    db: PathBuf,
    key: Zeroizing<String>,
}

impl RawAccess {
    pub(crate) fn new(db: &Path, key: &VaultKey, salt: &[u8; 16]) -> RawAccess {
        RawAccess { db: db.to_path_buf(), key: key.sqlcipher_literal(salt) }
    }

    /// A connection with the pool's settings (see `vault::connect_options`).
    pub(crate) fn open(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.db, flags)?;
        conn.execute_batch(&Zeroizing::new(format!("PRAGMA key = {};", self.key.as_str())))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32000;",
        )?;
        // The first read checks the key.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))?;
        Ok(conn)
    }
}

impl Vault {
    /// Runs `work` on a blocking thread with a connection of its own.
    pub(crate) async fn with_raw<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let raw = self.raw.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = raw.open()?;
            work(&mut conn)
        })
        .await
        .map_err(|_| Error::invalid("the work on the vault was interrupted"))?
    }
}

/// Raises its flag when dropped: long work on a blocking thread checks the flag and stops
/// when the future that started it went away (a cancelled import or export).
pub(crate) struct CancelOnDrop(Arc<AtomicBool>);

impl CancelOnDrop {
    pub(crate) fn new() -> CancelOnDrop {
        CancelOnDrop(Arc::new(AtomicBool::new(false)))
    }

    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Awaits `work`, telling `progress` what `counter` says five times a second.
pub(crate) async fn reporting<T>(
    work: impl Future<Output = T>,
    counter: &AtomicU64,
    progress: impl Fn(u64),
) -> T {
    let mut work = std::pin::pin!(work);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = tick.tick() => progress(counter.load(Ordering::Relaxed)),
        }
    }
}
