import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { DialectHelpers } from '../db/index.ts';
import type { JobRow, JobsSchema } from './rows.ts';

export interface ClaimRequest {
  /** job types this process can run now (it has a handler and a free slot) */
  types: readonly string[];
  limit: number;
  owner: string;
  leaseMs: number;
  now: number;
}

/**
 * The one place the dialects differ for claiming. Postgres: several processes select at once, so each
 * skips the rows another is claiming (`FOR UPDATE SKIP LOCKED`). SQLite: the single UPDATE takes the
 * write lock before it reads, so claims are serialised and need no row locks.
 */
function lockedForClaim<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  dialect: DialectHelpers,
): SelectQueryBuilder<DB, TB, O> {
  return dialect.supportsSkipLocked ? query.forUpdate().skipLocked() : query;
}

/**
 * Atomically moves up to `limit` due jobs to running under this owner, best first (priority, then run
 * time, then age). A job with a singleton key is due only while no job with its key runs and no better
 * job with its key waits, so one batch never holds two jobs of one key. Two processes may still claim
 * one key at the same moment on Postgres; the partial unique index lets only one commit, and the other
 * claims nothing this round.
 */
export async function claimJobs(db: Kysely<JobsSchema>, dialect: DialectHelpers, request: ClaimRequest): Promise<JobRow[]> {
  if (request.types.length === 0 || request.limit <= 0) return [];
  const candidates = db
    .selectFrom('core_jobs as job')
    .select('job.id')
    .where('job.status', '=', 'pending')
    .where('job.run_at', '<=', request.now)
    .where('job.type', 'in', request.types)
    .where(({ eb, or, and, not, exists, selectFrom }) =>
      or([
        eb('job.singleton_key', 'is', null),
        not(
          exists(
            selectFrom('core_jobs as other')
              .select('other.id')
              .whereRef('other.singleton_key', '=', 'job.singleton_key')
              .where((o) =>
                or([
                  o('other.status', '=', 'running'),
                  and([
                    o('other.status', '=', 'pending'),
                    o('other.run_at', '<=', request.now),
                    or([
                      o('other.priority', '>', o.ref('job.priority')),
                      and([
                        o('other.priority', '=', o.ref('job.priority')),
                        or([
                          o('other.run_at', '<', o.ref('job.run_at')),
                          and([o('other.run_at', '=', o.ref('job.run_at')), o('other.id', '<', o.ref('job.id'))]),
                        ]),
                      ]),
                    ]),
                  ]),
                ]),
              ),
          ),
        ),
      ]),
    )
    .orderBy('job.priority', 'desc')
    .orderBy('job.run_at')
    .orderBy('job.id')
    .limit(request.limit);
  try {
    const claimed = await db
      .updateTable('core_jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        progress: 0,
        lease_owner: request.owner,
        lease_expires_at: request.now + request.leaseMs,
        started_at: request.now,
        updated_at: request.now,
        version: eb('version', '+', 1),
      }))
      .where('id', 'in', lockedForClaim(candidates, dialect))
      .returningAll()
      .execute();
    // RETURNING follows no order; start the jobs in the order they were chosen.
    return claimed.sort((a, b) => b.priority - a.priority || a.run_at - b.run_at || (a.id < b.id ? -1 : 1));
  } catch (err) {
    if (dialect.isUniqueViolation(err)) return [];
    throw err;
  }
}
