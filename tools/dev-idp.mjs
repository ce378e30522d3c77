// A local OpenID Provider (npm `oidc-provider`, a certified OP) for `make dev` and the browser tests.
//
// Users sign in with a user id and a password on its own login page; a one-time code makes the
// sign-in multi-factor (`amr: ["pwd", "otp", "mfa"]`, `acr: "urn:example:mfa"`), without it the
// ID token says `amr: ["pwd"]`. It serves http://localhost:<port> — another site than the Worker's
// http://127.0.0.1:<port>, so the callback is a cross-site navigation as with a real provider.
//
// As a program: `node tools/dev-idp.mjs <port> <worker origin> <client id>` (make dev).
// As a module: `startIdp({...})` for tests, which can also rotate the signing key, count requests,
// re-mint the ID token the token endpoint returns (`idp.tamper = (claims) => claims`, with
// `idp.forge = true` under a key it does not publish), and hold the
// redirect to the callback (`idp.hold = true`; the URL is then in `idp.held`).

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

/** acr of a sign-in with the one-time code. */
export const MFA_ACR = 'urn:example:mfa';

/** Demo users of `make dev`: one with a one-time code (MFA), one without. */
export const DEMO_USERS = {
  'alice@example.com': { password: 'alice', otp: '123456' },
  'bob@example.com': { password: 'bob' },
};

async function signingKey(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, { prompt, error }) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example IdP · Sign in</title></head>
<body><main><h1>Example IdP</h1><p>Sign in to continue (${escapeHtml(prompt)}).</p>
${error ? `<p role="alert" id="idp-error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>User <input name="login" id="login" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password"></label>
<label>One-time code (MFA) <input name="otp" id="otp" inputmode="numeric"></label>
<button type="submit" id="idp-submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

async function listen(server, host, port) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address().port;
}

/**
 * Starts the provider. `clients`: `[{ client_id, client_secret?, redirect_uris }]` (a client without
 * a secret is public: PKCE only). Returns `{ issuer, requests, tamper, rotate(), stop() }`; `requests`
 * counts requests per path (`/jwks`, `/.well-known/openid-configuration`, `/token`).
 */
export async function startIdp({ port = 0, clients, users = DEMO_USERS, log = () => {} }) {
  const idp = { requests: {}, tamper: null, forge: false, hold: false, held: null, keys: [await signingKey('RS256', 'rsa-1')], alg: 'RS256' };
  const cookieKeys = [randomBytes(32).toString('hex')];
  let provider;

  const build = (issuer) => {
    const p = new Provider(issuer, {
      clients: clients.map(({ client_secret, ...c }) => ({
        grant_types: ['authorization_code'],
        response_types: ['code'],
        ...(client_secret ? { client_secret, token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
        id_token_signed_response_alg: idp.alg,
        ...c,
      })),
      jwks: { keys: idp.keys },
      cookies: { keys: cookieKeys },
      features: { devInteractions: { enabled: false } },
      acrValues: ['urn:example:pwd', MFA_ACR],
      claims: { sid: null, openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['preferred_username'] },
      conformIdTokenClaims: false,
      findAccount: (ctx, id) => ({
        accountId: id,
        claims: () => ({ sub: id, email: id, email_verified: true, preferred_username: id.split('@')[0] }),
      }),
      interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
      // A first-party client: consent is implied.
      loadExistingGrant: async (ctx) => {
        const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
      ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 300, AccessToken: 300 },
    });
    p.proxy = false;
    p.use(async (ctx, next) => {
      idp.requests[ctx.path] = (idp.requests[ctx.path] ?? 0) + 1;
      await next();
      const location = ctx.response.get('location');
      if (idp.hold && ctx.status >= 300 && ctx.status < 400 && location.includes('/oidc/callback')) {
        // Tests: keep the callback URL (code and state unused) instead of sending the browser there.
        idp.held = location;
        ctx.status = 200;
        ctx.remove('location');
        ctx.type = 'html';
        ctx.body = '<!doctype html><p id="held">Held by the test.</p>';
        return;
      }
      if (ctx.path === '/token' && ctx.status === 200 && idp.tamper && ctx.body?.id_token) {
        const header = decodeProtectedHeader(ctx.body.id_token);
        const claims = idp.tamper(decodeJwt(ctx.body.id_token));
        const jwk = idp.keys.find((k) => k.kid === header.kid);
        // `idp.forge`: a key of the same type that the provider does not publish, under its kid.
        const key = idp.forge ? (await generateKeyPair(jwk.alg)).privateKey : await importJWK(jwk, jwk.alg);
        ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader(header).sign(key) };
      }
    });
    return p;
  };

  const handle = async (req, res) => {
    try {
      const url = new URL(req.url, idp.issuer);
      const match = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
      if (!match) return provider.callback()(req, res);
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        if (details.prompt.name !== 'login') {
          // Consent is implied by loadExistingGrant; any other prompt just continues.
          return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
        }
        res.setHeader('content-type', 'text/html; charset=utf-8');
        return res.end(loginPage(details.uid, { prompt: details.params.prompt ?? 'login' }));
      }
      const form = await readForm(req);
      const user = users[form.login];
      if (!user || user.password !== form.password || (form.otp && form.otp !== user.otp)) {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        return res.end(loginPage(details.uid, { prompt: 'login', error: 'Wrong user, password or code.' }));
      }
      const mfa = Boolean(form.otp);
      log(`idp: ${form.login} signed in ${mfa ? 'with' : 'without'} MFA`);
      const login = {
        accountId: form.login,
        amr: mfa ? ['pwd', 'otp', 'mfa'] : ['pwd'],
        acr: mfa ? MFA_ACR : 'urn:example:pwd',
      };
      return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
    } catch (e) {
      log(`idp: ${e.message}`);
      res.statusCode = 500;
      res.end(String(e.message));
    }
  };

  // One port on both loopback addresses: `localhost` may resolve to either.
  const v4 = createServer(handle);
  const bound = await listen(v4, '127.0.0.1', port);
  const servers = [v4];
  try {
    const v6 = createServer(handle);
    await listen(v6, '::1', bound);
    servers.push(v6);
  } catch {
    // no IPv6 loopback here: 127.0.0.1 is enough
  }
  idp.issuer = `http://localhost:${bound}`;
  provider = build(idp.issuer);

  /** Publishes a new signing key (EC P-256, ES256) before the old one and signs with it from now on. */
  idp.rotate = async () => {
    idp.keys = [await signingKey('ES256', `ec-${idp.keys.length + 1}`), ...idp.keys];
    idp.alg = 'ES256';
    provider = build(idp.issuer);
  };
  /** Rebuilds the provider from `clients` (after a test changed them, e.g. a redirect URI). */
  idp.reconfigure = () => {
    provider = build(idp.issuer);
  };
  idp.stop = () => Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return idp;
}

// `make dev`: node tools/dev-idp.mjs <port> <worker origin> <client id>
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [port, origin, clientId] = process.argv.slice(2);
  const idp = await startIdp({
    port: Number(port),
    clients: [{ client_id: clientId, redirect_uris: [`${origin}/oidc/callback`] }],
    log: (m) => console.log(m),
  });
  console.log(`dev-idp: OpenID Provider on ${idp.issuer} for ${origin}`);
  for (const [user, { password, otp }] of Object.entries(DEMO_USERS)) {
    console.log(`dev-idp:   ${user} / ${password}${otp ? ` / one-time code ${otp} (MFA)` : ' (no MFA)'}`);
  }
}
