// Part 1: Argon2id in one Node process. Implementations take turns every round; the 32-byte tags
// must be equal across implementations (same password, salt, secret and parameters).
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { REPO, median } from "./lib.mjs";

const require = createRequire(import.meta.url);
const ours = require(`${REPO}/pkg/app_passwords.cjs`);
const { argon2id: hashWasm } = require("hash-wasm");
const nodeRs = require("@node-rs/argon2");
const nodeArgon2 = require("argon2");

export const PROFILES = {
  P1: { m: 19456, t: 2, p: 1 },
  P2: { m: 65536, t: 3, p: 1 },
  P3: { m: 7168, t: 5, p: 1 },
};

const SALT = Buffer.from("0123456789abcdef");
const SECRET = Buffer.from("benchmark server secret, 32 b..!");

function tagOf(phc) {
  return Buffer.from(phc.split("$").at(-1), "base64");
}

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
  };
}

export async function timeOne(fn, pw, params) {
  const start = performance.now();
  const tag = await fn(pw, params);
  return { ms: performance.now() - start, tag };
}

export async function runArgon2({ rounds = 31 } = {}) {
  const impls = implementations();
  const password = ours.generateAppPassword().password;
  const results = {};
  for (const [profile, params] of Object.entries(PROFILES)) {
    const times = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
    // Warm-up and the cross-check: every implementation must produce the same tag.
    const tags = {};
    for (const [name, fn] of Object.entries(impls)) tags[name] = (await fn(password, params)).toString("hex");
    const distinct = new Set(Object.values(tags));
    if (distinct.size !== 1) throw new Error(`${profile}: tags differ: ${JSON.stringify(tags)}`);
    for (let r = 0; r < rounds; r++) {
      // Rotate the order each round so no implementation always runs first.
      const names = Object.keys(impls);
      const order = names.slice(r % names.length).concat(names.slice(0, r % names.length));
      for (const name of order) times[name].push((await timeOne(impls[name], password, params)).ms);
    }
    results[profile] = {
      params,
      tag: [...distinct][0],
      stats: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { median: median(v), min: Math.min(...v), n: v.length }])),
    };
    process.stderr.write(`argon2 ${profile} done\n`);
  }
  return results;
}

/** Part 6: the strongest parameters whose median time with our wasm is <= `budgetMs`. */
export async function freePlanProfiles({ budgetMs = 5, rounds = 15 } = {}) {
  const password = ours.generateAppPassword().password;
  const rows = [];
  for (const m of [4096, 6144, 7168, 8192, 9216, 10240, 12288]) {
    for (const t of [1, 2, 3, 4]) {
      const params = { m, t, p: 1 };
      const v = [];
      await timeOne(implementations().ours, password, params);
      for (let i = 0; i < rounds; i++) v.push((await timeOne(implementations().ours, password, params)).ms);
      rows.push({ ...params, median: median(v), min: Math.min(...v) });
    }
  }
  const fits = rows.filter((r) => r.median <= budgetMs).sort((a, b) => b.m * b.t - a.m * a.t);
  return { budgetMs, rows, strongest: fits.slice(0, 3) };
}
