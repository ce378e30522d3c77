// Routes, authentication, request validation and the basic life of an app password.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  VERIFY_REASONS,
  assertError,
  assertIssued,
  assertRefused,
  assertVerified,
  sleep,
  testNoPasswordsInLogs,
  useWorker,
} from './harness.mjs';

const TIMEOUT = { timeout: 180_000 };
const u = (user) => `/v1/users/${encodeURIComponent(user)}`;

/** Every authenticated route, with a body that would be acceptable. */
const AUTHENTICATED = [
  ['GET', '/v1/settings'],
  ['PUT', '/v1/settings', { limit: 40 }],
  ['POST', '/v1/verify', { user: 'alice', password: 'aaaa-aaaa-aaaa-aaaa-aaaa-aaaa' }],
  ['POST', `${u('alice')}/app-passwords`, { name: 'Phone' }],
  ['GET', `${u('alice')}/app-passwords`],
  ['DELETE', `${u('alice')}/app-passwords`],
  ['DELETE', `${u('alice')}/app-passwords/ap_0000000000000000`],
  ['PUT', `${u('alice')}/mfa`, { enabled: true }],
];

/** Routes that read a JSON body, with the members of a body of the right shape. */
const BODY_ROUTES = [
  ['POST', `${u('bodies')}/app-passwords`, '"name": "Phone"'],
  ['PUT', `${u('bodies')}/mfa`, '"enabled": true'],
  ['POST', '/v1/verify', '"user": "bodies", "password": "hunter2"'],
  ['PUT', '/v1/settings', '"limit": 40'],
];

describe('authentication', TIMEOUT, () => {
  const ctx = useWorker();

  test('GET /healthz answers 200 without a token', async () => {
    const res = await ctx.api.health();
    assert.equal(res.status, 200, res.text);
  });

  test('every /v1 route refuses a request without an Authorization header with unauthorized', async () => {
    for (const [method, path, json] of AUTHENTICATED) {
      const res = await ctx.api.request(method, path, { json, auth: false });
      assertError(res, 401, 'unauthorized');
    }
  });

  test('every /v1 route refuses a wrong bearer token with unauthorized', async () => {
    const token = ctx.worker.token;
    const wrong = [
      'Bearer wrong-token-0123456789abcdef',
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token.toUpperCase()}`,
      'Bearer ',
      'Bearer',
      token,
    ];
    for (const [method, path, json] of AUTHENTICATED) {
      for (const authorization of wrong) {
        const res = await ctx.api.request(method, path, { json, headers: { authorization } });
        assertError(res, 401, 'unauthorized');
      }
    }
  });

  test('the Basic scheme is refused even when it carries the right token', async () => {
    const token = ctx.worker.token;
    for (const authorization of [
      `Basic ${token}`,
      `Basic ${Buffer.from(`${token}:`).toString('base64')}`,
      `Basic ${Buffer.from(`api:${token}`).toString('base64')}`,
    ]) {
      const res = await ctx.api.request('GET', '/v1/settings', { headers: { authorization } });
      assertError(res, 401, 'unauthorized');
    }
  });

  test('a refused request changes nothing', async () => {
    const put = await ctx.api.request('PUT', '/v1/settings', {
      json: { app_passwords_allowed: false, limit: 3 },
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
    });
    assertError(put, 401, 'unauthorized');
    const mfa = await ctx.api.request('PUT', `${u('mallory')}/mfa`, { json: { enabled: true }, auth: false });
    assertError(mfa, 401, 'unauthorized');
    const settings = await ctx.api.getSettings();
    assert.equal(settings.status, 200, settings.text);
    assert.equal(settings.body.app_passwords_allowed, true);
    assert.equal(settings.body.limit, 40);
    const create = await ctx.api.create('mallory', 'Phone');
    assertError(create, 403, 'mfa_required');
  });

  test('the right bearer token is accepted', async () => {
    const res = await ctx.api.getSettings();
    assert.equal(res.status, 200, res.text);
  });
});

describe('routing and request bodies', TIMEOUT, () => {
  const ctx = useWorker();

  test('an unknown route answers 404 not_found_route', async () => {
    for (const [method, path] of [
      ['GET', '/v1'],
      ['GET', '/v1/'],
      ['GET', '/v1/nope'],
      ['POST', '/v1/verify/extra'],
      ['GET', '/v2/settings'],
      ['GET', '/v1/users'],
      ['GET', `${u('alice')}`],
      ['GET', `${u('alice')}/passwords`],
      ['DELETE', `${u('alice')}/app-passwords/ap_1/extra`],
      ['GET', '/healthz/extra'],
    ]) {
      const res = await ctx.api.request(method, path);
      assertError(res, 404, 'not_found_route');
    }
  });

  test('a known route with the wrong method answers 405 method_not_allowed', async () => {
    const health = await ctx.api.request('POST', '/healthz', { auth: false, body: '{}' });
    assertError(health, 405, 'method_not_allowed');
    for (const [method, path] of [
      ['DELETE', '/healthz'],
      ['GET', '/v1/verify'],
      ['PUT', '/v1/verify'],
      ['DELETE', '/v1/verify'],
      ['POST', '/v1/settings'],
      ['DELETE', '/v1/settings'],
      ['PATCH', '/v1/settings'],
      ['PUT', `${u('alice')}/app-passwords`],
      ['PATCH', `${u('alice')}/app-passwords`],
      ['GET', `${u('alice')}/app-passwords/ap_0000000000000000`],
      ['POST', `${u('alice')}/app-passwords/ap_0000000000000000`],
      ['PUT', `${u('alice')}/app-passwords/ap_0000000000000000`],
      ['GET', `${u('alice')}/mfa`],
      ['POST', `${u('alice')}/mfa`],
      ['DELETE', `${u('alice')}/mfa`],
    ]) {
      const body = method === 'GET' ? undefined : '{}';
      const res = await ctx.api.request(method, path, { body, headers: { 'content-type': 'application/json' } });
      assertError(res, 405, 'method_not_allowed');
    }
  });

  test('a body over 16 KiB is refused with 413 payload_too_large', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(16 * 1024) });
    assert.ok(Buffer.byteLength(big) > 16 * 1024);
    for (const [method, path] of BODY_ROUTES) {
      const res = await ctx.api.request(method, path, { body: big, headers: { 'content-type': 'application/json' } });
      assertError(res, 413, 'payload_too_large');
    }
  });

  test('a body of 16 KiB + 1 byte is refused, and so is a large body without Content-Length', async () => {
    const padded = (n) => {
      const base = '{"name":"Phone"}';
      return base.slice(0, -1) + ' '.repeat(n - base.length) + '}';
    };
    const over = padded(16 * 1024 + 1);
    assert.equal(Buffer.byteLength(over), 16 * 1024 + 1);
    const res = await ctx.api.request('POST', `${u('bodies')}/app-passwords`, {
      body: over,
      headers: { 'content-type': 'application/json' },
    });
    assertError(res, 413, 'payload_too_large');

    // Chunked: the size is only known once the body has been read.
    const chunk = new TextEncoder().encode(' '.repeat(4096));
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name":"Phone"'));
        for (let i = 0; i < 8; i++) controller.enqueue(chunk);
        controller.enqueue(new TextEncoder().encode('}'));
        controller.close();
      },
    });
    const chunked = await ctx.api.request('POST', `${u('bodies')}/app-passwords`, {
      body: stream,
      headers: { 'content-type': 'application/json' },
    });
    assertError(chunked, 413, 'payload_too_large');
  });

  test('a body of exactly 16 KiB is not refused for its size', async () => {
    const base = '{"name":"Phone"}';
    const exact = base.slice(0, -1) + ' '.repeat(16 * 1024 - base.length) + '}';
    assert.equal(Buffer.byteLength(exact), 16 * 1024);
    const res = await ctx.api.request('POST', `${u('bodies')}/app-passwords`, {
      body: exact,
      headers: { 'content-type': 'application/json' },
    });
    // The user has no MFA: the body was read and understood.
    assertError(res, 403, 'mfa_required');
  });

  test('a body that is not JSON is refused with 400 invalid_json', async () => {
    for (const [method, path, members] of BODY_ROUTES) {
      const bodies = ['{', 'not json', "{'a': 1}", '', '}{', `{${members},}`, `{${members}`, `{${members}}}`, `{${members}} x`];
      for (const body of bodies) {
        const res = await ctx.api.request(method, path, { body, headers: { 'content-type': 'application/json' } });
        assertError(res, 400, 'invalid_json');
      }
    }
  });

  test('JSON of the wrong shape is refused with 400 invalid_request', async () => {
    const cases = {
      [`POST ${u('bodies')}/app-passwords`]: [
        {},
        { name: 5 },
        { name: null },
        { name: ['Phone'] },
        { name: 'Phone', extra: 1 },
        { name: 'Phone', scopes: 'imap' },
        { name: 'Phone', scopes: [1] },
        { Name: 'Phone' },
        [],
        'Phone',
        42,
        null,
      ],
      [`PUT ${u('bodies')}/mfa`]: [
        {},
        { enabled: 'true' },
        { enabled: 1 },
        { enabled: true, initial_name: 5 },
        { enabled: true, extra: true },
        [true],
        true,
      ],
      'POST /v1/verify': [
        {},
        { user: 'alice' },
        { password: 'aaaa' },
        { user: 5, password: 'aaaa' },
        { user: 'alice', password: 5 },
        { user: 'alice', password: 'aaaa', protocol: 5 },
        { user: 'alice', password: 'aaaa', extra: 1 },
        ['alice', 'aaaa'],
      ],
      'PUT /v1/settings': [
        { app_passwords_allowed: 'no' },
        { limit: '5' },
        { app_passwords_allowed: true, limit: 40, extra: 1 },
        [40],
        'x',
      ],
    };
    for (const [route, bodies] of Object.entries(cases)) {
      const [method, path] = route.split(' ');
      for (const json of bodies) {
        const res = await ctx.api.request(method, path, { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } });
        assert.ok(res.status < 500, `${route} ${JSON.stringify(json)} → ${res.status} ${res.text}`);
        assertError(res, 400, 'invalid_request');
      }
    }
  });

  test('a user id longer than 256 bytes or empty is refused with 400 invalid_user on every user route', async () => {
    const bad = ['x'.repeat(257), 'ü'.repeat(129), 'x'.repeat(1000)];
    for (const user of bad) {
      assert.ok(Buffer.byteLength(user) > 256);
    }
    const routes = (path) => [
      ['POST', `${path}/app-passwords`, { name: 'Phone' }],
      ['GET', `${path}/app-passwords`],
      ['DELETE', `${path}/app-passwords`],
      ['DELETE', `${path}/app-passwords/ap_0000000000000000`],
      ['PUT', `${path}/mfa`, { enabled: true }],
    ];
    for (const path of [...bad.map(u), '/v1/users/']) {
      for (const [method, p, json] of routes(path)) {
        const res = await ctx.api.request(method, p, { json });
        assertError(res, 400, 'invalid_user');
      }
    }
  });

  test('a user id of exactly 256 bytes is accepted', async () => {
    for (const user of ['x'.repeat(256), 'ü'.repeat(128)]) {
      assert.equal(Buffer.byteLength(user), 256);
      const mfa = await ctx.api.mfa(user, true, 'Laptop');
      assert.equal(mfa.status, 200, mfa.text);
      assertIssued(mfa.body.initial_app_password, 'Laptop');
      const list = await ctx.api.list(user);
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.count, 1);
      const ok = await ctx.api.verify(user, mfa.body.initial_app_password.password);
      assertVerified(ok, mfa.body.initial_app_password.id);
    }
  });

  test('a user id with a broken percent escape is refused with 400, not a server error', async () => {
    for (const path of ['/v1/users/%zz/app-passwords', '/v1/users/%E2%82/app-passwords', '/v1/users/%/mfa']) {
      const method = path.endsWith('/mfa') ? 'PUT' : 'GET';
      const json = method === 'PUT' ? { enabled: true } : undefined;
      const res = await ctx.api.request(method, path, { json });
      assertError(res, 400, 'invalid_user');
    }
  });

  test('a verify for a user id over 256 bytes or empty is refused without a server error', async () => {
    for (const user of ['', 'x'.repeat(257)]) {
      const res = await ctx.api.request('POST', '/v1/verify', {
        json: { user, password: 'aaaa-aaaa-aaaa-aaaa-aaaa-aaaa' },
      });
      assert.ok([400, 401].includes(res.status), `${res.status} ${res.text}`);
    }
  });

  test('malformed input never causes a server error', async () => {
    const bodies = [
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      Buffer.from('{"name":"\xff"}', 'latin1'),
      Buffer.from('{"user":"a","password":"\\ud800"}'),
      '['.repeat(5000) + ']'.repeat(5000),
      '{"a":'.repeat(2000) + '1' + '}'.repeat(2000),
      '{"name":"x","name":"y"}',
      '{"enabled":true,"enabled":false}',
      '{"limit":1e400}',
      '{"limit":40.0}',
      '\ufeff{"name":"x"}',
      JSON.stringify({ name: 'x'.repeat(10000) }),
      JSON.stringify({ user: 'u', password: '-'.repeat(10000) }),
      JSON.stringify({ user: 'u', password: ' '.repeat(10000), protocol: 'imap' }),
      JSON.stringify({ name: 'Phone', scopes: Array(2000).fill('imap') }),
    ];
    for (let i = 0; i < 20; i++) bodies.push(randomBytes(1 + (i * 397) % 3000));
    for (const [method, path] of BODY_ROUTES) {
      for (const body of bodies) {
        const res = await ctx.api.request(method, path, { body, headers: { 'content-type': 'application/json' } });
        assert.ok(res.status < 500, `${method} ${path} → ${res.status} ${res.text}`);
        if (res.status >= 400 && path !== '/v1/verify') {
          assert.equal(typeof res.body?.error?.code, 'string', `${method} ${path} → ${res.status} ${res.text}`);
        }
      }
    }
    for (const path of ['/v1/users/%00/app-passwords', '/v1/users/%C0%80/app-passwords', '/v1/users/..%2F..%2Fsettings/app-passwords', '/v1/users/%2e%2e/app-passwords', '/v1//verify', '/v1/users/a/app-passwords/%zz']) {
      for (const method of ['GET', 'DELETE', 'POST']) {
        const res = await ctx.api.request(method, path, method === 'POST' ? { json: { name: 'x' } } : {});
        assert.ok(res.status < 500, `${method} ${path} → ${res.status} ${res.text}`);
      }
    }
  });

  test('responses are JSON and are not cached', async () => {
    const res = await ctx.api.getSettings();
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  });
});

describe('app passwords of one user', TIMEOUT, () => {
  const ctx = useWorker();

  test('user ids that need URL encoding work and are kept apart', async () => {
    const users = ['alice@example.com', 'a/b c', 'zoë', 'x?y#z%41&'];
    const issued = {};
    for (const user of users) {
      const mfa = await ctx.api.mfa(user, true, `first of ${user}`);
      assert.equal(mfa.status, 200, mfa.text);
      assert.equal(mfa.body.mfa_enabled, true);
      assertIssued(mfa.body.initial_app_password, `first of ${user}`);
      const created = await ctx.api.create(user, 'Phone');
      assert.equal(created.status, 201, created.text);
      assertIssued(created.body, 'Phone');
      issued[user] = [mfa.body.initial_app_password, created.body];
    }
    for (const user of users) {
      const list = await ctx.api.list(user);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        list.body.app_passwords.map((p) => p.id).sort(),
        issued[user].map((p) => p.id).sort(),
        `list of ${user}`,
      );
      for (const p of issued[user]) {
        assertVerified(await ctx.api.verify(user, p.password), p.id);
      }
    }
    // Near misses of the encoded ids are other (empty) users.
    for (const other of ['a', 'b c', 'a%2Fb%20c', 'alice', 'x?y#zA&']) {
      const list = await ctx.api.list(other);
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.count, 0, `${other}: ${list.text}`);
    }
    assertRefused(await ctx.api.verify('a', issued['a/b c'][0].password), 'unknown_password');
    const encoded = await ctx.api.request('GET', '/v1/users/a%2Fb%20c/app-passwords');
    assert.equal(encoded.body.count, 2, encoded.text);
  });

  test('path segments are percent-decoded: any case of hex, encoded ids; broken escapes are invalid_user', async () => {
    const mfa = await ctx.api.mfa('žofie', true, 'Phone');
    assert.equal(mfa.status, 200, mfa.text);
    // Lower- and upper-case escapes of the same UTF-8 name the same user.
    for (const path of ['/v1/users/%c5%beofie/app-passwords', '/v1/users/%C5%BEofie/app-passwords']) {
      const list = await ctx.api.request('GET', path);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.body.app_passwords.map((p) => p.id), [mfa.body.initial_app_password.id], path);
    }
    // An encoded slash stays inside its segment: the user "a/../b", not a step up the path.
    const slashes = await ctx.api.request('GET', '/v1/users/a%2F..%2Fb/app-passwords');
    assert.equal(slashes.status, 200, slashes.text);
    assert.equal(slashes.body.count, 0);
    // An id with every character escaped is the same id.
    const id = mfa.body.initial_app_password.id;
    const escaped = [...id].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const removed = await ctx.api.request('DELETE', `/v1/users/%C5%BEofie/app-passwords/${escaped}`);
    assert.equal(removed.status, 204, removed.text);
    for (const bad of ['%', 'a%2', '%zz', '%C0%80', '%E0%A4%A', '%FF']) {
      assertError(await ctx.api.request('GET', `/v1/users/${bad}/app-passwords`), 400, 'invalid_user');
    }
  });

  test('create returns the password once, in both forms, and the list never contains a secret', async () => {
    const user = 'lister';
    const mfa = await ctx.api.mfa(user, true, 'Laptop');
    const created = await ctx.api.create(user, 'Phone', ['imap']);
    assert.equal(created.status, 201, created.text);
    assertIssued(created.body, 'Phone', ['imap']);
    assert.deepEqual(Object.keys(created.body).sort(), ['created_at', 'display', 'expires_at', 'id', 'name', 'password', 'scopes']);
    const secrets = [mfa.body.initial_app_password, created.body];

    const list = await ctx.api.list(user);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.count, 2);
    assert.equal(list.body.limit, 40);
    assert.equal(list.body.app_passwords.length, 2);
    for (const entry of list.body.app_passwords) {
      for (const key of ['id', 'name', 'created_at', 'last_used_at', 'scopes']) {
        assert.ok(key in entry, `${key} missing in ${JSON.stringify(entry)}`);
      }
      for (const key of Object.keys(entry)) {
        assert.doesNotMatch(key, /password|display|hash|phc|lookup|key|secret|salt/i, `field ${key}`);
      }
    }
    const byId = Object.fromEntries(list.body.app_passwords.map((e) => [e.id, e]));
    assert.equal(byId[created.body.id].name, 'Phone');
    assert.deepEqual(byId[created.body.id].scopes, ['imap']);
    assert.equal(byId[created.body.id].created_at, created.body.created_at);
    assert.equal(byId[created.body.id].last_used_at, null);
    assert.equal(byId[mfa.body.initial_app_password.id].name, 'Laptop');

    const text = list.text;
    assert.doesNotMatch(text, /argon2/i);
    assert.doesNotMatch(text, /\$v=19\$/);
    assert.doesNotMatch(text, /[0-9a-f]{32}/i, 'something like a lookup key or hash');
    assert.doesNotMatch(text, /"[a-z]{24}"/, 'something like a password');
    for (const p of secrets) {
      assert.ok(!text.includes(p.password), 'password in the list');
      assert.ok(!text.includes(p.display), 'display form in the list');
    }
  });

  test('invalid names are refused with 400 invalid_name', async () => {
    const user = 'namer';
    await ctx.api.mfa(user, true, 'Laptop');
    for (const name of ['', ' ', '   \t  ', '\n', 'x'.repeat(65), ` ${'é'.repeat(65)} `, 'a\u0000b', 'Pho\u0007ne', 'tab\tinside', 'new\nline', 'del\u007f', 'c1\u0085x']) {
      const res = await ctx.api.create(user, name);
      assertError(res, 400, 'invalid_name');
    }
    const list = await ctx.api.list(user);
    assert.equal(list.body.count, 1, 'a refused name created nothing');
  });

  test('a name is trimmed and may have 64 characters', async () => {
    const user = 'namer';
    const long = 'n'.repeat(64);
    const created = await ctx.api.create(user, `  ${long}  `);
    assert.equal(created.status, 201, created.text);
    assertIssued(created.body, long);
    const accented = 'é'.repeat(64);
    const second = await ctx.api.create(user, accented);
    assert.equal(second.status, 201, second.text);
    assertIssued(second.body, accented);
    const spaced = await ctx.api.create(user, '  Work PC  ');
    assert.equal(spaced.status, 201, spaced.text);
    assert.equal(spaced.body.name, 'Work PC');
  });

  test('a name already used by the user, ignoring case and surrounding spaces, is refused with 409 name_taken', async () => {
    const user = 'namer';
    const first = await ctx.api.create(user, 'iPhone');
    assert.equal(first.status, 201, first.text);
    for (const name of ['iPhone', 'IPHONE', 'iphone', ' iPhone ', '\tIPhone\n', 'work pc', 'laptop']) {
      assertError(await ctx.api.create(user, name), 409, 'name_taken');
    }
    // The same name for another user is fine.
    await ctx.api.mfa('other-namer', true, 'Other');
    const other = await ctx.api.create('other-namer', 'iPhone');
    assert.equal(other.status, 201, other.text);
    // A deleted name can be used again.
    assert.equal((await ctx.api.remove(user, first.body.id)).status, 204);
    const again = await ctx.api.create(user, 'IPHONE');
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.name, 'IPHONE');
  });

  test('a password with scopes verifies for an allowed protocol and is refused with scope_denied for another', async () => {
    const user = 'scoped';
    await ctx.api.mfa(user, true, 'Laptop');
    const created = await ctx.api.create(user, 'Mail', ['imap', 'smtp']);
    assert.equal(created.status, 201, created.text);
    assertIssued(created.body, 'Mail', ['imap', 'smtp']);
    const { id, password } = created.body;
    assertVerified(await ctx.api.verify(user, password, 'imap'), id, 'Mail');
    assertVerified(await ctx.api.verify(user, password, 'smtp'), id, 'Mail');
    for (const protocol of ['pop', 'eas', 'dav']) {
      assertRefused(await ctx.api.verify(user, password, protocol), 'scope_denied');
    }
    const list = await ctx.api.list(user);
    const entry = list.body.app_passwords.find((e) => e.id === id);
    assert.deepEqual([...entry.scopes].sort(), ['imap', 'smtp']);
  });

  test('a password without scopes verifies for every protocol', async () => {
    const user = 'scoped';
    for (const scopes of [undefined, []]) {
      const created = await ctx.api.create(user, `All ${scopes === undefined ? 'omitted' : 'empty'}`, scopes);
      assert.equal(created.status, 201, created.text);
      assertIssued(created.body, undefined, []);
      for (const protocol of [undefined, 'imap', 'smtp', 'pop', 'eas', 'dav']) {
        assertVerified(await ctx.api.verify(user, created.body.password, protocol), created.body.id);
      }
    }
    const every = await ctx.api.create(user, 'Every', ['imap', 'smtp', 'pop', 'eas', 'dav']);
    assert.equal(every.status, 201, every.text);
    assertIssued(every.body, 'Every', ['imap', 'smtp', 'pop', 'eas', 'dav']);
  });

  test('an unknown scope is refused with 400 invalid_scope at create', async () => {
    const user = 'scoped';
    const before = (await ctx.api.list(user)).body.count;
    for (const scopes of [['gopher'], ['imap', 'gopher'], [''], ['imap ']]) {
      assertError(await ctx.api.create(user, `Bad ${JSON.stringify(scopes)}`, scopes), 400, 'invalid_scope');
    }
    assert.equal((await ctx.api.list(user)).body.count, before, 'nothing was created');
  });

  test('an unknown protocol in verify is refused with 400 invalid_scope', async () => {
    const user = 'scoped';
    const created = await ctx.api.create(user, 'Protocols');
    for (const protocol of ['gopher', '', 'http']) {
      assertError(await ctx.api.verify(user, created.body.password, protocol), 400, 'invalid_scope');
    }
  });

  test('deleting one app password answers 204 and it stops verifying; deleting it again answers 404 not_found', async () => {
    const user = 'deleter';
    const mfa = await ctx.api.mfa(user, true, 'Laptop');
    const keep = mfa.body.initial_app_password;
    const gone = (await ctx.api.create(user, 'Phone')).body;
    assertVerified(await ctx.api.verify(user, gone.password), gone.id);

    const del = await ctx.api.remove(user, gone.id);
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, '');

    assertRefused(await ctx.api.verify(user, gone.password), 'unknown_password');
    assertVerified(await ctx.api.verify(user, keep.password), keep.id);
    const list = await ctx.api.list(user);
    assert.deepEqual(list.body.app_passwords.map((e) => e.id), [keep.id]);
    assert.equal(list.body.count, 1);

    assertError(await ctx.api.remove(user, gone.id), 404, 'not_found');
    assertError(await ctx.api.remove(user, 'ap_ffffffffffffffff'), 404, 'not_found');
    assertError(await ctx.api.remove(user, 'no such id / with spaces'), 404, 'not_found');
  });

  test("one user cannot delete another user's app password by id", async () => {
    await ctx.api.mfa('victim', true, 'Laptop');
    const victim = (await ctx.api.create('victim', 'Phone')).body;
    await ctx.api.mfa('attacker', true, 'Laptop');
    assertError(await ctx.api.remove('attacker', victim.id), 404, 'not_found');
    assertVerified(await ctx.api.verify('victim', victim.password), victim.id);
    assert.equal((await ctx.api.list('victim')).body.count, 2);
  });

  test('a DELETE of one app password with an empty id answers 404 and deletes nothing', async () => {
    // `DELETE …/app-passwords/${id}` with an empty id must not turn into "delete all".
    const user = 'empty-id';
    const mfa = await ctx.api.mfa(user, true, 'Laptop');
    const keep = mfa.body.initial_app_password;
    for (const suffix of ['/', '//', '/%20']) {
      const res = await ctx.api.request('DELETE', `${u(user)}/app-passwords${suffix}`);
      assert.equal(res.status, 404, `DELETE …/app-passwords${suffix} → ${res.status} ${res.text}`);
      assert.ok(['not_found', 'not_found_route'].includes(res.body?.error?.code), res.text);
    }
    assert.equal((await ctx.api.list(user)).body.count, 1);
    assertVerified(await ctx.api.verify(user, keep.password), keep.id);
  });

  test('deleting all app passwords answers 200 with the number deleted and none verifies afterwards', async () => {
    const user = 'wiper';
    const mfa = await ctx.api.mfa(user, true, 'Laptop');
    const all = [mfa.body.initial_app_password];
    for (const name of ['Phone', 'Tablet']) all.push((await ctx.api.create(user, name)).body);
    const res = await ctx.api.removeAll(user);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { deleted: 3 });
    for (const p of all) assertRefused(await ctx.api.verify(user, p.password), 'unknown_password');
    const list = await ctx.api.list(user);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.app_passwords, []);
    assert.equal(list.body.count, 0);
    const again = await ctx.api.removeAll(user);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, { deleted: 0 });
    // A user nobody has heard of.
    assert.deepEqual((await ctx.api.removeAll('nobody-at-all')).body, { deleted: 0 });
  });

  test('a successful verify records last_used_at within a few seconds', async () => {
    const user = 'last-use';
    const mfa = await ctx.api.mfa(user, true, 'Laptop');
    const p = mfa.body.initial_app_password;
    const other = (await ctx.api.create(user, 'Unused')).body;
    const before = Math.floor(Date.now() / 1000);
    assertVerified(await ctx.api.verify(user, p.display, 'imap'), p.id);
    let entry;
    for (let i = 0; i < 50; i++) {
      const list = await ctx.api.list(user);
      entry = list.body.app_passwords.find((e) => e.id === p.id);
      if (entry.last_used_at !== null && entry.last_used_at !== undefined) break;
      await sleep(100);
    }
    assert.equal(typeof entry.last_used_at, 'number', JSON.stringify(entry));
    assert.ok(entry.last_used_at >= before - 2 && entry.last_used_at <= Date.now() / 1000 + 2, JSON.stringify(entry));
    const list = await ctx.api.list(user);
    assert.equal(list.body.app_passwords.find((e) => e.id === other.id).last_used_at, null);
  });

  test('a refused verify does not record a use', async () => {
    const user = 'last-use-refused';
    await ctx.api.mfa(user, true, 'Laptop');
    const scoped = (await ctx.api.create(user, 'Scoped', ['imap'])).body;
    assertRefused(await ctx.api.verify(user, scoped.password, 'eas'), 'scope_denied');
    await sleep(1500);
    const list = await ctx.api.list(user);
    assert.equal(list.body.app_passwords.find((e) => e.id === scoped.id).last_used_at, null);
  });

  test('a refused verify gives one of the documented reasons', async () => {
    const res = await ctx.api.verify('anyone', 'hunter2');
    assertRefused(res);
    assert.ok(VERIFY_REASONS.includes(res.body.reason));
    assert.deepEqual(Object.keys(res.body).sort(), ['reason', 'valid']);
  });
});

testNoPasswordsInLogs();
