// The reference: the same verification job written the obvious way in a JavaScript Worker, with the
// fastest wasm Argon2id that loads in workerd, @phi-ag/argon2 (reference C, SIMD128).
// KV lookup by HMAC-SHA-256(secret, user ‖ password) (WebCrypto), then Argon2id at the same
// parameters as the Rust Worker (OWASP: m=19456 KiB, t=2, p=1). @phi-ag/argon2 has no secret input,
// so the secret enters as a pepper: Argon2id runs on hex(HMAC-SHA-256(secret, "argon2" ‖ password)).
// That costs one more HMAC (microseconds) and keeps a stolen store useless without the secret.
import Argon2 from "@phi-ag/argon2";
import argon2Module from "@phi-ag/argon2/argon2.wasm";

const enc = new TextEncoder();
const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const normalize = (s) => String(s).toLowerCase().replace(/[\s-]/g, "");
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const PARAMS = { timeCost: 2, memoryCost: 19456, parallelism: 1, hashLength: 32, type: 2, version: 0x13 };

let argon2; // instantiated on first use (the module is compiled by workerd at upload)
async function getArgon2() {
  argon2 ??= new Argon2(await WebAssembly.instantiate(argon2Module));
  return argon2;
}

async function hmac(env, text) {
  const key = await crypto.subtle.importKey("raw", enc.encode(env.PASSWORD_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", key, enc.encode(text)));
}
const lookupKey = (env, user, password) => hmac(env, `lookup\u0000${user}\u0000${password}`);
const peppered = (env, password) => hmac(env, `argon2\u0000${password}`);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return json(200, { ok: true });
    if (request.headers.get("authorization") !== `Bearer ${env.API_TOKEN}`) return json(401, { error: "unauthorized" });
    const body = await request.json();
    const password = normalize(body.password);
    if (url.pathname === "/seed") {
      const salt = crypto.getRandomValues(new Uint8Array(16));
      const { encoded } = (await getArgon2()).hash(await peppered(env, password), { ...PARAMS, salt });
      await env.APP_PASSWORDS.put(await lookupKey(env, body.user, password), JSON.stringify({ user: body.user, id: body.id, name: body.name, phc: encoded }));
      return json(201, { ok: true });
    }
    if (url.pathname === "/v1/verify") {
      if (!/^[a-z]{24}$/.test(password)) return json(401, { valid: false, reason: "malformed_password" });
      const stored = await env.APP_PASSWORDS.get(await lookupKey(env, body.user, password), "json");
      if (!stored || stored.user !== body.user) return json(401, { valid: false, reason: "unknown_password" });
      const ok = (await getArgon2()).tryVerify(stored.phc, await peppered(env, password)).success;
      return ok ? json(200, { valid: true, app_password: { id: stored.id, name: stored.name } }) : json(401, { valid: false, reason: "unknown_password" });
    }
    return json(404, { error: "not_found" });
  },
};
