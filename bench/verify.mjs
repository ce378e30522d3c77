// Parts 2 and 3: verification end to end on workerd (wrangler dev --local): our Worker vs the
// reference JS Worker (js-worker/), and the cost of refused input on ours vs a no-op Worker
// (noop-worker/, the platform's ceiling) and vs the same Worker making only the binding calls ours
// makes for a well-formed unknown password (the bindings ceiling). Every Worker is started by its own
// `wrangler dev`; the load goes straight to the Worker's own workerd, not through wrangler's dev
// proxy (lib.mjs, `directUrl`), and a few loads go through the proxy as well, to measure it.
// Rendered by verify-report.mjs.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { load } from "./load.mjs";
import { REPO, directUrl, groupCpu, percentile } from "./lib.mjs";
import { makeValidPassword, startWorker } from "../tests/worker/harness.mjs";

const require = createRequire(import.meta.url);
const ours = require(`${REPO}/pkg/app_passwords.cjs`);
const USERS = 8;

// The failed-login limits of the benchmark (high: refused input is measured, not throttled).
const RATE_LIMITS = { PAIR_LIMITER: 1_000_000_000, ADDRESS_LIMITER: 1_000_000_000 };

/** Our wrangler.toml's `[[ratelimits]]` sections (the same bindings config), with RATE_LIMITS. */
function rateLimitSections() {
  const sections = readFileSync(`${REPO}/wrangler.toml`, "utf8").split(/^(?=\[)/m).filter((s) => s.startsWith("[[ratelimits]]"));
  return sections.map((s) => {
    const name = s.match(/^\s*name\s*=\s*"([^"]+)"/m)[1];
    return s.replace(/limit\s*=\s*\d+/, `limit = ${RATE_LIMITS[name]}`);
  });
}

// Our wrangler.toml's `[assets]` section (directory made absolute): the static-asset layer that
// `wrangler dev` puts in front of a Worker that has one. The reference Workers get the same layer, so
// every Worker compared runs behind the same platform; the no-op Worker also runs once without it
// ("bare"), which measures what the layer itself costs here.
function assetsSection() {
  const out = [];
  let section = "";
  for (const line of readFileSync(`${REPO}/wrangler.toml`, "utf8").split("\n")) {
    const header = line.match(/^\s*\[\[?\s*([^\]]+?)\s*\]\]?/);
    if (header) section = header[1];
    if (section !== "assets") continue;
    const directory = line.match(/^\s*directory\s*=\s*"([^"]+)"/);
    out.push(directory ? `directory = ${JSON.stringify(`${REPO}/${directory[1]}`)}` : line);
  }
  if (!out.length) throw new Error("wrangler.toml has no [assets] section");
  return out;
}

/** The URL path of a file the static-asset layer serves (the first of `[assets]`' directory). */
function assetPath() {
  const dir = JSON.parse(assetsSection().find((l) => l.startsWith("directory = ")).slice("directory = ".length));
  const file = readdirSync(dir, { recursive: true }).sort().find((f) => statSync(`${dir}/${f}`).isFile());
  if (file === undefined) throw new Error(`${dir} ([assets] directory) has no file`);
  return `/${file}`;
}

/**
 * Starts a Worker with the harness's `wrangler dev` and finds its own workerd behind wrangler's dev
 * proxy (lib.mjs, `directUrl`): `url` is the direct one, where the load goes; `proxyUrl` the one
 * `wrangler dev` prints. Both serve the same Worker (one isolate), bindings and asset layer.
 */
async function startDirect(options) {
  const worker = await startWorker(options);
  try {
    return { ...worker, url: await directUrl(worker.port, { paths: ["/healthz", assetPath()] }), proxyUrl: worker.url };
  } catch (e) {
    await worker.stop();
    throw new Error(`bench: the Worker's own workerd behind wrangler dev's port ${worker.port}: ${e.message}`);
  }
}

function workerConfig(name, { rateLimits = false, assets = true } = {}) {
  return `name = "bench-${name}"
main = "${REPO}/bench/${name}/index.js"
compatibility_date = "2026-11-01"
[[kv_namespaces]]
binding = "APP_PASSWORDS"
id = "00000000000000000000000000000000"
${rateLimits ? rateLimitSections().join("\n") : ""}
${assets ? assetsSection().join("\n") : ""}`;
}

async function post(worker, path, body) {
  const res = await fetch(`${worker.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${worker.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function stats(worker) {
  const res = await fetch(`${worker.url}/v1/stats`, { headers: { authorization: `Bearer ${worker.token}` } });
  return res.json();
}

/** The growth of our Worker's counters (GET /v1/stats) between two readings. */
function grown(before, after) {
  return Object.fromEntries(["argon2_runs", "kv_reads", "cache_hits", "lookup_keys"].map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
}

async function put(worker, path, body) {
  const res = await fetch(`${worker.url}${path}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${worker.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Merges several load() results of one target into one (requests over total time, all latencies). */
function merge(parts) {
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  const latencies = parts.flatMap((p) => p.latencies);
  return {
    requests,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    unexpected: parts.reduce((n, p) => n + p.unexpected, 0),
    // CPU ms of the Worker's processes (wrangler, both workerd) per request: unlike throughput, hardly
    // moved by what else the machine runs.
    cpuMsPerRequest: parts.every((p) => p.cpuMs !== undefined) ? parts.reduce((n, p) => n + p.cpuMs, 0) / parts.reduce((n, p) => n + p.sent, 0) : undefined,
    sent: parts.reduce((n, p) => n + p.sent, 0),
    counters: parts.every((p) => p.counters)
      ? Object.fromEntries(Object.keys(parts[0].counters).map((k) => [k, parts.reduce((n, p) => n + p.counters[k], 0)]))
      : undefined,
    concurrency: parts[0].concurrency,
    seconds,
    rounds: parts.length,
  };
}

// The loads also sent through wrangler's dev proxy (the URL `wrangler dev` prints), in the same
// rounds: what the proxy costs, and continuity with the reports measured through it.
const VIA_PROXY = ["noop", "ours", "oursCached", "oursMalformed", "oursUnknown"];

// `only`: the names of the targets to run (all when absent), for a focused run by hand; a load
// through the proxy is named `proxy:` + its target's name. Results through the proxy are in
// `results.proxy`, by the target's name.
export async function runVerify({ seconds = 5, rounds = 4, concurrency = 8, only } = {}) {
  const results = {};
  const pairs = [];
  const cachedPairs = [];
  // Both Workers run side by side; the load alternates between them in rounds (order swapped
  // every round), so a slow phase of the machine hits both alike.
  const rateLimits = RATE_LIMITS;
  // One after the other: `wrangler dev` processes starting at the same moment race for the same
  // inspector port (each finds 9229 free, the loser exits with "Address already in use (socket
  // direct:1:default)", and a retry in parallel races again).
  const started = [];
  for (const options of [
    // The login cache off: these rows measure first logins (KV read + Argon2id), as the JS Worker does.
    { rateLimits, vars: { LOGIN_CACHE_TTL_SECS: "0" } },
    // The login cache on (the default TTL, 60 s): repeated logins.
    { rateLimits },
    { configText: workerConfig("js-worker") },
    { configText: workerConfig("noop-worker", { rateLimits: true }) },
    { configText: workerConfig("noop-worker", { assets: false }) },
  ]) {
    started.push(await startDirect(options));
  }
  const [ourWorker, cachedWorker, jsWorker, noopWorker, bareWorker] = started;
  const ourWorkers = [ourWorker, cachedWorker];
  // CPU of each `wrangler dev` process group (both its workerd processes), wherever the load goes.
  const cpus = new Map([ourWorker, cachedWorker, jsWorker, noopWorker, bareWorker].map((w) => [w, groupCpu(w.port)]));
  try {
    for (let i = 0; i < USERS; i++) {
      const user = `bench-user-${i}@example.com`;
      const mfa = await put(ourWorker, `/v1/users/${encodeURIComponent(user)}/mfa`, { enabled: true, initial_name: "Phone" });
      if (mfa.status !== 200) throw new Error(`setup: ${JSON.stringify(mfa)}`);
      pairs.push({ user, password: mfa.body.initial_app_password.display });
      // The same users on the cached Worker (its own storage, so its own passwords).
      const cached = await put(cachedWorker, `/v1/users/${encodeURIComponent(user)}/mfa`, { enabled: true, initial_name: "Phone" });
      if (cached.status !== 200) throw new Error(`setup: ${JSON.stringify(cached)}`);
      cachedPairs.push({ user, password: cached.body.initial_app_password.display });
      const seeded = await post(jsWorker, "/seed", { ...pairs[i], id: `js_${i}`, name: "Phone" });
      if (seeded.status !== 201) throw new Error(`seed: ${JSON.stringify(seeded)}`);
    }
    const target = (worker, bodies, expectStatus) => ({
      worker,
      url: `${worker.url}/v1/verify`,
      headers: { authorization: `Bearer ${worker.token}`, "content-type": "application/json" },
      bodies,
      expectStatus,
      seconds,
      concurrency,
    });
    const valid = pairs.map((p) => JSON.stringify(p));
    const unknownBodies = pairs.map((p) => JSON.stringify({ user: p.user, password: makeValidPassword() }));
    const headers = (worker) => ({ authorization: `Bearer ${worker.token}`, "content-type": "application/json" });
    const targets = {
      ours: target(ourWorker, valid, 200),
      // Repeated logins: the same valid passwords again and again, the login cache on.
      oursCached: target(cachedWorker, cachedPairs.map((p) => JSON.stringify(p)), 200),
      js: target(jsWorker, valid, 200),
      oursMalformed: target(ourWorker, pairs.map((p) => JSON.stringify({ user: p.user, password: "hunter2" })), 401),
      oursUnknown: target(ourWorker, unknownBodies, 401),
      // The same two loads with the tenant's strict_revocation on (verify through the user's object).
      oursStrict: { ...target(ourWorker, valid, 200), strict: true },
      oursStrictUnknown: {
        ...target(ourWorker, pairs.map((p) => JSON.stringify({ user: p.user, password: makeValidPassword() })), 401),
        strict: true,
      },
      noop: target(noopWorker, pairs.map((p) => JSON.stringify({ user: p.user, password: "hunter2" })), 401),
      // The same no-op Worker without the static-asset layer.
      noopBare: target(bareWorker, pairs.map((p) => JSON.stringify({ user: p.user, password: "hunter2" })), 401),
      // The no-op Worker plus exactly the binding calls of our unknown-input path (one KV get of a
      // missing key, then both rate limiters at once): the platform's ceiling for that input. And
      // each binding alone, to split the step table.
      ceiling: { ...target(noopWorker, unknownBodies, 401), url: `${noopWorker.url}/bindings` },
      // The no-op Worker reading the body it is sent (malformed input's bodies): a diagnostic of
      // what reading a POST body costs on this setup, before any of a Worker's own code.
      noopBody: { ...target(noopWorker, pairs.map((p) => JSON.stringify({ user: p.user, password: "hunter2" })), 401), url: `${noopWorker.url}/body` },
      noopKv: { ...target(noopWorker, unknownBodies, 401), url: `${noopWorker.url}/kv` },
      noopLimiters: { ...target(noopWorker, unknownBodies, 401), url: `${noopWorker.url}/limiters` },
      // Where a refused request's time goes, step by step on our Worker: routing and a JSON answer
      // (no authentication, no body), then authentication and the body (`{}`: 400 before any rule).
      oursHealth: { worker: ourWorker, url: `${ourWorker.url}/healthz`, method: "GET", headers: {}, expectStatus: 200, seconds, concurrency },
      // The same GET on the no-op Worker: ours over it is what the wasm entry and workers-rs cost
      // (the no-op's POST above costs the platform more than a GET: it carries a body).
      noopHealth: { worker: noopWorker, url: `${noopWorker.url}/healthz`, method: "GET", headers: {}, expectStatus: 200, seconds, concurrency },
      oursEmptyBody: { ...target(ourWorker, ["{}"], 400), headers: headers(ourWorker) },
    };
    // The same loads through the proxy: only the URL differs.
    for (const name of VIA_PROXY) {
      const spec = targets[name];
      targets[`proxy:${name}`] = { ...spec, url: `${spec.worker.proxyUrl}${spec.url.slice(spec.worker.url.length)}` };
    }
    for (const name of Object.keys(targets)) if (only && !only.includes(name)) delete targets[name];
    const parts = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const names = Object.keys(targets);
      const order = r % 2 ? names.reverse() : names;
      for (const name of order) {
        const { strict, worker, ...spec } = targets[name];
        // Settings changed through this Worker apply at once in its (single) isolate.
        if (strict) await put(ourWorker, "/v1/settings", { strict_revocation: true });
        // Our Workers' counters around the run (warm-up included, as `sent` is).
        const isOurs = ourWorkers.includes(worker);
        const before = isOurs && (await stats(worker));
        const cpu = cpus.get(worker);
        const cpuBefore = cpu?.();
        const result = await load(spec);
        // The Worker's processes' CPU time per request sent (warm-up included, as `sent` is).
        if (cpu) result.cpuMs = cpu() - cpuBefore;
        if (isOurs) result.counters = { ...grown(before, await stats(worker)), requests: result.sent };
        parts[name].push(result);
        if (strict) await put(ourWorker, "/v1/settings", { strict_revocation: false });
      }
      process.stderr.write(`verify: round ${r + 1}/${rounds} done\n`);
    }
    results.proxy = {};
    for (const [name, list] of Object.entries(parts)) {
      if (name.startsWith("proxy:")) results.proxy[name.slice("proxy:".length)] = merge(list);
      else results[name] = merge(list);
    }
    results.pairs = USERS;
    results.roundRatios = parts.ours && parts.js && parts.ours.map((p, i) => p.rps / parts.js[i].rps);
    // Per round: well-formed unknown input on ours against the no-op and the bindings ceiling.
    results.unknownRoundRatios =
      parts.oursUnknown && parts.noop && parts.ceiling && parts.oursUnknown.map((p, i) => ({ noop: p.rps / parts.noop[i].rps, ceiling: p.rps / parts.ceiling[i].rps }));
  } finally {
    await Promise.all([ourWorker.stop(), cachedWorker.stop(), jsWorker.stop(), noopWorker.stop(), bareWorker.stop()]);
  }

  // Argon2 runs per refused attempt, counted in-process through the same core (npm package):
  // normalise, then look the credential up by key as the Worker does; nothing reaches Argon2.
  const secret = "benchmark server secret, 32 b..!";
  const account = ours.UserAppPasswords.fromJSON(undefined, { user: "counted", secret });
  account.onMfaRegistered();
  const counts = {};
  for (const [label, inputs] of [
    ["malformed", Array.from({ length: 1000 }, () => "hunter2")],
    ["unknown well-formed", Array.from({ length: 1000 }, () => makeValidPassword())],
    ["valid", [account.create({ name: "Phone" }).password]],
  ]) {
    const before = ours.argon2Runs();
    for (const input of inputs) account.check(input, { secret });
    counts[label] = { attempts: inputs.length, argon2Runs: ours.argon2Runs() - before };
  }
  results.argon2Counts = counts;
  return results;
}
