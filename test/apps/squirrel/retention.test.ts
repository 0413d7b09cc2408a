import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RETENTION_JOB_TYPE, RETENTION_SCHEDULE } from '../../../src/apps/squirrel/jobs/retention.ts';
import { eventually, startSquirrel } from './helpers.ts';

describe('squirrel job retention (spec §4.4 Retention)', () => {
  it('schedules the daily purge at 03:15; a run keeps jobs younger than the retention and stays out of /v1/jobs', async () => {
    const sq = await startSquirrel();
    try {
      const jobs = sq.test.server.context('squirrel').jobs;
      const schedule = (await jobs.schedules()).find((s) => s.name === RETENTION_SCHEDULE);
      assert.deepEqual([schedule?.cron, schedule?.type], ['15 3 * * *', RETENTION_JOB_TYPE]);
      const recent = await sq.call('POST', '/v1/snapshots', { title: 'empty', pv_ids: [] });
      const recentId = recent.json().job_id as string;
      await eventually(async () => ((await sq.call('GET', `/v1/jobs/${recentId}`)).json().status === 'COMPLETED' ? true : undefined), 5000, 'snapshot job done');
      const purge = await jobs.enqueue(RETENTION_JOB_TYPE, {});
      const done = await eventually(async () => {
        const job = await jobs.get(purge.id);
        return job?.status === 'completed' ? job : undefined;
      }, 5000, 'purge done');
      assert.deepEqual(done.result, { purged: 0 });
      assert.equal((await sq.call('GET', `/v1/jobs/${recentId}`)).statusCode, 200);
      assert.deepEqual((await sq.call('GET', '/v1/jobs')).json().map((j: { type: string }) => j.type), ['CREATE_SNAPSHOT']);
    } finally {
      await sq.dispose();
    }
  });
});
