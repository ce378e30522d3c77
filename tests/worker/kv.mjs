// Reads and writes a stopped or running Worker's local KV behind its back, with wrangler's own
// `wrangler kv key … --local --persist-to` commands (the namespace of wrangler.toml).

import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './harness.mjs';

const run = promisify(execFile);
const BIN = join(REPO, 'node_modules', '.bin');

/** Runs `wrangler kv key <args>` on the state in `persistDir`; returns its stdout. */
export async function kv(persistDir, ...args) {
  const { stdout } = await run(
    join(BIN, 'wrangler'),
    ['kv', 'key', ...args, '--binding', 'APP_PASSWORDS', '--local', '--persist-to', persistDir,
      '--config', join(REPO, 'wrangler.toml')],
    {
      cwd: REPO,
      // wrangler needs the Node 22 of node_modules/.bin.
      env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    },
  );
  return stdout;
}

/** Every credential key: `[{ name, metadata }]`. */
export async function kvKeys(persistDir) {
  return JSON.parse(await kv(persistDir, 'list', '--prefix', 'cred:'));
}

/**
 * The KV key of a password: `cred:` + hex HMAC-SHA-256(secret, "app-passwords lookup v1\0" ‖
 * u32 big-endian byte length of user ‖ user ‖ normalised password), as README § Hashing says.
 */
export function credentialKey(secret, user, password) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(Buffer.byteLength(user));
  const mac = createHmac('sha256', secret)
    .update('app-passwords lookup v1\0')
    .update(length)
    .update(user)
    .update(password.toLowerCase().replace(/[\s-]/g, ''));
  return `cred:${mac.digest('hex')}`;
}

/** The KV copy of `user`'s app password (one wrangler call): `{ key, value }`, or undefined. */
export async function kvCopy(worker, user, password) {
  const key = credentialKey(worker.vars.PASSWORD_SECRET, user, password);
  const text = await kv(worker.persistDir, 'get', key, '--text');
  return /^\s*\{/.test(text) ? { key, value: JSON.parse(text) } : undefined;
}

/** Writes `value` (as JSON) under `key`. */
export async function kvPut(persistDir, key, value) {
  await kv(persistDir, 'put', key, JSON.stringify(value));
}
