import { performance } from 'node:perf_hooks';
import { resultFor, type RateLimitStore } from './types.ts';

export interface MemoryRateLimitOptions {
  /** most keys tracked at once; beyond it the least recently hit key is forgotten */
  maxKeys?: number;
  /** how often windows with no live hit are dropped */
  sweepIntervalMs?: number;
}

interface HitLog {
  /** monotonic timestamps of counted hits, oldest first */
  hits: number[];
  windowMs: number;
}

/** Dropping hits at or before `cutoff` keeps only those still inside the window. */
function dropExpired(hits: number[], cutoff: number): void {
  let expired = 0;
  while (expired < hits.length && hits[expired]! <= cutoff) expired += 1;
  if (expired > 0) hits.splice(0, expired);
}

/**
 * One process's windows. Memory stays bounded: a log never holds more than `limit` hits (refused hits
 * are not recorded), idle keys are swept, and the key count is capped (least recently hit goes first).
 * Time is the monotonic clock, so a wall-clock step cannot open or shut every window.
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitOptions = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const logs = new Map<string, HitLog>();

  const sweep = () => {
    const now = performance.now();
    for (const [key, log] of logs) {
      const newest = log.hits[log.hits.length - 1];
      if (newest === undefined || newest <= now - log.windowMs) logs.delete(key);
    }
  };
  const sweeper = setInterval(sweep, options.sweepIntervalMs ?? 10_000);
  sweeper.unref();

  return {
    async hit(key, windowMs, limit) {
      const now = performance.now();
      const log = logs.get(key) ?? { hits: [], windowMs };
      // Re-inserting moves the key to the end of the Map's order, which makes the first key the least recently hit.
      logs.delete(key);
      log.windowMs = windowMs;
      dropExpired(log.hits, now - windowMs);
      const allowed = log.hits.length < limit;
      if (allowed) log.hits.push(now);
      logs.set(key, log);
      if (logs.size > maxKeys) logs.delete(logs.keys().next().value!);
      const oldest = log.hits[0];
      const resetMs = oldest === undefined ? windowMs : Math.ceil(oldest + windowMs - now);
      return resultFor(limit, log.hits.length, allowed, resetMs);
    },
    async close() {
      clearInterval(sweeper);
      logs.clear();
    },
  };
}
