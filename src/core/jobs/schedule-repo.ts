import type { Kysely } from 'kysely';
import type { AppDatabase } from '../db/index.ts';
import type { JobsSchema, ScheduleRow } from './rows.ts';

/** Every SQL statement about cron schedules. */
export class ScheduleRepository {
  readonly #db: Kysely<JobsSchema>;

  constructor(database: AppDatabase) {
    this.#db = database.db as Kysely<JobsSchema>;
  }

  /**
   * Creates the schedule, or redefines it when its pattern, timezone, type or payload changed. An
   * unchanged schedule keeps its next tick, so every process declaring it at start agrees on the tick.
   */
  async upsert(row: ScheduleRow): Promise<ScheduleRow> {
    await this.#db.insertInto('core_job_schedules').values(row).onConflict((oc) => oc.column('name').doNothing()).execute();
    const stored = await this.get(row.name);
    if (
      stored &&
      stored.cron === row.cron &&
      stored.timezone === row.timezone &&
      stored.type === row.type &&
      stored.payload === row.payload
    ) {
      return stored;
    }
    const { name, created_at: _createdAt, last_run_at: _lastRunAt, ...definition } = row;
    return this.#db
      .updateTable('core_job_schedules')
      .set(definition)
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  get(name: string): Promise<ScheduleRow | undefined> {
    return this.#db.selectFrom('core_job_schedules').selectAll().where('name', '=', name).executeTakeFirst();
  }

  list(): Promise<ScheduleRow[]> {
    return this.#db.selectFrom('core_job_schedules').selectAll().orderBy('name').execute();
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('core_job_schedules').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async earliestNextRun(): Promise<number | null> {
    const row = await this.#db
      .selectFrom('core_job_schedules')
      .select((eb) => eb.fn.min('next_run_at').as('next'))
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? null : Number(row.next);
  }

  due(now: number): Promise<ScheduleRow[]> {
    return this.#db.selectFrom('core_job_schedules').selectAll().where('next_run_at', '<=', now).orderBy('next_run_at').execute();
  }

  /** Moves the schedule from the tick `due` to `next`, unless another process already did. */
  async advance(name: string, due: number, next: number | null, now: number): Promise<void> {
    await this.#db
      .updateTable('core_job_schedules')
      .set({ next_run_at: next, last_run_at: due, updated_at: now })
      .where('name', '=', name)
      .where('next_run_at', '=', due)
      .execute();
  }
}
