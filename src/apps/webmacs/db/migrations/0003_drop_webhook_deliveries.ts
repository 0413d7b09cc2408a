import type { Migration } from 'kysely';
import type { AnyKysely } from '../dialect.ts';

/**
 * Webhook deliveries are kept by the core outbound dispatcher in its own table (spec §4.4); the table
 * 0002 created for them was never written, and a second place that looks like the delivery log misleads.
 */
export const dropWebhookDeliveries: Migration = {
  async up(db: AnyKysely) {
    await db.schema.dropTable('webhook_deliveries').ifExists().execute();
  },
};
