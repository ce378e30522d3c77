// `make dev` manners (issue 15): the token banner comes after wrangler's build output (once it is
// ready), and `npx wrangler` in this project sends no usage metrics (send_metrics in wrangler.toml).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from './harness.mjs';

test('tools/dev-banner passes wrangler output through and prints the token once, right after "Ready on"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-dev-banner-'));
  writeFileSync(join(dir, '.dev.vars'), 'API_TOKEN=dev-0123456789abcdef\n');
  const wrangler = ['Running custom build: make -s build-worker', '[INFO]: Compiling to Wasm...', 'Ready on http://127.0.0.1:8787', '[wrangler:info] GET / 200 OK', 'Ready on http://127.0.0.1:8787'];
  const run = spawnSync(join(REPO, 'tools', 'dev-banner'), [join(dir, '.dev.vars')], { input: wrangler.join('\n') + '\n', encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  const ready = lines.indexOf(wrangler[2]);
  const token = lines.findIndex((l) => l.includes('dev-0123456789abcdef'));
  assert.ok(ready >= 0 && lines.indexOf(wrangler[1]) < ready, `the build output is not passed through first:\n${run.stdout}`);
  assert.ok(token > ready, `the token is not printed after "Ready on":\n${run.stdout}`);
  assert.ok(lines.indexOf(wrangler[3]) > token, 'later output is not passed through');
  assert.equal(run.stdout.split('Dev API token').length, 2, 'the banner is printed more than once');
});

test('wrangler in this project reports telemetry disabled by the project config, without any environment setting', () => {
  const home = mkdtempSync(join(tmpdir(), 'ap-home-'));
  const env = { PATH: `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH}`, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1' };
  const run = spawnSync(join(REPO, 'node_modules', '.bin', 'wrangler'), ['telemetry', 'status'], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /Status: Disabled \(set by wrangler config\)/, run.stdout);
});
