import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { eventually, startSquirrel, type SquirrelHarness } from './helpers.ts';

const MONITOR_ENV = {
  SQUIRREL_MONITOR_ENABLED: 'true',
  SQUIRREL_INSTANCE_ID: 'mon-a',
  SQUIRREL_PV_MONITOR_HEARTBEAT_INTERVAL: '0.1',
  SQUIRREL_PV_MONITOR_FLUSH_MS: '20',
  SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.5',
};

describe('squirrel PV monitor and its health (spec §4.2, §3.7, §12 items 71–74, 78)', () => {
  let ioc: TestIoc;
  let epics: EpicsService;
  let sq: SquirrelHarness;

  const live = async (names: string[]) => (await sq.call('GET', `/v1/pvs/live?pv_names=${names.join(',')}`)).json() as Record<string, { value: unknown; connected: boolean; error?: string; units?: string }>;

  before(async () => {
    ioc = await startTestIoc({ pairs: 3 });
    epics = new EpicsService({ context: ioc.context() });
    sq = await startSquirrel(MONITOR_ENV, undefined, { epics });
    await sq.call('POST', '/v1/pvs/multi', [
      { setpoint_address: 'T:1:SP', readback_address: 'T:1:RB' },
      { setpoint_address: 'T:2:SP', readback_address: 'T:2:RB' },
    ]);
  });

  after(async () => {
    await sq.dispose();
    await epics.close();
    await ioc.close();
  });

  it('§12.72 a PV created through the API reaches the cache within 2 s, without a restart', async () => {
    const created = await sq.call('POST', '/v1/pvs', { setpoint_address: 'T:3:SP', readback_address: 'T:3:RB', config_address: 'T:STR' });
    assert.equal(created.statusCode, 200);
    const entries = await eventually(async () => {
      const found = await live(['T:3:SP', 'T:3:RB', 'T:STR']);
      return found['T:3:SP'] && found['T:3:RB'] ? found : undefined;
    }, 2000, 'T:3 cached');
    assert.deepEqual([entries['T:3:SP']!.value, entries['T:3:SP']!.connected], [0.3, true]);
    // config addresses are not monitored (spec §4.2 Address set)
    assert.equal(entries['T:STR'], undefined);
  });

  it('§12.72 deleting a PV removes its addresses from the cache', async () => {
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'T:LONG' })).json();
    await eventually(async () => ((await live(['T:LONG']))['T:LONG'] ? true : undefined), 2000, 'T:LONG cached');
    assert.equal((await sq.call('DELETE', `/v1/pvs/${pv.id}`)).statusCode, 200);
    await eventually(async () => ((await live(['T:LONG']))['T:LONG'] ? undefined : true), 2000, 'T:LONG gone');
  });

  it('§12.71 with the monitor running, the heartbeat is alive and monitor/status names the leader', async () => {
    const heartbeat = await eventually(async () => {
      const body = (await sq.call('GET', '/v1/health/heartbeat')).json();
      return body.alive ? body : undefined;
    }, 2000, 'heartbeat alive');
    assert.ok(heartbeat.age_seconds < 5);
    assert.equal(typeof heartbeat.timestamp, 'number');
    const status = (await sq.call('GET', '/v1/health/monitor/status')).json();
    assert.deepEqual([status.healthy, status.status, status.message, status.leader], [true, 'healthy', 'Monitor process is alive', 'mon-a']);
    const monitor = (await sq.call('GET', '/v1/health/monitor')).json();
    assert.deepEqual([monitor.alive, monitor.monitor_running, monitor.watchdog_running, monitor.watchdog_last_check], [true, true, true, null]);
    assert.ok(monitor.monitored_pvs >= 4);
    assert.equal((await sq.call('GET', '/v1/health')).json().monitor, 'healthy');
  });

  it('§12.74 an address no IOC serves is listed as disconnected, sorted, after the connect timeout', async () => {
    await sq.call('POST', '/v1/pvs/multi', [{ setpoint_address: 'NOPE:B' }, { setpoint_address: 'NOPE:A' }]);
    const body = await eventually(async () => {
      const res = (await sq.call('GET', '/v1/health/disconnected')).json();
      return res.count === 2 ? res : undefined;
    }, 3000, 'two disconnected');
    assert.deepEqual(body, { count: 2, pvs: ['NOPE:A', 'NOPE:B'] });
    const entry = (await live(['NOPE:A']))['NOPE:A']!;
    assert.deepEqual([entry.value, entry.connected, entry.error], [null, false, 'Disconnected from IOC']);
  });

  it('§12.78 the summary is degraded with the disconnection rate when over 10 % are disconnected', async () => {
    const summary = (await sq.call('GET', '/v1/health/summary')).json();
    assert.equal(summary.status, 'degraded');
    assert.equal(summary.monitor_alive, true);
    assert.equal(summary.disconnected_pvs, 2);
    assert.ok(summary.issues.includes(`High disconnection rate: ${summary.disconnected_percentage}%`), JSON.stringify(summary));
    assert.equal(summary.disconnected_percentage, Math.round((2 / summary.total_pvs) * 10000) / 100);
  });

  it('§12.74 stale lists connected PVs quiet for longer than max_age_seconds; a bad threshold is 422', async () => {
    // the test IOC's values never change, so every connected PV goes quiet
    const body = await eventually(async () => {
      const res = (await sq.call('GET', '/v1/health/stale?max_age_seconds=0.5')).json();
      return res.count === 6 ? res : undefined;
    }, 3000, 'six stale');
    assert.deepEqual(body, { count: 6, threshold_seconds: 0.5, pvs: ['T:1:RB', 'T:1:SP', 'T:2:RB', 'T:2:SP', 'T:3:RB', 'T:3:SP'] });
    const bad = await sq.call('GET', '/v1/health/stale?max_age_seconds=0');
    assert.deepEqual([bad.statusCode, bad.json().code], [422, 'validation_error']);
  });

  it('§12.73 when the IOC goes away the PVs show disconnected, and come back once it accepts connections again', async () => {
    // stop rather than drop: after a drop the client reconnects so fast that a poll can miss the gap
    await ioc.ioc.stop();
    await eventually(async () => ((await live(['T:1:SP']))['T:1:SP']?.connected === false ? true : undefined), 5000, 'T:1:SP disconnected');
    ioc.ioc.set('T:1:SP', 7.5);
    await ioc.ioc.start();
    const back = await eventually(async () => {
      const entry = (await live(['T:1:SP']))['T:1:SP'];
      return entry?.connected && entry.value === 7.5 ? entry : undefined;
    }, 5000, 'T:1:SP reconnected with the new value');
    assert.equal(back.units, 'A');
  });
});

describe('squirrel monitor disabled (spec §12 item 71)', () => {
  it('§12.71 with the monitor disabled, monitor/status is unknown and the heartbeat is not alive', async () => {
    const sq = await startSquirrel();
    try {
      const status = (await sq.call('GET', '/v1/health/monitor/status')).json();
      assert.deepEqual([status.healthy, status.status], [false, 'unknown']);
      assert.deepEqual((await sq.call('GET', '/v1/health/heartbeat')).json(), { timestamp: null, alive: false, age_seconds: null });
      assert.equal((await sq.call('GET', '/v1/health')).json().monitor, 'disabled');
      assert.equal((await sq.call('GET', '/v1/health/summary')).json().status, 'unhealthy');
    } finally {
      await sq.dispose();
    }
  });
});
