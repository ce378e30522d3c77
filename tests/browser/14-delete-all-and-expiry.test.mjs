// Delete all (with a confirmation naming the count) and the Expires column, in the page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  assertRefused,
  assertVerified,
  closePage,
  FILE_TIMEOUT,
  openPage,
  rows,
  screenshots,
  signIn,
  turnOnMfa,
} from './browser.mjs';

const shot = screenshots(14);
const USER = 'delete-all-user';

describe('Delete all and expiry in the page', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;
  let passwords;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage());
    const first = await turnOnMfa(api, USER, 'Laptop');
    const week = await api.request('POST', `/v1/users/${USER}/app-passwords`, {
      json: { name: 'Week', expires_in_days: 7 },
    });
    assert.equal(week.status, 201, week.text);
    const phone = (await api.create(USER, 'Phone')).body;
    passwords = [first, week.body, phone];
  });
  after(() => closePage({ browser, worker }));

  test('the list shows when each app password expires', async () => {
    await signIn(page, worker, USER);
    assert.deepEqual((await rows(page)).map((r) => r.name), ['Laptop', 'Week', 'Phone']);
    const expires = await page.$$eval('#list tbody tr td[data-label="Expires"]', (tds) => tds.map((td) => td.textContent));
    assert.equal(expires[0], 'Never');
    assert.notEqual(expires[1], 'Never');
    const shown = await page.evaluate((s) => new Date(s * 1000).toLocaleString(), passwords[1].expires_at);
    assert.equal(expires[1], shown);
    assert.equal(expires[2], 'Never');
    await shot(page, 'expires-column');
  });

  test('an app password past its end is shown as Expired', async () => {
    // No clock to move in workerd: the list the server sends is changed on its way to the page,
    // as the server marks an entry whose time is up (tests/lifecycle.rs checks that rule).
    await page.route('**/v1/me/app-passwords', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      body.app_passwords[1].expired = true;
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await page.locator('td[data-label="Expires"]', { hasText: 'Expired' }).waitFor();
    const expires = await page.$$eval('#list tbody tr td[data-label="Expires"]', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(expires.map((t) => t === 'Expired'), [false, true, false]);
    await shot(page, 'expired');
    await page.unroute('**/v1/me/app-passwords');
    await page.reload();
    await page.locator('#count').filter({ hasText: '3 of' }).waitFor();
  });

  test('Delete all asks first, naming the count; No keeps everything', async () => {
    await page.getByRole('button', { name: 'Delete all' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete all app passwords?' });
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /All 3 of your app passwords will be deleted/);
    await shot(page, 'confirm');
    await dialog.getByRole('button', { name: 'No' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await rows(page)).length, 3);
    assertVerified(await api.verify(USER, passwords[2].password), passwords[2].id);
  });

  test('Yes deletes every app password: the list empties and none verifies', async () => {
    await page.getByRole('button', { name: 'Delete all' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete all app passwords?' });
    await dialog.getByRole('button', { name: 'Yes' }).click();
    await page.locator('#status').filter({ hasText: 'Deleted 3 app passwords.' }).waitFor();
    await page.locator('#empty').waitFor();
    assert.equal((await rows(page)).length, 0);
    assert.equal(await page.getByRole('button', { name: 'Delete all' }).isHidden(), true);
    await shot(page, 'all-deleted');
    for (const p of passwords) assertRefused(await api.verify(USER, p.password), 'unknown_password');
    assert.equal((await api.list(USER)).body.count, 0);
    assertNoPageProblems(context);
  });
});
