import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface PlatformRedisOptions {
  url: string;
  logger: Logger;
  /** a command Redis has not answered by then (a hung link) rejects; 2000 unless given */
  commandTimeoutMs?: number;
  /** how long opening waits for the first connection before going on without it; 2000 unless given */
  readyTimeoutMs?: number;
}

/** Longest pause between reconnection attempts while Redis is away. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/**
 * The Redis connection apps share (rate limits, leader leases, caches). While Redis is away, commands
 * fail at once instead of queueing in memory until it returns: callers (a rate limiter, a health check)
 * decide how to degrade, and nothing replays stale writes later. A command sent on a link that has gone
 * silent rejects after the command timeout. The client keeps reconnecting in the background, and
 * commands work again as soon as it is back.
 */
export async function openPlatformRedis(options: PlatformRedisOptions): Promise<Redis> {
  const { logger } = options;
  const redis = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  // Without an offline queue, commands sent before the first connection would fail: start once it is up.
  const readyTimeoutMs = options.readyTimeoutMs ?? 2_000;
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true))),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), readyTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!ready) logger.warn({ timeoutMs: readyTimeoutMs }, 'Redis is not reachable yet: its commands fail until it is');
  return redis;
}
