// The development sign-in exists only with DEV_SIGN_IN=true; the deployed configuration (wrangler.toml,
// which never sets it) answers 404 and shows no form.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DISPLAY,
  FILE_TIMEOUT,
  launchBrowser,
  newContext,
  rememberPassword,
  screenshots,
  startPageWorker,
} from './browser.mjs';

const shot = screenshots(5);

/** POST /dev/sign-in as the form would, with this worker's own Origin. */
async function devSignIn(worker, user) {
  const res = await fetch(`${worker.url}/dev/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: worker.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user }).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

describe('the development sign-in is off unless DEV_SIGN_IN=true', FILE_TIMEOUT, () => {
  let deployed;
  let dev;
  let browser;

  before(async () => {
    [deployed, dev, browser] = await Promise.all([
      startPageWorker({ devSignIn: false }),
      startPageWorker({ devSignIn: true }),
      launchBrowser(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await Promise.all([deployed?.worker.stop(), dev?.worker.stop()]);
  });

  test('without DEV_SIGN_IN, POST /dev/sign-in from the same origin answers 404 and turns nothing on', async () => {
    const res = await devSignIn(deployed.worker, 'intruder');
    assert.equal(res.status, 404, `${res.status} ${res.text}`);
    assert.equal(res.headers.get('set-cookie'), null, 'a session cookie was set');
    assert.equal(JSON.parse(res.text).error.code, 'not_found_route');
    // MFA was not turned on: the service API still refuses to create for this user.
    const created = await deployed.api.create('intruder', 'Probe');
    assert.equal(created.status, 403, created.text);
    assert.equal(created.body.error.code, 'mfa_required');
  });

  test('without DEV_SIGN_IN, / shows no development sign-in form', async () => {
    const context = await newContext(browser, deployed.worker);
    try {
      const page = await context.newPage();
      const response = await page.goto(`${deployed.worker.url}/`);
      assert.equal(response.status(), 401);
      assert.equal(await page.locator('form[action="/dev/sign-in"], #user').count(), 0, 'the dev form is shown');
      assert.ok(!/development sign-in/i.test(await page.content()), 'the page mentions the development sign-in');
      await shot(page, 'deployed-no-dev-form');
    } finally {
      await context.close();
    }
  });

  test('with DEV_SIGN_IN=true, / shows the form and the same POST signs in with the first app password', async () => {
    const context = await newContext(browser, dev.worker);
    try {
      const page = await context.newPage();
      await page.goto(`${dev.worker.url}/`);
      assert.equal(await page.getByRole('heading', { name: 'Development sign-in' }).count(), 1);
      assert.ok(await page.getByLabel('User id').isVisible(), 'no User id field');
      await shot(page, 'dev-form');
    } finally {
      await context.close();
    }

    const res = await devSignIn(dev.worker, 'carol');
    assert.equal(res.status, 200, `${res.status} ${res.text}`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-ap_session=')) ?? '';
    assert.match(cookie, /^__Host-ap_session=[^;]+;/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /Secure/i);
    assert.match(cookie, /SameSite=Strict/i);
    const first = res.text.match(/id="first-password">([^<]*)</)?.[1];
    rememberPassword(first);
    assert.match(first ?? '', DISPLAY, res.text);
    const verified = await dev.api.verify('carol', first);
    assert.equal(verified.status, 200, verified.text);

    // Registering again issues nothing: straight to the page.
    const again = await devSignIn(dev.worker, 'carol');
    assert.equal(again.status, 303, `${again.status} ${again.text}`);
    assert.equal(new URL(again.headers.get('location')).pathname, '/');
  });
});
