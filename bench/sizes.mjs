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

const TWIGGY = `${REPO}/.tools/bin/twiggy`;

/** The crate an item's (demangled) name starts with; data segments and sections by their kind. */
function crateOf(name) {
  if (/^data segment/.test(name)) return "(data segments)";
  const m = name.replace(/^(<|&|mut |dyn |\*const |\*mut )+/, "").match(/^([A-Za-z_][A-Za-z0-9_]*)/);
  return m ? m[1] : "(other)";
}

/** Where the bytes of the Worker and npm wasm are: twiggy's items summed by crate. */
export function sizeProfile({ crates = 12, items = 8 } = {}) {
  const version = execFileSync(TWIGGY, ["--version"], { encoding: "utf8" }).trim().split(" ").at(-1);
  const builds = {
    Worker: `${REPO}/target/wasm32-unknown-unknown/release/app_passwords.wasm`,
    "npm package": `${REPO}/target/npm/wasm32-unknown-unknown/release/app_passwords.wasm`,
  };
  const out = {};
  for (const [label, path] of Object.entries(builds)) {
    const all = JSON.parse(execFileSync(TWIGGY, ["top", "--format", "json", "-n", "100000", path], { encoding: "utf8", maxBuffer: 1 << 28 }));
    // Code and data only: custom sections (names, wasm-bindgen's descriptors) and the export and
    // import entries of wasm-bindgen's describe functions are not shipped.
    const structure = /^("|custom section|export|import|type\[|table\[|memory\[|global\[|elem\[|element|wasm magic|code\[)/;
    const kept = all.filter((i) => !structure.test(i.name));
    const byCrate = new Map();
    for (const i of kept) byCrate.set(crateOf(i.name), (byCrate.get(crateOf(i.name)) ?? 0) + i.shallow_size);
    out[label] = {
      path: path.replace(`${REPO}/`, ""),
      total: kept.reduce((n, i) => n + i.shallow_size, 0),
      crates: [...byCrate].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, crates),
      items: kept.filter((i) => !/^data segment/.test(i.name)).sort((a, b) => b.shallow_size - a.shallow_size).slice(0, items)
        .map((i) => ({ name: i.name.length > 90 ? `${i.name.slice(0, 87)}...` : i.name, bytes: i.shallow_size })),
    };
  }
  return { version, builds: out };
}
