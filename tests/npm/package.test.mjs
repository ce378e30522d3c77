// Tests of the npm package as users get it (run by `make test-npm`, after `make pkg`):
// `npm pack` pkg/ into a temporary directory, install the tarball in a temporary project, then
// use it from Node `require`, Node `import`, a Worker under `wrangler dev --local`, and
// TypeScript (`tsc --noEmit --strict`). Each JavaScript consumer runs fixtures/scenario.mjs:
// generate, hash, verify, the known-answer vectors of tests/vectors/, and the per-user rules
// up to the limit of 40 and past it.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { examples, runExample } from "./examples.mjs";
import { BIN, NAME, REPO, createProject, sh, startWorker } from "./project.mjs";

const VECTORS = path.join(REPO, "tests", "vectors", "app-passwords.json");

let tmp; // the temporary directory
let project; // the temporary project with the package installed
let packed; // npm pack --json output for the tarball
let remove; // removes the temporary directory

before(() => {
  ({ tmp, project, packed, remove } = createProject({ prefix: "app-passwords-npm-" }));
  fs.copyFileSync(VECTORS, path.join(project, "app-passwords.json"));
});

after(() => remove?.());

/** Asserts on a scenario report: every part of the scenario ran. */
function assertReport(report) {
  const vectors = JSON.parse(fs.readFileSync(VECTORS, "utf8"));
  assert.equal(report.vectors, vectors.vectors.length, "every vector checked");
  assert.equal(report.badInputs, vectors.bad_inputs.length, "every bad input checked");
  assert.ok(report.stringSecrets >= 1, "string secrets checked");
  assert.equal(report.defaultPhcPrefix, "$argon2id$v=19$m=19456,t=2,p=1");
  assert.equal(report.created, 40, "40 app passwords created");
  assert.deepEqual(report.limitError, { code: "limit_reached", limit: 40, status: 409, isError: true });
  assert.equal(report.storedEntries, 40);
}

function runNode(file) {
  const out = sh(process.execPath, [file], project).trim().split("\n").at(-1);
  return JSON.parse(out);
}

describe("the packed package", () => {
  test("has the version of Cargo.toml and ships what its exports map names", () => {
    const cargo = fs.readFileSync(path.join(REPO, "Cargo.toml"), "utf8");
    const version = cargo.match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/ms)?.[1];
    assert.ok(version, "Cargo.toml has a package version");
    const installed = JSON.parse(
      fs.readFileSync(path.join(project, "node_modules", ...NAME.split("/"), "package.json"), "utf8"),
    );
    assert.equal(installed.name, NAME);
    assert.equal(installed.version, version);
    assert.equal(packed.version, version);
    assert.equal(installed.license, "MIT OR Apache-2.0");
    assert.deepEqual(installed.dependencies ?? {}, {}, "no runtime dependencies");

    const files = packed.files.map((f) => f.path).sort();
    for (const required of ["package.json", "README.md", "LICENSE", "LICENSE-MIT", "LICENSE-APACHE", "app_passwords_bg.wasm"]) {
      assert.ok(files.includes(required), `the tarball has ${required}`);
    }
    // Every path the exports map (and main/module/types) names is in the tarball.
    const targets = [];
    const collect = (v) => (typeof v === "string" ? targets.push(v) : Object.values(v).forEach(collect));
    collect(installed.exports);
    targets.push(installed.main, installed.module, installed.types);
    for (const target of targets) {
      assert.ok(files.includes(target.replace(/^\.\//, "")), `the tarball has ${target}`);
    }
    const conditions = Object.keys(installed.exports["."]);
    assert.deepEqual(conditions, ["types", "workerd", "node", "default"], "condition order");
    assert.deepEqual(Object.keys(installed.exports["."].node), ["import", "require"]);
    // Nothing from the build directory or the template's placeholders leaks in.
    assert.ok(!files.some((f) => f.includes("snippets") || f.endsWith(".wasm.d.ts")), files.join(", "));
    assert.ok(packed.size < 200_000, `packed size ${packed.size} bytes`);
  });

  test("documents every export in its types, and ErrorCode matches errorCodes()", () => {
    const dir = path.join(project, "node_modules", ...NAME.split("/"));
    const dts = fs.readFileSync(path.join(dir, "app_passwords.d.ts"), "utf8");
    assert.equal(fs.readFileSync(path.join(dir, "app_passwords.d.cts"), "utf8"), dts);
    const lines = dts.split("\n");
    const undocumented = [];
    const skip = /^\s*(private constructor\(\);|free\(\): void;|\[Symbol\.dispose\]\(\): void;)/;
    lines.forEach((line, i) => {
      const declaration =
        /^export (function|class|interface|type) /.test(line) ||
        /^ {4}(static |readonly )?[A-Za-z_$][\w$]*[?(:]/.test(line);
      if (declaration && !skip.test(line) && !/\*\/\s*$/.test(lines[i - 1] ?? "")) {
        undocumented.push(line.trim());
      }
    });
    assert.deepEqual(undocumented, [], "declarations without a /** */ comment");
    for (const name of [
      "generateAppPassword", "normalizeAppPassword", "displayAppPassword", "hashAppPassword",
      "verifyAppPassword", "needsRehash", "lookupKey", "defaultHashParams", "errorCodes", "argon2Runs",
    ]) {
      assert.match(dts, new RegExp(`^export function ${name}\\(`, "m"), name);
    }
    assert.match(dts, /^export class UserAppPasswords \{/m);
    assert.doesNotMatch(dts, /: any\b/, "no `any` in the types");

    const lib = createRequire(import.meta.url)(path.join(dir, "app_passwords.cjs"));
    // Exactly the js feature's API: a build that pulled in the Worker would export more.
    assert.deepEqual(Object.keys(lib).sort(), [
      "UserAppPasswords", "argon2Runs", "defaultHashParams", "displayAppPassword", "errorCodes", "generateAppPassword",
      "hashAppPassword", "lookupKey", "needsRehash", "normalizeAppPassword", "verifyAppPassword",
    ]);
    const union = dts.match(/^export type ErrorCode =([^;]*);/m)?.[1];
    assert.ok(union, "ErrorCode is declared");
    const declared = [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]).sort();
    assert.deepEqual(declared, [...lib.errorCodes()].sort());
  });

  test("works with Node require (CommonJS)", () => {
    const report = runNode("consumer.cjs");
    assertReport(report);
    assert.equal(path.basename(report.resolved), "app_passwords.cjs");
  });

  test("works with Node import (ES module)", () => {
    const report = runNode("consumer.mjs");
    assertReport(report);
    assert.equal(path.basename(report.resolved), "app_passwords.mjs");
  });

  test("works in a Worker under wrangler dev (workerd entry)", { timeout: 180_000 }, async () => {
    const worker = await startWorker({ project, tmp, main: "worker.js" });
    try {
      const body = await worker.response.json();
      assert.equal(worker.response.status, 200, `${JSON.stringify(body, null, 2)}\n${worker.output()}`);
      assert.equal(body.ok, true);
      assertReport(body.report);
      assert.equal(body.report.workerdEntry, true, "wrangler resolved the workerd entry");
    } finally {
      await worker.stop();
    }
  });

  test("type-checks with tsc --noEmit --strict (ESM and CJS consumers)", () => {
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify(
        {
          compilerOptions: {
            module: "nodenext",
            moduleResolution: "nodenext",
            target: "es2022",
            types: [],
            skipLibCheck: false,
          },
          files: ["consumer.mts", "consumer.cts"],
        },
        null,
        2,
      ),
    );
    sh(path.join(BIN, "tsc"), ["--noEmit", "--strict", "-p", "tsconfig.json"], project);
  });
});

describe("the examples of README.md and pkg-template/README.md", () => {
  const all = examples();
  test("every code block with a language is marked: run here or elsewhere, or skipped with a reason", () => {
    assert.deepEqual(all.filter((e) => !e.kind).map((e) => e.where), [], "blocks without <!-- example: … -->");
    for (const e of all) assert.ok(e.runner, `${e.where}: no test runs examples of kind "${e.kind}"`);
    for (const e of all.filter((e) => e.kind === "skip")) assert.ok(e.reason, `${e.where}: skip without a reason`);
  });
  all.forEach((example, n) => {
    if (example.runner !== "here") return;
    test(`${example.where} runs (${example.kind})`, { timeout: 180_000 }, async () => {
      const out = String(await runExample(example, project, n));
      if (example.kind === "workerd") assert.match(out, /^[1-4]\d\d /, `the Worker failed: ${out}`);
      if (example.prints !== undefined) assert.ok(out.includes(example.prints), `${example.where} printed:\n${out}`);
    });
  });
});

