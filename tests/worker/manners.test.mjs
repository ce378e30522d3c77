// HTTP manners (issue 15): /healthz names the version, 401 answers name the scheme
// (WWW-Authenticate), the Bearer scheme is case-insensitive, /favicon.ico is answered quietly.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO, assertError, useWorker } from './harness.mjs';

const TIMEOUT = { timeout: 120_000 };
/** The crate's version, as Cargo.toml says. */
const VERSION = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(readFileSync(join(REPO, 'Cargo.toml'), 'utf8'))[1];

describe('HTTP manners', TIMEOUT, () => {
  const ctx = useWorker();

  test('GET /healthz answers {"ok":true,"version":<Cargo.toml version>}', async () => {
    const res = await ctx.api.health();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { ok: true, version: VERSION });
  });

  test('every 401 carries WWW-Authenticate: Bearer (no token, a wrong token, a refused app password, the page without a session)', async () => {
    const answers = [
      await ctx.api.request('GET', '/v1/settings', { auth: false }),
      await ctx.api.request('GET', '/v1/settings', { headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } }),
      await ctx.api.request('POST', '/v1/verify', { json: { user: 'alice', password: 'not-a-password' } }),
      await ctx.api.request('GET', '/v1/me/app-passwords', { auth: false }),
      await ctx.api.request('GET', '/', { auth: false }),
    ];
    for (const res of answers) {
      assert.equal(res.status, 401, res.text);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="app-passwords"$/, res.text);
    }
    assertError(answers[0], 401, 'unauthorized');
  });

  test('the Bearer scheme is matched case-insensitively; the token is not', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await ctx.api.request('GET', '/v1/settings', { headers: { authorization: `${scheme} ${ctx.worker.token}` } });
      assert.equal(res.status, 200, `${scheme}: ${res.status} ${res.text}`);
    }
    const upper = await ctx.api.request('GET', '/v1/settings', { headers: { authorization: `bearer ${ctx.worker.token.toUpperCase()}` } });
    assertError(upper, 401, 'unauthorized');
  });

  test('GET /favicon.ico answers 204 (no 404 JSON error for the browser to log)', async () => {
    const res = await ctx.api.request('GET', '/favicon.ico', { auth: false });
    assert.equal(res.status, 204, `${res.status} ${res.text}`);
    assert.equal(res.text, '');
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
    assert.doesNotMatch(ctx.worker.logs(), /GET \/favicon\.ico 404/);
  });
});
