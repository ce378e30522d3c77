// Server-secret rotation (README § Rotating PASSWORD_SECRET), with `wrangler dev` restarted on the
// same state between the steps as a deployment would be:
//   1. PASSWORD_SECRET = old: app passwords are created and verify.
//   2. PASSWORD_SECRET = new, PASSWORD_SECRET_PREVIOUS = old: every one still verifies, and each
//      login re-keys its app password under the new secret; new ones are made under the new secret.
//   3. PASSWORD_SECRET = new alone: the re-keyed ones and the new ones verify; the one nobody used
//      during step 2 does not (which is how the previous secret is shown to matter).

import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import {
  assertRefused,
  assertVerified,
  client,
  freshPersistDir,
  startWorker,
  testNoPasswordsInLogs,
} from './harness.mjs';
import { kvKeys } from './kv.mjs';

/** README: the first 8 hex digits of HMAC-SHA-256(secret, "app-passwords secret id"). */
const secretId = (secret) => createHmac('sha256', secret).update('app-passwords secret id').digest('hex').slice(0, 8);

/** How many KV keys name each secret id in their metadata (the runbook's count). */
async function keysBySecret(persistDir) {
  const counts = {};
  for (const key of await kvKeys(persistDir)) {
    const id = key.metadata?.secret_id ?? 'none';
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

describe('rotating PASSWORD_SECRET', { timeout: 300_000 }, () => {
  const persistDir = freshPersistDir();
  const API_TOKEN = randomBytes(24).toString('hex');
  const SESSION_SECRET = randomBytes(32).toString('hex');
  const OLD = randomBytes(32).toString('hex');
  const NEW = randomBytes(32).toString('hex');
  const start = (vars) => startWorker({ persistDir, vars: { API_TOKEN, SESSION_SECRET, ...vars } });
  let worker;
  const used = []; // verified during the rotation
  let unused; // not verified during the rotation
  let created; // created during the rotation

  after(async () => {
    await worker?.stop();
  });

  test('1. under the old secret: app passwords are created and verify', async () => {
    worker = await start({ PASSWORD_SECRET: OLD });
    const api = client(worker);
    used.push({ user: 'rot-a', ...(await api.mfa('rot-a', true, 'Laptop')).body.initial_app_password });
    used.push({ user: 'rot-a', ...(await api.create('rot-a', 'Phone', ['imap'])).body });
    used.push({ user: 'rot/b', ...(await api.mfa('rot/b', true, 'Desktop')).body.initial_app_password });
    unused = { user: 'rot-a', ...(await api.create('rot-a', 'Old tablet')).body };
    for (const p of [...used, unused]) assertVerified(await api.verify(p.user, p.password), p.id);
    await worker.stop();
    assert.deepEqual(await keysBySecret(persistDir), { [secretId(OLD)]: 4 });
  });

  test('2. new secret with the old one as previous: all verify, and are re-keyed', async () => {
    worker = await start({ PASSWORD_SECRET: NEW, PASSWORD_SECRET_PREVIOUS: OLD });
    const api = client(worker);
    for (const p of used) assertVerified(await api.verify(p.user, p.password, 'imap'), p.id, p.name);
    // Twice: the second login finds it under the new secret.
    for (const p of used) assertVerified(await api.verify(p.user, p.password), p.id);
    assertRefused(await api.verify('rot-a', used[1].password, 'smtp'), 'scope_denied');
    created = { user: 'rot-a', ...(await api.create('rot-a', 'New phone')).body };
    assertVerified(await api.verify('rot-a', created.password), created.id);
    // Nothing else changed: same ids, names and count.
    const list = (await api.list('rot-a')).body;
    assert.deepEqual(list.app_passwords.map((e) => e.name), ['Laptop', 'Phone', 'Old tablet', 'New phone']);
    await worker.stop();
    // The runbook's check: one key (the unused one) still under the old secret, none left behind.
    assert.deepEqual(await keysBySecret(persistDir), { [secretId(OLD)]: 1, [secretId(NEW)]: 4 });
  });

  test('3. the new secret alone: re-keyed and new ones verify, the unused one does not', async () => {
    worker = await start({ PASSWORD_SECRET: NEW });
    const api = client(worker);
    for (const p of [...used, created]) assertVerified(await api.verify(p.user, p.password), p.id);
    assertRefused(await api.verify(unused.user, unused.password), 'unknown_password');
    const list = (await api.list('rot-a')).body;
    assert.equal(list.count, 4, 'the unused one is still listed (and can be deleted)');
    await worker.stop();
  });

  test('a PASSWORD_SECRET_PREVIOUS shorter than 16 bytes is a configuration error', async () => {
    worker = await start({ PASSWORD_SECRET: NEW, PASSWORD_SECRET_PREVIOUS: 'short' });
    const res = await client(worker).verify('rot-a', created.password);
    assert.equal(res.status, 500, res.text);
    assert.equal(res.body.error.code, 'server_misconfigured');
    await worker.stop();
  });

  testNoPasswordsInLogs();
});
