// Scoped API keys: every scope on every route of the table, creation, listing, revocation, and
// the key never in a list or a log. Also: remote_ip validation and GET /v1/stats.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  REPO,
  allLogs,
  assertError,
  assertRefused,
  assertVerified,
  sleep,
  testNoPasswordsInLogs,
  useWorker,
} from './harness.mjs';

/** The Worker's route table (a Rust unit test keeps it equal to src/worker/routes.rs). */
const ROUTES = JSON.parse(readFileSync(join(REPO, 'tests', 'worker', 'routes.json'), 'utf8')).routes;
const SAMPLE = { user: 'scope-user', id: 'ak_0000000000000000', file: 'app.js' };
const concrete = (path) => path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(SAMPLE[name]));
const KEY_SHAPE = /^apk_[0-9a-f]{48}$/;

describe('API keys', { timeout: 240_000 }, () => {
  const ctx = useWorker();
  const keys = {};

  test('root creates one key per scope: 201 with the key shown once', async () => {
    for (const scope of ['verify', 'users', 'admin']) {
      const res = await ctx.api.createApiKey(`${scope}.example.com`, [scope]);
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.key, KEY_SHAPE);
      assert.match(res.body.id, /^ak_[0-9a-f]{16}$/);
      assert.equal(res.body.name, `${scope}.example.com`);
      assert.deepEqual(res.body.scopes, [scope]);
      assert.ok(Math.abs(res.body.created_at - Date.now() / 1000) < 300);
      keys[scope] = res.body;
    }
  });

  test('the table has routes of every kind of access', () => {
    const kinds = new Set(ROUTES.map((r) => r.access));
    for (const kind of ['public', 'session', 'key:verify', 'key:users', 'key:admin']) {
      assert.ok(kinds.has(kind), kind);
    }
  });

  test('every key-protected route: allowed for its scope, admin and root; 403 insufficient_scope for others', async () => {
    const callers = {
      root: ctx.api,
      verify: ctx.api.withKey(keys.verify.key),
      users: ctx.api.withKey(keys.users.key),
      admin: ctx.api.withKey(keys.admin.key),
    };
    let checked = 0;
    for (const route of ROUTES.filter((r) => r.access.startsWith('key:'))) {
      const needed = route.access.slice(4);
      for (const [who, api] of Object.entries(callers)) {
        const allowed = who === 'root' || who === 'admin' || who === needed;
        // An empty JSON object: enough to get past authorization (the handler may then refuse it).
        const json = route.method === 'GET' ? undefined : {};
        const res = await api.request(route.method, concrete(route.path), { json });
        const where = `${who} → ${route.method} ${route.path}: ${res.status} ${res.text}`;
        if (allowed) {
          assert.ok(res.status !== 401 && res.status !== 403, where);
        } else {
          assertError(res, 403, 'insufficient_scope');
        }
        checked++;
      }
    }
    assert.ok(checked >= 4 * 13, `only ${checked} checks`);
  });

  test('every session route refuses API keys and the root token: they are not a session', async () => {
    for (const route of ROUTES.filter((r) => r.access === 'session')) {
      for (const key of [keys.admin.key, ctx.worker.token]) {
        // Same-origin, so the refusal is about the missing session, not CSRF.
        const res = await ctx.api.request(route.method, route.path.replace('{id}', 'ap_1'), {
          json: route.method === 'GET' ? undefined : {},
          headers: { authorization: `Bearer ${key}`, origin: ctx.worker.url },
        });
        assert.equal(res.status, 401, `${route.method} ${route.path}: ${res.status} ${res.text}`);
        assert.equal(res.body.error.code, 'session_invalid');
      }
    }
  });

  test('a verify key checks logins, and a users key manages users', async () => {
    const users = ctx.api.withKey(keys.users.key);
    const mfa = await users.mfa('kate', true, 'Phone');
    assert.equal(mfa.status, 200, mfa.text);
    const pw = mfa.body.initial_app_password;
    const verifier = ctx.api.withKey(keys.verify.key);
    assertVerified(await verifier.verify('kate', pw.password, 'imap', '192.0.2.10'), pw.id);
    assertRefused(await verifier.verify('kate', 'hunter2', 'imap', '192.0.2.10'), 'malformed_password');
  });

  test('an unknown or malformed key is refused with 401 unauthorized', async () => {
    for (const token of [
      `apk_${randomBytes(24).toString('hex')}`,
      `apk_${randomBytes(23).toString('hex')}`,
      `${keys.verify.key}0`,
      keys.verify.key.toUpperCase(),
      keys.verify.key.slice(4),
    ]) {
      const res = await ctx.api.request('POST', '/v1/verify', {
        json: { user: 'kate', password: 'hunter2' },
        headers: { authorization: `Bearer ${token}` },
      });
      assertError(res, 401, 'unauthorized');
    }
  });

  test('the list shows id, name, scopes, created_at and last_used_at, never a key or a hash', async () => {
    let listed;
    // Last use is recorded after the response: give it a moment.
    for (let i = 0; i < 20; i++) {
      const res = await ctx.api.listApiKeys();
      assert.equal(res.status, 200, res.text);
      listed = res.body.api_keys;
      if (listed.find((k) => k.id === keys.verify.id)?.last_used_at) break;
      await sleep(250);
    }
    assert.equal(listed.length, 3);
    for (const k of listed) {
      assert.deepEqual(Object.keys(k).sort(), ['created_at', 'id', 'last_used_at', 'name', 'scopes']);
    }
    const verify = listed.find((k) => k.id === keys.verify.id);
    assert.equal(typeof verify.last_used_at, 'number', JSON.stringify(verify));
    const text = JSON.stringify(listed);
    for (const k of Object.values(keys)) {
      assert.ok(!text.includes(k.key.slice(4)), 'a key is in the list');
    }
    assert.ok(!/[0-9a-f]{64}/.test(text), 'a hash is in the list');
  });

  test('names follow the app-password rules and scopes must be known', async () => {
    assertError(await ctx.api.createApiKey('', ['verify']), 400, 'invalid_name');
    assertError(await ctx.api.createApiKey('x'.repeat(65), ['verify']), 400, 'invalid_name');
    assertError(await ctx.api.createApiKey('bad\nname', ['verify']), 400, 'invalid_name');
    assertError(await ctx.api.createApiKey('mx', []), 400, 'invalid_key_scope');
    assertError(await ctx.api.createApiKey('mx', ['imap']), 400, 'invalid_key_scope');
    assertError(await ctx.api.createApiKey('mx', ['ADMIN']), 400, 'invalid_key_scope');
    const res = await ctx.api.request('POST', '/v1/api-keys', { json: { name: 'mx' } });
    assertError(res, 400, 'invalid_request');
  });

  test('an admin key can create and revoke keys; a revoked key is refused at once', async () => {
    const admin = ctx.api.withKey(keys.admin.key);
    const created = await admin.createApiKey('mx2.example.com', ['verify']);
    assert.equal(created.status, 201, created.text);
    const mx2 = ctx.api.withKey(created.body.key);
    assertRefused(await mx2.verify('kate', 'hunter2', undefined, '192.0.2.11'), 'malformed_password');
    const revoked = await admin.revokeApiKey(created.body.id);
    assert.equal(revoked.status, 204, revoked.text);
    assert.equal(revoked.text, '');
    assertError(await mx2.verify('kate', 'hunter2', undefined, '192.0.2.11'), 401, 'unauthorized');
    assertError(await admin.revokeApiKey(created.body.id), 404, 'not_found');
    const list = await ctx.api.listApiKeys();
    assert.ok(!list.body.api_keys.some((k) => k.id === created.body.id));
  });

  test('a key revoked while in use is refused on its next request', async () => {
    const created = await ctx.api.createApiKey('busy.example.com', ['users']);
    const busy = ctx.api.withKey(created.body.key);
    for (let i = 0; i < 3; i++) assert.equal((await busy.list('kate')).status, 200);
    assert.equal((await ctx.api.revokeApiKey(created.body.id)).status, 204);
    assertError(await busy.list('kate'), 401, 'unauthorized');
  });

  test('remote_ip must be an IPv4 or IPv6 address', async () => {
    for (const remote_ip of ['example.com', '1.2.3', '1.2.3.4:993', '[::1]', '', ' 1.2.3.4', 7, null]) {
      const res = await ctx.api.request('POST', '/v1/verify', { json: { user: 'kate', password: 'hunter2', remote_ip } });
      if (remote_ip === null) {
        assertRefused(res, 'malformed_password');
        continue;
      }
      assertError(res, 400, 'invalid_request');
    }
    for (const ip of ['192.0.2.44', '2001:db8::44', '::ffff:192.0.2.44']) {
      assertRefused(await ctx.api.verify('kate', 'hunter2', undefined, ip), 'malformed_password');
    }
  });

  test('GET /v1/stats answers this isolate\'s counters, to admin callers only', async () => {
    const res = await ctx.api.withKey(keys.admin.key).stats();
    assert.equal(res.status, 200, res.text);
    for (const field of ['argon2_runs', 'kv_reads', 'throttled', 'blocked']) {
      assert.equal(typeof res.body[field], 'number', `${field} in ${res.text}`);
    }
    assert.ok(res.body.argon2_runs >= 1, 'the verify above ran Argon2');
    assert.ok(res.body.kv_reads >= 1, 'the verify above read KV');
    assertError(await ctx.api.withKey(keys.users.key).stats(), 403, 'insufficient_scope');
  });

  test('a wrong method answers 405 with Allow; an unknown path 404, both in JSON', async () => {
    const res = await ctx.api.request('DELETE', '/v1/api-keys');
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'POST, GET');
    const health = await ctx.api.request('POST', '/healthz', { auth: false, body: '{}' });
    assert.equal(health.headers.get('allow'), 'GET');
    assertError(await ctx.api.request('GET', '/v1/api-keys/x/y'), 404, 'not_found_route');
  });

  test('no API key appears in any log line', () => {
    const logs = allLogs();
    for (const k of Object.values(keys)) {
      assert.ok(!logs.includes(k.key.slice(4)), `${k.name}'s key is in the logs`);
    }
  });
});

testNoPasswordsInLogs();
