// The limit of 40 in the page: the 41st is refused with a message that says to delete one first.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  closePage,
  DISPLAY,
  FILE_TIMEOUT,
  mapLimit,
  openPage,
  rows,
  screenshots,
  shownPassword,
  signIn,
  testNoPasswordsInLogs,
  turnOnMfa,
  waitForList,
} from './browser.mjs';

const shot = screenshots(2);
const USER = 'limit-user';
const LIMIT = 40;

describe('the limit of 40 app passwords in the page', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage());
    // MFA registration issues the first; 39 more through the service API make 40.
    await turnOnMfa(api, USER, 'Device 01');
    const names = Array.from({ length: LIMIT - 1 }, (_, i) => `Device ${String(i + 2).padStart(2, '0')}`);
    const created = await mapLimit(names, 4, (name) => api.create(USER, name));
    for (const res of created) assert.equal(res.status, 201, `create: ${res.status} ${res.text}`);
  });
  after(() => closePage({ browser, worker }));

  test('with 40 app passwords, creating another in the page shows an alert: the limit is 40, delete one first', async () => {
    await signIn(page, worker, USER);
    assert.equal((await rows(page)).length, LIMIT);
    assert.equal(await page.locator('#count').textContent(), `${LIMIT} of ${LIMIT} app passwords`);
    await shot(page, 'forty-listed');

    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByLabel('Name').fill('One too many');
    await page.getByRole('button', { name: 'Next' }).click();
    const alert = page.locator('#create-error');
    await alert.waitFor({ state: 'visible' });
    assert.equal(await alert.getAttribute('role'), 'alert');
    const message = await alert.textContent();
    assert.match(message, /you already have 40 app passwords/i);
    assert.match(message, /delete one before creating another/i);
    assert.ok(await page.locator('#create-dialog').evaluate((d) => d.open), 'the create dialog closed on the error');
    assert.equal(await page.locator('#result-dialog').evaluate((d) => d.open), false, 'a result was shown');
    await shot(page, 'limit-alert');

    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.reload();
    await waitForList(page);
    assert.equal((await rows(page)).length, LIMIT, 'the refused app password was created anyway');
  });

  test('after deleting one in the page, creating one works again', async () => {
    await page.getByRole('button', { name: 'Delete Device 01' }).click();
    await page.getByRole('button', { name: 'Yes', exact: true }).click();
    await page.locator('#count').filter({ hasText: `${LIMIT - 1} of ${LIMIT}` }).waitFor();

    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByLabel('Name').fill('Replacement');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('#result-dialog').waitFor({ state: 'visible' });
    assert.match(await shownPassword(page.locator('#new-password')), DISPLAY);
    await shot(page, 'created-after-delete');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.locator('#list tbody tr').filter({ hasText: 'Replacement' }).waitFor();
    assert.equal(await page.locator('#count').textContent(), `${LIMIT} of ${LIMIT} app passwords`);
    assertNoPageProblems(context);
  });
});

testNoPasswordsInLogs();
