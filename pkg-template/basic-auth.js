// HTTP Basic authentication with app passwords, shared by the Hono and Express middleware
// (`@app-passwords/core/hono`, `@app-passwords/core/express`). Parses the header and asks the
// WebAssembly core: a password that is not shaped like an app password is refused before the
// record is loaded and before any Argon2 run.
import { UserAppPasswords } from "#core";
import { shapeRejection } from "./precheck.js";

/** Checks the middleware options once, when the middleware is made. */
export function basicAuthOptions(options) {
  if (!options || typeof options.loadRecord !== "function") {
    throw new TypeError("app-password Basic auth needs options.loadRecord(user)");
  }
  if (typeof options.protocol !== "string") {
    throw new TypeError('app-password Basic auth needs options.protocol ("imap", "smtp", "pop", "eas" or "dav")');
  }
  if (options.secret === undefined) throw new TypeError("app-password Basic auth needs options.secret");
  const realm = options.realm ?? "app passwords";
  if (/["\\\r\n]/.test(realm)) throw new TypeError("options.realm must not contain quotes, backslashes or newlines");
  // Fails now, not at the first login, when the secret or the protocol is wrong.
  const probe = UserAppPasswords.fromJSON(null, { user: "configuration-check", secret: options.secret });
  try {
    probe.check("", { protocol: options.protocol });
  } finally {
    probe.free();
  }
  return { ...options, challenge: `Basic realm="${realm}", charset="UTF-8"` };
}

/** `{ user, password }` from an `Authorization: Basic …` header, or null when it is absent or odd. */
export function parseBasic(header) {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header ?? "");
  if (!match || match[1].length % 4 !== 0) return null;
  let text;
  try {
    const bytes = Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0));
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon <= 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Authenticates a request's `Authorization` header with `options` (made by basicAuthOptions).
 * Resolves to `{ ok: true, user, entry }` or `{ ok: false, reason }`, reason one of
 * `missing_credentials` (no or odd header), `unknown_user` (loadRecord found no record) or a
 * rejection code of the core (`malformed_password`, `bad_checksum`, `unknown_password`,
 * `scope_denied`, `expired`, `mfa_required`).
 */
export async function authenticate(header, options, context) {
  const credentials = parseBasic(header);
  if (!credentials) return { ok: false, reason: "missing_credentials" };
  const { user, password } = credentials;
  const malformed = shapeRejection(password);
  if (malformed) return { ok: false, reason: malformed };
  const record = await options.loadRecord(user, context);
  if (record === null || record === undefined) return { ok: false, reason: "unknown_user" };
  const account = UserAppPasswords.fromJSON(record, { user, secret: options.secret });
  try {
    const result = account.check(password, { protocol: options.protocol });
    if (!result.ok) return { ok: false, reason: result.reason };
    if (result.changed && options.saveRecord) await options.saveRecord(user, account.toJSON(), context);
    return { ok: true, user, entry: result.entry };
  } finally {
    account.free();
  }
}

/** The JSON body of a refusal: the same for every reason, so a client learns nothing from it. */
export const REFUSED_BODY = {
  error: { code: "unauthorized", message: "sign in with your user name and an app password" },
};
