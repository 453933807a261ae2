#!/usr/bin/env bash
# The desktop app end to end: the debug build (with the UI embedded: custom-protocol) in a real
# WebKitGTK window under Xvfb, driven over WebDriver by tauri-driver + WebKitWebDriver.
# Its vault lives in a temporary data dir; the export's save dialog (which WebDriver cannot
# drive) is replaced by LEADVAULT_E2E_EXPORT_PATH; the providers are the local fakes
# (`leadvault-fakes serve`), reached through LEADVAULT_<PROVIDER>_BASE_URL. Screenshot:
# target/e2e/inbox.png.
# Run inside scripts/test.sh (which provides the D-Bus session and keyring), or alone:
#   dbus-run-session -- bash scripts/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="$PWD/target/debug/leadvault-desktop"
FAKES="$PWD/target/debug/leadvault-fakes"
if [ ! -x "$BIN" ] || [ ! -x "$FAKES" ] || [ "${E2E_REBUILD:-}" = 1 ]; then
  (cd ui && npm run --silent build)
  # The same command and features as scripts/test.sh's build, so nothing is compiled twice:
  # it yields the debug app (UI embedded) and the fakes' `serve` binary.
  cargo test --locked --no-run --workspace --features custom-protocol >/dev/null
fi
export PATH="$HOME/.cargo/bin:$PATH"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free X display number.
display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$display"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# The five provider fakes on loopback; one JSON line each: provider, base_url, token.
"$FAKES" serve --seed 7 >"$work/fakes.jsonl" 2>"$work/fakes.log" &
pids+=($!)
for _ in $(seq 100); do [ "$(wc -l <"$work/fakes.jsonl")" -ge 5 ] && break; sleep 0.1; done
fake() { # fake PROVIDER FIELD
  node -e 'const [p, f] = process.argv.slice(1);
    for (const l of require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean)) {
      const o = JSON.parse(l); if (o.provider === p) console.log(o[f]); }' "$1" "$2" <"$work/fakes.jsonl"
}
export LEADVAULT_META_BASE_URL="$(fake meta base_url)"
export LEADVAULT_META_CLIENT_ID=leadvault-test-client
export LEADVAULT_HUBSPOT_BASE_URL="$(fake hubspot base_url)"
export E2E_HUBSPOT_TOKEN="$(fake hubspot token)"
[ -n "$LEADVAULT_META_BASE_URL" ] && [ -n "$E2E_HUBSPOT_TOKEN" ] || { echo "e2e: the fakes did not start" >&2; cat "$work/fakes.log" >&2; exit 1; }

mkdir -p target/e2e
export LEADVAULT_DATA_DIR="$work/data"
export LEADVAULT_E2E_EXPORT_PATH="$work/export.csv"
# The file the window's Import… button reads (the open dialog cannot be driven either): a
# Meta Leads Center download, UTF-16 with tabs.
export LEADVAULT_E2E_IMPORT_PATH="$PWD/crates/cli/tests/fixtures/meta_leads_utf16.csv"
export E2E_APP="$BIN"
export E2E_SCREENSHOT="$PWD/target/e2e/inbox.png"
# Two free ports (another WebDriver session may hold 4444): tauri-driver's and WebKit's own.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=4444
while listening "$port" || listening "$((port + 1))"; do port=$((port + 2)); done
tauri-driver --port "$port" --native-port "$((port + 1))" >"$work/driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  listening "$port" && break
  sleep 0.1
done
export E2E_PORT="$port"
if ! node ui/e2e/desktop.e2e.mjs; then
  echo "e2e: failed; tauri-driver log:" >&2
  tail -n 40 "$work/driver.log" >&2
  tail -n 20 "$work"/data/logs/* >&2 2>/dev/null || true
  exit 1
fi
