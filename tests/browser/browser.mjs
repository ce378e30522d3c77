// Helpers of the real-browser tests: Debian's Chromium driven by playwright-core, against the built
// Worker started by the HTTP tests' harness (tests/worker/harness.mjs: startWorker, client, ...).
//
// Every step of a test saves a screenshot to test-artifacts/browser/<file nn>-<step nn>-<step>.png.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { REPO, client, rememberPassword, startWorker } from '../worker/harness.mjs';

export { assertError, assertRefused, assertVerified, mapLimit, rememberPassword, testNoPasswordsInLogs } from '../worker/harness.mjs';

/** Debian's Chromium (tools/install-chromium); never a browser downloaded by Playwright. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(REPO, 'test-artifacts', 'browser');
/** A whole test file: a worker start (~2 s), a browser, a few dozen Argon2 runs. */
export const FILE_TIMEOUT = { timeout: 120_000 };
/** The grouped display form of an app password. */
export const DISPLAY = /^[a-z]{4}(-[a-z]{4}){5}$/;

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** Starts Chromium (headless). */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} does not exist: run tools/install-chromium (or make test-browser)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 30_000 });
}

/**
 * A fresh browser context (own cookies) for `worker`, allowed to use the clipboard on its origin.
 * Watches every page for script errors and Content-Security-Policy violations: `problems` lists them.
 */
export async function newContext(browser, worker, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...options });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: worker.url });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const problems = [];
  context.on('page', (page) => watch(page, problems));
  context.problems = problems;
  return context;
}

function watch(page, problems) {
  page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) {
      problems.push(`console on ${page.url()}: ${m.text()}`);
    }
  });
}

/** Asserts that no page of `context` had a script error or a CSP violation. */
export function assertNoPageProblems(context) {
  assert.deepEqual(context.problems, [], 'script errors or CSP violations in the page');
}

/** Starts the built Worker (wrangler dev on a free port) with the page's vars. */
export async function startPageWorker({ devSignIn = true, vars = {} } = {}) {
  const worker = await startWorker({ vars: devSignIn ? { DEV_SIGN_IN: 'true', ...vars } : vars });
  return { worker, api: client(worker) };
}

/**
 * The common setup of a test file: a Worker, Chromium, a fresh context and a page on it.
 * `closePage` undoes it (whatever part of it started).
 */
export async function openPage(options) {
  const [{ worker, api }, browser] = await Promise.all([startPageWorker(options), launchBrowser()]);
  const context = await newContext(browser, worker);
  return { worker, api, browser, context, page: await context.newPage() };
}

/** Closes what `openPage` opened. */
export async function closePage({ browser, worker }) {
  await browser?.close();
  await worker?.stop();
}

// ---------------------------------------------------------------------------------------------
// Session tokens, as the identity provider makes them.

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * An HS256 JWT signed with `secret` (a string: its UTF-8 bytes are the key, as the Worker reads
 * SESSION_SECRET). Claims default to a user signed in with MFA for an hour.
 */
export function sessionToken(secret, { sub, exp = Math.floor(Date.now() / 1000) + 3600, amr = ['pwd', 'mfa'], ...rest } = {}) {
  assert.ok(sub, 'sessionToken needs a sub');
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub, exp, amr, ...rest })}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Turns MFA on for `user` as the identity provider does; returns the first app password issued. */
export async function turnOnMfa(api, user, initialName = 'First device') {
  const res = await api.mfa(user, true, initialName);
  assert.equal(res.status, 200, `PUT mfa for ${user}: ${res.status} ${res.text}`);
  assert.ok(res.body.initial_app_password, `no initial app password for ${user}: ${res.text}`);
  return res.body.initial_app_password;
}

/**
 * Follows the identity provider's sign-in link in `page`; asserts the 303 to `/` (token out of the
 * address bar) and that the page loaded. Returns the redirect response.
 */
export async function signInWithLink(page, worker, user) {
  const response = await page.goto(`${worker.url}/?session=${sessionToken(worker.vars.SESSION_SECRET, { sub: user })}`);
  assert.equal(response.status(), 200, `the page after sign-in answered ${response.status()}: ${await response.text()}`);
  assert.equal(page.url(), `${worker.url}/`, 'the sign-in link did not end on /');
  const redirect = await response.request().redirectedFrom()?.response();
  assert.ok(redirect, 'the sign-in link was not redirected');
  assert.equal(redirect.status(), 303);
  await waitForList(page);
  return redirect;
}

/** Waits until the page has loaded the list (the Create button's state is set by the first refresh). */
export async function waitForList(page) {
  await page.waitForFunction(() => {
    const count = document.getElementById('count');
    return count && count.textContent.length > 0;
  });
}

/** The rows of the list: `[{ id, name }]`. */
export async function rows(page) {
  return page.$$eval('#list tbody tr[data-id]', (trs) =>
    trs.map((tr) => ({ id: tr.dataset.id, name: tr.cells[0].textContent })),
  );
}

// ---------------------------------------------------------------------------------------------
// Screenshots.

/**
 * Returns `shot(page, step)`, which saves `test-artifacts/browser/<fileNo>-<nn>-<step>.png` with
 * nn counting the steps of this file. Old screenshots of the same file are removed first.
 */
export function screenshots(fileNo) {
  const prefix = `${String(fileNo).padStart(2, '0')}-`;
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS)) {
    if (f.startsWith(prefix) && f.endsWith('.png')) rmSync(join(ARTIFACTS, f));
  }
  let n = 0;
  return async (page, step) => {
    n += 1;
    const path = join(ARTIFACTS, `${prefix}${String(n).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  };
}

/** Reads a password shown in the page and records it for the log check. */
export async function shownPassword(locator) {
  const text = (await locator.textContent()).trim();
  rememberPassword(text);
  return text;
}

/**
 * Creates an app password through the page: Create → name → Next (tapped with `tap`). Returns the
 * password shown once (recorded for the log check); the result dialog stays open.
 */
export async function createInPage(page, name, { tap = false } = {}) {
  const press = (locator) => (tap ? locator.tap() : locator.click());
  await press(page.getByRole('button', { name: 'Create', exact: true }));
  await page.getByLabel('Name').fill(name);
  await press(page.getByRole('button', { name: 'Next' }));
  await page.locator('#result-dialog').waitFor({ state: 'visible' });
  return shownPassword(page.locator('#new-password'));
}
