// Repeated logins: after Argon2id accepts a login, the isolate remembers the credential under its
// lookup key for LOGIN_CACHE_TTL_SECS (default 60, 0 = off). A hit costs no KV read and no Argon2;
// owner, expiry and scope are still checked; a delete, delete-all or MFA-off seen by the isolate
// drops the user's entries. `wrangler dev` runs one isolate, so GET /v1/stats sees every request.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRefused, assertVerified, sleep, testNoPasswordsInLogs, useWorker } from './harness.mjs';

/** Runs `fn` and returns how much argon2_runs, kv_reads and cache_hits grew meanwhile. */
async function cost(api, fn) {
  const before = (await api.stats()).body;
  await fn();
  const after = (await api.stats()).body;
  return {
    argon2: after.argon2_runs - before.argon2_runs,
    kv: after.kv_reads - before.kv_reads,
    hits: after.cache_hits - before.cache_hits,
  };
}

async function register(api, user) {
  const res = await api.mfa(user, true, 'Phone');
  assert.equal(res.status, 200, res.text);
  return res.body.initial_app_password;
}

describe('login cache, default TTL', { timeout: 120_000 }, () => {
  const ctx = useWorker();

  test('a first login runs Argon2 and reads KV once; a repeated one neither', async () => {
    const api = ctx.api;
    const pw = await register(api, 'carol');
    const miss = await cost(api, async () => assertVerified(await api.verify('carol', pw.password, 'imap'), pw.id));
    assert.equal(miss.hits, 0);
    assert.ok(miss.argon2 >= 1, `a first login ran ${miss.argon2} Argon2`);
    assert.equal(miss.kv, 1);
    const hit = await cost(api, async () => {
      assertVerified(await api.verify('carol', pw.password, 'imap'), pw.id, 'Phone');
      // Another spelling of the same password normalises to the same lookup key.
      assertVerified(await api.verify('carol', pw.display.toUpperCase(), 'smtp'), pw.id);
    });
    assert.deepEqual(hit, { argon2: 0, kv: 0, hits: 2 });
  });

  test('a login computes its lookup key once, on a miss and on a hit', async () => {
    const api = ctx.api;
    const pw = (await api.create('carol', 'Tablet')).body;
    const keys = async () => (await api.stats()).body.lookup_keys;
    let before = await keys();
    assertVerified(await api.verify('carol', pw.password), pw.id);
    assert.equal((await keys()) - before, 1, 'a miss: one HMAC for the cache and the KV read');
    before = await keys();
    assertVerified(await api.verify('carol', pw.password), pw.id);
    assert.equal((await keys()) - before, 1, 'a hit');
  });

  test('a hit proves only the password: another user, a wrong password or a denied scope is refused', async () => {
    const api = ctx.api;
    const pw = (await api.create('carol', 'Mail only', ['imap'])).body;
    assertVerified(await api.verify('carol', pw.password, 'imap'), pw.id);
    const refused = await cost(api, async () => {
      assertRefused(await api.verify('carol', pw.password, 'smtp'), 'scope_denied');
    });
    assert.deepEqual(refused, { argon2: 0, kv: 0, hits: 1 });
    // Another user's lookup key differs: not a hit.
    assertRefused(await api.verify('mallory', pw.password, 'imap'), 'unknown_password');
  });

  test('deleting an app password in this isolate refuses it at once', async () => {
    const api = ctx.api;
    const pw = (await api.create('carol', 'Laptop')).body;
    assertVerified(await api.verify('carol', pw.password), pw.id);
    assert.equal((await cost(api, async () => assertVerified(await api.verify('carol', pw.password), pw.id))).hits, 1);
    assert.equal((await api.remove('carol', pw.id)).status, 204);
    const after = await cost(api, async () => assertRefused(await api.verify('carol', pw.password), 'unknown_password'));
    assert.equal(after.hits, 0);
    assert.equal(after.kv, 1);
  });

  test('delete-all and MFA off in this isolate refuse the user\'s cached passwords; others stay cached', async () => {
    const api = ctx.api;
    const dan = await register(api, 'dan');
    const eve = await register(api, 'eve');
    const erin = await register(api, 'erin');
    for (const [user, pw] of [['dan', dan], ['eve', eve], ['erin', erin]]) {
      assertVerified(await api.verify(user, pw.password), pw.id);
      assertVerified(await api.verify(user, pw.password), pw.id);
    }
    assert.equal((await api.mfa('dan', false)).status, 200);
    assertRefused(await api.verify('dan', dan.password));
    assert.equal((await api.removeAll('eve')).status, 200);
    assertRefused(await api.verify('eve', eve.password), 'unknown_password');
    const other = await cost(api, async () => assertVerified(await api.verify('erin', erin.password), erin.id));
    assert.deepEqual(other, { argon2: 0, kv: 0, hits: 1 });
  });
});

describe('login cache, LOGIN_CACHE_TTL_SECS = 2', { timeout: 120_000 }, () => {
  const ctx = useWorker({ vars: { LOGIN_CACHE_TTL_SECS: '2' } });

  test('an entry is trusted until its TTL ends, then Argon2 runs again', async () => {
    const api = ctx.api;
    const pw = await register(api, 'frank');
    assertVerified(await api.verify('frank', pw.password), pw.id);
    const hit = await cost(api, async () => assertVerified(await api.verify('frank', pw.password), pw.id));
    assert.deepEqual(hit, { argon2: 0, kv: 0, hits: 1 });
    await sleep(3_100);
    const expired = await cost(api, async () => assertVerified(await api.verify('frank', pw.password), pw.id));
    assert.equal(expired.hits, 0);
    assert.ok(expired.argon2 >= 1);
    assert.equal(expired.kv, 1);
  });
});

describe('login cache, LOGIN_CACHE_TTL_SECS = 0', { timeout: 120_000 }, () => {
  const ctx = useWorker({ vars: { LOGIN_CACHE_TTL_SECS: '0' } });

  test('off: every login runs Argon2 and reads KV', async () => {
    const api = ctx.api;
    const pw = await register(api, 'gina');
    const three = await cost(api, async () => {
      for (let i = 0; i < 3; i++) assertVerified(await api.verify('gina', pw.password), pw.id);
    });
    assert.equal(three.hits, 0);
    assert.ok(three.argon2 >= 3, `${three.argon2} Argon2 runs for 3 logins`);
    assert.equal(three.kv, 3);
  });
});

testNoPasswordsInLogs();
