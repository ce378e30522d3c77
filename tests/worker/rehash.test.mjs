// Changing the Argon2id parameters: old hashes keep verifying and are re-hashed on the next good login.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  assertIssued,
  assertVerified,
  client,
  freshPersistDir,
  sleep,
  startWorker,
  testNoPasswordsInLogs,
} from './harness.mjs';

const OLD = { ARGON2_M: '4096', ARGON2_T: '1', ARGON2_P: '1' };
const NEW_PHC_PARAMS = '$argon2id$v=19$m=19456,t=2,p=1$';

/** Files under `dir` (recursively) whose path mentions KV and whose bytes contain `needle`. */
function kvFilesContaining(dir, needle) {
  const hits = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if (!/kv/i.test(path)) continue;
    if (readFileSync(path).includes(needle)) hits.push(path);
  }
  return hits;
}

describe('parameter change', { timeout: 240_000 }, () => {
  const persistDir = freshPersistDir();
  let first;
  let second;
  let issued;

  after(async () => {
    await first?.stop();
    await second?.stop();
  });

  test('a password hashed with the old parameters verifies after they change and is re-hashed', async () => {
    first = await startWorker({ persistDir, vars: OLD });
    const mfa = await client(first).mfa('rehash-user', true, 'Old laptop');
    issued = mfa.body.initial_app_password;
    assertIssued(issued, 'Old laptop');
    assert.deepEqual(kvFilesContaining(persistDir, NEW_PHC_PARAMS), [], 'nothing uses the new parameters yet');
    const { ARGON2_M, ARGON2_T, ARGON2_P, ...secrets } = first.vars;
    await first.stop();

    // Same secrets, default (OWASP) parameters from wrangler.toml.
    second = await startWorker({ persistDir, vars: secrets });
    const api = client(second);
    assertVerified(await api.verify('rehash-user', issued.password), issued.id, 'Old laptop');
    let hits = [];
    for (let i = 0; i < 50 && hits.length === 0; i++) {
      await sleep(100);
      hits = kvFilesContaining(persistDir, NEW_PHC_PARAMS);
    }
    assert.ok(hits.length > 0, 'the stored credential now uses m=19456,t=2,p=1');
    assert.ok(hits.every((p) => p.includes('kv')), hits.join(', '));
    assertVerified(await api.verify('rehash-user', issued.display), issued.id, 'Old laptop');
  });

  testNoPasswordsInLogs();
});
