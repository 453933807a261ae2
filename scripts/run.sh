#!/usr/bin/env bash
# Installs what is missing, builds Leadvault and runs it. Without arguments it opens the
# desktop window; with arguments they go to the `leadvault` command line
# (e.g. ./scripts/run.sh leads list).
set -euo pipefail
caller="$PWD"
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
  (cd ui && npm run --silent build)
  cargo build --quiet --release --locked -p leadvault-desktop --features custom-protocol
  exec target/release/leadvault-desktop
fi
cargo build --quiet --release --locked -p leadvault-cli
# From where it was called: `run.sh import leads.csv` in Downloads imports Downloads/leads.csv.
cli="$PWD/target/release/leadvault"
cd "$caller"
exec "$cli" "$@"
