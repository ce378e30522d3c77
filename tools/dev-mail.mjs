// `make dev-mail`: the Worker as `make dev` runs it, plus Dovecot on loopback wired to it through
// integrations/dovecot/ (IMAP 127.0.0.1:1143, POP3 127.0.0.1:1110, submission 127.0.0.1:1587),
// mailboxes in a temporary folder. Creates a verify-only API key for Dovecot and revokes it on exit.
// Ctrl-C stops everything.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startDovecot } from './dovecot.mjs';

const WORKER = 'http://127.0.0.1:8787';
const PORTS = { imap: 1143, pop3: 1110, submission: 1587 };
const BUILD_TIMEOUT_MS = 15 * 60_000; // wrangler builds the Worker first

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (text) => process.stdout.write(`${text}\n`);

const token = readFileSync('.dev.vars', 'utf8').match(/^API_TOKEN=(.+)$/m)?.[1];
if (!token) throw new Error('.dev.vars has no API_TOKEN (tools/dev-vars writes it)');

const wrangler = spawn(
  'wrangler',
  ['dev', '--local', '--ip', '127.0.0.1', '--port', '8787', '--persist-to', '.wrangler/state',
    '--show-interactive-dev-session=false'],
  { stdio: ['ignore', 'inherit', 'inherit'], detached: true },
);
let dovecot;
let keyId;
let stopping = false;

async function api(method, path, json) {
  const res = await fetch(`${WORKER}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (keyId) await api('DELETE', `/v1/api-keys/${encodeURIComponent(keyId)}`).catch(() => {});
  await dovecot?.stop().catch(() => {});
  try {
    process.kill(-wrangler.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
wrangler.once('exit', (code) => stop(code ?? 1));

async function main() {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      const res = await fetch(`${WORKER}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // still building or starting
    }
    if (Date.now() > deadline) throw new Error('the Worker did not come up');
    await sleep(500);
  }

  // Dovecot's credential: a key that may only call /v1/verify.
  const created = await api('POST', '/v1/api-keys', {
    name: `dovecot (make dev-mail, ${new Date().toISOString()})`,
    scopes: ['verify'],
  });
  if (created.status !== 201) {
    throw new Error(`could not create a verify-only API key: ${created.status} ${JSON.stringify(created.body)}`);
  }
  keyId = created.body.id;

  dovecot = await startDovecot({ verifyUrl: `${WORKER}/v1/verify`, apiKey: created.body.key, ports: PORTS });

  say(`
  Dovecot is running on loopback, checking app passwords with the Worker at ${WORKER}
  (verify-only API key "${created.body.name}", revoked when you stop this with Ctrl-C).

    IMAP        127.0.0.1:${PORTS.imap}   no TLS (plaintext is allowed on loopback)
    POP3        127.0.0.1:${PORTS.pop3}
    SMTP        127.0.0.1:${PORTS.submission}   submission, AUTH PLAIN or LOGIN; sent messages are kept, not delivered
    User name   the user id, e.g. alice@example.com
    Password    an app password of that user

  Get an app password: open ${WORKER}/ and use "Development sign-in" with the user id, or
    curl -s -X PUT ${WORKER}/v1/users/alice%40example.com/mfa -H 'authorization: Bearer ${token}' \\
      -H 'content-type: application/json' -d '{"enabled":true,"initial_name":"Mail client"}'

  Then point a mail client at the ports above (Thunderbird: manual configuration, connection security
  "None", authentication "Normal password"), or try:
    python3 -c "import imaplib; c = imaplib.IMAP4('127.0.0.1', ${PORTS.imap}); print(c.login('alice@example.com', input('app password: ')))"

  Dovecot's log: ${dovecot.dir}/dovecot.log
  Mailboxes:     ${dovecot.dir}/mail/        Sent messages: ${dovecot.dir}/relayed/
`);
}

main().catch((e) => {
  say(`dev-mail: ${e.message ?? e}`);
  return stop(1);
});
