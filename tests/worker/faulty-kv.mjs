// Test-only entry module: the built Worker (build/worker/shim.mjs) with its KV binding wrapped so that
// tests can make credential writes and deletions fail, or slow them down.
//
// This file is not part of any deploy: wrangler.toml's `main` is build/worker/shim.mjs, and only
// tests/worker/harness.mjs runs this module (`startWorker({ main: FAULTY_KV_MAIN })`), writing its own
// wrangler.toml for the run. The control route below exists only in this module, so fault injection
// cannot be switched on in a deployed Worker, whatever its vars or secrets.
//
// POST /__test/kv-faults {"fail": p, "applied": q, "delay_ms": n} sets the faults (all optional,
// default 0): each `put`/`delete` of a `cred:` key fails with probability p; a failed write has
// reached KV anyway with probability q (the answer was lost, not the write); every such write waits a
// random 0..n ms first, so writes overlap. It answers the faults in force and the counts so far.

import Worker, { TenantObject as RealTenant, UserObject as RealUser } from '../../build/worker/shim.mjs';

const faults = { fail: 0, applied: 0, delay_ms: 0 };
const counts = { writes: 0, failed: 0, applied_then_failed: 0 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The KV binding, with faults injected into writes of credential keys. */
class FaultyKv {
  constructor(real) {
    this.real = real;
  }

  get(...args) {
    return this.real.get(...args);
  }

  getWithMetadata(...args) {
    return this.real.getWithMetadata(...args);
  }

  list(...args) {
    return this.real.list(...args);
  }

  put(key, ...rest) {
    return this.write(key, () => this.real.put(key, ...rest));
  }

  delete(key) {
    return this.write(key, () => this.real.delete(key));
  }

  async write(key, op) {
    if (!String(key).startsWith('cred:')) return op();
    counts.writes++;
    if (faults.delay_ms > 0) await sleep(Math.random() * faults.delay_ms);
    if (Math.random() >= faults.fail) return op();
    counts.failed++;
    if (Math.random() < faults.applied) {
      await op();
      counts.applied_then_failed++;
    }
    throw new Error('injected KV failure (tests/worker/faulty-kv.mjs)');
  }
}

/** `env` with its KV binding wrapped. */
function wrap(env) {
  const kv = new FaultyKv(env.APP_PASSWORDS);
  return new Proxy(env, { get: (target, name) => (name === 'APP_PASSWORDS' ? kv : Reflect.get(target, name)) });
}

export class UserObject extends RealUser {
  constructor(state, env) {
    super(state, wrap(env));
  }
}

export class TenantObject extends RealTenant {
  constructor(state, env) {
    super(state, wrap(env));
  }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/__test/kv-faults' && request.method === 'POST') {
      const body = await request.json();
      for (const name of Object.keys(faults)) faults[name] = Number(body[name] ?? 0);
      return Response.json({ faults, counts });
    }
    return Worker.prototype.fetch.call({ env: wrap(env), ctx }, request);
  },
};
