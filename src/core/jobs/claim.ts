import { sql, type ExpressionBuilder, type Kysely, type QueryResult } from 'kysely';
import { prepareQuery, type AppDatabase } from '../db/index.ts';
import type { JobRow, JobsSchema } from './rows.ts';
import { StatementCache } from './statement-cache.ts';

export interface ClaimRequest {
  /** job types this process can run now (it has a handler and a free slot) */
  types: readonly string[];
  limit: number;
  owner: string;
  leaseMs: number;
  now: number;
}

interface ClaimParameters extends Record<string, unknown> {
  limit: number;
  owner: string;
  now: number;
  leaseExpiresAt: number;
}

type Prepared<P extends Record<string, unknown>, R> = (database: AppDatabase, params: P) => Promise<QueryResult<R>>;

/**
 * The jobs a claim may take, best first (priority, then run time, then age). A job with a singleton
 * key is due only while no job with its key runs and no better job with its key waits, so one batch
 * never holds two jobs of one key. Two processes may still claim one key at the same moment; the
 * partial unique index lets only one of them commit.
 */
function dueJobs(db: Kysely<JobsSchema>, types: readonly string[], p: { limit: number; now: number }) {
  return db
    .selectFrom('core_jobs as job')
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
}

function claimedBy(p: { owner: string; now: number; leaseExpiresAt: number }) {
  return (eb: ExpressionBuilder<JobsSchema, 'core_jobs'>) => ({
    status: 'running' as const,
    attempts: eb('attempts', '+', 1),
    progress: 0,
    lease_owner: p.owner,
    lease_expires_at: p.leaseExpiresAt,
    started_at: p.now,
    updated_at: p.now,
    version: eb('version', '+', 1),
  });
}

/** The row as `claimedBy` leaves it. */
function claimedRow(row: JobRow, p: ClaimParameters): JobRow {
  return {
    ...row,
    status: 'running',
    attempts: row.attempts + 1,
    progress: 0,
    lease_owner: p.owner,
    lease_expires_at: p.leaseExpiresAt,
    started_at: p.now,
    updated_at: p.now,
    version: row.version + 1,
  };
}

/**
 * Claims due jobs: moves up to `limit` of them to running under one owner. Building and compiling a
 * statement costs more than running it on SQLite, so each shape is compiled once.
 *
 * The dialects differ here only. Postgres: several processes claim at once, so one statement selects
 * with `FOR UPDATE SKIP LOCKED` (skipping rows another is claiming) and updates what it selected.
 * SQLite: writers are serialised, and selecting the due rows first, then updating them by id with
 * nothing read back, costs far less than one UPDATE with a subquery and RETURNING; the update repeats
 * `status = 'pending'`, so a job that another writer claimed or cancelled in between is not taken.
 */
export class JobClaimer {
  readonly #database: AppDatabase;
  readonly #db: Kysely<JobsSchema>;
  readonly #lockingClaims = new StatementCache<Prepared<ClaimParameters, JobRow>>();
  readonly #selects = new StatementCache<Prepared<{ limit: number; now: number }, JobRow>>();
  readonly #updates = new StatementCache<Prepared<Record<string, unknown>, JobRow>>();

  constructor(database: AppDatabase) {
    this.#database = database;
    this.#db = database.db as Kysely<JobsSchema>;
  }

  async claim(request: ClaimRequest): Promise<JobRow[]> {
    if (request.types.length === 0 || request.limit <= 0) return [];
    const params = { limit: request.limit, owner: request.owner, now: request.now, leaseExpiresAt: request.now + request.leaseMs };
    try {
      const rows = this.#database.dialect.supportsSkipLocked ? await this.#claimLocking(request.types, params) : await this.#claimSerialised(request.types, params);
      // RETURNING follows no order; start the jobs in the order they were chosen.
      return rows.sort((a, b) => b.priority - a.priority || a.run_at - b.run_at || (a.id < b.id ? -1 : 1));
    } catch (err) {
      if (this.#database.dialect.isUniqueViolation(err)) return [];
      throw err;
    }
  }

  async #claimLocking(types: readonly string[], params: ClaimParameters): Promise<JobRow[]> {
    const statement = this.#lockingClaims.get(types.join('\u0000'), () =>
      prepareQuery<ClaimParameters, JobRow>((p) =>
        this.#db
          .updateTable('core_jobs')
          .set(claimedBy(p))
          .where('id', 'in', dueJobs(this.#db, types, p).select('job.id').forUpdate().skipLocked())
          .returningAll(),
      ),
    );
    return (await statement(this.#database, params)).rows;
  }

  async #claimSerialised(types: readonly string[], params: ClaimParameters): Promise<JobRow[]> {
    const select = this.#selects.get(types.join('\u0000'), () =>
      prepareQuery<{ limit: number; now: number }, JobRow>((p) => dueJobs(this.#db, types, p).selectAll('job')),
    );
    const due = (await select(this.#database, params)).rows;
    if (due.length === 0) return [];
    const ids = due.map((row) => row.id);
    const update = this.#updates.get(String(ids.length), () =>
      prepareQuery<Record<string, unknown>, JobRow>((p) =>
        this.#db
          .updateTable('core_jobs')
          .set(claimedBy(p as unknown as ClaimParameters))
          .where('id', 'in', ids.map((_, i) => p[`id${i}`] as string))
          // The unary plus keeps SQLite's planner on the primary key: without statistics it would
          // rather walk every pending job through the claim index.
          .where(sql<boolean>`+status = 'pending'`),
      ),
    );
    const { numAffectedRows } = await update(this.#database, { ...params, ...Object.fromEntries(ids.map((id, i) => [`id${i}`, id])) });
    // Nothing is read back (RETURNING costs SQLite more than the update): the rows are what was selected,
    // changed as the update changed them, unless a job was taken or cancelled in between.
    if (Number(numAffectedRows) === ids.length) return due.map((row) => claimedRow(row, params));
    return this.#db
      .selectFrom('core_jobs')
      .selectAll()
      .where('id', 'in', ids)
      .where('status', '=', 'running')
      .where('lease_owner', '=', params.owner)
      .where('started_at', '=', params.now)
      .execute();
  }
}
