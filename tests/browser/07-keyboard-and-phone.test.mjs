// The page without a mouse (Tab / Enter only) and at phone width.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DISPLAY,
  FILE_TIMEOUT,
  assertNoPageProblems,
  assertVerified,
  launchBrowser,
  newContext,
  rows,
  screenshots,
  shownPassword,
  signIn,
  startPageWorker,
  testNoPasswordsInLogs,
  turnOnMfa,
} from './browser.mjs';

const shot = screenshots(7);
const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '');

/**
 * Presses Tab (or Shift+Tab) until the focused element has the id `target` (or, for
 * `{ label }`, that aria-label); fails after `max` presses, listing where the focus went.
 */
async function tabTo(page, target, { max = 15, shift = false } = {}) {
  const want = typeof target === 'string' ? { id: target } : target;
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
    const now = await page.evaluate(() => {
      const e = document.activeElement;
      return { id: e?.id ?? '', label: e?.getAttribute('aria-label') ?? '', text: e?.textContent?.trim() ?? '' };
    });
    seen.push(now.id ? `#${now.id}` : now.label || now.text || '(body)');
    if (want.id !== undefined ? now.id === want.id : now.label === want.label) return;
  }
  assert.fail(`${JSON.stringify(want)} never got the focus; ${shift ? 'Shift+Tab' : 'Tab'} went through: ${seen.join(' → ')}`);
}

/** Horizontal overflow of the page: scrollWidth and innerWidth. */
const widths = (page) =>
  page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth }));

describe('keyboard only, and phone width', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;

  before(async () => {
    [{ worker, api }, browser] = await Promise.all([startPageWorker(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
  });

  test('with Tab and Enter only: Create → name → Next shows the password, Close returns the focus to Create', async () => {
    const user = 'keyboard-user';
    await turnOnMfa(api, user, 'Desk phone');
    const context = await newContext(browser, worker);
    try {
      const page = await context.newPage();
      await signIn(page, worker, user);

      await tabTo(page, 'create');
      await shot(page, 'keyboard-create-focused');
      await page.keyboard.press('Enter');
      await page.locator('#create-dialog').waitFor({ state: 'visible' });
      assert.equal(await focusedId(page), 'name', 'the Name field does not have the focus in the dialog');
      await page.keyboard.type('Keyboard laptop');
      await shot(page, 'keyboard-named');
      await page.keyboard.press('Enter');

      await page.locator('#result-dialog').waitFor({ state: 'visible' });
      const display = await shownPassword(page.locator('#new-password'));
      assert.match(display, DISPLAY);
      assert.equal(await focusedId(page), 'copy', 'Copy does not have the focus in the result dialog');
      await page.keyboard.press('Enter');
      await page.locator('#copy-status').filter({ hasText: 'Copied' }).waitFor();
      await shot(page, 'keyboard-password-copied');
      await tabTo(page, 'close', { max: 3 });
      await page.keyboard.press('Enter');
      await page.locator('#result-dialog').waitFor({ state: 'hidden' });
      assert.equal(await focusedId(page), 'create', 'the focus did not return to Create');
      assert.equal(await page.locator('#new-password').textContent(), '');
      await page.locator('#list tbody tr').filter({ hasText: 'Keyboard laptop' }).waitFor();
      const row = (await rows(page)).find((r) => r.name === 'Keyboard laptop');
      assert.ok(row, 'the new app password is not listed');
      assertVerified(await api.verify(user, display), row.id, 'Keyboard laptop');
      await shot(page, 'keyboard-closed');

      // Delete by keyboard: the dialog starts on Cancel (the safe answer); Shift+Tab to Delete.
      await tabTo(page, { label: 'Delete Desk phone' });
      await page.keyboard.press('Enter');
      await page.locator('#delete-dialog').waitFor({ state: 'visible' });
      assert.equal(await focusedId(page), 'delete-no', 'Cancel does not have the focus in the delete dialog');
      await tabTo(page, 'delete-yes', { max: 2, shift: true });
      await page.keyboard.press('Enter');
      await page.locator('#delete-dialog').waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: 'Delete Desk phone' }).waitFor({ state: 'detached' });
      assert.deepEqual((await rows(page)).map((r) => r.name), ['Keyboard laptop']);
      await shot(page, 'keyboard-deleted');
      assertNoPageProblems(context);
    } finally {
      await context.close();
    }
  });

  test('at 375×740 the Create button and the list are visible without horizontal scrolling', async () => {
    const user = 'phone-user';
    await turnOnMfa(api, user, 'iPhone Mail');
    for (const name of ['Thunderbird on the family laptop', 'Outlook 2016', 'iPad']) {
      const res = await api.create(user, name);
      assert.equal(res.status, 201, res.text);
    }
    const context = await newContext(browser, worker, PHONE);
    try {
      const page = await context.newPage();
      await signIn(page, worker, user);
      const inner = await page.evaluate(() => window.innerWidth);
      assert.equal(inner, 375);

      for (const selector of ['#create', '#list']) {
        const box = await page.locator(selector).boundingBox();
        assert.ok(box && box.width > 0 && box.height > 0, `${selector} is not visible`);
        assert.ok(box.x >= 0 && box.x + box.width <= inner, `${selector} sticks out: x ${box.x}, width ${box.width}, viewport ${inner}`);
      }
      assert.ok(await page.getByRole('button', { name: 'Create', exact: true }).isVisible());
      assert.equal((await rows(page)).length, 4);
      for (const button of await page.locator('#list tbody button').all()) {
        const box = await button.boundingBox();
        assert.ok(box.x + box.width <= inner, `a Delete button sticks out: ${JSON.stringify(box)}`);
      }
      let w = await widths(page);
      assert.ok(w.scroll <= w.inner, `the page scrolls sideways: scrollWidth ${w.scroll} > innerWidth ${w.inner}`);
      await shot(page, 'phone-list');

      // The password dialog fits too.
      await page.getByRole('button', { name: 'Create', exact: true }).tap();
      await page.getByLabel('Name').fill('Android');
      await page.getByRole('button', { name: 'Next' }).tap();
      await page.locator('#result-dialog').waitFor({ state: 'visible' });
      await shownPassword(page.locator('#new-password'));
      const box = await page.locator('#new-password').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= inner, `the password sticks out: ${JSON.stringify(box)}`);
      w = await widths(page);
      assert.ok(w.scroll <= w.inner, `with the dialog open the page scrolls sideways: ${w.scroll} > ${w.inner}`);
      await shot(page, 'phone-password');
      await page.getByRole('button', { name: 'Close' }).tap();
      await page.locator('#result-dialog').waitFor({ state: 'hidden' });
      assertNoPageProblems(context);
    } finally {
      await context.close();
    }
  });
});

testNoPasswordsInLogs();
