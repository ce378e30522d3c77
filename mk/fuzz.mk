# Fuzzing (issue 12): `make fuzz` runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each
# (default 60; `make fuzz FUZZ_SECONDS=600` for a longer run) and fails on any crash. Not part of
# `make test`. cargo-fuzz is installed from crates.io at a pinned version; the targets build with the
# nightly toolchain of the machine image (libFuzzer needs -Z sanitizer flags).
# fuzz/ is its own workspace: the main crate's build, tests and clippy never compile it.
# New inputs go to fuzz/corpus/<target> (git-ignored); the small seeds in fuzz/seeds/ are committed.
.PHONY: fuzz fuzz-deps

CARGO_FUZZ_VERSION := 0.13.2
FUZZ_SECONDS ?= 60

fuzz-deps: bootstrap
	@rustup toolchain list | grep -q '^nightly' || { echo "make fuzz: needs a nightly toolchain (rustup toolchain list)" >&2; exit 1; }
	@if [ "$$(cargo fuzz --version 2>/dev/null | awk '{print $$2}')" != "$(CARGO_FUZZ_VERSION)" ]; then \
	  echo "fuzz: installing cargo-fuzz $(CARGO_FUZZ_VERSION)"; \
	  cargo install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --force; \
	fi

fuzz: fuzz-deps ## run every fuzz target for FUZZ_SECONDS (default 60) each; 0 crashes
	cd fuzz && mkdir -p target && for target in $$(cargo +nightly fuzz list); do \
	  mkdir -p corpus/$$target seeds/$$target; \
	  echo "fuzz: $$target for $(FUZZ_SECONDS) s (log: fuzz/target/$$target.log)"; \
	  if ! cargo +nightly fuzz run --release $$target corpus/$$target seeds/$$target -- \
	      -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	      > target/$$target.log 2>&1; then \
	    tail -40 target/$$target.log >&2; \
	    echo "fuzz: $$target crashed; the input is in fuzz/artifacts/$$target" >&2; exit 1; \
	  fi; \
	  grep -E '^(Done|stat::number_of_executed_units)' target/$$target.log || true; \
	done
	@echo "make fuzz: every target ran $(FUZZ_SECONDS) s without a crash"
