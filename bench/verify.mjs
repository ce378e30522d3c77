// Parts 2 and 3: verification end to end on workerd (wrangler dev --local): our Worker vs the
// reference JS Worker (js-worker/), and the cost of refused input on ours.
import { createRequire } from "node:module";
import { load } from "./load.mjs";
import { REPO } from "./lib.mjs";
import { makeValidPassword, startWorker } from "../tests/worker/harness.mjs";

const require = createRequire(import.meta.url);
const ours = require(`${REPO}/pkg/app_passwords.cjs`);
const USERS = 8;

function jsWorkerConfig() {
  return `name = "bench-js-worker"
main = "${REPO}/bench/js-worker/index.js"
compatibility_date = "2026-11-01"
[[kv_namespaces]]
binding = "APP_PASSWORDS"
id = "00000000000000000000000000000000"
`;
}

async function post(worker, path, body) {
  const res = await fetch(`${worker.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${worker.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function put(worker, path, body) {
  const res = await fetch(`${worker.url}${path}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${worker.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function runVerify({ seconds = 10, concurrency = 8 } = {}) {
  const results = {};
  const pairs = [];
  const ourWorker = await startWorker();
  try {
    for (let i = 0; i < USERS; i++) {
      const user = `bench-user-${i}@example.com`;
      const mfa = await put(ourWorker, `/v1/users/${encodeURIComponent(user)}/mfa`, { enabled: true, initial_name: "Phone" });
      if (mfa.status !== 200) throw new Error(`setup: ${JSON.stringify(mfa)}`);
      pairs.push({ user, password: mfa.body.initial_app_password.display });
    }
    const headers = { authorization: `Bearer ${ourWorker.token}`, "content-type": "application/json" };
    const url = `${ourWorker.url}/v1/verify`;
    const valid = pairs.map((p) => JSON.stringify(p));
    const malformed = pairs.map((p) => JSON.stringify({ user: p.user, password: "hunter2" }));
    const unknown = pairs.map((p) => JSON.stringify({ user: p.user, password: makeValidPassword() }));
    results.ours = await load({ url, headers, bodies: valid, expectStatus: 200, seconds, concurrency });
    process.stderr.write("verify: ours valid done\n");
    results.oursMalformed = await load({ url, headers, bodies: malformed, expectStatus: 401, seconds, concurrency });
    process.stderr.write("verify: ours malformed done\n");
    results.oursUnknown = await load({ url, headers, bodies: unknown, expectStatus: 401, seconds, concurrency });
    process.stderr.write("verify: ours unknown done\n");
  } finally {
    await ourWorker.stop();
  }

  const jsWorker = await startWorker({ configText: jsWorkerConfig() });
  try {
    for (const [i, p] of pairs.entries()) {
      const seeded = await post(jsWorker, "/seed", { ...p, id: `js_${i}`, name: "Phone" });
      if (seeded.status !== 201) throw new Error(`seed: ${JSON.stringify(seeded)}`);
    }
    const headers = { authorization: `Bearer ${jsWorker.token}`, "content-type": "application/json" };
    const url = `${jsWorker.url}/v1/verify`;
    results.js = await load({ url, headers, bodies: pairs.map((p) => JSON.stringify(p)), expectStatus: 200, seconds, concurrency });
    process.stderr.write("verify: js valid done\n");
  } finally {
    await jsWorker.stop();
  }

  // Argon2 runs per refused attempt, counted in-process through the same core (npm package):
  // normalise, then look the credential up by key as the Worker does; nothing reaches Argon2.
  const secret = "benchmark server secret, 32 b..!";
  const account = ours.UserAppPasswords.fromJSON(undefined, { user: "counted", secret });
  account.onMfaRegistered();
  const counts = {};
  for (const [label, inputs] of [
    ["malformed", Array.from({ length: 1000 }, () => "hunter2")],
    ["unknown well-formed", Array.from({ length: 1000 }, () => makeValidPassword())],
    ["valid", [account.create({ name: "Phone" }).password]],
  ]) {
    const before = ours.argon2Runs();
    for (const input of inputs) account.check(input, { secret });
    counts[label] = { attempts: inputs.length, argon2Runs: ours.argon2Runs() - before };
  }
  results.argon2Counts = counts;
  return results;
}
