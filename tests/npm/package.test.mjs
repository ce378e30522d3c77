// Tests of the npm package as users get it (run by `make test-npm`, after `make pkg`):
// `npm pack` pkg/ into a temporary directory, install the tarball in a temporary project, then
// use it from Node `require`, Node `import`, a Worker under `wrangler dev --local`, and
// TypeScript (`tsc --noEmit --strict`). Each JavaScript consumer runs fixtures/scenario.mjs:
// generate, hash, verify, the known-answer vectors of tests/vectors/, and the per-user rules
// up to the limit of 40 and past it.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

const REPO = path.resolve(import.meta.dirname, "..", "..");
const PKG = path.join(REPO, "pkg");
const BIN = path.join(REPO, "node_modules", ".bin");
const FIXTURES = path.join(import.meta.dirname, "fixtures");
const VECTORS = path.join(REPO, "tests", "vectors", "app-passwords.json");
const NAME = "@app-passwords/core";
const KEEP = process.env.KEEP_NPM_TEST_DIR === "1";

const env = {
  ...process.env,
  PATH: `${BIN}:${process.env.PATH ?? ""}`,
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
  WRANGLER_SEND_METRICS: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

function sh(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${error.status}):\n${error.stdout}\n${error.stderr}`);
  }
}

let tmp; // the temporary directory
let project; // the temporary project with the package installed
let packed; // npm pack --json output for the tarball

before(() => {
  assert.ok(fs.existsSync(path.join(PKG, "package.json")), "pkg/ is not built: run `make pkg`");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "app-passwords-npm-"));
  [packed] = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", tmp], PKG));
  const tarball = path.join(tmp, packed.filename);
  assert.ok(fs.existsSync(tarball), `npm pack wrote ${tarball}`);

  project = path.join(tmp, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "npm-package-test", version: "1.0.0", private: true }, null, 2),
  );
  // The package has no dependencies, so this needs no registry.
  sh("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], project);
  for (const file of fs.readdirSync(FIXTURES)) {
    fs.copyFileSync(path.join(FIXTURES, file), path.join(project, file));
  }
  fs.copyFileSync(VECTORS, path.join(project, "app-passwords.json"));
});

after(() => {
  if (tmp && !KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`kept ${tmp}`);
});

/** Asserts on a scenario report: every part of the scenario ran. */
function assertReport(report) {
  const vectors = JSON.parse(fs.readFileSync(VECTORS, "utf8"));
  assert.equal(report.vectors, vectors.vectors.length, "every vector checked");
  assert.equal(report.badInputs, vectors.bad_inputs.length, "every bad input checked");
  assert.ok(report.stringSecrets >= 1, "string secrets checked");
  assert.equal(report.defaultPhcPrefix, "$argon2id$v=19$m=19456,t=2,p=1");
  assert.equal(report.created, 40, "40 app passwords created");
  assert.deepEqual(report.limitError, { code: "limit_reached", limit: 40, isError: true });
  assert.equal(report.storedEntries, 40);
  assert.equal(report.lifecycleRevoked, 2, "the lifecycle checks ran");
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
    const port = await freePort();
    const inspectorPort = await freePort();
    fs.writeFileSync(
      path.join(project, "wrangler.toml"),
      ['name = "npm-package-test"', 'main = "worker.js"', 'compatibility_date = "2025-09-01"', ""].join("\n"),
    );
    const child = spawn(
      path.join(BIN, "wrangler"),
      [
        "dev", "--local", "--ip", "127.0.0.1", "--port", String(port),
        "--inspector-port", String(inspectorPort), "--show-interactive-dev-session=false",
      ],
      {
        cwd: project,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...env, WRANGLER_LOG_PATH: path.join(tmp, "wrangler-logs") },
      },
    );
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (output += d));
    let exited = false;
    const exit = new Promise((resolve) => child.once("exit", () => resolve((exited = true))));
    const stop = async () => {
      // wrangler and its workerd share the process group started for it.
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }, 5_000);
      await exit;
      clearTimeout(timer);
    };
    try {
      let response;
      const deadline = Date.now() + 90_000;
      while (!response) {
        assert.ok(!exited, `wrangler exited before answering:\n${output}`);
        assert.ok(Date.now() < deadline, `the Worker did not answer within 90 s:\n${output}`);
        try {
          response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(60_000) });
        } catch {
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      const body = await response.json();
      assert.equal(response.status, 200, `${JSON.stringify(body, null, 2)}\n${output}`);
      assert.equal(body.ok, true);
      assertReport(body.report);
      assert.equal(body.report.workerdEntry, true, "wrangler resolved the workerd entry");
    } finally {
      await stop();
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

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
