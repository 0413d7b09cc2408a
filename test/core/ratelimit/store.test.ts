import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createMemoryRateLimitStore, createRedisRateLimitStore, type RateLimitStore } from '../../../src/core/ratelimit/index.ts';
import { testRedisUrl, uniqueName } from '../../helpers/db.ts';

/** The same specification, run against each store. */
function describeStore(name: string, makeStore: () => RateLimitStore, options: { skip?: boolean } = {}): void {
  describe(`${name} rate-limit store`, { skip: options.skip }, () => {
    it('counts remaining hits down and refuses once the limit is reached', async () => {
      const store = makeStore();
      const key = uniqueName('k');
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await store.hit(key, 10_000, 3));
      assert.deepEqual(results.map((r) => [r.allowed, r.limit, r.remaining]), [
        [true, 3, 2],
        [true, 3, 1],
        [true, 3, 0],
        [false, 3, 0],
      ]);
      for (const r of results.slice(0, 3)) assert.equal(r.retryAfterMs, 0);
      const refused = results[3]!;
      assert.ok(refused.retryAfterMs > 9_000 && refused.retryAfterMs <= 10_000, String(refused.retryAfterMs));
      assert.equal(refused.resetMs, refused.retryAfterMs);
      await store.close();
    });

    it('reports the first hit as resetting after the whole window', async () => {
      const store = makeStore();
      const first = await store.hit(uniqueName('k'), 60_000, 5);
      assert.ok(first.resetMs > 59_000 && first.resetMs <= 60_000, String(first.resetMs));
      await store.close();
    });

    it('slides: a slot frees when the oldest hit leaves the window, not when a fixed window ends', async () => {
      const store = makeStore();
      const key = uniqueName('k');
      const windowMs = 400;
      assert.equal((await store.hit(key, windowMs, 2)).allowed, true);
      await sleep(150);
      assert.equal((await store.hit(key, windowMs, 2)).allowed, true);
      const refused = await store.hit(key, windowMs, 2);
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 250, String(refused.retryAfterMs));
      await sleep(refused.retryAfterMs + 15);
      const afterOldest = await store.hit(key, windowMs, 2);
      assert.deepEqual([afterOldest.allowed, afterOldest.remaining], [true, 0]);
      // The second hit is still inside the window, so the key is full again.
      assert.equal((await store.hit(key, windowMs, 2)).allowed, false);
      await store.close();
    });

    it('does not record refused hits', async () => {
      const store = makeStore();
      const key = uniqueName('k');
      await store.hit(key, 300, 1);
      let refused = await store.hit(key, 300, 1);
      for (let i = 0; i < 5; i++) refused = await store.hit(key, 300, 1);
      assert.equal(refused.allowed, false);
      await sleep(refused.retryAfterMs + 15);
      assert.equal((await store.hit(key, 300, 1)).allowed, true);
      await store.close();
    });

    it('keeps separate keys independent', async () => {
      const store = makeStore();
      const a = uniqueName('a');
      const b = uniqueName('b');
      await store.hit(a, 10_000, 1);
      assert.equal((await store.hit(a, 10_000, 1)).allowed, false);
      const other = await store.hit(b, 10_000, 1);
      assert.deepEqual([other.allowed, other.remaining], [true, 0]);
      await store.close();
    });

    it('refuses everything with a limit of 0', async () => {
      const store = makeStore();
      const result = await store.hit(uniqueName('k'), 1_000, 0);
      assert.deepEqual([result.allowed, result.remaining, result.retryAfterMs], [false, 0, 1_000]);
      await store.close();
    });
  });
}

describeStore('memory', () => createMemoryRateLimitStore());

const redis = testRedisUrl ? new Redis(testRedisUrl) : undefined;
after(async () => {
  await redis?.quit();
});
describeStore('redis', () => createRedisRateLimitStore(redis!, uniqueName('burrow:test:rl')), { skip: !redis });

describe('memory rate-limit store bounds', () => {
  it('forgets the least recently hit key beyond maxKeys', async () => {
    const store = createMemoryRateLimitStore({ maxKeys: 2 });
    await store.hit('a', 10_000, 1);
    await store.hit('b', 10_000, 1);
    assert.equal((await store.hit('a', 10_000, 1)).allowed, false); // a is now the most recent
    await store.hit('c', 10_000, 1); // evicts b
    assert.equal((await store.hit('a', 10_000, 1)).allowed, false);
    assert.equal((await store.hit('b', 10_000, 1)).allowed, true);
    await store.close();
  });
});

describe('redis rate-limit store sharing', { skip: !redis }, () => {
  it('shares one window between stores on the same prefix (two instances)', async () => {
    const prefix = uniqueName('burrow:test:rl');
    const first = createRedisRateLimitStore(redis!, prefix);
    const second = createRedisRateLimitStore(redis!, prefix);
    await first.hit('client', 10_000, 2);
    assert.equal((await second.hit('client', 10_000, 2)).remaining, 0);
    assert.equal((await first.hit('client', 10_000, 2)).allowed, false);
    const elsewhere = createRedisRateLimitStore(redis!, uniqueName('burrow:test:rl'));
    assert.equal((await elsewhere.hit('client', 10_000, 2)).allowed, true);
  });

  it('expires its sorted set with the window', async () => {
    const prefix = uniqueName('burrow:test:rl');
    await createRedisRateLimitStore(redis!, prefix).hit('client', 5_000, 2);
    const ttl = await redis!.pttl(`${prefix}:client`);
    assert.ok(ttl > 4_000 && ttl <= 5_000, String(ttl));
  });
});
