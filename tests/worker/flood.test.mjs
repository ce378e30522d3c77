// A flood of bad input over HTTP (issue 12): thousands of generated requests over every route —
// wrong types, arrays, nulls, deep nesting, huge and chunked bodies, invalid UTF-8, odd methods, odd
// headers, Unicode names. Every answer must be a 4xx with a stable code in JSON (no body for HEAD),
// never a 5xx, and must not echo anything the request carried.
//
// Each request carries a unique marker (in values, unknown keys, header values) that the answer
// must not contain. The generator is seeded; a failure prints the seed and the request.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertError, assertIssued, mapLimit, testNoPasswordsInLogs, useWorker } from './harness.mjs';

const SEED = Number(process.env.FLOOD_SEED ?? Date.now() % 1_000_000);
const REQUESTS = Number(process.env.FLOOD_REQUESTS ?? 2100);
const CONCURRENCY = 16;
const MAX_BODY_BYTES = 16 * 1024;

// Codes the Worker may answer bad input with; a new code must be added here knowingly.
const CODES = new Set([
  'invalid_json',
  'invalid_request',
  'payload_too_large',
  'method_not_allowed',
  'unauthorized',
  'not_found_route',
  'not_found',
  'invalid_user',
  'invalid_name',
  'invalid_scope',
  'invalid_settings',
  'limit_reached',
  'name_taken',
  'mfa_required',
  'app_passwords_disabled',
  'session_invalid',
  'session_expired',
  'session_not_mfa',
  'csrf_rejected',
  'insufficient_scope',
  'invalid_key_scope',
]);
const REASONS = new Set(['malformed_password', 'bad_checksum', 'unknown_password', 'scope_denied', 'expired', 'throttled']);

/** xorshift32: reproducible from SEED. */
function rng(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

const R = rng(SEED);

// The user at the limit (MFA on, limit 1, one app password): a well-formed create is refused with
// 409, so the name rules are reached by every generated name. The other user has MFA off.
const FULL = 'flood-full';
const PLAIN = 'flood plain/ü';

/** Names with a character no name may hold: refused with invalid_name whatever is added to them. */
const FORBIDDEN_NAMES = [
  'iPhone\u200b', '\u202eenohPi', 'Tab\there', 'line\nbreak', 'nul\u0000', 'del\u007f', 'c1\u0085ctl',
  'x'.repeat(65), '\u2028', 'bidi\u2066isolate\u2069', 'soft\u00adhyphen', '\u3164filler', 'bom\ufeff',
];
/** Names that break a rule (after the MFA, switch checks): each must be refused with invalid_name. */
const BAD_NAMES = [
  '', '   ', '\u200b', '\ufeff', '\u2060', '\u3164', '\u034f', '\u115f\u1160', '\uffa0', '\u0301',
  ...FORBIDDEN_NAMES,
];
/** Names that are fine: refused for the full user with limit_reached. */
const GOOD_NAMES = ['iPhone', 'Café', 'Cafe\u0301', 'Ноутбук', '手机', '📱 phone', 'עברית', 'ﾌｫﾝ', 'x'.repeat(64)];

/** A value of another JSON type than `kind` (never null for optional fields: null means "absent"). */
function wrongValue(kind, marker, optional) {
  const n = 7_000_000 + Number(marker.slice(-6).replace(/\D/g, '') || 0);
  const choices = {
    string: [n, -n, n + 0.5, true, false, [marker], { [marker]: marker }, [[marker]]],
    bool: [n, marker, [true], { v: marker }, 'true', 0, 1],
    u32: [marker, true, [n], { n }, -n, n + 0.25, 2 ** 53 + n, `${n}`, 1e300],
    scopes: [marker, n, true, { a: marker }, [n], [[marker]], [null], [marker]],
  }[kind];
  const all = optional ? choices : [...choices, null];
  return R.pick(all);
}

/** Nested arrays/objects `depth` deep, with the marker at the bottom. */
function deep(depth, marker) {
  let v = marker;
  for (let i = 0; i < depth; i++) v = R.chance(0.5) ? [v] : { [`k${i}`]: v };
  return v;
}

// Body schemas of the JSON endpoints: field -> [kind, optional].
const SCHEMAS = {
  create: { name: ['string', false], scopes: ['scopes', true] },
  mfa: { enabled: ['bool', false], initial_name: ['string', true] },
  verify: { user: ['string', false], password: ['string', false], protocol: ['string', true] },
  settings: { app_passwords_allowed: ['bool', true], limit: ['u32', true] },
};

/** A well-formed body of `schema`, that the bad-body mutations start from. */
function wellFormed(schema, marker) {
  switch (schema) {
    case 'create':
      return { name: R.pick(GOOD_NAMES), scopes: R.pick([['imap'], [], ['smtp', 'dav']]) };
    case 'mfa':
      return { enabled: true, initial_name: R.pick(BAD_NAMES) };
    case 'verify':
      return { user: FULL, password: `${marker}-not-a-password`, protocol: 'imap' };
    default:
      return { app_passwords_allowed: true, limit: 0 };
  }
}

/**
 * A body for `schema` that the endpoint must refuse. Returns `{ body, headers }` with `body` a
 * string, a Buffer or a ReadableStream (chunked, no Content-Length).
 */
function badBody(schema, marker) {
  const fields = SCHEMAS[schema];
  const base = wellFormed(schema, marker);
  const json = (v) => ({ body: JSON.stringify(v) });
  switch (R.int(14)) {
    case 0: {
      const [field, [kind, optional]] = R.pick(Object.entries(fields));
      return json({ ...base, [field]: wrongValue(kind, marker, optional) });
    }
    case 1:
      return json({ ...base, [`${marker}Field`]: marker });
    case 2: {
      const required = Object.entries(fields).filter(([, [, optional]]) => !optional);
      if (required.length === 0) return json({ ...base, limit: 101 + R.int(1000) });
      const copy = { ...base };
      delete copy[R.pick(required)[0]];
      return json(copy);
    }
    case 3:
      return json(Object.values(base).concat([marker]));
    case 4:
      return json(R.pick([null, 7_123_456, marker, true, [], [[marker]], [base]]));
    case 5:
      return { body: R.pick(['', '{', `{"${marker}":`, `{"name": "${marker}"`, '{,}', `{'name':'${marker}'}`, 'nul', '\u0000']) };
    case 6:
      return json({ ...base, [R.pick(Object.keys(fields))]: deep(20 + R.int(200), marker) });
    case 7:
      return { body: `${'['.repeat(500 + R.int(5000))}"${marker}"` };
    case 8: {
      // Invalid UTF-8 inside a string value (and a lone surrogate escape).
      const head = Buffer.from(`{"${Object.keys(fields)[0]}":"${marker}`);
      const bad = R.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      return R.chance(0.8)
        ? { body: Buffer.concat([head, Buffer.from(bad), Buffer.from('"}')]) }
        : { body: `{"${Object.keys(fields)[0]}":"\\ud800${marker}"}` };
    }
    case 9: {
      // Over the limit with a Content-Length.
      const size = MAX_BODY_BYTES + 1 + R.int(4 * MAX_BODY_BYTES);
      return json({ ...base, [Object.keys(fields)[0]]: marker.repeat(Math.ceil(size / marker.length)) });
    }
    case 10:
      // Over the limit, chunked (no Content-Length): the Worker must stop reading.
      return { body: chunked(MAX_BODY_BYTES + 1 + R.int(8 * MAX_BODY_BYTES), marker) };
    case 11:
      // Within the limit, chunked, and wrong: refused by shape, not by size.
      return { body: chunked(0, JSON.stringify([marker, base])) };
    case 12: {
      const key = R.pick(Object.keys(fields));
      return { body: `{"${key}":${JSON.stringify(base[key] ?? marker)},"${key}":"${marker}"}` };
    }
    default:
      return {
        body: JSON.stringify({ ...base, [`${marker}`]: null }),
        headers: { 'content-type': R.pick(['text/plain', 'application/x-www-form-urlencoded', `x/${marker}`]) },
      };
  }
}

/** A chunked body of at least `size` bytes (or exactly `text` when size is 0). */
function chunked(size, text) {
  const chunk = Buffer.from(size === 0 ? text : `{"v":"${text.repeat(Math.ceil(1024 / text.length))}`);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if ((size === 0 && sent > 0) || (size > 0 && sent >= size)) {
        controller.close();
        return;
      }
      controller.enqueue(new Uint8Array(chunk));
      sent += chunk.length;
    },
  });
}

// Methods the Worker does not take. worker's `Method` turns the ones it does not know into GET.
// (workerd itself answers 501 to names its HTTP parser does not know, such as `FOO`, before any
// Worker runs: those are the runtime's, not ours, and left out.)
const ODD_METHODS = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'LOCK', 'UNLOCK', 'COPY', 'MOVE', 'SEARCH', 'PURGE', 'REPORT',
  'PATCH', 'OPTIONS', 'QUERY'];

/** User ids in paths that are refused with invalid_user (empty, 257 bytes, a broken escape). */
const BAD_USERS = ['', 'x'.repeat(257), '%E0%A4%A'];

/** Every route, with the methods it accepts and the body schema of its JSON methods. */
function routes(marker) {
  const user = R.pick([FULL, FULL, FULL, FULL, PLAIN, ...BAD_USERS, 'a%2Fb', `${marker}`, 'ü']);
  const u = user === '' || user.includes('%') ? user : encodeURIComponent(user);
  const id = R.pick(['ap_0000000000000000', marker, '', '%ZZ', '..', `ap_${marker}`]);
  const create = { path: `/v1/users/${u}/app-passwords`, methods: ['GET', 'POST', 'DELETE'], schema: 'create', user };
  const mfa = { path: `/v1/users/${u}/mfa`, methods: ['PUT'], schema: 'mfa', user };
  const verify = { path: '/v1/verify', methods: ['POST'], schema: 'verify' };
  const settings = { path: '/v1/settings', methods: ['GET', 'PUT'], schema: 'settings' };
  // The JSON routes come more than once: most of the flood is bodies.
  return [
    create, create, create, mfa, mfa, verify, verify, settings,
    { path: '/healthz', methods: ['GET'] },
    { path: '/', methods: ['GET'] },
    // A file public/ does not have: the Worker's route (app.js itself is the asset layer's).
    { path: `/assets/${marker}.js`, methods: ['GET'] },
    { path: '/sign-out', methods: ['POST'], cookieless: true },
    { path: '/dev/sign-in', methods: ['POST'] },
    verify,
    settings,
    create,
    { path: `/v1/users/${u}/app-passwords/${id}`, methods: ['DELETE'], user },
    mfa,
    { path: '/v1/me/app-passwords', methods: ['GET', 'POST', 'DELETE'], schema: 'create' },
    { path: `/v1/me/app-passwords/${id}`, methods: ['DELETE'] },
    { path: '/v1/me/events', methods: ['GET'] },
    { path: `/v1/users/${u}/events`, methods: ['GET'], user },
    { path: '/v1/stats', methods: ['GET'] },
    { path: '/v1/api-keys', methods: ['POST', 'GET'] },
    { path: `/v1/api-keys/${id}`, methods: ['DELETE'] },
    { path: `/v1/${marker}`, methods: [] },
    { path: `/${marker}/%FF%FE`, methods: [] },
  ];
}

/** One generated request that must be refused, as `{ method, path, headers, body, marker }`. */
function generate(i, token) {
  const marker = `qz${SEED.toString(36)}m${String(i).padStart(6, '0')}`;
  const route = R.pick(routes(marker));
  const headers = { authorization: `Bearer ${token}` };
  if (R.chance(0.15)) {
    headers.authorization = R.pick([`Bearer ${marker}`, `Basic ${marker}`, marker, `Bearer ${token}${marker}`]);
  } else if (R.chance(0.05)) {
    delete headers.authorization;
  }
  if (R.chance(0.3)) {
    Object.assign(headers, R.pick([
      { origin: `https://${marker}.example` },
      { cookie: `ap_session=${marker}; other=${marker}` },
      { 'x-forwarded-for': marker, 'x-real-ip': marker },
      { accept: `text/html, ${marker}/*` },
      { 'content-type': `application/json; charset=${marker}` },
      { 'x-long': marker.repeat(300) },
      { 'content-encoding': 'gzip' },
    ]));
  }
  const isApi = route.path.startsWith('/v1/');
  const authed = headers.authorization === `Bearer ${token}`;
  const wellFormedUser = route.user === undefined || !BAD_USERS.includes(route.user);
  // With a valid token, a known method on an API route could succeed: send it only with a body
  // that must be refused. Otherwise anything goes (odd methods, no auth, bad user ids).
  let method;
  const roll = R.int(10);
  if (roll < 1 || route.methods.length === 0) method = R.pick(ODD_METHODS);
  else if (roll < 4 && route.methods.includes('GET')) method = 'HEAD';
  else method = R.pick(route.methods);
  if (method === 'HEAD' && (!isApi || (authed && wellFormedUser))) method = R.pick(ODD_METHODS);

  let body;
  const needsBad = isApi && authed && wellFormedUser && route.methods.includes(method);
  if (needsBad) {
    if ((route.schema === 'create' || route.schema === 'mfa') && method !== 'GET' && method !== 'DELETE' && R.chance(0.4)) {
      // A well-formed body with a Unicode name: refused by the name rules (400 invalid_name), or,
      // for a good name, by the limit (409) or MFA being off (403).
      const name = R.chance(0.3) ? R.pick(BAD_NAMES)
        : R.chance(0.4) ? `${marker}${R.pick(FORBIDDEN_NAMES)}` : `${R.pick(GOOD_NAMES)} ${marker}`.slice(-64);
      body = JSON.stringify(route.schema === 'create' ? { name } : { enabled: true, initial_name: R.pick(BAD_NAMES) });
    } else if (route.schema && method !== 'GET' && method !== 'DELETE') {
      const bad = badBody(route.schema, marker);
      body = bad.body;
      Object.assign(headers, bad.headers ?? {});
    } else if (route.path.startsWith('/v1/users/') && route.path.split('/').length === 6 && method === 'DELETE') {
      // Deleting an id that does not exist: 404 (the id may be the marker: it must not be echoed).
    } else if (route.path.startsWith('/v1/me/')) {
      // No session: refused.
    } else {
      method = R.pick(ODD_METHODS);
    }
  } else if (!isApi && route.methods.includes(method) && method === 'GET') {
    method = R.pick(ODD_METHODS);
  } else if (method !== 'GET' && method !== 'HEAD' && R.chance(0.5) && route.schema) {
    ({ body } = badBody(route.schema, marker));
  }
  return { i, method, path: route.path, headers, body, marker };
}

async function send(worker, req) {
  const init = { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(30_000) };
  if (req.body && typeof req.body.getReader === 'function') init.duplex = 'half';
  if (req.method === 'GET' || req.method === 'HEAD') delete init.body;
  let res;
  try {
    res = await fetch(`${worker.url}${req.path}`, init);
  } catch (e) {
    // The Worker may answer 413 and close before a streamed body is fully sent.
    if (init.duplex && String(e.cause?.code ?? e.message).match(/EPIPE|ECONNRESET|UND_ERR_SOCKET|other side closed/i)) {
      return { status: 413, closed: true };
    }
    throw e;
  }
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

function describeReq(req) {
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body.slice(0, 200)
    : Buffer.isBuffer(req.body) ? `<${req.body.length} bytes>` : '<stream>';
  return `seed ${SEED} #${req.i}: ${req.method} ${req.path.slice(0, 120)} ${JSON.stringify(req.headers).slice(0, 200)} ${body}`;
}

/** Checks one answer; returns its code (or reason) for the tally. */
function check(req, res) {
  const where = () => `${describeReq(req)} -> ${res.status} ${res.text?.slice(0, 300)}`;
  assert.ok(res.status >= 400 && res.status < 500, `not a 4xx: ${where()}`);
  if (res.closed) return 'payload_too_large';
  assert.ok(!res.text.includes(req.marker), `the answer echoes the request: ${where()}`);
  if (req.method === 'HEAD') {
    assert.equal(res.text, '', `HEAD answered with a body: ${where()}`);
    return `HEAD ${res.status}`;
  }
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `not JSON: ${where()}`);
  const body = JSON.parse(res.text);
  if (body.error) {
    assert.ok(CODES.has(body.error.code), `unexpected code: ${where()}`);
    assert.equal(typeof body.error.message, 'string', where());
    if (res.status === 405) assert.ok(res.headers.get('allow'), `405 without Allow: ${where()}`);
    return body.error.code;
  }
  // A refused login: 401 with a reason, or 429 `throttled` once the failures of a user pile up.
  assert.ok(res.status === 401 || (res.status === 429 && body.reason === 'throttled'), where());
  assert.equal(body.valid, false, where());
  assert.ok(REASONS.has(body.reason), `unexpected reason: ${where()}`);
  return body.reason;
}

describe('a flood of bad input', { timeout: 300_000 }, () => {
  const ctx = useWorker();

  test('setup: one user at the limit (MFA on, limit 1), one without MFA', async () => {
    const put = await ctx.api.putSettings({ app_passwords_allowed: true, limit: 1 });
    assert.equal(put.status, 200, put.text);
    const mfa = await ctx.api.mfa(FULL, true, 'Laptop');
    assertIssued(mfa.body.initial_app_password, 'Laptop');
    assert.equal((await ctx.api.create(FULL, 'Phone')).status, 409);
  });

  test('Unicode names: invisible, bidi and control names are invalid_name; good ones reach the limit (409)', async () => {
    for (const name of BAD_NAMES) {
      assertError(await ctx.api.create(FULL, name), 400, 'invalid_name');
      assertError(await ctx.api.mfa(PLAIN, true, name), 400, 'invalid_name');
    }
    for (const name of GOOD_NAMES) {
      assertError(await ctx.api.create(FULL, name), 409, 'limit_reached');
    }
    assert.equal((await ctx.api.list(PLAIN)).body.count, 0, 'no MFA, no app password for the plain user');
  });

  test('names are stored in NFC and unique ignoring case and normal form', async () => {
    assert.equal((await ctx.api.putSettings({ app_passwords_allowed: true, limit: 3 })).status, 200);
    try {
      const user = 'flood-names';
      assert.equal((await ctx.api.mfa(user, true, 'Laptop')).status, 200);
      const nfd = await ctx.api.create(user, 'Cafe\u0301');
      assertIssued(nfd.body, 'Caf\u00e9');
      assertError(await ctx.api.create(user, 'CAF\u00c9'), 409, 'name_taken');
      assertError(await ctx.api.create(user, 'laptop'), 409, 'name_taken');
      assertError(await ctx.api.create(user, 'Laptop\u200b'), 400, 'invalid_name');
    } finally {
      assert.equal((await ctx.api.putSettings({ app_passwords_allowed: true, limit: 1 })).status, 200);
    }
  });

  test('a JSON array in place of an object is refused with 400 invalid_request on every JSON route', async () => {
    const { request } = ctx.api;
    const u = `/v1/users/${FULL}`;
    for (const [method, path, body] of [
      ['POST', `${u}/app-passwords`, ['x', ['imap']]],
      ['PUT', `${u}/mfa`, [true, 'Laptop']],
      ['POST', '/v1/verify', [FULL, 'qxmt-bkwa-pfje-lrzu-nvcd-ihyt']],
      ['PUT', '/v1/settings', [false, 3]],
    ]) {
      assertError(await request(method, path, { json: body }), 400, 'invalid_request');
    }
    assert.equal((await ctx.api.getSettings()).body.limit, 1, 'settings unchanged');
  });

  test('error messages are fixed texts: no submitted value, no unknown field name', async () => {
    const res = await ctx.api.request('PUT', '/v1/settings', { json: { limit: 1234567, SecretFieldName: 1 } });
    assertError(res, 400, 'invalid_request');
    assert.doesNotMatch(res.text, /SecretFieldName|1234567/);
    const typed = await ctx.api.request('PUT', '/v1/settings', { json: { limit: 'hunter2hunter2' } });
    assertError(typed, 400, 'invalid_request');
    assert.doesNotMatch(typed.text, /hunter2/);
    const missing = await ctx.api.request('POST', `/v1/users/${FULL}/app-passwords`, { json: {} });
    assertError(missing, 400, 'invalid_request');
    assert.match(missing.body.error.message, /"name"/, 'a missing field of ours is named');
  });

  test('unknown methods are refused with 405 and Allow; HEAD is answered where GET is, without a body', async () => {
    const { request } = ctx.api;
    // The probe's finding: PROPFIND with a foreign Origin ran as GET and listed the app passwords.
    const probe = await request('PROPFIND', '/v1/me/app-passwords', { headers: { origin: 'https://evil.example' } });
    assertError(probe, 405, 'method_not_allowed');
    assert.equal(probe.headers.get('allow'), 'POST, GET, HEAD, DELETE');
    for (const method of ['PROPFIND', 'MKCOL', 'PURGE', 'PATCH']) {
      const res = await request(method, `/v1/users/${FULL}/app-passwords`);
      assertError(res, 405, 'method_not_allowed');
      assert.equal(res.headers.get('allow'), 'POST, GET, HEAD, DELETE');
    }
    const settings = await request('PATCH', '/v1/settings', { json: { limit: 50 } });
    assertError(settings, 405, 'method_not_allowed');
    assert.equal(settings.headers.get('allow'), 'GET, HEAD, PUT');
    assert.equal((await ctx.api.getSettings()).body.limit, 1, 'settings unchanged');
    for (const path of ['/healthz', '/v1/settings', `/v1/users/${FULL}/app-passwords`]) {
      const head = await request('HEAD', path);
      assert.equal(head.status, 200, `HEAD ${path}`);
      assert.equal(head.text, '', `HEAD ${path} has no body`);
    }
    const headVerify = await request('HEAD', '/v1/verify');
    assert.equal(headVerify.status, 405, 'no HEAD where there is no GET');
    assert.equal(headVerify.headers.get('allow'), 'POST');
  });

  test(`${REQUESTS} generated bad requests over every route: all 4xx JSON with a stable code, nothing echoed`, async () => {
    const requests = Array.from({ length: REQUESTS }, (_, i) => generate(i, ctx.worker.token));
    const tally = new Map();
    const started = Date.now();
    await mapLimit(requests, CONCURRENCY, async (req) => {
      const code = check(req, await send(ctx.worker, req));
      tally.set(code, (tally.get(code) ?? 0) + 1);
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`flood: seed ${SEED}, ${REQUESTS} requests in ${seconds} s:`, Object.fromEntries([...tally].sort()));
    // The flood reached the rules it is meant to reach.
    for (const code of ['invalid_json', 'invalid_request', 'payload_too_large', 'method_not_allowed', 'unauthorized',
      'invalid_user', 'invalid_name', 'not_found_route']) {
      assert.ok(tally.get(code) > 0, `no request was refused with ${code}`);
    }
  });

  test('the state is unchanged: the full user still has one app password, the limit is 1', async () => {
    const list = await ctx.api.list(FULL);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.app_passwords.map((e) => e.name), ['Laptop']);
    assert.equal(list.body.limit, 1);
    assert.equal(list.body.app_passwords_allowed, true);
  });

  test('the Worker logged no error for any of it', () => {
    assert.doesNotMatch(ctx.worker.logs(), /panicked|RuntimeError|unreachable/);
  });

  testNoPasswordsInLogs();
});
