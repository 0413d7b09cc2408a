import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventBus } from '../../../src/core/events/index.ts';
import type { BusMessage } from '../../../src/core/events/index.ts';
import { captureLogger, pinoLevels } from './capture-logger.ts';

async function inProcessBus() {
  const { logger, records } = captureLogger();
  const bus = await createEventBus({ logger, instanceId: 'instance-a' });
  return { bus, records };
}

test('publish delivers synchronously to exact and prefix subscribers with topic, payload, origin and time', async () => {
  const { bus } = await inProcessBus();
  const seen: string[] = [];
  let received: BusMessage<{ id: number }> | undefined;
  bus.subscribe<{ id: number }>('jobs.updated', (message) => {
    received = message;
    seen.push('exact');
  });
  bus.subscribe('jobs.*', () => seen.push('prefix'));
  bus.subscribe('other.*', () => seen.push('other'));

  const before = Date.now();
  bus.publish('jobs.updated', { id: 7 });

  assert.deepEqual(seen, ['exact', 'prefix']);
  assert.equal(received?.topic, 'jobs.updated');
  assert.deepEqual(received?.payload, { id: 7 });
  assert.equal(received?.origin, 'instance-a');
  assert.ok(received && received.at >= before && received.at <= Date.now());
  await bus.close();
});

test('"*" matches every topic while "jobs.*" matches only topics under "jobs."', async () => {
  const { bus } = await inProcessBus();
  const everything: string[] = [];
  const jobs: string[] = [];
  bus.subscribe('*', (message) => everything.push(message.topic));
  bus.subscribe('jobs.*', (message) => jobs.push(message.topic));

  for (const topic of ['jobs', 'jobs.updated', 'jobs.a.b', 'jobsx.updated', 'squirrel.pv']) bus.publish(topic, null);

  assert.deepEqual(everything, ['jobs', 'jobs.updated', 'jobs.a.b', 'jobsx.updated', 'squirrel.pv']);
  assert.deepEqual(jobs, ['jobs.updated', 'jobs.a.b']);
  await bus.close();
});

test('handlers run in the order they subscribed, whichever pattern matched', async () => {
  const { bus } = await inProcessBus();
  const order: string[] = [];
  bus.subscribe('*', () => order.push('everything'));
  bus.subscribe('jobs.updated', () => order.push('exact'));
  bus.subscribe('jobs.*', () => order.push('jobs prefix'));
  bus.subscribe('jobs.updated', () => order.push('exact again'));

  bus.publish('jobs.updated', null);

  assert.deepEqual(order, ['everything', 'exact', 'jobs prefix', 'exact again']);
  await bus.close();
});

test('a throwing handler is logged and counted and the other handlers still receive the message', async () => {
  const { bus, records } = await inProcessBus();
  const received: string[] = [];
  bus.subscribe('alarms.raised', () => received.push('first'));
  bus.subscribe('alarms.raised', () => {
    throw new Error('handler bug');
  });
  bus.subscribe('alarms.*', () => received.push('third'));

  assert.doesNotThrow(() => bus.publish('alarms.raised', { pv: 'X:Y' }));

  assert.deepEqual(received, ['first', 'third']);
  const failures = records.filter((r) => r.msg === 'event handler failed');
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.level, pinoLevels.error);
  assert.equal(failures[0]?.topic, 'alarms.raised');
  assert.equal((failures[0]?.err as { message: string }).message, 'handler bug');
  assert.deepEqual(bus.stats(), {
    published: 1,
    delivered: 3,
    handlerErrors: 1,
    received: 0,
    dropped: 0,
    redis: 'disabled',
  });
  await bus.close();
});

test('an async handler whose promise rejects is reported instead of becoming an unhandled rejection', async () => {
  const { bus, records } = await inProcessBus();
  const reported = new Promise<void>((resolve) => {
    bus.subscribe('reports.done', async () => {
      await Promise.resolve();
      setImmediate(resolve);
      throw new Error('async handler bug');
    });
  });

  bus.publish('reports.done', {});
  await reported;

  const failure = records.find((r) => r.msg === 'event handler failed');
  assert.equal((failure?.err as { message: string }).message, 'async handler bug');
  assert.equal(bus.stats().handlerErrors, 1);
  await bus.close();
});

test('unsubscribe stops delivery, and a handler subscribed twice is removed one subscription at a time', async () => {
  const { bus } = await inProcessBus();
  const calls: number[] = [];
  const handler = (message: BusMessage<number>) => calls.push(message.payload);
  const first = bus.subscribe('ticks', handler);
  const second = bus.subscribe('ticks', handler);

  bus.publish('ticks', 1);
  first();
  bus.publish('ticks', 2);
  first();
  bus.publish('ticks', 3);
  second();
  bus.publish('ticks', 4);

  assert.deepEqual(calls, [1, 1, 2, 3]);
  await bus.close();
});

test('a handler that unsubscribes itself during delivery does not disturb the others', async () => {
  const { bus } = await inProcessBus();
  const calls: string[] = [];
  const once = bus.subscribe('ticks', () => {
    calls.push('once');
    once();
  });
  bus.subscribe('ticks', () => calls.push('always'));

  bus.publish('ticks', null);
  bus.publish('ticks', null);

  assert.deepEqual(calls, ['once', 'always', 'always']);
  await bus.close();
});

test('rejects a pattern with "*" anywhere but its end, and an empty or wildcard topic', async () => {
  const { bus } = await inProcessBus();
  for (const pattern of ['', 'jobs.*.updated', '*.updated', 'a**']) {
    assert.throws(() => bus.subscribe(pattern, () => {}), TypeError, pattern);
  }
  assert.throws(() => bus.publish('', 1), TypeError);
  assert.throws(() => bus.publish('jobs.*', 1), TypeError);
  assert.equal(bus.stats().published, 0);
  await bus.close();
});

test('after close, publishing delivers nothing and close can be called again', async () => {
  const { bus } = await inProcessBus();
  const calls: unknown[] = [];
  bus.subscribe('*', (message) => calls.push(message.payload));
  await bus.close();

  bus.publish('late', 1);
  await bus.close();

  assert.deepEqual(calls, []);
  assert.equal(bus.stats().published, 0);
});

test('instances get distinct ids by default', async () => {
  const { logger } = captureLogger();
  const [a, b] = await Promise.all([createEventBus({ logger }), createEventBus({ logger })]);
  assert.notEqual(a.instanceId, b.instanceId);
  assert.match(a.instanceId, /-\d+-[0-9a-f]{6}$/);
  await Promise.all([a.close(), b.close()]);
});

test('with Redis unreachable, publish still delivers locally, drops the remote copy with one warning and never throws', async () => {
  const { logger, records } = captureLogger();
  const bus = await createEventBus({ logger, redisUrl: 'redis://127.0.0.1:1', redisReadyTimeoutMs: 100 });
  const local: number[] = [];
  bus.subscribe('metrics.sample', (message: BusMessage<number>) => local.push(message.payload));

  for (let i = 1; i <= 3; i += 1) bus.publish('metrics.sample', i);

  assert.deepEqual(local, [1, 2, 3]);
  const stats = bus.stats();
  assert.equal(stats.dropped, 3);
  assert.equal(stats.published, 3);
  assert.equal(stats.redis, 'unavailable');
  const drops = records.filter((r) => r.msg === 'dropping events meant for other instances');
  assert.equal(drops.length, 1);
  assert.equal(drops[0]?.level, pinoLevels.warn);
  assert.ok(records.some((r) => r.msg === 'Redis is not reachable yet: events stay in this process until it is'));
  await bus.close();
});
