import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createEventBus } from '../../../src/core/events/index.ts';
import type { BusMessage, MeteredEventBus } from '../../../src/core/events/index.ts';
import { testRedisUrl, uniqueName } from '../../helpers/db.ts';
import { captureLogger } from './capture-logger.ts';

const needsRedis = { skip: testRedisUrl ? false : 'needs REDIS_URL (CI runs the suite with and without it)' };

/** A bus closed when the test ends, pass or fail: a bus left open would keep the test file running. */
async function openBus(t: TestContext, channelPrefix: string, instanceId: string, redisUrl = testRedisUrl) {
  const { logger, records } = captureLogger();
  const bus = await createEventBus({ redisUrl, channelPrefix, instanceId, logger });
  t.after(() => bus.close());
  return { bus, records };
}

function nextMessage<T>(bus: MeteredEventBus, pattern: string): Promise<BusMessage<T>> {
  return new Promise((resolve) => {
    const unsubscribe = bus.subscribe<T>(pattern, (message) => {
      unsubscribe();
      resolve(message);
    });
  });
}

/** Polls a condition the code under test reaches on its own (a reconnect), failing after timeoutMs. */
async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('two instances on one Redis see each other\'s events exactly once and their own only locally', needsRedis, async (t) => {
  const prefix = uniqueName('bus');
  const a = (await openBus(t, prefix, 'instance-a')).bus;
  const b = (await openBus(t, prefix, 'instance-b')).bus;
  const seenByA: string[] = [];
  const seenByB: string[] = [];
  a.subscribe('*', (m) => seenByA.push(`${m.topic}:${m.origin}`));
  b.subscribe('*', (m) => seenByB.push(`${m.topic}:${m.origin}`));
  // B answers once it has A's event; Redis delivers in publish order, so by the time A holds the
  // answer, any echo of A's own event through Redis would already have arrived
  b.subscribe('jobs.updated', () => b.publish('jobs.ack', null));
  const ack = nextMessage(a, 'jobs.ack');

  a.publish('jobs.updated', { id: 1 });
  await ack;

  assert.deepEqual(seenByA, ['jobs.updated:instance-a', 'jobs.ack:instance-b']);
  assert.deepEqual(seenByB, ['jobs.updated:instance-a', 'jobs.ack:instance-b']);
  assert.deepEqual(a.stats(), { published: 1, delivered: 3, handlerErrors: 0, received: 1, dropped: 0, redis: 'ready' });
});

test('a remote message carries the publisher\'s payload, origin and time', needsRedis, async (t) => {
  const prefix = uniqueName('bus');
  const a = (await openBus(t, prefix, 'instance-a')).bus;
  const b = (await openBus(t, prefix, 'instance-b')).bus;
  const received = nextMessage<{ pv: string; value: number[] }>(b, 'squirrel.*');
  const before = Date.now();

  a.publish('squirrel.pv.value', { pv: 'X:Y', value: [1.5, 2] });
  const message = await received;

  assert.equal(message.topic, 'squirrel.pv.value');
  assert.deepEqual(message.payload, { pv: 'X:Y', value: [1.5, 2] });
  assert.equal(message.origin, 'instance-a');
  assert.ok(message.at >= before && message.at <= Date.now());
});

test('instances under different channel prefixes do not see each other', needsRedis, async (t) => {
  const a = (await openBus(t, uniqueName('bus'), 'instance-a')).bus;
  const sharedPrefix = uniqueName('bus');
  const b = (await openBus(t, sharedPrefix, 'instance-b')).bus;
  const c = (await openBus(t, sharedPrefix, 'instance-c')).bus;
  const seenByB: string[] = [];
  b.subscribe('*', (m) => seenByB.push(m.origin));
  const fromC = nextMessage(b, 'marker');

  a.publish('marker', null);
  c.publish('marker', null);
  await fromC;

  assert.deepEqual(seenByB, ['instance-c']);
});

test('malformed frames on the channel are logged and ignored', needsRedis, async (t) => {
  const prefix = uniqueName('bus');
  const { bus: a, records } = await openBus(t, prefix, 'instance-a');
  const b = (await openBus(t, prefix, 'instance-b')).bus;
  const raw = new Redis(testRedisUrl as string);
  t.after(() => raw.disconnect());
  const seen: unknown[] = [];
  a.subscribe('*', (m) => seen.push(m.payload));
  const valid = nextMessage(a, 'valid');

  await raw.publish(`${prefix}:bad`, 'not json');
  await raw.publish(`${prefix}:bad`, JSON.stringify({ topic: 'bad', payload: 1 }));
  b.publish('valid', 'ok');
  await valid;

  assert.deepEqual(seen, ['ok']);
  const warnings = records.filter((r) => r.msg === 'ignoring a malformed event frame from Redis');
  assert.deepEqual(warnings.map((r) => r.frame), ['not json', '{"topic":"bad","payload":1}']);
});

test('an event published by a second Node process reaches this process', needsRedis, async (t) => {
  const prefix = uniqueName('bus');
  const bus = (await openBus(t, prefix, 'parent')).bus;
  const received = nextMessage<{ pid: number }>(bus, 'process.hello');
  const childId = uniqueName('child');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/publish-from-another-process.ts', import.meta.url))],
    {
      env: { ...process.env, CHANNEL_PREFIX: prefix, INSTANCE_ID: childId, TOPIC: 'process.hello' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );

  const [message, [exitCode]] = await Promise.all([received, once(child, 'exit')]);

  assert.equal(exitCode, 0);
  assert.equal(message.origin, childId);
  assert.equal(message.payload.pid, child.pid);
  assert.notEqual(message.payload.pid, process.pid);
});

test('through a Redis outage publishers keep going, remote copies are dropped and counted, and delivery resumes after reconnecting', needsRedis, async (t) => {
  const proxy = await startTcpProxy(new URL(testRedisUrl as string));
  t.after(() => proxy.stop());
  const proxiedUrl = new URL(testRedisUrl as string);
  proxiedUrl.hostname = '127.0.0.1';
  proxiedUrl.port = String(proxy.port);
  const prefix = uniqueName('bus');
  const { bus: a, records } = await openBus(t, prefix, 'instance-a', proxiedUrl.toString());
  const b = (await openBus(t, prefix, 'instance-b')).bus;
  const local: number[] = [];
  a.subscribe('samples', (m: BusMessage<number>) => local.push(m.payload));

  await proxy.stop();
  await waitUntil(() => a.stats().redis === 'unavailable', 5_000, 'the outage to be noticed');
  a.publish('samples', 1);
  a.publish('samples', 2);
  assert.deepEqual(local, [1, 2]);
  await waitUntil(() => a.stats().dropped === 2, 5_000, 'both remote copies to be dropped');

  await proxy.start();
  await waitUntil(() => a.stats().redis === 'ready', 10_000, 'the reconnect');
  // B's resubscription may still be on its way to Redis: publish until one arrives
  const arrived = nextMessage<number>(b, 'samples');
  let next = 3;
  const publisher = setInterval(() => a.publish('samples', next++), 20);
  t.after(() => clearInterval(publisher));
  const message = await arrived;

  assert.equal(message.origin, 'instance-a');
  assert.ok(message.payload >= 3);
  assert.ok(records.some((r) => r.msg === 'Redis connection for events lost; reconnecting'));
  assert.ok(records.some((r) => r.msg === 'Redis connection for events restored'));
  // A's publish may be acknowledged after B already has the message
  await waitUntil(() => records.some((r) => r.msg === 'events reach Redis again'), 5_000, 'the recovery log');
  assert.equal(records.find((r) => r.msg === 'events reach Redis again')?.dropped, 2);
});

/** A TCP forwarder to Redis that the test can cut and restore, to simulate an outage. */
async function startTcpProxy(target: URL) {
  const connections = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    connections.add(client).add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      connections.delete(client);
      connections.delete(upstream);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    async stop() {
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      for (const socket of connections) socket.destroy();
      await closed;
    },
    async start() {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
  };
}
