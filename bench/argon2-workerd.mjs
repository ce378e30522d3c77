// Argon2id inside workerd: ours (pkg/, the npm package's workerd entry) against @phi-ag/argon2 (as
// the reference JS Worker runs it), each in its own copy of bench/argon2-worker/ on `wrangler dev`.
// Workers freeze their clocks during a request, so the time is taken outside: the CPU time of the
// Worker's workerd process (Linux /proc) and the client's wall clock. Each request runs n hashes of
// one implementation; rounds alternate the implementations (order shuffled each round) and a request
// with no hash; per hash = (time − time of the request without hashing) ÷ n.
// `make bench` runs it (section 1, "Inside workerd"); alone (needs `make pkg` and `npm ci` in bench/):
//
//   node bench/argon2-workerd.mjs [--rounds N] [--n HASHES] [--profiles P1,P3]
//
// (HASHES per request: by default 4 at P1, 2 at P2, 16 at P3.)
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { PROFILES, shuffled } from "./argon2.mjs";
import { REPO, fmt, median } from "./lib.mjs";
import { startWorker } from "../tests/worker/harness.mjs";

/**
 * Ours and @phi-ag/argon2 inside workerd, per profile: `{ params, cpu: { ours, phi, oursMin, phiMin,
 * base, ratio }, wall: { … } }`, ms per hash (medians over the rounds; `ratio` the median over the
 * rounds of ours ÷ phi, both measured in the same round).
 */
export async function argon2InWorkerd({ rounds = 21, n, profiles = ["P1", "P2", "P3"] } = {}) {
  // Hashes per request: about 100 ms of hashing or more, so the request's own cost (a few ms, and
  // its noise) is small against it.
  const hashes = (profile) => n ?? { P1: 4, P2: 2, P3: 16 }[profile] ?? 4;
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
    const results = {};
    for (const profile of profiles) {
      const params = PROFILES[profile];
      const n = hashes(profile);
      for (const impl of ["ours", "phi", "ours", "phi"]) await call(impl, params, 1); // warm-up
      const runs = { ours: [], phi: [], none: [] };
      for (let r = 0; r < rounds; r++) {
        for (const impl of shuffled(Object.keys(runs), 0x9e3779b9 + r)) runs[impl].push(await call(impl, params, impl === "none" ? 0 : n));
      }
      results[profile] = { params, rounds, n };
      for (const kind of ["cpu", "wall"]) {
        const base = median(runs.none.map((x) => x[kind]));
        const per = (impl) => runs[impl].map((x) => (x[kind] - base) / n);
        results[profile][kind] = {
          ours: median(per("ours")),
          phi: median(per("phi")),
          oursMin: Math.min(...per("ours")),
          phiMin: Math.min(...per("phi")),
          base,
          ratio: median(per("ours").map((x, i) => x / per("phi")[i])),
        };
      }
      process.stderr.write(`argon2 in workerd ${profile} done\n`);
    }
    return results;
  } finally {
    await Promise.all([workers.ours.stop(), workers.phi.stop()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const results = await argon2InWorkerd({
    rounds: Number(option("--rounds", 21)),
    n: option("--n") && Number(option("--n")),
    profiles: option("--profiles", "P1,P2,P3").split(","),
  });
  for (const [profile, r] of Object.entries(results)) {
    console.log(`${profile} m=${r.params.m} t=${r.params.t} p=1, ${r.rounds} rounds of ${r.n} hashes per request, ms per hash:`);
    for (const kind of ["cpu", "wall"]) {
      const x = r[kind];
      console.log(
        `  ${kind === "cpu" ? "workerd CPU" : "wall (client)"}: ours ${fmt(x.ours)} (min ${fmt(x.oursMin)}), ` +
          `@phi-ag/argon2 ${fmt(x.phi)} (min ${fmt(x.phiMin)}), request alone ${fmt(x.base)}; ours ÷ phi (median of rounds) ${fmt(x.ratio)}`,
      );
    }
  }
}
