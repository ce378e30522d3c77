// Many creates at once for one user: the limit and name uniqueness stay exact.

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

function tally(results) {
  const counts = {};
  for (const r of results) {
    const key = r.status >= 400 ? `${r.status} ${r.body?.error?.code}` : String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('parallel creates', { timeout: 240_000 }, () => {
  const ctx = useWorker();

  test('100 parallel creates for a user with none give exactly 40 × 201 and 60 × 409 limit_reached', async () => {
    const user = 'burst@example.com';
    const mfa = await ctx.api.mfa(user, true, 'Initial');
    assert.equal(mfa.status, 200, mfa.text);
    assertIssued(mfa.body.initial_app_password, 'Initial');
    const wiped = await ctx.api.removeAll(user);
    assert.deepEqual(wiped.body, { deleted: 1 });
    assert.equal((await ctx.api.list(user)).body.count, 0);

    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => ctx.api.create(user, `Parallel ${i}`, undefined)),
    );
    assert.deepEqual(tally(results), { 201: 40, '409 limit_reached': 60 });
    const created = results.filter((r) => r.status === 201).map((r) => r.body);
    for (const r of results.filter((r) => r.status !== 201)) {
      assertError(r, 409, 'limit_reached');
      assert.equal(r.body.error.limit, 40);
    }
    for (const p of created) assertIssued(p);
    assert.equal(new Set(created.map((p) => p.id)).size, 40, 'ids are distinct');
    assert.equal(new Set(created.map((p) => p.password)).size, 40, 'passwords are distinct');
    assert.equal(new Set(created.map((p) => p.name.toLowerCase())).size, 40, 'names are distinct');

    const list = await ctx.api.list(user);
    assert.equal(list.body.count, 40);
    assert.deepEqual(list.body.app_passwords.map((e) => e.id).sort(), created.map((p) => p.id).sort());

    await mapLimit(created, 8, async (p) => {
      assertVerified(await ctx.api.verify(user, p.password), p.id, p.name);
    });

    assertError(await ctx.api.create(user, 'After the burst'), 409, 'limit_reached');
  });

  test('20 parallel creates with the same name give exactly one 201 and 19 × 409 name_taken', async () => {
    const user = 'same-name';
    await ctx.api.mfa(user, true, 'Initial');
    const names = Array.from({ length: 20 }, (_, i) => (i % 2 ? ' Phone ' : 'PHONE'));
    const results = await Promise.all(names.map((n) => ctx.api.create(user, n)));
    assert.deepEqual(tally(results), { 201: 1, '409 name_taken': 19 });
    const winner = results.find((r) => r.status === 201).body;
    assertVerified(await ctx.api.verify(user, winner.password), winner.id);
    assert.equal((await ctx.api.list(user)).body.count, 2);
  });

  test('parallel registrations for MFA issue exactly one first app password', async () => {
    const user = 'racing-registrant';
    const results = await Promise.all(Array.from({ length: 10 }, () => ctx.api.mfa(user, true, 'Laptop')));
    for (const r of results) assert.equal(r.status, 200, r.text);
    const issued = results.map((r) => r.body.initial_app_password).filter((p) => p !== null);
    assert.equal(issued.length, 1, JSON.stringify(results.map((r) => r.body)));
    assertVerified(await ctx.api.verify(user, issued[0].password), issued[0].id);
    assert.equal((await ctx.api.list(user)).body.count, 1);
  });

  test('parallel creates for different users do not interfere', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `crowd-${i}`);
    await Promise.all(users.map((user) => ctx.api.mfa(user, true, 'Laptop')));
    const results = await Promise.all(
      users.flatMap((user) => [1, 2, 3].map((i) => ctx.api.create(user, `Device ${i}`).then((r) => ({ user, r })))),
    );
    for (const { r } of results) assert.equal(r.status, 201, r.text);
    await mapLimit(results, 8, async ({ user, r }) => {
      assertVerified(await ctx.api.verify(user, r.body.password), r.body.id);
    });
    for (const user of users) assert.equal((await ctx.api.list(user)).body.count, 4);
  });
});

testNoPasswordsInLogs();
