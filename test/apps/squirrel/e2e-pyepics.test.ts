/**
 * Snapshot → change → compare → restore, end to end, with every value set and checked by a Channel
 * Access client we did not write: Debian's libca through pyepics (issue #4). The soft IOC, the CA
 * repeater and the pyepics peer each run in their own process; squirrel runs here with its monitor.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startPyepicsPeer, startRepeaterProcess, startSoftIocProcess, stopBySignal, type JsonLinesProcess } from '../../connectors/epics/interop-processes.ts';
import { eventually, startSquirrel, type SquirrelHarness } from './helpers.ts';

/** the values an operator saves, then the values the machine drifts to */
const SAVED: Record<string, number | string> = { 'SIM:1:SP': 11.5, 'SIM:2:SP': -22.25, 'SIM:3:SP': 33, 'SIM:4:SP': 0.125, 'SIM:STR': 'before', 'SIM:ENUM': 1 };
const DRIFTED: Record<string, number | string> = { 'SIM:1:SP': 100, 'SIM:2:SP': 200, 'SIM:3:SP': 300, 'SIM:4:SP': 400, 'SIM:STR': 'after', 'SIM:ENUM': 2 };

describe('squirrel restore verified by Debian pyepics (issue #4; spec §3.3, §4.4)', { timeout: 90_000 }, () => {
  let repeater: JsonLinesProcess;
  let ioc: JsonLinesProcess;
  let py: JsonLinesProcess | undefined;
  let skip: string | undefined;
  let epics: EpicsService;
  let sq: SquirrelHarness;

  before(async () => {
    const started = await startRepeaterProcess();
    repeater = started.repeater;
    const soft = await startSoftIocProcess(['--generate', '10', '--port', '0'], { EPICS_CA_REPEATER_PORT: String(started.port) });
    ioc = soft.ioc;
    const pyepics = await startPyepicsPeer(soft.port, started.port);
    py = pyepics.peer;
    if (!pyepics.ready) skip = `skipped: python3-pyepics not installed (${pyepics.reason})`;
    epics = new EpicsService({ env: {}, config: { addressList: [{ host: '127.0.0.1', port: soft.port }], autoAddressList: false, repeaterPort: started.port } });
    sq = await startSquirrel({ SQUIRREL_MONITOR_ENABLED: 'true', SQUIRREL_PV_MONITOR_FLUSH_MS: '20' }, undefined, { epics });
  });

  after(async () => {
    await sq?.dispose();
    await epics?.close();
    if (py) await py.request({ op: 'quit' }, 1000).catch(() => undefined);
    await py?.close();
    await ioc?.close();
    if (repeater) await stopBySignal(repeater);
  });

  const putAll = async (values: Record<string, number | string>) => {
    for (const [name, value] of Object.entries(values)) assert.deepEqual(await py!.request({ op: 'put', name, value, wait: true }), { ok: true, result: 1 }, name);
  };
  const readAll = async () => {
    const read: Record<string, unknown> = {};
    for (const name of Object.keys(SAVED)) read[name] = (await py!.request({ op: 'get', name, form: 'native' })).value;
    return read;
  };
  const finished = async (jobId: string) =>
    eventually(async () => {
      const job = (await sq.call('GET', `/v1/jobs/${jobId}`)).json();
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status) ? job : undefined;
    }, 20_000, `job ${jobId} finished`);

  it('a snapshot taken after pyepics set the values brings them back after pyepics changed them', async (t) => {
    if (skip) return t.skip(skip);
    const pvs = [
      ...[1, 2, 3, 4].map((i) => ({ setpoint_address: `SIM:${i}:SP`, readback_address: `SIM:${i}:RB` })),
      { setpoint_address: 'SIM:STR' },
      { setpoint_address: 'SIM:ENUM' },
      // the IOC refuses every write to it: the restore reports it and carries on
      { setpoint_address: 'SIM:REJECT' },
    ];
    assert.equal((await sq.call('POST', '/v1/pvs/multi', pvs)).statusCode, 200);

    await putAll(SAVED);
    // the snapshot reads the live cache: wait until the monitor has seen what pyepics wrote
    await eventually(async () => {
      const live = (await sq.call('GET', `/v1/pvs/live?pv_names=${Object.keys(SAVED).join(',')}`)).json() as Record<string, { value: unknown }>;
      return Object.entries(SAVED).every(([name, value]) => live[name]?.value === value) ? true : undefined;
    }, 5000, 'the saved values in the cache');
    const created = await sq.call('POST', '/v1/snapshots', { title: 'before the drift' });
    assert.equal(created.statusCode, 200);
    const snapshotJob = await finished(created.json().job_id);
    assert.equal(snapshotJob.status, 'COMPLETED');
    const snapshotId = snapshotJob.result_id as string;

    await putAll(DRIFTED);
    assert.deepEqual(await readAll(), DRIFTED);

    const drift = (await sq.call('GET', `/v1/snapshots/${snapshotId}/compare/live?live_source=epics&tolerance=0.01`)).json();
    assert.equal(drift.snapshot2_id, 'live');
    const differences = new Map((drift.differences as { pv_name: string; value1: unknown; value2: unknown }[]).map((d) => [d.pv_name, [d.value1, d.value2]]));
    assert.deepEqual(Object.fromEntries(differences), Object.fromEntries(Object.keys(SAVED).map((name) => [name, [SAVED[name], DRIFTED[name]]])));

    const queued = await sq.call('POST', `/v1/snapshots/${snapshotId}/restore`);
    assert.equal(queued.statusCode, 200);
    const restore = await finished(queued.json().job_id);
    assert.equal(restore.status, 'COMPLETED');
    assert.equal(restore.message, 'Restored 6/7 PVs (1 failed)');
    const result = restore.data.result as { success_count: number; failure_count: number; failures: { pv_name: string; error: string }[] };
    assert.deepEqual([result.success_count, result.failure_count, result.failures.map((f) => f.pv_name)], [6, 1, ['SIM:REJECT']]);

    // what libca reads on the IOC: every saved value is back, the enum by index and by label
    assert.deepEqual(await readAll(), SAVED);
    assert.equal((await py!.request({ op: 'get', name: 'SIM:ENUM', as_string: true })).value, 'On');
    // the readbacks followed their setpoints on the IOC (within its 0.001 noise)
    const readback = (await py!.request({ op: 'get', name: 'SIM:2:RB', form: 'time' })).value as number;
    assert.ok(Math.abs(readback - -22.25) <= 0.001, `SIM:2:RB ${readback}`);

    const settled = (await sq.call('GET', `/v1/snapshots/${snapshotId}/compare/live?live_source=epics&tolerance=0.01`)).json();
    assert.deepEqual([settled.difference_count, settled.differences], [0, []]);
  });
});
