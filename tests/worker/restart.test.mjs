// Everything is stored: a new Worker process on the same state sees the same passwords and settings.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  assertIssued,
  assertRefused,
  assertVerified,
  client,
  freshPersistDir,
  startWorker,
  testNoPasswordsInLogs,
} from './harness.mjs';

describe('restart on the same state', { timeout: 240_000 }, () => {
  const persistDir = freshPersistDir();
  let first;
  let second;
  const live = [];
  let deleted;
  let listBefore;

  after(async () => {
    await first?.stop();
    await second?.stop();
  });

  test('setup: passwords, a deletion, MFA states and settings before the restart', async () => {
    first = await startWorker({ persistDir });
    const api = client(first);
    const mfa = await api.mfa('restart-user', true, 'Laptop');
    assertIssued(mfa.body.initial_app_password, 'Laptop');
    live.push({ user: 'restart-user', ...mfa.body.initial_app_password });
    for (const [name, scopes] of [['Phone', ['eas']], ['Mail', ['imap', 'smtp']], ['Tablet', undefined]]) {
      const res = await api.create('restart-user', name, scopes);
      assert.equal(res.status, 201, res.text);
      live.push({ user: 'restart-user', ...res.body });
    }
    const other = await api.mfa('a/b c', true, 'Desktop');
    live.push({ user: 'a/b c', ...other.body.initial_app_password });

    deleted = (await api.create('restart-user', 'Doomed')).body;
    assert.equal((await api.remove('restart-user', deleted.id)).status, 204);

    const off = await api.mfa('mfa-off-user', true, 'Old phone');
    await api.mfa('mfa-off-user', false);
    live.push({ user: 'mfa-off-user', ...off.body.initial_app_password, off: true });

    const put = await api.putSettings({ app_passwords_allowed: true, limit: 6 });
    assert.equal(put.status, 200, put.text);

    const verified = live.find((p) => p.name === 'Tablet');
    assertVerified(await api.verify('restart-user', verified.password), verified.id);

    // Let the last-use write land before stopping.
    for (let i = 0; i < 50; i++) {
      listBefore = (await api.list('restart-user')).body;
      if (listBefore.app_passwords.find((e) => e.id === verified.id).last_used_at !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(listBefore.count, 4);
    await first.stop();
  });

  test('after a restart with the same secrets every password still verifies and the list is intact', async () => {
    second = await startWorker({ persistDir, vars: first.vars });
    assert.equal(second.token, first.token);
    const api = client(second);

    for (const p of live.filter((x) => !x.off)) {
      const protocol = p.scopes.length > 0 ? p.scopes[0] : undefined;
      assertVerified(await api.verify(p.user, p.display, protocol), p.id, p.name);
    }
    assertRefused(await api.verify('restart-user', deleted.password), 'unknown_password');
    assertRefused(await api.verify('restart-user', live.find((p) => p.name === 'Phone').password, 'imap'), 'scope_denied');
    for (const p of live.filter((x) => x.off)) assertRefused(await api.verify(p.user, p.password));

    const list = (await api.list('restart-user')).body;
    const strip = (l) =>
      l.app_passwords
        .map(({ id, name, created_at, scopes }) => ({ id, name, created_at, scopes: [...scopes].sort() }))
        .sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(strip(list), strip(listBefore));
    assert.equal(list.count, 4);
    const tablet = list.app_passwords.find((e) => e.name === 'Tablet');
    assert.equal(typeof tablet.last_used_at, 'number', 'last use survives the restart');

    const otherList = (await api.list('a/b c')).body;
    assert.equal(otherList.count, 1);
  });

  test('after a restart the tenant settings and the MFA states are kept', async () => {
    const api = client(second);
    const settings = await api.getSettings();
    assert.equal(settings.status, 200, settings.text);
    assert.equal(settings.body.limit, 6);
    assert.equal(settings.body.app_passwords_allowed, true);

    // MFA is still on for restart-user (4 of 6 used) and off for mfa-off-user.
    const res = await api.create('restart-user', 'After restart');
    assert.equal(res.status, 201, res.text);
    assertVerified(await api.verify('restart-user', res.body.password), res.body.id);
    assert.equal((await api.create('restart-user', 'Sixth')).status, 201);
    const seventh = await api.create('restart-user', 'Seventh');
    assert.equal(seventh.status, 409, seventh.text);
    assert.equal(seventh.body.error.code, 'limit_reached');
    assert.equal(seventh.body.error.limit, 6);
    const off = await api.create('mfa-off-user', 'New phone');
    assert.equal(off.status, 403, off.text);
    assert.equal(off.body.error.code, 'mfa_required');

    // Re-enabling MFA after the restart brings the old password back and issues nothing.
    const on = await api.mfa('mfa-off-user', true);
    assert.deepEqual(on.body, { mfa_enabled: true, initial_app_password: null });
    const old = live.find((p) => p.off);
    assertVerified(await api.verify(old.user, old.password), old.id);
  });
});

testNoPasswordsInLogs();
