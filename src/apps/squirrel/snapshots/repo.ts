import { sql, type Kysely } from 'kysely';
import { bulkInsert, type BulkColumn } from '../db/bulkInsert.ts';
import type { SnapshotTable, SnapshotValueTable, SquirrelDb } from '../db/schema.ts';
import { likeContains } from '../format.ts';

export type SnapshotRow = SnapshotTable;
export type SnapshotValueRow = SnapshotValueTable;

/** A stored value with the PV's current read-only flag and tolerances (null once the PV is deleted). */
export interface SnapshotValueWithPv extends SnapshotValueRow {
  pv_read_only: boolean | number | null;
  pv_abs_tolerance: number | null;
  pv_rel_tolerance: number | null;
}

const VALUE_COLUMNS: readonly BulkColumn<SnapshotValueRow>[] = [
  { name: 'snapshot_id', pgType: 'text' },
  { name: 'seq', pgType: 'integer' },
  { name: 'pv_id', pgType: 'text' },
  { name: 'pv_name', pgType: 'text' },
  { name: 'setpoint_name', pgType: 'text' },
  { name: 'readback_name', pgType: 'text' },
  { name: 'setpoint_value', pgType: 'text' },
  { name: 'readback_value', pgType: 'text' },
  { name: 'status', pgType: 'integer' },
  { name: 'severity', pgType: 'integer' },
  { name: 'timestamp', pgType: 'text' },
  { name: 'read_only', pgType: 'boolean' },
  { name: 'abs_tolerance', pgType: 'double precision' },
  { name: 'rel_tolerance', pgType: 'double precision' },
  { name: 'tags', pgType: 'text' },
];

export function createSnapshotRepo(db: Kysely<SquirrelDb>) {
  return {
    findById(id: string): Promise<SnapshotRow | undefined> {
      return db.selectFrom('snapshot').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** newest first; `tagIds`: snapshots holding a PV that carries any of them */
    list(filter: { title?: string; tagIds?: readonly string[] }, limit: number, offset: number): Promise<SnapshotRow[]> {
      let query = db.selectFrom('snapshot').selectAll();
      if (filter.title) query = query.where(sql<boolean>`title_key like ${likeContains(filter.title)} escape '\\'`);
      const tagIds = filter.tagIds;
      if (tagIds?.length) {
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('snapshot_value')
              .innerJoin('pv_tag', 'pv_tag.pv_id', 'snapshot_value.pv_id')
              .whereRef('snapshot_value.snapshot_id', '=', 'snapshot.id')
              .where('pv_tag.tag_id', 'in', [...tagIds])
              .select(sql`1`.as('one')),
          ),
        );
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
    },
    /** the snapshot and all its values in one transaction-friendly pass: the bulk-insert path of spec §7 */
    async insert(snapshot: SnapshotRow, values: readonly SnapshotValueRow[], postgresBatchSize: number): Promise<void> {
      await db.insertInto('snapshot').values(snapshot).execute();
      await bulkInsert(db, 'snapshot_value', VALUE_COLUMNS, values, postgresBatchSize);
    },
    async update(id: string, patch: Partial<Pick<SnapshotRow, 'title' | 'title_key' | 'description' | 'updated_at'>>): Promise<void> {
      await db.updateTable('snapshot').set(patch).where('id', '=', id).execute();
    },
    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('snapshot').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    /** ordered by pv_name, then capture order */
    values(snapshotId: string, window?: { limit?: number; offset: number }): Promise<SnapshotValueWithPv[]> {
      let query = db
        .selectFrom('snapshot_value')
        .leftJoin('pv', 'pv.id', 'snapshot_value.pv_id')
        .selectAll('snapshot_value')
        .select(['pv.read_only as pv_read_only', 'pv.abs_tolerance as pv_abs_tolerance', 'pv.rel_tolerance as pv_rel_tolerance'])
        .where('snapshot_value.snapshot_id', '=', snapshotId)
        .orderBy('snapshot_value.pv_name')
        .orderBy('snapshot_value.seq');
      if (window?.limit !== undefined) query = query.limit(window.limit);
      if (window?.offset) query = query.offset(window.offset).$if(window.limit === undefined, (q) => q.limit(Number.MAX_SAFE_INTEGER));
      return query.execute();
    },
  };
}

export type SnapshotRepo = ReturnType<typeof createSnapshotRepo>;
