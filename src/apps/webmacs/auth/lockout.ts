import type { Redis } from 'ioredis';

/*
 * Login lockout (spec §3.1, an Addition): `maxFailures` failed logins for one email within the window
 * lock that email, whatever the password. The core rate-limit store can only count-and-refuse in one
 * step, and this needs "how many failures so far?" before checking a password, so the window is kept
 * here: in memory, or in Redis when several instances must share it (spec §4.9).
 */

export interface LoginLockout {
  /** seconds until the email may try again, or 0 when it is not locked */
  lockedFor(email: string): Promise<number>;
  recordFailure(email: string): Promise<void>;
}

export interface LockoutOptions {
  maxFailures: number;
  windowSeconds: number;
  redis?: Redis;
  /** Redis key prefix; must be shared by instances of one database and differ between databases */
  keyPrefix: string;
}

const disabled: LoginLockout = { lockedFor: async () => 0, recordFailure: async () => {} };

export function createLoginLockout(options: LockoutOptions): LoginLockout {
  if (options.maxFailures === 0) return disabled;
  return options.redis ? redisLockout(options, options.redis) : memoryLockout(options);
}

function secondsUntil(oldestMs: number, windowMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((oldestMs + windowMs - nowMs) / 1000));
}

function memoryLockout(options: LockoutOptions): LoginLockout {
  const windowMs = options.windowSeconds * 1000;
  const failures = new Map<string, number[]>();
  const recent = (email: string, now: number) => {
    const kept = (failures.get(email) ?? []).filter((at) => at > now - windowMs);
    if (kept.length) failures.set(email, kept);
    else failures.delete(email);
    return kept;
  };
  return {
    async lockedFor(email) {
      const now = Date.now();
      const kept = recent(email, now);
      return kept.length >= options.maxFailures ? secondsUntil(kept[kept.length - options.maxFailures]!, windowMs, now) : 0;
    },
    async recordFailure(email) {
      const now = Date.now();
      failures.set(email, [...recent(email, now), now].slice(-options.maxFailures));
    },
  };
}

function redisLockout(options: LockoutOptions, redis: Redis): LoginLockout {
  const windowMs = options.windowSeconds * 1000;
  const keyOf = (email: string) => `${options.keyPrefix}:${email}`;
  return {
    async lockedFor(email) {
      const now = Date.now();
      const key = keyOf(email);
      await redis.zremrangebyscore(key, '-inf', now - windowMs);
      const count = await redis.zcard(key);
      if (count < options.maxFailures) return 0;
      const [, score] = await redis.zrange(key, -options.maxFailures, -options.maxFailures, 'WITHSCORES');
      return secondsUntil(Number(score), windowMs, now);
    },
    async recordFailure(email) {
      const now = Date.now();
      const key = keyOf(email);
      await redis
        .multi()
        .zadd(key, now, `${now}:${Math.random().toString(36).slice(2)}`)
        .zremrangebyscore(key, '-inf', now - windowMs)
        .pexpire(key, windowMs)
        .exec();
    },
  };
}
