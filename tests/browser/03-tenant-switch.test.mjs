// The tenant switch `app_passwords_allowed: false` as the page shows it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  closePage,
  FILE_TIMEOUT,
  openPage,
  rows,
  screenshots,
  signIn,
  turnOnMfa,
} from './browser.mjs';

const shot = screenshots(3);
const USER = 'switched-off';

describe('app passwords turned off by an administrator', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage());
    await turnOnMfa(api, USER, 'Old phone');
  });
  after(() => closePage({ browser, worker }));

  test('the page says an administrator turned app passwords off, Create is disabled, existing ones stay listed', async () => {
    await signIn(page, worker, USER);
    assert.equal(await page.getByRole('button', { name: 'Create', exact: true }).isEnabled(), true, 'Create is disabled while allowed');
    await shot(page, 'allowed');

    const res = await api.putSettings({ app_passwords_allowed: false });
    assert.equal(res.status, 200, res.text);
    await page.reload();
    // Explained next to Create, and tied to it (aria-describedby).
    const note = page.locator('#create-note');
    await note.filter({ hasText: /administrator/i }).waitFor();
    assert.match(await note.textContent(), /an administrator has turned off app passwords/i);
    assert.equal(await page.locator('#create').getAttribute('aria-describedby'), 'create-note');
    assert.equal(await page.getByRole('button', { name: 'Create', exact: true }).isDisabled(), true, 'Create is enabled');
    assert.deepEqual((await rows(page)).map((r) => r.name), ['Old phone']);
    await shot(page, 'turned-off');

    // The page's own API refuses too, so a stale page cannot create one.
    const refused = await page.evaluate(async () => {
      const r = await fetch('/v1/me/app-passwords', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Sneaky' }),
      });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(refused.status, 403, JSON.stringify(refused));
    assert.equal(refused.body.error.code, 'app_passwords_disabled');
    assertNoPageProblems(context);
  });

  test('turning app passwords back on enables Create again', async () => {
    const res = await api.putSettings({ app_passwords_allowed: true });
    assert.equal(res.status, 200, res.text);
    await page.reload();
    await page.getByRole('button', { name: 'Create', exact: true }).and(page.locator(':enabled')).waitFor();
    assert.equal(await page.locator('#create-note').isHidden(), true, 'the note stayed');
    await shot(page, 'allowed-again');
  });
});
