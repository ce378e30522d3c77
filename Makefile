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

.PHONY: help bootstrap test check test-native test-wasm dev clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## install the pinned toolchain (idempotent)
	@tools/bootstrap

test: bootstrap check test-native test-wasm ## everything CI runs
	@echo "make test: all passed"

check: bootstrap ## formatting and lints
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

test-native: bootstrap ## core tests, natively
	cargo test

test-wasm: bootstrap ## core tests compiled to wasm32, run in Node by wasm-bindgen-test
	cargo test --target wasm32-unknown-unknown

dev: bootstrap ## run the service locally
	@echo "make dev: the Worker arrives with issue 3; until then, 'make test' exercises the core."

clean: ## remove build outputs
	cargo clean
	rm -rf build pkg dist .wrangler test-artifacts
