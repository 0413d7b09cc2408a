import type { Kysely } from 'kysely';
import { isPostgres } from '../db/dialect.ts';
import type { WebmacsDatabase } from '../db/schema.ts';

/**
 * Removes the datapoints of one event or experiment in chunks, one transaction each, yielding to the
 * event loop in between so ingestion keeps its latency during a million-row delete (spec §4.8). The
 * parent row goes afterwards, in the caller's transaction that also takes rows that arrived meanwhile.
 */
export async function deleteDatapointsInChunks(
  db: Kysely<WebmacsDatabase>,
  owner: { column: 'event_id' | 'experiment_id'; id: number },
  chunkRows: number,
): Promise<void> {
  // On the partitioned Postgres table rows are found by their whole key (id, ts): each partition's
  // primary key then serves the lookup directly.
  const keyed = isPostgres(db);
  for (;;) {
    const result = keyed
      ? await db
          .deleteFrom('datapoints')
          .where(({ eb, refTuple, selectFrom }) =>
            eb(refTuple('id', 'ts'), 'in', selectFrom('datapoints').select(['id', 'ts']).where(owner.column, '=', owner.id).limit(chunkRows).$asTuple('id', 'ts')),
          )
          .executeTakeFirst()
      : await db
          .deleteFrom('datapoints')
          .where('id', 'in', db.selectFrom('datapoints').select('id').where(owner.column, '=', owner.id).limit(chunkRows))
          .executeTakeFirst();
    if (Number(result.numDeletedRows) < chunkRows) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
