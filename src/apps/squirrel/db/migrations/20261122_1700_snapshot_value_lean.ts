import { PostgresAdapter, sql, type Kysely, type Migration, type RawBuilder } from 'kysely';

/*
 * snapshot_value without the write costs that grew with history (spec §9 B1):
 * - `seq` becomes the table's own integer key (spec §7 "integer PK; internal"), assigned by the database in
 *   capture order, so no separate (snapshot_id, seq) index is kept beside the table;
 * - `pv_id` keeps the id of the PV a value was captured from, without a foreign key: PV ids are UUIDv7 and
 *   never reused, so a missing PV row is what marks a value's PV deleted (spec D13) when values are read.
 *   Neither a PV delete nor a snapshot insert then maintains a (pv_id, snapshot_id) index, into which
 *   each snapshot's 40,000 inserts land all over once it holds a few snapshots.
 * - each stored side (setpoint_value, readback_value) becomes a JSON array without key names (see
 *   snapshots/storedSide.ts): `[value, status, severity, timestamp, units, precision, upper_ctrl_limit,
 *   lower_ctrl_limit, connected]`, plus `enum_strs` when present.
 * The table is rebuilt (SQLite cannot drop a foreign key in place); existing values keep their order.
 */

const KEPT_COLUMNS = ['snapshot_id', 'pv_id', 'pv_name', 'setpoint_name', 'readback_name', 'status', 'severity', 'timestamp', 'read_only', 'abs_tolerance', 'rel_tolerance', 'tags'];
const SIDE_FIELDS = ['value', 'status', 'severity', 'timestamp', 'units', 'precision', 'upper_ctrl_limit', 'lower_ctrl_limit', 'connected'];

/** a side stored as a JSON object, as the positional array; SQL null stays null */
function sideAsArray(column: string, postgres: boolean): RawBuilder<unknown> {
  const field = (name: string) => (postgres ? `${column}::jsonb -> '${name}'` : `${column} -> '$.${name}'`);
  const array = postgres ? 'jsonb_build_array' : 'json_array';
  const fields = SIDE_FIELDS.map(field).join(', ');
  const asText = postgres ? '::text' : '';
  return sql.raw(`case when ${column} is null then null
    when ${field('enum_strs')} is null then (${array}(${fields}))${asText}
    else (${array}(${fields}, ${field('enum_strs')}))${asText} end`);
}

export const snapshotValueLean: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('snapshot_value_lean')
      // SQLite: an INTEGER primary key is the rowid itself. Postgres: an identity column.
      .addColumn('seq', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.generatedByDefaultAsIdentity().notNull() : c.notNull()))
      .addColumn('snapshot_id', 'text', (c) => c.notNull())
      .addColumn('pv_id', 'text')
      .addColumn('pv_name', 'text', (c) => c.notNull())
      .addColumn('setpoint_name', 'text')
      .addColumn('readback_name', 'text')
      .addColumn('setpoint_value', 'text')
      .addColumn('readback_value', 'text')
      .addColumn('status', 'integer')
      .addColumn('severity', 'integer')
      .addColumn('timestamp', 'text')
      .addColumn('read_only', 'boolean', (c) => c.notNull())
      .addColumn('abs_tolerance', 'double precision', (c) => c.notNull())
      .addColumn('rel_tolerance', 'double precision', (c) => c.notNull())
      .addColumn('tags', 'text')
      .addPrimaryKeyConstraint('snapshot_value_seq_pk', ['seq'])
      .addForeignKeyConstraint('snapshot_value_snapshot_fk', ['snapshot_id'], 'snapshot', ['id'], (c) => c.onDelete('cascade'))
      .execute();
    const kept = sql.raw(KEPT_COLUMNS.map((c) => `"${c}"`).join(', '));
    await sql`insert into snapshot_value_lean (${kept}, setpoint_value, readback_value)
      select ${kept}, ${sideAsArray('setpoint_value', postgres)}, ${sideAsArray('readback_value', postgres)}
      from snapshot_value order by snapshot_id, seq`.execute(db);
    await db.schema.dropTable('snapshot_value').execute();
    await db.schema.alterTable('snapshot_value_lean').renameTo('snapshot_value').execute();
    await db.schema.createIndex('snapshot_value_name_idx').on('snapshot_value').columns(['snapshot_id', 'pv_name']).execute();
    await db.schema.createIndex('snapshot_value_snapshot_pv_idx').on('snapshot_value').columns(['snapshot_id', 'pv_id']).execute();
  },
};
