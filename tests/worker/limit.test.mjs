// The per-user limit: 40 by default (the first app password counts), a tenant setting otherwise.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertError,
  assertIssued,
  assertVerified,
  mapLimit,
  testNoPasswordsInLogs,
  useWorker,
} from './harness.mjs';

function assertLimitReached(res, limit) {
  assertError(res, 409, 'limit_reached');
  assert.equal(res.body.error.limit, limit, res.text);
}

describe('the default limit of 40', { timeout: 240_000 }, () => {
  const ctx = useWorker();
  const user = 'heavy-user';
  const issued = [];

  test('the first app password from MFA registration and 39 creates make 40', async () => {
    const mfa = await ctx.api.mfa(user, true, 'Device 1');
    assert.equal(mfa.status, 200, mfa.text);
    assertIssued(mfa.body.initial_app_password, 'Device 1');
    issued.push(mfa.body.initial_app_password);
    for (let i = 2; i <= 40; i++) {
      const res = await ctx.api.create(user, `Device ${i}`);
      assert.equal(res.status, 201, `create #${i}: ${res.status} ${res.text}`);
      assertIssued(res.body, `Device ${i}`);
      issued.push(res.body);
    }
    const list = await ctx.api.list(user);
    assert.equal(list.body.count, 40);
    assert.equal(list.body.limit, 40);
    assert.equal(list.body.app_passwords.length, 40);
    assert.equal(new Set(issued.map((p) => p.id)).size, 40, 'ids are distinct');
    assert.equal(new Set(issued.map((p) => p.password)).size, 40, 'passwords are distinct');
  });

  test('the 41st create is refused with 409 limit_reached carrying the limit 40', async () => {
    const res = await ctx.api.create(user, 'Device 41');
    assertLimitReached(res, 40);
    assert.deepEqual(Object.keys(res.body.error).sort(), ['code', 'limit', 'message']);
    assertLimitReached(await ctx.api.create(user, 'Yet another'), 40);
    assert.equal((await ctx.api.list(user)).body.count, 40);
  });

  test('after deleting one, a create works again, and the next is refused again', async () => {
    const victim = issued[17];
    assert.equal((await ctx.api.remove(user, victim.id)).status, 204);
    assert.equal((await ctx.api.list(user)).body.count, 39);
    const res = await ctx.api.create(user, 'Replacement');
    assert.equal(res.status, 201, res.text);
    assertIssued(res.body, 'Replacement');
    assertVerified(await ctx.api.verify(user, res.body.password), res.body.id);
    assertLimitReached(await ctx.api.create(user, 'One too many'), 40);
    assert.equal((await ctx.api.list(user)).body.count, 40);
  });

  test('all 40 app passwords of a full user verify', async () => {
    const live = issued.filter((_, i) => i !== 17);
    await mapLimit(live, 4, async (p) => {
      assertVerified(await ctx.api.verify(user, p.password), p.id);
    });
  });

  test('the limit is per user: another user can still create', async () => {
    const mfa = await ctx.api.mfa('light-user', true, 'Laptop');
    assertIssued(mfa.body.initial_app_password, 'Laptop');
    const res = await ctx.api.create('light-user', 'Phone');
    assert.equal(res.status, 201, res.text);
  });
});

describe('a tenant limit of 5', { timeout: 180_000 }, () => {
  const ctx = useWorker();
  const user = 'limited-user';

  test('the 6th app password is refused with 409 limit_reached carrying the limit 5', async () => {
    const put = await ctx.api.putSettings({ app_passwords_allowed: true, limit: 5 });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.limit, 5);

    const mfa = await ctx.api.mfa(user, true, 'Device 1');
    assertIssued(mfa.body.initial_app_password, 'Device 1');
    for (let i = 2; i <= 5; i++) {
      const res = await ctx.api.create(user, `Device ${i}`);
      assert.equal(res.status, 201, `create #${i}: ${res.text}`);
    }
    assertLimitReached(await ctx.api.create(user, 'Device 6'), 5);
    const list = await ctx.api.list(user);
    assert.equal(list.body.count, 5);
    assert.equal(list.body.limit, 5);
  });

  test('raising the limit applies at once', async () => {
    const put = await ctx.api.putSettings({ app_passwords_allowed: true, limit: 6 });
    assert.equal(put.status, 200, put.text);
    const res = await ctx.api.create(user, 'Device 6');
    assert.equal(res.status, 201, res.text);
    assertLimitReached(await ctx.api.create(user, 'Device 7'), 6);
  });

  test('lowering the limit below what a user has keeps the existing ones and refuses new ones', async () => {
    const put = await ctx.api.putSettings({ app_passwords_allowed: true, limit: 2 });
    assert.equal(put.status, 200, put.text);
    const list = await ctx.api.list(user);
    assert.equal(list.body.count, 6);
    assert.equal(list.body.limit, 2);
    assertLimitReached(await ctx.api.create(user, 'Device 8'), 2);
  });

  test('with a limit of 1, registering for MFA still issues the first app password and nothing more fits', async () => {
    const put = await ctx.api.putSettings({ app_passwords_allowed: true, limit: 1 });
    assert.equal(put.status, 200, put.text);
    const mfa = await ctx.api.mfa('single', true, 'Only');
    assertIssued(mfa.body.initial_app_password, 'Only');
    assertLimitReached(await ctx.api.create('single', 'Second'), 1);
  });
});

testNoPasswordsInLogs();
