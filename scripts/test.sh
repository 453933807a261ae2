#!/usr/bin/env bash
# Installs what is missing, then runs every test inside a private D-Bus session with its own
# unlocked GNOME keyring: the tests use a real Secret Service keychain and never touch yours.
# Extra arguments go to `cargo test` (e.g. ./scripts/test.sh -p leadvault-core).
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
if [ $# -gt 0 ]; then
  cargo test --locked "$@"
else
  cargo test --workspace --locked
fi
