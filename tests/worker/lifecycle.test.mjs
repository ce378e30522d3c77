// Lifecycle over HTTP: expiry at creation and the tenant's maximum, a stored past expiry,
// expire-if-unused with KV's stale last use confirmed by the user's object, the main-password
// change policy, and strict revocation (a deleted password is refused at once although KV still
// holds it). KV is read and written behind the Worker's back with wrangler's own local KV commands.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertError,
  assertIssued,
  assertRefused,
  assertVerified,
  sleep,
  testNoPasswordsInLogs,
  useWorker,
} from './harness.mjs';
import { kvCopy, kvPut } from './kv.mjs';

const DAY = 86_400;

const putKv = (worker, key, value) => kvPut(worker.persistDir, key, value);
const now = () => Math.floor(Date.now() / 1000);

describe('lifecycle', { timeout: 600_000 }, () => {
  // The login cache off: these tests change KV behind the Worker's back and read the result at once.
  const ctx = useWorker({ vars: { LOGIN_CACHE_TTL_SECS: '0' } });

  test('the settings have lifecycle fields, checked, and null clears a day count', async () => {
    const api = ctx.api;
    const res = await api.getSettings();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      app_passwords_allowed: true,
      limit: 40,
      max_lifetime_days: null,
      expire_unused_after_days: null,
      on_password_change: 'keep',
      strict_revocation: false,
    });
    for (const bad of [{ max_lifetime_days: 0 }, { max_lifetime_days: 3651 }, { expire_unused_after_days: 0 }]) {
      assertError(await api.putSettings(bad), 400, 'invalid_settings');
    }
    assertError(await api.putSettings({ on_password_change: 'delete' }), 400, 'invalid_request');
    assertError(await api.putSettings({ strict_revocation: 'yes' }), 400, 'invalid_request');
    const set = await api.putSettings({ max_lifetime_days: 90, expire_unused_after_days: 30 });
    assert.equal(set.body.max_lifetime_days, 90, set.text);
    assert.equal(set.body.expire_unused_after_days, 30, set.text);
    const kept = await api.putSettings({ limit: 39 });
    assert.equal(kept.body.max_lifetime_days, 90, 'an omitted field keeps its value');
    const cleared = await api.putSettings({ max_lifetime_days: null, expire_unused_after_days: null, limit: 40 });
    assert.equal(cleared.status, 200, cleared.text);
    assert.deepEqual(cleared.body, res.body);
  });

  test('expires_in_days sets expires_at; outside 1..3650 is 400 invalid_expiry', async () => {
    const api = ctx.api;
    await api.mfa('exp-user', true, 'Laptop');
    const week = await api.request('POST', '/v1/users/exp-user/app-passwords', {
      json: { name: 'Week', expires_in_days: 7 },
    });
    assert.equal(week.status, 201, week.text);
    assertIssued(week.body, 'Week');
    assert.equal(week.body.expires_at, week.body.created_at + 7 * DAY);
    for (const days of [0, 3651]) {
      const res = await api.request('POST', '/v1/users/exp-user/app-passwords', {
        json: { name: `D${days}`, expires_in_days: days },
      });
      assertError(res, 400, 'invalid_expiry');
    }
    assertError(
      await api.request('POST', '/v1/users/exp-user/app-passwords', { json: { name: 'S', expires_in_days: '7' } }),
      400,
      'invalid_request',
    );
    const list = (await api.list('exp-user')).body.app_passwords;
    const listed = list.find((e) => e.id === week.body.id);
    assert.equal(listed.expires_at, week.body.expires_at);
    assert.equal(listed.expired, false);
    assert.equal(list.find((e) => e.name === 'Laptop').expires_at, null, 'no expiry without a tenant maximum');
    assertVerified(await api.verify('exp-user', week.body.password), week.body.id);
  });

  test("the tenant's max_lifetime_days bounds expires_in_days and is the default", async () => {
    const api = ctx.api;
    assert.equal((await api.putSettings({ max_lifetime_days: 30 })).status, 200);
    try {
      const first = (await api.mfa('max-user', true, 'Laptop')).body.initial_app_password;
      const def = await api.create('max-user', 'Default');
      assert.equal(def.status, 201, def.text);
      assert.equal(def.body.expires_at, def.body.created_at + 30 * DAY);
      const listed = (await api.list('max-user')).body.app_passwords.find((e) => e.id === first.id);
      assert.equal(listed.expires_at, listed.created_at + 30 * DAY, 'the first app password too');
      const over = await api.request('POST', '/v1/users/max-user/app-passwords', {
        json: { name: 'Long', expires_in_days: 31 },
      });
      assertError(over, 400, 'invalid_expiry');
      assert.match(over.body.error.message, /30/);
      const shorter = await api.request('POST', '/v1/users/max-user/app-passwords', {
        json: { name: 'Short', expires_in_days: 2 },
      });
      assert.equal(shorter.body.expires_at, shorter.body.created_at + 2 * DAY, shorter.text);
    } finally {
      await api.putSettings({ max_lifetime_days: null });
    }
  });

  test('a stored past expiry is refused with reason expired, without asking the user object', async () => {
    const api = ctx.api;
    await api.mfa('past-user', true, 'Laptop');
    const p = (await api.request('POST', '/v1/users/past-user/app-passwords', {
      json: { name: 'Soon', expires_in_days: 1 },
    })).body;
    assertVerified(await api.verify('past-user', p.password), p.id);
    const copy = await kvCopy(ctx.worker, 'past-user', p.password);
    assert.ok(copy, 'the KV copy exists');
    assert.equal(copy.value.expires_at, p.expires_at);
    await putKv(ctx.worker, copy.key, { ...copy.value, expires_at: now() - 10 });
    assertRefused(await api.verify('past-user', p.password), 'expired');
  });

  test('unused for expire_unused_after_days: a stale KV last use is confirmed by the user object and refreshed', async () => {
    const api = ctx.api;
    await api.mfa('idle-user', true, 'Laptop');
    const p = (await api.create('idle-user', 'Phone')).body;
    assert.equal((await api.putSettings({ expire_unused_after_days: 1 })).status, 200);
    try {
      const copy = await kvCopy(ctx.worker, 'idle-user', p.password);
      assert.equal(copy.value.created_at, p.created_at, 'KV keeps creation time');
      // KV's copy claims two idle days; the user's object knows it was created a moment ago.
      await putKv(ctx.worker, copy.key, { ...copy.value, created_at: now() - 2 * DAY, last_used_at: null });
      assertVerified(await api.verify('idle-user', p.password), p.id);
      // The use is written back to KV (after the response), so the next login needs no confirming.
      let refreshed;
      for (let i = 0; i < 10; i++) {
        refreshed = (await kvCopy(ctx.worker, 'idle-user', p.password)).value;
        if (refreshed.last_used_at !== null) break;
        await sleep(500);
      }
      assert.ok(Math.abs(refreshed.last_used_at - now()) < 60, JSON.stringify(refreshed));
    } finally {
      await api.putSettings({ expire_unused_after_days: null });
    }
  });

  test('password-changed keeps app passwords by default and revokes all under revoke_all', async () => {
    const api = ctx.api;
    const path = (u) => `/v1/users/${encodeURIComponent(u)}/password-changed`;
    const first = (await api.mfa('pw-user', true, 'Laptop')).body.initial_app_password;
    const second = (await api.create('pw-user', 'Phone')).body;
    const bystander = (await api.mfa('pw-other', true, 'Laptop')).body.initial_app_password;

    const keep = await api.request('POST', path('pw-user'));
    assert.equal(keep.status, 200, keep.text);
    assert.deepEqual(keep.body, { revoked: 0 });
    assertVerified(await api.verify('pw-user', first.password), first.id);

    assert.equal((await api.putSettings({ on_password_change: 'revoke_all' })).status, 200);
    try {
      const revoke = await api.request('POST', path('pw-user'));
      assert.deepEqual(revoke.body, { revoked: 2 }, revoke.text);
      assert.equal((await api.list('pw-user')).body.count, 0);
      assertRefused(await api.verify('pw-user', first.password), 'unknown_password');
      assertRefused(await api.verify('pw-user', second.password), 'unknown_password');
      assertVerified(await api.verify('pw-other', bystander.password), bystander.id);
      assert.deepEqual((await api.request('POST', path('nobody'))).body, { revoked: 0 });
    } finally {
      await api.putSettings({ on_password_change: 'keep' });
    }
    assertError(await api.request('GET', path('pw-user')), 405, 'method_not_allowed');
    assertError(await api.request('POST', path('pw-user'), { auth: false }), 401, 'unauthorized');
    // An audit line either way, naming the policy and the count.
    const lines = ctx.worker.logs().split('\n').filter((l) => l.includes('"audit":"user.password_changed"'));
    assert.ok(lines.some((l) => l.includes('"reason":"keep"') && l.includes('"count":0')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('"reason":"revoke_all"') && l.includes('"count":2')), lines.join('\n'));
    // And in the user's recent activity.
    const events = (await api.request('GET', '/v1/users/pw-user/events')).body.events;
    assert.deepEqual(
      events.filter((e) => e.event === 'user.password_changed').map((e) => [e.reason, e.count]),
      [['revoke_all', 2], ['keep', 0]],
    );
  });

  test('strict revocation: a deleted password is refused at once although KV still holds it', async () => {
    const api = ctx.api;
    await api.mfa('strict-user', true, 'Laptop');
    const p = (await api.create('strict-user', 'Phone')).body;
    const copy = await kvCopy(ctx.worker, 'strict-user', p.password);
    assert.equal((await api.putSettings({ strict_revocation: true })).status, 200);
    try {
      assertVerified(await api.verify('strict-user', p.password), p.id);
      assert.equal((await api.remove('strict-user', p.id)).status, 204);
      // As if KV at another location still had the old entry.
      await putKv(ctx.worker, copy.key, copy.value);
      assert.ok(await kvCopy(ctx.worker, 'strict-user', p.password), 'KV holds the deleted password again');
      assertRefused(await api.verify('strict-user', p.password), 'unknown_password');
    } finally {
      await api.putSettings({ strict_revocation: false });
    }
    // The control: without strict revocation the stale KV entry is what verification reads.
    assertVerified(await api.verify('strict-user', p.password), p.id);
  });

  testNoPasswordsInLogs();
});
