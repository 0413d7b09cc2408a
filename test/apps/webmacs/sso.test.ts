import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { EncryptJWT } from 'jose';
import { stateKey } from '../../../src/apps/webmacs/sso/state.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';
import { startOidcPeer, type OidcPeer } from './oidc-peer.ts';

// The browser never reaches this address: the test hands the IdP's redirect to inject().
const REDIRECT_URI = 'http://127.0.0.1:9/api/v1/auth/sso/callback';
const FRONTEND = 'http://frontend.test';
const SECRET = 'sso-test-secret-key-0123456789abcdef';

const ACCOUNTS = {
  alice: { email: 'alice@lab.test', email_verified: true, preferred_username: 'Alice Doe!', name: 'Alice' },
  unverified: { email: 'mallory@lab.test', email_verified: false, preferred_username: 'mallory' },
  admin: { email: 'admin@webmacs.io', email_verified: true, preferred_username: 'evil-admin' },
  twin: { email: 'twin@lab.test', email_verified: true, preferred_username: 'AliceDoe' },
  noemail: { preferred_username: 'ghost' },
};

interface Flow {
  authorize: LightMyRequestResponse;
  callbackUrl: string;
  bindCookie: string;
}

describe('webmacs SSO against a real OpenID Provider (spec §3.2, §12 items 113–119)', () => {
  let peer: OidcPeer;
  let wm: WebmacsHarness;

  /** authorize → IdP login and consent (following its redirects with a cookie jar) → the callback URL. */
  async function toCallback(account: keyof typeof ACCOUNTS): Promise<Flow> {
    peer.loginAs(account);
    const authorize = await wm.request({ method: 'GET', url: '/api/v1/auth/sso/authorize' });
    assert.equal(authorize.statusCode, 307, authorize.body);
    const bindCookie = String(authorize.headers['set-cookie']).split(';')[0]!;
    const jar = new Map<string, string>();
    let url = String(authorize.headers.location);
    for (let hop = 0; hop < 10 && !url.startsWith(REDIRECT_URI); hop++) {
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const cookie of res.headers.getSetCookie()) {
        const [pair = ''] = cookie.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = res.headers.get('location');
      assert.ok(location, `IdP answered ${res.status} without a redirect at ${url}: ${await res.text()}`);
      url = new URL(location, url).href;
    }
    assert.ok(url.startsWith(REDIRECT_URI), `ended at ${url}`);
    return { authorize, callbackUrl: url, bindCookie };
  }

  async function callback(flow: Flow, cookie = flow.bindCookie): Promise<LightMyRequestResponse> {
    const url = new URL(flow.callbackUrl);
    return wm.request({ method: 'GET', url: url.pathname + url.search, headers: { cookie } });
  }

  async function loginVia(account: keyof typeof ACCOUNTS): Promise<string> {
    const res = await callback(await toCallback(account));
    assert.equal(res.statusCode, 307, res.body);
    const code = new URL(String(res.headers.location)).searchParams.get('code')!;
    const exchanged = await wm.request({ method: 'POST', url: '/api/v1/auth/sso/exchange', payload: { code } });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    return exchanged.json().access_token;
  }

  before(async () => {
    peer = await startOidcPeer(REDIRECT_URI, ACCOUNTS);
    wm = await startWebmacs({
      env: {
        WEBMACS_SECRET_KEY: SECRET,
        WEBMACS_OIDC_ENABLED: 'true',
        WEBMACS_OIDC_PROVIDER_NAME: 'LabID',
        WEBMACS_OIDC_ISSUER_URL: peer.issuer,
        WEBMACS_OIDC_CLIENT_ID: peer.clientId,
        WEBMACS_OIDC_CLIENT_SECRET: peer.clientSecret,
        WEBMACS_OIDC_ALLOW_INSECURE: 'true',
        WEBMACS_OIDC_REDIRECT_URI: REDIRECT_URI,
        WEBMACS_OIDC_FRONTEND_URL: FRONTEND,
      },
    });
  });
  after(async () => {
    await wm.dispose();
    await peer.close();
  });

  it('§12.113 /auth/sso/config reflects an enabled provider', async () => {
    const res = await wm.request({ method: 'GET', url: '/api/v1/auth/sso/config' });
    assert.deepEqual(res.json(), { enabled: true, provider_name: 'LabID', authorize_url: '/api/v1/auth/sso/authorize' });
  });

  it('§12.114 authorize → 307 with PKCE S256, state and nonce; callback → 307 to <frontend>/sso-callback?code; exchange → JWT; /auth/me shows sso_provider', async () => {
    const flow = await toCallback('alice');
    const location = new URL(String(flow.authorize.headers.location));
    assert.equal(location.origin, peer.issuer);
    const params = location.searchParams;
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('client_id'), peer.clientId);
    assert.equal(params.get('redirect_uri'), REDIRECT_URI);
    assert.equal(params.get('scope'), 'openid email profile');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.match(params.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(params.get('nonce'));
    assert.match(String(flow.authorize.headers['set-cookie']), /^webmacs_sso_bind=[^;]+; HttpOnly; SameSite=Lax; Path=\/api\/v1\/auth\/sso; Max-Age=600$/);

    const res = await callback(flow);
    assert.equal(res.statusCode, 307, res.body);
    const target = new URL(String(res.headers.location));
    assert.equal(`${target.origin}${target.pathname}`, `${FRONTEND}/sso-callback`);
    const code = target.searchParams.get('code')!;
    assert.match(code, /^[A-Za-z0-9_-]{64}$/);

    const exchanged = await wm.request({ method: 'POST', url: '/api/v1/auth/sso/exchange', payload: { code } });
    assert.equal(exchanged.statusCode, 200);
    assert.equal(exchanged.json().token_type, 'bearer');
    const me = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: exchanged.json().access_token })).json();
    assert.equal(me.sso_provider, 'LabID');
    assert.equal(me.email, 'alice@lab.test');
    assert.equal(me.role, 'viewer');
    // §12.118: "Alice Doe!" is reduced to [A-Za-z0-9._-].
    assert.equal(me.username, 'AliceDoe');
    const logs = (await wm.request({ method: 'GET', url: '/api/v1/logging?page_size=100', token: await wm.adminToken() })).json().data;
    assert.ok(logs.some((e: { content: string }) => e.content === "User 'AliceDoe' logged in via SSO (LabID)."));
  });

  it('§12.115 the state is opaque; a tampered or 11-minute-old state, or a missing bind cookie → 400 Invalid or expired SSO state.', async () => {
    const flow = await toCallback('alice');
    const url = new URL(flow.callbackUrl);
    const state = url.searchParams.get('state')!;
    assert.equal(state.split('.').length, 5, 'a compact JWE');
    assert.ok(!Buffer.from(state.split('.')[3]!, 'base64url').toString('utf8').includes('cv'), 'the verifier is not readable');

    const expired = await new EncryptJWT({ cv: 'x', nonce: 'y', bind: flow.bindCookie.split('=')[1]! })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 660)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .setIssuer('webmacs-sso')
      .encrypt(stateKey(SECRET));
    const tampered = `${state.slice(0, -4)}AAAA`;
    for (const bad of [tampered, expired]) {
      url.searchParams.set('state', bad);
      const res = await wm.request({ method: 'GET', url: url.pathname + url.search, headers: { cookie: flow.bindCookie } });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), { detail: 'Invalid or expired SSO state.' });
    }
    const noCookie = await callback(flow, 'webmacs_sso_bind=someone-else');
    assert.deepEqual(noCookie.json(), { detail: 'Invalid or expired SSO state.' });
  });

  it('§12.116 a one-time code works once; a second use or an unknown code → 400', async () => {
    const res = await callback(await toCallback('alice'));
    const code = new URL(String(res.headers.location)).searchParams.get('code')!;
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/auth/sso/exchange', payload: { code } })).statusCode, 200);
    for (const attempt of [code, 'never-issued']) {
      const again = await wm.request({ method: 'POST', url: '/api/v1/auth/sso/exchange', payload: { code: attempt } });
      assert.equal(again.statusCode, 400);
      assert.deepEqual(again.json(), { detail: 'Invalid or expired SSO authorization code.' });
    }
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/auth/sso/exchange', payload: {} })).statusCode, 422);
  });

  it('§12.117 a returning user is found by subject; an unverified email cannot sign up; an existing admin is never linked by email', async () => {
    const first = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: await loginVia('alice') })).json();
    const second = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: await loginVia('alice') })).json();
    assert.equal(second.public_id, first.public_id);

    const unverified = await callback(await toCallback('unverified'));
    assert.equal(unverified.statusCode, 403);
    assert.deepEqual(unverified.json(), { detail: 'Cannot create account: the identity provider has not verified this email address.' });
    const admin = await callback(await toCallback('admin'));
    assert.equal(admin.statusCode, 403);
    assert.deepEqual(admin.json(), { detail: 'Cannot automatically link an admin account to SSO.' });
  });

  it('§12.118 a username already taken gets a _<6 hex> suffix', async () => {
    const me = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: await loginVia('twin') })).json();
    assert.match(me.username, /^AliceDoe_[0-9a-f]{6}$/);
  });

  it('§12.119 an IdP without an email claim → 400; an IdP error parameter → 400; missing code → 422', async () => {
    const noEmail = await callback(await toCallback('noemail'));
    assert.equal(noEmail.statusCode, 400);
    assert.deepEqual(noEmail.json(), { detail: 'Identity provider did not return an email address.' });
    const denied = await wm.request({ method: 'GET', url: '/api/v1/auth/sso/callback?error=access_denied&state=x' });
    assert.deepEqual(denied.json(), { detail: 'Identity provider returned an error: access_denied.' });
    const missing = await wm.request({ method: 'GET', url: '/api/v1/auth/sso/callback?state=x' });
    assert.equal(missing.statusCode, 422);
    assert.deepEqual(missing.json().detail[0].loc, ['query', 'code']);
  });

  it('§12.119 the IdP unreachable at token exchange → 502 and no user created', async () => {
    const flow = await toCallback('twin');
    await peer.close();
    const res = await callback(flow);
    assert.equal(res.statusCode, 502);
    assert.deepEqual(res.json(), { detail: 'Failed to exchange authorization code with identity provider.' });
  });
});

describe('webmacs SSO disabled', () => {
  let wm: WebmacsHarness;
  before(async () => {
    wm = await startWebmacs();
  });
  after(() => wm.dispose());

  it('§12.113 config says disabled and authorize → 404 SSO is not enabled.', async () => {
    assert.deepEqual((await wm.request({ method: 'GET', url: '/api/v1/auth/sso/config' })).json(), { enabled: false, provider_name: '', authorize_url: '' });
    const res = await wm.request({ method: 'GET', url: '/api/v1/auth/sso/authorize' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { detail: 'SSO is not enabled.' });
  });
});
