// The page without a (valid) session, and a Worker with no identity provider configured.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  closePage,
  FILE_TIMEOUT,
  openPage,
  screenshots,
  SESSION_COOKIE,
  turnOnMfa,
} from './browser.mjs';

const shot = screenshots(4);
const USER = 'mallory-target';

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

  test('/ without a session cookie gets 401 and a page that says sign-in is not configured here', async () => {
    await context.clearCookies();
    const response = await page.goto(`${worker.url}/`);
    assert.equal(response.status(), 401);
    assert.match(await page.locator('h1').textContent(), /sign in/i);
    assert.match(await page.locator('#not-configured').textContent(), /not configured for sign-in.*OIDC_ISSUER/i);
    assert.equal(await page.locator('#list, #create').count(), 0);
    await shot(page, 'no-cookie');
  });

  test('GET /sign-in without OIDC_ISSUER answers an HTML page that explains it, not a JSON 500', async () => {
    const response = await page.goto(`${worker.url}/sign-in`);
    assert.equal(response.status(), 503);
    assert.match(response.headers()['content-type'], /text\/html/);
    assert.match(await page.locator('h1').textContent(), /not configured/i);
    assert.match(await page.locator('#message').textContent(), /OIDC_ISSUER and OIDC_CLIENT_ID/);
    await shot(page, 'not-configured');
  });

  test('the old ?session= link signs nobody in', async () => {
    await context.clearCookies();
    const response = await page.goto(`${worker.url}/?session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5LXRhcmdldCJ9.x`);
    assert.equal(response.status(), 401);
    assert.deepEqual(await context.cookies(worker.url), [], 'a cookie was set');
    assert.equal(await page.locator('#list, #create').count(), 0);
  });

  test('/ with a forged session cookie (right shape, unknown id) gets 401 and a page that says the session ended', async () => {
    await context.clearCookies();
    const forged = `${Buffer.from(USER).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    await context.addCookies([{ name: SESSION_COOKIE, value: forged, domain: '127.0.0.1', path: '/', secure: true, httpOnly: true, sameSite: 'Strict' }]);
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
