//! Ctrl-C (SIGINT) and SIGTERM during an import or export: the work stops and cleans up after
//! itself (the import's transaction rolls back, the export's temporary file is removed) before
//! the command exits, instead of the process dying with a half-written file of leads beside
//! the user's. A second one, while that takes its time (a vault busy with another command, an
//! XLSX being put together), ends the process at once: the files being written have no name
//! until they are whole and SQLite keeps no transaction that did not commit, so that is safe too.

use futures_util::{Stream, StreamExt};
use leadvault_core::error::Error;
use tokio_util::sync::CancellationToken;

use crate::output::errln;

/// Listens for Ctrl-C and SIGTERM until dropped; the first one cancels `token`, a second one
/// says `at_once` and ends the process.
pub struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub fn cancels(token: CancellationToken, at_once: &'static str) -> Listening {
    // Listening starts here, before the work does: in the spawned task it started only once a
    // worker thread ran it, and a Ctrl-C before that (a busy machine) ended the process
    // outright instead of stopping the work.
    let signals = signals();
    Listening(tokio::spawn(async move {
        let Some(signals) = signals else { return };
        stop_on(signals, &token, || {
            errln!("error: {at_once}");
            end_now()
        })
        .await;
    }))
}

/// Ends the process with exit code 130 (128 + SIGINT, as a shell reports a command Ctrl-C
/// ended), at once: `std::process::exit` would run the atexit handlers (SQLCipher's crypto
/// library's) while the import's or export's threads still use them, which crashed it.
fn end_now() -> ! {
    // The hidden file an export writes where unnamed files cannot be made (a FAT drive), which
    // its cleanup would have removed.
    leadvault_core::remove_unfinished();
    #[cfg(unix)]
    // SAFETY: _exit ends the process without running any handler; nothing is left to uphold.
    unsafe {
        libc::_exit(130)
    }
    #[cfg(not(unix))]
    std::process::exit(130)
}

/// The first of `signals` cancels `token`; a second calls `end`.
async fn stop_on(mut signals: impl Stream<Item = ()> + Unpin, token: &CancellationToken, end: impl FnOnce()) {
    if signals.next().await.is_none() {
        return;
    }
    errln!("Stopping… (Ctrl-C again to stop at once)");
    token.cancel();
    if signals.next().await.is_some() {
        end();
    }
}

/// Ctrl-C and SIGTERM, as they come; `None` if they cannot be listened for.
#[cfg(unix)]
fn signals() -> Option<impl Stream<Item = ()> + Unpin + Send> {
    use std::task::Poll;
    use tokio::signal::unix::{SignalKind, signal};
    let (mut int, mut term) = (signal(SignalKind::interrupt()).ok()?, signal(SignalKind::terminate()).ok()?);
    Some(futures_util::stream::poll_fn(move |cx| match int.poll_recv(cx) {
        Poll::Pending => term.poll_recv(cx),
        got => got,
    }))
}

#[cfg(not(unix))]
fn signals() -> Option<impl Stream<Item = ()> + Unpin + Send> {
    Some(Box::pin(futures_util::stream::unfold((), |()| async {
        tokio::signal::ctrl_c().await.ok().map(|()| ((), ()))
    })))
}

/// A cancelled command's error, saying what was kept.
pub fn explained(e: Error, what: &str) -> Error {
    match e {
        Error::Cancelled => Error::InvalidInput(what.to_string()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::sync::mpsc;
    use tokio_util::sync::CancellationToken;

    use super::stop_on;

    #[tokio::test]
    async fn the_first_signal_stops_the_work_and_a_second_ends_at_once() {
        let (send, mut got) = mpsc::unbounded_channel::<()>();
        let signals = futures_util::stream::poll_fn(move |cx| got.poll_recv(cx));
        let token = CancellationToken::new();
        let ended = AtomicBool::new(false);
        let listening = stop_on(signals, &token, || ended.store(true, Ordering::SeqCst));
        let mut listening = std::pin::pin!(listening);
        send.send(()).unwrap();
        tokio::select! {
            _ = &mut listening => panic!("it waits for a second signal"),
            _ = token.cancelled() => {}
        }
        assert!(!ended.load(Ordering::SeqCst), "one signal only stops the work");
        send.send(()).unwrap();
        listening.await;
        assert!(ended.load(Ordering::SeqCst), "a second one ends the process");
    }

    /// A Ctrl-C that comes as soon as `cancels` returned, before its task could run (on this
    /// one-thread runtime it cannot run until the test awaits), stops the work: it ended the
    /// process (this test's too) when the listening started in that task.
    #[cfg(unix)]
    #[tokio::test(flavor = "current_thread")]
    async fn a_ctrl_c_right_after_listening_starts_stops_the_work() {
        let token = CancellationToken::new();
        let _listening = super::cancels(token.clone(), "stopped at once");
        // SAFETY: raise only sends this process a signal; tokio's handler is installed.
        assert_eq!(unsafe { libc::raise(libc::SIGINT) }, 0);
        // A bound for a broken build only (no timing is asserted): it fails rather than hangs.
        tokio::time::timeout(std::time::Duration::from_secs(60), token.cancelled())
            .await
            .expect("the Ctrl-C stops the work");
    }

    #[tokio::test]
    async fn without_signals_nothing_is_stopped() {
        let token = CancellationToken::new();
        let ended = AtomicBool::new(false);
        stop_on(futures_util::stream::empty(), &token, || ended.store(true, Ordering::SeqCst)).await;
        assert!(!token.is_cancelled() && !ended.load(Ordering::SeqCst));
    }
}
