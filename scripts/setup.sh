#!/usr/bin/env bash
# Installs what Leadvault needs on Debian 12, skipping what is already there.
# Safe to run again: apt only installs missing packages, npm/cargo tools are checked first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Core build and tests: SQLCipher is compiled by libsqlite3-sys against the system libcrypto;
# the keyring talks to the Secret Service over D-Bus (libdbus); sqlite3 is the benchmarks' reference.
# Desktop: WebKitGTK and GTK for the Tauri window; Xvfb, WebKitWebDriver and ImageMagick for the
# end-to-end tests (a real window driven by WebDriver, screenshots); nodejs/npm build the UI.
PACKAGES=(
  build-essential pkg-config libssl-dev libdbus-1-dev
  gnome-keyring dbus-x11 libsecret-tools
  sqlite3
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev
  libjavascriptcoregtk-4.1-dev libxdo-dev file
  xvfb xauth webkit2gtk-driver x11-utils imagemagick fonts-dejavu-core
)
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

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

# Debian 12's nodejs is 18, older than the UI's tools run on: a newer one from the npm registry.
bash scripts/setup-node.sh
hash -r

# The UI's packages (Vite, React, the Tauri CLI, Vitest, WebdriverIO): again when the lock changed.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: npm ci in ui/" >&2
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# tauri-driver bridges WebDriver to the app's WebKitWebDriver, for the end-to-end tests.
if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: cargo install tauri-driver" >&2
  cargo install tauri-driver --locked --quiet
fi
