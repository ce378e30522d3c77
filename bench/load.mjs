// A closed-loop load generator: `concurrency` clients each send one request after the other for
// `seconds`; reports requests/s and latency percentiles of the successful answers.
import { performance } from "node:perf_hooks";
import { percentile } from "./lib.mjs";

// `sent` counts every request, warm-up included (for counters read from the server around a run).
export async function load({ url, method = "POST", headers, bodies = [undefined], expectStatus, seconds = 10, concurrency = 8, warmup = 2 }) {
  let sent = 0;
  // A request that fails (the connection dropped) counts as an unexpected answer, status 0, rather
  // than ending the whole benchmark.
  const send = async (i) => {
    sent += 1;
    try {
      const res = await fetch(url, { method, headers, body: bodies[i % bodies.length] });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  };
  const warmEnd = performance.now() + warmup * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, c) => {
    for (let i = c; performance.now() < warmEnd; i += concurrency) await send(i);
  }));
  const latencies = [];
  let unexpected = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, c) => {
    for (let i = c; performance.now() < end; i += concurrency) {
      const t0 = performance.now();
      const status = await send(i);
      latencies.push(performance.now() - t0);
      if (status !== expectStatus) unexpected += 1;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    unexpected,
    concurrency,
    seconds: elapsed,
    latencies,
    sent,
  };
}
