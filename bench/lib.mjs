// Shared helpers of the benchmarks: statistics, the machine, the processes behind a `wrangler dev` port.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import os from "node:os";
import { basename } from "node:path";

export const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const fmt = (x, digits = 2) => (x === undefined || Number.isNaN(x) ? "–" : x.toFixed(digits));

export function machine() {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? os.cpus()[0]?.model;
  const rustc = (() => {
    try {
      return execFileSync("rustc", ["--version"], { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  return {
    date: new Date().toISOString(),
    cpu,
    cores: os.cpus().length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    v8: process.versions.v8,
    rustc,
    kernel: os.release(),
  };
}

export function pkgVersion(dir, name) {
  return JSON.parse(readFileSync(`${dir}/node_modules/${name}/package.json`, "utf8")).version;
}

// ---------------------------------------------------------------------------------------------
// The processes behind a `wrangler dev` port (Linux /proc).
//
// `wrangler dev --local` (wrangler 4) runs two workerd processes, both children of wrangler and in
// its process group (tests/worker/harness.mjs starts each `wrangler dev` as a group of its own):
//
// - the one listening on the port wrangler prints (`--port`) runs wrangler's dev proxy: its
//   ProxyWorker hands every request to a Durable Object that queues it (to hold requests while the
//   Worker reloads after an edit: live reload) and then fetches it again, over HTTP, from the other
//   workerd, rewriting URL headers both ways;
// - the other one (`--socket-addr=entry=127.0.0.1:0`: a port chosen when it starts) runs miniflare's
//   entry Worker, the static-asset router of `[assets]`, the Worker itself and the simulations of its
//   bindings (KV, rate limiters, Durable Objects).
//
// The proxy is a development convenience that does not exist on Cloudflare, and it is not free: a
// second workerd, a Durable Object and one more HTTP hop on every request. A fixed cost added to every
// request pulls every throughput ratio between two Workers toward 1, so the benchmark sends its load
// straight to the second process's entry port (`directUrl`), which still serves the same Worker,
// bindings and asset layer as the proxy's port; it measures the proxy on its own as well.

/** Listening TCP sockets (IPv4 and IPv6): socket inode → port. */
function listeningSockets() {
  const sockets = new Map();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if (file.endsWith("tcp6")) continue; // no IPv6 on this kernel
      throw new Error(`cannot read ${file} (the benchmark finds a Worker's processes through Linux /proc): ${e.message}`);
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[3] is the state (0A: LISTEN), cols[1] local address:port (hex), cols[9] the inode.
      if (cols.length > 9 && cols[3] === "0A") sockets.set(cols[9], Number.parseInt(cols[1].split(":").at(-1), 16));
    }
  }
  return sockets;
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

/** The ports each process listens on: pid → [port], for the processes holding a listening socket. */
function listeningPorts() {
  const sockets = listeningSockets();
  const byPid = new Map();
  for (const pid of pids()) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let inode;
      try {
        inode = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/)?.[1];
      } catch {
        continue;
      }
      if (inode !== undefined && sockets.has(inode)) byPid.set(pid, [...(byPid.get(pid) ?? []), sockets.get(inode)]);
    }
  }
  return { sockets, byPid };
}

/** The process listening on `port` and its process group; throws, saying why, when there is none. */
function portOwner(port, { sockets, byPid } = listeningPorts()) {
  if (![...sockets.values()].includes(port)) throw new Error(`no socket listens on port ${port} (/proc/net/tcp, /proc/net/tcp6)`);
  const owner = [...byPid].find(([, ports]) => ports.includes(port))?.[0];
  if (owner === undefined) throw new Error(`no process readable in /proc holds the socket listening on port ${port}`);
  return { pid: owner, group: statOf(owner)[0] };
}

/**
 * A function returning the CPU ms used so far by every process in the process group of the process
 * listening on `port` (for a `wrangler dev` port: wrangler, its esbuild and both workerd processes),
 * or undefined when /proc does not tell.
 */
export function groupCpu(port) {
  const TICKS_PER_MS = 100 / 1000; // USER_HZ: /proc counts CPU time in 1/100 s on Linux
  let group;
  try {
    group = portOwner(port).group;
  } catch {
    return undefined;
  }
  return () => pids().reduce((ms, pid) => {
    const [g, ticks] = statOf(pid);
    return g === group ? ms + ticks / TICKS_PER_MS : ms;
  }, 0);
}

const commandOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
};

/** Status and body of `GET url`, or the error's code. */
async function probe(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return `${res.status} ${await res.text()}`;
  } catch (e) {
    return `no answer (${e.cause?.code ?? e.name})`;
  }
}

/**
 * The URL of the Worker's own workerd (its entry socket) behind the `wrangler dev` dev proxy
 * listening on `proxyPort` (see above). The candidates are the other workerd processes of the
 * proxy's process group; a port of theirs is the entry when, for every path of `paths` (GET), it
 * answers exactly as the proxy does (status and body: e.g. `/healthz` and a file of `[assets]`, which
 * shows the asset layer is in front); exactly one port must. Throws, saying why, otherwise.
 */
export async function directUrl(proxyPort, { paths = ["/healthz"], host = "127.0.0.1" } = {}) {
  const listening = listeningPorts();
  const proxy = portOwner(proxyPort, listening);
  const group = [...listening.byPid.keys()].filter((pid) => pid !== proxy.pid && statOf(pid)[0] === proxy.group);
  const workerds = group.filter((pid) => basename(commandOf(pid)[0] ?? "") === "workerd");
  if (!workerds.length) {
    const members = pids().filter((pid) => statOf(pid)[0] === proxy.group).map((pid) => `${pid} ${basename(commandOf(pid)[0] ?? "?")}`);
    throw new Error(`port ${proxyPort} is served by pid ${proxy.pid} (${basename(commandOf(proxy.pid)[0] ?? "?")}), and no other workerd in its process group ${proxy.group} listens on a port (the group: ${members.join(", ")}); this wrangler may not run a dev proxy, or runs the Worker elsewhere`);
  }
  const expected = await Promise.all(paths.map((path) => probe(`http://${host}:${proxyPort}${path}`)));
  const tried = [];
  const matches = [];
  for (const pid of workerds) {
    for (const port of listening.byPid.get(pid)) {
      const got = await Promise.all(paths.map((path) => probe(`http://${host}:${port}${path}`)));
      const same = got.every((g, i) => g === expected[i]);
      tried.push(`pid ${pid} port ${port}: ${same ? "same answers" : got.map((g, i) => `${paths[i]} → ${g.slice(0, 40)}`).join(", ")}`);
      if (same) matches.push(port);
    }
  }
  if (matches.length !== 1) {
    throw new Error(`${matches.length ? "more than one port" : "no port"} of the workerd process(es) behind wrangler dev's port ${proxyPort} answers ${paths.join(", ")} as that port does (${paths.map((p, i) => `${p} → ${expected[i].slice(0, 40)}`).join(", ")}); tried: ${tried.join("; ")}`);
  }
  return `http://${host}:${matches[0]}`;
}
