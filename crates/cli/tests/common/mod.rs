//! A sandbox per test: its own data dir (so its own keychain entry) and temp dir, and a way to
//! run the real `leadvault` binary in it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Sandbox {
    pub root: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("tmp")).unwrap();
        Sandbox { root }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadvault"));
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        // SQLite's temp files, if it ever wrote any, land where the leak tests look.
        cmd.env("TMPDIR", self.root.path().join("tmp"));
        cmd.env_remove("LEADVAULT_PASSPHRASE").env_remove("LEADVAULT_DATA_DIR");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run leadvault")
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "leadvault {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs and insists on failure with exit code 1 and a one-line message; returns it.
    pub fn fails(&self, args: &[&str]) -> String {
        fails(self.run(args), args)
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON output")
    }

    pub fn init(&self) {
        self.ok(&["init"]);
    }

    /// `leadvault connect PROVIDER --token-stdin --base-url URL` with `token` piped in;
    /// returns the new connection's id.
    pub fn connect_pasted(&self, provider: &str, base_url: &str, token: &str) -> String {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .command(&["connect", provider, "--token-stdin", "--base-url", base_url, "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run leadvault");
        child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "connect {provider}: {}", String::from_utf8_lossy(&out.stderr));
        let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        made["id"].as_str().expect("an id").to_string()
    }
}

pub fn fails(out: Output, what: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{what:?} should exit 1; stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what:?} should print one line, got: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).display().to_string()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn sha256_file(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).unwrap();
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).unwrap();
    buf
}

impl Sandbox {
    /// Runs with standard output closed by its reader before the command writes anything, as
    /// `leadvault ... | head -c0` would.
    pub fn run_closed_stdout(&self, args: &[&str]) -> Output {
        use std::process::Stdio;
        let mut child =
            self.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run leadvault");
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    }

    /// Runs with standard output on a full disk (`> /dev/full`).
    pub fn run_full_stdout(&self, args: &[&str]) -> Output {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        self.command(args).stdout(full).output().expect("run leadvault")
    }
}

/// A new pseudo-terminal: its controlling side (what a terminal shows, and where typing goes
/// in), and the side a child gets as its standard input.
#[cfg(unix)]
pub fn pseudo_terminal() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty makes a terminal pair and writes its two descriptors.
    let made = unsafe {
        libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
    };
    assert_eq!(made, 0, "a pseudo-terminal");
    // SAFETY: both descriptors were just opened and are owned here alone.
    unsafe { (std::os::fd::OwnedFd::from_raw_fd(master), std::os::fd::OwnedFd::from_raw_fd(slave)) }
}
