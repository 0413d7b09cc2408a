import { DEFAULT_BACKOFF } from './backoff.ts';
import { JobTimeoutError, PermanentJobError } from './errors.ts';
import type { BackoffOptions, JobHandler, JobRecord, JobTypeOptions } from './types.ts';

export const DEFAULT_MAX_ATTEMPTS = 3;

/** A job type's handler with every option settled. */
export interface JobDefinition {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler: JobHandler<any, any>;
  /** Infinity when only the engine's concurrency applies */
  concurrency: number;
  maxAttempts: number;
  timeoutMs: number | null;
  backoff: BackoffOptions;
  retryable: (err: unknown) => boolean;
  onInterrupted: 'retry' | 'fail';
  interruptedMessage: (job: JobRecord) => string;
  singletonKey: string | null;
  maxQueueAgeMs: number | null;
}

function isRetryableByDefault(err: unknown): boolean {
  return !(err instanceof PermanentJobError || err instanceof JobTimeoutError);
}

export function defaultInterruptedMessage(): string {
  return 'interrupted: the process running this job stopped before it finished';
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`job option ${name} must be a positive number, got ${value}`);
  }
  return value;
}

export function resolveDefinition<P, R>(type: string, handler: JobHandler<P, R>, options: JobTypeOptions = {}): JobDefinition {
  const singleton = options.singleton;
  return {
    type,
    handler,
    concurrency: positive('concurrency', options.concurrency) ?? Infinity,
    maxAttempts: positive('maxAttempts', options.maxAttempts) ?? DEFAULT_MAX_ATTEMPTS,
    timeoutMs: positive('timeoutMs', options.timeoutMs) ?? null,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    retryable: options.retryable ?? isRetryableByDefault,
    onInterrupted: options.onInterrupted ?? 'retry',
    interruptedMessage: options.interruptedMessage ?? defaultInterruptedMessage,
    singletonKey: singleton === true ? type : typeof singleton === 'string' ? singleton : null,
    maxQueueAgeMs: positive('maxQueueAgeMs', options.maxQueueAgeMs) ?? null,
  };
}
