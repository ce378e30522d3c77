// A focused Argon2id timing for work on crates/argon2: ours (one or more builds of the npm package)
// against @phi-ag/argon2 only, taking turns every round (as section 1 of `make bench` does: shuffled
// order, a garbage collection before each call), wall and CPU time. Not part of `make bench`
// (section 1 of bench/run.mjs stays the reported figure).
//
//   node bench/argon2-quick.mjs [--rounds N] [--profiles P1,P3] [--pkg DIR]...
//
// Each --pkg is a directory laid out like pkg/ (default: pkg/); give several to compare builds.
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { PROFILES, collectGarbage, shuffled } from "./argon2.mjs";
import { REPO, fmt, median } from "./lib.mjs";

const args = process.argv.slice(2);
const option = (name) => args.flatMap((a, i) => (a === name ? [args[i + 1]] : []));
const rounds = Number(option("--rounds")[0] ?? 21);
const profiles = (option("--profiles")[0] ?? "P1,P2,P3").split(",");
const pkgs = option("--pkg").length ? option("--pkg") : [`${REPO}/pkg`];

const require = createRequire(import.meta.url);
const phiAg = await (await import("@phi-ag/argon2/node")).default();
const SALT = Buffer.from("0123456789abcdef");
const SECRET = Buffer.from("benchmark server secret, 32 b..!");

const impls = {};
let password;
for (const dir of pkgs) {
  const mod = require(path.resolve(dir, "app_passwords.cjs"));
  password ??= mod.generateAppPassword().password;
  impls[`ours ${path.relative(REPO, path.resolve(dir)) || dir}`] = (pw, { m, t, p }) =>
    mod.hashAppPassword(pw, { secret: SECRET, params: { m, t, p }, salt: SALT });
}
impls["@phi-ag/argon2"] = (pw, { m, t, p }) =>
  phiAg.hash(pw, { salt: SALT, memoryCost: m, timeCost: t, parallelism: p, hashLength: 32, type: 2, version: 0x13 });

for (const profile of profiles) {
  const params = PROFILES[profile];
  const cpu = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
  const wall = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
  for (const fn of Object.values(impls)) fn(password, params);
  const names = Object.keys(impls);
  for (let r = 0; r < rounds; r++) {
    for (const name of shuffled(names, 0x9e3779b9 + r)) {
      collectGarbage();
      const start = performance.now();
      const before = process.cpuUsage();
      impls[name](password, params);
      const used = process.cpuUsage(before);
      wall[name].push(performance.now() - start);
      cpu[name].push((used.user + used.system) / 1000);
    }
  }
  const peer = "@phi-ag/argon2";
  console.log(`${profile} m=${params.m} t=${params.t} p=${params.p}, ${rounds} rounds`);
  for (const name of names) {
    const c = median(cpu[name]);
    const w = median(wall[name]);
    console.log(
      `  ${name.padEnd(24)} cpu ${fmt(c).padStart(7)} (min ${fmt(Math.min(...cpu[name]))})  wall ${fmt(w).padStart(7)} (min ${fmt(Math.min(...wall[name]))})  ÷peer cpu ${fmt(c / median(cpu[peer]))} wall ${fmt(w / median(wall[peer]))}`,
    );
  }
}
