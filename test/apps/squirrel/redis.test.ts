import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { testRedisUrl } from '../../helpers/db.ts';
import { eventually, isolatedRedisNames, startSquirrel, type SquirrelHarness } from './helpers.ts';
import { openSocket } from './wsClient.ts';

const shared = {
  SQUIRREL_MONITOR_ENABLED: 'true',
  SQUIRREL_PV_MONITOR_HEARTBEAT_INTERVAL: '0.1',
  SQUIRREL_PV_MONITOR_FLUSH_MS: '20',
  SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.5',
};

describe('squirrel with Redis and two instances (spec §4.1, §4.3, §12 items 79–80)', { skip: testRedisUrl ? false : 'needs REDIS_URL' }, () => {
  let ioc: TestIoc;
  const epics: EpicsService[] = [];
  let a: SquirrelHarness;
  let b: SquirrelHarness;
  let key: string;

  const liveOn = async (sq: SquirrelHarness, name: string) =>
    ((await sq.call('GET', `/v1/pvs/live?pv_names=${name}`, undefined, key)).json() as Record<string, { value: unknown; connected: boolean }>)[name];
  const monitorOn = async (sq: SquirrelHarness) => (await sq.call('GET', '/v1/health/monitor', undefined, key)).json();

  before(async () => {
    ioc = await startTestIoc({ pairs: 2 });
    epics.push(new EpicsService({ context: ioc.context() }), new EpicsService({ context: ioc.context() }));
    const names = isolatedRedisNames();
    a = await startSquirrel({ ...shared, ...names, SQUIRREL_INSTANCE_ID: 'inst-a' }, undefined, { epics: epics[0] });
    key = a.adminKey;
    await a.call('POST', '/v1/pvs', { setpoint_address: 'T:1:SP', readback_address: 'T:1:RB' });
    await eventually(async () => ((await monitorOn(a)).monitor_running ? true : undefined), 5000, 'instance A monitoring');
    b = await startSquirrel({ ...shared, ...names, SQUIRREL_INSTANCE_ID: 'inst-b' }, { dataDir: a.test.dataDir, schemas: a.test.schemas }, { epics: epics[1] });
  });

  after(async () => {
    await b.dispose();
    await a.dispose({ keep: true }).catch(() => {});
    for (const client of epics) await client.close();
    await ioc.close();
  });

  it('§12.79 exactly one of two instances runs the monitor; the other serves its values from Redis', async () => {
    assert.deepEqual([(await monitorOn(a)).monitor_running, (await monitorOn(b)).monitor_running], [true, false]);
    assert.equal((await b.call('GET', '/v1/health/monitor/status', undefined, key)).json().leader, 'inst-a');
    const cacheStatus = (await b.call('GET', '/v1/pvs/cache/status', undefined, key)).json();
    assert.equal(cacheStatus.backend, 'redis');
    const entry = await eventually(async () => liveOn(b, 'T:1:SP'), 3000, 'T:1:SP through instance B');
    assert.deepEqual([entry.value, entry.connected], [0.1, true]);
  });

  it('§12.80 a WebSocket client on the standby instance receives diffs for values the leader monitors', async () => {
    const base = (await b.test.server.listen()).replace(/^http/, 'ws');
    const socket = await openSocket(`${base}/v1/ws/pvs`, { 'x-api-key': key });
    try {
      socket.send({ type: 'subscribe', pvNames: ['T:1:SP'] });
      await socket.next((m) => m.type === 'initial');
      ioc.ioc.set('T:1:SP', 3.5);
      const diff = await socket.next((m) => m.type === 'diff', 3000);
      assert.equal((diff.data as Record<string, { value: number }>)['T:1:SP']!.value, 3.5);
      assert.equal((await b.call('GET', '/v1/ws/status', undefined, key)).json().multi_instance_enabled, true);
    } finally {
      socket.ws.terminate();
    }
  });

  it('§12.80 circuit force actions sent to the standby take effect on the leader', async () => {
    const res = await b.call('POST', '/v1/health/circuits/BPM:LI22/open', undefined, key);
    assert.deepEqual(res.json(), { success: true, message: "Circuit 'BPM:LI22' forced open" });
    const onLeader = (await a.call('GET', '/v1/health/circuits', undefined, key)).json();
    assert.deepEqual([onLeader.open_circuits, onLeader.circuits['BPM:LI22'].forced, onLeader.error], [['BPM:LI22'], true, null]);
    const throughStandby = (await b.call('GET', '/v1/health/circuits', undefined, key)).json();
    assert.deepEqual(throughStandby.open_circuits, ['BPM:LI22']);
  });

  it('§12.72 a PV created on the standby instance is monitored by the leader within 2 s', async () => {
    assert.equal((await b.call('POST', '/v1/pvs', { setpoint_address: 'T:2:SP' }, key)).statusCode, 200);
    const entry = await eventually(async () => liveOn(b, 'T:2:SP'), 2000, 'T:2:SP cached by the leader');
    assert.equal(entry.value, 0.2);
  });

  it('§12.79 when the leader stops, the other instance takes the lock and cache updates resume', async () => {
    await a.dispose({ keep: true });
    await eventually(async () => ((await monitorOn(b)).monitor_running ? true : undefined), 15_000, 'instance B leading');
    ioc.ioc.set('T:2:SP', 4.25);
    const entry = await eventually(async () => {
      const found = await liveOn(b, 'T:2:SP');
      return found?.value === 4.25 ? found : undefined;
    }, 3000, 'the new value through instance B');
    assert.equal(entry.connected, true);
    assert.equal((await b.call('GET', '/v1/health/monitor/status', undefined, key)).json().leader, 'inst-b');
  });
});
