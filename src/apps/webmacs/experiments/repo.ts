import type { Kysely, Transaction } from 'kysely';
import type { ExperimentsTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

export interface ExperimentRow {
  id: number;
  public_id: string;
  name: string;
  started_on: number;
  stopped_on: number | null;
  user_public_id: string;
}

/** One CSV row's worth of an experiment's data. */
export interface ExportRow {
  id: number;
  ts: number;
  value: number;
  event_name: string;
  event_public_id: string;
  unit: string;
}

export function experimentsRepo(db: Kysely<WebmacsDatabase>) {
  const withOwner = () =>
    db
      .selectFrom('experiments')
      .innerJoin('users', 'users.id', 'experiments.user_id')
      .select(['experiments.id', 'experiments.public_id', 'experiments.name', 'experiments.started_on', 'experiments.stopped_on'])
      .select('users.public_id as user_public_id');
  return {
    findByPublicId(publicId: string): Promise<ExperimentRow | undefined> {
      return withOwner().where('experiments.public_id', '=', publicId).executeTakeFirst();
    },
    async page(limit: number, offset: number): Promise<{ total: number; rows: ExperimentRow[] }> {
      const [count, rows] = await Promise.all([
        db.selectFrom('experiments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        withOwner().orderBy('experiments.id').limit(limit).offset(offset).execute(),
      ]);
      return { total: Number(count.n), rows };
    },
    async insert(row: Omit<ExperimentsTable, 'id'>): Promise<void> {
      await db.insertInto('experiments').values(row).execute();
    },
    async rename(id: number, name: string): Promise<void> {
      await db.updateTable('experiments').set({ name }).where('id', '=', id).execute();
    },
    /** true only for the call that actually stopped it (spec D16: later stops change nothing) */
    async stop(id: number, at: number): Promise<boolean> {
      const result = await db.updateTable('experiments').set({ stopped_on: at }).where('id', '=', id).where('stopped_on', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async delete(id: number, trx: Db): Promise<void> {
      await trx.deleteFrom('datapoints').where('experiment_id', '=', id).execute();
      await trx.deleteFrom('experiments').where('id', '=', id).execute();
    },
    /** The next chunk of an export after (ts, id), ascending: keyset pagination over the experiment index. */
    exportChunk(experimentId: number, after: { ts: number; id: number } | undefined, limit: number): Promise<ExportRow[]> {
      let query = db
        .selectFrom('datapoints')
        .innerJoin('events', 'events.id', 'datapoints.event_id')
        .select(['datapoints.id', 'datapoints.ts', 'datapoints.value', 'events.name as event_name', 'events.public_id as event_public_id', 'events.unit'])
        .where('datapoints.experiment_id', '=', experimentId);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb('datapoints.ts', '>', after.ts), eb.and([eb('datapoints.ts', '=', after.ts), eb('datapoints.id', '>', after.id)])]),
        );
      }
      return query.orderBy('datapoints.ts').orderBy('datapoints.id').limit(limit).execute();
    },
  };
}

export type ExperimentsRepo = ReturnType<typeof experimentsRepo>;
