import type { JobEngine } from '../../../core/jobs/index.ts';

export const RETENTION_JOB_TYPE = 'PURGE_FINISHED_JOBS';
export const RETENTION_SCHEDULE = 'squirrel-job-retention';
/** spec §4.4 Retention: daily at 03:15 */
const RETENTION_CRON = '15 3 * * *';
const DAY_MS = 86_400_000;

/** Finished jobs older than SQUIRREL_JOB_RETENTION_DAYS are deleted by a daily cron job (spec §4.4). */
export async function scheduleJobRetention(jobs: JobEngine, retentionDays: number): Promise<void> {
  jobs.define(RETENTION_JOB_TYPE, async () => ({ purged: await jobs.purge({ finishedBefore: Date.now() - retentionDays * DAY_MS }) }), { maxAttempts: 1 });
  await jobs.schedule(RETENTION_SCHEDULE, RETENTION_CRON, RETENTION_JOB_TYPE);
}
