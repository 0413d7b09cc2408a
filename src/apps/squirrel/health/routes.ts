import type { FastifyInstance } from 'fastify';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { Redis } from 'ioredis';
import { errors } from '../errors.ts';
import type { LiveCache } from '../live/cache.ts';

const tags = ['Health'];
const PROBE_TIMEOUT_MS = 2000;

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

/** Connectivity probes (spec §3.7, D26): optional parts never fail the overall health. */
export function registerHealthRoutes(
  scope: FastifyInstance,
  deps: { database: AppDatabase; redis?: Redis; cache: LiveCache; version: string; instanceId: string; monitorEnabled: boolean },
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
    const monitor = deps.monitorEnabled ? 'unknown' : 'disabled';
    return {
      status: redis === 'error' || disconnected > 0 ? 'degraded' : 'healthy',
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
}
