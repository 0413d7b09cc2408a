import type { Kysely } from 'kysely';
import type { MigrationSet } from '../db/index.ts';

/* Times are epoch milliseconds (bigint); headers and signing are JSON text, read back whole on both dialects. */
export const outboundMigrations: MigrationSet = {
  name: 'core_outbound',
  migrations: {
    '0001_outbound_deliveries': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('outbound_deliveries')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('target', 'text', (col) => col.notNull())
          .addColumn('url', 'text', (col) => col.notNull())
          .addColumn('event_type', 'text', (col) => col.notNull())
          .addColumn('payload', 'text', (col) => col.notNull())
          .addColumn('headers', 'text', (col) => col.notNull())
          .addColumn('signing', 'text')
          .addColumn('status', 'text', (col) => col.notNull())
          .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('max_attempts', 'integer', (col) => col.notNull())
          .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
          .addColumn('last_error', 'text')
          .addColumn('response_code', 'integer')
          .addColumn('duration_ms', 'integer')
          .addColumn('redelivery_of', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('delivered_at', 'bigint')
          .execute();
        await db.schema.createIndex('outbound_deliveries_due').on('outbound_deliveries').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('outbound_deliveries_target').on('outbound_deliveries').columns(['target', 'created_at']).execute();
      },
    },
    // Apps rank their deliveries (alerts before a stream of readings); the due index orders by it.
    '0002_outbound_priority': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema.alterTable('outbound_deliveries').addColumn('priority', 'integer', (col) => col.notNull().defaultTo(0)).execute();
        await db.schema.dropIndex('outbound_deliveries_due').execute();
        await db.schema.createIndex('outbound_deliveries_due').on('outbound_deliveries').columns(['status', 'priority', 'next_attempt_at']).execute();
      },
    },
    // A backlog limit counts a target's waiting deliveries on every enqueue: from the index alone.
    '0003_outbound_backlog': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema.createIndex('outbound_deliveries_backlog').on('outbound_deliveries').columns(['target', 'status']).execute();
      },
    },
  },
};
