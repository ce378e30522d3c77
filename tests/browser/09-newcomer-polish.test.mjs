// What trips a newcomer (issue 15): contrast in both colour schemes, the confirmation after Delete,
// the limit explained up front, the password at 320 px, last use, the empty state, wording, errors
// tied to their inputs, the development sign-in's errors and the first-password page.
// Screenshots: 09-*-light, -dark, -320px, -limit-reached, -after-delete in test-artifacts/browser/.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  assertNoPageProblems,
  closePage,
  createInPage,
  DISPLAY,
  FILE_TIMEOUT,
  newContext,
  openPage,
  rows,
  screenshots,
  shownPassword,
  signIn,
  testNoPasswordsInLogs,
  turnOnMfa,
  waitForList,
} from './browser.mjs';

/** Signs `user` in through the development form in `page`, ending whatever session the page had. */
async function signInAs(page, worker, user) {
  await page.context().clearCookies();
  await signIn(page, worker, user);
}

const shot = screenshots(9);
const ACCOUNT_URL = 'https://account.example.com/profile';
const PHONE = (width) => ({ viewport: { width, height: 700 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
/** WCAG 2 AA for normal text. */
const MIN_CONTRAST = 4.5;

/**
 * Runs in the page: every visible piece of text (text nodes, ::before/::after content, input values and
 * placeholders) in the open modal dialog, or else the whole page, with its contrast ratio against
 * the background painted behind it (backgrounds composited up the tree, opacity included).
 */
function measureContrast(scheme) {
  const canvas = scheme === 'dark' ? [18, 18, 18, 1] : [255, 255, 255, 1];
  const parse = (c) => {
    const m = /^rgba?\(([^)]+)\)$/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const mix = (a, b, alpha) => [0, 1, 2].map((i) => a[i] * alpha + b[i] * (1 - alpha)).concat(1);
  const lum = (c) => {
    const f = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const tiny = (e) => {
    for (let a = e; a; a = a.parentElement) {
      const r = a.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) return true; // visually hidden
    }
    return false;
  };
  /** Text colour `color` in element `el`: the colour seen and the background behind it. */
  const paint = (el, color) => {
    const chain = [];
    for (let a = el; a; a = a.parentElement) chain.unshift(a);
    let bg = canvas;
    const groups = [];
    for (const a of chain) {
      const style = getComputedStyle(a);
      const opacity = Number(style.opacity);
      if (opacity < 1) groups.push([bg, opacity]);
      const own = parse(style.backgroundColor);
      if (own) bg = over(own, bg);
    }
    let fg = over(parse(color) ?? [255, 0, 255, 1], bg);
    for (const [backdrop, opacity] of groups.reverse()) {
      fg = mix(fg, backdrop, opacity);
      bg = mix(bg, backdrop, opacity);
    }
    return { fg, bg };
  };
  const out = [];
  const record = (el, text, color) => {
    const { fg, bg } = paint(el, color);
    const where = el.id ? `#${el.id}` : el.tagName.toLowerCase() + (el.className ? `.${el.className}` : '');
    out.push({ text: text.trim().slice(0, 50), where, ratio: Math.round(ratio(fg, bg) * 100) / 100, color, fg, bg });
  };
  const scope = document.querySelector('dialog:modal') ?? document.body;
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el.checkVisibility({ visibilityProperty: true }) || tiny(el)) continue;
    record(el, n.textContent, getComputedStyle(el).color);
  }
  for (const el of [scope, ...scope.querySelectorAll('*')]) {
    if (!el.checkVisibility({ visibilityProperty: true }) || tiny(el)) continue;
    for (const pseudo of ['::before', '::after']) {
      const style = getComputedStyle(el, pseudo);
      if (/^["']/.test(style.content) && style.content.length > 2 && style.display !== 'none') {
        record(el, `${pseudo} ${style.content}`, style.color);
      }
    }
    if (el.tagName === 'INPUT') {
      if (el.value) record(el, el.value, getComputedStyle(el).color);
      else if (el.placeholder) record(el, `placeholder ${el.placeholder}`, getComputedStyle(el, '::placeholder').color);
    }
  }
  return out;
}

/** Asserts that every text measured in `page` has a contrast of at least 4.5:1. */
async function assertContrast(page, scheme, state) {
  const texts = await page.evaluate(measureContrast, scheme);
  assert.ok(texts.length > 0, `no text measured in ${state}`);
  const low = texts.filter((t) => t.ratio < MIN_CONTRAST);
  assert.deepEqual(
    low.map((t) => `${t.where} "${t.text}" ${t.ratio}:1 (${t.color} → fg ${t.fg.map(Math.round)} on bg ${t.bg.map(Math.round)})`),
    [],
    `text under ${MIN_CONTRAST}:1 in the ${scheme} scheme, ${state}`,
  );
  return texts.length;
}

/** Column left edges of the list's header. */
const columns = (page) => page.$$eval('#list thead th', (ths) => ths.map((th) => Math.round(th.getBoundingClientRect().left)));

describe('newcomer polish of the self-service page', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage({ vars: { ACCOUNT_URL } }));
  });
  after(() => closePage({ browser, worker }));

  test('every visible text has a contrast of at least 4.5:1 in the light and the dark scheme, at desktop and 320 px width', async () => {
    const user = 'contrast-user';
    const first = await turnOnMfa(api, user, 'Work laptop');
    assert.equal((await api.create(user, 'iPad')).status, 201);
    assert.equal((await api.verify(user, first.password, 'imap')).status, 200);
    // Last use is recorded after the response.
    for (let i = 0; !(await api.list(user)).body.app_passwords.some((e) => e.last_used_at); i++) {
      assert.ok(i < 50, 'the last use was never recorded');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const scheme of ['light', 'dark']) {
      for (const size of [{}, PHONE(320)]) {
        const ctx = await newContext(browser, worker, { colorScheme: scheme, ...size });
        try {
          const p = await ctx.newPage();
          const narrow = size.viewport !== undefined;
          // The sign-in page with the development form, and its error state.
          await p.goto(`${worker.url}/`);
          await assertContrast(p, scheme, 'sign-in page');
          await p.getByLabel('User id').fill('   ');
          await Promise.all([p.waitForURL(`${worker.url}/dev/sign-in`), p.getByRole('button', { name: 'Sign in' }).click()]);
          await assertContrast(p, scheme, 'development sign-in error');

          await signInAs(p, worker, user);
          await assertContrast(p, scheme, 'list');
          if (!narrow) await shot(p, scheme);
          else if (scheme === 'light') await shot(p, '320px');
          // Create disabled (tenant switch) and its note.
          assert.equal((await api.putSettings({ app_passwords_allowed: false })).status, 200);
          await p.reload();
          await p.locator('#create:disabled').waitFor();
          await assertContrast(p, scheme, 'Create disabled');
          assert.equal((await api.putSettings({ app_passwords_allowed: true })).status, 200);
          await p.reload();
          await waitForList(p);
          // The create dialog with an error, the result dialog, the delete dialog.
          await p.getByRole('button', { name: 'Create', exact: true }).click();
          await p.getByLabel('Name').fill('   ');
          await p.getByRole('button', { name: 'Next' }).click();
          await p.locator('#create-error').waitFor();
          await assertContrast(p, scheme, 'create dialog with an error');
          await p.getByLabel('Name').fill(`Phone ${scheme} ${narrow ? 'narrow' : 'wide'}`);
          await p.getByRole('button', { name: 'Next' }).click();
          await p.locator('#result-dialog').waitFor({ state: 'visible' });
          await shownPassword(p.locator('#new-password'));
          await assertContrast(p, scheme, 'result dialog');
          await p.getByRole('button', { name: 'Close' }).click();
          await p.getByRole('button', { name: 'Delete iPad' }).click();
          await p.locator('#delete-dialog').waitFor({ state: 'visible' });
          await assertContrast(p, scheme, 'delete dialog');
          await p.getByRole('button', { name: 'Cancel', exact: true }).click();
          assertNoPageProblems(ctx);
        } finally {
          await ctx.close();
        }
      }
    }
  });

  test('after Delete the confirmation stays visible and is announced in a live region', async () => {
    const user = 'delete-user';
    await turnOnMfa(api, user, 'Old phone');
    assert.equal((await api.create(user, 'Tablet')).status, 201);
    await signInAs(page, worker, user);
    await page.getByRole('button', { name: 'Delete Old phone' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete Old phone' }).waitFor({ state: 'detached' });
    await page.waitForTimeout(500); // past the list's refresh
    const status = page.locator('#status');
    assert.equal(await status.isVisible(), true, 'the confirmation is not visible');
    assert.match(await status.textContent(), /^Deleted Old phone\./);
    assert.equal(await status.getAttribute('role'), 'status');
    assert.equal(await status.getAttribute('aria-live'), 'polite');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'create', 'the focus is not back on Create');
    await shot(page, 'after-delete');
  });

  test('at the limit Create is disabled and the limit explained before anything is typed', async () => {
    const user = 'small-limit-user';
    await turnOnMfa(api, user, 'Phone');
    assert.equal((await api.create(user, 'Laptop')).status, 201);
    assert.equal((await api.putSettings({ limit: 2 })).status, 200);
    try {
      await signInAs(page, worker, user);
      assert.equal(await page.locator('#count').textContent(), '2 of 2 app passwords');
      assert.equal(await page.locator('#create').isDisabled(), true, 'Create is enabled at the limit');
      const note = page.locator('#create-note');
      assert.equal(await note.isVisible(), true, 'the limit is not explained up front');
      assert.match(await note.textContent(), /You have 2 app passwords, the most allowed\. Delete one/);
      assert.equal(await page.locator('#create').getAttribute('aria-describedby'), 'create-note');
      await shot(page, 'limit-reached');
    } finally {
      assert.equal((await api.putSettings({ limit: 40 })).status, 200);
    }
  });

  for (const width of [320, 375]) {
    test(`at ${width} px the shown-once password breaks only after dashes and the dialog keeps margins`, async () => {
      const user = `narrow-${width}`;
      await turnOnMfa(api, user, 'Phone');
      const ctx = await newContext(browser, worker, PHONE(width));
      try {
        const p = await ctx.newPage();
        await signInAs(p, worker, user);
        const display = await createInPage(p, 'Android', { tap: true });
        assert.match(display, DISPLAY);
        // The characters that start a new line (by their box's top), and the dialog's edges.
        const layout = await p.evaluate(() => {
          const text = document.getElementById('new-password').firstChild;
          const starts = [];
          let top = null;
          for (let i = 0; i < text.length; i++) {
            const range = document.createRange();
            range.setStart(text, i);
            range.setEnd(text, i + 1);
            const t = Math.round(range.getBoundingClientRect().top);
            if (top !== null && t > top + 2) starts.push(i);
            top = t;
          }
          const box = document.getElementById('result-dialog').getBoundingClientRect();
          return { starts, left: box.left, right: window.innerWidth - box.right };
        });
        for (const i of layout.starts) {
          assert.equal(display[i - 1], '-', `the password breaks inside a group at ${width} px: "${display.slice(0, i)}" / "${display.slice(i)}"`);
        }
        assert.ok(layout.left >= 8 && layout.right >= 8, `the dialog touches the screen edges at ${width} px: ${JSON.stringify(layout)}`);
        if (width === 320) await shot(p, '320px-password');
        await p.getByRole('button', { name: 'Close' }).tap();
        assertNoPageProblems(ctx);
      } finally {
        await ctx.close();
      }
    });
  }

  test('last use shows relative time, protocol and the exact time on focus; the columns do not move', async () => {
    const user = 'last-use-user';
    const first = await turnOnMfa(api, user, 'Mail on the phone');
    assert.equal((await api.create(user, 'Thunderbird')).status, 201);
    await signInAs(page, worker, user);
    const before = await columns(page);
    const cell = page.locator('#list tbody tr').filter({ hasText: 'Mail on the phone' }).locator('td[data-label="Last used"]');
    assert.equal(await cell.textContent(), 'Never');

    assert.equal((await api.verify(user, first.password, 'imap')).status, 200);
    // Last use is recorded after the response: wait until the list has it.
    await page.waitForFunction(async () => {
      const r = await fetch('/v1/me/app-passwords');
      return (await r.json()).app_passwords.some((e) => e.last_used_at);
    });
    await page.reload();
    await waitForList(page);
    const time = cell.locator('time.when');
    assert.equal(await time.evaluate((t) => t.firstChild.textContent), 'Just now');
    assert.equal(await cell.locator('.via').textContent(), ' · IMAP');
    const exact = await time.getAttribute('data-exact');
    assert.match(exact, /\d{1,2}:\d{2}/, `no exact time: ${exact}`);
    assert.ok(Date.parse(await time.getAttribute('datetime')) > Date.now() - 300_000, 'datetime is not the time of use');
    await time.focus();
    const tip = await time.evaluate((e) => getComputedStyle(e, '::after').content);
    assert.equal(tip, JSON.stringify(exact), 'the exact time is not shown on focus');
    assert.deepEqual(await columns(page), before, 'the columns moved when a last use appeared');
    await shot(page, 'last-used');
  });

  test('the empty state says what app passwords are for and how to start; the page shows the user name to type', async () => {
    const user = 'empty@example.com';
    await turnOnMfa(api, user, 'Old');
    assert.equal((await api.removeAll(user)).status, 200);
    await signInAs(page, worker, user);
    const empty = page.locator('#empty');
    assert.equal(await empty.isVisible(), true);
    const text = await empty.innerText();
    assert.match(text, /no app passwords yet/i);
    assert.match(text, /mail apps/i);
    assert.match(text, /Create/);
    assert.equal(await page.locator('#user-name').textContent(), user);
    assert.equal(await page.locator('#user-note').isVisible(), true);
    await shot(page, 'empty');

    await createInPage(page, 'Outlook');
    assert.match(await page.locator('#result-dialog').innerText(), new RegExp(`with the user name ${user.replace('.', '\\.')}`));
    await page.getByRole('button', { name: 'Close' }).click();
  });

  test('a blank name gets a plain message tied to the Name field; the delete dialog says Delete / Cancel', async () => {
    const user = 'wording-user';
    await turnOnMfa(api, user, 'Phone');
    await signInAs(page, worker, user);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const name = page.getByLabel('Name');
    await name.fill('   ');
    await page.getByRole('button', { name: 'Next' }).click();
    const error = page.locator('#create-error');
    await error.waitFor();
    const message = await error.textContent();
    assert.doesNotMatch(message, /trimming|control characters/i, `developer language: ${message}`);
    assert.match(message, /^Enter a name/);
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.ok((await name.getAttribute('aria-describedby')).split(' ').includes('create-error'), 'the error is not tied to the field');
    await shot(page, 'name-error');
    await name.fill('Phone 2');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    assert.equal(await name.getAttribute('aria-invalid'), null, 'the field stays invalid in a new dialog');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Delete Phone' }).click();
    const dialog = page.locator('#delete-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.deepEqual(await dialog.locator('button').allTextContents(), ['Delete', 'Cancel']);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  });

  test('sign-in pages: the instruction is not an alert; a session that ended is a sentence whose "account page" is a link', async () => {
    const ctx = await newContext(browser, worker);
    try {
      const p = await ctx.newPage();
      await p.goto(`${worker.url}/`);
      assert.equal(await p.locator('#message').getAttribute('role'), null, 'the plain instruction is an alert');
      const link = p.locator('#message a');
      assert.equal(await link.textContent(), 'account page');
      assert.equal(await link.getAttribute('href'), ACCOUNT_URL);

      // A cookie of the right shape whose session does not exist: the "session ended" page.
      const forged = `${Buffer.from('someone').toString('base64url')}.${randomBytes(32).toString('base64url')}`;
      await ctx.addCookies([{ name: '__Host-ap_session', value: forged, domain: '127.0.0.1', path: '/', secure: true, httpOnly: true, sameSite: 'Strict' }]);
      await p.goto(`${worker.url}/`);
      const message = (await p.locator('#message').textContent()).trim();
      assert.match(message, /^[A-Z].*\.$/, `not a sentence: ${message}`);
      assert.equal(await p.locator('#message').getAttribute('role'), 'alert');
      assert.equal(await p.locator('#message a').getAttribute('href'), ACCOUNT_URL);
      await shot(p, 'bad-link');
    } finally {
      await ctx.close();
    }
  });

  for (const [label, value] of [['blank', '   '], ['over-long (257 bytes)', 'é'.repeat(128) + 'x']]) {
    test(`the development sign-in with a ${label} user id shows the form with the error tied to the field, not JSON`, async () => {
      const ctx = await newContext(browser, worker);
      try {
        const p = await ctx.newPage();
        await p.goto(`${worker.url}/`);
        await p.getByLabel('User id').fill(value);
        const [response] = await Promise.all([
          p.waitForResponse((r) => r.url() === `${worker.url}/dev/sign-in`),
          p.getByRole('button', { name: 'Sign in' }).click(),
        ]);
        assert.equal(response.status(), 400);
        assert.match(response.headers()['content-type'], /text\/html/);
        const input = p.getByLabel('User id');
        assert.equal(await input.getAttribute('aria-invalid'), 'true');
        assert.equal(await input.getAttribute('aria-describedby'), 'user-error');
        // The domain's rule text, as the API says it for the same (trimmed) id, as a sentence.
        const api = await fetch(`${worker.url}/v1/users/${encodeURIComponent(value.trim())}/app-passwords`, {
          headers: { authorization: `Bearer ${worker.vars.API_TOKEN}` },
        });
        const { error } = await api.json();
        assert.equal(error.code, 'invalid_user');
        assert.match(error.message, /1 to 256 bytes/);
        const rule = `${error.message[0].toUpperCase()}${error.message.slice(1)}.`;
        assert.equal(await p.locator('#user-error').textContent(), rule);
        assert.deepEqual(await ctx.cookies(worker.url), [], 'a session was started');
        if (label === 'blank') await shot(p, 'dev-sign-in-error');
      } finally {
        await ctx.close();
      }
    });
  }

  test('the first-password page names the app password, focuses Copy, and Copy puts the password on the clipboard', async () => {
    const ctx = await newContext(browser, worker);
    try {
      const p = await ctx.newPage();
      await p.goto(`${worker.url}/`);
      await p.getByLabel('User id').fill('first-page-user');
      await p.getByRole('button', { name: 'Sign in' }).click();
      const shown = await shownPassword(p.locator('#first-password'));
      assert.match(shown, DISPLAY);
      assert.equal(await p.locator('#first-name').textContent(), 'First app password');
      assert.match(await p.locator('main').innerText(), /with the user name first-page-user/);
      assert.equal(await p.evaluate(() => document.activeElement?.id), 'copy', 'the focus is not on Copy');
      await p.keyboard.press('Enter');
      await p.locator('#copy-status').filter({ hasText: 'Copied' }).waitFor();
      assert.equal(await p.evaluate(() => navigator.clipboard.readText()), shown);
      await shot(p, 'first-password');
      await p.getByRole('link', { name: 'Continue' }).click();
      await waitForList(p);
      assert.equal((await rows(p)).length, 1);
      assertNoPageProblems(ctx);
    } finally {
      await ctx.close();
    }
  });
});

testNoPasswordsInLogs();
