import type { Kysely, Transaction } from 'kysely';
import type { EventsTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

export interface EventRow {
  id: number;
  public_id: string;
  name: string;
  min_value: number;
  max_value: number;
  unit: string;
  type: string;
  user_public_id: string;
}

export type EventChanges = Partial<Pick<EventsTable, 'name' | 'min_value' | 'max_value' | 'unit' | 'type'>>;

export function eventsRepo(db: Kysely<WebmacsDatabase>) {
  const withOwner = (trx: Db = db) =>
    trx
      .selectFrom('events')
      .innerJoin('users', 'users.id', 'events.user_id')
      .select(['events.id', 'events.public_id', 'events.name', 'events.min_value', 'events.max_value', 'events.unit', 'events.type'])
      .select('users.public_id as user_public_id');
  return {
    findByPublicId(publicId: string, trx: Db = db): Promise<EventRow | undefined> {
      return withOwner(trx).where('events.public_id', '=', publicId).executeTakeFirst();
    },
    findByName(name: string, trx: Db = db): Promise<EventRow | undefined> {
      return withOwner(trx).where('events.name', '=', name).executeTakeFirst();
    },
    /** Creation order (spec §2.6). */
    async page(limit: number, offset: number): Promise<{ total: number; rows: EventRow[] }> {
      const [count, rows] = await Promise.all([
        db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        withOwner().orderBy('events.id').limit(limit).offset(offset).execute(),
      ]);
      return { total: Number(count.n), rows };
    },
    async insert(row: Omit<EventsTable, 'id'>, trx: Db = db): Promise<number> {
      const inserted = await trx.insertInto('events').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(inserted.id);
    },
    async update(id: number, changes: EventChanges): Promise<void> {
      if (Object.values(changes).every((value) => value === undefined)) return;
      await db.updateTable('events').set(changes).where('id', '=', id).execute();
    },
    /** Rules go with the event (FK cascade); widgets and mappings keep existing, unlinked (FK set null). */
    async delete(id: number, trx: Db = db): Promise<void> {
      await trx.deleteFrom('datapoints').where('event_id', '=', id).execute();
      await trx.deleteFrom('events').where('id', '=', id).execute();
    },
  };
}

export type EventsRepo = ReturnType<typeof eventsRepo>;
