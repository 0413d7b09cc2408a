import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { eventually, startSquirrel, type SquirrelHarness } from './helpers.ts';

const DEAD = ['DEAD:1:A', 'DEAD:1:B', 'DEAD:1:C', 'DEAD:1:D', 'DEAD:1:E'];

describe('squirrel watchdog and circuit breakers (spec §4.3, §3.7, §12 items 75–77)', () => {
  let ioc: TestIoc;
  let epics: EpicsService;
  let sq: SquirrelHarness;

  const circuits = async () => (await sq.call('GET', '/v1/health/circuits')).json();
  const check = async () => {
    const res = await sq.call('POST', '/v1/health/watchdog/check');
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  /** the test IOC's values never change, so every PV goes stale once the threshold has passed */
  const allQuiet = () =>
    eventually(async () => ((await sq.call('GET', '/v1/health/stale?max_age_seconds=0.3')).json().count === 5 ? true : undefined), 5000, 'five quiet PVs');

  before(async () => {
    ioc = await startTestIoc({ pairs: 1, extra: DEAD.map((name) => ({ name, type: 'double', value: 1 })) });
    epics = new EpicsService({ context: ioc.context() });
    sq = await startSquirrel(
      {
        SQUIRREL_MONITOR_ENABLED: 'true',
        SQUIRREL_PV_MONITOR_FLUSH_MS: '20',
        SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.3',
        SQUIRREL_WATCHDOG_STALE_THRESHOLD: '0.3',
        SQUIRREL_WATCHDOG_RECONNECT_TIMEOUT: '0.3',
        SQUIRREL_WATCHDOG_CHECK_INTERVAL: '3600',
        SQUIRREL_CIRCUIT_RESET_TIMEOUT: '0.5',
      },
      undefined,
      { epics },
    );
    await sq.call('POST', '/v1/pvs/multi', DEAD.map((setpoint_address) => ({ setpoint_address })));
    await allQuiet();
  });

  after(async () => {
    await sq.dispose();
    await epics.close();
    await ioc.close();
  });

  it('§12.75 a forced check returns the stats with check_count incremented', async () => {
    const before = (await sq.call('GET', '/v1/health/watchdog')).json();
    assert.deepEqual([before.enabled, before.running], [true, true]);
    const after = await check();
    assert.equal(after.check_count, before.check_count + 1);
    assert.equal(after.stale_count, 5);
    assert.match(after.last_check, /Z$/);
  });

  it('§12.75–76 during a freeze the watchdog marks stale PVs disconnected, and five failures open the IOC prefix circuit', async () => {
    await allQuiet();
    ioc.ioc.freeze(1500);
    const stats = await check();
    assert.equal(stats.last_errors.length, 5);
    const live = (await sq.call('GET', `/v1/pvs/live?pv_names=${DEAD.join(',')}`)).json();
    for (const name of DEAD) {
      assert.equal(live[name].connected, false);
      assert.equal(typeof live[name].error, 'string');
    }
    const open = await circuits();
    assert.deepEqual([open.open_circuits, open.circuits['DEAD:1'].state, open.circuits['DEAD:1'].failures], [['DEAD:1'], 'OPEN', 5]);
  });

  it('§12.76 the open circuit half-opens after the reset timeout, and a successful trial read closes it', async () => {
    await eventually(async () => ((await circuits()).circuits['DEAD:1'].state === 'HALF_OPEN' ? true : undefined), 3000, 'HALF_OPEN');
    // the freeze is over once the IOC answers a read again
    await eventually(async () => ((await epics.getMany(['DEAD:1:A'], { connectTimeoutMs: 200, timeoutMs: 200 }))[0]!.ok ? true : undefined), 3000, 'IOC answering');
    const stats = await check();
    assert.ok(stats.successful_reconnects >= 1, JSON.stringify(stats));
    const circuit = (await circuits()).circuits['DEAD:1'];
    assert.deepEqual([circuit.state, circuit.failures], ['CLOSED', 0]);
    const entry = (await sq.call('GET', '/v1/pvs/live?pv_names=DEAD:1:A')).json()['DEAD:1:A'];
    assert.deepEqual([entry.connected, entry.value], [true, 1]);
  });

  it('§12.77 force open and close answer {success,message}; an unknown name is created; forced open stays OPEN', async () => {
    assert.deepEqual((await sq.call('POST', '/v1/health/circuits/BPM:LI22/open')).json(), { success: true, message: "Circuit 'BPM:LI22' forced open" });
    await sleep(700); // longer than the 0.5 s reset timeout, which a forced circuit ignores
    const forced = (await circuits()).circuits['BPM:LI22'];
    assert.deepEqual([forced.state, forced.forced], ['OPEN', true]);
    assert.deepEqual((await sq.call('POST', '/v1/health/circuits/BPM:LI22/close')).json(), { success: true, message: "Circuit 'BPM:LI22' forced closed" });
    const closed = (await circuits()).circuits['BPM:LI22'];
    assert.deepEqual([closed.state, closed.forced, closed.failures], ['CLOSED', false, 0]);
    const bad = await sq.call('POST', '/v1/health/circuits/a%20b/open');
    assert.deepEqual([bad.statusCode, bad.json().code], [422, 'validation_error']);
  });
});

describe('squirrel watchdog without a monitor (spec §3.7)', () => {
  it('a forced check with the monitor off gives 503 watchdog_check_failed; the stats still answer', async () => {
    const sq = await startSquirrel();
    try {
      const res = await sq.call('POST', '/v1/health/watchdog/check');
      assert.deepEqual([res.statusCode, res.json().code], [503, 'watchdog_check_failed']);
      const stats = (await sq.call('GET', '/v1/health/watchdog')).json();
      assert.deepEqual([stats.enabled, stats.running, stats.check_count, stats.last_check], [true, false, 0, null]);
      const disabled = await startSquirrel({ SQUIRREL_WATCHDOG_ENABLED: 'false' });
      try {
        const off = await disabled.call('POST', '/v1/health/watchdog/check');
        assert.deepEqual([off.statusCode, off.json().detail], [503, 'Watchdog check failed: the watchdog is disabled']);
      } finally {
        await disabled.dispose();
      }
    } finally {
      await sq.dispose();
    }
  });
});
