// The limit of 40 in the page: at 40 Create is disabled and the limit explained up front; a page
// loaded before another device took the 40th gets an alert that says to delete one first.

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
    // MFA registration issues the first; 38 more through the service API make 39.
    await turnOnMfa(api, USER, 'Device 01');
    const names = Array.from({ length: LIMIT - 2 }, (_, i) => `Device ${String(i + 2).padStart(2, '0')}`);
    const created = await mapLimit(names, 4, (name) => api.create(USER, name));
    for (const res of created) assert.equal(res.status, 201, `create: ${res.status} ${res.text}`);
  });
  after(() => closePage({ browser, worker }));

  test('a page loaded at 39 whose 40th was created elsewhere shows an alert: the limit is 40, delete one first', async () => {
    await signIn(page, worker, USER);
    assert.equal((await rows(page)).length, LIMIT - 1);
    assert.equal(await page.locator('#create').isEnabled(), true, 'Create is disabled at 39');
    const fortieth = await api.create(USER, 'Device 40');
    assert.equal(fortieth.status, 201, fortieth.text);

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
    await page.locator('#count').filter({ hasText: `${LIMIT} of ${LIMIT}` }).waitFor();
    assert.equal(await page.locator('#create').isDisabled(), true, 'Create stays enabled at the limit');
    await page.reload();
    await waitForList(page);
    assert.equal((await rows(page)).length, LIMIT, 'the refused app password was created anyway');
  });

  test('with 40 app passwords Create is disabled and the limit is explained before anything is typed', async () => {
    assert.equal(await page.locator('#count').textContent(), `${LIMIT} of ${LIMIT} app passwords`);
    const create = page.getByRole('button', { name: 'Create', exact: true });
    assert.equal(await create.isDisabled(), true, 'Create is enabled at the limit');
    const note = page.locator('#create-note');
    assert.equal(await note.isVisible(), true, 'the limit is not explained');
    assert.match(await note.textContent(), /40 app passwords, the most allowed\. Delete one/);
    assert.equal(await create.getAttribute('aria-describedby'), 'create-note', 'the explanation is not tied to Create');
    await shot(page, 'limit-reached');
  });

  test('after deleting one in the page, creating one works again', async () => {
    await page.getByRole('button', { name: 'Delete Device 01' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('#count').filter({ hasText: `${LIMIT - 1} of ${LIMIT}` }).waitFor();
    assert.equal(await page.locator('#create').isEnabled(), true, 'Create stays disabled below the limit');
    assert.equal(await page.locator('#create-note').isHidden(), true, 'the limit note stays below the limit');

    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByLabel('Name').fill('Replacement');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('#result-dialog').waitFor({ state: 'visible' });
    assert.match(await shownPassword(page.locator('#new-password')), DISPLAY);
    await shot(page, 'created-after-delete');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.locator('#list tbody tr').filter({ hasText: 'Replacement' }).waitFor();
    assert.equal(await page.locator('#count').textContent(), `${LIMIT} of ${LIMIT} app passwords`);
    assert.equal(await page.locator('#create').isDisabled(), true, 'Create is enabled at the limit again');
    assertNoPageProblems(context);
  });
});

testNoPasswordsInLogs();
