//! `leadvault-bench sync`: the sync benchmark. Per run, a fresh `leadvault-fakes serve` holds N
//! Meta leads; `leadvault sync` pulls them into a fresh vault (init and connect untimed), then
//! Meta's Python SDK reads the same leads from the same server. Both children are measured the
//! same way (see [`crate::process::measure`]), and both must have read exactly the N leads the
//! fake holds, the same ones: the vault's lead ids (read back with `leadvault vault status` and
//! `leadvault leads list`, in child processes, so this one stays small) and the SDK's are
//! summed as hashes and compared.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use leadvault_connectors::meta::{GRAPH_VERSION, LEAD_FIELDS};
use leadvault_connectors::sync::SyncOptions;
use serde::{Deserialize, Serialize};

use crate::args::SyncArgs;
use crate::process::{self, FakeServer, Usage};
use crate::vault_bench::PASSPHRASE;
use crate::{Fail, progress};

/// The SDK side, run by the Python given with `--python`.
const SDK_SCRIPT: &str = include_str!("../python/meta_sdk_read.py");

/// The variable the vault's passphrase is passed in to `leadvault`.
const PASSPHRASE_VAR: &str = "LEADVAULT_BENCH_PASSPHRASE";

/// The fake's Meta app budget unless told otherwise (`leadvault_fakes::Limits::default()`).
pub const META_DEFAULT_CALLS_PER_HOUR: u64 = 4_800;

/// Meta usage (percent) from which Leadvault spaces its requests out.
pub fn leadvault_slow_down_at() -> u32 {
    SyncOptions::default().slow_down_at
}

/// One reader's figures in one run.
#[derive(Debug, Clone, Serialize)]
pub struct ReaderRun {
    pub leads: u64,
    #[serde(flatten)]
    pub usage: Usage,
    pub leads_per_sec: f64,
    /// The reading alone, by the reader's own clock: Leadvault's "sync done" log line, the
    /// SDK script's timer after its imports.
    pub in_process_secs: Option<f64>,
    /// Graph requests made.
    pub requests: Option<u64>,
}

/// One run: the two readers on the same fake server.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    pub run: usize,
    pub leadvault: ReaderRun,
    pub sdk: ReaderRun,
    /// Leadvault's retried requests (0 unless something was refused or throttled).
    pub leadvault_retries: u64,
    /// The fake's `X-App-Usage` call count (%) on the SDK's last answer: both readers' calls
    /// in this hour against the app budget.
    pub app_usage_percent: Option<u64>,
    pub lead_id_checksum: String,
    /// CPU time (user + system) of the fake servers over the run: serving both readers.
    pub fake_cpu_secs: Option<f64>,
    /// This process's resident set when it spawned the two readers (the larger): the floor
    /// under their peak RSS figures (see `process::reset_own_peak`).
    pub bench_rss_kib: Option<u64>,
}

/// What the whole benchmark found, before it is summarised.
#[derive(Debug, Clone)]
pub struct Measured {
    pub runs: Vec<RunFigures>,
    pub sdk_version: String,
    pub python_version: String,
    pub sqlcipher_version: String,
    /// The Meta app budget the fake enforced, calls per hour.
    pub meta_calls_per_hour: u64,
    /// Whether the bench raised it from the fake's default (and why: the projected calls).
    pub meta_budget_raised_for: Option<u64>,
    pub forms: u64,
    pub pages: u64,
    pub load_average: Option<f64>,
}

/// What the SDK script prints.
#[derive(Debug, Deserialize)]
struct SdkOutput {
    leads: u64,
    pages: u64,
    forms: u64,
    requests: u64,
    checksum: String,
    read_secs: f64,
    app_usage_percent: Option<u64>,
    sdk_version: String,
    python_version: String,
}

/// One connection's outcome in `leadvault sync --json`.
#[derive(Debug, Deserialize)]
struct SyncOutcome {
    new: Option<u64>,
    unchanged: Option<u64>,
    skipped: Option<u64>,
    retries: Option<u64>,
    error: Option<String>,
}

pub fn run(args: &SyncArgs) -> Result<Measured, Fail> {
    let bin_dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .ok_or_else(|| Fail("cannot tell where this program is; pass --bin-dir".into()))?,
    };
    let leadvault = bin_dir.join("leadvault");
    let fakes = bin_dir.join("leadvault-fakes");
    for (program, package) in [(&leadvault, "leadvault-cli"), (&fakes, "leadvault-fakes")] {
        if !program.is_file() {
            return Err(Fail(format!(
                "no {} (build it: cargo build --release -p {package}, or pass --bin-dir)",
                program.display()
            )));
        }
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Err(Fail(
            "no D-Bus session for the keychain (the connection's token goes there); run scripts/bench-sync.sh"
                .into(),
        ));
    }
    std::fs::create_dir_all(&args.work_dir).map_err(|e| Fail::io("create", &args.work_dir, e))?;
    let dir = tempfile::Builder::new()
        .prefix("sync-")
        .tempdir_in(&args.work_dir)
        .map_err(|e| Fail::io("create a folder in", &args.work_dir, e))?;
    let script = dir.path().join("meta_sdk_read.py");
    std::fs::write(&script, SDK_SCRIPT).map_err(|e| Fail::io("write", &script, e))?;

    // Before the long part: without the SDK there is nothing to compare with.
    let check = Command::new(&args.python)
        .args(["-c", "from importlib.metadata import version; print(version('facebook-business'))"])
        .output()
        .map_err(|e| Fail(format!("could not start {}: {e}", args.python.display())))?;
    if !check.status.success() {
        return Err(Fail(format!(
            "facebook-business is not installed for {}; run scripts/bench-sync.sh, or pass --python",
            args.python.display()
        )));
    }

    let page_size = u64::from(SyncOptions::default().page_size);
    // Each reader: /me/accounts, each page's forms, each form's pages of leads (and perhaps
    // one empty last page); connect's /me once. With slack.
    let per_reader = args.leads.div_ceil(page_size) + 10;
    let projected = 2 * per_reader + 1;
    let (meta_calls_per_hour, raised_for) = if projected * 2 <= META_DEFAULT_CALLS_PER_HOUR {
        (META_DEFAULT_CALLS_PER_HOUR, None)
    } else {
        // Four times what both use: the usage stays near 25 %, far from Leadvault's pacing.
        ((projected * 4).div_ceil(1_000) * 1_000, Some(projected))
    };

    let load_average = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()));

    let mut runs = Vec::with_capacity(args.runs);
    let mut versions = None;
    let mut sqlcipher_version = String::new();
    let (mut forms, mut pages) = (0, 0);
    for run in 1..=args.runs {
        let run_dir = dir.path().join(format!("run-{run}"));
        std::fs::create_dir_all(&run_dir).map_err(|e| Fail::io("create", &run_dir, e))?;
        progress(format_args!(
            "run {run}/{}: starting the fake servers with {} Meta leads (seed {})",
            args.runs, args.leads, args.seed
        ));
        let mut fake_args =
            vec!["--seed".to_string(), args.seed.to_string(), "--leads".into(), args.leads.to_string()];
        if raised_for.is_some() {
            fake_args.extend(["--meta-calls-per-hour".into(), meta_calls_per_hour.to_string()]);
        }
        let fake = FakeServer::start(&fakes, &fake_args, &run_dir.join("fakes.stderr"))?;

        let data_dir = run_dir.join("data");
        let cli = |sub: &[&str]| {
            let mut c = Command::new(&leadvault);
            c.arg("--data-dir")
                .arg(&data_dir)
                .args(["--passphrase-env", PASSPHRASE_VAR])
                .args(sub)
                .env(PASSPHRASE_VAR, PASSPHRASE)
                .env_remove("LEADVAULT_PASSPHRASE")
                .env_remove("LEADVAULT_DATA_DIR");
            c
        };
        process::run("leadvault init", cli(&["init"]), b"")?;
        let connected = process::run(
            "leadvault connect meta",
            cli(&["connect", "meta", "--base-url", &fake.meta_url, "--token-stdin", "--json"]),
            format!("{}\n", fake.meta_token).as_bytes(),
        )?;
        let connection: serde_json::Value = serde_json::from_str(connected.trim())
            .map_err(|_| Fail("leadvault connect --json printed something else than JSON".into()))?;
        let connection_id = connection["id"]
            .as_str()
            .ok_or_else(|| Fail("leadvault connect --json printed no connection id".into()))?
            .to_string();

        progress(format_args!("run {run}/{}: leadvault sync", args.runs));
        let (out, err) = (run_dir.join("sync.stdout"), run_dir.join("sync.stderr"));
        let mut floor_kib = process::own_rss_kib();
        let usage = process::measure(
            "leadvault sync",
            cli(&["sync", "--connection", &connection_id, "--json"]),
            &out,
            &err,
        )?;
        let outcome = sync_outcome(&out)?;
        if let Some(e) = &outcome.error {
            return Err(Fail(format!("leadvault sync failed: {e}")));
        }
        let synced = outcome.new.unwrap_or(0);
        if synced != args.leads || outcome.unchanged.unwrap_or(0) != 0 || outcome.skipped.unwrap_or(0) != 0 {
            return Err(Fail(format!(
                "leadvault sync stored {synced} new leads ({} already there, {} skipped), not the {} the fake holds",
                outcome.unchanged.unwrap_or(0),
                outcome.skipped.unwrap_or(0),
                args.leads
            )));
        }
        let ours = ReaderRun {
            leads: synced,
            usage,
            leads_per_sec: synced as f64 / usage.wall_secs,
            in_process_secs: sync_done_secs(&data_dir.join("logs")),
            requests: None,
        };
        progress(format_args!(
            "run {run}/{}: leadvault stored {synced} leads in {:.1} s ({:.0} leads/s), peak RSS {:.1} MiB",
            args.runs,
            usage.wall_secs,
            ours.leads_per_sec,
            usage.peak_rss_mib()
        ));

        progress(format_args!("run {run}/{}: facebook-business reading the same leads", args.runs));
        let (out, err) = (run_dir.join("sdk.stdout"), run_dir.join("sdk.stderr"));
        let mut sdk_command = Command::new(&args.python);
        sdk_command
            .arg(&script)
            .env("LEADVAULT_BENCH_GRAPH_URL", &fake.meta_url)
            .env("LEADVAULT_BENCH_META_TOKEN", &fake.meta_token)
            .env("LEADVAULT_BENCH_GRAPH_VERSION", GRAPH_VERSION)
            .env("LEADVAULT_BENCH_LEAD_FIELDS", LEAD_FIELDS)
            .env("LEADVAULT_BENCH_PAGE_SIZE", page_size.to_string());
        floor_kib = floor_kib.max(process::own_rss_kib());
        let usage = process::measure("the facebook-business script", sdk_command, &out, &err)?;
        let text = std::fs::read_to_string(&out).map_err(|e| Fail::io("read", &out, e))?;
        let sdk: SdkOutput = serde_json::from_str(text.trim())
            .map_err(|_| Fail("the facebook-business script printed something else than its JSON".into()))?;
        if sdk.leads != args.leads {
            return Err(Fail(format!(
                "the SDK read {} leads, not the {} the fake holds (and Leadvault stored)",
                sdk.leads, args.leads
            )));
        }
        let theirs = ReaderRun {
            leads: sdk.leads,
            usage,
            leads_per_sec: sdk.leads as f64 / usage.wall_secs,
            in_process_secs: Some(sdk.read_secs),
            requests: Some(sdk.requests),
        };
        progress(format_args!(
            "run {run}/{}: the SDK read {} leads in {:.1} s ({:.0} leads/s), peak RSS {:.1} MiB",
            args.runs,
            sdk.leads,
            usage.wall_secs,
            theirs.leads_per_sec,
            usage.peak_rss_mib()
        ));

        // The same leads: the vault's lead ids against the SDK's.
        let status = process::run("leadvault vault status", cli(&["vault", "status", "--json"]), b"")?;
        let status: VaultStatus = serde_json::from_str(status.trim())
            .map_err(|_| Fail("leadvault vault status --json printed something else than JSON".into()))?;
        let (count, checksum) = vault_ids(cli(&["leads", "list", "--json", "--limit", "0"]))?;
        if status.leads != args.leads || count != args.leads || checksum != sdk.checksum {
            return Err(Fail(format!(
                "the vault holds {count} leads whose ids do not match the {} the SDK read (checksums {checksum} and {})",
                sdk.leads, sdk.checksum
            )));
        }
        sqlcipher_version = status.sqlcipher_version;
        process::run("leadvault disconnect", cli(&["disconnect", &connection_id]), b"")?;
        let fake_cpu_secs = fake.stop();

        (forms, pages) = (sdk.forms, sdk.pages);
        versions = Some((sdk.sdk_version, sdk.python_version));
        runs.push(RunFigures {
            run,
            leadvault: ours,
            sdk: theirs,
            leadvault_retries: outcome.retries.unwrap_or(0),
            app_usage_percent: sdk.app_usage_percent,
            lead_id_checksum: checksum,
            fake_cpu_secs,
            bench_rss_kib: floor_kib,
        });
    }
    let (sdk_version, python_version) = versions.unwrap_or_default();
    Ok(Measured {
        runs,
        sdk_version,
        python_version,
        sqlcipher_version,
        meta_calls_per_hour,
        meta_budget_raised_for: raised_for,
        forms,
        pages,
        load_average,
    })
}

fn sync_outcome(stdout: &Path) -> Result<SyncOutcome, Fail> {
    let text = std::fs::read_to_string(stdout).map_err(|e| Fail::io("read", stdout, e))?;
    let mut outcomes: Vec<SyncOutcome> = serde_json::from_str(text.trim())
        .map_err(|_| Fail("leadvault sync --json printed something else than its JSON array".into()))?;
    match outcomes.len() {
        1 => Ok(outcomes.remove(0)),
        n => Err(Fail(format!("leadvault sync --json reported {n} connections, not the one connected"))),
    }
}

/// The sync's own duration from Leadvault's log (`sync done … ms=N`), in seconds.
fn sync_done_secs(logs: &Path) -> Option<f64> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(logs).ok()?.filter_map(|e| Some(e.ok()?.path())).collect();
    files.sort();
    files.iter().rev().find_map(|file| {
        let text = std::fs::read_to_string(file).ok()?;
        let line = text.lines().rev().find(|l| l.contains("sync done"))?;
        let ms: f64 = line.split_whitespace().find_map(|w| w.strip_prefix("ms="))?.parse().ok()?;
        Some(ms / 1e3)
    })
}

/// What `leadvault vault status --json` says, of what the bench needs.
#[derive(Debug, Deserialize)]
struct VaultStatus {
    leads: u64,
    sqlcipher_version: String,
}

/// One lead of `leadvault leads list --json`, of what the bench needs (the rest, personal data
/// among it, is read past and never kept or printed).
#[derive(Debug, Deserialize)]
struct ListedLead {
    external_id: String,
}

/// Runs `leadvault leads list --json --limit 0` and returns how many leads it listed and a
/// checksum of their ids: the same sum the SDK script makes (the first 8 bytes of each id's
/// SHA-256, big-endian, added mod 2^64, in hex). The list has one lead per line; it is read
/// line by line, so this process stays small (its peak would count in the next child's).
fn vault_ids(mut list: Command) -> Result<(u64, String), Fail> {
    let mut child = list
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Fail(format!("could not start leadvault leads list: {e}")))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (mut count, mut sum) = (0u64, 0u64);
    let mut bad = false;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else {
            bad = true;
            break;
        };
        let line = line.trim().trim_end_matches(',');
        if !line.starts_with('{') {
            continue;
        }
        match serde_json::from_str::<ListedLead>(line) {
            Ok(lead) => {
                count += 1;
                sum = sum.wrapping_add(id_hash(&lead.external_id));
            }
            Err(_) => bad = true,
        }
    }
    let status = child.wait().map_err(|e| Fail(format!("could not wait for leadvault leads list: {e}")))?;
    if bad || !status.success() {
        return Err(Fail(format!("leadvault leads list --json did not list the vault's leads ({status})")));
    }
    Ok((count, format!("{sum:016x}")))
}

fn id_hash(id: &str) -> u64 {
    let digest = ring::digest::digest(&ring::digest::SHA256, id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_hash_matches_the_sdk_scripts() {
        // python3 -c "import hashlib; print(hashlib.sha256(b'1200000000001').hexdigest()[:16])"
        assert_eq!(format!("{:016x}", id_hash("1200000000001")), "dded4b4812301d65");
    }

    #[test]
    fn the_sync_time_is_read_from_the_log() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("leadvault.2026-11-30.log"),
            "2026-11-30T10:00:00Z  INFO leadvault_connectors::sync: sync done connection=01J new=5 pages=1 retries=0 ms=1234\n",
        )
        .unwrap();
        assert_eq!(sync_done_secs(dir.path()), Some(1.234));
        assert_eq!(sync_done_secs(&dir.path().join("none")), None);
    }
}
