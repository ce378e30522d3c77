# Benchmarks (issue 6): `make bench` writes BENCHMARKS.md from what it measures (about 12 minutes on
# 2 cores). Peers are pinned in bench/package-lock.json, installed only here (not by `make test`).
.PHONY: bench bench-deps

TWIGGY_VERSION := 0.8.0

bench-deps: bootstrap
	@# twiggy (wasm size profiler, crates.io) for the size breakdown, pinned, into .tools/ (ignored).
	@if [ "$$(.tools/bin/twiggy --version 2>/dev/null | awk '{print $$NF}')" != "$(TWIGGY_VERSION)" ]; then \
	  echo "bench: installing twiggy $(TWIGGY_VERSION)"; \
	  cargo install twiggy --version $(TWIGGY_VERSION) --locked --root .tools; \
	fi
	@if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then \
	  echo "bench: installing pinned peers (npm ci in bench/)"; \
	  cd bench && npm ci --no-audit --no-fund --loglevel=error; \
	fi

bench: build-worker pkg bench-deps ## measure Argon2id, verify on workerd, rejection cost, sizes, cold start
	node bench/run.mjs
