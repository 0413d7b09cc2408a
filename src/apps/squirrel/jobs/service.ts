import type { JobEngine, JobRecord, JobStatus } from '../../../core/jobs/index.ts';
import { JobNotFoundError } from '../../../core/jobs/index.ts';
import { errors } from '../errors.ts';
import { isoTime, isoTimeOrNull, isUuid } from '../format.ts';

export const JOB_TYPES = ['CREATE_SNAPSHOT', 'RESTORE_SNAPSHOT'] as const;
export type SquirrelJobType = (typeof JOB_TYPES)[number];
export const JOB_STATES = ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'RETRYING', 'CANCELLED'] as const;
export type SquirrelJobState = (typeof JOB_STATES)[number];

/** What both job types return: the snapshot they concern and the result shown as `data.result`. */
export interface SquirrelJobResult {
  snapshot_id: string;
  result: unknown;
}

/** spec D23: the older docs' UPPER_CASE states over the engine's lifecycle */
function stateOf(job: JobRecord): SquirrelJobState {
  switch (job.status) {
    case 'running':
      return 'IN_PROGRESS';
    case 'completed':
      return 'COMPLETED';
    case 'failed':
      return 'FAILED';
    case 'cancelled':
      return 'CANCELLED';
    default:
      return job.retrying ? 'RETRYING' : 'PENDING';
  }
}

const ENGINE_STATUSES: Record<SquirrelJobState, JobStatus[]> = {
  PENDING: ['pending', 'paused'],
  RETRYING: ['pending'],
  IN_PROGRESS: ['running'],
  COMPLETED: ['completed'],
  FAILED: ['failed'],
  CANCELLED: ['cancelled'],
};

export function jobView(job: JobRecord) {
  const result = job.result as SquirrelJobResult | null;
  const payload = job.payload as { snapshot_id?: string } | null;
  const state = stateOf(job);
  return {
    id: job.id,
    type: job.type,
    status: state,
    progress: job.progress,
    message: state === 'FAILED' ? 'Job failed' : job.message,
    data: { ...((job.data as Record<string, unknown> | null) ?? {}), ...(result ? { result: result.result } : {}) },
    result_id: result?.snapshot_id ?? payload?.snapshot_id ?? null,
    error: job.error ?? (state === 'RETRYING' ? job.lastError : null),
    attempts: job.attempts,
    created_at: isoTime(job.createdAt),
    started_at: isoTimeOrNull(job.startedAt),
    updated_at: isoTime(job.updatedAt),
    completed_at: isoTimeOrNull(job.finishedAt),
  };
}

export type JobView = ReturnType<typeof jobView>;

export function createJobService(jobs: JobEngine) {
  async function requireJob(id: string): Promise<JobRecord> {
    const job = isUuid(id) ? await jobs.get(id) : undefined;
    if (!job || !(JOB_TYPES as readonly string[]).includes(job.type)) throw errors.jobNotFound(id);
    return job;
  }

  return {
    async get(id: string): Promise<JobView> {
      return jobView(await requireJob(id));
    },

    async list(query: { type?: SquirrelJobType; status?: SquirrelJobState; limit: number; offset: number }): Promise<JobView[]> {
      const rows = await jobs.list({
        type: query.type ?? [...JOB_TYPES],
        ...(query.status ? { status: ENGINE_STATUSES[query.status] } : {}),
        limit: query.limit,
        offset: query.offset,
      });
      // PENDING and RETRYING share the engine's `pending`; the retry flag tells them apart.
      return rows.map(jobView).filter((job) => !query.status || job.status === query.status);
    },

    /** idempotent: a finished job is returned unchanged */
    async cancel(id: string): Promise<JobView> {
      const job = await requireJob(id);
      if (['completed', 'failed', 'cancelled'].includes(job.status)) return jobView(job);
      try {
        return jobView(await jobs.cancel(job.id, 'Cancelled by request'));
      } catch (err) {
        if (err instanceof JobNotFoundError) throw errors.jobNotFound(id);
        return jobView(await requireJob(id));
      }
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
