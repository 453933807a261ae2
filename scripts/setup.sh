#!/usr/bin/env bash
# Installs what Leadvault needs on Debian 12, skipping what is already there.
# Safe to run again: apt only installs missing packages, npm/cargo tools are checked first.
set -euo pipefail

# Core build and tests: SQLCipher is compiled by libsqlite3-sys against the system libcrypto;
# the keyring talks to the Secret Service over D-Bus (libdbus); sqlite3 is the benchmarks' reference.
PACKAGES=(
  build-essential pkg-config libssl-dev libdbus-1-dev
  gnome-keyring dbus-x11 libsecret-tools
  sqlite3
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup first" >&2; exit 1; }
