import type { Kysely, SelectQueryBuilder } from 'kysely';
import { prepareQuery, type AppDatabase, type DialectHelpers } from '../db/index.ts';
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

interface ClaimParameters extends Record<string, unknown> {
  limit: number;
  owner: string;
  now: number;
  leaseExpiresAt: number;
}

type PreparedClaim = (database: AppDatabase, params: ClaimParameters) => Promise<{ rows: JobRow[] }>;

/** Distinct type lists whose claim statement stays compiled; a process defines a handful. */
const CACHED_CLAIMS = 64;

/**
 * Moves up to `limit` due jobs of the given types to running under one owner, best first (priority,
 * then run time, then age). A job with a singleton key is due only while no job with its key runs and
 * no better job with its key waits, so one batch never holds two jobs of one key. Two processes may
 * still claim one key at the same moment on Postgres; the partial unique index lets only one commit.
 */
function prepareClaim(db: Kysely<JobsSchema>, dialect: DialectHelpers, types: readonly string[]): PreparedClaim {
  return prepareQuery<ClaimParameters, JobRow>((p) => {
    const candidates = db
      .selectFrom('core_jobs as job')
      .select('job.id')
      .where('job.status', '=', 'pending')
      .where('job.run_at', '<=', p.now)
      .where('job.type', 'in', types)
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
                      o('other.run_at', '<=', p.now),
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
      .limit(p.limit);
    return db
      .updateTable('core_jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        progress: 0,
        lease_owner: p.owner,
        lease_expires_at: p.leaseExpiresAt,
        started_at: p.now,
        updated_at: p.now,
        version: eb('version', '+', 1),
      }))
      .where('id', 'in', lockedForClaim(candidates, dialect))
      .returningAll();
  });
}

/**
 * Claims jobs in one statement per call. Building and compiling the statement costs more than running
 * it on SQLite, so each distinct list of types is compiled once.
 */
export class JobClaimer {
  readonly #database: AppDatabase;
  readonly #prepared = new Map<string, PreparedClaim>();

  constructor(database: AppDatabase) {
    this.#database = database;
  }

  async claim(request: ClaimRequest): Promise<JobRow[]> {
    if (request.types.length === 0 || request.limit <= 0) return [];
    const key = request.types.join('\u0000');
    let prepared = this.#prepared.get(key);
    if (!prepared) {
      prepared = prepareClaim(this.#database.db as Kysely<JobsSchema>, this.#database.dialect, request.types);
      if (this.#prepared.size >= CACHED_CLAIMS) this.#prepared.delete(this.#prepared.keys().next().value!);
      this.#prepared.set(key, prepared);
    }
    try {
      const { rows } = await prepared(this.#database, {
        limit: request.limit,
        owner: request.owner,
        now: request.now,
        leaseExpiresAt: request.now + request.leaseMs,
      });
      // RETURNING follows no order; start the jobs in the order they were chosen.
      return rows.sort((a, b) => b.priority - a.priority || a.run_at - b.run_at || (a.id < b.id ? -1 : 1));
    } catch (err) {
      if (this.#database.dialect.isUniqueViolation(err)) return [];
      throw err;
    }
  }
}
