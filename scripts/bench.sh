#!/usr/bin/env bash
# Installs what is missing (sqlite3 is the reference), builds the benchmark and runs it:
# Leadvault against plain sqlite3 on generated Meta leads. Arguments go to leadvault-bench,
# e.g. `make bench BENCH_ARGS="--leads 100000"` or ./scripts/bench.sh --json; see --help.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p leadvault-bench
exec target/release/leadvault-bench "$@"
