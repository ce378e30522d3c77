// Entry for Cloudflare Workers and other workerd hosts (the "workerd" export condition).
// Wrangler turns the .wasm import into a precompiled WebAssembly.Module, so the module is
// instantiated synchronously here. Nothing random happens at load: randomness is drawn
// (crypto.getRandomValues) only inside calls, as the runtime requires.
import wasmModule from "./app_passwords_bg.wasm";
import { initSync } from "./app_passwords_web.js";

initSync({ module: wasmModule });

export * from "./app_passwords_web.js";
