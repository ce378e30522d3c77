# The npm package (issue 4): `make pkg` builds pkg/ from the Rust core, `make test-npm` tests it.
# Included by the Makefile, which exports PATH (node_modules/.bin, cargo bin) and defines bootstrap.
# The steps are in tools/build-pkg.mjs (build) and tests/npm/ (tests).

.PHONY: pkg test-npm

pkg: bootstrap ## build the npm package in pkg/ (wasm, JS for Node/workerd/bundlers, types)
	node tools/build-pkg.mjs

test-npm: pkg ## pack pkg/, install it in a temporary project, test Node CJS/ESM, a Worker, types
	node --test --test-concurrency=1 tests/npm/*.test.mjs
