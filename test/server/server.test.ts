import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { ConfigError } from '../../src/core/config.ts';
import { createServer } from '../../src/server.ts';
import { createNotesApp } from '../helpers/testApp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { testRedisUrl } from '../helpers/db.ts';
import { defineApp } from '../../src/core/app.ts';
import { captureLogger } from '../core/events/capture-logger.ts';

const otherApp = defineApp({
  id: 'other',
  title: 'Other (test app)',
  version: '1.2.3',
  prefixes: ['/n/special'],
  envelope: (problem) => ({ status: problem.status, body: { other: problem.kind } }),
  settings: {},
  migrations: {},
  async register(scope) {
    scope.get('/n/special/ping', { schema: { summary: 'ping the other app' } }, async () => ({ pong: true }));
  },
});

describe('server composition: apps mount side by side on one port', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer([createNotesApp(), otherApp]);
  });
  after(() => t.dispose());

  it('each app serves its routes and keeps its own data', async () => {
    const created = await t.server.fastify.inject({ method: 'POST', url: '/notes', payload: { title: 'first', stars: 3 } });
    assert.equal(created.statusCode, 200);
    assert.deepEqual(created.json(), { id: 1, title: 'first', stars: 3 });
    const list = await t.server.fastify.inject({ method: 'GET', url: '/notes' });
    assert.deepEqual(list.json(), [{ id: 1, title: 'first', stars: 3 }]);
    assert.deepEqual((await t.server.fastify.inject({ method: 'GET', url: '/n/special/ping' })).json(), { pong: true });
  });

  it('unknown paths answer in the envelope of the app owning the longest prefix', async () => {
    assert.deepEqual((await t.server.fastify.inject({ method: 'GET', url: '/n/special/nope' })).json(), { other: 'not_found' });
    const notes = await t.server.fastify.inject({ method: 'GET', url: '/n/nope' });
    assert.equal(notes.statusCode, 404);
    assert.equal(notes.json().error.code, 'NOT_FOUND');
  });

  it("the app's body limit applies to its routes (413 in its envelope)", async () => {
    const res = await t.server.fastify.inject({ method: 'POST', url: '/notes', payload: { title: 'x'.repeat(5000) } });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('domain errors carry their code and extras', async () => {
    const res = await t.server.fastify.inject({ method: 'GET', url: '/notes/999' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: { code: 'NOTE_NOT_FOUND', message: 'note 999 not found', id: 999 } });
  });

  it('app settings come from the environment with their defaults', async () => {
    assert.deepEqual((await t.server.fastify.inject({ method: 'GET', url: '/notes/greeting' })).json(), { greeting: 'hello' });
  });

  it('each app has its own OpenAPI document listing only its routes', async () => {
    const other = (await t.server.fastify.inject({ method: 'GET', url: '/openapi/other.json' })).json();
    assert.equal(other.info.title, 'Other (test app)');
    assert.equal(other.info.version, '1.2.3');
    assert.deepEqual(Object.keys(other.paths), ['/n/special/ping']);
    const notes = (await t.server.fastify.inject({ method: 'GET', url: '/openapi/notes.json' })).json();
    assert.ok(notes.paths['/notes/{id}'], 'path params use OpenAPI syntax');
    assert.equal(notes.paths['/n/special/ping'], undefined);
  });

  it('/docs serves Swagger UI listing every app document', async () => {
    const page = await t.server.fastify.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    const init = await t.server.fastify.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.match(init.body, /\/openapi\/notes\.json/);
    assert.match(init.body, /\/openapi\/other\.json/);
  });

  it('/metrics exposes request latency per app and route, and job counts', async () => {
    await t.server.fastify.inject({ method: 'GET', url: '/notes' });
    const res = await t.server.fastify.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /burrow_http_request_duration_seconds_count\{app="notes",method="GET",route="\/notes",status_code="200"\} \d+/);
    assert.match(res.body, /burrow_jobs\{/);
  });

  it('/metrics counts each request once: matched by route pattern, unmatched by the app owning the URL', async () => {
    const count = async (labels: string) => {
      const body = (await t.server.fastify.inject({ method: 'GET', url: '/metrics' })).body;
      const line = body.split('\n').find((l) => l.startsWith(`burrow_http_request_duration_seconds_count{${labels}}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const matched = 'app="notes",method="GET",route="/notes",status_code="200"';
    const head = 'app="notes",method="HEAD",route="/notes",status_code="200"';
    const unmatched = 'app="notes",method="GET",route="unmatched",status_code="404"';
    const before = { matched: await count(matched), head: await count(head), unmatched: await count(unmatched) };
    await t.server.fastify.inject({ method: 'GET', url: '/notes' });
    await t.server.fastify.inject({ method: 'GET', url: '/notes' });
    await t.server.fastify.inject({ method: 'HEAD', url: '/notes' });
    await t.server.fastify.inject({ method: 'GET', url: '/notes/no/such/thing' });
    assert.equal(await count(matched), before.matched + 2);
    assert.equal(await count(head), before.head + 1);
    assert.equal(await count(unmatched), before.unmatched + 1);
  });

  it('/ lists the enabled apps', async () => {
    const body = (await t.server.fastify.inject({ method: 'GET', url: '/' })).json();
    assert.deepEqual(body.apps.map((a: { id: string }) => a.id), ['notes', 'other']);
  });
});

describe('request logging', () => {
  it('logs each request at info level (the entries are only skipped when the level drops them)', async () => {
    const { logger, records } = captureLogger();
    const t = await startTestServer([createNotesApp()], { logger });
    try {
      await t.server.fastify.inject({ method: 'GET', url: '/notes' });
    } finally {
      await t.dispose();
    }
    const completed = records.find((r) => r.msg === 'request completed');
    assert.ok(completed, 'info level records finished requests');
    assert.equal((completed.res as { statusCode: number }).statusCode, 200);
    assert.equal(typeof completed.reqId, 'string');
    assert.ok(records.some((r) => r.msg === 'incoming request'));
  });
});

describe('server start-up', () => {
  it('BURROW_APPS selects apps, and an unknown app id stops start-up naming the variable', async () => {
    const only = await startTestServer([createNotesApp(), otherApp], { env: { BURROW_APPS: 'other' } });
    try {
      assert.equal((await only.server.fastify.inject({ method: 'GET', url: '/notes' })).statusCode, 404);
      assert.equal((await only.server.fastify.inject({ method: 'GET', url: '/n/special/ping' })).statusCode, 200);
    } finally {
      await only.dispose();
    }
    await assert.rejects(createServer({ apps: [otherApp], env: { BURROW_APPS: 'nope', BURROW_LOG_LEVEL: 'silent' } }), /BURROW_APPS: unknown app\(s\) nope/);
  });

  it('a bad app setting stops start-up naming the variable', async () => {
    const strict = createNotesApp({
      settings: { NOTES_GREETING: { parse: () => { throw new Error('must be polite'); }, default: 'x', description: 'g' } },
    });
    await assert.rejects(startTestServer([strict], { env: { NOTES_GREETING: 'rude' } }), (err) => err instanceof ConfigError && err.variable === 'NOTES_GREETING');
  });

  it('graceful shutdown finishes in-flight requests and keeps acknowledged writes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const slowApp = createNotesApp({
      async register(scope, ctx) {
        scope.post('/notes/slow', async () => {
          entered();
          await gate;
          const db = ctx.database.db as Kysely<{ notes: { id: number; title: string; stars: number } }>;
          await db.insertInto('notes').values({ id: 7, title: 'late', stars: 0 }).execute();
          return { saved: true };
        });
      },
    });
    const first = await startTestServer([slowApp]);
    const url = await first.server.listen();
    const pending = fetch(`${url}/notes/slow`, { method: 'POST' });
    await inHandler;
    const closing = first.dispose({ keep: true });
    release();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { saved: true });
    await closing;

    const second = await startTestServer([createNotesApp()], { reuse: { dataDir: first.dataDir, schemas: first.schemas } });
    try {
      const list = await second.server.fastify.inject({ method: 'GET', url: '/notes' });
      assert.deepEqual(list.json(), [{ id: 7, title: 'late', stars: 0 }]);
    } finally {
      await second.dispose();
    }
  });
});

describe('server start-up failures', () => {
  it('an app whose register throws stops start-up and leaves nothing open', async () => {
    const broken = createNotesApp({
      async register() {
        throw new Error('cannot mount');
      },
    });
    await assert.rejects(startTestServer([broken]), /cannot mount/);
  });

  it('a failing migration stops start-up naming the migration', async () => {
    const broken = createNotesApp({
      migrations: {
        '0001_bad': {
          async up() {
            throw new Error('syntax');
          },
        },
      },
    });
    await assert.rejects(startTestServer([broken]), /migration notes\/0001_bad failed: syntax/);
  });
});

describe('app metrics', () => {
  it("an app's own metrics appear at /metrics beside the platform's", async () => {
    const { Counter } = await import('prom-client');
    const counted = createNotesApp({
      async register(scope, ctx) {
        const hits = new Counter({ name: 'notes_hits_total', help: 'hits', registers: [ctx.metrics] });
        scope.get('/notes/hit', async () => {
          hits.inc();
          return { ok: true };
        });
      },
    });
    const t = await startTestServer([counted]);
    try {
      await t.server.fastify.inject({ method: 'GET', url: '/notes/hit' });
      const body = (await t.server.fastify.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(body, /^notes_hits_total 1$/m);
      assert.match(body, /burrow_http_request_duration_seconds_bucket/);
    } finally {
      await t.dispose();
    }
  });
});

describe('shutdown with open WebSockets', () => {
  it('closes every socket with 1001 going away', async () => {
    const { WebSocket } = await import('ws');
    const socketApp = createNotesApp({
      async register(scope) {
        scope.get('/notes/ws', { websocket: true }, (socket) => {
          socket.send('hello');
        });
      },
    });
    const t = await startTestServer([socketApp]);
    const url = await t.server.listen();
    const client = new WebSocket(`${url.replace('http', 'ws')}/notes/ws`);
    await new Promise((resolve) => client.once('message', resolve));
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    await t.dispose();
    assert.equal(await closed, 1001);
  });
});

describe('Redis namespaces', () => {
  it("an app's own pub/sub channels never reach the platform bus", { skip: testRedisUrl ? false : 'needs REDIS_URL' }, async () => {
    const t = await startTestServer([createNotesApp()]);
    try {
      const ctx = t.server.context('notes');
      const seen: string[] = [];
      const unsubscribe = ctx.bus.subscribe('notes.*', ({ topic }) => seen.push(topic));
      // Even a well-formed bus frame on an app channel must not be taken for a bus event.
      const frame = JSON.stringify({ topic: 'notes.injected', payload: {}, origin: 'another-instance', at: Date.now() });
      await ctx.redis!.publish(`${ctx.redisPrefix}:live`, frame);
      ctx.bus.publish('notes.marker', {});
      const deadline = Date.now() + 5_000;
      while (!seen.includes('notes.marker') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 200));
      unsubscribe();
      assert.deepEqual(seen, ['notes.marker']);
    } finally {
      await t.dispose();
    }
  });
});
