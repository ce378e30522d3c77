// GET/PUT /v1/settings: the tenant switch and the limit.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertError,
  assertIssued,
  assertVerified,
  testNoPasswordsInLogs,
  useWorker,
} from './harness.mjs';

function assertSettings(res, allowed, limit) {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.app_passwords_allowed, allowed, res.text);
  assert.equal(res.body.limit, limit, res.text);
}

describe('tenant settings', { timeout: 180_000 }, () => {
  const ctx = useWorker();

  test('the default settings allow app passwords with a limit of 40', async () => {
    assertSettings(await ctx.api.getSettings(), true, 40);
  });

  test('a limit outside 1..100 is refused with 400 invalid_settings and changes nothing', async () => {
    for (const limit of [0, 101, 1000]) {
      const res = await ctx.api.putSettings({ app_passwords_allowed: false, limit });
      assertError(res, 400, 'invalid_settings');
    }
    // Not a whole number of the right size: refused as bad settings or a bad request.
    for (const limit of [-1, 1.5, 2 ** 40]) {
      const res = await ctx.api.putSettings({ app_passwords_allowed: false, limit });
      assert.equal(res.status, 400, res.text);
      assert.ok(['invalid_settings', 'invalid_request'].includes(res.body?.error?.code), res.text);
    }
    assertSettings(await ctx.api.getSettings(), true, 40);
  });

  test('the limits 1 and 100 are accepted', async () => {
    assertSettings(await ctx.api.putSettings({ app_passwords_allowed: true, limit: 1 }), true, 1);
    assertSettings(await ctx.api.getSettings(), true, 1);
    assertSettings(await ctx.api.putSettings({ app_passwords_allowed: true, limit: 100 }), true, 100);
    assertSettings(await ctx.api.getSettings(), true, 100);
    assertSettings(await ctx.api.putSettings({ app_passwords_allowed: true, limit: 40 }), true, 40);
  });

  test('with app passwords switched off, create is refused with 403 app_passwords_disabled while existing ones still verify', async () => {
    const user = 'tenant-user';
    const initial = (await ctx.api.mfa(user, true, 'Laptop')).body.initial_app_password;
    assertIssued(initial, 'Laptop');
    const phone = (await ctx.api.create(user, 'Phone')).body;
    assertIssued(phone, 'Phone');

    assertSettings(await ctx.api.putSettings({ app_passwords_allowed: false, limit: 40 }), false, 40);
    assertSettings(await ctx.api.getSettings(), false, 40);

    assertError(await ctx.api.create(user, 'Tablet'), 403, 'app_passwords_disabled');
    assertVerified(await ctx.api.verify(user, initial.password), initial.id);
    assertVerified(await ctx.api.verify(user, phone.display), phone.id);
    const list = await ctx.api.list(user);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.count, 2);

    // Deleting still works while switched off.
    assert.equal((await ctx.api.remove(user, phone.id)).status, 204);

    // Registering for MFA while switched off issues nothing.
    const mfa = await ctx.api.mfa('registers-while-off', true, 'Laptop');
    assert.equal(mfa.status, 200, mfa.text);
    assert.deepEqual(mfa.body, { mfa_enabled: true, initial_app_password: null });
    assertError(await ctx.api.create('registers-while-off', 'Laptop'), 403, 'app_passwords_disabled');
  });

  test('switching app passwords back on allows creating again', async () => {
    assertSettings(await ctx.api.putSettings({ app_passwords_allowed: true, limit: 40 }), true, 40);
    assertSettings(await ctx.api.getSettings(), true, 40);
    const created = await ctx.api.create('tenant-user', 'Tablet');
    assert.equal(created.status, 201, created.text);
    assertIssued(created.body, 'Tablet');
    assertVerified(await ctx.api.verify('tenant-user', created.body.password), created.body.id);
    const late = await ctx.api.create('registers-while-off', 'Laptop');
    assert.equal(late.status, 201, late.text);
  });

  test('the limit in force is shown in every list', async () => {
    assertSettings(await ctx.api.putSettings({ app_passwords_allowed: true, limit: 12 }), true, 12);
    assert.equal((await ctx.api.list('tenant-user')).body.limit, 12);
    assert.equal((await ctx.api.list('nobody')).body.limit, 12);
    assertSettings(await ctx.api.putSettings({ app_passwords_allowed: true, limit: 40 }), true, 40);
    assert.equal((await ctx.api.list('tenant-user')).body.limit, 40);
  });
});

testNoPasswordsInLogs();
