// The audit trail: each event printed once as a JSON line with its fields, kept by the user's object
// (GET …/events, newest first), and no password, hash, lookup key, API key or secret in any log line.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allLogs,
  assertRefused,
  assertVerified,
  makeValidPassword,
  sleep,
  testNoPasswordsInLogs,
  useWorker,
  withinOneRateWindow,
} from './harness.mjs';

/** Every audit line printed so far by the worker. */
function auditLines(worker) {
  const lines = [];
  for (const line of worker.logs().split('\n')) {
    const start = line.indexOf('{"audit":');
    if (start < 0) continue;
    lines.push(JSON.parse(line.slice(start)));
  }
  return lines;
}

/** Waits until `pred(lines)` holds (lines from work after the response arrive a little later). */
async function waitForLines(worker, pred, what) {
  for (let i = 0; i < 40; i++) {
    const lines = auditLines(worker);
    if (pred(lines)) return lines;
    await sleep(250);
  }
  assert.fail(`timed out waiting for ${what}; audit lines:\n${auditLines(worker).map((l) => JSON.stringify(l)).join('\n')}`);
}

const of = (lines, event, user) => lines.filter((l) => l.audit === event && (user === undefined || l.user === user));

describe('audit trail', { timeout: 240_000 }, () => {
  const ctx = useWorker();
  const user = 'audrey@example.com';
  let first;
  let second;
  let key;

  test('a users key turns MFA on and creates an app password: mfa.enabled and app_password.created, actor key:<id>', async () => {
    key = (await ctx.api.createApiKey('idp', ['users'])).body;
    const idp = ctx.api.withKey(key.key);
    const mfa = await idp.mfa(user, true, 'Laptop');
    first = mfa.body.initial_app_password;
    second = (await idp.create(user, 'Phone', ['imap'])).body;
    const lines = auditLines(ctx.worker);
    const created = of(lines, 'api_key.created');
    assert.equal(created.length, 1);
    assert.equal(created[0].actor, 'root');
    assert.equal(created[0].user, null);
    assert.deepEqual(created[0].api_key, { id: key.id, name: 'idp', scopes: ['users'] });
    const enabled = of(lines, 'mfa.enabled', user);
    assert.equal(enabled.length, 1);
    assert.equal(enabled[0].actor, `key:${key.id}`);
    assert.equal(typeof enabled[0].at, 'number');
    const apCreated = of(lines, 'app_password.created', user);
    assert.deepEqual(apCreated.map((l) => l.app_password), [
      { id: first.id, name: 'Laptop' },
      { id: second.id, name: 'Phone' },
    ]);
    // Turning MFA on again changes nothing and says nothing.
    await idp.mfa(user, true);
    assert.equal(of(auditLines(ctx.worker), 'mfa.enabled', user).length, 1);
  });

  test('a good login: login.succeeded once a minute per app password, with protocol and address; last_used_ip in the list', async () => {
    for (let i = 0; i < 3; i++) {
      assertVerified(await ctx.api.verify(user, first.password, 'imap', '192.0.2.7'), first.id);
    }
    const lines = await waitForLines(ctx.worker, (l) => of(l, 'login.succeeded', user).length >= 1, 'login.succeeded');
    await sleep(500);
    assert.ok(lines.length > 0);
    const succeeded = of(auditLines(ctx.worker), 'login.succeeded', user);
    assert.equal(succeeded.length, 1, JSON.stringify(succeeded));
    assert.deepEqual(succeeded[0].app_password, { id: first.id, name: 'Laptop' });
    assert.equal(succeeded[0].protocol, 'imap');
    assert.equal(succeeded[0].remote_ip, '192.0.2.7');
    assert.equal(succeeded[0].actor, 'root');
    const list = await ctx.api.list(user);
    const entry = list.body.app_passwords.find((e) => e.id === first.id);
    assert.equal(entry.last_used_ip, '192.0.2.7');
    assert.equal(entry.last_used_protocol, 'imap');
  });

  test('failed logins: one login.failed line per user and address a minute, with reason and count', async () => {
    assertRefused(await ctx.api.verify(user, 'not-a-password', 'smtp', '198.51.100.20'), 'malformed_password');
    assertRefused(await ctx.api.verify(user, second.password, 'smtp', '198.51.100.20'), 'scope_denied');
    assertRefused(await ctx.api.verify(user, 'not-a-password', 'smtp', '198.51.100.20'), 'malformed_password');
    assertRefused(await ctx.api.verify(user, 'not-a-password', 'smtp', '198.51.100.21'), 'malformed_password');
    const failed = of(auditLines(ctx.worker), 'login.failed', user);
    assert.equal(failed.length, 2, JSON.stringify(failed));
    const [a, b] = failed;
    assert.equal(a.remote_ip, '198.51.100.20');
    assert.equal(a.reason, 'malformed_password');
    assert.equal(a.count, 1);
    assert.equal(a.protocol, 'smtp');
    assert.equal(b.remote_ip, '198.51.100.21');
  });

  test('throttling: one login.throttled line when the pair is blocked', async () => {
    const ip = '198.51.100.30';
    await withinOneRateWindow(10);
    let status;
    for (let i = 0; i < 12; i++) {
      // Well-formed guesses: input the format refuses is never counted.
      status = (await ctx.api.verify(user, makeValidPassword(), 'pop', ip)).status;
    }
    assert.equal(status, 429);
    const throttled = of(auditLines(ctx.worker), 'login.throttled', user);
    assert.equal(throttled.length, 1, JSON.stringify(throttled));
    assert.equal(throttled[0].remote_ip, ip);
    assert.equal(throttled[0].reason, 'pair');
    assert.equal(throttled[0].protocol, 'pop');
    // The user's object keeps login events after the response: let it, before the next change.
    await sleep(500);
  });

  test('deletes and settings: app_password.deleted, app_password.deleted_all with count, settings.changed, api_key.revoked', async () => {
    assert.equal((await ctx.api.remove(user, second.id)).status, 204);
    assert.equal((await ctx.api.removeAll(user)).status, 200);
    assert.equal((await ctx.api.putSettings({ limit: 30 })).status, 200);
    assert.equal((await ctx.api.revokeApiKey(key.id)).status, 204);
    await ctx.api.mfa(user, false);
    const lines = auditLines(ctx.worker);
    assert.deepEqual(of(lines, 'app_password.deleted', user).map((l) => l.app_password), [{ id: second.id, name: 'Phone' }]);
    const all = of(lines, 'app_password.deleted_all', user);
    assert.equal(all.length, 1);
    assert.equal(all[0].count, 1);
    const settings = of(lines, 'settings.changed');
    assert.equal(settings.length, 1);
    assert.equal(settings[0].settings.limit, 30);
    const revoked = of(lines, 'api_key.revoked');
    assert.equal(revoked.length, 1);
    assert.equal(revoked[0].api_key.id, key.id);
    assert.equal(of(lines, 'mfa.disabled', user).length, 1);
  });

  test('the user\'s object keeps the events, newest first, with the documented fields', async () => {
    const res = await ctx.api.events(user);
    assert.equal(res.status, 200, res.text);
    const kinds = res.body.events.map((e) => e.event);
    assert.deepEqual(kinds, [
      'mfa.disabled',
      'app_password.deleted_all',
      'app_password.deleted',
      'login.throttled',
      'login.failed',
      'login.failed',
      'login.failed',
      'login.succeeded',
      'app_password.created',
      'app_password.created',
      'mfa.enabled',
    ]);
    const ats = res.body.events.map((e) => e.at);
    assert.deepEqual([...ats].sort((x, y) => y - x), ats, 'newest first');
    const allowed = new Set(['event', 'at', 'actor', 'app_password', 'protocol', 'remote_ip', 'reason', 'count']);
    for (const e of res.body.events) {
      for (const field of Object.keys(e)) assert.ok(allowed.has(field), `${field} in ${JSON.stringify(e)}`);
    }
    const ok = res.body.events.find((e) => e.event === 'login.succeeded');
    assert.deepEqual(ok.app_password, { id: first.id, name: 'Laptop' });
    assert.equal(ok.remote_ip, '192.0.2.7');
  });

  test('failed logins for a user id with no record are logged but not kept', async () => {
    assertRefused(await ctx.api.verify('nobody-here', 'not-a-password', undefined, '192.0.2.99'), 'malformed_password');
    await waitForLines(ctx.worker, (l) => of(l, 'login.failed', 'nobody-here').length === 1, 'login.failed for nobody-here');
    await sleep(500);
    const res = await ctx.api.events('nobody-here');
    assert.deepEqual(res.body.events, []);
  });

  test('no audit line holds a password, a hash, a lookup key, an API key or a secret', () => {
    const logs = allLogs();
    const forbidden = [
      first.password, first.display, second.password, second.display, key.key, key.key.slice(4),
      ctx.worker.vars.API_TOKEN, ctx.worker.vars.PASSWORD_SECRET, ctx.worker.vars.SESSION_SECRET,
    ];
    for (const value of forbidden) assert.ok(!logs.includes(value), `found a secret in the logs`);
    for (const line of auditLines(ctx.worker)) {
      const text = JSON.stringify(line);
      assert.ok(!/\$argon2/.test(text), `a hash in ${text}`);
      assert.ok(!/[0-9a-f]{64}/.test(text), `a lookup key or hash in ${text}`);
      assert.ok(!/apk_/.test(text), `an API key in ${text}`);
    }
  });
});

testNoPasswordsInLogs();
