// The code examples of README.md and pkg-template/README.md, run as a reader would run them
// (issue 15). Every fenced block with a language carries a marker on the line before it:
//
//   <!-- example: node -->      a .js/.ts block run by Node in a project with the packed package
//                               installed: CommonJS when it calls require(), else an ES module;
//                               TypeScript blocks as .mts/.cts (Node strips the types)
//   <!-- example: workerd -->   a Worker module run under `wrangler dev` with a KV binding RECORDS
//   <!-- example: json -->      must parse
//   <!-- example: skip (why) --> not run, with the reason
//   `, prints "text"` after node/workerd: the output (workerd: "<status> <body>") must contain it
//   <!-- walkthrough … -->      the README's curl walk-through, run by tests/worker/readme.test.mjs
//   <!-- example: better-auth | hono | express -->  run by tests/npm/fixtures/readme-examples.test.mjs
//
// A block without a marker fails the test, so new examples are run (or knowingly skipped).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, startWorker } from '../worker/harness.mjs';

/** The documents whose examples are run. */
export const DOCUMENTS = ['README.md', 'pkg-template/README.md'];
/** The server secret the examples read from APP_PASSWORD_SECRET. */
const SECRET = 'an example secret of at least 16 bytes';

/** Where each kind of example runs: "here" (runExample), or the test that runs it. */
const RUNNERS = {
  node: 'here',
  workerd: 'here',
  json: 'here',
  skip: 'nowhere, on purpose',
  walkthrough: 'tests/worker/readme.test.mjs',
  'better-auth': 'tests/npm/fixtures/readme-examples.test.mjs',
  hono: 'tests/npm/fixtures/readme-examples.test.mjs',
  express: 'tests/npm/fixtures/readme-examples.test.mjs',
};

/** Every fenced block with a language: `{ where, lang, kind, runner, reason, prints, code }`. */
export function examples(documents = DOCUMENTS) {
  const found = [];
  for (const doc of documents) {
    const lines = readFileSync(join(REPO, doc), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```([a-z]+)\s*$/.exec(lines[i]);
      if (!open) continue;
      const end = lines.indexOf('```', i + 1);
      assert.ok(end > i, `${doc}:${i + 1}: unclosed code block`);
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === '') before--;
      const marker = /^<!-- (example: ([a-z-]+)|walkthrough)(.*?)-->$/.exec(lines[before]?.trim() ?? '');
      found.push({
        where: `${doc}:${i + 1}`,
        lang: open[1],
        kind: marker ? (marker[2] ?? 'walkthrough') : undefined,
        runner: marker ? RUNNERS[marker[2] ?? 'walkthrough'] : undefined,
        reason: marker?.[3].trim().replace(/^\((.*)\)$/, '$1'),
        prints: /prints "([^"]*)"/.exec(marker?.[3] ?? '')?.[1],
        code: lines.slice(i + 1, end).join('\n'),
      });
      i = end;
    }
  }
  return found;
}

/** Runs one example in `project` (a directory with the packed package installed). */
export async function runExample(example, project, n) {
  const typescript = example.lang === 'ts' || example.lang === 'typescript';
  switch (example.kind) {
    case 'node': {
      const commonjs = /\brequire\(/.test(example.code);
      const ext = typescript ? (commonjs ? 'cts' : 'mts') : commonjs ? 'cjs' : 'mjs';
      const file = join(project, `readme-example-${n}.${ext}`);
      writeFileSync(file, example.code);
      try {
        return execFileSync(process.execPath, [file], {
          cwd: project,
          env: { ...process.env, APP_PASSWORD_SECRET: SECRET },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        assert.fail(`${example.where} failed (exit ${error.status}):\n${error.stdout}\n${error.stderr}`);
      }
      break;
    }
    case 'workerd': {
      const main = join(project, `readme-example-${n}.js`);
      writeFileSync(main, example.code);
      const configText = [
        `name = "readme-example-${n}"`,
        `main = ${JSON.stringify(main)}`,
        'compatibility_date = "2025-09-01"',
        '[[kv_namespaces]]',
        'binding = "RECORDS"',
        'id = "00000000000000000000000000000000"',
        '',
      ].join('\n');
      // startWorker waits for a 200 from the Worker: the example's first answer.
      const worker = await startWorker({ configText, vars: { APP_PASSWORD_SECRET: SECRET } });
      try {
        const res = await fetch(`${worker.url}/`);
        return `${res.status} ${await res.text()}`;
      } finally {
        await worker.stop();
      }
    }
    case 'json':
      return JSON.parse(example.code);
    default:
      assert.fail(`${example.where}: unknown example kind ${example.kind}`);
  }
  return undefined;
}
