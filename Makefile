# Quick start: `make dev` runs the service locally, `make test` runs every test.
# Every target first runs tools/bootstrap, which installs pinned tools from the registries only.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CURDIR)/node_modules/.bin:$(CARGO_BIN):$(PATH)
export WRANGLER_SEND_METRICS := false
# worker-build downloads wasm-bindgen, wasm-opt and esbuild from GitHub unless told where they are.
export WASM_BINDGEN_BIN = $(CARGO_BIN)/wasm-bindgen
export WASM_OPT_BIN = $(CURDIR)/node_modules/.bin/wasm-opt
# A fixed path, not a wildcard: a wildcard is expanded before `npm ci` has run on a fresh clone,
# and an empty ESBUILD_BIN makes worker-build fetch an unpinned esbuild.
export ESBUILD_BIN = $(CURDIR)/node_modules/.bin/esbuild
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER := wasm-bindgen-test-runner
# The shipped wasm (Worker, npm) uses wasm SIMD128 for Argon2's block function (crates/argon2):
# measured faster in V8 (BENCHMARKS.md). Supported by workerd, Node >= 16.4, current browsers.
# --remap-path-prefix: the source paths in panic locations are written relative to the checkout (our
# sources) and to the registry's source directory (dependencies): shorter (Worker wasm about -1 KB
# raw, -0.1 KB gzip, issue 13), and the same on every machine. (The standard library's paths come
# from its prebuilt metadata as `/rustc/<commit>/…`; a remap does not reach them.)
export WASM_RUSTFLAGS := -C target-feature=+simd128 --remap-path-prefix=$(CURDIR)/= \
  --remap-path-prefix=$(CARGO_BIN:/bin=)/registry/src/=

# Test and package targets of the shells live in mk/ (test-worker, pkg, test-npm, ...).
include $(sort $(wildcard mk/*.mk))

.PHONY: help bootstrap test check test-native test-wasm build-worker dev clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## install the pinned toolchain (idempotent)
	@tools/bootstrap

test: bootstrap check test-native test-wasm test-worker test-npm test-browser test-mail ## everything CI runs
	@echo "make test: all passed"

check: bootstrap ## formatting and lints
	cargo fmt --all -- --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked --lib --target wasm32-unknown-unknown --features worker -- -D warnings
	cargo clippy --locked --lib --target wasm32-unknown-unknown --features js -- -D warnings

test-native: bootstrap ## core tests, natively
	cargo test --locked

test-wasm: bootstrap ## core tests compiled to wasm32, run in Node by wasm-bindgen-test
	cargo test --locked --target wasm32-unknown-unknown
	cargo test --locked --target wasm32-unknown-unknown --features worker --lib
	@# The Argon2 tests again with the SIMD128 block function the shipped wasm uses.
	RUSTFLAGS="$$WASM_RUSTFLAGS" cargo test --locked --target wasm32-unknown-unknown --target-dir target/simd --lib

# worker-build's own wasm-opt step is off (Cargo.toml): it runs `-O --debuginfo`, which optimises for
# speed and keeps the names section (233 KB raw). We run `-Oz` without names instead, with the feature
# set worker-build passes (no binaryen encodings workerd does not know yet) plus SIMD128.
# --low-memory-unused: Rust's wasm (stack first, from 1 MiB down) never reaches the low 1 KiB through
# a wrapped pointer sum, so `load(p + c)` may fold `c` into the load's offset (-1.9 KB gzip, issue 13).
# --merge-similar-functions: one body for functions that differ only in constants (serde's copies
# per type, mostly), the constants passed in (-7.5 KB raw, -0.7 KB gzip). --converge: repeat -Oz
# while it still shrinks (-0.5 KB gzip for ~20 s more build time).
WORKER_WASM_OPT_FLAGS := --merge-similar-functions -Oz --converge --low-memory-unused --strip-debug --strip-producers --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue --enable-reference-types \
  --enable-exception-handling --enable-simd

build-worker: bootstrap ## build the Worker into build/ (worker-build, feature "worker")
	RUSTFLAGS="$$WASM_RUSTFLAGS" worker-build --release --features worker --locked
	wasm-opt $(WORKER_WASM_OPT_FLAGS) build/index_bg.wasm -o build/index_bg.wasm

# wrangler builds first ([build] in wrangler.toml); tools/dev-banner prints the token once it is ready.
dev: bootstrap ## run the Worker on http://127.0.0.1:8787 and a local OpenID Provider on http://localhost:8788
	@tools/dev-vars .dev.vars
	node tools/dev-idp.mjs 8788 http://127.0.0.1:8787 app-passwords-dev & idp=$$!; \
	  trap 'kill $$idp' EXIT; \
	  wrangler dev --local --ip 127.0.0.1 --port 8787 --persist-to .wrangler/state --show-interactive-dev-session=false 2>&1 \
	  | tools/dev-banner .dev.vars

clean: ## remove build outputs
	cargo clean
	rm -rf build pkg dist .wrangler test-artifacts
