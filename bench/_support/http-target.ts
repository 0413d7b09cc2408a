/**
 * A server for the http-baseline scenario, run in its own process so the load generator does not share
 * its event loop. `bare` is plain Fastify with a trivial route; `bare-db` is plain Fastify doing the same
 * key check as burrow's `/bench/me-db` by hand (SHA-256 + one prepared better-sqlite3 read), which tells
 * the app's own work apart from the core's overhead; `burrow` is the full core stack with API-key routes.
 * Prints `{"url": …}` once listening.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import Fastify, { type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { defineApp } from '../../src/core/app.ts';
import { prepareQuery } from '../../src/core/db/index.ts';
import { AppError } from '../../src/core/http/index.ts';
import { createCredentialCache, generateToken, hashToken } from '../../src/core/secrets/index.ts';
import { createServer } from '../../src/server.ts';

interface BenchSchema {
  api_keys: { token_hash: string; name: string };
  items: { id: number; name: string; value: number };
}

type CallerRequest = FastifyRequest & { caller: { name: string } };

const mode = process.argv[2];

function benchDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-bench-'));
}

async function bare(): Promise<string> {
  const fastify = Fastify({ logger: false });
  fastify.get('/hello', async () => ({ hello: 'world' }));
  return fastify.listen({ host: '127.0.0.1', port: 0 });
}

/** The same pragmas as the core's SQLite databases, so the only difference from burrow is the stack. */
async function bareWithDatabaseKeyCheck(): Promise<{ url: string; token: string }> {
  const token = generateToken('bk_');
  const sqlite = new Database(path.join(benchDataDir(), 'bare.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table api_keys (token_hash text primary key, name text)');
  sqlite.prepare('insert into api_keys values (?, ?)').run(hashToken(token), 'bench');
  const findKey = sqlite.prepare('select name from api_keys where token_hash = ?');
  const fastify = Fastify({ logger: false });
  fastify.get('/bench/me-db', async (request, reply) => {
    const key = request.headers['x-api-key'];
    const found = typeof key === 'string' && (findKey.all([hashToken(key)])[0] as { name: string } | undefined);
    if (!found) return reply.code(401).send({ code: 'invalid_api_key', detail: 'Missing or invalid API key' });
    return { key: found.name, authenticated: true };
  });
  return { url: await fastify.listen({ host: '127.0.0.1', port: 0 }), token };
}

async function burrow(): Promise<{ url: string; token: string }> {
  const token = generateToken('bk_');
  const app = defineApp({
    id: 'bench',
    title: 'bench',
    version: '1',
    prefixes: ['/bench'],
    envelope: (problem) => ({ status: problem.status, body: { code: problem.code ?? problem.kind, detail: problem.message } }),
    settings: {},
    migrations: {
      '0001_init': {
        async up(db: Kysely<unknown>) {
          await db.schema.createTable('api_keys').addColumn('token_hash', 'text', (c) => c.primaryKey()).addColumn('name', 'text').execute();
          await db.schema.createTable('items').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').addColumn('value', 'real').execute();
        },
      },
    },
    async register(scope, ctx) {
      const db = ctx.database.db as Kysely<BenchSchema>;
      await db.insertInto('api_keys').values({ token_hash: hashToken(token), name: 'bench' }).onConflict((oc) => oc.doNothing()).execute();
      await db.insertInto('items').values([1, 2, 3, 4, 5].map((id) => ({ id, name: `item-${id}`, value: id * 1.5 }))).onConflict((oc) => oc.doNothing()).execute();
      // The hot path as a well-written app does it: queries built once (prepareQuery), bound per request.
      const findKey = prepareQuery<{ hash: string }, { name: string }>(({ hash }) =>
        db.selectFrom('api_keys').select('name').where('token_hash', '=', hash),
      );
      const listItems = prepareQuery<Record<string, never>, BenchSchema['items']>(() => db.selectFrom('items').selectAll().orderBy('id'));
      // Two ways to check a key: the core's credential cache (what an app without a "no cache" rule in its
      // contract uses), and a database read on every request (what squirrel's contract demands).
      const keys = createCredentialCache({
        ttlMs: 5_000,
        lookup: async (hash) => (await findKey(ctx.database, { hash })).rows[0],
        bus: ctx.bus,
        topic: 'bench.keys.invalidate',
      });
      // Each route names its key check as a route hook, so no request reads route options to choose one.
      scope.decorateRequest('caller', null);
      const authenticate = (check: (key: string) => Promise<{ name: string } | undefined>) => async (request: FastifyRequest) => {
        const key = request.headers['x-api-key'];
        const found = typeof key === 'string' ? await check(key) : undefined;
        if (!found) throw new AppError(401, 'invalid_api_key', 'Missing or invalid API key');
        (request as CallerRequest).caller = found;
      };
      const throughCache = authenticate((key) => keys.verify(key));
      const throughDatabase = authenticate(async (key) => (await findKey(ctx.database, { hash: hashToken(key) })).rows[0]);
      const me = async (request: FastifyRequest) => ({ key: (request as CallerRequest).caller.name, authenticated: true });
      scope.get('/bench/me', { onRequest: throughCache }, me);
      scope.get('/bench/me-db', { onRequest: throughDatabase }, me);
      scope.get('/bench/items', { onRequest: throughCache }, async () => (await listItems(ctx.database, {})).rows);
    },
  });
  const dataDir = benchDataDir();
  const server = await createServer({
    apps: [app],
    env: { ...process.env, BURROW_DATA_DIR: dataDir, BURROW_PORT: '0', BURROW_LOG_LEVEL: 'silent' },
    announce: () => {},
  });
  return { url: await server.listen(), token };
}

const result = mode === 'bare' ? { url: await bare() } : mode === 'bare-db' ? await bareWithDatabaseKeyCheck() : await burrow();
process.stdout.write(`${JSON.stringify(result)}\n`);
// Each line on stdin asks for the CPU time used so far, so the bench can compute CPU per request,
// a figure that holds up better than req/s on a machine shared with other work.
readline.createInterface({ input: process.stdin }).on('line', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
});
// Exit normally on SIGTERM so `--cpu-prof` runs of this target write their profile.
process.once('SIGTERM', () => process.exit(0));
