import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { CacheEntry } from '../../../src/apps/squirrel/live/entry.ts';
import { createRedisCache } from '../../../src/apps/squirrel/live/redisCache.ts';
import type { LiveCache } from '../../../src/apps/squirrel/live/cache.ts';
import { testRedisUrl, uniqueName } from '../../helpers/db.ts';

describe('squirrel Redis live cache reads (spec §4.1)', { skip: testRedisUrl ? false : 'needs REDIS_URL' }, () => {
  let redis: Redis;
  let cache: LiveCache;
  const prefix = uniqueName('sqcache');
  const names = { values: `${prefix}:values`, disconnected: `${prefix}:disconnected`, updates: `${prefix}:updates`, heartbeat: `${prefix}:heartbeat` };

  before(() => {
    redis = new Redis(testRedisUrl!);
    cache = createRedisCache(redis, names, pino({ level: 'silent' }));
  });
  after(async () => {
    await redis.del(names.values, names.disconnected);
    await cache.close();
    redis.disconnect();
  });

  it('a read of more names than one HMGET carries gives each name its own entry, and unknown names none', async () => {
    const entries = new Map<string, CacheEntry>(
      Array.from({ length: 12_003 }, (_, i) => [`PV:${i}`, { value: i, connected: i % 7 !== 0, updated_at: 1_700_000_000 + i }]),
    );
    await cache.write(entries);
    const wanted = [...entries.keys()].reverse().flatMap((name, i) => (i % 1000 === 0 ? [name, `MISSING:${i}`] : [name]));
    const found = await cache.get(wanted);
    assert.equal(found.size, entries.size);
    for (const [name, entry] of entries) assert.deepEqual(found.get(name), entry, name);
    assert.equal([...found.keys()].some((name) => name.startsWith('MISSING')), false);
    assert.equal((await cache.get([])).size, 0);
  });
});
