// The self-service page's main path in a real browser: sign in (development form), create "iPhone",
// copy it, verify it, close, reload, delete (Cancel, then Delete), sign out. Sign-in through a real
// identity provider is in 10-oidc-sign-in.test.mjs.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  assertRefused,
  assertVerified,
  closePage,
  DISPLAY,
  FILE_TIMEOUT,
  newContext,
  openPage,
  rows,
  screenshots,
  shownPassword,
  SESSION_COOKIE,
  signIn,
  testNoPasswordsInLogs,
  turnOnMfa,
  waitForList,
} from './browser.mjs';

const shot = screenshots(1);
/** A response's body for a failure message (redirects have none). */
const bodyOf = (response) => response.text().catch(() => '(no body)');
const USER = 'alice@example.com';

describe('signing in and managing app passwords in the page', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;
  /** The "iPhone" app password created through the page: { id, display }. */
  let iphone;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage());
  });
  after(() => closePage({ browser, worker }));

  test('signing in sets an HttpOnly, Secure, SameSite=Strict __Host- session cookie that scripts cannot read', async () => {
    await turnOnMfa(api, USER, 'Work laptop');
    await signIn(page, worker, USER);
    const cookies = await context.cookies(worker.url);
    const session = cookies.find((c) => c.name === SESSION_COOKIE);
    assert.ok(session, `no ${SESSION_COOKIE} cookie: ${JSON.stringify(cookies)}`);
    assert.equal(session.path, '/');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('ap_session')), false, 'script can read the cookie');
    assert.deepEqual((await rows(page)).map((r) => r.name), ['Work laptop']);
    await shot(page, 'signed-in');
  });

  test('Create → name → Next shows the new password once, grouped, and Copy puts exactly it on the clipboard', async () => {
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const createDialog = page.locator('#create-dialog');
    assert.ok(await createDialog.evaluate((d) => d.open), 'the create dialog did not open');
    await page.getByLabel('Name').fill('iPhone');
    await shot(page, 'create-dialog-named');
    await page.getByRole('button', { name: 'Next' }).click();

    const resultDialog = page.locator('#result-dialog');
    await resultDialog.waitFor({ state: 'visible' });
    assert.equal(await createDialog.evaluate((d) => d.open), false, 'the create dialog stayed open');
    const display = await shownPassword(page.locator('#new-password'));
    assert.match(display, DISPLAY);
    assert.match(await resultDialog.textContent(), /It won't be shown again/);
    assert.equal(await page.locator('#result-name').textContent(), 'iPhone');
    const fontSize = await page.locator('#new-password').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    const bodySize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert.ok(fontSize > bodySize, `the password is not large: ${fontSize}px vs body ${bodySize}px`);
    await shot(page, 'password-shown-once');

    await page.getByRole('button', { name: 'Copy' }).click();
    await page.locator('#copy-status').filter({ hasText: 'Copied' }).waitFor();
    await page.bringToFront();
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clipboard, display, 'the clipboard does not hold the shown password');
    await shot(page, 'copied');

    // The list behind the dialog is refreshed after the dialog opens.
    await page.locator('#list tbody tr').filter({ hasText: 'iPhone' }).waitFor();
    const row = (await rows(page)).find((r) => r.name === 'iPhone');
    assert.ok(row, 'the new app password is not listed behind the dialog');
    iphone = { id: row.id, display };
  });

  test('the password copied from the page verifies with POST /v1/verify', async () => {
    assert.ok(iphone, 'no app password was created by the previous test');
    assertVerified(await api.verify(USER, iphone.display), iphone.id, 'iPhone');
  });

  test('after Close and a reload the password is nowhere in the page, and "iPhone" is listed', async () => {
    assert.ok(iphone, 'no app password was created by the previous test');
    const letters = iphone.display.replaceAll('-', '');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.locator('#result-dialog').waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#new-password').textContent(), '', 'Close left the password in the DOM');
    await shot(page, 'closed');

    await page.reload();
    await waitForList(page);
    const html = await page.content();
    assert.ok(!html.includes(iphone.display) && !html.includes(letters), 'the password is still in the page after a reload');
    assert.ok((await rows(page)).some((r) => r.id === iphone.id && r.name === 'iPhone'), 'iPhone is not listed');
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!storage.includes(letters.slice(0, 8)), 'the password is kept in web storage');
    await shot(page, 'reloaded-listed');
  });

  test('Delete → Cancel keeps the app password; Delete → Delete removes it from the list and it stops verifying', async () => {
    assert.ok(iphone, 'no app password was created by the previous test');
    const deleteDialog = page.locator('#delete-dialog');
    const deleteButton = page.getByRole('button', { name: 'Delete iPhone' });

    await deleteButton.click();
    await deleteDialog.waitFor({ state: 'visible' });
    assert.equal(await page.locator('#delete-name').textContent(), 'iPhone');
    await shot(page, 'delete-asked');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await deleteDialog.waitFor({ state: 'hidden' });
    await page.reload();
    await waitForList(page);
    assert.ok((await rows(page)).some((r) => r.id === iphone.id), 'Cancel deleted the app password');
    assertVerified(await api.verify(USER, iphone.display), iphone.id);
    await shot(page, 'delete-no-kept');

    await deleteButton.click();
    await deleteDialog.waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator(`#list tbody tr[data-id="${iphone.id}"]`).waitFor({ state: 'detached' });
    await page.reload();
    await waitForList(page);
    assert.deepEqual((await rows(page)).map((r) => r.name), ['Work laptop']);
    assertRefused(await api.verify(USER, iphone.display), 'unknown_password');
    await shot(page, 'deleted');
    assertNoPageProblems(context);
  });

  test('the development sign-in form turns MFA on, shows the first app password once, and signs in', async () => {
    const devContext = await newContext(browser, worker);
    try {
      const devPage = await devContext.newPage();
      await devPage.goto(`${worker.url}/`);
      await devPage.getByLabel('User id').fill('bob');
      await shot(devPage, 'dev-form-filled');
      const [response] = await Promise.all([
        devPage.waitForResponse((r) => r.url() === `${worker.url}/dev/sign-in` && r.request().method() === 'POST'),
        devPage.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      await devPage.waitForLoadState();
      await shot(devPage, 'dev-signed-in');
      const origin = await response.request().headerValue('origin');
      assert.equal(
        response.status(),
        200,
        `POST /dev/sign-in from the form answered ${response.status()} ${await bodyOf(response)} (the browser sent Origin: ${origin})`,
      );
      const first = await shownPassword(devPage.locator('#first-password'));
      assert.match(first, DISPLAY);
      const verified = await api.verify('bob', first);
      assert.equal(verified.status, 200, verified.text);

      await devPage.getByRole('link', { name: 'Continue' }).click();
      await waitForList(devPage);
      assert.equal(devPage.url(), `${worker.url}/`);
      assert.equal((await rows(devPage)).length, 1, 'the first app password is not listed');
      assert.ok(!(await devPage.content()).includes(first), 'the page shows the first password again');
      await shot(devPage, 'dev-continued');
      assertNoPageProblems(devContext);
    } finally {
      await devContext.close();
    }
  });

  test('Sign out ends the session: the cookie is cleared and / shows the sign-in page', async () => {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${worker.url}/sign-out` && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign out', exact: true }).click(),
    ]);
    await page.waitForLoadState();
    await shot(page, 'signed-out');
    const origin = await response.request().headerValue('origin');
    assert.equal(
      response.status(),
      303,
      `POST /sign-out from the page answered ${response.status()} ${await bodyOf(response)} (the browser sent Origin: ${origin})`,
    );
    assert.equal((await context.cookies(worker.url)).filter((c) => c.name === SESSION_COOKIE).length, 0, 'the session cookie is still there');
    assert.equal(page.url(), `${worker.url}/`);
    assert.match(await page.locator('h1').textContent(), /sign in/i);
    assert.equal(await page.locator('#list').count(), 0);
  });
});

testNoPasswordsInLogs();
