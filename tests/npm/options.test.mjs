// The package's arguments are decoded strictly (issue 12), tested on the packed package in Node
// (run by `make test-npm`, after `make pkg`): an option name the package does not know is refused,
// not silently ignored; a value of the wrong type is refused; and no error message repeats a
// submitted key or value, only the package's own field names.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { NAME, createProject } from "./project.mjs";

const SECRET = "a server secret for the options tests";
// Planted in every refused argument: no message may contain them.
const KEY = "SecretFieldName";
const VALUE = 1234567;
const TEXT = "SecretValueText";

let lib;
let remove;

before(() => {
  let project;
  ({ project, remove } = createProject({ prefix: "app-passwords-options-" }));
  lib = createRequire(path.join(project, "index.js"))(NAME);
});

after(() => remove?.());

/** Runs `call`, which must throw `invalid_argument` (status 400) with a message free of the planted key and values. */
function refused(call, name) {
  let error;
  try {
    call();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `${name}: threw an Error`);
  assert.equal(error.code, "invalid_argument", `${name}: code (${error.message})`);
  assert.equal(error.status, 400, `${name}: status`);
  for (const planted of [KEY, String(VALUE), TEXT]) {
    assert.ok(!error.message.includes(planted), `${name}: the message echoes ${planted}: ${error.message}`);
  }
  return error.message;
}

/** An account with MFA on and the secret configured, for the methods' options. */
function account() {
  const a = lib.UserAppPasswords.fromJSON(null, { user: "alice", secret: SECRET, params: { m: 64, t: 1, p: 1 } });
  a.onMfaRegistered({ name: "First" });
  return a;
}

describe("options the package does not know are refused", () => {
  test("at the top level of every options argument, naming the known options", () => {
    const password = lib.generateAppPassword().password;
    const phc = lib.hashAppPassword(password, { secret: SECRET, params: { m: 64, t: 1, p: 1 } });
    const message = refused(() => lib.hashAppPassword(password, { secret: SECRET, [KEY]: VALUE }), "hashAppPassword");
    assert.equal(message, "options has a property that is not one of secret, params, salt");
    refused(() => lib.verifyAppPassword(password, phc, { secret: SECRET, [KEY]: TEXT }), "verifyAppPassword");
    refused(() => lib.UserAppPasswords.fromJSON(null, { user: "alice", [KEY]: true }), "fromJSON");
    const a = account();
    refused(() => a.create({ name: "Phone", [KEY]: VALUE }), "create");
    refused(() => a.verify(password, { [KEY]: VALUE }), "verify");
    refused(() => a.check(password, { protocol: "imap", [KEY]: VALUE }), "check");
    refused(() => a.onMfaRegistered({ [KEY]: TEXT }), "onMfaRegistered");
  });

  test("inside nested options too (the Argon2 parameters)", () => {
    const password = lib.generateAppPassword().password;
    const params = { m: 64, t: 1, p: 1, [KEY]: VALUE };
    assert.equal(
      refused(() => lib.hashAppPassword(password, { secret: SECRET, params }), "hash params"),
      "options.params has a property that is not one of m, t, p",
    );
    refused(() => lib.needsRehash("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA", params), "needsRehash params");
    refused(() => lib.UserAppPasswords.fromJSON(null, { user: "alice", params }), "fromJSON params");
  });
});

describe("values of the wrong type are refused", () => {
  test("each option, naming the option and not the value", () => {
    const password = lib.generateAppPassword().password;
    const cases = [
      [() => lib.hashAppPassword(password, { secret: VALUE }), "options.secret"],
      [() => lib.hashAppPassword(password, { secret: SECRET, salt: TEXT }), "options.salt"],
      [() => lib.hashAppPassword(password, { secret: SECRET, salt: [VALUE, 1, 2, 3, 4, 5, 6, 7] }), "options.salt"],
      [() => lib.hashAppPassword(password, { secret: SECRET, params: { m: TEXT, t: 1, p: 1 } }), "options.params.m"],
      [() => lib.hashAppPassword(password, { secret: SECRET, params: { m: VALUE + 0.5, t: 1, p: 1 } }), "options.params.m"],
      [() => lib.UserAppPasswords.fromJSON(null, { user: "alice", limit: String(VALUE) }), "options.limit"],
      [() => lib.UserAppPasswords.fromJSON(null, { user: "alice", limit: -VALUE }), "options.limit"],
      [() => lib.UserAppPasswords.fromJSON(null, { user: VALUE }), "options.user"],
      [() => lib.UserAppPasswords.fromJSON(null, { user: "alice", appPasswordsAllowed: TEXT }), "options.appPasswordsAllowed"],
      [() => lib.UserAppPasswords.fromJSON(null, { user: "alice", maxLifetimeDays: VALUE + 0.5 }), "options.maxLifetimeDays"],
      [() => lib.UserAppPasswords.fromJSON(null, { user: "alice", onPasswordChange: TEXT }), "options.onPasswordChange"],
      [() => account().create({ name: VALUE }), "options.name"],
      [() => account().create({ name: "Phone", scopes: TEXT }), "options.scopes"],
      [() => account().create({ name: "Phone", scopes: [VALUE] }), "options.scopes"],
      [() => account().create({ name: "Phone", now: String(VALUE) }), "options.now"],
      [() => account().verify(password, { now: VALUE + 0.5 }), "options.now"],
      [() => account().check(password, { protocol: VALUE }), "options.protocol"],
    ];
    for (const [call, field] of cases) {
      const message = refused(call, field);
      assert.ok(message.startsWith(`${field} `), `names ${field}: ${message}`);
    }
  });

  test("an array or a scalar in place of an options object", () => {
    const password = lib.generateAppPassword().password;
    assert.equal(refused(() => lib.hashAppPassword(password, [SECRET]), "array"), "options must be an object");
    refused(() => lib.hashAppPassword(password, TEXT), "string options");
    refused(() => lib.UserAppPasswords.fromJSON(null, [TEXT, VALUE]), "fromJSON array");
    refused(() => account().create([TEXT]), "create array");
    refused(() => account().verify(password, VALUE), "verify number");
  });

  test("a stored record of the wrong shape, without echoing its content", () => {
    const record = (entry) => ({ user: "alice", mfa_enabled: true, app_passwords: [entry] });
    const entry = { id: "ap_0000000000000001", name: "Phone", created_at: 1, lookup_key: "00", phc: "$argon2id$" };
    lib.UserAppPasswords.fromJSON(record(entry), { secret: SECRET }); // the well-formed record loads
    assert.equal(
      refused(() => lib.UserAppPasswords.fromJSON(record({ ...entry, phc: VALUE })), "phc of the wrong type"),
      "record.app_passwords.phc has the wrong type or an out-of-range value",
    );
    refused(() => lib.UserAppPasswords.fromJSON(record({ ...entry, scopes: [TEXT] })), "unknown stored scope");
    refused(() => lib.UserAppPasswords.fromJSON(JSON.stringify(record({ ...entry, created_at: TEXT }))), "record as JSON");
    refused(() => lib.UserAppPasswords.fromJSON({ user: "alice", mfa_enabled: TEXT }), "mfa flag");
    assert.equal(
      refused(() => lib.UserAppPasswords.fromJSON(record({ name: TEXT })), "entry without its id"),
      "record.app_passwords.id is required",
    );
  });
});

test("deeply nested values are refused or skipped without descending into them", () => {
  let deep = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  // A field the record does not know (a newer version's) is skipped, however deep.
  const loaded = lib.UserAppPasswords.fromJSON({ user: "alice", app_passwords: [], newer: deep }, {});
  assert.equal(loaded.user, "alice");
  refused(() => lib.UserAppPasswords.fromJSON({ user: "alice", app_passwords: deep }), "deep entries");
  refused(() => lib.UserAppPasswords.fromJSON(null, { user: "alice", secret: deep }), "deep secret");
  refused(() => lib.UserAppPasswords.fromJSON(null, { user: "alice", [KEY]: deep }), "deep unknown option");
  refused(() => account().create({ name: "Phone", scopes: deep }), "deep scopes");
  // The module is intact: a stack overflow in wasm would have corrupted its memory.
  const generated = lib.generateAppPassword();
  assert.equal(lib.normalizeAppPassword(generated.display), generated.password);
});

test("a getter that throws is refused, and the object stays usable", () => {
  const throwing = (key) => Object.defineProperty({}, key, { enumerable: true, get: () => { throw new Error(TEXT); } });
  const a = account();
  assert.equal(refused(() => a.create(throwing("name")), "create"), "options cannot be read: reading a property threw");
  refused(() => a.verify(lib.generateAppPassword().password, throwing("secret")), "verify");
  const scopes = ["imap"];
  Object.defineProperty(scopes, 0, { get: () => { throw new Error(TEXT); } });
  refused(() => a.create({ name: "Phone", scopes }), "scopes");
  // A JavaScript exception thrown through the wasm frames would leave `a` borrowed for good.
  assert.equal(a.create({ name: "Phone" }).entry.name, "Phone");
  const record = throwing("app_passwords");
  record.mfa_enabled = true;
  refused(() => lib.UserAppPasswords.fromJSON(record, { user: "alice" }), "record");
});

test("a revoked proxy or a proxy whose traps throw is refused like a getter that throws", () => {
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const throwingTraps = (target) =>
    new Proxy(target, {
      get: () => { throw new Error(TEXT); },
      getPrototypeOf: () => { throw new Error(TEXT); },
      ownKeys: () => { throw new Error(TEXT); },
    });
  const unreadable = (call, name, place) => {
    assert.equal(refused(call, name), `${place} cannot be read: reading a property threw`, name);
  };
  const a = account();
  const password = lib.generateAppPassword().password;
  unreadable(() => lib.hashAppPassword(password, revoked()), "revoked options", "options");
  unreadable(() => lib.hashAppPassword(password, { secret: revoked() }), "revoked secret", "options.secret");
  unreadable(() => lib.hashAppPassword(password, { secret: SECRET, params: revoked() }), "revoked params", "options.params");
  unreadable(() => lib.needsRehash("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA", revoked()), "revoked params", "params");
  unreadable(() => lib.UserAppPasswords.fromJSON(revoked(), { user: "alice" }), "revoked record", "record");
  unreadable(() => lib.UserAppPasswords.fromJSON(null, revoked()), "revoked fromJSON options", "options");
  unreadable(() => a.create({ name: "Phone", scopes: revoked() }), "revoked scopes", "options.scopes");
  unreadable(() => a.create({ name: "Phone", scopes: throwingTraps(["imap"]) }), "array proxy", "options.scopes");
  unreadable(() => a.verify(password, { secret: throwingTraps(new Uint8Array(32)) }), "bytes proxy", "options.secret");
  unreadable(() => a.check(password, revoked()), "revoked check options", "options");
  // Nothing was thrown through the wasm frames: `a` is still usable.
  assert.equal(a.create({ name: "Phone" }).entry.name, "Phone");
});
