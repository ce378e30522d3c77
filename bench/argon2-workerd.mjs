// Argon2id inside workerd: ours (pkg/, the npm package's workerd entry) against @phi-ag/argon2 (as
// the reference JS Worker runs it), each in its own copy of bench/argon2-worker/ on `wrangler dev`.
// Workers freeze their clocks during a request, so the time is taken outside: the CPU time of the
// Worker's workerd process (Linux /proc) and the client's wall clock. Each request runs n hashes of
// one implementation; rounds alternate the implementations (order shuffled each round) and a request
// with no hash; per hash = (time − time of the request without hashing) ÷ n.
// Not part of `make bench` (needs `make pkg` and `npm ci` in bench/).
//
//   node bench/argon2-workerd.mjs [--rounds N] [--n HASHES] [--profiles P1,P3]
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { PROFILES, shuffled } from "./argon2.mjs";
import { REPO, fmt, median } from "./lib.mjs";
import { startWorker } from "../tests/worker/harness.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(option("--rounds", 21));
const n = Number(option("--n", 4));
const profiles = option("--profiles", "P1,P2,P3").split(",");

// One Worker (one isolate) per implementation, as the Rust Worker and the JS Worker are: neither
// shares its isolate's memory with the other's wasm.
const configText = `name = "bench-argon2-worker"\nmain = "${REPO}/bench/argon2-worker/index.js"\ncompatibility_date = "2026-11-01"\n`;
const workers = { ours: await startWorker({ configText }), phi: await startWorker({ configText }) };
workers.none = workers.ours;
// The workerd processes behind each Worker (wrangler's process group, found from the listening
// port), for their CPU time: the sum over their threads of /proc/<pid>/task/<tid>/schedstat (ns,
// exact for threads that are not running, as between two requests).
function workerdPids(port) {
  const listener = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" }).match(/pid=(\d+)/)?.[1];
  if (!listener) throw new Error(`nothing listens on ${port}`);
  const pgid = (pid) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[2];
  const group = pgid(listener);
  return readdirSync("/proc").filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd" && pgid(pid) === group;
    } catch {
      return false;
    }
  });
}
const cpuNs = (pids) =>
  pids.flatMap((pid) => readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]))).reduce((a, b) => a + b, 0);
const pids = { ours: workerdPids(workers.ours.port), phi: workerdPids(workers.phi.port) };
pids.none = pids.ours;

/** { wall, cpu } in ms of one request running `count` hashes of `impl`. */
const call = async (impl, { m, t }, count) => {
  const cpu = cpuNs(pids[impl]);
  const start = performance.now();
  const res = await fetch(`${workers[impl].url}/hash?impl=${impl}&m=${m}&t=${t}&n=${count}`);
  const body = await res.text();
  const wall = performance.now() - start;
  if (res.status !== 200 || (impl !== "none" && !body)) throw new Error(`${impl}: ${res.status} ${body}`);
  return { wall, cpu: (cpuNs(pids[impl]) - cpu) / 1e6 };
};
try {
  for (const profile of profiles) {
    const params = PROFILES[profile];
    for (const impl of ["ours", "phi", "ours", "phi"]) await call(impl, params, 1); // warm-up
    const runs = { ours: [], phi: [], none: [] };
    for (let r = 0; r < rounds; r++) {
      for (const impl of shuffled(Object.keys(runs), 0x9e3779b9 + r)) runs[impl].push(await call(impl, params, impl === "none" ? 0 : n));
    }
    console.log(`${profile} m=${params.m} t=${params.t} p=1, ${rounds} rounds of ${n} hashes per request, ms per hash:`);
    for (const kind of ["cpu", "wall"]) {
      const base = median(runs.none.map((x) => x[kind]));
      const per = (impl) => runs[impl].map((x) => (x[kind] - base) / n);
      const ratio = median(per("ours").map((x, i) => x / per("phi")[i]));
      console.log(
        `  ${kind === "cpu" ? "workerd CPU" : "wall (client)"}: ours ${fmt(median(per("ours")))} (min ${fmt(Math.min(...per("ours")))}), ` +
          `@phi-ag/argon2 ${fmt(median(per("phi")))} (min ${fmt(Math.min(...per("phi")))}), request alone ${fmt(base)}; ours ÷ phi (median of rounds) ${fmt(ratio)}`,
      );
    }
  }
} finally {
  await Promise.all([workers.ours.stop(), workers.phi.stop()]);
}
