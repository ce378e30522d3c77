// Helpers for the servers that tests and tools run on loopback (wrangler dev, Dovecot).
// Node built-ins only.

import { createServer } from 'node:net';

/**
 * Resolves to a TCP port on 127.0.0.1 that nobody listens on right now. Someone else may take it
 * before the caller binds it: callers retry with another on a clash.
 */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Collects a spawned server's stdout and stderr and notices when it ends. Returns
 * `{ output(), exited(), exit }`: `exit` resolves once the process is gone (or could not start).
 */
export function watch(child, name) {
  let output = '';
  let exited = false;
  child.stdout?.setEncoding('utf8').on('data', (d) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d) => (output += d));
  const exit = new Promise((r) => {
    child.once('error', (e) => {
      exited = true;
      output += `\n[${name}] could not run: ${e.message}\n`;
      r();
    });
    child.once('exit', (code, signal) => {
      exited = true;
      output += `\n[${name}] exited (code ${code}, signal ${signal})\n`;
      r();
    });
  });
  return { output: () => output, exited: () => exited, exit };
}
