// A real OpenID Connect provider for the login tests (oidc-provider, see package.json).
//
// Started by the `oidc_provider` fixture in tests/test_oidc.py; never used outside tests.
// It listens on 127.0.0.1 on a free port and prints one line of JSON with its issuer,
// then serves until it is killed. Configuration comes from the environment:
//
//   OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET   the portal's client
//   OIDC_TEST_REDIRECT_URIS                        comma-separated callback URLs
//   OIDC_TEST_POST_LOGOUT_REDIRECT_URIS            comma-separated, for RP-initiated logout
//
// One client, authorization code flow only, PKCE (S256) required. The login
// interaction is a minimal form: the "login" field names a test account. Consent is
// implied for the portal (a first-party client). Some routes exist for the tests only:
//   GET  /_test/authorizations     the query of every authorization request received
//   POST /_test/accounts/<sub>     JSON claims to merge into (or create) an account
//   POST /_test/quirks             JSON: how the provider misbehaves from now on (below);
//                                  replaces the previous quirks and clears the counts
//   GET  /_test/requests           how often each path was requested since then
//
// The quirks make the real provider answer as a broken or hostile one would, so the
// portal's refusals are tested against real HTTP answers. The provider issues its
// tokens as usual; a quirk rewrites its answer afterwards:
//   clock_skew: seconds          the ID token's iat, exp and auth_time moved, as if the
//                                provider's clock were that far ahead (negative: behind)
//   times: {claim: seconds}      set these claims (exp, iat, nbf) to now plus seconds
//   kid: string | null           the ID token's header kid (null: no kid at all)
//   sign_with: 'unknown'|'second'  sign with a key not in the JWKS, or the second key
//   alg: 'none'                  an unsigned ID token
//   id_token: 'omit'|'garbage'   a token response without an ID token, or with junk
//   token: 'not-json'            a token response that is not JSON
//   jwks: 'discovery'|'not-json'|'error'|'two-keys'|'both'|'private'
//                                the JWKS endpoint answers with the discovery document,
//                                an HTML page, a 500, two signing keys (kids test-key and
//                                other-key), the usual key and the second one, or the
//                                signing key with its private parts
//   userinfo: 'error'|'not-json'|'signed'|'signed-elsewhere'
//                                the userinfo endpoint answers with a 500, HTML, or its
//                                claims as a JWT (application/jwt) signed with the
//                                provider's key or with a key not in the JWKS
//   discovery: {...} | 'error'   merged into the discovery document, or a 503

import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const env = (name, fallback) => process.env[name] || fallback;
const list = (value) => value.split(',').map((item) => item.trim()).filter(Boolean);

const accounts = new Map(
  Object.entries({
    'sub-kari': {
      name: 'Kari Nordmann',
      given_name: 'Kari',
      family_name: 'Nordmann',
      email: 'kari.nordmann@fjordetaten.example',
      org: '981000013',
    },
    'sub-mona': {
      name: 'Mona Lid',
      given_name: 'Mona',
      family_name: 'Lid',
      email: 'mona.lid@kystdir.example',
      org: '981000021',
    },
    'sub-nils': {
      name: 'Nils Utenfor',
      given_name: 'Nils',
      family_name: 'Utenfor',
      email: 'nils@elsewhere.example',
      org: '999999999',
    },
  }),
);

const authorizations = [];
let quirks = {};
let requestCounts = {};

const newKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const privateKey = newKey();
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };
// Keys for the quirks: one the JWKS never lists, one it lists with 'both' or 'two-keys'.
const extraKeys = { unknown: newKey(), second: newKey() };
const publicJwk = (key, kid) => ({
  ...createPublicKey(key).export({ format: 'jwk' }),
  kid,
  alg: 'RS256',
  use: 'sig',
});
const publicJwks = {
  'two-keys': [publicJwk(privateKey, 'test-key'), publicJwk(extraKeys.second, 'other-key')],
  both: [publicJwk(privateKey, 'test-key'), publicJwk(extraKeys.second, 'second-key')],
  private: [signingKey], // the private key itself, as a careless provider might publish it
};
const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

// The provider's ID token, rewritten as the quirks say and signed again (RS256 by hand).
function rewriteIdToken(idToken) {
  const [headerPart, payloadPart] = idToken.split('.');
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString());
  const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  const skew = quirks.clock_skew || 0;
  for (const claim of ['iat', 'exp', 'auth_time', 'nbf']) {
    if (claim in payload) payload[claim] += skew;
  }
  for (const [claim, seconds] of Object.entries(quirks.times || {})) payload[claim] = now + seconds;
  let key = privateKey;
  if (quirks.sign_with) {
    key = extraKeys[quirks.sign_with];
    header.kid = `${quirks.sign_with}-key`;
  }
  if ('kid' in quirks) {
    if (quirks.kid === null) delete header.kid;
    else header.kid = quirks.kid;
  }
  if (quirks.alg === 'none') {
    return `${base64url({ ...header, alg: 'none' })}.${base64url(payload)}.`;
  }
  return signJwt(header, payload, key);
}

function signJwt(header, payload, key) {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

const ID_TOKEN_QUIRKS = ['clock_skew', 'times', 'kid', 'sign_with', 'alg'];

const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: env('OIDC_TEST_CLIENT_ID', 'kundesenter'),
        client_secret: env('OIDC_TEST_CLIENT_SECRET', 'test-secret-not-for-production'),
        redirect_uris: list(env('OIDC_TEST_REDIRECT_URIS', 'http://testserver/oidc/callback/')),
        post_logout_redirect_uris: list(
          env('OIDC_TEST_POST_LOGOUT_REDIRECT_URIS', 'http://testserver/logg-inn/'),
        ),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    extraParams: ['org'],
    scopes: ['openid', 'profile', 'email', 'org'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email'],
      org: ['org'],
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },
    jwks: { keys: [signingKey] },
    cookies: { keys: ['test-cookie-key-not-for-production'] },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      if (!accounts.has(sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, ...accounts.get(sub) };
        },
      };
    },
    // The portal is a first-party client: no consent screen, every scope is granted.
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile email org');
      await grant.save();
      return grant;
    },
  });

  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/_test/')) {
      requestCounts[ctx.path] = (requestCounts[ctx.path] || 0) + 1;
    }
    if (ctx.path === '/auth' && ctx.method === 'GET') {
      authorizations.push({ ...ctx.query });
    }
    if (ctx.path === '/_test/authorizations' && ctx.method === 'GET') {
      ctx.body = authorizations;
      return;
    }
    if (ctx.path === '/_test/quirks' && ctx.method === 'POST') {
      quirks = JSON.parse(await readBody(ctx.req));
      requestCounts = {};
      ctx.body = quirks;
      return;
    }
    if (ctx.path === '/_test/requests' && ctx.method === 'GET') {
      ctx.body = requestCounts;
      return;
    }
    if (ctx.path === '/jwks' && quirks.jwks) {
      if (quirks.jwks === 'discovery') {
        ctx.body = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      } else if (quirks.jwks === 'not-json') {
        ctx.type = 'html';
        ctx.body = '<!DOCTYPE html><title>Maintenance</title><p>Back soon.</p>';
      } else if (quirks.jwks === 'error') {
        ctx.status = 500;
        ctx.body = { error: 'server_error' };
      } else {
        ctx.body = { keys: publicJwks[quirks.jwks] };
      }
      return;
    }
    if (ctx.path === '/me' && ['error', 'not-json'].includes(quirks.userinfo)) {
      if (quirks.userinfo === 'error') {
        ctx.status = 500;
        ctx.body = { error: 'server_error' };
      } else {
        ctx.type = 'html';
        ctx.body = '<!DOCTYPE html><title>Maintenance</title><p>Back soon.</p>';
      }
      return;
    }
    if (ctx.path === '/.well-known/openid-configuration' && quirks.discovery === 'error') {
      ctx.status = 503;
      ctx.body = 'Service unavailable';
      return;
    }
    const account = ctx.path.match(/^\/_test\/accounts\/([^/]+)$/);
    if (account && ctx.method === 'POST') {
      const sub = decodeURIComponent(account[1]);
      accounts.set(sub, { ...(accounts.get(sub) || {}), ...JSON.parse(await readBody(ctx.req)) });
      ctx.body = { sub, ...accounts.get(sub) };
      return;
    }
    const interaction = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (interaction) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (interaction[2] && ctx.method === 'POST') {
        const login = new URLSearchParams(await readBody(ctx.req)).get('login') || '';
        if (accounts.has(login)) {
          await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } });
          return;
        }
        ctx.status = 400;
      }
      const { org, login_hint: loginHint } = details.params;
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html lang="en"><title>Test provider</title>
<h1>Test provider: ${escapeHtml(details.prompt.name)}</h1>
<p id="org-hint">${escapeHtml(org)}</p><p id="login-hint">${escapeHtml(loginHint)}</p>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
<label for="login">Test account</label> <input id="login" name="login">
<button type="submit">Log in</button></form></html>`;
      return;
    }
    await next();
    if (ctx.path === '/.well-known/openid-configuration' && typeof quirks.discovery === 'object') {
      ctx.body = { ...ctx.body, ...quirks.discovery };
    }
    if (ctx.path === '/me' && ctx.status === 200 && quirks.userinfo?.startsWith('signed')) {
      const elsewhere = quirks.userinfo === 'signed-elsewhere';
      const claims = { ...ctx.body, iss: issuer, aud: env('OIDC_TEST_CLIENT_ID', 'kundesenter') };
      const header = { alg: 'RS256', typ: 'JWT', kid: elsewhere ? 'unknown-key' : 'test-key' };
      ctx.type = 'application/jwt';
      ctx.body = signJwt(header, claims, elsewhere ? extraKeys.unknown : privateKey);
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
      const body = { ...ctx.body };
      if (ID_TOKEN_QUIRKS.some((name) => name in quirks)) body.id_token = rewriteIdToken(body.id_token);
      if (quirks.id_token === 'omit') delete body.id_token;
      if (quirks.id_token === 'garbage') body.id_token = 'not.a-token';
      if (quirks.token === 'not-json') {
        ctx.type = 'html';
        ctx.body = '<!DOCTYPE html><title>Maintenance</title><p>Back soon.</p>';
      } else {
        ctx.body = body;
      }
    }
  });

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
