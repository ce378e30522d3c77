// Sections 2 to 4 of BENCHMARKS.md (verification on workerd, repeated logins, rejection cost) from
// runVerify()'s results. Run by bench/run.mjs; `node bench/verify-report.mjs results.json` renders
// saved results (written by `runVerify` callers) on their own.
import { readFileSync } from "node:fs";
import { fmt } from "./lib.mjs";

const CPU_NOTE = "CPU ms per request: the CPU time of the Worker's processes (its `wrangler dev` process group: wrangler, its esbuild and both workerd processes, wrangler's dev proxy (idle unless the load goes through it) and the Worker's own) over each run, warm-up included, per request sent; unlike throughput it hardly moves with what else the shared machine runs.";

/**
 * The throughput ratios the issue-13 targets on workerd are judged by, from one set of loads (the
 * direct results, or `results.proxy`); undefined where a load was not measured.
 */
export function targetRatios(v) {
  const r = (a, b) => (v[a] && v[b] ? v[a].rps / v[b].rps : undefined);
  const malformedVsNoop = r("oursMalformed", "noop");
  const unknownVsNoop = r("oursUnknown", "noop");
  return {
    oursVsJs: r("ours", "js"),
    hitVsFirst: r("oursCached", "ours"),
    hitVsNoop: r("oursCached", "noop"),
    malformedVsNoop,
    unknownVsNoop,
    refusedVsNoop: malformedVsNoop === undefined || unknownVsNoop === undefined ? undefined : Math.min(malformedVsNoop, unknownVsNoop),
  };
}

/** Argon2 runs on cache hits in a run of repeated logins: runs beyond one per miss. */
export const argon2OnHits = (cached) => cached.counters.argon2_runs - (cached.counters.requests - cached.counters.cache_hits);

/** Writes sections 2 to 4 through `out` (one line per call). */
export function verifySections(verify, out) {
  out("## 2. Verify end to end on workerd");
  out();
  out(`\`wrangler dev --local\`, the Workers (ours with the login cache off and, for section 3, on; the JS reference; a no-op) running side by side; a closed-loop Node load generator (bench/load.mjs) with ${verify.ours.concurrency} concurrent clients takes turns between them (and the refused-input runs and the runs through wrangler's dev proxy below) in ${verify.ours.rounds} rounds of ${fmt(verify.ours.seconds / verify.ours.rounds, 0)} s each (after a 2 s warm-up each), order swapped every round; 8 users with one valid app password each, OWASP parameters (m=19456, t=2, p=1) on both sides. Every Worker runs behind the static-asset layer of our wrangler.toml (\`[assets]\`: in the Worker's workerd, the asset router of \`wrangler dev\` (miniflare) sees each request before the Worker), the reference Workers too, so all run on the same platform; section 4 measures the layer itself.`);
  out();
  out("Each Worker is started by its own `wrangler dev`, and the load goes straight to that Worker's own workerd process (its entry socket: the asset layer, the Worker and its bindings), found through Linux /proc (`directUrl` in bench/lib.mjs), not to the URL `wrangler dev` prints. That URL is wrangler's dev proxy, for live reload: a second workerd that hands every request to a Durable Object and fetches it again, over HTTP, from the Worker's workerd. Cloudflare has no such proxy in front of a Worker, and what it adds to each request changes the ratios below; section 4's last table measures it, with some of the same loads sent through it in the same rounds. All other numbers, and the targets, are the direct ones.");
  out();
  out("The reference JS Worker (bench/js-worker/) does the KV lookup by HMAC-SHA-256 (WebCrypto), then Argon2id with @phi-ag/argon2, the fastest wasm Argon2id in section 1 that loads in workerd (its `argon2.wasm` imported as a module; hash-wasm compiles at run time, which Workers forbid; openpgp's is slower). @phi-ag/argon2 has no secret input, so the JS Worker peppers instead: Argon2id runs on hex(HMAC-SHA-256(secret, password)) — one more HMAC, and a stolen store is as useless without the secret as with Argon2's secret input.");
  out();
  out("| worker | req/s | p50 ms | p99 ms | non-200 | CPU ms per request |");
  out("| --- | ---: | ---: | ---: | ---: | ---: |");
  out(`| ours (Rust → wasm) | ${fmt(verify.ours.rps, 1)} | ${fmt(verify.ours.p50, 1)} | ${fmt(verify.ours.p99, 1)} | ${verify.ours.unexpected} | ${fmt(verify.ours.cpuMsPerRequest)} |`);
  out(`| JS + @phi-ag/argon2 | ${fmt(verify.js.rps, 1)} | ${fmt(verify.js.p50, 1)} | ${fmt(verify.js.p99, 1)} | ${verify.js.unexpected} | ${fmt(verify.js.cpuMsPerRequest)} |`);
  out();
  out(`Throughput ratio ours ÷ JS: **${fmt(verify.ours.rps / verify.js.rps)}×** (per round: ${verify.roundRatios.map((r) => fmt(r)).join(", ")}); CPU per request ours ÷ JS: ${fmt(verify.ours.cpuMsPerRequest / verify.js.cpuMsPerRequest)}. ${CPU_NOTE}`);
  out();
  out("## 3. Repeated logins (the login cache)");
  out();
  const cached = verify.oursCached;
  const cc = cached.counters;
  const misses = cc.requests - cc.cache_hits;
  out(`Our Worker a second time, with the login cache on (\`LOGIN_CACHE_TTL_SECS\` default, 60 s): the same ${verify.pairs} valid app passwords sent again and again, measured in the same rounds as the first logins above (cache off). Counters from the Worker's \`GET /v1/stats\` around each run (warm-up included).`);
  out();
  out("| logins (our Worker) | req/s | p50 ms | p99 ms | non-200 | requests | cache hits | Argon2 runs | KV reads |");
  out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const row = (label, r) => `| ${label} | ${fmt(r.rps, 1)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.unexpected} | ${r.counters.requests} | ${r.counters.cache_hits} | ${r.counters.argon2_runs} | ${r.counters.kv_reads} |`;
  out(row("first logins (cache off)", verify.ours));
  out(row("repeated logins (cache on)", cached));
  out();
  out(`Repeated ÷ first-login throughput: **${fmt(cached.rps / verify.ours.rps, 2)}×**. Argon2 runs on cache hits: **${cc.argon2_runs - misses}** (${cc.argon2_runs} runs for ${misses} misses: each password's first login, and again once its entry is ${60} s old).`);
  out();
  out(`A cache hit runs at ${fmt(cached.rps / verify.noop.rps, 2)}× the throughput of the no-op Worker (section 4, the same rounds and bodies), which itself reaches ${fmt(verify.noop.rps / verify.ours.rps, 2)}× our first-login throughput: that is the most this ratio can be on this setup, where a request that does nothing costs ${fmt(verify.noop.cpuMsPerRequest)} ms of CPU against ${fmt(verify.ours.cpuMsPerRequest)} ms for a first login.`);
  out();
  out("## 4. Rejection cost");
  out();
  out("| input | req/s | p50 ms | p99 ms | × no-op Worker | × bindings ceiling | CPU ms per request | Argon2 runs per request | KV reads per request | lookup keys per request |");
  out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const per = (r, k) => (r.counters ? fmt(r.counters[k] / r.counters.requests, 3) : "–");
  const vsNoop = (r) => fmt(r.rps / verify.noop.rps);
  const cpu = (r) => r.cpuMsPerRequest;
  const refusedRow = (label, r, vsCeiling = "–") => `| ${label} | ${fmt(r.rps, 1)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${vsNoop(r)} | ${vsCeiling} | ${fmt(cpu(r))} | ${per(r, "argon2_runs")} | ${per(r, "kv_reads")} | ${per(r, "lookup_keys")} |`;
  out(refusedRow("ours: valid (first logins)", verify.ours));
  out(refusedRow("ours: malformed (`hunter2`)", verify.oursMalformed));
  out(refusedRow("ours: well-formed, unknown", verify.oursUnknown, `**${fmt(verify.oursUnknown.rps / verify.ceiling.rps)}**`));
  out(refusedRow("no-op Worker (JS: nothing; the platform's ceiling)", verify.noop));
  out(refusedRow("no-op Worker without the static-asset layer", verify.noopBare));
  out(refusedRow("bindings ceiling (JS: one KV get, both rate limiters)", verify.ceiling, "1.00"));
  out();
  const unknownRounds = verify.unknownRoundRatios.map((r) => `${fmt(r.noop)} / ${fmt(r.ceiling)}`).join(", ");
  out(`Refused input against the no-op Worker on the same \`wrangler dev\` setup: malformed **${fmt(verify.oursMalformed.rps / verify.noop.rps, 3)}×**, well-formed unknown **${fmt(verify.oursUnknown.rps / verify.noop.rps, 3)}×** its throughput (three decimals: the goal is 0.9). The bindings ceiling is the no-op Worker (bench/noop-worker/, path \`/bindings\`) making exactly the binding calls our Worker makes for a well-formed unknown password, with our bindings config (\`[[ratelimits]]\` copied from wrangler.toml): one KV get of a missing \`cred:\` key, then \`PAIR_LIMITER.limit()\` and \`ADDRESS_LIMITER.limit()\` at once. Well-formed unknown input on ours runs at **${fmt(verify.oursUnknown.rps / verify.ceiling.rps)}×** the ceiling's throughput (per round, × no-op / × ceiling: ${unknownRounds})${verify.oursUnknown.rps / verify.ceiling.rps >= 0.9 ? ": close to the ceiling, so the gap to the no-op Worker is the local simulation of KV and the rate limiters under `wrangler dev`, not our code (the CPU split below measures each part)" : ""}. Per-request counters are the Worker's own (\`GET /v1/stats\`), not inferred. ${CPU_NOTE}`);
  out();
  const bare = (r) => fmt(r.rps / verify.noopBare.rps);
  out(`The static-asset layer: every Worker above runs behind it, as ours is deployed (\`public/\`'s three files served without running the Worker; every other path sent to the Worker first, without an asset lookup: \`run_worker_first\`). Under \`wrangler dev\` it is simulated by JavaScript Workers (an asset router, an asset server) in the same workerd, on the same cores as the load: the no-op Worker without it reaches ${fmt(verify.noopBare.rps, 1)} req/s at ${fmt(cpu(verify.noopBare))} ms of CPU per request, with it ${fmt(verify.noop.rps, 1)} req/s at ${fmt(cpu(verify.noop))} ms (**${fmt(cpu(verify.noop) - cpu(verify.noopBare))} ms** more per request). Against the no-op Worker without the layer, malformed input on ours reaches ${bare(verify.oursMalformed)}× and well-formed unknown input ${bare(verify.oursUnknown)}× its throughput. On Cloudflare the asset check is the platform's, not the Worker's; these local numbers do not tell its cost there.`);
  out();
  const step = (r, base) => {
    const d = cpu(r) - cpu(base);
    return `${d >= 0 ? "+" : "−"}${fmt(Math.abs(d))}`;
  };
  out("Where a refused request's time goes (the same rounds); \"adds\" is the CPU time per request over the row it names. Our Worker's path, step by step:");
  out();
  out("| request | req/s | p50 ms | × no-op Worker | CPU ms per request | adds CPU ms | over | the step |");
  out("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
  const stepRow = (label, r, base, baseLabel, adds) => out(`| ${label} | ${fmt(r.rps, 1)} | ${fmt(r.p50, 1)} | ${vsNoop(r)} | ${fmt(cpu(r))} | ${base ? step(r, base) : "–"} | ${baseLabel} | ${adds} |`);
  stepRow("no-op Worker (JS) without the static-asset layer", verify.noopBare, undefined, "", "the platform: workerd and miniflare's entry Worker (no dev proxy: see the last table)");
  stepRow("no-op Worker (JS)", verify.noop, verify.noopBare, "no layer", "the static-asset layer (wrangler dev's asset router before the Worker)");
  const noopGet = verify.noopHealth;
  if (noopGet) stepRow("no-op Worker (JS), `GET /healthz`", noopGet, verify.noop, "no-op", "a GET without a body instead of the no-op's POST with one");
  stepRow("`GET /healthz`", verify.oursHealth, noopGet ?? verify.noop, noopGet ? "no-op `GET /healthz`" : "no-op", "wasm entry (workers-rs's glue, the handler's promise), workers-rs request and response, routing, a JSON answer, security headers");
  stepRow("`POST /v1/verify` `{}` → 400", verify.oursEmptyBody, verify.oursHealth, "`/healthz`", `a POST with a body instead of a GET${noopGet ? " (the platform's part: the no-op's POST over its GET)" : ""}, authentication (bearer token), reading and parsing the body`);
  stepRow("malformed password → 401", verify.oursMalformed, verify.oursEmptyBody, "`{}`", "normalisation; the audit gate (one `login.failed` a minute per pair); no binding call");
  stepRow("well-formed, unknown → 401", verify.oursUnknown, verify.oursMalformed, "malformed", "HMAC lookup key, one KV read (miss), then both rate limiters at once");
  out();
  if (noopGet) {
    const gap = cpu(verify.oursMalformed) - cpu(verify.noop);
    const entry = cpu(verify.oursHealth) - cpu(noopGet);
    out(`Malformed input on ours costs ${fmt(gap)} ms of CPU per request more than the no-op Worker. Of that, ${fmt(entry)} ms is what any request to our Worker costs over the same request to the no-op Worker (\`GET /healthz\` on both: the wasm entry, workers-rs's conversions, routing and the answer), and ${fmt(gap - entry)} ms the verify route's own work on the same POST: authentication, reading the body through the runtime's promise, parsing, normalisation and the 401.`);
    out();
  }
  out("The same binding calls alone, on the no-op Worker (JS, no wasm; only `/body` reads the body):");
  out();
  out("| request | req/s | p50 ms | × no-op Worker | CPU ms per request | adds CPU ms | over | the step |");
  out("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
  stepRow("no-op Worker", verify.noop, undefined, "", "nothing");
  if (verify.noopBody) stepRow("`/body`", verify.noopBody, verify.noop, "no-op", "reads the request body (malformed input's bodies) as text, then the same 401");
  stepRow("`/kv`", verify.noopKv, verify.noop, "no-op", "one KV get of a missing key");
  stepRow("`/limiters`", verify.noopLimiters, verify.noop, "no-op", "both rate limiters' `limit()` at once");
  stepRow("`/bindings` (bindings ceiling)", verify.ceiling, verify.noop, "no-op", "the KV get, then both limiters at once: what ours adds for unknown input");
  out();
  if (verify.noopBody) out(`Reading the body: the no-op Worker that reads each malformed request's body (\`/body\`) reaches ${fmt(verify.noopBody.rps / verify.noop.rps)}× the no-op Worker's throughput at ${fmt(cpu(verify.noopBody))} ms of CPU per request (${fmt(cpu(verify.noopBody) - cpu(verify.noop))} ms more); malformed input on ours, which must read the body to refuse it, reaches ${fmt(verify.oursMalformed.rps / verify.noopBody.rps)}× the throughput of that JS Worker (by CPU per request ${fmt(cpu(verify.noopBody) / cpu(verify.oursMalformed))}×). The target compares with the no-op Worker, which reads nothing.`);
  out();
  const bindings = cpu(verify.ceiling) - cpu(verify.noop);
  const oursStep = cpu(verify.oursUnknown) - cpu(verify.oursMalformed);
  const predicted = cpu(verify.oursMalformed) + bindings;
  out(`The binding calls cost **${fmt(bindings)} ms** of CPU per request on the JS Worker (KV get ${fmt(cpu(verify.noopKv) - cpu(verify.noop))} ms, the two limiters ${fmt(cpu(verify.noopLimiters) - cpu(verify.noop))} ms); from malformed to well-formed unknown input ours adds **${fmt(oursStep)} ms**: the same calls plus its HMAC lookup key and the bookkeeping of a counted failure, so our own code's share of that step is ${fmt(oursStep - bindings)} ms${oursStep < bindings ? " (below zero: within the measurement's noise)" : ""}. Malformed input's CPU plus the bindings' predicts ${fmt(predicted)} ms for well-formed unknown input (measured ${fmt(cpu(verify.oursUnknown))}). By CPU per request, well-formed unknown input on ours costs ${fmt(cpu(verify.oursUnknown) / cpu(verify.noop))}× the no-op Worker and the bindings ceiling ${fmt(cpu(verify.ceiling) / cpu(verify.noop))}×. The KV read cannot overlap the limiters: only failures are counted, and a request is a failure only once the read missed.`);
  out();
  const ceilingVsNoop = verify.ceiling.rps / verify.noop.rps;
  out(`Under \`wrangler dev --local\` these bindings are miniflare's simulation: each \`limit()\` runs miniflare's JavaScript wrapper in the Worker's isolate and then an HTTP request to a rate-limiter Durable Object, and a KV get is a request to miniflare's KV service (SQLite), all in the same workerd on the same cores as the load. ${ceilingVsNoop < 0.9 ? `The bindings ceiling, which runs none of our code, reaches only ${fmt(ceilingVsNoop)}× the no-op Worker's throughput: on this setup no Worker that reads KV and then counts the failure with both limiters can reach 0.9× the no-op Worker for well-formed unknown input.` : `The bindings ceiling reaches ${fmt(ceilingVsNoop)}× the no-op Worker's throughput.`} On Cloudflare these calls are served by the platform, not simulated next to the Worker; these local numbers do not tell their cost there.`);
  out();
  const c = verify.argon2Counts;
  out(`The same core in one Node process (npm package, \`UserAppPasswords.check\`): ${c.malformed.argon2Runs} Argon2 runs for ${c.malformed.attempts} malformed inputs, ${c["unknown well-formed"].argon2Runs} for ${c["unknown well-formed"].attempts} well-formed unknown ones, ${c.valid.argon2Runs} for one valid password.`);
  out();
  out("Strict revocation (tenant setting `strict_revocation`: the credential is read through the user's Durable Object instead of KV):");
  out();
  out("| input (our Worker) | KV: p50 ms | strict: p50 ms | KV: p99 ms | strict: p99 ms | strict ÷ KV req/s |");
  out("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [label, kv, strict] of [["valid", verify.ours, verify.oursStrict], ["well-formed, unknown", verify.oursUnknown, verify.oursStrictUnknown]]) {
    out(`| ${label} | ${fmt(kv.p50, 1)} | ${fmt(strict.p50, 1)} | ${fmt(kv.p99, 1)} | ${fmt(strict.p99, 1)} | ${fmt(strict.rps / kv.rps)} |`);
  }
  out();
  proxySection(verify, out);
}

// The loads sent through wrangler's dev proxy as well, in the same rounds, against the same loads
// sent straight to the Worker's workerd.
function proxySection(verify, out) {
  const via = verify.proxy ?? {};
  const loads = [
    ["noop", "no-op Worker"],
    ["ours", "ours: first logins (cache off)"],
    ["oursCached", "ours: repeated logins (cache hits)"],
    ["oursMalformed", "ours: malformed (`hunter2`)"],
    ["oursUnknown", "ours: well-formed, unknown"],
  ].filter(([k]) => via[k] && verify[k]);
  if (!loads.length) return;
  const cpu = (r) => r.cpuMsPerRequest;
  out("### Through wrangler's dev proxy");
  out();
  out("The URL `wrangler dev` prints is its dev proxy (section 2): a workerd of its own whose Worker hands each request to a Durable Object that queues it (to hold requests while the Worker reloads) and fetches it again, over HTTP, from the Worker's workerd. These loads ran through it as well, in the same rounds as everything above, against the same Workers (the same isolates):");
  out();
  out("| load | req/s direct | req/s through the proxy | proxy ÷ direct req/s | CPU ms per request direct | through the proxy | the proxy adds CPU ms | p50 ms direct | through the proxy |");
  out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const added = [];
  for (const [k, label] of loads) {
    const d = verify[k];
    const p = via[k];
    added.push(cpu(p) - cpu(d));
    out(`| ${label} | ${fmt(d.rps, 1)} | ${fmt(p.rps, 1)} | ${fmt(p.rps / d.rps)} | ${fmt(cpu(d))} | ${fmt(cpu(p))} | ${fmt(cpu(p) - cpu(d))} | ${fmt(d.p50, 1)} | ${fmt(p.p50, 1)} |`);
  }
  out();
  // [label, numerator load, denominator load, target]: throughput ratios numerator ÷ denominator.
  const ratios = [
    ["repeated ÷ first-login throughput", "oursCached", "ours", "≥ 10"],
    ["malformed ÷ no-op Worker", "oursMalformed", "noop", "≥ 0.9"],
    ["well-formed unknown ÷ no-op Worker", "oursUnknown", "noop", "≥ 0.9"],
    ["cache hit ÷ no-op Worker", "oursCached", "noop", "–"],
  ].filter(([, a, b]) => [a, b].every((k) => verify[k] && via[k]));
  const rps = (set, a, b) => set[a].rps / set[b].rps;
  // The throughput ratio CPU alone would give: the denominator's CPU per request ÷ the numerator's.
  const byCpu = (set, a, b) => cpu(set[b]) / cpu(set[a]);
  out("| throughput ratio | target | direct | through the proxy | by CPU per request, direct | by CPU per request, through the proxy |");
  out("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const [label, a, b, goal] of ratios) {
    out(`| ${label} | ${goal} | ${fmt(rps(verify, a, b), 3)} | ${fmt(rps(via, a, b), 3)} | ${fmt(byCpu(verify, a, b), 3)} | ${fmt(byCpu(via, a, b), 3)} |`);
  }
  out();
  out("(\"By CPU per request\": the second load's CPU per request ÷ the first's, the ratio the throughputs would have if CPU time alone set them.)");
  out();
  const known = added.filter((a) => !Number.isNaN(a) && a !== undefined);
  const parts = [];
  if (via.noop && verify.noop) {
    const c = cpu(via.noop) - cpu(verify.noop);
    parts.push(`Through the proxy a no-op request costs ${fmt(cpu(via.noop))} ms of CPU instead of ${fmt(cpu(verify.noop))} ms: the proxy's own work is ${fmt(c)} ms per request, ${fmt(c / cpu(verify.noop))}× a whole no-op request sent straight to the Worker, and the no-op Worker reaches ${fmt(via.noop.rps / verify.noop.rps)}× its direct throughput through it.`);
  }
  if (known.length) parts.push(`Across the ${known.length} loads the proxy adds ${fmt(Math.min(...known))} to ${fmt(Math.max(...known))} ms of CPU per request (the first table).`);
  parts.push("Were it the same cost c for every load, it would turn the ratio b/a of two loads costing a and b per request into (b + c)/(a + c), which lies between b/a and 1, the closer to 1 the cheaper the loads: it would flatter the ratios of refused input to the no-op Worker (the cheapest request of all) and hide the cache's gain over first logins.");
  const names = { noop: "the no-op Worker", ours: "first logins", oursCached: "cache hits", oursMalformed: "malformed input", oursUnknown: "well-formed unknown input" };
  const moved = ratios.map(([label, a, b]) => {
    const [d, p] = [rps(verify, a, b), rps(via, a, b)];
    const crossed = d < 1 !== p < 1;
    const toward = !crossed && Math.abs(Math.log(p)) <= Math.abs(Math.log(d));
    const why = toward ? "" : `: the proxy added ${fmt(cpu(via[a]) - cpu(verify[a]))} ms per request to ${names[a]} and ${fmt(cpu(via[b]) - cpu(verify[b]))} ms to ${names[b]}`;
    const direction = toward ? "toward 1" : crossed ? "past 1" : "away from 1";
    return `${label} ${fmt(d, 2)}× → ${fmt(p, 2)}× (${direction}${why})`;
  });
  if (moved.length) parts.push(`Measured in throughput, direct → through the proxy: ${moved.join("; ")}.`);
  parts.push("The targets are judged on the direct numbers: on Cloudflare no dev proxy sits in front of a Worker.");
  out(parts.join(" "));
  out();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  verifySections(JSON.parse(readFileSync(process.argv[2], "utf8")), (s = "") => console.log(s));
}
