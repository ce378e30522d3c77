// The README's walk-through runs verbatim in bash with only the token set (issue 15): the block
// marked `<!-- walkthrough … -->` is extracted from README.md and run twice against the Worker; every
// answer matches the `# →` example shown under its command, and the service is left as it was.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO, rememberPassword, testNoPasswordsInLogs, useWorker } from './harness.mjs';

const TIMEOUT = { timeout: 120_000 };
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The fenced block right after `<!-- walkthrough`. */
function walkthrough() {
  const m = /<!-- walkthrough[^>]*-->\n```sh\n([\s\S]*?)\n```/.exec(README);
  assert.ok(m, 'README.md has no <!-- walkthrough --> block');
  return m[1];
}

/** `{"a":…} 200` → { body, status } (body undefined when there is none). */
function answer(line) {
  const m = /^(.*?) ?(\d{3})$/.exec(line);
  assert.ok(m, `not "<json> <status>": ${line}`);
  return { body: m[1].trim() ? JSON.parse(m[1]) : undefined, status: Number(m[2]) };
}

/** Values that differ on every run: compared by type only (times and last use: null or a number). */
const VARYING = new Set(['id', 'password', 'display', 'message', 'key']);
const TIMING = /_at$|^last_used/;

/** Asserts that `actual` has the shape of `example`: same keys, same fixed values. */
function assertLike(actual, example, path = '$') {
  if (example !== null && typeof example === 'object') {
    assert.equal(typeof actual, 'object', `${path}: ${JSON.stringify(actual)}`);
    assert.equal(Array.isArray(actual), Array.isArray(example), path);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(example).sort(), `${path}: keys of ${JSON.stringify(actual)}`);
    for (const k of Object.keys(example)) assertLike(actual[k], example[k], `${path}.${k}`);
    return;
  }
  const key = path.split('.').pop();
  if (TIMING.test(key)) return;
  if (VARYING.has(key)) assert.equal(typeof actual, typeof example, `${path}: ${actual}`);
  else assert.deepEqual(actual, example, path);
}

describe('the README walk-through', TIMEOUT, () => {
  const ctx = useWorker();

  test('is one bash block that needs only T (no placeholders), with an example answer under every call', () => {
    const block = walkthrough();
    assert.doesNotMatch(block, /<[A-Z_]+>|ap_0123456789abcdef/, 'a placeholder to replace by hand');
    const calls = block.split('\n').filter((l) => /^([A-Z]+=\$\()?(AS=\S+ )?api /.test(l));
    const examples = block.split('\n').filter((l) => l.startsWith('# → '));
    assert.equal(examples.length, calls.length, 'an api call without its example answer');
  });

  test('runs verbatim in bash twice, every answer like its example, and leaves the service as it was', async () => {
    const block = walkthrough();
    const examples = block.split('\n').filter((l) => l.startsWith('# → ')).map((l) => answer(l.slice(4)));
    const settingsBefore = await ctx.api.getSettings();
    const keysBefore = await ctx.api.request('GET', '/v1/api-keys');
    for (const run of [1, 2]) {
      const result = spawnSync('bash', ['-c', block], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, T: ctx.worker.token, B: ctx.worker.url },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(result.status, 0, `run ${run}: bash exited ${result.status}\n${result.stderr}`);
      assert.equal(result.stderr, '', `run ${run}: stderr`);
      const lines = result.stdout.split('\n').filter((l) => l.length > 0);
      for (const l of lines) {
        for (const p of l.match(/"(password|display)":"[^"]+"/g) ?? []) rememberPassword(p.split('"')[3]);
      }
      assert.equal(lines.length, examples.length, `run ${run}: ${lines.length} answers for ${examples.length} examples:\n${result.stdout}`);
      lines.forEach((line, i) => {
        const got = answer(line);
        assert.equal(got.status, examples[i].status, `run ${run}, answer ${i + 1}: ${line}`);
        assertLike(got.body, examples[i].body, `run ${run}, answer ${i + 1}`);
      });
    }
    assert.deepEqual((await ctx.api.getSettings()).body, settingsBefore.body, 'the tenant settings changed');
    assert.deepEqual((await ctx.api.request('GET', '/v1/api-keys')).body, keysBefore.body, 'API keys left behind');
    const list = await ctx.api.list('alice@example.com');
    assert.equal(list.body.count, 0, `app passwords left behind: ${list.text}`);
    const created = await ctx.api.create('alice@example.com', 'Probe');
    assert.equal(created.body?.error?.code, 'mfa_required', 'MFA was left on');
  });
});

testNoPasswordsInLogs();
