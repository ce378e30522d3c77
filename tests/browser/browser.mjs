// Helpers of the real-browser tests: Debian's Chromium driven by playwright-core, against the built
// Worker started by the HTTP tests' harness (tests/worker/harness.mjs: startWorker, client, ...).
//
// Every step of a test saves a screenshot to test-artifacts/browser/<file nn>-<step nn>-<step>.png.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { REPO, client, rememberPassword, startWorker } from '../worker/harness.mjs';
import { startIdp } from '../../tools/dev-idp.mjs';

export {
  assertError,
  assertRefused,
  assertVerified,
  mapLimit,
  rememberPassword,
  SESSION_COOKIE,
  sessionCookie,
  testNoPasswordsInLogs,
} from '../worker/harness.mjs';

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
// Signing in.

/**
 * Signs `user` in through the development sign-in form (DEV_SIGN_IN=true) in `page`; asserts the
 * 303 to `/` and that the page loaded. For users whose MFA is already on (no first password page).
 */
export async function signIn(page, worker, user) {
  await page.goto(`${worker.url}/`);
  await page.getByLabel('User id').fill(user);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${worker.url}/` && r.request().method() === 'GET'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  assert.equal(response.status(), 200, `the page after sign-in answered ${response.status()}`);
  const redirect = await response.request().redirectedFrom()?.response();
  assert.equal(redirect?.status(), 303, 'the development sign-in did not redirect to /');
  await waitForList(page);
  return redirect;
}

/** Turns MFA on for `user` as the identity provider does; returns the first app password issued. */
export async function turnOnMfa(api, user, initialName = 'First device') {
  const res = await api.mfa(user, true, initialName);
  assert.equal(res.status, 200, `PUT mfa for ${user}: ${res.status} ${res.text}`);
  assert.ok(res.body.initial_app_password, `no initial app password for ${user}: ${res.text}`);
  return res.body.initial_app_password;
}

// ---------------------------------------------------------------------------------------------
// A real OpenID Provider (tools/dev-idp.mjs) and a Worker registered at it.

export const CLIENT_ID = 'app-passwords-test';

/**
 * Starts an OpenID Provider on a free loopback port (http://localhost:…) and a Worker configured
 * as its client: confidential (client_secret_basic), or with `publicClient` a public one (PKCE
 * only, as `make dev` runs it). Returns `{ idp, worker, api }`; `vars` are extra Worker vars (e.g.
 * short session lifetimes).
 */
export async function startWithIdp({ vars = {}, devSignIn = false, users, publicClient = false } = {}) {
  const secret = publicClient ? undefined : `secret-${Math.random().toString(36).slice(2)}`;
  // The Worker's port is known only once it runs: the callback is registered after it starts.
  const clients = [{ client_id: CLIENT_ID, client_secret: secret, redirect_uris: ['http://127.0.0.1:1/oidc/callback'] }];
  const idp = await startIdp({ clients, users });
  const oidcVars = { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: CLIENT_ID, ...(secret ? { OIDC_CLIENT_SECRET: secret } : {}) };
  const { worker, api } = await startPageWorker({ devSignIn, vars: { ...oidcVars, ...vars } });
  clients[0].redirect_uris[0] = `${worker.url}/oidc/callback`;
  idp.reconfigure();
  return { idp, worker, api };
}

/** `startWithIdp` and Chromium, side by side; `closeWithIdp` stops whatever of them started. */
export async function openWithIdp(options) {
  const [{ idp, worker, api }, browser] = await Promise.all([startWithIdp(options), launchBrowser()]);
  return { idp, worker, api, browser };
}

/** Stops what `openWithIdp` started. */
export async function closeWithIdp({ browser, worker, idp }) {
  await browser?.close();
  await worker?.stop();
  await idp?.stop();
}

/** Fills and submits the provider's sign-in form shown in `page`. */
export async function fillIdpForm(page, { user, password, otp = '' }) {
  await page.locator('#login').fill(user);
  await page.locator('#password').fill(password);
  await page.locator('#otp').fill(otp);
  await page.locator('#idp-submit').click();
}

/**
 * Signs in through the provider from `page`: opens `/`, follows Sign in, fills the provider's
 * form (`otp` makes it a multi-factor sign-in). `start: null` when `page` already shows the
 * provider's form. Returns the callback's response.
 */
export async function signInWithIdp(page, worker, { user, password, otp = '' }, { start = `${worker.url}/sign-in` } = {}) {
  if (start) await page.goto(start);
  const [callback] = await Promise.all([
    page.waitForResponse((r) => r.url().startsWith(`${worker.url}/oidc/callback`)),
    fillIdpForm(page, { user, password, otp }),
  ]);
  await page.waitForLoadState();
  return callback;
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
  // The page's buttons get their handlers from the deferred app.js: a test on a loaded machine can
  // press one in the instant between parsing and that script (a person cannot). Wait for it.
  await locator.page().waitForLoadState('load');
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
