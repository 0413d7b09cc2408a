import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, createHttpCore, errorHandlerFor, type ErrorEnvelope } from '../../../src/core/http/index.ts';

const alphaEnvelope: ErrorEnvelope = (problem) => ({
  status: problem.kind === 'malformed_json' ? 422 : problem.status,
  body: { alpha: true, kind: problem.kind, code: problem.code ?? null, detail: problem.message, errors: problem.validation },
});
const betaEnvelope: ErrorEnvelope = (problem) => ({ status: problem.status, body: { beta: problem.kind } });

async function build(): Promise<FastifyInstance> {
  const http = createHttpCore();
  const fastify = Fastify({ genReqId: (request) => http.genReqId(request), frameworkErrors: http.frameworkErrors, bodyLimit: 1024 });
  http.install(fastify);
  const { owners } = http;
  owners.add('/v1', { id: 'beta', envelope: betaEnvelope, requestIds: 'generate' });
  owners.add('/v1/alpha', {
    id: 'alpha',
    envelope: alphaEnvelope,
    onUnrouted: (_request, reply) => {
      reply.header('x-alpha-unrouted', 'yes');
    },
  });
  await fastify.register(async (scope) => {
    scope.setErrorHandler(errorHandlerFor(alphaEnvelope));
    scope.post(
      '/v1/alpha/items',
      { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }), count: Type.Integer(), tags: Type.Optional(Type.Array(Type.String())) }) } },
      async (request) => request.body,
    );
    scope.get('/v1/alpha/items', { schema: { querystring: Type.Object({ limit: Type.Integer({ maximum: 10 }) }) } }, async (request) => request.query);
    scope.get('/v1/alpha/items/:id', async (request) => {
      throw new AppError(404, 'item_not_found', `item ${(request.params as { id: string }).id} not found`, {
        headers: { 'x-hint': 'none' },
      });
    });
    scope.get('/v1/alpha/boom', async () => {
      throw new Error('database password is hunter2');
    });
  });
  await fastify.ready();
  return fastify;
}

describe('http core: every failure answers in the owning app envelope', () => {
  let fastify: FastifyInstance;
  before(async () => {
    fastify = await build();
  });
  after(() => fastify.close());

  it('malformed JSON gets the app envelope with the status the app chose', async () => {
    const res = await fastify.inject({ method: 'POST', url: '/v1/alpha/items', headers: { 'content-type': 'application/json' }, payload: '{"name": ' });
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().alpha, true);
    assert.equal(res.json().kind, 'malformed_json');
  });

  it('an empty JSON body is malformed JSON, not a crash', async () => {
    const res = await fastify.inject({ method: 'POST', url: '/v1/alpha/items', headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(res.json().kind, 'malformed_json');
  });

  it('schema violations list every field with where it came from', async () => {
    const res = await fastify.inject({ method: 'POST', url: '/v1/alpha/items', payload: { name: '', tags: ['ok', 5] } });
    assert.equal(res.statusCode, 422);
    const body = res.json();
    assert.equal(body.kind, 'validation');
    const fields = body.errors.map((e: { in: string; field: string }) => `${e.in}:${e.field}`).sort();
    assert.deepEqual(fields, ['body:count', 'body:name', 'body:tags[1]']);
  });

  it('body values are never coerced: "5" is not an integer', async () => {
    const res = await fastify.inject({ method: 'POST', url: '/v1/alpha/items', payload: { name: 'a', count: '5' } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().errors.map((e: { field: string }) => e.field), ['count']);
  });

  it('query strings are converted to the schema type', async () => {
    const ok = await fastify.inject({ method: 'GET', url: '/v1/alpha/items?limit=7' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { limit: 7 });
    const bad = await fastify.inject({ method: 'GET', url: '/v1/alpha/items?limit=77' });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().errors[0].in, 'query');
  });

  it('an oversized body is 413 in the app envelope', async () => {
    const res = await fastify.inject({ method: 'POST', url: '/v1/alpha/items', payload: { name: 'x'.repeat(5000), count: 1 } });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().kind, 'payload_too_large');
  });

  it('an unsupported content type is 415 in the app envelope', async () => {
    const res = await fastify.inject({ method: 'POST', url: '/v1/alpha/items', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    assert.equal(res.statusCode, 415);
    assert.equal(res.json().kind, 'unsupported_media_type');
  });

  it('an unknown route under the app prefix is 404 in the app envelope', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/v1/alpha/nothing-here' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { alpha: true, kind: 'not_found', code: null, detail: 'Not Found' });
  });

  it('a wrong method is 405 with Allow', async () => {
    const res = await fastify.inject({ method: 'DELETE', url: '/v1/alpha/items' });
    assert.equal(res.statusCode, 405);
    assert.equal(res.json().kind, 'method_not_allowed');
    assert.equal(res.headers.allow, 'GET, HEAD, POST');
  });

  it("the owner's onUnrouted decorates exactly the replies no route of its handled", async () => {
    const unknown = await fastify.inject({ method: 'GET', url: '/v1/alpha/nothing-here' });
    const wrongMethod = await fastify.inject({ method: 'DELETE', url: '/v1/alpha/items' });
    assert.equal(unknown.headers['x-alpha-unrouted'], 'yes');
    assert.equal(wrongMethod.headers['x-alpha-unrouted'], 'yes');
    const routed = await fastify.inject({ method: 'GET', url: '/v1/alpha/items?limit=1' });
    const routedFailure = await fastify.inject({ method: 'GET', url: '/v1/alpha/items/7' });
    assert.equal(routed.headers['x-alpha-unrouted'], undefined);
    assert.equal(routedFailure.headers['x-alpha-unrouted'], undefined);
    const otherOwner = await fastify.inject({ method: 'GET', url: '/v1/other' });
    assert.equal(otherOwner.headers['x-alpha-unrouted'], undefined);
  });

  it('a request the framework refuses for another reason (bad URL encoding) is bad_request with its 4xx status', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/v1/alpha/items/%E0%A4%A', headers: { origin: 'x' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().kind, 'bad_request');
    assert.equal(res.headers['x-alpha-unrouted'], 'yes');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['x-request-id']);
    const platform = await fastify.inject({ method: 'GET', url: '/%zz' });
    assert.equal(platform.statusCode, 400);
    assert.equal(platform.json().error, 'bad_request');
  });

  it('the longest prefix decides the owner: other /v1 paths belong to beta', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/v1/other' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { beta: 'not_found' });
    const alphabet = await fastify.inject({ method: 'GET', url: '/v1/alphabet' });
    assert.deepEqual(alphabet.json(), { beta: 'not_found' }, 'prefixes match whole path segments');
  });

  it('paths no app owns get the platform envelope', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { statusCode: 404, error: 'not_found', message: 'Not Found' });
  });

  it('a domain error keeps its code, status and headers', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/v1/alpha/items/42' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'item_not_found');
    assert.equal(res.json().detail, 'item 42 not found');
    assert.equal(res.headers['x-hint'], 'none');
  });

  it('an unexpected error is 500 without leaking its message', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/v1/alpha/boom' });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().kind, 'internal');
    assert.doesNotMatch(res.body, /hunter2/);
  });

  it('echoes a sane client request id and replaces an unsafe one', async () => {
    const kept = await fastify.inject({ method: 'GET', url: '/v1/alpha/items?limit=1', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(kept.headers['x-request-id'], 'abc-123');
    const replaced = await fastify.inject({ method: 'GET', url: '/v1/alpha/items?limit=1', headers: { 'x-request-id': 'bad id\n' } });
    assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('an app that never trusts client ids gets a fresh one', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/v1/other', headers: { 'x-request-id': 'abc-123' } });
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('security headers are on every response, errors included', async () => {
    for (const url of ['/v1/alpha/items?limit=1', '/nowhere']) {
      const res = await fastify.inject({ method: 'GET', url });
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
    }
  });
});
