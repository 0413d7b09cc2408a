export { createJobEngine, JOBS_UPDATED } from './engine.ts';
export { jobsMigrations } from './migrations.ts';
export {
  JobCancelledError,
  JobNotFoundError,
  JobReleasedError,
  JobStateError,
  JobTimeoutError,
  PermanentJobError,
} from './errors.ts';
export {
  FINISHED_STATUSES,
  JOB_STATUSES,
  type BackoffOptions,
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
  type RunningJob,
  type ScheduleRecord,
} from './types.ts';
