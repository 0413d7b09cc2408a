import { sql, type ExpressionBuilder, type Kysely, type Transaction, type Updateable } from 'kysely';
import { prepareQuery, type AppDatabase } from '../db/index.ts';
import { JobClaimer, type ClaimRequest } from './claim.ts';
import { completionFields, type JobRow, type JobsSchema } from './rows.ts';
import { StatementCache } from './statement-cache.ts';
import type { JobStatus, ListJobsQuery } from './types.ts';

type JobPatch = Updateable<JobRow>;

/** Inserts of at least this many jobs refresh the planner's statistics where it keeps them. */
const BULK_ENQUEUE = 1_000;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTransaction = Transaction<any>;

export interface InterruptedScope {
  now: number;
  /** also counts jobs held under this owner id: at start, a previous process with the same id is gone */
  formerOwner?: string;
}

function interrupted(eb: ExpressionBuilder<JobsSchema, 'core_jobs'>, scope: InterruptedScope) {
  const conditions = [eb('lease_expires_at', '<', scope.now), eb('lease_owner', 'is', null)];
  if (scope.formerOwner !== undefined) conditions.push(eb('lease_owner', '=', scope.formerOwner));
  return eb.or(conditions);
}

/** Every published change bumps the row's version, so subscribers can drop updates that arrive late. */
function bumped(patch: JobPatch) {
  return (eb: ExpressionBuilder<JobsSchema, 'core_jobs'>) => ({ ...patch, version: eb('version', '+', 1) });
}

function asList<T>(value: T | readonly T[] | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** Every SQL statement about job rows. Guards (`status`, `lease_owner`) make each write safe against races. */
export class JobRepository {
  readonly #database: AppDatabase;
  readonly #db: Kysely<JobsSchema>;
  readonly #claimer: JobClaimer;
  /** the completion statement by batch size */
  readonly #completions = new StatementCache<ReturnType<typeof prepareQuery<Record<string, unknown>, never>>>();

  constructor(database: AppDatabase) {
    this.#database = database;
    this.#db = database.db as Kysely<JobsSchema>;
    this.#claimer = new JobClaimer(database);
  }

  /**
   * Inserts all rows or none, in as few statements as the dialect's parameter limit allows. The rows
   * carry every column, so they are what was stored and nothing is read back.
   */
  async insert(rows: readonly JobRow[], trx?: AnyTransaction): Promise<void> {
    const columns = Object.keys(rows[0] ?? {}).length;
    const perStatement = Math.max(1, Math.floor(this.#database.dialect.maxParameters / Math.max(1, columns)));
    const write = async (db: Kysely<JobsSchema>) => {
      for (let i = 0; i < rows.length; i += perStatement) {
        await db.insertInto('core_jobs').values(rows.slice(i, i + perStatement)).execute();
      }
    };
    if (rows.length === 0) return;
    if (trx) return write(trx as Kysely<JobsSchema>);
    if (rows.length <= perStatement) await write(this.#db);
    else await this.#database.transaction((t) => write(t as Kysely<JobsSchema>));
    // Postgres plans claims from table statistics; until autovacuum refreshes them after a bulk enqueue,
    // it sorts every pending job on each claim instead of walking the claim index. SQLite keeps none.
    if (rows.length >= BULK_ENQUEUE && this.#database.dialect.name === 'postgres') await sql`analyze core_jobs`.execute(this.#db);
  }

  /** Inserts a schedule tick's job; undefined when that tick already has one. */
  insertTick(row: JobRow): Promise<JobRow | undefined> {
    return this.#db
      .insertInto('core_jobs')
      .values(row)
      .onConflict((oc) => oc.columns(['schedule_name', 'scheduled_for']).doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  claim(request: ClaimRequest): Promise<JobRow[]> {
    return this.#claimer.claim(request);
  }

  /** Writes to a job this owner is running; undefined when it no longer runs it (cancelled, recovered). */
  updateOwned(id: string, owner: string, patch: JobPatch): Promise<JobRow | undefined> {
    return this.#db
      .updateTable('core_jobs')
      .set(bumped(patch))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * Completes several jobs this owner runs in one statement; returns the ids it completed (a job
   * cancelled or recovered meanwhile is left alone). Nothing is read back: RETURNING costs SQLite more
   * than the update itself, and the caller knows the rows. Only when fewer rows changed than asked
   * does a second query find which.
   */
  async completeOwned(results: ReadonlyArray<{ id: string; result: string }>, owner: string, now: number): Promise<Set<string>> {
    if (results.length === 0) return new Set();
    const ids = results.map((r) => r.id);
    const complete = this.#completions.get(String(results.length), () =>
      prepareQuery<Record<string, unknown>, never>((p) =>
        this.#db
          .updateTable('core_jobs')
          .set((eb) => {
            let result = eb.case('id').when(p.id0 as string).then(p.result0 as string);
            for (let i = 1; i < results.length; i++) result = result.when(p[`id${i}`] as string).then(p[`result${i}`] as string);
            return { ...completionFields(p.now as number), result: result.end(), version: eb('version', '+', 1) };
          })
          .where('id', 'in', ids.map((_, i) => p[`id${i}`] as string))
          .where('lease_owner', '=', p.owner as string)
          .where('status', '=', 'running'),
      ),
    );
    const params: Record<string, unknown> = { owner, now };
    results.forEach(({ id, result }, i) => {
      params[`id${i}`] = id;
      params[`result${i}`] = result;
    });
    const { numAffectedRows: numUpdatedRows } = await complete(this.#database, params);
    if (Number(numUpdatedRows) === ids.length) return new Set(ids);
    // Only this owner completes its jobs, and at this instant: those are the ones that changed.
    const completed = await this.#db
      .selectFrom('core_jobs')
      .select('id')
      .where('id', 'in', ids)
      .where('status', '=', 'completed')
      .where('finished_at', '=', now)
      .execute();
    return new Set(completed.map((row) => row.id));
  }

  /** Extends the leases of jobs this owner runs; returns the ids it still holds. */
  async renewLeases(ids: readonly string[], owner: string, expiresAt: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.#db
      .updateTable('core_jobs')
      .set({ lease_expires_at: expiresAt })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .returning('id')
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Gives up jobs this owner runs so recovery takes them at once instead of after the lease. */
  async releaseLeases(ids: readonly string[], owner: string, now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable('core_jobs')
      .set({ lease_owner: null, lease_expires_at: 0, updated_at: now })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .execute();
  }

  /** Running jobs whose lease ran out (their process died or stopped), oldest first. */
  findInterrupted(scope: InterruptedScope, limit: number): Promise<JobRow[]> {
    return this.#db
      .selectFrom('core_jobs')
      .selectAll()
      // A literal, so SQLite can use the partial index over running jobs.
      .where(sql<boolean>`status = 'running'`)
      .where((eb) => interrupted(eb, scope))
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * Applies one recovery outcome to interrupted jobs. The interruption test is repeated in the UPDATE,
   * so a job renewed or already recovered by another process in between is left alone.
   */
  recover(ids: readonly string[], scope: InterruptedScope, patch: JobPatch): Promise<JobRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.#db
      .updateTable('core_jobs')
      .set(bumped(patch))
      .where('id', 'in', ids)
      .where('status', '=', 'running')
      .where((eb) => interrupted(eb, scope))
      .returningAll()
      .execute();
  }

  /** Moves a job between statuses; undefined when it does not exist or is in none of `from`. */
  transition(id: string, from: readonly JobStatus[], patch: JobPatch): Promise<JobRow | undefined> {
    return this.#db
      .updateTable('core_jobs')
      .set(bumped(patch))
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
  }

  get(id: string): Promise<JobRow | undefined> {
    return this.#db.selectFrom('core_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(query: ListJobsQuery): Promise<JobRow[]> {
    return this.#filtered(query)
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .offset(query.offset ?? 0)
      .execute();
  }

  async count(query: Omit<ListJobsQuery, 'limit' | 'offset'>): Promise<number> {
    const row = await this.#filtered(query)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countByStatus(): Promise<Array<{ status: JobStatus; n: number }>> {
    const rows = await this.#db
      .selectFrom('core_jobs')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return rows.map((row) => ({ status: row.status, n: Number(row.n) }));
  }

  #filtered(query: Omit<ListJobsQuery, 'limit' | 'offset'>) {
    const types = asList(query.type);
    const statuses = asList(query.status);
    let select = this.#db.selectFrom('core_jobs');
    if (types) select = select.where('type', 'in', types);
    if (statuses) select = select.where('status', 'in', statuses);
    return select;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('core_jobs')
      .where('id', '=', id)
      .where('status', '!=', 'running')
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async purge(finishedBefore: number, statuses: readonly JobStatus[], type?: string): Promise<number> {
    let query = this.#db
      .deleteFrom('core_jobs')
      .where('status', 'in', statuses)
      .where('finished_at', '<', finishedBefore);
    if (type !== undefined) query = query.where('type', '=', type);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
