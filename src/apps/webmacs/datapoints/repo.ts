import type { Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import type { WindowRow } from './series-cache.ts';

export interface DatapointRow {
  id: number;
  ts: number;
  value: number;
  event_public_id: string;
  experiment_public_id: string | null;
}

export interface DatapointFilter {
  eventId?: number;
  experimentId?: number;
}

export function datapointsRepo(db: Kysely<WebmacsDatabase>) {
  const joined = () =>
    db
      .selectFrom('datapoints')
      .innerJoin('events', 'events.id', 'datapoints.event_id')
      .leftJoin('experiments', 'experiments.id', 'datapoints.experiment_id')
      .select(['datapoints.id', 'datapoints.ts', 'datapoints.value', 'events.public_id as event_public_id', 'experiments.public_id as experiment_public_id']);
  const normalise = (row: DatapointRow): DatapointRow => ({ ...row, id: Number(row.id), ts: Number(row.ts) });
  const postgres = isPostgres(db);
  const onlyEvents = (eventIds: number[]) => (eventIds.length ? eventIds : [-1]);

  /** SQLite has no LATERAL: the newest id per event first, then those rows. */
  async function latestByIds(eventIds?: number[]): Promise<DatapointRow[]> {
    let events = db
      .selectFrom('events')
      .select((eb) =>
        eb
          .selectFrom('datapoints')
          .select('datapoints.id')
          .whereRef('datapoints.event_id', '=', 'events.id')
          .orderBy('datapoints.ts', 'desc')
          .orderBy('datapoints.id', 'desc')
          .limit(1)
          .as('latest_id'),
      )
      .orderBy('events.id');
    if (eventIds) events = events.where('events.id', 'in', onlyEvents(eventIds));
    const ids = (await events.execute()).map((row) => row.latest_id).filter((id) => id !== null).map(Number);
    if (ids.length === 0) return [];
    const rows = await joined().where('datapoints.id', 'in', ids).orderBy('events.id').execute();
    return rows.map(normalise);
  }

  /**
   * Postgres: one statement, each event's newest row found by a backward scan of (event_id, ts, id) in
   * every partition. Looking rows up by id afterwards would probe each partition's key again, and a
   * second round trip costs more than the whole query under load.
   */
  async function latestLateral(eventIds?: number[]): Promise<DatapointRow[]> {
    let query = db
      .selectFrom('events')
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom('datapoints')
            .select(['datapoints.id', 'datapoints.ts', 'datapoints.value', 'datapoints.experiment_id'])
            .whereRef('datapoints.event_id', '=', 'events.id')
            .orderBy('datapoints.ts', 'desc')
            .orderBy('datapoints.id', 'desc')
            .limit(1)
            .as('newest'),
        (join) => join.onTrue(),
      )
      .leftJoin('experiments', 'experiments.id', 'newest.experiment_id')
      .select(['newest.id', 'newest.ts', 'newest.value', 'events.public_id as event_public_id', 'experiments.public_id as experiment_public_id'])
      .orderBy('events.id');
    if (eventIds) query = query.where('events.id', 'in', onlyEvents(eventIds));
    return (await query.execute()).map(normalise);
  }
  return {
    async findById(id: number): Promise<DatapointRow | undefined> {
      const row = await joined().where('datapoints.id', '=', id).executeTakeFirst();
      return row && normalise(row);
    },
    /** Newest first: timestamp desc, id desc (spec §2.6). */
    async page(filter: DatapointFilter, limit: number, offset: number): Promise<{ total: number; rows: DatapointRow[] }> {
      let count = db.selectFrom('datapoints').select((eb) => eb.fn.countAll<number>().as('n'));
      let rows = joined().orderBy('datapoints.ts', 'desc').orderBy('datapoints.id', 'desc').limit(limit).offset(offset);
      if (filter.eventId !== undefined) {
        count = count.where('event_id', '=', filter.eventId);
        rows = rows.where('datapoints.event_id', '=', filter.eventId);
      }
      if (filter.experimentId !== undefined) {
        count = count.where('experiment_id', '=', filter.experimentId);
        rows = rows.where('datapoints.experiment_id', '=', filter.experimentId);
      }
      const [total, data] = await Promise.all([count.executeTakeFirstOrThrow(), rows.execute()]);
      return { total: Number(total.n), rows: data.map(normalise) };
    },
    /** Ascending (timestamp, id) points of one event at or after `fromTs`. */
    async window(eventId: number, fromTs: number): Promise<DatapointRow[]> {
      const rows = await joined().where('datapoints.event_id', '=', eventId).where('datapoints.ts', '>=', fromTs).orderBy('datapoints.ts').orderBy('datapoints.id').execute();
      return rows.map(normalise);
    },
    /** The series cache's fill (spec §4.2): one ordered range query, experiment ids kept beside their public ids. */
    async windowColumns(eventId: number, fromTs: number): Promise<WindowRow[]> {
      const rows = await db
        .selectFrom('datapoints')
        .leftJoin('experiments', 'experiments.id', 'datapoints.experiment_id')
        .select(['datapoints.id', 'datapoints.ts', 'datapoints.value', 'datapoints.experiment_id', 'experiments.public_id as experiment_public_id'])
        .where('datapoints.event_id', '=', eventId)
        .where('datapoints.ts', '>=', fromTs)
        .orderBy('datapoints.ts')
        .orderBy('datapoints.id')
        .execute();
      // Postgres hands bigints over as strings; the cache converts while copying into its arrays.
      return rows as WindowRow[];
    },
    /** Each event's newest row (max timestamp, ties → max id), in event creation order. */
    latest(eventIds?: number[]): Promise<DatapointRow[]> {
      return postgres ? latestLateral(eventIds) : latestByIds(eventIds);
    },
    /** The deleted row's event id, or undefined when there was no such row. */
    async delete(id: number): Promise<number | undefined> {
      const deleted = await db.deleteFrom('datapoints').where('id', '=', id).returning('event_id').executeTakeFirst();
      return deleted && Number(deleted.event_id);
    },
    experimentIdOf(publicId: string): Promise<{ id: number } | undefined> {
      return db.selectFrom('experiments').select('id').where('public_id', '=', publicId).executeTakeFirst();
    },
  };
}

export type DatapointsRepo = ReturnType<typeof datapointsRepo>;
