import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  RateLimitExceededError,
  createMemoryRateLimitStore,
  rateLimitHook,
  type RateLimitHookOptions,
  type RateLimitStore,
} from '../../../src/core/ratelimit/index.ts';

class TooManyRequests extends Error {
  constructor(readonly seconds: number) {
    super(`Rate limit exceeded. Try again in ${seconds} seconds.`);
  }
}

let app: FastifyInstance | undefined;
let store: RateLimitStore | undefined;

afterEach(async () => {
  await app?.close();
  await store?.close();
  app = undefined;
  store = undefined;
});

/** A minimal app with its own envelope: `{detail}` bodies, as an app's error handler would render them. */
async function buildApp(overrides: Partial<RateLimitHookOptions> = {}): Promise<FastifyInstance> {
  store = createMemoryRateLimitStore();
  app = Fastify();
  app.addHook(
    'onRequest',
    rateLimitHook({
      store,
      limit: 3,
      windowMs: 60_000,
      key: (request) => (request.headers['x-exempt'] ? undefined : String(request.headers['x-client'] ?? 'anonymous')),
      onLimited: (_request, _reply, result) => {
        throw new TooManyRequests(Math.ceil(result.retryAfterMs / 1000));
      },
      ...overrides,
    }),
  );
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof TooManyRequests) return reply.code(429).send({ detail: error.message });
    if (error instanceof RateLimitExceededError) return reply.code(error.statusCode).send({ detail: error.message, code: error.code });
    return reply.code(500).send({ detail: 'internal' });
  });
  app.get('/things', async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('rateLimitHook', () => {
  it('sets RateLimit headers that count down on every counted response', async () => {
    const server = await buildApp();
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const response = await server.inject({ url: '/things', headers: { 'x-client': 'alice' } });
      assert.equal(response.statusCode, 200);
      seen.push([response.headers['ratelimit-limit'], response.headers['ratelimit-remaining'], response.headers['ratelimit-reset']]);
      assert.equal(response.headers['retry-after'], undefined);
    }
    assert.deepEqual(seen, [
      ['3', '2', '60'],
      ['3', '1', '60'],
      ['3', '0', '60'],
    ]);
  });

  it('answers 429 with Retry-After through the error the app throws from onLimited', async () => {
    const server = await buildApp();
    for (let i = 0; i < 3; i++) await server.inject({ url: '/things', headers: { 'x-client': 'alice' } });
    const response = await server.inject({ url: '/things', headers: { 'x-client': 'alice' } });
    assert.equal(response.statusCode, 429);
    assert.deepEqual(response.json(), { detail: 'Rate limit exceeded. Try again in 60 seconds.' });
    assert.equal(response.headers['retry-after'], '60');
    assert.equal(response.headers['ratelimit-remaining'], '0');
    assert.equal(response.headers['ratelimit-limit'], '3');
  });

  it('counts each key separately', async () => {
    const server = await buildApp();
    for (let i = 0; i < 4; i++) await server.inject({ url: '/things', headers: { 'x-client': 'alice' } });
    const response = await server.inject({ url: '/things', headers: { 'x-client': 'bob' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['ratelimit-remaining'], '2');
  });

  it('neither counts nor labels exempt requests', async () => {
    const server = await buildApp();
    for (let i = 0; i < 5; i++) {
      const response = await server.inject({ url: '/things', headers: { 'x-client': 'alice', 'x-exempt': '1' } });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['ratelimit-limit'], undefined);
    }
    const counted = await server.inject({ url: '/things', headers: { 'x-client': 'alice' } });
    assert.equal(counted.headers['ratelimit-remaining'], '2');
  });

  it('throws RateLimitExceededError when onLimited neither throws nor replies', async () => {
    const server = await buildApp({ onLimited: undefined, limit: 1 });
    await server.inject({ url: '/things' });
    const response = await server.inject({ url: '/things' });
    assert.equal(response.statusCode, 429);
    assert.deepEqual(response.json(), { detail: 'Rate limit exceeded. Try again in 60 seconds.', code: 'BURROW_RATE_LIMITED' });
    assert.equal(response.headers['retry-after'], '60');
  });

  it('lets onLimited reply directly', async () => {
    const server = await buildApp({
      limit: 1,
      onLimited: (_request, reply) => {
        void reply.code(503).send({ detail: 'slow down' });
      },
    });
    await server.inject({ url: '/things' });
    const response = await server.inject({ url: '/things' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { detail: 'slow down' });
    assert.equal(response.headers['retry-after'], '60');
  });

  it('gives a Retry-After of at least one second', async () => {
    const server = await buildApp({ limit: 1, windowMs: 200 });
    await server.inject({ url: '/things' });
    const response = await server.inject({ url: '/things' });
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers['retry-after'], '1');
    assert.equal(response.headers['ratelimit-reset'], '1');
  });

  it('lets requests through uncounted when the store fails', async () => {
    const failing: RateLimitStore = {
      hit: async () => {
        throw new Error('redis down');
      },
      close: async () => {},
    };
    const server = await buildApp({ store: failing, limit: 1 });
    for (let i = 0; i < 3; i++) {
      const response = await server.inject({ url: '/things' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['ratelimit-limit'], undefined);
    }
  });
});
