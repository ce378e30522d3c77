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
export ESBUILD_BIN = $(firstword $(wildcard $(CURDIR)/node_modules/@esbuild/*/bin/esbuild))
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER := wasm-bindgen-test-runner

# Test and package targets of the shells live in mk/ (test-worker, pkg, test-npm, ...).
-include mk/*.mk

.PHONY: help bootstrap test check test-native test-wasm build-worker dev clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## install the pinned toolchain (idempotent)
	@tools/bootstrap

test: bootstrap check test-native test-wasm test-worker test-npm test-browser ## everything CI runs
	@echo "make test: all passed"

check: bootstrap ## formatting and lints
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features worker -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features js -- -D warnings

test-native: bootstrap ## core tests, natively
	cargo test

test-wasm: bootstrap ## core tests compiled to wasm32, run in Node by wasm-bindgen-test
	cargo test --target wasm32-unknown-unknown
	cargo test --target wasm32-unknown-unknown --features worker --lib

build-worker: bootstrap ## build the Worker into build/ (worker-build, feature "worker")
	worker-build --release --features worker

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
