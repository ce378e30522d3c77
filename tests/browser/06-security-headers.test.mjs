// The page's security headers as the browser receives them, and cross-site request refusal.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertError,
  closePage,
  FILE_TIMEOUT,
  openPage,
  screenshots,
  sessionCookie,
  signIn,
  turnOnMfa,
} from './browser.mjs';

const shot = screenshots(6);
const USER = 'headers-user';

/** `{ directive: [values] }` of a Content-Security-Policy header. */
function parseCsp(header) {
  const policy = {};
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) policy[name.toLowerCase()] = values;
  }
  return policy;
}

function assertPageHeaders(headers, where) {
  const csp = headers['content-security-policy'];
  assert.ok(csp, `${where}: no Content-Security-Policy`);
  const policy = parseCsp(csp);
  assert.deepEqual(policy['frame-ancestors'], ["'none'"], `${where}: ${csp}`);
  const scriptSrc = policy['script-src'] ?? policy['default-src'];
  assert.ok(scriptSrc, `${where}: neither script-src nor default-src: ${csp}`);
  assert.ok(!scriptSrc.includes("'unsafe-inline'"), `${where}: script-src allows inline scripts: ${csp}`);
  assert.ok(!scriptSrc.includes("'unsafe-eval'"), `${where}: script-src allows eval: ${csp}`);
  assert.equal(headers['x-content-type-options'], 'nosniff', where);
  assert.equal(headers['referrer-policy'], 'no-referrer', where);
  assert.match(headers['strict-transport-security'] ?? '', /^max-age=\d{8,}/, `${where}: Strict-Transport-Security`);
}

describe('security headers and cross-site protection', FILE_TIMEOUT, () => {
  let worker;
  let api;
  let browser;
  let context;
  let page;

  before(async () => {
    ({ worker, api, browser, context, page } = await openPage());
    await turnOnMfa(api, USER, 'Phone');
  });
  after(() => closePage({ browser, worker }));

  test('/ is served with a CSP (frame-ancestors none, no inline script), nosniff and no-referrer, signed in or not', async () => {
    const signedOut = await page.goto(`${worker.url}/`);
    assertPageHeaders(await signedOut.allHeaders(), 'GET / without a session');
    await shot(page, 'signed-out');

    await signIn(page, worker, USER);
    const signedIn = await page.goto(`${worker.url}/`);
    assert.equal(signedIn.status(), 200);
    assertPageHeaders(await signedIn.allHeaders(), 'GET / signed in');
    await shot(page, 'signed-in');
  });

  test('the browser refuses to show the page in a frame of another origin', async () => {
    // Another origin: the same server under "localhost" instead of 127.0.0.1.
    const other = worker.url.replace('127.0.0.1', 'localhost');
    const framed = await context.newPage();
    try {
      await framed.goto(`${other}/healthz`);
      await framed.evaluate((src) => {
        const frame = document.createElement('iframe');
        frame.src = src;
        document.body.append(frame);
        return new Promise((r) => frame.addEventListener('load', r));
      }, `${worker.url}/`);
      const frame = framed.frames().find((f) => f !== framed.mainFrame());
      assert.ok(frame, 'no frame');
      assert.notEqual(frame.url(), `${worker.url}/`, 'the cross-origin frame loaded the page');
      const text = await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
      assert.ok(!/app passwords/i.test(text), `the page rendered in a cross-origin frame: ${text.slice(0, 200)}`);
    } finally {
      await framed.close();
    }
  });

  test('a state-changing call with the session cookie but Origin https://evil.example is refused with 403 csrf_rejected', async () => {
    const cookie = await sessionCookie(worker, USER);
    const call = (method, path, origin, json) =>
      api.request(method, path, {
        auth: false,
        json,
        headers: origin === undefined ? { cookie } : { cookie, origin },
      });

    assertError(await call('POST', '/v1/me/app-passwords', 'https://evil.example', { name: 'Evil' }), 403, 'csrf_rejected');
    assertError(await call('POST', '/v1/me/app-passwords', undefined, { name: 'Evil' }), 403, 'csrf_rejected');
    assertError(await call('DELETE', '/v1/me/app-passwords', 'https://evil.example'), 403, 'csrf_rejected');
    const list = await api.list(USER);
    assert.deepEqual(list.body.app_passwords.map((p) => p.name), ['Phone'], 'a refused call changed the list');
    assertError(await call('DELETE', `/v1/me/app-passwords/${list.body.app_passwords[0].id}`, 'https://evil.example'), 403, 'csrf_rejected');

    // The same call from the page's own origin works, so the refusal is about the origin.
    const own = await call('POST', '/v1/me/app-passwords', worker.url, { name: 'Own origin' });
    assert.equal(own.status, 201, own.text);
    assert.equal((await api.list(USER)).body.count, 2);
  });
});
