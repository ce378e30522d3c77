// Parts 4 and 5: artefact sizes, and Node cold start (import → first generateAppPassword()).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { REPO, median } from "./lib.mjs";

function size(path) {
  const raw = readFileSync(path);
  return { path: path.replace(`${REPO}/`, ""), raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
}

export function sizes() {
  const worker = readdirSync(`${REPO}/build`).filter((f) => f.endsWith(".wasm") || f.endsWith(".js"));
  const pkg = readdirSync(`${REPO}/pkg`).filter((f) => /\.(wasm|c?js|mjs)$/.test(f));
  return {
    worker: worker.map((f) => size(`${REPO}/build/${f}`)).concat(size(`${REPO}/build/worker/shim.mjs`)),
    npm: pkg.map((f) => size(`${REPO}/pkg/${f}`)),
  };
}

export function coldStart({ runs = 21 } = {}) {
  const script = `
    const t0 = performance.now();
    const { generateAppPassword } = await import(${JSON.stringify(`${REPO}/pkg/app_passwords.mjs`)});
    generateAppPassword();
    process.stdout.write(String(performance.now() - t0));`;
  const times = [];
  for (let i = 0; i < runs; i++) {
    times.push(Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })));
  }
  return { runs, median: median(times), min: Math.min(...times) };
}
