import type { JobEngine } from '../../../core/jobs/index.ts';
import type { Outbound } from '../../../core/outbound/index.ts';

export const RETENTION_JOB = 'webmacs.deliveries.retention';
const DAY_MS = 86_400_000;
const DEAD_LETTER_RETENTION_DAYS = 30;
const CHUNK_ROWS = 5000;

/**
 * Spec §4.7: daily at 03:15 UTC, delivered rows older than the retention and dead letters older than
 * 30 days are deleted in chunks; pending and failed ones are never touched.
 */
export async function scheduleDeliveryRetention(jobs: JobEngine, outbound: Outbound, retentionDays: number): Promise<void> {
  jobs.define<unknown, { deleted: number }>(RETENTION_JOB, async () => {
    const now = Date.now();
    const deleted =
      (await outbound.purge('delivered', now - retentionDays * DAY_MS, CHUNK_ROWS)) +
      (await outbound.purge('dead_letter', now - DEAD_LETTER_RETENTION_DAYS * DAY_MS, CHUNK_ROWS));
    return { deleted };
  });
  await jobs.schedule(RETENTION_JOB, '15 3 * * *', RETENTION_JOB, {}, { timezone: 'UTC' });
}
