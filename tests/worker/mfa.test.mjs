// PUT /v1/users/{user}/mfa: registration issues the first app password, once.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertError,
  assertIssued,
  assertRefused,
  assertVerified,
  testNoPasswordsInLogs,
  useWorker,
} from './harness.mjs';

describe('MFA registration', { timeout: 180_000 }, () => {
  const ctx = useWorker();

  test('a user without MFA cannot create an app password: 403 mfa_required', async () => {
    assertError(await ctx.api.create('no-mfa', 'Phone'), 403, 'mfa_required');
    assertError(await ctx.api.create('no-mfa', 'Phone', ['imap']), 403, 'mfa_required');
    const list = await ctx.api.list('no-mfa');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.count, 0);
    assert.deepEqual(list.body.app_passwords, []);
  });

  test('registering for MFA issues the first app password, which verifies; registering again issues nothing', async () => {
    const user = 'registrant';
    const first = await ctx.api.mfa(user, true, 'Outlook 2016');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.mfa_enabled, true);
    const initial = first.body.initial_app_password;
    assertIssued(initial, 'Outlook 2016');
    assertVerified(await ctx.api.verify(user, initial.password), initial.id, 'Outlook 2016');
    assertVerified(await ctx.api.verify(user, initial.display.toUpperCase()), initial.id);

    const second = await ctx.api.mfa(user, true, 'Outlook 2016');
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.body, { mfa_enabled: true, initial_app_password: null });
    const third = await ctx.api.mfa(user, true);
    assert.deepEqual(third.body, { mfa_enabled: true, initial_app_password: null });

    const list = await ctx.api.list(user);
    assert.equal(list.body.count, 1);
    assert.equal(list.body.app_passwords[0].id, initial.id);
    assert.equal(list.body.app_passwords[0].name, 'Outlook 2016');

    // With MFA on, creating works.
    const created = await ctx.api.create(user, 'Phone');
    assert.equal(created.status, 201, created.text);
  });

  test('registering without initial_name issues a named first app password', async () => {
    const res = await ctx.api.mfa('default-name', true);
    assert.equal(res.status, 200, res.text);
    const initial = res.body.initial_app_password;
    assertIssued(initial);
    assert.equal(typeof initial.name, 'string');
    assert.ok(initial.name.trim().length > 0);
    assertVerified(await ctx.api.verify('default-name', initial.password), initial.id);
  });

  test('registering with an invalid initial_name is refused with 400 invalid_name, and a retry works', async () => {
    const user = 'bad-initial';
    for (const name of ['', '   ', 'x'.repeat(65), 'a\u0001b']) {
      assertError(await ctx.api.mfa(user, true, name), 400, 'invalid_name');
    }
    assert.equal((await ctx.api.list(user)).body.count, 0);
    const retry = await ctx.api.mfa(user, true, '  Laptop  ');
    assert.equal(retry.status, 200, retry.text);
    assertIssued(retry.body.initial_app_password, 'Laptop');
  });

  test('turning MFA off stops the app passwords verifying but keeps them; turning it on again restores them and issues nothing', async () => {
    const user = 'toggler';
    const initial = (await ctx.api.mfa(user, true, 'Laptop')).body.initial_app_password;
    const phone = (await ctx.api.create(user, 'Phone', ['eas'])).body;
    assertVerified(await ctx.api.verify(user, initial.password), initial.id);
    assertVerified(await ctx.api.verify(user, phone.password, 'eas'), phone.id);

    const off = await ctx.api.mfa(user, false);
    assert.equal(off.status, 200, off.text);
    assert.deepEqual(off.body, { mfa_enabled: false, initial_app_password: null });
    assertRefused(await ctx.api.verify(user, initial.password));
    assertRefused(await ctx.api.verify(user, phone.password, 'eas'));
    const kept = await ctx.api.list(user);
    assert.equal(kept.status, 200, kept.text);
    assert.deepEqual(kept.body.app_passwords.map((e) => e.id).sort(), [initial.id, phone.id].sort());
    assertError(await ctx.api.create(user, 'Tablet'), 403, 'mfa_required');

    // Off twice is fine and changes nothing.
    const offAgain = await ctx.api.mfa(user, false);
    assert.deepEqual(offAgain.body, { mfa_enabled: false, initial_app_password: null });

    const on = await ctx.api.mfa(user, true, 'Should not be issued');
    assert.equal(on.status, 200, on.text);
    assert.deepEqual(on.body, { mfa_enabled: true, initial_app_password: null });
    assertVerified(await ctx.api.verify(user, initial.password), initial.id);
    assertVerified(await ctx.api.verify(user, phone.password, 'eas'), phone.id);
    assertRefused(await ctx.api.verify(user, phone.password, 'imap'), 'scope_denied');
    const list = await ctx.api.list(user);
    assert.equal(list.body.count, 2);
    assert.ok(!list.body.app_passwords.some((e) => e.name === 'Should not be issued'));
  });

  test('deleting while MFA is off keeps the deleted password dead after MFA is turned on again', async () => {
    const user = 'toggle-delete';
    const initial = (await ctx.api.mfa(user, true, 'Laptop')).body.initial_app_password;
    const phone = (await ctx.api.create(user, 'Phone')).body;
    await ctx.api.mfa(user, false);
    assert.equal((await ctx.api.remove(user, phone.id)).status, 204);
    await ctx.api.mfa(user, true);
    assertVerified(await ctx.api.verify(user, initial.password), initial.id);
    assertRefused(await ctx.api.verify(user, phone.password), 'unknown_password');
  });

  test('turning MFA off for a user who never had it answers mfa_enabled false and issues nothing', async () => {
    const res = await ctx.api.mfa('never-had-mfa', false);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { mfa_enabled: false, initial_app_password: null });
    assertError(await ctx.api.create('never-had-mfa', 'Phone'), 403, 'mfa_required');
  });
});

testNoPasswordsInLogs();
