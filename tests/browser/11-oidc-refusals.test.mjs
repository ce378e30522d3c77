// Sign-ins the Worker must refuse (tampered state, replayed code, wrong nonce, wrong audience,
// expired ID token, forged signature), a signing key rotated at the provider, and session lifetimes (idle, absolute).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  closeWithIdp,
  FILE_TIMEOUT,
  fillIdpForm,
  newContext,
  openWithIdp,
  screenshots,
  SESSION_COOKIE,
  sessionCookie,
  signInWithIdp,
  startPageWorker,
  turnOnMfa,
  waitForList,
} from './browser.mjs';
import { sleep } from '../worker/harness.mjs';

const shot = screenshots(11);
const ALICE = { user: 'alice@example.com', password: 'alice', otp: '123456' };
const now = () => Math.floor(Date.now() / 1000);

describe('sign-ins the Worker refuses, and key rotation', FILE_TIMEOUT, () => {
  let idp;
  let worker;
  let api;
  let browser;
  let context;
  let page;

  before(async () => {
    ({ idp, worker, api, browser } = await openWithIdp());
    // Registered already: every good sign-in goes straight to the list.
    await turnOnMfa(api, ALICE.user, 'Laptop');
  });
  after(() => closeWithIdp({ browser, worker, idp }));

  const fresh = async () => {
    await context?.close();
    context = await newContext(browser, worker);
    page = await context.newPage();
  };
  const sessionOf = async () => (await context.cookies(worker.url)).find((c) => c.name === SESSION_COOKIE);

  /** Asserts the callback's refusal page: 400, the error code, no session, transaction cleared. */
  async function assertRefused(response, code, step) {
    assert.equal(response.status(), 400, `expected a refusal (${code}), got ${response.status()}`);
    assert.equal(await page.locator('#message').getAttribute('data-code'), code);
    assert.equal(await sessionOf(), undefined, 'a session cookie was set');
    assert.ok(!(await context.cookies(worker.url)).some((c) => c.name === '__Host-ap_oidc'), 'the transaction cookie stayed');
    assert.equal(await page.evaluate(async () => (await fetch('/v1/me/app-passwords')).status), 401);
    await shot(page, step);
  }

  /** Signs in at the provider, which holds the redirect: returns the callback URL, code unused. */
  async function callbackUrl() {
    idp.hold = true;
    try {
      await page.goto(`${worker.url}/sign-in`);
      await fillIdpForm(page, ALICE);
      await page.locator('#held').waitFor();
    } finally {
      idp.hold = false;
    }
    assert.ok(idp.held?.startsWith(`${worker.url}/oidc/callback?`), `held: ${idp.held}`);
    return idp.held;
  }

  test('a good sign-in works, and a second one reuses the cached discovery document and JWKS', async () => {
    await fresh();
    const before = { ...idp.requests };
    assert.equal((await signInWithIdp(page, worker, ALICE)).status(), 200);
    await page.waitForURL(`${worker.url}/`);
    await waitForList(page);
    await fresh();
    assert.equal((await signInWithIdp(page, worker, ALICE)).status(), 200);
    const discovery = '/.well-known/openid-configuration';
    assert.ok((idp.requests['/jwks'] ?? 0) - (before['/jwks'] ?? 0) <= 1, `JWKS fetched ${idp.requests['/jwks']} times`);
    assert.ok((idp.requests[discovery] ?? 0) <= 1, `discovery fetched ${idp.requests[discovery]} times`);
  });

  test('a tampered state is refused before any code exchange', async () => {
    await fresh();
    const url = new URL(await callbackUrl());
    url.searchParams.set('state', `${url.searchParams.get('state')}x`);
    const tokens = idp.requests['/token'] ?? 0;
    await assertRefused(await page.goto(url.href), 'state_mismatch', 'tampered-state');
    assert.equal(idp.requests['/token'] ?? 0, tokens, 'the code was exchanged for a tampered state');
  });

  test('a replayed code is refused by the provider, and the Worker creates no session', async () => {
    await fresh();
    const url = await callbackUrl();
    const transaction = (await context.cookies(worker.url)).find((c) => c.name === '__Host-ap_oidc');
    assert.ok(transaction, 'no transaction cookie');
    const first = await page.goto(url);
    assert.equal(first?.status(), 200, 'the first use of the code failed');
    await page.waitForURL(`${worker.url}/`);
    await waitForList(page);
    await context.clearCookies();
    // Replay with everything the browser had: the same code, state and transaction cookie.
    await context.addCookies([transaction]);
    await assertRefused(await page.goto(url), 'code_rejected', 'replayed-code');
  });

  for (const [name, code, tamper] of [
    ['a wrong nonce', 'nonce_mismatch', (c) => ({ ...c, nonce: 'another-sign-in' })],
    ['a wrong audience', 'wrong_audience', (c) => ({ ...c, aud: 'another-client' })],
    ['an expired ID token', 'id_token_expired', (c) => ({ ...c, iat: now() - 7200, exp: now() - 3600 })],
    ['another issuer', 'wrong_issuer', (c) => ({ ...c, iss: 'https://evil.example' })],
  ]) {
    test(`an ID token with ${name} (re-signed with the provider's key) is refused`, async () => {
      await fresh();
      idp.tamper = tamper;
      try {
        await assertRefused(await signInWithIdp(page, worker, ALICE), code, code);
      } finally {
        idp.tamper = null;
      }
    });
  }

  test('an ID token signed with a key the provider does not publish (under its kid) is refused', async () => {
    await fresh();
    idp.tamper = (c) => c;
    idp.forge = true;
    try {
      await assertRefused(await signInWithIdp(page, worker, ALICE), 'bad_signature', 'bad-signature');
    } finally {
      idp.tamper = null;
      idp.forge = false;
    }
  });

  test('a signing key rotated at the provider (new kid, ES256) is fetched once and accepted', async () => {
    await fresh();
    const jwks = idp.requests['/jwks'] ?? 0;
    await idp.rotate();
    assert.equal((await signInWithIdp(page, worker, ALICE)).status(), 200);
    await page.waitForURL(`${worker.url}/`);
    await waitForList(page);
    assert.equal(idp.requests['/jwks'], jwks + 1, 'the JWKS was not refetched exactly once');
    await shot(page, 'rotated-key');
    await context.close();
  });
});

describe('session lifetimes (SESSION_IDLE_SECS=5, SESSION_MAX_SECS=8)', FILE_TIMEOUT, () => {
  let worker;
  let api;
  before(async () => {
    ({ worker, api } = await startPageWorker({ vars: { SESSION_IDLE_SECS: '5', SESSION_MAX_SECS: '8' } }));
    await turnOnMfa(api, 'timed', 'Phone');
  });
  after(() => worker?.stop());

  const me = (cookie) => api.request('GET', '/v1/me/app-passwords', { auth: false, headers: { cookie } });

  test('a session unused for longer than the idle time ends', async () => {
    const cookie = await sessionCookie(worker, 'timed');
    assert.equal((await me(cookie)).status, 200);
    await sleep(6_500);
    const res = await me(cookie);
    assert.equal(res.status, 401, res.text);
    assert.equal(res.body.error.code, 'session_expired');
  });

  test('a session in use ends at the absolute lifetime', async () => {
    const started = Date.now();
    const cookie = await sessionCookie(worker, 'timed');
    // Used every 2 s, so never idle for 5 s: what ends it is the absolute lifetime.
    while (Date.now() - started < 5_000) {
      await sleep(2_000);
      assert.equal((await me(cookie)).status, 200, `refused after ${Date.now() - started} ms`);
    }
    await sleep(Math.max(0, 8_800 - (Date.now() - started)));
    const res = await me(cookie);
    assert.equal(res.status, 401, res.text);
    assert.equal(res.body.error.code, 'session_expired');
  });
});
