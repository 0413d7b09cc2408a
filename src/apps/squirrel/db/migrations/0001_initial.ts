import { sql, type Kysely, type Migration } from 'kysely';

/** The tables of spec §7. JSON is stored as text on both dialects, so repos read it the same way. */
export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('pv')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('setpoint_address', 'text', (c) => c.unique())
      .addColumn('readback_address', 'text')
      .addColumn('config_address', 'text')
      .addColumn('device', 'text')
      .addColumn('description', 'text')
      .addColumn('abs_tolerance', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('rel_tolerance', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('read_only', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('search_text', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('last_modified_by', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('pv_readback_idx').on('pv').column('readback_address').execute();
    await db.schema.createIndex('pv_config_idx').on('pv').column('config_address').execute();
    await db.schema.createIndex('pv_device_idx').on('pv').column('device').execute();

    await db.schema
      .createTable('tag_group')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_key', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('tag')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('group_id', 'text', (c) => c.notNull().references('tag_group.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_key', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('tag_group_name_key_uq', ['group_id', 'name_key'])
      .execute();

    await db.schema
      .createTable('pv_tag')
      .addColumn('pv_id', 'text', (c) => c.notNull().references('pv.id').onDelete('cascade'))
      .addColumn('tag_id', 'text', (c) => c.notNull().references('tag.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('pv_tag_pk', ['pv_id', 'tag_id'])
      .execute();
    await db.schema.createIndex('pv_tag_tag_idx').on('pv_tag').columns(['tag_id', 'pv_id']).execute();

    await db.schema
      .createTable('snapshot')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('title_key', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_by', 'text')
      .addColumn('pv_count', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('snapshot_created_idx').on('snapshot').column('created_at').execute();
    await db.schema.createIndex('snapshot_title_idx').on('snapshot').column('title_key').execute();

    await db.schema
      .createTable('snapshot_value')
      .addColumn('snapshot_id', 'text', (c) => c.notNull().references('snapshot.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      // spec D13: deleting a PV keeps its historical values
      .addColumn('pv_id', 'text', (c) => c.references('pv.id').onDelete('set null'))
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
      .addPrimaryKeyConstraint('snapshot_value_pk', ['snapshot_id', 'seq'])
      .execute();
    await db.schema.createIndex('snapshot_value_name_idx').on('snapshot_value').columns(['snapshot_id', 'pv_name']).execute();
    await db.schema.createIndex('snapshot_value_snapshot_pv_idx').on('snapshot_value').columns(['snapshot_id', 'pv_id']).execute();
    await db.schema.createIndex('snapshot_value_pv_idx').on('snapshot_value').columns(['pv_id', 'snapshot_id']).execute();

    await db.schema
      .createTable('api_key')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('is_active', 'boolean', (c) => c.notNull())
      .addColumn('read_access', 'boolean', (c) => c.notNull())
      .addColumn('write_access', 'boolean', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // One active key per app name; a deactivated key frees its name (spec §3.6).
    await db.schema.createIndex('api_key_active_app_uq').on('api_key').column('app_name').unique().where(sql<boolean>`is_active`).execute();
  },
};
