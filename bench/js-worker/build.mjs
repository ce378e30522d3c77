// hash-wasm compiles its wasm from base64 at run time, which Workers forbid ("Wasm code generation
// disallowed by embedder"). The least change that makes "the obvious way" run: extract hash-wasm's
// own argon2 and blake2b binaries into .wasm files that wrangler imports as compiled modules, and let
// index.js hand those to hash-wasm. The hashing code stays hash-wasm's.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const here = new URL(".", import.meta.url).pathname;
const src = readFileSync(new URL("../node_modules/hash-wasm/dist/index.esm.js", import.meta.url), "utf8");
const names = Object.fromEntries([...src.matchAll(/var name(\$\w+|) = "([a-z0-9_]+)";/g)].map((m) => [m[1], m[2]]));
const datas = Object.fromEntries([...src.matchAll(/var data(\$\w+|) = "([A-Za-z0-9+/=]+)";/g)].map((m) => [m[1], m[2]]));
mkdirSync(`${here}gen`, { recursive: true });
const lengths = {};
for (const [suffix, name] of Object.entries(names)) {
  if (name !== "argon2" && name !== "blake2b") continue;
  const bytes = Buffer.from(datas[suffix], "base64");
  writeFileSync(`${here}gen/${name}.wasm`, bytes);
  lengths[name] = bytes.length;
}
if (!lengths.argon2 || !lengths.blake2b) throw new Error(`hash-wasm binaries not found: ${JSON.stringify(lengths)}`);
writeFileSync(`${here}gen/lengths.json`, JSON.stringify(lengths));
