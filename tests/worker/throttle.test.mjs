// Throttled guessing: failed logins counted per (user, remote_ip) and per remote_ip with the Workers
// Rate Limiting binding (simulated by wrangler dev); throttled attempts cost no KV read and no Argon2;
// successful logins are never counted, and neither is input the format refuses (it can never be
// right, and is refused before any binding call). `wrong()` is a well-formed password that is no
// one's: a guess that counts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertRefused,
  assertVerified,
  makeValidPassword,
  testNoPasswordsInLogs,
  useWorker,
  withinOneRateWindow,
  withTypo,
} from './harness.mjs';

// The limits of wrangler.toml's [[ratelimits]] bindings.
const PAIR_LIMIT = 10;
const ADDRESS_LIMIT = 100;

/** A well-formed app password that is no one's. */
const wrong = () => makeValidPassword();

function assertThrottled(res) {
  const where = `${res.status} ${res.text}`;
  assert.equal(res.status, 429, where);
  assert.deepEqual(res.body, { valid: false, reason: 'throttled' }, where);
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${res.headers.get('retry-after')}`);
}

describe('throttle', { timeout: 300_000 }, () => {
  const ctx = useWorker();
  const pw = {};

  test('setup: users with MFA and an app password', async () => {
    for (const user of ['tom', 'tim', 'tia']) {
      const res = await ctx.api.mfa(user, true, 'Phone');
      assert.equal(res.status, 200, res.text);
      pw[user] = res.body.initial_app_password;
    }
  });

  test(`past ${PAIR_LIMIT} failures for one user from one address, that pair gets 429, even with the right password, at no KV read and no Argon2`, async () => {
    const ip = '198.51.100.1';
    await withinOneRateWindow(10);
    for (let i = 0; i < PAIR_LIMIT; i++) {
      assertRefused(await ctx.api.verify('tom', wrong(), 'imap', ip), 'unknown_password');
    }
    assertThrottled(await ctx.api.verify('tom', wrong(), 'imap', ip));
    const before = (await ctx.api.stats()).body;
    for (let i = 0; i < 5; i++) {
      assertThrottled(await ctx.api.verify('tom', pw.tom.password, 'imap', ip));
      assertThrottled(await ctx.api.verify('tom', wrong(), 'imap', ip));
    }
    const after = (await ctx.api.stats()).body;
    assert.equal(after.argon2_runs, before.argon2_runs, 'Argon2 ran while throttled');
    assert.equal(after.kv_reads, before.kv_reads, 'KV was read while throttled');
    assert.equal(after.throttled, before.throttled + 10);
  });

  test('the same user from another address and other users from that address are not affected', async () => {
    assertVerified(await ctx.api.verify('tom', pw.tom.password, 'imap', '198.51.100.2'), pw.tom.id);
    assertVerified(await ctx.api.verify('tim', pw.tim.password, 'imap', '198.51.100.1'), pw.tim.id);
    assertRefused(await ctx.api.verify('tim', wrong(), 'imap', '198.51.100.1'), 'unknown_password');
  });

  test(`past ${ADDRESS_LIMIT} failures from one address across users, that address gets 429 for every user`, async () => {
    const ip = '203.0.113.9';
    // Fewer than PAIR_LIMIT failures per user, so only the address limit can trip.
    await withinOneRateWindow(30);
    let n = 0;
    for (let u = 0; n < ADDRESS_LIMIT; u++) {
      for (let i = 0; i < PAIR_LIMIT - 1 && n < ADDRESS_LIMIT; i++, n++) {
        assertRefused(await ctx.api.verify(`sprayed-${u}`, wrong(), undefined, ip), 'unknown_password');
      }
    }
    assertThrottled(await ctx.api.verify('sprayed-new', wrong(), undefined, ip));
    assertThrottled(await ctx.api.verify('tia', pw.tia.password, undefined, ip));
    // Another address is untouched.
    assertVerified(await ctx.api.verify('tia', pw.tia.password, undefined, '203.0.113.10'), pw.tia.id);
  });

  test('without remote_ip, failures count under the calling key: another key is not affected', async () => {
    const a = ctx.api.withKey((await ctx.api.createApiKey('mx-a', ['verify'])).body.key);
    const b = ctx.api.withKey((await ctx.api.createApiKey('mx-b', ['verify'])).body.key);
    await withinOneRateWindow(10);
    for (let i = 0; i < PAIR_LIMIT; i++) {
      assertRefused(await a.verify('tim', wrong()), 'unknown_password');
    }
    assertThrottled(await a.verify('tim', wrong()));
    assertThrottled(await a.verify('tim', pw.tim.password));
    assertVerified(await b.verify('tim', pw.tim.password), pw.tim.id);
  });

  test('malformed input and typos are never counted: no throttling, no rate-limiter call', async () => {
    const ip = '198.51.100.77';
    await withinOneRateWindow(10);
    const before = (await ctx.api.stats()).body;
    for (let i = 0; i < 2 * PAIR_LIMIT; i++) {
      assertRefused(await ctx.api.verify('tia', 'hunter2', 'imap', ip), 'malformed_password');
      assertRefused(await ctx.api.verify('tia', withTypo(pw.tia.password), 'imap', ip), 'bad_checksum');
    }
    const after = (await ctx.api.stats()).body;
    for (const counter of ['argon2_runs', 'kv_reads', 'lookup_keys']) {
      assert.equal(after[counter], before[counter], `${counter} grew for refused input`);
    }
    assertVerified(await ctx.api.verify('tia', pw.tia.password, 'imap', ip), pw.tia.id);
  });

  test('successful logins are never throttled: 120 good logins in a row from one address', async () => {
    const ip = '192.0.2.200';
    for (let i = 0; i < 120; i++) {
      assertVerified(await ctx.api.verify('tia', pw.tia.password, 'smtp', ip), pw.tia.id);
    }
  });
});

testNoPasswordsInLogs();
