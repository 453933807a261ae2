#!/usr/bin/env bash
# Installs what is missing, then runs every test inside a private D-Bus session with its own
# unlocked GNOME keyring: the tests use a real Secret Service keychain and never touch yours.
# In order: the UI build, the Rust tests of every crate (with the bindings staleness check),
# the UI's component tests (Vitest), then the desktop app end to end (a real WebKit window
# under Xvfb driven by WebDriver). Extra arguments go to `cargo test` alone
# (e.g. ./scripts/test.sh -p leadvault-core) and skip the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${LEADVAULT_TEST_SESSION:-}" ]; then
  bash scripts/setup.sh
  export LEADVAULT_TEST_SESSION=1
  XDG_DATA_HOME="$(mktemp -d)"
  export XDG_DATA_HOME
  trap 'rm -rf "$XDG_DATA_HOME"' EXIT
  dbus-run-session -- bash "$0" "$@"
  exit $?
fi

# A new login keyring, created unlocked with a throwaway password, in this session only.
echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
# The daemon returns before it owns its name on the bus (measured here: 0.1-0.5 s later). A
# keychain call in between makes D-Bus start a second daemon whose keyring is locked, and that
# one keeps the name: every keychain test would fail. So wait (up to 10 s) for the name.
for _ in $(seq 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
if [ $# -gt 0 ]; then
  cargo test --locked "$@"
  exit 0
fi

step() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }

# The desktop binary embeds the built UI (custom-protocol), so the UI is built first; the test
# build of the workspace then also yields the debug app the end-to-end suite drives.
step "UI build"
(cd ui && npm run --silent build)
step "Rust tests (all crates, the desktop commands, bindings staleness)"
cargo test --workspace --locked --features custom-protocol
step "UI component tests"
(cd ui && npx vitest run)
step "Desktop end to end"
bash scripts/e2e.sh
