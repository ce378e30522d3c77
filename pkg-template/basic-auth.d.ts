// Types shared by `@app-passwords/core/hono` and `@app-passwords/core/express`.
import type { AppPasswordEntry, Protocol, RejectionCode, Secret, UserRecordInput } from "./app_passwords.js";

/** Why a Basic-auth login was refused (given to `onFailure`, never to the client). */
export type BasicAuthFailure = "missing_credentials" | "unknown_user" | RejectionCode;

/** Who signed in: the user name from the header and the app password's entry. */
export interface AppPasswordAuth {
  /** The user name the client sent (the record's user). */
  user: string;
  /** The app password used. */
  entry: AppPasswordEntry;
}

/** Options of the Basic-auth middleware; `Context` is the framework's request context. */
export interface BasicAuthOptions<Context> {
  /** The protocol of the routes behind this middleware, checked against each app password's scopes. */
  protocol: Protocol;
  /** The server secret the records were made with. */
  secret: Secret;
  /** Loads the stored record (`UserAppPasswords#toJSON()`) of the user named in the header; null/undefined when there is none. Not called for input that is not an app password. */
  loadRecord: (user: string, context: Context) => UserRecordInput | string | null | undefined | Promise<UserRecordInput | string | null | undefined>;
  /** Stores the record after a login recorded its use (at most once a minute per app password); optional. */
  saveRecord?: (user: string, record: object, context: Context) => void | Promise<void>;
  /** Realm of the `WWW-Authenticate: Basic realm="…"` challenge; default "app passwords". */
  realm?: string;
  /** Called with the reason of every refusal (for logs and metrics); the client gets the same 401 whatever the reason. */
  onFailure?: (reason: BasicAuthFailure, context: Context) => void | Promise<void>;
}
