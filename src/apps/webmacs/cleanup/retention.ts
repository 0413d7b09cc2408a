import type { AppDatabase } from '../../../core/db/index.ts';
import type { JobEngine } from '../../../core/jobs/index.ts';
import type { SeriesCache } from '../datapoints/series-cache.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { nowMicros } from '../time.ts';
import type { CleanupRepo } from './repo.ts';

export const DATAPOINT_RETENTION_JOB = 'webmacs.datapoints.retention';
const DAILY_0330_UTC = '30 3 * * *';
const DAY_MICROS = 86_400_000_000;

export interface RetentionResult {
  deleted: number;
  partitions_dropped: string[];
}

export interface DatapointRetention {
  database: AppDatabase<WebmacsDatabase>;
  repo: CleanupRepo;
  series: SeriesCache;
  retentionDays: number;
  chunkRows: number;
}

/**
 * One pass of spec §4.7 `webmacs.datapoints.retention`: rows older than the retention go. On Postgres
 * a partition lying wholly before the cutoff is dropped at once; the rest (SQLite, the default and the
 * straddling partitions) is deleted in chunks. Series caches are invalidated when anything went.
 */
export async function purgeExpiredDatapoints({ database, repo, series, retentionDays, chunkRows }: DatapointRetention, now = nowMicros()): Promise<RetentionResult> {
  const cutoff = now - retentionDays * DAY_MICROS;
  const dropped: string[] = [];
  if (database.dialect.name === 'postgres') {
    for (const partition of await repo.datapointPartitions()) {
      if (partition.to > cutoff) continue;
      await repo.dropDatapointPartition(partition.name);
      dropped.push(partition.name);
    }
  }
  const deleted = await repo.deleteDatapointsBefore(cutoff, chunkRows);
  if (deleted || dropped.length) series.invalidate();
  return { deleted, partitions_dropped: dropped };
}

/** Daily at 03:30 UTC, once across instances, only while a retention is configured. */
export async function scheduleDatapointRetention(jobs: JobEngine, retention: DatapointRetention): Promise<void> {
  if (retention.retentionDays <= 0) {
    await jobs.unschedule(DATAPOINT_RETENTION_JOB);
    return;
  }
  jobs.define<unknown, RetentionResult>(DATAPOINT_RETENTION_JOB, () => purgeExpiredDatapoints(retention), { singleton: true });
  await jobs.schedule(DATAPOINT_RETENTION_JOB, DAILY_0330_UTC, DATAPOINT_RETENTION_JOB, {}, { timezone: 'UTC' });
}
