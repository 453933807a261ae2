#!/usr/bin/env bash
# Installs what is missing, builds Leadvault and runs it. Without arguments it opens the
# desktop window; with arguments they go to the `leadvault` command line
# (e.g. ./scripts/run.sh leads list).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
  (cd ui && npm run --silent build)
  cargo build --quiet --release --locked -p leadvault-desktop --features custom-protocol
  exec target/release/leadvault-desktop
fi
cargo build --quiet --release --locked -p leadvault-cli
exec target/release/leadvault "$@"
