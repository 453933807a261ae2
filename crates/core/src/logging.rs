//! The apps' log files: `<data dir>/logs/<prefix>.YYYY-MM-DD.log`, rotated daily, two weeks
//! kept; never the terminal. The core logs ids, counts and durations only, never personal data.
//! `LEADVAULT_LOG` (an `EnvFilter`) makes them chattier.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;

/// Starts logging to files under `data_dir`; keep the guard alive for as long as the app runs.
/// `None` when the folder cannot be written or a logger is already set: the app runs on without.
pub fn init(data_dir: &Path, prefix: &str) -> Option<WorkerGuard> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix("log")
        .max_log_files(14)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEADVAULT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok()?;
    Some(guard)
}
