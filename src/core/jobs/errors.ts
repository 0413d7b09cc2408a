import type { JobStatus } from './types.ts';

/**
 * Thrown by a handler when another attempt cannot help (bad input, a missing resource). A subclass may
 * name the failure in its app's terms, since the name is part of the stored error.
 */
export class PermanentJobError extends Error {
  override readonly name: string = 'PermanentJobError';
}

/** The abort reason when a job runs past its timeout; also the job's recorded error. */
export class JobTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`job exceeded ${formatSeconds(timeoutMs)} s`);
  }
}

/** The abort reason when a job is cancelled. */
export class JobCancelledError extends Error {
  override readonly name = 'AbortError';
  constructor(reason?: string) {
    super(reason ?? 'cancelled');
  }
}

/** The abort reason when this process no longer owns the job (recovered elsewhere, deleted) or is stopping. */
export class JobReleasedError extends Error {
  override readonly name = 'AbortError';
}

export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';
  readonly code = 'JOB_NOT_FOUND';
  constructor(readonly id: string) {
    super(`job ${id} not found`);
  }
}

/** The job exists but its status does not allow the operation (e.g. resuming a job that is not paused). */
export class JobStateError extends Error {
  override readonly name = 'JobStateError';
  readonly code = 'JOB_STATE';
  constructor(
    readonly id: string,
    readonly status: JobStatus,
    operation: string,
  ) {
    super(`cannot ${operation} job ${id}: it is ${status}`);
  }
}

export function formatSeconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}

/** How a failed attempt's error is stored: `<ErrorName>: <message>` (e.g. `TypeError: boom`), as Python reports it. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return errorMessage(err);
  const name = err.name || 'Error';
  return err.message ? `${name}: ${err.message}` : name;
}
