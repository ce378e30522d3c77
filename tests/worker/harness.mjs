// End-to-end harness: runs the built Worker (build/worker/shim.mjs) under `wrangler dev --local`
// and talks to it over HTTP. Node built-ins only.
//
// Every password the Worker hands out (and every made-up one a test submits) is recorded here, and
// every worker's output is kept, so a test file can finish with `assertNoPasswordsInLogs()`.

import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort, watch } from '../../tools/local-servers.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHIM = join(REPO, 'build', 'worker', 'shim.mjs');
/** Test-only entry: the built Worker with KV writes that fail on request (tests/worker/faulty-kv.mjs). */
export const FAULTY_KV_MAIN = join(REPO, 'tests', 'worker', 'faulty-kv.mjs');
const WRANGLER = join(REPO, 'node_modules', '.bin', 'wrangler');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** The prime of the checksum: the password's base-26 value must be a multiple of it. */
export const CHECKSUM_PRIME = 456_959n;
/** Error codes `POST /v1/verify` may give as `reason`. */
export const VERIFY_REASONS = [
  'malformed_password',
  'bad_checksum',
  'unknown_password',
  'scope_denied',
  'expired',
];

// ---------------------------------------------------------------------------------------------
// Bookkeeping for the log check.

const secrets = new Set();
const workers = [];
const tempDirs = [];

process.on('exit', () => {
  for (const w of workers) w.kill();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
// Workers run in their own process groups: take them down when the test process is interrupted too.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => process.exit(code));
}

/**
 * Records a password that must never appear in a log: anything that is 24 letters once spaces and
 * dashes are removed (issued passwords, made-up ones, typos), in the forms it was seen and would be
 * normalised or displayed in. Other strings (`hunter2`, blanks) are too short to check for.
 */
export function rememberPassword(password) {
  if (typeof password !== 'string') return;
  const letters = password.toLowerCase().replace(/[\s-]/g, '');
  if (!/^[a-z]{24}$/.test(letters)) return;
  secrets.add(password);
  secrets.add(letters);
  secrets.add(letters.toUpperCase());
  secrets.add(toDisplay(letters));
  secrets.add(toDisplay(letters).toUpperCase());
}

/** Every password recorded so far. */
export function rememberedPasswords() {
  return [...secrets];
}

/** The output of every worker started in this process, so far. */
export function allLogs() {
  return workers.map((w) => w.output()).join('\n');
}

/** Asserts that no recorded password occurs in any worker's output. */
export function assertNoPasswordsInLogs() {
  assert.ok(workers.length > 0, 'no worker was started');
  const logs = allLogs();
  const leaked = [...secrets].filter((s) => logs.includes(s));
  assert.deepEqual(leaked, [], `passwords found in the worker logs:\n${leaked.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// The password format.

const A = 'a'.charCodeAt(0);

/** The base-26 value of a string of letters a–z (a = 0, first letter most significant). */
export function base26(letters) {
  let n = 0n;
  for (const c of letters) n = n * 26n + BigInt(c.charCodeAt(0) - A);
  return n;
}

/** True when 24 lowercase letters carry a valid checksum. */
export function hasValidChecksum(password) {
  return /^[a-z]{24}$/.test(password) && base26(password) % CHECKSUM_PRIME === 0n;
}

/** `abcdefgh…` → `abcd-efgh-…` (six groups of four). */
export function toDisplay(password) {
  return password.match(/.{1,4}/g).join('-');
}

/**
 * A well-formed password with a valid checksum that belongs to nobody: 20 random letters followed
 * by the 4 letters that make the base-26 value a multiple of 456 959.
 */
export function makeValidPassword() {
  let head = '';
  for (let i = 0; i < 20; i++) head += String.fromCharCode(A + randomInt(26));
  const rest = (CHECKSUM_PRIME - ((base26(head) * 26n ** 4n) % CHECKSUM_PRIME)) % CHECKSUM_PRIME;
  let tail = '';
  let r = rest;
  for (let i = 0; i < 4; i++) {
    tail = String.fromCharCode(A + Number(r % 26n)) + tail;
    r /= 26n;
  }
  const password = head + tail;
  assert.ok(hasValidChecksum(password), `makeValidPassword produced ${password}`);
  rememberPassword(password);
  return password;
}

/** `password` with the letter at `index` replaced by another letter (a single-letter typo). */
export function withTypo(password, index = randomInt(password.length)) {
  const old = password.charCodeAt(index) - A;
  const next = String.fromCharCode(A + ((old + 1 + randomInt(25)) % 26));
  return password.slice(0, index) + next + password.slice(index + 1);
}

// ---------------------------------------------------------------------------------------------
// Running the Worker.

function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A fresh, empty persistence directory (removed when the process exits). */
export function freshPersistDir() {
  return makeTempDir('ap-worker-state-');
}

/**
 * wrangler.toml without `[build]` (no rebuild), with `main` and the `[assets]` directory as absolute
 * paths (the copy lives in a temporary directory). `rateLimits` (`{ PAIR_LIMITER: n, ... }`)
 * replaces the limits of those `[[ratelimits]]` bindings.
 */
function testConfig(rateLimits = {}, main = SHIM) {
  const lines = readFileSync(join(REPO, 'wrangler.toml'), 'utf8').split('\n');
  const out = [];
  let section = '';
  let limiter;
  let assets;
  const replaced = new Set();
  for (const line of lines) {
    const header = line.match(/^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/);
    if (header) section = header[1];
    if (section === 'build' || section.startsWith('build.')) continue;
    const directory = section === 'assets' && line.match(/^\s*directory\s*=\s*"([^"]+)"/);
    if (directory) {
      assets = resolve(REPO, directory[1]);
      out.push(`directory = ${JSON.stringify(assets)}`);
      continue;
    }
    limiter = line.match(/^\s*name\s*=\s*"(\w+)"/)?.[1] ?? limiter;
    if (limiter in rateLimits && /^\s*simple\s*=/.test(line)) {
      out.push(line.replace(/limit\s*=\s*\d+/, `limit = ${rateLimits[limiter]}`));
      replaced.add(limiter);
      continue;
    }
    if (/^\s*main\s*=/.test(line)) {
      out.push(`main = ${JSON.stringify(main)}`);
      continue;
    }
    out.push(line);
  }
  assert.ok(out.some((l) => l.startsWith('main = ')), 'wrangler.toml has no top-level main');
  assert.ok(assets && existsSync(assets), `wrangler.toml's [assets] directory ${assets} does not exist`);
  assert.deepEqual([...replaced].sort(), Object.keys(rateLimits).sort(), 'rate limiters not in wrangler.toml');
  return out.join('\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the built Worker with `wrangler dev --local` on a free port.
 *
 * `rateLimits` overrides the failed-login limits (`{ PAIR_LIMITER, ADDRESS_LIMITER }`), for tests and
 * benchmarks that refuse many logins on purpose.
 * `main` replaces the entry module (e.g. [`FAULTY_KV_MAIN`], which wraps the built Worker).
 * `vars` are passed as `--var K:V`; `API_TOKEN`, `PASSWORD_SECRET` and `SESSION_SECRET` default to
 * fresh random values. Pass the returned `vars` and `persistDir` to start the same deployment again.
 * Returns `{ url, port, token, vars, persistDir, stop(), logs() }`.
 */
export async function startWorker({ persistDir, vars = {}, configText, rateLimits, main } = {}) {
  // `configText`: another Worker's wrangler.toml (absolute `main`), e.g. the benchmark's JS Worker.
  if (configText === undefined && !existsSync(SHIM)) {
    throw new Error(`${SHIM} does not exist: run \`make build-worker\` first`);
  }
  persistDir ??= freshPersistDir();
  const allVars = {
    API_TOKEN: randomBytes(24).toString('hex'),
    PASSWORD_SECRET: randomBytes(32).toString('hex'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    ...vars,
  };
  // The free port may be taken by someone else before wrangler binds it: then try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(persistDir, allVars, configText ?? testConfig(rateLimits, main));
    } catch (e) {
      if (attempt >= 3 || !e.portClash) throw e;
    }
  }
}

async function startOnce(persistDir, allVars, configText) {
  const port = await freePort();
  const dir = makeTempDir('ap-worker-run-');
  const config = join(dir, 'wrangler.toml');
  writeFileSync(config, configText);

  const args = [
    'dev',
    '--config', config,
    '--local',
    '--ip', '127.0.0.1',
    '--port', String(port),
    // Its own inspector port too: Workers started at the same time would all take 9229, and all
    // but one exit ("Address already in use").
    '--inspector-port', String(await freePort()),
    '--persist-to', persistDir,
    '--show-interactive-dev-session=false',
  ];
  for (const [k, v] of Object.entries(allVars)) args.push('--var', `${k}:${v}`);

  const child = spawn(WRANGLER, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PATH: `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      WRANGLER_SEND_METRICS: 'false',
      // No fetch of https://workers.cloudflare.com/cf.json (no internet on CI).
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_LOG_PATH: join(dir, 'wrangler-logs'),
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    },
  });
  const { output, exited, exit } = watch(child, 'wrangler');
  let reaped = false;
  const kill = (signal) => {
    if (child.pid === undefined || reaped) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the whole group is gone
    }
  };
  workers.push({ output, kill: () => kill('SIGKILL') });

  const stop = async () => {
    if (!exited()) {
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(timer);
    }
    // workerd runs in wrangler's process group; make sure none of it outlives wrangler.
    kill('SIGKILL');
    reaped = true;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited()) {
      await stop();
      const e = new Error(`wrangler exited before the Worker was ready:\n${output()}`);
      e.portClash = /EADDRINUSE|address already in use/i.test(output());
      throw e;
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      const e = new Error(`the Worker did not answer GET /healthz with 200 within ${READY_TIMEOUT_MS} ms:\n${output()}`);
      e.portClash = /EADDRINUSE|address already in use/i.test(output());
      throw e;
    }
    await sleep(250);
  }

  return {
    url,
    port,
    token: allVars.API_TOKEN,
    vars: allVars,
    persistDir,
    stop,
    logs: output,
  };
}

// ---------------------------------------------------------------------------------------------
// Talking to it.

function rememberFromBody(body) {
  if (body === null || typeof body !== 'object') return;
  if (Array.isArray(body)) {
    body.forEach(rememberFromBody);
    return;
  }
  for (const [k, v] of Object.entries(body)) {
    if ((k === 'password' || k === 'display') && typeof v === 'string') rememberPassword(v);
    else if (k === 'key' && typeof v === 'string' && v.startsWith('apk_')) rememberSecret(v);
    else rememberFromBody(v);
  }
}

/** Records a secret other than an app password (an API key) that must never appear in a log. */
export function rememberSecret(secret) {
  secrets.add(secret);
  if (secret.startsWith('apk_')) secrets.add(secret.slice(4));
}

/**
 * A small client for one worker. `request()` returns `{ status, headers, text, body }` where `body`
 * is the parsed JSON (or `undefined` when the response is empty or not JSON). Passwords and API
 * keys in responses are recorded for the log check. With `apiKey`, requests carry that key instead
 * of the root token.
 */
export function client(worker, { apiKey } = {}) {
  const bearer = apiKey ?? worker.token;
  const request = async (method, path, { json, body, headers = {}, auth = true, timeout = 60_000 } = {}) => {
    const h = { ...headers };
    if (auth && !Object.keys(h).some((k) => k.toLowerCase() === 'authorization')) {
      h.authorization = `Bearer ${bearer}`;
    }
    let payload = body;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      h['content-type'] ??= 'application/json';
    }
    const init = { method, headers: h, body: payload, signal: AbortSignal.timeout(timeout) };
    if (payload && typeof payload.getReader === 'function') init.duplex = 'half';
    const res = await fetch(`${worker.url}${path}`, init);
    const text = await res.text();
    let parsed;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    rememberFromBody(parsed);
    return { status: res.status, headers: res.headers, text, body: parsed };
  };

  const u = (user) => `/v1/users/${encodeURIComponent(user)}`;
  return {
    request,
    health: () => request('GET', '/healthz', { auth: false }),
    create: (user, name, scopes) =>
      request('POST', `${u(user)}/app-passwords`, { json: scopes === undefined ? { name } : { name, scopes } }),
    list: (user) => request('GET', `${u(user)}/app-passwords`),
    remove: (user, id) => request('DELETE', `${u(user)}/app-passwords/${encodeURIComponent(id)}`),
    removeAll: (user) => request('DELETE', `${u(user)}/app-passwords`),
    mfa: (user, enabled, initialName) =>
      request('PUT', `${u(user)}/mfa`, {
        json: initialName === undefined ? { enabled } : { enabled, initial_name: initialName },
      }),
    verify: (user, password, protocol, remoteIp) => {
      rememberPassword(password);
      const json = { user, password };
      if (protocol !== undefined) json.protocol = protocol;
      if (remoteIp !== undefined) json.remote_ip = remoteIp;
      return request('POST', '/v1/verify', { json });
    },
    getSettings: () => request('GET', '/v1/settings'),
    putSettings: (settings) => request('PUT', '/v1/settings', { json: settings }),
    createApiKey: (name, scopes) => request('POST', '/v1/api-keys', { json: { name, scopes } }),
    listApiKeys: () => request('GET', '/v1/api-keys'),
    revokeApiKey: (id) => request('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`),
    stats: () => request('GET', '/v1/stats'),
    events: (user) => request('GET', `${u(user)}/events`),
    /** A client of the same worker that authenticates with `key`. */
    withKey: (key) => client(worker, { apiKey: key }),
  };
}

/** Name of the page's session cookie. */
export const SESSION_COOKIE = '__Host-ap_session';

/**
 * A session cookie (`name=value`) for `user` from the development sign-in (the worker needs
 * `DEV_SIGN_IN: 'true'`), without a browser.
 */
export async function sessionCookie(worker, user) {
  const res = await fetch(`${worker.url}/dev/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: worker.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user }).toString(),
  });
  await res.arrayBuffer();
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  assert.ok(cookie, `no session cookie from the development sign-in: ${res.status}`);
  return cookie.split(';')[0];
}

/** Asserts an error response: status, `{"error":{"code","message"}}` with the given code. */
export function assertError(res, status, code) {
  const where = `${res.status} ${res.text}`;
  assert.equal(res.status, status, `expected ${status} ${code}, got ${where}`);
  assert.ok(res.body && typeof res.body === 'object', `not JSON: ${where}`);
  assert.ok(res.body.error && typeof res.body.error === 'object', `no error object: ${where}`);
  assert.equal(res.body.error.code, code, `expected code ${code}, got ${where}`);
  assert.equal(typeof res.body.error.message, 'string', `no message: ${where}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, `content-type of ${where}`);
}

/** Asserts a refused verification: 401 `{"valid":false,"reason":reason}`. */
export function assertRefused(res, reason) {
  const where = `${res.status} ${res.text}`;
  assert.equal(res.status, 401, `expected 401 ${reason}, got ${where}`);
  assert.equal(res.body?.valid, false, where);
  if (reason === undefined) assert.ok(VERIFY_REASONS.includes(res.body.reason), where);
  else assert.equal(res.body.reason, reason, where);
}

/** Asserts an accepted verification of the app password `id`. */
export function assertVerified(res, id, name) {
  const where = `${res.status} ${res.text}`;
  assert.equal(res.status, 200, `expected 200, got ${where}`);
  assert.equal(res.body?.valid, true, where);
  assert.equal(res.body.app_password?.id, id, where);
  if (name !== undefined) assert.equal(res.body.app_password.name, name, where);
}

/** Asserts a newly issued app password object (create response or `initial_app_password`). */
export function assertIssued(p, name, scopes = []) {
  const where = JSON.stringify(p);
  assert.ok(p && typeof p === 'object', where);
  assert.equal(typeof p.id, 'string', where);
  assert.ok(p.id.length > 0, where);
  if (name !== undefined) assert.equal(p.name, name, where);
  assert.match(p.password, /^[a-z]{24}$/, where);
  assert.ok(hasValidChecksum(p.password), `checksum of ${where}`);
  assert.equal(p.display, toDisplay(p.password), where);
  assert.match(p.display, /^[a-z]{4}(-[a-z]{4}){5}$/, where);
  assert.equal(typeof p.created_at, 'number', where);
  assert.ok(Math.abs(p.created_at - Date.now() / 1000) < 300, `created_at of ${where}`);
  assert.deepEqual([...p.scopes].sort(), [...scopes].sort(), where);
}

/** Runs `fn` over `items` with at most `n` at a time; results in order. */
export async function mapLimit(items, n, fn) {
  const results = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, run));
  return results;
}

export { sleep };

/**
 * Waits, if needed, so that the next `seconds` fit in one wall-clock minute: the rate limiter that
 * `wrangler dev` simulates counts in fixed 60-second windows aligned to the clock.
 */
export async function withinOneRateWindow(seconds) {
  const left = 60 - ((Date.now() / 1000) % 60);
  if (left < seconds) await sleep(left * 1000 + 250);
}

/**
 * Inside a `describe`: starts a worker before its tests and stops it after them. Returns an object
 * whose `worker` and `api` are set once the worker runs.
 */
export function useWorker(options = {}) {
  const ctx = { worker: undefined, api: undefined };
  before(async () => {
    ctx.worker = await startWorker(options);
    ctx.api = client(ctx.worker);
  });
  after(async () => {
    await ctx.worker?.stop();
  });
  return ctx;
}

/** Ends a test file: no password recorded by this process occurs in any worker's output. */
export function testNoPasswordsInLogs() {
  test('no app password appears in the output of any worker', () => {
    const logs = allLogs();
    // The capture works: wrangler's own lines are there.
    assert.match(logs, /Ready on http:\/\/127\.0\.0\.1:/);
    assert.ok(rememberedPasswords().length > 0, 'no password was recorded');
    assertNoPasswordsInLogs();
  });
}
