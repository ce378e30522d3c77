// Types of `@app-passwords/core/better-auth`: the better-auth plugin.
import type { BetterAuthPlugin } from "better-auth";
import type { AuthEndpoint } from "better-auth/api";
import type {
  AppPasswordEntry,
  HashParams,
  Protocol,
  RejectionCode,
  Secret,
} from "./app_passwords.js";

/** Permissions of better-auth's admin plugin, e.g. `{ session: ["list"] }`. */
export type AdminPermissions = Record<string, string[]>;

/** Options of `appPasswords(...)`. */
export interface AppPasswordsPluginOptions {
  /** The server secret (Argon2 pepper and lookup-key HMAC key), at least 16 bytes. Keep it out of the database. */
  secret: Secret;
  /** Argon2id costs of new hashes; default OWASP `{ m: 19456, t: 2, p: 1 }`. */
  params?: HashParams;
  /** App passwords per user, 1 to 100; default 40. */
  limit?: number;
  /** Tenant switch: when false nothing new is created (existing ones still verify). Default true. */
  appPasswordsAllowed?: boolean;
  /** Name of the app password issued when two-factor is turned on; default "First app password". */
  firstAppPasswordName?: string;
  /**
   * Bearer token a gateway or mail server sends to `POST /app-passwords/verify`. Without it the
   * endpoint answers HTTP callers 401 and works only in-process (`auth.api.verifyAppPassword`).
   */
  verifyKey?: string;
  /**
   * What the admin plugin's access control must grant for the admin endpoints; default
   * `{ list: { session: ["list"] }, delete: { session: ["revoke"] } }` (app passwords are
   * credentials, managed like sessions).
   */
  adminPermissions?: { list?: AdminPermissions; delete?: AdminPermissions };
  /** better-auth's usual schema customisation (`modelName`, `fields`) for the `appPasswordRecord` table. */
  schema?: { appPasswordRecord?: { modelName?: string; fields?: Record<string, string> } };
}

/** A newly created app password: `password` (the dashed display form) is shown once, then forgotten. */
export interface CreatedAppPasswordResponse {
  /** The app password in six dash-separated groups of four letters. */
  password: string;
  /** The new entry as the user may see it. */
  entry: AppPasswordEntry;
}

/** What `/app-passwords/delete` and the admin delete answer. */
export interface DeletedAppPassword {
  /** The removed entry. */
  deleted: AppPasswordEntry;
}

/** What `/app-passwords/delete-all` and the admin delete-all answer. */
export interface DeletedAppPasswords {
  /** The removed entries. */
  deleted: AppPasswordEntry[];
}

/** What `/app-passwords/verify` answers: 200 with `valid: true`, or 401 with the reason. */
export type VerifyAppPasswordResponse =
  | { valid: true; user: string; app_password: { id: string; name: string } }
  | { valid: false; reason: RejectionCode };

type Post<Path extends string, Body, R> = AuthEndpoint<Path, { method: "POST"; metadata: { $Infer: { body: Body } } }, R>;

/**
 * The plugin as better-auth sees it: its id, the `appPasswordRecord` table (one row per user
 * holding the core's record), the two-factor hook and the endpoints (`auth.api.*`).
 */
export interface AppPasswordsPlugin extends BetterAuthPlugin {
  /** The plugin id. */
  id: "app-passwords";
  /** The options given. */
  options: AppPasswordsPluginOptions;
  /** The plugin's endpoints. */
  endpoints: {
    /** GET `/app-passwords/list`: the signed-in user's app passwords (no hashes). */
    listAppPasswords: AuthEndpoint<"/app-passwords/list", { method: "GET" }, AppPasswordEntry[]>;
    /** POST `/app-passwords/create`: a new app password for the signed-in user, shown once. */
    createAppPassword: Post<"/app-passwords/create", { name: string; scopes?: Protocol[] }, CreatedAppPasswordResponse>;
    /** POST `/app-passwords/delete`: deletes one of the signed-in user's app passwords. */
    deleteAppPassword: Post<"/app-passwords/delete", { id: string }, DeletedAppPassword>;
    /** POST `/app-passwords/delete-all`: deletes all of the signed-in user's app passwords. */
    deleteAllAppPasswords: Post<"/app-passwords/delete-all", Record<string, never> | undefined, DeletedAppPasswords>;
    /** POST `/app-passwords/admin/list`: a user's app passwords, for an admin. */
    adminListAppPasswords: Post<"/app-passwords/admin/list", { userId: string }, AppPasswordEntry[]>;
    /** POST `/app-passwords/admin/delete`: deletes one of a user's app passwords, for an admin. */
    adminDeleteAppPassword: Post<"/app-passwords/admin/delete", { userId: string; id: string }, DeletedAppPassword>;
    /** POST `/app-passwords/admin/delete-all`: deletes all of a user's app passwords, for an admin. */
    adminDeleteAllAppPasswords: Post<"/app-passwords/admin/delete-all", { userId: string }, DeletedAppPasswords>;
    /** POST `/app-passwords/verify`: checks a legacy-protocol login (`user` is the e-mail address). */
    verifyAppPassword: Post<"/app-passwords/verify", { user: string; password: string; protocol?: Protocol }, VerifyAppPasswordResponse>;
  };
}

/**
 * The app-passwords plugin: one record per user in the `appPasswordRecord` table, endpoints under
 * `/app-passwords/`, and better-auth's two-factor state as the MFA state (turning two-factor on
 * issues the first app password, turning it off stops verification). Throws at start-up when the
 * secret or a setting is invalid (`error.code` as the core's).
 */
export declare function appPasswords(options: AppPasswordsPluginOptions): AppPasswordsPlugin;
