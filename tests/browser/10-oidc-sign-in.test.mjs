// Signing in through a real OpenID Provider (npm oidc-provider on http://localhost, another site than
// the Worker's http://127.0.0.1): MFA registration at the first sign-in, the session cookie, the
// step-up page for a sign-in without MFA, sign-out and sign-out everywhere. The Worker is a public
// client here (PKCE only, as under make dev); 11-oidc-refusals.test.mjs uses a client secret.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  DISPLAY,
  closeWithIdp,
  FILE_TIMEOUT,
  newContext,
  openWithIdp,
  rows,
  screenshots,
  SESSION_COOKIE,
  shownPassword,
  signInWithIdp,
  testNoPasswordsInLogs,
  waitForList,
} from './browser.mjs';

const shot = screenshots(10);
const ALICE = { user: 'alice@example.com', password: 'alice', otp: '123456' };
const CAROL = { user: 'carol@example.com', password: 'carol', otp: '654321' };
const USERS = {
  [ALICE.user]: { password: ALICE.password, otp: ALICE.otp },
  [CAROL.user]: { password: CAROL.password, otp: CAROL.otp },
};

describe('sign-in through the organisation\'s OpenID Provider', FILE_TIMEOUT, () => {
  let idp;
  let worker;
  let api;
  let browser;
  /** Alice's second browser, signed in by the second test: { context, page, cookie }. */
  let second;

  before(async () => {
    ({ idp, worker, api, browser } = await openWithIdp({ users: USERS, publicClient: true }));
  });
  after(() => closeWithIdp({ browser, worker, idp }));

  /** The session cookie of `context`, or undefined. */
  const sessionOf = async (context) => (await context.cookies(worker.url)).find((c) => c.name === SESSION_COOKIE);

  test('the first sign-in with MFA turns MFA on and shows the first app password once, with Copy', async () => {
    const context = await newContext(browser, worker);
    const page = await context.newPage();
    const signedOut = await page.goto(`${worker.url}/`);
    assert.equal(signedOut.status(), 401);
    await shot(page, 'signed-out');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.locator('#login').waitFor();
    assert.ok(page.url().startsWith(`${idp.issuer}/interaction/`), `not at the provider: ${page.url()}`);
    await shot(page, 'provider-login');

    const callback = await signInWithIdp(page, worker, ALICE, { start: null });
    assert.equal(callback.status(), 200, await callback.text());
    // The provider sent the browser back from another site: a real cross-site return.
    assert.equal(await callback.request().headerValue('sec-fetch-site'), 'cross-site');
    const authorize = callback.request().redirectedFrom();
    assert.ok(authorize, 'the callback was not reached by a redirect from the provider');

    const first = await shownPassword(page.locator('#first-password'));
    assert.match(first, DISPLAY);
    assert.match(await page.locator('main').textContent(), /won't be shown again/i);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.locator('#copy-status').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), first);
    await shot(page, 'first-password');
    const listed = await api.list(ALICE.user);
    assert.equal(listed.body.count, 1, listed.text);
    assert.equal((await api.verify(ALICE.user, first)).status, 200);

    const session = await sessionOf(context);
    assert.ok(session, 'no session cookie');
    assert.deepEqual(
      { httpOnly: session.httpOnly, secure: session.secure, sameSite: session.sameSite, path: session.path },
      { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' },
    );
    assert.ok(!(await context.cookies(worker.url)).some((c) => c.name === '__Host-ap_oidc'), 'the transaction cookie was not cleared');

    await page.getByRole('link', { name: 'Continue' }).click();
    await waitForList(page);
    assert.equal((await rows(page)).length, 1);
    assert.ok(!(await page.content()).includes(first), 'the first password is shown again');
    await shot(page, 'list-after-registration');
    assertNoPageProblems(context);
    await context.close();
  });

  test('the second sign-in with MFA issues no password and lands on the list (the Strict cookie is sent)', async () => {
    const context = await newContext(browser, worker);
    const page = await context.newPage();
    const callback = await signInWithIdp(page, worker, ALICE);
    assert.equal(callback.status(), 200);
    await page.waitForURL(`${worker.url}/`);
    await waitForList(page);
    assert.equal((await rows(page)).length, 1, 'a second password was issued or the list is wrong');
    assert.equal((await api.list(ALICE.user)).body.count, 1);
    await shot(page, 'second-sign-in');

    // Why the callback answers a page instead of redirecting: a navigation that comes from another
    // site does not carry the Strict cookie (here a link followed from the provider's origin).
    await page.goto(`${idp.issuer}/.well-known/openid-configuration`);
    const [crossSite] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${worker.url}/`),
      page.evaluate((url) => {
        window.location.href = url;
      }, `${worker.url}/`),
    ]);
    assert.equal(crossSite.status(), 401, 'the Strict session cookie was sent on a cross-site navigation');
    await page.waitForURL(`${worker.url}/`);
    await page.locator('#message').waitFor();
    await page.goto(`${worker.url}/`);
    await waitForList(page);
    second = { context, page, cookie: await sessionOf(context) };
  });

  test('a sign-in without MFA gets the step-up page and no session; its button asks the provider again and MFA then signs in', async () => {
    const context = await newContext(browser, worker);
    const page = await context.newPage();
    const callback = await signInWithIdp(page, worker, { ...CAROL, otp: '' });
    assert.equal(callback.status(), 403);
    assert.match(await page.locator('#message').textContent(), /without multi-factor authentication/i);
    assert.equal(await sessionOf(context), undefined, 'a session was created without MFA');
    assert.equal(await page.evaluate(async () => (await fetch('/v1/me/app-passwords')).status), 401);
    const refused = await api.create(CAROL.user, 'Probe');
    assert.equal(refused.body?.error?.code, 'mfa_required', 'MFA was turned on without MFA');
    await shot(page, 'step-up');

    // The provider still has a session for Carol: only prompt=login makes it ask again.
    const [authorize] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(`${idp.issuer}/auth`)),
      page.getByRole('link', { name: /sign in again with multi-factor/i }).click(),
    ]);
    const params = new URL(authorize.url()).searchParams;
    assert.equal(params.get('prompt'), 'login', authorize.url());
    await page.locator('#login').waitFor();
    await shot(page, 'step-up-provider');
    const again = await signInWithIdp(page, worker, CAROL, { start: null });
    assert.equal(again.status(), 200);
    assert.match(await shownPassword(page.locator('#first-password')), DISPLAY);
    assert.ok(await sessionOf(context), 'no session after the MFA sign-in');
    await context.close();
  });

  test('sign-out ends the session at once: the old cookie gets 401', async () => {
    const { context, page, cookie } = second;
    const header = { cookie: `${cookie.name}=${cookie.value}` };
    assert.equal((await api.request('GET', '/v1/me/app-passwords', { auth: false, headers: header })).status, 200);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${worker.url}/`);
    assert.match(await page.locator('h1').textContent(), /sign in/i);
    assert.equal(await sessionOf(context), undefined);
    const old = await api.request('GET', '/v1/me/app-passwords', { auth: false, headers: header });
    assert.equal(old.status, 401, old.text);
    assert.equal(old.body.error.code, 'session_invalid');
    const page401 = await api.request('GET', '/', { auth: false, headers: header });
    assert.equal(page401.status, 401);
    await shot(page, 'signed-out');
    await context.close();
  });

  test('sign out everywhere ends every session of the user', async () => {
    const contexts = await Promise.all([newContext(browser, worker), newContext(browser, worker)]);
    const pages = [];
    for (const context of contexts) {
      const page = await context.newPage();
      await signInWithIdp(page, worker, ALICE);
      await waitForList(page);
      pages.push(page);
    }
    await pages[0].getByRole('button', { name: 'Sign out everywhere' }).click();
    await pages[0].waitForURL(`${worker.url}/`);
    const response = await pages[1].reload();
    assert.equal(response.status(), 401, 'the other browser is still signed in');
    assert.match(await pages[1].locator('#message').textContent(), /expired or is not valid/i);
    await shot(pages[1], 'other-browser-signed-out');
    await Promise.all(contexts.map((c) => c.close()));
  });
});

testNoPasswordsInLogs();
