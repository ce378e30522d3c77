// Parts 2 and 3: verification end to end on workerd (wrangler dev --local): our Worker vs the
// reference JS Worker (js-worker/), and the cost of refused input on ours vs a no-op Worker
// (noop-worker/, the platform's ceiling) and vs the same Worker making only the binding calls ours
// makes for a well-formed unknown password (the bindings ceiling). Rendered by verify-report.mjs.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { load } from "./load.mjs";
import { REPO, percentile } from "./lib.mjs";
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

// CPU time of a Worker's processes (wrangler and its workerd: one process group, as the harness
// starts them), found from the port it listens on. Linux /proc; undefined elsewhere.
const TICKS_PER_MS = 100 / 1000; // USER_HZ: /proc counts CPU time in 1/100 s on Linux

function listeningInode(port) {
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === "0A" && Number.parseInt(cols[1].split(":").at(-1), 16) === port) return cols[9];
    }
  }
  return undefined;
}

const pids = () => readdirSync("/proc").filter((d) => /^\d+$/.test(d));

/** [process group, utime + stime in ticks] of a process, from /proc/<pid>/stat. */
function statOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1).split(" ");
    return [Number(fields[2]), Number(fields[11]) + Number(fields[12])];
  } catch {
    return [undefined, 0]; // gone meanwhile
  }
}

/** A function returning the CPU ms used so far by the process group serving `port`, or undefined. */
function groupCpu(port) {
  try {
    const socket = `socket:[${listeningInode(port)}]`;
    const owner = pids().find((pid) => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === socket);
      } catch {
        return false;
      }
    });
    if (owner === undefined) return undefined;
    const [group] = statOf(owner);
    return () => pids().reduce((ms, pid) => {
      const [g, ticks] = statOf(pid);
      return g === group ? ms + ticks / TICKS_PER_MS : ms;
    }, 0);
  } catch {
    return undefined;
  }
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
    // CPU ms of the Worker's processes (wrangler, workerd) per request: unlike throughput, hardly
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

// `only`: the names of the targets to run (all when absent), for a focused run by hand.
export async function runVerify({ seconds = 5, rounds = 4, concurrency = 8, only } = {}) {
  const results = {};
  const pairs = [];
  const cachedPairs = [];
  // Both Workers run side by side; the load alternates between them in rounds (order swapped
  // every round), so a slow phase of the machine hits both alike.
  const rateLimits = RATE_LIMITS;
  const [ourWorker, cachedWorker, jsWorker, noopWorker, bareWorker] = await Promise.all([
    // The login cache off: these rows measure first logins (KV read + Argon2id), as the JS Worker does.
    startWorker({ rateLimits, vars: { LOGIN_CACHE_TTL_SECS: "0" } }),
    // The login cache on (the default TTL, 60 s): repeated logins.
    startWorker({ rateLimits }),
    startWorker({ configText: workerConfig("js-worker") }),
    startWorker({ configText: workerConfig("noop-worker", { rateLimits: true }) }),
    startWorker({ configText: workerConfig("noop-worker", { assets: false }) }),
  ]);
  const ourWorkers = [ourWorker, cachedWorker];
  const cpus = new Map([ourWorker, cachedWorker, jsWorker, noopWorker, bareWorker].map((w) => [String(w.port), groupCpu(w.port)]));
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
      noopKv: { ...target(noopWorker, unknownBodies, 401), url: `${noopWorker.url}/kv` },
      noopLimiters: { ...target(noopWorker, unknownBodies, 401), url: `${noopWorker.url}/limiters` },
      // Where a refused request's time goes, step by step on our Worker: routing and a JSON answer
      // (no authentication, no body), then authentication and the body (`{}`: 400 before any rule).
      oursHealth: { url: `${ourWorker.url}/healthz`, method: "GET", headers: {}, expectStatus: 200, seconds, concurrency },
      oursEmptyBody: { ...target(ourWorker, ["{}"], 400), headers: headers(ourWorker) },
    };
    for (const name of Object.keys(targets)) if (only && !only.includes(name)) delete targets[name];
    const parts = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const names = Object.keys(targets);
      const order = r % 2 ? names.reverse() : names;
      for (const name of order) {
        const { strict, ...spec } = targets[name];
        // Settings changed through this Worker apply at once in its (single) isolate.
        if (strict) await put(ourWorker, "/v1/settings", { strict_revocation: true });
        // Our Workers' counters around the run (warm-up included, as `sent` is).
        const worker = ourWorkers.find((w) => spec.url.startsWith(`${w.url}/`));
        const before = worker && (await stats(worker));
        const cpu = cpus.get(new URL(spec.url).port);
        const cpuBefore = cpu?.();
        const result = await load(spec);
        // The Worker's processes' CPU time per request sent (warm-up included, as `sent` is).
        if (cpu) result.cpuMs = cpu() - cpuBefore;
        if (worker) result.counters = { ...grown(before, await stats(worker)), requests: result.sent };
        parts[name].push(result);
        if (strict) await put(ourWorker, "/v1/settings", { strict_revocation: false });
      }
      process.stderr.write(`verify: round ${r + 1}/${rounds} done\n`);
    }
    for (const [name, list] of Object.entries(parts)) results[name] = merge(list);
    results.pairs = USERS;
    results.roundRatios = parts.ours?.map((p, i) => p.rps / parts.js[i].rps);
    // Per round: well-formed unknown input on ours against the no-op and the bindings ceiling.
    results.unknownRoundRatios = parts.oursUnknown?.map((p, i) => ({ noop: p.rps / parts.noop[i].rps, ceiling: p.rps / parts.ceiling[i].rps }));
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
