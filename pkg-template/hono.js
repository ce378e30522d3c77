// Hono middleware (`@app-passwords/core/hono`): HTTP Basic authentication with app passwords for
// the routes a legacy client uses. Runs wherever Hono and the package run (Workers, Node, Bun).
import { REFUSED_BODY, authenticate, basicAuthOptions } from "./basic-auth.js";

/** Hono middleware; see hono.d.ts and README.md ("Hono"). */
export function appPasswordBasicAuth(options) {
  const config = basicAuthOptions(options);
  return async function appPasswordBasicAuthMiddleware(c, next) {
    const outcome = await authenticate(c.req.header("authorization"), config, c);
    if (!outcome.ok) {
      await config.onFailure?.(outcome.reason, c);
      return c.json(REFUSED_BODY, 401, { "WWW-Authenticate": config.challenge, "Cache-Control": "no-store" });
    }
    c.set("appPassword", { user: outcome.user, entry: outcome.entry });
    await next();
  };
}
