import type { JobEngine } from '../../../core/jobs/index.ts';
import { nowMicros } from '../time.ts';
import type { WebhooksRepo } from './repo.ts';

export const RETENTION_JOB = 'webmacs.deliveries.retention';
const DAY_US = 86_400_000_000;
const DEAD_LETTER_RETENTION_DAYS = 30;
const CHUNK_ROWS = 5000;

/**
 * Spec §4.7: daily at 03:15 UTC, delivered rows older than the retention and dead letters older than
 * 30 days are deleted in chunks; pending and failed ones are never touched.
 */
export async function scheduleDeliveryRetention(jobs: JobEngine, repo: WebhooksRepo, retentionDays: number): Promise<void> {
  jobs.define<unknown, { deleted: number }>(RETENTION_JOB, async () => {
    const now = nowMicros();
    const deleted =
      (await repo.purgeDeliveries('delivered', now - retentionDays * DAY_US, CHUNK_ROWS)) +
      (await repo.purgeDeliveries('dead_letter', now - DEAD_LETTER_RETENTION_DAYS * DAY_US, CHUNK_ROWS));
    return { deleted };
  });
  await jobs.schedule(RETENTION_JOB, '15 3 * * *', RETENTION_JOB, {}, { timezone: 'UTC' });
}
