import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { Redis } from 'ioredis';
import { errors } from '../errors.ts';
import type { LiveCache } from '../live/cache.ts';
import type { MonitorHealth } from './monitorHealth.ts';

const tags = ['Health'];
const PROBE_TIMEOUT_MS = 2000;
const staleQuery = Type.Object({ max_age_seconds: Type.Number({ exclusiveMinimum: 0, default: 300 }) });

async function timed(probe: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 2 s')), PROBE_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
  return Math.round((performance.now() - started) * 100) / 100;
}

/** Connectivity probes and the monitor's health (spec §3.7, D26): optional parts never fail the overall health. */
export function registerHealthRoutes(
  scope: FastifyInstance,
  deps: { database: AppDatabase; redis?: Redis; cache: LiveCache; monitor: MonitorHealth; version: string; instanceId: string },
): void {
  const startedAt = Date.now();

  async function redisState(): Promise<'ok' | 'disabled' | 'error'> {
    if (!deps.redis) return 'disabled';
    try {
      await timed(() => deps.redis!.ping());
      return 'ok';
    } catch {
      return 'error';
    }
  }

  scope.get('/v1/health', { schema: { tags } }, async () => {
    try {
      await timed(() => deps.database.ping());
    } catch (err) {
      throw errors.healthCheckFailed(`database: ${(err as Error).message}`);
    }
    const redis = await redisState();
    let disconnected = 0;
    let total = 0;
    try {
      disconnected = (await deps.cache.disconnected()).length;
      total = await deps.cache.count();
    } catch {
      // counted as degraded below through the redis state
    }
    const monitor = await deps.monitor.state();
    const monitorTrouble = monitor === 'stale' || monitor === 'unknown';
    return {
      status: redis === 'error' || monitorTrouble || disconnected > 0 ? 'degraded' : 'healthy',
      version: deps.version,
      instance_id: deps.instanceId,
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      database: 'ok',
      redis,
      monitor,
      connected_pvs: total - disconnected,
      disconnected_pvs: disconnected,
    };
  });

  scope.get('/v1/health/db', { schema: { tags } }, async () => {
    try {
      return { status: 'ok', dialect: deps.database.dialect.name, latency_ms: await timed(() => deps.database.ping()) };
    } catch (err) {
      throw errors.healthCheckFailed(`database: ${(err as Error).message}`);
    }
  });

  scope.get('/v1/health/redis', { schema: { tags } }, async () => {
    if (!deps.redis) return { status: 'disabled' };
    try {
      return { status: 'ok', latency_ms: await timed(() => deps.redis!.ping()) };
    } catch (err) {
      throw errors.healthCheckFailed(`redis: ${(err as Error).message}`);
    }
  });

  scope.get('/v1/health/heartbeat', { config: { squirrelAccess: 'heartbeat' }, schema: { tags } }, async () => deps.monitor.heartbeat());

  scope.get('/v1/health/monitor', { schema: { tags } }, async () => {
    try {
      return await deps.monitor.details();
    } catch (err) {
      throw errors.healthCheckFailed((err as Error).message);
    }
  });

  scope.get('/v1/health/monitor/status', { schema: { tags } }, async () => deps.monitor.status());

  scope.get('/v1/health/summary', { schema: { tags } }, async () => deps.monitor.summary());

  scope.get('/v1/health/disconnected', { schema: { tags } }, async () => {
    try {
      const pvs = await deps.cache.disconnected();
      return { count: pvs.length, pvs };
    } catch (err) {
      throw errors.disconnectedFetchFailed((err as Error).message);
    }
  });

  scope.get('/v1/health/stale', { schema: { tags, querystring: staleQuery } }, async (request) => {
    const threshold = (request.query as Static<typeof staleQuery>).max_age_seconds;
    try {
      const pvs = await deps.monitor.stale(threshold);
      return { count: pvs.length, threshold_seconds: threshold, pvs };
    } catch (err) {
      throw errors.staleFetchFailed((err as Error).message);
    }
  });
}
