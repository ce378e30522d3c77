// The static files (issue 13): public/ is served as Workers static assets (wrangler.toml [assets]),
// not compiled into the wasm. Their answers must stay what the Worker answered when it served them:
// the page's security headers on the script and style (public/_headers, compared here with the
// headers the Worker gives `/`), /openapi.json readable from any origin, JSON 404s for files that do
// not exist, and `/` still depending on the session (the Worker answers it, not the asset layer).

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO, assertError, sessionCookie, useWorker } from './harness.mjs';

const TIMEOUT = { timeout: 120_000 };
const PUBLIC = join(REPO, 'public');
/** The headers every page of the Worker carries, which the static script and style must carry too. */
const PAGE_HEADERS = [
  'content-security-policy',
  'strict-transport-security',
  'cache-control',
  'x-frame-options',
  'x-content-type-options',
  'referrer-policy',
];
const FILES = [
  { path: '/assets/app.js', file: 'assets/app.js', type: /^text\/javascript; charset=utf-8$/ },
  { path: '/assets/app.css', file: 'assets/app.css', type: /^text\/css; charset=utf-8$/ },
];

const pick = (headers, names) => Object.fromEntries(names.map((n) => [n, headers.get(n)]));

/** Every file of public/, as a path of the site (`/assets/app.js`). */
function publicPaths(dir = PUBLIC, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? publicPaths(join(dir, e.name), `${prefix}/${e.name}`) : [`${prefix}/${e.name}`]);
}

test('wrangler.toml runs the Worker first for every path but exactly the files public/ serves', () => {
  const line = readFileSync(join(REPO, 'wrangler.toml'), 'utf8').match(/^run_worker_first\s*=\s*(\[.*\])\s*$/m);
  assert.ok(line, 'wrangler.toml [assets] has run_worker_first = [...] on one line');
  const [first, ...rest] = JSON.parse(line[1]);
  assert.equal(first, '/*');
  assert.ok(rest.every((r) => r.startsWith('!/') && !r.includes('*')), `only exact files are the asset layer's: ${rest}`);
  // index.html is the Worker's (`/` checks the session); _headers is configuration, never served.
  const served = publicPaths().filter((p) => p !== '/index.html' && p !== '/_headers').sort();
  assert.deepEqual(rest.map((r) => r.slice(1)).sort(), served);
  assert.deepEqual(FILES.map((f) => f.path).concat('/openapi.json').sort(), served, 'every served file is tested below');
});

describe('static files (public/, Workers static assets)', TIMEOUT, () => {
  const ctx = useWorker({ vars: { DEV_SIGN_IN: 'true' } });

  test('the script and style are the files of public/, with the security headers the Worker gives its pages', async () => {
    const page = await ctx.api.request('GET', '/', { auth: false });
    assert.equal(page.status, 401, page.text);
    const expected = pick(page.headers, PAGE_HEADERS);
    // The Worker's own page headers are the strict ones (so equal means strict).
    assert.match(expected['content-security-policy'] ?? '', /default-src 'none'.*frame-ancestors 'none'/);
    assert.equal(expected['cache-control'], 'no-store');
    assert.equal(expected['x-frame-options'], 'DENY');
    assert.equal(expected['x-content-type-options'], 'nosniff');
    for (const { path, file, type } of FILES) {
      for (const method of ['GET', 'HEAD']) {
        const res = await ctx.api.request(method, path, { auth: false });
        assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', type, `${method} ${path}`);
        assert.deepEqual(pick(res.headers, PAGE_HEADERS), expected, `${method} ${path}: headers differ from the page's`);
        assert.equal(res.text, method === 'GET' ? readFileSync(join(PUBLIC, file), 'utf8') : '', `${method} ${path}`);
      }
    }
  });

  test('/openapi.json is public/openapi.json, JSON, readable from any origin, nosniff', async () => {
    const res = await ctx.api.request('GET', '/openapi.json', { auth: false });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, readFileSync(join(PUBLIC, 'openapi.json'), 'utf8'));
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  });

  test('other methods on a static file: 405 with Allow and the same security headers', async () => {
    const { headers: expected } = await ctx.api.request('GET', '/assets/app.js', { auth: false });
    for (const method of ['POST', 'PUT', 'DELETE', 'PROPFIND']) {
      const res = await ctx.api.request(method, '/assets/app.js', { auth: false, body: method === 'POST' ? 'x' : undefined });
      assert.equal(res.status, 405, `${method}: ${res.text}`);
      assert.equal(res.headers.get('allow'), 'GET, HEAD', method);
      assert.deepEqual(pick(res.headers, PAGE_HEADERS), pick(expected, PAGE_HEADERS), method);
    }
    const res = await ctx.api.request('POST', '/openapi.json', { auth: false });
    assert.equal(res.status, 405, res.text);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  });

  test('files public/ does not serve answer like any unknown path: 404 not_found_route (JSON, from the Worker)', async () => {
    for (const path of ['/assets/nope.js', '/assets/app.js/x', '/assets/', '/index.html', '/_headers', '/openapi.json/x', '/assets/openapi.json']) {
      const res = await ctx.api.request('GET', path, { auth: false });
      assertError(res, 404, 'not_found_route');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });

  test('no other spelling of /index.html reaches the page file: 404 from the Worker, or a redirect to /index.html (itself 404)', async () => {
    const html = readFileSync(join(PUBLIC, 'index.html'), 'utf8');
    for (const path of ['/%69ndex.html', '/index%2ehtml', '//index.html', '/INDEX.HTML', '/index', '/index.html/',
      '/assets/..%2findex.html', '/assets/%2e%2e/index.html', '/assets/../index.html']) {
      const res = await ctx.api.request('GET', path, { auth: false });
      assert.notEqual(res.text, html, path);
      if (res.status === 307 || res.status === 308) {
        assert.equal(new URL(res.headers.get('location'), 'http://x').pathname, '/index.html', path);
      } else {
        assertError(res, 404, 'not_found_route');
      }
    }
  });

  test('/ depends on the session: the sign-in page without one, public/index.html with one, both with the page headers', async () => {
    const html = readFileSync(join(PUBLIC, 'index.html'), 'utf8');
    const signedOut = await ctx.api.request('GET', '/', { auth: false });
    assert.equal(signedOut.status, 401, signedOut.text);
    assert.match(signedOut.text, /Sign in to manage app passwords/);
    assert.notEqual(signedOut.text, html);

    const cookie = await sessionCookie(ctx.worker, 'static-assets-user');
    const signedIn = await ctx.api.request('GET', '/', { auth: false, headers: { cookie } });
    assert.equal(signedIn.status, 200, signedIn.text);
    assert.equal(signedIn.text, html);
    assert.equal(signedIn.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.deepEqual(pick(signedIn.headers, PAGE_HEADERS), pick(signedOut.headers, PAGE_HEADERS));
    assert.equal(signedIn.headers.get('etag'), null, 'the asset layer answered /, not the Worker');

    // Signed out again: the cookie no longer opens the page.
    const out = await fetch(`${ctx.worker.url}/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: ctx.worker.url } });
    await out.arrayBuffer();
    const after = await ctx.api.request('GET', '/', { auth: false, headers: { cookie } });
    assert.equal(after.status, 401, after.text);
    assert.match(after.text, /Session ended/);
  });
});
