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
// implied for the portal (a first-party client). Two routes exist for the tests only:
//   GET  /_test/authorizations     the query of every authorization request received
//   POST /_test/accounts/<sub>     JSON claims to merge into (or create) an account

import { generateKeyPairSync } from 'node:crypto';
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

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

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
    if (ctx.path === '/auth' && ctx.method === 'GET') {
      authorizations.push({ ...ctx.query });
    }
    if (ctx.path === '/_test/authorizations' && ctx.method === 'GET') {
      ctx.body = authorizations;
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
  });

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
