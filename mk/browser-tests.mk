# Real-browser tests of the self-service page (tests/browser/): Debian's Chromium driven by
# playwright-core, against the built Worker under `wrangler dev --local` (tests/worker/harness.mjs).
# Screenshots of every step go to test-artifacts/browser/ (git-ignored).
# Node 22's --test does not take a directory; the quoted glob is expanded by Node itself.
.PHONY: test-browser

test-browser: build-worker ## real-browser tests of the page (Chromium, installed by apt if missing)
	tools/install-chromium
	node --test --test-concurrency=1 'tests/browser/*.test.mjs'
