// The better-auth plugin (`@app-passwords/core/better-auth`). It stores each user's record (the
// core's JSON, hashes only) in one row of the `appPasswordRecord` table, maps better-auth's
// two-factor state onto the core's MFA state, and translates HTTP. Every rule (limit, names, scopes,
// MFA, errors and their codes and statuses) is the WebAssembly core's, through UserAppPasswords.
import { APIError, createAuthEndpoint, createAuthMiddleware, sessionMiddleware } from "better-auth/api";
import { mergeSchema } from "better-auth/db";
import { defaultRoles } from "better-auth/plugins/admin/access";
import { UserAppPasswords } from "#core";
import { shapeRejection } from "./precheck.js";

const MODEL = "appPasswordRecord";
/**
 * Optimistic-concurrency attempts before a change gives up with `conflict` (409). Each lost attempt
 * means another change to the same user's record won, so this bounds only pathological contention.
 */
const ATTEMPTS = 64;
/** better-call's names of the statuses the core uses. */
const STATUS_NAMES = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  500: "INTERNAL_SERVER_ERROR",
  503: "SERVICE_UNAVAILABLE",
};

/** An APIError with better-auth's `{ code, message }` body (plus `limit` for `limit_reached`). */
function apiError(status, code, message, extra) {
  return new APIError(STATUS_NAMES[status] ?? "BAD_REQUEST", { code, message, ...extra });
}

/** Runs `fn`, turning an error thrown by the core into an APIError with the core's code and status. */
function translated(fn) {
  try {
    return fn();
  } catch (error) {
    if (typeof error?.code === "string" && typeof error?.status === "number") {
      throw apiError(error.status, error.code, error.message, error.limit ? { limit: error.limit } : {});
    }
    throw error;
  }
}

/** A required string field of a request body. */
function bodyString(ctx, key) {
  const value = ctx.body?.[key];
  if (typeof value !== "string" || value === "") {
    throw apiError(400, "invalid_argument", `the body needs "${key}" as a non-empty string`);
  }
  return value;
}

/** Compares two strings in time independent of their contents (via SHA-256 digests). */
async function sameSecret(given, expected) {
  const digest = async (text) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * The app-passwords plugin for better-auth. See README.md ("better-auth plugin") and
 * better-auth.d.ts for the options.
 */
export function appPasswords(options) {
  if (!options || options.secret === undefined) {
    throw new Error("appPasswords({ secret }) needs the server secret (at least 16 bytes)");
  }
  const { verifyKey, firstAppPasswordName } = options;
  const coreOptions = { secret: options.secret };
  for (const key of ["params", "limit", "appPasswordsAllowed"]) {
    if (options[key] !== undefined) coreOptions[key] = options[key];
  }
  const adminPermissions = {
    list: { session: ["list"] },
    delete: { session: ["revoke"] },
    ...options.adminPermissions,
  };
  // Fails at start-up, not at the first request, when the secret or a setting is wrong.
  translated(() => UserAppPasswords.fromJSON(null, { user: "configuration-check", ...coreOptions }).free());

  /** The user's record as UserAppPasswords, with the core's MFA state set to better-auth's. */
  function open(row, userId, twoFactorEnabled) {
    const account = translated(() =>
      UserAppPasswords.fromJSON(row ? row.record : null, { user: userId, ...coreOptions }),
    );
    // Turning MFA off never issues anything, so it is safe wherever better-auth's state is read;
    // turning it on issues the first app password and is left to the two-factor hook, which can
    // show it.
    if (twoFactorEnabled === false && account.mfaEnabled) account.onMfaDisabled();
    return account;
  }

  /**
   * Reads the user's row, applies `change` to the record, and writes it back only if no one else
   * wrote in between (the row's `version`), retrying otherwise: the core's limit and name rules see
   * every change to one user's record one at a time, as the Worker's Durable Object does.
   * `change(account)` returns `{ result, write }`.
   */
  async function update(ctx, userId, twoFactorEnabled, change) {
    const adapter = ctx.context.adapter;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const row = await adapter.findOne({ model: MODEL, where: [{ field: "userId", value: userId }] });
      const account = open(row, userId, twoFactorEnabled);
      try {
        const { result, write } = translated(() => change(account));
        const record = JSON.stringify(account);
        // Nothing to store: no change asked for, and the record is as stored (or still empty).
        if (!write && (row ? record === row.record : !account.mfaEnabled)) return result;
        const updatedAt = new Date();
        if (!row) {
          try {
            await adapter.create({ model: MODEL, data: { userId, record, version: 1, updatedAt } });
            return result;
          } catch (error) {
            // Another request created the row first (userId is unique): read it and try again.
            if (attempt === ATTEMPTS - 1) throw error;
            continue;
          }
        }
        const written = await adapter.updateMany({
          model: MODEL,
          where: [
            { field: "userId", value: userId },
            { field: "version", value: row.version },
          ],
          update: { record, version: row.version + 1, updatedAt },
        });
        if (written === 1) return result;
      } finally {
        account.free();
      }
    }
    throw apiError(409, "conflict", "the app passwords changed meanwhile; try again");
  }

  /** Reads the user's record without changing it (MFA off applied in memory). */
  async function read(ctx, userId, twoFactorEnabled, fn) {
    const row = await ctx.context.adapter.findOne({ model: MODEL, where: [{ field: "userId", value: userId }] });
    const account = open(row, userId, twoFactorEnabled);
    try {
      return translated(() => fn(account));
    } finally {
      account.free();
    }
  }

  /** The signed-in user, as better-auth's session middleware left it. */
  const sessionUser = (ctx) => ctx.context.session.user;

  /** Throws 403 unless the signed-in user passes the admin plugin's access control for `permissions`. */
  function requireAdmin(ctx, permissions) {
    const admin = ctx.context.options.plugins?.find((p) => p.id === "admin");
    const user = sessionUser(ctx);
    if (!admin) throw apiError(403, "forbidden", "the admin plugin is not configured");
    // The admin plugin's own rule (plugins/admin/has-permission): listed admin ids, then the
    // user's roles against its access-control roles.
    const adminOptions = admin.options ?? {};
    if (adminOptions.adminUserIds?.includes(user.id)) return;
    const roles = adminOptions.roles ?? defaultRoles;
    const names = String(user.role || adminOptions.defaultRole || "user").split(",");
    if (!names.some((name) => roles[name]?.authorize(permissions)?.success)) {
      throw apiError(403, "forbidden", "you are not allowed to manage other users' app passwords");
    }
  }

  /** The user an admin names in the body, who must exist. */
  async function targetUser(ctx) {
    const userId = bodyString(ctx, "userId");
    const user = await ctx.context.internalAdapter.findUserById(userId);
    if (!user) throw apiError(404, "user_not_found", "no user with this id");
    return user;
  }

  const own = { use: [sessionMiddleware] };
  const withTwoFactor = (user) => user.twoFactorEnabled === true;

  return {
    id: "app-passwords",
    schema: mergeSchema(
      {
        [MODEL]: {
          fields: {
            userId: {
              type: "string",
              required: true,
              unique: true,
              references: { model: "user", field: "id", onDelete: "cascade" },
            },
            // The core's record: { user, mfa_enabled, app_passwords: [{ id, name, lookup_key, phc, … }] }.
            record: { type: "string", required: true, returned: false },
            version: { type: "number", required: true },
            updatedAt: { type: "date", required: true },
          },
        },
      },
      options.schema,
    ),
    endpoints: {
      listAppPasswords: createAuthEndpoint("/app-passwords/list", { method: "GET", ...own }, async (ctx) => {
        const user = sessionUser(ctx);
        return ctx.json(await read(ctx, user.id, withTwoFactor(user), (a) => a.list()));
      }),
      createAppPassword: createAuthEndpoint("/app-passwords/create", { method: "POST", ...own }, async (ctx) => {
        const user = sessionUser(ctx);
        const name = ctx.body?.name;
        const scopes = ctx.body?.scopes;
        const created = await update(ctx, user.id, withTwoFactor(user), (a) => ({
          result: a.create(scopes === undefined ? { name } : { name, scopes }),
          write: true,
        }));
        // The plaintext leaves once, in this response; the row holds only its hash.
        return ctx.json({ password: created.display, entry: created.entry });
      }),
      deleteAppPassword: createAuthEndpoint("/app-passwords/delete", { method: "POST", ...own }, async (ctx) => {
        const user = sessionUser(ctx);
        const id = bodyString(ctx, "id");
        const entry = await update(ctx, user.id, withTwoFactor(user), (a) => ({ result: a.delete(id), write: true }));
        return ctx.json({ deleted: entry });
      }),
      deleteAllAppPasswords: createAuthEndpoint("/app-passwords/delete-all", { method: "POST", ...own }, async (ctx) => {
        const user = sessionUser(ctx);
        const removed = await update(ctx, user.id, withTwoFactor(user), (a) => ({ result: a.deleteAll(), write: true }));
        return ctx.json({ deleted: removed });
      }),
      adminListAppPasswords: createAuthEndpoint("/app-passwords/admin/list", { method: "POST", ...own }, async (ctx) => {
        requireAdmin(ctx, adminPermissions.list);
        const user = await targetUser(ctx);
        return ctx.json(await read(ctx, user.id, withTwoFactor(user), (a) => a.list()));
      }),
      adminDeleteAppPassword: createAuthEndpoint("/app-passwords/admin/delete", { method: "POST", ...own }, async (ctx) => {
        requireAdmin(ctx, adminPermissions.delete);
        const user = await targetUser(ctx);
        const id = bodyString(ctx, "id");
        const entry = await update(ctx, user.id, withTwoFactor(user), (a) => ({ result: a.delete(id), write: true }));
        return ctx.json({ deleted: entry });
      }),
      adminDeleteAllAppPasswords: createAuthEndpoint(
        "/app-passwords/admin/delete-all",
        { method: "POST", ...own },
        async (ctx) => {
          requireAdmin(ctx, adminPermissions.delete);
          const user = await targetUser(ctx);
          const removed = await update(ctx, user.id, withTwoFactor(user), (a) => ({ result: a.deleteAll(), write: true }));
          return ctx.json({ deleted: removed });
        },
      ),
      // A legacy-protocol login (IMAP, SMTP, DAV…), checked for a gateway or mail server: over HTTP
      // with `Authorization: Bearer <verifyKey>`, or in-process with auth.api.verifyAppPassword.
      verifyAppPassword: createAuthEndpoint("/app-passwords/verify", { method: "POST" }, async (ctx) => {
        if (ctx.request || ctx.headers) {
          const given = (ctx.headers?.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
          if (!verifyKey || !(await sameSecret(given, verifyKey))) {
            throw apiError(401, "unauthorized", "missing or wrong verify key");
          }
        }
        const login = bodyString(ctx, "user");
        const password = bodyString(ctx, "password");
        const protocol = ctx.body?.protocol ?? undefined;
        const refuse = (reason) => {
          ctx.setStatus(401);
          return ctx.json({ valid: false, reason });
        };
        // Garbage costs no database read and no Argon2.
        const malformed = shapeRejection(password);
        if (malformed) return refuse(malformed);
        const found = await ctx.context.internalAdapter.findUserByEmail(login);
        if (!found) return refuse("unknown_password");
        const user = found.user;
        const row = await ctx.context.adapter.findOne({ model: MODEL, where: [{ field: "userId", value: user.id }] });
        if (!row) return refuse("unknown_password");
        const account = open(row, user.id, withTwoFactor(user));
        let outcome;
        try {
          outcome = translated(() => account.check(password, protocol === undefined ? {} : { protocol }));
          if (outcome.ok && outcome.changed) {
            // Last use is informative: a concurrent change wins and this write is dropped.
            await ctx.context.adapter.updateMany({
              model: MODEL,
              where: [
                { field: "userId", value: user.id },
                { field: "version", value: row.version },
              ],
              update: { record: JSON.stringify(account), version: row.version + 1, updatedAt: new Date() },
            });
          }
        } finally {
          account.free();
        }
        if (!outcome.ok) return refuse(outcome.reason);
        return ctx.json({ valid: true, user: user.id, app_password: { id: outcome.entry.id, name: outcome.entry.name } });
      }),
    },
    hooks: {
      after: [
        {
          // Every two-factor endpoint may turn two-factor on (verify-totp, verify-otp, enable) or
          // off (disable): bring the core's MFA state to better-auth's afterwards.
          matcher: (ctx) => ctx.path?.startsWith("/two-factor/") ?? false,
          handler: createAuthMiddleware(async (ctx) => {
            const userId = ctx.context.newSession?.user?.id ?? ctx.context.session?.user?.id;
            if (!userId) return;
            const user = await ctx.context.internalAdapter.findUserById(userId);
            if (!user) return;
            const on = withTwoFactor(user);
            const issued = await update(ctx, userId, on, (account) => {
              if (!on || account.mfaEnabled) return { result: null, write: false };
              const options = firstAppPasswordName === undefined ? {} : { name: firstAppPasswordName };
              return { result: account.onMfaRegistered(options), write: true };
            });
            const returned = ctx.context.returned;
            if (!issued || !returned || typeof returned !== "object" || returned instanceof Response || returned instanceof Error) {
              return;
            }
            // As Entra does at MFA registration: the first app password, shown once.
            return ctx.json({ ...returned, appPassword: { password: issued.display, entry: issued.entry } });
          }),
        },
      ],
    },
    options,
  };
}
