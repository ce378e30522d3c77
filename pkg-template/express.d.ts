// Types of `@app-passwords/core/express`.
import type { Request, RequestHandler } from "express";
import type { AppPasswordAuth, BasicAuthOptions } from "./basic-auth.js";

export type { AppPasswordAuth, BasicAuthFailure, BasicAuthOptions } from "./basic-auth.js";

declare global {
  namespace Express {
    interface Request {
      /** Set by `appPasswordBasicAuth` on requests it let through. */
      appPassword?: AppPasswordAuth;
    }
  }
}

/**
 * Express/Connect middleware: requires `Authorization: Basic user:app-password` valid for
 * `options.protocol`, sets `req.appPassword` and calls `next()`; answers 401 with
 * `WWW-Authenticate: Basic realm="…"` otherwise. Input that is not an app password costs no record
 * load and no Argon2.
 */
export declare function appPasswordBasicAuth(options: BasicAuthOptions<Request>): RequestHandler;
