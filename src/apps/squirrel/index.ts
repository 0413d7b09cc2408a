import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { defineApp, type AppContext } from '../../core/app.ts';
import type { AppDatabase } from '../../core/db/index.ts';
import { rateLimitHook } from '../../core/ratelimit/index.ts';
import { registerApiKeyRoutes } from './apikeys/routes.ts';
import { createApiKeyRepo } from './apikeys/repo.ts';
import { createApiKeyService, type ApiKeyService } from './apikeys/service.ts';
import { installAuth } from './auth.ts';
import { registerKeyCommands } from './cli.ts';
import { squirrelMigrations } from './db/migrations/index.ts';
import type { SquirrelDb } from './db/schema.ts';
import { squirrelEnvelope } from './envelope.ts';
import { createMemoryCache, type LiveCache } from './live/cache.ts';
import { createRedisCache } from './live/redisCache.ts';
import { createLiveRuntime, PV_CHANGED_TOPIC, type LiveRuntime } from './live/runtime.ts';
import { createMonitorHealth } from './health/monitorHealth.ts';
import { squirrelEpics } from './live/epics.ts';
import type { EpicsClient } from '../../connectors/epics/index.ts';
import { registerHealthRoutes } from './health/routes.ts';
import { registerLeaderRoutes } from './health/leaderRoutes.ts';
import { registerJobRoutes } from './jobs/routes.ts';
import { registerLiveRoutes } from './live/routes.ts';
import { registerTestEpicsRoute } from './live/testEpics.ts';
import { createJobService } from './jobs/service.ts';
import { scheduleJobRetention } from './jobs/retention.ts';
import { registerPvRoutes } from './pvs/routes.ts';
import { defineSnapshotJobs } from './snapshots/jobs.ts';
import { registerSnapshotRoutes } from './snapshots/routes.ts';
import { createSnapshotService } from './snapshots/service.ts';
import { createPvService } from './pvs/service.ts';
import { squirrelSettings, type SquirrelSettingsSpec } from './settings.ts';
import { registerTagRoutes } from './tags/routes.ts';
import { seedDemoPvs } from './demo/seed.ts';
import { startInProcessIoc } from './demo/softIoc.ts';
import { registerWsRoutes } from './ws/routes.ts';
import { registerSquirrelMetrics } from './metrics.ts';
import { createLeaderElection, type LeaderElection } from '../../core/leader/index.ts';
import { createTagService } from './tags/service.ts';

type SquirrelContext = AppContext<SquirrelSettingsSpec>;

export { PV_CHANGED_TOPIC };
const SQUIRREL_VERSION = '0.2.0';

/** What register() builds and start() sets going, per server the app is mounted in. */
const runtimes = new WeakMap<AppContext, LiveRuntime>();

/**
 * spec §6 (upstream): SQUIRREL_REDIS_USERNAME / _PASSWORD are merged into the Redis URL, replacing
 * credentials the URL carries. A password alone authenticates the default user (`redis://:pw@host`).
 */
export function redisUrlWithCredentials(url: string, username: string | undefined, password: string | undefined): string {
  if (username === undefined && password === undefined) return url;
  const merged = new URL(url);
  if (username !== undefined) merged.username = encodeURIComponent(username);
  if (password !== undefined) merged.password = encodeURIComponent(password);
  return merged.href;
}

/**
 * The app's Redis: the platform connection, unless SQUIRREL_REDIS_URL or squirrel credentials ask for
 * a connection of its own (spec §4.1, §6); none means the memory backend.
 */
function openRedis(ctx: SquirrelContext): Redis | undefined {
  const { settings } = ctx;
  const url = settings.SQUIRREL_REDIS_URL ?? ctx.platform.REDIS_URL;
  const ownCredentials = settings.SQUIRREL_REDIS_USERNAME !== undefined || settings.SQUIRREL_REDIS_PASSWORD !== undefined;
  if (!url) return undefined;
  if (!settings.SQUIRREL_REDIS_URL && !ownCredentials) return ctx.redis;
  // spec §4.1: reconnect every 1 s, 2 s per command, and no queueing while down, so reads fail fast
  const redis = new Redis(redisUrlWithCredentials(url, settings.SQUIRREL_REDIS_USERNAME, settings.SQUIRREL_REDIS_PASSWORD), {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => 1000,
    commandTimeout: 2000,
  });
  redis.on('error', (err: Error) => ctx.logger.warn({ err: err.message }, 'squirrel redis connection error'));
  // QUIT would wait for a connection that may never come back
  ctx.onClose(() => (redis.status === 'ready' ? redis.quit().then(() => undefined, () => redis.disconnect()) : redis.disconnect()));
  return redis;
}

/** The Redis backend when the app has a Redis, else memory (spec §4.1). */
function openLiveCache(ctx: SquirrelContext, redis: Redis | undefined): LiveCache {
  if (!redis) return createMemoryCache();
  const { settings } = ctx;
  const cache = createRedisCache(
    redis,
    {
      values: settings.SQUIRREL_REDIS_PV_HASH_KEY,
      disconnected: settings.SQUIRREL_REDIS_DISCONNECTED_SET_KEY,
      updates: settings.SQUIRREL_REDIS_PV_UPDATES_CHANNEL,
      heartbeat: settings.SQUIRREL_REDIS_HEARTBEAT_KEY,
    },
    ctx.logger.child({ component: 'live-cache' }),
  );
  ctx.onClose(() => cache.close());
  return cache;
}

/**
 * The monitor leader lock (spec §4.3): `SET squirrel:monitor:lock <instance_id> NX EX 30`, renewed every
 * 10 s. The key is SQUIRREL_MONITOR_LOCK_KEY verbatim, not under BURROW_REDIS_PREFIX: it belongs to
 * upstream's Redis layout like every other SQUIRREL_REDIS_* name (§4.1), which upstream tools and an
 * upstream monitor being migrated from read under exactly these names. Deployments (and tests) that
 * share one Redis keep apart by setting those names, as they must for the value hash anyway.
 */
function monitorElection(ctx: SquirrelContext, redis: Redis | undefined, instanceId: string): LeaderElection {
  const { settings } = ctx;
  return createLeaderElection({
    key: settings.SQUIRREL_MONITOR_LOCK_KEY,
    redis,
    instanceId,
    ttlMs: settings.SQUIRREL_MONITOR_LOCK_TTL * 1000,
    renewEveryMs: settings.SQUIRREL_MONITOR_LOCK_RENEW * 1000,
    logger: ctx.logger.child({ component: 'leader' }),
  });
}

/** SQUIRREL_BOOTSTRAP_KEY, then a first key for the operator when the table is empty (spec §6). */
async function provisionKeys(keys: ApiKeyService, ctx: SquirrelContext): Promise<void> {
  const { SQUIRREL_BOOTSTRAP_KEY: token, SQUIRREL_BOOTSTRAP_KEY_APP: appName } = ctx.settings;
  if (token) {
    const outcome = await keys.applyBootstrapKey(token, appName);
    if (outcome === 'app_taken') ctx.logger.warn({ appName }, 'SQUIRREL_BOOTSTRAP_KEY not inserted: the app name already has an active key');
  }
  if ((await keys.count(false)) === 0) {
    const created = await keys.create('admin', true, true);
    ctx.announce(`API key for app 'admin' (read+write), shown once: ${created.token}`);
  }
}

/** What tests and embedders may inject so they share instances with the app. */
export interface SquirrelOptions {
  /** the live cache; the memory backend unless given */
  cache?: LiveCache;
  /** the EPICS facade; a Channel Access client configured from EPICS_CA_* (SQUIRREL_ copies win) unless given */
  epics?: EpicsClient;
}

/**
 * Squirrel: an EPICS PV registry with snapshots and restore (spec specs/squirrel.md, seed
 * squirrel-api-reference.txt). Resources: API keys, tags, PVs, live values, health, snapshots (with compare, restore and CSV),
 * jobs, the WebSocket. Workers: the CREATE_SNAPSHOT and RESTORE_SNAPSHOT jobs and the daily job retention; the PV
 * monitor, watchdog and circuit breakers on the elected leader; the WebSocket fan-out on every instance; the in-process
 * soft IOC and demo PVs when configured.
 */
export function createSquirrelApp(options: SquirrelOptions = {}) {
  return defineApp({
    id: 'squirrel',
    title: 'Squirrel Backend',
    version: SQUIRREL_VERSION,
    description: 'EPICS PV snapshot and restore',
    prefixes: ['/v1/pvs', '/v1/snapshots', '/v1/tags', '/v1/jobs', '/v1/health', '/v1/api-keys', '/v1/ws', '/ws'],
    envelope: squirrelEnvelope,
    settings: squirrelSettings,
    demoDefaults: { SQUIRREL_SOFT_IOC: 'demo', SQUIRREL_DEMO_SEED: true },
    migrations: squirrelMigrations,
    bodyLimit: (settings) => settings.SQUIRREL_MAX_BODY_BYTES,

    async register(scope, ctx) {
      const database = ctx.database as AppDatabase<SquirrelDb>;
      const keys = createApiKeyService(createApiKeyRepo(database), database.dialect);
      await provisionKeys(keys, ctx);
      // Bodies are JSON only (spec §2 Bodies): text/plain is 415 like any other type.
      scope.removeContentTypeParser('text/plain');
      installAuth(scope, keys, { publicHeartbeat: ctx.settings.SQUIRREL_PUBLIC_HEARTBEAT });
      const perMinute = ctx.settings.SQUIRREL_RATE_LIMIT_PER_MINUTE;
      if (perMinute > 0) {
        scope.addHook('preHandler', rateLimitHook({ store: ctx.rateLimitStore, limit: perMinute, windowMs: 60_000, key: (request) => request.squirrelCaller?.id }));
      }

      const redis = openRedis(ctx);
      const cache = options.cache ?? openLiveCache(ctx, redis);
      const pvs = createPvService(database, { onChange: () => ctx.bus.publish(PV_CHANGED_TOPIC, {}), bulkBatchSize: ctx.settings.SQUIRREL_BULK_INSERT_BATCH_SIZE });
      const tags = createTagService(database);

      // spec §4.5 startup order: the in-process soft IOC comes up before the CA context that may point at it
      const softIoc = await startInProcessIoc(ctx.settings, ctx.logger.child({ component: 'soft-ioc' }));
      if (softIoc) {
        ctx.onClose(() => softIoc.ioc.close());
        if (ctx.settings.SQUIRREL_DEMO_SEED) {
          const seeded = await seedDemoPvs({ pvs, tags, definitions: softIoc.definitions });
          if (seeded) ctx.logger.info({ pvs: seeded }, 'registered the demo PVs');
        }
      }
      const ca = squirrelEpics(softIoc?.ioc.port);
      const epics = options.epics ?? ca.epics;
      if (!options.epics) ctx.onClose(() => epics.close());
      const instanceId = ctx.settings.SQUIRREL_INSTANCE_ID ?? randomBytes(4).toString('hex');
      const runtime = createLiveRuntime({
        election: monitorElection(ctx, redis, instanceId),
        bus: ctx.bus,
        epics,
        cache,
        addresses: pvs.monitoredAddresses,
        instanceId,
        settings: ctx.settings,
        logger: ctx.logger,
      });
      runtimes.set(ctx, runtime);
      // registered after the EPICS close above, so it runs before it: subscriptions go before the channels
      ctx.onClose(() => runtime.stop());
      const snapshots = createSnapshotService({ database, cache, epics, settings: ctx.settings });
      const selectForRestore = snapshots.selectForRestore;
      defineSnapshotJobs({ jobs: ctx.jobs, database, snapshots, epics, settings: ctx.settings, selectForRestore });
      await scheduleJobRetention(ctx.jobs, ctx.settings.SQUIRREL_JOB_RETENTION_DAYS);

      registerApiKeyRoutes(scope, keys);
      registerTagRoutes(scope, tags);
      registerPvRoutes(scope, pvs, cache);
      registerLiveRoutes(scope, cache);
      registerTestEpicsRoute(scope, { epics, circuits: runtime.circuits, environment: ca.environment, settings: ctx.settings });
      registerSnapshotRoutes(scope, { snapshots, jobs: ctx.jobs, cache, epics, settings: ctx.settings, selectForRestore });
      registerJobRoutes(scope, createJobService(ctx.jobs));
      registerHealthRoutes(scope, {
        database,
        redis: ctx.redis,
        cache,
        monitor: createMonitorHealth({ cache, runtime, watchdog: () => ({ running: runtime.watchdog.running, lastCheck: runtime.watchdog.lastCheck }) }),
        version: SQUIRREL_VERSION,
        instanceId,
      });
      registerLeaderRoutes(scope, runtime);
      const hub = registerWsRoutes(scope, { keys, cache, knownAddresses: pvs.knownAddresses, settings: ctx.settings, instanceId });
      const pvCount = async () => (await pvs.paged({}, undefined, 0, true)).total_count ?? 0;
      ctx.onClose(registerSquirrelMetrics({ registry: ctx.metrics, bus: ctx.bus, appId: ctx.appId, pvCount, cache, runtime, hub }));
    },

    async start(ctx) {
      await runtimes.get(ctx)?.start();
    },

    cli(registry) {
      registerKeyCommands(registry);
    },
  });
}

export const squirrelApp = createSquirrelApp();
