import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webmacsApp } from '../../../src/apps/webmacs/index.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { createNotesApp } from '../../helpers/testApp.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

const ORIGIN = 'https://lab.example';
const EXPOSED = 'X-Request-ID, Content-Disposition, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset';

function preflight(origin: string, method = 'POST', headers = 'authorization, content-type') {
  return { origin, 'access-control-request-method': method, 'access-control-request-headers': headers };
}

describe('webmacs CORS (spec §2.7)', () => {
  let wm: WebmacsHarness;
  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_CORS_ORIGINS: `${ORIGIN},http://localhost:5173`, WEBMACS_RATE_LIMIT_EXEMPT_NETWORKS: '10.0.0.0/8', WEBMACS_RATE_LIMIT_PER_MINUTE: '2' } });
  });
  after(() => wm.dispose());

  it('a preflight from a listed origin → 200 allowing credentials, every method and the requested headers', async () => {
    const res = await wm.request({ method: 'OPTIONS', url: '/api/v1/events', headers: preflight(ORIGIN) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'OK');
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-methods'], 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
    assert.equal(res.headers['access-control-allow-headers'], 'authorization, content-type');
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.equal(res.headers.vary, 'Origin');
  });

  it('preflights reach paths with parameters, upload routes in nested scopes, /health and the second listed origin', async () => {
    const urls = ['/api/v1/events/evt_000000000000000000000000', '/health', '/api/v1/datapoints/batch', '/api/v1/plugins/packages/upload', '/api/v1/ota/upload'];
    for (const url of urls) {
      const res = await wm.request({ method: 'OPTIONS', url, headers: preflight('http://localhost:5173', 'PUT') });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173', url);
    }
  });

  it('a preflight from an unlisted origin → 400 {"detail":"Disallowed CORS origin"} without CORS headers', async () => {
    const res = await wm.request({ method: 'OPTIONS', url: '/api/v1/events', headers: preflight('https://evil.example') });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { detail: 'Disallowed CORS origin' });
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('a bare OPTIONS (no preflight headers) → 405 Method Not Allowed with the route\'s methods', async () => {
    const res = await wm.request({ method: 'OPTIONS', url: '/api/v1/auth/me' });
    assert.equal(res.statusCode, 405);
    assert.deepEqual(res.json(), { detail: 'Method Not Allowed' });
    assert.equal(res.headers.allow, 'GET');
  });

  it('a preflight to an unknown webmacs path stays 404 Not Found', async () => {
    const res = await wm.request({ method: 'OPTIONS', url: '/api/v1/nope', headers: preflight(ORIGIN) });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { detail: 'Not Found' });
    const get = await wm.request({ method: 'GET', url: '/api/v1/nope' });
    assert.equal(get.statusCode, 404);
  });

  it('responses to a listed origin carry the origin, credentials and the exposed headers — errors included', async () => {
    const ok = await wm.request({ method: 'GET', url: '/health', headers: { origin: ORIGIN } });
    const unauthorized = await wm.request({ method: 'GET', url: '/api/v1/auth/me', headers: { origin: ORIGIN } });
    for (const res of [ok, unauthorized]) {
      assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers['access-control-expose-headers'], EXPOSED);
    }
    assert.equal(unauthorized.statusCode, 401);
  });

  it('the 404 of an unknown webmacs path and the 405 of a wrong method carry CORS headers too', async () => {
    const unknown = await wm.request({ method: 'GET', url: '/api/v1/nope', headers: { origin: ORIGIN } });
    const wrongMethod = await wm.request({ method: 'PUT', url: '/api/v1/auth/me', headers: { origin: ORIGIN } });
    assert.equal(unknown.statusCode, 404);
    assert.equal(wrongMethod.statusCode, 405);
    for (const res of [unknown, wrongMethod]) {
      assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers['access-control-expose-headers'], EXPOSED);
    }
    const unlisted = await wm.request({ method: 'GET', url: '/api/v1/nope', headers: { origin: 'https://evil.example' } });
    assert.equal(unlisted.headers['access-control-allow-origin'], undefined);
  });

  it('responses to an unlisted or absent origin carry no CORS headers', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, {}]) {
      const res = await wm.request({ method: 'GET', url: '/health', headers });
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.equal(res.headers['access-control-expose-headers'], undefined);
    }
  });

  it('preflights are never rate limited, and a 429 still carries CORS headers', async () => {
    const client = { 'x-forwarded-for': '203.0.113.9' };
    for (let i = 0; i < 4; i++) {
      const res = await wm.request({ method: 'OPTIONS', url: '/api/v1/events', headers: { ...client, ...preflight(ORIGIN) } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['ratelimit-limit'], undefined);
    }
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 3; i++) {
      last = await wm.request({ method: 'GET', url: '/api/v1/auth/me', headers: { ...client, origin: ORIGIN } });
      statuses.push(last.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 429]);
    assert.equal(last!.headers['access-control-allow-origin'], ORIGIN);
  });
});

describe('webmacs CORS stays inside webmacs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([webmacsApp, createNotesApp()], {
      env: { WEBMACS_CORS_ORIGINS: ORIGIN, WEBMACS_ARGON2_MEMORY_KIB: '1024', WEBMACS_ARGON2_TIME_COST: '1', WEBMACS_CONTROLLER: 'false', WEBMACS_AUTO_SEED: 'false' },
    });
  });
  after(() => server.dispose());

  it("another app's paths get neither preflight answers nor CORS headers", async () => {
    const fastify = server.server.fastify;
    const pre = await fastify.inject({ method: 'OPTIONS', url: '/notes', headers: preflight(ORIGIN) });
    assert.equal(pre.statusCode, 405);
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
    const get = await fastify.inject({ method: 'GET', url: '/notes', headers: { origin: ORIGIN } });
    assert.equal(get.statusCode, 200);
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  });
});
