// Recent activity in the page: the user's audit events (when, what, which app password, protocol,
// address), newest first, including logins a mail server reported with its verify key.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  assertRefused,
  assertVerified,
  closePage,
  FILE_TIMEOUT,
  openPage,
  screenshots,
  signIn,
  testNoPasswordsInLogs,
  turnOnMfa,
} from './browser.mjs';

const shot = screenshots(8);
const USER = 'activity@example.com';

/** The rows of Recent activity: `[{ event, when, what, appPassword, protocol, address }]`. */
function activity(page) {
  return page.$$eval('#activity tbody tr', (trs) =>
    trs.map((tr) => ({
      event: tr.dataset.event,
      when: tr.cells[0].textContent,
      what: tr.cells[1].textContent,
      appPassword: tr.cells[2].textContent,
      protocol: tr.cells[3].textContent,
      address: tr.cells[4].textContent,
    })),
  );
}

describe('Recent activity in the page', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;
  let first;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage());
  });
  after(() => closePage({ browser, worker }));

  test('a mail server\'s logins (good and bad) show with app password, protocol and address, newest first', async () => {
    first = await turnOnMfa(api, USER, 'iPad Mail');
    const mx = api.withKey((await api.createApiKey('mx1.example.com', ['verify'])).body.key);
    assertVerified(await mx.verify(USER, first.password, 'imap', '203.0.113.5'), first.id);
    assertRefused(await mx.verify(USER, 'wrong-password', 'smtp', '2001:db8::7'), 'malformed_password');
    // Logins are kept by the user's object after the response.
    for (let i = 0; i < 40; i++) {
      const events = (await api.events(USER)).body.events;
      if (events.some((e) => e.event === 'login.failed') && events.some((e) => e.event === 'login.succeeded')) break;
      await new Promise((r) => setTimeout(r, 250));
    }

    await signIn(page, worker, USER);
    await page.waitForSelector('#activity tbody tr');
    await page.getByRole('heading', { name: 'Recent activity' }).scrollIntoViewIfNeeded();
    const shown = await activity(page);
    assert.deepEqual(shown.map((r) => r.event), ['login.failed', 'login.succeeded', 'app_password.created', 'mfa.enabled']);
    const [failed, succeeded, created] = shown;
    assert.match(failed.what, /^Sign-in failed: not an app password/);
    assert.equal(failed.protocol, 'SMTP');
    assert.equal(failed.address, '2001:db8::7');
    assert.equal(succeeded.what, 'Signed in');
    assert.equal(succeeded.appPassword, 'iPad Mail');
    assert.equal(succeeded.protocol, 'IMAP');
    assert.equal(succeeded.address, '203.0.113.5');
    assert.equal(created.what, 'App password created');
    assert.equal(created.appPassword, 'iPad Mail');
    for (const row of shown) assert.ok(row.when.length > 0 && row.when !== 'Never', JSON.stringify(row));
    await shot(page, 'recent-activity');
  });

  test('creating and deleting in the page adds rows at the top', async () => {
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByLabel('Name').fill('Watch');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Close' }).click();
    await page.waitForFunction(() => document.querySelector('#activity tbody tr')?.cells[2].textContent === 'Watch');
    await page.getByRole('button', { name: 'Delete Watch' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('#activity tbody tr')?.dataset.event === 'app_password.deleted');
    const shown = await activity(page);
    assert.deepEqual(shown.slice(0, 2).map((r) => [r.event, r.appPassword]), [
      ['app_password.deleted', 'Watch'],
      ['app_password.created', 'Watch'],
    ]);
    assert.match(await page.locator('#activity').textContent(), /App password deleted/);
    await shot(page, 'after-create-and-delete');
    assertNoPageProblems(context);
  });
});

testNoPasswordsInLogs();
