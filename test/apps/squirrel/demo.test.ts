import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startSquirrel, type SquirrelHarness } from './helpers.ts';

const DEMO_ENV = {
  SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.5',
  SQUIRREL_SOFT_IOC: 'demo',
  SQUIRREL_DEMO_SEED: 'true',
  SQUIRREL_MONITOR_ENABLED: 'true',
  SQUIRREL_PV_MONITOR_FLUSH_MS: '20',
};

describe('squirrel demo mode: in-process soft IOC and seeded PVs (spec §5.4, §4.5)', () => {
  let sq: SquirrelHarness;
  const live = async (name: string) => (await sq.call('GET', `/v1/pvs/live?pv_names=${name}`)).json()[name] as { value: number; connected: boolean } | undefined;

  before(async () => {
    sq = await startSquirrel(DEMO_ENV);
  });
  after(() => sq.dispose());

  it('registers the generated PVs with the tag groups Area and Subsystem', async () => {
    const page = (await sq.call('GET', '/v1/pvs/paged?include_total=true&limit=1')).json();
    assert.equal(page.total_count, 159);
    const groups = (await sq.call('GET', '/v1/tags')).json() as { name: string; tag_count: number }[];
    assert.deepEqual(groups.map((g) => [g.name, g.tag_count]), [['Area', 4], ['Subsystem', 4]]);
    const quad = (await sq.call('GET', '/v1/pvs?query=SIM:1:SP')).json()[0];
    assert.deepEqual([quad.setpoint_address, quad.readback_address, quad.device, quad.tags.length], ['SIM:1:SP', 'SIM:1:RB', 'SIM:1', 2]);
    const readOnly = (await sq.call('GET', '/v1/pvs?query=SIM:RO')).json()[0];
    assert.deepEqual([readOnly.read_only, readOnly.readback_address], [true, null]);
  });

  it('the monitor reads the in-process IOC, and drifting setpoints show moving values', async () => {
    // Under load the first search can outlast the 0.5 s connection timeout: the PV is then cached as
    // disconnected until the channel connects, which is the behaviour under test for the value stream.
    const first = await eventually(async () => {
      const entry = await live('SIM:3:SP');
      return entry?.connected ? entry : undefined;
    }, 10_000, 'SIM:3:SP cached as connected');
    const moved = await eventually(async () => {
      const now = await live('SIM:3:SP');
      return now && now.value !== first.value ? now : undefined;
    }, 5000, 'SIM:3:SP moving');
    assert.equal(moved.connected, true);
    assert.equal((await live('SIM:1:SP'))?.value, 0.1);
  });

  it('test-epics reads one PV through its circuit breaker and shows failures in a 200 body', async () => {
    const ok = (await sq.call('GET', '/v1/pvs/test-epics?pv=SIM:1:SP')).json();
    assert.deepEqual([ok.pv, ok.connected, ok.value, ok.error], ['SIM:1:SP', true, 0.1, null]);
    assert.match(ok.environment.EPICS_CA_ADDR_LIST, /^127\.0\.0\.1:\d+$/);
    assert.equal(ok.environment.EPICS_CA_AUTO_ADDR_LIST, 'NO');
    const missing = await sq.call('GET', '/v1/pvs/test-epics?pv=NOPE:X:Y');
    assert.equal(missing.statusCode, 200);
    assert.deepEqual([missing.json().connected, missing.json().value, typeof missing.json().error], [false, null, 'string']);
    assert.equal((await sq.call('GET', '/v1/health/circuits')).json().circuits['NOPE:X'].failures, 1);
    assert.equal((await sq.call('GET', '/v1/pvs/test-epics')).statusCode, 422);
  });

  it('a restart over the same data does not seed again', async () => {
    const second = await startSquirrel({ ...DEMO_ENV, SQUIRREL_MONITOR_ENABLED: 'false' }, { dataDir: sq.test.dataDir, schemas: sq.test.schemas });
    try {
      const page = (await second.call('GET', '/v1/pvs/paged?include_total=true&limit=1', undefined, sq.adminKey)).json();
      assert.equal(page.total_count, 159);
    } finally {
      await second.dispose({ keep: true });
    }
  });
});
