// Dovecot 2.3 (Debian's packages) authenticating IMAP, POP3 and submission logins with app passwords
// through the Worker's POST /v1/verify, using integrations/dovecot/ as an administrator would.
// The Worker runs under `wrangler dev` (tests/worker/harness.mjs); clients are Python's imaplib,
// poplib and smtplib (tests/mail/login.py).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDovecot } from '../../tools/dovecot.mjs';
import {
  REPO,
  assertIssued,
  makeValidPassword,
  rememberedPasswords,
  testNoPasswordsInLogs,
  toDisplay,
  useWorker,
  withTypo,
} from '../worker/harness.mjs';

const LOGIN_PY = join(REPO, 'tests', 'mail', 'login.py');
const PROTOCOLS = ['imap', 'pop3', 'submission'];

// How each protocol words "wrong password" and "try again later" (Dovecot 2.3).
const AUTH_FAILED = {
  imap: /^\[AUTHENTICATIONFAILED\] Authentication failed\./,
  pop3: /^-ERR \[AUTH\] Authentication failed\./,
  submission: /^535 5\.7\.8 Authentication failed/,
};
const TEMP_FAILED = {
  imap: /^\[UNAVAILABLE\] Temporary authentication failure\./,
  pop3: /^-ERR \[SYS\/TEMP\] Temporary authentication failure\./,
  submission: /^454 4\.7\.0 Temporary authentication failure/,
};

/** Runs tests/mail/login.py over `attempts` (`{protocol, user, password}`) against `dovecot`. */
async function login(dovecot, attempts, { parallel = false } = {}) {
  const input = attempts.map((a) => ({ ...a, port: dovecot.ports[a.protocol] }));
  const child = spawn('python3', [LOGIN_PY, ...(parallel ? ['--parallel'] : [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  child.stdin.end(JSON.stringify(input));
  const code = await new Promise((r) => child.once('close', r));
  assert.equal(code, 0, `login.py failed:\n${err}`);
  return JSON.parse(out);
}

/** Every protocol in `protocols` logs in (and uses the session) with `password`. */
async function assertLogsIn(dovecot, user, password, protocols = PROTOCOLS) {
  const results = await login(dovecot, protocols.map((protocol) => ({ protocol, user, password })));
  protocols.forEach((protocol, i) => {
    assert.equal(results[i].ok, true, `${protocol} login of ${user}: ${results[i].reply}`);
  });
}

/** Every protocol in `protocols` refuses `password` with `kind` (AUTH_FAILED or TEMP_FAILED). */
async function assertRefusedWith(kind, dovecot, user, password, protocols = PROTOCOLS) {
  const results = await login(dovecot, protocols.map((protocol) => ({ protocol, user, password })));
  protocols.forEach((protocol, i) => {
    assert.equal(results[i].ok, false, `${protocol} login of ${user} succeeded`);
    assert.match(results[i].reply, kind[protocol], `${protocol} login of ${user}`);
  });
}

/** An HTTP server standing in for a broken Worker: `mode` is 'hang' or a status to answer. */
async function startBrokenWorker() {
  const state = { mode: 503, requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    req.resume();
    if (state.mode === 'hang') return; // never answers
    res.writeHead(state.mode, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"storage_unavailable","message":"storage is unavailable"}}');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${server.address().port}/v1/verify`;
  state.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  };
  return state;
}

describe('Dovecot logins through the Worker', { timeout: 300_000 }, () => {
  const ctx = useWorker();
  const alice = 'alice@example.com';
  const bob = 'bob@example.com';
  let dovecot;
  let everywhere; // alice's first app password, all protocols
  let imapOnly; // alice's app password scoped to IMAP
  let apiKey;

  before(async () => {
    // The mail server's credential: a key that may only verify.
    const key = await ctx.api.request('POST', '/v1/api-keys', { json: { name: 'mail1', scopes: ['verify'] } });
    assert.equal(key.status, 201, key.text);
    apiKey = key.body.key;
    dovecot = await startDovecot({
      verifyUrl: `${ctx.worker.url}/v1/verify`,
      apiKey,
      failureDelay: 0,
      penalty: false,
    });
  });
  after(async () => {
    await dovecot?.stop();
  });

  test('setup: alice has MFA, an app password for everything and one for IMAP only', async () => {
    const mfa = await ctx.api.mfa(alice, true, 'Phone');
    assert.equal(mfa.status, 200, mfa.text);
    everywhere = mfa.body.initial_app_password;
    assertIssued(everywhere, 'Phone');
    const created = await ctx.api.create(alice, 'Old tablet', ['imap']);
    assert.equal(created.status, 201, created.text);
    imapOnly = created.body;
    assertIssued(imapOnly, 'Old tablet', ['imap']);
  });

  test('the key file is readable by its owner only', () => {
    assert.equal(statSync(dovecot.keyFile).mode & 0o777, 0o400);
  });

  test('an app password logs in to IMAP (SELECT INBOX), POP3 and submission (sends a message)', async () => {
    await assertLogsIn(dovecot, alice, everywhere.password);
    assert.deepEqual(readdirSync(join(dovecot.dir, 'relayed')), ['1.eml']);
  });

  test('its grouped upper-case form logs in too', async () => {
    await assertLogsIn(dovecot, alice, toDisplay(everywhere.password).toUpperCase());
  });

  test('an IMAP-only app password logs in to IMAP and is refused on POP3 and submission', async () => {
    await assertLogsIn(dovecot, alice, imapOnly.password, ['imap']);
    await assertRefusedWith(AUTH_FAILED, dovecot, alice, imapOnly.password, ['pop3', 'submission']);
    assert.match(dovecot.logs(), /app password refused: user=<alice@example\.com> service=pop3 protocol=pop rip=127\.0\.0\.1 reason=scope_denied/);
    assert.match(dovecot.logs(), /app password refused: user=<alice@example\.com> service=submission protocol=smtp rip=127\.0\.0\.1 reason=scope_denied/);
  });

  test("`doveadm auth test` works as the README says; a service without a scope is refused unasked", async () => {
    const doveadm = async (service, password) => {
      const child = spawn('doveadm', ['-c', join(dovecot.dir, 'dovecot.conf'), 'auth', 'test', '-x', `service=${service}`, alice, password]);
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
      const code = await new Promise((r) => child.once('close', r));
      return { code, out };
    };
    const imap = await doveadm('imap', everywhere.password);
    assert.equal(imap.code, 0, imap.out);
    assert.match(imap.out, /passdb: alice@example\.com auth succeeded/);
    const sieve = await doveadm('sieve', everywhere.password);
    assert.notEqual(sieve.code, 0, sieve.out);
    assert.match(sieve.out, /auth failed/);
    assert.match(dovecot.logs(), /app password refused: service sieve has no scope/);
  });

  test('wrong passwords are refused as an ordinary authentication failure', async () => {
    // Another user than alice: the Worker throttles a user and address after 10 failures a minute.
    const erin = 'erin@example.com';
    assert.equal((await ctx.api.mfa(erin, true, 'Phone')).status, 200);
    for (const wrong of [makeValidPassword(), withTypo(everywhere.password), 'hunter2']) {
      await assertRefusedWith(AUTH_FAILED, dovecot, erin, wrong);
    }
    // alice's password under another user name.
    await assertRefusedWith(AUTH_FAILED, dovecot, 'mallory@example.com', everywhere.password, ['imap']);
  });

  test('a password with quotes, backslashes and non-ASCII letters reaches the Worker as valid JSON', async () => {
    // (Dovecot itself refuses tabs and line breaks in passwords before any passdb runs.)
    const odd = 'quo"te\\back\\"slash ünï';
    await assertRefusedWith(AUTH_FAILED, dovecot, 'frank@example.com', odd, ['pop3']);
    // malformed_password is the Worker's verdict on the password; broken JSON would be invalid_json.
    assert.match(dovecot.logs(), /app password refused: user=<frank@example\.com> service=pop3 protocol=pop rip=127\.0\.0\.1 reason=malformed_password/);
  });

  test('a deleted app password is refused', async () => {
    const created = await ctx.api.create(alice, 'Laptop');
    assert.equal(created.status, 201, created.text);
    await assertLogsIn(dovecot, alice, created.body.password, ['imap']);
    assert.equal((await ctx.api.remove(alice, created.body.id)).status, 204);
    await assertRefusedWith(AUTH_FAILED, dovecot, alice, created.body.password);
  });

  test("the app password of a user whose MFA was turned off is refused", async () => {
    const mfa = await ctx.api.mfa(bob, true, 'Phone');
    assert.equal(mfa.status, 200, mfa.text);
    const bobs = mfa.body.initial_app_password;
    await assertLogsIn(dovecot, bob, bobs.password, ['pop3']);
    assert.equal((await ctx.api.mfa(bob, false)).status, 200);
    await assertRefusedWith(AUTH_FAILED, dovecot, bob, bobs.password);
  });

  test('a key the Worker refuses is a temporary failure, and a new key works without a reload', async () => {
    const useKey = (key) => {
      chmodSync(dovecot.keyFile, 0o600);
      writeFileSync(dovecot.keyFile, `${key}\n`);
      chmodSync(dovecot.keyFile, 0o400);
    };
    useKey('not-a-key');
    await assertRefusedWith(TEMP_FAILED, dovecot, alice, everywhere.password);
    assert.match(dovecot.logs(), /app-passwords Worker failed: user=<alice@example\.com> service=imap protocol=imap rip=127\.0\.0\.1 status=401 Unauthorized error=unauthorized/);
    // A real key without the verify scope.
    const other = await ctx.api.request('POST', '/v1/api-keys', { json: { name: 'provisioning', scopes: ['users'] } });
    assert.equal(other.status, 201, other.text);
    useKey(other.body.key);
    await assertRefusedWith(TEMP_FAILED, dovecot, alice, everywhere.password, ['pop3']);
    assert.match(dovecot.logs(), /app-passwords Worker failed: user=<alice@example\.com> service=pop3 protocol=pop rip=127\.0\.0\.1 status=403 Forbidden error=insufficient_scope/);
    // A new verify key, written in place: the next login uses it.
    const fresh = await ctx.api.request('POST', '/v1/api-keys', { json: { name: 'mail1 (new)', scopes: ['verify'] } });
    assert.equal(fresh.status, 201, fresh.text);
    useKey(fresh.body.key);
    await assertLogsIn(dovecot, alice, everywhere.password, ['imap']);
    useKey(apiKey);
    for (const key of [other.body.key, fresh.body.key]) {
      assert.ok(!dovecot.logs().includes(key), "an API key is in Dovecot's logs");
    }
  });

  test('repeated wrong logins from one address end up throttled; other users are not', async () => {
    const carol = 'carol@example.com';
    const mfa = await ctx.api.mfa(carol, true, 'Phone');
    assert.equal(mfa.status, 200, mfa.text);
    const right = mfa.body.initial_app_password.password;
    // More than the Worker's 10 failures a minute per user and address, all at once.
    const wrong = Array.from({ length: 12 }, () => ({ protocol: 'imap', user: carol, password: makeValidPassword() }));
    for (const result of await login(dovecot, wrong, { parallel: true })) {
      assert.match(result.reply, AUTH_FAILED.imap);
    }
    // Now even the right password is refused, as an ordinary failure, until the minute is over.
    await assertRefusedWith(AUTH_FAILED, dovecot, carol, right);
    assert.match(dovecot.logs(), /app password refused: user=<carol@example\.com> service=imap protocol=imap rip=127\.0\.0\.1 reason=throttled/);
    assert.match(dovecot.logs(), /app password refused: user=<carol@example\.com> service=submission protocol=smtp rip=127\.0\.0\.1 reason=throttled/);
    // The Worker counted the client's address, which Dovecot passed on as remote_ip.
    const audit = ctx.worker.logs().split('\n').filter((l) => l.includes('"audit":"login.throttled"'));
    assert.ok(
      audit.some((l) => l.includes('"user":"carol@example.com"') && l.includes('"remote_ip":"127.0.0.1"')),
      `no login.throttled event for carol from 127.0.0.1 in:\n${audit.join('\n')}`,
    );
    // Another user from the same address still logs in.
    await assertLogsIn(dovecot, alice, everywhere.password);
  });

  test('a Worker that answers 5xx or does not answer within the timeout gives a temporary failure', async () => {
    const broken = await startBrokenWorker();
    const other = await startDovecot({
      verifyUrl: broken.url,
      apiKey,
      failureDelay: 0,
      penalty: false,
      timeoutMs: 1000,
      debug: true,
    });
    try {
      broken.mode = 503;
      await assertRefusedWith(TEMP_FAILED, other, alice, everywhere.password);
      broken.mode = 500;
      await assertRefusedWith(TEMP_FAILED, other, alice, everywhere.password, ['imap']);
      broken.mode = 'hang';
      const started = Date.now();
      await assertRefusedWith(TEMP_FAILED, other, alice, everywhere.password);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 3 * 4000, `three timed-out logins took ${elapsed} ms`);
      assert.ok(broken.requests >= 6, `the stand-in Worker saw ${broken.requests} requests`);
      assert.match(other.logs(), /status=9\d{3} Absolute request timeout expired/);
      // With auth_debug on, Dovecot 2.3's own submission-login logs the AUTH PLAIN line (the
      // password in base64; README: never in production), but the passdb logs no password.
      const authLines = other.logs().split('\n').filter((l) => / auth(-worker\(\d+\))?: /.test(l));
      assert.ok(authLines.some((l) => l.includes('Calling auth_password_verify')), 'auth_debug is on');
      assertNoPasswordIn(authLines.join('\n'), "the auth processes' debug logs");
    } finally {
      await other.stop();
      await broken.close();
    }
  });

  test('with the Worker stopped, every protocol answers with a temporary failure', async () => {
    await ctx.worker.stop();
    await assertRefusedWith(TEMP_FAILED, dovecot, alice, everywhere.password);
    assert.match(dovecot.logs(), /app-passwords Worker failed: .* status=9\d{3} /);
  });

  test("no password appears in Dovecot's logs (auth_verbose on)", () => {
    const logs = dovecot.logs();
    // The capture works: the logins above are there.
    assert.match(logs, /imap-login: Info: Login: user=<alice@example\.com>, method=PLAIN/);
    assert.match(logs, /pop3-login: Info: Login: user=<alice@example\.com>, method=PLAIN/);
    assert.match(logs, /submission-login: Info: Login: user=<alice@example\.com>, method=PLAIN/);
    assert.match(logs, /app password refused: user=<alice@example\.com> service=imap protocol=imap rip=127\.0\.0\.1 reason=unknown_password/);
    assertNoPasswordIn(logs, 'Dovecot');
    assert.ok(!logs.includes(apiKey), "the API key is in Dovecot's logs");
  });
});

/** No recorded password, nor the base64 of an AUTH PLAIN carrying it, occurs in `logs`. */
function assertNoPasswordIn(logs, whose) {
  const secrets = rememberedPasswords();
  assert.ok(secrets.length > 0, 'no password was recorded');
  const leaked = secrets.filter((s) => logs.includes(s));
  for (const s of secrets) {
    for (const user of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'erin@example.com', 'mallory@example.com']) {
      const plain = Buffer.from(`\0${user}\0${s}`).toString('base64');
      if (logs.includes(plain)) leaked.push(`AUTH PLAIN ${plain}`);
    }
  }
  assert.deepEqual(leaked, [], `passwords found in ${whose}'s logs`);
}

testNoPasswordsInLogs();
