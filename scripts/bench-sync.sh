#!/usr/bin/env bash
# The sync benchmark (not a test): `leadvault sync` pulling N leads (default 100,000) from the
# fake Meta server into a fresh vault, beside Meta's Python SDK (facebook-business) reading the
# same leads from the same server; leads/s, peak RSS and the ratio. Arguments go to
# `leadvault-bench sync`, e.g. ./scripts/bench-sync.sh --leads 20000 --runs 3 --json; see
# `leadvault-bench sync --help`.
#
# Installs what is missing first: the system packages (scripts/setup.sh), a Python venv with
# the pinned SDK under the target dir, the release binaries. It runs in a private D-Bus session
# with a throwaway keyring (the connection's token goes to the keychain), never yours.
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_VERSION=26.0.3 # facebook-business, for Graph v26.0 (the connectors' GRAPH_VERSION)
target="${CARGO_TARGET_DIR:-target}"
venv="$target/bench-sync-venv"

if [ -z "${LEADVAULT_BENCH_IN_SESSION:-}" ]; then
  bash scripts/setup.sh
  if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    echo "setup: installing python3 python3-venv" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  fi
  installed="$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("facebook-business"))' 2>/dev/null || true)"
  if [ "$installed" != "$SDK_VERSION" ]; then
    echo "setup: facebook-business $SDK_VERSION in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "facebook-business==$SDK_VERSION"
  fi
  cargo build --quiet --release --locked -p leadvault-cli -p leadvault-fakes -p leadvault-bench
  export LEADVAULT_BENCH_IN_SESSION=1 XDG_DATA_HOME
  XDG_DATA_HOME="$(mktemp -d)"
  status=0
  dbus-run-session -- bash "$0" "$@" || status=$?
  rm -rf "$XDG_DATA_HOME"
  exit "$status"
fi

# A new login keyring, created unlocked with a throwaway password, in this session only.
echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$target/release/leadvault-bench" sync --python "$venv/bin/python" "$@"
