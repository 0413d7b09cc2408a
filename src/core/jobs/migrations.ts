import { sql, type Kysely } from 'kysely';
import type { MigrationSet } from '../db/index.ts';

// Epoch-millisecond times are bigint (int8 comes back as a number on Postgres); JSON is text on both
// dialects so rows read back identically.
export const jobsMigrations: MigrationSet = {
  name: 'core_jobs',
  migrations: {
    '0001_jobs': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('core_jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('message', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('result', 'text')
          .addColumn('data', 'text')
          .addColumn('error', 'text')
          .addColumn('last_error', 'text')
          .addColumn('retrying', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('max_attempts', 'integer', (c) => c.notNull())
          .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('run_at', 'bigint', (c) => c.notNull())
          .addColumn('timeout_ms', 'bigint')
          .addColumn('singleton_key', 'text')
          .addColumn('schedule_name', 'text')
          .addColumn('scheduled_for', 'bigint')
          .addColumn('lease_owner', 'text')
          .addColumn('lease_expires_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('started_at', 'bigint')
          .addColumn('finished_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
          .execute();
        // Walks pending jobs in claim order (priority, run time, id), so a claim reads only the rows it takes.
        await db.schema
          .createIndex('core_jobs_claim_idx')
          .on('core_jobs')
          .columns(['status', 'priority desc', 'run_at', 'id'])
          .execute();
        await db.schema
          .createIndex('core_jobs_lease_idx')
          .on('core_jobs')
          .columns(['status', 'lease_expires_at'])
          .execute();
        await db.schema.createIndex('core_jobs_type_idx').on('core_jobs').columns(['type', 'status']).execute();
        await db.schema.createIndex('core_jobs_finished_idx').on('core_jobs').column('finished_at').execute();
        // The database itself refuses a second running job per singleton key, whichever process claims it.
        await db.schema
          .createIndex('core_jobs_singleton_running_idx')
          .on('core_jobs')
          .column('singleton_key')
          .unique()
          .where(sql<boolean>`status = 'running' and singleton_key is not null`)
          .execute();
        await db.schema
          .createIndex('core_jobs_singleton_idx')
          .on('core_jobs')
          .columns(['singleton_key', 'status'])
          .where(sql<boolean>`singleton_key is not null`)
          .execute();
        // One job per schedule tick, however many processes see the tick.
        await db.schema
          .createIndex('core_jobs_schedule_tick_idx')
          .on('core_jobs')
          .columns(['schedule_name', 'scheduled_for'])
          .unique()
          .execute();
        await db.schema
          .createTable('core_job_schedules')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('cron', 'text', (c) => c.notNull())
          .addColumn('timezone', 'text')
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('next_run_at', 'bigint')
          .addColumn('last_run_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('core_job_schedules_next_idx')
          .on('core_job_schedules')
          .column('next_run_at')
          .execute();
      },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async down(db: Kysely<any>) {
        await db.schema.dropTable('core_job_schedules').execute();
        await db.schema.dropTable('core_jobs').execute();
      },
    },
    // Every status change rewrote an entry in each index keyed by status. Only the claim index needs
    // status as a key; leases are read among running jobs only (a partial index the few running rows
    // enter and leave), and listing by type walks creation order, which never changes.
    '0002_jobs_status_light_indexes': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema.dropIndex('core_jobs_lease_idx').execute();
        await db.schema.dropIndex('core_jobs_type_idx').execute();
        await db.schema
          .createIndex('core_jobs_running_lease_idx')
          .on('core_jobs')
          .column('lease_expires_at')
          .where(sql<boolean>`status = 'running'`)
          .execute();
        await db.schema.createIndex('core_jobs_type_created_idx').on('core_jobs').columns(['type', 'created_at']).execute();
      },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async down(db: Kysely<any>) {
        await db.schema.dropIndex('core_jobs_type_created_idx').execute();
        await db.schema.dropIndex('core_jobs_running_lease_idx').execute();
        await db.schema.createIndex('core_jobs_type_idx').on('core_jobs').columns(['type', 'status']).execute();
        await db.schema.createIndex('core_jobs_lease_idx').on('core_jobs').columns(['status', 'lease_expires_at']).execute();
      },
    },
  },
};
