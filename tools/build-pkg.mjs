#!/usr/bin/env node
// Builds the npm package in pkg/ (run by `make pkg`, see mk/pkg.mk):
//
//   1. cargo build --release --target wasm32-unknown-unknown --features js --lib, with RUSTFLAGS
//      from WASM_RUSTFLAGS (the Makefile's: wasm SIMD128 on)
//      (own target dir target/npm/, so a concurrent `worker` build can never be picked up);
//   2. wasm-bindgen once per JavaScript flavour into build/npm/<target>/:
//        nodejs                      -> app_passwords.cjs     (Node, require)
//        experimental-nodejs-module  -> app_passwords.mjs     (Node, import)
//        web                         -> app_passwords_web.js  (used by workerd.js, initSync)
//        bundler                     -> app_passwords.js + app_passwords_bg.js (bundlers)
//      Every flavour gets the same .wasm (checked), so the package ships one;
//   3. wasm-opt -Oz --converge on that .wasm, without custom sections (SIMD128 allowed: the Argon2
//      block function uses it) (binaryen from node_modules/.bin);
//   4. pkg-template/ -> pkg/ with the version of Cargo.toml, plus the files above and the types
//      (app_passwords.d.ts for import, app_passwords.d.cts for require).
//
// Needs cargo, wasm-bindgen (same version as the crate) and wasm-opt on PATH; `make pkg` sets it.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const template = path.join(root, "pkg-template");
const out = path.join(root, "pkg");
const work = path.join(root, "build", "npm");
const targetDir = path.join(root, "target", "npm");
const stem = "app_passwords";

function run(cmd, args) {
  console.log(`build-pkg: ${cmd} ${args.map((a) => path.relative(root, a) || a).join(" ")}`);
  execFileSync(cmd, args, { cwd: root, stdio: "inherit" });
}

function fail(message) {
  console.error(`build-pkg: ${message}`);
  process.exit(1);
}

// --- 1. the wasm ---------------------------------------------------------------------------
const metadata = JSON.parse(
  execFileSync("cargo", ["metadata", "--locked", "--no-deps", "--format-version", "1"], { cwd: root }),
);
const crate = metadata.packages.find((p) => p.name === "app-passwords");
if (!crate) fail("package app-passwords not found by cargo metadata");
// WASM_RUSTFLAGS (set by the Makefile) enables wasm SIMD128 for the Argon2 block function.
process.env.RUSTFLAGS = process.env.WASM_RUSTFLAGS ?? "";
run("cargo", [
  "build",
  "--locked",
  "--release",
  "--target",
  "wasm32-unknown-unknown",
  "--lib",
  "--no-default-features",
  "--features",
  "js",
  "--target-dir",
  targetDir,
]);
const wasm = path.join(targetDir, "wasm32-unknown-unknown", "release", `${stem}.wasm`);

// --- 2. the JavaScript glue --------------------------------------------------------------------
const flavours = [
  { target: "nodejs", js: { [`${stem}.js`]: `${stem}.cjs` } },
  { target: "experimental-nodejs-module", js: { [`${stem}.js`]: `${stem}.mjs` } },
  { target: "web", js: { [`${stem}.js`]: `${stem}_web.js` }, flags: ["--omit-default-module-path"] },
  { target: "bundler", js: { [`${stem}.js`]: `${stem}.js`, [`${stem}_bg.js`]: `${stem}_bg.js` } },
];
fs.rmSync(work, { recursive: true, force: true });
for (const f of flavours) {
  const dir = path.join(work, f.target);
  run("wasm-bindgen", ["--target", f.target, ...(f.flags ?? []), "--out-dir", dir, wasm]);
  if (fs.existsSync(path.join(dir, "snippets"))) {
    fail(`${f.target}: wasm-bindgen emitted snippets/, which the package layout does not ship`);
  }
}
const wasmOf = (f) => fs.readFileSync(path.join(work, f.target, `${stem}_bg.wasm`));
const first = wasmOf(flavours[0]);
for (const f of flavours.slice(1)) {
  if (!wasmOf(f).equals(first)) {
    fail(`wasm-bindgen made a different .wasm for --target ${f.target}; the package ships only one`);
  }
}

// --- 3. pkg/ ----------------------------------------------------------------------------------
fs.rmSync(out, { recursive: true, force: true });
fs.cpSync(template, out, { recursive: true });
const manifestPath = path.join(out, "package.json");
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
manifest.version = crate.version;
fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

// -Oz until it stops shrinking; no debug info, producers or target-features sections (only linkers
// read them): 162,820 -> 162,433 bytes, -470 gzipped, measured.
run("wasm-opt", ["-Oz", "--converge", "--strip-debug", "--strip-producers", "--strip-target-features", "--enable-simd", path.join(work, flavours[0].target, `${stem}_bg.wasm`), "-o", path.join(out, `${stem}_bg.wasm`)]);

for (const f of flavours) {
  for (const [from, to] of Object.entries(f.js)) {
    let text = fs.readFileSync(path.join(work, f.target, from), "utf8");
    // Deno reads this hint; only the ESM flavours that match app_passwords.d.ts keep it.
    if (f.target === "web") text = text.replace(/^\/\* @ts-self-types=.*\*\/\n/m, "");
    fs.writeFileSync(path.join(out, to), text);
  }
}
// The ErrorCode type is the union of the codes the built module reports (the core's list plus
// invalid_argument), so it cannot drift from the core.
const { errorCodes } = createRequire(import.meta.url)(path.join(out, `${stem}.cjs`));
const marker = /^export type ErrorCode = string; \/\/ @error-codes.*$/m;
let types = fs.readFileSync(path.join(work, "nodejs", `${stem}.d.ts`), "utf8");
if (!marker.test(types)) fail("the ErrorCode marker is missing from the generated types");
types = types.replace(marker, `export type ErrorCode =\n${errorCodes().map((c) => `    | ${JSON.stringify(c)}`).join("\n")};`);
fs.writeFileSync(path.join(out, `${stem}.d.ts`), types);
fs.writeFileSync(path.join(out, `${stem}.d.cts`), types);

// Everything listed in "files" must exist, and nothing built may be left out of it.
const shipped = new Set(manifest.files);
for (const file of shipped) {
  if (!fs.existsSync(path.join(out, file))) fail(`package.json lists ${file}, which was not built`);
}
for (const file of fs.readdirSync(out)) {
  const automatic = ["package.json", "README.md", "LICENSE"].includes(file);
  if (!automatic && !shipped.has(file)) fail(`pkg/${file} is not listed in package.json "files"`);
}
console.log(`build-pkg: pkg/ is ${manifest.name}@${manifest.version}, ready for npm publish`);
