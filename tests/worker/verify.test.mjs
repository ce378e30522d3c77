// POST /v1/verify: every way a login can go.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertIssued,
  assertRefused,
  assertVerified,
  hasValidChecksum,
  makeValidPassword,
  testNoPasswordsInLogs,
  toDisplay,
  useWorker,
  withTypo,
} from './harness.mjs';

describe('verify', { timeout: 180_000 }, () => {
  // Dozens of refusals for one user on purpose: the throttle (tests/worker/throttle.test.mjs) is
  // raised out of the way so every refusal shows its reason.
  const ctx = useWorker({ rateLimits: { PAIR_LIMITER: 100_000, ADDRESS_LIMITER: 100_000 } });
  const user = 'verifier@example.com';
  let mine;
  let theirs;

  test('setup: two users with MFA and an app password each', async () => {
    const mfa = await ctx.api.mfa(user, true, 'Laptop');
    assert.equal(mfa.status, 200, mfa.text);
    mine = mfa.body.initial_app_password;
    assertIssued(mine, 'Laptop');
    const other = await ctx.api.mfa('someone-else', true, 'Desktop');
    theirs = other.body.initial_app_password;
    assertIssued(theirs, 'Desktop');
  });

  test('makeValidPassword makes 24 letters with a valid checksum', () => {
    for (let i = 0; i < 200; i++) {
      const p = makeValidPassword();
      assert.match(p, /^[a-z]{24}$/);
      assert.ok(hasValidChecksum(p));
    }
    assert.ok(hasValidChecksum(mine.password), 'the Worker uses the same checksum');
  });

  test('the password verifies as issued, in display form, in upper case with spaces, and with stray separators', async () => {
    const p = mine.password;
    const forms = [
      p,
      mine.display,
      toDisplay(p).toUpperCase(),
      toDisplay(p).replaceAll('-', ' ').toUpperCase(),
      p.toUpperCase(),
      p.replace(/(.{4})/g, '$1 ').trim(),
      ` ${toDisplay(p)} `,
      p.slice(0, 10).toUpperCase() + p.slice(10),
      p.split('').join(' '),
      `${p.slice(0, 12)}--  ${p.slice(12)}`,
    ];
    for (const form of forms) {
      assertVerified(await ctx.api.verify(user, form), mine.id, 'Laptop');
    }
  });

  test('a well-formed password with a valid checksum that was never issued is refused with unknown_password', async () => {
    for (let i = 0; i < 3; i++) {
      assertRefused(await ctx.api.verify(user, makeValidPassword()), 'unknown_password');
    }
    assertRefused(await ctx.api.verify(user, toDisplay(makeValidPassword()).toUpperCase()), 'unknown_password');
    // All "a" is base-26 zero: a valid checksum, never issued.
    assertRefused(await ctx.api.verify(user, 'a'.repeat(24)), 'unknown_password');
  });

  test('a malformed password is refused with malformed_password', async () => {
    const p = mine.password;
    for (const bad of [
      'hunter2',
      '',
      '    ',
      '----',
      p.slice(0, 23),
      `${p}a`,
      `${p.slice(0, 23)}1`,
      `${p.slice(0, 12)}_${p.slice(12)}`,
      `${p.slice(0, 12)}.${p.slice(12)}`,
      `${p.slice(0, 23)}é`,
      `${p}\n`.replace('\n', '\u0000'),
      'x'.repeat(5000),
    ]) {
      assertRefused(await ctx.api.verify(user, bad), 'malformed_password');
    }
  });

  test('a one-letter typo is refused with bad_checksum, at every position', async () => {
    const p = mine.password;
    for (let i = 0; i < p.length; i++) {
      const typo = withTypo(p, i);
      assert.notEqual(typo, p);
      assertRefused(await ctx.api.verify(user, typo), 'bad_checksum');
    }
    assertRefused(await ctx.api.verify(user, toDisplay(withTypo(p, 5)).toUpperCase()), 'bad_checksum');
  });

  test('two swapped adjacent letters are refused with bad_checksum', async () => {
    const p = mine.password;
    let tried = 0;
    for (let i = 0; i + 1 < p.length; i++) {
      if (p[i] === p[i + 1]) continue;
      const swapped = p.slice(0, i) + p[i + 1] + p[i] + p.slice(i + 2);
      assertRefused(await ctx.api.verify(user, swapped), 'bad_checksum');
      tried++;
    }
    assert.ok(tried > 10);
  });

  test("another user's password is refused with unknown_password", async () => {
    assertRefused(await ctx.api.verify(user, theirs.password), 'unknown_password');
    assertRefused(await ctx.api.verify('someone-else', mine.password), 'unknown_password');
    assertRefused(await ctx.api.verify('Verifier@example.com', mine.password), 'unknown_password');
    assertRefused(await ctx.api.verify('never-seen', mine.password), 'unknown_password');
    // and both still verify for their owners
    assertVerified(await ctx.api.verify(user, mine.password), mine.id);
    assertVerified(await ctx.api.verify('someone-else', theirs.password), theirs.id);
  });

  test('a deleted password is refused with unknown_password', async () => {
    const created = await ctx.api.create(user, 'Short-lived');
    assert.equal(created.status, 201, created.text);
    assertVerified(await ctx.api.verify(user, created.body.password), created.body.id, 'Short-lived');
    assert.equal((await ctx.api.remove(user, created.body.id)).status, 204);
    assertRefused(await ctx.api.verify(user, created.body.password), 'unknown_password');
    assertRefused(await ctx.api.verify(user, created.body.display), 'unknown_password');
  });

  test('a refusal answers with exactly valid and reason', async () => {
    const res = await ctx.api.verify(user, makeValidPassword());
    assert.deepEqual(res.body, { valid: false, reason: 'unknown_password' });
    const ok = await ctx.api.verify(user, mine.password);
    assert.deepEqual(ok.body, { valid: true, app_password: { id: mine.id, name: 'Laptop' } });
  });
});

testNoPasswordsInLogs();
