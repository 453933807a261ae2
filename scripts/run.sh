#!/usr/bin/env bash
# Installs what is missing, builds Leadvault and runs it. Arguments go to the `leadvault`
# command line (e.g. ./scripts/run.sh leads list); without any, it shows what it can do.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --quiet --release --locked -p leadvault-cli
if [ $# -eq 0 ]; then
  set -- --help
fi
exec target/release/leadvault "$@"
