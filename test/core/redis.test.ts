import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { pino } from 'pino';
import { openPlatformRedis } from '../../src/core/redis.ts';
import { testRedisUrl } from '../helpers/db.ts';

const needsRedis = { skip: testRedisUrl ? false : 'needs REDIS_URL (CI runs the suite with and without it)', timeout: 60_000 };

type ProxyMode = 'forward' | 'refuse' | 'stall';

/**
 * A TCP proxy in front of the real Redis whose link the test controls: `forward` relays bytes,
 * `refuse` drops every connection (Redis down), `stall` keeps connections open but relays nothing
 * (a hung link). Refusing or forwarding again cuts the connections open at that moment.
 */
async function redisProxy(t: TestContext) {
  const target = new URL(testRedisUrl!);
  const sockets = new Set<net.Socket>();
  const links: Array<{ client: net.Socket; upstream: net.Socket }> = [];
  let mode: ProxyMode = 'forward';
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === 'refuse') return client.destroy();
    if (mode === 'stall') return client.resume();
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
    links.push({ client, upstream });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const url = new URL(testRedisUrl!);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    set(next: ProxyMode) {
      mode = next;
      if (next === 'stall') {
        for (const { client, upstream } of links) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.resume();
          upstream.resume();
        }
        return;
      }
      for (const socket of sockets) socket.destroy();
      links.length = 0;
    },
  };
}

async function open(t: TestContext, url: string, commandTimeoutMs = 2_000) {
  const redis = await openPlatformRedis({ url, logger: pino({ level: 'silent' }), commandTimeoutMs, readyTimeoutMs: 5_000 });
  t.after(() => redis.disconnect());
  return redis;
}

/** Milliseconds until the promise settles, and whether it rejected with what. */
async function settle(promise: Promise<unknown>): Promise<{ ms: number; error?: Error }> {
  const started = performance.now();
  try {
    await promise;
    return { ms: performance.now() - started };
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error };
  }
}

async function eventually(what: string, attempt: () => Promise<unknown>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

test('while Redis is down, platform Redis commands fail at once instead of queueing, and work again once it is back', needsRedis, async (t) => {
  const proxy = await redisProxy(t);
  const redis = await open(t, proxy.url);
  assert.equal(await redis.ping(), 'PONG');

  proxy.set('refuse');
  await eventually('the client to notice the cut', async () => assert.notEqual(redis.status, 'ready'));
  const outcomes = await Promise.all([settle(redis.get('some-key')), settle(redis.set('some-key', 'x')), settle(redis.ping())]);
  for (const outcome of outcomes) {
    assert.match(outcome.error?.message ?? 'resolved', /enableOfflineQueue/, 'rejected because nothing is queued');
    // A queued command would wait for a reconnection; one that is refused at once takes no time at all.
    assert.ok(outcome.ms < 1_000, `rejected after ${outcome.ms.toFixed(0)} ms`);
  }

  proxy.set('forward');
  await eventually('the client to reconnect', async () => assert.equal(await redis.ping(), 'PONG'));
  await redis.set('burrow-platform-redis-test', 'back', 'PX', 10_000);
  assert.equal(await redis.get('burrow-platform-redis-test'), 'back');
  assert.equal(await redis.get('some-key'), null, 'the write refused during the outage was not replayed');
});

test('a command on a link that has gone silent rejects after the command timeout', needsRedis, async (t) => {
  const proxy = await redisProxy(t);
  const redis = await open(t, proxy.url, 300);
  assert.equal(await redis.ping(), 'PONG');

  // The connection stays up but nothing comes back: only the command timeout can end the wait.
  proxy.set('stall');
  const outcome = await settle(redis.get('some-key'));
  assert.match(outcome.error?.message ?? 'resolved', /timed out/i);
  assert.ok(outcome.ms >= 250, `rejected after ${outcome.ms.toFixed(0)} ms`);

  proxy.set('forward');
  await eventually('the client to reconnect', async () => assert.equal(await redis.ping(), 'PONG'));
});

test('opening goes on without Redis when it cannot be reached, and connects once it can', needsRedis, async (t) => {
  const proxy = await redisProxy(t);
  proxy.set('refuse');
  const redis = await openPlatformRedis({ url: proxy.url, logger: pino({ level: 'silent' }), readyTimeoutMs: 200 });
  t.after(() => redis.disconnect());
  assert.notEqual(redis.status, 'ready');
  await assert.rejects(redis.ping(), /enableOfflineQueue/);
  proxy.set('forward');
  await eventually('the client to connect', async () => assert.equal(await redis.ping(), 'PONG'));
});
