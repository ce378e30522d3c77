// What the npm package's tests share (tests/npm/*.test.mjs): pack pkg/ and install the tarball in a
// temporary project, as a user would, and run a Worker of that project under `wrangler dev --local`.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const REPO = path.resolve(import.meta.dirname, "..", "..");
export const BIN = path.join(REPO, "node_modules", ".bin");
export const FIXTURES = path.join(import.meta.dirname, "fixtures");
export const NAME = "@app-passwords/core";
const PKG = path.join(REPO, "pkg");
const KEEP = process.env.KEEP_NPM_TEST_DIR === "1";

export const env = {
  ...process.env,
  PATH: `${BIN}:${process.env.PATH ?? ""}`,
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
  WRANGLER_SEND_METRICS: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};
// Set by `node --test` for its own children; a `node --test` run by a test must not see it, or it
// reports to a parent that is not listening and exits 0 whatever happened.
delete env.NODE_TEST_CONTEXT;

/** Runs a command, returning its stdout; throws with both outputs when it fails. */
export function sh(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${error.status}):\n${error.stdout}\n${error.stderr}`);
  }
}

/**
 * Packs pkg/ into a new temporary directory and installs the tarball (offline: the package has no
 * dependencies) into `<tmp>/project`, with every fixture copied beside it. `peers` are packages of
 * the repository's own node_modules (pinned in package-lock.json) linked into the project, for the
 * package's optional peer dependencies. Returns `{ tmp, project, packed, remove }`.
 */
export function createProject({ prefix, peers = [] }) {
  assert.ok(fs.existsSync(path.join(PKG, "package.json")), "pkg/ is not built: run `make pkg`");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const [packed] = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", tmp], PKG));
  const tarball = path.join(tmp, packed.filename);
  assert.ok(fs.existsSync(tarball), `npm pack wrote ${tarball}`);
  const project = path.join(tmp, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "npm-package-test", version: "1.0.0", private: true, type: "module" }, null, 2),
  );
  sh("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], project);
  for (const peer of peers) {
    const link = path.join(project, "node_modules", peer);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules", peer), link, "dir");
  }
  for (const file of fs.readdirSync(FIXTURES)) {
    fs.copyFileSync(path.join(FIXTURES, file), path.join(project, file));
  }
  const remove = () => {
    if (!KEEP) fs.rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  };
  return { tmp, project, packed, remove };
}

/** A free TCP port on the loopback interface. */
export function freePort() {
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

/**
 * Runs `main` of `project` as a Worker under `wrangler dev --local` on a free port, waits until it
 * answers `probe` (a path), and returns `{ base, response, stop }` (`response`: the probe's answer).
 */
export async function startWorker({ project, tmp, main, probe = "/", init }) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const config = path.join(project, `wrangler-${path.basename(main, ".js")}.toml`);
  fs.writeFileSync(
    config,
    ['name = "npm-package-test"', `main = "${main}"`, 'compatibility_date = "2025-09-01"', ""].join("\n"),
  );
  const child = spawn(
    path.join(BIN, "wrangler"),
    [
      "dev", "--local", "--config", config, "--ip", "127.0.0.1", "--port", String(port),
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
  const base = `http://127.0.0.1:${port}`;
  try {
    let response;
    const deadline = Date.now() + 90_000;
    while (!response) {
      assert.ok(!exited, `wrangler exited before answering:\n${output}`);
      assert.ok(Date.now() < deadline, `the Worker did not answer within 90 s:\n${output}`);
      try {
        response = await fetch(`${base}${probe}`, { ...init, signal: AbortSignal.timeout(60_000) });
      } catch {
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    return { base, response, stop, output: () => output };
  } catch (error) {
    await stop();
    throw error;
  }
}
