import type { Updateable } from 'kysely';
import type { Logger } from 'pino';
import { retryDelayMs } from './backoff.ts';
import type { JobDefinition } from './definition.ts';
import { JobTimeoutError, errorMessage, errorText, formatSeconds } from './errors.ts';
import { ProgressThrottle, type ProgressUpdate } from './progress.ts';
import type { JobRepository } from './repo.ts';
import { completedRow, toJobRecord, toJson, type JobRow } from './rows.ts';
import type { RunningJob } from './types.ts';

/** What an execution needs from the engine that runs it. */
export interface ExecutionHost {
  readonly repo: JobRepository;
  readonly owner: string;
  readonly logger: Logger;
  /** records a successful attempt (batched with other completions); the completion time, or undefined when the job is no longer this process's */
  complete(id: string, result: string): Promise<number | undefined>;
  publish(row: JobRow): void;
}

type Outcome =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: unknown }
  | { kind: 'aborted'; reason: unknown };

export function failedPatch(error: string, now: number): Updateable<JobRow> {
  return {
    status: 'failed',
    error,
    last_error: error,
    retrying: 0,
    finished_at: now,
    updated_at: now,
    lease_owner: null,
    lease_expires_at: null,
  };
}

/** One claimed job: runs its handler once and records how the attempt ended. */
export class JobExecution {
  readonly #row: JobRow;
  /** the row as this execution's own writes (progress, data) left it */
  #latest: JobRow;
  readonly #definition: JobDefinition;
  readonly #host: ExecutionHost;
  readonly #controller = new AbortController();

  constructor(row: JobRow, definition: JobDefinition, host: ExecutionHost) {
    this.#row = row;
    this.#latest = row;
    this.#definition = definition;
    this.#host = host;
  }

  get id(): string {
    return this.#row.id;
  }

  get type(): string {
    return this.#row.type;
  }

  /**
   * Aborts the handler's signal. A timeout is recorded by the execution itself; for any other reason
   * the caller has already recorded the job's fate (cancelled) or leaves it to recovery (released).
   */
  abort(reason: Error): void {
    this.#controller.abort(reason);
  }

  /** Runs the handler and records the outcome; resolves once the handler has really stopped. */
  async run(): Promise<void> {
    const row = this.#row;
    const maxQueueAgeMs = this.#definition.maxQueueAgeMs;
    const waitedMs = Date.now() - row.run_at;
    if (maxQueueAgeMs !== null && waitedMs > maxQueueAgeMs) {
      const reason = `Expired: waited ${formatSeconds(waitedMs)} s in the queue, longer than ${formatSeconds(maxQueueAgeMs)} s`;
      await this.#record(this.#owned(failedPatch(reason, Date.now())));
      return;
    }
    const signal = this.#controller.signal;
    const progress = new ProgressThrottle((update) => this.#writeProgress(update), 0);
    const record = toJobRecord(row);
    const job: RunningJob = {
      id: row.id,
      type: row.type,
      payload: record.payload,
      attempt: row.attempts,
      data: record.data,
      signal,
      progress: (percent, message, data, options) => progress.report({ progress: percent, message, data }, options?.force),
      setData: (data) => this.#write({ data: toJson(data), updated_at: Date.now() }),
    };
    const timeoutMs = row.timeout_ms;
    const timer = timeoutMs ? setTimeout(() => this.abort(new JobTimeoutError(timeoutMs)), timeoutMs) : undefined;
    const aborted = new Promise<Outcome>((resolve) => {
      signal.addEventListener('abort', () => resolve({ kind: 'aborted', reason: signal.reason }), { once: true });
    });
    const handled = (async () => this.#definition.handler(job))().then(
      (value): Outcome => ({ kind: 'returned', value }),
      (error): Outcome => ({ kind: 'threw', error }),
    );
    const outcome = await Promise.race([handled, aborted]);
    clearTimeout(timer);
    await progress.close();
    await this.#conclude(outcome);
    // The slot stays taken until the handler stops, so an aborted handler that lingers still counts.
    await handled;
  }

  async #conclude(outcome: Outcome): Promise<void> {
    if (outcome.kind === 'threw') return this.#recordFailure(outcome.error);
    if (outcome.kind === 'aborted') {
      if (outcome.reason instanceof JobTimeoutError) await this.#recordFailure(outcome.reason);
      return;
    }
    let result: string;
    try {
      result = toJson(outcome.value);
    } catch (err) {
      await this.#record(this.#owned(failedPatch(`the job's result cannot be stored as JSON: ${errorMessage(err)}`, Date.now())));
      return;
    }
    await this.#record(async () => {
      const completedAt = await this.#host.complete(this.#row.id, result);
      return completedAt === undefined ? undefined : completedRow(this.#latest, result, completedAt);
    });
  }

  async #recordFailure(err: unknown): Promise<void> {
    const row = this.#row;
    const message = errorText(err);
    const now = Date.now();
    let retryable: boolean;
    try {
      retryable = this.#definition.retryable(err);
    } catch {
      retryable = false;
    }
    const log = { jobId: row.id, type: row.type, attempt: row.attempts, err };
    if (retryable && row.attempts < row.max_attempts) {
      const delayMs = retryDelayMs(row.attempts, this.#definition.backoff);
      this.#host.logger.info({ ...log, delayMs }, 'job attempt failed; retrying');
      await this.#record(
        this.#owned({
          status: 'pending',
          retrying: 1,
          last_error: message,
          run_at: now + delayMs,
          updated_at: now,
          lease_owner: null,
          lease_expires_at: null,
        }),
      );
      return;
    }
    this.#host.logger.warn(log, 'job failed');
    await this.#record(this.#owned(failedPatch(message, now)));
  }

  /** Writes the attempt's end; if that fails the job keeps its lease until it lapses and recovery retries it. */
  async #record(write: () => Promise<JobRow | undefined>): Promise<void> {
    try {
      const row = await write();
      if (row) this.#host.publish(row);
    } catch (err) {
      this.#host.logger.error({ jobId: this.#row.id, err }, 'could not record the end of a job attempt');
    }
  }

  #owned(patch: Updateable<JobRow>): () => Promise<JobRow | undefined> {
    return () => this.#host.repo.updateOwned(this.#row.id, this.#host.owner, patch);
  }

  async #writeProgress(update: ProgressUpdate): Promise<void> {
    const patch: Updateable<JobRow> = { progress: update.progress, updated_at: Date.now() };
    if (update.message !== undefined) patch.message = update.message;
    try {
      if (update.data !== undefined) patch.data = toJson(update.data);
      await this.#write(patch);
    } catch (err) {
      this.#host.logger.warn({ jobId: this.#row.id, err }, 'could not record job progress');
    }
  }

  /** Writes only while this process still owns the running job: a cancelled or recovered job is left alone. */
  async #write(patch: Updateable<JobRow>): Promise<void> {
    const row = await this.#owned(patch)();
    if (!row) return;
    this.#latest = row;
    this.#host.publish(row);
  }
}
