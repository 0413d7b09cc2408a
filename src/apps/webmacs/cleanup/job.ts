import type { JobEngine } from '../../../core/jobs/index.ts';
import { nowMicros } from '../time.ts';
import type { CleanupRepo } from './repo.ts';

export const CLEANUP_JOB = 'webmacs.cleanup';
const HOURLY = '0 * * * *';

const HOUR_MICROS = 3_600_000_000;
const IDEMPOTENCY_WINDOW_MICROS = 24 * HOUR_MICROS;

export interface CleanupResult {
  revoked_tokens: number;
  sso_codes: number;
  idempotency_keys: number;
}

/** One pass of spec §4.7 `webmacs.cleanup`. */
export async function cleanUp(repo: CleanupRepo, now = nowMicros()): Promise<CleanupResult> {
  return {
    revoked_tokens: await repo.deleteRevocationsExpiredBefore(now),
    // Codes live 60 s; one that expired an hour ago is older than the hour the spec keeps them.
    sso_codes: await repo.deleteSsoCodesExpiredBefore(now - HOUR_MICROS),
    idempotency_keys: await repo.deleteIdempotencyKeysCreatedBefore(now - IDEMPOTENCY_WINDOW_MICROS),
  };
}

/** Hourly, once per tick across instances; failures are retried by the engine (3 tries). */
export async function scheduleCleanup(jobs: JobEngine, repo: CleanupRepo): Promise<void> {
  jobs.define<unknown, CleanupResult>(CLEANUP_JOB, () => cleanUp(repo), { singleton: true });
  await jobs.schedule(CLEANUP_JOB, HOURLY, CLEANUP_JOB);
}
