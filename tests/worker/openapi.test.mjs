// GET /openapi.json (issue 15): an OpenAPI 3.1 description of every route, valid by a maintained
// validator (@seriousme/openapi-schema-validator, pinned), equal to the route table both ways, with
// exactly the error codes the core and the Worker can answer, and answers that match its schemas.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import { REPO, VERIFY_REASONS, makeValidPassword, testNoPasswordsInLogs, useWorker } from './harness.mjs';

const TIMEOUT = { timeout: 120_000 };
const DOC = JSON.parse(readFileSync(join(REPO, 'public', 'openapi.json'), 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
/** The route table as the end-to-end tests know it (kept equal to the Worker's by a unit test). */
const ROUTES = join(REPO, 'tests', 'worker', 'routes.json');

/** Every documented operation as "METHOD /path". */
function documented() {
  return Object.entries(DOC.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** Every route of the Worker as "METHOD /path". */
function routed() {
  return JSON.parse(readFileSync(ROUTES, 'utf8')).routes.map((r) => `${r.method} ${r.path}`);
}

/** Files under `dir` ending in .rs, recursively. */
function rustFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? rustFiles(join(dir, e.name)) : e.name.endsWith('.rs') ? [join(dir, e.name)] : [],
  );
}

/** Error codes the Worker can answer: the core's `Error::code()` and every `ApiError::new(status, "code", …)`. */
function answerableCodes() {
  const codes = new Set();
  const core = readFileSync(join(REPO, 'src', 'domain', 'error.rs'), 'utf8');
  const codeFn = /pub (?:const )?fn code\(&self\)[^{]*\{([\s\S]*?)\n {4}\}/.exec(core);
  assert.ok(codeFn, 'src/domain/error.rs has no fn code');
  for (const m of codeFn[1].matchAll(/=> "([a-z_]+)"/g)) codes.add(m[1]);
  for (const file of rustFiles(join(REPO, 'src', 'worker'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:ApiError|Self)::new\(\s*\d{3},\s*"([a-z_]+)"/g)) codes.add(m[1]);
  }
  return [...codes].sort();
}

const resolve = (node) => (node && node.$ref ? resolve(node.$ref.split('/').slice(1).reduce((o, k) => o[k], DOC)) : node);
const ajv = new Ajv2020({ strict: false, allErrors: true });

/** Asserts that `res` is a documented answer of `method template` and matches its JSON schema. */
function assertDocumented(res, method, template) {
  const operation = DOC.paths[template]?.[method.toLowerCase()];
  assert.ok(operation, `${method} ${template} is not documented`);
  const response = resolve(operation.responses[String(res.status)]);
  assert.ok(response, `${method} ${template}: status ${res.status} is not documented (${res.text})`);
  const schema = response.content?.['application/json']?.schema;
  if (res.status === 204 || res.text === '') {
    assert.equal(schema, undefined, `${method} ${template} ${res.status}: documented with a body, answered none`);
    return;
  }
  if (!schema) return; // HTML and assets: no JSON schema
  const validate = ajv.compile({ ...schema, components: DOC.components });
  assert.ok(validate(res.body), `${method} ${template} ${res.status}: ${res.text}\ndoes not match the document: ${ajv.errorsText(validate.errors)}`);
}

describe('the OpenAPI document', TIMEOUT, () => {
  const ctx = useWorker({ vars: { DEV_SIGN_IN: 'true' } });

  test('GET /openapi.json serves public/openapi.json without a token', async () => {
    const res = await ctx.api.request('GET', '/openapi.json', { auth: false });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(res.body, DOC);
  });

  test('is valid OpenAPI 3.1 by @seriousme/openapi-schema-validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(DOC);
    assert.equal(validator.version, '3.1');
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(DOC.info.version, /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(readFileSync(join(REPO, 'Cargo.toml'), 'utf8'))[1]);
  });

  test('documents every route of the route table, and no route the Worker does not have', { skip: !existsSync(ROUTES) && 'no route table yet (tests/worker/routes.json)' }, () => {
    const docs = documented().sort();
    const table = routed().sort();
    assert.deepEqual(table.filter((r) => !docs.includes(r)), [], 'routes missing from the document');
    assert.deepEqual(docs.filter((r) => !table.includes(r)), [], 'documented routes the Worker does not have');
  });

  test('every documented operation is routed by the Worker (no 404 not_found_route, no 405)', async () => {
    const fill = (path) => path.replace('{user}', 'alice').replace('{id}', 'ap_0000000000000000').replace('{file}', 'app.js');
    for (const operation of documented()) {
      const [method, path] = operation.split(' ');
      const res = await ctx.api.request(method, fill(path), { json: method === 'GET' || method === 'DELETE' ? undefined : {} });
      assert.notEqual(res.status, 405, `${operation}: ${res.text}`);
      assert.ok(!(res.status === 404 && res.body?.error?.code === 'not_found_route'), `${operation}: ${res.text}`);
    }
  });

  test('on every documented path the Worker accepts exactly the documented methods, and the paths around them are not routed', async () => {
    const fill = (path) => path.replace('{user}', 'alice').replace('{id}', 'ap_0000000000000000').replace('{file}', 'app.js');
    // Every check that could come before the method's (token, origin, session) is passed.
    const signIn = await fetch(`${ctx.worker.url}/dev/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: ctx.worker.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=openapi-probe',
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(cookie, /=/, `no session cookie from the development sign-in: ${signIn.status}`);
    const headers = { origin: ctx.worker.url, cookie };
    const undocumented = [];
    for (const [path, item] of Object.entries(DOC.paths)) {
      for (const method of ['GET', 'PUT', 'POST', 'DELETE', 'PATCH']) {
        if (item[method.toLowerCase()]) continue;
        const res = await ctx.api.request(method, fill(path), { headers, json: method === 'GET' ? undefined : {} });
        if (res.status !== 405) undocumented.push(`${method} ${path}: ${res.status} ${res.text.slice(0, 80)}`);
      }
    }
    assert.deepEqual(undocumented, [], 'methods the Worker accepts on a documented path but the document does not list');
    // One segment more or less than a documented path, where that is not documented itself.
    const templates = Object.keys(DOC.paths).map((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`));
    const nearby = new Set();
    for (const path of Object.keys(DOC.paths).map(fill)) {
      nearby.add(`${path}/extra`);
      if (path.lastIndexOf('/') > 0) nearby.add(path.slice(0, path.lastIndexOf('/')));
    }
    const routed = [];
    for (const path of [...nearby].filter((p) => !templates.some((t) => t.test(p)))) {
      const res = await ctx.api.request('GET', path, { headers });
      if (!(res.status === 404 && res.body?.error?.code === 'not_found_route')) routed.push(`GET ${path}: ${res.status}`);
    }
    assert.deepEqual(routed, [], 'paths next to documented ones that the Worker routes');
  });

  test('ErrorCode lists exactly the codes the core and the Worker can answer; VerifyReason the refusals', () => {
    assert.deepEqual([...DOC.components.schemas.ErrorCode.enum].sort(), answerableCodes());
    for (const reason of VERIFY_REASONS) assert.ok(DOC.components.schemas.VerifyReason.enum.includes(reason), reason);
  });

  test('the answers of a real session are documented and match their schemas', async () => {
    const { api } = ctx;
    const user = 'openapi@example.com';
    const U = '/v1/users/{user}/app-passwords';
    const check = (res, method, template) => assertDocumented(res, method, template);
    check(await api.health(), 'GET', '/healthz');
    check(await api.request('GET', '/favicon.ico', { auth: false }), 'GET', '/favicon.ico');
    check(await api.mfa(user, true, 'Phone'), 'PUT', '/v1/users/{user}/mfa');
    const created = await api.create(user, 'Laptop', ['imap']);
    check(created, 'POST', U);
    check(await api.create(user, 'laptop'), 'POST', U);
    check(await api.create(user, '  '), 'POST', U);
    check(await api.request('POST', `/v1/users/${encodeURIComponent(user)}/app-passwords`, { body: '{', headers: { 'content-type': 'application/json' } }), 'POST', U);
    check(await api.list(user), 'GET', U);
    check(await api.verify(user, created.body.password, 'imap'), 'POST', '/v1/verify');
    check(await api.verify(user, created.body.password, 'pop'), 'POST', '/v1/verify');
    check(await api.verify(user, makeValidPassword()), 'POST', '/v1/verify');
    check(await api.request('POST', '/v1/verify', { json: { user, password: 'x' }, auth: false }), 'POST', '/v1/verify');
    check(await api.request('POST', '/v1/verify', { json: { user, password: 'x', protocol: 'gopher' } }), 'POST', '/v1/verify');
    check(await api.getSettings(), 'GET', '/v1/settings');
    check(await api.putSettings({ limit: 0 }), 'PUT', '/v1/settings');
    check(await api.putSettings({ limit: 40 }), 'PUT', '/v1/settings');
    check(await api.request('GET', '/v1/settings', { auth: false }), 'GET', '/v1/settings');
    check(await api.remove(user, created.body.id), 'DELETE', `${U}/{id}`);
    check(await api.remove(user, created.body.id), 'DELETE', `${U}/{id}`);
    check(await api.removeAll(user), 'DELETE', U);
    check(await api.request('GET', '/v1/me/app-passwords', { auth: false }), 'GET', '/v1/me/app-passwords');
    check(await api.request('GET', `/v1/users/${encodeURIComponent(user)}/events`), 'GET', '/v1/users/{user}/events');
    check(await api.request('GET', '/v1/stats'), 'GET', '/v1/stats');
    const key = await api.request('POST', '/v1/api-keys', { json: { name: 'mx1.example.com', scopes: ['verify'] } });
    check(key, 'POST', '/v1/api-keys');
    check(await api.request('POST', '/v1/api-keys', { json: { name: 'x', scopes: ['root'] } }), 'POST', '/v1/api-keys');
    check(await api.request('GET', '/v1/api-keys'), 'GET', '/v1/api-keys');
    const asKey = { headers: { authorization: `Bearer ${key.body.key}` } };
    check(await api.request('GET', '/v1/settings', asKey), 'GET', '/v1/settings');
    check(await api.request('DELETE', `/v1/api-keys/${key.body.id}`), 'DELETE', '/v1/api-keys/{id}');
    check(await api.request('DELETE', `/v1/api-keys/${key.body.id}`), 'DELETE', '/v1/api-keys/{id}');
    check(await api.request('POST', '/sign-out', { auth: false, headers: { origin: 'https://evil.example' } }), 'POST', '/sign-out');
  });
});

testNoPasswordsInLogs();
