# Shortcuts for the scripts the README shows; each installs what is missing first.
.PHONY: run test bench bench-sync bench-desktop

run:
	@bash scripts/run.sh $(ARGS)

test:
	@bash scripts/test.sh

bench:
	@bash scripts/bench.sh $(BENCH_ARGS)

bench-sync:
	@bash scripts/bench-sync.sh $(BENCH_ARGS)

bench-desktop:
	@bash scripts/bench-desktop.sh $(BENCH_ARGS)
