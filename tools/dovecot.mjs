// Runs Debian's Dovecot 2.3 on loopback with the app-passwords passdb of integrations/dovecot/,
// for the mail tests (tests/mail/) and `make dev-mail`. Everything lives in one temporary folder:
// configuration, sockets, state, logs, mailboxes, the API key file, and the messages submitted
// (relayed/, kept by a minimal SMTP relay here). Node built-ins only.
//
// The passdb is wired exactly as README.md tells an administrator: the Lua file and
// auth-app-passwords.conf.ext are copied from integrations/dovecot/ with only their /etc/dovecot
// paths and the example URL replaced.

import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { freePort, watch } from './local-servers.mjs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INTEGRATION = join(REPO, 'integrations', 'dovecot');
const DOVECOT = '/usr/sbin/dovecot';
const EXAMPLE_URL = 'https://app-passwords.example.com/v1/verify';
const READY_TIMEOUT_MS = 20_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function accepts(port) {
  return new Promise((r) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      r(true);
    });
    socket.once('error', () => r(false));
  });
}

/**
 * The smallest SMTP server Dovecot's submission service can relay to: it accepts every message and
 * writes it to `dir` as N.eml (Dovecot connects to its relay as soon as a client has logged in).
 */
async function startRelay(dir) {
  mkdirSync(dir);
  let count = 0;
  const server = createServer((socket) => {
    socket.setEncoding('latin1');
    let buffer = '';
    let data = null;
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 localhost relay of tools/dovecot.mjs');
    socket.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data !== null) {
          if (line === '.') {
            writeFileSync(join(dir, `${++count}.eml`), data, 'latin1');
            data = null;
            reply('250 2.0.0 kept');
          } else {
            data += `${line.startsWith('..') ? line.slice(1) : line}\r\n`;
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-localhost\r\n250-8BITMIME\r\n250 PIPELINING');
        else if (verb === 'DATA') {
          data = '';
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 bye');
          socket.end();
        } else reply('250 2.0.0 ok');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/** uid and gid of a user in /etc/passwd. */
function passwdEntry(name) {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`no user ${name} in /etc/passwd`);
}

/**
 * Who runs what. As root (as `make test` does, having installed Dovecot with apt), Dovecot runs as
 * in production: its own `dovecot`/`dovenull` users, the auth-worker as root, mail as `nobody`.
 * Otherwise everything runs as the current user, without chroots.
 */
function identities() {
  if (process.getuid() === 0) {
    return { root: true, mail: passwdEntry('nobody') };
  }
  const gid = process.getgid();
  const group = readFileSync('/etc/group', 'utf8').split('\n').map((l) => l.split(':')).find((f) => Number(f[2]) === gid)?.[0];
  return { root: false, mail: { uid: process.getuid(), gid }, user: userInfo().username, group: group ?? String(gid) };
}

/** integrations/dovecot/auth-app-passwords.conf.ext with the paths of `dir` and the given URL. */
function passdbSnippet(dir, url, timeoutMs) {
  let text = readFileSync(join(INTEGRATION, 'auth-app-passwords.conf.ext'), 'utf8');
  for (const needle of [EXAMPLE_URL, '/etc/dovecot/', 'APP_PASSWORDS_TIMEOUT_MS=5000']) {
    if (!text.includes(needle)) throw new Error(`auth-app-passwords.conf.ext no longer contains ${needle}`);
  }
  text = text.replaceAll(EXAMPLE_URL, url).replaceAll('/etc/dovecot/', `${dir}/`);
  return text.replace('APP_PASSWORDS_TIMEOUT_MS=5000', `APP_PASSWORDS_TIMEOUT_MS=${timeoutMs}`);
}

/** A login service listening on 127.0.0.1:`port` only (its TLS-only listener, if any, off). */
function loginService(protocol, port, root) {
  const tls = { imap: 'imaps', pop3: 'pop3s' }[protocol];
  return `service ${protocol}-login {
  inet_listener ${protocol} {
    address = 127.0.0.1
    port = ${port}
  }${tls ? `
  inet_listener ${tls} {
    port = 0
  }` : ''}${root ? '' : `
  chroot =`}
}
`;
}

function dovecotConf({ dir, ports, relayPort, ids, failureDelay, debug, penalty }) {
  const { uid, gid } = ids.mail;
  // Without root, everything runs as the current user and nothing can chroot.
  const unprivileged = ids.root
    ? ''
    : `default_internal_user = ${ids.user}
default_internal_group = ${ids.group}
default_login_user = ${ids.user}
service auth-worker {
  user = ${ids.user}
}
`;
  const anvil = [
    ids.root ? '' : '  chroot =\n',
    // Tests fail many logins from one address: no growing delay (Dovecot's auth penalty) there.
    penalty ? '' : '  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n',
  ].join('');
  return `# Written by tools/dovecot.mjs for a local run; not an example to copy (see integrations/dovecot/).
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = app-passwords-${ports.imap}
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
debug_log_path = ${dir}/dovecot.log
auth_verbose = yes
auth_debug = ${debug ? 'yes' : 'no'}
auth_failure_delay = ${failureDelay}
listen = 127.0.0.1
protocols = imap pop3 submission
ssl = no
# Loopback counts as secure for plaintext logins in Dovecot; say it anyway.
disable_plaintext_auth = no
auth_mechanisms = plain login
hostname = localhost
submission_relay_host = 127.0.0.1
submission_relay_port = ${relayPort}
first_valid_uid = ${uid}
first_valid_gid = ${gid}
mail_location = maildir:${dir}/mail/%n
${unprivileged}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%n
}

${Object.entries(ports).map(([protocol, port]) => loginService(protocol, port, ids.root)).join('')}${anvil ? `service anvil {
${anvil}}
` : ''}service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}

!include ${dir}/auth-app-passwords.conf.ext
`;
}

/**
 * Starts Dovecot with the app-passwords passdb pointed at `verifyUrl`, authenticating with `apiKey`.
 *
 * `ports`: `{ imap, pop3, submission }`, or free ones when omitted. `failureDelay`: Dovecot's
 * `auth_failure_delay` (tests use 0). `penalty: false` turns off Dovecot's growing per-address delay
 * after failed logins. `debug`: `auth_debug = yes` (the chattiest logs, to show they hold no
 * password). Returns `{ dir, ports, keyFile, logs(), stop() }`.
 */
export async function startDovecot(options) {
  // Free ports may be taken by someone else before Dovecot binds them: then try others.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (attempt >= 3 || !e.portClash || options.ports) throw e;
    }
  }
}

async function startOnce({ verifyUrl, apiKey, ports, failureDelay = '2 secs', debug = false, penalty = true, timeoutMs = 5000 }) {
  const ids = identities();
  const dir = mkdtempSync(join(tmpdir(), 'ap-dovecot-'));
  // Dovecot's own users must reach the sockets below it.
  chmodSync(dir, 0o755);
  const chosen = ports ?? { imap: await freePort(), pop3: await freePort(), submission: await freePort() };

  copyFileSync(join(INTEGRATION, 'app-passwords.lua'), join(dir, 'app-passwords.lua'));
  chmodSync(join(dir, 'app-passwords.lua'), 0o644);
  const keyFile = join(dir, 'app-passwords.key');
  writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o400 });
  writeFileSync(join(dir, 'auth-app-passwords.conf.ext'), passdbSnippet(dir, verifyUrl, timeoutMs));
  mkdirSync(join(dir, 'mail'));
  if (ids.root) chownSync(join(dir, 'mail'), ids.mail.uid, ids.mail.gid);
  const relay = await startRelay(join(dir, 'relayed'));
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(conf, dovecotConf({ dir, ports: chosen, relayPort: relay.port, ids, failureDelay, debug, penalty }));

  const logFile = join(dir, 'dovecot.log');
  const logs = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { output, exited, exit } = watch(child, 'dovecot');
  const stop = async ({ keep = false } = {}) => {
    if (!exited()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    await relay.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited()) {
      const text = `${output()}${logs()}`;
      await stop();
      const e = new Error(`dovecot exited before it listened:\n${text}`);
      e.portClash = /Address already in use/i.test(text);
      throw e;
    }
    const up = await Promise.all(Object.values(chosen).map(accepts));
    if (up.every(Boolean)) break;
    if (Date.now() > deadline) {
      const text = `${output()}${logs()}`;
      await stop();
      throw new Error(`dovecot did not listen on ${JSON.stringify(chosen)} within ${READY_TIMEOUT_MS} ms:\n${text}`);
    }
    await sleep(100);
  }
  return { dir, ports: chosen, keyFile, logs: () => `${output()}${logs()}`, stop };
}
