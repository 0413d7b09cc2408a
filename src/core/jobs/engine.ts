import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { EventBus } from '../events/types.ts';
import { uuidv7 } from '../secrets/uuid.ts';
import { CompletionBatcher } from './completions.ts';
import { DEFAULT_MAX_ATTEMPTS, resolveDefinition, type JobDefinition } from './definition.ts';
import { JobCancelledError, JobNotFoundError, JobStateError } from './errors.ts';
import { JobRepository } from './repo.ts';
import { toJobRecord, toJson, toScheduleRecord, type JobRow } from './rows.ts';
import { ScheduleRepository } from './schedule-repo.ts';
import { Scheduler } from './scheduler.ts';
import { WorkerPool } from './worker-pool.ts';
import {
  FINISHED_STATUSES,
  JOB_STATUSES,
  type EnqueueOptions,
  type JobEngine,
  type JobEngineOptions,
  type JobHandler,
  type JobRecord,
  type JobStatus,
  type JobTypeOptions,
  type JobUpdatedEvent,
  type ListJobsQuery,
  type NewJob,
  type ScheduleRecord,
} from './types.ts';

export const JOBS_UPDATED = 'jobs.updated';
/** asks the process running a job to abort it (the row is already cancelled) */
const JOBS_CANCEL = 'jobs.cancel';

interface CancelRequest {
  appId: string;
  id: string;
  reason: string;
}

function defaultInstanceId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function checkEnqueueOptions(type: string, options: Omit<EnqueueOptions, 'trx'>): void {
  const problems = [
    !type && 'type must not be empty',
    options.priority !== undefined && !Number.isSafeInteger(options.priority) && 'priority must be an integer',
    options.maxAttempts !== undefined && !(Number.isSafeInteger(options.maxAttempts) && options.maxAttempts >= 1) && 'maxAttempts must be an integer ≥ 1',
    options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0) && 'timeoutMs must be positive',
    options.runAt !== undefined && !Number.isFinite(options.runAt) && 'runAt must be epoch milliseconds',
    options.delayMs !== undefined && !Number.isFinite(options.delayMs) && 'delayMs must be a number',
  ].filter(Boolean);
  if (problems.length) throw new RangeError(`cannot enqueue ${type || 'a job'}: ${problems.join('; ')}`);
}

class Engine implements JobEngine {
  readonly appId: string;
  readonly instanceId: string;
  readonly #bus: EventBus;
  readonly #repo: JobRepository;
  readonly #schedules: ScheduleRepository;
  readonly #scheduler: Scheduler;
  readonly #workers: WorkerPool;
  readonly #definitions = new Map<string, JobDefinition>();
  #unsubscribe: Array<() => void> = [];
  #started = false;

  constructor(options: JobEngineOptions) {
    this.appId = options.appId;
    this.instanceId = options.instanceId ?? defaultInstanceId();
    this.#bus = options.bus;
    this.#repo = new JobRepository(options.database);
    this.#schedules = new ScheduleRepository(options.database);
    this.#scheduler = new Scheduler({
      schedules: this.#schedules,
      jobs: this.#repo,
      logger: options.logger,
      buildJob: (type, payloadJson, now) => this.#buildJob(type, payloadJson, now, {}),
      enqueued: (row) => {
        this.#publish(row);
        this.wake();
      },
    });
    const completions = new CompletionBatcher(async (results) => {
      const at = Date.now();
      return { completed: await this.#repo.completeOwned(results, this.instanceId, at), at };
    });
    this.#workers = new WorkerPool({
      repo: this.#repo,
      definitions: this.#definitions,
      host: {
        repo: this.#repo,
        owner: this.instanceId,
        logger: options.logger,
        complete: (id, result) => completions.complete(id, result),
        publish: (row) => this.#publish(row),
      },
      concurrency: options.concurrency ?? 4,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      leaseMs: options.leaseMs ?? 30_000,
      onMaintenance: () => this.#scheduler.refresh(),
    });
  }

  define<P, R>(type: string, handler: JobHandler<P, R>, options?: JobTypeOptions): void {
    if (this.#definitions.has(type)) throw new Error(`job type ${type} is already defined`);
    this.#definitions.set(type, resolveDefinition(type, handler, options));
  }

  async enqueue<P>(type: string, payload: P, options: EnqueueOptions = {}): Promise<JobRecord<P>> {
    const [row] = await this.#insert([{ type, payload, options }], options.trx);
    return toJobRecord(row as JobRow) as JobRecord<P>;
  }

  async enqueueMany(jobs: readonly NewJob[], options: { trx?: EnqueueOptions['trx'] } = {}): Promise<JobRecord[]> {
    return (await this.#insert(jobs, options.trx)).map(toJobRecord);
  }

  async get<P = unknown, R = unknown>(id: string): Promise<JobRecord<P, R> | undefined> {
    const row = await this.#repo.get(id);
    return row && (toJobRecord(row) as JobRecord<P, R>);
  }

  async list(query: ListJobsQuery): Promise<JobRecord[]> {
    return (await this.#repo.list(query)).map(toJobRecord);
  }

  count(query: Omit<ListJobsQuery, 'limit' | 'offset'> = {}): Promise<number> {
    return this.#repo.count(query);
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const { status, n } of await this.#repo.countByStatus()) counts[status] = n;
    return counts;
  }

  async cancel(id: string, reason = 'cancelled'): Promise<JobRecord> {
    const now = Date.now();
    const row = await this.#repo.transition(id, ['pending', 'paused', 'running'], {
      status: 'cancelled',
      error: reason,
      retrying: 0,
      finished_at: now,
      updated_at: now,
      lease_owner: null,
      lease_expires_at: null,
    });
    if (!row) {
      const existing = await this.#existing(id);
      if (existing.status === 'cancelled') return toJobRecord(existing);
      throw new JobStateError(id, existing.status, 'cancel');
    }
    this.#publish(row);
    if (!this.#workers.abort(id, new JobCancelledError(reason))) {
      this.#bus.publish<CancelRequest>(JOBS_CANCEL, { appId: this.appId, id, reason });
    }
    return toJobRecord(row);
  }

  async retry(id: string): Promise<JobRecord> {
    const now = Date.now();
    const row = await this.#transition(id, ['failed', 'cancelled'], 'retry', {
      status: 'pending',
      attempts: 0,
      retrying: 0,
      progress: 0,
      result: null,
      error: null,
      last_error: null,
      run_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
    });
    this.wake();
    return row;
  }

  pause(id: string): Promise<JobRecord> {
    return this.#transition(id, ['pending'], 'pause', { status: 'paused', updated_at: Date.now() });
  }

  async resume(id: string): Promise<JobRecord> {
    const row = await this.#transition(id, ['paused'], 'resume', { status: 'pending', updated_at: Date.now() });
    this.wake();
    return row;
  }

  async delete(id: string): Promise<boolean> {
    if (await this.#repo.delete(id)) return true;
    const existing = await this.#repo.get(id);
    if (existing) throw new JobStateError(id, existing.status, 'delete');
    return false;
  }

  purge(options: { finishedBefore: number; type?: string }): Promise<number> {
    return this.#repo.purge(options.finishedBefore, FINISHED_STATUSES, options.type);
  }

  schedule(name: string, cron: string, type: string, payload?: unknown, options: { timezone?: string } = {}): Promise<ScheduleRecord> {
    return this.#scheduler.define(name, cron, type, payload, options.timezone ?? null);
  }

  unschedule(name: string): Promise<boolean> {
    return this.#schedules.delete(name);
  }

  async schedules(): Promise<ScheduleRecord[]> {
    return (await this.#schedules.list()).map(toScheduleRecord);
  }

  async nextRun(name: string): Promise<number | null> {
    return (await this.#schedules.get(name))?.next_run_at ?? null;
  }

  wake(): void {
    this.#workers.wake();
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      await this.#workers.start();
    } catch (err) {
      this.#started = false;
      throw err;
    }
    this.#unsubscribe = [
      this.#bus.subscribe<CancelRequest>(JOBS_CANCEL, ({ payload }) => {
        if (payload.appId === this.appId) this.#workers.abort(payload.id, new JobCancelledError(payload.reason));
      }),
      // Another process enqueued: claim now rather than at the next poll.
      this.#bus.subscribe<JobUpdatedEvent>(JOBS_UPDATED, ({ payload, origin }) => {
        const { job } = payload;
        if (origin !== this.#bus.instanceId && payload.appId === this.appId && job.status === 'pending' && job.runAt <= Date.now()) this.wake();
      }),
    ];
    this.#scheduler.start();
  }

  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.#scheduler.stop();
    // Still listening while running jobs drain, so a cancel from another process reaches them.
    await this.#workers.stop(options.timeoutMs ?? 10_000);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
  }

  async #insert(jobs: readonly NewJob[], trx: EnqueueOptions['trx']): Promise<JobRow[]> {
    const now = Date.now();
    const rows = jobs.map((job) => {
      checkEnqueueOptions(job.type, job.options ?? {});
      return this.#buildJob(job.type, toJson(job.payload), now, job.options ?? {});
    });
    await this.#repo.insert(rows, trx);
    for (const row of rows) this.#publish(row);
    // With the caller's transaction the rows may not be visible yet; the next poll finds them then.
    this.wake();
    return rows;
  }

  #buildJob(type: string, payloadJson: string, now: number, options: Omit<EnqueueOptions, 'trx'>): JobRow {
    const definition = this.#definitions.get(type);
    return {
      id: uuidv7(),
      type,
      status: 'pending',
      progress: 0,
      message: null,
      payload: payloadJson,
      result: null,
      data: null,
      error: null,
      last_error: null,
      retrying: 0,
      attempts: 0,
      max_attempts: options.maxAttempts ?? definition?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      priority: options.priority ?? 0,
      run_at: options.runAt ?? now + (options.delayMs ?? 0),
      timeout_ms: options.timeoutMs ?? definition?.timeoutMs ?? null,
      singleton_key: options.singletonKey ?? definition?.singletonKey ?? null,
      schedule_name: null,
      scheduled_for: null,
      lease_owner: null,
      lease_expires_at: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
      version: 1,
    };
  }

  async #transition(id: string, from: readonly JobStatus[], operation: string, patch: Parameters<JobRepository['transition']>[2]): Promise<JobRecord> {
    const row = await this.#repo.transition(id, from, patch);
    if (!row) throw new JobStateError(id, (await this.#existing(id)).status, operation);
    this.#publish(row);
    return toJobRecord(row);
  }

  async #existing(id: string): Promise<JobRow> {
    const row = await this.#repo.get(id);
    if (!row) throw new JobNotFoundError(id);
    return row;
  }

  #publish(row: JobRow): void {
    this.#bus.publish<JobUpdatedEvent>(JOBS_UPDATED, { appId: this.appId, job: toJobRecord(row) });
  }
}

/** A job engine over one app's database; call `start()` to run jobs (migrations run separately). */
export function createJobEngine(options: JobEngineOptions): JobEngine {
  return new Engine(options);
}
