import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AppDatabase } from '../db/index.ts';
import type { EventBus } from '../events/types.ts';

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'paused'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves on its own; `retry` brings failed and cancelled jobs back. */
export const FINISHED_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** One job as apps see it: times are epoch milliseconds, JSON columns parsed. */
export interface JobRecord<P = unknown, R = unknown> {
  id: string;
  type: string;
  status: JobStatus;
  /** 0–100 */
  progress: number;
  message: string | null;
  payload: P;
  result: R | null;
  /** handler-owned state (checkpoints, counters) written with `setData` or `progress` */
  data: unknown;
  /**
   * why the job failed or was cancelled; null otherwise. A handler's error (or a timeout) is stored as
   * `<ErrorName>: <message>`, e.g. `TypeError: boom` or `TimeoutError: job exceeded 600 s`.
   */
  error: string | null;
  /** the error of the latest failed attempt, kept while the job waits to be retried */
  lastError: string | null;
  /** true once an attempt failed and another is waiting or running; false again when the job finishes */
  retrying: boolean;
  attempts: number;
  maxAttempts: number;
  /** higher runs first */
  priority: number;
  runAt: number;
  timeoutMs: number | null;
  singletonKey: string | null;
  /** the schedule that enqueued this job and the tick it fired for */
  scheduleName: string | null;
  scheduledFor: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  /**
   * Grows with every change. Updates of one job can arrive out of order (another process publishes,
   * or a claim overtakes the enqueue's own event): keep the highest version seen.
   */
  version: number;
}

/** What a handler receives. */
export interface RunningJob<P = unknown> {
  readonly id: string;
  readonly type: string;
  readonly payload: P;
  /** 1 on the first attempt */
  readonly attempt: number;
  /** the data persisted by an earlier attempt (checkpoints survive retries and recovery) */
  readonly data: unknown;
  /** aborted on cancel, timeout, lost lease or shutdown; `signal.reason` says which */
  readonly signal: AbortSignal;
  /**
   * Reports progress (0–100). Writes are throttled: persisted when progress moves 2 points or 2 s have
   * passed, always at 0 and 100, and when `force` is set; a skipped update is written within 2 s.
   */
  progress(percent: number, message?: string | null, data?: unknown, options?: { force?: boolean }): Promise<void>;
  /** persists handler-owned state right away */
  setData(data: unknown): Promise<void>;
}

export type JobHandler<P = unknown, R = unknown> = (job: RunningJob<P>) => Promise<R>;

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** growth per attempt; 2 unless given */
  factor?: number;
}

export interface JobTypeOptions {
  /** most jobs of this type one process runs at once (the engine's concurrency bounds all types together) */
  concurrency?: number;
  /** attempts before the job fails for good; 3 unless given */
  maxAttempts?: number;
  /** the handler's signal aborts after this long and the job fails with "job exceeded N s" */
  timeoutMs?: number;
  backoff?: BackoffOptions;
  /** whether an error deserves another attempt; by default all but timeouts and `PermanentJobError` */
  retryable?: (err: unknown) => boolean;
  /** what recovery does with a job of this type left running by a process that died; 'retry' unless given */
  onInterrupted?: 'retry' | 'fail';
  /** the error recorded when recovery fails an interrupted job */
  interruptedMessage?: (job: JobRecord) => string;
  /** one job of this type (true) or of this key (a string) runs at a time across every process */
  singleton?: boolean | string;
  /** a job that waited longer than this past its run time fails with an "Expired" error instead of running */
  maxQueueAgeMs?: number;
}

export interface EnqueueOptions {
  priority?: number;
  /** epoch milliseconds; now unless given */
  runAt?: number;
  delayMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  /** only one running job per key across every process; defaults to the type's `singleton` */
  singletonKey?: string;
  /**
   * inserts with the caller's transaction, so the job exists only if the caller's writes commit.
   * `jobs.updated` is published at the insert, before that commit; workers find the job once it commits.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx?: Transaction<any>;
}

export interface NewJob<P = unknown> {
  type: string;
  payload: P;
  options?: Omit<EnqueueOptions, 'trx'>;
}

export interface ListJobsQuery {
  type?: string | readonly string[];
  status?: JobStatus | readonly JobStatus[];
  limit: number;
  offset?: number;
}

export interface ScheduleRecord {
  name: string;
  cron: string;
  timezone: string | null;
  type: string;
  payload: unknown;
  /** epoch milliseconds of the next tick, null when the pattern has no future run */
  nextRunAt: number | null;
  lastRunAt: number | null;
}

export interface JobEngineOptions {
  database: AppDatabase;
  bus: EventBus;
  logger: Logger;
  appId: string;
  /** jobs this process runs at once, all types together; 4 unless given */
  concurrency?: number;
  /** how often idle workers look for due jobs (enqueues in this process wake them at once); 1000 unless given */
  pollIntervalMs?: number;
  /** how long a claim holds without renewal; a dead process's jobs are recovered after this; 30000 unless given */
  leaseMs?: number;
  /** names this process in `leaseOwner`; unique per process unless given */
  instanceId?: string;
}

/** The payload of `jobs.updated` on the bus. */
export interface JobUpdatedEvent {
  appId: string;
  job: JobRecord;
}

export interface JobEngine {
  readonly appId: string;
  readonly instanceId: string;
  define<P, R>(type: string, handler: JobHandler<P, R>, options?: JobTypeOptions): void;
  enqueue<P>(type: string, payload: P, options?: EnqueueOptions): Promise<JobRecord<P>>;
  /** inserts many jobs in as few statements as the dialect allows */
  enqueueMany(jobs: readonly NewJob[], options?: { trx?: EnqueueOptions['trx'] }): Promise<JobRecord[]>;
  get<P = unknown, R = unknown>(id: string): Promise<JobRecord<P, R> | undefined>;
  /** newest first */
  list(query: ListJobsQuery): Promise<JobRecord[]>;
  count(query?: Omit<ListJobsQuery, 'limit' | 'offset'>): Promise<number>;
  /** how many jobs are in each status (every status present, zero included) */
  counts(): Promise<Record<JobStatus, number>>;
  /** a pending or paused job is cancelled; a running one is cancelled and its handler's signal aborts */
  cancel(id: string, reason?: string): Promise<JobRecord>;
  /** a failed or cancelled job runs again with fresh attempts */
  retry(id: string): Promise<JobRecord>;
  pause(id: string): Promise<JobRecord>;
  resume(id: string): Promise<JobRecord>;
  /** removes a job that is not running; false when there was none */
  delete(id: string): Promise<boolean>;
  /** removes finished jobs that finished before the given time; returns how many */
  purge(options: { finishedBefore: number; type?: string }): Promise<number>;
  /** creates or updates a cron schedule (5 or 6 fields) that enqueues `type` once per tick across processes */
  schedule(name: string, cron: string, type: string, payload?: unknown, options?: { timezone?: string }): Promise<ScheduleRecord>;
  unschedule(name: string): Promise<boolean>;
  schedules(): Promise<ScheduleRecord[]>;
  /** epoch milliseconds of the schedule's next tick; null when unknown or none */
  nextRun(name: string): Promise<number | null>;
  /** claims due jobs now instead of at the next poll */
  wake(): void;
  /** recovers jobs whose process died, then runs jobs and schedules until stopped */
  start(): Promise<void>;
  /** stops claiming, waits for running jobs up to `timeoutMs`, then aborts them and leaves them to recovery */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}
