import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { resultFor, type RateLimitStore } from './types.ts';

/*
 * One sorted set per key, scored by Redis's own clock (TIME), so instances with skewed clocks share one
 * window. Trim, count, add and expire run as one script: atomic across instances. Redis ≥ 5 replicates
 * a script's effects, which is what lets it call TIME before writing.
 * Returns {allowed 0|1, hits counted, ms until the oldest counted hit expires}.
 */
const HIT_SCRIPT = `
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window))
  count = count + 1
  allowed = 1
end
local reset = window
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {allowed, count, math.ceil(reset)}
`;
const HIT_SCRIPT_SHA = createHash('sha1').update(HIT_SCRIPT).digest('hex');

/** Windows shared by every instance using this Redis. The connection belongs to the caller; close() leaves it open. */
export function createRedisRateLimitStore(redis: Redis, prefix: string): RateLimitStore {
  // Members must be unique even when two instances hit in the same microsecond.
  const instanceTag = randomBytes(6).toString('hex');
  let sequence = 0;

  const run = async (args: [string, number, number, string]): Promise<[number, number, number]> => {
    try {
      return (await redis.evalsha(HIT_SCRIPT_SHA, 1, ...args)) as [number, number, number];
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await redis.eval(HIT_SCRIPT, 1, ...args)) as [number, number, number];
    }
  };

  return {
    async hit(key, windowMs, limit) {
      sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
      const [allowed, counted, resetMs] = await run([`${prefix}:${key}`, windowMs, limit, `${instanceTag}-${sequence}`]);
      return resultFor(limit, counted, allowed === 1, resetMs);
    },
    async close() {},
  };
}
