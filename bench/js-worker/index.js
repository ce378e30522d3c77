// The reference: the same verification job written the obvious way in a JavaScript Worker.
// KV lookup by HMAC-SHA-256(secret, user ‖ password) (WebCrypto), then hash-wasm's Argon2id with
// the secret, at the same parameters as the Rust Worker (OWASP: m=19456 KiB, t=2, p=1).
import { argon2id, argon2Verify } from "hash-wasm";
// Made by build.mjs from hash-wasm's own binaries (Workers cannot compile wasm at run time).
import argon2Module from "./gen/argon2.wasm";
import blake2bModule from "./gen/blake2b.wasm";
import lengths from "./gen/lengths.json";

const precompiled = new Map([[lengths.argon2, argon2Module], [lengths.blake2b, blake2bModule]]);
const compile = WebAssembly.compile;
WebAssembly.compile = async (bytes) => precompiled.get(bytes.byteLength) ?? compile(bytes);

const enc = new TextEncoder();
const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const normalize = (s) => String(s).toLowerCase().replace(/[\s-]/g, "");

async function lookupKey(env, user, password) {
  const key = await crypto.subtle.importKey("raw", enc.encode(env.PASSWORD_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`${user}\u0000${password}`));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return json(200, { ok: true });
    if (request.headers.get("authorization") !== `Bearer ${env.API_TOKEN}`) return json(401, { error: "unauthorized" });
    const body = await request.json();
    const password = normalize(body.password);
    if (url.pathname === "/seed") {
      const salt = crypto.getRandomValues(new Uint8Array(16));
      const phc = await argon2id({ password, salt, secret: enc.encode(env.PASSWORD_SECRET), parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32, outputType: "encoded" });
      await env.APP_PASSWORDS.put(await lookupKey(env, body.user, password), JSON.stringify({ user: body.user, id: body.id, name: body.name, phc }));
      return json(201, { ok: true });
    }
    if (url.pathname === "/v1/verify") {
      if (!/^[a-z]{24}$/.test(password)) return json(401, { valid: false, reason: "malformed_password" });
      const stored = await env.APP_PASSWORDS.get(await lookupKey(env, body.user, password), "json");
      if (!stored || stored.user !== body.user) return json(401, { valid: false, reason: "unknown_password" });
      const ok = await argon2Verify({ password, hash: stored.phc, secret: enc.encode(env.PASSWORD_SECRET) });
      return ok ? json(200, { valid: true, app_password: { id: stored.id, name: stored.name } }) : json(401, { valid: false, reason: "unknown_password" });
    }
    return json(404, { error: "not_found" });
  },
};
