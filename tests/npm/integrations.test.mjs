// The package's integrations with JavaScript identity stacks (run by `make test-npm`, after
// `make pkg`), as users get them: the packed tarball installed in a temporary project, with
// better-auth, Hono and Express (pinned in the repository's package-lock.json) linked in as the
// optional peer dependencies they are.
//
//   - fixtures/better-auth.test.mjs: a real better-auth server on node:sqlite with the plugin;
//   - fixtures/basic-auth-node.test.mjs: the Hono and Express middleware on Node servers;
//   - the Hono app again as a Worker under `wrangler dev --local` (workerd);
//   - fixtures/readme-examples.test.mjs: the shipped README's examples, as written;
//   - fixtures/integrations.mts: the subpath exports' types, with `tsc --noEmit --strict`.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { checkBasicAuth } from "./fixtures/basic-auth-checks.mjs";
import { BIN, NAME, createProject, sh, startWorker } from "./project.mjs";

const PEERS = ["better-auth", "@better-auth", "hono", "@hono", "express", "@types"];

let tmp;
let project;
let remove;

before(() => {
  ({ tmp, project, remove } = createProject({ prefix: "app-passwords-integrations-", peers: PEERS }));
});

after(() => remove?.());

/** Runs a `node --test` file of the project and shows its report. */
function nodeTest(file) {
  console.log(sh(process.execPath, ["--test", "--test-reporter=spec", "--no-warnings", file], project));
}

test("the package keeps zero dependencies; better-auth, hono and express are optional peers", () => {
  const installed = JSON.parse(
    fs.readFileSync(path.join(project, "node_modules", ...NAME.split("/"), "package.json"), "utf8"),
  );
  assert.deepEqual(installed.dependencies ?? {}, {});
  assert.deepEqual(Object.keys(installed.peerDependencies).sort(), ["better-auth", "express", "hono"]);
  for (const peer of Object.keys(installed.peerDependencies)) {
    assert.equal(installed.peerDependenciesMeta[peer]?.optional, true, peer);
  }
});

test("every declaration of the subpath types has a doc comment", () => {
  const dir = path.join(project, "node_modules", ...NAME.split("/"));
  const undocumented = [];
  for (const file of ["better-auth.d.ts", "basic-auth.d.ts", "hono.d.ts", "express.d.ts"]) {
    const lines = fs.readFileSync(path.join(dir, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      const declaration = /^export (declare )?(function|interface|type [A-Z])/.test(line) || /^ {2,6}[A-Za-z_$][\w$]*\??:/.test(line);
      if (declaration && !/\*\/\s*$/.test(lines[i - 1] ?? "")) undocumented.push(`${file}: ${line.trim()}`);
    });
  }
  assert.deepEqual(undocumented, []);
});

test("better-auth plugin: a real server on node:sqlite", { timeout: 120_000 }, () => {
  nodeTest("better-auth.test.mjs");
});

test("Hono and Express Basic-auth middleware under Node", { timeout: 60_000 }, () => {
  nodeTest("basic-auth-node.test.mjs");
});

test("the README's examples run as written", { timeout: 60_000 }, () => {
  nodeTest("readme-examples.test.mjs");
});

test("Hono Basic-auth middleware under workerd (wrangler dev)", { timeout: 180_000 }, async () => {
  const worker = await startWorker({ project, tmp, main: "hono-worker.js", probe: "/test/stats" });
  try {
    assert.equal(worker.response.status, 200, worker.output());
    await checkBasicAuth(worker.base);
  } finally {
    await worker.stop();
  }
});

test("the subpath exports type-check with tsc --noEmit --strict", () => {
  fs.writeFileSync(
    path.join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["es2022", "dom"],
        types: [],
        skipLibCheck: true,
      },
      files: ["integrations.mts"],
    }),
  );
  sh(path.join(BIN, "tsc"), ["--noEmit", "--strict", "-p", "tsconfig.json"], project);
});
