//! `connect --token-stdin` at a terminal turns the echo off while the token is typed or pasted;
//! a Ctrl-C (or SIGTERM) at that prompt ends the command with the terminal's echo back on, where
//! it stayed off and what was typed next in that terminal was not shown.

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::Sandbox;

/// Whether the terminal `fd` echoes what is typed.
fn echoes(fd: i32) -> bool {
    // SAFETY: tcgetattr fills the termios it is given for an open terminal.
    unsafe {
        let mut modes: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(fd, &mut modes), 0, "a terminal");
        modes.c_lflag & libc::ECHO != 0
    }
}

#[test]
fn a_stopped_token_prompt_gives_the_terminal_its_echo_back() {
    let sb = Sandbox::new();
    sb.init();
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let (master, slave) = common::pseudo_terminal();
        use std::os::fd::AsRawFd;
        let terminal = slave.as_raw_fd();
        assert!(echoes(terminal), "a new terminal echoes");

        let mut child = sb
            .command(&["connect", "hubspot", "--token-stdin", "--base-url", "http://127.0.0.1:9"])
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut said = String::new();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        while !said.contains("not shown") {
            assert!(stderr.read_line(&mut said).unwrap() > 0, "the prompt: {said}");
        }
        assert!(!echoes(terminal), "the token is not shown as it is typed");

        // SAFETY: signals the child this test started.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let status = child.wait().unwrap();
        assert!(!status.success(), "stopped: {status:?}");
        assert!(echoes(terminal), "signal {signal}: the terminal echoes again");
        drop(master);
    }
}
