// Express/Connect middleware (`@app-passwords/core/express`): HTTP Basic authentication with app
// passwords for the routes a legacy client uses.
import { REFUSED_BODY, authenticate, basicAuthOptions } from "./basic-auth.js";

/** Express middleware; see express.d.ts and README.md ("Express"). */
export function appPasswordBasicAuth(options) {
  const config = basicAuthOptions(options);
  return function appPasswordBasicAuthMiddleware(req, res, next) {
    authenticate(req.headers.authorization, config, req).then(async (outcome) => {
      if (!outcome.ok) {
        await config.onFailure?.(outcome.reason, req);
        res.statusCode = 401;
        res.setHeader("WWW-Authenticate", config.challenge);
        res.setHeader("Cache-Control", "no-store");
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        res.end(JSON.stringify(REFUSED_BODY));
        return;
      }
      req.appPassword = { user: outcome.user, entry: outcome.entry };
      next();
    }).catch(next);
  };
}
