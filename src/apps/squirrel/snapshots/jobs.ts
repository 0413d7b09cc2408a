import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { AppDatabase } from '../../../core/db/index.ts';
import { AppError } from '../../../core/http/index.ts';
import { PermanentJobError, type JobEngine, type JobRecord } from '../../../core/jobs/index.ts';
import type { SquirrelJobResult } from '../jobs/service.ts';
import type { SquirrelSettings } from '../settings.ts';
import { capReport, restoreMessage, restoreValues, type RestoreSettings } from './restore.ts';
import type { RestoreRequest, SnapshotRequest, SnapshotService } from './service.ts';

/**
 * A queued restore whose snapshot was deleted meanwhile (spec §3.3). The job's error follows §3.5's
 * `<ErrorName>: <message>` with the name Python gives a missing key, as upstream would report it.
 */
class SnapshotDeletedError extends PermanentJobError {
  override readonly name = 'LookupError';
  constructor() {
    super('Snapshot deleted');
  }
}

export function restoreSettingsOf(settings: SquirrelSettings): RestoreSettings {
  return {
    connectTimeoutMs: settings.SQUIRREL_EPICS_CA_CONN_TIMEOUT * 1000,
    timeoutMs: settings.SQUIRREL_EPICS_CA_TIMEOUT * 1000,
    chunkSize: settings.SQUIRREL_EPICS_CHUNK_SIZE,
  };
}

/** The two job types of spec §4.4 over the core engine. */
export function defineSnapshotJobs(deps: {
  jobs: JobEngine;
  database: AppDatabase;
  snapshots: SnapshotService;
  epics: EpicsClient;
  settings: SquirrelSettings;
  selectForRestore: SnapshotService['selectForRestore'];
}): void {
  const { jobs, database, snapshots, epics, settings } = deps;
  const timeoutMs = settings.SQUIRREL_JOB_TIMEOUT * 1000;

  jobs.define<SnapshotRequest, SquirrelJobResult>(
    'CREATE_SNAPSHOT',
    async (job) => {
      const { snapshot, stats } = await snapshots.create(job.payload, (percent, message, data) => job.progress(percent, message, data), job.signal);
      return { snapshot_id: snapshot.id, result: stats };
    },
    {
      concurrency: settings.SQUIRREL_JOB_CONCURRENCY,
      maxAttempts: settings.SQUIRREL_JOB_MAX_TRIES,
      timeoutMs,
      backoff: { baseMs: settings.SQUIRREL_JOB_RETRY_DEFER * 1000, maxMs: settings.SQUIRREL_JOB_RETRY_DEFER * 1000, factor: 1 },
      // Only transient database errors are retried; a retry captures values afresh.
      retryable: (err) => database.dialect.isTransientError(err),
    },
  );

  jobs.define<RestoreRequest, SquirrelJobResult>(
    'RESTORE_SNAPSHOT',
    async (job) => {
      await job.progress(5, 'Loading snapshot values');
      const values = await deps.selectForRestore(job.payload).catch((err: unknown) => {
        // A tag deleted meanwhile is its own failure, not a deleted snapshot.
        if (err instanceof AppError && err.code === 'snapshot_not_found') throw new SnapshotDeletedError();
        throw new PermanentJobError((err as Error).message);
      });
      const result = await restoreValues(values, epics, restoreSettingsOf(settings), {
        progress: (percent, message, data) => job.progress(percent, message, data),
        signal: job.signal,
      });
      await job.progress(100, restoreMessage(result), { processed: result.total_pvs, total: result.total_pvs }, { force: true });
      return { snapshot_id: job.payload.snapshot_id, result: capReport(result, settings.SQUIRREL_RESTORE_MAX_REPORTED_FAILURES) };
    },
    {
      // spec D20: hardware writes are never retried automatically and run one at a time
      singleton: 'squirrel-restore',
      maxAttempts: 1,
      timeoutMs,
      onInterrupted: 'fail',
      interruptedMessage: (job: JobRecord) => {
        const data = (job.data ?? {}) as { processed?: number; total?: number };
        return `Interrupted by server restart after ${data.processed ?? 0}/${data.total ?? '?'} writes`;
      },
      maxQueueAgeMs: settings.SQUIRREL_RESTORE_MAX_QUEUE_AGE * 1000,
    },
  );
}
