import { PostgresAdapter, sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { bulkInsert, type BulkColumn } from '../db/bulkInsert.ts';
import type { SnapshotTable, SnapshotValueTable, SquirrelDb } from '../db/schema.ts';
import { likeContains } from '../format.ts';
import type { CapturedPv } from './capture.ts';

export type SnapshotRow = SnapshotTable;
/** A value as written; `seq`, the table's key, is assigned by the database in capture order. */
export type SnapshotValueRow = Omit<SnapshotValueTable, 'seq'>;

/** The PV's current read-only flag and tolerances (null once the PV is deleted). */
interface CurrentPvFields {
  pv_read_only: boolean | number | null;
  pv_abs_tolerance: number | null;
  pv_rel_tolerance: number | null;
}

/** A stored value as read: `pv_id` is null once the PV is deleted (spec D13), with the PV's current fields. */
export type SnapshotValueWithPv = SnapshotValueRow & CurrentPvFields;

/**
 * What a restore reads of a value: the setpoint side, read-only flag and tolerances of the current PV (the
 * stored copies once it is deleted), and the capture-time tags when a tag selection needs them.
 */
export type RestoreRow = Pick<SnapshotValueRow, 'pv_id' | 'pv_name' | 'setpoint_name' | 'setpoint_value' | 'read_only' | 'abs_tolerance' | 'rel_tolerance'> &
  Partial<Pick<SnapshotValueRow, 'tags'>>;

/** A restore body's selection (spec D34): a given list restricts, even when empty. */
export interface RestoreSelection {
  pvIds?: readonly string[];
  tagIds?: readonly string[];
}

const VALUE_COLUMNS: readonly BulkColumn<SnapshotValueRow>[] = [
  { name: 'snapshot_id', pgType: 'text' },
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

const STORED_COLUMNS = VALUE_COLUMNS.map((c) => `snapshot_value.${c.name}` as const).filter((c) => c !== 'snapshot_value.pv_id');

const CURRENT_PV_COLUMNS = ['pv.id as pv_id', 'pv.read_only as pv_read_only', 'pv.abs_tolerance as pv_abs_tolerance', 'pv.rel_tolerance as pv_rel_tolerance'] as const;

/** the stored setpoint side holds a value: a null one is stored as `[null,…` (storedSide.ts), so no JSON is parsed */
const setpointHasValue = sql<SqlBool>`substr(snapshot_value.setpoint_value, 1, 6) <> '[null,'`;

/** Where the dialects differ in the value queries: testing a column against a long id list. */
interface ValueDialect {
  /** `column` is one of `ids`, however many (SQLite binds at most 32,766 parameters) */
  isAnyOf(column: string, ids: readonly string[]): Expression<SqlBool>;
}

const sqliteValues: ValueDialect = {
  isAnyOf: (column, ids) => sql<SqlBool>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`,
};

const postgresValues: ValueDialect = {
  isAnyOf: (column, ids) => sql<SqlBool>`${sql.ref(column)} = any(${[...ids]}::text[])`,
};

export function createSnapshotRepo(db: Kysely<SquirrelDb>) {
  const dialect = db.getExecutor().adapter instanceof PostgresAdapter ? postgresValues : sqliteValues;

  /** values selected by a restore body through the PV they were captured from: listed, or carrying a listed tag now */
  function selectedByCurrentPv(selection: RestoreSelection): Expression<SqlBool> {
    return sql<SqlBool>`(${sql.join(
      [
        ...(selection.pvIds ? [dialect.isAnyOf('snapshot_value.pv_id', selection.pvIds)] : []),
        ...(selection.tagIds
          ? [sql<SqlBool>`exists (select 1 from pv_tag where pv_tag.pv_id = snapshot_value.pv_id and ${dialect.isAnyOf('pv_tag.tag_id', selection.tagIds)})`]
          : []),
      ],
      sql` or `,
    )})`;
  }

  return {
    /** every PV, in id order, with only the columns a capture uses (a snapshot of all 40,000 reads them all) */
    capturedPvs(): Promise<CapturedPv[]> {
      return db.selectFrom('pv').select(['id', 'setpoint_address', 'readback_address', 'config_address', 'read_only', 'abs_tolerance', 'rel_tolerance']).orderBy('id').execute();
    },
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
    /**
     * ordered by pv_name, then capture order. A value keeps the id of the PV it was captured from (ids are
     * never reused); the PV's absence is what marks it deleted.
     */
    values(snapshotId: string, window?: { limit?: number; offset: number }): Promise<SnapshotValueWithPv[]> {
      let query = db
        .selectFrom('snapshot_value')
        .leftJoin('pv', 'pv.id', 'snapshot_value.pv_id')
        .select([...STORED_COLUMNS, ...CURRENT_PV_COLUMNS])
        .where('snapshot_value.snapshot_id', '=', snapshotId)
        .orderBy('snapshot_value.pv_name')
        .orderBy('snapshot_value.seq');
      if (window?.limit !== undefined) query = query.limit(window.limit);
      if (window?.offset) query = query.offset(window.offset).$if(window.limit === undefined, (q) => q.limit(Number.MAX_SAFE_INTEGER));
      return query.execute();
    },
    /** the values a restore reads, in the order of `values`; a restore job reads 10,000 of them, so few columns */
    restoreRows(snapshotId: string, options: { withTags: boolean }): Promise<RestoreRow[]> {
      return db
        .selectFrom('snapshot_value')
        .leftJoin('pv', 'pv.id', 'snapshot_value.pv_id')
        .select((eb) => [
          'pv.id as pv_id',
          'snapshot_value.pv_name',
          'snapshot_value.setpoint_name',
          'snapshot_value.setpoint_value',
          eb.fn.coalesce('pv.read_only', 'snapshot_value.read_only').as('read_only'),
          eb.fn.coalesce('pv.abs_tolerance', 'snapshot_value.abs_tolerance').as('abs_tolerance'),
          eb.fn.coalesce('pv.rel_tolerance', 'snapshot_value.rel_tolerance').as('rel_tolerance'),
        ])
        .$if(options.withTags, (q) => q.select('snapshot_value.tags'))
        .where('snapshot_value.snapshot_id', '=', snapshotId)
        .orderBy('snapshot_value.pv_name')
        .orderBy('snapshot_value.seq')
        .execute();
    },
    /**
     * How many values a restore would write (spec §3.3 write rules): the PV still exists and is not read-only
     * now, and a setpoint was captured with a value. Values of deleted PVs are never written, so a selection
     * only needs the PVs' current links.
     */
    async countWritable(snapshotId: string, selection: RestoreSelection): Promise<number> {
      const row = await db
        .selectFrom('snapshot_value')
        .innerJoin('pv', 'pv.id', 'snapshot_value.pv_id')
        .select((eb) => eb.fn.countAll<number | string>().as('writes'))
        .where('snapshot_value.snapshot_id', '=', snapshotId)
        .where('pv.read_only', '=', false)
        .where('snapshot_value.setpoint_name', 'is not', null)
        .where(setpointHasValue)
        .$if(selection.pvIds !== undefined || selection.tagIds !== undefined, (q) => q.where(selectedByCurrentPv(selection)))
        .executeTakeFirstOrThrow();
      return Number(row.writes);
    },
  };
}

export type SnapshotRepo = ReturnType<typeof createSnapshotRepo>;
