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

# A new login keyring, unlocked with a throwaway password, in this session only. D-Bus starts
# the keyring daemon on the first call through this session's own service file (the session
# reads $XDG_DATA_HOME/dbus-1/services before the system's), which unlocks it as it starts.
# gnome-keyring-daemon 42 can abort under concurrent Secret Service sessions (seen here under
# load: "gkd_secret_service_get_pkcs11_session: assertion 'client' failed", then a trap in
# GLib; reported upstream as gnome-keyring work items 190, 196 and 199). D-Bus then starts a
# new daemon on the next call, unlocked over the same keyring file, where the system's service
# file would start a locked one and fail every later keychain test; the call that was under
# way is tried once more by the keychain code (leadvault_core::secrets).
services="$XDG_DATA_HOME/dbus-1/services"
mkdir -p "$services"
cat >"$XDG_DATA_HOME/keyring-daemon.sh" <<'SH'
#!/bin/sh
printf test | exec gnome-keyring-daemon --unlock --foreground --components=secrets
SH
chmod +x "$XDG_DATA_HOME/keyring-daemon.sh"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$XDG_DATA_HOME/keyring-daemon.sh" \
  >"$services/org.freedesktop.secrets.service"
# The bus read its service folders when it started, before this one existed.
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.ReloadConfig >/dev/null
# Start the daemon now and wait (up to 10 s) until it owns its name.
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.StartServiceByName string:org.freedesktop.secrets uint32:0 >/dev/null 2>&1 || true
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
