// Argon2id alone inside workerd, for bench/argon2-workerd.mjs: ours (the npm package's workerd entry,
// pkg/) or @phi-ag/argon2 (loaded as the reference JS Worker loads it, on first use). The script
// runs one copy of this Worker per implementation, as the Rust and the JS Worker are separate. GET /hash?impl=ours|phi|none&m=&t=&n= runs n hashes
// and answers the last tag (hex); impl=none answers at once (the request's own cost).
import Argon2 from "@phi-ag/argon2";
import argon2Module from "@phi-ag/argon2/argon2.wasm";
import { generateAppPassword, hashAppPassword } from "../../pkg/workerd.js";

const SALT = new TextEncoder().encode("0123456789abcdef");
const SECRET = "benchmark server secret, 32 b..!";
let phi;
let password;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const impl = url.searchParams.get("impl");
    const [m, t, n] = ["m", "t", "n"].map((k) => Number(url.searchParams.get(k)));
    if (impl === "phi") phi ??= new Argon2(await WebAssembly.instantiate(argon2Module));
    password ??= generateAppPassword().password;
    let tag = "";
    for (let i = 0; i < n; i++) {
      if (impl === "ours") {
        tag = hashAppPassword(password, { secret: SECRET, params: { m, t, p: 1 }, salt: SALT }).split("$").at(-1);
      } else if (impl === "phi") {
        const out = phi.hash(password, { salt: SALT, memoryCost: m, timeCost: t, parallelism: 1, hashLength: 32, type: 2, version: 0x13 });
        tag = out.encoded.split("$").at(-1);
      }
    }
    return new Response(tag);
  },
};
