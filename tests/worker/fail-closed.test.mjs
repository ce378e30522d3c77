// Corrupt stored state fails closed (issue 12): a tenant settings record or a user record that
// cannot be read is a 503 `storage_unavailable`, never the defaults. The defaults allow app
// passwords, so a corrupt tenant record must not switch creation back on.
//
// The state is corrupted the way a bad write or a bug would leave it: the Worker is stopped, the
// value in the Durable Object's SQLite storage is replaced, and the Worker is started again.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { serialize } from 'node:v8';
import { after, describe, test } from 'node:test';
import { assertError, client, freshPersistDir, startWorker, testNoPasswordsInLogs } from './harness.mjs';

/** Replaces the stored value of `key` in every SQLite file of Durable Object class `className`. */
function corrupt(persistDir, className, key, value) {
  const root = join(persistDir, 'v3', 'do');
  const dirs = readdirSync(root).filter((d) => d.endsWith(`-${className}`));
  assert.equal(dirs.length, 1, `one storage directory for ${className} in ${readdirSync(root)}`);
  let changed = 0;
  // One file per object (`<id>.sqlite`, its storage in table `_cf_KV`), and `metadata.sqlite`.
  for (const file of readdirSync(join(root, dirs[0])).filter((f) => f.endsWith('.sqlite'))) {
    const db = new DatabaseSync(join(root, dirs[0], file));
    try {
      const hasKv = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_cf_KV'").get();
      if (!hasKv) continue;
      changed += Number(db.prepare('UPDATE _cf_KV SET value = ? WHERE key = ?').run(serialize(value), key).changes);
    } finally {
      db.close();
    }
  }
  assert.ok(changed > 0, `no stored ${key} in ${className}`);
}

describe('corrupt stored state fails closed', { timeout: 240_000 }, () => {
  const persistDir = freshPersistDir();
  let worker;
  let vars;

  after(async () => {
    await worker?.stop();
  });

  async function restartWith(className, key, value) {
    await worker.stop();
    corrupt(persistDir, className, key, value);
    worker = await startWorker({ persistDir, vars });
    return client(worker);
  }

  test('setup: creation switched off, a user with MFA and one app password', async () => {
    worker = await startWorker({ persistDir });
    vars = worker.vars;
    const api = client(worker);
    const mfa = await api.mfa('fc-user', true, 'Laptop');
    assert.equal(mfa.status, 200, mfa.text);
    const off = await api.putSettings({ app_passwords_allowed: false, limit: 5 });
    assert.equal(off.status, 200, off.text);
    assertError(await api.create('fc-user', 'Phone'), 403, 'app_passwords_disabled');
  });

  for (const [what, stored] of [
    ['a tenant record that is not JSON', '{"app_passwords_allowed":tru'],
    ['a tenant record of another shape', '{"allowed":false}'],
    ['a tenant record out of range', '{"app_passwords_allowed":false,"limit":0}'],
    ['a tenant record that is not text', 42],
  ]) {
    test(`${what}: settings and creation answer 503 storage_unavailable, creation is not switched on`, async () => {
      const api = await restartWith('TenantObject', 'settings', stored);
      assertError(await api.getSettings(), 503, 'storage_unavailable');
      assertError(await api.create('fc-user', 'Phone'), 503, 'storage_unavailable');
      assertError(await api.list('fc-user'), 503, 'storage_unavailable');
      const other = await api.mfa('fc-newcomer', true);
      assertError(other, 503, 'storage_unavailable');
      assert.doesNotMatch(worker.logs(), /panicked|RuntimeError/);
    });
  }

  test('a partial settings update needs the stored record (503); a full one replaces it', async () => {
    const api = client(worker);
    assertError(await api.putSettings({ limit: 7 }), 503, 'storage_unavailable');
    const full = {
      app_passwords_allowed: true,
      limit: 7,
      max_lifetime_days: null,
      expire_unused_after_days: null,
      on_password_change: 'keep',
      strict_revocation: false,
    };
    assertError(await api.putSettings({ app_passwords_allowed: true, limit: 7 }), 503, 'storage_unavailable');
    const put = await api.putSettings(full);
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body, full);
    assert.equal((await api.getSettings()).body.limit, 7);
    assert.equal((await api.create('fc-user', 'Phone')).status, 201);
  });

  test('a user record that is not a record answers 503 storage_unavailable on every route', async () => {
    for (const stored of ['not json', '{"user":"","app_passwords":[]}', '{"user":"fc-user","app_passwords":{}}']) {
      const again = await restartWith('UserObject', 'record', stored);
      assertError(await again.list('fc-user'), 503, 'storage_unavailable');
      assertError(await again.create('fc-user', 'Phone'), 503, 'storage_unavailable');
      assertError(await again.mfa('fc-user', false), 503, 'storage_unavailable');
    }
  });

  testNoPasswordsInLogs();
});
