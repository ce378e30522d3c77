# End-to-end HTTP tests of the built Worker under `wrangler dev --local` (tests/worker/).
# Node 22's --test does not take a directory; the quoted glob is expanded by Node itself.
.PHONY: test-worker

test-worker: build-worker ## end-to-end HTTP tests of the Worker (wrangler dev --local)
	node --test --test-concurrency=1 'tests/worker/*.test.mjs'
