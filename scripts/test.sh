#!/usr/bin/env bash
# Runs every test inside a private D-Bus session with its own unlocked GNOME keyring, so the
# tests use a real Secret Service keychain and never touch the user's own keyring.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${LEADVAULT_TEST_SESSION:-}" ]; then
  export LEADVAULT_TEST_SESSION=1
  XDG_DATA_HOME="$(mktemp -d)"
  export XDG_DATA_HOME
  trap 'rm -rf "$XDG_DATA_HOME"' EXIT
  dbus-run-session -- bash "$0" "$@"
  exit $?
fi

# A new login keyring, created unlocked with a throwaway password, in this session only.
echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
cargo test --workspace --locked "$@"
