// Types of `@app-passwords/core/hono`.
import type { Context, MiddlewareHandler } from "hono";
import type { AppPasswordAuth, BasicAuthOptions } from "./basic-auth.js";

export type { AppPasswordAuth, BasicAuthFailure, BasicAuthOptions } from "./basic-auth.js";

/** The variable the middleware sets: `new Hono<{ Variables: AppPasswordVariables }>()` types `c.get("appPassword")`. */
export type AppPasswordVariables = { appPassword: AppPasswordAuth };

/**
 * Hono middleware: requires `Authorization: Basic user:app-password` valid for `options.protocol`,
 * sets `c.get("appPassword")` and calls the route; answers 401 with `WWW-Authenticate: Basic
 * realm="…"` otherwise. Input that is not an app password costs no record load and no Argon2.
 */
export declare function appPasswordBasicAuth(options: BasicAuthOptions<Context>): MiddlewareHandler<{ Variables: AppPasswordVariables }>;
