import { sql, type Migration } from 'kysely';
import { newPublicId } from '../../ids.ts';
import { nowMicros } from '../../time.ts';
import { isPostgres, withId, type AnyKysely } from '../dialect.ts';
import { partitionRanges } from '../partitions.ts';

const owner = 'bigint';

/** Events, experiments, datapoints and everything built on them (spec §7). */
export const lab: Migration = {
  async up(db: AnyKysely) {
    await withId(db, db.schema.createTable('events'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('min_value', 'double precision', (c) => c.notNull())
      .addColumn('max_value', 'double precision', (c) => c.notNull())
      .addColumn('unit', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('restrict'))
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .execute();

    await withId(db, db.schema.createTable('experiments'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('started_on', 'bigint', (c) => c.notNull())
      .addColumn('stopped_on', 'bigint')
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('restrict'))
      .execute();
    await db.schema.createIndex('experiments_running_idx').on('experiments').columns(['stopped_on', 'started_on']).execute();

    await createDatapoints(db);

    await db.schema
      .createTable('idempotency_keys')
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_sha256', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
      .execute();
    await db.schema.createIndex('idempotency_keys_created_idx').on('idempotency_keys').column('created_at').execute();

    await withId(db, db.schema.createTable('webhooks'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('url', 'text', (c) => c.notNull().unique())
      .addColumn('secret', 'text')
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('restrict'))
      .execute();

    await withId(db, db.schema.createTable('webhook_deliveries'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('webhook_id', 'bigint', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('response_code', 'integer')
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addColumn('delivered_on', 'bigint')
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('redelivery_of', 'text')
      .execute();
    await db.schema.createIndex('webhook_deliveries_created_idx').on('webhook_deliveries').columns(['webhook_id', 'created_on']).execute();
    await db.schema.createIndex('webhook_deliveries_status_idx').on('webhook_deliveries').columns(['webhook_id', 'status']).execute();

    await withId(db, db.schema.createTable('rules'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('event_id', 'bigint', (c) => c.notNull().references('events.id').onDelete('cascade'))
      .addColumn('operator', 'text', (c) => c.notNull())
      .addColumn('threshold', 'double precision', (c) => c.notNull())
      .addColumn('threshold_high', 'double precision')
      .addColumn('action_type', 'text', (c) => c.notNull())
      .addColumn('webhook_event_type', 'text')
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('cooldown_seconds', 'integer', (c) => c.notNull())
      .addColumn('last_triggered_at', 'bigint')
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('restrict'))
      .execute();
    await db.schema.createIndex('rules_event_idx').on('rules').columns(['event_id', 'enabled']).execute();

    await withId(db, db.schema.createTable('firmware_updates'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('version', 'text', (c) => c.notNull().unique())
      .addColumn('changelog', 'text')
      .addColumn('file_path', 'text')
      .addColumn('file_hash_sha256', 'text')
      .addColumn('file_size_bytes', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error_message', 'text')
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addColumn('started_on', 'bigint')
      .addColumn('completed_on', 'bigint')
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('restrict'))
      .execute();

    await withId(db, db.schema.createTable('dashboards'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('is_global', 'boolean', (c) => c.notNull())
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('restrict'))
      .execute();
    await db.schema.createIndex('dashboards_user_idx').on('dashboards').column('user_id').execute();
    await db.schema.createIndex('dashboards_global_idx').on('dashboards').column('is_global').execute();

    await withId(db, db.schema.createTable('dashboard_widgets'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('dashboard_id', 'bigint', (c) => c.notNull().references('dashboards.id').onDelete('cascade'))
      .addColumn('widget_type', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('event_id', 'bigint', (c) => c.references('events.id').onDelete('set null'))
      .addColumn('x', 'integer', (c) => c.notNull())
      .addColumn('y', 'integer', (c) => c.notNull())
      .addColumn('w', 'integer', (c) => c.notNull())
      .addColumn('h', 'integer', (c) => c.notNull())
      .addColumn('config_json', 'text')
      .execute();
    await db.schema.createIndex('dashboard_widgets_dashboard_idx').on('dashboard_widgets').column('dashboard_id').execute();
    await db.schema.createIndex('dashboard_widgets_event_idx').on('dashboard_widgets').column('event_id').execute();

    await withId(db, db.schema.createTable('plugin_instances'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('plugin_id', 'text', (c) => c.notNull())
      .addColumn('instance_name', 'text', (c) => c.notNull().unique())
      .addColumn('demo_mode', 'boolean', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('config_json', 'text')
      .addColumn('error_message', 'text')
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addColumn('updated_on', 'bigint', (c) => c.notNull())
      .addColumn('user_id', owner, (c) => c.notNull().references('users.id').onDelete('restrict'))
      .execute();

    await withId(db, db.schema.createTable('channel_mappings'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('plugin_instance_id', 'bigint', (c) => c.notNull().references('plugin_instances.id').onDelete('cascade'))
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('channel_name', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('unit', 'text', (c) => c.notNull())
      .addColumn('event_id', 'bigint', (c) => c.references('events.id').onDelete('set null'))
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('channel_mappings_channel_key', ['plugin_instance_id', 'channel_id'])
      .execute();
    await db.schema.createIndex('channel_mappings_event_idx').on('channel_mappings').column('event_id').execute();

    await withId(db, db.schema.createTable('plugin_packages'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('package_name', 'text', (c) => c.notNull().unique())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('plugin_ids', 'text', (c) => c.notNull())
      .addColumn('file_path', 'text')
      .addColumn('file_hash_sha256', 'text')
      .addColumn('file_size_bytes', 'bigint')
      .addColumn('installed_on', 'bigint', (c) => c.notNull())
      .addColumn('user_id', owner, (c) => c.references('users.id').onDelete('restrict'))
      .execute();
    const installedOn = nowMicros();
    await db
      .insertInto('plugin_packages')
      .values([
        bundled('webmacs-plugin-simulated', '0.2.0', 'simulated', installedOn),
        bundled('webmacs-plugin-system', '0.1.0', 'system', installedOn),
      ])
      .execute();
  },
};

function bundled(packageName: string, version: string, pluginId: string, installedOn: number) {
  return {
    public_id: newPublicId('pkg'),
    package_name: packageName,
    version,
    source: 'bundled',
    plugin_ids: JSON.stringify([pluginId]),
    installed_on: installedOn,
  };
}

/**
 * SQLite: one table whose AUTOINCREMENT ids are never reused. Postgres: range-partitioned by `ts` (D32);
 * the id comes from a sequence because identity columns on partitioned tables need Postgres 17.
 */
async function createDatapoints(db: AnyKysely): Promise<void> {
  if (isPostgres(db)) {
    await sql`create sequence datapoints_id_seq`.execute(db);
    await sql`
      create table datapoints (
        id bigint not null default nextval('datapoints_id_seq'),
        event_id bigint not null references events(id) on delete cascade,
        ts bigint not null,
        value double precision not null,
        experiment_id bigint references experiments(id) on delete set null,
        primary key (id, ts)
      ) partition by range (ts)`.execute(db);
    await sql`alter sequence datapoints_id_seq owned by datapoints.id`.execute(db);
    await sql`create table datapoints_default partition of datapoints default`.execute(db);
    for (const range of partitionRanges('week', nowMicros(), 3)) {
      await sql`create table ${sql.id(range.name)} partition of datapoints for values from (${sql.lit(range.from)}) to (${sql.lit(range.to)})`.execute(db);
    }
  } else {
    await db.schema
      .createTable('datapoints')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('event_id', 'bigint', (c) => c.notNull().references('events.id').onDelete('cascade'))
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('experiment_id', 'bigint', (c) => c.references('experiments.id').onDelete('set null'))
      .execute();
  }
  await db.schema.createIndex('datapoints_event_ts_idx').on('datapoints').columns(['event_id', 'ts', 'id']).execute();
  await db.schema.createIndex('datapoints_ts_idx').on('datapoints').columns(['ts', 'id']).execute();
  await db.schema
    .createIndex('datapoints_experiment_idx')
    .on('datapoints')
    .columns(['experiment_id', 'ts', 'id'])
    .where(sql.ref('experiment_id'), 'is not', null)
    .execute();
}
