//! Errors are values with a message for a person: each says what went wrong and what to do.
//!
//! Messages never carry personal data (names, emails, phones) or secrets: an invalid email in
//! an import is reported by line and column, never by its value.

use std::path::PathBuf;

/// Everything the core can fail with. The CLI prints the message on one line and exits 1;
/// the desktop shell shows it and reacts to [`Error::code`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the vault key does not match this database; if you set a passphrase, check {env_hint}")]
    WrongKey { env_hint: String },

    #[error("no vault at {}; create one with `leadvault init`", path.display())]
    NoVault { path: PathBuf },

    /// The vault's settings file (which kind of key it uses) is there but cannot be read, so
    /// the key tried may be the wrong kind.
    #[error(
        "the vault's settings file {} cannot be read (it is not what Leadvault wrote): restore it from a backup of the data folder, or write {{\"key_source\": \"keychain\"}} or {{\"key_source\": \"passphrase\"}} into it, whichever locks this vault",
        path.display()
    )]
    SettingsUnreadable { path: PathBuf },

    #[error("a vault already exists at {}; use it, or choose another --data-dir", path.display())]
    VaultExists { path: PathBuf },

    #[error(
        "the OS keychain has no key for the vault at {} (a keychain key belongs to the folder the vault was made in: a vault folder moved or copied elsewhere opens only where it was, so move it back); if this vault uses a passphrase, export {env_hint}='your passphrase' and run the command again (or --passphrase-env NAME to read it from another variable)",
        path.display()
    )]
    KeyNotInKeychain { path: PathBuf, env_hint: String },

    #[error(
        "no OS keychain is available ({reason}): unlock your keyring and try again; a vault locked with a passphrase opens without it: export LEADVAULT_PASSPHRASE='your passphrase' and run the command again (or --passphrase-env NAME to read it from another variable)"
    )]
    KeychainUnavailable { reason: String },

    /// No keychain for a connection's tokens, which are kept only there whatever locks the vault
    /// (the vault is open by then: its passphrase is not what is missing).
    #[error(
        "no OS keychain is available ({reason}): sign-in tokens are kept only in the OS keychain, whatever locks the vault; unlock your keyring and try again"
    )]
    TokensNeedKeychain { reason: String },

    #[error(
        "this vault is locked with a passphrase: export {env_hint}='your passphrase' and run the command again (or --passphrase-env NAME to read it from another variable)"
    )]
    PassphraseRequired { env_hint: String },

    #[error("the passphrase is too short: choose at least 8 characters")]
    PassphraseTooShort,

    #[error("no lead with id {id}; list ids with `leadvault leads list`")]
    LeadNotFound { id: String },

    #[error("{0}")]
    InvalidInput(String),

    #[error("{path}: {message}")]
    Import { path: String, message: String },

    /// A row of an import that is not a lead: nothing was imported.
    #[error("{path}: {place}: {reason}; fix it, or pass --skip-invalid to import the other rows")]
    InvalidRow { path: String, place: String, reason: String },

    /// The leads of a `--skip-invalid` import are in, but its rejects file could not be kept.
    #[error(
        "{}: the valid rows were imported, but the rejected ones could not be saved here ({reason}); import the file again with --skip-invalid to write them",
        path.display()
    )]
    RejectsNotSaved { path: PathBuf, reason: String },

    /// A file the user asked for (an export, rejected rows) did not fit on its disk. `what`
    /// names it: its path, or "the export".
    #[error("could not write {what}: the disk is full; free some space on it and try again")]
    NoSpace { what: String },

    #[error("could not {action} {}: {source}{}", path.display(), io_hint(source))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the vault database failed: {0}; run `leadvault vault status` to check it")]
    Database(String),

    /// SQLite cannot open the vault's files for writing (its `-wal`/`-shm` beside it, or the
    /// file itself): the data folder is read-only (immutable, a read-only mount) or its
    /// permissions refuse. Every command writes, `vault status` included. `dir` is the data
    /// folder where known.
    #[error(
        "{} cannot be opened for writing (it is read-only, or its permissions do not let you write there): make the folder and its files writable (check chmod, chattr -i, or a read-only mount) and try again",
        match dir {
            Some(dir) => format!("the vault's data folder {}", dir.display()),
            None => "the vault's data folder".to_string(),
        }
    )]
    NotWritable { dir: Option<PathBuf> },

    /// Another process (a long import, the window) held the vault's write lock for longer than
    /// a command waits.
    #[error(
        "the vault is busy: another leadvault command or the window is writing to it; try again when it has finished"
    )]
    Busy,

    /// SQLite found the (decrypted) file damaged: truncated, or pages that do not read back.
    /// Nothing the app can repair, and checking it again shows the same.
    #[error(
        "the vault file is damaged ({0}): restore your data folder (vault.db with its vault.json) from a backup; Leadvault cannot repair it"
    )]
    Damaged(String),

    /// SQLite found no room on the disk for what it had to write; the write was rolled back.
    #[error("the disk holding the vault is full: free some space on it and try again (nothing was changed)")]
    DiskFull,

    /// A page that does not decrypt once the key opened the vault: damaged, or re-encrypted
    /// under another key meanwhile (a key change from another command or window), which reads
    /// the same from here. Restoring a backup is the way back only in the first case.
    #[error(
        "the vault file is damaged, or its key was changed while this ran ({0}): if its key or passphrase was just changed in another window or command, start again with the new one; if not, restore your data folder (vault.db with its vault.json) from a backup; Leadvault cannot repair it"
    )]
    DamagedOrRekeyed(String),

    /// A key change that SQLCipher rolled back: the vault keeps its key.
    #[error(
        "the key was not changed, and the vault still opens with its current key: close other Leadvault windows and commands using it, make sure the disk has room for another copy of it (about {size_mb} MB), and try again"
    )]
    KeyNotChanged { size_mb: u64 },

    #[error("cancelled")]
    Cancelled,

    /// A provider (Meta, Google Ads, a CRM) failed or refused; the message says what to do.
    #[error("{0}")]
    Provider(String),
}

impl Error {
    /// A stable machine-readable code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongKey { .. } => "wrong_key",
            Error::NoVault { .. } => "no_vault",
            Error::SettingsUnreadable { .. } => "settings_unreadable",
            Error::VaultExists { .. } => "vault_exists",
            Error::KeyNotInKeychain { .. } => "key_not_in_keychain",
            Error::KeychainUnavailable { .. } | Error::TokensNeedKeychain { .. } => "keychain_unavailable",
            Error::PassphraseRequired { .. } => "passphrase_required",
            Error::PassphraseTooShort => "passphrase_too_short",
            Error::LeadNotFound { .. } => "lead_not_found",
            Error::InvalidInput(_) => "invalid_input",
            Error::Import { .. } => "import",
            Error::InvalidRow { .. } => "invalid_row",
            Error::RejectsNotSaved { .. } => "rejects_not_saved",
            Error::Io { .. } => "io",
            Error::Database(_) => "database",
            Error::NotWritable { .. } => "not_writable",
            Error::Damaged(_) => "damaged",
            Error::Busy => "busy",
            Error::DiskFull | Error::NoSpace { .. } => "disk_full",
            Error::DamagedOrRekeyed(_) => "damaged",
            Error::KeyNotChanged { .. } => "key_not_changed",
            Error::Cancelled => "cancelled",
            Error::Provider(_) => "provider",
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        match source.kind() {
            std::io::ErrorKind::StorageFull => Error::NoSpace { what: path.into().display().to_string() },
            _ => Error::Io { action, path: path.into(), source },
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }

    /// A failed write of `what` (an export), from the writer's own error: the disk full is said
    /// so (the writers, csv, serde_json, rust_xlsxwriter, keep only the OS's text of it).
    pub(crate) fn writing(what: &str, e: impl std::fmt::Display) -> Self {
        let text = e.to_string();
        match says_disk_full(&text) {
            true => Error::NoSpace { what: what.to_string() },
            false => Error::invalid(format!("could not write {what}: {text}")),
        }
    }

    /// Names the data folder in an error that is about it and does not name it yet.
    pub fn in_data_dir(self, data_dir: &std::path::Path) -> Self {
        match self {
            Error::NotWritable { dir: None } => Error::NotWritable { dir: Some(data_dir.to_path_buf()) },
            other => other,
        }
    }
}

/// What to do about a file the system refused: said after its reason ("Permission denied").
fn io_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "; you may not use it: check its permissions and its folder's, or choose another"
        }
        std::io::ErrorKind::NotFound => "; check the path",
        _ => "",
    }
}

/// Whether a writer's error text (or a panic's) is the OS saying the disk is full: ENOSPC on
/// Linux and macOS, ERROR_DISK_FULL on Windows; a panic's Debug form says StorageFull.
pub(crate) fn says_disk_full(text: &str) -> bool {
    ["(os error 28)", "(os error 112)", "StorageFull"].iter().any(|m| text.contains(m))
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        // sqlx's Display can include a statement's text, never bound values; keep only the
        // database's own message, which carries no row data.
        match &e {
            // Corrupt (11): the file is damaged. Not a database (26) once the key opened it: a
            // page that does not decrypt. A wrong key at open is told apart before this (see
            // `vault::connect`).
            sqlx::Error::Database(db) if primary_code(db.code().as_deref()) == Some(SQLITE_CORRUPT) => {
                Error::Damaged(db.message().to_string())
            }
            sqlx::Error::Database(db) if primary_code(db.code().as_deref()) == Some(SQLITE_NOTADB) => {
                Error::DamagedOrRekeyed(db.message().to_string())
            }
            sqlx::Error::Database(db) if primary_code(db.code().as_deref()) == Some(SQLITE_FULL) => {
                Error::DiskFull
            }
            // Busy (5) or locked (6): the write lock stayed taken.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED)) =>
            {
                Error::Busy
            }
            // Cannot open (14) or read-only (8): the folder or its files refuse writing.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(|c| matches!(c & 0xff, SQLITE_CANTOPEN | SQLITE_READONLY)) =>
            {
                Error::NotWritable { dir: None }
            }
            sqlx::Error::Database(db) => Error::Database(db.message().to_string()),
            sqlx::Error::PoolTimedOut => Error::Busy,
            other => Error::Database(other.to_string()),
        }
    }
}

/// The primary result code (the low byte) of an extended one, as sqlx gives it.
fn primary_code(code: Option<&str>) -> Option<i32> {
    code.and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff)
}

/// SQLite's primary result codes for a damaged file, and for a lock held by another.
const SQLITE_CORRUPT: i32 = 11;
/// No room on the disk.
const SQLITE_FULL: i32 = 13;
const SQLITE_NOTADB: i32 = 26;
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
/// And for files that cannot be opened for writing.
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_READONLY: i32 = 8;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // Only SQLite's own message: a statement's text (which may hold the key pragma) and
        // values never go into an error.
        match e {
            // rusqlite connections are opened only once the pool opened the vault with the same
            // key: "not a database" then means damaged pages, or a key changed meanwhile.
            rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::DatabaseCorrupt => {
                Error::Damaged(msg.unwrap_or_else(|| f.to_string()))
            }
            rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::NotADatabase => {
                Error::DamagedOrRekeyed(msg.unwrap_or_else(|| f.to_string()))
            }
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => {
                Error::DiskFull
            }
            // Stopped by a progress handler: the work was cancelled, and rolled back.
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted => {
                Error::Cancelled
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                Error::Busy
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly) =>
            {
                Error::NotWritable { dir: None }
            }
            rusqlite::Error::SqliteFailure(_, Some(msg)) => Error::Database(msg),
            rusqlite::Error::SqliteFailure(f, None) => Error::Database(f.to_string()),
            rusqlite::Error::SqlInputError { msg, .. } => Error::Database(msg),
            rusqlite::Error::InvalidColumnType(i, _, t) => {
                Error::Database(format!("column {i} of a lead has an unexpected type ({t})"))
            }
            other => Error::Database(format!("the vault could not be read ({})", error_kind(&other))),
        }
    }
}

/// A short name for a rusqlite error, without any of the values it may carry.
fn error_kind(e: &rusqlite::Error) -> &'static str {
    match e {
        rusqlite::Error::FromSqlConversionFailure(..) => "a value has an unexpected type",
        rusqlite::Error::IntegralValueOutOfRange(..) => "a number is out of range",
        rusqlite::Error::Utf8Error(..) => "text that is not UTF-8",
        rusqlite::Error::InvalidParameterCount(..) => "wrong number of parameters",
        _ => "unexpected reply",
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        // The migrations are the first reads of every open: damage and a held lock show there.
        match e {
            M::Execute(inner) | M::ExecuteMigration(inner, _) => match Error::from(inner) {
                Error::Database(reason) => {
                    Error::Database(format!("could not update the vault's schema: {reason}"))
                }
                other => other,
            },
            other => Error::Database(format!("could not update the vault's schema: {other}")),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A file the system refuses says what to do, where "Permission denied (os error 13)" or
    /// "Operation not permitted" (another's file in a sticky folder) stood alone.
    #[test]
    fn a_refused_file_says_what_to_do() {
        let denied = Error::io("open", "/x/leads.csv", std::io::Error::from_raw_os_error(13));
        assert!(
            denied.to_string().ends_with("check its permissions and its folder's, or choose another"),
            "{denied}"
        );
        let eperm = Error::io("write", "/x/leads.csv", std::io::Error::from_raw_os_error(1));
        assert!(eperm.to_string().contains("you may not use it"), "{eperm}");
        let gone = Error::io("open", "/x/leads.csv", std::io::Error::from_raw_os_error(2));
        assert!(gone.to_string().ends_with("; check the path"), "{gone}");
        let other = Error::io("read", "/x/leads.csv", std::io::Error::from_raw_os_error(5));
        assert_eq!(
            other.to_string(),
            format!("could not read /x/leads.csv: {}", std::io::Error::from_raw_os_error(5))
        );
    }

    #[test]
    fn a_write_lock_held_elsewhere_is_busy_not_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locked.db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder.execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);").unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let e = Error::from(other.execute_batch("BEGIN IMMEDIATE").unwrap_err());
        assert!(matches!(e, Error::Busy), "{e}");
        assert_eq!(e.code(), "busy");
        assert!(e.to_string().contains("try again when it has finished"), "{e}");
    }

    #[test]
    fn a_file_that_cannot_be_written_is_not_writable_not_a_failure_to_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.db");
        rusqlite::Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        let ro =
            rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let e = Error::from(ro.execute_batch("INSERT INTO t VALUES (1)").unwrap_err());
        assert!(matches!(e, Error::NotWritable { dir: None }), "{e}");
        assert_eq!(e.code(), "not_writable");
        let e = e.in_data_dir(dir.path());
        let text = e.to_string();
        assert!(text.contains(&format!("data folder {} cannot be opened for writing", dir.path().display())));
        assert!(text.contains("read-only"), "{text}");
        assert!(!text.contains("vault status"), "no advice to run what fails the same: {text}");
    }

    #[test]
    fn a_full_disk_says_so_and_to_free_space() {
        // SQLite's own "full": a database capped in pages, as a disk with no room leaves it.
        let dir = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("full.db")).unwrap();
        conn.execute_batch("PRAGMA max_page_count = 3; CREATE TABLE t (x)").unwrap();
        let full = conn.execute_batch("INSERT INTO t VALUES (zeroblob(100000))").unwrap_err();
        let e = Error::from(full);
        assert!(matches!(e, Error::DiskFull), "{e}");
        assert!(e.to_string().contains("free some space") && !e.to_string().contains("vault status"), "{e}");

        // A file's writer: the OS's own text for it, from an io::Error, through csv or
        // rust_xlsxwriter, or in a panic's Debug form.
        let enospc = std::io::Error::from_raw_os_error(28);
        let xlsx = rust_xlsxwriter::XlsxError::IoError(std::io::Error::from_raw_os_error(28));
        for said in [enospc.to_string(), xlsx.to_string(), format!("Couldn't write to xml file: {enospc:?}")]
        {
            let e = Error::writing("the export", &said);
            assert_eq!(e.code(), "disk_full", "{said}");
            assert_eq!(
                e.to_string(),
                "could not write the export: the disk is full; free some space on it and try again"
            );
        }
        let e = Error::io("write", "/x/leads.csv", std::io::Error::from_raw_os_error(28));
        assert_eq!(
            e.to_string(),
            "could not write /x/leads.csv: the disk is full; free some space on it and try again"
        );
        // Any other failure keeps its own words.
        let e = Error::writing("the export", std::io::Error::from_raw_os_error(5));
        assert!(
            e.to_string().starts_with("could not write the export: ") && e.code() == "invalid_input",
            "{e}"
        );
    }
}
