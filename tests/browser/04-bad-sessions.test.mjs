// Sign-in links that must not sign anybody in, and the page without a session.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  closePage,
  FILE_TIMEOUT,
  openPage,
  screenshots,
  sessionToken,
  turnOnMfa,
} from './browser.mjs';

const shot = screenshots(4);
const USER = 'mallory-target';
const now = () => Math.floor(Date.now() / 1000);

describe('bad sessions get a clear page, never the app passwords', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage({ devSignIn: false }));
    await turnOnMfa(api, USER, 'Target phone');
  });
  after(() => closePage({ browser, worker }));

  /** Opens `/?session=<token>`; asserts 401, the message, no cookie, and no list. */
  async function refused(token, message, step) {
    await context.clearCookies();
    const response = await page.goto(`${worker.url}/?session=${token}`);
    assert.equal(response.status(), 401, `answered ${response.status()}`);
    assert.equal(response.request().redirectedFrom(), null, 'a bad token was redirected');
    const text = await page.locator('#message').textContent();
    assert.match(text, message);
    assert.equal(await page.locator('#message').getAttribute('role'), 'alert');
    assert.match(await page.locator('h1').textContent(), /sign-in failed/i);
    assert.deepEqual(await context.cookies(worker.url), [], 'a cookie was set for a bad token');
    assert.equal(await page.locator('#list, #create').count(), 0, 'the app password page is shown');
    assert.ok(!(await page.content()).includes('Target phone'));
    await shot(page, step);
  }

  test('an expired sign-in token gets 401 and a page that says it expired', async () => {
    const token = sessionToken(worker.vars.SESSION_SECRET, { sub: USER, exp: now() - 60 });
    await refused(token, /expired/i, 'expired-token');
  });

  test('a token with a wrong signature gets 401 and a page that says the link is not valid', async () => {
    const token = sessionToken(`${worker.vars.SESSION_SECRET}-not-the-key`, { sub: USER });
    await refused(token, /not valid/i, 'wrong-signature');
  });

  test('a token without "mfa" in amr gets 401 and a page that asks for multi-factor sign-in', async () => {
    const token = sessionToken(worker.vars.SESSION_SECRET, { sub: USER, amr: ['pwd'] });
    await refused(token, /multi-factor/i, 'no-mfa');
  });

  test('/ without a session cookie gets 401 and the sign-in page', async () => {
    await context.clearCookies();
    const response = await page.goto(`${worker.url}/`);
    assert.equal(response.status(), 401);
    assert.match(await page.locator('h1').textContent(), /sign in/i);
    assert.match(await page.locator('#message').textContent(), /sign in/i);
    assert.equal(await page.locator('#list, #create').count(), 0);
    await shot(page, 'no-cookie');
  });

  test('/ with a forged session cookie gets 401 and a page that says the session ended', async () => {
    await context.clearCookies();
    const forged = sessionToken('some other key, long enough', { sub: USER });
    await context.addCookies([{ name: 'ap_session', value: forged, url: worker.url }]);
    const response = await page.goto(`${worker.url}/`);
    assert.equal(response.status(), 401);
    assert.match(await page.locator('#message').textContent(), /expired or is not valid/i);
    assert.equal(await page.locator('#list, #create').count(), 0);
    const api = await page.evaluate(async () => (await fetch('/v1/me/app-passwords')).status);
    assert.equal(api, 401, 'GET /v1/me/app-passwords accepted a forged cookie');
    await shot(page, 'forged-cookie');
    assertNoPageProblems(context);
  });
});
