import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EpicsClient } from '../../../src/connectors/epics/index.ts';
import { restoreValues, type RestoreTarget } from '../../../src/apps/squirrel/snapshots/restore.ts';

const WRITES = 1000;

/** The one thing restoreValues asks of the client: putMany settling each write in turn, as the CA client reports them. */
const settlingClient = {
  async putMany(writes: readonly unknown[], options: { onProgress?(done: number, total: number): void } = {}) {
    for (let done = 1; done <= writes.length; done++) options.onProgress?.(done, writes.length);
    return writes.map(() => ({ ok: true as const }));
  },
} as unknown as EpicsClient;

const target = (i: number): RestoreTarget => ({
  pv_id: `pv-${i}`,
  pv_name: `PV:${i}`,
  setpoint_name: `PV:${i}:SP`,
  setpoint_value: i,
  read_only: false,
  abs_tolerance: 0,
  rel_tolerance: 0,
});

describe('squirrel restore progress', () => {
  it('reports before the first write and then once per new percent, each with the writes done so far', async () => {
    const reports: { percent: number; message: string; processed: unknown }[] = [];
    const result = await restoreValues(Array.from({ length: WRITES }, (_, i) => target(i)), settlingClient, { connectTimeoutMs: 1000, timeoutMs: 1000, chunkSize: 100 }, {
      progress: async (percent, message, data) => void reports.push({ percent, message, processed: data?.processed }),
    });
    assert.equal(result.success_count, WRITES);
    assert.deepEqual(reports[0], { percent: 10, message: `Restored 0/${WRITES} PVs`, processed: 0 });
    const percents = reports.map((report) => report.percent);
    assert.deepEqual(percents, Array.from({ length: 86 }, (_, i) => 10 + i), 'every percent from 10 to 95, once');
    for (const report of reports) assert.equal(report.message, `Restored ${report.processed}/${WRITES} PVs`);
    assert.equal(reports.at(-1)!.processed, WRITES);
  });
});
