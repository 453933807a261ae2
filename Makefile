# The two entry points of the README, plus the benchmark. Each installs what is missing first.
.PHONY: setup run test bench

setup:
	@bash scripts/setup.sh

# Runs the leadvault command line; pass its arguments in ARGS, e.g. make run ARGS="vault status".
run: setup
	@cargo run --quiet --release -p leadvault-cli -- $(or $(ARGS),--help)

test: setup
	@bash scripts/test.sh

bench: setup
	@bash scripts/bench.sh $(BENCH_ARGS)
