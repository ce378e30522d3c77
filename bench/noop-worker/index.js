// The platform's ceilings for refused input, run by `make bench` on the same `wrangler dev --local`
// setup as the other Workers, with the same KV and `[[ratelimits]]` bindings as ours. Every path
// answers the 401 JSON a refused verification gets, without reading the body; what it does first
// depends on the path (GET /healthz: 200, for the harness):
//
// - `/kv`       one KV get of a missing key (`cred:` + a 43-character lookup key, as ours reads);
// - `/limiters` both rate limiters' `limit()` at once (`PAIR_LIMITER` per user and address,
//               `ADDRESS_LIMITER` per address, keys shaped like ours);
// - `/bindings` the KV get, then both limiters at once: exactly the binding calls our Worker makes
//               for a well-formed unknown password (the "bindings ceiling");
// - `/body`     reads the request body as text (what any Worker that looks at a POST body pays
//               before its own code runs; a diagnostic, not a ceiling);
// - anything else: nothing (the no-op ceiling).
//
// The load sends the same 8 users' bodies as to ours; this Worker does not read them, so it takes
// turns over 8 users by itself (8 pair keys and lookup keys, one address key, as ours sees).
const USERS = 8;
const REFUSED = '{"valid":false,"reason":"unknown_password"}';
const KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const lookupKeys = Array.from({ length: USERS }, (_, u) => `cred:${Array.from({ length: 43 }, (_, i) => KEY_CHARS[(u * 7 + i * 13) % 64]).join("")}`);
const pairKeys = Array.from({ length: USERS }, (_, u) => `p:${lookupKeys[u].slice(5)}`);
const ADDRESS_KEY = `a:${lookupKeys[0].slice(5).split("").reverse().join("")}`;
let turn = 0;

async function kv(env, user) {
  // As workers-rs reads ours: `get(key, "json")`, null for a missing key.
  if ((await env.APP_PASSWORDS.get(lookupKeys[user], "json")) !== null) throw new Error("the key exists");
}

async function limiters(env, user) {
  const outcomes = await Promise.all([env.PAIR_LIMITER.limit({ key: pairKeys[user] }), env.ADDRESS_LIMITER.limit({ key: ADDRESS_KEY })]);
  if (!outcomes.every((o) => o.success)) throw new Error("over the limit");
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/healthz") return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });
    const user = turn++ % USERS;
    if (path === "/body") await request.text();
    if (path === "/kv" || path === "/bindings") await kv(env, user);
    if (path === "/limiters" || path === "/bindings") await limiters(env, user);
    return new Response(REFUSED, { status: 401, headers: { "content-type": "application/json" } });
  },
};
