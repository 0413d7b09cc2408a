import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryCache } from '../../../src/apps/squirrel/live/cache.ts';
import type { CacheEntry } from '../../../src/apps/squirrel/live/entry.ts';
import { eventually, startSquirrel, type SquirrelHarness } from './helpers.ts';
import { openSocket, type TestSocket } from './wsClient.ts';

const entry = (value: unknown, extra: Partial<CacheEntry> = {}): CacheEntry => ({
  value,
  connected: true,
  updated_at: 1768473000.5,
  status: 'NO_ALARM',
  status_code: 0,
  severity: 0,
  timestamp: 1768472999.998123,
  units: 'kG',
  ...extra,
});
const isType = (type: string) => (message: Record<string, unknown>) => message.type === type;

describe('squirrel WebSocket (spec §3.8, §4.5, §12 items 81–89)', () => {
  const cache = createMemoryCache();
  let sq: SquirrelHarness;
  let base: string;
  const sockets: TestSocket[] = [];

  async function connect(path: string, key: string | null = sq.adminKey): Promise<TestSocket> {
    const socket = await openSocket(`${base}${path}`, key === null ? {} : { 'x-api-key': key });
    sockets.push(socket);
    return socket;
  }

  before(async () => {
    sq = await startSquirrel({ SQUIRREL_WS_HEARTBEAT_INTERVAL: '0.3' }, undefined, { cache });
    base = (await sq.test.server.listen()).replace(/^http/, 'ws');
    await sq.call('POST', '/v1/pvs/multi', [{ setpoint_address: 'WS:A', readback_address: 'WS:B' }, { setpoint_address: 'WS:C' }]);
    await cache.write(new Map([['WS:A', entry(1)], ['WS:B', entry(2)]]));
  });

  after(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await sq.dispose();
  });

  it('§12.81 no key, an unknown key or a write-only key is closed with 1008; ?api_key= works like the header', async () => {
    assert.deepEqual(await (await connect('/ws', null)).closed, { code: 1008, reason: 'invalid_api_key' });
    assert.deepEqual(await (await connect('/ws', 'sq_unknownunknownunknownunknown')).closed, { code: 1008, reason: 'invalid_api_key' });
    const writeOnly = await sq.keyWith(false, true);
    assert.deepEqual(await (await connect('/v1/ws/pvs', writeOnly)).closed, { code: 1008, reason: 'insufficient_read_access' });
    const byQuery = await connect(`/ws?api_key=${sq.adminKey}`, null);
    byQuery.send({ action: 'ping' });
    assert.equal((await byQuery.next()).type, 'pong');
  });

  it('§12.82 dialect T: initial carries only cached names, changes arrive as diff, unsubscribe stops them', async () => {
    const socket = await connect('/v1/ws/pvs');
    socket.send({ type: 'subscribe', pvNames: ['WS:C'] });
    socket.send({ type: 'ping' });
    // nothing cached: no initial, so the pong comes first
    assert.equal((await socket.next()).type, 'pong');
    socket.send({ type: 'subscribe', pvNames: ['WS:A', 'WS:X'] });
    assert.deepEqual(await socket.next(), { type: 'initial', data: { 'WS:A': entry(1) }, count: 1 });
    const sent = Date.now();
    await cache.write(new Map([['WS:A', entry(1.5)]]));
    const diff = await socket.next(isType('diff'));
    assert.ok(Date.now() - sent < 300, `diff after ${Date.now() - sent} ms`);
    assert.deepEqual([diff.data, diff.count, typeof diff.timestamp], [{ 'WS:A': entry(1.5) }, 1, 'number']);
    socket.send({ type: 'unsubscribe', pvNames: ['WS:A'] });
    socket.send({ type: 'list_subscriptions' });
    assert.deepEqual(await socket.next(), { type: 'subscriptions', pvNames: ['WS:C', 'WS:X'] });
    await cache.write(new Map([['WS:A', entry(9)], ['WS:C', entry(3)]]));
    assert.deepEqual((await socket.next(isType('diff'))).data, { 'WS:C': entry(3) });
  });

  it('§12.83 dialect A: subscribed with initial values, PV not found for unknown names, update and batch_update', async () => {
    const socket = await connect('/ws');
    socket.send({ action: 'subscribe', pv_names: ['WS:A', 'WS:B', 'NOPE:1'] });
    const subscribed = await socket.next();
    assert.deepEqual(subscribed, {
      type: 'subscribed',
      pv_names: ['WS:A', 'WS:B', 'NOPE:1'],
      initial_values: {
        'WS:A': { pv_name: 'WS:A', value: 9, timestamp: '2026-01-15T10:29:59.998123Z', status: 0, severity: 0, connected: true, units: 'kG' },
        'WS:B': { pv_name: 'WS:B', value: 2, timestamp: '2026-01-15T10:29:59.998123Z', status: 0, severity: 0, connected: true, units: 'kG' },
      },
    });
    assert.deepEqual(await socket.next(), { type: 'error', message: 'PV not found: NOPE:1' });
    await cache.write(new Map([['WS:A', entry(10)]]));
    const update = await socket.next(isType('update'));
    assert.deepEqual([update.pv_name, update.value], ['WS:A', 10]);
    await cache.write(new Map([['WS:A', entry(11)], ['WS:B', { value: null, connected: false, updated_at: 1768473001, error: 'Disconnected from IOC' }]]));
    const batch = await socket.next(isType('batch_update'));
    assert.deepEqual(batch.updates, [
      { pv_name: 'WS:A', value: 11, timestamp: '2026-01-15T10:29:59.998123Z', status: 0, severity: 0, connected: true, units: 'kG' },
      { pv_name: 'WS:B', value: null, timestamp: null, status: 0, severity: 0, connected: false, error: 'Disconnected from IOC' },
    ]);
  });

  it('§12.84 /ws pushes in A by default, /v1/ws/live in T; a client that switches dialect gets pushes in the new one', async () => {
    const live = await connect('/v1/ws/live');
    live.send({ action: 'subscribe', pv_names: ['WS:C'] });
    assert.equal((await live.next()).type, 'subscribed');
    // the last valid message was in A, so pushes are A now
    await cache.write(new Map([['WS:C', entry(4)]]));
    assert.equal((await live.next(isType('update'))).value, 4);
    live.send({ type: 'ping' });
    assert.equal(typeof (await live.next(isType('pong'))).timestamp, 'number');
    await cache.write(new Map([['WS:C', entry(5)]]));
    assert.deepEqual((await live.next(isType('diff'))).data, { 'WS:C': entry(5) });
  });

  it('§12.85 heartbeats arrive on schedule in the client\'s dialect with monitor_alive', async () => {
    const a = await connect('/ws');
    const t = await connect('/v1/ws/pvs');
    const heartbeatA = await a.next(isType('heartbeat'));
    assert.deepEqual(Object.keys(heartbeatA).sort(), ['monitor_alive', 'timestamp', 'type']);
    assert.match(String(heartbeatA.timestamp), /^\d{4}-\d\d-\d\dT/);
    assert.equal(heartbeatA.monitor_alive, false);
    const heartbeatT = await t.next(isType('heartbeat'));
    assert.deepEqual([typeof heartbeatT.timestamp, heartbeatT.monitor_heartbeat, heartbeatT.monitor_alive], ['number', null, false]);
    const first = Date.now();
    await t.next(isType('heartbeat'));
    const gap = Date.now() - first;
    assert.ok(gap > 150 && gap < 1000, `heartbeat gap ${gap} ms for a 300 ms period`);
  });

  it('§12.86 ten updates of one PV within one window reach the client as one value, the latest', async () => {
    const socket = await connect('/v1/ws/pvs');
    socket.send({ type: 'subscribe', pvNames: ['WS:B'] });
    await socket.next(isType('initial'));
    for (let i = 1; i <= 10; i++) await cache.write(new Map([['WS:B', entry(100 + i)]]));
    const diff = await socket.next(isType('diff'));
    assert.deepEqual([diff.count, (diff.data as Record<string, CacheEntry>)['WS:B']!.value], [1, 110]);
  });

  it('§12.87 invalid JSON and binary frames get an error and the connection stays usable; a 2 MiB message closes it with 1009', async () => {
    const socket = await connect('/ws');
    socket.send('{not json');
    assert.deepEqual(await socket.next(), { type: 'error', message: 'Invalid JSON' });
    socket.send('[1,2]');
    assert.deepEqual(await socket.next(), { type: 'error', message: 'Invalid JSON' });
    socket.ws.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await socket.next(), { type: 'error', message: 'Binary frames are not supported' });
    socket.send({ action: 'dance' });
    assert.deepEqual(await socket.next(), { type: 'error', message: 'Unknown action: dance' });
    socket.send({ action: 'subscribe', pv_names: 'WS:A' });
    assert.equal((await socket.next()).type, 'error');
    socket.send({ action: 'ping' });
    assert.equal((await socket.next()).type, 'pong');
    socket.send(JSON.stringify({ action: 'subscribe', pv_names: ['x'.repeat(2 * 1024 * 1024)] }));
    assert.equal((await socket.closed).code, 1009);
  });

  it('§12.89 ping gives pong, get_all gives all_values, /v1/ws/status counts connections and subscriptions', async () => {
    const socket = await connect('/ws');
    socket.send({ action: 'ping' });
    assert.match(String((await socket.next()).timestamp), /Z$/);
    socket.send({ type: 'get_all' });
    const all = await socket.next(isType('all_values'));
    assert.deepEqual([all.count, Object.keys(all.values as object).sort()], [3, ['WS:A', 'WS:B', 'WS:C']]);
    socket.send({ action: 'subscribe', pv_names: ['WS:A', 'WS:C'] });
    await socket.next(isType('subscribed'));
    const status = (await sq.call('GET', '/v1/ws/status')).json();
    const open = sockets.filter((s) => s.ws.readyState === s.ws.OPEN).length;
    assert.equal(status.active_connections, open);
    assert.equal(status.batch_interval_ms, 100);
    assert.equal(status.multi_instance_enabled, false);
    assert.ok(status.total_subscriptions >= 2 && status.unique_pvs_subscribed >= 2, JSON.stringify(status));
  });
});

describe('squirrel WebSocket slow consumers (spec §3.8, §12 item 88)', () => {
  it('§12.88 a client that stops reading while its PVs change fast is closed; other clients keep receiving', async () => {
    const cache = createMemoryCache();
    const sq = await startSquirrel({ SQUIRREL_WS_MAX_BUFFERED_BYTES: '65536', SQUIRREL_WS_SLOW_CONSUMER_TIMEOUT_S: '0.5' }, undefined, { cache });
    const base = (await sq.test.server.listen()).replace(/^http/, 'ws');
    const slow = await openSocket(`${base}/v1/ws/pvs`, { 'x-api-key': sq.adminKey });
    const healthy = await openSocket(`${base}/v1/ws/pvs`, { 'x-api-key': sq.adminKey });
    const names = Array.from({ length: 20 }, (_, i) => `BIG:${i}`);
    let pushing: NodeJS.Timeout | undefined;
    try {
      slow.send({ type: 'subscribe', pvNames: names });
      healthy.send({ type: 'subscribe', pvNames: ['BIG:0'] });
      // the slow client stops reading: its TCP window fills, then the server's send buffer
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      let round = 0;
      const payload = 'x'.repeat(100_000);
      pushing = setInterval(() => {
        round += 1;
        void cache.write(new Map(names.map((name) => [name, entry(`${round}:${payload}`)])));
      }, 50);
      await eventually(async () => ((await sq.call('GET', '/v1/ws/status')).json().active_connections === 1 ? true : undefined), 15_000, 'slow client dropped');
      const before = round;
      const diff = await healthy.next((m) => m.type === 'diff' && Number(String((m.data as Record<string, CacheEntry>)['BIG:0']!.value).split(':')[0]) > before, 2000);
      assert.equal(diff.count, 1);
    } finally {
      clearInterval(pushing);
      slow.ws.terminate();
      healthy.ws.terminate();
      await sq.dispose();
    }
  });
});
