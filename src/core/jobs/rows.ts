import type { JobRecord, JobStatus, ScheduleRecord } from './types.ts';

export interface JobRow {
  id: string;
  type: string;
  status: JobStatus;
  progress: number;
  message: string | null;
  payload: string;
  result: string | null;
  data: string | null;
  error: string | null;
  last_error: string | null;
  retrying: number;
  attempts: number;
  max_attempts: number;
  priority: number;
  run_at: number;
  timeout_ms: number | null;
  singleton_key: string | null;
  schedule_name: string | null;
  scheduled_for: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** 1 at insert, +1 with every change that is published */
  version: number;
  updated_at: number;
}

export interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string | null;
  type: string;
  payload: string;
  next_run_at: number | null;
  last_run_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface JobsSchema {
  core_jobs: JobRow;
  core_job_schedules: ScheduleRow;
}

/** What a completion sets besides `result` and `version`: the SQL and the row kept in memory share it. */
export function completionFields(now: number) {
  return {
    status: 'completed' as const,
    progress: 100,
    error: null,
    retrying: 0,
    finished_at: now,
    updated_at: now,
    lease_owner: null,
    lease_expires_at: null,
  };
}

/** The row as a completion leaves it, from the latest row its execution holds (nothing is read back). */
export function completedRow(latest: JobRow, result: string, now: number): JobRow {
  return { ...latest, ...completionFields(now), result, version: latest.version + 1 };
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function fromJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function toJobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    progress: row.progress,
    message: row.message,
    payload: fromJson(row.payload),
    result: fromJson(row.result),
    data: fromJson(row.data),
    error: row.error,
    lastError: row.last_error,
    retrying: Boolean(row.retrying),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    runAt: row.run_at,
    timeoutMs: row.timeout_ms,
    singletonKey: row.singleton_key,
    scheduleName: row.schedule_name,
    scheduledFor: row.scheduled_for,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export function toScheduleRecord(row: ScheduleRow): ScheduleRecord {
  return {
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    type: row.type,
    payload: fromJson(row.payload),
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
  };
}
