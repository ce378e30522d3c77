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
import { deserialize, serialize } from 'node:v8';
import { after, describe, test } from 'node:test';
import { assertError, client, freshPersistDir, startWorker, testNoPasswordsInLogs } from './harness.mjs';

/** Runs `fn(db)` on every SQLite file of Durable Object class `className` that has storage. */
function eachStorage(persistDir, className, fn) {
  const root = join(persistDir, 'v3', 'do');
  const dirs = readdirSync(root).filter((d) => d.endsWith(`-${className}`));
  assert.equal(dirs.length, 1, `one storage directory for ${className} in ${readdirSync(root)}`);
  // One file per object (`<id>.sqlite`, its storage in table `_cf_KV`), and `metadata.sqlite`.
  for (const file of readdirSync(join(root, dirs[0])).filter((f) => f.endsWith('.sqlite'))) {
    const db = new DatabaseSync(join(root, dirs[0], file));
    try {
      const hasKv = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_cf_KV'").get();
      if (hasKv) fn(db);
    } finally {
      db.close();
    }
  }
}

/** Replaces the stored value of `key` in every object of class `className`. */
function corrupt(persistDir, className, key, value) {
  let changed = 0;
  eachStorage(persistDir, className, (db) => {
    changed += Number(db.prepare('UPDATE _cf_KV SET value = ? WHERE key = ?').run(serialize(value), key).changes);
  });
  assert.ok(changed > 0, `no stored ${key} in ${className}`);
}

/** The stored values of `key` in the objects of class `className`. */
function storedValues(persistDir, className, key) {
  const values = [];
  eachStorage(persistDir, className, (db) => {
    const row = db.prepare('SELECT value FROM _cf_KV WHERE key = ?').get(key);
    if (row) values.push(deserialize(row.value));
  });
  return values;
}

describe('corrupt stored state fails closed', { timeout: 240_000 }, () => {
  const persistDir = freshPersistDir();
  let worker;
  let vars;
  let laptop;

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
    laptop = mfa.body.initial_app_password;
    const off = await api.putSettings({ app_passwords_allowed: false, limit: 5 });
    assert.equal(off.status, 200, off.text);
    assertError(await api.create('fc-user', 'Phone'), 403, 'app_passwords_disabled');
  });

  test('records stored as JSON text (before records were stored as values) are read, and stored as values on the next change', async () => {
    const before = client(worker);
    const settings = (await before.getSettings()).body;
    const events = (await before.events('fc-user')).body.events;
    assert.ok(events.length > 0);
    await worker.stop();
    const [value] = storedValues(persistDir, 'UserObject', 'record');
    assert.equal(typeof value, 'object', 'records are stored as values');
    assert.equal(value.app_passwords[0].id, laptop.id);
    corrupt(persistDir, 'UserObject', 'record', JSON.stringify(value));
    for (const [className, key] of [['UserObject', 'events'], ['TenantObject', 'settings']]) {
      const [stored] = storedValues(persistDir, className, key);
      assert.equal(typeof stored, 'object', `${key} stored as a value`);
      corrupt(persistDir, className, key, JSON.stringify(stored));
    }
    assert.equal(typeof storedValues(persistDir, 'UserObject', 'record')[0], 'string', 'the old form is in place');
    worker = await startWorker({ persistDir, vars });
    const again = client(worker);
    assert.deepEqual((await again.getSettings()).body, settings);
    assert.deepEqual((await again.events('fc-user')).body.events, events);
    const list = await again.list('fc-user');
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.app_passwords.map((e) => [e.id, e.name, e.last_used_at]), [[laptop.id, 'Laptop', null]]);
    // A login records the first use: a change, saved in the current form.
    assert.equal((await again.verify('fc-user', laptop.password)).status, 200);
    // Its event (`login.succeeded`) is kept after the record is saved.
    for (let i = 0; (await again.events('fc-user')).body.events.length === events.length; i++) {
      assert.ok(i < 50, 'the use was not recorded');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.notEqual((await again.list('fc-user')).body.app_passwords[0].last_used_at, null);
    await worker.stop();
    const [migrated] = storedValues(persistDir, 'UserObject', 'record');
    assert.equal(typeof migrated, 'object', 'rewritten as a value');
    assert.ok(Array.isArray(storedValues(persistDir, 'UserObject', 'events')[0]), 'events rewritten as a value');
    assert.equal(migrated.app_passwords[0].phc, value.app_passwords[0].phc);
    worker = await startWorker({ persistDir, vars });
  });

  test('maps stored as ES Maps (as serde-wasm-bindgen wrote them) are read, and stored as objects on the next change', async () => {
    await worker.stop();
    worker = await startWorker({ persistDir, vars: { ...vars, DEV_SIGN_IN: 'true' } });
    const signIn = await fetch(`${worker.url}/dev/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: worker.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=fc-map',
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(cookie, /=/, `no session cookie: ${signIn.status}`);
    const page = () => fetch(`${worker.url}/`, { headers: { cookie } });
    assert.equal((await page()).status, 200, 'signed in');
    await worker.stop();
    const [sessions] = storedValues(persistDir, 'UserObject', 'sessions');
    assert.equal(Object.keys(sessions).length, 1);
    corrupt(persistDir, 'UserObject', 'sessions', new Map(Object.entries(sessions)));
    assert.ok(storedValues(persistDir, 'UserObject', 'sessions')[0] instanceof Map, 'the old form is in place');
    worker = await startWorker({ persistDir, vars: { ...vars, DEV_SIGN_IN: 'true' } });
    assert.equal((await page()).status, 200, 'the session stored in a Map is still valid');
    const out = await fetch(`${worker.url}/sign-out`, { method: 'POST', redirect: 'manual', headers: { origin: worker.url, cookie } });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), `${worker.url}/`);
    assert.equal((await page()).status, 401, 'signed out');
    await worker.stop();
    const [after] = storedValues(persistDir, 'UserObject', 'sessions');
    assert.ok(!(after instanceof Map) && typeof after === 'object', 'rewritten as an object');
    worker = await startWorker({ persistDir, vars });
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
