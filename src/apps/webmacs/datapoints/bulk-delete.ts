import type { Kysely } from 'kysely';
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
  for (;;) {
    const chunk = db.selectFrom('datapoints').select('id').where(owner.column, '=', owner.id).limit(chunkRows);
    const result = await db.deleteFrom('datapoints').where('id', 'in', chunk).executeTakeFirst();
    if (Number(result.numDeletedRows) < chunkRows) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
