// Part 1: Argon2id in one Node process. Implementations take turns every round, in an order shuffled
// afresh each round; the 32-byte tags must be equal across implementations (same password, salt,
// secret and parameters).
// Each call is timed by the wall clock (performance.now) and by the process's CPU time; the ratios
// use the wall-time medians (see bench/run.mjs for why). A full garbage collection runs before every
// timed call, outside the timed window, so that no implementation pays for the garbage of the one
// before it (V8 collects on background threads, which the process's CPU time counts).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { REPO, median } from "./lib.mjs";

const require = createRequire(import.meta.url);
const ours = require(`${REPO}/pkg/app_passwords.cjs`);
const { argon2id: hashWasm } = require("hash-wasm");
const nodeRs = require("@node-rs/argon2");
const nodeArgon2 = require("argon2");
const phiAg = await (await import("@phi-ag/argon2/node")).default();
// openpgp's setup.js remembers per module whether SIMD loaded: one module instance per variant.
const setupOf = async (variant) => (await import(new URL(`./node_modules/argon2id/lib/setup.js?${variant}`, import.meta.url).href)).default;
const openpgpDist = new URL("./node_modules/argon2id/dist/", import.meta.url);
const openpgpWasm = (file) => (importObject) => WebAssembly.instantiate(readFileSync(new URL(file, openpgpDist)), importObject);
const refuse = () => Promise.reject(new Error("not this variant"));
const openpgpSimd = await (await setupOf("simd"))(openpgpWasm("simd.wasm"), refuse);
const openpgpNoSimd = await (await setupOf("no-simd"))(refuse, openpgpWasm("no-simd.wasm"));

export const PROFILES = {
  P1: { m: 19456, t: 2, p: 1 },
  P2: { m: 65536, t: 3, p: 1 },
  P3: { m: 7168, t: 1, p: 1 },
};

const SALT = Buffer.from("0123456789abcdef");
const SECRET = Buffer.from("benchmark server secret, 32 b..!");

function tagOf(phc) {
  return Buffer.from(phc.split("$").at(-1), "base64");
}

/** Implementations without a secret input: their tag is checked against @node-rs/argon2 without one. */
export const NO_SECRET = new Set(["@phi-ag/argon2"]);

/** name → async (password, params) => 32-byte tag */
export function implementations() {
  return {
    ours: async (pw, { m, t, p }) =>
      tagOf(ours.hashAppPassword(pw, { secret: SECRET, params: { m, t, p }, salt: SALT })),
    "hash-wasm": async (pw, { m, t, p }) =>
      Buffer.from(
        await hashWasm({ password: pw, salt: SALT, secret: SECRET, parallelism: p, iterations: t, memorySize: m, hashLength: 32, outputType: "binary" }),
      ),
    "@node-rs/argon2": async (pw, { m, t, p }) =>
      nodeRs.hashRawSync(pw, { salt: SALT, secret: SECRET, memoryCost: m, timeCost: t, parallelism: p, outputLen: 32, algorithm: nodeRs.Algorithm.Argon2id }),
    "argon2 (node-argon2)": async (pw, { m, t, p }) =>
      nodeArgon2.hash(pw, { raw: true, salt: SALT, secret: SECRET, type: nodeArgon2.argon2id, memoryCost: m, timeCost: t, parallelism: p, hashLength: 32 }),
    "@phi-ag/argon2": async (pw, { m, t, p }) =>
      Buffer.from(phiAg.hash(pw, { salt: SALT, memoryCost: m, timeCost: t, parallelism: p, hashLength: 32, type: 2, version: 0x13 }).hash),
    "argon2id (openpgp, SIMD)": async (pw, { m, t, p }) =>
      Buffer.from(openpgpSimd({ password: Buffer.from(pw), salt: SALT, secret: SECRET, parallelism: p, passes: t, memorySize: m, tagLength: 32 })),
    "argon2id (openpgp, no SIMD)": async (pw, { m, t, p }) =>
      Buffer.from(openpgpNoSimd({ password: Buffer.from(pw), salt: SALT, secret: SECRET, parallelism: p, passes: t, memorySize: m, tagLength: 32 })),
  };
}

/** @node-rs/argon2 without the secret: the reference tag for NO_SECRET implementations. */
const noSecretTag = (pw, { m, t, p }) =>
  nodeRs.hashRawSync(pw, { salt: SALT, memoryCost: m, timeCost: t, parallelism: p, outputLen: 32, algorithm: nodeRs.Algorithm.Argon2id });

v8.setFlagsFromString("--expose-gc");
/** A full, synchronous garbage collection (V8's `gc()`). */
export const collectGarbage = vm.runInNewContext("gc");

/** `names` in an order drawn from `seed` (the same on every run). */
export function shuffled(names, seed) {
  const out = [...names];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export async function timeOne(fn, pw, params) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const tag = await fn(pw, params);
  const used = process.cpuUsage(cpu);
  return { ms: (used.user + used.system) / 1000, wallMs: performance.now() - start, tag };
}

export async function runArgon2({ rounds = 31 } = {}) {
  const impls = implementations();
  const password = ours.generateAppPassword().password;
  const results = {};
  for (const [profile, params] of Object.entries(PROFILES)) {
    const times = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
    const walls = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
    // Warm-up and the cross-check: every implementation must produce the same tag (those without
    // a secret input the same as @node-rs/argon2 without the secret).
    const tags = {};
    for (const [name, fn] of Object.entries(impls)) {
      const tag = (await fn(password, params)).toString("hex");
      if (NO_SECRET.has(name)) {
        if (tag !== noSecretTag(password, params).toString("hex")) throw new Error(`${profile}: ${name}: wrong tag`);
      } else tags[name] = tag;
    }
    const distinct = new Set(Object.values(tags));
    if (distinct.size !== 1) throw new Error(`${profile}: tags differ: ${JSON.stringify(tags)}`);
    for (let r = 0; r < rounds; r++) {
      // A new order every round: no implementation always runs first, or always after the same one.
      for (const name of shuffled(Object.keys(impls), 0x9e3779b9 + r)) {
        collectGarbage();
        const { ms, wallMs } = await timeOne(impls[name], password, params);
        times[name].push(ms);
        walls[name].push(wallMs);
      }
    }
    results[profile] = {
      params,
      tag: [...distinct][0],
      stats: Object.fromEntries(
        Object.entries(times).map(([k, v]) => [
          k,
          {
            median: median(v),
            min: Math.min(...v),
            wall: median(walls[k]),
            wallMin: Math.min(...walls[k]),
            // Ours ÷ this, paired by round (both ran within the same round, under the same load).
            oursRatio: median(walls[k].map((w, r) => walls.ours[r] / w)),
            n: v.length,
          },
        ]),
      ),
    };
    process.stderr.write(`argon2 ${profile} done\n`);
  }
  return results;
}

/**
 * Part 7: the strongest parameters whose median wall time with our wasm is <= `budgetMs`. Wall
 * time (performance.now) with a full garbage collection before each call, outside the timed
 * window, as in part 1: the process's CPU time advances in 4 ms ticks here, coarser than the budget.
 */
export async function freePlanProfiles({ budgetMs = 5, rounds = 15 } = {}) {
  const password = ours.generateAppPassword().password;
  const hash = implementations().ours;
  const rows = [];
  for (const m of [4096, 6144, 7168, 8192, 9216, 10240, 12288]) {
    for (const t of [1, 2, 3, 4]) {
      const params = { m, t, p: 1 };
      const v = [];
      await timeOne(hash, password, params);
      for (let i = 0; i < rounds; i++) {
        collectGarbage();
        v.push((await timeOne(hash, password, params)).wallMs);
      }
      rows.push({ ...params, median: median(v), min: Math.min(...v) });
    }
  }
  const fits = rows.filter((r) => r.median <= budgetMs).sort((a, b) => b.m * b.t - a.m * a.t);
  return { budgetMs, rows, strongest: fits.slice(0, 3) };
}
