import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { AppContext, BurrowApp } from './core/app.ts';
import { platformSettings, readSettings, type PlatformConfig } from './core/config.ts';
import { appDatabaseOptions, migrateToLatest, openAppDatabase, type AppDatabase } from './core/db/index.ts';
import { documentScope, registerDocs } from './core/docs/index.ts';
import { createEventBus } from './core/events/index.ts';
import type { EventBus } from './core/events/types.ts';
import { createHttpCore, errorHandlerFor } from './core/http/index.ts';
import { createJobEngine, jobsMigrations, type JobEngine } from './core/jobs/index.ts';
import { createLeaderElection } from './core/leader/index.ts';
import { createLogger } from './core/observability/logger.ts';
import { PlatformMetrics, instrumentHttp, registerMetricsRoute } from './core/observability/metrics.ts';
import { createOutbound, createSsrfGuard, outboundMigrations, type Outbound } from './core/outbound/index.ts';
import { createMemoryRateLimitStore, createRedisRateLimitStore } from './core/ratelimit/index.ts';
import { openPlatformRedis } from './core/redis.ts';

export interface ServerOptions {
  apps: readonly BurrowApp[];
  /** environment to read settings from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** start demo data sources, and use the apps' demo defaults for unset variables */
  demo?: boolean;
  logger?: Logger;
  /** where first-start credentials are printed (default stdout) */
  announce?: (appId: string, message: string) => void;
  /** Postgres schema per app override (tests isolate runs with unique schemas) */
  schemaFor?: (appId: string) => string;
}

interface MountedApp {
  app: BurrowApp;
  ctx: AppContext;
  database: AppDatabase;
  jobs: JobEngine;
  outbound: Outbound;
  scope?: FastifyInstance;
  closers: (() => Promise<void> | void)[];
}

export interface BurrowServer {
  readonly fastify: FastifyInstance;
  readonly config: PlatformConfig;
  readonly metrics: PlatformMetrics;
  readonly bus: EventBus;
  context(appId: string): AppContext;
  /** listens, then starts job engines and the apps' background work; resolves to the base URL */
  listen(): Promise<string>;
  /** starts background work without listening (tests driving `fastify.inject`) */
  startWorkers(): Promise<void>;
  /** graceful: stop accepting, finish in-flight requests, stop workers, close databases */
  close(): Promise<void>;
}

export function selectApps(available: readonly BurrowApp[], wanted: readonly string[]): BurrowApp[] {
  if (!wanted.length) return [...available];
  const unknown = wanted.filter((id) => !available.some((a) => a.id === id));
  if (unknown.length) {
    throw new Error(`BURROW_APPS: unknown app(s) ${unknown.join(', ')}; available: ${available.map((a) => a.id).join(', ') || 'none'}`);
  }
  return available.filter((a) => wanted.includes(a.id));
}

/** Opens an app's database and applies the core's and the app's migrations (also `burrow migrate`). */
export async function openMigratedDatabase(app: BurrowApp, config: PlatformConfig, schema?: string, soleCaller?: () => boolean): Promise<AppDatabase> {
  const database = await openAppDatabase({ ...appDatabaseOptions(app.id, config, schema), soleCaller });
  try {
    await migrateToLatest(database, jobsMigrations);
    await migrateToLatest(database, outboundMigrations);
    await migrateToLatest(database, { name: app.id, migrations: app.migrations });
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

export async function createServer(options: ServerOptions): Promise<BurrowServer> {
  const env = options.env ?? process.env;
  const config = readSettings(platformSettings, env);
  const apps = selectApps(options.apps, config.BURROW_APPS);
  const logger = options.logger ?? createLogger(config.BURROW_LOG_LEVEL);
  const instanceId = randomUUID();
  const metrics = new PlatformMetrics();
  const announce = options.announce ?? ((appId, message) => process.stdout.write(`[${appId}] ${message}\n`));

  const bus = await createEventBus({
    redisUrl: config.REDIS_URL,
    // Its own namespace: the bus pattern-subscribes to everything under its prefix, and apps publish
    // channels of their own under `<prefix>:<app id>`, which the bus must not receive.
    channelPrefix: `${config.BURROW_REDIS_PREFIX}:bus`,
    logger: logger.child({ component: 'bus' }),
    instanceId,
  });
  const redis = config.REDIS_URL ? await openPlatformRedis({ url: config.REDIS_URL, logger }) : undefined;

  const http = createHttpCore();
  const fastify = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: (request) => http.genReqId(request),
    frameworkErrors: http.frameworkErrors,
    bodyLimit: config.BURROW_BODY_LIMIT,
    trustProxy: config.BURROW_TRUST_PROXY,
    forceCloseConnections: 'idle',
    // Fastify builds its "incoming request"/"request completed" entries even when the level drops them.
    disableRequestLogging: !logger.isLevelEnabled('info'),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  });
  // A silent logger has nothing to bind a request id to; skipping the per-request child saves its cost.
  // (Fastify takes the factory only through this setter: a `childLoggerFactory` constructor option is ignored.)
  fastify.setChildLoggerFactory((parent, bindings, childOptions) => (parent.level === 'silent' ? parent : parent.child(bindings, childOptions)));
  http.install(fastify);
  const { owners } = http;
  let shuttingDown = false;
  // Responses finishing during shutdown close their keep-alive connection, so close() need not wait for
  // the clients' idle timeout. (A hook rather than a 'request' listener added at shutdown: requests
  // already in flight then must close their connection too.)
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });
  instrumentHttp(fastify, metrics, (url) => owners.ownerOf(url)?.id ?? 'platform');
  await fastify.register(websocket, {
    options: { maxPayload: 16 * 1024 * 1024 },
    // Clients learn the server is going away (1001) rather than seeing a bare close (1005).
    preClose(this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients) client.close(1001, 'Server shutting down');
      this.websocketServer.close(() => done());
    },
  });

  const mounted: MountedApp[] = [];
  // An app that fails to mount (bad migration, throwing register) must not leave databases or sockets open.
  const abandonStart = async (err: unknown): Promise<never> => {
    await fastify.close().catch(() => {});
    for (const m of [...mounted].reverse()) {
      await Promise.allSettled([...m.closers].reverse().map((fn) => fn()));
      await m.database.close().catch(() => {});
    }
    await bus.close();
    redis?.disconnect();
    throw err;
  };
  for (const app of apps) mounted.push(await mountApp(app).catch(abandonStart));

  async function mountApp(app: BurrowApp): Promise<MountedApp> {
    const settings = readSettings(app.settings, env, options.demo ? app.demoDefaults : {});
    const appLogger = logger.child({ app: app.id });
    const database = await openMigratedDatabase(app, config, options.schemaFor?.(app.id), () => http.soleCaller);
    const jobs = createJobEngine({
      database,
      bus,
      logger: appLogger.child({ component: 'jobs' }),
      appId: app.id,
      instanceId,
      leaseMs: config.BURROW_JOB_LEASE_MS,
    });
    const { allowLoopback, allowPrivate, ...delivery } = app.outbound?.(settings) ?? {};
    const outbound = createOutbound({
      ...delivery,
      database,
      logger: appLogger.child({ component: 'outbound' }),
      guard: createSsrfGuard({ allowLoopback, allowPrivate }),
    });
    const filesDir = path.resolve(config.BURROW_DATA_DIR, app.id);
    const redisPrefix = `${config.BURROW_REDIS_PREFIX}:${app.id}`;
    const closers: MountedApp['closers'] = [];
    const ctx: AppContext = {
      appId: app.id,
      settings,
      platform: config,
      demo: options.demo ?? false,
      logger: appLogger,
      database,
      jobs,
      bus,
      outbound,
      rateLimitStore: redis ? createRedisRateLimitStore(redis, `${redisPrefix}:rl`) : createMemoryRateLimitStore(),
      redis,
      redisPrefix,
      metrics: metrics.registry,
      filesDir,
      leader: (key, timing) => createLeaderElection({ ...timing, key: `${redisPrefix}:leader:${key}`, redis, instanceId, logger: appLogger }),
      announce: (message) => announce(app.id, message),
      onClose: (fn) => closers.push(fn),
      onUnrouted: (fn) => unrouted.push(fn),
    };
    fs.mkdirSync(filesDir, { recursive: true });
    const unrouted: ((request: FastifyRequest, reply: FastifyReply) => void)[] = [];
    const onUnrouted = (request: FastifyRequest, reply: FastifyReply) => {
      for (const fn of unrouted) fn(request, reply);
    };
    for (const prefix of app.prefixes) owners.add(prefix, { id: app.id, envelope: app.envelope, requestIds: app.requestIds, onUnrouted });
    const entry: MountedApp = { app, ctx, database, jobs, outbound, closers };
    await fastify.register(async (scope) => {
      entry.scope = scope;
      await documentScope(scope, app);
      scope.setErrorHandler(errorHandlerFor(app.envelope));
      const bodyLimit = app.bodyLimit?.(settings);
      if (bodyLimit) {
        scope.addHook('onRoute', (route) => {
          route.bodyLimit ??= bodyLimit;
        });
      }
      await app.register(scope, ctx);
    });
    metrics.onCollect(async () => {
      for (const [status, count] of Object.entries(await jobs.counts())) metrics.jobs.set({ app: app.id, status }, count);
    });
    return entry;
  }

  bus.subscribe<{ appId: string; job: { status: string } }>('jobs.updated', ({ payload }) => {
    metrics.jobEvents.inc({ app: payload.appId, status: payload.job.status });
  });
  metrics.onCollect(() => {
    for (const [direction, count] of Object.entries(bus.stats())) {
      if (typeof count === 'number') metrics.busMessages.set({ direction }, count);
    }
  });

  fastify.get('/', { schema: { hide: true } as object }, async () => ({
    name: 'burrow',
    apps: mounted.map(({ app }) => ({ id: app.id, title: app.title, version: app.version, openapi: `/openapi/${app.id}.json` })),
    docs: '/docs',
    metrics: '/metrics',
  }));
  registerMetricsRoute(fastify, metrics);
  await registerDocs(fastify, apps, (appId) => mounted.find((m) => m.app.id === appId)?.scope?.swagger());
  try {
    await fastify.ready();
  } catch (err) {
    await abandonStart(err);
  }

  let workersStarted = false;
  const startWorkers = async () => {
    if (workersStarted) return;
    workersStarted = true;
    for (const m of mounted) {
      await m.jobs.start();
      await m.outbound.start();
      await m.app.start?.(m.ctx);
    }
  };

  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    const timeoutMs = config.BURROW_SHUTDOWN_TIMEOUT_MS;
    shuttingDown = true;
    await fastify.close();
    for (const m of [...mounted].reverse()) {
      await m.jobs.stop({ timeoutMs });
      await m.outbound.stop();
      for (const fn of [...m.closers].reverse()) {
        try {
          await fn();
        } catch (err) {
          logger.error({ err, app: m.app.id }, 'error while stopping app');
        }
      }
      await m.ctx.rateLimitStore.close();
      await m.database.close();
    }
    await bus.close();
    await redis?.quit().catch(() => redis.disconnect());
  };

  return {
    fastify,
    config,
    metrics,
    bus,
    context(appId) {
      const found = mounted.find((m) => m.app.id === appId);
      if (!found) throw new Error(`app ${appId} is not enabled`);
      return found.ctx;
    },
    async listen() {
      const address = await fastify.listen({ host: config.BURROW_HOST, port: config.BURROW_PORT });
      await startWorkers();
      return address;
    },
    startWorkers,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
