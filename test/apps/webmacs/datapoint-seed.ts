import { sql, type Kysely } from 'kysely';
import type { AppDatabase } from '../../../src/core/db/index.ts';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';

/**
 * Stores `count` datapoints of one event in a single statement, one per millisecond up to now, so
 * tests about large deletes start from a realistic table without going through a million requests.
 */
export async function seedDatapoints(database: AppDatabase, eventId: number, count: number): Promise<void> {
  const db = database.db as Kysely<WebmacsDatabase>;
  const newest = Date.now() * 1000;
  if (database.dialect.name === 'postgres') {
    await sql`insert into datapoints (event_id, ts, value) select ${eventId}::bigint, ${newest}::bigint - i * 1000, i from generate_series(1, ${count}) as i`.execute(db);
  } else {
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})
      insert into datapoints (event_id, ts, value) select ${eventId}, ${newest} - i * 1000, i from n`.execute(db);
  }
}

export async function countDatapoints(database: AppDatabase, eventId: number): Promise<number> {
  const db = database.db as Kysely<WebmacsDatabase>;
  const row = await db.selectFrom('datapoints').select((eb) => eb.fn.countAll<number>().as('n')).where('event_id', '=', eventId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function eventRowId(database: AppDatabase, publicId: string): Promise<number | undefined> {
  const db = database.db as Kysely<WebmacsDatabase>;
  const row = await db.selectFrom('events').select('id').where('public_id', '=', publicId).executeTakeFirst();
  return row && Number(row.id);
}
