import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createEventBus } from '../../../src/core/events/index.ts';
import { createCredentialCache, hashToken } from '../../../src/core/secrets/index.ts';
import { testRedisUrl, uniqueName } from '../../helpers/db.ts';
import { captureLogger } from '../events/capture-logger.ts';

/** A stand-in for a key table: token hash → principal, counting how often it is asked. */
function keyTable(initial: Record<string, string>) {
  const rows = new Map(Object.entries(initial).map(([token, name]) => [hashToken(token), name]));
  const table = {
    rows,
    lookups: 0,
    async lookup(tokenHash: string) {
      table.lookups += 1;
      const found = rows.get(tokenHash);
      await new Promise((resolve) => setImmediate(resolve)); // the answer travels back from the database
      return found;
    },
  };
  return table;
}

test('a verified token is served from memory until its TTL lapses', async () => {
  let clock = 1_000;
  const table = keyTable({ tok_a: 'alice' });
  const cache = createCredentialCache({ lookup: table.lookup, ttlMs: 5_000, now: () => clock });
  assert.equal(await cache.verify('tok_a'), 'alice');
  assert.equal(await cache.verify('tok_a'), 'alice');
  assert.equal(table.lookups, 1);
  clock += 5_000;
  assert.equal(await cache.verify('tok_a'), 'alice');
  assert.equal(table.lookups, 2, 'an expired entry is looked up again');
});

test('unknown tokens are never cached, so a key created later works at once', async () => {
  const table = keyTable({});
  const cache = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000 });
  assert.equal(await cache.verify('tok_new'), undefined);
  table.rows.set(hashToken('tok_new'), 'newcomer');
  assert.equal(await cache.verify('tok_new'), 'newcomer');
  assert.equal(cache.size, 1);
});

test('invalidate makes a revoked token fail on the next request', async () => {
  const table = keyTable({ tok_a: 'alice', tok_b: 'bob' });
  const cache = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000 });
  await cache.verify('tok_a');
  await cache.verify('tok_b');
  table.rows.delete(hashToken('tok_a'));
  cache.invalidate(hashToken('tok_a'));
  assert.equal(await cache.verify('tok_a'), undefined);
  assert.equal(await cache.verify('tok_b'), 'bob', 'other tokens stay cached');
  assert.equal(table.lookups, 3);
  cache.invalidate();
  assert.equal(cache.size, 0);
});

test('concurrent requests with one uncached token share a single lookup', async () => {
  const table = keyTable({ tok_a: 'alice' });
  const cache = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000 });
  const results = await Promise.all(Array.from({ length: 20 }, () => cache.verify('tok_a')));
  assert.deepEqual(new Set(results), new Set(['alice']));
  assert.equal(table.lookups, 1);
});

test('a lookup racing an invalidation does not store the stale principal', async () => {
  const table = keyTable({ tok_a: 'alice' });
  const cache = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000 });
  const inFlight = cache.verify('tok_a');
  table.rows.delete(hashToken('tok_a'));
  cache.invalidate(hashToken('tok_a'));
  assert.equal(await inFlight, 'alice', 'the request already under way sees what it read');
  assert.equal(cache.size, 0);
  assert.equal(await cache.verify('tok_a'), undefined);
});

test('the cache stays within maxEntries', async () => {
  const tokens = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`tok_${i}`, `user${i}`]));
  const table = keyTable(tokens);
  const cache = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000, maxEntries: 10 });
  for (const token of Object.keys(tokens)) assert.equal(await cache.verify(token), tokens[token]);
  assert.equal(cache.size, 10);
  assert.equal(await cache.verify('tok_49'), 'user49');
  assert.equal(table.lookups, 50, 'the newest entries are the ones kept');
});

test('invalidation by hash finds entries kept under the token, also after evictions', async () => {
  const table = keyTable({ tok_a: 'alice', tok_b: 'bob', tok_c: 'carol' });
  const cache = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000, maxEntries: 2 });
  for (const token of ['tok_a', 'tok_b', 'tok_c']) await cache.verify(token); // tok_a is evicted
  cache.invalidate(hashToken('tok_a'));
  assert.equal(cache.size, 2, 'an evicted token has nothing left to forget');
  table.rows.delete(hashToken('tok_c'));
  cache.invalidate(hashToken('tok_c'));
  assert.equal(await cache.verify('tok_c'), undefined);
  assert.equal(await cache.verify('tok_b'), 'bob');
  assert.equal(table.lookups, 4, 'tok_b stayed cached throughout');
});

test('a failing lookup propagates and is retried on the next request', async () => {
  let fail = true;
  const cache = createCredentialCache({
    ttlMs: 60_000,
    lookup: async () => {
      if (fail) throw new Error('database down');
      return 'alice';
    },
  });
  await assert.rejects(cache.verify('tok_a'), /database down/);
  fail = false;
  assert.equal(await cache.verify('tok_a'), 'alice');
});

async function openBus(t: TestContext, channelPrefix: string, instanceId: string) {
  const bus = await createEventBus({ redisUrl: testRedisUrl, channelPrefix, instanceId, logger: captureLogger().logger });
  t.after(() => bus.close());
  return bus;
}

test('an invalidation on one instance reaches the cache of another over Redis', { skip: testRedisUrl ? false : 'needs REDIS_URL' }, async (t) => {
  const prefix = uniqueName('credcache');
  const table = keyTable({ tok_a: 'alice' });
  const [busA, busB] = [await openBus(t, prefix, 'a'), await openBus(t, prefix, 'b')];
  const cacheA = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000, bus: busA, topic: 'bench.keys.invalidate' });
  const cacheB = createCredentialCache({ lookup: table.lookup, ttlMs: 60_000, bus: busB, topic: 'bench.keys.invalidate' });
  await cacheA.verify('tok_a');
  await cacheB.verify('tok_a');
  table.rows.delete(hashToken('tok_a'));
  cacheA.invalidate(hashToken('tok_a'));
  const deadline = Date.now() + 5_000;
  while (cacheB.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(await cacheB.verify('tok_a'), undefined);
});

test('a cache on a bus needs a topic', () => {
  const bus = { instanceId: 'x', publish() {}, subscribe: () => () => {}, close: async () => {} };
  assert.throws(() => createCredentialCache({ lookup: async () => 'x', ttlMs: 1, bus }), /topic/);
});
