//! Child processes, measured: wall time from spawn to exit, and the child's own peak resident
//! set and CPU time from `wait4(2)`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Instant;

use serde::Serialize;

use crate::Fail;

/// What one child process took.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    /// From just before the spawn to the moment `wait4` returned.
    pub wall_secs: f64,
    /// The child's peak resident set (`ru_maxrss`), in KiB.
    pub peak_rss_kib: u64,
    /// User plus system CPU time of the child.
    pub cpu_secs: f64,
}

impl Usage {
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// Runs `command` to its end with standard input closed and its output in files, and measures
/// it. `what` names it in errors; a non-zero exit is a failure quoting the last line it wrote
/// on standard error (the programs measured here write one-line errors without secrets).
pub fn measure(what: &str, mut command: Command, stdout: &Path, stderr: &Path) -> Result<Usage, Fail> {
    let out = File::create(stdout).map_err(|e| Fail::io("create", stdout, e))?;
    let err = File::create(stderr).map_err(|e| Fail::io("create", stderr, e))?;
    command.stdin(Stdio::null()).stdout(out).stderr(err);
    reset_own_peak();
    let started = Instant::now();
    let child = command.spawn().map_err(|e| Fail(format!("could not start {what}: {e}")))?;
    let (status, usage) = wait4(&child).map_err(|e| Fail(format!("could not wait for {what}: {e}")))?;
    let wall_secs = started.elapsed().as_secs_f64();
    // The child is reaped: its `Child` must not be waited for again (dropping it does not).
    drop(child);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(Fail(format!("{what} failed: {}", last_line(stderr, status))));
    }
    Ok(Usage {
        wall_secs,
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        cpu_secs: cpu_secs(&usage),
    })
}

/// User plus system time.
fn cpu_secs(usage: &libc::rusage) -> f64 {
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// A child spawned the way std spawns (posix_spawn: it runs in this process's memory until its
/// exec) starts with this process's peak resident set as its own `ru_maxrss`: the kernel
/// records the old memory's high-water mark at exec. So this process keeps small and resets its
/// own peak to what it uses now just before each measured spawn (`/proc/self/clear_refs`,
/// Linux 4.0+). Best effort: without it the figures can only be too high, never too low.
fn reset_own_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's resident set now (`VmRSS`), in KiB: the floor of a child's peak RSS.
pub fn own_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `wait4` on one child: its exit status and its own resource usage (Linux: `ru_maxrss` in
/// KiB, the high-water mark of that process's resident set, including any children it waited
/// for, of which the programs measured here have none).
fn wait4(child: &Child) -> std::io::Result<(libc::c_int, libc::rusage)> {
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; all-zero is a valid value, and wait4 only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: status and usage are valid, exclusive pointers for the duration of the call.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok((status, usage));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// The last non-empty line of a child's stderr file, or how it ended.
fn last_line(stderr: &Path, status: libc::c_int) -> String {
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty()).map(str::to_string);
    let ended = if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("exit code {}", libc::WEXITSTATUS(status))
    };
    match line {
        Some(l) => format!("{} ({ended})", l.strip_prefix("error: ").unwrap_or(&l)),
        None => ended,
    }
}

/// Runs `command` unmeasured to its end, with `stdin` on its standard input; returns its
/// standard output. A failure quotes its last line on standard error.
pub fn run(what: &str, mut command: Command, stdin: &[u8]) -> Result<String, Fail> {
    use std::io::Write;
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| Fail(format!("could not start {what}: {e}")))?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).map_err(|e| Fail(format!("could not write to {what}: {e}")))?;
    }
    let output = child.wait_with_output().map_err(|e| Fail(format!("could not wait for {what}: {e}")))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let line = err.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message");
        return Err(Fail(format!(
            "{what} failed: {} ({})",
            line.strip_prefix("error: ").unwrap_or(line),
            output.status
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `leadvault-fakes serve`, running until dropped.
pub struct FakeServer {
    child: Child,
    reaped: bool,
    /// Kept open: the server writes nothing more, but a closed pipe would fail a late print.
    _stdout: BufReader<ChildStdout>,
    pub meta_url: String,
    /// The long-lived token the Meta fake accepts when pasted. Never printed.
    pub meta_token: String,
}

impl FakeServer {
    /// Starts the fakes and reads their address lines (one JSON object per provider).
    pub fn start(program: &Path, args: &[String], stderr: &Path) -> Result<FakeServer, Fail> {
        let err = File::create(stderr).map_err(|e| Fail::io("create", stderr, e))?;
        let mut child = Command::new(program)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(|e| Fail(format!("could not start {}: {e}", program.display())))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut found = None;
        for _ in 0..5 {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            if v["provider"] == "meta"
                && let (Some(url), Some(token)) = (v["base_url"].as_str(), v["token"].as_str())
            {
                found = Some((url.to_string(), token.to_string()));
            }
        }
        let mut server = FakeServer {
            child,
            reaped: false,
            _stdout: stdout,
            meta_url: String::new(),
            meta_token: String::new(),
        };
        let Some((url, token)) = found else {
            let _ = server.child.kill();
            let status = server.child.wait().map(|s| s.into_raw()).unwrap_or(0);
            return Err(Fail(format!("the fake servers did not start: {}", last_line(stderr, status))));
        };
        server.meta_url = url;
        server.meta_token = token;
        Ok(server)
    }
}

impl FakeServer {
    /// Stops the servers; returns the CPU time (user + system) they used.
    pub fn stop(mut self) -> Option<f64> {
        let _ = self.child.kill();
        let cpu = wait4(&self.child).ok().map(|(_, usage)| cpu_secs(&usage));
        self.reaped = cpu.is_some();
        cpu
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
